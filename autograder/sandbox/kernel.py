"""Kernel start-up inside the grading sandbox: cap outputs, report what student code does.

The sandbox worker (``worker.py``) starts every kernel as
``python kernel.py -f CONNECTION_FILE`` with ``AUTOGRADER_KERNEL_SETTINGS`` naming a JSON
settings file (``protocol.KernelSettings``: folders, the output limit, the audit pipe;
nothing secret). Before any student code runs, this module

1. caps the output of one cell (``OutputLimitExceeded`` is raised in the printing code);
2. installs an audit hook that reports file, network, process, ctypes and
   frame-introspection events raised from student code to the worker over a pipe (the
   integrity report; never the verdict).

Test cells never run in this kernel: the judge (``judge.py``, outside the sandbox) runs
them and reaches the student's objects through ``rpc.serve``, which the worker starts here
at each test cell. Nothing this kernel does or says decides a verdict or a status.

Standard library only until ipykernel starts; never imported by the grader itself.
"""
import functools
import json
import os
import sys
import threading

if __package__:  # imported as autograder.sandbox.kernel
    from autograder.sandbox import protocol
else:  # run as a script (in the sandbox): this folder is sys.path[0]
    import protocol

HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
AUDITED = {
    "open", "os.listdir", "os.scandir", "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod",
    "os.chown", "os.link", "os.symlink", "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile",
    "shutil.move", "socket.connect", "socket.bind", "socket.sendto", "socket.getaddrinfo",
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "os.kill", "os.killpg", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "sys._getframe",
    "sys.settrace", "sys.setprofile", "object.__getattr__", "object.__setattr__", "object.__delattr__",
    "sys.addaudithook", "code.__new__", "gc.get_referrers", "gc.get_objects", "gc.get_referents",
    "exec", "compile",
}
PATH_EVENTS = {"open", "os.listdir", "os.scandir", "os.remove", "os.rename", "os.rmdir", "os.mkdir",
               "os.chmod", "os.chown", "os.link", "os.symlink", "os.truncate", "os.utime",
               "shutil.rmtree", "shutil.copyfile", "shutil.move"}
WRITE_EVENTS = PATH_EVENTS - {"open", "os.listdir", "os.scandir"}
FRAME_ATTRS = {"tb_frame", "f_back", "gi_frame", "cr_frame", "ag_frame", "f_locals", "f_globals", "__closure__"}


class OutputLimitExceeded(Exception):
    """A cell printed more than the grader accepts; the rest of its output is dropped."""


def _heap_type(cls):
    return isinstance(cls, type) and bool(cls.__flags__ & (1 << 9))  # Py_TPFLAGS_HEAPTYPE: a Python class


