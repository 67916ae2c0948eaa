"""Typical wrong answers for lecture 00 (backpropagation and gradient checking).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
"""

MISTAKES = {
    "eval_numerical_gradient": [
        ("one-sided difference (f(x+h) - f(x)) / h", '''
def eval_numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    fx = f(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        grad[ix] = (f(x) - fx) / h
        x[ix] = old
        it.iternext()
    return grad
'''),
        ("does not restore x", '''
def eval_numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        f_plus = f(x)
        x[ix] = old - h
        f_minus = f(x)
        grad[ix] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad
'''),
        ("divides by h instead of 2h", '''
def eval_numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        f_plus = f(x)
        x[ix] = old - h
        f_minus = f(x)
        x[ix] = old
        grad[ix] = (f_plus - f_minus) / h
        it.iternext()
    return grad
'''),
        ("only handles 1-D arrays", '''
def eval_numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(len(x))
    for i in range(len(x)):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
'''),
    ],
    "rel_error": [
        ("absolute instead of relative error", '''
def rel_error(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
'''),
        ("divides by |a| only", '''
def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.abs(a)))
'''),
        ("mean instead of max", '''
def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''),
    ],
    "affine_forward": [
        ("forgets the bias", '''
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w
    return out, (x, w, b)
'''),
        ("does not flatten each example", '''
def affine_forward(x, w, b):
    out = x @ w + b
    return out, (x, w, b)
'''),
        ("flattens in the wrong order (features first)", '''
def affine_forward(x, w, b):
    out = x.T.reshape(-1, x.shape[0]).T @ w + b
    return out, (x, w, b)
'''),
    ],
    "affine_backward": [
        ("dx not reshaped to x's shape", '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout @ w.T
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
'''),
        ("db averaged over the batch instead of summed", '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.mean(axis=0)
    return dx, dw, db
'''),
        ("ignores dout (uses ones)", '''
def affine_backward(dout, cache):
    x, w, b = cache
    ones = np.ones((x.shape[0], w.shape[1]))
    dx = (ones @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ ones
    db = ones.sum(axis=0)
    return dx, dw, db
'''),
    ],
    "softmax_loss": [
        ("no max shift: overflows for large scores", '''
def softmax_loss(scores, y):
    n = scores.shape[0]
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n
'''),
        ("gradient not divided by N", '''
def softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = scores.shape[0]
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores
'''),
        ("loss summed over the batch instead of averaged", '''
def softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = scores.shape[0]
    loss = -np.log(probs[np.arange(n), y]).sum()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n
'''),
        ("forgets to subtract 1 at the correct class", '''
def softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = scores.shape[0]
    loss = -np.log(probs[np.arange(n), y]).mean()
    return float(loss), probs / n
'''),
    ],
}
