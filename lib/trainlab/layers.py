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


def affine_param_backward(dout, cache):
    """The parameter gradients of affine_backward alone, for a first layer whose dx is never used.

    Args:
        dout: (N, M) upstream gradient.
        cache: (x, w, b) from affine_forward.
    Returns:
        dw: (D, M); db: (M,), exactly those of affine_backward.
    """
    x = cache[0]
    return x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


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


def prelu_forward(x, a):
    """PReLU (He et al., 2015): a leaky ReLU whose negative slope a is learned.

    out = max(0, x) + a * min(0, x), i.e. x for x > 0 and a * x otherwise (at x = 0 both give 0).

    Args:
        x: (N, D) inputs.
        a: the slopes, any floats (0 gives ReLU, 1 the identity), of one of two shapes:
            (D,): one slope per feature (channel), shared by the N samples (broadcast over
            the last axis of x); or (): one slope shared by every entry of x.
    Returns:
        out: (N, D); cache: (x, a).
    """
    return np.where(x > 0, x, a * x), (x, a)


def prelu_backward(dout, cache):
    """Backward of prelu_forward: returns (dx, da).

    dx = dout for x > 0 and a * dout for x <= 0 (at the kink x = 0 the slope of the left piece,
    a, as leaky_relu_backward and PyTorch take it). da is the sum of dout * min(0, x) over every
    entry that shares the slope: over the N samples for a of shape (D,), over all of x for a of
    shape (). (At x = 0 the term is 0 whichever piece is taken.)

    Args:
        dout: (N, D) upstream gradient.
        cache: (x, a) from prelu_forward.
    Returns:
        dx: (N, D); da: shaped like a.
    """
    x, a = cache
    dx = dout * np.where(x > 0, 1.0, a)
    da = np.sum(dout * np.minimum(x, 0), axis=0 if np.ndim(a) else None)
    return dx, da


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


def affine_activation_backward(dout, cache, need_dx=True):
    """Backward of affine_activation_forward: returns (dx, dw, db); dx is None when need_dx is False."""
    fc_cache, act_cache, activation = cache
    _, backward = ACTIVATIONS[activation]
    da = backward(dout, act_cache)
    if need_dx:
        return affine_backward(da, fc_cache)
    return (None, *affine_param_backward(da, fc_cache))


def dropout_forward(x, dropout_param):
    """Inverted dropout: keep each unit with probability p and divide the survivors by p.

    Dividing at training time keeps E[out] = x, so the test-time pass is the identity.

    Args:
        x: input of any shape.
        dropout_param: dict with
            p: probability of KEEPING a unit, in (0, 1];
            mode: "train" (drop) or "test" (identity);
            seed: optional int; the same seed gives the same mask (gradient checks).
    Returns:
        out: shaped like x.
        cache: (dropout_param, mask); mask is shaped like x with values 0 or 1/p in train
            mode, None in test mode.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = (rng.random(x.shape) < p) / p
        return x * mask, (dropout_param, mask)
    if mode == "test":
        return x, (dropout_param, None)
    raise ValueError(f"dropout mode must be 'train' or 'test', got {mode!r}")


def dropout_backward(dout, cache):
    """Backward of inverted dropout: the same mask (0 or 1/p) in train mode, identity in test mode.

    Args:
        dout: upstream gradient, shaped like x.
        cache: (dropout_param, mask) from dropout_forward.
    Returns:
        dx: shaped like x.
    """
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout


def dropconnect_forward(x, w, b, dropconnect_param):
    """Affine layer with DropConnect: drop individual weights instead of units (inverted scaling).

    One (D, M) weight mask is drawn per call and shared by the minibatch (Wan et al. draw
    one per example; sharing it is the common cheap variant). Kept weights are divided by
    p, so the test-time layer is the plain affine layer.

    Args:
        x: (N, D) inputs (other shapes are flattened per example).
        w: (D, M) weights.
        b: (M,) biases (never dropped).
        dropconnect_param: dict with p (keep probability), mode ("train"/"test"), optional seed.
    Returns:
        out: (N, M).
        cache: (x, w, b, mask); mask (D, M) with values 0 or 1/p in train mode, None in test mode.
    """
    p, mode = dropconnect_param["p"], dropconnect_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropconnect_param.get("seed"))
        mask = (rng.random(w.shape) < p) / p
        out, _ = affine_forward(x, w * mask, b)
        return out, (x, w, b, mask)
    if mode == "test":
        out, _ = affine_forward(x, w, b)
        return out, (x, w, b, None)
    raise ValueError(f"dropconnect mode must be 'train' or 'test', got {mode!r}")


def dropconnect_backward(dout, cache):
    """Backward of dropconnect_forward: returns (dx, dw, db); dropped weights get no gradient."""
    x, w, b, mask = cache
    if mask is None:
        return affine_backward(dout, (x, w, b))
    dx, dw_masked, db = affine_backward(dout, (x, w * mask, b))
    return dx, dw_masked * mask, db


# --------------------------------------------------------------------------- normalization
# Each normalization layer computes x_hat = (x - mean) / sqrt(var + eps) over its axes and
# out = gamma * x_hat + beta. Its cache starts with (x_hat, gamma, inv_std): the backward
# pass needs nothing else, since x - mean = x_hat / inv_std.


def _normalize_backward(dx_hat, x_hat, inv_std, axis):
    """Gradient through x_hat = (x - mean(x)) * inv_std(x), statistics over ``axis``.

    dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)), means over ``axis``:
    the two subtracted terms are the paths through the mean and through the variance.
    """
    return inv_std * (dx_hat - dx_hat.mean(axis=axis, keepdims=True)
                      - x_hat * (dx_hat * x_hat).mean(axis=axis, keepdims=True))


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of (N, D) features (Ioffe & Szegedy, 2015).

    Train mode normalizes each feature with the minibatch mean and (biased) variance and
    updates the running averages in bn_param (momentum is the weight of the old value):
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var  = momentum * running_var  + (1 - momentum) * var * N / (N - 1)
    (the unbiased batch variance, as PyTorch keeps it). Test mode normalizes with the
    running averages and leaves bn_param unchanged.

    Args:
        x: (N, D) inputs.
        gamma: (D,) scale; beta: (D,) shift (both learnable).
        bn_param: dict with "mode" ("train" or "test") and optionally "eps" (default
            1e-5), "momentum" (0.9), "running_mean" (zeros(D)), "running_var" (ones(D)).
    Returns:
        out: (N, D) = gamma * x_hat + beta.
        cache: (x_hat (N, D), gamma (D,), inv_std (D,), mode), inv_std = 1 / sqrt(var + eps).
    """
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.ones(d, dtype=x.dtype))
    if mode == "train":
        n = x.shape[0]
        if n < 2:
            raise ValueError("batchnorm in train mode needs more than one sample per batch")
        mean, var = x.mean(axis=0), x.var(axis=0)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var * n / (n - 1)
    elif mode == "test":
        mean, var = running_mean, running_var
    else:
        raise ValueError(f"invalid batchnorm mode {mode!r}; use 'train' or 'test'")
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std, mode)


