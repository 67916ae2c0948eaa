"""Do the update rules and second-order methods of trainlab.optim do what the lectures say?

torch.optim is the oracle for the first-order rules: each test configures torch so that
it computes the same formula, and the docstring says why the two agree.
"""
import numpy as np
import pytest
import scipy.optimize

from trainlab import gradcheck, optim

torch = pytest.importorskip("torch")

NUM_STEPS = 200


def _gradient(w):
    """A gradient on a bumpy bowl whose coordinates differ in scale (1e-4 to 3) and change sign."""
    return np.array([0.5, 2.0, 3.0, 1e-3, 1e-4, 0.0]) * w + 0.5 * np.sin(2 * w + np.arange(6))


def _trajectory(rule, config, w0):
    w, config = np.array(w0, dtype=float), dict(config)
    path = [w]
    for _ in range(NUM_STEPS):
        w, config = rule(w, _gradient(w), config)
        path.append(w)
    return np.array(path)


def _torch_trajectory(make_optimizer, w0):
    p = torch.tensor(np.array(w0, dtype=float), requires_grad=True)
    opt = make_optimizer([p])
    path = [p.detach().numpy().copy()]
    for _ in range(NUM_STEPS):
        opt.zero_grad()
        p.grad = torch.tensor(_gradient(p.detach().numpy()))
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


W0 = np.array([1.0, -0.5, 0.3, 2.0, -1.0, 0.7])


def _close(ours, theirs):
    assert ours.shape == theirs.shape
    assert gradcheck.rel_error(ours, theirs) < 1e-8


def test_sgd_momentum_matches_torch_sgd_momentum():
    """Does sgd_momentum follow torch SGD(momentum=0.9) for 200 steps?

    torch keeps b = mu b + dw and steps -lr b; ours keeps v = mu v - lr dw = -lr b, the
    same steps when lr is constant.
    """
    ours = _trajectory(optim.sgd_momentum, {"lr": 0.05, "momentum": 0.9}, W0)
    theirs = _torch_trajectory(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9), W0)
    _close(ours, theirs)


def test_sgd_momentum_sum_is_the_same_path_at_a_constant_rate():
    """Do the two momentum formulations (v = mu v - lr dw vs v = mu v + dw, w -= lr v) agree?"""
    ours = _trajectory(optim.sgd_momentum, {"lr": 0.03, "momentum": 0.8}, W0)
    _close(ours, _trajectory(optim.sgd_momentum_sum, {"lr": 0.03, "momentum": 0.8}, W0))


def test_nesterov_matches_torch_nesterov():
    """Does nesterov follow torch SGD(momentum=0.9, nesterov=True)?

    torch steps -lr (dw + mu b) with b = mu b_prev + dw; with v = -lr b that is
    (1 + mu) v - mu v_prev, our rewritten look-ahead update.
    """
    ours = _trajectory(optim.nesterov, {"lr": 0.05, "momentum": 0.9}, W0)
    theirs = _torch_trajectory(lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True), W0)
    _close(ours, theirs)


def test_nesterov_is_momentum_with_the_gradient_at_the_look_ahead_point():
    """Is nesterov, in the variable x = w + mu v, the original look-ahead form v = mu v - lr grad(x + mu v)?"""
    lr, mu = 0.05, 0.9
    x, v = W0.copy(), np.zeros_like(W0)
    w, config = W0.copy(), {"lr": lr, "momentum": mu}
    for _ in range(50):
        v = mu * v - lr * _gradient(x + mu * v)
        x = x + v
        w, config = optim.nesterov(w, _gradient(w), config)
        # w tracks the look-ahead point x + mu v
        assert gradcheck.rel_error(w, x + mu * v) < 1e-9


def test_adagrad_matches_torch_adagrad():
    """Does adagrad follow torch Adagrad(eps=1e-8)?

    torch's lr_decay=0 and initial_accumulator_value=0 (defaults) give a plain running sum
    of squares, and it adds eps outside the square root as we do; only its default eps
    (1e-10) differs, so we set it.
    """
    ours = _trajectory(optim.adagrad, {"lr": 0.1}, W0)
    theirs = _torch_trajectory(lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-8), W0)
    _close(ours, theirs)


def test_rmsprop_matches_torch_rmsprop():
    """Does rmsprop follow torch RMSprop(alpha=0.99, eps=1e-8)?

    torch's alpha is our decay_rate, and it too adds eps outside the square root.
    """
    ours = _trajectory(optim.rmsprop, {"lr": 0.01, "decay_rate": 0.99}, W0)
    theirs = _torch_trajectory(lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-8), W0)
    _close(ours, theirs)


