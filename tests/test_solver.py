"""Does the Solver, the course's one training loop, keep its behaviour with every hook off, and do
its extension points (callbacks) and options do what trainlab.solver and trainlab.callbacks say?"""
import copy

import numpy as np
import pytest

from trainlab import augment, callbacks, data, init, optim, regularization, schedules
from trainlab.models import FullyConnectedNet
from trainlab.solver import HOOKS, LRSchedule, Solver


def _digits(flat=True, num_train=1400):
    X, y = data.load_digits()
    X = X.reshape(len(X), -1) - 0.5 if flat else X
    return {"X_train": X[:num_train], "y_train": y[:num_train], "X_val": X[1400:], "y_val": y[1400:]}


# Recorded with the Solver as it was before callbacks existed (same data, models and arguments).
BEFORE = [
    (dict(update_rule="sgd_momentum", optim_config={"lr": 0.05}, lr_decay=0.9, num_train_samples=500), None,
     dict(n=84, loss0=2.387059440002159, loss_last=0.14451779731602732, loss_sum=61.11237970143706,
          train_acc=[0.868, 0.93, 0.962], val_acc=[0.801007556675063, 0.8740554156171285, 0.8816120906801007],
          lr=[0.05, 0.045000000000000005, 0.04050000000000001], ratio_W1_sum=0.8832224185088013,
          W1_sum=-34.64251039586499)),
    (dict(update_rule="adam", optim_config={"lr": 1e-3}), "batchnorm",
     dict(n=84, loss0=2.5894602287301893, loss_last=1.093622018839704, loss_sum=153.53157289361243,
          train_acc=[0.351, 0.541, 0.738], val_acc=[0.26448362720403024, 0.4760705289672544, 0.6297229219143576],
          lr=[0.001, 0.001, 0.001], ratio_W1_sum=0.24442701998011937, W1_sum=-9.781857902299466)),
]


@pytest.mark.parametrize("kwargs, normalization, expected", BEFORE)
@pytest.mark.parametrize("with_inert_callback", [False, True])
def test_hooks_off_history_is_what_it_was_before_callbacks(kwargs, normalization, expected, with_inert_callback):
    """With no hooks (or a callback that defines none), is the history the one recorded before the change?"""
    model = FullyConnectedNet([30], input_dim=64, seed=0, normalization=normalization)
    extra = {"callbacks": [object()]} if with_inert_callback else {}
    solver = Solver(model, _digits(), num_epochs=3, batch_size=50, progress=False, seed=1, **kwargs, **extra)
    h = solver.train()
    assert len(h["loss"]) == expected["n"]
    assert h["loss"][0] == expected["loss0"] and h["loss"][-1] == expected["loss_last"]
    assert np.isclose(np.sum(h["loss"]), expected["loss_sum"], rtol=1e-12, atol=0)
    assert h["train_acc"] == expected["train_acc"] and h["val_acc"] == expected["val_acc"]
    assert h["lr"] == expected["lr"]
    assert np.isclose(np.sum(h["update_ratio"]["W1"]), expected["ratio_W1_sum"], rtol=1e-12, atol=0)
    assert np.isclose(model.params["W1"].sum(), expected["W1_sum"], rtol=1e-12, atol=0)
    assert all(len(r) == expected["n"] for r in h["update_ratio"].values())


class Recorder:
    """Every hook, recording its calls (and the batches it sees)."""

    def __init__(self):
        self.calls, self.batches = [], []

    def on_train_begin(self, solver):
        self.calls.append("on_train_begin")

    def on_epoch_begin(self, solver):
        self.calls.append("on_epoch_begin")

    def on_batch_begin(self, solver):
        self.calls.append("on_batch_begin")

    def on_batch(self, solver, X, y):
        self.calls.append("on_batch")
        self.batches.append((X.copy(), y.copy()))
        return X, y

    def on_step_end(self, solver, grads):
        self.calls.append("on_step_end")
        assert set(grads) == set(solver.model.params)

    def on_evaluate(self, solver, X):
        self.calls.append("on_evaluate")
        return X

    def on_epoch_end(self, solver):
        self.calls.append("on_epoch_end")
        assert len(solver.history["val_acc"]) == solver.epoch

    def on_train_end(self, solver):
        self.calls.append("on_train_end")


