"""Execute one sanitized submission inside the sandbox: nbclient and the kernel, both in here.

Started by the grader (``autograder.sandbox.host``) as ``python worker.py`` inside the
sandbox, one process per submission. It reads the request frame on stdin (the sanitized
notebook with its test cells replaced by placeholders, the limits, the kernel's settings:
``protocol.Request``), sets its resource limits (inherited by the kernel), runs every
non-test code cell with a per-cell and a whole-notebook time limit and caps the outputs.
At a test cell it runs nothing of the test: it starts ``rpc.serve`` in the kernel (the
judge, outside the sandbox, talks to it over the channel pipes), tells the grader
(``WORKER_TEST``) and waits for the grader's ``HOST_END``. Last it writes the result frame
(``protocol.Result``) to the pipe that was its stdout. Nothing it prints elsewhere reaches
the grader, and nothing it sends decides a verdict: the grader scores test cells from the
judge alone. Standard library, nbclient and nbformat only.
"""
import asyncio
import base64
import json
import os
import resource
import sys
import threading
import time

if __package__:  # imported as autograder.sandbox.worker
    from autograder.sandbox import protocol
else:  # run as a script (in the sandbox): this folder is sys.path[0]
    import protocol

CELL_TIMEOUT_OUTPUT = {  # what nbgrader's Execute preprocessor records for a cell that timed out
    "ename": protocol.CELL_TIMEOUT_ERROR,
    "evalue": "",
    "traceback": [f"\x1b[0;31m{protocol.CELL_TIMEOUT_ERROR}\x1b[0m: No reply from kernel before timeout"],
}


def set_limits(limits):
    """Resource limits for this process and the kernel it starts (None: leave as is)."""
    for name, value in limits.items():
        if value is None or name not in protocol.RLIMITS:
            continue
        hard = value + 5 if name == "cpu" else value
        try:
            resource.setrlimit(getattr(resource, f"RLIMIT_{name.upper()}"), (value, hard))
        except (ValueError, OSError) as err:
            print(f"could not set RLIMIT_{name.upper()}={value}: {err}", file=sys.stderr)


def make_undumpable():
    """Keep the kernel (same user) from attaching to this process or opening its pipes via /proc."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except Exception as err:  # not Linux: nothing to protect with
        print(f"prctl(PR_SET_DUMPABLE) failed: {err}", file=sys.stderr)


def error_output(ename, evalue):
    from nbformat import NotebookNode
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def output_size(msg):
    content = msg.get("content", {})
    if "text" in content:
        return len(content["text"])
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in content.get("data", {}).values())


class Audit:
    """Events the kernel's audit hook reports over a pipe, tagged with the cell that was running."""

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()
        os.set_inheritable(self.write_fd, True)
        self.events = []
        self.cell = None
        self.eof_at = None
        self.thread = threading.Thread(target=self._read, daemon=True)

    def start(self):
        self.thread.start()

    def _read(self):
        with os.fdopen(self.read_fd, "rb") as pipe:
            while True:
                line = pipe.readline(4096)
                if not line:
                    break
                if len(self.events) >= protocol.MAX_EVENTS_KEPT:
                    continue
                try:
                    event = json.loads(line)
                    event = {"kind": str(event["kind"])[:40], "detail": str(event["detail"])[:300]}
                except Exception:  # garbage written into the pipe by student code
                    event = {"kind": protocol.TAMPER_EVENT, "detail": "unreadable data on the grader's audit channel"}
                self.events.append({"cell": self.cell, **event})
        self.eof_at = time.monotonic()


