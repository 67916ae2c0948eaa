"""Do the regularizers (penalties, max-norm, dropout, DropConnect, early stopping, label
smoothing, soft-target losses) behave as lecture 07 says?"""
import numpy as np
import pytest

from trainlab import gradcheck, layers, losses, optim, regularization
from trainlab.models import FullyConnectedNet


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("penalty, args", [(regularization.l2_penalty, (0.3,)),
                                           (regularization.l1_penalty, (0.3,)),
                                           (regularization.elastic_net, (0.2, 0.5))])
def test_penalty_gradients_match_numerical(penalty, args):
    """Is each penalty's gradient the numerical gradient of its loss (away from the L1 kink)?"""
    w = np.random.default_rng(0).standard_normal((5, 4))
    _, dw = penalty(w, *args)
    num = gradcheck.eval_numerical_gradient(lambda v: penalty(v, *args)[0], w.copy())
    assert gradcheck.rel_error(dw, num) < 1e-7


def test_penalty_values():
    """Is L2 = 1/2 lambda sum w^2, L1 = lambda sum |w|, and elastic net their sum?"""
    w = np.array([[1.0, -2.0], [0.0, 3.0]])
    assert regularization.l2_penalty(w, 0.1)[0] == pytest.approx(0.5 * 0.1 * 14)
    assert np.allclose(regularization.l2_penalty(w, 0.1)[1], 0.1 * w)
    assert regularization.l1_penalty(w, 0.1)[0] == pytest.approx(0.6)
    assert np.allclose(regularization.l1_penalty(w, 0.1)[1], 0.1 * np.sign(w))
    loss, dw = regularization.elastic_net(w, 0.1, 0.2)
    assert loss == pytest.approx(0.6 + 0.5 * 0.2 * 14)
    assert np.allclose(dw, 0.1 * np.sign(w) + 0.2 * w)


def test_l2_step_is_weight_decay():
    """Is an SGD step on E + L2 the same as w <- (1 - lr*reg) w - lr dE/dw?"""
    rng = np.random.default_rng(1)
    w, d_data = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    lr, reg = 0.1, 0.05
    step, _ = regularization.with_penalty(optim.sgd, "l2", reg)(w, d_data, {"lr": lr})
    assert np.allclose(step, (1 - lr * reg) * w - lr * d_data)


def test_with_penalty_skips_biases_unless_asked():
    """Are 1-D parameters (biases) left unpenalized by default and penalized with include_biases?"""
    b, db = np.ones(3), np.zeros(3)
    plain, _ = regularization.with_penalty(optim.sgd, "l2", 1.0)(b, db, {"lr": 0.1})
    both, _ = regularization.with_penalty(optim.sgd, "l2", 1.0, include_biases=True)(b, db, {"lr": 0.1})
    assert np.allclose(plain, 1.0) and np.allclose(both, 0.9)


def test_max_norm_clamps_columns_only_when_too_long():
    """Does max-norm shrink each too-long column to norm c and leave short ones untouched?"""
    w = np.array([[3.0, 0.1, 0.0], [4.0, 0.2, 10.0]])   # column norms 5, 0.22, 10
    out = regularization.max_norm_project(w, 2.0)
    assert np.allclose(np.linalg.norm(out, axis=0), [2.0, np.sqrt(0.05), 2.0])
    assert np.array_equal(out[:, 1], w[:, 1])
    assert np.allclose(out[:, 0], w[:, 0] * 0.4)   # direction kept


def test_max_norm_matches_torch_renorm():
    """Does max_norm_project agree with torch.renorm over the columns (dim=1)?"""
    torch = _torch()
    w = 3 * np.random.default_rng(2).standard_normal((7, 5))
    expected = torch.renorm(torch.tensor(w), p=2, dim=1, maxnorm=4.0).numpy()
    assert np.allclose(regularization.max_norm_project(w, 4.0), expected, atol=1e-6)


def test_with_max_norm_projects_after_the_step():
    """Does the max-norm wrapper project weight matrices after the update and leave biases?"""
    rule = regularization.with_max_norm(optim.sgd, 1.0)
    w, _ = rule(np.zeros((3, 2)), -np.ones((3, 2)), {"lr": 10.0})
    assert np.allclose(np.linalg.norm(w, axis=0), 1.0)
    b, _ = rule(np.zeros(2), -np.ones(2), {"lr": 10.0})
    assert np.allclose(b, 10.0)


