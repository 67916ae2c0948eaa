"""What the grader, the sandbox worker, the kernel and the judge agree on, defined once.

Processes and channels (every message is a frame: an 8-byte big-endian length and JSON):

- grader (``host``) -> worker (stdin): the ``Request`` (the notebook, test cells replaced by
  placeholders: no hidden test ever enters the sandbox), then control messages
  (``HOST_END``: the test cell is over, go on; ``interrupt`` true: interrupt the kernel first).
- worker -> grader (its stdout): ``WORKER_TEST`` (the notebook reached a test cell: the kernel
  now serves the judge), ``WORKER_SERVED`` (the kernel stopped serving before the judge was
  done: it died or student code broke the loop), and last ``WORKER_RESULT`` (``Result``).
- grader -> judge (``judge``, a process outside the sandbox running trusted code only):
  ``JUDGE_RUN`` (a test cell's instructor source, from the gradebook), ``JUDGE_ABORT``;
  judge -> grader: ``JUDGE_DONE`` (the verdict and the outputs the test cell gets).
- judge <-> kernel (two pipes the grader made, passed into the sandbox and to the kernel):
  ``OP_*`` requests and answers of ``rpc`` (plain data only; see ``autograder.sandbox.rpc``).
- kernel -> worker: audit events, one JSON line each, on a pipe.

The limits' defaults, the folders as the sandbox sees them, the error names written into
outputs, the kinds of events and the worker's hints are all here.

Standard library only: the worker and the kernel run as scripts inside the sandbox, where
this folder (bound read-only at ``IN_SANDBOX_CODE``) is the first entry of ``sys.path`` and
this module is imported as ``protocol``; the grader imports it as
``autograder.sandbox.protocol``.
"""
import json
import os
import select
import time
from dataclasses import dataclass
from typing import TypedDict

MiB, GiB = 1024 ** 2, 1024 ** 3


@dataclass
class Limits:
    """Per-submission limits: the grade command's options and their defaults (the only place they are written)."""

    cell_timeout: int = 300          # seconds per cell; training cells need far more than nbgrader's 30 s
    notebook_timeout: int = 1800     # seconds for the whole notebook
    memory: int = 4 * GiB            # bytes: cgroup memory limit and RLIMIT_AS
    processes: int = 128             # tasks (processes and threads) in one sandbox
    output: int = 10 * MiB           # bytes of output per cell and per notebook
    disk: int = 256 * MiB            # bytes of scratch space (tmpfs size, RLIMIT_FSIZE)
    workers: int = 1                 # sandboxes running at once (for the shared RLIMIT_NPROC)


DEFAULTS = Limits()
STARTUP_GRACE = 60      # seconds beyond the notebook limit before the grader kills the sandbox
END_GRACE = 10          # seconds the kernel gets to leave its serving loop after a test cell
JUDGE_GRACE = 10        # seconds beyond the cell limit before the grader kills a judge that does not answer
MAX_FRAME = 64 * MiB    # bytes of one message between the judge and the kernel (a larger value fails the test)
FRAME_HEADER = 8
OPEN_FILES = 4096       # RLIMIT_NOFILE
RLIMITS = ("as", "nproc", "fsize", "cpu", "nofile", "core")  # keys of request["limits"]: resource.RLIMIT_<KEY>

# -- folders and files as the sandbox sees them (bubblewrap; the fallback uses host paths) ------
IN_SANDBOX_CODE = "/tmp/.autograder-code"   # this package's scripts, bound read-only
IN_SANDBOX_WORK = "/tmp/submission"         # the kernel's working folder
IN_SANDBOX_PRIVATE = "/tmp/.autograder"     # kernelspec, connection files, the kernel's settings
WORKER_SCRIPT, KERNEL_SCRIPT, RPC_SCRIPT = "worker.py", "kernel.py", "rpc.py"
SCRIPTS = ("protocol.py", WORKER_SCRIPT, KERNEL_SCRIPT, RPC_SCRIPT)  # what the sandbox needs of this folder
PRECOMPILED = ("protocol.py", RPC_SCRIPT)  # run afresh at every test cell: bound in as compiled code too (".pyc")
PLACEHOLDER = "# test cell {grade_id}: run by the grader, outside this notebook's kernel\n"

# -- the kernel's settings (audit hook, output cap) ----------------------------------------------
SETTINGS_ENV = "AUTOGRADER_KERNEL_SETTINGS"  # names the kernel's JSON settings file (KernelSettings)

# -- messages ---------------------------------------------------------------------------------
WORKER_TEST, WORKER_SERVED, WORKER_RESULT = "test", "served", "result"
HOST_END = "end"
JUDGE_RUN, JUDGE_ABORT, JUDGE_DONE = "run", "abort", "done"
JUDGE_SIDE, KERNEL_SIDE = "j", "k"          # token and handle prefixes of the two rpc peers
OP_RESOLVE, OP_CALL, OP_GET, OP_SET, OP_ISINSTANCE = "resolve", "call", "get", "set", "isinstance"
OP_RETURN, OP_ERROR, OP_FAIL, OP_END = "ret", "err", "fail", "end"
PASS_LINE = "\u2713 {grade_id}: passed\n"  # the only output of a passed test cell (written by the judge)

