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