def test_dropout_forward_statistics():
    """Does inverted dropout keep a fraction p, scale survivors by 1/p, and repeat with a seed?"""
    x = np.ones((500, 400))
    out, (_, mask) = layers.dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 1})
    kept = out != 0
    assert abs(kept.mean() - 0.3) < 0.01
    assert np.allclose(out[kept], 1 / 0.3)
    assert np.array_equal(out, x * mask)
    again, _ = layers.dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 1})
    other, _ = layers.dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 2})
    assert np.array_equal(out, again) and not np.array_equal(out, other)
    test_out, _ = layers.dropout_forward(x, {"p": 0.3, "mode": "test"})
    assert np.array_equal(test_out, x)
    with pytest.raises(ValueError, match="train"):
        layers.dropout_forward(x, {"p": 0.3, "mode": "eval"})


def test_dropout_backward_matches_numerical():
    """Is dropout_backward the numerical gradient of the forward with the same seed, and identity in test mode?"""
    rng = np.random.default_rng(3)
    x, dout = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    param = {"p": 0.6, "mode": "train", "seed": 4}
    _, cache = layers.dropout_forward(x, param)
    dx = layers.dropout_backward(dout, cache)
    num = gradcheck.eval_numerical_gradient_array(lambda v: layers.dropout_forward(v, param)[0], x, dout)
    assert gradcheck.rel_error(dx, num) < 1e-9
    _, cache = layers.dropout_forward(x, {"p": 0.6, "mode": "test"})
    assert np.array_equal(layers.dropout_backward(dout, cache), dout)


def test_dropout_expectation_equals_test_output():
    """Is the mean of many inverted-dropout passes the input (the test-time output)?"""
    x = np.random.default_rng(5).standard_normal((4, 3))
    draws = [layers.dropout_forward(x, {"p": 0.5, "mode": "train", "seed": s})[0] for s in range(4000)]
    assert np.allclose(np.mean(draws, axis=0), x, atol=0.08)


def test_dropconnect_gradients_and_statistics():
    """Are DropConnect's gradients right, its mask a (D, M) 0-or-1/p mask, and test mode plain affine?"""
    rng = np.random.default_rng(6)
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((4, 3))
    param = {"p": 0.7, "mode": "train", "seed": 7}
    out, cache = layers.dropconnect_forward(x, w, b, param)
    mask = cache[3]
    assert mask.shape == w.shape and set(np.unique(mask)) <= {0.0, 1 / 0.7}
    assert np.allclose(out, x @ (w * mask) + b)
    grads = layers.dropconnect_backward(dout, cache)
    for i, arr in enumerate((x, w, b)):
        def f(v, i=i):
            args = [x, w, b]
            args[i] = v
            return layers.dropconnect_forward(*args, param)[0]
        num = gradcheck.eval_numerical_gradient_array(f, arr, dout)
        assert gradcheck.rel_error(grads[i], num) < 1e-8
    big = layers.dropconnect_forward(np.ones((1, 1)), np.ones((1, 200000)), np.zeros(200000),
                                     {"p": 0.7, "mode": "train", "seed": 0})[0]
    assert abs((big != 0).mean() - 0.7) < 0.01
    test_out, _ = layers.dropconnect_forward(x, w, b, {"p": 0.7, "mode": "test"})
    assert np.allclose(test_out, x @ w + b)


def test_vanilla_dropout_predict_is_the_expected_training_output():
    """Does scaling by p at test time reproduce the average of the thinned nets (vanilla dropout)?"""
    rng = np.random.default_rng(8)
    params = {"W1": rng.standard_normal((3, 4)), "b1": rng.standard_normal(4),
              "W2": np.abs(rng.standard_normal((4, 1))), "b2": np.zeros(1),
              "W3": rng.standard_normal((1, 2)), "b3": rng.standard_normal(2)}
    X = rng.standard_normal((2, 3))
    # with a single unit in the second hidden layer and no ReLU kink below it, the expectation is exact
    params["b2"] = np.array([50.0])
    mc = np.mean([regularization.vanilla_dropout_train_scores(X, params, 0.5, rng) for _ in range(20000)], axis=0)
    assert np.allclose(regularization.vanilla_dropout_predict(X, params, 0.5), mc, atol=0.2)
    inv = np.mean([regularization.inverted_dropout_train_scores(X, params, 0.5, rng) for _ in range(20000)], axis=0)
    plain = np.maximum(0, np.maximum(0, X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]) @ params["W3"] + params["b3"]
    assert np.allclose(inv, plain, atol=0.4)


