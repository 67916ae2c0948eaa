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
