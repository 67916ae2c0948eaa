"""Typical wrong answers for lecture 01 (activation functions).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.

A backward test takes its cache from the student's forward, or from the library's forward
when the cell runs on its own; the wrong backward passes below read the library's caches
(sigmoid/tanh: the output; relu: x; leaky_relu/elu: (x, alpha); maxout: (x, w, b, argmax)),
and the wrong forward passes return caches of the same kind.
"""

MISTAKES = {
    "sigmoid_forward": [
        ("exp(x) / (1 + exp(x)): nan for large positive x", '''
def sigmoid_forward(x):
    out = np.exp(x) / (1 + np.exp(x))
    return out, out
'''),
        ("sign error: 1 / (1 + exp(x))", '''
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(x))
    return out, out
'''),
        ("clips x to [-50, 50] before exp: wrong tiny values for x < -50", '''
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-np.clip(x, -50, 50)))
    return out, out
'''),
        ("writes the result into x (out = x)", '''
def sigmoid_forward(x):
    out = x
    e = np.exp(-np.abs(x))
    out[...] = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out, out
'''),
        ("1 - exp(-x) / (1 + exp(-x)): nan for very negative x", '''
def sigmoid_forward(x):
    e = np.exp(-x)
    out = 1 - e / (1 + e)
    return out, out
'''),
    ],
    "sigmoid_backward": [
        ("ignores dout", '''
def sigmoid_backward(dout, cache):
    s = cache
    return s * (1 - s)
'''),
        ("multiplies by s instead of s * (1 - s)", '''
def sigmoid_backward(dout, cache):
    s = cache
    return dout * s
'''),
        ("takes the cached output for x and applies the sigmoid again", '''
def sigmoid_backward(dout, cache):
    x = cache
    s = 1 / (1 + np.exp(-x))
    return dout * s * (1 - s)
'''),
        ("computes s * (1 - s) in place into the cache", '''
def sigmoid_backward(dout, cache):
    s = cache
    s *= 1 - s
    return dout * s
'''),
    ],
    "tanh_forward": [
        ("(e^x - e^-x) / (e^x + e^-x): nan for large |x|", '''
def tanh_forward(x):
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return out, out
'''),
        ("2 * sigmoid(x) - 1, which is tanh(x / 2)", '''
def tanh_forward(x):
    out = 2 / (1 + np.exp(-x)) - 1
    return out, out
'''),
        ("computes tanh in place into x", '''
def tanh_forward(x):
    out = np.tanh(x, out=x)
    return out, out
'''),
    ],
    "tanh_backward": [
        ("1 - tanh(t)^2 applied to the cached output t", '''
def tanh_backward(dout, cache):
    t = cache
    return dout * (1 - np.tanh(t) ** 2)
'''),
        ("ignores dout", '''
def tanh_backward(dout, cache):
    t = cache
    return 1 - t**2
'''),
        ("forgets the square: 1 - t", '''
def tanh_backward(dout, cache):
    t = cache
    return dout * (1 - t)
'''),
        ("squares the cached output in place", '''
def tanh_backward(dout, cache):
    t = cache
    t **= 2
    return dout * (1 - t)
'''),
    ],
    "relu_forward": [
        ("np.max (a reduction over axis 0) instead of np.maximum", '''
def relu_forward(x):
    return np.max(x, 0), x
'''),
        ("sets the negative entries of x to 0 in place", '''
def relu_forward(x):
    x[x < 0] = 0
    return x, x
'''),
        ("np.maximum(x, 0.01 * x): a leaky ReLU", '''
def relu_forward(x):
    return np.maximum(x, 0.01 * x), x
'''),
        ("boolean indexing x[x > 0]: drops the negative entries instead of zeroing them", '''
def relu_forward(x):
    return x[x > 0], x
'''),
    ],
    "relu_backward": [
        ("multiplies dout by the output max(0, x) instead of the 0/1 mask", '''
def relu_backward(dout, cache):
    x = cache
    return dout * np.maximum(x, 0)
'''),
        ("zeroes dout in place and returns it", '''
def relu_backward(dout, cache):
    x = cache
    dout[x <= 0] = 0
    return dout
'''),
        ("ignores dout", '''
def relu_backward(dout, cache):
    x = cache
    return (x > 0).astype(float)
'''),
        ("lets the gradient through at x = 0 (x >= 0)", '''
def relu_backward(dout, cache):
    x = cache
    return dout * (x >= 0)
'''),
        ("turns the cached x into the 0/1 mask in place", '''
def relu_backward(dout, cache):
    x = cache
    x[...] = x > 0
    return dout * x
'''),
        ("masks by the sign of dout instead of x", '''
def relu_backward(dout, cache):
    x = cache
    return dout * (dout > 0)
'''),
    ],
    "leaky_relu_forward": [
        ("alpha applied on the positive side", '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x > 0, alpha * x, x)
    return out, (x, alpha)
'''),
        ("ignores the alpha argument (always 0.01)", '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.where(x > 0, x, 0.01 * x)
    return out, (x, alpha)
'''),
        ("plain ReLU: 0 on the negative side", '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.maximum(x, 0)
    return out, (x, alpha)
'''),
        ("np.maximum(x, alpha * x): right only for alpha <= 1", '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.maximum(x, alpha * x)
    return out, (x, alpha)
'''),
        ("default alpha 0.1 instead of 0.01", '''
def leaky_relu_forward(x, alpha=0.1):
    out = np.where(x > 0, x, alpha * x)
    return out, (x, alpha)
'''),
        ("scales the negative entries of x in place", '''
def leaky_relu_forward(x, alpha=0.01):
    x[x < 0] *= alpha
    return x, (x, alpha)
'''),
    ],
    "leaky_relu_backward": [
        ("0 on the negative side (the ReLU gradient)", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * (x > 0)
'''),
        ("uses the default 0.01 instead of the cached alpha", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, 0.01)
'''),
        ("alpha on the positive side", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, alpha, 1.0)
'''),
        ("ignores dout", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, 1.0, alpha)
'''),
        ("slope 1 at x = 0 (x >= 0): the kink convention is alpha", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x >= 0, 1.0, alpha)
'''),
        ("scales dout in place", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    dout[x <= 0] *= alpha
    return dout
'''),
    ],
    "elu_forward": [
        ("branches swapped: alpha * (e^x - 1) for x > 0", '''
def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, alpha * (np.exp(x) - 1), x)
    return out, (x, alpha)
'''),
        ("forgets the -1: alpha * e^x for x <= 0", '''
def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.exp(x))
    return out, (x, alpha)
'''),
        ("ignores the alpha argument", '''
def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, np.exp(x) - 1)
    return out, (x, alpha)
'''),
        ("masks by multiplication: inf * 0 = nan for large x", '''
def elu_forward(x, alpha=1.0):
    out = x * (x > 0) + alpha * (np.exp(x) - 1) * (x <= 0)
    return out, (x, alpha)
'''),
        ("default alpha 0.01 (the leaky ReLU's)", '''
def elu_forward(x, alpha=0.01):
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    return out, (x, alpha)
'''),
        ("writes the negative side into x in place", '''
def elu_forward(x, alpha=1.0):
    neg = x <= 0
    x[neg] = alpha * np.expm1(x[neg])
    return x, (x, alpha)
'''),
    ],
    "elu_backward": [
        ("forgets alpha on the negative side: e^x", '''
def elu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, np.exp(x))
'''),
        ("exponential on the positive side too", '''
def elu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, np.exp(x), alpha * np.exp(x))
'''),
        ("ignores dout", '''
def elu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, 1.0, alpha * np.exp(x))
'''),
        ("slope 1 at x = 0 (x >= 0): the kink convention is alpha", '''
def elu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x >= 0, 1.0, alpha * np.exp(np.minimum(x, 0)))
'''),
        ("multiplies the masks: inf * 0 = nan for large x", '''
def elu_backward(dout, cache):
    x, alpha = cache
    return dout * ((x > 0) + alpha * np.exp(x) * (x <= 0))
'''),
    ],
    "maxout_forward": [
        ("max over the output units instead of over the K pieces", '''
def maxout_forward(x, w, b):
    pieces = np.stack([x @ w[k] + b[k] for k in range(w.shape[0])])
    return pieces.max(axis=2), (x, w, b, pieces.argmax(axis=0))
'''),
        ("forgets the biases", '''
def maxout_forward(x, w, b):
    pieces = np.stack([x @ w[k] for k in range(w.shape[0])])
    return pieces.max(axis=0), (x, w, b, pieces.argmax(axis=0))
'''),
        ("takes the min over the pieces", '''
def maxout_forward(x, w, b):
    pieces = np.stack([x @ w[k] + b[k] for k in range(w.shape[0])])
    return pieces.min(axis=0), (x, w, b, pieces.argmin(axis=0))
'''),
        ("sums the pieces instead of taking their max", '''
def maxout_forward(x, w, b):
    pieces = np.stack([x @ w[k] + b[k] for k in range(w.shape[0])])
    return pieces.sum(axis=0), (x, w, b, pieces.argmax(axis=0))
'''),
        ("max over the batch axis 1 instead of the pieces", '''
def maxout_forward(x, w, b):
    pieces = np.stack([x @ w[k] + b[k] for k in range(w.shape[0])])
    return pieces.max(axis=1), (x, w, b, pieces.argmax(axis=0))
'''),
        ("uses only the first two pieces", '''
def maxout_forward(x, w, b):
    pieces = np.stack([x @ w[0] + b[0], x @ w[-1] + b[-1]])
    return pieces.max(axis=0), (x, w, b, pieces.argmax(axis=0))
'''),
    ],
    "maxout_backward": [
        ("sends the gradient to all K pieces, not only the winner", '''
def maxout_backward(dout, cache):
    x, w, b, argmax = cache
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)
    for k in range(w.shape[0]):
        dx += dout @ w[k].T
        dw[k] = x.T @ dout
        db[k] = dout.sum(axis=0)
    return dx, dw, db
'''),
        ("returns only (dx, dw): forgets db", '''
def maxout_backward(dout, cache):
    x, w, b, argmax = cache
    dx, dw = np.zeros(x.shape), np.zeros(w.shape)
    for k in range(w.shape[0]):
        dpiece = dout * (argmax == k)
        dx += dpiece @ w[k].T
        dw[k] = x.T @ dpiece
    return dx, dw
'''),
        ("db summed over the pieces too: shape (M,)", '''
def maxout_backward(dout, cache):
    x, w, b, argmax = cache
    dx, dw = np.zeros(x.shape), np.zeros(w.shape)
    for k in range(w.shape[0]):
        dpiece = dout * (argmax == k)
        dx += dpiece @ w[k].T
        dw[k] = x.T @ dpiece
    return dx, dw, dout.sum(axis=0)
'''),
        ("dx from the winning piece but dw, db for every piece", '''
def maxout_backward(dout, cache):
    x, w, b, argmax = cache
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)
    for k in range(w.shape[0]):
        dx += (dout * (argmax == k)) @ w[k].T
        dw[k] = x.T @ dout
        db[k] = dout.sum(axis=0)
    return dx, dw, db
'''),
        ("ties: every piece equal to the max gets the whole gradient", '''
def maxout_backward(dout, cache):
    x, w, b, argmax = cache
    pieces = np.stack([x @ w[k] + b[k] for k in range(w.shape[0])])
    won = pieces == pieces.max(axis=0)
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)
    for k in range(w.shape[0]):
        dpiece = dout * won[k]
        dx += dpiece @ w[k].T
        dw[k] = x.T @ dpiece
        db[k] = dpiece.sum(axis=0)
    return dx, dw, db
'''),
        ("db sums over the units (axis 1) instead of the batch", '''
def maxout_backward(dout, cache):
    x, w, b, argmax = cache
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)
    for k in range(w.shape[0]):
        dpiece = dout * (argmax == k)
        dx += dpiece @ w[k].T
        dw[k] = x.T @ dpiece
        db[k] = dpiece.sum(axis=1)
    return dx, dw, db
'''),
    ],
    "prelu_forward": [
        ("a * x everywhere: the slope on the positive side too", """
def prelu_forward(x, a):
    out = a * x
    return out, (x, a)
"""),
        ("np.maximum(x, a * x): right only for 0 <= a <= 1", """
def prelu_forward(x, a):
    out = np.maximum(x, a * x)
    return out, (x, a)
"""),
        ("ignores a: leaky ReLU's fixed 0.01", """
def prelu_forward(x, a):
    out = np.where(x > 0, x, 0.01 * x)
    return out, (x, a)
"""),
        ("one slope per sample (a[:, None]) instead of per feature", """
def prelu_forward(x, a):
    out = np.where(x > 0, x, np.reshape(a, (-1, 1)) * x)
    return out, (x, a)
"""),
        ("slope on the positive side, identity on the negative side", """
def prelu_forward(x, a):
    out = np.where(x > 0, a * x, x)
    return out, (x, a)
"""),
        ("scales the negative entries of x in place", """
def prelu_forward(x, a):
    x *= np.where(x > 0, 1.0, a)
    return x, (x, a)
"""),
    ],
    "prelu_backward": [
        ("da not summed over the batch: one value per sample", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout * np.where(x > 0, 1.0, a)
    da = dout * np.minimum(x, 0)
    return dx, da
"""),
        ("da from the positive side: dout * max(0, x)", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout * np.where(x > 0, 1.0, a)
    da = np.sum(dout * np.maximum(x, 0), axis=0 if np.ndim(a) else None)
    return dx, da
"""),
        ("dx ignores a: the ReLU gradient", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout * (x > 0)
    da = np.sum(dout * np.minimum(x, 0), axis=0 if np.ndim(a) else None)
    return dx, da
"""),
        ("da summed over the features (axis 1) instead of the batch", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout * np.where(x > 0, 1.0, a)
    da = np.sum(dout * np.minimum(x, 0), axis=1 if np.ndim(a) else None)
    return dx, da
"""),
        ("da always summed over axis 0: shape (D,) for a shared slope", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout * np.where(x > 0, 1.0, a)
    da = np.sum(dout * np.minimum(x, 0), axis=0)
    return dx, da
"""),
        ("da averaged over the batch instead of summed", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout * np.where(x > 0, 1.0, a)
    da = np.mean(dout * np.minimum(x, 0), axis=0 if np.ndim(a) else None)
    return dx, da
"""),
        ("da from x on the negative side without dout", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout * np.where(x > 0, 1.0, a)
    da = np.sum(np.minimum(x, 0), axis=0 if np.ndim(a) else None)
    return dx, da
"""),
        ("da from the output a * x instead of x (one factor a too many)", """
def prelu_backward(dout, cache):
    x, a = cache
    out = np.where(x > 0, x, a * x)
    dx = dout * np.where(x > 0, 1.0, a)
    da = np.sum(dout * np.minimum(out, 0), axis=0 if np.ndim(a) else None)
    return dx, da
"""),
        ("slope 1 at x = 0 (x >= 0): the kink convention is a", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout * np.where(x >= 0, 1.0, a)
    da = np.sum(dout * np.minimum(x, 0), axis=0 if np.ndim(a) else None)
    return dx, da
"""),
        ("scales dout in place for dx", """
def prelu_backward(dout, cache):
    x, a = cache
    da = np.sum(dout * np.minimum(x, 0), axis=0 if np.ndim(a) else None)
    dout *= np.where(x > 0, 1.0, a)
    return dout, da
"""),
    ],
}


