"""Plots of a training run: loss (linear and log) and train/val accuracy."""
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
