"""Weight initialization schemes, all returning float64 arrays of shape (fan_in, fan_out)."""
import numpy as np

SCHEMES = ("zeros", "small_random", "large_random", "xavier", "xavier_uniform", "he", "he_uniform")


def conv_fan_in(weight_shape):
    """Fan-in of a dense (D, M) weight (D) or a conv (F, C, kH, kW) kernel (C * kH * kW)."""
    if len(weight_shape) == 2:
        return weight_shape[0]
    return int(np.prod(weight_shape[1:]))


def zeros(fan_in, fan_out, rng=None):
    """All-zero weights: every unit computes the same thing and symmetry never breaks."""
    return np.zeros((fan_in, fan_out))


def small_random(fan_in, fan_out, rng=None, scale=0.01):
    """Gaussian weights with a fixed small std (0.01): activations vanish in deep nets."""
    rng = rng if rng is not None else np.random.default_rng()
    return scale * rng.standard_normal((fan_in, fan_out))


def large_random(fan_in, fan_out, rng=None):
    """Gaussian weights with std 1.0: tanh/sigmoid units saturate in deep nets."""
    return small_random(fan_in, fan_out, rng, scale=1.0)


def xavier(fan_in, fan_out, rng=None, uniform=False):
    """Xavier/Glorot in the lectures' form: Var(w) = 1/fan_in (normal, or uniform of that variance)."""
    rng = rng if rng is not None else np.random.default_rng()
    std = np.sqrt(1.0 / fan_in)
    if uniform:
        limit = np.sqrt(3.0) * std
        return rng.uniform(-limit, limit, (fan_in, fan_out))
    return std * rng.standard_normal((fan_in, fan_out))


def he(fan_in, fan_out, rng=None, uniform=False):
    """He/Kaiming for ReLU: Var(w) = 2/fan_in (normal, or uniform of that variance)."""
    return np.sqrt(2.0) * xavier(fan_in, fan_out, rng, uniform)


def init_weights(fan_in, fan_out, scheme="he", rng=None):
    """Weights (fan_in, fan_out) by scheme name, one of SCHEMES."""
    table = {
        "zeros": zeros,
        "small_random": small_random,
        "large_random": large_random,
        "xavier": xavier,
        "xavier_uniform": lambda i, o, r: xavier(i, o, r, uniform=True),
        "he": he,
        "he_uniform": lambda i, o, r: he(i, o, r, uniform=True),
    }
    if scheme not in table:
        raise ValueError(f"unknown init scheme {scheme!r}; choose one of {SCHEMES}")
    return table[scheme](fan_in, fan_out, rng)


def deep_activations(dims, scheme, activation="tanh", X=None, rng=None, num_samples=1000):
    """Activations of a deep net of affine layers (no bias) + activation, freshly initialized.

    The lectures' experiment: unit-Gaussian data through layers of widths ``dims``.
    Random draws, in this order from ``rng``: the input (only when X is None), then the
    weights of layer 1, 2, ... with ``init_weights(fan_in, fan_out, scheme, rng)``.

    Args:
        dims: [D, H_1, ..., H_L], input size then the L layer widths.
        scheme: a name in SCHEMES.
        activation: a name in trainlab.layers.ACTIVATIONS ("tanh", "relu", ...).
        X: (N, D) input; None draws (num_samples, D) standard normal values.
        rng: numpy Generator (None: a fresh one).
        num_samples: N when X is None.
    Returns:
        list of L arrays (N, H_l): the output of each layer after its activation.
    """
    from trainlab.layers import ACTIVATIONS  # here: layers does not need init at import

    rng = rng if rng is not None else np.random.default_rng()
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    forward, _ = ACTIVATIONS[activation]
    h = rng.standard_normal((num_samples, dims[0])) if X is None else np.asarray(X, dtype=float)
    outputs = []
    for fan_in, fan_out in zip(dims[:-1], dims[1:]):
        h, _ = forward(h @ init_weights(fan_in, fan_out, scheme, rng))
        outputs.append(h)
    return outputs


def activation_statistics(dims, scheme, activation="tanh", X=None, rng=None, num_samples=1000):
    """Per-layer mean and std of a deep net's activations at initialization.

    Same net, arguments and order of random draws as ``deep_activations``.

    Returns:
        means: (L,) mean of each layer's activations (over samples and units).
        stds: (L,) their standard deviation.
    """
    return layer_statistics(deep_activations(dims, scheme, activation, X, rng, num_samples))


def layer_statistics(outputs):
    """Mean and std of each array in a list (one per layer), over all its values.

    Args:
        outputs: list of L arrays, e.g. each layer's activations (N, H_l).
    Returns:
        means: (L,); stds: (L,).
    """
    return np.array([h.mean() for h in outputs]), np.array([h.std() for h in outputs])
