"""Regularization: weight penalties with their gradients, max-norm, early stopping, label
smoothing, the non-inverted ("vanilla") dropout, update-rule wrappers that apply them, the
bias/variance decomposition of the squared error, and a net with a linear bottleneck.

Weights are (D, M) as in ``trainlab.layers.affine_forward``: column j holds the incoming
weights of neuron j. Penalties return ``(loss, dw)``; the loss is added to the data loss
and ``dw`` to the data gradient.
"""
import copy

import numpy as np

from trainlab import layers, losses


def l2_penalty(w, reg):
    """L2 penalty R = 1/2 * reg * sum(w^2); the 1/2 makes the gradient simply reg * w.

    Args:
        w: weights of any shape.
        reg: strength lambda >= 0.
    Returns:
        loss: float; dw: shaped like w.
    """
    return 0.5 * reg * float(np.sum(w * w)), reg * w


def l1_penalty(w, reg):
    """L1 penalty R = reg * sum|w|, with the subgradient reg * sign(w) (0 at w = 0).

    Args:
        w: weights of any shape.
        reg: strength lambda >= 0.
    Returns:
        loss: float; dw: shaped like w.
    """
    return reg * float(np.sum(np.abs(w))), reg * np.sign(w)


def elastic_net(w, l1_reg, l2_reg):
    """Elastic net R = l1_reg * sum|w| + 1/2 * l2_reg * sum(w^2): the sum of the two penalties.

    Returns:
        loss: float; dw: shaped like w.
    """
    loss1, dw1 = l1_penalty(w, l1_reg)
    loss2, dw2 = l2_penalty(w, l2_reg)
    return loss1 + loss2, dw1 + dw2


PENALTIES = {"l2": l2_penalty, "l1": l1_penalty}


def max_norm_project(w, max_norm):
    """Clamp every neuron's incoming weight vector (a column of w) to L2 norm <= max_norm.

    Columns already inside the ball are left exactly as they are.

    Args:
        w: (D, M) weights; column j is the incoming weight vector of neuron j.
        max_norm: the bound c > 0 (typical values 3 or 4).
    Returns:
        (D, M) projected weights (a new array).
    """
    norms = np.linalg.norm(w, axis=0, keepdims=True)
    # min(1, c / ||w_j||): only columns that are too long shrink; the guard avoids 0/0
    scale = np.minimum(1.0, max_norm / np.maximum(norms, 1e-12))
    return w * scale


def with_penalty(rule, penalty="l2", reg=0.0, include_biases=False):
    """Wrap an update rule so that it adds a penalty's gradient to the weights' gradient.

    Weight matrices are told apart from biases by their number of dimensions (>= 2).

    Args:
        rule: an update rule ``next_w, config = rule(w, dw, config)`` (trainlab.optim).
        penalty: "l2" or "l1", or a function ``(w, reg) -> (loss, dw)``.
        reg: strength lambda.
        include_biases: also penalize 1-D parameters (biases).
    Returns:
        an update rule with the same interface.
    """
    penalty_fn = PENALTIES[penalty] if isinstance(penalty, str) else penalty

    def regularized(w, dw, config=None):
        if w.ndim >= 2 or include_biases:
            dw = dw + penalty_fn(w, reg)[1]
        return rule(w, dw, config)

    return regularized


def with_max_norm(rule, max_norm):
    """Wrap an update rule so that every weight matrix is projected with max_norm_project after the step."""

    def projected(w, dw, config=None):
        next_w, config = rule(w, dw, config)
        if next_w.ndim == 2:
            next_w = max_norm_project(next_w, max_norm)
        return next_w, config

    return projected


