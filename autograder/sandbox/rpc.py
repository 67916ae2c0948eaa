"""Plain data between the judge (trusted test code) and the student's kernel, both ways.

One ``Peer`` on each side of a pair of pipes. What crosses is JSON (``protocol.FRAME``
framing) of plain data only: None, bool, int, float, complex, str, bytes, ranges, tuples,
lists, dicts, sets and frozensets of these, numpy arrays (``np.save``/``np.load`` with ``allow_pickle=False``, no object
dtypes), numpy scalars and dtypes, ``np.random.Generator`` (its bit generator's state), and
objects of ``trainlab`` classes by their attribute dict (a model handed to the student's
function). Everything else stays where it is and crosses as a *handle*: a student's object
becomes a ``RemoteObject`` in the judge (attribute reads, writes and calls are forwarded); a
test's function becomes a stub in the kernel that calls back into the judge, and a test's
iterator a generator there that pulls its items one by one (the only things the kernel may
ask of the judge). Mutable values (arrays, lists, dicts, Generators, objects
by state) carry a token: the same object sent twice is the same object on the other side,
and after every call the side that ran it sends back the arguments' post-call values, which
the caller writes into its own objects in place (side effects behave as in one process).

torch objects (torch is imported only once one is seen): dtypes, ``torch.Size``, devices and
``torch.Generator``s (their state) cross as plain data both ways. The judge's tensors,
``nn.Module``s and ``torch.optim`` optimizers among a message's values go to the kernel in one
``torch.save`` blob per message (so an optimizer's parameters are the model's there too),
with a token for each tensor in them (parameters, buffers, optimizer state) and their
``.grad``s; the kernel loads it (the judge's data is trusted there). Nothing the kernel sends
is unpickled: its tensors come back as dtype, bytes, ``requires_grad``, Parameter or not and
``.grad``; a tensor with one of the judge's tokens updates the judge's own tensor in place
(same object and memory, written only if its bits changed), any other is a new tensor. A
module or optimizer of the judge's comes back as its state, applied in place: per submodule
its ``training`` flag, parameters and buffers (a replaced one is put in the judge's module);
an optimizer's param_groups and state (momentum buffers ...), keyed by the judge's
parameters. A module or optimizer the student made stays in the kernel as a handle, and a
tensor subclass arrives as a plain tensor. Not supported: a student's change to the
structure of the test's module (submodules added, removed or replaced fail the channel),
other module attributes, LR schedulers, and (in the kernel) identity across messages of
torch objects.

This file is imported by the judge as ``autograder.sandbox.rpc`` and run by the kernel with
``runpy.run_path`` (never importable there by name); it needs numpy and the standard library
(and torch only for torch objects).
"""
import base64
import builtins
import importlib
import io
import json
import os
import sys
import time

import numpy as np

if "protocol" not in globals():  # imported normally (the judge); in the kernel run_path passes it in
    from autograder.sandbox import protocol

MAX_DEPTH = 64
GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
SCALARS = {np.dtype(c).type for c in "?bBhHiIlLqQefdgFDG"}
SAFE_EXCEPTIONS = {name: cls for name, cls in vars(builtins).items()
                   if isinstance(cls, type) and issubclass(cls, Exception)
                   and not issubclass(cls, (StopIteration, StopAsyncIteration, Warning))}
OPEN_DUNDERS = {"__name__", "__qualname__", "__doc__", "__module__"}
# torch dtypes whose values cross kernel -> judge, with the numpy dtype of their bytes (bfloat16 as int16 bits)
TENSOR_DTYPES = {"float64": "<f8", "float32": "<f4", "float16": "<f2", "bfloat16": "<i2", "complex128": "<c16",
                 "complex64": "<c8", "int64": "<i8", "int32": "<i4", "int16": "<i2", "int8": "|i1", "uint8": "|u1",
                 "bool": "|b1"}
TORCH_TAGS = ("ten", "mod", "opt", "tdt", "tsz", "tdev", "tg")


class ProxyFailure(BaseException):
    """The channel to the student's kernel failed (timeout, dead kernel, malformed or oversized data).

    A BaseException, so that a test's ``except Exception`` cannot swallow it; the judge also
    remembers it and fails the test however the test ends.
    """


class RemoteError(Exception):
    """An exception the student's code raised whose type is not a builtin one."""


class NotPlain(TypeError):
    """A value that cannot cross as plain data."""


def write_frame(fd, obj, limit=None):
    try:
        protocol.write_frame(fd, obj, limit)
    except ValueError as err:
        raise NotPlain(str(err)) from None


def read_frame(fd, limit, deadline=None, watch=None):
    return protocol.read_frame(fd, limit, deadline, watch)


# -- arrays --------------------------------------------------------------------------------------------
def _array_bytes(array):
    """An array as {dtype, shape, order, base64 of its bytes}: numbers only (no object or structured dtypes)."""
    if array.dtype.hasobject or array.dtype.fields is not None:
        raise NotPlain("object and structured arrays are not plain data")
    fortran = bool(array.flags.f_contiguous and not array.flags.c_contiguous)
    data = array.tobytes(order="F" if fortran else "C")
    return {"d": array.dtype.str, "s": list(array.shape), "f": fortran, "b": base64.b64encode(data).decode()}


