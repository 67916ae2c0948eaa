"""Ready callbacks for ``trainlab.solver.Solver(..., callbacks=[...])``.

A callback is any object with some of the Solver's hook methods (``on_train_begin``,
``on_epoch_begin``, ``on_batch_begin``, ``on_batch``, ``on_step_end``, ``on_evaluate``,
``on_epoch_end``, ``on_train_end``; see ``trainlab.solver``). Those here:

- ``Augment(train_fn, evaluate_fn=None)``: transform each training minibatch (per-batch
  augmentation) and what accuracies are measured on (e.g. centre crops minus the mean).
- ``EarlyStop(patience, smooth=...)``: ``regularization.EarlyStopping`` on the (smoothed)
  validation accuracy; restores its best snapshot at the end.
- ``EMA(decay)``: Polyak/EMA averages of the weights (and batchnorm running statistics),
  with ``swapped_in(model)`` to evaluate them.
- ``Checkpoints(every)``: deep copies of the parameters every N epochs (snapshot ensembles).
- ``LRSchedule(schedule, unit)``: what ``Solver(lr_schedule=...)`` uses.
- ``LayerStats(X_probe, every)``: per-layer activation and gradient statistics and
  update:weight ratios every N iterations.

Import graph (one way): callbacks -> solver, regularization, init; solver imports none of them.
"""
import contextlib
import copy

import numpy as np

from trainlab import init, regularization
from trainlab.solver import LRSchedule

__all__ = ["Augment", "EarlyStop", "EMA", "Checkpoints", "LRSchedule", "LayerStats"]


def _bn_copy(model):
    """Deep copy of a model's batchnorm state (``bn_params``), or None when it has none."""
    bn = getattr(model, "bn_params", None)
    return copy.deepcopy(bn) if bn else None


class Augment:
    """Per-batch data augmentation, and the matching evaluation transform.

    Args:
        train_fn: ``train_fn(X_batch, rng) -> X_batch`` applied to every training minibatch
            (rng: the solver's ``solver.rng``, so a seeded run is reproducible).
        evaluate_fn: optional ``evaluate_fn(X) -> X`` applied to everything accuracies are
            measured on (train and validation, in chunks), e.g. centre crops minus the mean,
            so the shapes match what the model was trained on.
    """

    def __init__(self, train_fn, evaluate_fn=None):
        self.train_fn, self.evaluate_fn = train_fn, evaluate_fn
        if evaluate_fn is None:
            self.on_evaluate = None  # no hook: the Solver collects only callable ones

    def on_batch(self, solver, X, y):
        return self.train_fn(X, solver.rng), y

    def on_evaluate(self, solver, X):
        return self.evaluate_fn(X)


class EarlyStop:
    """Early stopping on the validation accuracy with ``regularization.EarlyStopping``.

    After each epoch the stopper sees ``history[monitor]`` smoothed by
    ``regularization.ema_smooth(..., smooth)`` (its last value); once it has seen ``patience``
    epochs without improvement it sets ``solver.stop``. At the end of training the best
    snapshot (parameters, and batchnorm statistics if any) is loaded into the model.

    Args:
        patience, min_delta: as in regularization.EarlyStopping (ignored if ``stopper`` is given).
        smooth: EMA factor in [0, 1) of the watched curve (0: raw).
        monitor: history key to watch (higher is better), "val_acc" by default.
        restore: load the best snapshot at the end of training.
        stopper: an existing regularization.EarlyStopping to drive (e.g. to read its
            best_epoch afterwards); also available as ``self.stopper``.
    An epoch in which another hook already set ``solver.stop`` is not scored.
    """

    def __init__(self, patience=5, min_delta=0.0, smooth=0.0, monitor="val_acc", restore=True, stopper=None):
        self.stopper = stopper if stopper is not None else regularization.EarlyStopping(patience, min_delta)
        self.smooth, self.monitor, self.restore = smooth, monitor, restore
        self.best_bn_params = None

    def on_epoch_end(self, solver):
        if solver.stop:
            return
        score = regularization.ema_smooth(solver.history[self.monitor], self.smooth)[-1]
        stop = self.stopper.step(score, solver.model.params)
        if self.stopper.best_epoch == self.stopper.epoch:  # improved: keep the batchnorm state too
            self.best_bn_params = _bn_copy(solver.model)
        solver.stop = solver.stop or stop

    def on_train_end(self, solver):
        if self.restore and self.stopper.best_params is not None:
            solver.model.params = copy.deepcopy(self.stopper.best_params)
            if self.best_bn_params is not None:
                solver.model.bn_params = copy.deepcopy(self.best_bn_params)


