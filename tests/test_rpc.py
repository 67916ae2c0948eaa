"""Does plain data cross between the judge and a kernel as it would within one process, and nothing else?

The kernel's side (`rpc.serve`) runs in a thread here, on a namespace that stands for the
student's; the judge's side is a `Peer` that resolves names and calls them, as a test cell does.
"""
import os
import threading
import time

import numpy as np
import pytest

from autograder.sandbox import protocol, rpc

LIMIT = 8 * 2 ** 20


class Channel:
    """A judge Peer talking to rpc.serve(namespace) in a thread, for one test cell (session)."""

    def __init__(self, namespace, session=0, timeout=10):
        to_kernel, from_judge = os.pipe()
        to_judge, from_kernel = os.pipe()
        self.fds = (to_kernel, from_judge, to_judge, from_kernel)
        self.thread = threading.Thread(target=rpc.serve, args=(namespace, to_kernel, from_kernel, LIMIT),
                                       kwargs={"session": session}, daemon=True)
        self.thread.start()
        self.peer = rpc.Peer(to_judge, from_judge, protocol.JUDGE_SIDE, LIMIT,
                             deadline=time.monotonic() + timeout, session=session)

    def resolve(self, *names):
        return self.peer.request({"op": protocol.OP_RESOLVE, "names": list(names)})

    def close(self):
        protocol.write_frame(self.fds[1], {"op": protocol.OP_END, "s": self.peer.session})
        self.thread.join(5)
        for fd in self.fds:
            os.close(fd)


@pytest.fixture
def channel():
    opened = []

    def make(namespace, **kwargs):
        opened.append(Channel(namespace, **kwargs))
        return opened[-1]
    yield make
    for ch in opened:
        ch.close()


def test_arrays_keep_dtype_shape_order_and_non_contiguity(channel):
    def describe(x):
        return x.dtype.str, x.shape, bool(x.flags.c_contiguous), bool(x.flags.f_contiguous), x.sum()
    f = channel({"f": describe}).resolve("f")["f"]
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    assert f(base) == ("<f4", (4, 6), True, False, base.sum())
    assert f(base.T) == ("<f4", (6, 4), False, True, base.sum())
    view = base[:, ::2]
    assert f(view)[:4] == ("<f4", (4, 3), False, False)
    assert f(view)[4] == view.sum()
    assert f(np.uint8(7) * np.ones((2, 2), np.uint8))[0] == "|u1"


def test_in_place_changes_reach_the_callers_objects(channel):
    def scale(x, config):
        x *= 2
        config["seen"] = True
        config.setdefault("log", []).append(len(config))
    f = channel({"f": scale}).resolve("f")["f"]
    x, config = np.ones(3), {"lr": 0.1}
    assert f(x, config) is None
    assert x.tolist() == [2, 2, 2] and config["seen"] is True and config["log"] == [3]


def test_identity_within_a_call_is_kept(channel):
    f = channel({"f": lambda a, b: a is b}).resolve("f")["f"]
    x = np.zeros(2)
    assert f(x, x) is True and f(x, x.copy()) is False


def test_sets_ranges_generators_and_iterators(channel):
    space = {"codes": lambda: {"dead", "exploding"}, "frozen": lambda: frozenset({1, 2}),
             "total": lambda items: sum(items), "length": lambda r: (len(r), r.step)}
    ns = channel(space).resolve("codes", "frozen", "total", "length")
    assert ns["codes"]() == {"dead", "exploding"}
    assert ns["frozen"]() == frozenset({1, 2})
    assert ns["total"](iter([1, 2, 3])) == 6
    assert ns["total"](x * x for x in range(4)) == 14
    assert ns["length"](range(0, 10, 3)) == (4, 3)


def test_the_tests_callables_run_in_the_judge(channel):
    calls = []

    def loss(w):
        calls.append(w.copy())
        return float((w ** 2).sum())
    grad = channel({"grad": lambda f, w: [f(w + 1) - f(w)]}).resolve("grad")["grad"]
    assert grad(loss, np.zeros(2)) == [2.0]
    assert len(calls) == 2


def test_exceptions_cross_by_builtin_type_and_message(channel):
    def shape_error(x):
        raise ValueError(f"bad shape {np.shape(x)}")

    class Custom(Exception):
        pass

    def custom():
        raise Custom("mine")
    ns = channel({"shape_error": shape_error, "custom": custom}).resolve("shape_error", "custom")
    with pytest.raises(ValueError, match=r"bad shape \(2,\)"):
        ns["shape_error"](np.zeros(2))
    with pytest.raises(rpc.RemoteError, match="Custom: mine"):
        ns["custom"]()


def test_student_objects_carry_no_behaviour_into_the_judge(channel):
    class Always(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, bool)

    class Zero:
        def __float__(self):
            return 0.0

        def __eq__(self, other):
            return True
    ns = channel({"arr": lambda: np.zeros(3).view(Always), "obj": lambda: Zero()}).resolve("arr", "obj")
    got = ns["arr"]()
    assert type(got) is np.ndarray and not (got == np.ones(3)).any()
    obj = ns["obj"]()
    assert isinstance(obj, rpc.RemoteObject) and obj != 0.0
    with pytest.raises(AttributeError):
        obj.__float__


def test_deeply_nested_results_fail_the_channel(channel):
    def deep():
        out = 0.0
        for _ in range(5000):
            out = [out]
        return out
    deep = channel({"deep": deep}).resolve("deep")["deep"]
    with pytest.raises(rpc.ProxyFailure):
        deep()


def test_oversized_results_fail_the_channel(channel):
    huge = channel({"huge": lambda: np.zeros(2 * LIMIT)}).resolve("huge")["huge"]
    with pytest.raises(rpc.ProxyFailure):
        huge()


def test_a_stuck_student_function_times_out(channel):
    stuck = channel({"stuck": lambda: time.sleep(30)}, timeout=0.5).resolve("stuck")["stuck"]
    started = time.monotonic()
    with pytest.raises(rpc.ProxyFailure, match="timeout"):
        stuck()
    assert time.monotonic() - started < 5


def test_frames_of_another_test_cell_are_ignored():
    """A frame left in the pipe by an earlier (timed-out) test cell never answers the next one."""
    to_kernel, from_judge = os.pipe()
    to_judge, from_kernel = os.pipe()
    stale = {"op": protocol.OP_RETURN, "id": 1, "sync": [], "v": {"f": "forged"}, "s": 3}
    protocol.write_frame(from_kernel, stale)
    protocol.write_frame(from_judge, {"op": protocol.OP_END, "s": 3})  # the earlier test's end
    thread = threading.Thread(target=rpc.serve, args=({"f": lambda: 42}, to_kernel, from_kernel, LIMIT),
                              kwargs={"session": 4}, daemon=True)
    thread.start()
    peer = rpc.Peer(to_judge, from_judge, protocol.JUDGE_SIDE, LIMIT, deadline=time.monotonic() + 10, session=4)
    found = peer.request({"op": protocol.OP_RESOLVE, "names": ["f"]})
    assert found["f"]() == 42
    protocol.write_frame(from_judge, {"op": protocol.OP_END, "s": 4})
    thread.join(5)
    assert not thread.is_alive()
    for fd in (to_kernel, from_judge, to_judge, from_kernel):
        os.close(fd)