def _load_array(text):
    if type(text) is not dict:
        raise NotPlain("malformed array")
    dtype = np.dtype(str(text.get("d")))
    shape = text.get("s")
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in "biufcSUmM?":
        raise NotPlain("not a plain dtype")
    if type(shape) is not list or not all(type(n) is int and 0 <= n < 2 ** 40 for n in shape) or len(shape) > 32:
        raise NotPlain("malformed shape")
    data = base64.b64decode(str(text.get("b")), validate=True)
    if len(data) != dtype.itemsize * int(np.prod(shape, dtype=object)):
        raise NotPlain("array data of the wrong size")
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if text.get("f") is True else "C").copy(order="K")


def _strided(array):
    """A non-contiguous copy of array (the student's function must cope with views, as the test asked)."""
    if array.ndim == 0 or array.size == 0:
        return array.copy()
    base = np.empty(array.shape[:-1] + (2 * array.shape[-1],), dtype=array.dtype)
    view = base[..., ::2]
    view[...] = array
    return view


class RemoteObject:
    """The judge's stand-in for an object in the student's kernel (a function, a class, an instance)."""

    __slots__ = ("_peer", "_handle", "_kind")

    def __init__(self, peer, handle, kind):
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_kind", str(kind)[:80])

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__") and name not in OPEN_DUNDERS:
            raise AttributeError(name)
        return self._peer.request({"op": protocol.OP_GET, "h": self._handle, "name": name})

    def __setattr__(self, name, value):
        self._peer.begin()
        message = {"op": protocol.OP_SET, "h": self._handle, "name": name, "v": self._peer.encode(value)}
        self._peer.request(message, encoded=True)

    def __call__(self, *args, **kwargs):
        return self._peer.call(self._handle, args, kwargs)

    def __instancecheck__(self, instance):
        if not isinstance(instance, RemoteObject):
            return False
        return self._peer.request({"op": protocol.OP_ISINSTANCE, "h": instance._handle, "of": self._handle}) is True

    def __repr__(self):
        return f"<student's {self._kind}>"