def test_adam_matches_torch_adam():
    """Does adam (bias-corrected, t from 1) follow torch Adam with the same defaults?

    torch divides lr by 1 - b1^t and sqrt(v) by sqrt(1 - b2^t) before adding eps, which is
    m_hat / (sqrt(v_hat) + eps) rearranged.
    """
    ours = _trajectory(optim.adam, {"lr": 0.01}, W0)
    theirs = _torch_trajectory(lambda p: torch.optim.Adam(p, lr=0.01), W0)
    _close(ours, theirs)


@pytest.mark.parametrize("lr, weight_decay", [(0.01, 0.1), (0.05, 2.0), (1e-3, None)])
def test_adamw_matches_torch_adamw(lr, weight_decay):
    """Does adamw follow torch AdamW (decoupled decay; None: both defaults, 1e-2) for 200 steps?

    torch multiplies the parameter by 1 - lr * weight_decay before the Adam step, and the Adam
    step is computed from the loss gradient alone: w (1 - lr wd) - lr m_hat / (sqrt(v_hat) + eps).
    """
    config = {"lr": lr} if weight_decay is None else {"lr": lr, "weight_decay": weight_decay}
    ours = _trajectory(optim.adamw, config, W0)
    theirs = _torch_trajectory(lambda p: torch.optim.AdamW(p, **config), W0)
    _close(ours, theirs)


def _l2(rule, reg):
    """rule fed the gradient of the loss plus an L2 term (reg / 2) ||w||^2."""
    return lambda w, dw, config: rule(w, dw + reg * w, config)


def test_adam_with_an_l2_gradient_is_torch_adam_weight_decay_and_not_adamw():
    """Is torch's Adam(weight_decay) Adam on dw + wd w, and does that path differ from AdamW's?"""
    ours = _trajectory(_l2(optim.adam, 0.5), {"lr": 0.01}, W0)
    _close(ours, _torch_trajectory(lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.5), W0))
    decoupled = _trajectory(optim.adamw, {"lr": 0.01, "weight_decay": 0.5}, W0)
    assert np.abs(ours - decoupled).max() > 0.1


def test_adamw_without_decay_is_adam_and_sgd_l2_is_decoupled_decay():
    """weight_decay 0 gives adam's steps; for SGD an L2 gradient and a decoupled decay give the same steps."""
    _close(_trajectory(optim.adamw, {"lr": 0.01, "weight_decay": 0.0}, W0), _trajectory(optim.adam, {"lr": 0.01}, W0))

    def sgd_decoupled(w, dw, config):
        return optim.sgd(w * (1 - config["lr"] * 0.3), dw, config)

    _close(_trajectory(_l2(optim.sgd, 0.3), {"lr": 0.05}, W0), _trajectory(sgd_decoupled, {"lr": 0.05}, W0))


def test_adamw_decays_a_weight_without_gradient_geometrically():
    """With dw = 0, does adamw shrink w to w (1 - lr wd)^k, while Adam + L2 moves a small weight about as far as a large one?"""
    w0 = np.array([2.0, -0.5])
    w, config = w0.copy(), {"lr": 0.01, "weight_decay": 0.5}
    w_l2, config_l2 = w0.copy(), {"lr": 0.01}
    for _ in range(50):
        w, config = optim.adamw(w, np.zeros(2), config)
        w_l2, config_l2 = optim.adam(w_l2, 0.5 * w_l2, config_l2)
    assert np.allclose(w, w0 * (1 - 0.01 * 0.5) ** 50, rtol=1e-12)
    # the L2 gradient divided by its own RMS: steps of about lr whatever the weight's size, so the weight four
    # times smaller moves nearly as far (decoupled decay moves it four times less)
    moved = np.abs(w0 - w_l2)
    assert np.all(moved < 50 * 0.01) and moved[0] / moved[1] < 1.5


@pytest.mark.parametrize("name", ["sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"])
def test_rules_keep_their_state_in_config_and_leave_inputs_alone(name):
    """Does each rule set its defaults, keep its state in config, and not modify w or dw?"""
    w, dw = np.array([1.0, -2.0]), np.array([0.3, 0.4])
    w_before, dw_before = w.copy(), dw.copy()
    next_w, config = optim.RULES[name](w, dw)
    assert "lr" in config and next_w.shape == w.shape
    assert np.array_equal(w, w_before) and np.array_equal(dw, dw_before)
    state = {"sgd_momentum": "velocity", "nesterov": "velocity", "adagrad": "cache", "rmsprop": "cache",
             "adam": "m", "adamw": "m"}[name]
    assert state in config
    dw2 = np.array([-0.5, 0.1])
    next_w2, config = optim.RULES[name](next_w, dw2, config)
    fresh, _ = optim.RULES[name](next_w, dw2)
    assert not np.allclose(next_w2, fresh)  # the state changed the second step