def test_vanilla_dropout_forward_modes():
    """Does vanilla dropout keep 0/1 masks in training and multiply by p at test time?"""
    x = np.ones((200, 300))
    out, _ = regularization.vanilla_dropout_forward(x, {"p": 0.25, "mode": "train", "seed": 0})
    assert set(np.unique(out)) == {0.0, 1.0} and abs(out.mean() - 0.25) < 0.01
    assert np.allclose(regularization.vanilla_dropout_forward(x, {"p": 0.25, "mode": "test"})[0], 0.25)


def test_early_stopping_keeps_a_copy_of_the_best():
    """Does early stopping stop after `patience` bad epochs and keep a copy of the best parameters?"""
    stopper = regularization.EarlyStopping(patience=2)
    params = {"W": np.zeros(2)}
    decisions = []
    for score in (0.5, 0.7, 0.6, 0.7, 0.65):
        decisions.append(stopper.step(score, params))
        params["W"] += 1        # the trainer updates in place
    assert decisions == [False, False, False, True, True]
    assert stopper.best_score == 0.7 and stopper.best_epoch == 1
    assert np.array_equal(stopper.best_params["W"], [1.0, 1.0])


def test_ema_smooth():
    """Is the bias-corrected moving average exact on a constant and lagging on a step?"""
    assert np.allclose(regularization.ema_smooth([2.0] * 5, 0.9), 2.0)
    s = regularization.ema_smooth([0, 0, 1, 1], 0.5)
    assert 0 < s[2] < s[3] < 1 and np.array_equal(regularization.ema_smooth([1, 5], 0.0), [1, 5])


def test_label_smoothing_targets():
    """Are smoothed targets 1 - eps at the label and eps/(K-1) elsewhere, rows summing to 1?"""
    t = regularization.label_smoothing(np.array([2, 0]), 4, 0.3)
    assert np.allclose(t, [[0.1, 0.1, 0.7, 0.1], [0.7, 0.1, 0.1, 0.1]])
    assert np.allclose(regularization.label_smoothing([1], 3, 0.0), [[0, 1, 0]])


def test_soft_cross_entropy_gradient_and_torch():
    """Is the soft-target loss softmax_loss on one-hot targets, its gradient right, and equal to torch's?"""
    rng = np.random.default_rng(9)
    scores, y = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    assert np.isclose(losses.soft_cross_entropy(scores, np.eye(4)[y])[0], losses.softmax_loss(scores, y)[0])
    targets = regularization.label_smoothing(y, 4, 0.2)
    loss, dscores = losses.soft_cross_entropy(scores, targets)
    num = gradcheck.eval_numerical_gradient(lambda s: losses.soft_cross_entropy(s, targets)[0], scores.copy())
    assert gradcheck.rel_error(dscores, num) < 1e-7
    torch = _torch()
    expected = torch.nn.functional.cross_entropy(torch.tensor(scores), torch.tensor(targets)).item()
    assert np.isclose(loss, expected)


def test_distillation_loss_gradient():
    """Is the distillation gradient right and the loss T^2 times the soft cross-entropy at temperature T?"""
    rng = np.random.default_rng(10)
    scores, teacher = rng.standard_normal((3, 5)), 3 * rng.standard_normal((3, 5))
    loss, dscores = losses.distillation_loss(scores, teacher, 3.0)
    num = gradcheck.eval_numerical_gradient(lambda s: losses.distillation_loss(s, teacher, 3.0)[0], scores.copy())
    assert gradcheck.rel_error(dscores, num) < 1e-7
    t = np.exp(teacher / 3.0)
    assert np.isclose(loss, 9.0 * losses.soft_cross_entropy(scores / 3.0, t / t.sum(1, keepdims=True))[0])


def test_model_with_dropout_gradients_and_modes():
    """With a fixed dropout seed, are the net's gradients right; is prediction deterministic (test mode)?"""
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((4, 6)), rng.integers(0, 3, 4)
    model = FullyConnectedNet([7, 5], 6, num_classes=3, dropout=0.6, reg=0.1, init="xavier", seed=1)
    model.dropout_param["seed"] = 123
    _, grads = model.loss(X, y)
    for name, param in model.params.items():
        num = gradcheck.eval_numerical_gradient(lambda _: model.loss(X, y)[0], param)
        assert gradcheck.rel_error(grads[name], num) < 1e-6, name
    assert np.array_equal(model.scores(X), model.scores(X))
    plain = FullyConnectedNet([7, 5], 6, num_classes=3, reg=0.1, init="xavier", seed=1)
    assert np.allclose(model.scores(X), plain.scores(X))   # no dropout, no rescaling at test time
    del model.dropout_param["seed"]
    assert not np.allclose(model.loss(X, y)[0], model.loss(X, y)[0])   # fresh masks each training pass


