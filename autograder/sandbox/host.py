"""Run one submission in its own sandboxed process: what the platform offers, detected once.

Mechanisms, strongest first (``detect``), and what each enforces:

- **bubblewrap** (``bwrap``): new mount, PID, network, IPC and UTS namespaces. The
  filesystem is the machine's, read-only, with the course folder's parent, the grading work
  folder, the submissions, the gradebook's folder, home folders, ``/run``, ``/tmp`` and
  ``/var/tmp`` hidden under empty tmpfs mounts; the interpreter, its site-packages, the
  course library (``lib/``) and the data folder are bound back read-only. The only writable
  place is a private, size-limited ``/tmp`` holding the submission's working folder. No
  network (only a private loopback). When the sandbox's process 1 ends, every process
  left inside is killed.
- **unprivileged user**: as root, the notebook runs as uid/gid 65534 (``nobody``) with no
  capabilities and ``no_new_privs``; otherwise as the calling user mapped to 65534 in a
  user namespace.
- **cgroups** (as root, v1 or v2): a memory limit (OOM kills are reported as ``memory``),
  a process limit (``pids.max``; hits are reported as ``processes``), cleaned up afterwards.
- **rlimits** (always, set by the worker before the kernel starts): address space
  (``RLIMIT_AS``: large allocations fail with MemoryError), processes (``RLIMIT_NPROC``),
  file size (``RLIMIT_FSIZE``), CPU seconds (``RLIMIT_CPU``), no core dumps.
- **time**: per cell (interrupt, like nbgrader), per notebook (the rest is not run), and a
  wall-clock kill of the whole sandbox as the last resort; **output**: per cell in the
  kernel, per notebook in the worker, and a cap on what the grader reads back.

Without bubblewrap (or where it cannot create namespaces) the fallback is a separate
process with the rlimits, the time and output limits, a temporary working folder, uid
65534 when root can run the interpreter as that user, cgroups as root, and a new network
namespace as root (``unshare --net``); the filesystem stays readable and, for a non-root
grader, the network stays reachable. ``Mechanisms.describe()`` says which is in force.
"""
import atexit
import json
import os
import py_compile
import queue
import shutil
import signal
import site
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox import protocol
from autograder.sandbox.protocol import IN_SANDBOX_CODE, IN_SANDBOX_PRIVATE, IN_SANDBOX_WORK, Limits

HERE = Path(__file__).resolve().parent   # the worker's and kernel's scripts, run from here (or bound in)
SANDBOX_UID = int(os.environ.get("AUTOGRADER_SANDBOX_UID", 65534))


@dataclass
class Mechanisms:
    """What this machine offers for sandboxing, detected once per grading run."""

    bwrap: str | None = None
    root: bool = False
    run_as: int | None = None        # uid the notebook runs as (root only)
    setpriv: str | None = None
    unshare: str | None = None
    cgroup: str | None = None        # "v1", "v2" or None
    cgroup_root: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    @property
    def isolated(self):
        return self.bwrap is not None

    def describe(self):
        """One line per mechanism: what is enforced here and what is not."""
        lines = []
        if self.bwrap:
            lines.append("sandbox: bubblewrap namespaces: read-only filesystem with the course, solutions, "
                         "gradebook, submissions and home folders hidden; no network; private /tmp")
        else:
            lines.append("sandbox: FILESYSTEM ISOLATION OFF (bubblewrap not usable): student code can read "
                         "every file the grading user can"
                         + ("" if self.unshare else "; NETWORK ISOLATION OFF"))
        if self.run_as is not None:
            lines.append(f"user: uid {self.run_as} without capabilities")
        lines.append("limits: " + ("cgroup " + self.cgroup + " memory and process limits + " if self.cgroup else "")
                     + "rlimits (address space, processes, file size, CPU), time and output limits")
        return lines + self.notes


