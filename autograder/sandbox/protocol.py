"""What the grader, the sandbox worker and the guarded kernel agree on, defined once.

The grader (``host``) writes one JSON request to the worker's stdin and reads one JSON
result from its stdout; the worker starts the kernel (``kernel``) with a guard settings
file and reads the kernel's audit events, one JSON line each, from a pipe. The limits'
defaults, the folders as the sandbox sees them, the error names written into outputs, the
kinds of events and the worker's hints are all here.

Standard library only: the worker and the kernel run as scripts inside the sandbox, where
this folder (bound read-only at ``IN_SANDBOX_CODE``) is the first entry of ``sys.path`` and
this module is imported as ``protocol``; the grader imports it as
``autograder.sandbox.protocol``.
"""
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
GUARD_TIMEOUT = 60      # seconds for one guard check in the kernel; it takes milliseconds
OPEN_FILES = 4096       # RLIMIT_NOFILE
RLIMITS = ("as", "nproc", "fsize", "cpu", "nofile", "core")  # keys of request["limits"]: resource.RLIMIT_<KEY>

# -- folders and files as the sandbox sees them (bubblewrap; the fallback uses host paths) ------
IN_SANDBOX_CODE = "/tmp/.autograder-code"   # this package's scripts, bound read-only
IN_SANDBOX_WORK = "/tmp/submission"         # the kernel's working folder
IN_SANDBOX_PRIVATE = "/tmp/.autograder"     # kernelspec, connection files, guard settings
WORKER_SCRIPT, KERNEL_SCRIPT = "worker.py", "kernel.py"
SCRIPTS = ("protocol.py", WORKER_SCRIPT, KERNEL_SCRIPT)  # what the sandbox needs of this folder

# -- the kernel's guard ------------------------------------------------------------------------
GUARD_ENV = "AUTOGRADER_GUARD"              # names the guard's JSON settings file (GuardSettings)
GUARD_MODULE = "_autograder_guard"          # sys.modules entry with arm(), before(exercise), after()

# -- error names written into cell outputs (nbgrader scores a test cell with an error 0) ---------
CELL_TIMEOUT_ERROR = "CellTimeoutError"     # a cell hit its time limit (nbgrader's name)
OUTPUT_LIMIT_ERROR = "OutputLimitExceeded"  # a cell printed more than the output limit
NOT_RUN_ERROR = "NotRun"                    # a test cell that never ran
TAMPER_ERROR = "TamperError"                # what a test relies on was replaced while it ran
DEAD_KERNEL_ERROR = "DeadKernelError"       # the kernel died in this cell

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
EVENT_KINDS = (READ_OUTSIDE, WRITE_OUTSIDE, TAMPER_EVENT, "other", *dict.fromkeys(AUDIT_KINDS.values()))
FINDING_KINDS = ("monkeypatch", "reference", "other")  # the guard's findings around test cells
MAX_EVENTS = 200        # distinct events one kernel sends
MAX_EVENTS_KEPT = 500   # events the worker keeps (the rest of a flood is dropped)


class GuardSettings(TypedDict, total=False):
    """The kernel guard's settings file (request["guard"] plus the worker's audit pipe)."""

    setup_source: str            # the setup cell, whose imports are rebound before every test
    trusted_cells: list          # sources of the release's own cells and the test cells (not student code)
    test_sources: list
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
    guard: GuardSettings
    workdir: str                 # the kernel's working folder
    private_dir: str
    kernel_script: str
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
            "tamper_failed": [],       # test cells failed by the guard
            "guard_errors": []}


class Result(TypedDict):
    """The worker's stdout: what happened to one submission."""

    cells: list                  # per cell {"outputs", "execution_count"}, None for a markdown cell
    metadata: dict               # language_info, widgets
    hints: dict                  # new_hints()'s keys
    findings: list               # [(cell, FINDING_KINDS kind, detail)]
    events: list                 # [{"cell", "kind": EVENT_KINDS kind, "detail"}]
    audit_closed_early: bool     # the audit pipe closed while the cells still ran
    timing: dict
    error: str | None            # the kernel would not start or the client broke
    kernel_log: str
