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

# mistakes the generated-input tests catch (non-square images, uint8, defaults, draw order)
MISTAKES["horizontal_flip"] += [
    ("vertical flip X[:, ::-1] (axis 1 is the height)", '''
def horizontal_flip(X):
    return X[:, ::-1].copy()
'''),
    ("flips in place and returns X", '''
def horizontal_flip(X):
    X[...] = X[:, :, ::-1].copy()
    return X
'''),
]
MISTAKES["random_crop"] += [
    ("H used for both offsets (wrong for non-square images)", '''
def random_crop(X, crop_size, padding=0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    padded = np.pad(X, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    tops = rng.integers(0, h + 2 * padding - crop_size + 1, size=n)
    lefts = rng.integers(0, h + 2 * padding - crop_size + 1, size=n)
    return np.stack([padded[i, t:t + crop_size, l:l + crop_size] for i, (t, l) in enumerate(zip(tops, lefts))])
'''),
    ("one random number for both the top and the left offset", '''
def random_crop(X, crop_size, padding=0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    padded = np.pad(X, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    offsets = rng.integers(0, min(h, w) + 2 * padding - crop_size + 1, size=n)
    return np.stack([padded[i, o:o + crop_size, o:o + crop_size] for i, o in enumerate(offsets)])
'''),
    ("crops converted to float (uint8 images change dtype)", '''
def random_crop(X, crop_size, padding=0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    padded = np.zeros((n, h + 2 * padding, w + 2 * padding, X.shape[3]))
    padded[:, padding:padding + h, padding:padding + w] = X
    tops = rng.integers(0, h + 2 * padding - crop_size + 1, size=n)
    lefts = rng.integers(0, w + 2 * padding - crop_size + 1, size=n)
    return np.stack([padded[i, t:t + crop_size, l:l + crop_size] for i, (t, l) in enumerate(zip(tops, lefts))])
'''),
]
MISTAKES["random_resized_crop"] += [
    ("gives up after one try", _RRC_HEAD.replace("range(10)", "range(1)") + '''
            area = height * width * rng.uniform(*scale)
            aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
            w = int(round(np.sqrt(area * aspect)))
            h = int(round(np.sqrt(area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                box = (int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w)
                break''' + _RRC_TAIL),
    ("truncates w and h instead of rounding", _RRC_HEAD + '''
            area = height * width * rng.uniform(*scale)
            aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
            w = int(np.sqrt(area * aspect))
            h = int(np.sqrt(area / aspect))
            if 0 < w <= width and 0 < h <= height:
                box = (int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w)
                break''' + _RRC_TAIL),
    ("draws the left offset before the top", _RRC_HEAD + '''
            area = height * width * rng.uniform(*scale)
            aspect = np.exp(rng.uniform(np.log(ratio[0]), np.log(ratio[1])))
            w = int(round(np.sqrt(area * aspect)))
            h = int(round(np.sqrt(area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                left = int(rng.integers(0, width - w + 1))
                box = (int(rng.integers(0, height - h + 1)), left, h, w)
                break''' + _RRC_TAIL),
]
MISTAKES["rotate"] += [
    ("ignores order (always bilinear)", '''
def rotate(X, angle, fill_mode="constant", cval=0.0, order=1):
    modes = {"constant": "constant", "nearest": "nearest", "reflect": "reflect", "wrap": "grid-wrap"}
    return ndimage.rotate(X, angle, axes=(1, 2), reshape=False, order=1, mode=modes[fill_mode], cval=cval)
'''),
    ("angle in radians passed to a function that wants degrees", '''
def rotate(X, angle, fill_mode="constant", cval=0.0, order=1):
    modes = {"constant": "constant", "nearest": "nearest", "reflect": "reflect", "wrap": "grid-wrap"}
    return ndimage.rotate(X, np.deg2rad(angle), axes=(1, 2), reshape=False, order=order, mode=modes[fill_mode], cval=cval)
'''),
]
MISTAKES["translate"] += [
    ("output always float (np.full without dtype)", '''
def translate(X, shift, fill_mode="constant", cval=0.0):
    modes = {"nearest": "edge", "reflect": "symmetric", "wrap": "wrap"}
    dy, dx = int(shift[0]), int(shift[1])
    n, h, w, c = X.shape
    if fill_mode != "constant":
        padded = np.pad(X, ((0, 0), (abs(dy), abs(dy)), (abs(dx), abs(dx)), (0, 0)), mode=modes[fill_mode])
        return padded[:, abs(dy) - dy:abs(dy) - dy + h, abs(dx) - dx:abs(dx) - dx + w].copy()
    out = np.full(X.shape, cval)
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = X[:, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out
'''),
    ("constant mode ignores cval (zeros)", _TRANSLATE.format(reflect="symmetric", iy=0, ix=1, sign="-").replace(
        ", constant_values=cval", "")),
]
MISTAKES["color_jitter"] += [
    ("contrast factors drawn before the brightness factors", _JITTER.format(body='''
    c = rng.uniform(1 - contrast, 1 + contrast, size=(n, 1, 1, 1))
    b = rng.uniform(1 - brightness, 1 + brightness, size=(n, 1, 1, 1))
    out = X * b
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip((out - mean) * c + mean, 0.0, 1.0)''')),
    ("mean per channel instead of over H, W and C", _JITTER.format(body='''
    b = rng.uniform(1 - brightness, 1 + brightness, size=(n, 1, 1, 1))
    c = rng.uniform(1 - contrast, 1 + contrast, size=(n, 1, 1, 1))
    out = X * b
    mean = out.mean(axis=(1, 2), keepdims=True)
    return np.clip((out - mean) * c + mean, 0.0, 1.0)''')),
    ("clips after the brightness step too", _JITTER.format(body='''
    b = rng.uniform(1 - brightness, 1 + brightness, size=(n, 1, 1, 1))
    c = rng.uniform(1 - contrast, 1 + contrast, size=(n, 1, 1, 1))
    out = np.clip(X * b, 0.0, 1.0)
    mean = out.mean(axis=(1, 2, 3), keepdims=True)
    return np.clip((out - mean) * c + mean, 0.0, 1.0)''')),
]
MISTAKES["fit_pca_color"] += [
    ("covariance by hand in the images' dtype (uint8 products wrap around)", '''
def fit_pca_color(X):
    pixels = X.reshape(-1, X.shape[-1])
    n = len(pixels)
    mean = pixels.mean(axis=0)
    cov = (pixels.T @ pixels - n * np.outer(mean, mean)) / (n - 1)
    eigvals, eigvecs = np.linalg.eigh(cov)
    return eigvals[::-1], eigvecs[:, ::-1]
'''),
    ("divides by the number of pixels (bias=True), not np.cov's n - 1", '''
def fit_pca_color(X):
    pixels = X.reshape(-1, X.shape[-1]).astype(float)
    eigvals, eigvecs = np.linalg.eigh(np.cov(pixels, rowvar=False, bias=True))
    return eigvals[::-1], eigvecs[:, ::-1]
'''),
]
MISTAKES["pca_color_augment"] += [
    ("result cast back to the images' dtype (uint8 truncates and wraps)", '''
def pca_color_augment(X, eigvals, eigvecs, alpha_std=0.1, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    alphas = rng.normal(0.0, alpha_std, size=(len(X), 3))
    return (X + ((alphas * eigvals) @ eigvecs.T)[:, None, None, :]).astype(X.dtype)
'''),
    ("subtracts the shift (alphas are symmetric, but not the same draws)", '''
def pca_color_augment(X, eigvals, eigvecs, alpha_std=0.1, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    alphas = rng.normal(0.0, alpha_std, size=(len(X), 3))
    return X - ((alphas * eigvals) @ eigvecs.T)[:, None, None, :]
'''),
]
MISTAKES["gaussian_noise"] += [
    ("result cast back to the images' dtype (uint8 wraps around)", '''
def gaussian_noise(X, std, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    return (X + std * rng.standard_normal(X.shape)).astype(X.dtype)
'''),
    ("clips to [0, 1]", '''
def gaussian_noise(X, std, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    return np.clip(X + std * rng.standard_normal(X.shape), 0.0, 1.0)
'''),
    ("one noise value per image", '''
def gaussian_noise(X, std, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    return X + std * rng.standard_normal((len(X),) + (1,) * (X.ndim - 1))
'''),
]
MISTAKES["cutout"] += [
    ("H used for both centre coordinates (non-square images)", '''
def cutout(X, size, rng=None, fill=0.0):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    out = X.copy()
    for i in range(n):
        cy, cx = rng.integers(0, h), rng.integers(0, h)
        top, left = cy - size // 2, cx - size // 2
        out[i, max(top, 0):max(top + size, 0), max(left, 0):max(left + size, 0), :] = fill
    return out
'''),
    ("output always float (np.where with a float fill)", '''
def cutout(X, size, rng=None, fill=0.0):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    ys, xs = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    cy, cx = rng.integers(0, h, size=(n, 1, 1)), rng.integers(0, w, size=(n, 1, 1))
    top, left = cy - size // 2, cx - size // 2
    mask = (ys >= top) & (ys < top + size) & (xs >= left) & (xs < left + size)
    return np.where(mask[..., None], float(fill), X.astype(float))
'''),
]
MISTAKES["mixup"] += [
    ("one lam for the whole batch", '''
def mixup(X, y, num_classes, alpha=0.2, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n = len(X)
    lam = rng.beta(alpha, alpha)
    perm = rng.permutation(n)
    onehot = np.eye(num_classes)[np.asarray(y)]
    return lam * X + (1 - lam) * X[perm], lam * onehot + (1 - lam) * onehot[perm]
'''),
    ("X[perm] + lam (X - X[perm]) in uint8: the difference wraps around", '''
def mixup(X, y, num_classes, alpha=0.2, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n = len(X)
    lam = rng.beta(alpha, alpha, size=n)
    perm = rng.permutation(n)
    onehot = np.eye(num_classes)[np.asarray(y)]
    lam_x = lam.reshape((n,) + (1,) * (X.ndim - 1))
    return X[perm] + lam_x * (X - X[perm]), onehot[perm] + lam[:, None] * (onehot - onehot[perm])
'''),
    ("permutation drawn before lam", '''
def mixup(X, y, num_classes, alpha=0.2, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n = len(X)
    perm = rng.permutation(n)
    lam = rng.beta(alpha, alpha, size=n)
    onehot = np.eye(num_classes)[np.asarray(y)]
    lam_x = lam.reshape((n,) + (1,) * (X.ndim - 1))
    return lam_x * X + (1 - lam_x) * X[perm], lam[:, None] * onehot + (1 - lam[:, None]) * onehot[perm]
'''),
]
MISTAKES["ten_crop_predict"] += [
    ("H and W swapped in the centre offset (only square images come out right)",
     _TEN_CROP.format(**{**_TEN_CROP_OK, "centre": "(w - s) // 2, (h - s) // 2"})),
    ("right corners taken from the height (X[:, :s, h - s:])", _TEN_CROP.format(**{**_TEN_CROP_OK, "right": "h - s:h"})),
]