def build_client_class():
    """The NotebookClient subclass (imported lazily: nbclient is the slow import)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbformat import NotebookNode

    class GradingClient(NotebookClient):
        """nbclient with nbgrader's execution settings, a notebook deadline, output caps and test guards."""

        def __init__(self, nb, request, audit, host, **kwargs):
            super().__init__(nb, **kwargs)
            self.request = request
            self.audit = audit
            self.host = host
            self.cell_timeout = request["cell_timeout"]
            self.deadline = time.monotonic() + request["notebook_timeout"]
            self.output_limit = request["output_limit"]
            self.tests = {int(k): v for k, v in request["test_cells"].items()}
            self.output_total = 0
            self.cell_output = {}
            self.truncated = set()
            self.interrupted_for_output = set()
            self.hints = protocol.new_hints()
            self.finished_at = None
            self.process = None
            self.timing = {}
            self.timeout_func = self._cell_budget
            self.on_cell_executed = self._record_error
            self.timed_out = False   # set by our own timer (nbclient's timeout), never read from an output

        async def _async_handle_timeout(self, timeout, cell=None):
            self.timed_out = True
            return await super()._async_handle_timeout(timeout, cell)

        def _record_error(self, cell, cell_index, execute_reply):
            """nbgrader's Execute.on_cell_executed: an error reply without its output (a timeout) becomes one."""
            content = execute_reply["content"]
            if content["status"] != "error":
                return
            if not any(o.output_type == "error" and o.ename == content["ename"] for o in cell.outputs):
                cell.outputs.append(NotebookNode(output_type="error", ename=content["ename"],
                                                 evalue=content.get("evalue", ""),
                                                 traceback=content.get("traceback") or [
                                                     "ERROR: An error occurred while showtraceback was disabled"]))

        def _cell_budget(self, cell):
            return max(1, min(self.cell_timeout, int(self.deadline - time.monotonic()) + 1))

        # outputs ----------------------------------------------------------------------
        def output(self, outs, msg, display_id, cell_index):
            size = output_size(msg)
            self.output_total += size
            self.cell_output[cell_index] = self.cell_output.get(cell_index, 0) + size
            if self.cell_output[cell_index] >= self.output_limit - 4096:
                self.hints["output_truncated"] = True  # what this worker received, not what the kernel says
            if self.output_total <= self.output_limit or msg["msg_type"] == "error":
                return super().output(outs, msg, display_id, cell_index)
            self.hints["output_truncated"] = True
            if self.cell_output[cell_index] > 2 * self.output_limit and cell_index not in self.interrupted_for_output:
                self.interrupted_for_output.add(cell_index)  # the kernel-side cap was bypassed: stop the flood
                asyncio.ensure_future(self.km.interrupt_kernel())
            content = msg["content"]
            kind = msg["msg_type"]
            if kind == "execute_result":  # a test cell's partial credit: keep its number
                data = {"text/plain": str(content.get("data", {}).get("text/plain", ""))[:1000]}
                outs.append(NotebookNode(output_type="execute_result", data=data, metadata={},
                                         execution_count=content.get("execution_count")))
            elif (cell_index, kind, content.get("name")) not in self.truncated:
                self.truncated.add((cell_index, kind, content.get("name")))
                name = "stderr" if content.get("name") == "stderr" else "stdout"
                outs.append(NotebookNode(output_type="stream", name=name,
                                         text=f"[output dropped: the notebook printed more than "
                                              f"{self.output_limit // 1_000_000} MB]\n"))
            return None

        # the run ----------------------------------------------------------------------
        async def run(self, **kernel_kwargs):
            self.reset_execution_trackers()
            started = time.monotonic()
            cells = self.nb.cells
            next_index = 0
            try:
                async with self.async_setup_kernel(**kernel_kwargs):
                    os.close(self.audit.write_fd)
                    for fd in self.request["channel"]:  # the kernel holds them now: its death closes the channel
                        os.close(fd)
                    self.process = getattr(self.km.provisioner, "process", None)
                    self.audit.start()
                    self._limit_message_size()
                    reply = await self._reply(await _maybe(self.kc.kernel_info()), 60)
                    if reply and "language_info" in reply["content"]:
                        self.nb.metadata["language_info"] = reply["content"]["language_info"]
                    self.timing["kernel_start"] = time.monotonic() - started
                    executed = time.monotonic()
                    for index, cell in enumerate(cells):
                        next_index = index
                        if cell.cell_type != "code" or not cell.source.strip():
                            continue
                        if time.monotonic() >= self.deadline:
                            self.hints["notebook_timeout"] = True
                            self._not_run(index, "the notebook reached its time limit of "
                                                 f"{self.request['notebook_timeout']:.0f} s before this cell")
                            break
                        self.audit.cell = index
                        await self._execute(cell, index)
                    else:
                        next_index = len(cells)
                    self.timing["execute"] = time.monotonic() - executed
                    self.finished_at = time.monotonic()  # all cells ran and the kernel is still alive
            except Stop as stop:
                self._fail_cell(next_index, stop.ename, stop.reason)
                self._not_run(next_index + 1, stop.reason)
            except DeadKernelError:
                self.hints["kernel_died"] = next_index
                reason = f"the kernel died while running cell {next_index}"
                self._fail_cell(next_index, protocol.DEAD_KERNEL_ERROR, reason)
                self._not_run(next_index + 1, reason)
            self.hints["kernel_exit"] = self._kernel_exit()
            self.set_widgets_metadata()

        async def _execute(self, cell, index):
            if index in self.tests:
                return await self._serve_judge(index)
            self.timed_out = False
            try:
                await self.async_execute_cell(cell, index, execution_count=self.code_cells_executed + 1)
            except CellTimeoutError:  # interrupted, but the kernel never went idle again
                self.hints["unresponsive"] = index
                raise Stop(protocol.CELL_TIMEOUT_ERROR, f"cell {index} hit the time limit and the kernel did "
                                                        "not stop when interrupted") from None
            if self.timed_out:
                self.hints["cell_timeouts"].append(index)
                if not await self._responsive():
                    self.hints["unresponsive"] = index
                    raise Stop(protocol.CELL_TIMEOUT_ERROR, f"cell {index} hit the time limit and the kernel did not "
                                                   "stop when interrupted")

        async def _serve_judge(self, index):
            """A test cell: the kernel serves the judge (rpc.serve) until the grader says the test is over."""
            self.hints["tests_reached"].append(index)
            code = serve_code(self.request, self.tests[index], index)
            msg_id = await _maybe(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False))
            self.host.send({"op": protocol.WORKER_TEST, "cell": index})
            served = asyncio.ensure_future(self._reply(msg_id, None))
            told = asyncio.ensure_future(self.host.get())
            await asyncio.wait({served, told}, return_when=asyncio.FIRST_COMPLETED)
            if served.done() and not told.done():  # the serving loop ended (or the kernel died) before the judge
                dead = isinstance(served.exception(), DeadKernelError)
                self.host.send({"op": protocol.WORKER_SERVED, "cell": index, "dead": dead})
                await told
                if dead:
                    raise served.exception()
                return
            end = told.result() or {}
            interrupted = False
            if end.get("interrupt"):
                self.hints["cell_timeouts"].append(index)
                await _maybe(self.km.interrupt_kernel())
                interrupted = True
            for _ in range(2):
                done, _ = await asyncio.wait({served}, timeout=protocol.END_GRACE)
                if done:
                    if isinstance(served.exception(), DeadKernelError):
                        raise served.exception()
                    return
                if not interrupted:
                    await _maybe(self.km.interrupt_kernel())
                    interrupted = True
            served.cancel()
            self.hints["unresponsive"] = index
            raise Stop(protocol.CELL_TIMEOUT_ERROR, f"the kernel did not stop serving test cell {index} when interrupted")

        async def _reply(self, msg_id, timeout):
            deadline = time.monotonic() + timeout if timeout is not None else None
            while True:
                remaining = deadline - time.monotonic() if deadline is not None else 1.0
                if remaining <= 0:
                    return None
                try:
                    msg = await _maybe(self.kc.shell_channel.get_msg(timeout=min(remaining, 1.0)))
                except Exception:  # queue.Empty
                    if not await _maybe(self.kc.is_alive()):
                        raise DeadKernelError("Kernel died") from None
                    continue
                if msg["parent_header"].get("msg_id") == msg_id:
                    return msg

        async def _responsive(self):
            """After an interrupt: is the kernel idle again within a few seconds?"""
            try:
                msg_id = await _maybe(self.kc.kernel_info())
                return await self._reply(msg_id, min(10, max(2, self.cell_timeout))) is not None
            except DeadKernelError:
                raise
            except Exception:
                return False

        def _limit_message_size(self):
            try:
                import zmq
                limit = max(64_000_000, 4 * self.output_limit)
                for channel in (self.kc.iopub_channel, self.kc.shell_channel):
                    channel.socket.setsockopt(zmq.MAXMSGSIZE, limit)
            except Exception as err:
                print(f"could not limit message size: {err}", file=sys.stderr)

        def _fail_cell(self, index, ename, reason):
            if index < len(self.nb.cells) and self.nb.cells[index].cell_type == "code":
                self.nb.cells[index].outputs.append(error_output(ename, reason))

        def _not_run(self, start, reason):
            for index in range(start, len(self.nb.cells)):
                cell = self.nb.cells[index]
                if cell.cell_type == "code" and cell.source.strip():
                    self.hints["not_run"].append(index)

        def _kernel_exit(self):
            return self.process.poll() if self.process is not None else None

        def audit_closed_early(self):
            """Did the audit pipe close while every cell still ran (student code closed it)?"""
            eof = self.audit.eof_at
            return eof is not None and self.finished_at is not None and eof < self.finished_at

    return GradingClient


