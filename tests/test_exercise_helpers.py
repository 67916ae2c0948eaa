"""Do the notebooks' exercise helpers fall back to the reference while a stub is unfinished, and say it once?"""
import pytest

from trainlab import exercise


def _stub(x):
    raise NotImplementedError()


def _buggy(x):
    raise ValueError("a bug in the student's code")


def test_or_reference_calls_the_students_function_when_it_is_done():
    """Is the student's own result used when the function is implemented (nothing printed)?"""
    calls = []
    wrapped = exercise.or_reference(lambda x: calls.append(x) or 2 * x, lambda x: -1)
    assert wrapped(3) == 6 and calls == [3]


def test_or_reference_falls_back_to_the_reference_and_says_so_once(capsys):
    """Does an unfinished stub give the reference's result, with one line however often it is called?"""
    wrapped = exercise.or_reference(_stub, lambda x: x + 1)
    assert [wrapped(1), wrapped(2)] == [2, 3]
    assert capsys.readouterr().out == "`_stub` is not implemented yet: showing the reference\n"


def test_or_reference_lets_other_errors_through():
    """Does a bug (any error but NotImplementedError) reach the student instead of being hidden?"""
    with pytest.raises(ValueError, match="a bug"):
        exercise.or_reference(_buggy, lambda x: x)(1)


def test_passed_prints_one_line(capsys):
    """Does a passing test cell end with one short line naming its exercise?"""
    exercise.passed("sgd_momentum")
    assert capsys.readouterr().out == "\u2713 sgd_momentum: the tests in this cell passed\n"
