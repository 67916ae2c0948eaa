"""Typical wrong answers for lecture 05 (parameter updates: momentum, adaptive rates, second order).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
"""

_MOMENTUM_HEAD = '''
def {name}(w, dw, config=None):
    config = {{}} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
'''


def _momentum(name, body, store=True):
    tail = '    config["velocity"] = v\n' if store else ""
    return _MOMENTUM_HEAD.format(name=name) + body + tail + "    return next_w, config\n"


_ADAGRAD_HEAD = '''
def adagrad(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
'''

_RMSPROP_HEAD = '''
def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
'''

_ADAM_HEAD = '''
def adam(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("lr", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
'''

_ADAM_STEP = '''    next_w = w - config["lr"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config
'''

_ADAMW_HEAD = '''
def adamw(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("lr", 1e-3)
    config.setdefault("weight_decay", 1e-2)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
'''

_ADAMW_MOMENTS = '''    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    m_hat = config["m"] / (1 - b1 ** config["t"])
    v_hat = config["v"] / (1 - b2 ** config["t"])
    step = config["lr"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
'''

MISTAKES = {
    "sgd_momentum": [
        ("sign error: v = mu v + lr dw (steps uphill)", _momentum("sgd_momentum", '''
    v = config["momentum"] * v + config["lr"] * dw
    next_w = w + v
''')),
        ("velocity not stored in config (state lost between calls)", _momentum("sgd_momentum", '''
    v = config["momentum"] * v - config["lr"] * dw
    next_w = w + v
''', store=False)),
        ("velocity kept in a global variable instead of config", '''
_velocity = None


def sgd_momentum(w, dw, config=None):
    global _velocity
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    if _velocity is None or _velocity.shape != w.shape:
        _velocity = config.get("velocity", np.zeros_like(w))
    _velocity = config["momentum"] * _velocity - config["lr"] * dw
    return w + _velocity, config
'''),
        ("moves w with the old velocity, then updates it", _momentum("sgd_momentum", '''
    next_w = w + v
    v = config["momentum"] * v - config["lr"] * dw
''')),
    ],
    "nesterov": [
        ("plain momentum: gradient used at the current point, no look-ahead correction", _momentum("nesterov", '''
    v = config["momentum"] * v - config["lr"] * dw
    next_w = w + v
''')),
        ("v and v_prev swapped in the update", _momentum("nesterov", '''
    mu = config["momentum"]
    v_prev = v
    v = mu * v - config["lr"] * dw
    next_w = w - mu * v + (1 + mu) * v_prev
''')),
        ("sign error on the look-ahead term: + mu v_prev", _momentum("nesterov", '''
    mu = config["momentum"]
    v_prev = v
    v = mu * v - config["lr"] * dw
    next_w = w + mu * v_prev + (1 + mu) * v
''')),
        ("velocity not stored in config", _momentum("nesterov", '''
    mu = config["momentum"]
    v_prev = v
    v = mu * v - config["lr"] * dw
    next_w = w - mu * v_prev + (1 + mu) * v
''', store=False)),
    ],
    "adagrad": [
        ("epsilon inside the square root", _ADAGRAD_HEAD + '''
    cache = cache + dw * dw
    next_w = w - config["lr"] * dw / np.sqrt(cache + config["epsilon"])
    config["cache"] = cache
    return next_w, config
'''),
        ("decaying cache (RMSProp's moving average instead of a sum)", _ADAGRAD_HEAD + '''
    cache = 0.99 * cache + 0.01 * dw * dw
    next_w = w - config["lr"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config
'''),
        ("cache not stored in config", _ADAGRAD_HEAD + '''
    cache = cache + dw * dw
    next_w = w - config["lr"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config
'''),
        ("divides by the cache, not its square root", _ADAGRAD_HEAD + '''
    cache = cache + dw * dw
    next_w = w - config["lr"] * dw / (cache + config["epsilon"])
    config["cache"] = cache
    return next_w, config
'''),
    ],
    "rmsprop": [
        ("epsilon inside the square root, with the decay weights swapped", _RMSPROP_HEAD + '''
    rho = config["decay_rate"]
    cache = (1 - rho) * cache + rho * dw * dw
    next_w = w - config["lr"] * dw / np.sqrt(cache + config["epsilon"])
    config["cache"] = cache
    return next_w, config
'''),
        ("epsilon inside the square root", _RMSPROP_HEAD + '''
    rho = config["decay_rate"]
    cache = rho * cache + (1 - rho) * dw * dw
    next_w = w - config["lr"] * dw / np.sqrt(cache + config["epsilon"])
    config["cache"] = cache
    return next_w, config
'''),
        ("decay weights swapped: (1 - rho) cache + rho dw^2", _RMSPROP_HEAD + '''
    rho = config["decay_rate"]
    cache = (1 - rho) * cache + rho * dw * dw
    next_w = w - config["lr"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config
'''),
        ("AdaGrad's cache: no decay", _RMSPROP_HEAD + '''
    cache = cache + dw * dw
    next_w = w - config["lr"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config
'''),
        ("cache not stored in config", _RMSPROP_HEAD + '''
    rho = config["decay_rate"]
    cache = rho * cache + (1 - rho) * dw * dw
    next_w = w - config["lr"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config
'''),
    ],
    "adam": [
        ("no bias correction", _ADAM_HEAD + '''
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    m_hat, v_hat = config["m"], config["v"]
''' + _ADAM_STEP),
        ("step count starts at 0: corrects with t before incrementing it", _ADAM_HEAD + '''
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    m_hat = config["m"] / (1 - b1 ** t)
    v_hat = config["v"] / (1 - b2 ** t)
    config["t"] = t + 1
''' + _ADAM_STEP),
        ("bias-corrects only the first moment", _ADAM_HEAD + '''
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    m_hat = config["m"] / (1 - b1 ** config["t"])
    v_hat = config["v"]
''' + _ADAM_STEP),
        ("moments not stored in config (recomputed from zero every call)", _ADAM_HEAD + '''
    config["t"] += 1
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw * dw
    m_hat = m / (1 - b1 ** config["t"])
    v_hat = v / (1 - b2 ** config["t"])
''' + _ADAM_STEP),
    ],
    "adamw": [
        ("Adam + L2: the decay added to the gradient (then divided by sqrt(v_hat))", _ADAMW_HEAD + '''
    dw = dw + config["weight_decay"] * w
''' + _ADAMW_MOMENTS + '''    return w - step, config
'''),
        ("decay applied after the Adam step, to the new w", _ADAMW_HEAD + _ADAMW_MOMENTS + '''
    next_w = (w - step) * (1 - config["lr"] * config["weight_decay"])
    return next_w, config
'''),
        ("decay not multiplied by lr: w (1 - weight_decay)", _ADAMW_HEAD + _ADAMW_MOMENTS + '''
    return w * (1 - config["weight_decay"]) - step, config
'''),
        ("no bias correction", _ADAMW_HEAD + '''
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    step = config["lr"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])
    return w * (1 - config["lr"] * config["weight_decay"]) - step, config
'''),
        ("t not incremented in config: every call corrects with t = 1", _ADAMW_HEAD + '''
    t = config["t"] + 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    m_hat = config["m"] / (1 - b1 ** t)
    v_hat = config["v"] / (1 - b2 ** t)
    step = config["lr"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return w * (1 - config["lr"] * config["weight_decay"]) - step, config
'''),
        ("the decay goes through the updated first moment (m accumulates weight_decay * w)", _ADAMW_HEAD + '''
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw + config["weight_decay"] * w
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    m_hat = config["m"] / (1 - b1 ** config["t"])
    v_hat = config["v"] / (1 - b2 ** config["t"])
    return w - config["lr"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
'''),
        ("default weight_decay 0 (torch.optim.Adam's) instead of AdamW's 1e-2",
         (_ADAMW_HEAD + _ADAMW_MOMENTS + '''    return w * (1 - config["lr"] * config["weight_decay"]) - step, config
''').replace('setdefault("weight_decay", 1e-2)', 'setdefault("weight_decay", 0.0)')),
    ],
    "newton_step": [
        ("multiplies by the Hessian instead of solving with it", '''
def newton_step(w, dw, hessian):
    return w - hessian @ dw
'''),
        ("sign error: w + H^-1 dw", '''
def newton_step(w, dw, hessian):
    return w + np.linalg.solve(hessian, dw)
'''),
        ("diagonal of the Hessian only", '''
def newton_step(w, dw, hessian):
    return w - dw / np.diag(hessian)
'''),
    ],
    "lbfgs_direction": [
        ("no initial scaling: H_0 = I instead of gamma I", '''
def lbfgs_direction(grad, s_list, y_list):
    q = np.array(grad, dtype=float)
    rhos = [1.0 / np.dot(y, s) for s, y in zip(s_list, y_list)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_list, y_list, rhos))):
        alpha = rho * np.dot(s, q)
        q -= alpha * y
        alphas.append(alpha)
    for (s, y, rho), alpha in zip(zip(s_list, y_list, rhos), reversed(alphas)):
        beta = rho * np.dot(y, q)
        q += (alpha - beta) * s
    return -q
'''),
        ("both loops from newest to oldest", '''
def lbfgs_direction(grad, s_list, y_list):
    q = np.array(grad, dtype=float)
    rhos = [1.0 / np.dot(y, s) for s, y in zip(s_list, y_list)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_list, y_list, rhos))):
        alpha = rho * np.dot(s, q)
        q -= alpha * y
        alphas.append(alpha)
    if s_list:
        q *= np.dot(s_list[-1], y_list[-1]) / np.dot(y_list[-1], y_list[-1])
    for (s, y, rho), alpha in zip(reversed(list(zip(s_list, y_list, rhos))), alphas[::-1]):
        beta = rho * np.dot(y, q)
        q += (alpha - beta) * s
    return -q
'''),
        ("returns +H grad (an ascent direction)", '''
def lbfgs_direction(grad, s_list, y_list):
    q = np.array(grad, dtype=float)
    rhos = [1.0 / np.dot(y, s) for s, y in zip(s_list, y_list)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_list, y_list, rhos))):
        alpha = rho * np.dot(s, q)
        q -= alpha * y
        alphas.append(alpha)
    if s_list:
        q *= np.dot(s_list[-1], y_list[-1]) / np.dot(y_list[-1], y_list[-1])
    for (s, y, rho), alpha in zip(zip(s_list, y_list, rhos), reversed(alphas)):
        beta = rho * np.dot(y, q)
        q += (alpha - beta) * s
    return q
'''),
        ("gamma from the oldest pair instead of the newest", '''
def lbfgs_direction(grad, s_list, y_list):
    q = np.array(grad, dtype=float)
    rhos = [1.0 / np.dot(y, s) for s, y in zip(s_list, y_list)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_list, y_list, rhos))):
        alpha = rho * np.dot(s, q)
        q -= alpha * y
        alphas.append(alpha)
    if s_list:
        q *= np.dot(s_list[0], y_list[0]) / np.dot(y_list[0], y_list[0])
    for (s, y, rho), alpha in zip(zip(s_list, y_list, rhos), reversed(alphas)):
        beta = rho * np.dot(y, q)
        q += (alpha - beta) * s
    return -q
'''),
    ],
}

