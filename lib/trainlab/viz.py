"""Plots of a training run: loss (linear and log) and train/val accuracy."""
import matplotlib.pyplot as plt
import numpy as np


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
    for name, history in histories.items():
        values = np.asarray(history[key], dtype=float)
        if key == "loss" and len(values) >= smooth:
            values = np.convolve(values, np.ones(smooth) / smooth, "valid")
        ax.plot(values, label=name)
    ax.set(xlabel="iteration" if key == "loss" else "epoch", ylabel=key)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return ax
