"""Does grading with `python -m autograder` give the right scores and statuses, whatever comes in?

One class of submissions is graded once (module fixture): the demo's three example
students for every lecture, plus tampered, broken and renamed submissions of lecture 00.
"""
import csv
import html
import os
import subprocess
import sys

import nbformat
import pytest

from autograder import course, examples
from autograder.exercises import defined_name, exercises, mistakes, read_notebook
from autograder.export import export, rows
from autograder.feedback import feedback
from autograder.grade import grade
from autograder.hidden_tests import HIDDEN_BLOCK
from autograder.scoring import is_test_cell
from autograder.statuses import load_statuses

LECTURES = course.lectures()
L00 = "00_backprop"
NB00 = course.lecture_notebook(L00)


def _release(lecture):
    return read_notebook(course.RELEASE / lecture / course.lecture_notebook(lecture))


def _answers(lecture, student):
    return examples.answers_for(lecture, student)


def _write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def _tampered(answers, change):
    """A lecture-00 submission with the given answers whose test cells are changed by change(cells)."""
    nb = examples.fill_answers(_release(L00), answers)
    nb.cells = change(nb.cells)
    return nb


def _emptied(cells):
    for cell in cells:
        if is_test_cell(cell):
            cell.source = "pass"
            cell.metadata["nbgrader"]["points"] = 100
    return cells


def _stripped(cells):
    for cell in cells:
        if is_test_cell(cell):
            del cell.metadata["nbgrader"]
    return cells


def _noisy(answer):
    """A correct answer that writes to stderr on every call: a UserWarning, a RuntimeWarning, a print."""
    name = defined_name(answer)
    return answer + f"""

import sys as _sys
import warnings as _warnings
_quiet_{name} = {name}


def {name}(*args, **kwargs):
    _warnings.warn("a harmless warning", UserWarning)
    np.float64(0.0) / np.float64(0.0)
    print("progress 100%", file=_sys.stderr)
    return _quiet_{name}(*args, **kwargs)
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole class once into a fresh work folder and gradebook; returns (work, submissions)."""
    tmp = tmp_path_factory.mktemp("class")
    work, db = tmp / "work", tmp / "elsewhere" / "class.db"
    db.parent.mkdir()
    patch = pytest.MonkeyPatch()
    patch.setenv("AUTOGRADER_WORKDIR", str(work))
    patch.setenv("AUTOGRADER_DB_URL", f"sqlite:///{db}")
    subs = examples.build(tmp / "submissions", LECTURES)
    for lecture in LECTURES:
        answers = _answers(lecture, "alternatives")
        _write(examples.fill_answers(_release(lecture), answers), subs / "alternatives" / lecture / course.lecture_notebook(lecture))
    _write(examples.fill_answers(_release(L00), {name: _noisy(source) for name, source in
                                                 _answers(L00, "correct").items()}), subs / "warnings" / L00 / NB00)
    correct, wrong = _answers(L00, "correct"), _answers(L00, "mistakes")
    _write(_tampered(correct, _emptied), subs / "emptied_tests" / L00 / NB00)
    _write(_tampered(wrong, lambda cells: [c for c in cells if not is_test_cell(c)]), subs / "deleted_tests" / L00 / NB00)
    _write(_tampered(wrong, _stripped), subs / "stripped_tests" / L00 / NB00)
    _write(examples.fill_answers(_release(L00), correct), subs / "renamed" / L00 / "my_backprop_final.ipynb")
    (subs / "corrupt" / L00).mkdir(parents=True)
    (subs / "corrupt" / L00 / NB00).write_text('{"cells": [')
    (subs / "missing" / L00).mkdir(parents=True)
    (subs / "missing" / L00 / "notes.txt").write_text("forgot the notebook")
    work.mkdir()
    grade(subs, LECTURES, work.resolve())
    yield work.resolve(), subs, db
    patch.undo()


def _row(graded, student, lecture=L00):
    work = graded[0]
    return next(r for r in rows(work, LECTURES) if r["student"] == student and r["lecture"] == lecture)


def _auto_cells(lecture):
    return [ex.name for ex in exercises(read_notebook(course.SOLUTIONS / lecture / course.lecture_notebook(lecture)))]


def _points(lecture):
    solution = read_notebook(course.SOLUTIONS / lecture / course.lecture_notebook(lecture))
    return {ex.name: ex.points for ex in exercises(solution)}


@pytest.mark.slow
def test_gradebook_at_the_configured_url(graded):
    """Is the gradebook written where AUTOGRADER_DB_URL says, not in the work folder?"""
    _, _, db = graded
    assert db.is_file() and not (graded[0] / "gradebook.db").exists()


@pytest.mark.slow
@pytest.mark.parametrize("lecture", LECTURES)
def test_correct_submission_gets_full_marks(graded, lecture):
    """Does the reference answer get every autograded point of every exercise?"""
    row = _row(graded, "correct", lecture)
    assert row["status"] == "graded"
    for name, points in _points(lecture).items():
        assert row[name] == points, f"{name}: {row[name]} of {points}"


@pytest.mark.slow
@pytest.mark.parametrize("lecture", LECTURES)
def test_alternative_answers_get_full_marks(graded, lecture):
    """Does a correct answer written differently from the reference get every point (as the grader grades)?"""
    row = _row(graded, "alternatives", lecture)
    assert row["status"] == "graded"
    for name, points in _points(lecture).items():
        assert row[name] == points, f"{name}: the alternative scored {row[name]} of {points}"