class Stop(Exception):
    """End the run early: the kernel stopped answering."""

    def __init__(self, ename, reason):
        super().__init__(reason)
        self.ename, self.reason = ename, reason


class Host:
    """The control pipes to the grader: frames out (send), frames in (get, read by a thread)."""

    def __init__(self, in_fd, out_fd):
        self.in_fd, self.out_fd = in_fd, out_fd
        self.queue = None
        self.lock = threading.Lock()

    def start(self, loop):
        self.queue = asyncio.Queue()

        def read():
            while True:
                try:
                    message = protocol.read_frame(self.in_fd, protocol.MAX_FRAME)
                except (OSError, ValueError):
                    message = None
                loop.call_soon_threadsafe(self.queue.put_nowait, message)
                if message is None:
                    return
        threading.Thread(target=read, daemon=True).start()

    async def get(self):
        message = await self.queue.get()
        if message is None:  # the grader went away: nothing more to wait for
            self.queue.put_nowait(None)
        return message

    def send(self, message):
        with self.lock:
            protocol.write_frame(self.out_fd, message)


def serve_code(request, exercise, session):
    """The one line the worker runs in the kernel at a test cell (also a trusted cell for the audit hook)."""
    compiled = request["compiled_dir"]  # protocol.PRECOMPILED, as .pyc files
    read_fd, write_fd = request["channel"]
    return (f"__import__('runpy').run_path({compiled + '/' + protocol.RPC_SCRIPT + 'c'!r}, init_globals={{'protocol': "
            f"__import__('types').SimpleNamespace(**__import__('runpy').run_path({compiled + '/protocol.pyc'!r}))}})"
            f"['serve_in_kernel'](get_ipython().user_ns, {read_fd}, {write_fd}, {protocol.MAX_FRAME}, "
            f"{request['audit_fd']}, {exercise!r}, {session!r})")