def test_adam_first_step_is_lr_times_the_sign():
    """With bias correction, is Adam's first step lr * sign(dw), and without it sqrt(1-b2)/(1-b1) larger?"""
    w, dw = np.zeros(3), np.array([2.0, -0.01, 5.0])
    next_w, config = optim.adam(w, dw, {"lr": 0.1})
    assert config["t"] == 1
    assert np.allclose(next_w, -0.1 * np.sign(dw))
    raw, _ = optim.adam(w, dw, {"lr": 0.1}, bias_correction=False)
    assert np.allclose(raw, -0.1 * np.sign(dw) * 0.1 / np.sqrt(0.001), rtol=1e-4)


def test_newton_step_solves_a_quadratic_in_one_step():
    """Does one Newton step from anywhere land on the minimum of f = w^T A w / 2 - b^T w?"""
    rng = np.random.default_rng(0)
    m = rng.standard_normal((5, 5))
    A, b = m @ m.T + np.eye(5), rng.standard_normal(5)
    w = rng.standard_normal(5)
    next_w = optim.newton_step(w, A @ w - b, A)
    assert gradcheck.rel_error(next_w, np.linalg.solve(A, b)) < 1e-10


def _bfgs_inverse(s_list, y_list, dim):
    """The dense BFGS inverse-Hessian update, H = (I - rho s y^T) H (I - rho y s^T) + rho s s^T."""
    s, y = s_list[-1], y_list[-1]
    H = np.eye(dim) * (s @ y) / (y @ y)
    for s, y in zip(s_list, y_list):
        rho = 1 / (y @ s)
        V = np.eye(dim) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    return H


def test_lbfgs_direction_is_the_dense_bfgs_update():
    """Does the two-loop recursion give -H g with H the dense BFGS update from gamma I?"""
    rng = np.random.default_rng(1)
    m = rng.standard_normal((6, 6))
    A = m @ m.T + np.eye(6)
    s_list = [rng.standard_normal(6) for _ in range(4)]
    y_list = [A @ s for s in s_list]
    g = rng.standard_normal(6)
    d = optim.lbfgs_direction(g, s_list, y_list)
    assert gradcheck.rel_error(d, -_bfgs_inverse(s_list, y_list, 6) @ g) < 1e-9
    # the secant equation for the newest pair: H y = s
    assert gradcheck.rel_error(optim.lbfgs_direction(y_list[-1], s_list, y_list), -s_list[-1]) < 1e-9
    assert np.array_equal(optim.lbfgs_direction(g, [], []), -g)


def _softmax_regression(X, y, reg=1e-3):
    """Loss and gradient of a linear softmax classifier, parameters flattened to one vector."""
    D, C = X.shape[1], int(y.max()) + 1

    def f_grad(theta):
        W = theta.reshape(D, C)
        scores = X @ W
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y]).mean() + 0.5 * reg * np.sum(W * W)
        p[np.arange(len(y)), y] -= 1
        return loss, (X.T @ p / len(y) + reg * W).ravel()

    return f_grad, D * C


def test_lbfgs_minimize_reaches_the_scipy_minimum():
    """On a smooth convex problem, does full-batch L-BFGS reach scipy's L-BFGS-B loss?"""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    y = (X @ rng.standard_normal((5, 3))).argmax(axis=1)
    f_grad, dim = _softmax_regression(X, y)
    _, losses = optim.lbfgs_minimize(f_grad, np.zeros(dim), num_iters=100)
    ref = scipy.optimize.minimize(f_grad, np.zeros(dim), jac=True, method="L-BFGS-B")
    assert losses[-1] <= ref.fun + 1e-6
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))  # the line search only goes down


def test_optimize_path_records_every_iterate():
    """Does optimize_path return num_steps + 1 points starting at w0, and SGD go down the ravine?"""
    path, losses = optim.optimize_path("sgd", optim.ravine, (-9.0, 1.5), {"lr": 0.4}, num_steps=30)
    assert path.shape == (31, 2) and losses.shape == (31,)
    assert np.array_equal(path[0], [-9.0, 1.5]) and losses[-1] < losses[0]


@pytest.mark.parametrize("surface", sorted(optim.SURFACES))
def test_surface_gradients(surface):
    """Are the 2-D surfaces' gradients right (numerical check)?"""
    f = optim.SURFACES[surface]
    w = np.array([0.7, -0.3])
    num = gradcheck.eval_numerical_gradient(lambda v: f(v)[0], w.copy())
    assert gradcheck.rel_error(f(w)[1], num) < 1e-7