ALTERNATIVES = {
    "horizontal_flip": [
        ("np.flip along axis 2 (a view)", '''
def horizontal_flip(X):
    return np.flip(X, axis=2)
'''),
        ("fancy indexing with reversed column indices", '''
def horizontal_flip(X):
    return X[:, :, np.arange(X.shape[2])[::-1]]
'''),
    ],
    "random_crop": [
        ("a loop per image drawing top then left, padding into np.zeros of X's dtype", '''
def random_crop(X, crop_size, padding=0, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, c = X.shape
    padded = np.zeros((n, h + 2 * padding, w + 2 * padding, c), dtype=X.dtype)
    padded[:, padding:padding + h, padding:padding + w] = X
    out = np.empty((n, crop_size, crop_size, c), dtype=X.dtype)
    for i in range(n):
        top = rng.integers(h + 2 * padding - crop_size + 1)
        left = rng.integers(w + 2 * padding - crop_size + 1)
        out[i] = padded[i, top:top + crop_size, left:left + crop_size]
    return out
'''),
    ],
    "random_resized_crop": [
        ("while loop with a counter, uniform(lo, hi) spelled out, boxes preallocated", '''
def random_resized_crop(X, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), rng=None):
    if rng is None:
        rng = np.random.default_rng()
    n, H, W, c = X.shape
    boxes = np.zeros((n, 4), dtype=int)
    out = np.empty((n, size, size, c))
    lo, hi = np.log(ratio[0]), np.log(ratio[1])
    for i in range(n):
        boxes[i] = (0, 0, H, W)
        tries = 0
        while tries < 10:
            tries += 1
            s = rng.uniform(scale[0], scale[1])
            r = np.exp(rng.uniform(lo, hi))
            w = round(float(np.sqrt(s * H * W * r)))
            h = round(float(np.sqrt(s * H * W / r)))
            if 1 <= h <= H and 1 <= w <= W:
                top = rng.integers(0, H - h + 1)
                left = rng.integers(0, W - w + 1)
                boxes[i] = (top, left, h, w)
                break
        t, l, h, w = boxes[i]
        out[i] = augment.resize(X[i, t:t + h, l:l + w], (size, size))
    return out, boxes
'''),
    ],
    "rotate": [
        ("one ndimage.rotate per image in its (H, W) plane", '''
def rotate(X, angle, fill_mode="constant", cval=0.0, order=1):
    scipy_mode = {"constant": "constant", "nearest": "nearest", "reflect": "reflect", "wrap": "grid-wrap"}[fill_mode]
    return np.stack([ndimage.rotate(image, angle, axes=(0, 1), reshape=False, order=order, mode=scipy_mode, cval=cval)
                     for image in X])
'''),
    ],
    "translate": [
        ("index arithmetic: source rows and columns per fill mode, then cval", '''
def translate(X, shift, fill_mode="constant", cval=0.0):
    dy, dx = int(shift[0]), int(shift[1])
    _, h, w, _ = X.shape

    def source(n, d):
        i = np.arange(n) - d
        if fill_mode == "nearest":
            return np.clip(i, 0, n - 1)
        if fill_mode == "reflect":
            i = np.where(i < 0, -i - 1, i)
            return np.where(i >= n, 2 * n - 1 - i, i)
        return np.mod(i, n)

    out = X[:, source(h, dy)][:, :, source(w, dx)]
    if fill_mode == "constant":
        ys, xs = np.arange(h) - dy, np.arange(w) - dx
        out[:, (ys < 0) | (ys >= h)] = cval
        out[:, :, (xs < 0) | (xs >= w)] = cval
    return out
'''),
        ("scipy.ndimage.shift with order 0 (integer shifts are exact)", '''
def translate(X, shift, fill_mode="constant", cval=0.0):
    mode = {"constant": "constant", "nearest": "nearest", "reflect": "reflect", "wrap": "grid-wrap"}[fill_mode]
    return ndimage.shift(X, (0, int(shift[0]), int(shift[1]), 0), order=0, mode=mode, cval=cval)
'''),
    ],
    "color_jitter": [
        ("adjust_brightness_contrast-style: (N,) factors, contrast as c * out + (1 - c) * mean", '''
def color_jitter(X, brightness=0.0, contrast=0.0, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    n = X.shape[0]
    b = rng.uniform(1 - brightness, 1 + brightness, n)[:, None, None, None]
    c = rng.uniform(1 - contrast, 1 + contrast, n)[:, None, None, None]
    bright = X.astype(np.float64) * b
    mean = bright.reshape(n, -1).mean(axis=1)[:, None, None, None]
    return np.minimum(np.maximum(c * bright + (1 - c) * mean, 0.0), 1.0)
'''),
    ],
    "fit_pca_color": [
        ("SVD of the centred pixels", '''
def fit_pca_color(X):
    pixels = X.reshape(-1, 3).astype(float)
    centred = pixels - pixels.mean(axis=0)
    _, s, vt = np.linalg.svd(centred)                   # vt is 3 x 3 even for fewer than 3 pixels
    s = np.concatenate([s, np.zeros(3 - len(s))])
    return s ** 2 / (len(pixels) - 1), vt.T
'''),
        ("np.linalg.eig of the covariance, sorted by argsort of -eigvals", '''
def fit_pca_color(X):
    cov = np.cov(X.reshape(-1, X.shape[-1]).T.astype(float))
    vals, vecs = np.linalg.eig(cov)
    order = np.argsort(-vals.real)
    return vals.real[order], vecs.real[:, order]
'''),
    ],
    "pca_color_augment": [
        ("standard normals scaled by alpha_std, shift per image with einsum", '''
def pca_color_augment(X, eigvals, eigvecs, alpha_std=0.1, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    alphas = alpha_std * rng.standard_normal((X.shape[0], 3))
    shifts = np.einsum("ck,nk->nc", eigvecs, alphas * eigvals)
    return X.astype(float) + shifts[:, np.newaxis, np.newaxis, :]
'''),
    ],
    "gaussian_noise": [
        ("rng.normal(0, std, X.shape)", '''
def gaussian_noise(X, std, rng=None):
    if rng is None:
        rng = np.random.default_rng()
    return X.astype(np.float64) + rng.normal(0.0, std, size=X.shape)
'''),
    ],
    "cutout": [
        ("a mask from broadcast comparisons, centres drawn all rows first", '''
def cutout(X, size, rng=None, fill=0.0):
    rng = rng if rng is not None else np.random.default_rng()
    n, h, w, _ = X.shape
    cy, cx = rng.integers(0, h, size=n), rng.integers(0, w, size=n)
    top, left = (cy - size // 2)[:, None, None], (cx - size // 2)[:, None, None]
    ys, xs = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    mask = (ys >= top) & (ys < top + size) & (xs >= left) & (xs < left + size)
    out = X.copy()
    out[mask] = fill
    return out
'''),
        ("clipped bounds with min/max, one centre per image in a loop", '''
def cutout(X, size, rng=None, fill=0.0):
    rng = rng if rng is not None else np.random.default_rng()
    out = np.array(X, copy=True)
    _, h, w, _ = X.shape
    for image in out:
        cy = rng.integers(h)
        cx = rng.integers(w)
        y0, x0 = max(cy - size // 2, 0), max(cx - size // 2, 0)
        y1, x1 = min(cy - size // 2 + size, h), min(cx - size // 2 + size, w)
        if size > 0:
            image[y0:y1, x0:x1] = fill
    return out
'''),
    ],
    "mixup": [
        ("lerp form in float, one-hot by assignment", '''
def mixup(X, y, num_classes, alpha=0.2, rng=None):
    rng = rng if rng is not None else np.random.default_rng()
    n = X.shape[0]
    lam = rng.beta(alpha, alpha, n)
    perm = rng.permutation(n)
    onehot = np.zeros((n, num_classes))
    onehot[np.arange(n), y] = 1.0
    X = X.astype(np.float64)
    lam_x = lam.reshape(-1, *([1] * (X.ndim - 1)))
    return X[perm] + lam_x * (X - X[perm]), onehot[perm] + lam[:, None] * (onehot - onehot[perm])
'''),
    ],
    "ten_crop_predict": [
        ("one predict_fn call on all crops stacked, np.flip for the mirrors", '''
def ten_crop_predict(predict_fn, X, crop_size, flip=True):
    n, h, w, c = X.shape
    s = crop_size
    origins = [(0, 0), (0, w - s), (h - s, 0), (h - s, w - s), ((h - s) // 2, (w - s) // 2)]
    crops = [X[:, t:t + s, l:l + s] for t, l in origins]
    if flip:
        crops = crops + [np.flip(crop, axis=2) for crop in crops]
    probs = np.asarray(predict_fn(np.concatenate(crops)))
    return probs.reshape(len(crops), n, -1).mean(axis=0)
'''),
    ],
}

EQUIVALENT_MUTANTS = {
    "random_crop": {
        'padded = np.pad(X, ((0, 0), (padding, padding), (padding, padding), (0: 0 -> 1 (#2)': "pads one extra image after the last one: padded[i] for i < N is unchanged",
    },
    "cutout": {
        'out[i, max(top, 0):max(top + size, 0), max(left, 0):max(left + size, 0: 0 -> 1 (#2)': "max(top + size, 1) vs 0: top + size = cy + S - S // 2 >= 1 for S >= 1, and for S = 0 the columns are empty",
        'out[i, max(top, 0):max(top + size, 0), max(left, 0):max(left + size, 0: 0 -> 1 (#4)': "max(left + size, 1) vs 0: left + size >= 1 for S >= 1, and for S = 0 the rows are empty",
    },
}