# Correct answers written differently from the reference: each must pass (warnings allowed). The backward
# ones read the library's caches, as the mistakes above do.
ALTERNATIVES = {
    "sigmoid_forward": [
        ("scipy.special.expit", '''
def sigmoid_forward(x):
    from scipy.special import expit
    out = expit(x)
    return out, out
'''),
        ("boolean masks on a new array, each branch computed only where it is selected", '''
def sigmoid_forward(x):
    out = np.zeros(x.shape)
    pos = x >= 0
    out[pos] = 1 / (1 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1 + ex)
    return out, out
'''),
        ("the naive 1 / (1 + exp(-x)): exp overflows to inf (a warning), the value is still 0", '''
def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out
'''),
        ("exp(-logaddexp(0, -x))", '''
def sigmoid_forward(x):
    out = np.exp(-np.logaddexp(0, -x))
    return out, out
'''),
    ],
    "sigmoid_backward": [
        ("the local gradient first, then the product", '''
def sigmoid_backward(dout, cache):
    s = cache
    local = s * (1 - s)
    return local * dout
'''),
        ("s - s**2 (cancels near s = 1, within the tolerance)", '''
def sigmoid_backward(dout, cache):
    s = cache
    return dout * (s - s**2)
'''),
    ],
    "tanh_forward": [
        ("from exp(-2|x|), sign restored", '''
def tanh_forward(x):
    e = np.exp(-2 * np.abs(x))
    out = np.sign(x) * (1 - e) / (1 + e)
    return out, out
'''),
        ("2 * sigmoid(2x) - 1 with a stable sigmoid", '''
def tanh_forward(x):
    from scipy.special import expit
    out = 2 * expit(2 * x) - 1
    return out, out
'''),
    ],
    "tanh_backward": [
        ("(1 - t)(1 + t)", '''
def tanh_backward(dout, cache):
    t = cache
    return dout * (1 - t) * (1 + t)
'''),
        ("dout - dout * t * t", '''
def tanh_backward(dout, cache):
    t = cache
    return dout - dout * t * t
'''),
    ],
    "relu_forward": [
        ("multiplication by the mask", '''
def relu_forward(x):
    return x * (x > 0), x
'''),
        ("a copy with the negative entries set to 0", '''
def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0
    return out, x
'''),
        ("np.clip", '''
def relu_forward(x):
    return np.clip(x, 0, None), x
'''),
        ("(x + |x|) / 2", '''
def relu_forward(x):
    return (x + np.abs(x)) / 2, x
'''),
    ],
    "relu_backward": [
        ("np.where", '''
def relu_backward(dout, cache):
    x = cache
    return np.where(x > 0, dout, 0.0)
'''),
        ("a copy of dout with the inactive entries zeroed", '''
def relu_backward(dout, cache):
    x = cache
    dx = np.array(dout, dtype=float)
    dx[x <= 0] = 0
    return dx
'''),
    ],
    "leaky_relu_forward": [
        ("max(x, 0) + alpha * min(x, 0)", '''
def leaky_relu_forward(x, alpha=0.01):
    out = np.maximum(x, 0) + alpha * np.minimum(x, 0)
    return out, (x, alpha)
'''),
        ("x times a slope array", '''
def leaky_relu_forward(x, alpha=0.01):
    slope = np.where(x > 0, 1.0, alpha)
    return x * slope, (x, alpha)
'''),
        ("a copy with the non-positive entries scaled", '''
def leaky_relu_forward(x, alpha=0.01):
    out = x.astype(float)
    out[x <= 0] *= alpha
    return out, (x, alpha)
'''),
    ],
    "leaky_relu_backward": [
        ("np.where on dout", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)
'''),
        ("a copy of dout with the non-positive side scaled", '''
def leaky_relu_backward(dout, cache):
    x, alpha = cache
    dx = dout.copy()
    dx[x <= 0] *= alpha
    return dx
'''),
    ],
    "elu_forward": [
        ("np.where with alpha * (exp(x) - 1): overflow warnings in the unused branch", '''
def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * (np.exp(x) - 1))
    return out, (x, alpha)
'''),
        ("a copy with expm1 where x <= 0", '''
def elu_forward(x, alpha=1.0):
    out = x.astype(float)
    neg = x <= 0
    out[neg] = alpha * np.expm1(x[neg])
    return out, (x, alpha)
'''),
    ],
    "elu_backward": [
        ("np.where on dout with exp(x): overflow warnings in the unused branch", '''
def elu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, dout * alpha * np.exp(x))
'''),
        ("the ELU output plus alpha on the negative side", '''
