"""Do the lecture notebooks run: solutions without errors, releases failing only in the stubs?"""
import pathlib

import pytest

from autograder import course
from autograder.execute import errors, execute
from autograder.exercises import nbgrader_meta, read_notebook
from autograder.release import out_of_sync

LECTURES = course.lectures()


def _path(root, lecture):
    return root / lecture / course.lecture_notebook(lecture)


@pytest.mark.parametrize("lecture", LECTURES)
def test_solution_notebook_runs_without_errors(lecture):
    """Does every cell of the solution notebook run, every visible and hidden test passing?"""
    path = _path(course.SOLUTIONS, lecture)
    (seconds, nb), = execute([path], allow_errors=True).values()
    assert errors(nb) == [], f"{path.name} failed after {seconds:.0f} s"


@pytest.mark.parametrize("lecture", LECTURES)
def test_release_notebook_fails_only_in_stubs(lecture):
    """Does the student release run top to bottom with NotImplementedError as its only error, in every test cell?"""
    path = _path(course.RELEASE, lecture)
    (_, nb), = execute([path], allow_errors=True).values()
    found = errors(nb)
    assert found, "the release raised nothing: are the solutions stripped?"
    assert {ename for _, ename, _ in found} == {"NotImplementedError"}, found
    failing = {index for index, _, _ in found}
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            assert index in failing, f"test cell {meta['grade_id']} passes on the untouched release"


def test_release_is_in_sync_with_solutions():
    """Is notebooks/ exactly what `python -m autograder release` generates from solutions/?"""
    assert out_of_sync(LECTURES) == []


@pytest.mark.parametrize("root", ["solutions", "notebooks"])
def test_notebooks_are_stored_without_outputs(root):
    """Are the committed notebooks free of outputs and execution counts (DESIGN §7)?"""
    for path in sorted(pathlib.Path(course.ROOT / root).glob("*/*.ipynb")):
        for cell in read_notebook(path).cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path} has outputs"