class EMA:
    """Polyak averaging with an exponential moving average of the weights.

    ``ema = decay * ema + (1 - decay) * w`` after every update, starting from the weights at
    the start of training (no bias correction). Batchnorm running statistics (when the model
    has ``bn_params``) are averaged the same way from the first update on.

    Args:
        decay: in [0, 1); 0.995 averages over about the last 200 updates.

    Attributes:
        ema_params: dict like ``model.params``; ema_bn_params: list like ``model.bn_params`` or None.
    """

    def __init__(self, decay=0.995):
        self.decay = decay
        self.ema_params, self.ema_bn_params = None, None

    def on_train_begin(self, solver):
        if self.ema_params is None:  # a second train() continues the average
            self.ema_params = {name: np.array(w, dtype=float, copy=True) for name, w in solver.model.params.items()}

    def on_step_end(self, solver, grads):
        bn = getattr(solver.model, "bn_params", None) or None
        if bn and self.ema_bn_params is None:  # statistics exist from the first update on
            self.ema_bn_params = copy.deepcopy(bn)
            regularization.ema_update(self.ema_params, solver.model.params, self.decay)
            return
        regularization.ema_update(self.ema_params, solver.model.params, self.decay, self.ema_bn_params, bn)

    @contextlib.contextmanager
    def swapped_in(self, model):
        """Context manager: the model uses the averaged weights (and statistics) inside, its own after."""
        params, bn = model.params, getattr(model, "bn_params", None)
        model.params = self.ema_params
        if self.ema_bn_params is not None:
            model.bn_params = self.ema_bn_params
        try:
            yield model
        finally:
            model.params = params
            if self.ema_bn_params is not None:
                model.bn_params = bn

    def apply_to(self, model):
        """Load (copies of) the averaged weights and statistics into the model for good."""
        model.params = copy.deepcopy(self.ema_params)
        if self.ema_bn_params is not None:
            model.bn_params = copy.deepcopy(self.ema_bn_params)


class Checkpoints:
    """Keep a deep copy of the parameters every ``every`` epochs (checkpoint/snapshot ensembles).

    Attributes:
        checkpoints: list of (epoch, params, bn_params) with epoch counted from 1, params a
            deep copy of ``model.params`` and bn_params one of ``model.bn_params`` (None when
            the model has no batchnorm).
    """

    def __init__(self, every=1):
        self.every = every
        self.checkpoints = []

    def on_epoch_end(self, solver):
        if solver.epoch % self.every == 0:
            self.checkpoints.append((solver.epoch, copy.deepcopy(solver.model.params), _bn_copy(solver.model)))

    @property
    def epochs(self):
        return [epoch for epoch, _, _ in self.checkpoints]

    def load(self, model, index=-1):
        """Load (copies of) checkpoint ``index`` into the model; returns the model."""
        _, params, bn = self.checkpoints[index]
        model.params = copy.deepcopy(params)
        if bn is not None:
            model.bn_params = copy.deepcopy(bn)
        return model


class LayerStats:
    """Record per-layer statistics every ``every`` iterations, on demand (add it to the callbacks).

    After updates 0, every, 2 every, ... (counting updates from 0) this appends to
    ``solver.history["layer_stats"]`` a dict with
    - "iteration";
    - "act_mean", "act_std": (L-1,) per hidden layer, on the fixed probe batch, test mode
      (``model.hidden_activations``; statistics from ``init.layer_statistics``, as lecture 03's
      ``activation_statistics``); "activations", the arrays themselves, if ``keep_activations``;
    - "grad_mean", "grad_std": per parameter, of the gradients of the update just made
      (the training minibatch: a probe-batch gradient would change batchnorm statistics and
      dropout draws);
    - "update_ratio": per parameter, ||dW|| / ||W|| of that update (from the Solver's
      ``history["update_ratio"]`` when it records every update, else computed here).

    Args:
        X_probe: (P, ...) fixed inputs for the activation statistics (e.g. 500 validation samples).
        every: record every this many iterations.
        keep_activations: also keep the probe activations themselves (for histograms).
    """

    def __init__(self, X_probe, every=50, keep_activations=False):
        self.X_probe, self.every, self.keep_activations = X_probe, every, keep_activations

    def on_train_begin(self, solver):
        self.records = solver.history.setdefault("layer_stats", [])
        self._before = None

    def on_batch_begin(self, solver):
        # keep the weights before the update only when the Solver does not record the ratio itself
        if solver.iteration % self.every == 0 and solver.update_ratio_every != 1:
            self._before = dict(solver.model.params)  # references: the rules return new arrays

    def on_step_end(self, solver, grads):
        it = solver.iteration - 1  # the update just made
        if it % self.every:
            return
        model = solver.model
        record = {"iteration": it,
                  "grad_mean": {name: float(g.mean()) for name, g in grads.items()},
                  "grad_std": {name: float(g.std()) for name, g in grads.items()}}
        if self._before is not None:
            record["update_ratio"] = {name: float(np.linalg.norm(model.params[name] - w) / (np.linalg.norm(w) + 1e-12))
                                      for name, w in self._before.items()}
            self._before = None
        else:
            record["update_ratio"] = {name: r[-1] for name, r in solver.history["update_ratio"].items()}
        if hasattr(model, "hidden_activations"):
            acts = model.hidden_activations(self.X_probe)
            record["act_mean"], record["act_std"] = init.layer_statistics(acts)
            if self.keep_activations:
                record["activations"] = acts
        self.records.append(record)
