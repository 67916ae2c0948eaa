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


def test_rpc_imports_no_torch():
    import subprocess
    import sys
    code = "import sys; from autograder.sandbox import rpc; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=os.path.dirname(os.path.dirname(__file__))).returncode == 0


# -- torch: the judge's tensors, modules and optimizers cross in one torch.save blob; only plain data comes back --
torch = pytest.importorskip("torch")
nn = torch.nn


def tiny():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(27, 3)).double()


def train_step(model, optimizer, X, y):
    model.train()
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def test_returned_parameters_are_the_models_own(channel):
    def groups(model):
        return [p for p in model.parameters() if p.requires_grad and p.ndim >= 2], list(model.buffers())
    f = channel({"f": groups}).resolve("f")["f"]
    model = tiny()
    weights, buffers = f(model)
    assert len(weights) == 2 and weights[0] is model[0].weight and weights[1] is model[4].weight
    assert buffers[0] is model[1].running_mean and buffers[2] is model[1].num_batches_tracked
    model[0].weight.requires_grad_(False)
    assert f(model)[0] == [model[4].weight]


def test_in_place_updates_keep_identity_and_memory(channel):
    from trainlab import pipeline
    f = channel({"f": pipeline.ema_update_torch}).resolve("f")["f"]
    model, average = tiny(), tiny()
    with torch.no_grad():
        model.train()(torch.ones(2, 2, 3, 3, dtype=torch.float64))
        average[0].weight += 1
    weight, pointers = average[0].weight, [v.data_ptr() for v in average.state_dict().values()]
    before = {k: v.clone() for k, v in average.state_dict().items()}
    current = {k: v.clone() for k, v in model.state_dict().items()}
    model_pointers = [v.data_ptr() for v in model.state_dict().values()]
    versions = [v._version for v in model.state_dict().values()]
    assert f(average, model, 0.75) is None
    assert average[0].weight is weight and pointers == [v.data_ptr() for v in average.state_dict().values()]
    for key, value in average.state_dict().items():
        want = 0.75 * before[key] + 0.25 * current[key] if value.is_floating_point() else current[key]
        assert torch.allclose(value, want, atol=1e-12), key
    assert all(torch.equal(v, current[k]) for k, v in model.state_dict().items())
    assert model_pointers == [v.data_ptr() for v in model.state_dict().values()]
    assert versions == [v._version for v in model.state_dict().values()], "unchanged tensors are not written"


def test_a_replaced_parameter_or_buffer_is_replaced_in_the_judge(channel):
    def replace(model):
        model[0].weight = nn.Parameter(torch.zeros_like(model[0].weight))
        model[0].bias = None
        model[1].register_buffer("running_mean", torch.full((3,), 2.0, dtype=torch.float64))
    f = channel({"f": replace}).resolve("f")["f"]
    model = tiny()
    weight, running = model[0].weight, model[1].running_mean
    f(model)
    assert model[0].weight is not weight and isinstance(model[0].weight, nn.Parameter)
    assert model[0].weight.requires_grad and not model[0].weight.any() and model[0].bias is None
    assert model[1].running_mean is not running and model[1].running_mean.tolist() == [2.0] * 3
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "1.weight", "1.bias", "4.weight", "4.bias"]


