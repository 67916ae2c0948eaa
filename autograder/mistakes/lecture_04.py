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
