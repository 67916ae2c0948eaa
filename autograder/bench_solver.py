"""`bench --part solver`: one CIFAR-10 training epoch, the course's Solver against PyTorch and the BLAS bound.

The net is the lectures' reference: 3072 - 50 (ReLU) - 10 softmax, L2 weight decay, SGD with
momentum, batch 100 drawn with replacement, 490 updates per epoch (49,000 images), then the
accuracies on 1,000 training and 1,000 validation images (the Solver's defaults). The same
epoch, on the same minibatches (the Solver's own index sequence), three ways:

- ``Solver``: ``trainlab.solver.Solver`` on ``trainlab.models.FullyConnectedNet`` with its
  defaults (update:weight ratios every step, best-model snapshot), data and net in float32,
  then in float64;
- ``PyTorch``: ``torch.nn`` Linear-ReLU-Linear, ``CrossEntropyLoss``, ``torch.optim.SGD``
  (momentum, weight decay on the weights) on the CPU with as many threads as numpy's BLAS;
- ``BLAS bound``: only the matrix products of that epoch at the same shapes (forward and the
  weight gradients of both layers, the hidden layer's input gradient, the accuracy forward
  passes): what no implementation of this net on this BLAS can beat.

Each is run ``repeats`` times, interleaved, after a warm-up; medians are printed and the
ratios are the medians of the ratios within each round (so a drifting machine speed cancels).
On a machine busy with other work, multithreaded BLAS and torch lose far more than numpy's
single-threaded elementwise work: ``threads=1`` gives steadier figures there. CIFAR-10 comes
from ``trainlab.data.load_cifar10(download=False)`` (``TRAINLAB_DATA``); without it random
uint8 images of the same shape are used, and the output says so.
"""
import statistics
import time

import numpy as np

NUM_TRAIN, NUM_VAL, BATCH, HIDDEN, CLASSES = 49000, 1000, 100, 50, 10
LR, MOMENTUM, REG = 1e-2, 0.9, 1e-3


def cifar_split():
    """{X_train (49000, 3072) float64 standardized, y_train, X_val, y_val}, and where it came from."""
    from trainlab import data

    try:
        d = data.load_cifar10(download=False)  # a benchmark never downloads
        val = slice(NUM_TRAIN, NUM_TRAIN + NUM_VAL)
        split = {"X_train": d["X_train"][:NUM_TRAIN], "y_train": d["y_train"][:NUM_TRAIN],
                 "X_val": d["X_train"][val], "y_val": d["y_train"][val]}
        source = "CIFAR-10 (TRAINLAB_DATA)"
    except (data.DatasetNotFoundError, OSError, ValueError) as err:
        rng = np.random.default_rng(0)
        split = {"X_train": rng.integers(0, 256, (NUM_TRAIN, 32, 32, 3), dtype=np.uint8),
                 "y_train": rng.integers(0, CLASSES, NUM_TRAIN),
                 "X_val": rng.integers(0, 256, (NUM_VAL, 32, 32, 3), dtype=np.uint8),
                 "y_val": rng.integers(0, CLASSES, NUM_VAL)}
        source = f"SYNTHETIC uint8 images of CIFAR-10's shape (CIFAR-10 not found: {str(err).splitlines()[0][:80]})"
    X_train = split["X_train"].reshape(NUM_TRAIN, -1).astype(np.float64)
    mean, std = X_train.mean(axis=0), X_train.std()
    X_train -= mean
    X_train /= std
    X_val = (split["X_val"].reshape(NUM_VAL, -1) - mean) / std
    return {"X_train": X_train, "y_train": split["y_train"], "X_val": X_val, "y_val": split["y_val"]}, source


def in_dtype(split, dtype):
    """The split with its images in dtype (as a lecture converts its data once, up front)."""
    return {k: v.astype(dtype) if k.startswith("X") else v for k, v in split.items()}


def batch_indices(seed, count):
    """The minibatch indices the Solver draws with sampling 'random' and this seed."""
    rng = np.random.default_rng(seed)
    return [rng.choice(NUM_TRAIN, BATCH) for _ in range(count)]


def solver_epoch(split, seed=0):
    """Seconds for one Solver epoch (490 updates, then the accuracies) on the split's dtype, and the last loss."""
    from trainlab.models import FullyConnectedNet
    from trainlab.solver import Solver

    model = FullyConnectedNet([HIDDEN], input_dim=split["X_train"].shape[1], num_classes=CLASSES, reg=REG,
                              seed=seed, dtype=split["X_train"].dtype)
    solver = Solver(model, split, update_rule="sgd_momentum", optim_config={"lr": LR, "momentum": MOMENTUM},
                    num_epochs=1, batch_size=BATCH, progress=False, seed=seed)
    start = time.perf_counter()
    solver.train()
    return time.perf_counter() - start, solver.history["loss"][-1]