class EarlyStopping:
    """Stop when a validation score has not improved for ``patience`` epochs; keep the best snapshot.

    Higher scores are better (pass -loss to watch a loss).

    Args:
        patience: epochs without improvement tolerated before stopping.
        min_delta: an improvement must beat the best score by more than this.

    Attributes:
        best_score: the best score seen (-inf before the first step).
        best_epoch: the 0-based epoch of the best score (-1 before the first step).
        best_params: a deep copy of the parameters at the best epoch (None before).
        num_bad_epochs: epochs since the last improvement.
    """

    def __init__(self, patience=5, min_delta=0.0):
        self.patience = patience
        self.min_delta = min_delta
        self.best_score = -np.inf
        self.best_epoch = -1
        self.best_params = None
        self.num_bad_epochs = 0
        self.epoch = -1

    def step(self, score, params):
        """Record this epoch's score and parameters; return True when training should stop.

        Args:
            score: float, validation score of this epoch (higher is better).
            params: dict of arrays; copied (not referenced) when it is the best so far,
                because the trainer keeps updating the same arrays in place.
        Returns:
            bool: True once ``patience`` epochs in a row brought no improvement.
        """
        self.epoch += 1
        if score > self.best_score + self.min_delta:
            self.best_score = score
            self.best_epoch = self.epoch
            self.best_params = copy.deepcopy(params)
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        return self.num_bad_epochs >= self.patience


def ema_smooth(values, beta=0.8):
    """Exponential moving average with bias correction, for reading noisy validation curves.

    s_t = beta * s_{t-1} + (1 - beta) * v_t, reported as s_t / (1 - beta^(t+1)).

    Args:
        values: (T,) sequence.
        beta: smoothing in [0, 1); 0 returns the values unchanged.
    Returns:
        (T,) float array.
    """
    out = np.empty(len(values))
    s = 0.0
    for t, v in enumerate(values):
        s = beta * s + (1 - beta) * v
        out[t] = s / (1 - beta ** (t + 1))
    return out


def label_smoothing(y, num_classes, eps=0.1):
    """Smoothed one-hot targets: 1 - eps at the true class, eps / (K - 1) at each other class.

    Args:
        y: (N,) integer labels in [0, K).
        num_classes: K >= 2.
        eps: smoothing in [0, 1); 0 gives one-hot targets.
    Returns:
        (N, K) float64 targets; each row sums to 1.
    """
    y = np.asarray(y)
    targets = np.full((len(y), num_classes), eps / (num_classes - 1))
    targets[np.arange(len(y)), y] = 1.0 - eps
    return targets