def batchnorm_backward(dout, cache):
    """Backward pass of batchnorm_forward, node by node through its computational graph.

    Args:
        dout: (N, D) upstream gradient.
        cache: from batchnorm_forward.
    Returns:
        dx: (N, D); dgamma: (D,); dbeta: (D,).
    """
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    if mode == "test":  # the running statistics are constants
        return dx_hat * inv_std, dgamma, dbeta
    n = dout.shape[0]
    xmu = x_hat / inv_std                           # x - mean
    dinv_std = (dx_hat * xmu).sum(axis=0)           # x_hat = xmu * inv_std
    dvar = -0.5 * inv_std**3 * dinv_std             # inv_std = (var + eps)^(-1/2)
    dxmu = dx_hat * inv_std + 2 * xmu * dvar / n    # var = mean(xmu^2), plus the direct path
    dx = dxmu - dxmu.mean(axis=0)                   # xmu = x - mean(x)
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batchnorm_forward in closed form (same result, fewer operations).

    dx = gamma * inv_std / N * (N * dout - sum(dout) - x_hat * sum(dout * x_hat)), sums over N.

    Returns:
        dx: (N, D); dgamma: (D,); dbeta: (D,).
    """
    x_hat, gamma, inv_std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    if mode == "test":
        return dout * gamma * inv_std, dgamma, dbeta
    n = dout.shape[0]
    dx = (gamma * inv_std / n) * (n * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param=None):
    """Layer normalization (Ba et al., 2016): each sample normalized over its D features.

    Same in train and test mode, independent of the batch: no running statistics.

    Args:
        x: (N, D) inputs.
        gamma: (D,) scale; beta: (D,) shift.
        ln_param: optional dict with "eps" (default 1e-5).
    Returns:
        out: (N, D) = gamma * x_hat + beta.
        cache: (x_hat (N, D), gamma (D,), inv_std (N, 1)).
    """
    eps = (ln_param or {}).get("eps", 1e-5)
    mean = x.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, gamma, inv_std)


def layernorm_backward(dout, cache):
    """Backward pass of layernorm_forward: batch norm's formula with the axes swapped.

    Returns:
        dx: (N, D); dgamma: (D,); dbeta: (D,) (gamma and beta are per feature: sum over N).
    """
    x_hat, gamma, inv_std = cache
    dx = _normalize_backward(dout * gamma, x_hat, inv_std, axis=1)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of (N, C, H, W) maps: statistics per channel over N, H and W.

    Args:
        x: (N, C, H, W) inputs.
        gamma, beta: (C,).
        bn_param: as for batchnorm_forward (running averages of shape (C,)).
    Returns:
        out: (N, C, H, W); cache: the batchnorm cache of the (N*H*W, C) view.
    """
    n, c, h, w = x.shape
    flat = x.transpose(0, 2, 3, 1).reshape(-1, c)  # one row per pixel, one column per channel
    out, cache = batchnorm_forward(flat, gamma, beta, bn_param)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    """Backward pass of spatial_batchnorm_forward.

    Returns:
        dx: (N, C, H, W); dgamma: (C,); dbeta: (C,).
    """
    n, c, h, w = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


