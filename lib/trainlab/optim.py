"""Update rules with one interface: ``next_w, config = rule(w, dw, config)``.

``config`` holds the hyperparameters (defaults set with ``setdefault``) and any running
state of the rule (velocity, moments, step count); the solver keeps one per parameter.
Second-order methods (``newton_step``, the L-BFGS two-loop ``lbfgs_direction`` and
``lbfgs_minimize``) work on a whole parameter vector instead; ``ravine``, ``saddle`` and
``optimize_path`` are 2-D surfaces and a driver for looking at optimizer paths.
"""
import numpy as np


def _state(config, key, w):
    """config[key], or zeros like w before a rule's first step (not allocated and filled on every step)."""
    return config[key] if key in config else np.zeros_like(w)


def sgd(w, dw, config=None):
    """Vanilla SGD: w <- w - lr * dw.

    config: lr (float, default 1e-2).
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    return w - config["lr"] * dw, config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum: v <- mu * v - lr * dw; w <- w + v.

    The velocity is a running sum of past steps, so directions that agree build up speed
    and directions that flip sign (a ravine's walls) cancel out.

    Args:
        w, dw: arrays of the same shape (parameter and its gradient).
        config: lr (1e-2), momentum (mu, 0.9), velocity (zeros like w; updated in place of the key).
    Returns:
        next_w: array shaped like w; config with the new velocity.
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    v = _state(config, "velocity", w)
    v = config["momentum"] * v - config["lr"] * dw
    config["velocity"] = v
    return w + v, config


def sgd_momentum_sum(w, dw, config=None):
    """The other momentum formulation (PyTorch's): v <- mu * v + dw; w <- w - lr * v.

    With a constant lr it takes exactly the steps of ``sgd_momentum`` (its velocity is
    -lr times this one); the two differ only when lr changes during training.

    Args:
        w, dw: arrays of the same shape.
        config: lr (1e-2), momentum (0.9), velocity (zeros like w).
    Returns:
        next_w, config.
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * _state(config, "velocity", w) + dw
    config["velocity"] = v
    return w - config["lr"] * v, config


def nesterov(w, dw, config=None):
    """Nesterov momentum, written in the variables we have (the gradient dw is at w).

    The look-ahead form v <- mu v - lr grad(w + mu v); w <- w + v, with the change of
    variables x = w + mu v, becomes:
        v_prev = v;  v <- mu v - lr dw;  w <- w - mu v_prev + (1 + mu) v.

    Args:
        w, dw: arrays of the same shape.
        config: lr (1e-2), momentum (0.9), velocity (zeros like w).
    Returns:
        next_w, config.
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    mu = config["momentum"]
    v_prev = _state(config, "velocity", w)
    v = mu * v_prev - config["lr"] * dw
    config["velocity"] = v
    return w - mu * v_prev + (1 + mu) * v, config


def adagrad(w, dw, config=None):
    """AdaGrad: cache <- cache + dw^2; w <- w - lr dw / (sqrt(cache) + eps).

    Each coordinate gets its own step size, which only shrinks: the cache never forgets.

    Args:
        w, dw: arrays of the same shape.
        config: lr (1e-2), epsilon (1e-8, added outside the square root), cache (zeros like w).
    Returns:
        next_w, config.
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = _state(config, "cache", w) + dw * dw
    config["cache"] = cache
    return w - config["lr"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def rmsprop(w, dw, config=None):
    """RMSProp: cache <- rho cache + (1 - rho) dw^2; w <- w - lr dw / (sqrt(cache) + eps).

    A leaky AdaGrad: the cache is a moving average, so step sizes stop shrinking.

    Args:
        w, dw: arrays of the same shape.
        config: lr (1e-2), decay_rate (rho, 0.99), epsilon (1e-8, outside the square root),
            cache (zeros like w).
    Returns:
        next_w, config.
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    rho = config["decay_rate"]
    cache = rho * _state(config, "cache", w) + (1 - rho) * dw * dw
    config["cache"] = cache
    return w - config["lr"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam(w, dw, config=None, bias_correction=True):
    """Adam: momentum (first moment m) plus RMSProp (second moment v), bias-corrected.

        t <- t + 1;  m <- b1 m + (1 - b1) dw;  v <- b2 v + (1 - b2) dw^2
        w <- w - lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)

    m and v start at zero, so without the correction they are too small in the first steps.

    Args:
        w, dw: arrays of the same shape.
        config: lr (1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8), m, v (zeros like w),
            t (0: the number of steps taken so far; the first step uses t = 1).
        bias_correction: False gives the uncorrected variant (for the lecture's experiment).
    Returns:
        next_w, config.
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = b1 * _state(config, "m", w) + (1 - b1) * dw
    config["v"] = b2 * _state(config, "v", w) + (1 - b2) * dw * dw
    m, v = config["m"], config["v"]
    if bias_correction:
        m, v = m / (1 - b1 ** config["t"]), v / (1 - b2 ** config["t"])
    return w - config["lr"] * m / (np.sqrt(v) + config["epsilon"]), config


def adamw(w, dw, config=None):
    """AdamW (Loshchilov & Hutter, 2019): Adam with the weight decay decoupled from the adaptive step.

        t <- t + 1;  m <- b1 m + (1 - b1) dw;  v <- b2 v + (1 - b2) dw^2      (dw: the loss gradient only)
        w <- w (1 - lr wd) - lr m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)

    The decay shrinks the current w (before this step's Adam update, as torch.optim.AdamW does:
    ``param.mul_(1 - lr * weight_decay)``, then the Adam step) and never enters m or v, so every
    weight decays at the same rate lr * wd. Adam with an L2 term (reg / 2) ||w||^2 in the loss
    instead feeds reg * w into dw, where it is divided by sqrt(v_hat): weights with a large
    gradient history are decayed less. With weight_decay 0 this is exactly ``adam``.

    Args:
        w, dw: arrays of the same shape.
        config: lr (1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8), weight_decay (1e-2,
            torch's default), m, v (zeros like w), t (0: the number of steps taken so far).
    Returns:
        next_w, config.
    """
    config = {} if config is None else config
    config.setdefault("lr", 1e-3)
    config.setdefault("weight_decay", 1e-2)
    return adam(w * (1 - config["lr"] * config["weight_decay"]), dw, config)


RULES = {"sgd": sgd, "sgd_momentum": sgd_momentum, "sgd_momentum_sum": sgd_momentum_sum,
         "nesterov": nesterov, "adagrad": adagrad, "rmsprop": rmsprop, "adam": adam, "adamw": adamw}


# --------------------------------------------------------------------------- second order


def newton_step(w, dw, hessian):
    """One Newton step on a twice differentiable function: w <- w - H^{-1} dw.

    No learning rate: on a quadratic it lands on the minimum in one step.

    Args:
        w: (D,) parameters.
        dw: (D,) gradient at w.
        hessian: (D, D) Hessian at w (symmetric, positive definite for a minimum).
    Returns:
        next_w: (D,).
    """
    # solve H p = dw instead of forming H^{-1}: cheaper and more accurate
    return w - np.linalg.solve(hessian, dw)


def lbfgs_direction(grad, s_list, y_list):
    """L-BFGS search direction -H grad by the two-loop recursion.

    H is the BFGS inverse-Hessian estimate built from the last m pairs
    s_i = w_{i+1} - w_i and y_i = grad_{i+1} - grad_i, starting from
    H_0 = gamma I with gamma = s^T y / y^T y of the newest pair.

    Args:
        grad: (D,) current gradient.
        s_list, y_list: lists of (D,) arrays, oldest first (may be empty: then -grad).
    Returns:
        direction: (D,) = -H grad.
    """
    q = np.array(grad, dtype=float)
    rhos = [1.0 / np.dot(y, s) for s, y in zip(s_list, y_list)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_list, y_list, rhos))):  # newest to oldest
        alpha = rho * np.dot(s, q)
        q -= alpha * y
        alphas.append(alpha)
    if s_list:
        q *= np.dot(s_list[-1], y_list[-1]) / np.dot(y_list[-1], y_list[-1])
    for (s, y, rho), alpha in zip(zip(s_list, y_list, rhos), reversed(alphas)):  # oldest to newest
        beta = rho * np.dot(y, q)
        q += (alpha - beta) * s
    return -q


