"""Does every lecture live in all the places CONTRIBUTING.md lists, and follow its rules?

Each check fails with a message naming the lecture, the cell or the file to fix, so that a
newcomer adding a lecture learns here what is missing.
"""
import ast
import pathlib
import re
from collections import Counter

import pytest

from autograder import course
from autograder.exercises import (defined_name, exercises, library_definitions, mistakes, nbgrader_meta,
                                  read_notebook, reference, snake_case)

ROOT = course.ROOT
LECTURES = course.lectures()


def _solution(lecture):
    return read_notebook(course.SOLUTIONS / lecture / course.lecture_notebook(lecture))


def _setup_cell(nb):
    code = [c for c in nb.cells if c.cell_type == "code"]
    return code[0] if code else None


def test_lecture_folders_are_named_and_released():
    """Is each lecture 'NN_name' with one notebook in solutions/ and its release in notebooks/?"""
    assert LECTURES, "no lecture folders under solutions/"
    for lecture in LECTURES:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+", lecture), f"solutions/{lecture}: name it NN_snake_case"
        notebook = course.lecture_notebook(lecture)  # raises unless exactly one notebook
        assert (course.RELEASE / lecture / notebook).is_file(), \
            f"notebooks/{lecture}/{notebook} is missing: run `python -m autograder release`"
    assert len({lecture[:2] for lecture in LECTURES}) == len(LECTURES), "two lectures share a number"


@pytest.mark.parametrize("lecture", LECTURES)
def test_setup_cell(lecture):
    """Is the first code cell the locked setup cell, imports only, library modules under their own names?

    The grader rebinds the setup cell's names before every test cell and its integrity scan
    recognises library modules by their own names: an alias (`from trainlab import optim as o`)
    would hide a student's use of the reference, and a setup cell that imports an exercise's
    reference (`from trainlab.optim import adam`) would make the exercise pass untouched.
    """
    nb = _solution(lecture)
    cell = _setup_cell(nb)
    assert cell is not None and nbgrader_meta(cell).get("grade_id") == "setup", \
        f"{lecture}: the first code cell must have nbgrader grade_id 'setup'"
    assert nbgrader_meta(cell).get("locked"), f"{lecture}: lock the setup cell"
    tree = ast.parse(cell.source)
    for node in tree.body:
        assert isinstance(node, (ast.Import, ast.ImportFrom)), \
            f"{lecture}: the setup cell holds only imports; line {node.lineno} is a {type(node).__name__}"
    names = set()
    for node in tree.body:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            names.add(bound)
            module = node.module if isinstance(node, ast.ImportFrom) else alias.name
            if module and module.split(".")[0] == "trainlab" or alias.name.startswith("trainlab"):
                assert alias.asname is None or alias.asname == alias.name, \
                    f"{lecture}: import trainlab names without an alias ({alias.name} as {alias.asname})"
    answers = {defined_name(ex.answer_source) for ex in exercises(nb)}
    assert not names & answers, f"{lecture}: the setup cell imports an exercise's reference: {names & answers}"


@pytest.mark.parametrize("lecture", LECTURES)
def test_exercises_are_named_after_their_reference(lecture):
    """Does each answer cell define one function (or class) named like the exercise, with one library reference?"""
    for ex in exercises(_solution(lecture)):
        name = defined_name(ex.answer_source)
        assert name is not None, f"{lecture}: answer cell {ex.name}_code must define exactly one function or class"
        assert snake_case(name) == ex.name, \
            f"{lecture}: answer cell {ex.name}_code defines {name!r}; the grade_id must be its snake_case name"
        places = library_definitions().get(name, [])
        assert len(places) == 1, (f"{lecture}: {name} must be defined once in lib/trainlab (the reference the "
                                  f"hidden tests compare with), found {places or 'none'}")
        assert ex.points > 0, f"{lecture}: test cell {ex.name} has no points"


def test_grade_ids_are_unique_across_the_course():
    """Is every grade_id (but 'setup') used once in the whole course (they are grades.csv columns)?"""
    ids = Counter(nbgrader_meta(c)["grade_id"] for lecture in LECTURES for c in _solution(lecture).cells
                  if nbgrader_meta(c).get("grade_id") and nbgrader_meta(c)["grade_id"] != "setup")
    assert not [i for i, n in ids.items() if n > 1], f"grade_ids used more than once: {[i for i, n in ids.items() if n > 1]}"


@pytest.mark.parametrize("lecture", LECTURES)
def test_free_response_cells(lecture):
    """Are manually graded cells markdown, named q_<topic>, with points?"""
    for cell in _solution(lecture).cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and meta.get("solution"):
            assert cell.cell_type == "markdown" and meta["grade_id"].startswith("q_") and meta.get("points"), \
                f"{lecture}: free-response cell {meta['grade_id']!r} must be markdown, grade_id q_<topic>, with points"


@pytest.mark.parametrize("lecture", LECTURES)
def test_mistakes_catalogue_matches_the_exercises(lecture):
    """Does autograder/mistakes/lecture_NN.py list two or more mistakes for every exercise, and no stale ones?"""
    path = ROOT / "autograder" / "mistakes" / f"lecture_{lecture[:2]}.py"
    assert path.is_file(), f"{lecture}: add {path.relative_to(ROOT)} (MISTAKES = {{exercise: [(label, source), ...]}})"
    names = {ex.name for ex in exercises(_solution(lecture))}
    catalogue = mistakes(lecture)
    missing = sorted(n for n in names if len(catalogue.get(n, [])) < 2)
    assert not missing, f"{lecture}: list at least two typical mistakes in {path.name} for {missing}"
    stale = sorted(set(catalogue) - names)
    assert not stale, f"{lecture}: {path.name} lists mistakes for exercises the notebook does not have: {stale}"


def test_every_reference_module_has_unit_tests():
    """Is each library module that holds a reference imported by some file of tests/?"""
    tested = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "trainlab":
                tested |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("trainlab."):
                tested.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                tested |= {a.name.split(".")[1] for a in node.names if a.name.startswith("trainlab.")}
    modules = {reference(ex).split(".")[1] for lecture in LECTURES for ex in exercises(_solution(lecture))
               if reference(ex)}
    assert not modules - tested, f"library modules without unit tests in tests/: {sorted(modules - tested)}"


def test_readme_lists_every_lecture():
    """Does the README's lecture table name every lecture folder?"""
    readme = (ROOT / "README.md").read_text()
    missing = [lecture for lecture in LECTURES if f"`{lecture}`" not in readme]
    assert not missing, f"add {missing} to the lecture table of README.md"


def test_notes_and_files_referenced_by_the_docs_exist():
    """Do the project files that CONTRIBUTING.md names exist (no stale references)?"""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    for ref in set(re.findall(r"`((?:autograder|tests|lib|solutions|notebooks|data)/[\w./]+\.(?:py|md|ipynb))`", text)):
        if "NN" in ref or "<" in ref:
            continue  # a pattern such as solutions/NN_name/name.ipynb, not a file
        assert (ROOT / ref).exists(), f"CONTRIBUTING.md names {ref}, which does not exist"