class Guard:
    """The kernel's output cap and audit hook (what student code tried; reported, not prevented)."""

    def __init__(self, settings):
        self.settings = settings
        self.audit_fd = settings.get("audit_fd")
        self.readable = tuple(settings.get("readable", ()))
        self.writable = tuple(settings.get("writable", ()))
        # read-only folders bound back inside a writable one (a course or its Python under /tmp)
        self.read_only_inside = tuple(r for r in self.readable
                                      if any(r.startswith(w.rstrip("/") + "/") for w in self.writable))
        self.output_limit = int(settings.get("cell_output_limit", 0)) or None
        self.trusted_files = set()
        self.cell_dir = ""
        self.cell_output = 0
        self.output_exceeded = False
        self._local = threading.local()
        self._events_sent = set()
        self.shell = None

    def start(self, app):
        """Cap outputs and install the audit hook (before any student code)."""
        self.shell = app.shell
        from ipykernel import compiler, iostream
        self.cell_dir = compiler.get_tmp_directory() + os.sep
        self.trusted_files = {compiler.get_file_name(src) for src in self.settings.get("trusted_cells", [])}
        self._cap_output(iostream.OutStream)
        self.shell.events.register("pre_execute", self._reset_output)
        if self.audit_fd is not None:
            sys.addaudithook(self._audit)

    def _cap_output(self, stream_class):
        guard, write = self, stream_class.write

        @functools.wraps(write)
        def capped_write(stream, string):
            if guard.output_limit is None:
                return write(stream, string)
            if guard.output_exceeded:
                return len(string)
            guard.cell_output += len(string)
            if guard.cell_output > guard.output_limit:
                guard.output_exceeded = True
                raise OutputLimitExceeded(f"this cell printed more than {guard.output_limit // 1_000_000} MB; "
                                          "the grader stopped it and dropped the rest of its output")
            return write(stream, string)

        stream_class.write = capped_write

    def _reset_output(self):
        self.cell_output = 0
        self.output_exceeded = False

    # -- the audit hook ---------------------------------------------------------------------
    def _student_code(self, code):
        filename = code.co_filename
        if filename.startswith(self.cell_dir):
            return filename not in self.trusted_files
        if filename.startswith(("<frozen ", HERE)):
            return False
        return not filename.startswith("/") or self._writable(filename)

    def _writable(self, path):
        if any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.read_only_inside):
            return False
        return any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.writable)

    def _readable(self, path):
        return self._writable(path) or any(path == p or path.startswith(p.rstrip("/") + "/") for p in self.readable)

    def _audit(self, event, args):
        if event not in AUDITED or getattr(self._local, "busy", False):
            return
        self._local.busy = True
        try:
            self._record(event, args)
        except BaseException:  # an audit hook must never break the audited operation
            pass
        finally:
            self._local.busy = False

    def _record(self, event, args):
        if event in PATH_EVENTS:
            paths = [a for a in args[:2] if isinstance(a, (str, bytes))]
            paths = [os.path.abspath(os.fsdecode(p)) for p in paths]
            writing = event in WRITE_EVENTS or (event == "open" and _open_writes(args))
            bad = [p for p in paths if not (self._writable(p) if writing else self._readable(p))]
            if not bad or not self._student_on_stack(sys._getframe(2)):
                return
            kind = protocol.WRITE_OUTSIDE if writing else protocol.READ_OUTSIDE
            detail = f"{event} {bad[0]}"
        else:
            if event == "object.__getattr__" and not (len(args) > 1 and args[1] in FRAME_ATTRS | {"__code__"}):
                return
            frame = sys._getframe(2)
            direct = event in ("exec", "compile", "object.__getattr__", "object.__setattr__", "object.__delattr__",
                               "sys._getframe", "code.__new__", "ctypes.cdata", "ctypes.dlsym")
            if direct:
                caller = frame.f_back if frame.f_code.co_filename.endswith("inspect.py") else frame
                if caller is None or not self._student_code(caller.f_code):
                    return
            elif not self._student_on_stack(frame):
                return
            kind = next((k for prefix, k in protocol.AUDIT_KINDS.items() if event.startswith(prefix)), "other")
            detail = event + (" " + _short(args) if args else "")
        key = (kind, detail)
        if key in self._events_sent or len(self._events_sent) >= protocol.MAX_EVENTS:
            return
        self._events_sent.add(key)
        line = json.dumps({"kind": kind, "detail": detail[:300]}) + "\n"
        os.write(self.audit_fd, line.encode())

    def _student_on_stack(self, frame, depth=40):
        while frame is not None and depth:
            if self._student_code(frame.f_code):
                return True
            frame, depth = frame.f_back, depth - 1
        return False


def _open_writes(args):
    mode = args[1] if len(args) > 1 else "r"
    flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND))


def _short(args):
    parts = []
    for arg in args[:3]:
        text = repr(arg) if isinstance(arg, (str, bytes, int, tuple)) else type(arg).__name__
        parts.append(text[:80])
    return ", ".join(parts)


def main():
    """Start the kernel (argv as ipykernel_launcher's)."""
    if sys.path and os.path.abspath(sys.path[0] or ".") + os.sep == HERE:
        del sys.path[0]
    sys.modules.pop("protocol", None)  # student code gets no handle on it by name
    with open(os.environ.pop(protocol.SETTINGS_ENV)) as f:
        settings = json.load(f)
    guard = Guard(settings)
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    guard.start(app)
    app.start()


if __name__ == "__main__":
    main()
