"""Transfer and multi-task learning: the shipped pretrained nets, feature extraction, fine-tuning, shared heads.

The course ships two small nets pretrained on the source task, the MNIST digits 0-4 of the
bundled subset (``data.load_mnist_subset()``, always available offline), in the repository's
``data/`` folder (provenance, licence and checksums in ``data/README.md``):

- ``pretrained_mlp_digits04.npz``: a numpy ``FullyConnectedNet`` (14x14 inputs, hidden layers
  ``MLP_HIDDEN``), one array per ``params`` key (``save_params`` / ``load_params``);
- ``pretrained_cnn_digits04.pt``: a PyTorch ``state_dict`` of ``make_cnn()`` (28x28 inputs).

Retrain them reproducibly from their seeds and compare with the shipped files::

    python -m trainlab.transfer pretrain           # retrain and overwrite the shipped files
    python -m trainlab.transfer pretrain --check   # retrain in memory, compare with the shipped files

Target tasks: ``digit_task`` (digits 5-9, the *similar* task) and ``texture_task`` (patches of
scikit-learn's bundled photos, the *different* task, train and test cut from disjoint regions).
Exercise references: ``extract_features``, ``train_linear_head``, ``fine_tune``,
``multitask_loss``, ``soft_sharing_penalty``; ``MultiTaskNet`` and ``SoftSharedNets`` wrap the
last two as Solver models.
"""
import argparse
import hashlib
import io
import sys
from pathlib import Path

import numpy as np

from trainlab import callbacks, layers, losses
from trainlab import data as data_lib
from trainlab.models import FullyConnectedNet
from trainlab.solver import Solver

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "data"
MLP_FILE, CNN_FILE = "pretrained_mlp_digits04.npz", "pretrained_cnn_digits04.pt"
SOURCE_CLASSES, TARGET_CLASSES = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
MLP_HIDDEN = (128, 64, 64)
NUM_TEST_PER_CLASS = 100      # the last images of each class of the subset: never trained on
# What `pretrain` gives (validation accuracy on 500 held-out digits 0-4) and the sha256 of the
# weights themselves (float64 bytes of every array in key order; see weights_sha256).
SHIPPED = {
    "mlp": {"val_acc": 0.962, "weights_sha256": "ca44a8277086532504b322aa5106921001407586d9617520576a7311e4756a44"},
    "cnn": {"val_acc": 0.976, "weights_sha256": "2cc023595f07606f7ba5ed917f81047126dc04b9df2047f83745124653925b1f"},
}
# A short seeded run (pretrain_mlp(num_epochs=1, num_train_per_class=100)), for a fast test.
QUICK_MLP_VAL_ACC = 0.622

# --------------------------------------------------------------------------- data


def mlp_input(X):
    """Images (N, 28, 28) in 0..255 -> (N, 196) float64 in [0, 1]: 2x2 average pooling, then flattened."""
    X = np.asarray(X, dtype=np.float64)
    return X.reshape(len(X), 14, 2, 14, 2).mean(axis=(2, 4)).reshape(len(X), -1) / 255.0


def digit_task(classes, num_train_per_class, seed=0):
    """A classification task on some MNIST digits of the bundled subset (500 images per class).

    Per class the last NUM_TEST_PER_CLASS images are the test set (the same whatever the training
    size), and ``num_train_per_class`` images drawn (seeded) from the other 400 are the training set.

    Returns:
        X_train (n * K, 28, 28) uint8, y_train (n * K,) labels 0..K-1 (the index in ``classes``),
        X_test (100 K, 28, 28), y_test.
    """
    X, y = data_lib.load_mnist_subset()
    rng = np.random.default_rng(seed)
    parts = {"X_train": [], "y_train": [], "X_test": [], "y_test": []}
    for label, digit in enumerate(classes):
        idx = np.flatnonzero(y == digit)
        test, pool = idx[-NUM_TEST_PER_CLASS:], idx[:-NUM_TEST_PER_CLASS]
        if num_train_per_class > len(pool):
            raise ValueError(f"at most {len(pool)} training images per class, asked for {num_train_per_class}")
        train = rng.choice(pool, num_train_per_class, replace=False)
        for split, chosen in (("train", train), ("test", test)):
            parts[f"X_{split}"].append(X[chosen])
            parts[f"y_{split}"].append(np.full(len(chosen), label, dtype=np.int64))
    return tuple(np.concatenate(parts[key]) for key in ("X_train", "y_train", "X_test", "y_test"))