def test_optimizer_state_grads_and_modes_are_synced(channel):
    def no_zero_grad(model, optimizer, X, y):
        nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
    ns = channel({"step": train_step, "accumulate": no_zero_grad}).resolve("step", "accumulate")
    X = torch.linspace(-1, 1, 4 * 18, dtype=torch.float64).reshape(4, 2, 3, 3)
    y = torch.tensor([0, 1, 2, 1])
    results = []
    for step in (ns["step"], train_step):
        net = tiny().eval()
        groups = [{"params": [net[0].weight, net[4].weight], "weight_decay": 1e-2},
                  {"params": [net[0].bias, net[1].weight, net[1].bias, net[4].bias], "weight_decay": 0.0}]
        optimizer = torch.optim.SGD(groups, lr=0.1, momentum=0.9, nesterov=True)
        losses = [step(net, optimizer, X, y) for _ in range(3)]
        assert net.training and all(m.training for m in net.modules())
        assert all(p in optimizer.state for p in net.parameters())
        buffers = [optimizer.state[p]["momentum_buffer"] for p in net.parameters()]
        results.append((losses, net.state_dict(), buffers, [p.grad for p in net.parameters()], optimizer, net))
    (losses, state, buffers, grads, optimizer, net), (want_losses, want_state, want_buffers, want_grads, _, _) = results
    assert losses == want_losses and all(isinstance(loss, float) for loss in losses)
    assert all(torch.equal(state[k], want_state[k]) for k in want_state)
    assert all(torch.equal(a, b) for a, b in zip(buffers + grads, want_buffers + want_grads))
    assert optimizer.param_groups[0]["weight_decay"] == 1e-2 and optimizer.param_groups[1]["params"][0] is net[0].bias
    grads = []
    for step in (ns["accumulate"], no_zero_grad):  # the judge's grads reach the student's code: they accumulate
        net = tiny()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(2):
            step(net, optimizer, X, y)
        grads.append([p.grad for p in net.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(*grads))


def test_modes_of_submodules_cross(channel):
    def freeze_norm(model):
        model.train()
        model[1].eval()
        return model.training, model[1].training
    f = channel({"f": freeze_norm}).resolve("f")["f"]
    model = tiny().eval()
    assert f(model) == (True, False)
    assert model.training and not model[1].training and model[4].training


def test_new_tensors_dtypes_sizes_and_generators_cross(channel):
    def make(dtype, gen):
        noise = torch.randn(3, generator=gen, dtype=dtype)
        return (noise, torch.ones(2, 2, dtype=torch.bfloat16).T, torch.arange(3), torch.tensor([True, False]),
                nn.Parameter(torch.zeros(2)), torch.zeros(2, requires_grad=True) * 2, noise.shape, noise.dtype)
    space = {"make": make, "same": lambda a, b: a is b, "grad": lambda w: w.grad.tolist()}
    f = channel(space).resolve("make", "same", "grad")
    gen = torch.Generator().manual_seed(5)
    noise, bf, ints, flags, param, product, shape, dtype = f["make"](torch.float64, gen)
    assert torch.equal(noise, torch.randn(3, generator=torch.Generator().manual_seed(5), dtype=torch.float64))
    assert bf.dtype == torch.bfloat16 and bf.tolist() == [[1, 1], [1, 1]]
    assert ints.dtype == torch.int64 and flags.tolist() == [True, False]
    assert type(param) is nn.Parameter and param.requires_grad and product.requires_grad and product.is_leaf
    assert shape == torch.Size([3]) and type(shape) is torch.Size and dtype is torch.float64
    x = torch.zeros(2)
    assert f["same"](x, x) is True and f["same"](x, x[:1]) is False
    w = torch.zeros(2, requires_grad=True)
    (w * 3).sum().backward()
    assert f["grad"](w) == [3.0, 3.0]


def test_generators_state_is_synced(channel):
    f = channel({"draw": lambda gen: torch.rand(2, generator=gen)}).resolve("draw")["draw"]
    gen, twin = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    assert torch.equal(f(gen), torch.rand(2, generator=twin))
    assert torch.equal(torch.rand(2, generator=gen), torch.rand(2, generator=twin)), "the judge's Generator advanced"


def test_student_torch_objects_carry_no_behaviour_into_the_judge(channel):
    class Loud(torch.Tensor):
        def __eq__(self, other):
            return True

    def objects(model):
        mine = nn.Linear(2, 2)
        return torch.zeros(2).as_subclass(Loud), mine, torch.optim.SGD(mine.parameters(), lr=0.1), \
            torch.optim.SGD(model.parameters(), lr=0.1)
    f = channel({"f": objects}).resolve("f")["f"]
    loud, module, optimizer, over_ours = f(tiny())
    assert type(loud) is torch.Tensor and not torch.equal(loud, torch.ones(2))
    assert isinstance(module, rpc.RemoteObject) and isinstance(optimizer, rpc.RemoteObject)
    assert isinstance(over_ours, rpc.RemoteObject)
    out = module(torch.ones(1, 2))
    assert type(out) is torch.Tensor and out.shape == (1, 2) and out.requires_grad


def test_structural_changes_to_the_tests_module_fail_the_channel(channel):
    def grow(model):
        model.append(nn.ReLU())
    f = channel({"f": grow}).resolve("f")["f"]
    with pytest.raises(rpc.ProxyFailure, match="changed which submodules"):
        f(tiny())


def test_torch_data_counts_toward_the_limit(channel):
    huge = torch.zeros(2 * LIMIT // 8, dtype=torch.float64)
    ns = channel({"huge": lambda: huge.clone(), "id": lambda x: None}).resolve("huge", "id")
    with pytest.raises(rpc.NotPlain):
        ns["id"](huge)
    with pytest.raises(rpc.ProxyFailure):
        ns["huge"]()


def test_a_student_tensor_sent_back_is_updated_in_place(channel):
    ns = channel({"make": lambda: torch.zeros(2), "bump": lambda x: x.add_(1)}).resolve("make", "bump")
    t = ns["make"]()
    assert ns["bump"](t) is t and t.tolist() == [1.0, 1.0]


class Pwn:
    def __reduce__(self):
        return exec, ("import os; os.environ['RPC_PWNED'] = '1'",)


def test_the_judge_never_unpickles_what_the_kernel_sends():
    """A kernel's frame with a torch blob and a blob reference: the judge loads nothing and fails the channel."""
    import base64
    import io
    to_kernel, from_judge = os.pipe()
    to_judge, from_kernel = os.pipe()
    blob = io.BytesIO()
    torch.save({"objects": {"k1": Pwn()}, "tensors": {}, "grads": {}}, blob)
    forged = {"op": protocol.OP_RETURN, "id": 1, "sync": [], "v": {"$": "T", "t": "k1"}, "s": 0,
              "tb": base64.b64encode(blob.getvalue()).decode()}
    protocol.write_frame(from_kernel, forged)
    peer = rpc.Peer(to_judge, from_judge, protocol.JUDGE_SIDE, LIMIT, deadline=time.monotonic() + 10, session=0)
    with pytest.raises(rpc.ProxyFailure, match="unknown tag"):
        peer.request({"op": protocol.OP_RESOLVE, "names": ["f"]})
    assert "RPC_PWNED" not in os.environ
    for fd in (to_kernel, from_judge, to_judge, from_kernel):
        os.close(fd)


def test_tensors_without_plain_data_fail_the_channel(channel):
    makers = {"meta": lambda: torch.zeros(2, device="meta"), "sparse": lambda: torch.eye(2).to_sparse(),
              "float8": lambda: torch.zeros(2).to(torch.float8_e4m3fn)}
    for name, make in makers.items():  # one channel each: a failed channel stays failed
        with pytest.raises(rpc.ProxyFailure, match="not plain data|without data"):
            channel({"f": make}).resolve("f")["f"]()