class Peer:
    """One side of the channel: encoding, decoding, tokens, handles, calls (nested both ways)."""

    def __init__(self, read_fd, write_fd, side, limit, deadline=None, watch=None, on_watch=None, session=None):
        self.read_fd, self.write_fd, self.side = read_fd, write_fd, side
        self.session = session  # the test cell: every frame carries it, and frames of an earlier test are dropped
        self.limit = limit
        self.deadline, self.watch, self.on_watch = deadline, watch, on_watch
        self.own, self.own_ids = {}, {}          # token -> object of this side; id -> token
        self.mirrors, self.mirror_ids = {}, {}   # the other side's token -> our copy; id -> token
        self.exposed, self.exposed_ids = {}, {}  # handle -> object kept here and referred to there
        self.remotes = {}                        # the other side's handle -> RemoteObject (judge)
        self.counter = 0
        self.failed = None
        self.touched = None
        self.size = 0
        self.batch_out = {}  # judge: token -> torch object of the message being written (pickled together)
        self.batch_in = {}   # kernel: token -> torch object loaded from the message being read
        self.sent = set()    # kernel: tokens of the tensors whose data is already in the message being written

    def begin(self):
        """Start encoding a new message."""
        self.size, self.batch_out, self.sent = 0, {}, set()

    # -- tokens and handles -------------------------------------------------------------------------------
    def _new_id(self):
        self.counter += 1
        return f"{self.side}{self.counter}"

    def token(self, value):
        key = id(value)
        token = self.mirror_ids.get(key)
        if token is not None and self.mirrors.get(token) is value:
            return token
        return self._intern(self.own, self.own_ids, value)

    def expose(self, value):
        return self._intern(self.exposed, self.exposed_ids, value)

    def _intern(self, table, ids, value):
        """value's id in table (by identity), a new one the first time."""
        key = id(value)
        found = ids.get(key)
        if found is not None and table.get(found) is value:
            return found
        found = self._new_id()
        table[found], ids[key] = value, found
        return found

    def _lookup(self, token):
        if not isinstance(token, str):
            raise NotPlain("malformed token")
        if token.startswith(self.side):
            if token not in self.own:
                raise NotPlain("unknown token")
            return self.own[token]
        return self.mirrors.get(token)

    def _register(self, token, value):
        if not token.startswith(self.side):
            self.mirrors[token], self.mirror_ids[id(value)] = value, token

    def _mirror_token(self, value):
        token = self.mirror_ids.get(id(value))
        return token if token is not None and self.mirrors.get(token) is value else None

    # -- encoding -------------------------------------------------------------------------------------------
    def encode(self, value, depth=0):
        if depth > MAX_DEPTH:
            raise NotPlain("nested too deeply")
        kind = type(value)
        if value is None or kind in (bool, int, str):
            if kind is str:
                self._count(len(value))
            return value
        if kind is float:
            if value != value or value in (float("inf"), float("-inf")):
                return {"$": "f", "v": repr(value)}
            return value
        if kind is complex:
            return {"$": "c", "v": [repr(value.real), repr(value.imag)]}
        if kind is bytes:
            self._count(len(value))
            return {"$": "b", "v": base64.b64encode(value).decode()}
        if kind is tuple:
            return {"$": "t", "v": [self.encode(v, depth + 1) for v in value]}
        if kind is list:
            token = self._touch(value)
            return {"$": "l", "t": token, "v": [self.encode(v, depth + 1) for v in value]}
        if kind is set:
            token = self._touch(value)
            return {"$": "set", "t": token, "v": [self.encode(v, depth + 1) for v in value]}
        if kind is frozenset:
            return {"$": "fs", "v": [self.encode(v, depth + 1) for v in value]}
        if kind is range:
            return {"$": "rg", "v": [value.start, value.stop, value.step]}
        if kind is dict:
            token = self._touch(value)
            keys = list(value)
            return {"$": "d", "t": token, "k": [self._key(k) for k in keys],
                    "v": [self.encode(value[k], depth + 1) for k in keys]}
        if kind is np.ndarray:
            if value.dtype.hasobject or value.dtype.fields is not None:
                return self._other(value)
            self._count(value.nbytes)
            token = self._touch(value)
            return {"$": "a", "t": token, "v": _array_bytes(value),
                    "nc": not (value.flags.c_contiguous or value.flags.f_contiguous), "ro": not value.flags.writeable}
        if kind in SCALARS:
            return {"$": "s", "v": _array_bytes(np.asarray(value))}
        if kind is np.dtype:
            return {"$": "dt", "v": value.str}
        if isinstance(value, type) and value in SCALARS:
            return {"$": "st", "v": np.dtype(value).str}
        if kind is np.random.Generator:
            token = self._touch(value)
            bit = value.bit_generator
            return {"$": "g", "t": token, "n": type(bit).__name__, "v": self.encode(bit.state, depth + 1)}
        if kind is RemoteObject and value._peer is self:
            return {"$": "r", "h": value._handle}
        if isinstance(value, np.ndarray):  # a subclass: its data only
            return self.encode(np.array(value, subok=False), depth)
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, (torch.Tensor, torch.nn.Module, torch.optim.Optimizer, torch.dtype,
                                                    torch.Size, torch.device, torch.Generator)):
            return self._encode_torch(torch, value, depth)
        module = getattr(kind, "__module__", "") or ""
        if module.split(".")[0] == "trainlab" and hasattr(value, "__dict__") and kind.__qualname__.isidentifier():
            token = self._touch(value)
            return {"$": "o", "t": token, "c": f"{module}:{kind.__qualname__}",
                    "v": self.encode(dict(vars(value)), depth + 1)}
        return self._other(value)

    def _other(self, value):
        if self.side == protocol.JUDGE_SIDE:
            if callable(value):
                return {"$": "cb", "h": self.expose(value)}
            if hasattr(type(value), "__next__"):  # an iterator of the test: its items are pulled one by one
                return {"$": "it", "h": self.expose(_puller(value))}
            raise NotPlain(f"a {type(value).__name__} cannot be passed to the student's code")
        # the kernel: anything else stays here, by handle
        kind = "class" if isinstance(value, type) else "function" if callable(value) else "object"
        return {"$": "h", "h": self.expose(value), "k": f"{kind} {type(value).__name__ if kind == 'object' else ''}"}

    def _key(self, key):
        if key is None or type(key) in (bool, int, float, str) or type(key) in SCALARS:
            return self.encode(key)
        if type(key) is tuple:
            return {"$": "t", "v": [self._key(k) for k in key]}
        raise NotPlain("dict keys must be plain values")

    def _touch(self, value):
        token = self.token(value)
        if self.touched is not None:
            self.touched[token] = value
        return token

    def _count(self, n):
        self.size += n
        if self.size > self.limit:
            raise NotPlain(f"more than {self.limit // 2 ** 20} MiB of data in one message")

    # -- decoding (everything that comes in is checked: it may come from student code) -------------------------
    def decode(self, data, depth=0):
        if depth > MAX_DEPTH:
            raise NotPlain("nested too deeply")
        kind = type(data)
        if data is None or kind in (bool, int, float, str):
            return data
        if kind is not dict:
            raise NotPlain(f"unexpected {kind.__name__}")
        tag = data.get("$")
        value = data.get("v")
        if tag == "f":
            return float(str(value)) if str(value) in ("nan", "inf", "-inf") else _bad()
        if tag == "c":
            return complex(float(value[0]), float(value[1]))
        if tag == "b":
            return base64.b64decode(str(value), validate=True)
        if tag == "t":
            return tuple(self.decode(v, depth + 1) for v in _list(value))
        if tag == "l":
            items = [self.decode(v, depth + 1) for v in _list(value)]
            target = self._lookup(data.get("t"))
            if type(target) is list:
                target[:] = items
                return self._seen(data["t"], target)
            return self._seen(data["t"], self._new(data["t"], items))
        if tag in ("set", "fs"):
            items = [self.decode(v, depth + 1) for v in _list(value)]
            for item in items:
                hash(item)
            if tag == "fs":
                return frozenset(items)
            target = self._lookup(data.get("t"))
            if type(target) is set:
                target.clear()
                target.update(items)
                return self._seen(data["t"], target)
            return self._seen(data["t"], self._new(data["t"], set(items)))
        if tag == "rg":
            start, stop, step = _list(value)
            if not all(type(n) is int for n in (start, stop, step)):
                raise NotPlain("malformed range")
            return range(start, stop, step)
        if tag == "d":
            keys, values = _list(data.get("k")), _list(value)
            if len(keys) != len(values):
                raise NotPlain("malformed dict")
            items = {}
            for k, v in zip(keys, values):
                key = self.decode(k, depth + 1)
                hash(key)
                items[key] = self.decode(v, depth + 1)
            target = self._lookup(data.get("t"))
            if type(target) is dict:
                target.clear()
                target.update(items)
                return self._seen(data["t"], target)
            return self._seen(data["t"], self._new(data["t"], items))
        if tag == "a":
            array = _load_array(value)
            target = self._lookup(data.get("t"))
            if type(target) is np.ndarray and target.shape == array.shape and target.dtype == array.dtype:
                if target.flags.writeable:
                    np.copyto(target, array)
                return self._seen(data["t"], target)
            if data.get("nc") is True:
                array = _strided(array)
            if data.get("ro") is True:
                array.setflags(write=False)
            return self._seen(data["t"], self._new(data["t"], array))
        if tag == "s":
            array = _load_array(value)
            if array.ndim != 0 or array.dtype.type not in SCALARS:
                raise NotPlain("malformed numpy scalar")
            return array[()]
        if tag == "dt":
            dtype = np.dtype(str(value))
            if dtype.hasobject:
                raise NotPlain("object dtype")
            return dtype
        if tag == "st":
            scalar = np.dtype(str(value)).type
            if scalar not in SCALARS:
                raise NotPlain("not a numeric dtype")
            return scalar
        if tag == "g":
            name = data.get("n")
            if name not in GENERATORS:
                raise NotPlain("unknown bit generator")
            state = self.decode(value, depth + 1)
            target = self._lookup(data.get("t"))
            if type(target) is not np.random.Generator or type(target.bit_generator).__name__ != name:
                target = self._new(data["t"], np.random.Generator(getattr(np.random, name)()))
            target.bit_generator.state = state
            return self._seen(data["t"], target)
        if tag == "o":
            module, _, qualname = str(data.get("c")).partition(":")
            if module.split(".")[0] != "trainlab" or not qualname.isidentifier():
                raise NotPlain("only trainlab objects cross by state")
            cls = getattr(importlib.import_module(module), qualname)
            if not isinstance(cls, type):
                raise NotPlain("not a class")
            state = self.decode(value, depth + 1)
            if type(state) is not dict or not all(type(k) is str for k in state):
                raise NotPlain("malformed object state")
            target = self._lookup(data.get("t"))
            if type(target) is not cls:
                target = self._new(data["t"], cls.__new__(cls))
            vars(target).clear()
            vars(target).update(state)
            return self._seen(data["t"], target)
        if tag in TORCH_TAGS:
            return self._decode_torch(_torch(), tag, data, depth)
        if tag == "T" and self.side == protocol.KERNEL_SIDE:  # a torch object of the message's blob
            token = data.get("t")
            if token not in self.batch_in:
                raise NotPlain("unknown torch object")
            return self._seen(token, self.batch_in[token])
        if tag == "r":  # one of our own objects, referred to by its handle
            handle = data.get("h")
            if handle not in self.exposed:
                raise NotPlain("unknown handle")
            return self.exposed[handle]
        if tag == "h" and self.side == protocol.JUDGE_SIDE:
            handle = str(data.get("h"))
            if handle.startswith(self.side):
                raise NotPlain("malformed handle")
            if handle not in self.remotes:
                self.remotes[handle] = RemoteObject(self, handle, data.get("k", "object"))
            return self.remotes[handle]
        if tag == "it" and self.side == protocol.KERNEL_SIDE:
            handle, peer = str(data.get("h")), self

            def items():
                while True:
                    more, item = peer.call(handle, (), {})
                    if not more:
                        return
                    yield item
            return items()
        if tag == "cb" and self.side == protocol.KERNEL_SIDE:
            handle, peer = str(data.get("h")), self

            def callback(*args, **kwargs):
                return peer.call(handle, args, kwargs)
            callback.__name__ = callback.__qualname__ = "test_function"
            return callback
        raise NotPlain(f"unknown tag {str(tag)[:20]!r}")

    def _new(self, token, value):
        if not isinstance(token, str) or token.startswith(self.side):
            raise NotPlain("malformed token")
        self._register(token, value)
        return value

    def _seen(self, token, value):
        if self.touched is not None:
            self.touched[token] = value
        return value

    # -- torch (imported only once a torch object is seen) ------------------------------------------------------
    def _encode_torch(self, torch, value, depth):
        """dtypes, sizes, devices and Generators as plain data; the judge's tensors, modules and optimizers into the
        message's torch.save blob; the kernel's tensors as their data, a judge's module or optimizer as its state."""
        if isinstance(value, torch.dtype):
            return {"$": "tdt", "v": str(value).rpartition(".")[2]}
        if isinstance(value, torch.Size):
            return {"$": "tsz", "v": [int(n) for n in value]}
        if isinstance(value, torch.device):
            return {"$": "tdev", "v": str(value)}
        if isinstance(value, torch.Generator):
            state = value.get_state().numpy().tobytes()
            self._count(len(state))
            return {"$": "tg", "t": self._touch(value), "v": base64.b64encode(state).decode()}
        if self.side == protocol.JUDGE_SIDE:  # trusted objects: pickled for the kernel, all of a message together
            token = self._touch(value)
            self.batch_out[token] = value
            return {"$": "T", "t": token}
        if isinstance(value, torch.Tensor):
            return self._tensor(torch, value, depth)
        token = self._mirror_token(value)
        if token is not None and isinstance(value, torch.nn.Module):
            return {"$": "mod", "t": token, "v": [self._submodule(path, m, depth) for path, m in value.named_modules()]}
        if token is not None and isinstance(value, torch.optim.Optimizer):
            groups = self.encode([dict(g) for g in value.param_groups], depth + 1)
            state = [[self.encode(p, depth + 1), self.encode(dict(s), depth + 1)] for p, s in value.state.items()]
            return {"$": "opt", "t": token, "pg": groups, "st": state}
        return self._other(value)  # a module or optimizer of the student's: a handle

    def _tensor(self, torch, value, depth):
        """A kernel tensor (a subclass too) as plain data: dtype, bytes, requires_grad, Parameter or not, grad."""
        token = self.token(value)
        if token in self.sent:  # its data is already in this message
            return {"$": "ten", "t": token}
        self.sent.add(token)
        name = str(value.dtype).rpartition(".")[2]
        if name not in TENSOR_DTYPES or value.layout != torch.strided:
            raise NotPlain(f"a {value.dtype} tensor ({value.layout}) is not plain data")
        try:
            data = value.detach().cpu().resolve_conj().resolve_neg()
            array = (data.view(torch.int16) if name == "bfloat16" else data).contiguous().numpy()
        except (RuntimeError, NotImplementedError, TypeError) as err:  # a meta or fake tensor, say
            raise NotPlain(f"a tensor without data: {type(err).__name__}: {str(err)[:100]}") from None
        self._count(array.nbytes)
        grad = value.grad if value.is_leaf else None
        return {"$": "ten", "t": token, "d": name, "v": _array_bytes(array), "rg": bool(value.requires_grad),
                "p": isinstance(value, torch.nn.Parameter), "g": None if grad is None else self.encode(grad, depth + 1)}

    def _submodule(self, path, module, depth):
        """[path, class, training, {parameter: tensor or None}, {buffer: tensor or None}]."""
        return [path, _class_name(module), bool(module.training), self._slots(module._parameters, depth),
                self._slots(module._buffers, depth)]

    def _slots(self, slots, depth):
        return {str(name): None if t is None else self.encode(t, depth + 1) for name, t in slots.items()}

    def _pack(self):
        """The judge's torch objects of this message in one torch.save blob (so shared tensors stay shared), with a
        token for every tensor in them (a module's parameters and buffers, an optimizer's state) and their grads."""
        torch = sys.modules["torch"]
        objects, self.batch_out = self.batch_out, {}
        tensors, grads = {}, {}

        def add(tensor):
            if isinstance(tensor, torch.Tensor):
                token = self.token(tensor)
                tensors[token] = tensor
                if tensor.is_leaf and tensor.grad is not None:
                    grads[token] = tensors[self.token(tensor.grad)] = tensor.grad
        for value in objects.values():
            if isinstance(value, torch.nn.Module):
                for module in value.modules():
                    for tensor in (*module._parameters.values(), *module._buffers.values()):
                        add(tensor)
            elif isinstance(value, torch.optim.Optimizer):
                for group in value.param_groups:
                    for tensor in group["params"]:
                        add(tensor)
                for state in value.state.values():
                    for tensor in state.values():
                        add(tensor)
            else:
                add(value)
        buffer = io.BytesIO()
        try:
            torch.save({"objects": objects, "tensors": tensors, "grads": grads}, buffer)
        except Exception as err:
            raise NotPlain(f"torch objects that cannot be saved: {type(err).__name__}: {str(err)[:200]}") from None
        self._count(buffer.tell())
        return base64.b64encode(buffer.getvalue()).decode()

    def _unpack(self, message):
        """The kernel: load the message's blob and take its tokens for the loaded objects (torch objects sent again
        are new objects here: the kernel keeps their values, not their identity, across messages)."""
        self.batch_in = {}
        if self.side != protocol.KERNEL_SIDE or "tb" not in message:
            return
        try:
            torch = importlib.import_module("torch")
            blob = torch.load(io.BytesIO(base64.b64decode(str(message["tb"]))), weights_only=False)
            for token, grad in blob["grads"].items():
                blob["tensors"][token].grad = grad
        except Exception as err:
            raise NotPlain(f"torch objects that cannot be loaded: {type(err).__name__}: {str(err)[:200]}") from None
        for token, value in (*blob["tensors"].items(), *blob["objects"].items()):
            if token.startswith(self.side):
                self.own[token], self.own_ids[id(value)] = value, token
            else:
                self._register(token, value)
        self.batch_in = blob["objects"]

    def _decode_torch(self, torch, tag, data, depth):
        value = data.get("v")
        if tag == "tdt":
            dtype = vars(torch).get(str(value))
            if not isinstance(dtype, torch.dtype):
                raise NotPlain("not a torch dtype")
            return dtype
        if tag == "tsz":
            if not all(type(n) is int for n in _list(value)):
                raise NotPlain("malformed torch.Size")
            return torch.Size(value)
        if tag == "tdev":
            return torch.device(str(value))
        if tag == "tg":
            target = self._lookup(data.get("t"))
            if not isinstance(target, torch.Generator):
                target = self._new(data["t"], torch.Generator())
            state = bytearray(base64.b64decode(str(value), validate=True))
            target.set_state(torch.frombuffer(state, dtype=torch.uint8))
            return self._seen(data["t"], target)
        if tag == "ten":
            return self._decode_tensor(torch, data, depth)
        token, target = data.get("t"), self._lookup(data.get("t"))
        if tag == "mod" and isinstance(target, torch.nn.Module) and token.startswith(self.side):
            self._decode_module(torch, target, value, depth)
        elif tag == "opt" and isinstance(target, torch.optim.Optimizer) and token.startswith(self.side):
            self._decode_optimizer(torch, target, data, depth)
        else:
            raise NotPlain("the state of an unknown module or optimizer")
        return self._seen(token, target)

    def _decode_tensor(self, torch, data, depth):
        """The kernel's tensor: one of ours (by token) updated in place, keeping its identity and memory; else new."""
        token = data.get("t")
        target = self._lookup(token)
        if "v" not in data:  # sent earlier in the same message
            if not isinstance(target, torch.Tensor):
                raise NotPlain("unknown tensor")
            return self._seen(token, target)
        name = data.get("d")
        array = _load_array(data["v"])
        if name not in TENSOR_DTYPES or array.dtype.str != TENSOR_DTYPES[name]:
            raise NotPlain("malformed tensor")
        new = torch.from_numpy(array)
        if name == "bfloat16":
            new = new.view(torch.bfloat16)
        requires_grad = data.get("rg") is True
        if isinstance(target, torch.Tensor):
            with torch.no_grad():
                if target.shape != new.shape or target.dtype != new.dtype:
                    target.data = new  # as ``p.data = ...`` does
                elif not torch.equal(_bits(target), _bits(new)):
                    target.copy_(new)
            if target.is_leaf and target.requires_grad != requires_grad:
                target.requires_grad_(requires_grad)
        else:
            new.requires_grad_(requires_grad)
            target = torch.nn.Parameter(new, requires_grad) if data.get("p") is True else new
            self._new(token, target)
        if target.is_leaf:
            grad = None if data.get("g") is None else self.decode(data["g"], depth + 1)
            if grad is not None and not isinstance(grad, torch.Tensor):
                raise NotPlain("malformed grad")
            if target.grad is not grad:
                target.grad = grad
        return self._seen(token, target)

    def _decode_module(self, torch, target, entries, depth):
        """Per submodule: its mode, and its parameters and buffers (ours updated in place, new ones put in)."""
        modules = dict(target.named_modules())
        entries = _list(entries)
        if sorted(str(_list(e)[0]) for e in entries) != sorted(modules):
            raise NotPlain("the student's code changed which submodules the test's module has")
        for path, cls, training, parameters, buffers in entries:
            module = modules[path]
            if cls != _class_name(module):
                raise NotPlain(f"the student's code replaced submodule {path!r} of the test's module")
            module.training = training is True
            self._fill(module._parameters, parameters, torch.nn.Parameter, depth)
            self._fill(module._buffers, buffers, torch.Tensor, depth)

    def _fill(self, slots, sent, kind, depth):
        if type(sent) is not dict or not all(type(name) is str and name.isidentifier() for name in sent):
            raise NotPlain("malformed module state")
        new = {name: None if v is None else self.decode(v, depth + 1) for name, v in sent.items()}
        if not all(v is None or isinstance(v, kind) for v in new.values()):
            raise NotPlain("malformed module state")
        if list(slots) != list(new) or any(slots[name] is not v for name, v in new.items()):
            slots.clear()
            slots.update(new)

    def _decode_optimizer(self, torch, target, data, depth):
        """Its param_groups (hyperparameters and params) and its state, keyed by our parameters, in place."""
        groups = self.decode(data.get("pg"), depth + 1)
        if type(groups) is not list or not all(type(g) is dict and type(g.get("params")) is list for g in groups):
            raise NotPlain("malformed optimizer state")
        state = [(self.decode(p, depth + 1), self.decode(s, depth + 1)) for p, s in map(_list, _list(data.get("st")))]
        if not all(isinstance(p, torch.Tensor) and type(s) is dict for p, s in state):
            raise NotPlain("malformed optimizer state")
        for i, group in enumerate(groups):
            if i < len(target.param_groups):
                target.param_groups[i].clear()
                target.param_groups[i].update(group)
            else:
                target.param_groups.append(group)
        del target.param_groups[len(groups):]
        new = {}
        for p, s in state:
            old = target.state.get(p)
            if type(old) is dict:
                old.clear()
                old.update(s)
            new[p] = old if type(old) is dict else s
        target.state.clear()
        target.state.update(new)

    # -- calls ------------------------------------------------------------------------------------------------
    def send(self, message):
        self.begin()
        self._write(message)

    def call(self, handle, args, kwargs):
        self.touched = None
        self.begin()
        message = {"op": protocol.OP_CALL, "h": handle, "a": [self.encode(a) for a in args],
                   "k": {str(k): self.encode(v) for k, v in kwargs.items()}}
        return self.request(message, encoded=True)

    def request(self, message, encoded=False):
        """Send a request and wait for its answer, serving the other side's calls meanwhile."""
        if self.failed:
            raise ProxyFailure(self.failed)
        self.counter += 1
        number = self.counter
        message["id"] = number
        try:
            if not encoded:
                self.begin()
            self._write(message)
        except NotPlain:
            raise
        except OSError as err:
            self._fail(f"the student's kernel is gone ({err.strerror})")
        while True:
            reply = self._next()
            op = reply.get("op") if type(reply) is dict else None
            if op == protocol.OP_CALL:
                self.serve_call(reply)
                continue
            if self.side == protocol.KERNEL_SIDE and op in (protocol.OP_GET, protocol.OP_SET, protocol.OP_ISINSTANCE):
                _answer(self, reply)  # the judge asks about a student object while a callback runs
                continue
            if op in (protocol.OP_RETURN, protocol.OP_ERROR) and reply.get("id") == number:
                break
            if op == protocol.OP_FAIL:
                self._fail(f"the student's side failed: {str(reply.get('reason'))[:200]}")
            if self.side == protocol.KERNEL_SIDE and op == protocol.OP_END:
                raise ProxyFailure("the test ended")
            # anything else (a stale answer, noise) is ignored
        if reply["op"] == protocol.OP_ERROR:
            raise _exception(reply)
        try:
            self.touched = None
            self._unpack(reply)
            for item in _list(reply.get("sync", [])):
                self.decode(item)
            return self.decode(reply.get("v"))
        except (NotPlain, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
                RuntimeError) as err:  # RuntimeError: torch's complaint about a malformed tensor or grad
            self._fail(f"malformed data from the student's code ({type(err).__name__}: {str(err)[:100]})")

    def _write(self, message):
        if self.batch_out:
            message["tb"] = self._pack()
        message["s"] = self.session
        write_frame(self.write_fd, message, self.limit + 2 ** 20)

    def _next(self):
        while True:
            frame = self._read()
            if type(frame) is not dict or frame.get("s") == self.session:
                return frame
            # a frame left over from an earlier test cell (one that timed out): dropped

    def _read(self):
        try:
            frame = read_frame(self.read_fd, self.limit + 2 ** 20, self.deadline, self.watch)
        except TimeoutError:
            self._fail("timeout")
        except (NotPlain, ValueError, OSError) as err:
            self._fail(f"malformed data from the other side ({type(err).__name__}: {str(err)[:100]})")
        if frame == "watch":
            self._fail(self.on_watch() if self.on_watch else "aborted")
        if frame is None:
            self._fail("the student's kernel closed the channel (it died or broke it)")
        return frame

    def _fail(self, reason):
        self.failed = self.failed or reason
        raise ProxyFailure(self.failed)

    def serve_call(self, message):
        """Run one call the other side asked for and send back its result and the arguments' new values."""
        number = message.get("id")
        try:
            handle = message.get("h")
            if handle not in self.exposed:
                raise NotPlain("unknown function")
            self.touched = {}
            self._unpack(message)
            args = [self.decode(a) for a in _list(message.get("a", []))]
            kwargs = message.get("k", {})
            if type(kwargs) is not dict:
                raise NotPlain("malformed keyword arguments")
            kwargs = {str(k): self.decode(v) for k, v in kwargs.items()}
            touched = self.touched
            self.touched = None
        except ProxyFailure:
            raise
        except Exception as err:
            self.send({"op": protocol.OP_FAIL, "id": number, "reason": f"bad call: {type(err).__name__}: {err}"[:300]})
            return
        try:
            result = self.exposed[handle](*args, **kwargs)
        except ProxyFailure:
            raise
        except BaseException as err:  # the student's code may raise anything (KeyboardInterrupt: an interrupt)
            self.send(_error_message(number, err, self.side))
            if not isinstance(err, Exception):
                raise
            return
        self.reply(number, result, list(touched.values()))

    def reply(self, number, result, touched=()):
        try:
            self.touched = None
            self.begin()
            sync = [self.encode(value) for value in touched]
            message = {"op": protocol.OP_RETURN, "id": number, "sync": sync, "v": self.encode(result)}
            self._write(message)
        except NotPlain as err:
            self.send({"op": protocol.OP_FAIL, "id": number, "reason": str(err)[:300]})