# Texture classes: (photo of sklearn.datasets.load_sample_images, rows, columns, axis along which
# the rectangle is cut in two halves: training patches from the first half, test patches from the second).
TEXTURES = {
    "sky": ("china.jpg", (0, 170), (360, 640), 1),
    "foliage": ("china.jpg", (310, 427), (380, 640), 1),
    "pagoda": ("china.jpg", (90, 330), (100, 310), 1),
    "petals": ("flower.jpg", (110, 300), (250, 430), 1),
    "bokeh": ("flower.jpg", (0, 400), (0, 200), 0),
}


def _gray_photos():
    from sklearn.datasets import load_sample_images  # slow import: lazily

    photos = load_sample_images()
    return {Path(name).name: image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
            for name, image in zip(photos.filenames, photos.images)}


def texture_task(num_train_per_class, num_test_per_class=200, size=28, seed=0):
    """The *different* task: texture patches of real photos (scikit-learn's bundled china and flower).

    Each class of TEXTURES is a rectangle of one photo, cut in two halves: training patches lie
    entirely inside the first half, test patches inside the second, so no pixel is shared between
    the two sets (patches of one set overlap each other). The photos are turned to gray; each patch
    is min-max stretched to 0..255, so neither brightness nor contrast gives the class away.

    Returns:
        X_train (n K, size, size) float64 in [0, 255], y_train (n K,), X_test, y_test; labels are
        the index in list(TEXTURES).
    """
    photos = _gray_photos()
    rng = np.random.default_rng(seed)
    out = {"train": ([], []), "test": ([], [])}
    for label, (photo, (r0, r1), (c0, c1), axis) in enumerate(TEXTURES.values()):
        image = photos[photo]
        bounds = [[r0, r1], [c0, c1]]
        middle = (bounds[axis][0] + bounds[axis][1]) // 2
        for split, n in (("train", num_train_per_class), ("test", num_test_per_class)):
            (lo_r, hi_r), (lo_c, hi_c) = [list(b) for b in bounds]
            half = [[lo_r, hi_r], [lo_c, hi_c]]
            half[axis] = [half[axis][0], middle] if split == "train" else [middle, half[axis][1]]
            rows = rng.integers(half[0][0], half[0][1] - size + 1, n)
            cols = rng.integers(half[1][0], half[1][1] - size + 1, n)
            patches = np.stack([image[r:r + size, c:c + size] for r, c in zip(rows, cols)]) if n else \
                np.zeros((0, size, size))
            lo = patches.min(axis=(1, 2), keepdims=True)
            span = np.maximum(patches.max(axis=(1, 2), keepdims=True) - lo, 1e-8)
            out[split][0].append(255.0 * (patches - lo) / span)
            out[split][1].append(np.full(n, label, dtype=np.int64))
    return (np.concatenate(out["train"][0]), np.concatenate(out["train"][1]),
            np.concatenate(out["test"][0]), np.concatenate(out["test"][1]))


# --------------------------------------------------------------------------- files