def _backtracking(f_grad, w, loss, grad, direction, step=1.0, shrink=0.5, c=1e-4, max_tries=30):
    """Armijo backtracking: halve the step until the loss drops by c * step * slope."""
    slope = np.dot(grad, direction)
    for _ in range(max_tries):
        new_loss, new_grad = f_grad(w + step * direction)
        if np.isfinite(new_loss) and new_loss <= loss + c * step * slope:
            break
        step *= shrink
    return step, new_loss, new_grad


def lbfgs_minimize(f_grad, w0, m=10, num_iters=100, tol=1e-10, callback=None):
    """Minimize with L-BFGS: two-loop direction and an Armijo backtracking line search.

    Designed for a deterministic (full-batch) f_grad; a stochastic one (a new minibatch
    per call) makes the curvature pairs noisy, which is the lecture's point.

    Args:
        f_grad: function w -> (loss, grad) with w and grad (D,).
        w0: (D,) start.
        m: number of (s, y) pairs kept.
        num_iters: number of iterations.
        tol: stop when the gradient norm is below this.
        callback: optional function called with each new iterate w.
    Returns:
        w: (D,) the last iterate; losses: list of the loss at each iterate (w0 first).
    """
    w = np.array(w0, dtype=float)
    loss, grad = f_grad(w)
    losses, s_list, y_list = [float(loss)], [], []
    for _ in range(num_iters):
        if np.linalg.norm(grad) < tol:
            break
        direction = lbfgs_direction(grad, s_list, y_list)
        if np.dot(direction, grad) >= 0:  # not a descent direction (noisy pairs): restart
            s_list, y_list, direction = [], [], -grad
        step, new_loss, new_grad = _backtracking(f_grad, w, loss, grad, direction)
        s, y = step * direction, new_grad - grad
        if np.dot(s, y) > 1e-10:  # keep H positive definite: skip pairs without positive curvature
            s_list, y_list = (s_list + [s])[-m:], (y_list + [y])[-m:]
        w, loss, grad = w + s, new_loss, new_grad
        losses.append(float(loss))
        if callback is not None:
            callback(w)
    return w, losses


