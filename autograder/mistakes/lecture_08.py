"""Typical wrong answers for lecture 08 (data augmentation).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
"""

_RRC_HEAD = '''
def random_resized_crop(X, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n, height, width, _ = X.shape
    boxes = []
    for _ in range(n):
        box = (0, 0, height, width)
        for _ in range(10):
'''
_RRC_TAIL = '''
        boxes.append(box)
    boxes = np.array(boxes)
    out = np.stack([augment.resize(X[i, t:t + h, l:l + w], (size, size)) for i, (t, l, h, w) in enumerate(boxes)])
    return out, boxes
'''

_JITTER = '''
def color_jitter(X, brightness=0.0, contrast=0.0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n = len(X)
{body}
'''

_TRANSLATE = '''
def translate(X, shift, fill_mode="constant", cval=0.0):
    modes = {{"constant": "constant", "nearest": "edge", "reflect": "{reflect}", "wrap": "wrap"}}
    dy, dx = int(shift[{iy}]), int(shift[{ix}])
    _, h, w, _ = X.shape
    widths = ((0, 0), (abs(dy), abs(dy)), (abs(dx), abs(dx)), (0, 0))
    if fill_mode == "constant":
        padded = np.pad(X, widths, mode="constant", constant_values=cval)
    else:
        padded = np.pad(X, widths, mode=modes[fill_mode])
    return padded[:, abs(dy) {sign} dy:abs(dy) {sign} dy + h, abs(dx) {sign} dx:abs(dx) {sign} dx + w].copy()
'''

_TEN_CROP = '''
def ten_crop_predict(predict_fn, X, crop_size, flip=True):
    _, h, w, _ = X.shape
    s = crop_size
    top, left = {centre}
    crops = [X[:, :s, :s], X[:, :s, {right}], X[:, h - s:, :s], X[:, h - s:, {right}], X[:, top:top + s, left:left + s]]
    if flip:
        crops += [crop{mirror} for crop in crops]
    return {average}
'''
_TEN_CROP_OK = {"centre": "(h - s) // 2, (w - s) // 2", "right": "w - s:", "mirror": "[:, :, ::-1]",
                "average": "np.mean([predict_fn(crop) for crop in crops], axis=0)"}

