"""Do the augmentations of lecture 08 transform images as documented, and does the preview redraw?"""
import numpy as np
import pytest
from scipy import ndimage

from trainlab import augment, widgets

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _batch(n=3, h=5, w=7, c=3, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c))


def test_horizontal_flip_reverses_width_only():
    """Does the flip reverse axis 2 only, and is flipping twice the identity?"""
    X = _batch()
    assert np.array_equal(augment.horizontal_flip(X), X[:, :, ::-1, :])
    assert np.array_equal(augment.horizontal_flip(augment.horizontal_flip(X)), X)


def test_random_horizontal_flip_flips_about_half():
    """Does each image flip with probability p, independently?"""
    X = _batch(n=2000, h=2, w=3, c=1)
    out = augment.random_horizontal_flip(X, np.random.default_rng(0), p=0.5)
    flipped = np.array([np.array_equal(o, x[:, ::-1]) for o, x in zip(out, X)])
    assert abs(flipped.mean() - 0.5) < 0.05
    assert all(np.array_equal(o, x) for o, x, f in zip(out, X, flipped) if not f)


def test_random_crop_windows_and_offsets():
    """Are crops windows of the zero-padded image, with every offset (inclusive) drawn?"""
    n = 400
    X = np.arange(1, 10, dtype=float).reshape(1, 3, 3, 1) + 10 * np.arange(n).reshape(n, 1, 1, 1)
    out = augment.random_crop(X, 3, padding=1, rng=np.random.default_rng(0))
    padded = np.pad(X, ((0, 0), (1, 1), (1, 1), (0, 0)))
    offsets = {next((t, l) for t in range(3) for l in range(3) if np.array_equal(out[i], padded[i, t:t + 3, l:l + 3]))
               for i in range(n)}
    assert offsets == {(t, l) for t in range(3) for l in range(3)}
    with pytest.raises(ValueError, match="exceeds"):
        augment.random_crop(X, 6, padding=1)


def test_resize_matches_torch_bilinear():
    """Is resize torch's bilinear interpolation with align_corners=False (up and down)?"""
    torch = pytest.importorskip("torch")
    image = _batch(n=1, h=9, w=13)[0]
    for size in ((4, 6), (20, 17)):
        expected = torch.nn.functional.interpolate(torch.tensor(image).permute(2, 0, 1)[None], size=size,
                                                   mode="bilinear", align_corners=False)[0].permute(1, 2, 0).numpy()
        assert np.allclose(augment.resize(image, size), expected)
    assert np.allclose(augment.resize(image, (9, 13)), image)


def test_random_resized_crop_boxes():
    """Are the boxes inside the image with area in scale and aspect in ratio, and the output their resize?"""
    X = _batch(n=500, h=40, w=50, c=2)
    out, boxes = augment.random_resized_crop(X, 8, scale=(0.2, 0.5), ratio=(0.5, 2.0), rng=np.random.default_rng(1))
    assert out.shape == (500, 8, 8, 2) and boxes.shape == (500, 4)
    t, l, h, w = boxes.T
    assert np.all((t >= 0) & (l >= 0) & (t + h <= 40) & (l + w <= 50))
    area, aspect = h * w / 2000, w / h
    assert area.min() > 0.18 and area.max() < 0.52 and aspect.min() > 0.45 and aspect.max() < 2.2
    assert abs(np.log(aspect).mean()) < 0.1   # log-uniform
    assert np.allclose(out[0], augment.resize(X[0, t[0]:t[0] + h[0], l[0]:l[0] + w[0]], (8, 8)))
    _, fallback = augment.random_resized_crop(X[:2], 8, scale=(1.0, 1.0), ratio=(3.0, 3.0), rng=np.random.default_rng(2))
    assert np.array_equal(fallback, [[0, 0, 40, 50]] * 2)


@pytest.mark.parametrize("mode, scipy_mode", list(augment.NDIMAGE_MODES.items()))
def test_rotate_per_image_and_fill_modes(mode, scipy_mode):
    """Does rotate turn each image in its (H, W) plane, counter-clockwise, with the fill mode's values?"""
    X = _batch(n=2, h=6, w=6)
    assert np.allclose(augment.rotate(X, 90.0, mode), np.rot90(X, 1, axes=(1, 2)))
    expected = np.stack([ndimage.rotate(x, 25.0, axes=(0, 1), reshape=False, order=1, mode=scipy_mode, cval=0.3) for x in X])
    assert np.allclose(augment.rotate(X, 25.0, mode, cval=0.3), expected)


