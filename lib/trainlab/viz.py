"""Plots of a training run (loss linear and log, train/val accuracy and their gap, update:weight ratios,
per-layer histograms, first-layer weights) and of optimizers, schedules and range tests."""
import matplotlib.pyplot as plt
import numpy as np

from trainlab import optim as _optim


def plot_history(history, title=None, smooth=20):
    """Loss per iteration (raw and smoothed, linear and log scale) and accuracy per epoch.

    Args:
        history: dict with "loss" (per iteration), "train_acc" and "val_acc" (per epoch).
        smooth: window of the moving average drawn over the raw loss.
    Returns:
        the matplotlib Figure.
    """
    fig, (ax_loss, ax_log, ax_acc) = plt.subplots(1, 3, figsize=(13, 3.5))
    loss = np.asarray(history["loss"], dtype=float)
    for ax, scale in ((ax_loss, "linear"), (ax_log, "log")):
        ax.plot(loss, alpha=0.35, lw=0.8, label="minibatch loss")
        if len(loss) >= smooth:
            ax.plot(np.arange(smooth - 1, len(loss)), np.convolve(loss, np.ones(smooth) / smooth, "valid"),
                    label=f"moving average ({smooth})")
        ax.set(xlabel="iteration", ylabel="loss", yscale=scale, title=f"loss ({scale})")
    ax_loss.legend()
    epochs = np.arange(1, len(history["train_acc"]) + 1)
    ax_acc.plot(epochs, history["train_acc"], "o-", label="train")
    ax_acc.plot(epochs, history["val_acc"], "o-", label="val")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    ax_acc.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_histories(histories, key="loss", smooth=20, ax=None, logy=False):
    """Overlay one curve per named run, e.g. {"relu": h1, "tanh": h2}; returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    per_iteration = key == "loss"
    for name, history in histories.items():
        values = np.asarray(history[key], dtype=float)
        if per_iteration and len(values) >= smooth:
            values = np.convolve(values, np.ones(smooth) / smooth, "valid")
        steps = np.arange(len(values)) if per_iteration else np.arange(1, len(values) + 1)
        ax.plot(steps, values, label=name, marker=None if per_iteration else "o")
    labels = {"loss": "loss", "train_acc": "training accuracy", "val_acc": "validation accuracy", "lr": "learning rate"}
    ax.set(xlabel="iteration" if per_iteration else "epoch", ylabel=labels.get(key, key))
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return ax


def plot_paths(f_grad, paths, xlim, ylim, ax=None, title=None, levels=30, markersize=3):
    """Optimizer paths over the contours of a 2-D loss surface.

    Args:
        f_grad: function w (2,) -> (loss, grad), e.g. trainlab.optim.ravine.
        paths: dict name -> (T, 2) iterates (from trainlab.optim.optimize_path).
        xlim, ylim: (low, high) of the region drawn.
        ax: Axes to draw on (None: a new figure).
    Returns:
        the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    xs, ys = np.linspace(*xlim, 200), np.linspace(*ylim, 200)
    zz = np.array([[f_grad((x, y))[0] for x in xs] for y in ys])
    ax.contour(xs, ys, zz, levels, cmap="Greys", linewidths=0.7)
    for name, path in paths.items():
        path = np.asarray(path)
        ax.plot(path[:, 0], path[:, 1], ".-", lw=1.2, ms=markersize, label=name)
    first = np.asarray(next(iter(paths.values())))[0] if paths else None
    if first is not None:
        ax.plot(*first, "k*", ms=12, label="start")
    ax.set(xlim=xlim, ylim=ylim, xlabel="$w_1$", ylabel="$w_2$")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    return ax


def plot_schedules(rates, ax=None, logy=False, xlabel="step t", title="learning-rate schedules"):
    """One curve per named schedule.

    Args:
        rates: dict name -> 1-D array of learning rates, one per step t = 0, 1, ...
        logy: log-scale learning-rate axis.
    Returns:
        the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for name, lr in rates.items():
        ax.plot(np.arange(len(lr)), lr, label=name)
    ax.set(xlabel=xlabel, ylabel="learning rate", title=title)
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    return ax


def plot_lr_range_test(lrs, losses, suggested=None, smoothed=None, ax=None):
    """Loss against learning rate (log axis) from a range test, with the suggested rate.

    Args:
        lrs, losses: 1-D arrays from trainlab.schedules.lr_range_test.
        suggested: a rate to mark (e.g. schedules.suggest_lr(lrs, losses)).
        smoothed: optional smoothed losses drawn over the raw ones.
    Returns:
        the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(lrs, losses, alpha=0.4 if smoothed is not None else 1.0, label="minibatch loss")
    if smoothed is not None:
        ax.plot(lrs, smoothed, label="smoothed")
    if suggested is not None:
        ax.axvline(suggested, color="C3", ls="--", label=f"suggested lr = {suggested:.2g}")
    finite = np.asarray(losses)[np.isfinite(losses)]
    if finite.size:
        ax.set_ylim(finite.min() * 0.9, min(finite.max(), 4 * finite.min()) * 1.05)
    ax.set(xscale="log", xlabel="learning rate", ylabel="loss", title="learning-rate range test")
    ax.legend(fontsize=8)
    return ax


