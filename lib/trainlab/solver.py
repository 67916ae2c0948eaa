"""The training loop: minibatch SGD with any update rule, epochs as the unit.

Usage::

    solver = Solver(model, data, update_rule="sgd", optim_config={"lr": 1e-2},
                    num_epochs=10, batch_size=100)
    solver.train()
    solver.history["val_acc"], solver.best_val_acc, solver.best_params

Extension points (callbacks): pass ``Solver(..., callbacks=[cb, ...])``. A callback is any
object; each of these methods it defines is called, in the order of the list, at a fixed
point of ``train()`` (the bound methods are collected once per ``train()``, so a hook a
callback does not define costs nothing per iteration):

===========================================  =================================================
``on_train_begin(solver)``                   before the first epoch
``on_epoch_begin(solver)``                   before each epoch (``solver.epoch``: epochs done)
``on_batch_begin(solver)``                   before each update, its minibatch drawn (set rates here)
``on_batch(solver, X, y) -> (X, y)``         transform a training minibatch before forward
``on_step_end(solver, grads)``               after the update (``solver.iteration`` counts it)
``on_evaluate(solver, X) -> X``              transform what accuracies are measured on
``on_epoch_end(solver)``                     after the epoch's accuracies are in the history
``on_train_end(solver)``                     after the last epoch (and the best-model load)
===========================================  =================================================

Setting ``solver.stop = True`` in any hook ends training: after the current step when set
during an epoch (the epoch is then not evaluated), or after ``on_epoch_end``. Ready
callbacks (augmentation, early stopping, EMA weights, checkpoints, layer statistics) are in
``trainlab.callbacks``; ``LRSchedule`` (behind the ``lr_schedule`` argument) is here.
"""
import copy
import math

import numpy as np
from tqdm.auto import tqdm

from trainlab import data as data_lib
from trainlab import optim

HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_begin", "on_batch", "on_step_end", "on_evaluate",
         "on_epoch_end", "on_train_end")


class LRSchedule:
    """Callback: set every parameter's rate from a schedule before each update.

    Args:
        schedule: function t -> lr (e.g. a trainlab.schedules function with its other arguments
            bound); t counts from 0.
        unit: "iteration" (t = updates done so far) or "epoch" (t = epochs done, the same rate
            for a whole epoch).

    Appends each rate to ``solver.history["lr_iter"]`` (one per update).
    """

    def __init__(self, schedule, unit="iteration"):
        if unit not in ("iteration", "epoch"):
            raise ValueError(f"lr_schedule_unit must be 'iteration' or 'epoch', got {unit!r}")
        self.schedule, self.unit = schedule, unit

    def on_train_begin(self, solver):
        self._rates = solver.history.setdefault("lr_iter", [])

    def on_batch_begin(self, solver):
        lr = float(self.schedule(solver.iteration if self.unit == "iteration" else solver.epoch))
        for config in solver.optim_configs.values():  # not cached: a rule may return a new config
            config["lr"] = lr
        self._rates.append(lr)