MISTAKES = {
    "horizontal_flip": [
        ("np.fliplr: flips axis 1, upside down for (N, H, W, C)", '''
def horizontal_flip(X):
    return np.fliplr(X)
'''),
        ("flips the channels (RGB -> BGR)", '''
def horizontal_flip(X):
    return X[..., ::-1]
'''),
        ("np.flip without an axis: flips everything", '''
def horizontal_flip(X):
    return np.flip(X)
'''),
    ],
    "random_crop": [
        ("last offset never drawn (exclusive upper bound)", '''
def random_crop(X, crop_size, padding=0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    padded = np.pad(X, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    tops = rng.integers(0, h + 2 * padding - crop_size, size=n)
    lefts = rng.integers(0, w + 2 * padding - crop_size, size=n)
    return np.stack([padded[i, t:t + crop_size, l:l + crop_size] for i, (t, l) in enumerate(zip(tops, lefts))])
'''),
        ("one offset for the whole batch", '''
def random_crop(X, crop_size, padding=0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    padded = np.pad(X, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    t = rng.integers(0, h + 2 * padding - crop_size + 1)
    l = rng.integers(0, w + 2 * padding - crop_size + 1)
    return padded[:, t:t + crop_size, l:l + crop_size]
'''),
        ("pads with the edge pixels instead of zeros", '''
def random_crop(X, crop_size, padding=0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    padded = np.pad(X, ((0, 0), (padding, padding), (padding, padding), (0, 0)), mode="edge")
    tops = rng.integers(0, h + 2 * padding - crop_size + 1, size=n)
    lefts = rng.integers(0, w + 2 * padding - crop_size + 1, size=n)
    return np.stack([padded[i, t:t + crop_size, l:l + crop_size] for i, (t, l) in enumerate(zip(tops, lefts))])
'''),
        ("forgets the padding", '''
def random_crop(X, crop_size, padding=0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    tops = rng.integers(0, h - crop_size + 1, size=n)
    lefts = rng.integers(0, w - crop_size + 1, size=n)
    return np.stack([X[i, t:t + crop_size, l:l + crop_size] for i, (t, l) in enumerate(zip(tops, lefts))])
'''),
    ],
    "random_resized_crop": [
        ("scale as a fraction of the side, not the area", _RRC_HEAD + '''
            s = rng.uniform(*scale)
            aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
            w = int(round(width * s * np.sqrt(aspect)))
            h = int(round(height * s / np.sqrt(aspect)))
            if 0 < w <= width and 0 < h <= height:
                box = (int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w)
                break''' + _RRC_TAIL),
        ("aspect ratio uniform instead of log-uniform", _RRC_HEAD + '''
            area = height * width * rng.uniform(*scale)
            aspect = rng.uniform(ratio[0], ratio[1])
            w = int(round(np.sqrt(area * aspect)))
            h = int(round(np.sqrt(area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                box = (int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w)
                break''' + _RRC_TAIL),
        ("last offset never drawn", _RRC_HEAD + '''
            area = height * width * rng.uniform(*scale)
            aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
            w = int(round(np.sqrt(area * aspect)))
            h = int(round(np.sqrt(area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                box = (int(rng.integers(0, max(height - h, 1))), int(rng.integers(0, max(width - w, 1))), h, w)
                break''' + _RRC_TAIL),
        ("w and h swapped (aspect h / w)", _RRC_HEAD + '''
            area = height * width * rng.uniform(*scale)
            aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
            h = int(round(np.sqrt(area * aspect)))
            w = int(round(np.sqrt(area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                box = (int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w)
                break''' + _RRC_TAIL),
    ],
    "rotate": [
        ("ndimage.rotate's default axes: rotates the (N, H) plane", '''
def rotate(X, angle, fill_mode="constant", cval=0.0, order=1):
    modes = {"constant": "constant", "nearest": "nearest", "reflect": "reflect", "wrap": "grid-wrap"}
    return ndimage.rotate(X, angle, reshape=False, order=order, mode=modes[fill_mode], cval=cval)
'''),
        ("reshape=True (the default): the image grows", '''
def rotate(X, angle, fill_mode="constant", cval=0.0, order=1):
    modes = {"constant": "constant", "nearest": "nearest", "reflect": "reflect", "wrap": "grid-wrap"}
    return ndimage.rotate(X, angle, axes=(1, 2), order=order, mode=modes[fill_mode], cval=cval)
'''),
        ("clockwise", '''
def rotate(X, angle, fill_mode="constant", cval=0.0, order=1):
    modes = {"constant": "constant", "nearest": "nearest", "reflect": "reflect", "wrap": "grid-wrap"}
    return ndimage.rotate(X, -angle, axes=(1, 2), reshape=False, order=order, mode=modes[fill_mode], cval=cval)
'''),
        ("passes the mode names to scipy unchanged ('wrap' is scipy's n - 1 periodic mode)", '''
def rotate(X, angle, fill_mode="constant", cval=0.0, order=1):
    return ndimage.rotate(X, angle, axes=(1, 2), reshape=False, order=order, mode=fill_mode, cval=cval)
'''),
    ],
    "translate": [
        ("shifts in the opposite direction", _TRANSLATE.format(reflect="symmetric", iy=0, ix=1, sign="+")),
        ("np.pad's 'reflect' (edge not repeated) for reflect", _TRANSLATE.format(reflect="reflect", iy=0, ix=1, sign="-")),
        ("np.roll for every mode: wraps instead of filling", '''
def translate(X, shift, fill_mode="constant", cval=0.0):
    return np.roll(X, shift=(int(shift[0]), int(shift[1])), axis=(1, 2))
'''),
        ("dy and dx swapped", _TRANSLATE.format(reflect="symmetric", iy=1, ix=0, sign="-")),
    ],
    "color_jitter": [
        ("one factor for the whole batch", _JITTER.format(body='''
    b = rng.uniform(1 - brightness, 1 + brightness)
    c = rng.uniform(1 - contrast, 1 + contrast)
    out = X * b
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip((out - mean) * c + mean, 0.0, 1.0)''')),
        ("contrast around 0.5 instead of the image mean", _JITTER.format(body='''
    b = rng.uniform(1 - brightness, 1 + brightness, size=(n, 1, 1, 1))
    c = rng.uniform(1 - contrast, 1 + contrast, size=(n, 1, 1, 1))
    out = X * b
    return np.clip((out - 0.5) * c + 0.5, 0.0, 1.0)''')),
        ("additive brightness", _JITTER.format(body='''
    b = rng.uniform(-brightness, brightness, size=(n, 1, 1, 1))
    c = rng.uniform(1 - contrast, 1 + contrast, size=(n, 1, 1, 1))
    out = X + b
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip((out - mean) * c + mean, 0.0, 1.0)''')),
        ("no clipping", _JITTER.format(body='''
    b = rng.uniform(1 - brightness, 1 + brightness, size=(n, 1, 1, 1))
    c = rng.uniform(1 - contrast, 1 + contrast, size=(n, 1, 1, 1))
    out = X * b
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    return (out - mean) * c + mean''')),
    ],
    "fit_pca_color": [
        ("keeps np.linalg.eigh's ascending order", '''
def fit_pca_color(X):
    pixels = X.reshape(-1, X.shape[-1])
    return np.linalg.eigh(np.cov(pixels, rowvar=False))
'''),
        ("does not centre the pixels", '''
def fit_pca_color(X):
    pixels = X.reshape(-1, X.shape[-1])
    eigvals, eigvecs = np.linalg.eigh(pixels.T @ pixels / (len(pixels) - 1))
    return eigvals[::-1], eigvecs[:, ::-1]
'''),
        ("returns the eigenvectors as rows", '''
def fit_pca_color(X):
    pixels = X.reshape(-1, X.shape[-1])
    eigvals, eigvecs = np.linalg.eigh(np.cov(pixels, rowvar=False))
    return eigvals[::-1], eigvecs[:, ::-1].T
'''),
        ("covariance over images instead of pixels", '''
def fit_pca_color(X):
    flat = X.reshape(len(X), -1)
    eigvals, eigvecs = np.linalg.eigh(np.cov(flat, rowvar=False))
    return eigvals[::-1][:3], eigvecs[:, ::-1][:3, :3]
'''),
    ],
    "pca_color_augment": [
        ("no eigenvalue scaling", '''
def pca_color_augment(X, eigvals, eigvecs, alpha_std=0.1, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    alphas = rng.normal(0.0, alpha_std, size=(len(X), 3))
    return X + (alphas @ eigvecs.T)[:, None, None, :]
'''),
        ("one alpha for the whole batch", '''
def pca_color_augment(X, eigvals, eigvecs, alpha_std=0.1, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    alpha = rng.normal(0.0, alpha_std, size=3)
    return X + eigvecs @ (alpha * eigvals)
'''),
        ("a new alpha for every pixel", '''
def pca_color_augment(X, eigvals, eigvecs, alpha_std=0.1, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    alphas = rng.normal(0.0, alpha_std, size=X.shape)
    return X + (alphas * eigvals) @ eigvecs.T
'''),
        ("eigenvectors used as rows", '''
def pca_color_augment(X, eigvals, eigvecs, alpha_std=0.1, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    alphas = rng.normal(0.0, alpha_std, size=(len(X), 3))
    return X + ((alphas * eigvals) @ eigvecs)[:, None, None, :]
'''),
    ],
    "gaussian_noise": [
        ("the same noise for every image", '''
def gaussian_noise(X, std, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    return X + std * rng.standard_normal(X.shape[1:])
'''),
        ("std used as the variance", '''
def gaussian_noise(X, std, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    return X + rng.normal(0.0, std ** 2, X.shape)
'''),
        ("adds the noise in place", '''
def gaussian_noise(X, std, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    X += std * rng.standard_normal(X.shape)
    return X
'''),
    ],
    "cutout": [
        ("the same square for every image", '''
def cutout(X, size, rng=None, fill=0.0):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    out = X.copy()
    cy, cx = rng.integers(0, h), rng.integers(0, w)
    top, left = cy - size // 2, cx - size // 2
    out[:, max(top, 0):max(top + size, 0), max(left, 0):max(left + size, 0), :] = fill
    return out
'''),
        ("square one pixel too big (cy - S//2 .. cy + S//2)", '''
def cutout(X, size, rng=None, fill=0.0):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    out = X.copy()
    for i in range(n):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        out[i, max(cy - size // 2, 0):cy + size // 2 + 1, max(cx - size // 2, 0):cx + size // 2 + 1, :] = fill
    return out
'''),
        ("negative start index (Python wraps it around)", '''
def cutout(X, size, rng=None, fill=0.0):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    out = X.copy()
    for i in range(n):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        out[i, cy - size // 2:cy - size // 2 + size, cx - size // 2:cx - size // 2 + size, :] = fill
    return out
'''),
        ("fills the first channel only", '''
def cutout(X, size, rng=None, fill=0.0):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    out = X.copy()
    for i in range(n):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        top, left = cy - size // 2, cx - size // 2
        out[i, max(top, 0):max(top + size, 0), max(left, 0):max(left + size, 0), 0] = fill
    return out
'''),
        ("square always inside the image (centre never near the border)", '''
def cutout(X, size, rng=None, fill=0.0):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    out = X.copy()
    for i in range(n):
        top, left = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
        out[i, top:top + size, left:left + size, :] = fill
    return out
'''),
    ],
    "mixup": [
        ("mixes the images but not the labels", '''
def mixup(X, y, num_classes, alpha=0.2, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n = len(X)
    lam = rng.beta(alpha, alpha, size=n)
    perm = rng.permutation(n)
    lam_x = lam.reshape((n,) + (1,) * (X.ndim - 1))
    return lam_x * X + (1 - lam_x) * X[perm], np.eye(num_classes)[y]
'''),
        ("lam for the images, 1 - lam for the labels", '''
def mixup(X, y, num_classes, alpha=0.2, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n = len(X)
    lam = rng.beta(alpha, alpha, size=n)
    perm = rng.permutation(n)
    onehot = np.eye(num_classes)[y]
    lam_x = lam.reshape((n,) + (1,) * (X.ndim - 1))
    return lam_x * X + (1 - lam_x) * X[perm], (1 - lam[:, None]) * onehot + lam[:, None] * onehot[perm]
'''),
        ("labels mixed with a different partner than the images", '''
def mixup(X, y, num_classes, alpha=0.2, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n = len(X)
    lam = rng.beta(alpha, alpha, size=n)
    onehot = np.eye(num_classes)[y]
    lam_x = lam.reshape((n,) + (1,) * (X.ndim - 1))
    return (lam_x * X + (1 - lam_x) * X[rng.permutation(n)],
            lam[:, None] * onehot + (1 - lam[:, None]) * onehot[rng.permutation(n)])
'''),
        ("lam uniform, alpha ignored", '''
def mixup(X, y, num_classes, alpha=0.2, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n = len(X)
    lam = rng.uniform(0, 1, size=n)
    perm = rng.permutation(n)
    onehot = np.eye(num_classes)[y]
    lam_x = lam.reshape((n,) + (1,) * (X.ndim - 1))
    return lam_x * X + (1 - lam_x) * X[perm], lam[:, None] * onehot + (1 - lam[:, None]) * onehot[perm]
'''),
    ],
    "ten_crop_predict": [
        ("forgets the mirrored crops", _TEN_CROP.format(**{**_TEN_CROP_OK, "mirror": ""}).replace(
            "crops += [crop for crop in crops]", "pass")),
        ("mirrors upside down", _TEN_CROP.format(**{**_TEN_CROP_OK, "mirror": "[:, ::-1]"})),
        ("centre crop rounded up", _TEN_CROP.format(**{**_TEN_CROP_OK, "centre": "(h - s + 1) // 2, (w - s + 1) // 2"})),
        ("right corners one pixel off", _TEN_CROP.format(**{**_TEN_CROP_OK, "right": "w - s - 1:w - 1"})),
        ("averages the predicted labels (a vote) instead of the probabilities",
         _TEN_CROP.format(**{**_TEN_CROP_OK, "average": "np.mean([np.eye(p.shape[1])[p.argmax(1)] for p in map(predict_fn, crops)], axis=0)"})),
    ],
}