# ---------------------------------------------------------------- wrong answers the generated tests catch
# (config None or with keys left out, hyperparameters other than the defaults, indefinite Hessians,
# inputs that must not be modified)

_MUTABLE_DEFAULT = '''
def {name}(w, dw, config={{}}):
    config = {{}} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    mu = config["momentum"]
    v_prev = v
    v = mu * v - config["lr"] * dw
    config["velocity"] = v
    return {step}, config
'''

MISTAKES["sgd_momentum"] += [
    ("momentum hard-coded as 0.9 (config['momentum'] ignored)", _momentum("sgd_momentum", '''
    v = 0.9 * v - config["lr"] * dw
    next_w = w + v
''')),
    ("mutable default argument config={}: the state leaks from one call without a config to the next",
     _MUTABLE_DEFAULT.format(name="sgd_momentum", step="w + v")),
    ("default learning rate 1e-3 (Adam's) instead of 1e-2", _momentum("sgd_momentum", '''
    v = config["momentum"] * v - config["lr"] * dw
    next_w = w + v
''').replace('setdefault("lr", 1e-2)', 'setdefault("lr", 1e-3)')),
]

MISTAKES["nesterov"] += [
    ("momentum hard-coded as 0.9 (config['momentum'] ignored)", _momentum("nesterov", '''
    v_prev = v
    v = 0.9 * v - config["lr"] * dw
    next_w = w - 0.9 * v_prev + 1.9 * v
''')),
    ("mutable default argument config={}: the state leaks from one call without a config to the next",
     _MUTABLE_DEFAULT.format(name="nesterov", step="w - mu * v_prev + (1 + mu) * v")),
]

