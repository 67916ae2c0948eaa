"""Model ensembles: averaged predictions, snapshot ensembles, bagging, EMA weights, distillation.

A *member* is ``(params, bn_params)``: a model's parameter dict and its batchnorm state (None
without batchnorm), the format of ``callbacks.Checkpoints`` without the epoch. ``member_scores``
evaluates members on one model object; ``average_predictions`` turns their scores into the
ensemble's probabilities.

Import graph (one way): ensemble -> callbacks, solver, schedules, losses, models, regularization.
"""
import copy
import functools

import numpy as np

from trainlab import callbacks, losses, schedules
from trainlab.models import FullyConnectedNet
from trainlab.solver import Solver
from trainlab.regularization import ema_update  # ema_update: lecture 11's exercise, defined with EMA


def _log_softmax(scores, axis=-1):
    shifted = scores - scores.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def average_predictions(scores, weights=None):
    """The ensemble's class probabilities: the (weighted) mean of the members' softmax probabilities.

    Args:
        scores: (M, N, C) class scores of M members on N inputs (any scale: shift before exp).
        weights: optional (M,) non-negative member weights, not all 0 (normalized here); None:
            every member counts the same.
    Returns:
        probs: (N, C), rows summing to 1.
    """
    probs = np.exp(_log_softmax(np.asarray(scores, dtype=float)))
    if weights is None:
        return probs.mean(axis=0)
    weights = np.asarray(weights, dtype=float)
    return np.tensordot(weights / weights.sum(), probs, axes=1)


def ensemble_accuracy(probs, y):
    """Accuracy of the ensembles of the first 1, 2, ..., M members (diminishing returns).

    Args:
        probs: (M, N, C) class probabilities of M members on N inputs.
        y: (N,) integer labels.
    Returns:
        acc: (M,) float array, acc[k - 1] = accuracy of the mean of probs[:k] (a tie goes to the
            lowest class index, as np.argmax).
    """
    means = np.cumsum(probs, axis=0) / np.arange(1, len(probs) + 1)[:, None, None]
    return (means.argmax(axis=2) == y).mean(axis=1)


def member_scores(model, members, X):
    """Scores (M, N, C) of each member (params, bn_params) on X, evaluated with one model object.

    The model's own params and batchnorm state are restored afterwards.
    """
    params, bn = model.params, getattr(model, "bn_params", None)
    out = []
    try:
        for member_params, member_bn in members:
            model.params = member_params
            if member_bn is not None:
                model.bn_params = member_bn
            out.append(model.loss(X))
    finally:
        model.params = params
        if bn is not None:
            model.bn_params = bn
    return np.stack(out)


