"""Classification losses: each returns (loss, dscores), averaged over the minibatch."""
import numpy as np


def softmax_loss(scores, y):
    """Softmax cross-entropy, L = -mean_i log(e^{s_{i,y_i}} / sum_j e^{s_ij}).

    The scores are shifted by their row maximum first, so large scores do not overflow.

    Args:
        scores: (N, C) class scores.
        y: (N,) integer labels in [0, C).
    Returns:
        loss: float; dscores: (N, C) gradient of the loss.
    """
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n


def svm_loss(scores, y, delta=1.0):
    """Multiclass hinge loss L = mean_i sum_{j != y_i} max(0, s_ij - s_{i,y_i} + delta).

    Args:
        scores: (N, C) class scores.
        y: (N,) integer labels.
        delta: margin.
    Returns:
        loss: float; dscores: (N, C).
    """
    n = scores.shape[0]
    correct = scores[np.arange(n), y][:, None]
    margins = np.maximum(0, scores - correct + delta)
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n
    positive = (margins > 0).astype(float)
    positive[np.arange(n), y] = -positive.sum(axis=1)
    return float(loss), positive / n
