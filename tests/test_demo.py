"""Does the demo schedule the longest lectures first and read the solutions' runs from the `correct` grading?"""
import nbformat

from autograder import course
from autograder.demo import SOLUTION_STUDENT, example_plan, forget_others, longest_first, solution_runs
from autograder.statuses import load_statuses, save_statuses

LECTURE = "00_backprop"


def test_longest_first_uses_the_last_run_then_the_lecture_number():
    """Timed lectures by seconds (longest first), then the untimed ones from the highest number down."""
    stamps = {"03_initialization": {"seconds": 40.0}, "01_activations": {"seconds": 90.0}}
    order = longest_first(["00_backprop", "01_activations", "02_preprocessing", "03_initialization"], stamps)
    assert order == ["01_activations", "03_initialization", "02_preprocessing", "00_backprop"]


def _graded(work, cells, status="graded"):
    """A fake `correct` graded notebook of LECTURE with these (source, grade, outputs) cells and its status."""
    nb = nbformat.v4.new_notebook()
    for source, grade, outputs in cells:
        cell = nbformat.v4.new_code_cell(source, outputs=outputs)
        cell.metadata["nbgrader"] = {"grade": grade, "grade_id": f"c{len(nb.cells)}", "solution": False}
        nb.cells.append(cell)
    path = work / "autograded" / SOLUTION_STUDENT / LECTURE / course.lecture_notebook(LECTURE)
    path.parent.mkdir(parents=True)
    nbformat.write(nb, str(path))
    save_statuses(work, {SOLUTION_STUDENT: {LECTURE: {"status": status, "detail": "why",
                                                      "timing": {"worker": {"execute": 12.5}}}}})


def _error(name):
    return nbformat.v4.new_output("error", ename=name, evalue="boom", traceback=[])


def test_an_error_outside_the_test_cells_is_a_problem(tmp_path):
    _graded(tmp_path, [("x = 1", False, []), ("plot()", False, [_error("NameError")])])
    seconds, problems = solution_runs(tmp_path, [LECTURE])[LECTURE]
    assert seconds == 12.5 and problems == [(1, "NameError", "boom")]


def test_a_failing_test_cell_is_left_to_the_score_table(tmp_path):
    _graded(tmp_path, [("x = 1", False, []), ("assert x == 2", True, [_error("AssertionError")])])
    assert solution_runs(tmp_path, [LECTURE])[LECTURE] == (12.5, [])


def test_a_submission_that_was_not_graded_is_a_problem(tmp_path):
    _graded(tmp_path, [("x = 1", False, [])], status="timeout")
    (_, problems), = solution_runs(tmp_path, [LECTURE]).values()
    assert problems == ["status timeout: why"]


def test_the_plan_hands_in_correct_and_mistakes_everywhere_and_untouched_once():
    lectures = ["00_backprop", "01_activations", "02_preprocessing"]
    assert example_plan(lectures) == {"correct": lectures, "mistakes": lectures, "untouched": ["00_backprop"]}


def test_statuses_of_students_who_do_not_hand_in_are_dropped(tmp_path):
    """An earlier demo's `untouched` entry of a lecture it no longer hands in leaves the table; others stay."""
    save_statuses(tmp_path, {"untouched": {LECTURE: {"status": "graded"}, "01_activations": {"status": "graded"}},
                             "correct": {"01_activations": {"status": "graded"}}})
    forget_others(tmp_path, {"01_activations": ["correct", "mistakes"]})
    assert load_statuses(tmp_path) == {"untouched": {LECTURE: {"status": "graded"}},
                                       "correct": {"01_activations": {"status": "graded"}}}
