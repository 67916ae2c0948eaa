"""Typical wrong answers for lecture 07 (regularization).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
The dropout_backward mistakes read the library's cache (dropout_param, mask with 0 or 1/p).
"""

MISTAKES = {
    "l2_penalty": [
        ("no 1/2: reg * sum(w^2) with gradient 2 * reg * w", '''
def l2_penalty(w, reg):
    return reg * float(np.sum(w * w)), 2 * reg * w
'''),
        ("1/2 in the loss but gradient 2 * reg * w", '''
def l2_penalty(w, reg):
    return 0.5 * reg * float(np.sum(w * w)), 2 * reg * w
'''),
        ("1/2 in the loss, gradient missing: 0.5 * reg * w", '''
def l2_penalty(w, reg):
    return 0.5 * reg * float(np.sum(w * w)), 0.5 * reg * w
'''),
    ],
    "l1_penalty": [
        ("L2's gradient reg * w", '''
def l1_penalty(w, reg):
    return reg * float(np.sum(np.abs(w))), reg * w
'''),
        ("gradient sign(w) without reg", '''
def l1_penalty(w, reg):
    return reg * float(np.sum(np.abs(w))), np.sign(w)
'''),
        ("1/2 borrowed from L2", '''
def l1_penalty(w, reg):
    return 0.5 * reg * float(np.sum(np.abs(w))), 0.5 * reg * np.sign(w)
'''),
    ],
    "elastic_net": [
        ("no 1/2 on the L2 part", '''
def elastic_net(w, l1_reg, l2_reg):
    loss = l1_reg * np.sum(np.abs(w)) + l2_reg * np.sum(w * w)
    return float(loss), l1_reg * np.sign(w) + 2 * l2_reg * w
'''),
        ("strengths swapped", '''
def elastic_net(w, l1_reg, l2_reg):
    loss = l2_reg * np.sum(np.abs(w)) + 0.5 * l1_reg * np.sum(w * w)
    return float(loss), l2_reg * np.sign(w) + l1_reg * w
'''),
        ("gradient of the L2 part only", '''
def elastic_net(w, l1_reg, l2_reg):
    loss = l1_reg * np.sum(np.abs(w)) + 0.5 * l2_reg * np.sum(w * w)
    return float(loss), l2_reg * w
'''),
    ],
    "max_norm_project": [
        ("clamps rows (axis=1) instead of columns", '''
def max_norm_project(w, max_norm):
    norms = np.linalg.norm(w, axis=1, keepdims=True)
    return w * np.minimum(1.0, max_norm / np.maximum(norms, 1e-12))
'''),
        ("rescales every column to norm c, also the short ones", '''
def max_norm_project(w, max_norm):
    norms = np.linalg.norm(w, axis=0, keepdims=True)
    return w * max_norm / np.maximum(norms, 1e-12)
'''),
        ("clamps the norm of the whole matrix", '''
def max_norm_project(w, max_norm):
    norm = np.linalg.norm(w)
    return w * min(1.0, max_norm / norm)
'''),
        ("changes w in place", '''
def max_norm_project(w, max_norm):
    norms = np.linalg.norm(w, axis=0, keepdims=True)
    w *= np.minimum(1.0, max_norm / np.maximum(norms, 1e-12))
    return w
'''),
    ],
    "dropout_forward": [
        ("does not divide by p (vanilla dropout in training)", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = rng.random(x.shape) < p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)
'''),
        ("drops with probability p instead of 1 - p", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = (rng.random(x.shape) > p) / p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)
'''),
        ("dropout still active at test time", '''
def dropout_forward(x, dropout_param):
    p = dropout_param["p"]
    rng = np.random.default_rng(dropout_param.get("seed"))
    mask = (rng.random(x.shape) < p) / p
    return x * mask, (dropout_param, mask)
'''),
        ("scales by p at test time as well", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = (rng.random(x.shape) < p) / p
        return x * mask, (dropout_param, mask)
    return x * p, (dropout_param, None)
'''),
        ("ignores the seed", '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)
'''),
    ],
    "dropout_backward": [
        ("ignores the mask", '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout
'''),
        ("divides by p a second time", '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["p"]
    return dout
'''),
        ("uses the 0/1 pattern without the 1/p", '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * (mask > 0)
    return dout
'''),
        ("draws a new mask", '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        p = dropout_param["p"]
        return dout * (np.random.default_rng().random(dout.shape) < p) / p
    return dout
'''),
    ],
    "vanilla_dropout_predict": [
        ("divides by p (the inverted scaling at test time)", '''
def vanilla_dropout_predict(X, params, p):
    h1 = np.maximum(0, X @ params["W1"] + params["b1"]) / p
    h2 = np.maximum(0, h1 @ params["W2"] + params["b2"]) / p
    return h2 @ params["W3"] + params["b3"]
'''),
        ("forgets to scale", '''
def vanilla_dropout_predict(X, params, p):
    h1 = np.maximum(0, X @ params["W1"] + params["b1"])
    h2 = np.maximum(0, h1 @ params["W2"] + params["b2"])
    return h2 @ params["W3"] + params["b3"]
'''),
        ("scales the input and the first layer only", '''
def vanilla_dropout_predict(X, params, p):
    h1 = np.maximum(0, (X * p) @ params["W1"] + params["b1"])
    h2 = np.maximum(0, h1 @ params["W2"] + params["b2"]) * p
    return h2 @ params["W3"] + params["b3"]
'''),
        ("scales the final scores too", '''
def vanilla_dropout_predict(X, params, p):
    h1 = np.maximum(0, X @ params["W1"] + params["b1"]) * p
    h2 = np.maximum(0, h1 @ params["W2"] + params["b2"]) * p
    return (h2 @ params["W3"] + params["b3"]) * p
'''),
    ],
    "dropconnect_forward": [
        ("drops inputs (dropout) instead of weights", '''
def dropconnect_forward(x, w, b, dropconnect_param):
    p, mode = dropconnect_param["p"], dropconnect_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropconnect_param.get("seed"))
        mask = (rng.random(x.shape) < p) / p
        return (x * mask) @ w + b, (x, w, b, mask)
    return x @ w + b, (x, w, b, None)
'''),
        ("no 1/p scaling of the kept weights", '''
def dropconnect_forward(x, w, b, dropconnect_param):
    p, mode = dropconnect_param["p"], dropconnect_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropconnect_param.get("seed"))
        mask = (rng.random(w.shape) < p).astype(float)
        return x @ (w * mask) + b, (x, w, b, mask)
    return x @ w + b, (x, w, b, None)
'''),
        ("masks the weights at test time too", '''
def dropconnect_forward(x, w, b, dropconnect_param):
    p = dropconnect_param["p"]
    rng = np.random.default_rng(dropconnect_param.get("seed"))
    mask = (rng.random(w.shape) < p) / p
    return x @ (w * mask) + b, (x, w, b, mask)
'''),
        ("drops the bias as well", '''
def dropconnect_forward(x, w, b, dropconnect_param):
    p, mode = dropconnect_param["p"], dropconnect_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropconnect_param.get("seed"))
        mask = (rng.random(w.shape) < p) / p
        b_mask = (rng.random(b.shape) < p) / p
        return x @ (w * mask) + b * b_mask, (x, w, b, mask)
    return x @ w + b, (x, w, b, None)
'''),
    ],
    "early_stopping": [
        ("keeps the last params instead of the best", '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_score, self.best_epoch, self.best_params = -np.inf, -1, None
        self.num_bad_epochs, self.epoch = 0, -1

    def step(self, score, params):
        self.epoch += 1
        self.best_params = copy.deepcopy(params)
        if score > self.best_score + self.min_delta:
            self.best_score, self.best_epoch = score, self.epoch
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
'''),
        ("stores a reference to params (no copy)", '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_score, self.best_epoch, self.best_params = -np.inf, -1, None
        self.num_bad_epochs, self.epoch = 0, -1

    def step(self, score, params):
        self.epoch += 1
        if score > self.best_score + self.min_delta:
            self.best_score, self.best_epoch = score, self.epoch
            self.best_params = dict(params)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
'''),
        ("stops one epoch late (> patience)", '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_score, self.best_epoch, self.best_params = -np.inf, -1, None
        self.num_bad_epochs, self.epoch = 0, -1

    def step(self, score, params):
        self.epoch += 1
        if score > self.best_score + self.min_delta:
            self.best_score, self.best_epoch = score, self.epoch
            self.best_params = copy.deepcopy(params)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs > self.patience
'''),
        ("counts bad epochs in total, never resetting", '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_score, self.best_epoch, self.best_params = -np.inf, -1, None
        self.num_bad_epochs, self.epoch = 0, -1

    def step(self, score, params):
        self.epoch += 1
        if score > self.best_score + self.min_delta:
            self.best_score, self.best_epoch = score, self.epoch
            self.best_params = copy.deepcopy(params)
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
'''),
    ],
    "label_smoothing": [
        ("eps / K instead of eps / (K - 1) off the label", '''
def label_smoothing(y, num_classes, eps=0.1):
    targets = np.full((len(y), num_classes), eps / num_classes)
    targets[np.arange(len(y)), y] = 1.0 - eps
    return targets
'''),
        ("keeps 1 at the label (rows sum to more than 1)", '''
def label_smoothing(y, num_classes, eps=0.1):
    targets = np.full((len(y), num_classes), eps / (num_classes - 1))
    targets[np.arange(len(y)), y] = 1.0
    return targets
'''),
        ("adds eps / (K - 1) to every class, the label included", '''
def label_smoothing(y, num_classes, eps=0.1):
    targets = np.eye(num_classes)[y] * (1 - eps)
    return targets + eps / (num_classes - 1)
'''),
    ],
    "soft_cross_entropy": [
        ("gradient not divided by N", '''
def soft_cross_entropy(scores, targets):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    return float(-np.sum(targets * log_probs) / n), np.exp(log_probs) - targets
'''),
        ("uses the argmax of the targets (hard labels)", '''
def soft_cross_entropy(scores, targets):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    y = targets.argmax(axis=1)
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), dscores / n
'''),
        ("no max shift: overflows for large scores", '''
def soft_cross_entropy(scores, targets):
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    n = scores.shape[0]
    return float(-np.sum(targets * np.log(probs)) / n), (probs - targets) / n
'''),
        ("sign error in the gradient", '''
def soft_cross_entropy(scores, targets):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    return float(-np.sum(targets * log_probs) / n), (targets - np.exp(log_probs)) / n
'''),
    ],
}
