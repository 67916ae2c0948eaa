"""Learning-rate schedules: small pure functions ``schedule(t, lr0, ...) -> lr``.

``t`` is the number of updates (or epochs) already done, counting from 0: the first
update uses ``schedule(0, ...)``. Whether ``t`` counts iterations or epochs is up to the
caller (``Solver(lr_schedule=..., lr_schedule_unit="iteration" | "epoch")``); every length
(``step_size``, ``T``, ``warmup_steps``, ...) is in the same unit as ``t``. ``t`` may be a
float, e.g. ``epoch + i / iters_per_epoch`` to follow an epoch schedule within the epoch.

Also here: ``ReduceOnPlateau`` (halve the rate when a validation metric stops improving)
and the learning-rate range test (``lr_range_test``, ``suggest_lr``).
"""
import copy
import math
from types import SimpleNamespace

import numpy as np

from trainlab.regularization import ema_smooth  # the bias-corrected EMA, also for loss curves
from trainlab.solver import Solver


def step_decay(t, lr0, step_size, gamma=0.1):
    """Multiply the rate by gamma every step_size steps: lr0 * gamma^floor(t / step_size).

    Same as torch.optim.lr_scheduler.StepLR after t calls of ``step()``.
    """
    return lr0 * gamma ** math.floor(t / step_size)


def exponential_decay(t, lr0, k):
    """lr0 * exp(-k t) (torch's ExponentialLR with gamma = exp(-k))."""
    return lr0 * math.exp(-k * t)


def inverse_time_decay(t, lr0, k):
    """1/t decay: lr0 / (1 + k t)."""
    return lr0 / (1 + k * t)


def linear_decay(t, lr0, T, lr_end=0.0):
    """Straight line from lr0 at t = 0 to lr_end at t = T, then constant (LinearLR)."""
    return lr0 + (lr_end - lr0) * min(t, T) / T


def inverse_sqrt(t, lr0):
    """lr0 / sqrt(n) for the n-th update, n = t + 1 (t counts from 0, so no division by 0)."""
    return lr0 / math.sqrt(t + 1)


def cosine_annealing(t, lr0, T, lr_min=0.0):
    """Half a cosine from lr0 at t = 0 down to lr_min at t = T, then constant.

    lr = lr_min + (lr0 - lr_min) (1 + cos(pi t / T)) / 2 (CosineAnnealingLR for t <= T).
    """
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * min(t, T) / T))


def cosine_with_restarts(t, lr0, T0, T_mult=1, lr_min=0.0):
    """SGDR: cosine annealing over cycles of T0, T0*T_mult, T0*T_mult^2, ... steps, each
    restarting at lr0 (torch's CosineAnnealingWarmRestarts).

    Args:
        t: steps done (float allowed); T0: length of the first cycle; T_mult: integer >= 1.
    """
    T_i, t_cur = T0, t
    # walk through whole cycles: a loop keeps it exact for any integer T_mult
    while t_cur >= T_i:
        t_cur -= T_i
        T_i *= T_mult
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t_cur / T_i))


def linear_warmup(t, lr0, warmup_steps, start_factor=0.1):
    """Rise linearly from start_factor * lr0 at t = 0 to lr0 at t = warmup_steps, then stay.

    Same as torch's LinearLR(start_factor, end_factor=1, total_iters=warmup_steps).
    """
    return lr0 * (start_factor + (1 - start_factor) * min(t, warmup_steps) / warmup_steps)


def cyclical(t, lr0, max_lr, step_size):
    """Triangular cyclical learning rate (Smith 2017): lr0 -> max_lr in step_size steps,
    back to lr0 in step_size more, and again (torch's CyclicLR, mode "triangular").
    """
    cycle = math.floor(1 + t / (2 * step_size))
    x = abs(t / step_size - 2 * cycle + 1)
    return lr0 + (max_lr - lr0) * max(0.0, 1 - x)


def _cos_between(start, end, pct):
    """From start at pct = 0 to end at pct = 1 along half a cosine."""
    return end + 0.5 * (start - end) * (1 + math.cos(math.pi * pct))