MISTAKES["adagrad"] += [
    ("epsilon hard-coded as 1e-8 (config['epsilon'] ignored)", _ADAGRAD_HEAD + '''
    cache = cache + dw * dw
    next_w = w - config["lr"] * dw / (np.sqrt(cache) + 1e-8)
    config["cache"] = cache
    return next_w, config
'''),
    ("updates w in place (w -= ...): the caller's parameter changes", _ADAGRAD_HEAD + '''
    cache = cache + dw * dw
    w -= config["lr"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return w, config
'''),
]

MISTAKES["rmsprop"] += [
    ("decay rate hard-coded as 0.99 (config['decay_rate'] ignored)", _RMSPROP_HEAD + '''
    cache = 0.99 * cache + 0.01 * dw * dw
    next_w = w - config["lr"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config
'''),
    ("epsilon added to the cache before the decay (stored cache includes epsilon)", _RMSPROP_HEAD + '''
    rho = config["decay_rate"]
    cache = rho * cache + (1 - rho) * dw * dw + config["epsilon"]
    next_w = w - config["lr"] * dw / np.sqrt(cache)
    config["cache"] = cache
    return next_w, config
'''),
]

MISTAKES["adam"] += [
    ("beta2 hard-coded as 0.999 (config['beta2'] ignored)", _ADAM_HEAD + '''
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = 0.999 * config["v"] + 0.001 * dw * dw
    m_hat = config["m"] / (1 - b1 ** config["t"])
    v_hat = config["v"] / (1 - 0.999 ** config["t"])
''' + _ADAM_STEP),
    ("stores the bias-corrected moments in config instead of m and v", _ADAM_HEAD + '''
    config["t"] += 1
    config["m"] = (b1 * config["m"] + (1 - b1) * dw) / (1 - b1 ** config["t"])
    config["v"] = (b2 * config["v"] + (1 - b2) * dw * dw) / (1 - b2 ** config["t"])
    m_hat, v_hat = config["m"], config["v"]
''' + _ADAM_STEP),
    ("the efficient form lr_t = lr sqrt(1 - b2^t) / (1 - b1^t): epsilon ends up scaled", _ADAM_HEAD + '''
    config["t"] += 1
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    lr_t = config["lr"] * np.sqrt(1 - b2 ** config["t"]) / (1 - b1 ** config["t"])
    next_w = w - lr_t * config["m"] / (np.sqrt(config["v"]) + config["epsilon"])
    return next_w, config
'''),
]