def vanilla_dropout_forward(x, dropout_param):
    """Non-inverted dropout: drop units in training, scale by the keep probability p at test time.

    Args:
        x: input of any shape.
        dropout_param: dict with p (keep probability), mode ("train" or "test"), optional seed.
    Returns:
        out: shaped like x; cache: (dropout_param, mask) with the 0/1 mask (None in test mode).
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        mask = np.random.default_rng(dropout_param.get("seed")).random(x.shape) < p
        return x * mask, (dropout_param, mask)
    if mode == "test":
        return x * p, (dropout_param, None)
    raise ValueError(f"dropout mode must be 'train' or 'test', got {mode!r}")


def vanilla_dropout_predict(X, params, p):
    """Test-time forward pass of the lectures' 3-layer net trained with vanilla dropout.

    affine - ReLU - (dropout) - affine - ReLU - (dropout) - affine: at test time every hidden
    activation is multiplied by p, so that it equals its expected value during training.

    Args:
        X: (N, D) inputs (dropout was not applied to the inputs).
        params: dict W1 (D, H1), b1 (H1,), W2 (H1, H2), b2 (H2,), W3 (H2, C), b3 (C,).
        p: keep probability used in training.
    Returns:
        scores: (N, C).
    """
    h1 = np.maximum(0, X @ params["W1"] + params["b1"]) * p
    h2 = np.maximum(0, h1 @ params["W2"] + params["b2"]) * p
    return h2 @ params["W3"] + params["b3"]


def vanilla_dropout_train_scores(X, params, p, rng):
    """Training-time forward pass of the same net, with fresh 0/1 dropout masks (no rescaling).

    Returns:
        scores: (N, C), one random draw of the thinned network.
    """
    h1 = np.maximum(0, X @ params["W1"] + params["b1"]) * (rng.random((X.shape[0], params["W1"].shape[1])) < p)
    h2 = np.maximum(0, h1 @ params["W2"] + params["b2"]) * (rng.random((X.shape[0], params["W2"].shape[1])) < p)
    return h2 @ params["W3"] + params["b3"]


def inverted_dropout_train_scores(X, params, p, rng):
    """Training-time forward pass of the 3-layer net with inverted dropout (trainlab.layers).

    Returns:
        scores: (N, C), one random draw; at test time the plain forward pass is used.
    """
    seeds = rng.integers(2**32, size=2)
    h1, _ = layers.dropout_forward(np.maximum(0, X @ params["W1"] + params["b1"]),
                                   {"p": p, "mode": "train", "seed": int(seeds[0])})
    h2, _ = layers.dropout_forward(np.maximum(0, h1 @ params["W2"] + params["b2"]),
                                   {"p": p, "mode": "train", "seed": int(seeds[1])})
    return h2 @ params["W3"] + params["b3"]


def ema_update(ema_params, params, decay=0.995, ema_bn_params=None, bn_params=None):
    """One step of Polyak averaging: x_ema = decay * x_ema + (1 - decay) * x, in place.

    What ``callbacks.EMA`` does after every update, for the weights and for batchnorm's running
    statistics (the averaged weights need statistics that match them; ``update_bn`` recomputes
    them instead).

    Args:
        ema_params: dict name -> float array, the averages; each entry is updated (written into
            the array or replaced by a new one: both are fine).
        params: dict with the same names and shapes, the current weights (not modified).
        decay: in [0, 1]; 0.995 averages over about the last 1 / (1 - decay) = 200 updates.
        ema_bn_params, bn_params: optional lists of batchnorm dicts (one per layer, as
            ``model.bn_params``) with "running_mean" and "running_var"; when given, both of
            ema_bn_params' statistics are averaged the same way (other keys left as they are),
            bn_params not modified.
    Returns:
        None.
    """
    for name, avg in ema_params.items():
        avg *= decay
        avg += (1 - decay) * params[name]
    if ema_bn_params is not None:
        for avg, cur in zip(ema_bn_params, bn_params):
            for key in ("running_mean", "running_var"):
                if cur.get(key) is not None:  # a layer that has not trained yet has no statistics
                    avg[key] = decay * avg[key] + (1 - decay) * cur[key]


def bias_variance_decomposition(predictions, targets, truth=None):
    """Split the squared error of models trained on different training sets into bias^2 and variance.

    predictions[b] are the predictions of the model trained on training set b (e.g. a bootstrap
    sample) at the same N test points. With p_bar = the mean prediction over the B models (at each
    point), ||.||^2 the squared error summed over the K outputs and every term averaged over the N
    points (and the mean over models taken with ddof=0, i.e. divided by B):

        mse      = mean_n mean_b ||predictions[b, n] - targets[n]||^2
        variance = mean_n mean_b ||predictions[b, n] - p_bar[n]||^2
        bias2    = mean_n ||p_bar[n] - reference[n]||^2,   reference = targets, or truth if given
        noise    = mean_n ||targets[n] - truth[n]||^2,     0.0 without truth

    Without truth the targets are taken as the truth: the noise of the targets cannot be told apart
    from the bias and is included in bias2, and mse = bias2 + variance holds exactly (to rounding).
    With the noise-free truth (a problem whose true function is known), bias2 is measured against it
    and mse = bias2 + variance + noise holds in expectation over the noise, not exactly on a sample.

    Args:
        predictions: (B, N) or (B, N, K) float array, B >= 1 models, N >= 1 points, K >= 1 outputs.
        targets: (N,) with (B, N) predictions, (N, K) with (B, N, K).
        truth: optional, shaped like targets.
    Returns:
        (mse, bias2, variance, noise): four floats. No input is modified.
    """
    predictions = np.asarray(predictions, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    # one output per point, (B, N) and (N,), is the case K = 1
    predictions = predictions.reshape(predictions.shape[0], predictions.shape[1], -1)
    targets = targets.reshape(targets.shape[0], -1)
    reference = targets if truth is None else np.asarray(truth, dtype=np.float64).reshape(targets.shape)
    mean_prediction = predictions.mean(axis=0)
    mse = np.sum((predictions - targets) ** 2, axis=2).mean()
    variance = np.sum((predictions - mean_prediction) ** 2, axis=2).mean()
    bias2 = np.sum((mean_prediction - reference) ** 2, axis=1).mean()
    noise = np.sum((targets - reference) ** 2, axis=1).mean()  # 0 when the targets are the truth
    return float(mse), float(bias2), float(variance), float(noise)


class BottleneckNet:
    """A ReLU net whose weight matrix ``layer`` is factored through a linear bottleneck of k units.

    {affine - ReLU} x (L - 1) - affine - softmax, as ``models.FullyConnectedNet``, except that the
    affine layer number ``layer`` (1-based) computes x @ U @ V + b: a layer of k units with no bias
    and no nonlinearity is inserted before it, so its weight matrix W = U V has rank <= k and
    k * (fan_in + fan_out) parameters instead of fan_in * fan_out. No weight penalty.

    Args:
        hidden_dims: list of hidden layer sizes.
        input_dim: D.
        num_classes: C.
        bottleneck: k >= 1.
        layer: which weight matrix to factor, 1..len(hidden_dims) + 1.
        seed: seed for the weights.

    Attributes:
        params: W{i}, b{i} for the ordinary layers; U{layer} (fan_in, k), V{layer} (k, fan_out),
            b{layer} for the factored one. U ~ N(0, 1/fan_in) and V ~ N(0, 2/k), so that U V has the
            He variance 2/fan_in of an ordinary layer.
    """

    def __init__(self, hidden_dims, input_dim, num_classes=10, bottleneck=16, layer=2, seed=0):
        self.num_layers = len(hidden_dims) + 1
        if not 1 <= layer <= self.num_layers:
            raise ValueError(f"layer must be in 1..{self.num_layers}, got {layer}")
        self.layer = layer
        rng = np.random.default_rng(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            if i == layer:
                self.params[f"U{i}"] = rng.standard_normal((fan_in, bottleneck)) / np.sqrt(fan_in)
                self.params[f"V{i}"] = rng.standard_normal((bottleneck, fan_out)) * np.sqrt(2.0 / bottleneck)
            else:
                self.params[f"W{i}"] = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            self.params[f"b{i}"] = np.zeros(fan_out)

    def scores(self, X):
        """Class scores (N, C)."""
        return self._forward(X)[0]

    def predict(self, X):
        """Predicted labels (N,)."""
        return self.scores(X).argmax(axis=1)

    def loss(self, X, y=None):
        """Scores (N, C) when y is None, else (softmax loss, grads) with grads keyed like params."""
        scores, caches = self._forward(X)
        if y is None:
            return scores
        loss, dout = losses.softmax_loss(scores, y)
        grads = {}
        for i in range(self.num_layers, 0, -1):
            if i == self.num_layers:
                dout, dw, grads[f"b{i}"] = layers.affine_backward(dout, caches[i])
            else:
                dout, dw, grads[f"b{i}"] = layers.affine_activation_backward(dout, caches[i])
            if i == self.layer:
                z_in = caches[f"z{i}"]
                grads[f"V{i}"] = dw
                grads[f"U{i}"] = z_in.T @ dout
                dout = dout @ self.params[f"U{i}"].T
            else:
                grads[f"W{i}"] = dw
        return loss, grads

    def _forward(self, X):
        out = np.asarray(X, dtype=np.float64).reshape(X.shape[0], -1)
        caches = {}
        for i in range(1, self.num_layers + 1):
            if i == self.layer:
                caches[f"z{i}"] = out
                w = self.params[f"V{i}"]
                out = out @ self.params[f"U{i}"]
            else:
                w = self.params[f"W{i}"]
            if i == self.num_layers:
                out, caches[i] = layers.affine_forward(out, w, self.params[f"b{i}"])
            else:
                out, caches[i] = layers.affine_activation_forward(out, w, self.params[f"b{i}"], "relu")
        return out, caches