def detect(mode="auto"):
    """Mechanisms available here; mode 'none' forces the fallback, 'bwrap' requires bubblewrap."""
    mech = Mechanisms(root=os.geteuid() == 0)
    mech.setpriv = shutil.which("setpriv")
    if mode != "none":
        bwrap = shutil.which("bwrap")
        if bwrap and _bwrap_works(bwrap, mech):
            mech.bwrap = bwrap
        elif mode == "bwrap":
            raise SystemExit("the bubblewrap sandbox was requested but `bwrap` is missing or cannot create "
                             "namespaces here (apt-get install bubblewrap)")
        else:
            mech.notes.append("bubblewrap missing or unusable: install it (apt-get install bubblewrap) "
                              "for filesystem and network isolation")
    if mech.root:
        if mech.bwrap:
            mech.run_as = SANDBOX_UID if mech.setpriv else None
        elif mech.setpriv and _runs_as(mech.setpriv, SANDBOX_UID):
            mech.run_as = SANDBOX_UID
        else:
            mech.notes.append(f"the interpreter is not usable by uid {SANDBOX_UID}: notebooks run as root")
        if not mech.bwrap and shutil.which("unshare"):
            mech.unshare = shutil.which("unshare")
        mech.cgroup, mech.cgroup_root = _cgroup_setup()
        if not mech.cgroup:
            mech.notes.append("cgroups not writable: memory and process limits by rlimits only")
    return mech