# -- error names written into cell outputs (nbgrader scores a test cell with an error 0) ---------
CELL_TIMEOUT_ERROR = "CellTimeoutError"     # a cell hit its time limit (nbgrader's name)
OUTPUT_LIMIT_ERROR = "OutputLimitExceeded"  # a cell printed more than the output limit
NOT_RUN_ERROR = "NotRun"                    # a test cell that never ran
DEAD_KERNEL_ERROR = "DeadKernelError"       # the kernel died in this cell
CHANNEL_ERROR = "GradingChannelError"       # the judge could not get a valid answer from the student's code

# -- events: what the kernel's audit hook and the worker report ----------------------------------
READ_OUTSIDE, WRITE_OUTSIDE = "read-outside", "write-outside"   # file access outside the allowed folders
TAMPER_EVENT = "tamper"                     # unreadable data on the audit channel (written by student code)
AUDIT_KINDS = {  # audit event name prefix -> kind (the kernel's other audited events are "other")
    "socket.": "network", "subprocess.": "process", "os.system": "process", "os.exec": "process",
    "os.posix_spawn": "process", "os.spawn": "process", "os.fork": "process", "os.kill": "process",
    "ctypes.": "ctypes", "sys._getframe": "introspection", "object.__getattr__": "introspection",
    "gc.": "introspection", "sys.settrace": "monkeypatch", "sys.setprofile": "monkeypatch",
    "object.__setattr__": "monkeypatch", "object.__delattr__": "monkeypatch",
    "sys.addaudithook": "monkeypatch", "code.__new__": "monkeypatch", "exec": "exec", "compile": "exec",
}
EVENT_KINDS = (READ_OUTSIDE, WRITE_OUTSIDE, TAMPER_EVENT, "reference", "other", *dict.fromkeys(AUDIT_KINDS.values()))
MAX_EVENTS = 200        # distinct events one kernel sends
MAX_EVENTS_KEPT = 500   # events the worker keeps (the rest of a flood is dropped)


class KernelSettings(TypedDict, total=False):
    """The kernel's settings file (request["kernel"] plus the worker's audit pipe); nothing secret."""

    trusted_cells: list          # sources of the release's own cells and the worker's serving code (not student code)
    readable: list               # folders student code may read (in-sandbox paths)
    writable: list
    cell_output_limit: int
    audit_fd: int                # the pipe the audit events go to (added by the worker)


class Request(TypedDict):
    """The worker's stdin: one submission to execute."""

    notebook: dict               # the sanitized notebook (nbformat v4)
    test_cells: dict             # {cell index as str: grade_id}
    files: dict                  # {relative path: base64} copied next to the notebook
    matplotlib_cache: dict       # {fontlist file name: base64}
    kernel: KernelSettings
    channel: list                # [fd the kernel reads the judge's requests from, fd it answers on]
    workdir: str                 # the kernel's working folder
    private_dir: str
    kernel_script: str
    compiled_dir: str            # PRECOMPILED as .pyc files
    cell_timeout: int
    notebook_timeout: int
    output_limit: int
    limits: dict                 # {RLIMITS key: value or None}


def new_hints():
    """The worker's hints about how the run went (Result["hints"]), before anything happened."""
    return {"cell_timeouts": [],       # cells interrupted at the per-cell limit
            "kernel_died": None,       # index of the cell in which the kernel died
            "kernel_exit": None,       # its exit status (negative: the signal; -24: SIGXCPU, the CPU limit)
            "unresponsive": None,      # cell after which the kernel did not answer an interrupt
            "notebook_timeout": False,  # the notebook limit stopped the run
            "output_truncated": False,
            "not_run": [],             # cells that never ran
            "tests_reached": []}       # test cells the notebook reached (the kernel served the judge)


class Result(TypedDict):
    """The worker's stdout: what happened to one submission."""

    cells: list                  # per cell {"outputs", "execution_count"}, None for a markdown cell
    metadata: dict               # language_info, widgets
    hints: dict                  # new_hints()'s keys
    events: list                 # [{"cell", "kind": EVENT_KINDS kind, "detail"}]
    audit_closed_early: bool     # the audit pipe closed while the cells still ran
    timing: dict
    error: str | None            # the kernel would not start or the client broke
    kernel_log: str


# -- framing: one JSON message per frame ------------------------------------------------------------
def write_frame(fd, obj, limit=None):
    """Write one message; ValueError when it is over limit bytes (nothing is written then)."""
    data = json.dumps(obj, separators=(",", ":")).encode()
    if limit is not None and len(data) > limit:
        raise ValueError(f"a message of {len(data) // MiB} MiB is over the limit of {limit // MiB} MiB")
    view = memoryview(len(data).to_bytes(FRAME_HEADER, "big") + data)
    while view:
        view = view[os.write(fd, view):]


def read_exact(fd, n, deadline=None, watch=None):
    """n bytes from fd; None at EOF; "watch" when fd `watch` became readable first; TimeoutError past deadline."""
    chunks, left = [], n
    while left:
        if deadline is not None or watch is not None:
            fds = [fd] + ([watch] if watch is not None else [])
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = select.select(fds, [], [], wait)[0]
            if not ready:
                raise TimeoutError("no answer in time")
            if watch is not None and watch in ready and fd not in ready:
                return "watch"
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd, limit, deadline=None, watch=None):
    """One message; None at EOF; "watch" (see read_exact); ValueError when malformed or over limit bytes."""
    header = read_exact(fd, FRAME_HEADER, deadline, watch)
    if header is None or header == "watch":
        return header
    size = int.from_bytes(header, "big")
    if size > limit:
        raise ValueError(f"a message of {size // MiB} MiB is over the limit of {limit // MiB} MiB")
    data = read_exact(fd, size, deadline)
    if data is None:
        return None
    return json.loads(data)
