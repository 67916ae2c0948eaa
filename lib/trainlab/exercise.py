"""What a lecture notebook says around its exercises: the reference while a stub is unfinished, a test's pass line.

An experiment that uses the student's function still runs before the exercise is done::

    sgd_momentum_or_reference = exercise.or_reference(sgd_momentum, optim.sgd_momentum)

and each test cell ends with ``exercise.passed("sgd_momentum")``, so a test that passed says so.
"""
import functools

PASS_MARK = "\u2713"  # ✓


def or_reference(student, reference):
    """student, falling back to reference (said once, on one line) while student raises NotImplementedError.

    Args:
        student: the student's function or class (the answer cell's definition).
        reference: the library's implementation of the same exercise, called the same way.
    Returns:
        a callable that returns student(*args, **kwargs), or reference(*args, **kwargs) where the
        student's raises NotImplementedError (an unfinished stub). Other errors propagate: a bug is
        the student's to see.
    """
    name = getattr(student, "__name__", None) or getattr(reference, "__name__", "this exercise")
    said = False

    @functools.wraps(reference)
    def call(*args, **kwargs):
        nonlocal said
        try:
            return student(*args, **kwargs)
        except NotImplementedError:
            if not said:
                print(f"`{name}` is not implemented yet: showing the reference")
                said = True
            return reference(*args, **kwargs)

    return call


def passed(name):
    """Print the one line a passing test cell shows (its last statement, after the hidden tests)."""
    print(f"{PASS_MARK} {name}: the tests in this cell passed")
