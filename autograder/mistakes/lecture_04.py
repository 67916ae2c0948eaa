"""Typical wrong answers for lecture 04 (batch normalization and its relatives).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.

A backward test takes its cache from the student's forward, or from the library's forward
when the cell runs on its own; the wrong backward passes below read the library's caches
(batchnorm: (x_hat, gamma, inv_std, mode); layernorm: (x_hat, gamma, inv_std (N, 1));
spatial batchnorm: the batchnorm cache of the (N*H*W, C) view; groupnorm:
(x_hat, gamma, inv_std (N, G, 1), G)), and the wrong forward passes return caches of the same kind.
"""


def _bn_forward(train_stats, test_stats="mean, var = running_mean, running_var", update_in_test=False,
                momentum_old="momentum", momentum_new="(1 - momentum)", running_var_value="var * n / (n - 1)"):
    """A batchnorm_forward answer with one part replaced (all else right)."""
    update = f'''\
        bn_param["running_mean"] = {momentum_old} * running_mean + {momentum_new} * mean
        bn_param["running_var"] = {momentum_old} * running_var + {momentum_new} * {running_var_value}'''
    if update_in_test:
        body = f'''\
    n = x.shape[0]
    {train_stats}
    bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
    bn_param["running_var"] = momentum * running_var + (1 - momentum) * var * n / (n - 1)
    if mode == "test":
        {test_stats}'''
    else:
        body = f'''\
    if mode == "train":
        n = x.shape[0]
        {train_stats}
{update}
    else:
        {test_stats}'''
    return f'''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.get("running_var", np.ones(x.shape[1]))
{body}
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, mode)
'''


RIGHT_STATS = "mean, var = x.mean(axis=0), x.var(axis=0)"


def _ln_forward(stats, eps="(ln_param or {}).get(\"eps\", 1e-5)"):
    return f'''
def layernorm_forward(x, gamma, beta, ln_param=None):
    eps = {eps}
    {stats}
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)
'''


def _gn_forward(grouping, eps='(gn_param or {}).get("eps", 1e-5)'):
    return f'''
def groupnorm_forward(x, gamma, beta, G, gn_param=None):
    n, c, h, w = x.shape
    eps = {eps}
{grouping}
    out = gamma[None, :, None, None] * x_hat + beta[None, :, None, None]
    return out, (x_hat, gamma, inv_std, G)
'''


def _fold(scale, bias):
    return f'''
def fold_batchnorm(w, b, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    scale = {scale}
    return {bias}
'''


