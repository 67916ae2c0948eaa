"""Do the exercise tests accept the solution and reject the typical wrong answers?

Each test cell runs in a fresh namespace holding only the notebook's setup cell and one
answer (CONTRIBUTING.md), which is fast and needs no kernel.
"""
import pathlib
import warnings

import matplotlib
import pytest

from autograder.exercises import (alternatives, defined_name, equivalent_mutants, exercises, mistakes, read_notebook,
                                  reference, run_test_cell, setup_source, strip_solution_markers)
from autograder.mutants import TIMED_OUT, mutants, survives

matplotlib.use("Agg")
ROOT = pathlib.Path(__file__).resolve().parents[1]
SOLUTIONS = sorted(ROOT.glob("solutions/[0-9][0-9]_*/*.ipynb"))


def _cases():
    for path in SOLUTIONS:
        lecture = path.parent.name
        nb = read_notebook(path)
        catalogue = mistakes(lecture)
        for ex in exercises(nb):
            yield pytest.param(lecture, setup_source(nb), ex, catalogue.get(ex.name, []),
                               id=f"{lecture}:{ex.name}")


CASES = list(_cases())
NOT_A_MISTAKE = (NameError, SyntaxError, NotImplementedError, ImportError)


def test_every_lecture_has_exercises():
    """Is there at least one lecture, and does each have graded exercises?"""
    assert SOLUTIONS, "no solution notebooks found under solutions/"
    for path in SOLUTIONS:
        assert exercises(read_notebook(path)), f"{path} has no graded exercises"


@pytest.mark.parametrize("lecture, setup, exercise, wrong_answers", CASES)
def test_solution_passes(lecture, setup, exercise, wrong_answers):
    """Does the reference solution pass its own test cell (visible and hidden tests)?"""
    run_test_cell(setup, strip_solution_markers(exercise.answer_source), exercise.test_source)


@pytest.mark.parametrize("lecture, setup, exercise, wrong_answers", CASES)
def test_library_reference_passes(lecture, setup, exercise, wrong_answers):
    """Does the library's reference, used as the answer, pass the test cell (the two sources of truth agree)?"""
    module, name = reference(exercise).rsplit(".", 1)
    assert name == defined_name(exercise.answer_source)
    run_test_cell(setup, f"from {module} import {name}", exercise.test_source)


@pytest.mark.parametrize("lecture, setup, exercise, wrong_answers", CASES)
def test_typical_mistakes_fail(lecture, setup, exercise, wrong_answers):
    """Does every listed typical wrong answer fail the test cell (two or more each)?

    A failure counts when it comes from the wrong logic: an AssertionError, or an error
    the wrong code itself raises (a shape mismatch); a mistake that fails through a typo
    (NameError, SyntaxError) or a stub (NotImplementedError) does not count.
    """
    assert len(wrong_answers) >= 2, f"{exercise.name}: list at least two typical wrong answers"
    for label, source in wrong_answers:
        try:
            run_test_cell(setup, source, exercise.test_source)
        except NOT_A_MISTAKE as err:
            pytest.fail(f"{exercise.name}: mistake {label!r} raised {err!r}: fix the mistake's source")
        except Exception:
            continue
        pytest.fail(f"{exercise.name}: mistake {label!r} passes the tests")


def _held_to_the_standard(lecture):
    """Lectures whose catalogue has alternatives are checked against the full test standard (CONTRIBUTING.md)."""
    if not alternatives(lecture):
        pytest.skip(f"{lecture} is not yet held to the test standard: its catalogue has no ALTERNATIVES")


@pytest.mark.parametrize("lecture, setup, exercise, wrong_answers", CASES)
def test_alternative_answers_pass(lecture, setup, exercise, wrong_answers):
    """Does every correct answer written differently from the reference pass (warnings allowed, as in grading)?"""
    _held_to_the_standard(lecture)
    answers = alternatives(lecture).get(exercise.name, [])
    assert answers, f"{exercise.name}: list at least one alternative correct answer in ALTERNATIVES"
    for label, source in answers:
        with warnings.catch_warnings():
            warnings.simplefilter("always")  # a warning is printed, never raised: it is not a failure
            try:
                run_test_cell(setup, source, exercise.test_source)
            except Exception as err:
                pytest.fail(f"{exercise.name}: the correct alternative {label!r} fails: {type(err).__name__}: {err}")


@pytest.mark.slow
@pytest.mark.parametrize("lecture, setup, exercise, wrong_answers", CASES)
def test_generated_mutants_are_killed_or_recorded(lecture, setup, exercise, wrong_answers):
    """Does every generated mutant of the answer fail the test cell, unless recorded as equivalent with a reason?"""
    _held_to_the_standard(lecture)
    recorded = equivalent_mutants(lecture).get(exercise.name, {})
    outcome = {m.key: survives(run_test_cell, setup, m, exercise.test_source) for m in mutants(exercise.answer_source)}
    alive = {key for key, result in outcome.items() if result is True}
    slow = {key for key, result in outcome.items() if result == TIMED_OUT}
    assert not alive - set(recorded), (f"{exercise.name}: mutants survive the tests: {sorted(alive - set(recorded))}; "
                                       "kill each with a better test, or record it in EQUIVALENT_MUTANTS with a reason")
    stale = set(recorded) - alive - slow  # a recorded mutant that timed out on a slow machine is not stale
    assert not stale, f"{exercise.name}: EQUIVALENT_MUTANTS lists mutants that are killed or gone: {sorted(stale)}"
