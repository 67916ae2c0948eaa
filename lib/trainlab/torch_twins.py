"""PyTorch side of the optional comparisons: device choice and numpy <-> torch helpers.

Imports torch lazily so the rest of the library works without it.
"""
import numpy as np


def torch_or_none():
    """The torch module, or None (with a message saying how to get it) when not installed."""
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: skipping the PyTorch comparison "
              "(install it with `pip install torch==2.13.0`).")
        return None
    return torch


def get_device():
    """Best available torch device: cuda, then mps, then cpu."""
    import torch
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def to_torch(x, device=None, requires_grad=False):
    """float64 torch tensor from a numpy array (float64 when the device supports it)."""
    import torch
    device = device or get_device()
    dtype = torch.float32 if device.type == "mps" else torch.float64
    return torch.tensor(np.asarray(x), dtype=dtype, device=device, requires_grad=requires_grad)


def to_numpy(t):
    """numpy array from a torch tensor on any device."""
    return t.detach().cpu().numpy()


def fully_connected_twin(model, device=None):
    """A torch.nn.Sequential computing the same scores as a trainlab ``FullyConnectedNet``.

    Linear layers with the numpy net's weights (``Linear.weight`` is ``W.T``) and the same
    activation modules, in float64 (float32 on mps); no normalization or dropout.

    Args:
        model: a trainlab.models.FullyConnectedNet without normalization and dropout.
        device: torch device (None: ``get_device()``).
    Returns:
        torch.nn.Sequential.
    """
    import torch

    if getattr(model, "normalization", None) or getattr(model, "dropout_param", None):
        raise ValueError("fully_connected_twin copies nets without normalization and dropout")
    modules = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
               "leaky_relu": lambda: torch.nn.LeakyReLU(0.01), "elu": torch.nn.ELU}
    device = device or get_device()
    layers = []
    for i in range(1, model.num_layers + 1):
        w, b = model.params[f"W{i}"], model.params[f"b{i}"]
        linear = torch.nn.Linear(*w.shape)
        with torch.no_grad():
            linear.weight = torch.nn.Parameter(to_torch(w.T, device))
            linear.bias = torch.nn.Parameter(to_torch(b, device))
        layers.append(linear)
        if i < model.num_layers:
            layers.append(modules[model.activation]())
    return torch.nn.Sequential(*layers).to(device)