def test_wrap_is_periodic():
    """Is the wrap mode np.roll (scipy's grid-wrap), not scipy's n - 1 periodic 'wrap'?"""
    X = _batch(n=1, h=6, w=6, c=1)
    assert np.allclose(augment.translate(X, (2, -3), "wrap"), np.roll(X, (2, -3), axis=(1, 2)))
    assert np.allclose(augment.rotate(X, 180.0, "wrap"), X[:, ::-1, ::-1])


@pytest.mark.parametrize("mode", ["constant", "nearest", "reflect", "wrap"])
@pytest.mark.parametrize("shift", [(1, 2), (-2, 3), (0, -4)])
def test_translate_matches_scipy_shift(mode, shift):
    """Is translate scipy.ndimage.shift by whole pixels with the same fill mode?"""
    X = _batch(n=2, h=5, w=6)
    expected = ndimage.shift(X, (0, *shift, 0), order=0, mode=augment.NDIMAGE_MODES[mode], cval=0.7)
    assert np.allclose(augment.translate(X, shift, mode, cval=0.7), expected)


def test_unknown_fill_mode_is_rejected():
    """Does an unknown fill mode fail with the list of modes?"""
    with pytest.raises(ValueError, match="reflect"):
        augment.translate(_batch(), (1, 1), "mirror")


def test_random_rotate_and_translate_keep_shape():
    """Do the random versions draw one transformation per image and keep the shape?"""
    X = _batch(n=4)
    assert augment.random_rotate(X, 20.0, rng=np.random.default_rng(0)).shape == X.shape
    out = augment.random_translate(X, 2, rng=np.random.default_rng(0))
    assert out.shape == X.shape and not np.array_equal(out, X)


def test_color_jitter_factors_per_image():
    """Is brightness multiplicative and contrast mean-preserving, per image, clipped to [0, 1]?"""
    rng = np.random.default_rng(3)
    X = rng.uniform(0.3, 0.6, (100, 3, 4, 3))
    out = augment.color_jitter(X, brightness=0.3, rng=rng)
    ratio = (out / X).reshape(100, -1)
    assert np.allclose(ratio, ratio[:, :1]) and ratio[:, 0].std() > 0.05
    out = augment.color_jitter(X, contrast=0.3, rng=rng)
    assert np.allclose(out.mean(axis=(1, 2, 3)), X.mean(axis=(1, 2, 3)))
    assert augment.color_jitter(np.ones((5, 2, 2, 3)), 0.5, 0.5, rng).max() <= 1.0
    assert np.allclose(augment.adjust_brightness_contrast(X, 1.0, 1.0), X)


def test_fit_pca_color_and_augment():
    """Are the PCA eigenpairs of the pixel covariance descending, and is the shift eigvecs @ (alpha * lambda) per image?"""
    rng = np.random.default_rng(4)
    X = rng.random((20, 4, 4, 3)) @ np.array([[1.0, 0.8, 0.6], [0.0, 0.3, 0.2], [0.0, 0.0, 0.1]])
    eigvals, eigvecs = augment.fit_pca_color(X)
    cov = np.cov(X.reshape(-1, 3), rowvar=False)
    assert np.all(np.diff(eigvals) <= 0) and np.allclose(cov @ eigvecs, eigvecs * eigvals)
    out = augment.pca_color_augment(X, eigvals, eigvecs, 0.1, np.random.default_rng(5))
    shift = (out - X).reshape(20, 16, 3)
    assert np.allclose(shift, shift[:, :1])
    alphas = np.random.default_rng(5).normal(0.0, 0.1, size=(20, 3))
    assert np.allclose(shift[:, 0], (alphas * eigvals) @ eigvecs.T)


def test_gaussian_noise_statistics():
    """Does the noise have the given std, zero mean, and leave X unchanged?"""
    X = np.zeros((100, 10, 10, 3))
    out = augment.gaussian_noise(X, 0.3, np.random.default_rng(6))
    assert abs(out.std() - 0.3) < 0.01 and abs(out.mean()) < 0.01 and not X.any()


def test_cutout_squares():
    """Is one S x S square (clipped at the border) filled per image, in all channels?"""
    out = augment.cutout(np.ones((300, 9, 9, 2)), 4, np.random.default_rng(7))
    filled = (out == 0).all(axis=-1)
    sizes = filled.sum(axis=(1, 2))
    assert sizes.max() == 16 and sizes.min() == 4 and np.all((out == 0) == filled[..., None])


