"""Lecture 13: the whole training pipeline on a small CNN, in PyTorch (CPU by default, GPU when present).

Every step comes from an earlier lecture, in the order a practitioner applies them: per-channel
preprocessing fitted on the training data (02), a first layer initialised from the PCA whitening
of 2x2 image patches (02, ``whitening_filters``), He initialization (03), batch norm (04), SGD
with Nesterov momentum (05), warm-up and linear decay (06), weight decay on the weights only
(``param_groups``) and label smoothing (07, ``train_step``), flips and translations and
test-time augmentation (08, ``evaluate_tta``), the babysitting checks and the training doctor
(09), a short search with pruning (10), EMA weights (11, ``ema_update_torch``).

``CONFIGS`` holds the settings: "cpu" (the notebook's default run), "quick" (the same at a
fraction of the cost: tests, and the notebook without CIFAR-10), "ablation" (the cheap setting
the notebook ablates one step at a time) and "full" (the airbench-style GPU run of
``python -m trainlab.pipeline``, ``make pipeline``). torch is imported inside the functions, so
``import trainlab`` never needs it.
"""
import argparse
import copy
import math
import sys
import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from trainlab import data as data_lib


@dataclass(frozen=True)
class Config:
    """One setting of the pipeline; every ``False``/0 switches that step off (the ablations)."""

    widths: tuple = (32, 64, 128)    # channels of the three conv blocks
    stem_stride: int = 2             # whitening conv on 2x2 patches: stride 2 (CPU) or 1 (airbench, GPU)
    num_epochs: float = 6
    num_train: int = 49000           # training images (CIFAR-10: the first ones; the rest is validation)
    batch_size: int = 256
    lr: float = 0.4                  # peak rate, reached after the warm-up
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    decay_all: bool = False          # True: weight decay on biases and batch-norm parameters too
    label_smoothing: float = 0.2
    warmup: float = 0.2              # fraction of the steps spent warming up (0: none)
    decay: bool = True               # linear decay to 0 after the warm-up (False: constant rate)
    flip: bool = True
    translate: int = 2               # random shifts of up to this many pixels (reflected borders)
    tta: bool = True                 # test-time augmentation: the mirrored image too
    ema: float = 0.99                # decay of the EMA weights per step (0: none)
    whiten: bool = True              # first layer from the patch whitening, frozen (else He init, trained)
    he_init: bool = True             # He init of the convs (else N(0, 0.01^2))
    batchnorm: bool = True
    preprocess: bool = True          # per-channel standardization (else raw 0..255 pixels)
    bf16: bool = False               # bfloat16 autocast (GPU)
    channels_last: bool = True
    seed: int = 0


CONFIGS = {
    "cpu": Config(num_epochs=3, bf16=True),
    "quick": Config(widths=(16, 32, 64), num_epochs=2, num_train=4000, batch_size=64, lr=0.2, bf16=True),
    "ablation": Config(widths=(16, 32, 64), num_epochs=2, num_train=8000, batch_size=128, bf16=True),
    # airbench94-like: overlapping 2x2 whitening patches, widths 64/256/256, bf16 on a GPU
    "full": Config(widths=(64, 256, 256), stem_stride=1, num_epochs=10, batch_size=1024,
                   lr=0.6, weight_decay=5e-4, bf16=True),
}


QUICK_ENV = "TRAINLAB_QUICK"   # set to 1: the notebook runs its cheap settings even with CIFAR-10 (the tests)


def settings(data, device_type="cpu", quick=None):
    """The notebook's three settings for the data at hand: {"main", "ablation", "search"} Configs and a
    one-line description. CIFAR-10 on a CPU: "cpu", "ablation" and a smaller search; on a GPU: "full";
    the bundled digits (no CIFAR-10) or ``quick`` (default: $TRAINLAB_QUICK): the "quick" setting."""
    import os

    quick = os.environ.get(QUICK_ENV, "") not in ("", "0") if quick is None else quick
    if quick or data["name"] != "CIFAR-10":
        main = CONFIGS["quick"]
        runs = {"main": main, "ablation": replace(main, num_train=2000, num_epochs=1),
                "search": replace(main, num_train=1000, num_epochs=2, ema=0.0)}
        why = "the bundled digits (no CIFAR-10)" if data["name"] != "CIFAR-10" else f"${QUICK_ENV} is set"
        return runs, f"quick settings: {why}"
    main = CONFIGS["full" if device_type == "cuda" else "cpu"]
    if device_type not in ("cpu", "cuda"):
        main = replace(main, bf16=False)
    runs = {"main": main, "ablation": CONFIGS["ablation"],
            "search": replace(CONFIGS["ablation"], num_train=4000, batch_size=128, ema=0.0)}
    return runs, f"the '{'full' if device_type == 'cuda' else 'cpu'}' setting on {device_type}"


