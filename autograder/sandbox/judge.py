"""The judge: runs the instructor's test cells outside the student's sandbox, on trusted code only.

A *zygote* process (one per grading run, started by ``host.JudgePool``) imports numpy,
trainlab, hypothesis and what the lectures' setup cells and test cells import, then forks
one judge per submission on request (the grader sends it four pipe ends over a UNIX
socket). A judge runs, for each test cell the notebook reaches, the instructor's source
(``JUDGE_RUN``: from the gradebook, never the submitted cell) in a fresh copy of the setup
cell's namespace, with the names the cell uses that neither the setup cell nor the cell
defines bound to ``rpc`` proxies of the student's objects in the kernel. The student's code
never runs here: only plain data comes back.

A test cell passes iff its source runs to the end without an exception and without any
failure of the channel to the kernel (``rpc.ProxyFailure``: a timeout, a dead kernel,
malformed or oversized data, an abort by the grader). The judge writes the cell's outputs
itself: ``protocol.PASS_LINE``; for a last expression that is a number, that many points
(partial credit computed here, from plain data); on a failure one error output with the
exception's type and message, never a traceback. What the test prints is dropped.
"""
import ast
import builtins
import contextlib
import io
import json
import os
import resource
import signal
import socket
import sys
import time

if not __package__:  # run as a script: the course root on sys.path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from autograder.sandbox import protocol  # noqa: E402

PRELOAD = ("numpy", "trainlab", "trainlab.testing", "hypothesis", "hypothesis.extra.numpy")
MESSAGE_LIMIT = 4000


# -- which names a test cell takes from the student -------------------------------------------------
def bound_names(tree):
    """Names a module binds anywhere (assignments, imports, defs, arguments, except and with targets, globals)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names |= set(node.names)
        elif isinstance(node, ast.MatchAs) and node.name:
            names.add(node.name)
    return names


def student_names(tree, setup_names):
    """Names the test cell loads (in functions it defines too) that it, the setup cell and builtins do not define."""
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return sorted(loaded - bound_names(tree) - set(setup_names) - set(dir(builtins)))


# -- one test cell ---------------------------------------------------------------------------------
def error_output(ename, evalue):
    evalue = str(evalue)[:MESSAGE_LIMIT]
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


def _message(err):
    try:
        return str(err)
    except BaseException:
        return ""


def _credit(value, points):
    """A number the test cell ended with (computed here), clamped to [0, points]; None when it is not one."""
    import numpy as np
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    value = float(value)
    if value != value:
        return 0.0
    return max(0.0, min(float(points), value))


def run_test(message, namespace, channel, control, limit):
    """Run one test cell; returns the JUDGE_DONE message."""
    from autograder.sandbox import rpc
    grade_id, source = str(message["grade_id"]), message["source"]
    points = float(message.get("points") or 0)
    started = time.monotonic()
    deadline = started + float(message["timeout"])
    aborted = []

    def on_abort():
        frame = protocol.read_frame(control, protocol.MAX_FRAME)
        reason = frame.get("reason", "aborted") if isinstance(frame, dict) else "the grader went away"
        aborted.append(reason)
        return reason

    read_fd, write_fd = channel
    _drain(read_fd)
    peer = rpc.Peer(read_fd, write_fd, protocol.JUDGE_SIDE, limit, deadline=deadline, watch=control,
                    on_watch=on_abort, session=message["cell"])
    space = dict(namespace)
    outputs, failure = [], None
    sink = io.StringIO()
    try:
        tree = ast.parse(source)
        names = student_names(tree, namespace)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            if names:
                found = peer.request({"op": protocol.OP_RESOLVE, "names": names})
                if type(found) is not dict:
                    raise rpc.ProxyFailure("malformed answer to the name lookup")
                space.update({k: v for k, v in found.items() if k in names})
            exec(compile(tree, f"<test {grade_id}>", "exec"), space)
            value = eval(compile(ast.Expression(last.value), f"<test {grade_id}>", "eval"), space) if last else None
            sink.seek(0)
            sink.truncate()
        credit = _credit(value, points) if last is not None else None
    except rpc.ProxyFailure as err:
        failure = ("channel", _message(err))
    except BaseException as err:  # the test failed (an assert, or an error in the test's own lines)
        failure = (type(err).__name__, _message(err))
    finally:
        try:
            protocol.write_frame(write_fd, {"op": protocol.OP_END, "s": message["cell"]})
        except (OSError, ValueError):
            pass
    timed_out = bool(peer.failed == "timeout" or (failure and time.monotonic() > deadline))
    if peer.failed and failure is None:  # a channel failure the test caught: still a failure
        failure = ("channel", peer.failed)
    if failure is None:
        outputs.append({"output_type": "stream", "name": "stdout", "text": protocol.PASS_LINE.format(grade_id=grade_id)})
        if credit is not None:
            outputs = [{"output_type": "stream", "name": "stdout", "text": f"{grade_id}: {credit:g} of {points:g} points\n"},
                       {"output_type": "execute_result", "execution_count": None, "metadata": {},
                        "data": {"text/plain": repr(credit)}}]
    elif failure[0] == "channel":
        reason = peer.failed or failure[1]
        if timed_out:
            outputs.append(error_output(protocol.CELL_TIMEOUT_ERROR, "the test hit the time limit of "
                                        f"{float(message['timeout']):g} s while waiting for your code"))
        else:
            outputs.append(error_output(protocol.CHANNEL_ERROR, f"the test could not finish: {aborted[0] if aborted else reason}"))
    else:
        outputs.append(error_output(failure[0], failure[1]))
    return {"op": protocol.JUDGE_DONE, "cell": message["cell"], "grade_id": grade_id, "passed": failure is None, "outputs": outputs,
            "timeout": timed_out, "reason": peer.failed, "seconds": time.monotonic() - started, "messages": peer.counter}


def _drain(fd):
    """Drop what an earlier test's kernel side left in the pipe."""
    import select
    while select.select([fd], [], [], 0)[0]:
        if not os.read(fd, 1 << 20):
            return