async def _maybe(value):
    return await value if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future) else value


def _cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def write_kernelspec(root, kernel_script):
    folder = os.path.join(root, "kernels", "python3")
    os.makedirs(folder, exist_ok=True)
    spec = {"argv": [sys.executable, kernel_script, "-f", "{connection_file}"],
            "display_name": "Python 3 (graded)", "language": "python"}
    with open(os.path.join(folder, "kernel.json"), "w") as f:
        json.dump(spec, f)


def main():
    result_fd = os.dup(1)  # frames to the grader go here; the kernel never inherits it
    host_fd = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    request = protocol.read_frame(host_fd, 2 ** 31)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    make_undumpable()
    set_limits(request["limits"])

    work = request["workdir"]
    private = request["private_dir"]
    for folder in (work, private, os.path.join(private, "runtime"), os.path.join(private, "ipython")):
        os.makedirs(folder, exist_ok=True)
    for name, data in request.get("files", {}).items():
        target = os.path.join(work, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(base64.b64decode(data))
    for folder in (os.environ.get("HOME"), os.environ.get("MPLCONFIGDIR")):
        if folder:
            os.makedirs(folder, exist_ok=True)
    for name, data in request.get("matplotlib_cache", {}).items():
        with open(os.path.join(os.environ["MPLCONFIGDIR"], os.path.basename(name)), "wb") as f:
            f.write(base64.b64decode(data))
    write_kernelspec(private, request["kernel_script"])
    audit = Audit()
    request["audit_fd"] = audit.write_fd
    tests = {int(k): v for k, v in request["test_cells"].items()}
    settings = dict(request["kernel"], audit_fd=audit.write_fd)
    settings["trusted_cells"] = list(settings.get("trusted_cells", [])) + [serve_code(request, g, i) for i, g in tests.items()]
    settings_path = os.path.join(private, "kernel.json")
    with open(settings_path, "w") as f:
        json.dump(settings, f)
    os.environ.update({"JUPYTER_PATH": private, "JUPYTER_RUNTIME_DIR": os.path.join(private, "runtime"),
                       "JUPYTER_CONFIG_DIR": private, "IPYTHONDIR": os.path.join(private, "ipython"),
                       protocol.SETTINGS_ENV: settings_path, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    sys.modules.setdefault("rfc3987_syntax", None)  # jsonschema's URI checks: 1.6 s of import for nothing

    import nbformat
    started = time.monotonic()
    nb = nbformat.from_dict(request["notebook"])
    client_class = build_client_class()
    from traitlets.config import Config
    config = Config()
    config.KernelManager.transport = "ipc"  # unix sockets in the private folder: no TCP port, no network needed
    config.KernelManager.ip = os.path.join(private, "runtime", "kernel")
    host = Host(host_fd, result_fd)
    client = client_class(nb, request, audit, host, config=config, kernel_name="python3", timeout=request["cell_timeout"],
                          interrupt_on_timeout=True, error_on_timeout=CELL_TIMEOUT_OUTPUT, allow_errors=True,
                          raise_on_iopub_timeout=True, shutdown_kernel="immediate", record_timing=False,
                          startup_timeout=120, resources={"metadata": {"path": work}})
    kernel_log = open(os.path.join(private, "kernel.log"), "wb")
    error = None
    channel = tuple(request["channel"])

    async def run():
        host.start(asyncio.get_running_loop())
        await client.run(stdout=devnull, stderr=kernel_log, pass_fds=(audit.write_fd,) + channel, cwd=work)

    try:
        asyncio.run(run())
    except Exception as err:  # the kernel would not start, or the client broke: report, do not hide
        error = f"{type(err).__name__}: {err}"
    if audit.thread.ident is not None:
        audit.thread.join(timeout=2)
    kernel_log.close()
    with open(os.path.join(private, "kernel.log"), "rb") as f:
        log_tail = f.read()[-4000:].decode("utf-8", "replace")
    result = protocol.Result(
        cells=[{"outputs": c.get("outputs", []), "execution_count": c.get("execution_count")}
               if c.cell_type == "code" else None for c in nb.cells],
        metadata={k: nb.metadata[k] for k in ("language_info", "widgets") if k in nb.metadata},
        hints=client.hints, events=audit.events,
        audit_closed_early=client.audit_closed_early(),
        timing=dict(client.timing, total=time.monotonic() - started, worker_cpu=_cpu(resource.RUSAGE_SELF),
                    kernel_cpu=_cpu(resource.RUSAGE_CHILDREN)),
        error=error, kernel_log=log_tail,
    )
    host.send(dict(result, op=protocol.WORKER_RESULT))
    os.close(result_fd)


if __name__ == "__main__":
    main()
