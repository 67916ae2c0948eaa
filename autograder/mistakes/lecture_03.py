"""Typical wrong answers, correct alternatives and equivalent mutants for lecture 03 (weight initialization).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
ALTERNATIVES[exercise] lists correct answers written differently from the reference; each must pass.
EQUIVALENT_MUTANTS[exercise] maps generated mutants (autograder/mutants.py) that no test can tell
apart from the reference to the reason (CONTRIBUTING.md, "The test standard").
"""


def _init_weights(stds, uniform_bound="np.sqrt(3) * std", scale_dims="(fan_in, fan_out)",
                  rng_line="rng = np.random.default_rng() if rng is None else rng", unknown="raise ValueError(scheme)"):
    """An init_weights answer with the given std table and uniform bound (all else right)."""
    return f'''
def init_weights(fan_in, fan_out, scheme, rng=None):
    {rng_line}
    stds = {stds}
    if scheme == "zeros":
        return np.zeros((fan_in, fan_out))
    if scheme not in stds:
        {unknown}
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
        ("Glorot's paper form: std sqrt(2 / (fan_in + fan_out)) for Xavier", _init_weights(
            '{"small_random": 0.01, "large_random": 1.0, "xavier": np.sqrt(2 / (fan_in + fan_out)), '
            '"xavier_uniform": np.sqrt(2 / (fan_in + fan_out)), "he": np.sqrt(2 / fan_in), "he_uniform": np.sqrt(2 / fan_in)}')),
        ("He's uniform bound sqrt(6 / fan_in) for Xavier too", _init_weights(RIGHT, uniform_bound="np.sqrt(6 / fan_in)")),
        ("Xavier's uniform bound sqrt(3 / fan_in) for He too", _init_weights(RIGHT, uniform_bound="np.sqrt(3 / fan_in)")),
        ("uniform bound 3 * std instead of sqrt(3) * std", _init_weights(RIGHT, uniform_bound="3 * std")),
        ("a fresh unseeded rng even when one is given", _init_weights(RIGHT, rng_line="rng = np.random.default_rng()")),
        ("rng=None: a fixed seed, every call the same weights",
         _init_weights(RIGHT, rng_line="rng = np.random.default_rng(0) if rng is None else rng")),
        ("unknown scheme names fall back to He", _init_weights(RIGHT, unknown='scheme = "he"')),
        ("draws torch's (fan_out, fan_in) layout and transposes: not the draw order the docstring fixes",
         _init_weights(RIGHT, scale_dims="(fan_out, fan_in)").replace("(fan_out, fan_in))", "(fan_out, fan_in)).T")),
        ("float32 weights", _init_weights(RIGHT).replace("return std * rng.standard_normal((fan_in, fan_out))",
                                                         "return (std * rng.standard_normal((fan_in, fan_out))).astype(np.float32)")),
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
        ("square kernels assumed: C * kH * kH", '''
def conv_fan_in(weight_shape):
    if len(weight_shape) == 2:
        return int(weight_shape[0])
    return int(weight_shape[1] * weight_shape[2] ** 2)
'''),
        ("only the channels: C", '''
def conv_fan_in(weight_shape):
    return int(weight_shape[0]) if len(weight_shape) == 2 else int(weight_shape[1])
'''),
        ("returns a float", '''
def conv_fan_in(weight_shape):
    if len(weight_shape) == 2:
        return float(weight_shape[0])
    return float(np.prod(weight_shape[1:]))
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
        ('std of each unit over the samples (axis 0), averaged', '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng() if rng is None else rng
    forward, _ = layers.ACTIVATIONS[activation]
    h = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = [], []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        h, _ = forward(h @ init.init_weights(fan_in, fan_out, scheme, rng))
        means.append(h.mean())
        stds.append(h.std(axis=0).mean())
    return np.array(means), np.array(stds)
'''),
        ('sample std (ddof=1)', '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng() if rng is None else rng
    forward, _ = layers.ACTIVATIONS[activation]
    h = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = [], []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        h, _ = forward(h @ init.init_weights(fan_in, fan_out, scheme, rng))
        means.append(h.mean())
        stds.append(h.std(ddof=1))
    return np.array(means), np.array(stds)
'''),
        ('a fresh unseeded rng even when one is given', '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng()
    forward, _ = layers.ACTIVATIONS[activation]
    h = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = [], []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        h, _ = forward(h @ init.init_weights(fan_in, fan_out, scheme, rng))
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)
'''),
        ('rng=None: a fixed seed', '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng(0) if rng is None else rng
    forward, _ = layers.ACTIVATIONS[activation]
    h = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = [], []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        h, _ = forward(h @ init.init_weights(fan_in, fan_out, scheme, rng))
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)
'''),
        ('X=None: draws the input transposed, (D, N).T', '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng() if rng is None else rng
    forward, _ = layers.ACTIVATIONS[activation]
    h = rng.standard_normal((dims[0], num_samples)).T if X is None else X
    means, stds = [], []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        h, _ = forward(h @ init.init_weights(fan_in, fan_out, scheme, rng))
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)
'''),
        ("draws all the weights first, then the input", '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng() if rng is None else rng
    forward, _ = layers.ACTIVATIONS[activation]
    weights = [init.init_weights(fan_in, fan_out, scheme, rng) for fan_in, fan_out in zip(dims[:-1], dims[1:])]
    h = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = [], []
    for W in weights:
        h, _ = forward(h @ W)
        means.append(h.mean())
        stds.append(h.std())
    return np.array(means), np.array(stds)
'''),
    ],
}