def elu_backward(dout, cache):
    x, alpha = cache
    out = alpha * np.expm1(np.minimum(x, 0))
    return dout * np.where(x > 0, 1.0, out + alpha)
'''),
    ],
    "maxout_forward": [
        ("einsum and take_along_axis", '''
def maxout_forward(x, w, b):
    pieces = np.einsum("nd,kdm->knm", x, w) + b[:, None, :]
    winner = np.argmax(pieces, axis=0)
    out = np.take_along_axis(pieces, winner[None], axis=0)[0]
    return out, (x, w, b, winner)
'''),
        ("a running np.maximum over the pieces", '''
def maxout_forward(x, w, b):
    out = x @ w[0] + b[0]
    winner = np.zeros(out.shape, dtype=int)
    for k in range(1, w.shape[0]):
        piece = x @ w[k] + b[k]
        winner[piece > out] = k
        out = np.maximum(out, piece)
    return out, (x, w, b, winner)
'''),
    ],
    "maxout_backward": [
        ("batched matmul on a one-hot mask", '''
def maxout_backward(dout, cache):
    x, w, b, winner = cache
    onehot = np.moveaxis(np.eye(w.shape[0])[winner], -1, 0)  # (K, N, M)
    dpieces = onehot * dout
    dx = (dpieces @ np.swapaxes(w, 1, 2)).sum(axis=0)
    dw = x.T @ dpieces
    db = dpieces.sum(axis=1)
    return dx, dw, db
