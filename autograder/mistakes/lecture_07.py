"""Typical wrong answers for lecture 07 (regularization).

MISTAKES[exercise] lists (label, answer cell source) pairs; each must fail that
exercise's test cell (tests/test_exercises.py). The first is the demo's "mistakes" answer.
ALTERNATIVES lists correct answers written differently from the reference (each must pass);
EQUIVALENT_MUTANTS records the generated mutants no test can tell from the answer, with a reason.
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
        ('scales w in place for the gradient (w *= reg)', '''
def l2_penalty(w, reg):
    loss = 0.5 * reg * float(np.sum(w * w))
    w *= reg
    return loss, w
'''),
        ('np.trace(w.T @ w): only 2-D weights', '''
def l2_penalty(w, reg):
    return 0.5 * reg * float(np.trace(w.T @ w)), reg * w
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
        ('subgradient reg at w == 0 (np.where(w >= 0, reg, -reg))', '''
def l1_penalty(w, reg):
    return reg * float(np.sum(np.abs(w))), np.where(w >= 0, reg, -reg)
'''),
        ('np.linalg.norm(w, 1): the matrix 1-norm (largest column sum) for 2-D weights', '''
def l1_penalty(w, reg):
    return reg * float(np.linalg.norm(w, 1)), reg * np.sign(w)
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
        ("|w| in the L2 part's gradient", '''
def elastic_net(w, l1_reg, l2_reg):
    loss = l1_reg * float(np.sum(np.abs(w))) + 0.5 * l2_reg * float(np.sum(w * w))
    return loss, l1_reg * np.sign(w) + l2_reg * np.abs(w)
'''),
        ('accumulates the gradient into w in place', '''
def elastic_net(w, l1_reg, l2_reg):
    loss = l1_reg * float(np.sum(np.abs(w))) + 0.5 * l2_reg * float(np.sum(w * w))
    sign = np.sign(w)
    w *= l2_reg
    w += l1_reg * sign
    return loss, w
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
        ('compares the squared norm with c (not c^2)', '''
def max_norm_project(w, max_norm):
    sq = np.sum(w * w, axis=0, keepdims=True)
    return np.where(sq > max_norm, w * max_norm / np.sqrt(np.maximum(sq, 1e-24)), w)
'''),
        ('an epsilon in the division: c / (||w_j|| + 1e-8)', '''
def max_norm_project(w, max_norm):
    norms = np.linalg.norm(w, axis=0, keepdims=True)
    return w * np.minimum(1.0, max_norm / (norms + 1e-8))
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
        ('keeps a unit where the draw is >= 1 - p (another mask for the same seed)', '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = (rng.random(x.shape) >= 1 - p) / p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)
'''),
        ('draws the mask with rng.binomial (not the documented draw)', '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = rng.binomial(1, p, size=x.shape) / p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)
'''),
        ('applies the mask to x in place (x *= mask)', '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = (rng.random(x.shape) < p) / p
        x *= mask
        return x, (dropout_param, mask)
    return x, (dropout_param, None)
'''),
        ('one mask for the first axis only, broadcast over the rest', '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropout_param.get("seed"))
        mask = (rng.random(x.shape[-1:]) < p) / p * np.ones(x.shape)
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
        ('redraws the mask from the seed instead of reading the cache', '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        p = dropout_param["p"]
        return dout * (np.random.default_rng(dropout_param.get("seed")).random(dout.shape) < p) / p
    return dout
'''),
        ('multiplies dout in place (dout *= mask)', '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        dout *= mask
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
        ('scales by 1 - p (the drop probability)', '''
def vanilla_dropout_predict(X, params, p):
    h1 = np.maximum(0, X @ params["W1"] + params["b1"]) * (1 - p)
    h2 = np.maximum(0, h1 @ params["W2"] + params["b2"]) * (1 - p)
    return h2 @ params["W3"] + params["b3"]
'''),
        ('scales the product before adding the bias (the bias is not scaled)', '''
def vanilla_dropout_predict(X, params, p):
    h1 = np.maximum(0, p * (X @ params["W1"]) + params["b1"])
    h2 = np.maximum(0, p * (h1 @ params["W2"]) + params["b2"])
    return h2 @ params["W3"] + params["b3"]
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
        ('drops with probability p (p read as the drop probability)', '''
def dropconnect_forward(x, w, b, dropconnect_param):
    p, mode = dropconnect_param["p"], dropconnect_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropconnect_param.get("seed"))
        mask = (rng.random(w.shape) >= p) / (1 - p)
        return x @ (w * mask) + b, (x, w, b, mask)
    return x @ w + b, (x, w, b, None)
'''),
        ('masks w in place (w *= mask)', '''
def dropconnect_forward(x, w, b, dropconnect_param):
    p, mode = dropconnect_param["p"], dropconnect_param["mode"]
    if mode == "train":
        rng = np.random.default_rng(dropconnect_param.get("seed"))
        mask = (rng.random(w.shape) < p) / p
        w *= mask
        return x @ w + b, (x, w, b, mask)
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
        ('a tie with the best counts as an improvement (>=)', '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_score, self.best_epoch, self.best_params = -np.inf, -1, None
        self.num_bad_epochs, self.epoch = 0, -1

    def step(self, score, params):
        self.epoch += 1
        if score >= self.best_score + self.min_delta:
            self.best_score, self.best_epoch = score, self.epoch
            self.best_params = copy.deepcopy(params)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
'''),
        ('True only on the epoch the patience runs out (==)', '''
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
        return self.num_bad_epochs == self.patience
'''),
        ('min_delta ignored', '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_score, self.best_epoch, self.best_params = -np.inf, -1, None
        self.num_bad_epochs, self.epoch = 0, -1

    def step(self, score, params):
        self.epoch += 1
        if score > self.best_score:
            self.best_score, self.best_epoch = score, self.epoch
            self.best_params = copy.deepcopy(params)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
'''),
        ('the first epoch is always taken as the best (also a score of -inf)', '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_score, self.best_epoch, self.best_params = -np.inf, -1, None
        self.num_bad_epochs, self.epoch = 0, -1

    def step(self, score, params):
        self.epoch += 1
        if self.epoch == 0 or score > self.best_score + self.min_delta:
            self.best_score, self.best_epoch = score, self.epoch
            self.best_params = copy.deepcopy(params)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience
'''),
        ('default patience 10', '''
class EarlyStopping:
    def __init__(self, patience=10, min_delta=0.0):
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
        ("torch's convention: eps / K everywhere plus 1 - eps at the label", '''
def label_smoothing(y, num_classes, eps=0.1):
    return (1 - eps) * np.eye(num_classes)[y] + eps / num_classes
'''),
        ('no default for eps (eps=0.0)', '''
def label_smoothing(y, num_classes, eps=0.0):
    targets = np.full((len(y), num_classes), eps / (num_classes - 1))
    targets[np.arange(len(y)), y] = 1.0 - eps
    return targets
'''),
        ('float32 targets', '''
def label_smoothing(y, num_classes, eps=0.1):
    targets = np.full((len(y), num_classes), eps / (num_classes - 1), dtype=np.float32)
    targets[np.arange(len(y)), y] = 1.0 - eps
    return targets
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
        ('log of the shifted softmax: -inf where a probability underflows', '''
def soft_cross_entropy(scores, targets):
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = scores.shape[0]
    return float(-np.sum(targets * np.log(probs)) / n), (probs - targets) / n
'''),
        ('mean over all N * C entries', '''
def soft_cross_entropy(scores, targets):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(targets * log_probs)), (np.exp(log_probs) - targets) / scores.size
'''),
    ],
    "bias_variance_decomposition": [
        ("variance with ddof=1 (divides by B - 1)", '''
def bias_variance_decomposition(predictions, targets, truth=None):
    predictions = np.asarray(predictions, dtype=float)
    targets = np.asarray(targets, dtype=float)
    predictions = predictions.reshape(predictions.shape[0], predictions.shape[1], -1)
    targets = targets.reshape(targets.shape[0], -1)
    reference = targets if truth is None else np.asarray(truth, dtype=float).reshape(targets.shape)
    mean_prediction = predictions.mean(axis=0)
    mse = np.sum((predictions - targets) ** 2, axis=-1).mean()
    variance = np.var(predictions, axis=0, ddof=1).sum(axis=-1).mean()
    bias2 = np.sum((mean_prediction - reference) ** 2, axis=-1).mean()
    noise = np.sum((targets - reference) ** 2, axis=-1).mean()
    return float(mse), float(bias2), float(variance), float(noise)
'''),
        ("bias squared after averaging over the points", '''
def bias_variance_decomposition(predictions, targets, truth=None):
    predictions = np.asarray(predictions, dtype=float)
    targets = np.asarray(targets, dtype=float)
    predictions = predictions.reshape(predictions.shape[0], predictions.shape[1], -1)
    targets = targets.reshape(targets.shape[0], -1)
    reference = targets if truth is None else np.asarray(truth, dtype=float).reshape(targets.shape)
    mean_prediction = predictions.mean(axis=0)
    mse = np.sum((predictions - targets) ** 2, axis=-1).mean()
    variance = np.sum((predictions - mean_prediction) ** 2, axis=-1).mean()
    bias2 = float(np.sum(np.mean(mean_prediction - reference, axis=0) ** 2))
    noise = np.sum((targets - reference) ** 2, axis=-1).mean()
    return float(mse), float(bias2), float(variance), float(noise)
'''),
        ("variance around the targets instead of the mean prediction", '''
def bias_variance_decomposition(predictions, targets, truth=None):
    predictions = np.asarray(predictions, dtype=float)
    targets = np.asarray(targets, dtype=float)
    predictions = predictions.reshape(predictions.shape[0], predictions.shape[1], -1)
    targets = targets.reshape(targets.shape[0], -1)
    reference = targets if truth is None else np.asarray(truth, dtype=float).reshape(targets.shape)
    mean_prediction = predictions.mean(axis=0)
    mse = np.sum((predictions - targets) ** 2, axis=-1).mean()
    variance = np.sum((predictions - reference) ** 2, axis=-1).mean()
    bias2 = np.sum((mean_prediction - reference) ** 2, axis=-1).mean()
    noise = np.sum((targets - reference) ** 2, axis=-1).mean()
    return float(mse), float(bias2), float(variance), float(noise)
'''),
        ("mean prediction over the points (axis 1) instead of over the models", '''
def bias_variance_decomposition(predictions, targets, truth=None):
    predictions = np.asarray(predictions, dtype=float)
    targets = np.asarray(targets, dtype=float)
    predictions = predictions.reshape(predictions.shape[0], predictions.shape[1], -1)
    targets = targets.reshape(targets.shape[0], -1)
    reference = targets if truth is None else np.asarray(truth, dtype=float).reshape(targets.shape)
    mean_prediction = predictions.mean(axis=1, keepdims=True)
    mse = np.sum((predictions - targets) ** 2, axis=-1).mean()
    variance = np.sum((predictions - mean_prediction) ** 2, axis=-1).mean()
    bias2 = np.sum((mean_prediction - reference) ** 2, axis=-1).mean()
    noise = np.sum((targets - reference) ** 2, axis=-1).mean()
    return float(mse), float(bias2), float(variance), float(noise)
'''),
        ("mean over the K outputs instead of their sum", '''
def bias_variance_decomposition(predictions, targets, truth=None):
    predictions = np.asarray(predictions, dtype=float)
    targets = np.asarray(targets, dtype=float)
    reference = targets if truth is None else np.asarray(truth, dtype=float)
    mean_prediction = predictions.mean(axis=0)
    mse = np.mean((predictions - targets) ** 2)
    variance = np.mean((predictions - mean_prediction) ** 2)
    bias2 = np.mean((mean_prediction - reference) ** 2)
    noise = np.mean((targets - reference) ** 2)
    return float(mse), float(bias2), float(variance), float(noise)
'''),
        ("ignores truth: bias measured against the noisy targets, noise 0", '''
def bias_variance_decomposition(predictions, targets, truth=None):
    predictions = np.asarray(predictions, dtype=float)
    targets = np.asarray(targets, dtype=float)
    predictions = predictions.reshape(predictions.shape[0], predictions.shape[1], -1)
    targets = targets.reshape(targets.shape[0], -1)
    mean_prediction = predictions.mean(axis=0)
    mse = np.sum((predictions - targets) ** 2, axis=-1).mean()
    variance = np.sum((predictions - mean_prediction) ** 2, axis=-1).mean()
    bias2 = np.sum((mean_prediction - targets) ** 2, axis=-1).mean()
    return float(mse), float(bias2), float(variance), 0.0
'''),
        ("noise as the remainder mse - bias2 - variance (the cross term is not 0 on a sample)", '''
def bias_variance_decomposition(predictions, targets, truth=None):
    predictions = np.asarray(predictions, dtype=float)
    targets = np.asarray(targets, dtype=float)
    predictions = predictions.reshape(predictions.shape[0], predictions.shape[1], -1)
    targets = targets.reshape(targets.shape[0], -1)
    reference = targets if truth is None else np.asarray(truth, dtype=float).reshape(targets.shape)
    mean_prediction = predictions.mean(axis=0)
    mse = np.sum((predictions - targets) ** 2, axis=-1).mean()
    variance = np.sum((predictions - mean_prediction) ** 2, axis=-1).mean()
    bias2 = np.sum((mean_prediction - reference) ** 2, axis=-1).mean()
    return float(mse), float(bias2), float(variance), float(mse - bias2 - variance)
'''),
    ],
}

ALTERNATIVES = {
    "l2_penalty": [
        ('np.vdot of the flattened weights, w * reg', '''
def l2_penalty(w, reg):
    loss = reg * float(np.vdot(w, w)) / 2
    return loss, w * reg
'''),
    ],
    "l1_penalty": [
        ('np.where for the subgradient, sum of |w| via .sum()', '''
def l1_penalty(w, reg):
    dw = np.where(w > 0, 1.0, np.where(w < 0, -1.0, 0.0)) * reg
    return float(reg * np.abs(w).sum()), dw
'''),
    ],
    "elastic_net": [
        ('norms of the flattened weights: ||w||_1 and ||w||_2^2', '''
def elastic_net(w, l1_reg, l2_reg):
    flat = np.ravel(w)
    loss = l1_reg * np.linalg.norm(flat, 1) + 0.5 * l2_reg * np.linalg.norm(flat) ** 2
    return float(loss), np.sign(w) * l1_reg + w * l2_reg
'''),
    ],
    "max_norm_project": [
        ('divide by max(1, ||w_j|| / c)', '''
def max_norm_project(w, max_norm):
    norms = np.sqrt(np.sum(w ** 2, axis=0))
    return w / np.maximum(1.0, norms / max_norm)
'''),
        ('loop over the columns, copy first', '''
def max_norm_project(w, max_norm):
    out = np.array(w, dtype=float)
    for j in range(out.shape[1]):
        norm = np.linalg.norm(out[:, j])
        if norm > max_norm:
            out[:, j] *= max_norm / norm
    return out
'''),
    ],
    "dropout_forward": [
        ('rng.uniform draws, np.where for the output, a copy at test time', '''
def dropout_forward(x, dropout_param):
    p = dropout_param["p"]
    if dropout_param["mode"] != "train":
        return x.copy(), (dropout_param, None)
    keep = np.random.default_rng(dropout_param.get("seed")).uniform(size=x.shape) < p
    mask = np.where(keep, 1.0 / p, 0.0)
    return np.where(keep, x / p, 0.0), (dropout_param, mask)
'''),
    ],
    "dropout_backward": [
        ('tests the cached mask for None instead of the mode', '''
def dropout_backward(dout, cache):
    _, mask = cache
    if mask is None:
        return dout.copy()
    return np.multiply(dout, mask)
'''),
    ],
    "vanilla_dropout_predict": [
        ("scales the next layer's weights by p instead of the activations", '''
def vanilla_dropout_predict(X, params, p):
    relu = lambda z: np.maximum(z, 0.0)
    h1 = relu(X @ params["W1"] + params["b1"])
    h2 = relu(h1 @ (p * params["W2"]) + params["b2"])
    return h2 @ (p * params["W3"]) + params["b3"]
'''),
    ],
    "dropconnect_forward": [
        ('boolean keep pattern, the 1/p applied after the product', '''
def dropconnect_forward(x, w, b, dropconnect_param):
    p = dropconnect_param["p"]
    if dropconnect_param["mode"] == "test":
        return np.dot(x, w) + b, (x, w, b, None)
    keep = np.random.default_rng(dropconnect_param.get("seed")).random(w.shape) < p
    out = np.dot(x, np.where(keep, w, 0.0)) / p + b
    return out, (x, w, b, keep / p)
'''),
    ],
    "early_stopping": [
        ('a history of scores; epochs since the best computed from it; dict of array copies', '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.scores = []
        self.best_score = float("-inf")
        self.best_epoch = -1
        self.best_params = None

    def step(self, score, params):
        self.scores.append(score)
        if score - self.best_score > self.min_delta:
            self.best_score = score
            self.best_epoch = len(self.scores) - 1
            self.best_params = {name: np.array(value, copy=True) for name, value in params.items()}
        since_best = len(self.scores) - 1 - self.best_epoch
        return since_best >= self.patience
'''),
    ],
    "label_smoothing": [
        ('np.eye rows mixed with the off-label value', '''
def label_smoothing(y, num_classes, eps=0.1):
    off = eps / (num_classes - 1)
    one_hot = np.eye(num_classes)[np.asarray(y, dtype=np.intp)]
    return np.where(one_hot == 1, 1.0 - eps, off)
'''),
    ],
    "soft_cross_entropy": [
        ('log-sum-exp with the max added back, probabilities from it', '''
def soft_cross_entropy(scores, targets):
    m = np.max(scores, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(scores - m), axis=1, keepdims=True))
    log_probs = scores - lse
    n = len(scores)
    loss = -np.sum(targets * log_probs, axis=1).mean()
    return float(loss), (np.exp(log_probs) - targets) / n
'''),
    ],
    "bias_variance_decomposition": [
        ('E[p^2] - E[p]^2 for the variance, sums divided by counts, np.newaxis for K = 1', '''
def bias_variance_decomposition(predictions, targets, truth=None):
    P = np.array(predictions, dtype=float)
    T = np.array(targets, dtype=float)
    if T.ndim == 1:
        P, T = P[..., np.newaxis], T[:, np.newaxis]
    F = T if truth is None else np.array(truth, dtype=float).reshape(T.shape)
    b, n = P.shape[0], P.shape[1]
    p_bar = P.sum(axis=0) / b
    variance = ((P ** 2).sum(axis=0) / b - p_bar ** 2).sum() / n
    bias2 = ((p_bar - F) ** 2).sum() / n
    mse = ((P - T) ** 2).sum() / (b * n)
    noise = ((T - F) ** 2).sum() / n
    return float(mse), float(bias2), float(variance), float(noise)
'''),
        ('a loop over the models, np.var and einsum', '''
def bias_variance_decomposition(predictions, targets, truth=None):
    predictions = np.asarray(predictions, dtype=float)
    targets = np.asarray(targets, dtype=float)
    if targets.ndim == 1:
        predictions = predictions[:, :, None]
        targets = targets[:, None]
        if truth is not None:
            truth = np.asarray(truth, dtype=float)[:, None]
    truth = targets if truth is None else np.asarray(truth, dtype=float)
    n = targets.shape[0]
    total = 0.0
    for model_predictions in predictions:
        diff = model_predictions - targets
        total += np.einsum("nk,nk->", diff, diff)
    mse = total / (len(predictions) * n)
    variance = np.var(predictions, axis=0).sum() / n
    gap = predictions.mean(axis=0) - truth
    bias2 = np.einsum("nk,nk->", gap, gap) / n
    noise = np.einsum("nk,nk->", targets - truth, targets - truth) / n
    return float(mse), float(bias2), float(variance), float(noise)
'''),
    ],
}

EQUIVALENT_MUTANTS = {
    "max_norm_project": {
        'norms = np.linalg.norm(w, axis=0, keepdims=True): keepdims toggled': 'axis-0 norms of (D, M) weights: shape (M,) broadcasts against w exactly like (1, M)',
        'norms = np.linalg.norm(w, axis=0, keepdims=True): True -> False': 'the same keepdims flip: (M,) norms broadcast against (D, M) weights exactly like (1, M)',
        'return w * np.minimum(1.0, max_norm / np.maximum(norms, 1e-12)): 1e-12 -> 5e-13': "the zero-norm guard changes the result only for c < 1e-12, below the docstring's bound c >= 1e-12",
    },
    "dropout_forward": {
        'mask = (rng.random(x.shape) < p) / p: < -> <=': "a uniform draw equals p with probability ~0 (measure zero): '< p' and '<= p' give the same masks",
    },
    "dropconnect_forward": {
        'mask = (rng.random(w.shape) < p) / p: < -> <=': "a uniform draw equals p with probability ~0 (measure zero): '< p' and '<= p' give the same masks",
    },
}