def _single_ops(X, magnitude):
    """Every result one signed RandAugment operation (no randomness) can give, per op: {(op, sign): images}."""
    _, h, w, _ = X.shape
    sx, sy = round(0.3 * magnitude * w), round(0.3 * magnitude * h)
    out = {("identity", 0): X}
    for sign in (-1, 1):
        out["translate_x", sign] = augment.translate(X, (0, sign * sx))
        out["translate_y", sign] = augment.translate(X, (sign * sy, 0))
        out["rotate", sign] = augment.rotate(X, sign * 30.0 * magnitude)
        out["brightness", sign] = augment.adjust_brightness_contrast(X, 1 + sign * 0.9 * magnitude, 1.0)
        out["contrast", sign] = augment.adjust_brightness_contrast(X, 1.0, 1 + sign * 0.9 * magnitude)
    return out


def test_rand_augment_one_uniform_op_per_image():
    """With N = 1, is every image one operation of its own, drawn uniformly, with either sign, image by image?"""
    ops = ("identity", "translate_x", "translate_y", "rotate", "brightness", "contrast")
    X = np.random.default_rng(0).uniform(0.2, 0.6, (4, 6, 7, 3))
    before = X.copy()
    candidates = _single_ops(X, 0.5)
    counts = [dict.fromkeys(candidates, 0) for _ in range(len(X))]
    same = 0
    for seed in range(300):
        out = augment.rand_augment(X, 1, 0.5, np.random.default_rng(seed), ops=ops)
        assert out.shape == X.shape and out.dtype == np.float64
        picked = []
        for i in range(len(X)):
            found = [key for key, images in candidates.items() if np.allclose(out[i], images[i], rtol=0, atol=1e-12)]
            assert len(found) == 1, f"seed {seed}: image {i} is not exactly one operation of image {i}: {found}"
            counts[i][found[0]] += 1
            picked.append(found[0][0])
        same += picked[0] == picked[1]
    assert np.array_equal(X, before), "X was modified"
    for i in range(len(X)):
        per_op = {op: sum(c for (name, _), c in counts[i].items() if name == op) for op in ops}
        assert all(abs(c / 300 - 1 / 6) < 0.07 for c in per_op.values()), (i, per_op)
        assert all(c > 0 for c in counts[i].values()), (i, counts[i])  # both signs of every op
    assert same < 100, f"images 0 and 1 got the same operation in {same} of 300 calls: draw per image"


def test_rand_augment_applies_n_ops_in_turn():
    """With N = 2 shifts of one pixel (wrap), is every image shifted by -2, 0 or +2 with probabilities 1/4, 1/2, 1/4?"""
    X = np.random.default_rng(1).random((200, 3, 5, 1))
    magnitude = 1 / 1.5  # round(0.3 * m * 5) = 1 pixel
    counts = {-2: 0, 0: 0, 2: 0}
    for seed in range(3):
        out = augment.rand_augment(X, 2, magnitude, np.random.default_rng(seed), ops=("translate_x",), fill_mode="wrap")
        for i in range(len(X)):
            found = [d for d in counts if np.array_equal(out[i], np.roll(X[i], d, axis=1))]
            assert len(found) == 1, f"seed {seed}: image {i} is not its own image shifted by two one-pixel shifts"
            counts[found[0]] += 1
    assert abs(counts[0] / 600 - 0.5) < 0.07 and abs(counts[2] / 600 - 0.25) < 0.06, counts


def test_rand_augment_cutout_noise_and_identity():
    """Is cutout one clipped square per image, noise of std 0.2 m, and magnitude 0 or N = 0 the identity?"""
    out = augment.rand_augment(np.ones((300, 10, 10, 2)), 1, 1.0, np.random.default_rng(2), ops=("cutout",))
    filled = (out == 0).all(axis=-1)
    sizes = filled.sum(axis=(1, 2))
    assert sizes.max() == 25 and sizes.min() == 9 and np.all((out == 0) == filled[..., None])  # side round(0.5 * 10)
    X = np.full((50, 12, 12, 1), 0.5)
    noise = augment.rand_augment(X, 1, 0.5, np.random.default_rng(3), ops=("noise",)) - X
    assert np.all(np.abs(noise.reshape(50, -1).std(axis=1) - 0.1) < 0.02)
    X = np.random.default_rng(4).uniform(0.1, 0.9, (20, 6, 6, 3))
    for n, magnitude in ((0, 1.0), (3, 0.0)):
        assert np.allclose(augment.rand_augment(X, n, magnitude, np.random.default_rng(5)), X, rtol=0, atol=1e-12)
    a = augment.rand_augment(X, 2, 0.7, np.random.default_rng(6))
    assert np.array_equal(a, augment.rand_augment(X, 2, 0.7, np.random.default_rng(6)))
    assert not np.allclose(a, X)