def test_every_hook_is_called_at_its_point():
    """Are the hooks called in order: train begin, per epoch (begin, per batch, evaluation, end), train end?"""
    recorder = Recorder()
    split = _digits(num_train=400)
    Solver(FullyConnectedNet([10], input_dim=64, seed=0), split, num_epochs=2, batch_size=100, progress=False,
           callbacks=[recorder]).train()
    assert set(recorder.calls) == set(HOOKS)
    # 400 train samples and 397 validation samples: one accuracy chunk (<= 500) each
    epoch = ["on_epoch_begin"] + ["on_batch_begin", "on_batch", "on_step_end"] * 4 + ["on_evaluate"] * 2 + ["on_epoch_end"]
    assert recorder.calls == ["on_train_begin"] + epoch * 2 + ["on_train_end"]


def test_on_batch_transforms_the_training_minibatch():
    """Does the model train on what on_batch returns (here: labels all replaced by 0)?"""

    class ZeroLabels:
        def on_batch(self, solver, X, y):
            return X, np.zeros_like(y)

    model = FullyConnectedNet([10], input_dim=64, seed=0)
    Solver(model, _digits(), num_epochs=2, batch_size=50, optim_config={"lr": 0.1}, progress=False,
           callbacks=[ZeroLabels()], keep_best=False).train()
    assert np.mean(model.predict(_digits()["X_val"]) == 0) > 0.99


def test_sampling_epoch_reproduces_iterate_minibatches():
    """With sampling="epoch", are the minibatches exactly iterate_minibatches(..., seed=seed + epoch)?"""
    split, recorder = _digits(num_train=330), Recorder()
    solver = Solver(FullyConnectedNet([10], input_dim=64, seed=0), split, num_epochs=2, batch_size=100, seed=7,
                    sampling="epoch", progress=False, callbacks=[recorder])
    history = solver.train()
    expected = [batch for epoch in range(2)
                for batch in data.iterate_minibatches(split["X_train"], split["y_train"], 100, seed=7 + epoch)]
    assert len(recorder.batches) == len(expected) == 8 == len(history["loss"])  # 4 per epoch, the last of 30
    for (X, y), (X_e, y_e) in zip(recorder.batches, expected):
        assert np.array_equal(X, X_e) and np.array_equal(y, y_e)
    with pytest.raises(ValueError, match="sampling"):
        Solver(FullyConnectedNet([10], input_dim=64), split, sampling="shuffle")


def test_keep_best_false_keeps_the_final_weights():
    """keep_best=True loads the best-val snapshot; keep_best=False leaves the weights of the last epoch?"""
    finals = {}
    for keep_best in (True, False):
        model = FullyConnectedNet([20], input_dim=64, seed=0)
        ckpt = callbacks.Checkpoints(every=1)
        solver = Solver(model, _digits(), num_epochs=6, batch_size=50, optim_config={"lr": 0.5}, progress=False,
                        keep_best=keep_best, callbacks=[ckpt])
        solver.train()
        finals[keep_best] = model.params
        assert ckpt.epochs == [1, 2, 3, 4, 5, 6]
        best = int(np.argmax(solver.history["val_acc"]))
        target = ckpt.checkpoints[best if keep_best else -1][1]
        assert all(np.array_equal(model.params[k], target[k]) for k in target)
    assert not np.array_equal(finals[True]["W1"], finals[False]["W1"])  # the best epoch is not the last here


def test_explosion_rule_can_be_turned_off_or_changed():
    """Does explode_factor=None run every epoch of a diverging run, and a large factor stop later than 3?"""
    runs = {}
    for factor in (3.0, 1e300, None):
        with np.errstate(all="ignore"):
            h = Solver(FullyConnectedNet([20], input_dim=64, seed=0), _digits(), optim_config={"lr": 50.0},
                       num_epochs=6, batch_size=100, progress=False, explode_factor=factor).train()
        runs[factor] = len(h["val_acc"])
    assert runs[3.0] < 6 and runs[None] == 6 and runs[3.0] <= runs[1e300]


def test_update_ratio_every():
    """Is the update:weight ratio recorded every k updates (the same numbers), or not at all with 0?"""
    kwargs = dict(num_epochs=1, batch_size=100, progress=False, optim_config={"lr": 0.1})
    every1 = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits(), **kwargs).train()
    every5 = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits(), update_ratio_every=5, **kwargs).train()
    never = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits(), update_ratio_every=0, **kwargs).train()
    assert every1["loss"] == every5["loss"] == never["loss"] and never["update_ratio"] == {}
    assert every5["update_ratio"]["W1"] == every1["update_ratio"]["W1"][::5]
    # the same formula as np.linalg.norm(next_w - w) / (np.linalg.norm(w) + 1e-12)
    model = FullyConnectedNet([10], input_dim=64, seed=0)
    w0 = model.params["W2"].copy()
    h = Solver(model, _digits(), num_epochs=1, iterations_per_epoch=1, batch_size=100, progress=False,
               keep_best=False, optim_config={"lr": 0.1}).train()
    assert np.isclose(h["update_ratio"]["W2"][0], np.linalg.norm(model.params["W2"] - w0) / np.linalg.norm(w0),
                      rtol=1e-12)


