"""Is the preprocessing of trainlab.data right, and does it take its statistics from the training data only?

scikit-learn's scalers and PCA serve as the oracle.
"""
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from trainlab import data


def _sets(seed=0, constant_column=True):
    """Correlated training data far from the origin, and a shifted 'other' set of the same width."""
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((5, 5)) * np.array([3.0, 2.0, 1.0, 0.5, 0.2])[:, None]
    X_train = rng.standard_normal((200, 5)) @ mix + 10.0
    X_other = rng.standard_normal((40, 5)) @ mix + 12.0
    if constant_column:
        X_train[:, 2], X_other[:, 2] = 7.0, 8.0
    return X_train, X_other


def _align_signs(got, want):
    """got with each column's sign flipped to agree with want (principal axes have no sign)."""
    return got * np.sign(np.sum(got * want, axis=0))


@pytest.mark.parametrize("fn, scaler", [(data.standardize, StandardScaler()),
                                        (data.minmax_scale, MinMaxScaler(feature_range=(-1, 1)))])
def test_scalers_match_sklearn_fitted_on_train(fn, scaler):
    """Do standardize and minmax_scale equal scikit-learn's scalers fitted on X_train (constant feature included)?"""
    X_train, X_other = _sets()
    scaler.fit(X_train)
    got_train, got_other = fn(X_train, X_other)
    assert np.allclose(got_train, scaler.transform(X_train))
    assert np.allclose(got_other, scaler.transform(X_other))


def test_zero_center_uses_the_training_mean():
    """Is the other set shifted by the training mean (so it keeps its own offset), not centered on itself?"""
    X_train, X_other = _sets()
    c_train, c_other = data.zero_center(X_train, X_other)
    assert np.allclose(c_train.mean(axis=0), 0)
    assert np.allclose(c_other, X_other - X_train.mean(axis=0))
    assert not np.allclose(c_other.mean(axis=0), 0)


def test_minmax_maps_the_training_range_onto_minus_one_one():
    """Does the training data span exactly [-1, 1] per (non-constant) feature?"""
    X_train, X_other = _sets(constant_column=False)
    s_train, _ = data.minmax_scale(X_train, X_other)
    assert np.allclose(s_train.min(axis=0), -1) and np.allclose(s_train.max(axis=0), 1)


def test_pca_reduce_matches_sklearn_up_to_sign():
    """Does pca_reduce project onto the top-k axes of the training data, in order of decreasing variance?"""
    X_train, X_other = _sets(constant_column=False)
    pca = PCA(n_components=3).fit(X_train)
    p_train, p_other = data.pca_reduce(X_train, X_other, 3)
    assert p_train.shape == (200, 3) and p_other.shape == (40, 3)
    assert np.allclose(_align_signs(p_train, pca.transform(X_train)), pca.transform(X_train))
    assert np.allclose(_align_signs(p_other, pca.transform(X_other)), pca.transform(X_other))
    variances = p_train.var(axis=0)
    assert np.all(np.diff(variances) < 0)


def test_whiten_gives_identity_covariance_on_train():
    """Is the whitened training covariance diag(S / (S + eps)), and is the other set rotated with the training axes?"""
    X_train, X_other = _sets(constant_column=False)
    mean, eigvals, eigvecs = data.pca_basis(X_train)
    for eps in (0.0, 1e-1):
        w_train, w_other = data.whiten(X_train, X_other, eps=eps)
        cov = w_train.T @ w_train / len(w_train)
        assert np.allclose(cov, np.diag(eigvals / (eigvals + eps)), atol=1e-10)
        assert np.allclose(w_other, (X_other - mean) @ eigvecs / np.sqrt(eigvals + eps))
    pca = PCA(whiten=False).fit(X_train)
    assert np.allclose(eigvals, pca.explained_variance_ * (len(X_train) - 1) / len(X_train))


def test_pca_basis_is_orthonormal_and_sorted():
    """Are the principal axes orthonormal with non-negative eigenvalues in decreasing order?"""
    X_train, _ = _sets()
    _, eigvals, eigvecs = data.pca_basis(X_train)
    assert np.allclose(eigvecs.T @ eigvecs, np.eye(5))
    assert np.all(eigvals >= 0) and np.all(np.diff(eigvals) <= 1e-12)


@pytest.mark.parametrize("method, fn", [("center", data.zero_center), ("standardize", data.standardize),
                                        ("minmax", data.minmax_scale)])
def test_preprocessor_equals_the_functions(method, fn):
    """Does Preprocessor(method).fit(X_train).transform(X) give what the function gives?"""
    X_train, X_other = _sets()
    prep = data.Preprocessor(method).fit(X_train)
    want_train, want_other = fn(X_train, X_other)
    assert np.allclose(prep.transform(X_train), want_train)
    assert np.allclose(prep.transform(X_other), want_other)


def test_preprocessor_pca_and_whiten():
    """Do the "pca" and "whiten" methods equal pca_reduce and whiten, also for image-shaped input?"""
    X_train, X_other = _sets(constant_column=False)
    prep = data.Preprocessor("pca", num_components=2).fit(X_train)
    assert np.allclose(prep.transform(X_other), data.pca_reduce(X_train, X_other, 2)[1])
    prep = data.Preprocessor("whiten", eps=1e-3).fit(X_train.reshape(200, 5, 1))
    assert np.allclose(prep.transform(X_other.reshape(40, 5, 1)), data.whiten(X_train, X_other, 1e-3)[1])


def test_preprocessor_never_refits_in_transform():
    """Does transform apply the training statistics instead of fitting on what it transforms?"""
    X_train, X_other = _sets()
    prep = data.Preprocessor("standardize").fit(X_train)
    out = prep.transform(X_other)
    assert not np.allclose(out, data.Preprocessor("standardize").fit_transform(X_other))
    assert np.allclose(prep.transform(X_other[:1]), out[:1])  # one sample: still well defined


def test_preprocessor_per_channel_statistics_on_images():
    """With per_channel, are there C statistics over (N, H, W), and the mean image (H, W, C) without?"""
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 255, (20, 4, 5, 3)) * np.array([1.0, 0.5, 0.2])
    prep = data.Preprocessor("standardize", per_channel=True).fit(images)
    assert prep.stats["mean"].shape == (3,)
    out = prep.transform(images)
    assert np.allclose(out.mean(axis=(0, 1, 2)), 0) and np.allclose(out.std(axis=(0, 1, 2)), 1)
    prep = data.Preprocessor("center").fit(images)
    assert prep.stats["mean"].shape == (4, 5, 3)
    assert np.allclose(prep.transform(images).mean(axis=0), 0)


def test_preprocessor_rejects_bad_use():
    """Do an unknown method, pca without k, and transform before fit fail with clear errors?"""
    with pytest.raises(ValueError, match="standardize"):
        data.Preprocessor("normalize")
    with pytest.raises(ValueError, match="num_components"):
        data.Preprocessor("pca")
    with pytest.raises(RuntimeError, match="fit"):
        data.Preprocessor().transform(np.ones((2, 2)))
