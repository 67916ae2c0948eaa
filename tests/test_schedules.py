"""Do the learning-rate schedules of trainlab.schedules match torch.optim.lr_scheduler step by step?

Each torch scheduler drives a one-parameter SGD; the rate it sets before update t
(t = 0, 1, ...) must equal ``schedule(t, ...)``, our schedules counting t from 0.
"""
import math

import numpy as np
import pytest

from trainlab import schedules
from trainlab.models import FullyConnectedNet

torch = pytest.importorskip("torch")
LR0 = 0.1


def _torch_rates(make_scheduler, num_steps, lr=LR0, metrics=None):
    """The learning rate torch uses at each of num_steps updates."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    scheduler = make_scheduler(opt)
    rates = []
    for t in range(num_steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step(*(() if metrics is None else (metrics[t],)))
    return np.array(rates)


def _ours(schedule, num_steps, **kwargs):
    return np.array([schedule(t, **kwargs) for t in range(num_steps)])


S = torch.optim.lr_scheduler if torch is not None else None
CASES = [
    ("step_decay", lambda o: S.StepLR(o, step_size=7, gamma=0.5), 40,
     dict(lr0=LR0, step_size=7, gamma=0.5)),
    ("exponential_decay", lambda o: S.ExponentialLR(o, gamma=math.exp(-0.05)), 60, dict(lr0=LR0, k=0.05)),
    ("cosine_annealing", lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=1e-3), 31,
     dict(lr0=LR0, T=30, lr_min=1e-3)),
    ("cosine_with_restarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-4), 80,
     dict(lr0=LR0, T0=5, T_mult=2, lr_min=1e-4)),
    ("cosine_with_restarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=8), 40, dict(lr0=LR0, T0=8)),
    ("linear_decay", lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=20), 30,
     dict(lr0=LR0, T=20)),
    ("linear_warmup", lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=10), 25,
     dict(lr0=LR0, warmup_steps=10, start_factor=0.1)),
    ("inverse_time_decay", lambda o: S.LambdaLR(o, lambda t: 1 / (1 + 0.3 * t)), 30, dict(lr0=LR0, k=0.3)),
    ("inverse_sqrt", lambda o: S.LambdaLR(o, lambda t: 1 / math.sqrt(t + 1)), 30, dict(lr0=LR0)),
]


@pytest.mark.parametrize("name, make_scheduler, num_steps, kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_schedule_matches_torch(name, make_scheduler, num_steps, kwargs):
    """Does the schedule give torch's rate at every step t = 0 .. num_steps - 1?"""
    ours = _ours(getattr(schedules, name), num_steps, **kwargs)
    np.testing.assert_allclose(ours, _torch_rates(make_scheduler, num_steps), rtol=1e-9, atol=1e-15)


def test_cyclical_matches_torch_triangular_cyclic_lr():
    """Does cyclical follow torch CyclicLR(mode='triangular') over three cycles?"""
    ours = _ours(schedules.cyclical, 60, lr0=0.01, max_lr=0.1, step_size=10)
    theirs = _torch_rates(lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=10,
                                               cycle_momentum=False), 60, lr=0.01)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


@pytest.mark.parametrize("total_steps, pct_start", [(100, 0.3), (57, 0.25)])
def test_one_cycle_matches_torch(total_steps, pct_start):
    """Does one_cycle follow torch OneCycleLR (cosine, two phases) at every step?"""
    ours = _ours(schedules.one_cycle, total_steps, lr0=0.5, total_steps=total_steps, pct_start=pct_start)
    theirs = _torch_rates(lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=total_steps, pct_start=pct_start,
                                                 cycle_momentum=False), total_steps)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


@pytest.mark.parametrize("mode, patience, factor", [("min", 2, 0.5), ("max", 1, 0.3), ("min", 0, 0.5)])
def test_reduce_on_plateau_matches_torch(mode, patience, factor):
    """Does ReduceOnPlateau change the rate at the same epochs as torch ReduceLROnPlateau?"""
    rng = np.random.default_rng(0)
    metrics = np.concatenate([np.linspace(2.0, 1.0, 5), 1.0 + 0.05 * rng.random(10), np.linspace(0.99, 0.5, 5),
                              0.5 + 0.01 * rng.random(10)])
    if mode == "max":
        metrics = -metrics + 3
    plateau = schedules.ReduceOnPlateau(LR0, factor=factor, patience=patience, mode=mode)
    ours = [LR0] + [plateau.step(m) for m in metrics[:-1]]
    theirs = _torch_rates(lambda o: S.ReduceLROnPlateau(o, mode=mode, factor=factor, patience=patience),
                          len(metrics), metrics=metrics)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert min(ours) < LR0