def test_lr_schedule_argument_is_an_lr_schedule_callback():
    """Does LRSchedule passed as a callback give the same rates and losses as Solver(lr_schedule=...)?"""
    schedule = lambda t: schedules.cosine_annealing(t, 0.1, T=28)  # noqa: E731
    kwargs = dict(num_epochs=2, batch_size=100, progress=False)
    a = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits(), lr_schedule=schedule, **kwargs).train()
    b = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits(), callbacks=[LRSchedule(schedule)],
               **kwargs).train()
    assert a["lr_iter"] == b["lr_iter"] == [schedule(t) for t in range(28)] and a["loss"] == b["loss"]
    assert callbacks.LRSchedule is LRSchedule
    with pytest.raises(ValueError, match="lr_schedule_unit"):
        LRSchedule(schedule, unit="batch")


def test_stop_within_an_epoch_ends_training_at_once():
    """Does solver.stop set in on_step_end end training after that step, without evaluating the epoch?"""

    class StopAt:
        def on_step_end(self, solver, grads):
            solver.stop = solver.iteration == 5

    h = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits(), num_epochs=3, batch_size=50,
               progress=False, callbacks=[StopAt()]).train()
    assert len(h["loss"]) == 5 and h["val_acc"] == []


def test_evaluate_false_needs_no_validation_data():
    """With evaluate=False, does the Solver train without X_val and record no accuracies?"""
    split = _digits()
    model = FullyConnectedNet([10], input_dim=64, seed=0)
    h = Solver(model, {"X_train": split["X_train"], "y_train": split["y_train"]}, evaluate=False, num_epochs=2,
               batch_size=100, progress=False).train()
    assert len(h["loss"]) == 28 and h["val_acc"] == h["train_acc"] == [] and len(h["lr"]) == 2
    with pytest.raises(ValueError, match="X_val"):
        Solver(model, {"X_train": split["X_train"], "y_train": split["y_train"]})


# --------------------------------------------------------------------------- ready callbacks


def test_augment_transforms_batches_and_what_accuracies_see():
    """Does Augment's train_fn get every raw training batch and the solver's rng, and evaluate_fn feed the accuracies?"""
    split = _digits(flat=False)
    split = {k: v[..., None] if k.startswith("X") else v for k, v in split.items()}  # (N, 8, 8, 1); the net sees 6x6
    seen, evaluated = [], []

    def train_fn(X, rng):
        seen.append((X.shape, rng))
        return augment.random_crop(X, 6, rng=rng).reshape(len(X), -1)

    def evaluate_fn(X):
        evaluated.append(X.shape)
        return augment.center_crop(X, 6).reshape(len(X), -1)

    model = FullyConnectedNet([30], input_dim=36, seed=0)
    solver = Solver(model, split, num_epochs=3, batch_size=50, optim_config={"lr": 0.1}, progress=False,
                    callbacks=[callbacks.Augment(train_fn, evaluate_fn)])
    h = solver.train()
    assert len(seen) == len(h["loss"]) == 84
    assert all(shape == (50, 8, 8, 1) and rng is solver.rng for shape, rng in seen)
    # per epoch: train accuracy on 1000 samples (2 chunks of 500), validation on 397 (1 chunk)
    assert evaluated == [(500, 8, 8, 1), (500, 8, 8, 1), (397, 8, 8, 1)] * 3
    assert h["val_acc"][-1] > 0.4  # it learns (3 epochs on 6x6 crops of uncentred digits)
    expected = np.mean(model.predict(augment.center_crop(split["X_val"], 6).reshape(397, -1)) == split["y_val"])
    assert solver.check_accuracy(split["X_val"], split["y_val"]) == expected == solver.best_val_acc
    # without evaluate_fn the accuracies see the data as it is
    no_eval = callbacks.Augment(lambda X, rng: X)
    solver = Solver(FullyConnectedNet([10], input_dim=64, seed=0), _digits(), num_epochs=1, progress=False,
                    callbacks=[no_eval])
    assert solver.hooks["on_evaluate"] == [] and len(solver.hooks["on_batch"]) == 1