def _torch():
    torch = sys.modules.get("torch")
    if torch is None:
        try:
            torch = importlib.import_module("torch")
        except ImportError:
            raise NotPlain("torch data, and torch is not installed here") from None
    return torch


def _bits(tensor):
    """A tensor's bytes, to compare bit for bit (NaNs and signed zeros included)."""
    return tensor.detach().cpu().resolve_conj().resolve_neg().contiguous().reshape(-1).view(_torch().uint8)


def _class_name(value):
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _puller(iterator):
    """The judge's end of an iterator passed to the student's code: (True, next item) or (False, None) at the end."""
    def pull():
        for item in iterator:
            return True, item
        return False, None
    return pull


def _list(value):
    if type(value) is not list:
        raise NotPlain("malformed list")
    return value


def _bad():
    raise NotPlain("malformed float")


def _error_message(number, err, side):
    if side == protocol.JUDGE_SIDE:  # the test's own callable failed: its message stays in the judge
        return {"op": protocol.OP_ERROR, "id": number, "type": type(err).__name__,
                "msg": "raised by the test's function"}
    try:
        text = str(err)[:2000]
    except BaseException:
        text = ""
    return {"op": protocol.OP_ERROR, "id": number, "type": type(err).__name__[:100], "msg": text}


def _exception(reply):
    name, message = str(reply.get("type", "Error"))[:100], str(reply.get("msg", ""))[:2000]
    cls = SAFE_EXCEPTIONS.get(name)
    if cls is not None:
        try:
            return cls(message)
        except Exception:
            pass
    return RemoteError(f"{name}: {message}" if message else name)