def snapshot_ensemble(model, data, num_cycles, epochs_per_cycle, lr0, lr_min=0.0, batch_size=100,
                      **solver_kwargs):
    """Train one model with SGDR (cosine with warm restarts) and keep the weights at each cycle's end.

    Trains ``model`` in place with ``Solver(model, data, ...)`` for num_cycles * epochs_per_cycle
    epochs of one shuffled pass each (sampling="epoch": ceil(N / batch_size) updates per epoch),
    the rate of every update set by ``schedules.cosine_with_restarts(t, lr0, T0, lr_min=lr_min)``
    with t the updates done and T0 = epochs_per_cycle epochs in updates (T_mult = 1), the final
    weights kept (keep_best=False); ``callbacks.Checkpoints`` takes a snapshot after the last
    epoch of every cycle.

    Args:
        model: a model of the Solver's contract (e.g. FullyConnectedNet), trained in place.
        data: dict with X_train, y_train, X_val, y_val.
        num_cycles, epochs_per_cycle: ints >= 1.
        lr0, lr_min: the rate at the start of each cycle and the floor of the cosine.
        batch_size: minibatch size.
        **solver_kwargs: other Solver arguments (update_rule, optim_config, seed, progress, ...),
            passed on unchanged.
    Returns:
        members: list of num_cycles (params, bn_params), deep copies of the model's params and
            batchnorm state (None without batchnorm) at the end of each cycle; the model ends with
            the last one.
    """
    iters_per_epoch = -(-data["X_train"].shape[0] // batch_size)
    schedule = functools.partial(schedules.cosine_with_restarts, lr0=lr0, T0=epochs_per_cycle * iters_per_epoch,
                                 lr_min=lr_min)
    snapshots = callbacks.Checkpoints(every=epochs_per_cycle)
    solver = Solver(model, data, lr_schedule=schedule, num_epochs=num_cycles * epochs_per_cycle,
                    batch_size=batch_size, sampling="epoch", keep_best=False, callbacks=[snapshots],
                    **solver_kwargs)
    solver.train()
    return [(params, bn) for _, params, bn in snapshots.checkpoints]


def update_bn(model, X, batch_size=100):
    """Recompute a batchnorm net's running statistics for its current weights, in place.

    One pass over X in order, in chunks of batch_size, in train mode; each layer's running mean
    and (unbiased) variance become the plain average of the chunks' batch statistics, as
    ``torch.optim.swa_utils.update_bn`` does (momentum None). The weights are not changed.
    Returns the model.
    """
    bn_params = getattr(model, "bn_params", None)
    if not bn_params:
        return model
    saved = [bn.get("momentum", 0.9) for bn in bn_params]
    for k, start in enumerate(range(0, X.shape[0], batch_size)):
        for bn in bn_params:
            bn["momentum"] = k / (k + 1)  # running = (k * running + batch) / (k + 1): the mean of k + 1 batches
        model._forward(X[start:start + batch_size], mode="train")
    for bn, momentum in zip(bn_params, saved):
        bn["momentum"] = momentum
    return model


def bagging_indices(n, num_models, rng, fraction=1.0):
    """Bootstrap samples for bagging, and the out-of-bag rows of each.

    Args:
        n: number of training rows (>= 1).
        num_models: M >= 1.
        rng: numpy Generator; the indices are drawn in one call,
            ``rng.integers(0, n, size=(M, m))`` with m = max(1, round(fraction * n)).
        fraction: size of each sample as a fraction of n (> 0; 1.0: the classic bootstrap).
    Returns:
        indices: (M, m) int array, rows drawn with replacement;
        oob: (M, n) bool array, oob[k, i] True when row i is not in sample k (out of bag).
    """
    m = max(1, round(fraction * n))
    indices = rng.integers(0, n, size=(num_models, m))
    oob = np.ones((num_models, n), dtype=bool)
    oob[np.arange(num_models)[:, None], indices] = False
    return indices, oob


def distillation_objective(scores, teacher_scores, y, temperature=4.0, alpha=0.9):
    """Hinton's distillation loss: soft targets at temperature T (scaled by T^2) mixed with the labels.

    L = alpha * T^2 * (1/N) sum_i KL(q_i || p_i) + (1 - alpha) * softmax_loss(scores, y),
    q_i = softmax(teacher_scores_i / T), p_i = softmax(scores_i / T): the KL divergence summed
    over the classes and averaged over the N examples (torch's reduction="batchmean").

    Args:
        scores: (N, C) student scores; teacher_scores: (N, C) teacher scores (constants; the log
            of an ensemble's averaged probabilities is fine).
        y: (N,) integer labels in [0, C).
        temperature: T > 0; alpha: weight of the soft term, in [0, 1].
    Returns:
        loss: float; dscores: (N, C) gradient w.r.t. scores,
            alpha * T * (p - q) / N + (1 - alpha) * (softmax(scores) - onehot(y)) / N.
    """
    soft, dsoft = losses.distillation_loss(scores, teacher_scores, temperature)  # T^2 * cross-entropy to q
    log_q = _log_softmax(teacher_scores / temperature, axis=1)
    entropy = -np.sum(np.exp(log_q) * log_q) / scores.shape[0]  # KL = cross-entropy - entropy of q
    hard, dhard = losses.softmax_loss(scores, y)
    loss = alpha * (soft - temperature**2 * entropy) + (1 - alpha) * hard
    return float(loss), alpha * dsoft + (1 - alpha) * dhard


class DistilledNet(FullyConnectedNet):
    """A plain FullyConnectedNet (no normalization, no dropout) trained on ``distillation_objective``.

    ``loss(X, y)`` uses the teacher's scores ``teacher(X)`` (a function of the minibatch, e.g. an
    ensemble's log-probabilities) as soft targets; ``loss(X)``, ``scores`` and ``predict`` are
    the plain net's. Args: those of FullyConnectedNet, plus teacher, temperature, alpha.
    """

    def __init__(self, hidden_dims, input_dim, teacher, temperature=4.0, alpha=0.9, **kwargs):
        super().__init__(hidden_dims, input_dim, **kwargs)
        if self.normalization is not None or self.dropout_param is not None:
            raise ValueError("DistilledNet supports plain nets only (normalization=None, dropout=None)")
        self.teacher, self.temperature, self.alpha = teacher, temperature, alpha

    def loss(self, X, y=None):
        if y is None:
            return super().loss(X)
        scores, caches = self._forward(X, mode="train")
        loss, dout = distillation_objective(scores, self.teacher(X), y, self.temperature, self.alpha)
        return self._backward(loss, dout, caches)  # the backward pass of FullyConnectedNet.loss


def ensemble_teacher(model, members):
    """A teacher function X -> log of the members' averaged probabilities (scores for DistilledNet)."""
    members = [(copy.deepcopy(p), copy.deepcopy(bn)) for p, bn in members]
    return lambda X: np.log(np.maximum(average_predictions(member_scores(model, members, X)), 1e-300))
