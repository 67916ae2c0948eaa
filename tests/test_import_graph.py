"""Do the autograder's modules import each other one way only, with `course` near the bottom?

Read with ast, without importing anything: every import statement counts, those inside
functions included (an import inside a function may defer a slow import, never hide a cycle).
"""
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "autograder"
STATUS_NAMES = {"STATUSES", "SCORED", "load_statuses", "save_statuses"}
GRADING_COMMANDS = {"autograder.cli", "autograder.demo"}  # the modules that run a grading job


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path, modules):
    """[(imported autograder module, names taken from it)] of every import statement in a file."""
    tree = ast.parse(path.read_text())
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, {"*"}) for alias in node.names if alias.name in modules]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:  # `from autograder import course`: the module itself
                    found.append((f"{base}.{alias.name}", {"*"}))
                elif base in modules:
                    found.append((base, {alias.name}))
    return found


def _graph():
    modules = _modules()
    graph = {name: {} for name in modules}
    for name, path in modules.items():
        for target, names in _imports(path, modules):
            if target != name:
                graph[name].setdefault(target, set()).update(names)
    return graph


def _uses_of(bound_name, path):
    """Attribute names a file reads from a module bound to a name (grade.X after `from autograder import grade`)."""
    tree = ast.parse(path.read_text())
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == bound_name}


def _cycle(graph):
    """One import cycle as [a, b, ..., a], or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle():
    """Is the graph of imports between autograder modules (function-level imports included) free of cycles?"""
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_course_is_near_the_bottom():
    """Does course import nothing of the autograder but the sandbox protocol and nbgrader plugins?"""
    allowed = {"autograder", "autograder.sandbox", "autograder.sandbox.protocol", "autograder.hidden_tests",
               "autograder.late", "autograder.feedback_html"}
    assert set(_graph()["autograder.course"]) <= allowed


def test_nobody_imports_grade_for_statuses():
    """Does no module import autograder.grade only to read statuses (they live in autograder.statuses)?"""
    graph, modules = _graph(), _modules()
    importers = {name for name, targets in graph.items() if "autograder.grade" in targets}
    status_only = []
    for name in importers:
        names = set(graph[name]["autograder.grade"])
        if "*" in names:  # `from autograder import grade`: what it reads as grade.X
            names = names - {"*"} | _uses_of("grade", modules[name])
        if names and names <= STATUS_NAMES:
            status_only.append(f"{name} ({', '.join(sorted(names))})")
    assert not status_only, "import statuses from autograder.statuses: " + "; ".join(status_only)
    assert importers <= GRADING_COMMANDS, f"only {sorted(GRADING_COMMANDS)} run grading: {sorted(importers)}"


def test_sandbox_protocol_is_standard_library_only():
    """Can the protocol module be imported inside the sandbox by the worker and kernel scripts (standard library)?"""
    tree = ast.parse((PACKAGE / "sandbox" / "protocol.py").read_text())
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert roots <= set(sys.stdlib_module_names), roots - set(sys.stdlib_module_names)


def test_sandbox_scripts_import_only_the_protocol():
    """Do the worker and the kernel, which run inside the sandbox, import no grader module but the protocol?"""
    graph = _graph()
    for script in ("autograder.sandbox.worker", "autograder.sandbox.kernel"):
        assert set(graph[script]) <= {"autograder.sandbox", "autograder.sandbox.protocol"}, script


def test_library_does_not_import_the_autograder():
    """Does lib/trainlab import nothing from autograder (the library stands on its own)?"""
    offenders = []
    for path in sorted((ROOT / "lib" / "trainlab").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "autograder"]
    assert not offenders, offenders
