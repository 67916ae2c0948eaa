"""Numerical gradients by centered differences, and the relative error used to compare them.

Used by the tests and notebooks to check every analytic backward pass (in float64).
"""
import numpy as np


def rel_error(x, y):
    """Largest elementwise relative error max |x - y| / max(1e-8, |x| + |y|).

    Args:
        x, y: arrays (or scalars) of the same shape.
    Returns:
        float: about 1e-7 or less when two float64 gradients agree.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _centered_difference(f, x, ix, h):
    """(f(x + h e_ix) - f(x - h e_ix)) / 2h for a scalar f, restoring x[ix] afterwards."""
    old = x[ix]
    x[ix] = old + h
    fxph = f(x)
    x[ix] = old - h
    fxmh = f(x)
    x[ix] = old
    return (fxph - fxmh) / (2 * h)


def eval_numerical_gradient(f, x, h=1e-5):
    """Gradient of a scalar function f at x: df/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / 2h.

    Args:
        f: function of one array argument returning a scalar.
        x: array of any shape (changed in place while evaluating, restored afterwards).
        h: step size.
    Returns:
        grad: array shaped like x.
    """
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        grad[ix] = _centered_difference(f, x, ix, h)
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Gradient through an array-valued function: sum_j df_j * dF_j/dx_i by centered differences.

    Args:
        f: function of one array argument returning an array F(x).
        x: input array (changed in place while evaluating, restored afterwards).
        df: upstream gradient, shaped like f(x).
        h: step size.
    Returns:
        grad: array shaped like x.
    """
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = np.array(f(x), dtype=float, copy=True)
        x[ix] = old - h
        neg = np.array(f(x), dtype=float, copy=True)
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=0):
    """Compare an analytic gradient with centered differences at a few random entries.

    For big parameter arrays where the full numerical gradient is too slow.
    Returns:
        list of (index, numerical, analytic, relative error) tuples.
    """
    rng = np.random.default_rng(seed)
    results = []
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(m)) for m in x.shape)
        numerical = _centered_difference(f, x, ix, h)
        analytic = analytic_grad[ix]
        results.append((ix, numerical, analytic, rel_error(numerical, analytic)))
    return results
