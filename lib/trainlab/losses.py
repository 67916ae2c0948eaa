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


def soft_cross_entropy(scores, targets):
    """Cross-entropy with soft targets, L = -mean_i sum_j t_ij log softmax(s_i)_j.

    For label smoothing and mixup; with one-hot targets it equals softmax_loss.

    Args:
        scores: (N, C) class scores.
        targets: (N, C) target distributions (rows sum to 1).
    Returns:
        loss: float; dscores: (N, C) = (softmax(scores) - targets) / N.
    """
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    loss = -np.sum(targets * log_probs) / n
    return float(loss), (np.exp(log_probs) - targets) / n


def distillation_loss(scores, teacher_scores, temperature=4.0):
    """Knowledge distillation (Hinton et al.): soft cross-entropy to the teacher at temperature T.

    L = T^2 * soft_cross_entropy(scores / T, softmax(teacher_scores / T)); the T^2 keeps the
    gradient's size comparable across temperatures.

    Args:
        scores: (N, C) student scores.
        teacher_scores: (N, C) teacher scores (constants).
        temperature: T > 0; higher T gives softer targets.
    Returns:
        loss: float; dscores: (N, C) gradient w.r.t. the student scores.
    """
    t = teacher_scores / temperature
    t = np.exp(t - t.max(axis=1, keepdims=True))
    targets = t / t.sum(axis=1, keepdims=True)
    loss, dsoft = soft_cross_entropy(scores / temperature, targets)
    return temperature**2 * loss, temperature * dsoft