# Start point and region drawn of each 2-D surface: the entries of trainlab.optim.SURFACES
# themselves (one registry; view["w0"], view["xlim"], view["ylim"] read them).
SURFACE_VIEWS = _optim.SURFACES


def plot_accuracy_gap(history, ax=None, title="train / validation accuracy"):
    """Training and validation accuracy per epoch, the gap between them shaded (lecture 09).

    A wide gap is overfitting, none at a low accuracy underfitting.

    Args:
        history: dict with "train_acc" and "val_acc" (per epoch).
    Returns:
        the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    train, val = np.asarray(history["train_acc"], dtype=float), np.asarray(history["val_acc"], dtype=float)
    epochs = np.arange(1, len(train) + 1)
    ax.plot(epochs, train, "o-", label="train")
    ax.plot(epochs, val, "o-", label="val")
    ax.fill_between(epochs, val, train, color="C3", alpha=0.15, label="gap")
    if len(train):
        ax.annotate(f"gap {train[-1] - val[-1]:+.1%}", (epochs[-1], (train[-1] + val[-1]) / 2), fontsize=8,
                    xytext=(-4, 0), textcoords="offset points", ha="right", va="center")
    ax.set(xlabel="epoch", ylabel="accuracy", title=title)
    ax.legend(fontsize=8)
    return ax


def plot_update_ratios(history, ax=None, smooth=20, title="update:weight ratio"):
    """log10 of ||dW|| / ||W|| per update for every weight matrix, against the healthy -3 line.

    Args:
        history: dict with "update_ratio" (name -> one ratio per update), e.g. a Solver's history;
            the weight matrices (names W1, W2, ...) are drawn, biases left out (they start at 0).
        smooth: window of the moving average of log10 drawn over the raw values.
    Returns:
        the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    names = sorted((n for n in history["update_ratio"] if n[:1] == "W" and n[1:].isdigit()), key=lambda n: int(n[1:]))
    for i, name in enumerate(names):
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log10(np.asarray(history["update_ratio"][name], dtype=float))
        values[~np.isfinite(values)] = np.nan
        ax.plot(values, color=f"C{i}", alpha=0.25, lw=0.7)
        if len(values) >= smooth:
            ax.plot(np.arange(smooth - 1, len(values)), np.convolve(values, np.ones(smooth) / smooth, "valid"),
                    color=f"C{i}", label=name)
        else:
            ax.plot(values, color=f"C{i}", label=name)
    ax.axhline(-3, color="k", ls="--", lw=1, label="1e-3 (healthy)")
    ax.set(xlabel="iteration", ylabel="log10(update / weight)", title=title)
    ax.legend(fontsize=8)
    return ax


def plot_layer_histograms(rows, value_range=None, bins=40, title=None, xlabel="value", positive_only=False,
                          size=1.7):
    """A grid of histograms: one row per configuration, one column per layer.

    Args:
        rows: dict label -> list of arrays, one per layer (activations or gradients).
        value_range: (low, high) of every histogram (None: each its own range).
        positive_only: histogram only the positive values (ReLU activations: the rest are exactly 0).
        size: height of a row in inches.
    Returns:
        the Figure.
    """
    num_layers = max(len(arrays) for arrays in rows.values())
    fig, axes = plt.subplots(len(rows), num_layers, figsize=(1.6 * num_layers + 1, size * len(rows)),
                             squeeze=False, sharex=value_range is not None)
    for r, (label, arrays) in enumerate(rows.items()):
        for layer, ax in enumerate(axes[r], start=1):
            ax.set_yticks([])
            if layer > len(arrays):
                ax.set_visible(False)
                continue
            values = np.asarray(arrays[layer - 1], dtype=float).ravel()
            values = values[values > 0] if positive_only else values
            ax.hist(values[np.isfinite(values)], bins=bins, range=value_range, color=f"C{r}")
            ax.tick_params(labelsize=7)
            if r == 0:
                ax.set_title(f"layer {layer}", fontsize=9)
            if r == len(rows) - 1:
                ax.set_xlabel(xlabel, fontsize=8)
        axes[r][0].set_ylabel(label, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_weight_grid(W, image_shape, num=10, ncols=10, axes=None, title=None):
    """First-layer weights as images: column j of W reshaped to image_shape, each scaled to [0, 1].

    Smooth, structured templates mean a well-trained layer; noise means one that learned little
    (or too little regularization).

    Args:
        W: (D, H) weights of the first affine layer, D = prod(image_shape).
        image_shape: (height, width) or (height, width, channels).
        num: how many units to draw (the first num).
        axes: optional sequence of Axes to draw into (e.g. one row of a figure).
    Returns:
        the Figure.
    """
    W = np.asarray(W, dtype=float)
    num = min(num, W.shape[1])
    if axes is None:
        nrows = -(-num // ncols)
        fig, grid = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.2 * nrows + 0.3 * bool(title)), squeeze=False)
        axes = grid.ravel()
    fig = axes[0].figure
    for j, ax in enumerate(axes):
        ax.axis("off")
        if j >= num:
            continue
        w = W[:, j].reshape(image_shape)
        span = w.max() - w.min()
        ax.imshow((w - w.min()) / (span if span > 0 else 1.0), cmap="gray" if w.ndim == 2 else None)
    if title:
        fig.suptitle(title)
    return fig