def test_schedules_accept_fractional_steps():
    """Can an epoch schedule be followed within the epoch (t = epoch + i / iters_per_epoch)?"""
    assert schedules.step_decay(6.99, 1.0, step_size=7) == 1.0
    assert schedules.step_decay(7.0, 1.0, step_size=7) == pytest.approx(0.1)
    assert schedules.cosine_with_restarts(10.5, 1.0, T0=10) == pytest.approx(schedules.cosine_annealing(0.5, 1.0, 10))
    assert schedules.cosine_annealing(5.0, 1.0, 10) == pytest.approx(0.5)


def test_lr_range_test_raises_the_rate_every_batch_and_restores_the_model():
    """Does the range test raise the rate geometrically per minibatch, stop on divergence, and leave the model as it was?"""
    from trainlab import data
    X, y = data.load_digits()
    X = X.reshape(len(X), -1) - 0.5
    model = FullyConnectedNet([50], input_dim=64, seed=0)
    before = {k: v.copy() for k, v in model.params.items()}
    lrs, losses = schedules.lr_range_test(model, X, y, lr_start=1e-4, lr_end=100.0, num_iters=80, batch_size=64)
    assert len(lrs) == len(losses) < 80  # it stopped early: the loss exploded
    ratios = lrs[1:] / lrs[:-1]
    assert np.allclose(ratios, (100.0 / 1e-4) ** (1 / 79))
    assert not (np.isfinite(losses[-1]) and losses[-1] <= 4 * losses.min())
    assert all(np.array_equal(model.params[k], before[k]) for k in before)
    lr = schedules.suggest_lr(lrs, losses)
    assert 1e-3 < lr < 10 and lr in lrs


def test_suggest_lr_finds_the_steepest_drop():
    """On a synthetic curve that falls fastest at lr = 1e-2, is 1e-2 suggested?"""
    lrs = np.logspace(-5, 0, 51)
    losses = 2.0 - np.tanh(2 * (np.log10(lrs) + 2))  # steepest at log10(lr) = -2
    assert schedules.suggest_lr(lrs, losses, beta=0.0) == pytest.approx(1e-2)


def _digits_split():
    from trainlab import data
    X, y = data.load_digits()
    X = X.reshape(len(X), -1) - 0.5
    return {"X_train": X[:1000], "y_train": y[:1000], "X_val": X[1000:], "y_val": y[1000:]}


def test_solver_follows_a_schedule_per_iteration_or_per_epoch():
    """Does Solver(lr_schedule=...) set the rate from t = 0 each update, per iteration or per epoch?"""
    from trainlab.solver import Solver
    schedule = lambda t: schedules.cosine_annealing(t, 0.1, T=30)  # noqa: E731
    solver = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits_split(), lr_schedule=schedule,
                    num_epochs=3, batch_size=100, progress=False)
    history = solver.train()
    assert np.allclose(history["lr_iter"], [schedule(t) for t in range(30)])
    assert np.allclose(history["lr"], [schedule(9), schedule(19), schedule(29)])
    solver = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits_split(), lr_schedule=schedule,
                    lr_schedule_unit="epoch", num_epochs=3, batch_size=100, progress=False)
    assert np.allclose(solver.train()["lr_iter"], np.repeat([schedule(0), schedule(1), schedule(2)], 10))
    with pytest.raises(ValueError, match="lr_schedule_unit"):
        Solver(FullyConnectedNet([10], input_dim=64), _digits_split(), lr_schedule=schedule, lr_schedule_unit="batch")
    with pytest.raises(ValueError, match="not both"):
        Solver(FullyConnectedNet([10], input_dim=64), _digits_split(), lr_schedule=schedule, lr_decay=0.9)


def test_plateau_schedule_steps_once_per_epoch_in_the_solver():
    """Does plateau_schedule halve the rate only after epochs without improvement, once per epoch?"""
    from trainlab.solver import Solver
    plateau = schedules.ReduceOnPlateau(0.1, factor=0.5, patience=0, mode="max")
    accs = iter([0.5, 0.6, 0.6, 0.55, 0.7])
    schedule = schedules.plateau_schedule(plateau, lambda: next(accs))
    assert [schedule(t) for t in (0, 0, 1, 1, 1, 2, 3, 3, 4, 5)] == [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05,
                                                                     0.025, 0.025]
    solver = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits_split(), optim_config={"lr": 0.1},
                    num_epochs=4, batch_size=100, progress=False, lr_schedule_unit="epoch",
                    lr_schedule=schedules.plateau_schedule(schedules.ReduceOnPlateau(0.1, patience=0, mode="max"),
                                                           lambda: solver.history["val_acc"][-1]))
    history = solver.train()
    assert len(set(history["lr_iter"][:10])) == 1 and history["lr_iter"][0] == 0.1