def save_params(path, params):
    """Write a params dict (name -> array) to an .npz file, one array per key (trainlab's params format)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{name: np.asarray(w) for name, w in params.items()})
    Path(path).write_bytes(buffer.getvalue())


def load_params(path):
    """Read a params dict written by save_params (float64 arrays, in the file's key order)."""
    with np.load(path) as archive:
        return {name: archive[name].astype(np.float64) for name in archive.files}


def file_sha256(path):
    """sha256 hex digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def weights_sha256(params):
    """sha256 of the weights themselves: every array as float64 bytes, in key order (a numpy params
    dict or a torch state_dict), independent of how the file was written."""
    digest = hashlib.sha256()
    for name, w in params.items():
        w = w.detach().cpu().numpy() if hasattr(w, "detach") else np.asarray(w)
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(w, dtype=np.float64).tobytes())
    return digest.hexdigest()


def mlp_from_params(params, activation="relu"):
    """A FullyConnectedNet holding ``params`` (its sizes read from the weight shapes)."""
    num_layers = sum(1 for name in params if name.startswith("W"))
    dims = [params[f"W{i}"].shape[1] for i in range(1, num_layers + 1)]
    model = FullyConnectedNet(dims[:-1], params["W1"].shape[0], num_classes=dims[-1], activation=activation)
    model.params = {name: np.array(w, dtype=np.float64) for name, w in params.items()}
    return model


def load_pretrained_mlp(path=None):
    """The shipped numpy MLP pretrained on the digits 0-4: a FullyConnectedNet(MLP_HIDDEN, 196, 5), ReLU.

    Inputs are ``mlp_input(images)``. ``path`` defaults to data/pretrained_mlp_digits04.npz.
    """
    return mlp_from_params(load_params(path or SHIPPED_DIR / MLP_FILE))


# --------------------------------------------------------------------------- pretraining


def shift_pooled(X, rng):
    """Augmentation for the pretraining: each (N, 196) pooled image shifted by -1, 0 or 1 pixel (2 of
    the original) in each direction, wrapping around (the borders are background)."""
    images = np.asarray(X).reshape(-1, 14, 14)
    dy, dx = rng.integers(-1, 2, len(images)), rng.integers(-1, 2, len(images))
    out = np.stack([np.roll(image, (a, b), axis=(0, 1)) for image, a, b in zip(images, dy, dx)])
    return out.reshape(len(images), -1)


def pretrain_mlp(num_epochs=30, num_train_per_class=400, seed=0):
    """Train the source MLP on the digits 0-4 through the Solver (seeded); returns (model, val_acc).

    Validation: the 500 test digits of digit_task(SOURCE_CLASSES, ...). SGD with momentum, lr 0.05,
    L2 1e-4, batch 50, one shuffled pass per epoch, each minibatch shifted by shift_pooled (so the
    features do not learn where a digit sits); the final weights are kept.
    """
    X_train, y_train, X_val, y_val = digit_task(SOURCE_CLASSES, num_train_per_class, seed=seed)
    model = FullyConnectedNet(list(MLP_HIDDEN), 196, num_classes=len(SOURCE_CLASSES), reg=1e-4, seed=seed)
    data = {"X_train": mlp_input(X_train), "y_train": y_train, "X_val": mlp_input(X_val), "y_val": y_val}
    solver = Solver(model, data, update_rule="sgd_momentum", optim_config={"lr": 0.05}, num_epochs=num_epochs,
                    batch_size=50, sampling="epoch", keep_best=False, seed=seed, progress=False,
                    callbacks=[callbacks.Augment(shift_pooled)])
    solver.train()
    return model, float(np.mean(model.predict(data["X_val"]) == y_val))


def make_cnn(num_classes=5):
    """The course's small CNN (PyTorch): conv3x3(8)-ReLU-pool, conv3x3(16)-ReLU-pool, fc(64)-ReLU, fc(num_classes).

    Modules, by index: 0-2 the first conv block, 3-5 the second, 6 flatten, 7-8 the hidden fc layer,
    9 the classifier (CNN_GROUPS names them). Inputs: (N, 1, 28, 28) images scaled to [0, 1].
    """
    import torch

    nn = torch.nn
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, num_classes))


CNN_GROUPS = {"conv1": (0,), "conv2": (3,), "fc": (7,), "head": (9,)}


def cnn_input(X, torch, device=None):
    """Images (N, 28, 28) in 0..255 -> float32 tensor (N, 1, 28, 28) in [0, 1] on device."""
    return torch.tensor(np.asarray(X, dtype=np.float32)[:, None] / 255.0, device=device)


def cnn_accuracy(model, X, y, torch, device=None):
    """Fraction of images X (N, 28, 28) the torch model classifies as y (eval mode, no gradients)."""
    model.eval()
    with torch.no_grad():
        pred = model(cnn_input(X, torch, device)).argmax(dim=1).cpu().numpy()
    return float(np.mean(pred == y))


def train_cnn(model, X, y, param_groups, num_epochs, batch_size=50, seed=0, device=None, momentum=0.9):
    """Minibatch SGD with momentum on a torch model: ``param_groups`` as torch.optim.SGD takes them.

    Seeded (torch.manual_seed, numpy's minibatch order); returns the per-update losses.
    """
    import torch

    torch.manual_seed(seed)
    optimizer = torch.optim.SGD(param_groups, momentum=momentum)
    X_t, y_t = cnn_input(X, torch, device), torch.tensor(y, device=device)
    history = []
    model.train()
    for epoch in range(num_epochs):
        order = np.random.default_rng(seed + epoch).permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = torch.as_tensor(order[start:start + batch_size], device=device)
            loss = torch.nn.functional.cross_entropy(model(X_t[idx]), y_t[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss.item())
    return history


def pretrain_cnn(num_epochs=12, num_train_per_class=400, seed=0):
    """Train the source CNN on the digits 0-4 (CPU, one thread, deterministic); returns (model, val_acc)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        X_train, y_train, X_val, y_val = digit_task(SOURCE_CLASSES, num_train_per_class, seed=seed)
        model = make_cnn(len(SOURCE_CLASSES))
        train_cnn(model, X_train, y_train, [{"params": model.parameters(), "lr": 0.05}], num_epochs, seed=seed)
        return model, cnn_accuracy(model, X_val, y_val, torch)
    finally:
        torch.set_num_threads(threads)


def load_pretrained_cnn(path=None, device=None):
    """The shipped PyTorch CNN (make_cnn(5)) pretrained on the digits 0-4, on ``device`` (default cpu)."""
    import torch

    model = make_cnn(len(SOURCE_CLASSES))
    model.load_state_dict(torch.load(path or SHIPPED_DIR / CNN_FILE, map_location="cpu", weights_only=True))
    return model.to(device or "cpu")


# --------------------------------------------------------------------------- exercises


def extract_features(params, X, depth, activation="relu"):
    """Frozen features: X forward through the first ``depth`` hidden layers of a FullyConnectedNet (test mode).

    Args:
        params: the net's parameters W1, b1, ..., WL, bL (W_i: (D_{i-1}, D_i); no normalization).
        X: (N, ...) inputs, flattened to (N, D_0); any real or integer dtype (computed in float64).
        depth: number of hidden layers (affine + activation) to run through, 0 <= depth <= L - 1;
            0 gives the flattened input itself.
        activation: the net's activation, a name in layers.ACTIVATIONS.
    Returns:
        features: (N, D_depth) float64, the output of hidden layer ``depth`` after its activation.
    """
    out = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    for i in range(1, depth + 1):
        out, _ = layers.affine_activation_forward(out, params[f"W{i}"], params[f"b{i}"], activation)
    return out


def train_linear_head(features, y, num_classes, reg=1e-3, lr=0.05, num_epochs=30, batch_size=50, seed=0):
    """A linear softmax classifier trained on frozen features through the Solver.

    The head is ``FullyConnectedNet([], D, num_classes, reg=reg, seed=seed)`` (one affine layer, He
    init, L2 on W) trained by ``Solver(head, {"X_train": features, "y_train": y},
    update_rule="sgd_momentum", optim_config={"lr": lr}, num_epochs=num_epochs,
    batch_size=batch_size, sampling="epoch", evaluate=False, seed=seed, progress=False)``
    (every other Solver argument at its default).

    Args:
        features: (N, D) float features (e.g. from extract_features).
        y: (N,) integer labels in [0, num_classes).
        num_classes: C.
        reg, lr, num_epochs, batch_size, seed: as above.
    Returns:
        head: the trained FullyConnectedNet; ``head.predict(features)`` gives labels.
    """
    head = FullyConnectedNet([], features.shape[1], num_classes, reg=reg, seed=seed)
    solver = Solver(head, {"X_train": features, "y_train": y}, update_rule="sgd_momentum",
                    optim_config={"lr": lr}, num_epochs=num_epochs, batch_size=batch_size, sampling="epoch",
                    evaluate=False, seed=seed, progress=False)
    solver.train()
    return head


def fine_tune(model, data, lr, layer_lrs=None, unfreeze_at=None, num_epochs=10, batch_size=50, seed=0):
    """Fine-tune a FullyConnectedNet in place, with per-layer learning rates and a freezing schedule.

    Layer i (parameters W{i} and b{i}, i = 1 .. L; layer L is the classifier) learns at rate
    ``lr * layer_lrs[i - 1]`` (give the earlier layers smaller factors), except in the epochs
    e < ``unfreeze_at[i - 1]`` (counted from 0), in which its rate is 0: frozen. So
    ``unfreeze_at[i - 1] = 0`` trains the layer from the start and a value >= num_epochs freezes
    it throughout. Train with ``Solver(model, data, update_rule="sgd_momentum",
    optim_config={"lr": lr}, num_epochs=num_epochs, batch_size=batch_size, sampling="epoch",
    keep_best=False, evaluate="X_val" in data, seed=seed, progress=False, callbacks=[cb])``,
    where the callback ``cb`` sets ``solver.optim_configs[name]["lr"]`` of every parameter in its
    ``on_batch_begin`` (``solver.epoch`` is the number of epochs done).

    Args:
        model: a FullyConnectedNet (no normalization), modified in place.
        data: dict with X_train, y_train and optionally X_val, y_val.
        lr: base learning rate.
        layer_lrs: L factors, one per layer, first layer first (None: all 1).
        unfreeze_at: L epochs, one per layer, first layer first (None: all 0, nothing frozen).
        num_epochs, batch_size, seed: passed to the Solver.
    Returns:
        history: the Solver's history (the model now holds the fine-tuned weights).
    """
    num_layers = model.num_layers
    factors = [1.0] * num_layers if layer_lrs is None else list(layer_lrs)
    starts = [0] * num_layers if unfreeze_at is None else list(unfreeze_at)

    class LayerRates:
        def on_batch_begin(self, solver):
            for name, config in solver.optim_configs.items():
                i = int(name[1:]) - 1   # "W3" and "b3" belong to layer 3
                config["lr"] = lr * factors[i] if solver.epoch >= starts[i] else 0.0

    solver = Solver(model, data, update_rule="sgd_momentum", optim_config={"lr": lr}, num_epochs=num_epochs,
                    batch_size=batch_size, sampling="epoch", keep_best=False, evaluate="X_val" in data,
                    seed=seed, progress=False, callbacks=[LayerRates()])
    return solver.train()


def multitask_loss(params, X, y_main, y_aux, aux_weight=1.0, activation="relu"):
    """Hard parameter sharing: one encoder, two heads; the weighted sum of the two tasks' losses and its gradients.

    The encoder is the hidden layers W1, b1, ..., Wk, bk (affine + activation; k = the number of
    W{i} keys, k >= 0), giving h = encoder(X); the heads are affine layers on h, "W_main", "b_main"
    and "W_aux", "b_aux". With L_task the softmax loss averaged over the samples that have a label
    for that task (label -1: no label; L_task = 0 when no sample has one),

        loss = L_main + aux_weight * L_aux

    Args:
        params: dict of the arrays above (W_main: (H, C_main), W_aux: (H, C_aux)).
        X: (N, ...) inputs, flattened to (N, D).
        y_main: (N,) integer labels in [0, C_main) or -1.
        y_aux: (N,) integer labels in [0, C_aux) or -1.
        aux_weight: weight of the auxiliary loss, >= 0.
        activation: the encoder's activation, a name in layers.ACTIVATIONS.
    Returns:
        loss: float; grads: dict keyed like params (the encoder gets the gradients of both heads).
    """
    depth = sum(1 for name in params if name[0] == "W" and name[1:].isdigit())
    h = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
    caches = []
    for i in range(1, depth + 1):
        h, cache = layers.affine_activation_forward(h, params[f"W{i}"], params[f"b{i}"], activation)
        caches.append(cache)
    loss, grads, dh = 0.0, {}, np.zeros_like(h)
    for task, labels, weight in (("main", y_main, 1.0), ("aux", y_aux, aux_weight)):
        scores, cache = layers.affine_forward(h, params[f"W_{task}"], params[f"b_{task}"])
        labels = np.asarray(labels)
        has = labels >= 0
        dscores = np.zeros_like(scores)
        if has.any():
            task_loss, dscores[has] = losses.softmax_loss(scores[has], labels[has])
            loss += weight * task_loss
        dh_task, grads[f"W_{task}"], grads[f"b_{task}"] = layers.affine_backward(weight * dscores, cache)
        dh += dh_task
    for i in range(depth, 0, -1):
        dh, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_activation_backward(dh, caches[i - 1])
    return float(loss), grads


def soft_sharing_penalty(params_a, params_b, reg, names=None):
    """Soft parameter sharing: an L2 pull between two task models' parameters, and its gradients.

        loss = 1/2 * reg * sum over the tied names n of sum((params_a[n] - params_b[n])**2)

    Args:
        params_a, params_b: the two models' params dicts.
        reg: strength >= 0.
        names: the names to tie (each in both dicts, with the same shape); None: every name the
            two dicts share.
    Returns:
        loss: float.
        grads_a: {n: reg * (params_a[n] - params_b[n])} for the tied names.
        grads_b: {n: reg * (params_b[n] - params_a[n])}.
    """
    if names is None:
        names = [name for name in params_a if name in params_b]
    loss, grads_a, grads_b = 0.0, {}, {}
    for name in names:
        diff = np.asarray(params_a[name], dtype=np.float64) - params_b[name]
        loss += 0.5 * reg * float(np.sum(diff * diff))
        grads_a[name], grads_b[name] = reg * diff, -reg * diff
    return loss, grads_a, grads_b


# --------------------------------------------------------------------------- multi-task models


def _labels(y):
    """(N, 2) labels (main, aux; -1 = none) as two columns."""
    y = np.asarray(y)
    return y[:, 0], y[:, 1]


class MultiTaskNet:
    """Hard parameter sharing as a Solver model: an encoder and two heads, trained with multitask_loss.

    ``loss(X)`` gives the main head's scores (so ``predict`` is the main task); ``loss(X, y)`` with
    y (N, 2) = (main label, auxiliary label), -1 where a sample has none, gives
    ``loss_fn(params, X, y[:, 0], y[:, 1], aux_weight)``. Train with ``Solver(..., evaluate=False)``
    (the Solver's accuracies expect one label per sample).

    Args:
        hidden_dims: encoder sizes; input_dim: D; num_main, num_aux: classes of the two tasks.
        aux_weight: weight of the auxiliary loss (0: the main task alone).
        encoder: optional params W1, b1, ... to start the encoder from (copied).
        loss_fn: the loss (default multitask_loss; a student's version in the notebook).
        seed: seed of the He initialization.
    """

    def __init__(self, hidden_dims, input_dim, num_main, num_aux, aux_weight=1.0, encoder=None,
                 loss_fn=None, seed=0):
        self.aux_weight, self.loss_fn = aux_weight, loss_fn or multitask_loss
        main = FullyConnectedNet(hidden_dims, input_dim, num_main, seed=seed)
        aux = FullyConnectedNet(hidden_dims, input_dim, num_aux, seed=seed + 1)
        last = len(hidden_dims) + 1
        self.params = {name: w for name, w in main.params.items() if name not in (f"W{last}", f"b{last}")}
        if encoder is not None:
            self.params.update({name: np.array(w, dtype=np.float64) for name, w in encoder.items()})
        self.params.update({"W_main": main.params[f"W{last}"], "b_main": main.params[f"b{last}"],
                            "W_aux": aux.params[f"W{last}"], "b_aux": aux.params[f"b{last}"]})

    def loss(self, X, y=None):
        """Main scores (N, C_main) when y is None, else (loss, grads)."""
        if y is None:
            depth = sum(1 for name in self.params if name[0] == "W" and name[1:].isdigit())
            h = extract_features(self.params, X, depth)
            return layers.affine_forward(h, self.params["W_main"], self.params["b_main"])[0]
        y_main, y_aux = _labels(y)
        return self.loss_fn(self.params, X, y_main, y_aux, self.aux_weight)

    def predict(self, X):
        """Main-task labels (N,)."""
        return self.loss(X).argmax(axis=1)


class SoftSharedNets:
    """Soft parameter sharing as a Solver model: two FullyConnectedNets, hidden layers pulled together.

    ``params`` holds "main:W1", ..., "aux:W1", ...; ``loss(X, y)`` with y (N, 2) as in MultiTaskNet
    is the main net's loss on the samples with a main label, plus the auxiliary net's on those with
    an auxiliary label, plus ``penalty_fn(main, aux, reg, hidden names)`` (soft_sharing_penalty by
    default). ``loss(X)`` gives the main net's scores.
    """

    def __init__(self, hidden_dims, input_dim, num_main, num_aux, reg=1e-2, penalty_fn=None, seed=0):
        self.reg, self.penalty_fn = reg, penalty_fn or soft_sharing_penalty
        self.nets = {"main": FullyConnectedNet(hidden_dims, input_dim, num_main, seed=seed),
                     "aux": FullyConnectedNet(hidden_dims, input_dim, num_aux, seed=seed + 1)}
        self.tied = [f"{kind}{i}" for i in range(1, len(hidden_dims) + 1) for kind in ("W", "b")]
        self.params = {f"{task}:{name}": w for task, net in self.nets.items() for name, w in net.params.items()}

    def _split(self):
        for task, net in self.nets.items():
            net.params = {name: self.params[f"{task}:{name}"] for name in net.params}

    def loss(self, X, y=None):
        """Main scores when y is None, else (loss, grads) keyed like params."""
        self._split()
        if y is None:
            return self.nets["main"].loss(X)
        loss, grads = 0.0, {name: np.zeros_like(w) for name, w in self.params.items()}
        for task, labels in zip(("main", "aux"), _labels(y)):
            has = labels >= 0
            if has.any():
                # the per-task loss is a mean over that task's samples, as in multitask_loss
                task_loss, task_grads = self.nets[task].loss(X[has], labels[has])
                loss += task_loss
                for name, g in task_grads.items():
                    grads[f"{task}:{name}"] += g
        penalty, g_main, g_aux = self.penalty_fn(self.nets["main"].params, self.nets["aux"].params, self.reg, self.tied)
        for name in self.tied:
            grads[f"main:{name}"] += g_main[name]
            grads[f"aux:{name}"] += g_aux[name]
        return loss + penalty, grads

    def predict(self, X):
        """Main-task labels (N,)."""
        return self.loss(X).argmax(axis=1)


def multitask_data(X_main, y_main, X_aux, y_aux):
    """Stack two tasks' samples into one training set with (N, 2) labels, -1 where a task has no label."""
    X = np.concatenate([X_main, X_aux])
    y = np.full((len(X), 2), -1, dtype=np.int64)
    y[:len(X_main), 0], y[len(X_main):, 1] = y_main, y_aux
    return X, y


# --------------------------------------------------------------------------- the retraining command


def pretrain(out_dir=None, check=False):
    """Retrain both shipped nets from their seeds; write them to out_dir (default data/) or, with
    check, compare them with the shipped files. Returns a list of report lines and whether all agree."""
    lines, ok = [], True
    folder = Path(out_dir) if out_dir else SHIPPED_DIR
    mlp, mlp_acc = pretrain_mlp()
    results = {"mlp": (mlp_acc, weights_sha256(mlp.params), folder / MLP_FILE)}
    try:
        cnn, cnn_acc = pretrain_cnn()
        results["cnn"] = (cnn_acc, weights_sha256(cnn.state_dict()), folder / CNN_FILE)
    except ImportError:
        lines.append("torch is not installed: the CNN is skipped")
        cnn = None
    for kind, (acc, digest, path) in results.items():
        recorded = SHIPPED[kind]
        if check:
            same_acc = abs(acc - recorded["val_acc"]) <= 0.005
            same_weights = digest == recorded["weights_sha256"]
            shipped = SHIPPED_DIR / (MLP_FILE if kind == "mlp" else CNN_FILE)
            on_disk = _shipped_weights_sha256(kind, shipped)
            lines.append(f"{kind}: val acc {acc:.4f} (shipped {recorded['val_acc']:.4f}: "
                         f"{'agrees' if same_acc else 'DIFFERS'}); weights sha256 {digest[:16]}... "
                         f"({'identical to' if same_weights else 'differs from'} the recorded one, "
                         f"shipped file's weights {'match the record' if on_disk == recorded['weights_sha256'] else 'DO NOT match the record'})")
            ok = ok and same_acc and on_disk == recorded["weights_sha256"]
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "mlp":
                save_params(path, mlp.params)
            else:
                import torch
                torch.save(cnn.state_dict(), path)
            lines.append(f"{kind}: val acc {acc:.4f}, weights sha256 {digest}, wrote {path} "
                         f"({path.stat().st_size:,} B, file sha256 {file_sha256(path)})")
    return lines, ok


def _shipped_weights_sha256(kind, path):
    if not Path(path).is_file():
        return None
    if kind == "mlp":
        return weights_sha256(load_params(path))
    try:
        import torch
    except ImportError:
        return None
    return weights_sha256(torch.load(path, map_location="cpu", weights_only=True))


def main(argv=None):
    """``python -m trainlab.transfer pretrain [--check] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m trainlab.transfer",
                                     description="Retrain the shipped pretrained nets (digits 0-4) from their seeds.")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("pretrain", help="retrain the numpy MLP and the torch CNN",
                         description="examples: python -m trainlab.transfer pretrain --check")
    cmd.add_argument("--check", action="store_true",
                     help="compare with the shipped files instead of overwriting them (exit status 1 if they disagree)")
    cmd.add_argument("--out", default=None, help="folder to write the files to (default: the repository's data/)")
    args = parser.parse_args(argv)
    lines, ok = pretrain(args.out, check=args.check)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
