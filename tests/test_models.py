"""Do the model, initializations, update rule and training loop behave as documented?"""
import numpy as np
import pytest

from trainlab import data, gradcheck, init, optim
from trainlab.models import FullyConnectedNet
from trainlab.solver import Solver


@pytest.mark.parametrize("hidden_dims, activation, reg", [([], "relu", 0.0), ([6, 5], "tanh", 0.3),
                                                           ([7], "elu", 0.1), ([4, 4, 4], "sigmoid", 0.0)])
def test_fully_connected_net_gradients(hidden_dims, activation, reg):
    """Are the net's gradients right for any depth, activation and L2 strength (rel. error < 1e-6)?"""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((3, 5)), rng.integers(0, 4, 3)
    model = FullyConnectedNet(hidden_dims, input_dim=5, num_classes=4, activation=activation,
                              init="xavier", reg=reg, seed=2)
    loss, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name, param in model.params.items():
        num = gradcheck.eval_numerical_gradient(lambda _: model.loss(X, y)[0], param)
        assert gradcheck.rel_error(grads[name], num) < 1e-6, name


def test_initial_loss_is_ln_c_with_small_weights():
    """With small weights and no regularization, is the initial loss about ln(10)?"""
    X, y = data.load_digits()
    model = FullyConnectedNet([50], input_dim=64, weight_scale=1e-3)
    assert abs(model.loss(X[:200], y[:200])[0] - np.log(10)) < 0.01


def test_unknown_activation_and_scheme_are_rejected():
    """Do unknown names fail at once with a message listing the choices?"""
    with pytest.raises(ValueError, match="relu"):
        FullyConnectedNet([3], 2, activation="swish")
    with pytest.raises(ValueError, match="xavier"):
        init.init_weights(3, 4, "glorot")


@pytest.mark.parametrize("scheme, std", [("small_random", 0.01), ("large_random", 1.0), ("xavier", 1 / np.sqrt(400)),
                                         ("xavier_uniform", 1 / np.sqrt(400)), ("he", np.sqrt(2 / 400)),
                                         ("he_uniform", np.sqrt(2 / 400)), ("zeros", 0.0)])
def test_init_schemes_have_their_std(scheme, std):
    """Does each scheme draw weights with the std of its formula (within 2%)?"""
    w = init.init_weights(400, 500, scheme, np.random.default_rng(0))
    assert w.shape == (400, 500)
    assert abs(w.std() - std) <= 0.02 * std + 1e-12


def test_conv_fan_in():
    """Is the fan-in of a (F, C, k, k) kernel C*k*k, and of a dense (D, M) weight D?"""
    assert init.conv_fan_in((16, 3, 5, 5)) == 75
    assert init.conv_fan_in((100, 10)) == 100


def test_sgd_steps_against_the_gradient_and_keeps_config():
    """Is sgd w - lr*dw, with the default lr set in config?"""
    w, dw = np.ones(3), np.array([1.0, -2.0, 0.5])
    next_w, config = optim.sgd(w, dw)
    assert config["lr"] == 1e-2
    assert np.allclose(next_w, w - 1e-2 * dw)


def _digits_split():
    X, y = data.load_digits()
    X = X.reshape(len(X), -1) - 0.5
    return {"X_train": X[:1400], "y_train": y[:1400], "X_val": X[1400:], "y_val": y[1400:]}