MISTAKES = {
    "batchnorm_forward": [
        ("normalizes with the unbiased variance (ddof=1)", _bn_forward(
            "mean, var = x.mean(axis=0), x.var(axis=0, ddof=1)", running_var_value="var")),
        ("updates the running statistics in test mode too", _bn_forward(RIGHT_STATS, update_in_test=True)),
        ("test mode uses the batch statistics", _bn_forward(RIGHT_STATS, test_stats="mean, var = x.mean(axis=0), x.var(axis=0)")),
        ("normalizes over the wrong axis (per sample)", '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.get("running_var", np.ones(x.shape[1]))
    if mode == "train":
        n = x.shape[1]
        mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean.mean()
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var.mean() * n / (n - 1)
    else:
        mean, var = running_mean, running_var
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, mode)
'''),
        ("running variance from the biased batch variance", _bn_forward(RIGHT_STATS, running_var_value="var")),
        ("momentum the wrong way round", _bn_forward(RIGHT_STATS, momentum_old="(1 - momentum)", momentum_new="momentum")),
    ],
    "batchnorm_backward": [
        ("ignores the paths through the mean and variance", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    return dout * gamma * inv_std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
'''),
        ("dgamma and dbeta summed over the wrong axis", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=1)
    dgamma = (dout * x_hat).sum(axis=1)
    dx_hat = dout * gamma
    if mode == "test":
        return dx_hat * inv_std, dgamma, dbeta
    n = dout.shape[0]
    xmu = x_hat / inv_std
    dvar = -0.5 * inv_std**3 * (dx_hat * xmu).sum(axis=0)
    dxmu = dx_hat * inv_std + 2 * xmu * dvar / n
    return dxmu - dxmu.mean(axis=0), dgamma, dbeta
'''),
        ("forgets the path through the variance", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    if mode == "test":
        return dx_hat * inv_std, dgamma, dbeta
    dxmu = dx_hat * inv_std
    return dxmu - dxmu.mean(axis=0), dgamma, dbeta
'''),
        ("train-mode formula in test mode too", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    n = dout.shape[0]
    xmu = x_hat / inv_std
    dvar = -0.5 * inv_std**3 * (dx_hat * xmu).sum(axis=0)
    dxmu = dx_hat * inv_std + 2 * xmu * dvar / n
    return dxmu - dxmu.mean(axis=0), dgamma, dbeta
'''),
    ],
    "batchnorm_backward_alt": [
        ("forgets the x_hat * sum(dout * x_hat) term", '''
def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    if mode == "test":
        return dout * gamma * inv_std, dgamma, dbeta
    n = dout.shape[0]
    return (gamma * inv_std / n) * (n * dout - dbeta), dgamma, dbeta
'''),
        ("forgets the division by N", '''
def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    if mode == "test":
        return dout * gamma * inv_std, dgamma, dbeta
    n = dout.shape[0]
    return gamma * inv_std * (n * dout - dbeta - x_hat * dgamma), dgamma, dbeta
'''),
        ("forgets gamma in dx", '''
def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    if mode == "test":
        return dout * inv_std, dgamma, dbeta
    n = dout.shape[0]
    return (inv_std / n) * (n * dout - dbeta - x_hat * dgamma), dgamma, dbeta
'''),
    ],
    "layernorm_forward": [
        ("normalizes over the batch axis (batch norm)", _ln_forward(
            "mean, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)")),
        ("ignores eps from ln_param", _ln_forward(
            "mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)", eps="1e-5")),
        ("unbiased variance", _ln_forward(
            "mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, ddof=1, keepdims=True)")),
        ("one mean and variance over the whole batch", _ln_forward("mean, var = x.mean(), x.var()")),
    ],
    "layernorm_backward": [
        ("dgamma and dbeta summed over the wrong axis", '''
def layernorm_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - dx_hat.mean(axis=1, keepdims=True)
                    - x_hat * (dx_hat * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=1), dout.sum(axis=1)
'''),
        ("batch norm's means over axis 0", '''
def layernorm_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - dx_hat.mean(axis=0, keepdims=True)
                    - x_hat * (dx_hat * x_hat).mean(axis=0, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
'''),
        ("forgets gamma in dx", '''
def layernorm_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    dx = inv_std * (dout - dout.mean(axis=1, keepdims=True)
                    - x_hat * (dout * x_hat).mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
'''),
    ],
    "spatial_batchnorm_forward": [
        ("reshapes to (-1, C) without transposing", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = layers.batchnorm_forward(x.reshape(-1, c), gamma, beta, bn_param)
    return out.reshape(n, c, h, w), cache
'''),
        ("transposes back with the wrong axes", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = layers.batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, c), gamma, beta, bn_param)
    return out.reshape(n, h, w, c).transpose(0, 3, 2, 1), cache
'''),
        ("statistics per channel and position (over N only)", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = layers.batchnorm_forward(x.reshape(n, -1), np.repeat(gamma, h * w), np.repeat(beta, h * w), bn_param)
    return out.reshape(n, c, h, w), cache
'''),
    ],
    "spatial_batchnorm_backward": [
        ("reshapes dout to (-1, C) without transposing", '''
def spatial_batchnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    dx, dgamma, dbeta = layers.batchnorm_backward_alt(dout.reshape(-1, c), cache)
    return dx.reshape(n, c, h, w), dgamma, dbeta
'''),
        ("transposes dx back with the wrong axes", '''
def spatial_batchnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    dx, dgamma, dbeta = layers.batchnorm_backward_alt(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache)
    return dx.reshape(n, h, w, c).transpose(0, 3, 2, 1), dgamma, dbeta
'''),
        ("ignores the mean and variance paths", '''
def spatial_batchnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    x_hat, gamma, inv_std, mode = cache
    flat = dout.transpose(0, 2, 3, 1).reshape(-1, c)
    dx = (flat * gamma * inv_std).reshape(n, h, w, c).transpose(0, 3, 1, 2)
    return dx, (flat * x_hat).sum(axis=0), flat.sum(axis=0)
'''),
    ],
    "groupnorm_forward": [
        ("interleaved groups (channel c in group c % G)", _gn_forward('''\
    grouped = x.reshape(n, c // G, G, h, w)
    mean = grouped.mean(axis=(1, 3, 4), keepdims=True)
    inv_std = 1.0 / np.sqrt(grouped.var(axis=(1, 3, 4), keepdims=True) + eps)
    x_hat = ((grouped - mean) * inv_std).reshape(x.shape)
    inv_std = inv_std.reshape(n, G, 1)''')),
        ("ignores the groups: statistics per channel (instance norm)", _gn_forward('''\
    mean = x.mean(axis=(2, 3), keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)
    x_hat = (x - mean) * inv_std''')),
        ("statistics over the batch as well", _gn_forward('''\
    grouped = x.reshape(n, G, -1)
    mean = grouped.mean(axis=(0, 2), keepdims=True)
    inv_std = 1.0 / np.sqrt(grouped.var(axis=(0, 2), keepdims=True) + eps)
    x_hat = ((grouped - mean) * inv_std).reshape(x.shape)''')),
        ("ignores eps from gn_param", _gn_forward('''\
    grouped = x.reshape(n, G, -1)
    mean = grouped.mean(axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(grouped.var(axis=2, keepdims=True) + eps)
    x_hat = ((grouped - mean) * inv_std).reshape(x.shape)''', eps="1e-5")),
    ],
    "groupnorm_backward": [
        ("dgamma and dbeta summed over the wrong axes", '''
def groupnorm_backward(dout, cache):
    x_hat, gamma, inv_std, G = cache
    n = dout.shape[0]
    dx_hat = (dout * gamma[None, :, None, None]).reshape(n, G, -1)
    xh = x_hat.reshape(n, G, -1)
    dx = inv_std * (dx_hat - dx_hat.mean(axis=2, keepdims=True) - xh * (dx_hat * xh).mean(axis=2, keepdims=True))
    return dx.reshape(dout.shape), (dout * x_hat).sum(axis=(1, 2, 3)), dout.sum(axis=(1, 2, 3))
'''),
        ("ignores the mean and variance paths", '''
def groupnorm_backward(dout, cache):
    x_hat, gamma, inv_std, G = cache
    n = dout.shape[0]
    dx = (dout * gamma[None, :, None, None]).reshape(n, G, -1) * inv_std
    return dx.reshape(dout.shape), (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))
'''),
        ("means over the whole sample instead of the group", '''
def groupnorm_backward(dout, cache):
    x_hat, gamma, inv_std, G = cache
    n = dout.shape[0]
    dx_hat = (dout * gamma[None, :, None, None]).reshape(n, G, -1)
    xh = x_hat.reshape(n, G, -1)
    dx = inv_std * (dx_hat - dx_hat.mean(axis=(1, 2), keepdims=True) - xh * (dx_hat * xh).mean(axis=(1, 2), keepdims=True))
    return dx.reshape(dout.shape), (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))
'''),
    ],
    "fold_batchnorm": [
        ("forgets the running mean in the bias", _fold(
            'gamma / np.sqrt(bn_param["running_var"] + eps)', "w * scale, b * scale + beta")),
        ("scales the rows of w instead of the columns", _fold(
            'gamma / np.sqrt(bn_param["running_var"] + eps)',
            'w * scale[:, None], (b - bn_param["running_mean"]) * scale + beta')),
        ("forgets eps", _fold(
            'gamma / np.sqrt(bn_param["running_var"])', '''w * scale, (b - bn_param["running_mean"]) * scale + beta''')),
        ("divides by the variance instead of the std", _fold(
            'gamma / (bn_param["running_var"] + eps)', '''w * scale, (b - bn_param["running_mean"]) * scale + beta''')),
    ],
}