# --------------------------------------------------------------------------- data


def load_data(num_train=49000, num_val=1000, num_test=1000):
    """CIFAR-10 (the CS231n split) or, without it, the bundled MNIST subset; and a line saying which.

    Returns:
        data: dict X_train (N, H, W, C) uint8, y_train, X_val, y_val, X_test, y_test, "classes"
            (names), "name" ("CIFAR-10" or "MNIST subset (bundled)"), "flip_ok" (False for digits:
            a mirrored digit is not the same digit).
        message: str.
    """
    try:
        data = data_lib.cifar10_splits(num_train, num_val, num_test)
        data.update(classes=data_lib.CIFAR10_CLASSES, name="CIFAR-10", flip_ok=True)
        return data, f"CIFAR-10: {num_train} training, {num_val} validation, {num_test} test images"
    except data_lib.DatasetNotFoundError as err:
        reason = str(err).split("\n", 1)[1]
    X, y = data_lib.load_mnist_subset()
    X = np.pad(X, ((0, 0), (2, 2), (2, 2)))[..., None]          # 32x32, one channel
    order = np.random.default_rng(0).permutation(len(X))
    train, val, test = order[:3500], order[3500:4000], order[4000:]
    data = {"X_train": X[train], "y_train": y[train], "X_val": X[val], "y_val": y[val],
            "X_test": X[test], "y_test": y[test], "classes": tuple(str(d) for d in range(10)),
            "name": "MNIST subset (bundled)", "flip_ok": False}
    return data, ("CIFAR-10 is not available, so this run uses the 5,000 bundled MNIST digits (3,500 training, "
                  "500 validation, 1,000 test; no flips) and the 'quick' setting. How to get CIFAR-10:\n" + reason)


def channel_stats(X_train, chunk=1024):
    """Per-channel mean and std of training images (N, H, W, C), as float64 arrays (C,) (lecture 02).

    Two passes over chunks of ``chunk`` images: no float64 copy of the whole set (1.2 GB for
    CIFAR-10, whose first touch alone takes seconds).
    """
    X = np.asarray(X_train)
    count = X.shape[0] * X.shape[1] * X.shape[2]
    chunks = [X[i:i + chunk] for i in range(0, len(X), chunk)]
    mean = sum(part.sum(axis=(0, 1, 2), dtype=np.float64) for part in chunks) / count
    var = sum(np.square(part - mean).sum(axis=(0, 1, 2)) for part in chunks) / count
    return mean, np.sqrt(var)


def to_tensor(X, mean=None, std=None, device=None):
    """Images (N, H, W, C) -> float32 tensor (N, C, H, W), standardized per channel when mean/std given.

    Written channel by channel into one new array (X is not modified, and no full-size temporaries).
    """
    import torch

    X = np.asarray(X)
    out = np.empty((X.shape[0], X.shape[3], X.shape[1], X.shape[2]), dtype=np.float32)
    for c in range(X.shape[3]):
        if mean is None:
            out[:, c] = X[..., c]
        else:
            np.subtract(X[..., c], np.float32(mean[c]), out=out[:, c], dtype=np.float32)
            out[:, c] /= np.float32(std[c])
    return torch.from_numpy(out).to(device or "cpu")


def augment_batch(X, generator, flip=True, translate=2):
    """Random horizontal flips (p = 1/2) and shifts of up to ``translate`` pixels (reflected borders).

    Args:
        X: (N, C, H, W) tensor (not modified).
        generator: torch.Generator on X's device: the draws.
    Returns:
        (N, C, H, W) tensor.
    """
    import torch

    n = len(X)
    if flip:
        mirror = torch.rand(n, generator=generator, device=X.device) < 0.5
        X = torch.where(mirror[:, None, None, None], X.flip(-1), X)
    if translate:
        t, (H, W) = translate, X.shape[-2:]
        padded = torch.nn.functional.pad(X, (t, t, t, t), mode="reflect")
        dy, dx = torch.randint(0, 2 * t + 1, (2, n, 1), generator=generator, device=X.device)
        rows = (dy + torch.arange(H, device=X.device))[:, None, :, None]        # (N, 1, H, 1)
        cols = (dx + torch.arange(W, device=X.device))[:, None, None, :]        # (N, 1, 1, W)
        X = padded.gather(2, rows.expand(-1, X.shape[1], -1, padded.shape[3])).gather(3, cols.expand(-1, X.shape[1], H, -1))
    return X


