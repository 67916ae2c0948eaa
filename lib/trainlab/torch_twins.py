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