ALTERNATIVES = {
    "init_weights": [
        ("variances, scheme name split, rng.normal and rng.uniform by keyword", '''
def init_weights(fan_in, fan_out, scheme, rng=None):
    if rng is None:
        rng = np.random.default_rng()
    shape = (fan_in, fan_out)
    if scheme == "zeros":
        return np.zeros(shape)
    if scheme == "small_random":
        return rng.normal(0.0, 0.01, size=shape)
    if scheme == "large_random":
        return rng.normal(0.0, 1.0, size=shape)
    variance = {"xavier": 1 / fan_in, "he": 2 / fan_in}
    base, _, kind = scheme.partition("_")
    if base not in variance or kind not in ("", "uniform"):
        raise ValueError(f"unknown scheme {scheme!r}")
    if kind == "uniform":
        a = np.sqrt(3 * variance[base])
        return rng.uniform(low=-a, high=a, size=shape)
    return rng.normal(scale=np.sqrt(variance[base]), size=shape)
'''),
        ("gains over 1/sqrt(fan_in); uniform from rng.random, Gaussian drawn flat and reshaped", '''
def init_weights(fan_in, fan_out, scheme, rng=None):
    rng = rng or np.random.default_rng()
    gains = {"small_random": 0.01 * np.sqrt(fan_in), "large_random": np.sqrt(fan_in), "xavier": 1.0, "he": np.sqrt(2),
             "xavier_uniform": 1.0, "he_uniform": np.sqrt(2), "zeros": 0.0}
    if scheme not in gains:
        raise ValueError("scheme must be one of " + ", ".join(gains))
    if scheme == "zeros":
        return np.zeros((fan_in, fan_out), dtype=np.float64)
    std = gains[scheme] / np.sqrt(fan_in)
    if scheme in ("xavier_uniform", "he_uniform"):
        u = rng.random((fan_in, fan_out))
        return np.sqrt(3) * std * (2 * u - 1)
    return rng.standard_normal(fan_in * fan_out).reshape(fan_in, fan_out) * std
'''),
    ],
    "conv_fan_in": [
        ("unpacks the shape", '''
def conv_fan_in(weight_shape):
    if len(weight_shape) == 4:
        _, channels, kernel_h, kernel_w = weight_shape
        return channels * kernel_h * kernel_w
    inputs, _ = weight_shape
    return inputs
'''),
        ("math.prod", '''
import math


def conv_fan_in(weight_shape):
    return weight_shape[0] if len(weight_shape) < 3 else math.prod(weight_shape[1:])
'''),
    ],
    "activation_statistics": [
        ("collects the layers, then the statistics; per-unit means averaged", '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    if rng is None:
        rng = np.random.default_rng()
    f = layers.ACTIVATIONS[activation][0]
    if X is None:
        X = rng.standard_normal(size=(num_samples, dims[0]))
    h = np.asarray(X, dtype=np.float64)
    outputs = []
    for l in range(1, len(dims)):
        W = init.init_weights(dims[l - 1], dims[l], scheme, rng)
        h = f(h.dot(W))[0]
        outputs.append(h)
    means = np.array([out.mean(axis=0).mean() for out in outputs])
    stds = np.array([np.sqrt(((out - out.mean()) ** 2).mean(axis=1).mean()) for out in outputs])
    return means, stds
'''),
        ("the library's affine + activation layer with zero biases, np.mean and np.std", '''
def activation_statistics(dims, scheme, activation, X=None, rng=None, num_samples=1000):
    rng = np.random.default_rng() if rng is None else rng
    h = rng.standard_normal((num_samples, dims[0])) if X is None else X
    means, stds = np.zeros(len(dims) - 1), np.zeros(len(dims) - 1)
    for l, (fan_in, fan_out) in enumerate(zip(dims, dims[1:])):
        W = init.init_weights(fan_in, fan_out, scheme, rng)
        h, _ = layers.affine_activation_forward(h, W, np.zeros(fan_out), activation)
        means[l], stds[l] = np.mean(h), np.std(h)
    return means, stds
'''),
    ],
}

EQUIVALENT_MUTANTS = {}