MISTAKES["newton_step"] += [
    ("Cholesky solve: assumes a positive definite Hessian (fails at a saddle)", '''
def newton_step(w, dw, hessian):
    L = np.linalg.cholesky(hessian)
    return w - np.linalg.solve(L.T, np.linalg.solve(L, dw))
'''),
    ("saddle-free Newton: |eigenvalues| (a different method, not H^-1)", '''
def newton_step(w, dw, hessian):
    lam, V = np.linalg.eigh(hessian)
    return w - V @ ((V.T @ dw) / np.abs(lam))
'''),
    ("updates w in place (w -= ...): the caller's parameters change", '''
def newton_step(w, dw, hessian):
    w -= np.linalg.solve(hessian, dw)
    return w
'''),
]

MISTAKES["lbfgs_direction"] += [
    ("reverses the caller's s_list and y_list in place for the first loop", '''
def lbfgs_direction(grad, s_list, y_list):
    q = np.array(grad, dtype=float)
    s_list.reverse()
    y_list.reverse()
    alphas = []
    for s, y in zip(s_list, y_list):
        alpha = np.dot(s, q) / np.dot(y, s)
        q -= alpha * y
        alphas.append(alpha)
    if s_list:
        q *= np.dot(s_list[0], y_list[0]) / np.dot(y_list[0], y_list[0])
    for s, y, alpha in zip(reversed(s_list), reversed(y_list), reversed(alphas)):
        beta = np.dot(y, q) / np.dot(y, s)
        q += (alpha - beta) * s
    return -q
'''),
    ("gamma inverted: y.y / s.y", '''
def lbfgs_direction(grad, s_list, y_list):
    q = np.array(grad, dtype=float)
    rhos = [1.0 / np.dot(y, s) for s, y in zip(s_list, y_list)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_list, y_list, rhos))):
        alpha = rho * np.dot(s, q)
        q -= alpha * y
        alphas.append(alpha)
    if s_list:
        q *= np.dot(y_list[-1], y_list[-1]) / np.dot(s_list[-1], y_list[-1])
    for (s, y, rho), alpha in zip(zip(s_list, y_list, rhos), reversed(alphas)):
        beta = rho * np.dot(y, q)
        q += (alpha - beta) * s
    return -q
'''),
]

