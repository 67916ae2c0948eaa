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
        ('perturbs x.ravel(), a copy when x is a non-contiguous view (zero gradient)', '''
def eval_numerical_gradient(f, x, h=1e-5):
    flat = x.ravel()
    grad = np.zeros(flat.shape)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f(x)
        flat[i] = old - h
        f_minus = f(x)
        flat[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(x.shape)
'''),
        ('default step 1e-4 instead of the documented 1e-5', '''
def eval_numerical_gradient(f, x, h=1e-4):
    grad = np.zeros_like(x, dtype=float)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        x[ix] = old + h
        f_plus = f(x)
        x[ix] = old - h
        f_minus = f(x)
        x[ix] = old
        grad[ix] = (f_plus - f_minus) / (2 * h)
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
        ('|a + b| instead of |a| + |b| in the denominator (wrong for opposite signs)', '''
def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b))))
'''),
        ('guard added instead of taken as a floor: |a - b| / (|a| + |b| + 1e-8)', '''
def rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + 1e-8)))
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
        ('squeezes the output (wrong shape for a batch of one or one output)', '''
def affine_forward(x, w, b):
    out = np.squeeze(x.reshape(x.shape[0], -1) @ w + b)
    return out, (x, w, b)
'''),
        ('casts the input to its own dtype (uint8 images overflow)', '''
def affine_forward(x, w, b):
    flat = x.reshape(x.shape[0], -1)
    out = (flat @ w.astype(flat.dtype) + b.astype(flat.dtype)).astype(float)
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
        ('dw averaged over the batch', '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout / x.shape[0]
    db = dout.sum(axis=0)
    return dx, dw, db
'''),
        ('db summed over the wrong axis when N equals M', '''
def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=1) if dout.shape[0] == dout.shape[1] else dout.sum(axis=0)
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
        ("shifts the scores in place (the caller's scores change)", '''
def softmax_loss(scores, y):
    scores -= scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), dscores / n
'''),
        ('log of probabilities that underflow to 0 (infinite loss for scores 2000 apart)', '''
def softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = scores.shape[0]
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return float(loss), dscores / n
'''),
    ],
}

ALTERNATIVES = {
    "eval_numerical_gradient": [
        ('x.flat indices, restoring by adding h back', '''
def eval_numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in range(x.size):
        x.flat[i] += h
        f_plus = f(x)
        x.flat[i] -= 2 * h
        f_minus = f(x)
        x.flat[i] += h
        grad.flat[i] = (f_plus - f_minus) / (2 * h)
    return grad
'''),
    ],
    "rel_error": [
        ('Python max over a flattened ratio, with np.fmax', '''
def rel_error(a, b):
    a = np.array(a, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    ratio = np.abs(a - b) / np.fmax(np.abs(a) + np.abs(b), 1e-8)
    return float(ratio.max())
'''),
    ],
    "affine_forward": [
        ('np.dot with an explicit flattened size', '''
def affine_forward(x, w, b):
    n = x.shape[0]
    d = int(np.prod(x.shape[1:]))
    out = np.dot(x.reshape(n, d), w) + b[np.newaxis, :]
    cache = (x, w, b)
    return out, cache
'''),
    ],
    "affine_backward": [
        ('einsum and np.sum', '''
def affine_backward(dout, cache):
    x, w, b = cache
    x2 = np.reshape(x, (len(x), -1))
    dx = np.einsum("nm,dm->nd", dout, w).reshape(np.shape(x))
    dw = np.einsum("nd,nm->dm", x2, dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
'''),
    ],
    "softmax_loss": [
        ("scipy's logsumexp", '''
def softmax_loss(scores, y):
    from scipy.special import logsumexp
    n = len(scores)
    log_probs = scores - logsumexp(scores, axis=1, keepdims=True)
    loss = -np.mean(log_probs[np.arange(n), y])
    probs = np.exp(log_probs)
    one_hot = np.zeros_like(probs)
    one_hot[np.arange(n), y] = 1.0
    return loss, (probs - one_hot) / n
'''),
    ],
}

EQUIVALENT_MUTANTS = {}
