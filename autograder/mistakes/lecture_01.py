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
    ],
}