# --------------------------------------------------------------------------- the net


def image_patches(X, size=2, max_patches=None, seed=0):
    """Every size x size patch of images X (N, C, H, W) (stride 1) as (P, C, size, size); a seeded sample
    of max_patches of them when given."""
    import torch

    patches = X.unfold(2, size, 1).unfold(3, size, 1)             # (N, C, H', W', size, size)
    patches = patches.permute(0, 2, 3, 1, 4, 5).reshape(-1, X.shape[1], size, size)
    if max_patches is not None and len(patches) > max_patches:
        g = torch.Generator().manual_seed(seed)
        patches = patches[torch.randperm(len(patches), generator=g)[:max_patches]]
    return patches


def _block(nn, c_in, c_out, batchnorm):
    norm = (lambda c: nn.BatchNorm2d(c, momentum=0.4)) if batchnorm else (lambda c: nn.Identity())
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=not batchnorm), nn.MaxPool2d(2), norm(c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=not batchnorm), norm(c_out), nn.ReLU()]


def make_net(config=None, in_channels=3, num_classes=10):
    """The airbench-style CNN: a 2x2 whitening conv (2 C 4 filters), then three blocks
    conv3x3-maxpool-BN-ReLU-conv3x3-BN-ReLU of ``config.widths`` channels, global max pooling and a
    linear classifier. Index 0 is the whitening conv; ``init_net`` initializes it."""
    import torch

    nn, config = torch.nn, config or Config()
    stem = 2 * in_channels * 4
    layers = [nn.Conv2d(in_channels, stem, 2, stride=config.stem_stride), nn.ReLU()]
    for c_in, c_out in zip((stem,) + tuple(config.widths[:-1]), config.widths):
        layers += _block(nn, c_in, c_out, config.batchnorm)
    layers += [nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(config.widths[-1], num_classes)]
    return nn.Sequential(*layers)


def init_net(net, config, X_train=None, seed=0):
    """Initialize ``make_net``'s parameters (seeded): He init of the convs (or small random), a small
    classifier (initial loss ~ ln C), and, with config.whiten, the first layer's filters from
    ``whitening_filters`` of X_train's patches (N, C, H, W), frozen."""
    import torch

    torch.manual_seed(seed)
    for module in net.modules():
        if isinstance(module, torch.nn.Conv2d):
            if config.he_init:
                torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            else:
                torch.nn.init.normal_(module.weight, std=0.01)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
    head = net[-1]
    torch.nn.init.normal_(head.weight, std=0.01 / math.sqrt(head.in_features))
    torch.nn.init.zeros_(head.bias)
    if config.whiten and X_train is not None:
        weight, bias = whitening_filters(image_patches(X_train, 2, max_patches=200_000, seed=seed))
        with torch.no_grad():
            net[0].weight.copy_(weight)
            net[0].bias.copy_(bias)
        net[0].weight.requires_grad_(False)
    return net


def tiny_net(seed=0, in_channels=2, num_classes=3, size=3, dtype=None, width=4):
    """A tiny seeded CNN for the exercises' checks: conv3x3(width)-BN-ReLU, flatten, linear (float64 default)."""
    import torch

    torch.manual_seed(seed)
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(), nn.Flatten(),
                        nn.Linear(width * size * size, num_classes))
    return net.to(dtype or torch.float64)


# --------------------------------------------------------------------------- exercises


