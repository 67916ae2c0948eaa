"""Layers as forward/backward function pairs with an explicit cache.

Every ``*_forward`` returns ``(out, cache)``; every ``*_backward(dout, cache)`` returns the
gradients in the order of the forward's array inputs. State travels only through the cache.
"""
import numpy as np


def affine_forward(x, w, b):
    """Fully connected layer out = x.reshape(N, D) @ w + b.

    Args:
        x: (N, d_1, ..., d_k) inputs; each row is flattened to D = d_1 * ... * d_k.
        w: (D, M) weights.
        b: (M,) biases.
    Returns:
        out: (N, M); cache: (x, w, b).
    """
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Backward pass of affine_forward.

    Args:
        dout: (N, M) upstream gradient.
        cache: (x, w, b) from affine_forward.
    Returns:
        dx: shaped like x; dw: (D, M); db: (M,).
    """
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    """ReLU max(0, x), elementwise. Returns (out, cache=x)."""
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    """Gradient of ReLU: dout where x > 0, else 0 (the subgradient at 0 is taken as 0)."""
    x = cache
    return dout * (x > 0)


def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU: x for x > 0, alpha * x otherwise. Returns (out, cache=(x, alpha))."""
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    """Gradient of leaky ReLU: dout for x > 0, alpha * dout otherwise."""
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha)


def sigmoid_forward(x):
    """Logistic sigmoid 1 / (1 + e^-x), computed without overflow. Returns (out, cache=out)."""
    out = np.empty_like(x, dtype=float)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out, out


def sigmoid_backward(dout, cache):
    """Gradient of the sigmoid from its output s: dout * s * (1 - s)."""
    s = cache
    return dout * s * (1 - s)


def tanh_forward(x):
    """Hyperbolic tangent. Returns (out, cache=out)."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """Gradient of tanh from its output t: dout * (1 - t^2)."""
    t = cache
    return dout * (1 - t**2)


def elu_forward(x, alpha=1.0):
    """ELU: x for x > 0, alpha * (e^x - 1) otherwise. Returns (out, cache=(x, alpha))."""
    neg = alpha * np.expm1(np.minimum(x, 0))
    return np.where(x > 0, x, neg), (x, alpha)


def elu_backward(dout, cache):
    """Gradient of ELU: dout for x > 0, dout * alpha * e^x otherwise."""
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))


def maxout_forward(x, w, b):
    """Maxout unit: out = max over k pieces of (x @ w[j] + b[j]).

    Args:
        x: (N, D) inputs.
        w: (K, D, M) weights of the K linear pieces.
        b: (K, M) biases.
    Returns:
        out: (N, M); cache: (x, w, b, argmax) with argmax (N, M) the winning piece.
    """
    pieces = np.einsum("nd,kdm->knm", x, w) + b[:, None, :]
    argmax = pieces.argmax(axis=0)
    out = np.take_along_axis(pieces, argmax[None], axis=0)[0]
    return out, (x, w, b, argmax)


def maxout_backward(dout, cache):
    """Backward of maxout: only the winning piece of each output receives the gradient.

    Returns:
        dx: (N, D); dw: (K, D, M); db: (K, M).
    """
    x, w, b, argmax = cache
    k = w.shape[0]
    # mask[j, n, m] = 1 where piece j won output (n, m)
    mask = argmax[None] == np.arange(k)[:, None, None]
    dpieces = mask * dout[None]
    dx = np.einsum("knm,kdm->nd", dpieces, w)
    dw = np.einsum("nd,knm->kdm", x, dpieces)
    db = dpieces.sum(axis=1)
    return dx, dw, db


ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
    "elu": (elu_forward, elu_backward),
}


def affine_activation_forward(x, w, b, activation="relu"):
    """Affine layer followed by an elementwise activation from ACTIVATIONS."""
    forward, _ = ACTIVATIONS[activation]
    a, fc_cache = affine_forward(x, w, b)
    out, act_cache = forward(a)
    return out, (fc_cache, act_cache, activation)


def affine_activation_backward(dout, cache):
    """Backward of affine_activation_forward: returns (dx, dw, db)."""
    fc_cache, act_cache, activation = cache
    _, backward = ACTIVATIONS[activation]
    return affine_backward(backward(dout, act_cache), fc_cache)