@pytest.mark.parametrize("kwargs", [{"ops": ("identity", "shear")}, {"ops": ()}, {"magnitude": 1.5},
                                    {"magnitude": -0.1}, {"n": -1}, {"fill_mode": "mirror"}])
def test_rand_augment_rejects_bad_arguments(kwargs):
    """Are unknown operations, magnitudes outside [0, 1], negative N and unknown fill modes rejected?"""
    args = {"n": 1, "magnitude": 0.5, **kwargs}
    with pytest.raises(ValueError):
        augment.rand_augment(_batch(), args.pop("n"), args.pop("magnitude"), np.random.default_rng(0), **args)


def test_mixup_mixes_images_and_labels_alike():
    """Are the images and the one-hot labels the same convex combination of the same pair?"""
    n = 50
    X = np.eye(n).reshape(n, n, 1, 1)
    y = np.arange(n) % 5
    X_mix, targets = augment.mixup(X, y, 5, alpha=0.4, rng=np.random.default_rng(8))
    weights = X_mix.reshape(n, n)
    assert np.allclose(weights.sum(axis=1), 1) and np.allclose(targets.sum(axis=1), 1)
    expected = weights @ np.eye(5)[y]
    assert np.allclose(targets, expected)


def test_ten_crops_and_prediction():
    """Are the ten crops the corners, the floor-centred centre and their mirrors, and is TTA their mean?"""
    X = _batch(n=2, h=7, w=9, c=1)
    crops = augment.ten_crops(X, 4)
    assert crops.shape == (10, 2, 4, 4, 1)
    assert np.array_equal(crops[1], X[:, :4, 5:]) and np.array_equal(crops[4], X[:, 1:5, 2:6])
    assert np.array_equal(crops[5:], crops[:5, :, :, ::-1])
    mean_fn = lambda c: c.reshape(len(c), -1).mean(axis=1, keepdims=True)  # noqa: E731
    assert np.allclose(augment.ten_crop_predict(mean_fn, X, 4), np.mean([mean_fn(c) for c in crops], axis=0))
    assert np.allclose(augment.ten_crop_predict(mean_fn, X, 4, flip=False), np.mean([mean_fn(c) for c in crops[:5]], axis=0))
    assert np.array_equal(augment.center_crop(X, 4), crops[4])


def test_augmentation_explorer_draws_and_redraws():
    """Does the preview draw its default view at build time and redraw when a control changes?"""
    images = {"a": _batch(n=1, h=20, w=30)[0], "b": _batch(n=1, h=16, w=16, c=1, seed=1)[0]}
    explorer = widgets.augmentation_explorer(images, angle=10.0)
    image = explorer.widget.children[-1]
    assert bytes(image.value).startswith(PNG_MAGIC)
    assert explorer.state["augmented"].shape == (20, 30, 3)
    for name, value in [("flip", True), ("shift_x", 3), ("fill_mode", "wrap"), ("brightness", 1.5),
                        ("noise_std", 0.1), ("cutout_size", 5), ("image", "b")]:
        before = bytes(image.value)
        explorer.controls[name].value = value
        assert bytes(image.value) != before, f"changing {name} did not redraw"
    assert explorer.state["augmented"].shape == (16, 16, 1)
    # shifts and cutout follow the image's size (30 -> 16 pixels): a photo's settings would hide a small image
    assert (explorer.controls["shift_x"].value, explorer.controls["cutout_size"].value) == (2, 3)
    assert explorer.controls["cutout_size"].max == 8 and explorer.controls["shift_x"].max == 5
    expected = widgets.augment_one(images["b"], flip=True, angle=10.0, shift_x=2, fill_mode="wrap", brightness=1.5,
                                   noise_std=0.1, cutout_size=3)
    assert np.allclose(explorer.state["augmented"], expected)
    with pytest.raises(ValueError, match="angle"):
        widgets.augmentation_explorer(images, rotation=5)
