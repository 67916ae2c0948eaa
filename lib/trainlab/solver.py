"""The training loop: minibatch SGD with any update rule, epochs as the unit.

Usage::

    solver = Solver(model, data, update_rule="sgd", optim_config={"lr": 1e-2},
                    num_epochs=10, batch_size=100)
    solver.train()
    solver.history["val_acc"], solver.best_val_acc, solver.best_params
"""
import copy

import numpy as np
from tqdm.auto import tqdm

from trainlab import optim


class Solver:
    """Trains a model (see trainlab.models for the contract) on a dict of arrays.

    Args:
        model: object with ``params`` and ``loss(X, y=None)``.
        data: dict with X_train, y_train, X_val, y_val.
        update_rule: name in trainlab.optim.RULES, or a callable with the rule interface.
        optim_config: hyperparameters passed to the rule (copied once per parameter).
        lr_decay: multiply the learning rate by this after each epoch.
        lr_schedule: optional function t -> lr (e.g. a trainlab.schedules function with its
            other arguments bound) that sets the rate of every parameter before each update;
            t counts from 0 in the unit lr_schedule_unit. Replaces lr_decay.
        lr_schedule_unit: "iteration" (t = updates done so far) or "epoch" (t = epochs done,
            the same rate for a whole epoch).
        batch_size, num_epochs: size of a minibatch and number of passes over the data.
        num_train_samples: training samples used to measure train accuracy each epoch.
        num_val_samples: validation samples used (None: all).
        seed: seed for minibatch sampling.
        progress: show a tqdm progress bar over iterations.
    """

    def __init__(self, model, data, **kwargs):
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]

        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.lr_schedule = kwargs.pop("lr_schedule", None)
        self.lr_schedule_unit = kwargs.pop("lr_schedule_unit", "iteration")
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.num_train_samples = kwargs.pop("num_train_samples", 1000)
        self.num_val_samples = kwargs.pop("num_val_samples", None)
        self.seed = kwargs.pop("seed", 0)
        self.progress = kwargs.pop("progress", True)
        if kwargs:
            raise ValueError(f"unrecognized Solver arguments: {', '.join(sorted(kwargs))}")
        if self.lr_schedule_unit not in ("iteration", "epoch"):
            raise ValueError(f"lr_schedule_unit must be 'iteration' or 'epoch', got {self.lr_schedule_unit!r}")
        if self.lr_schedule is not None and self.lr_decay != 1.0:
            raise ValueError("give either lr_schedule or lr_decay, not both")
        if isinstance(self.update_rule, str):
            if self.update_rule not in optim.RULES:
                raise ValueError(f"unknown update rule {self.update_rule!r}; choose one of {sorted(optim.RULES)}")
            self.update_rule = optim.RULES[self.update_rule]
        self._reset()

    def _reset(self):
        """Fresh history, best-model snapshot and one optimizer config per parameter."""
        self.rng = np.random.default_rng(self.seed)
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.best_bn_params = None
        self.history = {"loss": [], "train_acc": [], "val_acc": [], "lr": [], "update_ratio": {}}
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _step(self):
        """One minibatch: sample, forward, backward, update."""
        if self.lr_schedule is not None:
            self._schedule_lr()
        idx = self.rng.choice(self.X_train.shape[0], self.batch_size)
        loss, grads = self.model.loss(self.X_train[idx], self.y_train[idx])
        self.history["loss"].append(float(loss))
        for name, w in self.model.params.items():
            next_w, self.optim_configs[name] = self.update_rule(w, grads[name], self.optim_configs[name])
            # update:weight ratio, ~1e-3 is healthy (a babysitting rule of thumb)
            ratio = np.linalg.norm(next_w - w) / (np.linalg.norm(w) + 1e-12)
            self.history["update_ratio"].setdefault(name, []).append(float(ratio))
            self.model.params[name] = next_w

    def _schedule_lr(self):
        """Set every parameter's rate from lr_schedule; history["lr_iter"] keeps one per update."""
        t = len(self.history["loss"]) if self.lr_schedule_unit == "iteration" else self.epoch
        lr = float(self.lr_schedule(t))
        for config in self.optim_configs.values():
            config["lr"] = lr
        self.history.setdefault("lr_iter", []).append(lr)

    def check_accuracy(self, X, y, num_samples=None, batch_size=500):
        """Fraction of correctly classified samples (a random subset if num_samples is set)."""
        if num_samples is not None and X.shape[0] > num_samples:
            idx = self.rng.choice(X.shape[0], num_samples, replace=False)
            X, y = X[idx], y[idx]
        preds = [self.model.loss(X[i:i + batch_size]).argmax(axis=1) for i in range(0, X.shape[0], batch_size)]
        return float(np.mean(np.concatenate(preds) == y))

    def _end_epoch(self):
        """Record accuracies and the learning rate, keep the best parameters, decay the rate."""
        self.epoch += 1
        train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
        self.history["train_acc"].append(train_acc)
        self.history["val_acc"].append(val_acc)
        self.history["lr"].append(next(iter(self.optim_configs.values())).get("lr"))
        if val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_params = copy.deepcopy(self.model.params)
            # a batchnorm net's running statistics belong to the snapshot too
            self.best_bn_params = copy.deepcopy(getattr(self.model, "bn_params", None))
        for config in self.optim_configs.values():
            if "lr" in config:
                config["lr"] *= self.lr_decay
        return train_acc, val_acc

    def _exploded(self):
        """The lectures' early-break rule: the loss is nan/inf or more than 3x the initial loss."""
        last, first = self.history["loss"][-1], self.history["loss"][0]
        return not np.isfinite(last) or last > 3 * first

    def train(self):
        """Run num_epochs epochs, then load the best parameters into the model."""
        iters_per_epoch = max(self.X_train.shape[0] // self.batch_size, 1)
        bar = tqdm(total=self.num_epochs * iters_per_epoch, disable=not self.progress, desc="training")
        for _ in range(self.num_epochs):
            for _ in range(iters_per_epoch):
                self._step()
                bar.update()
            train_acc, val_acc = self._end_epoch()
            bar.set_postfix(loss=f"{self.history['loss'][-1]:.3f}", train=f"{train_acc:.2f}", val=f"{val_acc:.2f}")
            if self._exploded():
                bar.write(f"loss {self.history['loss'][-1]:.3g} at epoch {self.epoch} is not finite or over "
                          f"3x the initial {self.history['loss'][0]:.3g}: the learning rate is too high, stopping")
                break
        bar.close()
        if self.best_params:
            self.model.params = self.best_params
            if self.best_bn_params is not None:
                self.model.bn_params = self.best_bn_params
        return self.history
