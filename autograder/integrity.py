"""The integrity report: what a submission's code tried that a fair answer does not need.

Flags come from four places and end up in ``status.json``, ``grades.csv`` (column
``flags``) and the report's ``integrity.csv``:

- the student's own code, read without running it (``scan``): calls of the library's
  reference implementation of an exercise, assignments to attributes of imported modules
  (monkeypatching), frame introspection, ctypes, file, network and process calls;
- nbgrader's sanitizing: test cells that were edited, emptied, deleted, re-typed or
  stripped of their metadata, and changed points (all restored from the gradebook);
- the sandbox: the kernel's audit hook (files outside the submission's folder, sockets,
  processes, ctypes, introspection) and the test guard (what was replaced and restored
  around each test cell, reference calls while a test ran);
- collection: unsafe zip entries that were skipped.

A flag is a prompt for a human look, not a verdict: scores are not changed by flags
(except that a test during which its helpers were replaced fails, see autograder.sandbox.kernel).
"""
import ast
from functools import lru_cache
from pathlib import Path

from autograder.exercises import library_definitions, snake_case
from autograder.sandbox import protocol

KINDS = ("tampered-tests", "reference", "monkeypatch", "introspection", "ctypes", "files", "network", "process",
         "exec", "zip", "other")
MODULE_ATTR_CALLS = {
    ("sys", "_getframe"): "introspection", ("inspect", "currentframe"): "introspection",
    ("inspect", "stack"): "introspection", ("inspect", "getouterframes"): "introspection",
    ("gc", "get_referrers"): "introspection", ("gc", "get_objects"): "introspection",
    ("sys", "settrace"): "monkeypatch", ("sys", "setprofile"): "monkeypatch", ("importlib", "reload"): "monkeypatch",
    ("os", "remove"): "files", ("os", "unlink"): "files", ("os", "rmdir"): "files", ("os", "rename"): "files",
    ("os", "listdir"): "files", ("os", "walk"): "files", ("os", "scandir"): "files", ("os", "chmod"): "files",
    ("shutil", "rmtree"): "files", ("shutil", "move"): "files", ("shutil", "copy"): "files",
    ("shutil", "copyfile"): "files", ("os", "system"): "process", ("os", "fork"): "process",
    ("os", "kill"): "process", ("os", "_exit"): "process", ("os", "execv"): "process",
    ("os", "popen"): "process", ("os", "setsid"): "process",
}
MODULES = {"socket": "network", "urllib": "network", "requests": "network", "http": "network",
           "subprocess": "process", "multiprocessing": "process", "ctypes": "ctypes", "gc": "introspection",
           "inspect": "introspection", "builtins": "monkeypatch"}
FRAME_ATTRS = {"f_back", "f_locals", "f_globals", "tb_frame", "gi_frame", "__code__", "__closure__", "__globals__"}
NAMES = {"get_ipython": "monkeypatch", "_autograder_guard": "monkeypatch", "__builtins__": "monkeypatch"}


def flag(kind, detail, cell=None):
    return {"kind": kind, "detail": detail[:300], "cell": cell}


@lru_cache(maxsize=None)
def reference_definitions():
    """{name: 'trainlab.module.Name'} of every public top-level function and class of the library.

    Read from the library's source files (importing them all would pull in scipy, ipywidgets, ...);
    a name defined in several modules maps to the first.
    """
    return {name: places[0] for name, places in library_definitions().items()}


def scan(nb, trusted_sources, exercises):
    """Flags for the student's code cells (those not identical to a cell of the release or a test cell).

    exercises: the test cells' grade_ids; an exercise is a function of that name or a class whose
    name it is in snake case (grade_id 'reduce_on_plateau' for class ReduceOnPlateau).
    """
    references = {name: ref for name, ref in reference_definitions().items()
                  if name in exercises or snake_case(name) in exercises}
    flags = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or cell.source in trusted_sources or not cell.source.strip():
            continue
        try:
            tree = ast.parse(_strip_magics(cell.source))
            flags += [flag(kind, f"line {line}: {detail}", index) for kind, detail, line in _scan_tree(tree, references)]
        except (SyntaxError, ValueError, RecursionError, MemoryError) as err:  # the kernel will say what is wrong
            if not isinstance(err, SyntaxError):
                flags.append(flag("other", f"cell {index} could not be read by the scan ({type(err).__name__})", index))
            continue
    return flags