def _bwrap_works(bwrap, mech):
    cmd = [bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"]
    if mech.root:
        cmd = [bwrap, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--unshare-ipc",
               "--die-with-parent", "true"]
    try:
        return subprocess.run(cmd, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _runs_as(setpriv, uid):
    # the worker must be able to start the kernel with the same interpreter, as that user
    check = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import ipykernel'], check=True)"
    cmd = [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable, "-c", check]
    try:
        return subprocess.run(cmd, capture_output=True, timeout=60, cwd="/").returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


# -- cgroups ---------------------------------------------------------------------------------
def _cgroup_setup():
    """('v1'|'v2', {controller: parent folder}) for a fresh parent group of this run, or (None, {})."""
    base = Path("/sys/fs/cgroup")
    name = f"autograder-{os.getpid()}"
    try:
        if (base / "memory" / "memory.limit_in_bytes").exists() and (base / "pids").is_dir():
            roots = {"memory": base / "memory" / name, "pids": base / "pids" / name}
            for path in roots.values():
                path.mkdir(exist_ok=True)
            atexit.register(_remove_groups, list(roots.values()))
            return "v1", roots
        controllers = (base / "cgroup.controllers").read_text().split()
        if {"memory", "pids"} <= set(controllers):
            parent = base / name
            parent.mkdir(exist_ok=True)
            (base / "cgroup.subtree_control").write_text("+memory +pids")
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
            atexit.register(_remove_groups, [parent])
            return "v2", {"unified": parent}
    except OSError:
        pass
    return None, {}


def _remove_groups(paths):
    """Remove this run's (empty) parent groups when the grader exits."""
    for path in paths:
        try:
            path.rmdir()
        except OSError:
            pass


class Cgroup:
    """One submission's cgroup(s): limits, membership through a shell wrapper, statistics, cleanup."""

    def __init__(self, mech, limits):
        self.version = mech.cgroup
        self.dirs = {key: root / uuid.uuid4().hex[:12] for key, root in mech.cgroup_root.items()}
        for path in self.dirs.values():
            path.mkdir()
        if self.version == "v1":
            (self.dirs["memory"] / "memory.limit_in_bytes").write_text(str(limits.memory))
            try:
                (self.dirs["memory"] / "memory.memsw.limit_in_bytes").write_text(str(limits.memory))
            except OSError:
                pass  # no swap accounting
            (self.dirs["pids"] / "pids.max").write_text(str(limits.processes))
        else:
            group = self.dirs["unified"]
            (group / "memory.max").write_text(str(limits.memory))
            try:
                (group / "memory.swap.max").write_text("0")
            except OSError:
                pass
            (group / "pids.max").write_text(str(limits.processes))

    def procs_files(self):
        return [str(path / "cgroup.procs") for path in self.dirs.values()]

    def stats(self):
        """{'oom_kills', 'pids_max_hits', 'memory_peak'} (None where the kernel does not say)."""
        def read(path):
            try:
                return path.read_text()
            except OSError:
                return ""

        def field_value(text, key):
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == key:
                    return int(parts[1])
            return None

        if self.version == "v1":
            memory, pids = self.dirs["memory"], self.dirs["pids"]
            oom = field_value(read(memory / "memory.oom_control"), "oom_kill")
            peak = read(memory / "memory.max_usage_in_bytes").strip()
            return {"oom_kills": oom, "pids_max_hits": field_value(read(pids / "pids.events"), "max"),
                    "memory_peak": int(peak) if peak.isdigit() else None}
        group = self.dirs["unified"]
        peak = read(group / "memory.peak").strip()
        return {"oom_kills": field_value(read(group / "memory.events"), "oom_kill"),
                "pids_max_hits": field_value(read(group / "pids.events"), "max"),
                "memory_peak": int(peak) if peak.isdigit() else None}

    def kill_all(self):
        for path in self.dirs.values():
            for pid in (path / "cgroup.procs").read_text().split() if (path / "cgroup.procs").exists() else []:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass

    def remove(self):
        for _ in range(50):
            self.kill_all()
            try:
                for path in self.dirs.values():
                    if path.exists():
                        path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


# -- the sandbox's filesystem view ------------------------------------------------------------
def _contains(outer, inner):
    outer, inner = str(outer).rstrip("/") or "/", str(inner)
    return inner == outer or inner.startswith(outer + "/") or outer == "/"


def filesystem_view(course_root, secrets, data_dirs):
    """(hidden, exposed): folders covered by empty tmpfs, and folders bound back read-only."""
    course_root = Path(course_root).resolve()
    home = Path.home().resolve()
    hidden = {course_root.parent if course_root.parent != Path("/") else course_root, home,
              Path("/home"), Path("/root"), Path("/run"), Path("/var/tmp"), Path("/mnt"), Path("/media"),
              Path("/srv"), Path("/var/lib/postgresql"), Path("/var/spool")}
    hidden |= {Path(s).resolve() for s in secrets if s}
    # /tmp is always covered by the sandbox's own tmpfs (mode 1777); covering it twice would close it
    hidden = {p for p in hidden if p.is_dir() and p not in (Path("/"), Path("/tmp"))}
    exposed = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent.parent,
               course_root / "lib"}
    exposed |= {Path(p) for p in site.getsitepackages() + [site.getusersitepackages()]}
    prefixes = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    exposed |= {Path(p) for p in sys.path  # installed packages only, never a script's or the working folder
                if p and Path(p).is_dir() and (Path(p).name in ("site-packages", "dist-packages")
                                               or any(_contains(q, p) for q in prefixes))}
    exposed |= {Path(d) for d in data_dirs if d}
    exposed = {p.resolve() for p in exposed if p.is_dir()}
    # a course or interpreter under /tmp (e.g. a clone there) is bound back over the sandbox's /tmp
    exposed = {p for p in exposed if not _contains(Path(IN_SANDBOX_WORK), p) and not _contains(p, IN_SANDBOX_WORK)}
    secret_paths = [course_root] + [Path(s).resolve() for s in secrets if s]
    # never bind back a folder that holds a secret (the course root itself is on sys.path when run from it)
    exposed = {p for p in exposed if not any(_contains(p, s) for s in secret_paths)}
    covered = hidden | {Path("/tmp")}
    exposed = {p for p in exposed if any(_contains(h, p) for h in covered)}  # only what a tmpfs covered
    hidden = {p for p in hidden if not any(q != p and _contains(q, p) for q in hidden)
              or any(_contains(e, p) for e in exposed)}
    # under /tmp, the sandbox's own empty tmpfs already hides a folder (and keeps its path out of the mount table)
    hidden = {p for p in hidden if not _contains(Path("/tmp"), p) or any(_contains(e, p) for e in exposed)}
    exposed = {p for p in exposed if not any(q != p and _contains(q, p) for q in exposed)}
    return sorted(hidden, key=lambda p: len(p.parts)), sorted(exposed, key=lambda p: len(p.parts))


def precompile(code_dir):
    """A fresh folder holding protocol.PRECOMPILED as .pyc files whose code names code_dir/<script>.

    The kernel runs them from scratch at every test cell (runpy.run_path reads a .pyc without
    compiling the source again); the file name keeps them the grader's code for the audit hook.
    """
    folder = tempfile.mkdtemp(prefix="autograder-code-")
    os.chmod(folder, 0o755)  # the fallback's sandbox user reads them in place
    for name in protocol.PRECOMPILED:
        target = os.path.join(folder, name + "c")
        py_compile.compile(str(HERE / name), target, dfile=f"{code_dir}/{name}", doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        os.chmod(target, 0o644)
    atexit.register(shutil.rmtree, folder, True)
    return folder


def bwrap_args(mech, limits, hidden, exposed, compiled):
    args = [mech.bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if mech.run_as is not None:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    args += ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(limits.disk), "--tmpfs", "/tmp",
             "--perms", "1777", "--size", str(limits.disk), "--tmpfs", "/dev/shm"]
    for path in hidden:
        args += ["--tmpfs", str(path)]
    parents = set()  # folders bwrap would create for the mount points, 0700 and so closed to the sandbox user
    for path in exposed:
        for cover in hidden + [Path("/tmp")]:
            if _contains(cover, path) and cover != path:
                parents |= {a for a in path.parents if _contains(cover, a) and a != cover}
    for folder in sorted(parents, key=lambda p: len(p.parts)):
        args += ["--perms", "0755", "--dir", str(folder)]
    for path in exposed:
        args += ["--ro-bind", str(path), str(path)]
    for path in hidden:  # a secret inside a folder bound back (e.g. a work folder inside the venv)
        if any(_contains(e, path) and e != path for e in exposed):
            args += ["--tmpfs", str(path)]
    args += ["--perms", "0755", "--dir", IN_SANDBOX_CODE]
    for name in protocol.SCRIPTS:  # the scripts only, not the rest of the package folder
        args += ["--ro-bind", str(HERE / name), f"{IN_SANDBOX_CODE}/{name}"]
    for name in protocol.PRECOMPILED:
        args += ["--ro-bind", os.path.join(compiled, name + "c"), f"{IN_SANDBOX_CODE}/{name}c"]
    args += ["--chdir", "/tmp", "--unsetenv", "AUTOGRADER_CGROUPS"]
    return args


def bwrap_command(args):
    """(argv, fd): bwrap reading its options from a pipe (--args), so that the sandbox's /proc/1/cmdline
    holds no host path (work folder, submissions); the caller passes fd to bwrap and closes it after."""
    split = args.index("--")
    options, command = args[1:split], args[split:]
    read_fd, write_fd = os.pipe()
    data = b"".join(a.encode() + b"\0" for a in options)
    if len(data) > 60000:  # more than a pipe holds before bwrap reads it: keep them on the command line
        os.close(read_fd)
        os.close(write_fd)
        return args, None
    os.write(write_fd, data)
    os.close(write_fd)
    return [args[0], "--args", str(read_fd)] + command, read_fd


def _drop_privileges(mech):
    if mech.run_as is None:
        return []
    uid = str(mech.run_as)
    return [mech.setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs", "--inh-caps=-all"]


def _nproc_limit(mech, limits):
    """RLIMIT_NPROC counts every process of the user, in every namespace: leave room for the others."""
    uid = mech.run_as if mech.run_as is not None else os.getuid()
    if uid == 0:
        return None  # not enforced for root
    others = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    others += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return others + limits.processes * max(1, limits.workers) + 16


def environment(in_sandbox_tmp):
    """The sandbox's environment: nothing of the grader's (no database URL, no tokens), only the course's settings."""
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": f"{in_sandbox_tmp}/home", "TMPDIR": in_sandbox_tmp, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2", "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1", "MPLCONFIGDIR": f"{in_sandbox_tmp}/.matplotlib",
        "CUDA_VISIBLE_DEVICES": "", "NBGRADER_EXECUTION": "autograde", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    if os.environ.get("TRAINLAB_DATA"):
        env["TRAINLAB_DATA"] = str(Path(os.environ["TRAINLAB_DATA"]).resolve())
    if os.environ.get("TRAINLAB_QUICK"):  # the course's cheap settings (lecture 13), as the tests run it
        env["TRAINLAB_QUICK"] = os.environ["TRAINLAB_QUICK"]
    return env


# -- one run ----------------------------------------------------------------------------------
@dataclass
class RunResult:
    """What came back from one sandbox: the worker's JSON result (None when it produced none) and facts.

    Everything but ``result`` is the grader's own observation; ``verdicts`` come from the judge.
    """

    result: dict | None
    returncode: int | None
    seconds: float
    killed: str | None = None            # "timeout" or "output" when the grader killed the sandbox
    stderr: str = ""
    cgroup: dict = field(default_factory=dict)
    verdicts: dict = field(default_factory=dict)       # {cell index: the judge's JUDGE_DONE message}
    judge_timeouts: list = field(default_factory=list)  # test cells that hit the time limit (judge or grader timer)
    judge_errors: list = field(default_factory=list)    # the judge itself failed (a grader problem)
    judge_seconds: float = 0.0


# -- the judge ------------------------------------------------------------------------------------
class JudgePool:
    """The judge zygote (``judge.py``): started once per grading run, forks one judge per submission."""

    def __init__(self, course_root):
        self.course_root = Path(course_root)
        self.lock = threading.Lock()
        self.proc = self.sock = self.reader = None
        self.preload = {"modules": [], "setups": []}
        self.started = None

    def configure(self, modules, setups):
        self.preload = {"modules": sorted(set(modules)), "setups": list(dict.fromkeys(setups))}

    def start(self):
        """Start the zygote in the background (preloading takes seconds; the first spawn waits for it)."""
        self.started = threading.Thread(target=self._ensure, daemon=True)
        self.started.start()

    def _ensure(self):
        with self.lock:
            if self.proc is not None and self.proc.poll() is None:
                return
            parent, child = socket.socketpair()
            cwd = tempfile.mkdtemp(prefix="autograder-judge-")
            env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
                       PYTHONPATH=os.pathsep.join([str(self.course_root)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
            self.proc = subprocess.Popen([sys.executable, str(HERE / "judge.py"), str(child.fileno())],
                                         pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, env=env,
                                         start_new_session=True)
            child.close()
            self.sock, self.reader = parent, parent.makefile("rb")
            parent.sendall(json.dumps(self.preload).encode() + b"\n")
            if not self.reader.readline():
                raise RuntimeError("the judge zygote did not start")
            atexit.register(self.close)

    def spawn(self, setup, channel, limits):
        """A fresh judge for one submission, given the kernel channel's judge ends (kept open here too)."""
        if self.started is not None:
            self.started.join()
        self._ensure()
        control_r, control_w = os.pipe()
        answer_r, answer_w = os.pipe()
        try:
            with self.lock:
                socket.send_fds(self.sock, [json.dumps({"setup": setup, "limits": limits}).encode()],
                                [control_r, answer_w, *channel])
                line = self.reader.readline()
        finally:
            os.close(control_r)
            os.close(answer_w)
        answer = json.loads(line or b"{}")
        if "pid" not in answer:
            os.close(control_w)
            os.close(answer_r)
            raise RuntimeError(answer.get("error", "the judge zygote died"))
        return Judge(answer["pid"], control_w, answer_r)

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Judge:
    """One submission's judge process: JUDGE_RUN out, JUDGE_DONE back (read by a thread into events)."""

    def __init__(self, pid, control, answers):
        self.pid, self.control, self.answers = pid, control, answers

    def listen(self, events):
        def read():
            while True:
                try:
                    message = protocol.read_frame(self.answers, protocol.MAX_FRAME)
                except (OSError, ValueError):
                    message = None
                events.put(("judge", self, message))
                if message is None:
                    try:
                        os.close(self.answers)
                    except OSError:
                        pass
                    return
        threading.Thread(target=read, daemon=True).start()

    def send(self, message):
        try:
            protocol.write_frame(self.control, message)
            return True
        except OSError:
            return False

    def close(self):
        for fd in (self.control,):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class Sandbox:
    """Launches sandboxed workers with one configuration (mechanisms, limits, filesystem view)."""

    def __init__(self, mech, limits: Limits, course_root, secrets, data_dirs):
        self.mech, self.limits = mech, limits
        self.hidden, self.exposed = filesystem_view(course_root, secrets, data_dirs)
        self.readable = [str(p) for p in self.exposed] + ["/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin",
                                                          "/opt", "/proc", "/sys", "/dev"]
        self._active, self._lock = set(), threading.Lock()
        self.judges = JudgePool(course_root)
        self.compiled = precompile(IN_SANDBOX_CODE if mech.isolated else str(HERE))
        if not mech.isolated:
            _become_subreaper()  # orphans of a killed worker come back to us, to be killed

    def request_paths(self, scratch):
        """(working folder, private folder, code folder, readable, writable) as the sandbox sees them."""
        if self.mech.isolated:
            return IN_SANDBOX_WORK, IN_SANDBOX_PRIVATE, IN_SANDBOX_CODE, self.readable, ["/tmp", "/dev/null"]
        work, private = str(scratch / "submission"), str(scratch / ".autograder")
        readable = self.readable + [str(p) for p in self.exposed] + [self.compiled]
        return work, private, str(HERE), readable, [str(scratch), "/dev/null"]

    def run(self, request, tests=None, setup=""):
        """Execute one worker request in a fresh sandbox; never raises for what the submission does.

        tests: {cell index as str: {"grade_id", "source", "points"}}, the instructor's test cells, run by
        a judge outside the sandbox when the notebook reaches them; setup: the setup cell the judge runs.
        """
        limits = self.limits
        request = dict(request)
        judged = request.pop("judge", None) or {}   # the instructor's tests: never sent into the sandbox
        tests, setup = tests or judged.get("tests", {}), setup or judged.get("setup", "")
        scratch = Path(tempfile.mkdtemp(prefix="autograder-"))
        work, private, code, readable, writable = self.request_paths(scratch)
        to_kernel, from_judge = os.pipe()[::-1]   # judge writes, kernel reads
        from_kernel, to_judge = os.pipe()          # kernel writes, judge reads
        kernel_ends, judge_ends = (from_judge, to_judge), (to_kernel, from_kernel)
        request = dict(request, workdir=work, private_dir=private, kernel_script=f"{code}/{protocol.KERNEL_SCRIPT}",
                       compiled_dir=code if self.mech.isolated else self.compiled,
                       cell_timeout=limits.cell_timeout, notebook_timeout=limits.notebook_timeout,
                       output_limit=limits.output, channel=list(kernel_ends))
        request["kernel"] = dict(request.get("kernel", {}), readable=readable, writable=writable,
                                 cell_output_limit=limits.output)
        # with a cgroup memory limit (the grader's observation of memory), the address-space limit is a backstop
        address_space = limits.memory * 3 if self.mech.cgroup else limits.memory
        request["limits"] = {"as": address_space, "nproc": _nproc_limit(self.mech, limits),
                             "fsize": limits.disk, "cpu": limits.notebook_timeout + protocol.STARTUP_GRACE,
                             "nofile": protocol.OPEN_FILES, "core": 0}
        env = environment("/tmp" if self.mech.isolated else str(scratch))
        cmd = _drop_privileges(self.mech) + [sys.executable, f"{code}/{protocol.WORKER_SCRIPT}"]
        pass_fds = list(kernel_ends)
        if self.mech.isolated:
            cmd, args_fd = bwrap_command(bwrap_args(self.mech, limits, self.hidden, self.exposed, self.compiled) + ["--"] + cmd)
            if args_fd is not None:
                pass_fds.append(args_fd)
        else:
            if self.mech.run_as is not None:
                os.chown(scratch, self.mech.run_as, self.mech.run_as)
            if self.mech.unshare:
                cmd = [self.mech.unshare, "--net", "--"] + cmd
        cgroup = None
        if self.mech.cgroup:
            try:
                cgroup = Cgroup(self.mech, limits)
                env["AUTOGRADER_CGROUPS"] = " ".join(cgroup.procs_files())
                cmd = ["/bin/sh", "-c", 'for f in $AUTOGRADER_CGROUPS; do echo $$ > "$f" || exit 97; done; '
                       'exec "$@"', "sandbox"] + cmd
            except OSError as err:
                cgroup = None
                self.mech.notes.append(f"cgroup creation failed ({err}): rlimits only")
        started = time.monotonic()
        payload = json.dumps(request).encode()
        try:
            return self._run(cmd, env, scratch, payload, cgroup, started, pass_fds, tests, setup, judge_ends)
        finally:
            for fd in judge_ends:
                os.close(fd)
            if cgroup is not None:
                cgroup.remove()
            shutil.rmtree(scratch, ignore_errors=True)

    def _run(self, cmd, env, scratch, payload, cgroup, started, pass_fds, tests, setup, judge_ends):
        limits = self.limits
        with self._lock:
            try:
                proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=env, cwd=str(scratch), start_new_session=True, pass_fds=pass_fds)
            finally:
                for fd in pass_fds:
                    os.close(fd)
            self._active.add(proc.pid)
        cap = 4 * limits.output + 64 * 1024 ** 2 + len(payload)
        err, killed = bytearray(), []
        events = queue.Queue()
        lock = threading.Lock()
        outcome = RunResult(None, None, 0.0)

        def to_worker(message):
            with lock:
                try:
                    protocol.write_frame(proc.stdin.fileno(), message)
                except (OSError, ValueError):
                    pass

        def feed():
            with lock:
                try:
                    proc.stdin.write(len(payload).to_bytes(protocol.FRAME_HEADER, "big") + payload)
                    proc.stdin.flush()
                except OSError:
                    pass

        def read_worker():
            fd = proc.stdout.fileno()
            while True:
                try:
                    message = protocol.read_frame(fd, cap)
                except ValueError:  # oversized or malformed: the sandbox is killed
                    if not killed:
                        killed.append("output")
                        self._kill(proc, cgroup)
                    message = None
                except OSError:
                    message = None
                events.put(("worker", None, message))
                if message is None:
                    return

        def drain(stream, buffer, limit):
            while True:
                chunk = stream.read(1 << 16)
                if not chunk:
                    return
                if len(buffer) + len(chunk) <= limit:
                    buffer.extend(chunk)

        threads = [threading.Thread(target=feed, daemon=True), threading.Thread(target=read_worker, daemon=True),
                   threading.Thread(target=drain, args=(proc.stderr, err, 64 * 1024), daemon=True)]
        for thread in threads:
            thread.start()
        deadline = started + limits.notebook_timeout + protocol.STARTUP_GRACE
        judge = None
        try:
            while True:
                try:
                    source, _, message = events.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    killed.append("timeout")
                    self._kill(proc, cgroup)
                    break
                if source != "worker":
                    continue  # a judge's late answer (it was given up on)
                if message is None:
                    break
                op = message.get("op") if isinstance(message, dict) else None
                if op == protocol.WORKER_RESULT:
                    outcome.result = {k: v for k, v in message.items() if k != "op"}
                elif op == protocol.WORKER_TEST:
                    judge = self._judge_test(message, tests, setup, judge_ends, judge, events, outcome, to_worker,
                                             deadline)
        finally:
            if judge is not None:
                judge.close()
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            if not killed:
                killed.append("timeout")
            self._kill(proc, cgroup)
            proc.wait()
        with self._lock:
            self._active.discard(proc.pid)
            if not self.mech.isolated:
                _reap_orphans(self._active)  # what the kernel left behind outside a PID namespace
        for thread in threads[1:]:
            thread.join(timeout=10)
        outcome.returncode = proc.returncode
        outcome.seconds = time.monotonic() - started
        outcome.killed = killed[0] if killed else None
        outcome.stderr = err.decode("utf-8", "replace")[-4000:]
        outcome.cgroup = cgroup.stats() if cgroup is not None else {}
        if killed:
            outcome.result = None
        return outcome

    def _judge_test(self, message, tests, setup, channel, judge, events, outcome, to_worker, deadline):
        """The notebook reached a test cell: the judge runs it; the worker goes on when the judge is done."""
        cell = message.get("cell")
        test = tests.get(str(cell)) if isinstance(cell, int) else None
        if test is None:  # not a test cell the grader knows: nothing to run
            to_worker({"op": protocol.HOST_END, "interrupt": False})
            return judge
        begun = time.monotonic()
        limits = self.limits
        if judge is None:
            try:
                judge = self.judges.spawn(setup, channel, {"cpu": limits.notebook_timeout + protocol.STARTUP_GRACE})
                judge.listen(events)
            except Exception as err:  # the grader's own failure: never a verdict
                outcome.judge_errors.append(f"cell {cell}: the judge could not start: {type(err).__name__}: {err}")
                to_worker({"op": protocol.HOST_END, "interrupt": True})
                return None
        judge.send({"op": protocol.JUDGE_RUN, "cell": cell, "grade_id": test["grade_id"], "source": test["source"],
                    "points": test.get("points", 0), "timeout": limits.cell_timeout})
        give_up = min(deadline, begun + limits.cell_timeout + protocol.JUDGE_GRACE)
        aborted = False
        while True:
            try:
                source, who, answer = events.get(timeout=max(0.0, give_up - time.monotonic()))
            except queue.Empty:  # the judge did not answer in time: ours to see, and the test fails
                judge.close()
                outcome.judge_timeouts.append(cell)
                outcome.verdicts[cell] = {"passed": False, "timeout": True, "outputs": [_error(
                    protocol.CELL_TIMEOUT_ERROR, f"the test hit the time limit of {limits.cell_timeout} s")]}
                to_worker({"op": protocol.HOST_END, "interrupt": True})
                outcome.judge_seconds += time.monotonic() - begun
                return None
            if source == "judge" and who is judge:
                if not isinstance(answer, dict) or answer.get("op") != protocol.JUDGE_DONE:
                    outcome.judge_errors.append(f"cell {cell}: the judge ended without a verdict")
                    judge.close()
                    to_worker({"op": protocol.HOST_END, "interrupt": True})
                    outcome.judge_seconds += time.monotonic() - begun
                    return None
                outcome.verdicts[cell] = answer
                if answer.get("timeout"):
                    outcome.judge_timeouts.append(cell)
                to_worker({"op": protocol.HOST_END, "interrupt": bool(answer.get("timeout"))})
                outcome.judge_seconds += time.monotonic() - begun
                return judge
            if source == "worker":
                if answer is None or (isinstance(answer, dict) and answer.get("op") == protocol.WORKER_RESULT):
                    events.put((source, who, answer))  # seen again by the main loop
                    if not aborted:
                        judge.send({"op": protocol.JUDGE_ABORT, "reason": "the sandbox ended during the test"})
                        aborted = True
                    time.sleep(0.01)
                    continue
                if isinstance(answer, dict) and answer.get("op") == protocol.WORKER_SERVED and not aborted:
                    reason = "the kernel died" if answer.get("dead") else "the kernel stopped answering the test"
                    judge.send({"op": protocol.JUDGE_ABORT, "reason": reason})
                    aborted = True

    @staticmethod
    def _kill(proc, cgroup):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if cgroup is not None:
            cgroup.kill_all()


def _error(ename, evalue):
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}


def _become_subreaper():
    try:
        import ctypes
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except Exception:  # not Linux: orphans go to init
        pass


def _reap_orphans(active):
    """Kill and reap our children that no running sandbox owns (orphaned kernels and their children)."""
    me, my_session = os.getpid(), os.getsid(0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) in active:
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, session = int(fields[1]), int(fields[3])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me and session != my_session:  # kernels run in sessions of their own
            pid = int(entry.name)
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    kill()
                except OSError:
                    pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
