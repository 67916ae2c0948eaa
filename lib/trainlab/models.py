"""A fully connected net of any depth built from the layers in ``trainlab.layers``.

Model contract: ``params`` dict; ``loss(X)`` returns scores, ``loss(X, y)`` returns
``(loss, grads)`` with ``grads`` keyed like ``params``.
"""
import numpy as np

from trainlab import layers
from trainlab.init import init_weights
from trainlab.losses import softmax_loss
from trainlab.regularization import l2_penalty


class FullyConnectedNet:
    """{affine - activation} x (L - 1) - affine - softmax, with L2 regularization.

    Args:
        hidden_dims: list of hidden layer sizes.
        input_dim: D, size of each (flattened) input.
        num_classes: C.
        activation: one of layers.ACTIVATIONS ("relu", "tanh", "sigmoid", "leaky_relu", "elu"),
            or "prelu": a learnable slope per hidden unit, ``params["a{i}"]`` of shape
            (hidden_dims[i - 1],), updated by the solver like the weights and never
            L2-regularized (as He et al. 2015 train it); no normalization with it.
        prelu_init: the initial value of every PReLU slope (0.25, He et al.'s choice).
        init: a scheme of trainlab.init (e.g. "he", "xavier", "small_random"); if
            ``weight_scale`` is given, Gaussian weights with that std are used instead.
        weight_scale: optional std of the Gaussian weights.
        reg: L2 strength lambda; the loss adds 0.5 * reg * sum(W^2) over weight matrices.
        seed: seed for the weights (and for the dropout masks).
        dropout: keep probability p of inverted dropout after every hidden activation
            (None: no dropout). Active in ``loss(X, y)`` (training), off in ``loss(X)``,
            ``scores`` and ``predict``. Set ``dropout_param["seed"]`` to fix the masks.
        normalization: None, "batchnorm" or "layernorm", between each hidden affine layer
            and its activation, with learnable ``gamma{i}``, ``beta{i}`` (ones, zeros) in
            ``params`` and one dict per hidden layer in ``bn_params`` (batchnorm's running
            statistics). ``loss(X, y)`` runs in train mode (batch statistics, running
            averages updated); ``loss(X)``, ``scores`` and ``predict`` in test mode.
    """

    def __init__(self, hidden_dims, input_dim, num_classes=10, activation="relu",
                 init="he", weight_scale=None, reg=0.0, seed=0, dtype=np.float64, dropout=None,
                 normalization=None, prelu_init=0.25):
        if activation not in layers.ACTIVATIONS and activation != "prelu":
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(layers.ACTIVATIONS)} "
                             "or 'prelu'")
        if activation == "prelu" and normalization is not None:
            raise ValueError("activation 'prelu' is supported without normalization only")
        self.activation = activation
        self.reg = reg
        self.num_layers = len(hidden_dims) + 1
        self.dtype = dtype
        self.dropout_param = None if dropout is None else {"p": dropout, "mode": "train"}
        self._dropout_rng = np.random.default_rng([seed, 1])  # fresh masks every training pass
        rng = np.random.default_rng(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:]), start=1):
            if weight_scale is None:
                w = init_weights(fan_in, fan_out, init, rng)
            else:
                w = weight_scale * rng.standard_normal((fan_in, fan_out))
            self.params[f"W{i}"] = w.astype(dtype)
            self.params[f"b{i}"] = np.zeros(fan_out, dtype=dtype)
        if normalization not in (None, *layers.NORMALIZATIONS):
            raise ValueError(f"unknown normalization {normalization!r}; choose None or one of "
                             f"{sorted(layers.NORMALIZATIONS)}")
        self.normalization = normalization
        self.bn_params = [] if normalization is None else [{"mode": "train"} for _ in hidden_dims]
        for i, dim in enumerate(hidden_dims if normalization else [], start=1):
            self.params[f"gamma{i}"] = np.ones(dim, dtype=dtype)
            self.params[f"beta{i}"] = np.zeros(dim, dtype=dtype)
        for i, dim in enumerate(hidden_dims if activation == "prelu" else [], start=1):
            self.params[f"a{i}"] = np.full(dim, prelu_init, dtype=dtype)

    def scores(self, X):
        """Class scores (N, C) for inputs X (N, ...)."""
        return self._forward(X)[0]

    def predict(self, X):
        """Predicted labels (N,)."""
        return self.scores(X).argmax(axis=1)

    def hidden_activations(self, X):
        """Output of every hidden layer (after its activation) in test mode: list of (N, H_l), layer 1 first."""
        _, caches = self._forward(X)
        # the input of affine layer i + 1 is the output of hidden layer i
        return [caches[i][0] if i == self.num_layers else caches[i][0][0] for i in range(2, self.num_layers + 1)]

    def loss(self, X, y=None):
        """Scores (N, C) when y is None, else (loss, grads) with grads keyed like params."""
        scores, caches = self._forward(X, mode="test" if y is None else "train")
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        return self._backward(loss, dscores, caches)

    def _backward(self, loss, dscores, caches):
        """Backward pass from dscores (N, C) through the caches of ``_forward(X, "train")``.

        Returns loss plus the L2 penalties, and grads keyed like params. The input gradient of the
        first layer is never needed, so it is not computed (a third of the backward's products).
        """
        grads = {}
        dout = dscores
        for i in range(self.num_layers, 0, -1):
            need_dx = i > 1
            if i == self.num_layers:
                if need_dx:
                    dout, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_backward(dout, caches[i])
                else:
                    grads[f"W{i}"], grads[f"b{i}"] = layers.affine_param_backward(dout, caches[i])
            else:
                if f"dropout{i}" in caches:
                    dout = layers.dropout_backward(dout, caches[f"dropout{i}"])
                if self.activation == "prelu":
                    fc_cache, prelu_cache, _ = caches[i]
                    dout, grads[f"a{i}"] = layers.prelu_backward(dout, prelu_cache)
                    if need_dx:
                        dout, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_backward(dout, fc_cache)
                    else:
                        grads[f"W{i}"], grads[f"b{i}"] = layers.affine_param_backward(dout, fc_cache)
                elif self.normalization is None:
                    dout, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_activation_backward(
                        dout, caches[i], need_dx=need_dx)
                else:
                    (dout, grads[f"W{i}"], grads[f"b{i}"], grads[f"gamma{i}"],
                     grads[f"beta{i}"]) = layers.affine_norm_activation_backward(dout, caches[i], need_dx=need_dx)
            w = self.params[f"W{i}"]
            penalty, dpenalty = l2_penalty(w, self.reg)
            loss += penalty
            grads[f"W{i}"] += dpenalty
        return loss, grads

    def _forward(self, X, mode="test"):
        """Forward pass in "train" or "test" mode; returns scores and the per-layer caches keyed by layer number."""
        out = X.astype(self.dtype, copy=False).reshape(X.shape[0], -1)  # no copy of a batch already in dtype
        caches = {}
        for i in range(1, self.num_layers):
            if self.activation == "prelu":
                # the same cache layout as affine_activation_forward: (fc_cache, act_cache, activation)
                pre, fc_cache = layers.affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
                out, prelu_cache = layers.prelu_forward(pre, self.params[f"a{i}"])
                caches[i] = (fc_cache, prelu_cache, "prelu")
            elif self.normalization is None:
                out, caches[i] = layers.affine_activation_forward(
                    out, self.params[f"W{i}"], self.params[f"b{i}"], self.activation)
            else:
                self.bn_params[i - 1]["mode"] = mode  # batch statistics only while training
                out, caches[i] = layers.affine_norm_activation_forward(
                    out, self.params[f"W{i}"], self.params[f"b{i}"], self.params[f"gamma{i}"],
                    self.params[f"beta{i}"], self.bn_params[i - 1], self.normalization, self.activation)
            if self.dropout_param is not None and mode == "train":
                param = dict(self.dropout_param, mode="train")
                # a fixed seed (gradient checks) still gives each layer its own mask
                param["seed"] = param["seed"] + i if "seed" in param else int(self._dropout_rng.integers(2**32))
                out, caches[f"dropout{i}"] = layers.dropout_forward(out, param)
        last = self.num_layers
        scores, caches[last] = layers.affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])
        return scores, caches