@pytest.mark.slow
def test_warnings_are_not_failures(graded):
    """Does a correct answer that warns and writes to stderr during every test keep full marks?"""
    row = _row(graded, "warnings")
    assert row["status"] == "graded"
    for name, points in _points(L00).items():
        assert row[name] == points, f"{name}: a correct answer that printed warnings scored {row[name]} of {points}"


@pytest.mark.slow
@pytest.mark.parametrize("lecture", LECTURES)
def test_untouched_release_gets_zero(graded, lecture):
    """Does the untouched release grade to zero without crashing?"""
    row = _row(graded, "untouched", lecture)
    assert row["status"] == "graded" and row["total"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("lecture", LECTURES)
def test_typical_mistakes_lose_each_exercise(graded, lecture):
    """Does the first typical mistake of every exercise lose that exercise's points?"""
    row = _row(graded, "mistakes", lecture)
    catalogue = mistakes(lecture)
    for name in _auto_cells(lecture):
        assert name in catalogue, f"{name} has no typical mistakes"
        assert row[name] == 0, f"{name}: the mistake {catalogue[name][0][0]!r} scored {row[name]}"


@pytest.mark.slow
def test_emptied_test_cells_are_restored_with_their_points(graded):
    """Are test cells replaced by `pass` (with points raised to 100) restored and graded at their true points?"""
    row = _row(graded, "emptied_tests")
    assert row["status"] == "graded"
    assert row["max"] == _row(graded, "correct")["max"]
    assert row["total"] == sum(_points(L00).values())


@pytest.mark.slow
@pytest.mark.parametrize("student", ["deleted_tests", "stripped_tests"])
def test_deleted_or_stripped_test_cells_are_restored_and_graded(graded, student):
    """Are deleted or metadata-stripped test cells added back and graded (wrong answers: 0, not 'needs manual grade')?"""
    row = _row(graded, student)
    for name in _auto_cells(L00):
        assert row[name] == 0, f"{name}: {row[name]!r}"


@pytest.mark.slow
def test_renamed_notebook_is_graded_and_noted(graded):
    """Is the only notebook of a lecture folder graded under the expected name, with a note?"""
    row = _row(graded, "renamed")
    assert row["total"] == sum(_points(L00).values())
    assert "renamed" in load_statuses(graded[0])["renamed"][L00]["detail"]


@pytest.mark.slow
def test_corrupt_and_missing_get_a_status_and_lose_nothing(graded):
    """Do a corrupt and a missing notebook get their statuses and zeros, the corrupt file left as it was?"""
    work, subs, _ = graded
    assert _row(graded, "corrupt")["status"] == "corrupt" and _row(graded, "corrupt")["total"] == 0
    assert "not a valid notebook" in load_statuses(work)["corrupt"][L00]["detail"]
    assert _row(graded, "missing")["status"] == "missing" and _row(graded, "missing")["total"] == 0
    assert (subs / "corrupt" / L00 / NB00).read_text() == '{"cells": ['


@pytest.mark.slow
def test_export_writes_one_row_per_student_and_lecture(graded):
    """Does grades.csv have a row per student and lecture and a column per graded cell, total, max, status?"""
    work, subs, _ = graded
    path = export(work, LECTURES)
    with open(path) as f:
        table = list(csv.DictReader(f))
    students = {p.name for p in subs.iterdir()}
    assert {(r["student"], r["lecture"]) for r in table} >= {(s, L00) for s in students}
    assert {"student", "lecture", "total", "max", "status", *_auto_cells(L00)} <= set(table[0])
    manual = [r["q_kinks"] for r in table if r["student"] == "correct" and r["lecture"] == L00]
    assert manual == [""], "an ungraded free-response answer is empty, not 0"


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(graded):
    """Does the feedback HTML of a failing submission show the failure messages but no hidden test code?"""
    work = graded[0]
    written = feedback([L00], work, ["mistakes"])
    page = html.unescape(written[0].read_text())
    solution = read_notebook(course.SOLUTIONS / L00 / NB00)
    visible = "\n".join(HIDDEN_BLOCK.sub("", c.source) for c in solution.cells)
    hidden_lines = {line.strip() for block in HIDDEN_BLOCK.findall("\n".join(c.source for c in solution.cells))
                    for line in block.splitlines() if len(line.strip()) > 12 and line.strip() not in visible}
    assert hidden_lines
    leaked = [line for line in hidden_lines if line in page]
    assert leaked == []
    assert "BEGIN HIDDEN TESTS" not in page
    assert "subtract each row's max first" in page, "the hidden test's failure message should still be shown"


def _cli(*args):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, env=env,
                          cwd=course.ROOT)


@pytest.mark.slow
def test_validate_exit_status(graded):
    """Does `validate` exit 1 on the untouched release and 0 on a correct submission?"""
    _, subs, _ = graded
    failing = _cli("validate", str(subs / "untouched" / L00 / NB00))
    assert failing.returncode == 1 and "FAILED" in failing.stdout
    passing = _cli("validate", str(subs / "correct" / L00 / NB00))
    assert passing.returncode == 0, passing.stdout + passing.stderr


def test_cli_rejects_bad_arguments():
    """Do an unknown lecture and a missing submissions folder fail with one clear sentence?"""
    unknown = _cli("release", "42")
    assert unknown.returncode != 0 and "unknown lecture '42'" in unknown.stderr
    missing = _cli("grade", "/nonexistent/folder")
    assert missing.returncode != 0 and "is not a folder of submissions" in missing.stderr