# -- the kernel's side: serve one test cell's requests ----------------------------------------------------------
def serve(namespace, read_fd, write_fd, limit, report=None, exercise=None, session=None):
    """Answer the judge's requests (resolve names, calls, attributes) until it ends the test cell."""
    peer = Peer(read_fd, write_fd, protocol.KERNEL_SIDE, limit, session=session)
    trip = _tripwire(exercise, report)
    try:
        while True:
            message = read_frame(read_fd, limit + 2 ** 20)
            if type(message) is dict and message.get("s") != session:
                continue  # left over from an earlier test cell
            if message is None or type(message) is not dict or message.get("op") == protocol.OP_END:
                return
            op, number = message.get("op"), message.get("id")
            try:
                if op == protocol.OP_CALL:
                    peer.serve_call(message)
                    continue
                if op == protocol.OP_RESOLVE:
                    found = {}
                    for name in _list(message.get("names")):
                        if isinstance(name, str) and name in namespace:
                            value = namespace[name]
                            _check_reference(value, name, exercise, report)
                            found[name] = value
                    peer.reply(number, found)
                else:
                    _answer(peer, message)
            except ProxyFailure:
                return
            except BaseException as err:
                peer.send(_error_message(number, err, protocol.KERNEL_SIDE))
                if not isinstance(err, Exception):
                    return
    except (ProxyFailure, KeyboardInterrupt, OSError, NotPlain, ValueError):
        return
    finally:
        if trip is not None:
            trip()