# --------------------------------------------------------------------------- 2-D surfaces


def ravine(w, a=0.1, b=4.0):
    """A ravine: f = (a x^2 + b y^2) / 2, shallow along x, steep along y.

    Args:
        w: (2,) point (x, y).
    Returns:
        loss: float; grad: (2,).
    """
    x, y = w
    return 0.5 * (a * x * x + b * y * y), np.array([a * x, b * y])


def saddle(w):
    """A saddle at the origin between two minima at (0, +-1): f = x^2 + y^4 / 4 - y^2 / 2.

    Args:
        w: (2,) point (x, y).
    Returns:
        loss: float; grad: (2,).
    """
    x, y = w
    return x * x + y ** 4 / 4 - y * y / 2, np.array([2 * x, y ** 3 - y])


class Surface:
    """A registry entry: a 2-D loss surface (call the entry like its function, ``f_grad(w) ->
    (loss, grad)``) and how to look at it: start point ``w0`` and the plotted region ``xlim``,
    ``ylim`` (also readable as ``entry["w0"]`` etc., the form the lecture-05 plots use)."""

    def __init__(self, f_grad, w0, xlim, ylim):
        self.f_grad, self.w0, self.xlim, self.ylim = f_grad, w0, xlim, ylim
        self.__name__, self.__doc__ = f_grad.__name__, f_grad.__doc__

    def __call__(self, w):
        return self.f_grad(w)

    def __getitem__(self, key):
        if key not in ("w0", "xlim", "ylim"):
            raise KeyError(key)
        return getattr(self, key)


# One entry per surface: the function and its view.
SURFACES = {
    "ravine": Surface(ravine, w0=(-9.0, 1.5), xlim=(-10.0, 2.0), ylim=(-2.0, 2.0)),
    "saddle": Surface(saddle, w0=(1.0, 1e-3), xlim=(-1.2, 1.2), ylim=(-0.4, 1.4)),
}


def optimize_path(rule, f_grad, w0, config=None, num_steps=100):
    """Run an update rule on a function from w0 and return the path.

    Args:
        rule: update rule (w, dw, config) -> (next_w, config), or its name in RULES.
        f_grad: function w -> (loss, grad).
        w0: (D,) start.
        config: the rule's config (copied, not changed).
        num_steps: number of updates.
    Returns:
        path: (num_steps + 1, D) iterates, w0 first; losses: (num_steps + 1,).
    """
    rule = RULES[rule] if isinstance(rule, str) else rule
    config = dict(config or {})
    w = np.array(w0, dtype=float)
    path, losses = [w.copy()], []
    for _ in range(num_steps):
        loss, grad = f_grad(w)
        losses.append(loss)
        w, config = rule(w, grad, config)
        path.append(np.array(w, dtype=float))
    losses.append(f_grad(w)[0])
    return np.array(path), np.array(losses)
