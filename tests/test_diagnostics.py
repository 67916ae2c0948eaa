"""Does the training doctor name what is wrong with real runs, and say nothing about healthy ones?

The runs are real: the Solver (or a PyTorch loop with ``TorchRecorder``) on the digits and the
MNIST subset, seeded, each provoking one failure of the lectures (a too low or too high learning
rate, early or late explosion, a bad initialization, saturated tanh units, vanishing gradients,
dead ReLUs, overfitting, underfitting, a noisy loss), and healthy runs with several update rules
and activations. The babysitting steps (lecture 09's exercises) are checked on their own below.
"""
import copy
import functools
import math

import matplotlib
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from trainlab import data, diagnostics, init, optim, torch_twins, viz
from trainlab.models import FullyConnectedNet
from trainlab.solver import Solver

matplotlib.use("Agg")


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Thousands of small matrix products: one BLAS (and torch) thread is fastest, and other jobs share the cores."""
    try:
        import torch
    except ImportError:
        torch = None
    threads = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    if torch is not None:
        torch.set_num_threads(threads)


@functools.lru_cache(maxsize=None)
def _datasets():
    """The digits (standardized with training statistics) and 5,000 MNIST digits (14x14, zero-centred)."""
    X, y = data.load_digits()
    X = X.reshape(len(X), -1)
    prep = data.Preprocessor("standardize").fit(X[:1400])
    digits = {"X_train": prep.transform(X[:1400]), "y_train": y[:1400],
              "X_val": prep.transform(X[1400:]), "y_val": y[1400:]}
    Xm, ym = data.load_mnist_subset()
    Xm = Xm.reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4)).reshape(len(Xm), -1) / 255.0
    X_train, y_train, X_val, y_val = data.train_val_split(Xm, ym, val_fraction=0.2, seed=0)
    mean = X_train.mean(axis=0)
    mnist = {"X_train": X_train - mean, "y_train": y_train, "X_val": X_val - mean, "y_val": y_val}
    raw = {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val}  # in [0, 1], not centred
    few = dict(mnist, X_train=mnist["X_train"][:100], y_train=mnist["y_train"][:100])
    return {"digits": digits, "mnist": mnist, "mnist_raw": raw, "mnist_100": few}


# name: (dataset, FullyConnectedNet arguments, Solver arguments)
RUNS = {
    # healthy: several rules, activations and depths
    "healthy_sgd": ("digits", dict(hidden_dims=[100]), dict(optim_config={"lr": 0.1}, num_epochs=10, batch_size=50)),
    "healthy_momentum": ("digits", dict(hidden_dims=[100, 100]),
                         dict(update_rule="sgd_momentum", optim_config={"lr": 0.02}, num_epochs=10, batch_size=50)),
    "healthy_tanh": ("digits", dict(hidden_dims=[100, 100], activation="tanh", init="xavier"),
                     dict(optim_config={"lr": 0.1}, num_epochs=10, batch_size=50)),
    "healthy_adam": ("mnist", dict(hidden_dims=[200, 100]),
                     dict(update_rule="adam", optim_config={"lr": 1e-3}, num_epochs=10, batch_size=100)),
    "healthy_long": ("mnist", dict(hidden_dims=[100]),
                     dict(update_rule="sgd_momentum", optim_config={"lr": 0.05}, num_epochs=20, batch_size=100)),
    # failures
    "lr_too_low": ("digits", dict(hidden_dims=[100]), dict(optim_config={"lr": 1e-5}, num_epochs=10, batch_size=50)),
    "lr_too_high_early": ("digits", dict(hidden_dims=[100]),
                          dict(optim_config={"lr": 10.0}, num_epochs=10, batch_size=50)),
    "lr_too_high_late": ("digits", dict(hidden_dims=[100, 100]),
                         dict(update_rule="sgd_momentum", optim_config={"lr": 0.3}, num_epochs=10, batch_size=50)),
    "spiky_momentum": ("digits", dict(hidden_dims=[100]),
                       dict(update_rule="sgd_momentum", optim_config={"lr": 0.2}, num_epochs=10, batch_size=50)),
    "large_init": ("digits", dict(hidden_dims=[100], weight_scale=1.0),
                   dict(optim_config={"lr": 1e-3}, num_epochs=10, batch_size=50)),
    "saturated_tanh": ("digits", dict(hidden_dims=[100, 100], activation="tanh", init="large_random"),
                       dict(optim_config={"lr": 0.01}, num_epochs=10, batch_size=50)),
    "vanishing_tanh": ("digits", dict(hidden_dims=[100] * 6, activation="tanh", init="small_random"),
                       dict(optim_config={"lr": 0.1}, num_epochs=10, batch_size=50)),
    "vanishing_sigmoid": ("digits", dict(hidden_dims=[100] * 6, activation="sigmoid", init="xavier"),
                          dict(optim_config={"lr": 0.1}, num_epochs=10, batch_size=50)),
    "dead_relu": ("mnist_raw", dict(hidden_dims=[100]),
                  dict(update_rule="sgd_momentum", optim_config={"lr": 1.0}, num_epochs=5, batch_size=100)),
    "overfitting": ("mnist_100", dict(hidden_dims=[200]), dict(optim_config={"lr": 0.1}, num_epochs=100, batch_size=20)),
    "underfitting_small": ("digits", dict(hidden_dims=[2]), dict(optim_config={"lr": 0.1}, num_epochs=10, batch_size=50)),
    "underfitting_reg": ("digits", dict(hidden_dims=[100], reg=1.0),
                         dict(optim_config={"lr": 0.1}, num_epochs=10, batch_size=50)),
    "noisy_loss": ("digits", dict(hidden_dims=[100]), dict(optim_config={"lr": 0.01}, num_epochs=3, batch_size=2)),
    "noisy_spikes": ("digits", dict(hidden_dims=[100]), dict(optim_config={"lr": 0.01}, num_epochs=5, batch_size=1)),
}
HEALTHY = [name for name in RUNS if name.startswith("healthy")]
# run -> the codes the doctor must report (exactly)
EXPECTED = {
    "lr_too_low": {"lr_too_low", "update_ratio_low"},
    "lr_too_high_early": {"lr_too_high", "update_ratio_high"},
    "lr_too_high_late": {"lr_too_high", "dead_relu", "vanishing_gradients"},  # the blow-up killed layer 2's ReLUs
    "large_init": {"initial_loss_off", "underfitting"},
    "saturated_tanh": {"initial_loss_off", "saturation", "overfitting"},
    "vanishing_tanh": {"vanishing_gradients", "lr_too_low", "update_ratio_low"},
    "vanishing_sigmoid": {"vanishing_gradients", "lr_too_low", "update_ratio_low"},
    "dead_relu": {"dead_relu", "underfitting"},
    "overfitting": {"overfitting"},
    "underfitting_small": {"underfitting"},
    "underfitting_reg": {"initial_loss_off", "underfitting", "update_ratio_high"},
    "noisy_loss": {"noisy_loss"},
    "noisy_spikes": {"noisy_loss"},  # single examples far above the first loss: noise, not an explosion
    "spiky_momentum": {"noisy_loss"},  # one minibatch spikes to 7x the first loss, the trend stays below 3x
}


def _model(dataset, net_kwargs):
    split = _datasets()[dataset]
    return FullyConnectedNet(input_dim=split["X_train"].shape[1], num_classes=10, seed=0, **net_kwargs)


@functools.lru_cache(maxsize=None)
def _run(name):
    """(solver, history) of a recorded numpy run, with HealthStats on 300 validation samples every 20 updates."""
    dataset, net_kwargs, solver_kwargs = RUNS[name]
    split = _datasets()[dataset]
    stats = diagnostics.HealthStats(split["X_val"][:300], every=20)
    solver = Solver(_model(dataset, net_kwargs), split, callbacks=[stats], progress=False, seed=0, **solver_kwargs)
    with np.errstate(all="ignore"):
        history = solver.train()
    return solver, history


def _train_torch(name, seed=0):
    """The same run as _run(name) in PyTorch: the net's torch twin, torch.optim, a TorchRecorder."""
    torch = pytest.importorskip("torch")
    dataset, net_kwargs, solver_kwargs = RUNS[name]
    split = _datasets()[dataset]
    device = torch.device("cpu")
    net = torch_twins.fully_connected_twin(_model(dataset, net_kwargs), device)
    rule, config = solver_kwargs.get("update_rule", "sgd"), solver_kwargs["optim_config"]
    if rule == "adam":
        optimizer = torch.optim.Adam(net.parameters(), lr=config["lr"])
    else:
        optimizer = torch.optim.SGD(net.parameters(), lr=config["lr"], momentum=0.9 if rule == "sgd_momentum" else 0.0)
    recorder = diagnostics.TorchRecorder(net, X_probe=split["X_val"][:300], every=20)
    X, y = torch.tensor(split["X_train"]), torch.tensor(split["y_train"])
    X_val, y_val = torch.tensor(split["X_val"]), torch.tensor(split["y_val"])
    generator = torch.Generator().manual_seed(seed)
    batch_size, n = solver_kwargs["batch_size"], len(X)
    for _ in range(solver_kwargs["num_epochs"]):
        for _ in range(max(n // batch_size, 1)):
            idx = torch.randint(0, n, (batch_size,), generator=generator)
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(X[idx]), y[idx])
            loss.backward()
            recorder.step(optimizer, loss)
        with torch.no_grad():
            train_acc = (net(X[:1000]).argmax(1) == y[:1000]).double().mean().item()
            val_acc = (net(X_val).argmax(1) == y_val).double().mean().item()
        recorder.end_epoch(train_acc, val_acc, config["lr"])
        losses = recorder.history["loss"]
        if not np.isfinite(losses[-1]) or losses[-1] > 3 * losses[0]:  # the Solver's early break
            break
    return recorder.history


# --------------------------------------------------------------------------- the doctor on real runs


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_runs_raise_no_alarm(name):
    """Does the doctor find nothing wrong with healthy runs (SGD, momentum, Adam; ReLU and tanh; 1-2 hidden layers)?"""
    _, history = _run(name)
    report = diagnostics.diagnose(history, num_classes=10)
    assert report.codes == set() and report.healthy, f"{name}: false alarm\n{report}"
    assert "no findings" in str(report)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_failure_is_named(name):
    """Does the doctor report exactly the expected findings for each recorded failure, each with evidence and a fix?"""
    _, history = _run(name)
    report = diagnostics.diagnose(history, num_classes=10)
    assert report.codes == EXPECTED[name], f"{name}: {sorted(report.codes)}, expected {sorted(EXPECTED[name])}\n{report}"
    assert report.codes <= set(diagnostics.CODES)
    for finding in report.findings:
        assert finding.evidence and finding.fix == diagnostics.ADVICE[finding.code]
        assert finding.code in str(report) and finding.code in report._repr_html_()


def test_explosions_early_and_late_are_told_apart():
    """Does the evidence place the explosion: at once (lr 10) or after the loss first fell (momentum, lr 0.2)?"""
    early = diagnostics.diagnose(_run("lr_too_high_early")[1], 10)
    late = diagnostics.diagnose(_run("lr_too_high_late")[1], 10)
    assert early.measurements["explosion_at"] == 1
    assert late.measurements["explosion_at"] > 28  # after the first epoch (28 updates)
    (early_text,), (late_text,) = ([f.evidence for f in r.findings if f.code == "lr_too_high"] for r in (early, late))
    assert "early" in early_text and "after it first fell to" in late_text, (early_text, late_text)


def test_basic_rules_are_the_doctors():
    """Does diagnose report every code of diagnose_basic (the rules the students write) and only add the deeper ones,
    but where single-example spikes of a noisy run are read as noise?"""
    basic_codes = {"initial_loss_off", "lr_too_high", "lr_too_low", "overfitting", "underfitting"}
    for name in RUNS:
        history = _run(name)[1]
        basic = diagnostics.diagnose_basic(history, 10)
        full = diagnostics.diagnose(history, 10).codes
        if name in ("noisy_spikes", "spiky_momentum"):
            assert basic == {"lr_too_high"} and full == {"noisy_loss"}
            assert diagnostics.diagnose_basic(history, 10, explode_factor=math.inf) == full & basic_codes
            continue
        assert basic <= basic_codes and basic == full & basic_codes, name


def test_thresholds_can_be_changed_and_unknown_ones_are_refused():
    """Does a stricter max_gap make a healthy run overfit, and does an unknown threshold raise?"""
    history = _run("healthy_sgd")[1]
    assert "overfitting" in diagnostics.diagnose(history, 10, max_gap=0.05).codes
    with pytest.raises(ValueError, match="unknown thresholds"):
        diagnostics.diagnose(history, 10, max_gapp=0.05)
    with pytest.raises(ValueError, match="unknown finding"):
        diagnostics.Finding("too_slow", "")


def test_history_alone_is_enough():
    """Without layer statistics (a plain Solver history) are the loss, accuracy and ratio rules still applied?"""
    for name in ("lr_too_low", "vanishing_tanh", "overfitting"):
        history = {key: value for key, value in _run(name)[1].items() if key != "layer_stats"}
        codes = diagnostics.diagnose(history, 10).codes
        assert EXPECTED[name] <= codes | {"dead_relu", "saturation"}, (name, codes)


def test_model_and_data_allow_the_deeper_probes():
    """With the model and data, does the doctor measure layer statistics itself and run the zero-input check?"""
    solver, history = _run("saturated_tanh")
    plain = {key: value for key, value in history.items() if key != "layer_stats"}
    split = _datasets()["digits"]
    assert "saturation" not in diagnostics.diagnose(plain, 10).codes
    assert "saturation" in diagnostics.diagnose(plain, 10, model=solver.model, data=split).codes
    # a net whose gradients vanished learned nothing: fed zeros it does as well as fed data
    solver, history = _run("vanishing_tanh")
    report = diagnostics.diagnose(history, 10, model=solver.model, data=split)
    assert "zero-input baseline" in report.checked
    data_acc, zero_acc = report.measurements["zero_input (fed zeros)"]
    assert data_acc <= zero_acc
    healthy_solver, healthy = _run("healthy_sgd")
    assert diagnostics.diagnose(healthy, 10, model=healthy_solver.model, data=split).codes == set()
    baseline = {"data_acc": 0.1, "zero_acc": 0.1, "ok": False}
    assert "underfitting" in diagnostics.diagnose(healthy, 10, baseline=baseline).codes


def test_report_prints_and_renders():
    """Does a report print its codes, evidence and fixes as text and render an HTML table (escaped)?"""
    report = diagnostics.diagnose(_run("lr_too_low")[1], 10)
    text, page = str(report), report._repr_html_()
    assert text.startswith("Training doctor") and "fix: raise the learning rate" in text
    assert "<table>" in page and page.count("<tr>") == 1 + len(report.findings)
    assert repr(report) == "Report(codes=['lr_too_low', 'update_ratio_low'])"
    odd = diagnostics.Report([diagnostics.Finding("noisy_loss", "a < b & c")])
    assert "a &lt; b &amp; c" in odd._repr_html_()


@pytest.mark.parametrize("name", ["healthy_sgd", "healthy_tanh", "lr_too_low", "lr_too_high_early", "saturated_tanh",
                                  "vanishing_tanh", "dead_relu", "overfitting", "noisy_loss"])
def test_torch_runs_get_the_same_diagnosis(name):
    """Trained in PyTorch (the torch twin of the net, torch.optim, TorchRecorder), is the diagnosis the numpy one?"""
    history = _train_torch(name)
    codes = diagnostics.diagnose(history, num_classes=10).codes
    expected = EXPECTED.get(name, set())
    if name == "saturated_tanh":
        expected = expected - {"overfitting"}  # other minibatches, other gap: the saturation is the point
    assert expected <= codes and (codes == expected or name not in HEALTHY), f"{name}: torch run {sorted(codes)}"
    if name in HEALTHY:
        assert codes == set()


def test_torch_recorder_names_and_records_like_the_solver():
    """Does the recorder name parameters W1, b1, ..., record a ratio per update and layer records like HealthStats's?"""
    history = _train_torch("healthy_tanh")
    assert set(history["update_ratio"]) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert all(len(r) == len(history["loss"]) for r in history["update_ratio"].values())
    record, numpy_record = history["layer_stats"][-1], _run("healthy_tanh")[1]["layer_stats"][-1]
    for key in ("iteration", "grad_mean", "grad_std", "update_ratio", "act_mean", "act_std", "saturated", "dead",
                "activation"):
        assert key in record and key in numpy_record, key
    assert record["activation"] == numpy_record["activation"] == "tanh"
    assert record["act_mean"].shape == numpy_record["act_mean"].shape == (2,)


def test_torch_twin_computes_the_numpy_scores():
    """Does fully_connected_twin give the numpy net's scores for every activation?"""
    torch = pytest.importorskip("torch")
    X = np.random.default_rng(0).standard_normal((6, 4))
    for activation in ("relu", "tanh", "sigmoid", "leaky_relu", "elu"):
        model = FullyConnectedNet([7, 5], 4, 3, activation=activation, seed=1)
        twin = torch_twins.fully_connected_twin(model, torch.device("cpu"))
        assert np.allclose(twin(torch_twins.to_torch(X, torch.device("cpu"))).detach().numpy(), model.scores(X),
                           rtol=1e-12, atol=1e-14), activation
    with pytest.raises(ValueError):
        torch_twins.fully_connected_twin(FullyConnectedNet([5], 4, 3, dropout=0.5))


# --------------------------------------------------------------------------- the babysitting steps


def test_initial_loss_is_ln_c_and_rises_with_regularization():
    """With weights 1e-4 is the loss ln(10), with reg = 1e3 higher by 1/2 reg sum(W^2), and model.reg restored?"""
    split = _datasets()["digits"]
    model = FullyConnectedNet([50], 64, 10, weight_scale=1e-4, reg=0.25, seed=0)
    result = diagnostics.check_initial_loss(model, split["X_train"], split["y_train"])
    assert abs(result["loss"] - math.log(10)) < 1e-4 and result["expected"] == math.log(10)
    penalty = 0.5 * 1e3 * sum(np.sum(model.params[k] ** 2) for k in ("W1", "W2"))
    assert np.isclose(result["reg_loss"] - result["loss"], penalty, rtol=1e-6) and result["ok"]
    assert model.reg == 0.25
    big = FullyConnectedNet([50], 64, 10, weight_scale=1.0, seed=0)
    assert not diagnostics.check_initial_loss(big, split["X_train"], split["y_train"])["ok"]


def test_overfit_tiny_reaches_full_accuracy_and_is_plain_full_batch_sgd():
    """Do 20 digits overfit to 100%, through exactly the full-batch SGD loop the docstring describes, model untouched?"""
    split = _datasets()["digits"]
    X, y = split["X_train"][:20], split["y_train"][:20]
    model = FullyConnectedNet([50], 64, 10, reg=1.0, seed=0)
    before = copy.deepcopy(model.params)
    result = diagnostics.overfit_tiny(model, X, y, lr=0.1, num_epochs=50)
    assert result["ok"] and result["train_acc"] == 1.0 and result["losses"].shape == (50,)
    assert all(np.array_equal(model.params[k], before[k]) for k in before) and model.reg == 1.0
    net = copy.deepcopy(model)
    net.reg = 0.0
    losses = []
    for _ in range(50):
        loss, grads = net.loss(X, y)
        losses.append(loss)
        net.params = {k: optim.sgd(w, grads[k], {"lr": 0.1})[0] for k, w in net.params.items()}
    assert np.allclose(result["losses"], losses, rtol=1e-10)

    class Broken(FullyConnectedNet):
        """A model whose backward pass forgets the first layer: it cannot memorize its input."""

        def loss(self, X, y=None):
            out = super().loss(X, y)
            if y is None:
                return out
            loss, grads = out
            return loss, {k: (0 * g if k in ("W1", "b1", "W2") else g) for k, g in grads.items()}

    broken = Broken([50], 64, 10, seed=0)
    assert not diagnostics.overfit_tiny(broken, X, y, lr=0.1, num_epochs=50)["ok"]


def test_update_weight_ratio_is_what_the_solver_records():
    """Is update_weight_ratio of one update the ratio the Solver puts into history['update_ratio']?"""
    split = _datasets()["digits"]
    model = FullyConnectedNet([30], 64, 10, seed=0)
    before = copy.deepcopy(model.params)
    history = Solver(model, split, optim_config={"lr": 0.1}, num_epochs=1, iterations_per_epoch=1, batch_size=50,
                     progress=False, keep_best=False).train()
    ratios = diagnostics.update_weight_ratio(before, model.params)
    assert set(ratios) == set(before)
    for name, ratio in ratios.items():
        assert np.isclose(ratio, history["update_ratio"][name][0], rtol=1e-12), name
    assert diagnostics.update_weight_ratio({"b": np.zeros(3)}, {"b": np.zeros(3)}) == {"b": 0.0}


def test_layer_health_reuses_lecture_03_and_counts_units():
    """Are mean/std lecture 03's layer_statistics, saturation strict at 0.97, dead counted per unit?"""
    rng = np.random.default_rng(0)
    acts = [np.tanh(3 * rng.standard_normal((50, 8))), np.tanh(0.1 * rng.standard_normal((50, 4)))]
    health = diagnostics.layer_health(acts, "tanh", weight_grads=[np.ones((3, 8)), np.arange(4.0)])
    means, stds = init.layer_statistics(acts)
    assert np.array_equal(health["mean"], means) and np.array_equal(health["std"], stds)
    assert np.allclose(health["saturated"], [np.mean(np.abs(a) > 0.97) for a in acts]) and health["saturated"][1] == 0
    assert np.isnan(health["dead"]).all() and np.allclose(health["grad_std"], [0.0, np.std(np.arange(4.0))])
    relu = np.maximum(rng.standard_normal((20, 5)), 0)
    relu[:, 1] = 0
    health = diagnostics.layer_health([relu], "relu")
    assert health["dead"][0] == 0.2 and np.isnan(health["saturated"][0]) and "grad_std" not in health
    assert diagnostics.layer_health([np.array([[0.97, -0.98]])], "tanh")["saturated"][0] == 0.5
    assert diagnostics.layer_health([np.array([[0.001, 0.5, 0.999]])], "sigmoid")["saturated"][0] == 2 / 3


def test_health_stats_records_saturation_and_dead_units_during_training():
    """Does HealthStats add the shares of saturated and dead units to LayerStats's records?"""
    _, history = _run("saturated_tanh")
    record = history["layer_stats"][-1]
    assert record["activation"] == "tanh" and record["saturated"].shape == (2,) and "activations" not in record
    assert record["saturated"].min() > 0.3
    _, history = _run("dead_relu")
    assert history["layer_stats"][-1]["dead"][0] > 0.5 and history["layer_stats"][0]["dead"][0] < 0.1


def test_detect_explosion_is_the_solvers_rule():
    """Does detect_explosion find the update the Solver stopped after, and the lectures' three cases?"""
    solver, history = _run("lr_too_high_early")
    where = diagnostics.detect_explosion(history["loss"])
    assert where == 1 and solver.epoch == 1 and len(history["loss"]) == 28  # the Solver stopped after that epoch
    solver, history = _run("lr_too_high_late")
    where = diagnostics.detect_explosion(history["loss"])
    assert 28 < where < len(history["loss"])  # a spike within an epoch, which the Solver's end-of-epoch check missed
    assert diagnostics.detect_explosion([2.3, 2.0, float("nan")]) == 2
    assert diagnostics.detect_explosion([2.0, 1.0, 6.0]) is None  # exactly 3x is not over
    assert diagnostics.detect_explosion([2.0, 1.0, 6.5, float("inf")]) == 2
    assert diagnostics.detect_explosion([]) is None and diagnostics.detect_explosion([float("inf")]) == 0


def test_zero_input_baseline_on_digits():
    """Does a net trained on the digits beat the same net trained and evaluated on zeros, the model untouched?"""
    split = _datasets()["digits"]
    model = FullyConnectedNet([50], 64, 10, seed=0)
    before = copy.deepcopy(model.params)
    result = diagnostics.zero_input_baseline(model, split, optim_config={"lr": 0.1}, num_epochs=3, batch_size=50,
                                             progress=False)
    assert result["ok"] and result["data_acc"] > 0.8 and result["zero_acc"] < 0.2
    assert all(np.array_equal(model.params[k], before[k]) for k in before)


def test_loss_noise_falls_with_the_batch_size():
    """Does the noise index fall with the batch size (about 1/sqrt(B)) and ignore where the loss blew up?"""
    split = _datasets()["digits"]
    noise = []
    for batch_size in (1, 4, 16, 64):
        history = Solver(FullyConnectedNet([100], 64, 10, seed=0), split, optim_config={"lr": 0.01}, num_epochs=5,
                         batch_size=batch_size, progress=False).train()
        noise.append(diagnostics.loss_noise(history["loss"]))
    assert all(a > b for a, b in zip(noise, noise[1:])), noise
    assert 1.5 < noise[0] / noise[2] < 6 and noise[0] > 0.3 > noise[-1]
    assert np.isnan(diagnostics.loss_noise([1.0] * 10)) and diagnostics.loss_noise([1.0] * 80 + [np.nan]) < 1e-12


def test_epoch_log_prints_the_lectures_format(capsys):
    """Does EpochLog print 'Finished epoch 1 / 10: cost 2.302576, train: 0.080000, val 0.103000, lr 1.000000e-06'?"""
    split = _datasets()["digits"]
    log = diagnostics.EpochLog(head=1, tail=1)
    Solver(FullyConnectedNet([20], 64, 10, weight_scale=1e-4, seed=0), split, optim_config={"lr": 1e-6}, num_epochs=4,
           batch_size=50, progress=False, callbacks=[log]).train()
    out = capsys.readouterr().out.splitlines()
    assert len(log.lines) == 4 and out == [log.lines[0], "...", log.lines[-1]]
    first = log.lines[0]
    assert first.startswith("Finished epoch 1 / 4: cost 2.30") and first.endswith(", lr 1.000000e-06")
    assert ", train: 0." in first and ", val 0." in first


def test_plots_of_a_run():
    """Do the lecture's plots draw from a recorded run (accuracy gap, update ratios, histograms, weight grid)?"""
    solver, history = _run("healthy_tanh")
    ax = viz.plot_accuracy_gap(history)
    assert len(ax.lines) == 2 and ax.collections
    ax = viz.plot_update_ratios(history)
    assert [line.get_label() for line in ax.lines if not line.get_label().startswith("_")] == \
        ["W1", "W2", "W3", "1e-3 (healthy)"]
    acts = solver.model.hidden_activations(_datasets()["digits"]["X_val"][:100])
    fig = viz.plot_layer_histograms({"xavier": acts, "twice": [2 * a for a in acts]}, value_range=(-1, 1))
    assert len(fig.axes) == 4
    fig = viz.plot_weight_grid(solver.model.params["W1"], (8, 8), num=12, ncols=6)
    assert len(fig.axes) == 12
    matplotlib.pyplot.close("all")