def one_cycle(t, lr0, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    """1cycle (Smith 2018), as torch's OneCycleLR with cosine annealing.

    Rises from lr0 / div_factor to the peak lr0 at step pct_start * total_steps - 1, then
    falls to lr0 / div_factor / final_div_factor at the last step, total_steps - 1.

    Args:
        t: steps done, 0 <= t <= total_steps - 1; lr0: the peak (max) rate.
    """
    initial = lr0 / div_factor
    peak_step = float(pct_start * total_steps) - 1
    last_step = total_steps - 1
    if t <= peak_step:
        return _cos_between(initial, lr0, t / peak_step)
    return _cos_between(lr0, initial / final_div_factor, (t - peak_step) / (last_step - peak_step))


class ReduceOnPlateau:
    """Multiply the rate by factor when a validation metric has not improved for more than
    patience epochs (torch's ReduceLROnPlateau, relative threshold).

    Usage, once per epoch: ``lr = plateau.step(val_loss)``.

    Args:
        lr0: initial rate.
        factor: multiplier applied on a plateau (0.5: halve).
        patience: number of epochs without improvement tolerated; the rate drops on the next.
        mode: "min" (a loss) or "max" (an accuracy).
        threshold: relative improvement needed to count as better.
        min_lr: the rate never goes below this.
    """

    def __init__(self, lr0, factor=0.5, patience=2, mode="min", threshold=1e-4, min_lr=0.0):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.lr, self.factor, self.patience = lr0, factor, patience
        self.mode, self.threshold, self.min_lr = mode, threshold, min_lr
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0

    def _improved(self, metric):
        if self.mode == "min":
            return metric < self.best * (1 - self.threshold)
        return metric > self.best * (1 + self.threshold)

    def step(self, metric):
        """Record one epoch's metric; returns the rate for the next epoch."""
        if self._improved(metric):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > self.patience:
            self.lr = max(self.lr * self.factor, self.min_lr)
            self.num_bad_epochs = 0
        return self.lr


def plateau_schedule(plateau, metric):
    """An epoch schedule for ``Solver(lr_schedule=..., lr_schedule_unit="epoch")`` driven by a
    ReduceOnPlateau: steps it once per new epoch with the latest metric, returns its rate.

    Args:
        plateau: a ReduceOnPlateau.
        metric: function of no arguments returning the last epoch's validation metric,
            e.g. ``lambda: solver.history["val_acc"][-1]``.
    Returns:
        function t -> lr (t: epochs done; the Solver calls it before every update).
    """
    seen = {"epoch": 0}

    def schedule(t):
        if t > seen["epoch"]:  # a new epoch has ended: one plateau step, not one per update
            seen["epoch"] = t
            plateau.step(metric())
        return plateau.lr

    return schedule


def lr_range_test(model, X, y, lr_start=1e-5, lr_end=10.0, num_iters=100, batch_size=64,
                  update_rule="sgd", optim_config=None, diverge=4.0, seed=0):
    """Learning-rate range test: train with a rate multiplied by the same factor every
    minibatch, from lr_start to lr_end, and stop when the loss explodes.

    The model's parameters are restored afterwards.

    Args:
        model: a trainlab model (``params``, ``loss(X, y) -> (loss, grads)``).
        X, y: training data (N, ...), (N,).
        lr_start, lr_end: first and last rate of the sweep (num_iters rates, geometric).
        num_iters: number of minibatches (one rate each).
        batch_size: minibatch size.
        update_rule: name in optim.RULES or a rule; optim_config: its other settings.
        diverge: stop once the loss is not finite or above diverge * the lowest loss seen.
        seed: seed of the minibatch sampling.
    Returns:
        lrs, losses: 1-D arrays of the same length (<= num_iters), the rate used at each
        minibatch and the loss measured on that minibatch before the update.
    """
    saved = copy.deepcopy(model.params)
    factor = (lr_end / lr_start) ** (1 / max(num_iters - 1, 1))
    # the course's one training loop: one epoch of num_iters random minibatches, a new rate
    # before each (lr_iter), no accuracies, stopped by _Diverge after the first bad loss
    solver = Solver(model, {"X_train": X, "y_train": y}, update_rule=update_rule,
                    optim_config=dict(optim_config or {}), lr_schedule=lambda i: lr_start * factor ** i,
                    num_epochs=1, iterations_per_epoch=num_iters, batch_size=batch_size, evaluate=False,
                    keep_best=False, explode_factor=None, update_ratio_every=0, callbacks=[_Diverge(diverge)],
                    seed=seed, progress=False)
    try:
        with np.errstate(all="ignore"):
            history = solver.train()
    finally:
        model.params = saved
    return np.array(history["lr_iter"]), np.array(history["loss"])


class _Diverge:
    """Callback of lr_range_test: stop once the loss is not finite or above factor * the lowest loss seen."""

    def __init__(self, factor):
        self.factor, self.lowest = factor, math.inf

    def on_step_end(self, solver, grads):
        loss = solver.history["loss"][-1]
        self.lowest = min(self.lowest, loss)
        if not np.isfinite(loss) or loss > self.factor * self.lowest:
            solver.stop = True


def suggest_lr(lrs, losses, beta=0.9, skip_start=5):
    """The rate where the smoothed loss falls fastest per unit of log(lr).

    Args:
        lrs, losses: the output of lr_range_test (same length, >= skip_start + 2).
        beta: smoothing of the exponential moving average.
        skip_start: points left out at the start, where the average has seen only a few
            losses and is as noisy as they are.
    Returns:
        float: lrs[i], i >= skip_start, at the most negative slope d smoothed / d log10(lr).
    """
    smoothed = ema_smooth(losses, beta)[skip_start:]
    slopes = np.gradient(smoothed, np.log10(lrs[skip_start:]))
    return float(lrs[skip_start + int(np.argmin(slopes))])


class Schedule:
    """A registry entry: a schedule function (call the entry like the function) and how the
    schedule explorer's knobs map to its arguments.

    Args:
        fn: ``fn(t, lr0, ...) -> lr``.
        knobs: function of the explorer's knobs (a namespace with lr0, num_steps, period,
            decay, t_mult) -> dict of fn's other arguments; a key "lr0" replaces the rate passed.
    """

    def __init__(self, fn, knobs):
        self.fn, self.knobs = fn, knobs
        self.__name__, self.__doc__ = fn.__name__, fn.__doc__

    def __call__(self, t, lr0, *args, **kwargs):
        return self.fn(t, lr0, *args, **kwargs)

    def explorer_args(self, lr0, num_steps, period, decay, t_mult=1):
        """(lr0, kwargs) of fn for the explorer's knob values (see trainlab.widgets.schedule_rates)."""
        kwargs = self.knobs(SimpleNamespace(lr0=lr0, num_steps=num_steps, period=period, decay=decay, t_mult=t_mult))
        return kwargs.pop("lr0", lr0), kwargs


# One entry per schedule. Knobs: period is step_size / SGDR's first cycle T0 / warmup steps / half a
# cycle; decay in (0, 1) is the rate after one period as a fraction of lr0 (step, exponential, 1/t)
# and the low end of the cyclical rate; num_steps is the horizon of linear, cosine and 1cycle.
SCHEDULES = {
    "step_decay": Schedule(step_decay, lambda k: dict(step_size=k.period, gamma=k.decay)),
    "exponential_decay": Schedule(exponential_decay, lambda k: dict(k=-np.log(k.decay) / k.period)),
    "inverse_time_decay": Schedule(inverse_time_decay, lambda k: dict(k=(1 / k.decay - 1) / k.period)),
    "linear_decay": Schedule(linear_decay, lambda k: dict(T=k.num_steps)),
    "inverse_sqrt": Schedule(inverse_sqrt, lambda k: dict()),
    "cosine_annealing": Schedule(cosine_annealing, lambda k: dict(T=k.num_steps)),
    "cosine_with_restarts": Schedule(cosine_with_restarts, lambda k: dict(T0=k.period, T_mult=k.t_mult)),
    "linear_warmup": Schedule(linear_warmup, lambda k: dict(warmup_steps=k.period)),
    "cyclical": Schedule(cyclical, lambda k: dict(lr0=k.lr0 * k.decay, max_lr=k.lr0, step_size=k.period)),
    "one_cycle": Schedule(one_cycle, lambda k: dict(total_steps=k.num_steps)),
}