# Wrong answers the generated-input tests catch (side effects, caches, defaults, eps placement).
MISTAKES["batchnorm_forward"] += [
    ("adds eps to the std instead of the variance", _bn_forward(RIGHT_STATS).replace(
        "1.0 / np.sqrt(var + eps)", "1.0 / (np.sqrt(var) + eps)")),
    ("centres x in place (x -= mean): modifies the caller's x", _bn_forward(RIGHT_STATS).replace(
        "x_hat = (x - mean) * inv_std", "x -= mean\n    x_hat = x * inv_std")),
    ("caches the variance instead of inv_std", _bn_forward(RIGHT_STATS).replace(
        "(x_hat, gamma, inv_std, mode)", "(x_hat, gamma, var, mode)")),
]
MISTAKES["batchnorm_backward"] += [
    ("turns the cached x_hat into x - mean in place (the cache is consumed)", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    if mode == "test":
        return dx_hat * inv_std, dgamma, dbeta
    n = dout.shape[0]
    xmu = x_hat
    xmu /= inv_std
    dvar = -0.5 * inv_std**3 * (dx_hat * xmu).sum(axis=0)
    dxmu = dx_hat * inv_std + 2 * xmu * dvar / n
    return dxmu - dxmu.mean(axis=0), dgamma, dbeta
'''),
    ("d inv_std / d var with the power 2 instead of 3", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    if mode == "test":
        return dx_hat * inv_std, dgamma, dbeta
    n = dout.shape[0]
    xmu = x_hat / inv_std
    dvar = -0.5 * inv_std**2 * (dx_hat * xmu).sum(axis=0)
    dxmu = dx_hat * inv_std + 2 * xmu * dvar / n
    return dxmu - dxmu.mean(axis=0), dgamma, dbeta
'''),
]
MISTAKES["batchnorm_backward_alt"] += [
    ("scales dout in place (dout *= gamma)", '''
def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dout *= gamma * inv_std
    if mode == "test":
        return dout, dgamma, dbeta
    n = dout.shape[0]
    return (n * dout - dout.sum(axis=0) - x_hat * (dout * x_hat).sum(axis=0)) / n, dgamma, dbeta
'''),
    ("divides by N - 1", '''
def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    if mode == "test":
        return dout * gamma * inv_std, dgamma, dbeta
    n = dout.shape[0]
    return (gamma * inv_std / (n - 1)) * ((n - 1) * dout - dbeta - x_hat * dgamma), dgamma, dbeta
'''),
]
MISTAKES["layernorm_forward"] += [
    ("crashes when ln_param is left out (None)", _ln_forward(
        "mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)", eps='ln_param.get("eps", 1e-5)')),
    ("caches inv_std of shape (N,) instead of (N, 1)", '''
def layernorm_forward(x, gamma, beta, ln_param=None):
    eps = (ln_param or {}).get("eps", 1e-5)
    inv_std = 1.0 / np.sqrt(x.var(axis=1) + eps)
    x_hat = (x - x.mean(axis=1, keepdims=True)) * inv_std[:, None]
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)
'''),
    ("adds eps to the std", _ln_forward(
        "mean, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)").replace(
        "1.0 / np.sqrt(var + eps)", "1.0 / (np.sqrt(var) + eps)")),
]
MISTAKES["layernorm_backward"] += [
    ("forgets the path through the variance", '''
def layernorm_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - dx_hat.mean(axis=1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
'''),
    ("multiplies the cached x_hat in place", '''
def layernorm_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    dgamma, dbeta = (dout * x_hat).sum(axis=0), dout.sum(axis=0)
    dx_hat = dout * gamma
    proj = (dx_hat * x_hat).mean(axis=1, keepdims=True)
    x_hat *= proj
    return inv_std * (dx_hat - dx_hat.mean(axis=1, keepdims=True) - x_hat), dgamma, dbeta
'''),
]
MISTAKES["spatial_batchnorm_forward"] += [
    ("hands batchnorm_forward a copy of bn_param: the running averages are never written back", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = layers.batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, c), gamma, beta, dict(bn_param))
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), cache
'''),
    ("always in train mode", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = layers.batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, c), gamma, beta,
                                          dict(bn_param, mode="train"))
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), cache
'''),
]
MISTAKES["spatial_batchnorm_backward"] += [
    ("the train-mode formula in test mode too", '''
def spatial_batchnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    x_hat, gamma, inv_std, mode = cache
    flat = dout.transpose(0, 2, 3, 1).reshape(-1, c)
    dbeta, dgamma = flat.sum(axis=0), (flat * x_hat).sum(axis=0)
    m = flat.shape[0]
    dx = (gamma * inv_std / m) * (m * flat - dbeta - x_hat * dgamma)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta
'''),
]
MISTAKES["groupnorm_forward"] += [
    ("crashes when gn_param is left out (None)", _gn_forward('''\
    grouped = x.reshape(n, G, -1)
    mean = grouped.mean(axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(grouped.var(axis=2, keepdims=True) + eps)
    x_hat = ((grouped - mean) * inv_std).reshape(x.shape)''', eps='gn_param.get("eps", 1e-5)')),
    ("unbiased variance", _gn_forward('''\
    grouped = x.reshape(n, G, -1)
    mean = grouped.mean(axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(grouped.var(axis=2, ddof=1, keepdims=True) + eps)
    x_hat = ((grouped - mean) * inv_std).reshape(x.shape)''')),
]
MISTAKES["groupnorm_backward"] += [
    ("forgets gamma in dx", '''
def groupnorm_backward(dout, cache):
    x_hat, gamma, inv_std, G = cache
    n = dout.shape[0]
    dx_hat = dout.reshape(n, G, -1)
    xh = x_hat.reshape(n, G, -1)
    dx = inv_std * (dx_hat - dx_hat.mean(axis=2, keepdims=True) - xh * (dx_hat * xh).mean(axis=2, keepdims=True))
    return dx.reshape(dout.shape), (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))
'''),
]
MISTAKES["fold_batchnorm"] += [
    ("scales w in place (w *= scale)", _fold(
        'gamma / np.sqrt(bn_param["running_var"] + eps)', '''w.__imul__(scale), (b - bn_param["running_mean"]) * scale + beta''')),
    ("eps outside the square root", _fold(
        'gamma / (np.sqrt(bn_param["running_var"]) + eps)', '''w * scale, (b - bn_param["running_mean"]) * scale + beta''')),
]