def groupnorm_forward(x, gamma, beta, G, gn_param=None):
    """Group normalization (Wu & He, 2018): each sample's C channels in G groups of C/G.

    Statistics per sample and group, over its C/G channels and all H x W positions;
    G = 1 is layer norm over (C, H, W), G = C is instance norm. No running statistics.

    Args:
        x: (N, C, H, W) inputs, C divisible by G.
        gamma, beta: (C,) per-channel scale and shift.
        G: number of groups; channel c is in group c // (C / G).
        gn_param: optional dict with "eps" (default 1e-5).
    Returns:
        out: (N, C, H, W); cache: (x_hat (N, C, H, W), gamma, inv_std (N, G, 1), G).
    """
    n, c, h, w = x.shape
    if c % G:
        raise ValueError(f"{c} channels cannot be split into {G} groups")
    eps = (gn_param or {}).get("eps", 1e-5)
    grouped = x.reshape(n, G, -1)
    mean = grouped.mean(axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(grouped.var(axis=2, keepdims=True) + eps)
    x_hat = ((grouped - mean) * inv_std).reshape(x.shape)
    out = gamma[None, :, None, None] * x_hat + beta[None, :, None, None]
    return out, (x_hat, gamma, inv_std, G)


def groupnorm_backward(dout, cache):
    """Backward pass of groupnorm_forward.

    Returns:
        dx: (N, C, H, W); dgamma: (C,); dbeta: (C,).
    """
    x_hat, gamma, inv_std, G = cache
    n = dout.shape[0]
    dx_hat = (dout * gamma[None, :, None, None]).reshape(n, G, -1)
    dx = _normalize_backward(dx_hat, x_hat.reshape(n, G, -1), inv_std, axis=2)
    return dx.reshape(dout.shape), (dout * x_hat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))


def fold_batchnorm(w, b, gamma, beta, bn_param):
    """Merge a test-mode batchnorm into the affine layer before it.

    batchnorm_test(x @ w + b) = x @ w' + b' with s = gamma / sqrt(running_var + eps),
    w' = w * s (column j scaled by s_j) and b' = (b - running_mean) * s + beta.

    Args:
        w: (D, M) and b: (M,) of the affine layer.
        gamma, beta: (M,) of the batchnorm layer.
        bn_param: its dict with "running_mean", "running_var" (M,) and optionally "eps".
    Returns:
        w_folded: (D, M); b_folded: (M,).
    """
    scale = gamma / np.sqrt(bn_param["running_var"] + bn_param.get("eps", 1e-5))
    return w * scale, (b - bn_param["running_mean"]) * scale + beta


NORMALIZATIONS = {
    "batchnorm": (batchnorm_forward, batchnorm_backward_alt),
    "layernorm": (layernorm_forward, layernorm_backward),
}


def affine_norm_activation_forward(x, w, b, gamma, beta, norm_param, normalization="batchnorm",
                                   activation="relu"):
    """Affine layer, then a normalization from NORMALIZATIONS, then an activation.

    Returns:
        out: (N, M); cache for affine_norm_activation_backward.
    """
    norm_forward, _ = NORMALIZATIONS[normalization]
    act_forward, _ = ACTIVATIONS[activation]
    a, fc_cache = affine_forward(x, w, b)
    a_norm, norm_cache = norm_forward(a, gamma, beta, norm_param)
    out, act_cache = act_forward(a_norm)
    return out, (fc_cache, norm_cache, act_cache, normalization, activation)


def affine_norm_activation_backward(dout, cache, need_dx=True):
    """Backward of affine_norm_activation_forward: returns (dx, dw, db, dgamma, dbeta); dx is None
    when need_dx is False."""
    fc_cache, norm_cache, act_cache, normalization, activation = cache
    _, norm_backward = NORMALIZATIONS[normalization]
    _, act_backward = ACTIVATIONS[activation]
    da_norm = act_backward(dout, act_cache)
    da, dgamma, dbeta = norm_backward(da_norm, norm_cache)
    dx, dw, db = affine_backward(da, fc_cache) if need_dx else (None, *affine_param_backward(da, fc_cache))
    return dx, dw, db, dgamma, dbeta