def judge_main(fds, namespace, limits):
    """One submission's judge: answer JUDGE_RUN messages until the grader closes the control pipe."""
    control, answer, to_kernel, from_kernel = fds
    cpu = limits.get("cpu")
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    while True:
        try:
            message = protocol.read_frame(control, protocol.MAX_FRAME)
        except (OSError, ValueError):
            return
        if not isinstance(message, dict):
            return
        if message.get("op") != protocol.JUDGE_RUN:
            continue
        done = run_test(message, namespace, (from_kernel, to_kernel), control, int(limits.get("frame", protocol.MAX_FRAME)))
        try:
            protocol.write_frame(answer, done)
        except OSError:
            return


# -- the zygote --------------------------------------------------------------------------------------
def _setup_namespace(setup, cache):
    if setup not in cache:
        space = {"__name__": "__main__", "__builtins__": builtins}
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(setup, "<setup>", "exec"), space)
        cache[setup] = space
    return cache[setup]


def _warm_up():
    """Do once here what libraries do lazily on first use, so that no forked judge pays for it again.

    Hypothesis's first test registers its Random (a full gc.collect, ~0.2 s with torch loaded);
    torch's first backward pass given a gradient imports sympy and more (~0.9 s).
    """
    try:
        from hypothesis import given, settings, strategies
        settings(max_examples=2, database=None)(given(strategies.integers())(lambda value: None))()
    except Exception:
        pass
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.ones(2, requires_grad=True).mul(2).backward(torch.ones(2))  # with a gradient: imports sympy
        except Exception:
            pass


def zygote_main(sock_fd):
    """Preload, then fork one judge per request: {"setup", "limits"} with four fds; answers {"pid"} or {"error"}."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # judges are reaped automatically
    sock = socket.socket(fileno=sock_fd)
    cache = {}
    stream = sock.makefile("rb")
    first = json.loads(stream.readline() or "{}")
    for name in list(PRELOAD) + list(first.get("modules", [])):
        try:
            __import__(name)
        except Exception:
            pass
    for setup in first.get("setups", []):
        try:
            _setup_namespace(setup, cache)
        except Exception:
            pass
    _warm_up()
    sock.sendall(b'{"ready": true}\n')
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 4)
        except OSError:
            return
        if not data:
            return
        request = json.loads(data)
        try:
            namespace = _setup_namespace(request["setup"], cache)
        except BaseException as err:
            for fd in fds:
                os.close(fd)
            sock.sendall(json.dumps({"error": f"setup cell failed: {type(err).__name__}: {err}"}).encode() + b"\n")
            continue
        pid = os.fork()
        if pid == 0:
            try:
                sock.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.dup2(devnull, 2)
                judge_main(fds, namespace, request.get("limits", {}))
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        sock.sendall(json.dumps({"pid": pid}).encode() + b"\n")


if __name__ == "__main__":
    zygote_main(int(sys.argv[1]))
