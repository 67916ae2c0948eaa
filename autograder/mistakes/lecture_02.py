"""Typical wrong answers for lecture 02 (data preprocessing).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
"""

MISTAKES = {
    "zero_center": [
        ("centers X_other with its own mean", '''
def zero_center(X_train, X_other):
    return X_train - X_train.mean(axis=0), X_other - X_other.mean(axis=0)
'''),
        ("mean over the wrong axis (per sample instead of per feature)", '''
def zero_center(X_train, X_other):
    mean = X_train.mean(axis=1, keepdims=True)
    return X_train - mean, X_other - X_train.mean()
'''),
        ("one global mean over all features", '''
def zero_center(X_train, X_other):
    mean = X_train.mean()
    return X_train - mean, X_other - mean
'''),
        ("changes the inputs in place", '''
def zero_center(X_train, X_other):
    mean = X_train.mean(axis=0)
    X_train -= mean
    X_other -= mean
    return X_train, X_other
'''),
        ("keeps the input dtype: uint8 images wrap around", '''
def zero_center(X_train, X_other):
    mean = X_train.mean(axis=0).astype(X_train.dtype)
    return X_train - mean, X_other - mean
'''),
        ("fits the mean on both sets together", '''
def zero_center(X_train, X_other):
    mean = np.concatenate([X_train, X_other]).mean(axis=0)
    return X_train - mean, X_other - mean
'''),
    ],
    "standardize": [
        ("standardizes X_other with its own statistics", '''
def standardize(X_train, X_other):
    def own(X):
        std = X.std(axis=0)
        return (X - X.mean(axis=0)) / np.where(std < 1e-8, 1.0, std)
    return own(X_train), own(X_other)
'''),
        ("divides by the variance instead of the std", '''
def standardize(X_train, X_other):
    mean, var = X_train.mean(axis=0), X_train.var(axis=0)
    var = np.where(var < 1e-8, 1.0, var)
    return (X_train - mean) / var, (X_other - mean) / var
'''),
        ("divides by a zero std (constant feature gives nan)", '''
def standardize(X_train, X_other):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (X_train - mean) / std, (X_other - mean) / std
'''),
        ("sample std (ddof=1)", '''
def standardize(X_train, X_other):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1) if len(X_train) > 1 else np.zeros(X_train.shape[1:])
    std = np.where(std < 1e-8, 1.0, std)
    return (X_train - mean) / std, (X_other - mean) / std
'''),
        ("guards only an exact std of 0", '''
def standardize(X_train, X_other):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X_train - mean) / std, (X_other - mean) / std
'''),
        ("fits on both sets together", '''
def standardize(X_train, X_other):
    both = np.concatenate([X_train, X_other])
    mean, std = both.mean(axis=0), both.std(axis=0)
    std = np.where(std < 1e-8, 1.0, std)
    return (X_train - mean) / std, (X_other - mean) / std
'''),
    ],
    "minmax_scale": [
        ("scales to [0, 1] instead of [-1, 1]", '''
def minmax_scale(X_train, X_other):
    low = X_train.min(axis=0)
    span = np.where(X_train.max(axis=0) - low < 1e-8, 1.0, X_train.max(axis=0) - low)
    return (X_train - low) / span, (X_other - low) / span
'''),
        ("scales X_other with its own min and max", '''
def minmax_scale(X_train, X_other):
    def own(X):
        low = X.min(axis=0)
        span = np.where(X.max(axis=0) - low < 1e-8, 1.0, X.max(axis=0) - low)
        return 2 * (X - low) / span - 1
    return own(X_train), own(X_other)
'''),
        ("one global min and max over all features", '''
def minmax_scale(X_train, X_other):
    low, high = X_train.min(), X_train.max()
    return 2 * (X_train - low) / (high - low) - 1, 2 * (X_other - low) / (high - low) - 1
'''),
        ("uint8 arithmetic wraps around (no conversion to float)", '''
def minmax_scale(X_train, X_other):
    low = X_train.min(axis=0)
    span = X_train.max(axis=0) - low
    span = np.where(span < 1e-8, 1.0, span)
    return 2 * (X_train - low) / span - 1, 2 * (X_other - low) / span - 1
'''),
        ("fits min and max on both sets together", '''
def minmax_scale(X_train, X_other):
    both = np.concatenate([X_train, X_other]).astype(float)
    low, span = both.min(axis=0), both.max(axis=0) - both.min(axis=0)
    span = np.where(span < 1e-8, 1.0, span)
    return 2 * (X_train - low) / span - 1, 2 * (X_other - low) / span - 1
'''),
    ],
    "pca_reduce": [
        ("keeps the smallest eigenvalues (np.linalg.eigh sorts ascending)", '''
def pca_reduce(X_train, X_other, k):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    top = eigvecs[:, :k]
    return centered @ top, (X_other - mean) @ top
'''),
        ("does not center the data", '''
def pca_reduce(X_train, X_other, k):
    eigvals, eigvecs = np.linalg.eigh(X_train.T @ X_train / len(X_train))
    top = eigvecs[:, ::-1][:, :k]
    return X_train @ top, X_other @ top
'''),
        ("centers X_other with its own mean", '''
def pca_reduce(X_train, X_other, k):
    centered = X_train - X_train.mean(axis=0)
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    top = eigvecs[:, ::-1][:, :k]
    return centered @ top, (X_other - X_other.mean(axis=0)) @ top
'''),
        ("takes rows of the eigenvector matrix instead of columns", '''
def pca_reduce(X_train, X_other, k):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    top = eigvecs[::-1][:k].T
    return centered @ top, (X_other - mean) @ top
'''),
        ("fits the mean and axes on both sets together", '''
def pca_reduce(X_train, X_other, k):
    both = np.concatenate([X_train, X_other])
    mean = both.mean(axis=0)
    eigvals, eigvecs = np.linalg.eigh((both - mean).T @ (both - mean) / len(both))
    top = eigvecs[:, ::-1][:, :k]
    return (X_train - mean) @ top, (X_other - mean) @ top
'''),
        ("scales each axis by its eigenvalue", '''
def pca_reduce(X_train, X_other, k):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    top = eigvecs[:, ::-1][:, :k] * eigvals[::-1][:k]
    return centered @ top, (X_other - mean) @ top
'''),
    ],
    "whiten": [
        ("divides by the eigenvalues (variance) instead of their square root", '''
def whiten(X_train, X_other, eps=1e-5):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    eigvals, eigvecs = eigvals[::-1], eigvecs[:, ::-1]
    return centered @ eigvecs / (eigvals + eps), (X_other - mean) @ eigvecs / (eigvals + eps)
'''),
        ("ignores eps", '''
def whiten(X_train, X_other, eps=1e-5):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    eigvals, eigvecs = eigvals[::-1], eigvecs[:, ::-1]
    return centered @ eigvecs / np.sqrt(eigvals), (X_other - mean) @ eigvecs / np.sqrt(eigvals)
'''),
        ("whitens X_other with its own statistics", '''
def whiten(X_train, X_other, eps=1e-5):
    def own(X):
        centered = X - X.mean(axis=0)
        eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X))
        return centered @ eigvecs[:, ::-1] / np.sqrt(eigvals[::-1] + eps)
    return own(X_train), own(X_other)
'''),
        ("keeps eigh's ascending order", '''
def whiten(X_train, X_other, eps=1e-5):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    scale = np.sqrt(eigvals + eps)
    return centered @ eigvecs / scale, (X_other - mean) @ eigvecs / scale
'''),
        ("np.cov's sample covariance (divides by N - 1)", '''
def whiten(X_train, X_other, eps=1e-5):
    mean = X_train.mean(axis=0)
    cov = np.cov(X_train, rowvar=False).reshape(X_train.shape[1], X_train.shape[1]) if len(X_train) > 1 \
        else np.zeros((X_train.shape[1],) * 2)
    eigvals, eigvecs = np.linalg.eigh(cov)
    scale = np.sqrt(np.maximum(eigvals[::-1], 0) + eps)
    return (X_train - mean) @ eigvecs[:, ::-1] / scale, (X_other - mean) @ eigvecs[:, ::-1] / scale
'''),
        ("eps added after the square root", '''
def whiten(X_train, X_other, eps=1e-5):
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    eigvals, eigvecs = np.linalg.eigh(centered.T @ centered / len(X_train))
    scale = np.sqrt(np.maximum(eigvals[::-1], 0)) + eps
    return centered @ eigvecs[:, ::-1] / scale, (X_other - mean) @ eigvecs[:, ::-1] / scale
'''),
    ],
    "preprocessor": [
        ("transform fits on the data it transforms", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        self._axes = tuple(range(X.ndim - 1)) if self.per_channel else 0
        return self

    def transform(self, X):
        mean = X.mean(axis=self._axes)
        if self.method == "center":
            return X - mean
        std = X.std(axis=self._axes)
        return (X - mean) / np.where(std < 1e-8, 1.0, std)
'''),
        ("fit does not return self", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        axes = tuple(range(X.ndim - 1)) if self.per_channel else 0
        self.mean = X.mean(axis=axes)
        std = X.std(axis=axes)
        self.std = np.where(std < 1e-8, 1.0, std)

    def transform(self, X):
        if self.method == "center":
            return X - self.mean
        return (X - self.mean) / self.std
'''),
        ("per_channel ignored: statistics over axis 0 only (the mean image)", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        self.mean = X.mean(axis=0)
        std = X.std(axis=0)
        self.std = np.where(std < 1e-8, 1.0, std)
        return self

    def transform(self, X):
        if self.method == "center":
            return X - self.mean
        return (X - self.mean) / self.std
'''),
        ("method ignored: always standardizes", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        axes = tuple(range(X.ndim - 1)) if self.per_channel else 0
        self.mean = X.mean(axis=axes)
        std = X.std(axis=axes)
        self.std = np.where(std < 1e-8, 1.0, std)
        return self

    def transform(self, X):
        return (X - self.mean) / self.std
'''),
        ("per_channel statistics over the wrong axes (per image and channel)", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        axes = tuple(range(1, X.ndim - 1)) + (0,) if self.per_channel and X.ndim > 2 else 0
        axes = (0, 1) if self.per_channel and X.ndim > 2 else axes
        self.mean = X.mean(axis=axes)
        std = X.std(axis=axes)
        self.std = np.where(std < 1e-8, 1.0, std)
        return self

    def transform(self, X):
        if self.method == "center":
            return X - self.mean
        return (X - self.mean) / self.std
'''),
        ("transform modifies its input in place", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        axes = tuple(range(X.ndim - 1)) if self.per_channel else 0
        self.mean = X.mean(axis=axes)
        std = X.std(axis=axes)
        self.std = np.where(std < 1e-8, 1.0, std)
        return self

    def transform(self, X):
        X = X.astype(float, copy=False)
        X -= self.mean
        if self.method == "standardize":
            X /= self.std
        return X
'''),
        ("a second fit keeps the first statistics", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        if not hasattr(self, "mean"):
            axes = tuple(range(X.ndim - 1)) if self.per_channel else 0
            self.mean = X.mean(axis=axes)
            std = X.std(axis=axes)
            self.std = np.where(std < 1e-8, 1.0, std)
        return self

    def transform(self, X):
        if self.method == "center":
            return X - self.mean
        return (X - self.mean) / self.std
'''),
    ],
}

ALTERNATIVES = {
    "zero_center": [
        ("float64 copies first, mean as sum / N with keepdims", '''
def zero_center(X_train, X_other):
    X_train, X_other = np.asarray(X_train, dtype=np.float64), np.asarray(X_other, dtype=np.float64)
    mean = np.sum(X_train, axis=0, keepdims=True) / X_train.shape[0]
    return X_train - mean, X_other - mean
'''),
    ],
    "standardize": [
        ("scikit-learn style: variance by hand, scale array patched in place", '''
def standardize(X_train, X_other):
    X_train, X_other = X_train.astype(np.float64), X_other.astype(np.float64)
    mean = np.mean(X_train, axis=0)
    scale = np.sqrt(np.mean((X_train - mean) ** 2, axis=0))
    scale = np.atleast_1d(scale)
    scale[scale < 1e-8] = 1.0
    return (X_train - mean) / scale, (X_other - mean) / scale
'''),
    ],
    "minmax_scale": [
        ("scikit-learn style: scale = 2 / range, min_ = -1 - min * scale", '''
def minmax_scale(X_train, X_other):
    X_train, X_other = np.asarray(X_train, dtype=float), np.asarray(X_other, dtype=float)
    data_min, data_max = np.min(X_train, axis=0), np.max(X_train, axis=0)
    data_range = data_max - data_min
    data_range[data_range < 1e-8] = 1.0
    scale = 2.0 / data_range
    offset = -1.0 - data_min * scale
    return X_train * scale + offset, X_other * scale + offset
'''),
    ],
    "pca_reduce": [
        ("SVD of the centered data (full V, so that k may exceed N)", '''
def pca_reduce(X_train, X_other, k):
    X_train, X_other = np.asarray(X_train, dtype=float), np.asarray(X_other, dtype=float)
    mean = X_train.mean(axis=0)
    _, _, vt = np.linalg.svd(X_train - mean, full_matrices=True)
    top = vt[:k].T
    return (X_train - mean) @ top, (X_other - mean) @ top
'''),
        ("np.cov (N - 1 does not change the axes) and argsort", '''
def pca_reduce(X_train, X_other, k):
    mean = np.mean(X_train, axis=0)
    cov = np.atleast_2d(np.cov(X_train, rowvar=False, bias=True))
    eigvals, eigvecs = np.linalg.eigh(cov)
    top = eigvecs[:, np.argsort(eigvals)[::-1][:k]]
    return (X_train - mean) @ top, (X_other - mean) @ top
'''),
    ],
    "whiten": [
        ("SVD of the centered data, singular values padded with zeros", '''
def whiten(X_train, X_other, eps=1e-5):
    X_train, X_other = np.asarray(X_train, dtype=float), np.asarray(X_other, dtype=float)
    n, d = X_train.shape
    mean = X_train.mean(axis=0)
    _, sv, vt = np.linalg.svd(X_train - mean, full_matrices=True)
    variances = np.zeros(d)
    variances[:len(sv)] = sv ** 2 / n
    scale = np.sqrt(variances + eps)
    return (X_train - mean) @ vt.T / scale, (X_other - mean) @ vt.T / scale
'''),
        ("np.cov(bias=True), eigh, whitening matrix built once", '''
def whiten(X_train, X_other, eps=1e-5):
    mean = np.mean(X_train, axis=0)
    eigvals, eigvecs = np.linalg.eigh(np.atleast_2d(np.cov(X_train, rowvar=False, bias=True)))
    order = np.argsort(eigvals)[::-1]
    W = eigvecs[:, order] / np.sqrt(eigvals[order] + eps)
    return (X_train - mean) @ W, (X_other - mean) @ W
'''),
    ],
    "preprocessor": [
        ("float64 copy, keepdims statistics in a dict", '''
class Preprocessor:
    def __init__(self, method="standardize", per_channel=False):
        self.method = method
        self.per_channel = per_channel

    def fit(self, X):
        X = np.asarray(X, dtype=np.float64)
        axes = tuple(range(X.ndim - 1)) if self.per_channel else (0,)
        std = np.std(X, axis=axes, keepdims=True)
        self.stats = {"mean": np.mean(X, axis=axes, keepdims=True), "std": np.where(std < 1e-8, 1.0, std)}
        return self

    def transform(self, X):
        if getattr(self, "stats", None) is None:
            raise RuntimeError("call fit first")
        out = np.asarray(X, dtype=np.float64) - self.stats["mean"]
        return out if self.method == "center" else out / self.stats["std"]
'''),
    ],
}

_THRESHOLD = "`<` vs `<=` at the 1e-8 guard: a std (range) of exactly 1e-8 is left open by the docstring"
EQUIVALENT_MUTANTS = {
    "standardize": {'std = np.where(std < 1e-8, 1.0, std): < -> <=': _THRESHOLD},
    "minmax_scale": {'span = np.where(span < 1e-8, 1.0, span): < -> <=': _THRESHOLD},
    "pca_reduce": {'cov = centered.T @ centered / len(X_train): / -> *': "scaling the covariance (by N^2 instead of 1/N) changes neither its eigenvectors nor their order"},
    "preprocessor": {'self.std = np.where(std < 1e-8, 1.0, std): < -> <=': _THRESHOLD},
}