def param_groups(model, weight_decay):
    """Two parameter groups for torch.optim: weight decay on the weights, none on the rest.

    Decayed: every trainable parameter with two or more dimensions (the weights of convolutions and
    linear layers); not decayed: the other trainable ones (biases, batch-norm scales and shifts).
    Parameters with ``requires_grad=False`` are left out.

    Args:
        model: a torch.nn.Module.
        weight_decay: float >= 0, the decay of the first group.
    Returns:
        [{"params": [decayed, in model.parameters() order], "weight_decay": weight_decay},
         {"params": [the others, in that order], "weight_decay": 0.0}] (a group may be empty).
    """
    decay, no_decay = [], []
    for p in model.parameters():
        if p.requires_grad:
            (decay if p.ndim >= 2 else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def whitening_filters(patches, eps=5e-4):
    """First-layer filters that PCA-whiten image patches, and their negatives (lecture 02).

    With x the flattened patches (D = C k k values each), mu their mean, Sigma = (x - mu)^T (x - mu) / P
    their covariance and Sigma = U diag(S) U^T (eigenvalues S descending), filter i is
    u_i / sqrt(s_i + eps) reshaped to (C, k, k), for i = 1..D, followed by the D negated filters
    (a ReLU after the layer keeps both halves of each direction). The bias makes the outputs zero
    mean on the patches: b = -W mu. Each eigenvector is defined up to its sign (a filter and its
    negative may swap halves), and within a repeated eigenvalue up to a rotation.

    Args:
        patches: (P, C, k, k) float tensor, P >= 1; computed in float64.
        eps: > 0, added to each eigenvalue.
    Returns:
        weight: (2 D, C, k, k) and bias: (2 D,), tensors of patches' dtype.
    """
    import torch

    P, C, kh, kw = patches.shape
    x = patches.reshape(P, -1).double()
    mu = x.mean(dim=0)
    centered = x - mu
    eigvals, eigvecs = torch.linalg.eigh(centered.T @ centered / P)
    eigvals, eigvecs = eigvals.flip(0), eigvecs.flip(1)              # descending
    filters = eigvecs.T / torch.sqrt(eigvals.clamp(min=0) + eps)[:, None]
    weight = torch.cat([filters, -filters])
    return weight.reshape(-1, C, kh, kw).to(patches.dtype), (-weight @ mu).to(patches.dtype)


def train_step(model, optimizer, X, y, label_smoothing=0.0):
    """One training iteration: train mode, fresh gradients, the smoothed cross-entropy, one update.

    The loss is the mean over the batch of -sum_k t_k log softmax(scores)_k with targets
    t = (1 - label_smoothing) one_hot(y) + label_smoothing / C (torch's label smoothing).

    Args:
        model: torch.nn.Module giving scores (N, C).
        optimizer: a torch.optim optimizer over (some of) model's parameters; its step is the update.
        X: (N, ...) input tensor; y: (N,) int64 labels in [0, C). Neither is modified.
        label_smoothing: in [0, 1).
    Returns:
        loss: float, the loss of this batch before the update.
    """
    import torch

    model.train()
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(X), y, label_smoothing=label_smoothing)
    loss.backward()
    optimizer.step()
    return loss.item()


def evaluate_tta(model, X, flip=True, batch_size=500):
    """Test-time augmentation: class probabilities averaged over each image and its mirror image.

    Runs in eval mode without gradients (batch-norm running statistics used, not updated), in
    batches of batch_size, and puts the model back in the mode it was in.

    Args:
        model: torch.nn.Module giving scores (N, C).
        X: (N, C_in, H, W) tensor (not modified).
        flip: also the images flipped left-right (last axis); False: the images alone.
        batch_size: >= 1, images per forward pass (the result does not depend on it).
    Returns:
        probs: (N, C) tensor, the mean of the softmax probabilities of the views.
    """
    import torch

    was_training = model.training
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(X), batch_size):
            xb = X[start:start + batch_size]
            probs = torch.softmax(model(xb), dim=1)
            if flip:
                probs = (probs + torch.softmax(model(xb.flip(-1)), dim=1)) / 2
            out.append(probs)
    model.train(was_training)
    return torch.cat(out)


def ema_update_torch(ema_model, model, decay):
    """One step of EMA weights for a torch model, in place: e = decay * e + (1 - decay) * x.

    Applied to every floating-point entry of the state dict, parameters and buffers (batch-norm
    running means and variances) alike; integer buffers (batch norm's ``num_batches_tracked``) are
    copied from model. ``model`` is not modified.

    Args:
        ema_model: torch.nn.Module, a copy of model's architecture holding the averages.
        model: the torch.nn.Module being trained.
        decay: in [0, 1].
    Returns:
        None.
    """
    import torch

    with torch.no_grad():
        for e, x in zip(ema_model.state_dict().values(), model.state_dict().values()):
            if e.is_floating_point():
                e.mul_(decay).add_(x, alpha=1 - decay)
            else:
                e.copy_(x)