def _answer(peer, message):
    """The kernel's answer to an attribute read or write or an isinstance check on one of its objects."""
    op, number = message.get("op"), message.get("id")
    try:
        if op == protocol.OP_GET:
            peer.reply(number, getattr(peer.exposed[message.get("h")], str(message.get("name"))))
        elif op == protocol.OP_SET:
            peer._unpack(message)
            setattr(peer.exposed[message.get("h")], str(message.get("name")), peer.decode(message.get("v")))
            peer.reply(number, None)
        elif op == protocol.OP_ISINSTANCE:
            peer.reply(number, isinstance(peer.exposed[message.get("h")], peer.exposed[message.get("of")]))
    except ProxyFailure:
        raise
    except BaseException as err:
        peer.send(_error_message(number, err, protocol.KERNEL_SIDE))
        if not isinstance(err, Exception):
            raise


def _library_function(exercise):
    """The library's reference of the exercise (a function or class in a trainlab module), or None."""
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "trainlab" and module is not None:
            for key in (exercise, "".join(p.title() for p in str(exercise).split("_"))):
                value = vars(module).get(key)
                if value is not None and getattr(value, "__module__", "") == name:
                    return value
    return None


def _same_code(a, b):
    """Same bytecode, constants and global names (local names, line numbers and the function's name aside)."""
    if a.co_code != b.co_code or a.co_names != b.co_names or len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if hasattr(x, "co_code") and hasattr(y, "co_code"):
            if not _same_code(x, y):
                return False
        elif type(x) is not type(y) or (x != y and not (isinstance(x, str) and x == a.co_consts[0])):
            return False
    return True


