"""Typical wrong answers for lecture 03 (weight initialization).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
"""


def _init_weights(stds, uniform_bound="np.sqrt(3) * std", scale_dims="(fan_in, fan_out)"):
    """An init_weights answer with the given std table and uniform bound (all else right)."""
    return f'''
def init_weights(fan_in, fan_out, scheme, rng=None):
    rng = np.random.default_rng() if rng is None else rng
    stds = {stds}
    if scheme == "zeros":
        return np.zeros((fan_in, fan_out))
    if scheme not in stds:
        raise ValueError(scheme)
    std = stds[scheme]
    if scheme.endswith("_uniform"):
        limit = {uniform_bound}
        return rng.uniform(-limit, limit, {scale_dims})
    return std * rng.standard_normal({scale_dims})
'''


RIGHT = ('{"small_random": 0.01, "large_random": 1.0, "xavier": 1 / np.sqrt(fan_in), '
         '"xavier_uniform": 1 / np.sqrt(fan_in), "he": np.sqrt(2 / fan_in), "he_uniform": np.sqrt(2 / fan_in)}')

MISTAKES = {
    "init_weights": [
        ("variance instead of std: 1/fan_in and 2/fan_in", _init_weights(
            '{"small_random": 0.01, "large_random": 1.0, "xavier": 1 / fan_in, "xavier_uniform": 1 / fan_in, '
            '"he": 2 / fan_in, "he_uniform": 2 / fan_in}')),
        ("fan_out instead of fan_in", _init_weights(
            '{"small_random": 0.01, "large_random": 1.0, "xavier": 1 / np.sqrt(fan_out), '
            '"xavier_uniform": 1 / np.sqrt(fan_out), "he": np.sqrt(2 / fan_out), "he_uniform": np.sqrt(2 / fan_out)}')),
        ("He without the factor 2", _init_weights(
            '{"small_random": 0.01, "large_random": 1.0, "xavier": 1 / np.sqrt(fan_in), '
            '"xavier_uniform": 1 / np.sqrt(fan_in), "he": 1 / np.sqrt(fan_in), "he_uniform": 1 / np.sqrt(fan_in)}')),
        ("uniform with the normal's bound (a = std)", _init_weights(RIGHT, uniform_bound="std")),
        ("ignores the rng (draws from np.random)", '''
def init_weights(fan_in, fan_out, scheme, rng=None):
    stds = {"small_random": 0.01, "large_random": 1.0, "xavier": 1 / np.sqrt(fan_in),
            "xavier_uniform": 1 / np.sqrt(fan_in), "he": np.sqrt(2 / fan_in), "he_uniform": np.sqrt(2 / fan_in)}
    if scheme == "zeros":
        return np.zeros((fan_in, fan_out))
    std = stds[scheme]
    if scheme.endswith("_uniform"):
        limit = np.sqrt(3) * std
        return np.random.uniform(-limit, limit, (fan_in, fan_out))
    return std * np.random.randn(fan_in, fan_out)
'''),
    ],
    "conv_fan_in": [
        ("counts the filters instead of the channels: F * kH * kW", '''
def conv_fan_in(weight_shape):
    if len(weight_shape) == 2:
        return int(weight_shape[0])
    return int(weight_shape[0] * weight_shape[2] * weight_shape[3])
'''),
        ("forgets the channels: kH * kW", '''
def conv_fan_in(weight_shape):
    if len(weight_shape) == 2:
        return int(weight_shape[0])
    return int(weight_shape[-2] * weight_shape[-1])
'''),
        ("product of all dimensions", '''
def conv_fan_in(weight_shape):
    return int(np.prod(weight_shape))
'''),
        ("dense weight: the number of columns", '''
def conv_fan_in(weight_shape):
    if len(weight_shape) == 2:
        return int(weight_shape[1])
    return int(np.prod(weight_shape[1:]))
'''),
    ],
    "activation_statistics": [
        ("statistics of the pre-activations (before f)", '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng() if rng is None else rng
    forward, _ = layers.ACTIVATIONS[activation]
    h = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = [], []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        a = h @ init.init_weights(fan_in, fan_out, scheme, rng)
        means.append(a.mean())
        stds.append(a.std())
        h, _ = forward(a)
    return np.array(means), np.array(stds)
'''),
        ("includes the input as a layer", '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng() if rng is None else rng
    forward, _ = layers.ACTIVATIONS[activation]
    h = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = [h.mean()], [h.std()]
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        h, _ = forward(h @ init.init_weights(fan_in, fan_out, scheme, rng))
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)
'''),
        ("feeds every layer the input X instead of the previous layer", '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng() if rng is None else rng
    forward, _ = layers.ACTIVATIONS[activation]
    X = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = [], []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        h, _ = forward(X[:, :fan_in] @ init.init_weights(fan_in, fan_out, scheme, rng))
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)
'''),
        ("mean of the absolute values", '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng() if rng is None else rng
    forward, _ = layers.ACTIVATIONS[activation]
    h = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = [], []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        h, _ = forward(h @ init.init_weights(fan_in, fan_out, scheme, rng))
        means.append(np.abs(h).mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)
'''),
    ],
}
