"""Reading a lecture notebook's exercises: setup cell, answer cells, test cells, mistakes.

Shared by the example-submission builder, the demo and the tests, so that all of them
agree on the conventions of CONTRIBUTING.md.
"""
import ast
import importlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nbformat

SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


@dataclass
class Exercise:
    """One graded exercise: the answer cell the student fills and the test cell that grades it."""

    name: str
    answer_source: str
    test_source: str
    points: float


def nbgrader_meta(cell):
    """The cell's nbgrader metadata dict ({} for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def strip_solution_markers(source):
    """The solution code as a student would write it: the BEGIN/END SOLUTION lines removed."""
    return SOLUTION_MARKERS.sub("", source)


def setup_source(nb):
    """Source of the setup cell (grade_id 'setup'); raises if the notebook has none."""
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == "setup":
            return cell.source
    raise ValueError("notebook has no setup cell (nbgrader grade_id 'setup')")


def exercises(nb):
    """The notebook's exercises in order: test cells paired with their '<name>_code' answer cells."""
    answers = {nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells
               if nbgrader_meta(c).get("solution") and c.cell_type == "code"}
    found = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            name = meta["grade_id"]
            answer = answers.get(f"{name}_code")
            if answer is None:
                raise ValueError(f"test cell {name!r} has no answer cell {name + '_code'!r}")
            found.append(Exercise(name, answer, cell.source, float(meta.get("points", 0))))
    return found


def read_notebook(path):
    """nbformat v4 notebook from a path."""
    return nbformat.read(str(path), as_version=4)


def _catalogue(lecture, name):
    """A table of a lecture's catalogue module (autograder.mistakes.lecture_NN); {} if absent."""
    module_name = f"autograder.mistakes.lecture_{lecture[:2]}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name != module_name:
            raise
        return {}
    return getattr(module, name, {})


def mistakes(lecture):
    """Typical wrong answers of a lecture: {exercise: [(label, answer source), ...]}; {} if none."""
    return _catalogue(lecture, "MISTAKES")


def alternatives(lecture):
    """Correct answers written differently from the reference: {exercise: [(label, answer source), ...]}."""
    return _catalogue(lecture, "ALTERNATIVES")


def equivalent_mutants(lecture):
    """Generated mutants recorded as equivalent to the answer: {exercise: {mutant key: reason}}."""
    return _catalogue(lecture, "EQUIVALENT_MUTANTS")


def defined_name(answer_source):
    """The one top-level function or class an answer cell defines (None if not exactly one)."""
    tree = ast.parse(strip_solution_markers(answer_source))
    names = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    return names[0] if len(names) == 1 else None


def snake_case(name):
    """'ReduceOnPlateau' -> 'reduce_on_plateau' (an exercise's grade_id from the class it defines)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@lru_cache(maxsize=None)
def library_definitions():
    """{name: ['trainlab.module.name', ...]} of the library's public top-level functions and classes.

    Read from the source files, so that nothing heavy (torch, ipywidgets) is imported.
    """
    import trainlab
    found = {}
    for folder in trainlab.__path__:
        for path in sorted(Path(folder).glob("*.py")):
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                    found.setdefault(node.name, []).append(f"trainlab.{path.stem}.{node.name}")
    return found


def reference(exercise):
    """'trainlab.module.Name' of the library's reference implementation of an exercise, or None."""
    name = defined_name(exercise.answer_source)
    places = library_definitions().get(name, []) if name else []
    return places[0] if len(places) == 1 else None


def run_test_cell(setup, answer, test):
    """Run the setup cell, an answer and a test cell in one fresh namespace; exceptions propagate.

    What the grader counts: a test cell fails only by raising (a warning is not a failure).
    """
    namespace = {"__name__": "__main__"}
    for source in (setup, answer, test):
        exec(compile(source, "<cell>", "exec"), namespace)
