"""Exercise checks: the student's function against the library's reference on generated inputs.

A hidden test states what the docstring allows as a Hypothesis strategy of ``Case``s and
calls ``check_against``::

    cases = testing.cases(x=testing.arrays(testing.shapes(2, 4)), w=...)
    testing.check_against(affine_forward, layers.affine_forward, cases, rtol=1e-10)

Each generated case is run through both functions on private copies of the inputs; the
outputs must agree within the tolerance (recursively through tuples, lists and dicts), the
inputs must be left as they were, and a random Generator among the arguments reaches both
functions in the same state. A failure names the input that failed. Hypothesis is
seeded (``derandomize``), bounded in examples and writes no database, so a test cell is
reproducible and quick in the grader's sandbox.
"""
import copy
import inspect
from dataclasses import dataclass, field

import os
import tempfile

import numpy as np
from hypothesis import HealthCheck, Phase, configuration, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.internal.conjecture import providers as _providers

# Hypothesis keeps a cache (.hypothesis/) in the current folder, even without a database: a
# notebook's folder (a lecture's release, a student's submission) is no place for it.
configuration.set_hypothesis_home_dir(os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
                                      or os.path.join(tempfile.gettempdir(), "trainlab-hypothesis"))
# Hypothesis also mixes in constants it reads from the source of every "local" module loaded so
# far, so the inputs it draws would depend on what else was imported (the grader's kernel, pytest,
# a student's notebook). The checks must draw the same cases everywhere: no local constants.
_providers.HypothesisProvider._local_constants = property(lambda self: _providers._local_constants)
# no shrinking or explaining: the first failing input is reported at once (shrinking can take seconds)
SETTINGS = dict(deadline=None, database=None, derandomize=True, print_blob=False, report_multiple_bugs=False,
                phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
FLOAT_DTYPES = (np.float64,)
ALL_DTYPES = (np.float64, np.float32, np.int64, np.uint8)


@dataclass
class Case:
    """The arguments of one call: positional ``args`` and keyword ``kwargs``."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def describe(self):
        """The call's arguments, arrays by shape, dtype and layout, for failure messages."""
        parts = [_describe(a) for a in self.args] + [f"{k}={_describe(v)}" for k, v in self.kwargs.items()]
        return "(" + ", ".join(parts) + ")"


def _describe(value):
    if isinstance(value, np.ndarray):
        layout = "" if value.flags.c_contiguous else ", non-contiguous"
        if value.size <= 6:
            return f"array({np.array2string(value, precision=4, separator=', ')}, dtype={value.dtype}{layout})"
        return f"array(shape={value.shape}, dtype={value.dtype}{layout}, range [{value.min():.3g}, {value.max():.3g}])"
    if isinstance(value, np.random.Generator):
        return "Generator"
    if isinstance(value, (tuple, list)):
        return type(value)(_describe(v) for v in value).__repr__().replace("'", "")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in value.items()) + "}"
    return repr(value)