def test_early_stop_stops_and_restores_the_best_snapshot():
    """Does EarlyStop stop after `patience` epochs without improvement and load the best epoch's weights?"""
    model = FullyConnectedNet([30], input_dim=64, seed=0)
    stop = callbacks.EarlyStop(patience=2, min_delta=0.02)
    ckpt = callbacks.Checkpoints(every=1)
    h = Solver(model, _digits(), num_epochs=40, batch_size=50, optim_config={"lr": 0.1}, progress=False,
               keep_best=False, callbacks=[ckpt, stop]).train()
    stopper = stop.stopper
    assert isinstance(stopper, regularization.EarlyStopping)
    assert len(h["val_acc"]) == stopper.best_epoch + 1 + 2 < 40
    assert stopper.best_score == h["val_acc"][stopper.best_epoch]
    best = ckpt.checkpoints[stopper.best_epoch][1]
    assert all(np.array_equal(model.params[k], best[k]) for k in best)


def test_early_stop_watches_the_smoothed_curve():
    """With smooth > 0, does the stopper see regularization.ema_smooth of the validation accuracy?"""
    stopper = regularization.EarlyStopping(patience=3)
    scores = []
    original = stopper.step
    stopper.step = lambda score, params: scores.append(score) or original(score, params)
    h = Solver(FullyConnectedNet([30], input_dim=64, seed=0), _digits(), num_epochs=5, batch_size=50,
               progress=False, callbacks=[callbacks.EarlyStop(stopper=stopper, smooth=0.6)]).train()
    assert np.allclose(scores, regularization.ema_smooth(h["val_acc"], 0.6), rtol=0, atol=1e-15)


def test_ema_params_are_the_hand_computed_average_after_3_steps():
    """After 3 updates, is ema = d^3 w0 + d^2 (1-d) w1 + d (1-d) w2 + (1-d) w3, batchnorm statistics too?"""
    decay = 0.9
    model = FullyConnectedNet([20], input_dim=64, seed=0, normalization="batchnorm")
    snapshots = [copy.deepcopy(model.params)]

    class Keep:
        def on_step_end(self, solver, grads):
            snapshots.append(copy.deepcopy(solver.model.params))
            bn_snapshots.append(copy.deepcopy(solver.model.bn_params))

    bn_snapshots = []
    ema = callbacks.EMA(decay)
    Solver(model, _digits(), num_epochs=1, iterations_per_epoch=3, batch_size=50, optim_config={"lr": 0.1},
           keep_best=False, progress=False, callbacks=[Keep(), ema]).train()
    assert len(snapshots) == 4
    for name in model.params:
        w0, w1, w2, w3 = (s[name] for s in snapshots)
        expected = decay ** 3 * w0 + decay ** 2 * (1 - decay) * w1 + decay * (1 - decay) * w2 + (1 - decay) * w3
        np.testing.assert_allclose(ema.ema_params[name], expected, rtol=1e-12, atol=1e-15)
    # running statistics: averaged from the first update on
    m1, m2, m3 = (b[0]["running_mean"] for b in bn_snapshots)
    np.testing.assert_allclose(ema.ema_bn_params[0]["running_mean"], decay ** 2 * m1 + decay * (1 - decay) * m2
                               + (1 - decay) * m3, rtol=1e-12)
    own = model.params
    with ema.swapped_in(model):
        assert model.params is ema.ema_params and model.bn_params is ema.ema_bn_params
    assert model.params is own and model.bn_params is not ema.ema_bn_params


def test_ema_weights_evaluate_at_least_as_well_as_the_noisy_final_ones():
    """On a noisy run (large lr), does the EMA model classify the validation set about as well or better?"""
    split = _digits()
    model = FullyConnectedNet([50], input_dim=64, seed=0)
    ema = callbacks.EMA(0.99)
    Solver(model, split, num_epochs=6, batch_size=20, optim_config={"lr": 0.3}, keep_best=False, progress=False,
           callbacks=[ema]).train()
    final = np.mean(model.predict(split["X_val"]) == split["y_val"])
    with ema.swapped_in(model):
        averaged = np.mean(model.predict(split["X_val"]) == split["y_val"])
    assert averaged >= final - 0.01 and averaged > 0.85


