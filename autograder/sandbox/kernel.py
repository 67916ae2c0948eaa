"""Kernel start-up inside the grading sandbox: guard what the tests rely on, report what student code does.

The sandbox worker (``worker.py``) starts every kernel as
``python kernel.py -f CONNECTION_FILE`` with ``AUTOGRADER_GUARD`` naming a JSON settings
file (``protocol.GuardSettings``). Before any student code runs, this module

1. imports the modules the setup cell and the test cells import (numpy, trainlab, torch,
   ...) and snapshots them, builtins and IPython's execution machinery (shell, kernel,
   session, output streams, input and AST transformers, event callbacks, sys hooks);
2. caps the output of one cell (``OutputLimitExceeded`` is raised in the printing code);
3. installs an audit hook that reports file, network, process, ctypes and
   frame-introspection events raised from student code to the worker over a pipe.

Around every test cell the worker evaluates ``_autograder_guard.before(...)`` and
``.after(...)``: *before* restores everything that student cells replaced (module
attributes, function code, class attributes, builtins, sys.modules entries, IPython
hooks, trace functions) and rebinds the setup cell's names; *after* reports what changed
while the test ran (the worker then fails that test) and whether student code called the
library's reference implementation of the exercise. Code in the same process can defeat
any in-process guard (ctypes, reading this module); such code raises the audit events
that the integrity report flags.

Standard library only until ipykernel starts; never imported by the grader itself.
"""
import ast
import builtins
import functools
import importlib
import json
import os
import sys
import threading
import time
import types

if __package__:  # imported as autograder.sandbox.kernel
    from autograder.sandbox import protocol
else:  # run as a script (in the sandbox): this folder is sys.path[0]
    import protocol

HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep
MISSING = object()
FULL_TREES = ("numpy", "trainlab")  # every loaded submodule is guarded, not only the imported ones
ALWAYS = ("builtins", "math", "numpy", "trainlab")
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


def _callable_like(value):
    return callable(value) or isinstance(value, (types.ModuleType, classmethod, staticmethod, property))


def _same(a, b):
    """Identity, or equality for bound methods (a new object at every attribute access)."""
    return a is b or (isinstance(a, types.MethodType) and a == b)


def _heap_type(cls):
    return isinstance(cls, type) and bool(cls.__flags__ & (1 << 9))  # Py_TPFLAGS_HEAPTYPE: a Python class


