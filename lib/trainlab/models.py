"""A fully connected net of any depth built from the layers in ``trainlab.layers``.

Model contract: ``params`` dict; ``loss(X)`` returns scores, ``loss(X, y)`` returns
``(loss, grads)`` with ``grads`` keyed like ``params``.
"""
import numpy as np

from trainlab import layers
from trainlab.init import init_weights
from trainlab.losses import softmax_loss


class FullyConnectedNet:
    """{affine - activation} x (L - 1) - affine - softmax, with L2 regularization.

    Args:
        hidden_dims: list of hidden layer sizes.
        input_dim: D, size of each (flattened) input.
        num_classes: C.
        activation: one of layers.ACTIVATIONS ("relu", "tanh", "sigmoid", "leaky_relu", "elu").
        init: a scheme of trainlab.init (e.g. "he", "xavier", "small_random"); if
            ``weight_scale`` is given, Gaussian weights with that std are used instead.
        weight_scale: optional std of the Gaussian weights.
        reg: L2 strength lambda; the loss adds 0.5 * reg * sum(W^2) over weight matrices.
        seed: seed for the weights.
    """

    def __init__(self, hidden_dims, input_dim, num_classes=10, activation="relu",
                 init="he", weight_scale=None, reg=0.0, seed=0, dtype=np.float64):
        if activation not in layers.ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(layers.ACTIVATIONS)}")
        self.activation = activation
        self.reg = reg
        self.num_layers = len(hidden_dims) + 1
        self.dtype = dtype
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

    def scores(self, X):
        """Class scores (N, C) for inputs X (N, ...)."""
        return self._forward(X)[0]

    def predict(self, X):
        """Predicted labels (N,)."""
        return self.scores(X).argmax(axis=1)

    def loss(self, X, y=None):
        """Scores (N, C) when y is None, else (loss, grads) with grads keyed like params."""
        scores, caches = self._forward(X)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dout = dscores
        for i in range(self.num_layers, 0, -1):
            if i == self.num_layers:
                dout, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_backward(dout, caches[i])
            else:
                dout, grads[f"W{i}"], grads[f"b{i}"] = layers.affine_activation_backward(dout, caches[i])
            w = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(w * w)
            grads[f"W{i}"] += self.reg * w
        return loss, grads

    def _forward(self, X):
        """Forward pass; returns scores and the per-layer caches keyed by layer number."""
        out = X.astype(self.dtype).reshape(X.shape[0], -1)
        caches = {}
        for i in range(1, self.num_layers):
            out, caches[i] = layers.affine_activation_forward(
                out, self.params[f"W{i}"], self.params[f"b{i}"], self.activation)
        last = self.num_layers
        scores, caches[last] = layers.affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])
        return scores, caches
