"""Data augmentation for image batches of shape (N, H, W, C), values usually in [0, 1].

Random functions take an ``rng`` (a ``numpy.random.Generator``) so that results are
reproducible; each image of a batch gets its own random draw. Geometry uses numpy, and
``scipy.ndimage`` for rotation.
"""
import numpy as np
from scipy import ndimage

# fill modes: our name -> np.pad mode (integer shifts) and scipy.ndimage mode (rotation).
# scipy's own "wrap" treats the first and last pixel as the same point (period n - 1);
# "grid-wrap" is the periodic extension a b c d | a b c d that np.roll gives.
PAD_MODES = {"constant": "constant", "nearest": "edge", "reflect": "symmetric", "wrap": "wrap"}
NDIMAGE_MODES = {"constant": "constant", "nearest": "nearest", "reflect": "reflect", "wrap": "grid-wrap"}


def _check_fill_mode(fill_mode):
    if fill_mode not in PAD_MODES:
        raise ValueError(f"unknown fill_mode {fill_mode!r}; choose one of {sorted(PAD_MODES)}")


def _rng(rng):
    return rng if rng is not None else np.random.default_rng()


# --------------------------------------------------------------------------- geometry


def horizontal_flip(X):
    """Mirror every image left-right (the width axis).

    Args:
        X: (N, H, W, C) images.
    Returns:
        (N, H, W, C) flipped copy.
    """
    return X[:, :, ::-1, :].copy()


def random_horizontal_flip(X, rng=None, p=0.5):
    """Flip each image left-right with probability p.

    Returns:
        (N, H, W, C) images (a new array).
    """
    flip = _rng(rng).random(len(X)) < p
    out = X.copy()
    out[flip] = out[flip][:, :, ::-1, :]
    return out