'''),
        ("a loop over samples and units, adding to the winning piece", '''
def maxout_backward(dout, cache):
    x, w, b, winner = cache
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(b.shape)
    N, M = dout.shape
    for n in range(N):
        for m in range(M):
            k = winner[n, m]
            dx[n] += dout[n, m] * w[k, :, m]
            dw[k, :, m] += dout[n, m] * x[n]
            db[k, m] += dout[n, m]
    return dx, dw, db
'''),
    ],
    "prelu_forward": [
        ("max(x, 0) + a * min(x, 0)", """
def prelu_forward(x, a):
    out = np.maximum(x, 0) + a * np.minimum(x, 0)
    return out, (x, a)
"""),
        ("x times a slope array", """
def prelu_forward(x, a):
    slope = np.where(x > 0, 1.0, a)
    return x * slope, (x, a)
"""),
        ("a copy with the non-positive entries replaced, a broadcast to x's shape", """
def prelu_forward(x, a):
    out = x.astype(float)
    neg = x <= 0
    out[neg] = (np.broadcast_to(a, x.shape) * x)[neg]
    return out, (x, a)
"""),
    ],
    "prelu_backward": [
        ("np.where on dout; da reduced to a's shape by a reshape", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = np.where(x > 0, dout, a * dout)
    da = (dout * x * (x <= 0)).reshape(-1, *np.shape(a)).sum(axis=0)
    return dx, da
"""),
        ("einsum for a slope per feature, a dot product for a shared slope", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout * np.where(x > 0, 1.0, a)
    neg = np.minimum(x, 0)
    if np.ndim(a) == 1:
        da = np.einsum("nd,nd->d", dout, neg)
    else:
        da = np.array(np.vdot(dout, neg))
    return dx, da
"""),
        ("a loop over the features, a copy of dout scaled on the negative side", """
def prelu_backward(dout, cache):
    x, a = cache
    dx = dout.copy()
    dx[x <= 0] *= np.broadcast_to(a, x.shape)[x <= 0]
    contrib = dout * np.minimum(x, 0)
    if np.ndim(a) == 0:
        return dx, float(contrib.sum())
    da = np.zeros(x.shape[1])
    for d in range(x.shape[1]):
        da[d] = contrib[:, d].sum()
    return dx, da
"""),
    ],
}

# Generated mutants (autograder/mutants.py) that no test can tell from the reference: {exercise: {key: reason}}.
EQUIVALENT_MUTANTS = {
    "sigmoid_forward": {
        'out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)): >= -> >': "at x = 0 both branches give exactly 1 / (1 + 1) = 0.5",
    },
    "leaky_relu_forward": {
        'out = np.where(x > 0, x, alpha * x): > -> >=': "at x = 0 both branches give 0 (x and alpha * x)",
    },
    "prelu_forward": {
        'out = np.where(x > 0, x, a * x): > -> >=': "at x = 0 both branches give 0 (x and a * x), as the docstring says",
    },
    "elu_forward": {
        'return np.where(x > 0, x, neg), (x, alpha): > -> >=': "at x = 0 both branches give 0 (x and alpha * expm1(0))",
        'neg = alpha * np.expm1(np.minimum(x, 0)): 0 -> 1': "np.minimum(x, 1) only changes the unselected branch for x > 0, and exp(1) cannot overflow",
    },
    "elu_backward": {
        'return dout * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))): 0 -> 1 (#2)': "np.minimum(x, 1) only changes the unselected branch for x > 0, and exp(1) cannot overflow",
    },
    "maxout_forward": {
        'winner = pieces.argmax(axis=0): .argmax -> .argmin': "changes only the cache, whose content the docstring leaves to the student; "
                                       "a wrong winner fails maxout_backward's test, which takes the student's forward",
        'winner = pieces.argmax(axis=0): axis=0 -> axis=1': "changes only the cache (the student's choice); a wrong winner fails maxout_backward's test",
        'winner = pieces.argmax(axis=0): 0 -> 1': "the same change as axis=0 -> axis=1 (the axis constant): only the cache",
    },
}