def test_bias_variance_terms_add_up():
    """Does mse = bias^2 + variance hold exactly without truth, with the ddof=0 variance summed over outputs?"""
    rng = np.random.default_rng(0)
    predictions, targets = rng.standard_normal((7, 11, 3)), rng.standard_normal((11, 3))
    mse, bias2, variance, noise = regularization.bias_variance_decomposition(predictions, targets)
    assert mse == pytest.approx(bias2 + variance, rel=1e-12)
    assert variance == pytest.approx(predictions.var(axis=0).sum(axis=1).mean(), rel=1e-12)
    assert bias2 == pytest.approx(((predictions.mean(axis=0) - targets) ** 2).sum(axis=1).mean(), rel=1e-12)
    assert noise == 0.0
    one_output = regularization.bias_variance_decomposition(predictions[:, :, 0], targets[:, 0])
    assert np.allclose(one_output, regularization.bias_variance_decomposition(predictions[:, :, :1], targets[:, :1]))
    assert regularization.bias_variance_decomposition(predictions[:1], targets)[2] == 0.0


def test_bias_variance_with_truth_recovers_the_three_terms():
    """With a known truth and independent noise, is mse ~ bias^2 + variance + noise, each term the one we planted?"""
    rng = np.random.default_rng(1)
    n = 200_000
    truth = rng.standard_normal(n)
    targets = truth + 0.5 * rng.standard_normal(n)                       # noise variance 0.25
    predictions = truth + 0.3 + 0.2 * rng.standard_normal((4, n))         # bias 0.3, variance 0.04 * 3/4 (ddof=0, B=4)
    mse, bias2, variance, noise = regularization.bias_variance_decomposition(predictions, targets, truth)
    assert noise == pytest.approx(0.25, rel=0.02)
    assert variance == pytest.approx(0.04 * 3 / 4, rel=0.02)
    assert bias2 == pytest.approx(0.09 + 0.04 / 4, rel=0.03)              # the mean of 4 noisy predictions keeps 0.04/4
    assert mse == pytest.approx(bias2 + variance + noise, rel=0.01)


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_bottleneck_net_gradients_and_rank(layer):
    """Are BottleneckNet's gradients the numerical ones, its factored matrix of rank <= k and its scores x U V + b?"""
    rng = np.random.default_rng(layer)
    X, y = rng.standard_normal((6, 7)), rng.integers(0, 4, 6)
    model = regularization.BottleneckNet([5, 6], 7, num_classes=4, bottleneck=2, layer=layer, seed=layer)
    assert set(model.params) == {f"b{i}" for i in (1, 2, 3)} | {f"W{i}" for i in (1, 2, 3) if i != layer} \
        | {f"U{layer}", f"V{layer}"}
    product = model.params[f"U{layer}"] @ model.params[f"V{layer}"]
    assert np.linalg.matrix_rank(product) <= 2
    plain = FullyConnectedNet([5, 6], 7, num_classes=4)
    plain.params = {name: value for name, value in model.params.items() if name.startswith(("W", "b"))}
    plain.params[f"W{layer}"] = product
    assert np.allclose(model.scores(X), plain.scores(X))
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(plain.loss(X, y)[0])
    for name, value in model.params.items():  # eval_numerical_gradient perturbs the parameter in place
        num = gradcheck.eval_numerical_gradient(lambda _: model.loss(X, y)[0], value)
        assert gradcheck.rel_error(grads[name], num) < 1e-6, name


def test_bottleneck_net_trains_with_the_solver():
    """Does the Solver train a BottleneckNet on real digits well above chance?"""
    from trainlab import data
    from trainlab.solver import Solver
    X, y = data.load_digits()
    X = X.reshape(len(X), -1)
    model = regularization.BottleneckNet([32], X.shape[1], bottleneck=4, layer=1, seed=0)
    solver = Solver(model, {"X_train": X[:1000], "y_train": y[:1000], "X_val": X[1000:], "y_val": y[1000:]},
                    update_rule="sgd", optim_config={"lr": 0.1}, num_epochs=5, batch_size=50, progress=False)
    solver.train()
    assert solver.best_val_acc > 0.7