class Solver:
    """Trains a model (see trainlab.models for the contract) on a dict of arrays.

    Args:
        model: object with ``params`` and ``loss(X, y=None)``.
        data: dict with X_train, y_train, X_val, y_val (the validation pair may be left out
            when ``evaluate=False``).
        update_rule: name in trainlab.optim.RULES, or a callable with the rule interface.
        optim_config: hyperparameters passed to the rule (copied once per parameter).
        lr_decay: multiply the learning rate by this after each epoch.
        lr_schedule: optional function t -> lr (e.g. a trainlab.schedules function with its
            other arguments bound) that sets the rate of every parameter before each update;
            t counts from 0 in the unit lr_schedule_unit. Replaces lr_decay. (Runs as an
            ``LRSchedule`` callback before the ones in ``callbacks``.)
        lr_schedule_unit: "iteration" (t = updates done so far) or "epoch" (t = epochs done,
            the same rate for a whole epoch).
        batch_size, num_epochs: size of a minibatch and number of passes over the data.
        sampling: "random" (``batch_size`` samples drawn with replacement from the solver's
            rng, N // batch_size minibatches per epoch) or "epoch" (one pass without
            replacement per epoch, exactly ``data.iterate_minibatches(X_train, y_train,
            batch_size, seed=seed + epoch)``; the last minibatch may be smaller).
        iterations_per_epoch: minibatches per epoch with sampling "random" (None: N // batch_size).
        num_train_samples: training samples used to measure train accuracy each epoch (None: all).
        num_val_samples: validation samples used (None: all).
        evaluate: measure train/val accuracy after each epoch (False: no accuracies, no
            best-model snapshot).
        keep_best: load the parameters of the best validation epoch at the end (False: keep
            the final parameters).
        explode_factor: stop once an epoch's last loss is not finite or above this times the
            initial loss (the lectures' rule, 3); None turns the rule off.
        update_ratio_every: record ||dW|| / ||W|| per parameter every this many updates in
            ``history["update_ratio"]`` (1: every update; 0 or None: never).
        callbacks: list of callbacks (see the module docstring).
        seed: seed for minibatch sampling (and the rng callbacks get as ``solver.rng``).
        progress: show a tqdm progress bar over iterations.
    """

    def __init__(self, model, data, **kwargs):
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data.get("X_val"), data.get("y_val")

        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.lr_schedule = kwargs.pop("lr_schedule", None)
        self.lr_schedule_unit = kwargs.pop("lr_schedule_unit", "iteration")
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.sampling = kwargs.pop("sampling", "random")
        self.iterations_per_epoch = kwargs.pop("iterations_per_epoch", None)
        self.num_train_samples = kwargs.pop("num_train_samples", 1000)
        self.num_val_samples = kwargs.pop("num_val_samples", None)
        self.evaluate = kwargs.pop("evaluate", True)
        self.keep_best = kwargs.pop("keep_best", True)
        self.explode_factor = kwargs.pop("explode_factor", 3.0)
        self.update_ratio_every = kwargs.pop("update_ratio_every", 1)
        self.callbacks = list(kwargs.pop("callbacks", None) or [])
        self.seed = kwargs.pop("seed", 0)
        self.progress = kwargs.pop("progress", True)
        if kwargs:
            raise ValueError(f"unrecognized Solver arguments: {', '.join(sorted(kwargs))}")
        if self.lr_schedule_unit not in ("iteration", "epoch"):
            raise ValueError(f"lr_schedule_unit must be 'iteration' or 'epoch', got {self.lr_schedule_unit!r}")
        if self.lr_schedule is not None and self.lr_decay != 1.0:
            raise ValueError("give either lr_schedule or lr_decay, not both")
        if self.sampling not in ("random", "epoch"):
            raise ValueError(f"sampling must be 'random' or 'epoch', got {self.sampling!r}")
        if self.evaluate and self.X_val is None:
            raise ValueError("data needs X_val and y_val (or pass evaluate=False)")
        if isinstance(self.update_rule, str):
            if self.update_rule not in optim.RULES:
                raise ValueError(f"unknown update rule {self.update_rule!r}; choose one of {sorted(optim.RULES)}")
            self.update_rule = optim.RULES[self.update_rule]
        if self.lr_schedule is not None:
            self.callbacks.insert(0, LRSchedule(self.lr_schedule, self.lr_schedule_unit))
        self._collect_hooks()
        self._reset()

    def _collect_hooks(self):
        """Bound hook methods per hook name, in callback order (only those the callbacks define)."""
        self.hooks = {name: [getattr(cb, name) for cb in self.callbacks if callable(getattr(cb, name, None))]
                      for name in HOOKS}

    def _reset(self):
        """Fresh history, best-model snapshot and one optimizer config per parameter."""
        self.rng = np.random.default_rng(self.seed)
        self.epoch = 0
        self.iteration = 0
        self.stop = False
        self.best_val_acc = 0.0
        self.best_params = {}
        self.best_bn_params = None
        self.history = {"loss": [], "train_acc": [], "val_acc": [], "lr": [], "update_ratio": {}}
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _batches(self):
        """The epoch's minibatches (X, y), as sampling says."""
        if self.sampling == "epoch":
            yield from data_lib.iterate_minibatches(self.X_train, self.y_train, self.batch_size,
                                                    seed=self.seed + self.epoch)
            return
        for _ in range(self._iters_per_epoch()):
            idx = self.rng.choice(self.X_train.shape[0], self.batch_size)
            yield self.X_train[idx], self.y_train[idx]

    def _iters_per_epoch(self):
        if self.sampling == "epoch":
            return -(-self.X_train.shape[0] // self.batch_size)
        if self.iterations_per_epoch is not None:
            return self.iterations_per_epoch
        return max(self.X_train.shape[0] // self.batch_size, 1)

    def _step(self, X, y):
        """One minibatch: forward, backward, update (and the update:weight ratios on schedule)."""
        hooks = self.hooks
        for hook in hooks["on_batch"]:
            X, y = hook(self, X, y)
        loss, grads = self.model.loss(X, y)
        self._losses.append(float(loss))
        params, configs, rule = self.model.params, self.optim_configs, self.update_rule
        every = self.update_ratio_every
        if every and self.iteration % every == 0:
            for name, ratios in self._ratio_lists:
                w = params[name]
                next_w, configs[name] = rule(w, grads[name], configs[name])
                # update:weight ratio, ~1e-3 is healthy (a babysitting rule of thumb);
                # sqrt(v . v) is what np.linalg.norm computes, without its overhead
                d = (next_w - w).ravel()
                flat = w.ravel()
                ratios.append(math.sqrt(d.dot(d)) / (math.sqrt(flat.dot(flat)) + 1e-12))
                params[name] = next_w
        else:
            for name in self._param_names:
                params[name], configs[name] = rule(params[name], grads[name], configs[name])
        self.iteration += 1
        for hook in hooks["on_step_end"]:
            hook(self, grads)

    def check_accuracy(self, X, y, num_samples=None, batch_size=500):
        """Fraction of correctly classified samples (a random subset if num_samples is set).

        Each chunk goes through the callbacks' ``on_evaluate`` transforms first (e.g. centre
        crops minus the mean), so accuracies are measured on what the model expects.
        """
        if num_samples is not None and X.shape[0] > num_samples:
            idx = self.rng.choice(X.shape[0], num_samples, replace=False)
            X, y = X[idx], y[idx]
        transforms = self.hooks["on_evaluate"]
        preds = []
        for i in range(0, X.shape[0], batch_size):
            chunk = X[i:i + batch_size]
            for transform in transforms:
                chunk = transform(self, chunk)
            preds.append(self.model.loss(chunk).argmax(axis=1))
        return float(np.mean(np.concatenate(preds) == y))

    def _end_epoch(self):
        """Record accuracies and the learning rate, keep the best parameters, decay the rate."""
        self.epoch += 1
        train_acc = val_acc = None
        if self.evaluate:
            train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
            val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
            self.history["train_acc"].append(train_acc)
            self.history["val_acc"].append(val_acc)
        self.history["lr"].append(next(iter(self.optim_configs.values())).get("lr"))
        if self.evaluate and val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_params = copy.deepcopy(self.model.params)
            # a batchnorm net's running statistics belong to the snapshot too
            self.best_bn_params = copy.deepcopy(getattr(self.model, "bn_params", None))
        if self.lr_decay != 1.0:
            for config in self.optim_configs.values():
                if "lr" in config:
                    config["lr"] *= self.lr_decay
        return train_acc, val_acc

    def _exploded(self):
        """The lectures' early-break rule: the loss is nan/inf or more than explode_factor x the initial loss."""
        if self.explode_factor is None:
            return False
        last, first = self.history["loss"][-1], self.history["loss"][0]
        return not np.isfinite(last) or last > self.explode_factor * first

    def train(self):
        """Run num_epochs epochs (fewer if stopped), then load the best parameters into the model
        (unless keep_best=False). Returns the history."""
        self._collect_hooks()
        self.stop = False
        self._losses = self.history["loss"]
        self._param_names = list(self.model.params)
        if self.update_ratio_every:
            self._ratio_lists = [(name, self.history["update_ratio"].setdefault(name, []))
                                 for name in self._param_names]
        hooks = self.hooks
        bar = tqdm(total=self.num_epochs * self._iters_per_epoch(), disable=not self.progress, desc="training")
        for hook in hooks["on_train_begin"]:
            hook(self)
        for _ in range(self.num_epochs):
            if self.stop:
                break
            for hook in hooks["on_epoch_begin"]:
                hook(self)
            for X, y in self._batches():
                for hook in hooks["on_batch_begin"]:
                    hook(self)
                self._step(X, y)
                bar.update()
                if self.stop:
                    break
            if self.stop:  # stopped within the epoch: it is not evaluated
                break
            train_acc, val_acc = self._end_epoch()
            if self.evaluate:
                bar.set_postfix(loss=f"{self._losses[-1]:.3f}", train=f"{train_acc:.2f}", val=f"{val_acc:.2f}")
            for hook in hooks["on_epoch_end"]:
                hook(self)
            if self._exploded():
                bar.write(f"loss {self._losses[-1]:.3g} at epoch {self.epoch} is not finite or over "
                          f"{self.explode_factor:g}x the initial {self._losses[0]:.3g}: the learning rate is too "
                          f"high, stopping")
                break
        bar.close()
        if self.keep_best and self.best_params:
            self.model.params = self.best_params
            if self.best_bn_params is not None:
                self.model.bn_params = self.best_bn_params
        for hook in hooks["on_train_end"]:
            hook(self)
        return self.history