def _imported_modules(source):
    """Module names that a cell's import statements (anywhere in it) import."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _modules_used_by(setup, tests):
    """Modules bound by the setup cell's imports under a name that a test cell uses (np -> numpy)."""
    try:
        tree = ast.parse(setup)
    except SyntaxError:
        return set()
    bound = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    used = set()
    for source in tests:
        try:
            used |= {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
        except SyntaxError:
            continue
    return {module for name, module in bound.items() if name in used}


def _top_level_imports(source):
    """A code object running only the top-level import statements of a cell (the setup cell's names)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    body = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return compile(ast.Module(body=body, type_ignores=[]), "<autograder setup imports>", "exec")


class Guard:
    """Snapshot of what the tests rely on, restored before and checked after every test cell."""

    def __init__(self, settings):
        self.settings = settings
        self.audit_fd = settings.get("audit_fd")
        self.readable = tuple(settings.get("readable", ()))
        self.writable = tuple(settings.get("writable", ()))
        # read-only folders bound back inside a writable one (a course or its Python under /tmp)
        self.read_only_inside = tuple(r for r in self.readable
                                      if any(r.startswith(w.rstrip("/") + "/") for w in self.writable))
        self.output_limit = int(settings.get("cell_output_limit", 0)) or None
        self.modules = {}      # name -> (module, {attr: value})
        self.functions = []    # (function, __code__, __defaults__, __kwdefaults__)
        self.classes = []      # (class, {attr: value})
        self.machinery = []    # (object, {attr: value}) of IPython's execution objects
        self.lists = []        # (label, getter, snapshot list)
        self.handlers = []     # (label, dict, snapshot dict) of the kernel's message handlers
        self.sys_attrs = {}
        self.sys_path = []
        self.trusted_files = set()
        self.cell_dir = ""
        self.setup_code = _top_level_imports(settings.get("setup_source", ""))
        self.tripwires = []    # (module dict, name, original)
        self.reference_calls = []
        self.cell_output = 0
        self.output_exceeded = False
        self._local = threading.local()
        self._events_sent = set()
        self.shell = None
        self.boot_seconds = self.boot_cpu = self.start_cpu = None

    # -- start-up -------------------------------------------------------------------------
    def start(self, app):
        """Import and snapshot everything, cap outputs, install the audit hook (before any student code)."""
        started = time.perf_counter()
        self.shell, kernel = app.shell, app.kernel
        setup = self.settings.get("setup_source", "")
        tests = list(self.settings.get("test_sources", []))
        for name in _imported_modules(setup):
            try:
                importlib.import_module(name)  # what the first cell imports anyway, imported before student code
            except Exception:
                continue
        guarded = set(ALWAYS) - {"builtins"} | _modules_used_by(setup, tests)
        for source in tests:
            guarded.update(_imported_modules(source))
        for name in sorted(guarded):
            try:
                importlib.import_module(name)
            except Exception:  # an optional oracle (torch) may be missing; its test skips it
                continue
        for name, module in list(sys.modules.items()):
            if isinstance(module, types.ModuleType) and (name.split(".")[0] in FULL_TREES or name in guarded):
                self._snapshot_module(name, module)

        from ipykernel import compiler, iostream
        self.cell_dir = compiler.get_tmp_directory() + os.sep
        self.trusted_files = {compiler.get_file_name(src) for src in self.settings.get("trusted_cells", [])}
        self._cap_output(iostream.OutStream)
        self.shell.events.register("pre_execute", self._reset_output)
        self.kernel = kernel
        self.start_seconds = time.perf_counter() - started
        sys.modules[protocol.GUARD_MODULE] = types.SimpleNamespace(arm=self.arm, before=self.before, after=self.after)
        if self.audit_fd is not None:
            sys.addaudithook(self._audit)

    def arm(self):
        """Snapshot builtins and the execution machinery as they are while the kernel executes a request.

        Called by the worker in an execution of its own before the notebook's first cell, so
        that the state is compared in the same context every time (during a request the
        kernel swaps input(), and IPython tees the output streams).
        """
        started = time.perf_counter()
        self.modules["builtins"] = (builtins, dict(vars(builtins)))
        self._snapshot_machinery(self.shell, self.kernel)
        return json.dumps({"ipykernel": self.boot_seconds, "start": self.start_seconds,
                           "boot_cpu": self.boot_cpu, "start_cpu": self.start_cpu,
                           "arm": time.perf_counter() - started,
                           "modules": len(self.modules), "functions": len(self.functions), "classes": len(self.classes)})

    def _snapshot_module(self, name, module):
        namespace = vars(module)
        self.modules[name] = (module, dict(namespace))
        for value in list(namespace.values()):
            if isinstance(value, types.FunctionType) and getattr(value, "__module__", None) == name:
                self.functions.append((value, value.__code__, value.__defaults__, value.__kwdefaults__))
            elif _heap_type(value) and getattr(value, "__module__", None) == name:
                self._snapshot_class(value)

    def _snapshot_class(self, cls):
        self.classes.append((cls, dict(vars(cls))))
        for value in vars(cls).values():
            func = getattr(value, "__func__", value)
            if isinstance(func, types.FunctionType):
                self.functions.append((func, func.__code__, func.__defaults__, func.__kwdefaults__))

    def _snapshot_machinery(self, shell, kernel):
        formatter = shell.display_formatter
        objects = [shell, kernel, kernel.session, shell.displayhook, shell.display_pub, shell.compile,
                   shell.events, shell.input_transformer_manager, formatter, formatter.formatters["text/plain"],
                   sys.stdout, sys.stderr]
        seen = set()
        for obj in objects:
            self.machinery.append((obj, dict(vars(obj))))
            for cls in type(obj).__mro__:
                if _heap_type(cls) and cls not in seen:
                    seen.add(cls)
                    self._snapshot_class(cls)
        manager = shell.input_transformer_manager
        self.lists = [
            ("IPython ast_transformers", lambda: shell.ast_transformers, list(shell.ast_transformers)),
            ("IPython input_transformers_post", lambda: shell.input_transformers_post, list(shell.input_transformers_post)),
            ("IPython cleanup transforms", lambda: manager.cleanup_transforms, list(manager.cleanup_transforms)),
            ("IPython line transforms", lambda: manager.line_transforms, list(manager.line_transforms)),
            ("sys.meta_path", lambda: sys.meta_path, list(sys.meta_path)),
            ("sys.path_hooks", lambda: sys.path_hooks, list(sys.path_hooks)),
        ] + [(f"IPython {event} callbacks", functools.partial(shell.events.callbacks.get, event), list(callbacks))
             for event, callbacks in shell.events.callbacks.items()]
        self.handlers = [(label, table, dict(table)) for label, table in
                         (("kernel.shell_handlers", getattr(kernel, "shell_handlers", None)),
                          ("kernel.control_handlers", getattr(kernel, "control_handlers", None)))
                         if isinstance(table, dict)]
        self.sys_attrs = {name: getattr(sys, name) for name in ("excepthook", "displayhook", "stdout", "stderr", "breakpointhook")}
        self.custom_exceptions = (shell.custom_exceptions, shell.CustomTB)
        self.sys_path = list(sys.path)

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

    # -- the checks around a test cell ------------------------------------------------------
    def before(self, exercise=None):
        """Restore everything student cells replaced, rebind the setup cell's names; JSON list of findings."""
        findings = self._checked_restore()
        self._rebind_setup_names()
        sys.path[:] = [p for p in self.sys_path if not self._writable(p or os.getcwd())]
        self.reference_calls = []
        if exercise:
            self._arm_tripwires(exercise)
        return json.dumps([text for text, _ in findings])

    def after(self):
        """JSON {changed: by student code while the test ran, library: other changes, reference: calls}.

        Everything is restored either way; the worker fails the test only for `changed`.
        """
        self._disarm_tripwires()
        findings = self._checked_restore()
        sys.path[:] = self.sys_path
        return json.dumps({"changed": [text for text, student in findings if student],
                           "library": [text for text, student in findings if not student],
                           "reference": sorted(set(self.reference_calls))})

    def _checked_restore(self):
        self._local.busy = True  # our own checks read __code__ thousands of times: no audit events for them
        try:
            return self._restore()
        finally:
            self._local.busy = False

    def _restore(self):
        """[(what, done by student code)] of every change to the guarded state, each undone."""
        found = []
        for tracer in ("settrace", "setprofile"):
            current = getattr(sys, "get" + tracer[3:])()
            if current is not None:
                found.append((f"sys.{tracer} was set", self._student_object(current)))
                getattr(sys, tracer)(None)
            hook = getattr(threading, "_" + tracer[3:] + "_hook", None)
            if hook is not None:
                found.append((f"threading.{tracer} was set", self._student_object(hook)))
                getattr(threading, tracer)(None)
        for name, (module, snapshot) in self.modules.items():
            current = sys.modules.get(name)
            if current is not module:
                found.append((f"sys.modules[{name!r}] replaced", self._student_module(current)))
                sys.modules[name] = module
            found += self._restore_mapping(name, vars(module), snapshot, module=True)
        for func, code, defaults, kwdefaults in self.functions:
            if func.__code__ is not code or func.__defaults__ is not defaults or func.__kwdefaults__ is not kwdefaults:
                student = self._student_code(func.__code__) or any(
                    self._student_object(v) for v in (func.__defaults__ or ()) + tuple((func.__kwdefaults__ or {}).values()))
                found.append((f"code of {func.__module__}.{func.__qualname__} replaced", student))
                func.__code__, func.__defaults__, func.__kwdefaults__ = code, defaults, kwdefaults
        for cls, snapshot in self.classes:
            found += self._restore_mapping(f"{cls.__module__}.{cls.__qualname__}", vars(cls), snapshot, owner=cls)
        for obj, snapshot in self.machinery:
            found += self._restore_mapping(type(obj).__name__, vars(obj), snapshot)
        for label, getter, snapshot in self.lists:
            current = getter()
            if current is None:
                continue
            student = [item for item in current if self._student_object(item)]
            missing = [item for item in snapshot if not any(_same(item, c) for c in current)]
            if student or missing:
                found.append((f"{label} changed", bool(student)))
                current[:] = [item for item in current if item not in student] + missing
            snapshot[:] = list(current)  # what library code added (matplotlib's flush_figures) is kept
        for label, table, snapshot in self.handlers:
            if set(table) != set(snapshot) or not all(_same(table.get(k), v) for k, v in snapshot.items()):
                found.append((f"{label} changed", any(self._student_object(v) for v in table.values())))
                table.clear()
                table.update(snapshot)
        if (self.shell.custom_exceptions, self.shell.CustomTB) != self.custom_exceptions:
            found.append(("IPython set_custom_exc was used", True))
            self.shell.custom_exceptions, self.shell.CustomTB = self.custom_exceptions
        for name, value in self.sys_attrs.items():
            current = getattr(sys, name)
            if not _same(current, value):
                found.append((f"sys.{name} replaced", self._student_object(current)))
                setattr(sys, name, value)
        return found

    def _restore_mapping(self, label, namespace, snapshot, module=False, owner=None):
        """Undo replaced, deleted and added callables in a module, class or instance namespace.

        A library's own lazy wrapping of one of its functions (functools.wraps, as torch._dynamo
        does for torch.manual_seed) is accepted; everything else is undone and reported.
        """
        found = []

        def put(key, value):
            if owner is None:
                namespace[key] = value
            else:
                try:
                    setattr(owner, key, value)
                except (AttributeError, TypeError):
                    pass

        for key, old in list(snapshot.items()):
            new = namespace.get(key, MISSING)
            if _same(new, old) or key in ("_", "__", "___") or not (_callable_like(old) or _callable_like(new)):
                continue
            student = new is not MISSING and self._student_object(new)
            if not student and new is not MISSING and getattr(new, "__wrapped__", None) is old:
                snapshot[key] = new
                continue
            found.append((f"{label}.{key} {'deleted' if new is MISSING else 'replaced'}", student))
            put(key, old)
        for key in [k for k in namespace if k not in snapshot]:
            new = namespace[key]
            if module and isinstance(new, types.ModuleType) and sys.modules.get(f"{label}.{key}") is new:
                snapshot[key] = new  # a submodule imported since start-up
            elif _callable_like(new) and self._student_object(new):
                found.append((f"{label}.{key} added", True))
                if owner is None:
                    del namespace[key]
                else:
                    try:
                        delattr(owner, key)
                    except (AttributeError, TypeError):
                        pass
            else:
                snapshot[key] = new
        return found

    def _student_module(self, module):
        path = getattr(module, "__file__", None)
        return path is None or self._writable(os.path.abspath(path))

    def _rebind_setup_names(self):
        user_ns = self.shell.user_ns
        user_ns["__builtins__"] = builtins
        user_ns["__name__"] = "__main__"
        exec(self.setup_code, user_ns)

    # -- reference implementation tripwires ---------------------------------------------------
    def _arm_tripwires(self, exercise):
        for name, (module, _) in self.modules.items():
            if not name.startswith("trainlab"):
                continue
            original = vars(module).get(exercise)
            if isinstance(original, types.FunctionType):
                wrapper = self._tripwire(f"{name}.{exercise}", original)
                self.tripwires.append((vars(module), exercise, original))
                vars(module)[exercise] = wrapper

    def _disarm_tripwires(self):
        for namespace, key, original in self.tripwires:
            namespace[key] = original
        self.tripwires = []

    def _tripwire(self, qualname, func):
        guard, name = self, func.__name__

        @functools.wraps(func)
        def tripwire(*args, **kwargs):
            caller = sys._getframe(1).f_code
            if guard._student_code(caller) and caller.co_name == name:
                guard.reference_calls.append(f"{qualname} called from {caller.co_name}()")
            return func(*args, **kwargs)

        return tripwire

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

    def _student_object(self, value):
        """A function, method or object of a class whose code comes from student cells."""
        func = getattr(value, "__func__", value)
        if isinstance(func, types.FunctionType):
            return self._student_code(func.__code__)
        for cls in type(value).__mro__:
            if _heap_type(cls):
                for attr in vars(cls).values():
                    attr = getattr(attr, "__func__", attr)
                    if isinstance(attr, types.FunctionType) and self._student_code(attr.__code__):
                        return True
        return False

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
    """Start the guarded kernel (argv as ipykernel_launcher's)."""
    if sys.path and os.path.abspath(sys.path[0] or ".") + os.sep == HERE:
        del sys.path[0]
    sys.modules.pop("protocol", None)  # student code gets no handle on it by name
    with open(os.environ.pop(protocol.GUARD_ENV)) as f:
        settings = json.load(f)
    guard = Guard(settings)
    started = time.perf_counter()
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:])
    guard.boot_seconds = time.perf_counter() - started
    guard.boot_cpu = time.process_time()
    guard.start(app)
    guard.start_cpu = time.process_time() - guard.boot_cpu
    app.start()


if __name__ == "__main__":
    main()
