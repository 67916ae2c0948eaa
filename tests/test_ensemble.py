"""Does trainlab.ensemble average, snapshot, bag, EMA-average and distill correctly (numerically and against torch)?"""
import copy

import numpy as np
import pytest

from trainlab import callbacks, ensemble, gradcheck, losses, schedules
from trainlab.models import FullyConnectedNet
from trainlab.solver import Solver


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _tiny(n=60, d=5, c=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n + 20, d))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5) * (c > 2)
    return {"X_train": X[:n], "y_train": y[:n], "X_val": X[n:], "y_val": y[n:]}


def test_average_predictions_is_the_mean_of_softmaxes():
    """Is the ensemble the mean of the members' probabilities, shift-invariant, stable and weighted when asked?"""
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((4, 6, 5))
    probs = ensemble.average_predictions(scores)
    np.testing.assert_allclose(probs, _softmax(scores).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(ensemble.average_predictions(scores + 1e3 * rng.standard_normal((4, 6, 1))), probs, rtol=1e-9)
    w = np.array([1.0, 0.0, 3.0, 0.0])
    np.testing.assert_allclose(ensemble.average_predictions(scores, w), (_softmax(scores[0]) + 3 * _softmax(scores[2])) / 4,
                               rtol=1e-12)
    assert not np.allclose(probs, _softmax(scores.mean(axis=0))), "raw-score averaging is a different rule"


def test_ensemble_accuracy_prefixes():
    """Is entry k-1 the accuracy of the mean of the first k members (ties to the lowest class)?"""
    rng = np.random.default_rng(1)
    probs = _softmax(rng.standard_normal((5, 40, 4)))
    y = rng.integers(0, 4, 40)
    want = [np.mean(probs[:k].mean(axis=0).argmax(axis=1) == y) for k in range(1, 6)]
    np.testing.assert_allclose(ensemble.ensemble_accuracy(probs, y), want, rtol=1e-12)
    assert ensemble.ensemble_accuracy(np.full((2, 1, 2), 0.5), np.array([0])).tolist() == [1.0, 1.0]


def test_jensen_ensemble_loss_never_exceeds_mean_member_loss():
    """Is the cross-entropy of the averaged probabilities <= the members' mean cross-entropy, example by example?"""
    rng = np.random.default_rng(2)
    probs = _softmax(3 * rng.standard_normal((6, 200, 10)))
    y = rng.integers(0, 10, 200)
    members = -np.log(probs[:, np.arange(200), y]).mean(axis=0)
    ens = -np.log(probs.mean(axis=0)[np.arange(200), y])
    assert np.all(ens <= members + 1e-12)


def test_member_scores_restores_the_model():
    """Does member_scores evaluate each member and leave the shell model's own weights in place?"""
    data = _tiny()
    a, b = FullyConnectedNet([4], 5, num_classes=3, seed=0), FullyConnectedNet([4], 5, num_classes=3, seed=1)
    shell = FullyConnectedNet([4], 5, num_classes=3, seed=2)
    own = copy.deepcopy(shell.params)
    scores = ensemble.member_scores(shell, [(a.params, None), (b.params, None)], data["X_val"])
    np.testing.assert_array_equal(scores[0], a.scores(data["X_val"]))
    np.testing.assert_array_equal(scores[1], b.scores(data["X_val"]))
    assert all(np.array_equal(shell.params[k], own[k]) for k in own)


def test_snapshot_ensemble_uses_sgdr_and_keeps_one_member_per_cycle():
    """Are the snapshots taken at the end of each cosine cycle, with the rate restarting at lr0, and the model left at the last?"""
    data = _tiny(n=53)
    model = FullyConnectedNet([6], 5, num_classes=3, seed=0)
    rates = []

    class Rates:
        def on_batch_begin(self, solver):
            rates.append(next(iter(solver.optim_configs.values()))["lr"])

    members = ensemble.snapshot_ensemble(model, data, 3, 2, lr0=0.4, lr_min=0.01, batch_size=10, progress=False)
    assert len(members) == 3
    assert all(np.array_equal(members[-1][0][k], model.params[k]) for k in model.params)
    # the same run by hand: Solver + LRSchedule + Checkpoints, recording the rates
    again = FullyConnectedNet([6], 5, num_classes=3, seed=0)
    iters = 6                                          # ceil(53 / 10)
    keeper = callbacks.Checkpoints(every=2)
    Solver(again, data, lr_schedule=lambda t: schedules.cosine_with_restarts(t, 0.4, 2 * iters, lr_min=0.01),
           num_epochs=6, batch_size=10, sampling="epoch", keep_best=False, callbacks=[keeper, Rates()],
           progress=False).train()
    for (_, params, _), (member, _) in zip(keeper.checkpoints, members):
        assert all(np.array_equal(params[k], member[k]) for k in params)
    assert rates[0] == rates[12] == rates[24] == pytest.approx(0.4), "each cycle restarts at lr0"
    assert rates[11] < 0.02 and rates[23] < 0.02, "each cycle ends near lr_min"


def test_snapshot_ensemble_keeps_batchnorm_state():
    """Does each member carry its own copy of the batchnorm running statistics?"""
    model = FullyConnectedNet([6], 5, num_classes=3, normalization="batchnorm", seed=0)
    members = ensemble.snapshot_ensemble(model, _tiny(n=50), 2, 1, lr0=0.2, batch_size=10, progress=False)
    (_, bn0), (_, bn1) = members
    assert bn0 is not None and not np.allclose(bn0[0]["running_mean"], bn1[0]["running_mean"])
    assert bn1[0] is not model.bn_params[0]


def test_ema_update_formula_and_batchnorm():
    """Is one step decay * ema + (1 - decay) * x in place, for weights and both running statistics?"""
    ema = {"W": np.array([1.0, 2.0])}
    ema_bn = [{"mode": "test", "running_mean": np.zeros(2), "running_var": np.ones(2)}]
    bn = [{"mode": "train", "running_mean": np.ones(2), "running_var": np.full(2, 3.0)}]
    params = {"W": np.array([3.0, 0.0])}
    ensemble.ema_update(ema, params, 0.75, ema_bn, bn)
    np.testing.assert_allclose(ema["W"], [1.5, 1.5])
    np.testing.assert_allclose(ema_bn[0]["running_mean"], [0.25, 0.25])
    np.testing.assert_allclose(ema_bn[0]["running_var"], [1.5, 1.5])
    assert ema_bn[0]["mode"] == "test" and params["W"].tolist() == [3.0, 0.0]


def test_ema_update_reproduces_the_ema_callback():
    """Driven after every update from the same start, does ema_update give callbacks.EMA's weights and statistics?"""
    class Mine:
        def on_train_begin(self, solver):
            self.params = copy.deepcopy(solver.model.params)
            self.bn = None

        def on_step_end(self, solver, grads):
            if self.bn is None:                       # callbacks.EMA starts the statistics at the first update
                ensemble.ema_update(self.params, solver.model.params, 0.9)
                self.bn = copy.deepcopy(solver.model.bn_params)
                return
            ensemble.ema_update(self.params, solver.model.params, 0.9, self.bn, solver.model.bn_params)

    model = FullyConnectedNet([6], 5, num_classes=3, normalization="batchnorm", seed=0)
    reference, mine = callbacks.EMA(0.9), Mine()
    Solver(model, _tiny(), optim_config={"lr": 0.2}, num_epochs=3, batch_size=10, callbacks=[reference, mine],
           progress=False).train()
    for k in reference.ema_params:
        np.testing.assert_allclose(mine.params[k], reference.ema_params[k], rtol=1e-12)
    for key in ("running_mean", "running_var"):
        np.testing.assert_allclose(mine.bn[0][key], reference.ema_bn_params[0][key], rtol=1e-12)


def test_update_bn_is_the_plain_mean_of_batch_statistics():
    """Does update_bn set the running mean / unbiased variance to the mean over the batches, restoring the momentum?"""
    model = FullyConnectedNet([4], 5, num_classes=3, normalization="batchnorm", seed=0)
    model.bn_params[0]["momentum"] = 0.7
    X = np.random.default_rng(3).standard_normal((25, 5))
    ensemble.update_bn(model, X, batch_size=10)
    h = X @ model.params["W1"] + model.params["b1"]
    chunks = [h[:10], h[10:20], h[20:]]
    np.testing.assert_allclose(model.bn_params[0]["running_mean"], np.mean([c.mean(0) for c in chunks], axis=0), rtol=1e-12)
    np.testing.assert_allclose(model.bn_params[0]["running_var"], np.mean([c.var(0, ddof=1) for c in chunks], axis=0),
                               rtol=1e-12)
    assert model.bn_params[0]["momentum"] == 0.7
    plain = FullyConnectedNet([4], 5, num_classes=3)
    assert ensemble.update_bn(plain, X) is plain


def test_bagging_indices_bootstrap():
    """Are the samples one rng.integers draw, with replacement (~63.2% distinct), and the oob mask their complement?"""
    indices, oob = ensemble.bagging_indices(5000, 4, np.random.default_rng(0))
    np.testing.assert_array_equal(indices, np.random.default_rng(0).integers(0, 5000, size=(4, 5000)))
    assert abs(np.mean([len(np.unique(r)) for r in indices]) / 5000 - (1 - 1 / np.e)) < 0.01
    for k in range(4):
        np.testing.assert_array_equal(oob[k], ~np.isin(np.arange(5000), indices[k]))
    assert ensemble.bagging_indices(10, 2, np.random.default_rng(0), fraction=0.25)[0].shape == (2, 2)
    assert ensemble.bagging_indices(10, 2, np.random.default_rng(0), fraction=0.01)[0].shape == (2, 1)


@pytest.mark.parametrize("temperature, alpha", [(1.0, 0.5), (4.0, 0.9), (0.5, 1.0), (10.0, 0.0)])
def test_distillation_objective_gradient(temperature, alpha):
    """Does dscores match the numerical gradient of the loss?"""
    rng = np.random.default_rng(4)
    scores, teacher, y = rng.standard_normal((7, 5)), 2 * rng.standard_normal((7, 5)), rng.integers(0, 5, 7)
    f = lambda s: ensemble.distillation_objective(s, teacher, y, temperature, alpha)[0]
    num = gradcheck.eval_numerical_gradient(f, scores.copy())
    assert gradcheck.rel_error(ensemble.distillation_objective(scores, teacher, y, temperature, alpha)[1], num) < 1e-6


def test_distillation_objective_is_the_kl_per_example():
    """Is the soft term T^2 KL averaged per example (0 at a perfect match), not per element or cross-entropy?"""
    rng = np.random.default_rng(5)
    scores, teacher, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    T = 3.0
    p, q = _softmax(scores / T), _softmax(teacher / T)
    kl = np.sum(q * (np.log(q) - np.log(p))) / 6
    loss, _ = ensemble.distillation_objective(scores, teacher, y, T, alpha=1.0)
    assert loss == pytest.approx(T**2 * kl, rel=1e-12)
    assert loss != pytest.approx(T**2 * kl / 4, rel=1e-3), "the per-element average would divide by C"
    assert ensemble.distillation_objective(teacher, teacher, y, T, 1.0)[0] == pytest.approx(0.0, abs=1e-12)
    hard = losses.softmax_loss(scores, y)[0]
    assert ensemble.distillation_objective(scores, teacher, y, T, 0.0)[0] == pytest.approx(hard, rel=1e-12)
    with np.errstate(all="ignore"):
        loss, d = ensemble.distillation_objective(1e3 * scores, 1e3 * teacher, y, 0.5, 0.9)
    assert np.isfinite(loss) and np.all(np.isfinite(d))


def test_distillation_objective_against_torch():
    """Do the loss and its gradient equal torch's kl_div(batchmean) * T^2 mixed with cross_entropy?"""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(6)
    scores, teacher, y = rng.standard_normal((8, 10)), 3 * rng.standard_normal((8, 10)), rng.integers(0, 10, 8)
    for T, alpha in ((4.0, 0.9), (2.0, 0.3), (1.0, 1.0)):
        s = torch.tensor(scores, requires_grad=True)
        t = torch.tensor(teacher)
        loss_t = alpha * T**2 * F.kl_div(F.log_softmax(s / T, 1), F.log_softmax(t / T, 1), reduction="batchmean",
                                         log_target=True) + (1 - alpha) * F.cross_entropy(s, torch.tensor(y))
        loss_t.backward()
        loss, d = ensemble.distillation_objective(scores, teacher, y, T, alpha)
        assert loss == pytest.approx(loss_t.item(), rel=1e-10)
        assert gradcheck.rel_error(d, s.grad.numpy()) < 1e-10


def test_distilled_net_gradients_and_training():
    """Does DistilledNet's backward pass match numerical gradients, and does it train through the Solver?"""
    data = _tiny()
    teacher_net = FullyConnectedNet([8], 5, num_classes=3, seed=3)
    student = ensemble.DistilledNet([4, 3], 5, teacher_net.scores, temperature=2.0, alpha=0.7, num_classes=3, seed=0,
                                    reg=0.1)
    X, y = data["X_train"][:7], data["y_train"][:7]
    rng = np.random.default_rng(0)
    for name in ("b1", "b2"):                    # away from the ReLU kink at exactly 0 (an example with all units dead)
        student.params[name] = 0.5 + 0.1 * rng.standard_normal(student.params[name].shape)
    loss, grads = student.loss(X, y)
    for name, w in student.params.items():
        def f(_):
            return student.loss(X, y)[0]
        num = gradcheck.eval_numerical_gradient(f, w)
        assert gradcheck.rel_error(grads[name], num) < 1e-6, name
    np.testing.assert_array_equal(student.loss(X), FullyConnectedNet.loss(student, X))
    Solver(student, data, optim_config={"lr": 0.1}, num_epochs=2, batch_size=10, progress=False).train()
    with pytest.raises(ValueError):
        ensemble.DistilledNet([4], 5, teacher_net.scores, dropout=0.5)


def test_ensemble_teacher_is_the_log_of_averaged_probabilities():
    """Is the teacher function log(average_predictions(member scores))?"""
    data = _tiny()
    nets = [FullyConnectedNet([4], 5, num_classes=3, seed=s) for s in range(3)]
    teacher = ensemble.ensemble_teacher(nets[0], [(n.params, None) for n in nets])
    want = np.log(np.mean([_softmax(n.scores(data["X_val"])) for n in nets], axis=0))
    np.testing.assert_allclose(teacher(data["X_val"]), want, rtol=1e-12)


def test_ema_and_update_bn_match_torch_averaged_model():
    """Do ema_update over a trajectory and update_bn give AveragedModel(EMA avg fn)'s weights and update_bn's statistics?"""
    torch = pytest.importorskip("torch")
    from torch.optim import swa_utils

    data = _tiny(n=60)
    model = FullyConnectedNet([6], 5, num_classes=3, normalization="batchnorm", seed=0)
    states = []

    class Keep:
        def on_step_end(self, solver, grads):
            states.append(copy.deepcopy(solver.model.params))

    Solver(model, data, optim_config={"lr": 0.3}, num_epochs=2, batch_size=10, callbacks=[Keep()], progress=False).train()
    net = torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                              torch.nn.Linear(6, 3)).double()

    def load(state):
        with torch.no_grad():
            net[0].weight.copy_(torch.tensor(state["W1"].T))
            net[0].bias.copy_(torch.tensor(state["b1"]))
            net[1].weight.copy_(torch.tensor(state["gamma1"]))
            net[1].bias.copy_(torch.tensor(state["beta1"]))
            net[3].weight.copy_(torch.tensor(state["W2"].T))
            net[3].bias.copy_(torch.tensor(state["b2"]))

    load(states[0])
    averaged = swa_utils.AveragedModel(net, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.99))
    averaged.update_parameters(net)
    ema = copy.deepcopy(states[0])
    for state in states[1:]:
        load(state)
        averaged.update_parameters(net)
        ensemble.ema_update(ema, state, 0.99)
    got = averaged.module
    np.testing.assert_allclose(got[0].weight.detach().numpy().T, ema["W1"], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(got[1].weight.detach().numpy(), ema["gamma1"], rtol=1e-10, atol=1e-14)
    X = data["X_train"]
    swa_utils.update_bn([(torch.tensor(X[i:i + 10]),) for i in range(0, len(X), 10)], averaged)
    mine = FullyConnectedNet([6], 5, num_classes=3, normalization="batchnorm")
    mine.params = ema
    ensemble.update_bn(mine, X, batch_size=10)
    np.testing.assert_allclose(mine.bn_params[0]["running_mean"], got[1].running_mean.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(mine.bn_params[0]["running_var"], got[1].running_var.numpy(), rtol=1e-10, atol=1e-14)
    got.eval()
    with torch.no_grad():
        np.testing.assert_allclose(mine.scores(data["X_val"]), got(torch.tensor(data["X_val"])).numpy(), rtol=1e-9,
                                   atol=1e-12)