def shapes(min_dims=1, max_dims=4, min_side=1, max_side=5):
    """Array shapes, sides 1 (a batch of one, a single output) up to max_side, square or not."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


@st.composite
def arrays(draw, shape, dtypes=FLOAT_DTYPES, low=-1.0, high=1.0, scales=True, ties=True, views=True):
    """Arrays as a student's function may meet them.

    Args:
        shape: a tuple or a strategy of tuples.
        dtypes: dtypes to draw from; integer dtypes get integers in [low, high] clipped to the dtype.
        low, high: range of the values before scaling.
        scales: multiply each slice along axis 0 by its own 10**k, k in -3..3 (rows of different scale).
        ties: sometimes draw from only three distinct values (ties in max, sort, argmax).
        views: sometimes hand over a non-contiguous view (every other row of a larger array, or a
            Fortran-ordered copy) instead of a fresh C-contiguous array.
    """
    shape = draw(shape) if isinstance(shape, st.SearchStrategy) else tuple(shape)
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    stride = 2 if views and shape and draw(st.booleans()) else 1
    full = (shape[0] * stride,) + tuple(shape[1:]) if shape else ()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        lo, hi = max(int(np.floor(low)), info.min), min(int(np.ceil(high)), info.max)
        elements = st.sampled_from(sorted({lo, hi, (lo + hi) // 2})) if ties and draw(st.booleans()) \
            else st.integers(lo, hi)
        value = draw(hnp.arrays(dtype, full, elements=elements))
    else:
        if ties and draw(st.booleans()):
            elements = st.sampled_from([low, (low + high) / 2, high])
        else:
            elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
        value = draw(hnp.arrays(np.float64, full, elements=elements))
        if scales and value.ndim:
            powers = draw(hnp.arrays(np.int64, (value.shape[0],), elements=st.integers(-3, 3)))
            value = value * (10.0 ** powers).reshape((-1,) + (1,) * (value.ndim - 1))
        value = value.astype(dtype)
    value = value[::stride] if stride > 1 else value
    if views and stride == 1 and value.ndim > 1 and draw(st.booleans()):
        value = np.asfortranarray(value)
    return value


def cases(*args, **kwargs):
    """A strategy of Cases from strategies (or fixed values) of each argument."""
    wrap = lambda v: v if isinstance(v, st.SearchStrategy) else st.just(v)
    return st.builds(lambda a, k: Case(tuple(a), dict(k)), st.tuples(*map(wrap, args)),
                     st.fixed_dictionaries({k: wrap(v) for k, v in kwargs.items()}))


def generators():
    """A seeded numpy Generator (both functions receive it in the same state)."""
    return st.integers(0, 2 ** 32 - 1).map(np.random.default_rng)


def assert_close(got, want, rtol=1e-7, atol=0.0, what="output", mtol=0.0):
    """Assert that got matches want: same structure, shapes, values within tolerance (NaNs equal).

    An entry is close when |got - want| <= atol + rtol |want| + mtol max|want|: mtol bounds the
    rounding of sums and products, whose error scales with the largest terms, not with an
    entry that cancelled to almost 0.
    """
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want), \
            f"{what}: expected a {type(want).__name__} of {len(want)}, got {_kind(got)}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, rtol, atol, f"{what}[{i}]", mtol)
        return
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{what}: expected a dict, got {_kind(got)}"
        missing = set(want) - set(got)
        assert not missing, f"{what}: keys {sorted(map(str, missing))} are missing"
        for key in want:
            assert_close(got[key], want[key], rtol, atol, f"{what}[{key!r}]", mtol)
        return
    if want is None or isinstance(want, (str, bool, np.random.Generator)):
        if isinstance(want, np.random.Generator):
            return
        assert got == want, f"{what}: expected {want!r}, got {got!r}"
        return
    want_arr = np.asarray(want)
    try:
        got_arr = np.asarray(got, dtype=want_arr.dtype if want_arr.dtype.kind in "biuf" else None)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}: expected an array like {want_arr.shape}, got {_kind(got)}") from None
    assert got_arr.shape == want_arr.shape, f"{what} has shape {got_arr.shape}, expected {want_arr.shape}"
    if want_arr.dtype.kind in "biuf":
        want_f = want_arr.astype(float)
        finite = np.abs(want_f[np.isfinite(want_f)])
        bound = atol + mtol * (finite.max() if finite.size else 0.0)
        close = np.isclose(got_arr.astype(float), want_f, rtol=rtol, atol=bound, equal_nan=True)
        if not close.all():
            i = tuple(int(v) for v in np.argwhere(~close)[0])
            raise AssertionError(f"{what} is wrong at index {i}: {_number(got_arr[i])}, expected {_number(want_arr[i])} "
                                 f"(rtol {rtol:g}, atol {atol:g}; {int((~close).sum())} of {close.size} differ)")
    else:
        assert np.array_equal(got_arr, want_arr), f"{what}: expected {want!r}, got {got!r}"


def _number(value):
    return f"{float(value):.10g}" if np.ndim(value) == 0 else repr(value)


def _kind(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def _unchanged(before, after, what):
    """Assert that a call left an input as it was (arrays exactly: a correct function never writes them)."""
    if isinstance(before, np.ndarray):
        assert np.array_equal(before, after, equal_nan=True), f"{what} was modified in place"
    elif isinstance(before, (tuple, list)):
        for i, (b, a) in enumerate(zip(before, after)):
            _unchanged(b, a, f"{what}[{i}]")
    elif isinstance(before, dict):
        for key in before:
            _unchanged(before[key], after.get(key), f"{what}[{key!r}]")


def private_copy(value):
    """A deep copy that keeps each array's memory layout (a strided view stays a strided view).

    copy.deepcopy turns a view into a fresh C-contiguous array, which would hide the layouts
    the generated cases are there to test.
    """
    if isinstance(value, np.ndarray):
        if value.flags.c_contiguous or value.ndim == 0:
            return value.copy()
        if value.flags.f_contiguous:
            return np.array(value, order="F", copy=True)
        base = np.empty((value.shape[0] * 2,) + value.shape[1:], value.dtype)
        view = base[::2]
        view[...] = value
        return view
    if isinstance(value, tuple):
        return tuple(private_copy(v) for v in value)
    if isinstance(value, list):
        return [private_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: private_copy(v) for k, v in value.items()}
    return copy.deepcopy(value)


def check_case(student, reference, case, rtol=1e-7, atol=0.0, unchanged=True, name=None, compare=None, mtol=0.0):
    """Run one Case through both functions on copies; compare outputs and, with unchanged, the inputs."""
    name = name or getattr(reference, "__name__", "function")
    want = reference(*private_copy(case.args), **private_copy(case.kwargs))
    args, kwargs = private_copy(case.args), private_copy(case.kwargs)
    saved = private_copy((args, kwargs))
    got = student(*args, **kwargs)
    where = f"{name}{case.describe()}"
    if compare is not None:
        if len(inspect.signature(compare).parameters) >= 4:
            compare(got, want, where, case)  # e.g. a tolerance from the sizes of the inputs
        else:
            compare(got, want, where)
    else:
        assert_close(got, want, rtol, atol, f"{where}: output", mtol)
    if unchanged:
        _unchanged(saved, (args, kwargs), f"{where}: an input")
    return got


def check_against(student, reference, strategy, rtol=1e-7, atol=0.0, unchanged=True, max_examples=40,
                  name=None, compare=None, mtol=0.0):
    """check_case on max_examples Cases drawn (reproducibly) from strategy; the first failure is raised.

    Args:
        student, reference: the two functions (or classes: called the same way).
        strategy: a strategy of Cases (see ``cases``).
        rtol, atol, mtol: tolerance of the comparison, from the exercise's spec (see assert_close).
        unchanged: the docstring promises not to modify the inputs.
        compare: optional f(got, want, where) or f(got, want, where, case) replacing assert_close (e.g.
            outputs defined up to sign, or a rounding bound computed from the case's inputs).
    """
    @settings(max_examples=max_examples, **SETTINGS)
    @given(strategy)
    def run(case):
        check_case(student, reference, case, rtol, atol, unchanged, name, compare, mtol)

    run()