def random_crop(X, crop_size, padding=0, rng=None):
    """Pad every image with zeros, then cut a random crop_size x crop_size window from each.

    Every offset 0 .. H + 2 * padding - crop_size (inclusive) is equally likely.

    Args:
        X: (N, H, W, C) images.
        crop_size: side of the square crop.
        padding: zeros added on each side first.
        rng: numpy Generator.
    Returns:
        (N, crop_size, crop_size, C) crops.
    """
    rng = _rng(rng)
    n, h, w, _ = X.shape
    padded = np.pad(X, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    if crop_size > h + 2 * padding or crop_size > w + 2 * padding:
        raise ValueError(f"crop_size {crop_size} exceeds the padded image {h + 2 * padding}x{w + 2 * padding}")
    tops = rng.integers(0, h + 2 * padding - crop_size + 1, size=n)
    lefts = rng.integers(0, w + 2 * padding - crop_size + 1, size=n)
    return np.stack([padded[i, t:t + crop_size, l:l + crop_size] for i, (t, l) in enumerate(zip(tops, lefts))])


def resize(image, size):
    """Bilinear resize of one image with half-pixel centres (as PIL and torch's align_corners=False).

    Args:
        image: (H, W, C) image.
        size: (out_h, out_w).
    Returns:
        (out_h, out_w, C) float image.
    """
    h, w = image.shape[:2]
    out_h, out_w = size

    def coords(n_out, n_in):
        src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, src - lo

    y0, y1, wy = coords(out_h, h)
    x0, x1, wx = coords(out_w, w)
    wy, wx = wy[:, None, None], wx[None, :, None]
    top = image[y0][:, x0] * (1 - wx) + image[y0][:, x1] * wx
    bottom = image[y1][:, x0] * (1 - wx) + image[y1][:, x1] * wx
    return top * (1 - wy) + bottom * wy


def sample_resized_crop_box(height, width, scale, ratio, rng):
    """One box (top, left, h, w) of the Inception-style random resized crop.

    The area is a uniform fraction ``scale`` of the image, the aspect ratio w / h is
    log-uniform in ``ratio``; after 10 failed tries (box larger than the image) the whole
    image is used.
    """
    area = height * width
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
        w = int(round(np.sqrt(target * aspect)))
        h = int(round(np.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = int(rng.integers(0, height - h + 1))
            left = int(rng.integers(0, width - w + 1))
            return top, left, h, w
    return 0, 0, height, width


def random_resized_crop(X, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), rng=None):
    """Random crop of random area and aspect ratio, resized to size x size (GoogLeNet/Inception).

    Args:
        X: (N, H, W, C) images.
        size: side of the square output.
        scale: range of the crop's area as a fraction of the image's area.
        ratio: range of the aspect ratio w / h (sampled log-uniformly).
        rng: numpy Generator.
    Returns:
        out: (N, size, size, C) resized crops.
        boxes: (N, 4) int array of (top, left, h, w), one box per image.
    """
    rng = _rng(rng)
    n, height, width, _ = X.shape
    boxes = np.array([sample_resized_crop_box(height, width, scale, ratio, rng) for _ in range(n)])
    out = np.stack([resize(X[i, t:t + h, l:l + w], (size, size)) for i, (t, l, h, w) in enumerate(boxes)])
    return out, boxes


def rotate(X, angle, fill_mode="constant", cval=0.0, order=1):
    """Rotate every image counter-clockwise by ``angle`` degrees about its centre, keeping its size.

    Args:
        X: (N, H, W, C) images.
        angle: degrees (one angle for the batch).
        fill_mode: "constant" (cval), "nearest", "reflect" or "wrap" for pixels coming from outside.
        cval: fill value of the constant mode.
        order: spline order (1: bilinear).
    Returns:
        (N, H, W, C) rotated images.
    """
    _check_fill_mode(fill_mode)
    # axes (1, 2) = the (H, W) plane of each image; reshape=False keeps H x W
    return ndimage.rotate(X, angle, axes=(1, 2), reshape=False, order=order,
                          mode=NDIMAGE_MODES[fill_mode], cval=cval)


def random_rotate(X, max_angle, fill_mode="constant", cval=0.0, rng=None):
    """Rotate each image by its own angle, uniform in [-max_angle, max_angle] degrees."""
    angles = _rng(rng).uniform(-max_angle, max_angle, size=len(X))
    return np.concatenate([rotate(X[i:i + 1], a, fill_mode, cval) for i, a in enumerate(angles)])


def translate(X, shift, fill_mode="constant", cval=0.0):
    """Shift every image by whole pixels: out[:, y, x] = X[:, y - dy, x - dx].

    Positive dy moves the content down, positive dx to the right. Pixels that come from
    outside the image are filled according to fill_mode: "constant" (cval), "nearest"
    (edge pixel), "reflect" (mirror including the edge: d c b a | a b c d) or "wrap"
    (periodic: a b c d | a b c d).

    Args:
        X: (N, H, W, C) images.
        shift: (dy, dx) integers.
    Returns:
        (N, H, W, C) shifted images.
    """
    _check_fill_mode(fill_mode)
    dy, dx = int(shift[0]), int(shift[1])
    _, h, w, _ = X.shape
    pad_y, pad_x = abs(dy), abs(dx)
    widths = ((0, 0), (pad_y, pad_y), (pad_x, pad_x), (0, 0))
    if fill_mode == "constant":
        padded = np.pad(X, widths, mode="constant", constant_values=cval)
    else:
        padded = np.pad(X, widths, mode=PAD_MODES[fill_mode])
    # padded[pad + i] = X[i], so out[y] = X[y - dy] = padded[pad - dy + y]
    return padded[:, pad_y - dy:pad_y - dy + h, pad_x - dx:pad_x - dx + w].copy()


def random_translate(X, max_shift, fill_mode="constant", cval=0.0, rng=None):
    """Shift each image by its own (dy, dx), each uniform in -max_shift .. max_shift."""
    shifts = _rng(rng).integers(-max_shift, max_shift + 1, size=(len(X), 2))
    return np.concatenate([translate(X[i:i + 1], s, fill_mode, cval) for i, s in enumerate(shifts)])


# --------------------------------------------------------------------------- photometric


def color_jitter(X, brightness=0.0, contrast=0.0, rng=None):
    """Random brightness, then contrast, one factor of each per image; result clipped to [0, 1].

    Brightness multiplies the image by b ~ U(1 - brightness, 1 + brightness); contrast
    scales the deviations from the image's mean (over H, W and C) by c ~ U(1 - contrast,
    1 + contrast).

    Args:
        X: (N, H, W, C) images in [0, 1].
        brightness, contrast: jitter strengths in [0, 1).
        rng: numpy Generator.
    Returns:
        (N, H, W, C) images in [0, 1].
    """
    rng = _rng(rng)
    n = len(X)
    b = rng.uniform(1 - brightness, 1 + brightness, size=n)
    c = rng.uniform(1 - contrast, 1 + contrast, size=n)
    return adjust_brightness_contrast(X, b, c)


def adjust_brightness_contrast(X, brightness_factor, contrast_factor):
    """Multiply by the brightness factor, then scale deviations from the image mean; clip to [0, 1].

    Args:
        X: (N, H, W, C) images in [0, 1].
        brightness_factor, contrast_factor: scalars or (N,) arrays, one factor per image.
    Returns:
        (N, H, W, C) images in [0, 1].
    """
    b = np.broadcast_to(np.asarray(brightness_factor, dtype=float), (len(X),)).reshape(-1, 1, 1, 1)
    c = np.broadcast_to(np.asarray(contrast_factor, dtype=float), (len(X),)).reshape(-1, 1, 1, 1)
    out = X * b
    mean = out.mean(axis=(1, 2, 3), keepdims=True)  # both steps are linear: their order does not matter
    return np.clip((out - mean) * c + mean, 0.0, 1.0)


def fit_pca_color(X):
    """Principal components of the RGB pixel values of a training set (AlexNet's "fancy PCA").

    Args:
        X: (N, H, W, 3) training images.
    Returns:
        eigvals: (3,) eigenvalues of the 3x3 pixel covariance (np.cov convention), descending.
        eigvecs: (3, 3) matching unit eigenvectors as columns.
    """
    pixels = X.reshape(-1, X.shape[-1]).astype(np.float64)
    eigvals, eigvecs = np.linalg.eigh(np.cov(pixels, rowvar=False))
    order = np.argsort(eigvals)[::-1]  # eigh sorts ascending
    return eigvals[order], eigvecs[:, order]


def pca_color_augment(X, eigvals, eigvecs, alpha_std=0.1, rng=None):
    """Add sum_k alpha_k * lambda_k * p_k to every pixel of an image, alpha_k ~ N(0, alpha_std).

    One alpha (3,) per image (Krizhevsky et al., 2012): the same colour shift for all of
    its pixels, along the principal axes of the training set's colours, scaled by the
    eigenvalues. No clipping.

    Args:
        X: (N, H, W, 3) images.
        eigvals: (3,) from fit_pca_color.
        eigvecs: (3, 3) from fit_pca_color (columns).
        alpha_std: standard deviation of the alphas.
        rng: numpy Generator.
    Returns:
        (N, H, W, 3) shifted images.
    """
    alphas = _rng(rng).normal(0.0, alpha_std, size=(len(X), len(eigvals)))
    shifts = (alphas * eigvals) @ eigvecs.T  # (N, 3): eigvecs @ (alpha * lambda) per image
    return X + shifts[:, None, None, :]


def gaussian_noise(X, std, rng=None):
    """Add independent N(0, std^2) noise to every value (no clipping). Returns a new array."""
    return X + std * _rng(rng).standard_normal(X.shape)


def cutout(X, size, rng=None, fill=0.0):
    """Cutout (DeVries & Taylor, 2017): fill one size x size square per image.

    The square's centre is a uniformly random pixel; the square is clipped at the image
    border, so near the border less than size x size pixels are filled.

    Args:
        X: (N, H, W, C) images.
        size: side of the square.
        rng: numpy Generator.
        fill: value written into the square (all channels).
    Returns:
        (N, H, W, C) images (a new array).
    """
    rng = _rng(rng)
    n, h, w, _ = X.shape
    out = X.copy()
    centres_y, centres_x = rng.integers(0, h, size=n), rng.integers(0, w, size=n)
    for i, (cy, cx) in enumerate(zip(centres_y, centres_x)):
        top, left = cy - size // 2, cx - size // 2
        out[i, max(top, 0):max(top + size, 0), max(left, 0):max(left + size, 0), :] = fill
    return out


# --------------------------------------------------------------------------- policies

# RandAugment's operations and the strength of each at magnitude 1 (a magnitude m in [0, 1]
# scales it linearly; the paper's M on its 0..10 scale is m = M / 10).
RAND_AUGMENT_MAX = {
    "identity": None,
    "translate_x": 0.3,   # shift by round(0.3 m W) pixels, left or right
    "translate_y": 0.3,   # shift by round(0.3 m H) pixels, up or down
    "rotate": 30.0,       # rotate by 30 m degrees, either way
    "brightness": 0.9,    # multiply by 1 + 0.9 m or 1 - 0.9 m, clip to [0, 1]
    "contrast": 0.9,      # scale the deviations from the image mean by 1 +- 0.9 m, clip to [0, 1]
    "cutout": 0.5,        # fill one square of side round(0.5 m min(H, W)) at a random centre
    "noise": 0.2,         # add N(0, (0.2 m)^2) noise to every value
}
RAND_AUGMENT_OPS = tuple(RAND_AUGMENT_MAX)


def _by_sign(X, signs, fn):
    """fn(X[signs == s], s) for s = -1 and +1, put back in place (signs: (N,) of +-1)."""
    out = np.empty_like(X)
    for sign in (-1, 1):
        chosen = signs == sign
        if chosen.any():
            out[chosen] = fn(X[chosen], sign)
    return out


def _policy_op(op, X, magnitude, signs, rng, fill_mode, cval):
    """One RandAugment operation at one magnitude on a batch, each image with its own sign."""
    _, h, w, _ = X.shape
    strength = RAND_AUGMENT_MAX[op]
    if op == "identity":
        return X
    if op == "translate_x":
        s = int(round(strength * magnitude * w))
        return _by_sign(X, signs, lambda part, sign: translate(part, (0, sign * s), fill_mode, cval))
    if op == "translate_y":
        s = int(round(strength * magnitude * h))
        return _by_sign(X, signs, lambda part, sign: translate(part, (sign * s, 0), fill_mode, cval))
    if op == "rotate":
        return _by_sign(X, signs, lambda part, sign: rotate(part, sign * strength * magnitude, fill_mode, cval))
    if op == "brightness":
        return adjust_brightness_contrast(X, 1 + signs * strength * magnitude, 1.0)
    if op == "contrast":
        return adjust_brightness_contrast(X, 1.0, 1 + signs * strength * magnitude)
    if op == "cutout":
        return cutout(X, int(round(strength * magnitude * min(h, w))), rng, fill=cval)
    return gaussian_noise(X, strength * magnitude, rng)  # "noise"


def rand_augment(X, n, magnitude, rng=None, ops=RAND_AUGMENT_OPS, fill_mode="constant", cval=0.0):
    """RandAugment (Cubuk et al., 2020): n operations per image, drawn uniformly, all at one magnitude.

    Every image gets its own n operations, each drawn uniformly from ``ops`` with replacement
    (the same one may come twice; "identity" makes fewer changes possible) and applied in the
    order drawn, and for the signed ones its own direction (left or right, clockwise or not,
    brighter or darker). The strength of every operation is ``magnitude`` times its maximum in
    ``RAND_AUGMENT_MAX`` (magnitude 0: every operation is the identity). The order in which
    ``rng`` is drawn from is not part of the contract.

    Args:
        X: (N, H, W, C) images in [0, 1] (not modified).
        n: number of operations per image, >= 0.
        magnitude: global strength m in [0, 1] (the paper's M on its 0..10 scale is M / 10).
        rng: numpy Generator.
        ops: names from RAND_AUGMENT_OPS to draw from (e.g. leave out what changes your labels).
        fill_mode, cval: how translate and rotate fill pixels from outside, as in translate;
            cval is also cutout's fill value.
    Returns:
        (N, H, W, C) float images.
    """
    unknown = [op for op in ops if op not in RAND_AUGMENT_MAX]
    if unknown or not ops:
        raise ValueError(f"unknown or no operations {unknown}; choose from {list(RAND_AUGMENT_OPS)}")
    if not 0 <= magnitude <= 1:
        raise ValueError(f"magnitude must be in [0, 1], got {magnitude}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    _check_fill_mode(fill_mode)
    rng = _rng(rng)
    out = np.array(X, dtype=float)
    choices = rng.integers(0, len(ops), size=(len(out), n))
    signs = rng.choice(np.array([-1, 1]), size=(len(out), n))
    for k in range(n):  # the k-th operation of every image, grouped by operation
        for j, op in enumerate(ops):
            chosen = np.flatnonzero(choices[:, k] == j)
            if chosen.size:
                out[chosen] = _policy_op(op, out[chosen], magnitude, signs[chosen, k], rng, fill_mode, cval)
    return out


# --------------------------------------------------------------------------- labels and tests


def mixup(X, y, num_classes, alpha=0.2, rng=None):
    """Mixup (Zhang et al., 2018): convex combinations of pairs of examples and of their labels.

    Each example i is mixed with example perm[i] of a random permutation, with its own
    lam_i ~ Beta(alpha, alpha): x = lam_i x_i + (1 - lam_i) x_perm[i], the same for the
    one-hot labels.

    Args:
        X: (N, ...) inputs.
        y: (N,) integer labels.
        num_classes: K.
        alpha: Beta parameter; small alpha keeps most lam near 0 or 1.
        rng: numpy Generator.
    Returns:
        X_mix: shaped like X.
        targets: (N, K) soft labels; each row sums to 1.
    """
    rng = _rng(rng)
    n = len(X)
    lam = rng.beta(alpha, alpha, size=n)
    perm = rng.permutation(n)
    onehot = np.eye(num_classes)[np.asarray(y)]
    lam_x = lam.reshape((n,) + (1,) * (X.ndim - 1))
    X_mix = lam_x * X + (1 - lam_x) * X[perm]
    targets = lam[:, None] * onehot + (1 - lam[:, None]) * onehot[perm]
    return X_mix, targets


def ten_crops(X, crop_size):
    """The four corner crops and the centre crop, then the same five mirrored left-right.

    The centre crop starts at ((H - crop_size) // 2, (W - crop_size) // 2).

    Args:
        X: (N, H, W, C) images.
        crop_size: side of the square crops.
    Returns:
        (10, N, crop_size, crop_size, C): top-left, top-right, bottom-left, bottom-right,
        centre, and their flips in the same order.
    """
    _, h, w, _ = X.shape
    s = crop_size
    top, left = (h - s) // 2, (w - s) // 2
    five = [X[:, :s, :s], X[:, :s, w - s:], X[:, h - s:, :s], X[:, h - s:, w - s:], X[:, top:top + s, left:left + s]]
    return np.stack(five + [crop[:, :, ::-1] for crop in five])


def ten_crop_predict(predict_fn, X, crop_size, flip=True):
    """Test-time augmentation: average predict_fn over the ten crops (or the five unflipped ones).

    Args:
        predict_fn: maps (M, crop_size, crop_size, C) images to (M, K) class probabilities.
        X: (N, H, W, C) images.
        crop_size: side of the crops.
        flip: also use the mirrored crops (False for data where a mirror changes the meaning).
    Returns:
        (N, K) averaged predictions.
    """
    crops = ten_crops(X, crop_size)
    if not flip:
        crops = crops[:5]
    return np.mean([predict_fn(crop) for crop in crops], axis=0)


def center_crop(X, crop_size):
    """The centre crop_size x crop_size window of every image (the single-crop test view)."""
    _, h, w, _ = X.shape
    top, left = (h - crop_size) // 2, (w - crop_size) // 2
    return X[:, top:top + crop_size, left:left + crop_size].copy()