def _check_reference(value, name, exercise, report):
    """Report (integrity flag) a student's exercise that is the library's reference or a copy of its code."""
    if report is None or exercise is None:
        return
    reference = _library_function(exercise)
    if reference is None:
        return
    try:
        if value is reference:
            report("reference", f"{name} is the library's {reference.__module__}.{reference.__qualname__}")
            return
        pairs = [(value, reference)]
        if isinstance(value, type) and isinstance(reference, type):
            pairs = [(vars(value).get(k), v) for k, v in vars(reference).items() if callable(v)]
        for mine, theirs in pairs:
            code, ref = getattr(mine, "__code__", None), getattr(theirs, "__code__", None)
            # a copy typed into a cell is the solution; one compiled from a string (exec of getsource) is reuse
            if code is not None and ref is not None and "ipykernel_" not in code.co_filename and _same_code(code, ref):
                report("reference", f"{name} runs a copy of the library's {reference.__module__}."
                                    f"{reference.__qualname__} (same code under another name)")
                return
    except Exception:
        return


def _tripwire(exercise, report):
    """Swap the reference's code for one that reports a call, for the duration of the test; returns undo()."""
    reference = _library_function(exercise) if exercise else None
    if report is None or not hasattr(reference, "__code__") or reference.__code__.co_freevars:
        return None
    original = reference.__code__
    copy = type(reference)(original, reference.__globals__, reference.__name__, reference.__defaults__)
    copy.__kwdefaults__ = reference.__kwdefaults__
    key = "__autograder_tripwire__"
    where = f"{reference.__module__}.{reference.__qualname__}"

    def tripwire(*args, **kwargs):
        report("reference", f"the library's {where} was called while test {exercise} ran")
        return copy(*args, **kwargs)

    reference.__globals__[key] = tripwire
    stub = compile(f"def {reference.__name__}(*args, **kwargs):\n    return {key}(*args, **kwargs)\n", "<tripwire>", "exec")
    space = {}
    exec(stub, reference.__globals__, space)
    reference.__code__ = space[reference.__name__].__code__

    def undo():
        reference.__code__ = original
        reference.__globals__.pop(key, None)
    return undo


def serve_in_kernel(namespace, read_fd, write_fd, limit, audit_fd, exercise, session):
    """What the worker runs in the kernel at a test cell: serve, reporting reference use on the audit pipe."""
    sent = set()

    def report(kind, detail):
        if (kind, detail) in sent or len(sent) > 50:
            return
        sent.add((kind, detail))
        try:
            os.write(audit_fd, (json.dumps({"kind": kind, "detail": detail[:300]}) + "\n").encode())
        except OSError:
            pass
    serve(namespace, read_fd, write_fd, limit, report, exercise, session)