def torch_epoch(torch, split, seed=0):
    """Seconds for the same epoch in PyTorch on the CPU in the split's dtype (float32), on the Solver's
    minibatches, and the last loss."""
    X_train, y_train, X_val, y_val = (torch.from_numpy(split[k]) for k in ("X_train", "y_train", "X_val", "y_val"))
    indices = [torch.from_numpy(i) for i in batch_indices(seed, NUM_TRAIN // BATCH)]
    train_subset = torch.from_numpy(np.random.default_rng(seed + 1).choice(NUM_TRAIN, 1000, replace=False))
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(X_train.shape[1], HIDDEN), torch.nn.ReLU(),
                              torch.nn.Linear(HIDDEN, CLASSES)).to(X_train.dtype)
    weights = [m.weight for m in net if isinstance(m, torch.nn.Linear)]
    biases = [m.bias for m in net if isinstance(m, torch.nn.Linear)]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": REG}, {"params": biases, "weight_decay": 0.0}],
                          lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for idx in indices:
        loss = loss_fn(net(X_train[idx]), y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    with torch.no_grad():
        for X, y in ((X_train[train_subset], y_train[train_subset]), (X_val, y_val)):
            float((net(X).argmax(dim=1) == y).float().mean())
    return time.perf_counter() - start, loss.item()


def blas_epoch(dtype, seed=0):
    """Seconds for only the matrix products of the epoch, at its shapes, in dtype."""
    rng = np.random.default_rng(seed)
    D = 3 * 32 * 32
    X = rng.standard_normal((BATCH, D)).astype(dtype)
    W1, W2 = rng.standard_normal((D, HIDDEN)).astype(dtype), rng.standard_normal((HIDDEN, CLASSES)).astype(dtype)
    dscores = rng.standard_normal((BATCH, CLASSES)).astype(dtype)
    X_eval = rng.standard_normal((500, D)).astype(dtype)
    start = time.perf_counter()
    for _ in range(NUM_TRAIN // BATCH):
        h = X @ W1
        h @ W2                    # scores
        h.T @ dscores             # dW2
        dh = dscores @ W2.T       # dh (the input gradient of the second layer)
        X.T @ dh                  # dW1 (the first layer's input gradient is never needed)
    for _ in range(4):            # 2 x 1000 accuracy images in chunks of 500
        (X_eval @ W1) @ W2
    return time.perf_counter() - start


def bench_solver(repeats=3, threads=None):
    """Print the comparison; returns {name: median seconds}.

    threads: BLAS and torch threads (None: numpy's BLAS default, e.g. one per core).
    """
    from threadpoolctl import threadpool_info, threadpool_limits

    from trainlab import torch_twins

    if threads is not None:
        with threadpool_limits(limits=threads, user_api="blas"):
            return bench_solver(repeats)
    split, source = cifar_split()
    split32, split64 = in_dtype(split, np.float32), split
    blas_threads = max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)
    torch = torch_twins.torch_or_none()
    if torch is not None:
        torch.set_num_threads(blas_threads)
    runs = {"Solver float32": lambda: solver_epoch(split32)[0],
            "Solver float64": lambda: solver_epoch(split64)[0],
            "PyTorch float32": (lambda: torch_epoch(torch, split32)[0]) if torch is not None else None,
            "BLAS bound float32": lambda: blas_epoch(np.float32),
            "BLAS bound float64": lambda: blas_epoch(np.float64)}
    runs = {name: fn for name, fn in runs.items() if fn is not None}
    print(f"solver: one epoch of a {3072}-{HIDDEN}-{CLASSES} ReLU net, SGD momentum, batch {BATCH}, "
          f"{NUM_TRAIN // BATCH} updates + accuracies on 2 x 1000 images")
    print(f"  data: {source}; BLAS threads {blas_threads}"
          + (f", torch threads {torch.get_num_threads()}" if torch is not None else ", torch absent"))
    for fn in runs.values():  # warm-up: first-touch page faults, BLAS buffers, torch's allocator
        fn()
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            times[name].append(fn())
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"  {name:20s} {medians[name]:6.3f} s per epoch  (min {min(t):.3f}, max {max(t):.3f}, "
              f"{repeats} runs)")

    def ratio(a, b):
        return statistics.median(x / y for x, y in zip(times[a], times[b]))

    pairs = [("Solver float32", "PyTorch float32", "target <= 1"),
             ("Solver float32", "BLAS bound float32", "target <= 3"),
             ("Solver float64", "BLAS bound float64", ""), ("PyTorch float32", "BLAS bound float32", ""),
             ("Solver float64", "Solver float32", "")]
    for a, b, target in pairs:
        if a in times and b in times:
            print(f"  {a + ' / ' + b:40s} {ratio(a, b):5.2f}" + (f"  ({target})" if target else ""))
    for dtype in ("float32", "float64"):
        beyond = medians[f"Solver {dtype}"] - medians[f"BLAS bound {dtype}"]
        print(f"  Solver {dtype} beyond the matrix products: {beyond:.3f} s "
              f"({beyond / (NUM_TRAIN // BATCH) * 1e3:.2f} ms per update: sampling, elementwise layers, loss, "
              f"update rule, update:weight ratios, accuracies)")
    return medians