# Correct answers written differently from the reference: each must pass (CONTRIBUTING.md, "The test standard").
ALTERNATIVES = {
    "batchnorm_forward": [("sums over N, np.var(ddof=1) for the running variance, setdefault for the state", '''
def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param["eps"] if "eps" in bn_param else 1e-5
    momentum = bn_param["momentum"] if "momentum" in bn_param else 0.9
    n, d = x.shape
    if bn_param["mode"] == "test":
        mean = bn_param.get("running_mean", np.zeros(d))
        var = bn_param.get("running_var", np.ones(d))
    else:
        mean = np.sum(x, axis=0) / n
        xmu = x - mean
        var = np.sum(xmu * xmu, axis=0) / n
        old_mean = bn_param.setdefault("running_mean", np.zeros(d))
        old_var = bn_param.setdefault("running_var", np.ones(d))
        bn_param["running_mean"] = old_mean + (1 - momentum) * (mean - old_mean)
        bn_param["running_var"] = momentum * old_var + (1 - momentum) * np.var(x, axis=0, ddof=1)
    inv_std = (var + eps) ** -0.5
    x_hat = (x - mean) / np.sqrt(var + eps)
    return x_hat * gamma + beta, (x_hat, gamma, inv_std, bn_param["mode"])
''')],
    "batchnorm_backward": [("the staged graph through mu and var separately (cs231n style)", '''
def batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    if mode != "train":
        return dx_hat * inv_std, dgamma, dbeta
    n = len(dout)
    std = 1 / inv_std
    xmu = x_hat * std
    divar = np.sum(dx_hat * xmu, axis=0)
    dxmu1 = dx_hat / std
    dstd = -divar / std**2
    dvar = 0.5 * dstd / std
    dsq = np.ones_like(dout) * dvar / n
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0)
    dx2 = np.ones_like(dout) * dmu / n
    return dx1 + dx2, dgamma, dbeta
''')],
    "batchnorm_backward_alt": [("einsum and means", '''
def batchnorm_backward_alt(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    dbeta = np.einsum("nd->d", dout)
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    if mode == "test":
        return gamma * inv_std * dout, dgamma, dbeta
    dx = gamma * inv_std * (dout - dout.mean(axis=0) - x_hat * (dout * x_hat).mean(axis=0))
    return dx, dgamma, dbeta
''')],
    "layernorm_forward": [("sums with keepdims, division by the std", '''
def layernorm_forward(x, gamma, beta, ln_param=None):
    eps = 1e-5 if not ln_param or "eps" not in ln_param else ln_param["eps"]
    d = x.shape[1]
    mean = np.sum(x, axis=1, keepdims=True) / d
    var = np.sum((x - mean) ** 2, axis=1, keepdims=True) / d
    std = np.sqrt(var + eps)
    x_hat = (x - mean) / std
    return x_hat * gamma + beta, (x_hat, gamma, 1 / std)
''')],
    "layernorm_backward": [("batchnorm_backward_alt on the transposed problem, written out", '''
def layernorm_backward(dout, cache):
    x_hat, gamma, inv_std = cache
    d = dout.shape[1]
    dx_hat = (dout * gamma).T                      # (D, N): rows are features, columns samples
    xh, s = x_hat.T, inv_std.T
    dx = s / d * (d * dx_hat - dx_hat.sum(axis=0) - xh * (dx_hat * xh).sum(axis=0))
    return dx.T, np.einsum("nd,nd->d", dout, x_hat), dout.sum(axis=0)
''')],
    "spatial_batchnorm_forward": [("moveaxis", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    c = x.shape[1]
    channels_last = np.moveaxis(x, 1, -1)
    out, cache = layers.batchnorm_forward(channels_last.reshape(-1, c), gamma, beta, bn_param)
    return np.moveaxis(out.reshape(channels_last.shape), -1, 1), cache
'''), ("channels first, then the transpose of the matrix", '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    flat = x.transpose(1, 0, 2, 3).reshape(c, -1).T
    out, cache = layers.batchnorm_forward(flat, gamma, beta, bn_param)
    return out.T.reshape(c, n, h, w).transpose(1, 0, 2, 3), cache
''')],
    "spatial_batchnorm_backward": [("the closed form written out per channel, moveaxis", '''
def spatial_batchnorm_backward(dout, cache):
    x_hat, gamma, inv_std, mode = cache
    c = dout.shape[1]
    d = np.moveaxis(dout, 1, -1).reshape(-1, c)
    dbeta, dgamma = d.sum(axis=0), (d * x_hat).sum(axis=0)
    if mode == "test":
        dx = d * gamma * inv_std
    else:
        dx = gamma * inv_std * (d - d.mean(axis=0) - x_hat * (d * x_hat).mean(axis=0))
    n, _, h, w = dout.shape
    return np.moveaxis(dx.reshape(n, h, w, c), -1, 1), dgamma, dbeta
''')],
    "groupnorm_forward": [("5-d reshape (N, G, C/G, H, W), statistics over the last three axes", '''
def groupnorm_forward(x, gamma, beta, G, gn_param=None):
    n, c, h, w = x.shape
    eps = gn_param["eps"] if gn_param and "eps" in gn_param else 1e-5
    grouped = x.reshape(n, G, c // G, h, w)
    mean = grouped.mean(axis=(2, 3, 4), keepdims=True)
    var = ((grouped - mean) ** 2).mean(axis=(2, 3, 4), keepdims=True)
    x_hat = ((grouped - mean) / np.sqrt(var + eps)).reshape(n, c, h, w)
    inv_std = 1 / np.sqrt(var.reshape(n, G, 1) + eps)
    return x_hat * gamma.reshape(1, c, 1, 1) + beta.reshape(1, c, 1, 1), (x_hat, gamma, inv_std, G)
''')],
    "groupnorm_backward": [("staged graph per group: through the mean and the variance", '''
def groupnorm_backward(dout, cache):
    x_hat, gamma, inv_std, G = cache
    n, c, h, w = dout.shape
    dgamma = np.einsum("nchw,nchw->c", dout, x_hat)
    dbeta = np.einsum("nchw->c", dout)
    m = c // G * h * w
    dx_hat = (dout * gamma.reshape(1, c, 1, 1)).reshape(n, G, m)
    xmu = x_hat.reshape(n, G, m) / inv_std
    dvar = -0.5 * inv_std**3 * (dx_hat * xmu).sum(axis=2, keepdims=True)
    dxmu = dx_hat * inv_std + 2 * xmu * dvar / m
    dx = dxmu - dxmu.mean(axis=2, keepdims=True)
    return dx.reshape(n, c, h, w), dgamma, dbeta
''')],
    "fold_batchnorm": [("a diagonal matrix, the bias rearranged", '''
def fold_batchnorm(w, b, gamma, beta, bn_param):
    eps = bn_param["eps"] if "eps" in bn_param else 1e-5
    scale = gamma * (bn_param["running_var"] + eps) ** -0.5
    return w @ np.diag(scale), beta + scale * (b - bn_param["running_mean"])
''')],
}

# Generated mutants of the reference answers that no test can tell apart from it: {exercise: {key: reason}}.
EQUIVALENT_MUTANTS = {}