def test_solver_trains_records_history_and_keeps_best_model():
    """Does the solver reach >85% on digits, record per-epoch history, and restore the best parameters?"""
    model = FullyConnectedNet([50], input_dim=64, seed=0)
    solver = Solver(model, _digits_split(), optim_config={"lr": 0.1}, num_epochs=5, batch_size=50,
                    progress=False, seed=0)
    history = solver.train()
    assert len(history["loss"]) == 5 * (1400 // 50)
    assert len(history["val_acc"]) == len(history["train_acc"]) == len(history["lr"]) == 5
    assert set(history["update_ratio"]) == set(model.params)
    assert solver.best_val_acc == max(history["val_acc"]) > 0.85
    assert all(np.array_equal(model.params[k], solver.best_params[k]) for k in model.params)
    assert solver.check_accuracy(solver.X_val, solver.y_val) == solver.best_val_acc


def test_solver_lr_decay_and_unknown_arguments():
    """Does lr_decay shrink the rate each epoch, and do unknown options or rules fail loudly?"""
    model = FullyConnectedNet([10], input_dim=64, seed=0)
    solver = Solver(model, _digits_split(), optim_config={"lr": 0.1}, lr_decay=0.5, num_epochs=3,
                    batch_size=100, progress=False)
    assert np.allclose(solver.train()["lr"], [0.1, 0.05, 0.025])
    with pytest.raises(ValueError, match="unrecognized"):
        Solver(model, _digits_split(), learning_rate=0.1)
    with pytest.raises(ValueError, match="unknown update rule"):
        Solver(model, _digits_split(), update_rule="adamax")


def test_solver_stops_when_the_loss_explodes():
    """Does a diverging run (huge learning rate) stop once the loss is over 3x the initial loss?"""
    model = FullyConnectedNet([50], input_dim=64, seed=0)
    with np.errstate(all="ignore"):
        history = Solver(model, _digits_split(), optim_config={"lr": 1e6}, num_epochs=20, batch_size=100,
                         progress=False).train()
    assert not history["loss"][-1] <= 3 * history["loss"][0]
    assert len(history["val_acc"]) < 20


def test_best_snapshot_keeps_batchnorm_running_statistics():
    """Does restoring the best model also restore its batchnorm running statistics (not a later epoch's)?"""
    model = FullyConnectedNet([20], input_dim=64, normalization="batchnorm", seed=0)
    solver = Solver(model, _digits_split(), optim_config={"lr": 0.05}, num_epochs=4, batch_size=50,
                    progress=False, seed=0)
    solver.train()
    assert model.bn_params[0]["running_mean"] is not None
    assert all(np.array_equal(model.bn_params[0][k], solver.best_bn_params[0][k])
               for k in ("running_mean", "running_var"))
    assert solver.check_accuracy(solver.X_val, solver.y_val) == solver.best_val_acc


def test_prelu_net_has_learnable_slopes_with_right_gradients():
    """Does activation="prelu" add one slope per hidden unit (init 0.25, no L2), with right gradients, that the solver trains?"""
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((3, 5)), rng.integers(0, 4, 3)
    model = FullyConnectedNet([6, 5], input_dim=5, num_classes=4, activation="prelu", init="xavier", reg=0.3, seed=2)
    assert [model.params[f"a{i}"].tolist() for i in (1, 2)] == [[0.25] * 6, [0.25] * 5]
    model.params["a1"] = rng.uniform(-1, 1, 6)  # slopes of both signs
    loss, grads = model.loss(X, y)
    assert set(grads) == set(model.params)
    for name, param in model.params.items():
        num = gradcheck.eval_numerical_gradient(lambda _: model.loss(X, y)[0], param)
        assert gradcheck.rel_error(grads[name], num) < 1e-6, name
    # the penalty covers the weights only: the same loss whatever the slopes' size
    model.params["a2"] = np.full(5, 1.0)
    unregularized = FullyConnectedNet([6, 5], input_dim=5, num_classes=4, activation="prelu", init="xavier", seed=2)
    unregularized.params = dict(model.params)
    penalty = 0.5 * 0.3 * sum(np.sum(model.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert np.isclose(model.loss(X, y)[0], unregularized.loss(X, y)[0] + penalty)
    with pytest.raises(ValueError, match="prelu"):
        FullyConnectedNet([3], 2, activation="prelu", normalization="batchnorm")
    net = FullyConnectedNet([20], input_dim=64, activation="prelu", seed=0)
    Solver(net, _digits_split(), optim_config={"lr": 0.1}, num_epochs=1, batch_size=50, progress=False).train()
    assert not np.allclose(net.params["a1"], 0.25)