# ---------------------------------------------------------------- correct answers written differently
ALTERNATIVES = {
    "sgd_momentum": [
        ("a new config dict, defaults with get", '''
def sgd_momentum(w, dw, config=None):
    config = dict(config or {})
    lr, mu = config.get("lr", 1e-2), config.get("momentum", 0.9)
    v = mu * config.get("velocity", np.zeros_like(w)) - lr * dw
    config.update(lr=lr, momentum=mu, velocity=v)
    return w + v, config
'''),
        ("velocity updated in place in the config", '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.setdefault("velocity", np.zeros_like(w))
    v *= config["momentum"]
    v -= config["lr"] * dw
    return w + v, config
'''),
    ],
    "nesterov": [
        ("PyTorch's form: w <- w + mu v_new - lr dw", '''
def nesterov(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("lr", 1e-2)
    config.setdefault("momentum", 0.9)
    mu, lr = config["momentum"], config["lr"]
    v = mu * config.get("velocity", np.zeros_like(w)) - lr * dw
    config["velocity"] = v
    return w + mu * v - lr * dw, config
'''),
        ("w <- w + v + mu (v - v_prev), in a new config dict", '''
def nesterov(w, dw, config=None):
    config = dict(config or {})
    lr, mu = config.setdefault("lr", 1e-2), config.setdefault("momentum", 0.9)
    v_prev = config.get("velocity", np.zeros_like(w))
    v = mu * v_prev - lr * dw
    config["velocity"] = v
    return w + v + mu * (v - v_prev), config
'''),
    ],
    "adagrad": [
        ("cache updated in place, np.square", '''
def adagrad(w, dw, config=None):
    config = {} if config is None else config
    lr = config.setdefault("lr", 1e-2)
    eps = config.setdefault("epsilon", 1e-8)
    cache = config.setdefault("cache", np.zeros_like(w))
    cache += np.square(dw)
    return w - lr * dw / (np.sqrt(cache) + eps), config
'''),
        ("a new config dict, the step as a product", '''
def adagrad(w, dw, config=None):
    config = dict(config or {})
    config.setdefault("lr", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config["cache"] = config.get("cache", 0.0 * w) + dw ** 2
    scale = 1.0 / (config["cache"] ** 0.5 + config["epsilon"])
    return w - config["lr"] * scale * dw, config
'''),
    ],
    "rmsprop": [
        ("a new config dict, dw ** 2", '''
def rmsprop(w, dw, config=None):
    config = dict(config or {})
    lr = config.setdefault("lr", 1e-2)
    rho = config.setdefault("decay_rate", 0.99)
    eps = config.setdefault("epsilon", 1e-8)
    config["cache"] = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw ** 2
    return w - lr * dw / (np.sqrt(config["cache"]) + eps), config
'''),
        ("cache updated in place", '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    for key, default in (("lr", 1e-2), ("decay_rate", 0.99), ("epsilon", 1e-8)):
        config.setdefault(key, default)
    cache = config.setdefault("cache", np.zeros_like(w))
    cache *= config["decay_rate"]
    cache += (1 - config["decay_rate"]) * dw * dw
    return w - config["lr"] * dw / (np.sqrt(cache) + config["epsilon"]), config
'''),
    ],
    "adam": [
        ("local variables, a new config dict", '''
def adam(w, dw, config=None):
    config = dict(config or {})
    lr, b1 = config.setdefault("lr", 1e-3), config.setdefault("beta1", 0.9)
    b2, eps = config.setdefault("beta2", 0.999), config.setdefault("epsilon", 1e-8)
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * np.square(dw)
    config.update(m=m, v=v, t=t)
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), config
'''),
        ("moments updated in place", '''
def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, default in {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "t": 0}.items():
        config.setdefault(key, default)
    b1, b2 = config["beta1"], config["beta2"]
    m = config.setdefault("m", np.zeros_like(w))
    v = config.setdefault("v", np.zeros_like(w))
    config["t"] = t = config["t"] + 1
    m *= b1
    m += (1 - b1) * dw
    v *= b2
    v += (1 - b2) * dw * dw
    step = config["lr"] * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + config["epsilon"])
    return w - step, config
'''),
    ],
    "adamw": [
        ("the paper's form w - lr (m_hat / (sqrt(v_hat) + eps) + wd w), a new config dict", '''
def adamw(w, dw, config=None):
    config = dict(config or {})
    lr, wd = config.setdefault("lr", 1e-3), config.setdefault("weight_decay", 1e-2)
    b1, b2 = config.setdefault("beta1", 0.9), config.setdefault("beta2", 0.999)
    eps = config.setdefault("epsilon", 1e-8)
    t = config.get("t", 0) + 1
    m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * np.square(dw)
    config.update(m=m, v=v, t=t)
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return w - lr * (m_hat / (np.sqrt(v_hat) + eps) + wd * w), config
'''),
        ("torch's order: decay a copy of w in place, then the Adam step with moments updated in place", '''
def adamw(w, dw, config=None):
    config = {} if config is None else config
    for key, default in {"lr": 1e-3, "weight_decay": 1e-2, "beta1": 0.9, "beta2": 0.999,
                         "epsilon": 1e-8, "t": 0}.items():
        config.setdefault(key, default)
    b1, b2, lr = config["beta1"], config["beta2"], config["lr"]
    m = config.setdefault("m", np.zeros_like(w))
    v = config.setdefault("v", np.zeros_like(w))
    config["t"] = t = config["t"] + 1
    param = np.array(w, dtype=float)
    param *= 1 - lr * config["weight_decay"]
    m *= b1
    m += (1 - b1) * dw
    v *= b2
    v += (1 - b2) * dw * dw
    denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + config["epsilon"]
    param -= lr / (1 - b1 ** t) * m / denom
    return param, config
'''),
    ],
    "newton_step": [
        ("the inverse Hessian times the gradient", '''
def newton_step(w, dw, hessian):
    return w - np.linalg.inv(hessian) @ dw
'''),
        ("the eigendecomposition of the symmetric Hessian", '''
def newton_step(w, dw, hessian):
    lam, V = np.linalg.eigh(hessian)
    return w - V @ ((V.T @ dw) / lam)
'''),
        ("scipy's symmetric solver", '''
import scipy.linalg


def newton_step(w, dw, hessian):
    return w - scipy.linalg.solve(hessian, dw, assume_a="sym")
'''),
    ],
    "lbfgs_direction": [
        ("the dense BFGS inverse-Hessian update", '''
def lbfgs_direction(grad, s_list, y_list):
    d = len(grad)
    H = np.eye(d)
    if s_list:
        H *= np.dot(s_list[-1], y_list[-1]) / np.dot(y_list[-1], y_list[-1])
    for s, y in zip(s_list, y_list):
        rho = 1.0 / np.dot(y, s)
        V = np.eye(d) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    return -H @ grad
'''),
        ("index loops, rho computed in place", '''
def lbfgs_direction(grad, s_list, y_list):
    k = len(s_list)
    q = np.array(grad, dtype=float)
    alpha = np.zeros(k)
    for i in range(k - 1, -1, -1):
        alpha[i] = s_list[i] @ q / (y_list[i] @ s_list[i])
        q = q - alpha[i] * y_list[i]
    r = q * (s_list[-1] @ y_list[-1] / (y_list[-1] @ y_list[-1])) if k else q
    for i in range(k):
        beta = y_list[i] @ r / (y_list[i] @ s_list[i])
        r = r + (alpha[i] - beta) * s_list[i]
    return -r
'''),
    ],
}

# generated mutants that no test can tell from the reference (none: every one is killed)
EQUIVALENT_MUTANTS = {}
