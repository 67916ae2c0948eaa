"""Do the lecture notebooks run: solutions without errors, releases failing only in their test cells?"""
import pathlib

import pytest

from autograder import course
from autograder.execute import errors, execute
from autograder.exercises import defined_name, nbgrader_meta, read_notebook
from autograder.release import RAISES, calls_student_code, out_of_sync
from autograder.scoring import is_test_cell

LECTURES = course.lectures()


def _path(root, lecture):
    return root / lecture / course.lecture_notebook(lecture)


@pytest.mark.slow
@pytest.mark.parametrize("lecture", LECTURES)
def test_solution_notebook_runs_without_errors(lecture):
    """Does every cell of the solution notebook run, every visible and hidden test passing?"""
    path = _path(course.SOLUTIONS, lecture)
    (seconds, nb), = execute([path], allow_errors=True).values()
    assert errors(nb) == [], f"{path.name} failed after {seconds:.0f} s"


@pytest.mark.slow
@pytest.mark.parametrize("lecture", LECTURES)
def test_release_notebook_fails_only_in_its_test_cells(lecture):
    """Does the untouched release run top to bottom, failing with NotImplementedError in every test cell and nowhere else?

    Experiments that call a student's function show the library's reference until it is done
    (trainlab.exercise.or_reference), so only the test cells fail.
    """
    path = _path(course.RELEASE, lecture)
    (_, nb), = execute([path], allow_errors=True).values()
    found = errors(nb)
    assert found, "the release raised nothing: are the solutions stripped?"
    assert {ename for _, ename, _ in found} == {"NotImplementedError"}, found
    failing = {index for index, _, _ in found}
    tests = {index for index, cell in enumerate(nb.cells) if is_test_cell(cell)}
    for index in tests - failing:
        assert False, f"test cell {nbgrader_meta(nb.cells[index])['grade_id']} passes on the untouched release"
    for index in failing - tests:
        assert False, (f"cell {index} fails on the untouched release: call the student's function through "
                       f"exercise.or_reference(...):\n{nb.cells[index].source[:300]}")


@pytest.mark.parametrize("lecture", LECTURES)
def test_release_tags_cells_that_may_raise(lecture):
    """Are the release's test cells and the cells calling the student's functions tagged for Run All to go on?"""
    nb = read_notebook(_path(course.RELEASE, lecture))
    names = {name for cell in nb.cells if nbgrader_meta(cell).get("solution") and cell.cell_type == "code"
             for name in [defined_name(cell.source)] if name}
    for index, cell in enumerate(nb.cells):
        if is_test_cell(cell) or calls_student_code(cell, names):
            assert RAISES in cell.metadata.get("tags", []), f"cell {index} is not tagged {RAISES!r}"


@pytest.mark.slow
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