def test_checkpoints_every_2_epochs_of_6():
    """Does Checkpoints(every=2) keep independent copies at epochs 2, 4, 6, the last equal to the final weights?"""
    model = FullyConnectedNet([20], input_dim=64, seed=0, normalization="batchnorm")
    ckpt = callbacks.Checkpoints(every=2)
    Solver(model, _digits(), num_epochs=6, batch_size=50, progress=False, keep_best=False,
           callbacks=[ckpt]).train()
    assert [epoch for epoch, _, _ in ckpt.checkpoints] == ckpt.epochs == [2, 4, 6]
    _, last, last_bn = ckpt.checkpoints[-1]
    assert all(np.array_equal(model.params[k], last[k]) and model.params[k] is not last[k] for k in last)
    assert np.array_equal(last_bn[0]["running_mean"], model.bn_params[0]["running_mean"])
    assert not np.array_equal(ckpt.checkpoints[0][1]["W1"], last["W1"])
    fresh = ckpt.load(FullyConnectedNet([20], input_dim=64, seed=1, normalization="batchnorm"), 0)
    assert np.array_equal(fresh.params["W1"], ckpt.checkpoints[0][1]["W1"])


def test_layer_stats_on_a_probe_batch_every_n_iterations():
    """Does LayerStats record, every 10 updates, activation stats of the probe batch (lecture 03's helper),
    gradient stats and the update ratios the Solver recorded?"""
    split = _digits()
    probe = split["X_val"][:200]
    model = FullyConnectedNet([30, 20], input_dim=64, seed=0)
    stats = callbacks.LayerStats(probe, every=10)

    class Last:
        def on_step_end(self, solver, grads):
            self.acts = init.layer_statistics(solver.model.hidden_activations(probe))

    last = Last()
    h = Solver(model, split, num_epochs=1, iterations_per_epoch=21, batch_size=50, progress=False, keep_best=False,
               callbacks=[stats, last]).train()
    records = h["layer_stats"]
    assert [r["iteration"] for r in records] == [0, 10, 20]
    assert records[-1]["act_mean"].shape == records[-1]["act_std"].shape == (2,)
    np.testing.assert_array_equal(records[-1]["act_mean"], last.acts[0])
    np.testing.assert_array_equal(records[-1]["act_std"], last.acts[1])
    assert set(records[0]["grad_std"]) == set(model.params)
    assert records[1]["update_ratio"]["W1"] == h["update_ratio"]["W1"][10]
    # with the Solver's own ratios off, LayerStats measures them itself (same numbers)
    stats = callbacks.LayerStats(probe, every=10)
    h2 = Solver(FullyConnectedNet([30, 20], input_dim=64, seed=0), split, num_epochs=1, iterations_per_epoch=21,
                batch_size=50, progress=False, update_ratio_every=0, callbacks=[stats]).train()
    assert np.isclose(h2["layer_stats"][1]["update_ratio"]["W1"], h["update_ratio"]["W1"][10], rtol=1e-12)


def test_lr_range_test_through_the_solver_matches_the_hand_written_loop():
    """Is schedules.lr_range_test (now a Solver run) exactly the loop its docstring describes?"""
    X, y = data.load_digits()
    X = X.reshape(len(X), -1) - 0.5

    def reference(model, X, y, lr_start, lr_end, num_iters, batch_size, update_rule, diverge=4.0, seed=0):
        rule = optim.RULES[update_rule]
        saved = copy.deepcopy(model.params)
        configs = {name: {} for name in model.params}
        factor = (lr_end / lr_start) ** (1 / max(num_iters - 1, 1))
        rng = np.random.default_rng(seed)
        lrs, losses = [], []
        for i in range(num_iters):
            lr = lr_start * factor ** i
            idx = rng.choice(X.shape[0], batch_size)
            with np.errstate(all="ignore"):
                loss, grads = model.loss(X[idx], y[idx])
            lrs.append(lr)
            losses.append(float(loss))
            if not np.isfinite(loss) or loss > diverge * min(losses):
                break
            for name, w in model.params.items():
                configs[name]["lr"] = lr
                model.params[name], configs[name] = rule(w, grads[name], configs[name])
        model.params = saved
        return np.array(lrs), np.array(losses)

    for rule, num_iters in (("sgd", 80), ("sgd_momentum", 30)):
        args = (X, y, 1e-4, 100.0, num_iters, 64, rule)
        ours = schedules.lr_range_test(FullyConnectedNet([50], input_dim=64, seed=0), *args[:2], lr_start=1e-4,
                                       lr_end=100.0, num_iters=num_iters, batch_size=64, update_rule=rule)
        theirs = reference(FullyConnectedNet([50], input_dim=64, seed=0), *args)
        assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1]), rule