def _strip_magics(source):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _scan_tree(tree, references):
    modules = {}  # local name -> module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    module_names = set(modules) | {"np", "numpy", "gradcheck", "layers", "losses", "trainlab", "torch", "sys",
                                   "os", "builtins", "math", "plt"}
    for line, detail in _references(tree, references, modules):
        yield "reference", detail, line
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                root = name.split(".")[0]
                if root in MODULES:
                    yield MODULES[root], f"imports {name}", line
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("trainlab"):
                for alias in node.names:
                    if alias.name in references:
                        yield "reference", f"imports the library's {references[alias.name]} as {alias.asname or alias.name}", line
        elif isinstance(node, ast.Attribute):
            base = _dotted(node.value)
            if node.attr in FRAME_ATTRS:
                yield "introspection", f"reads .{node.attr}", line
            key = (base.split(".")[-1] if base else "", node.attr)
            if key in MODULE_ATTR_CALLS:
                yield MODULE_ATTR_CALLS[key], f"uses {base}.{node.attr}", line
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and _dotted(target.value).split(".")[0] in module_names:
                    yield "monkeypatch", f"assigns {_dotted(target.value)}.{target.attr}", line
                if isinstance(target, ast.Subscript) and _dotted(target.value) in ("sys.modules", "__builtins__"):
                    yield "monkeypatch", f"changes {_dotted(target.value)}[...]", line
        elif isinstance(node, ast.Call):
            func = _dotted(node.func)
            if func in ("setattr", "delattr") and node.args and _dotted(node.args[0]).split(".")[0] in module_names:
                yield "monkeypatch", f"{func}({_dotted(node.args[0])}, ...)", line
            if func in ("exec", "eval", "compile", "__import__"):
                yield "exec", f"calls {func}()", line
            if func in ("open", "io.open", "pathlib.Path", "Path") and node.args:
                path = node.args[0]
                if isinstance(path, ast.Constant) and isinstance(path.value, str) and not path.value.startswith(
                        "/tmp/") and (path.value.startswith(("/", "~")) or ".." in path.value.split("/")):
                    yield "files", f"{func}({path.value!r})", line
        elif isinstance(node, ast.Name) and node.id in NAMES:
            yield NAMES[node.id], f"uses {node.id}", line


def _references(tree, references, modules):
    """(line, detail) where an exercise's answer uses the library's definition of the same name.

    Inside `def X(...)` or `class X(...)` (its bases included) or the value of `X = ...` (or
    `x = ...`, X's grade_id) for an exercise X: `<library module>.X`, or getattr(..., 'X').
    Other library functions and classes are fair to use (later exercises build on earlier ones).
    """
    targets = {alias: name for name in references for alias in (name, snake_case(name))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in references:
            name, body = node.name, node
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in targets for t in node.targets):
            name = next(targets[t.id] for t in node.targets if isinstance(t, ast.Name) and t.id in targets)
            body = node.value
        else:
            continue
        for inner in ast.walk(body):
            if isinstance(inner, ast.Attribute) and inner.attr == name and _is_library(_dotted(inner.value), modules):
                yield inner.lineno, f"{name} uses the library's {references[name]}"
            elif isinstance(inner, ast.Call) and _dotted(inner.func) == "getattr" and len(inner.args) > 1 \
                    and _folded(inner.args[1]) == name:
                yield inner.lineno, f"{name} uses getattr(..., {name!r})"
            elif isinstance(inner, ast.Subscript) and _folded(inner.slice) == name:
                yield inner.lineno, f"{name} looks itself up by name ([{name!r}])"
            elif isinstance(inner, ast.Call) and _dotted(inner.func).split(".")[-1] in ("getsource", "getsourcelines") \
                    and inner.args and _dotted(inner.args[0]).split(".")[-1] in (name, snake_case(name)):
                yield inner.lineno, f"{name} reads the source of the library's {references[name]}"
    for node in ast.walk(tree):  # the source of a reference read anywhere (to be exec'd under another name)
        if isinstance(node, ast.Call) and _dotted(node.func).split(".")[-1] in ("getsource", "getsourcelines") \
                and node.args:
            target = _dotted(node.args[0]).split(".")[-1]
            if target in targets and _is_library(_dotted(node.args[0]).rsplit(".", 1)[0], modules):
                yield node.lineno, f"reads the source of the library's {references[targets[target]]}"