# --------------------------------------------------------------------------- training


def lr_factor(step, total_steps, warmup=0.2, decay=True):
    """The rate of update ``step`` (0-based) as a fraction of the peak: a linear warm-up over the first
    ``warmup`` of the steps, then (with decay) linearly down to 0 at the end (lecture 06)."""
    warm = warmup * total_steps
    if step < warm:
        return (step + 1) / (warm + 1)
    return (total_steps - step) / (total_steps - warm) if decay else 1.0


REFERENCES = {"param_groups": param_groups, "train_step": train_step, "evaluate_tta": evaluate_tta,
              "ema_update_torch": ema_update_torch, "whitening_filters": whitening_filters}


class _RecordedOptimizer:
    """An optimizer whose step goes through a diagnostics.TorchRecorder (the loss is filled in later)."""

    def __init__(self, optimizer, recorder):
        self.optimizer, self.recorder, self.param_groups = optimizer, recorder, optimizer.param_groups

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def step(self):
        self.recorder.step(self.optimizer, float("nan"))


def accuracy(probs, y):
    """Fraction of rows of probs (N, C) (tensor) whose argmax is y (array or tensor)."""
    return float(np.mean(probs.argmax(dim=1).cpu().numpy() == np.asarray(y)))


def prepare(data, config, device=None):
    """Tensors of the splits (standardized per channel with training statistics, or raw 0..255)."""
    X_train = data["X_train"][:config.num_train]
    mean, std = channel_stats(X_train) if config.preprocess else (None, None)
    X = {split: to_tensor(X_train if split == "train" else data[f"X_{split}"], mean, std, device)
         for split in ("train", "val", "test")}
    if config.channels_last:
        X = {k: v.contiguous(memory_format=__import__("torch").channels_last) for k, v in X.items()}
    return X


def train(config, data, fns=None, recorder=None, device=None, trial=None, log=None, test=True):
    """Train the pipeline's net on ``data`` (``load_data``) with ``config``; seeded.

    Args:
        fns: optional {name: function} replacing the references of REFERENCES (a student's).
        recorder: optional diagnostics.TorchRecorder-like factory ``f(model) -> recorder``.
        trial: optional Optuna trial: the EMA (or plain) validation accuracy is reported after every
            epoch and the run pruned when the trial says so.
        log: optional f(str) for one line per epoch.
        test: measure the test accuracies (False: validation only, for ablations and searches).
    Returns:
        dict: model, ema (or None), history {"loss", "lr", "val_acc"}, seconds (training only),
        and accuracies "val", "test" (the EMA weights when used, with TTA when config.tta),
        "test_no_tta", "test_no_ema".
    """
    import torch

    fn = dict(REFERENCES, **(fns or {}))
    device = torch.device(device or "cpu")
    torch.manual_seed(config.seed)
    X = prepare(data, config, device)
    y_train = torch.as_tensor(data["y_train"][:config.num_train], device=device)
    X_train = X["train"][:config.num_train]
    model = make_net(config, X_train.shape[1], len(data["classes"])).to(device)
    if config.whiten:
        _init_with(model, config, X_train[:500].float(), fn["whitening_filters"])
    else:
        init_net(model, config, seed=config.seed)
    if config.channels_last:
        model = model.to(memory_format=torch.channels_last)
    groups = fn["param_groups"](model, config.weight_decay) if not config.decay_all else \
        [{"params": [p for p in model.parameters() if p.requires_grad], "weight_decay": config.weight_decay}]
    optimizer = torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum,
                                nesterov=config.nesterov and config.momentum > 0)
    ema = copy.deepcopy(model) if config.ema else None      # before the recorder hooks into model
    stepper = optimizer if recorder is None else _RecordedOptimizer(optimizer, rec := recorder(model))
    steps_per_epoch = len(X_train) // config.batch_size
    total = max(1, int(round(config.num_epochs * steps_per_epoch)))
    g = torch.Generator(device=device).manual_seed(config.seed)
    history = {"loss": [], "lr": [], "val_acc": []}
    start, step = time.perf_counter(), 0
    while step < total:
        order = torch.randperm(len(X_train), generator=g, device=device)
        for i in range(steps_per_epoch):
            if step == total:
                break
            idx = order[i * config.batch_size:(i + 1) * config.batch_size]
            Xb = augment_batch(X_train[idx], g, config.flip and data["flip_ok"], config.translate)
            lr = config.lr * lr_factor(step, total, config.warmup, config.decay)
            for group in optimizer.param_groups:
                group["lr"] = lr
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16):
                loss = fn["train_step"](model, stepper, Xb, y_train[idx], config.label_smoothing)
            if recorder is not None:
                rec.history["loss"][-1] = loss
            if ema is not None:
                fn["ema_update_torch"](ema, model, min(config.ema, (1 + step) / (10 + step)))
            history["loss"].append(loss)
            history["lr"].append(lr)
            step += 1
        evaluated = ema if ema is not None else model
        val_acc = accuracy(fn["evaluate_tta"](evaluated, X["val"], flip=False), data["y_val"])
        history["val_acc"].append(val_acc)
        if recorder is not None:
            train_acc = accuracy(fn["evaluate_tta"](model, X_train[:1000], flip=False), data["y_train"][:1000])
            rec.end_epoch(train_acc, val_acc, lr)
        if log:
            log(f"epoch {len(history['val_acc'])}: step {step}/{total}, loss {np.mean(history['loss'][-steps_per_epoch:]):.3f}, "
                f"val acc {val_acc:.3f}, {time.perf_counter() - start:.0f} s")
        if trial is not None:
            import optuna

            trial.report(val_acc, len(history["val_acc"]))
            if trial.should_prune():
                raise optuna.TrialPruned()
    seconds = time.perf_counter() - start
    final = ema if ema is not None else model
    tta = config.tta and data["flip_ok"]
    result = {"model": model, "ema": ema, "history": history, "seconds": seconds, "optimizer": optimizer,
              "recorder": rec if recorder is not None else None}
    result["val"] = accuracy(fn["evaluate_tta"](final, X["val"], flip=tta), data["y_val"])
    if not test:
        return result
    result["test"] = accuracy(fn["evaluate_tta"](final, X["test"], flip=tta), data["y_test"])
    result["test_no_tta"] = accuracy(fn["evaluate_tta"](final, X["test"], flip=False), data["y_test"])
    result["test_no_ema"] = accuracy(fn["evaluate_tta"](model, X["test"], flip=tta), data["y_test"])
    return result


def _init_with(model, config, X_train, whitening_fn):
    init_net(model, replace(config, whiten=False), seed=config.seed)
    import torch

    weight, bias = whitening_fn(image_patches(X_train.contiguous(), 2, max_patches=200_000, seed=config.seed))
    with torch.no_grad():
        model[0].weight.copy_(weight)
        model[0].bias.copy_(bias)
    model[0].weight.requires_grad_(False)


# --------------------------------------------------------------------------- babysitting, search, ablations


def initial_loss(model, X, y):
    """The loss of a freshly initialized model on a batch (train-mode statistics, no update): ~ ln C."""
    import torch

    model.train()
    with torch.no_grad():
        return float(torch.nn.functional.cross_entropy(model(X), y))


def overfit_batch(model, X, y, steps=60, lr=0.05, step_fn=None):
    """Babysitting check: train on one small batch without augmentation or regularization; returns the
    losses (they should fall to ~0) and the final training accuracy on it (should be 1)."""
    import torch

    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr, momentum=0.9, nesterov=True)
    losses = [(step_fn or train_step)(model, optimizer, X, y) for _ in range(steps)]
    return losses, accuracy(evaluate_tta(model, X, flip=False), y.cpu().numpy())


def torch_lr_range_test(model, X, y, lr_start=1e-3, lr_end=10.0, num_iters=60, batch_size=256, seed=0):
    """The learning-rate range test on a torch model (lecture 06): one minibatch per rate, rates
    geometric from lr_start to lr_end, stopped once the loss exceeds 4x its lowest; the model is
    restored. Returns (lrs, losses) arrays (``schedules.suggest_lr`` reads them)."""
    import torch

    saved = copy.deepcopy(model.state_dict())
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr_start, momentum=0.9,
                                nesterov=True)
    g = torch.Generator().manual_seed(seed)
    lrs, losses = [], []
    for i in range(num_iters):
        lr = lr_start * (lr_end / lr_start) ** (i / max(num_iters - 1, 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        idx = torch.randint(0, len(X), (batch_size,), generator=g)
        loss = train_step(model, optimizer, X[idx], y[idx])
        lrs.append(lr)
        losses.append(loss)
        if not math.isfinite(loss) or loss > 4 * min(losses):
            break
    model.load_state_dict(saved)
    return np.array(lrs), np.array(losses)


class SearchObjective:
    """An Optuna objective for ``search.run_worker``: the pipeline in a cheap setting with the trial's
    peak rate and weight decay (log scale), reporting the validation accuracy after every epoch so that
    a pruner can stop bad trials early."""

    SPACE = {"lr": (0.02, 4.0), "weight_decay": (1e-5, 1e-2)}

    def __init__(self, data, config):
        self.data, self.config = data, config

    def __call__(self, trial):
        params = {name: trial.suggest_float(name, lo, hi, log=True) for name, (lo, hi) in self.SPACE.items()}
        return train(replace(self.config, **params), self.data, trial=trial, test=False)["val"]


ABLATIONS = {
    "the whole pipeline": {},
    "no per-channel preprocessing (raw 0..255 pixels)": {"preprocess": False},
    "no whitening layer (He init, trained)": {"whiten": False},
    "no He init (N(0, 0.01^2) weights)": {"he_init": False},
    "no batch norm": {"batchnorm": False},
    "classical momentum instead of Nesterov": {"nesterov": False},
    "no warm-up and no decay (constant rate)": {"warmup": 0.0, "decay": False},
    "weight decay on biases and batch norm too": {"decay_all": True},
    "no weight decay": {"weight_decay": 0.0},
    "no label smoothing": {"label_smoothing": 0.0},
    "no flips or translations": {"flip": False, "translate": 0},
}


def ablate(data, config, ablations=None, fns=None, log=None):
    """Train ``config`` once per ablation (one step switched off at a time, same seed).

    Returns {row: validation accuracy}, with the two steps that need no retraining read from the
    whole pipeline's run: "no test-time augmentation" and "no EMA weights".
    """
    rows = {}
    for name, change in (ablations or ABLATIONS).items():
        result = train(replace(config, **change), data, fns=fns, test=False)
        rows[name] = result["val"]
        if not change:
            X_val = prepare(data, config)["val"]
            evaluate = (fns or {}).get("evaluate_tta", evaluate_tta)
            final = result["ema"] if result["ema"] is not None else result["model"]
            rows["no test-time augmentation"] = accuracy(evaluate(final, X_val, flip=False), data["y_val"])
            rows["no EMA weights"] = accuracy(evaluate(result["model"], X_val, flip=config.tta and data["flip_ok"]),
                                              data["y_val"])
        if log:
            log(f"{name:50s} {rows[name]:.3f} ({result['seconds']:.1f} s)")
    return rows


# --------------------------------------------------------------------------- the GPU run


def set_fast_backends(torch):
    """torch.backends settings for speed on a GPU: cuDNN autotuning, TF32 matrix products and convolutions."""
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True


def main(argv=None):
    """``python -m trainlab.pipeline [--config full] [--device cuda] [--epochs N]``: one run, its numbers."""
    import torch

    parser = argparse.ArgumentParser(prog="python -m trainlab.pipeline",
                                     description="Train the lecture-13 pipeline on CIFAR-10 (examples: "
                                                 "python -m trainlab.pipeline; python -m trainlab.pipeline --config cpu)")
    parser.add_argument("--config", default="full", choices=sorted(CONFIGS), help="setting (default: full, for a GPU)")
    parser.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    parser.add_argument("--epochs", type=float, default=None, help="override the number of epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from trainlab import torch_twins

    device = torch.device(args.device) if args.device else torch_twins.get_device()
    config = replace(CONFIGS[args.config], seed=args.seed, **({"num_epochs": args.epochs} if args.epochs else {}))
    if device.type == "cuda":
        set_fast_backends(torch)
    else:
        torch.set_num_threads(1)
    data, message = load_data()
    print(message)
    config = replace(config, num_train=min(config.num_train, len(data["X_train"])))
    print(f"{args.config} setting on {device}: {asdict(config)}")
    if device.type == "cuda":   # one short run first: cuDNN autotuning and lazy initialization are not training
        train(replace(config, num_epochs=0.05), data, device=device)
        torch.cuda.synchronize()
    result = train(config, data, device=device, log=print)
    print(f"training {result['seconds']:.1f} s; test accuracy {result['test']:.4f} "
          f"(without TTA {result['test_no_tta']:.4f}, without EMA {result['test_no_ema']:.4f}) on "
          f"{len(data['y_test'])} test images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