def _folded(node):
    """The string an expression of string constants evaluates to ('ad' + 'am', f'{"ad"}am'), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _folded(node.left), _folded(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [_folded(v.value) if isinstance(v, ast.FormattedValue) else _folded(v) for v in node.values]
        return "".join(parts) if all(p is not None for p in parts) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
            and len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple)):
        sep, parts = _folded(node.func.value), [_folded(e) for e in node.args[0].elts]
        return sep.join(parts) if sep is not None and all(p is not None for p in parts) else None
    return None


def normalized(function):
    """A function's code with its name, docstring and local names taken out: equal for a renamed copy."""
    node = ast.parse(ast.unparse(function)).body[0] if not isinstance(function, ast.AST) else function
    node = ast.parse(ast.unparse(node)).body[0]
    node.name = "_"
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        node.body = body[1:] or [ast.Pass()]
    local = {}
    for inner in ast.walk(node):
        if isinstance(inner, ast.arg):
            local.setdefault(inner.arg, f"v{len(local)}")
        elif isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            local.setdefault(inner.id, f"v{len(local)}")
    for inner in ast.walk(node):
        if isinstance(inner, ast.arg):
            inner.arg = local[inner.arg]
            inner.annotation = None
        elif isinstance(inner, ast.Name) and inner.id in local:
            inner.id = local[inner.id]
    node.returns = None
    return ast.dump(node, annotate_fields=False)


@lru_cache(maxsize=None)
def _library_bodies():
    """{normalized code: 'trainlab.module.name'} of every top-level function and method of the library."""
    import trainlab
    bodies = {}
    for folder in trainlab.__path__:
        for path in sorted(Path(folder).glob("*.py")):
            for node in ast.parse(path.read_text()).body:
                functions = [node] if isinstance(node, ast.FunctionDef) else [
                    n for n in node.body if isinstance(n, ast.FunctionDef)] if isinstance(node, ast.ClassDef) else []
                for function in functions:
                    qualname = function.name if node is function else f"{node.name}.{function.name}"
                    if len(function.body) > 1 or not isinstance(function.body[0], (ast.Pass, ast.Return, ast.Expr)):
                        bodies.setdefault(normalized(function), f"trainlab.{path.stem}.{qualname}")
    return bodies


def _copies(tree, references):
    """(line, detail) for a function of a cell whose code is a reference's, renamed (local names too)."""
    wanted = {ref for ref in references.values()}
    bodies = _library_bodies()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            where = bodies.get(normalized(node))
            if where is not None and (where in wanted or where.rsplit(".", 1)[0] in wanted):
                yield node.lineno, f"{node.name} is a copy of the library's {where}"


def _is_library(dotted, modules):
    """Does a dotted name refer to trainlab or one of its modules (as bound here or by the setup cell)?"""
    root = dotted.split(".")[0]
    return "trainlab" in modules.get(root, root) or root in library_modules()


@lru_cache(maxsize=None)
def library_modules():
    import trainlab
    return frozenset(path.stem for folder in trainlab.__path__ for path in Path(folder).glob("*.py")) - {"__init__"}


def _dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return _dotted(node.func) + "()"
    return ""


def from_run(result):
    """Flags from the sandbox: audit events and the test guard's findings."""
    flags = []
    if not result:
        return flags
    for event in result.get("events", []):
        kind = {protocol.READ_OUTSIDE: "files", protocol.WRITE_OUTSIDE: "files"}.get(event["kind"], event["kind"])
        flags.append(flag(kind if kind in KINDS else "other", event["detail"], event.get("cell")))
    for cell, kind, detail in result.get("findings", []):
        flags.append(flag(kind, detail, cell))
    if result.get("audit_closed_early"):
        flags.append(flag("monkeypatch", "the kernel's audit channel was closed by student code"))
    return flags


def dedupe(flags):
    seen, out = set(), []
    for item in flags:
        key = (item["kind"], item["detail"], item.get("cell"))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def summary(flags):
    """'kind (n); kind (n)' for the grades.csv column."""
    counts = {}
    for item in flags:
        counts[item["kind"]] = counts.get(item["kind"], 0) + 1
    return "; ".join(f"{kind} ({n})" if n > 1 else kind for kind, n in sorted(counts.items()))
