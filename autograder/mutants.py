"""Generated mutants of an exercise's answer: the small slips a student makes, one at a time.

Each mutant changes one place of the reference answer: an arithmetic operator (``+`` ↔ ``-``,
``*`` ↔ ``/``, ``**`` → ``*``), a comparison (``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``), a
number (``n`` → ``n + 1``, ``1`` → ``0``, a float halved), a boolean, an ``axis=``/``keepdims=``
keyword, a unary minus dropped, or a reduction swapped (``sum`` ↔ ``mean``, ``max`` ↔ ``min``).
A mutant *survives* when the exercise's test cell still passes with it; every survivor is either
killed by a better test or recorded in the lecture's ``EQUIVALENT_MUTANTS`` with a reason
(``python -m autograder mutants`` lists them; CONTRIBUTING.md, "The test standard").
"""
import ast
import contextlib
import io
import re
import signal
import warnings
from dataclasses import dataclass

import numpy as np

from autograder import course
from autograder.exercises import (equivalent_mutants, exercises, read_notebook, run_test_cell, setup_source,
                                  strip_solution_markers)

SWAP_OPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.Pow: ast.Mult,
            ast.FloorDiv: ast.Div}
SWAP_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
            ast.NotEq: ast.Eq}
SWAP_CALLS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "maximum": "minimum",
              "minimum": "maximum", "argmax": "argmin", "argmin": "argmax"}
MUTANT_TIMEOUT = 10  # seconds: a mutant that loops forever (or is that slow) counts as killed


@dataclass
class Mutant:
    """One changed answer; ``key`` names the change by its line's text, so that editing a docstring
    keeps it ("out = x * mask / p: / -> *"; a second identical change gets " (#2)")."""

    key: str
    source: str


def _sites(tree):
    """(node, description, apply) for every place a mutation applies, in source order; skips docstrings."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in SWAP_OPS:
            new = SWAP_OPS[type(node.op)]
            yield node, f"{_op(node.op)} -> {_op(new())}", lambda n=node, new=new: setattr(n, "op", new())
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in SWAP_CMP:
                    new = SWAP_CMP[type(op)]
                    yield node, f"{_op(op)} -> {_op(new())}", \
                        lambda n=node, i=i, new=new: n.ops.__setitem__(i, new())
        elif isinstance(node, ast.Constant) and id(node) not in docstrings:
            value = node.value
            if isinstance(value, bool):
                yield node, f"{value} -> {not value}", lambda n=node: setattr(n, "value", not n.value)
            elif isinstance(value, int):
                new = 0 if value == 1 else value + 1
                yield node, f"{value} -> {new}", lambda n=node, new=new: setattr(n, "value", new)
            elif isinstance(value, float) and value != 0:
                yield node, f"{value!r} -> {value / 2!r}", lambda n=node: setattr(n, "value", n.value / 2)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield node, "unary - dropped", lambda n=node: setattr(n, "op", ast.UAdd())
        elif isinstance(node, ast.keyword) and node.arg == "axis" and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, int):
            new = 1 if node.value.value == 0 else 0
            yield node.value, f"axis={node.value.value} -> axis={new}", \
                lambda n=node, new=new: setattr(n, "value", ast.Constant(new))
        elif isinstance(node, ast.keyword) and node.arg == "keepdims":
            yield node.value, "keepdims toggled", lambda n=node: setattr(n, "value", ast.Constant(
                not (isinstance(n.value, ast.Constant) and n.value.value)))
        elif isinstance(node, ast.Attribute) and node.attr in SWAP_CALLS:
            new = SWAP_CALLS[node.attr]
            yield node, f".{node.attr} -> .{new}", lambda n=node, new=new: setattr(n, "attr", new)


def _op(op):
    return {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//",
            ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}[type(op)]


def mutants(answer_source):
    """Every single-change mutant of an answer cell, each with a stable key."""
    source = strip_solution_markers(answer_source)
    lines = source.splitlines()
    count = sum(1 for _ in _sites(ast.parse(source)))
    found, seen = [], {}
    for index in range(count):
        tree = ast.parse(source)
        node, description, apply = list(_sites(tree))[index]
        apply()
        key = f"{_code_of(lines[node.lineno - 1])}: {description}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key += f" (#{seen[key]})"
        try:
            found.append(Mutant(key, ast.unparse(ast.fix_missing_locations(tree))))
        except (ValueError, TypeError, RecursionError):
            continue
    return found


def _code_of(line):
    """A source line without its comment and extra blanks, at most 70 characters."""
    code = re.sub(r"\s+#.*$", "", line).strip()
    return re.sub(r"\s+", " ", code)[:70]


class _Timeout(BaseException):
    """Not an Exception: a test's `except Exception` or Hypothesis (which replays a failing example
    without the alarm) would otherwise swallow it and leave an endless mutant running."""


def _alarm(_signum, _frame):
    raise _Timeout()


TIMED_OUT = "timed out"


def survives(run_test_cell, setup, mutant, test_source):
    """Does the test cell pass with the mutant as the answer? True, False (it fails or errs), or
    TIMED_OUT (it ran past MUTANT_TIMEOUT: killed as far as the score goes — an endless loop is a
    wrong answer — but a recorded equivalent mutant that is merely slow is not called stale for it).
    What the mutant prints and warns is swallowed: a run over hundreds of mutants stays readable."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, MUTANT_TIMEOUT, 1.0)  # again every second, should one be swallowed
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"), \
                contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            run_test_cell(setup, mutant.source, test_source)
        return True
    except _Timeout:
        return TIMED_OUT
    except BaseException as err:  # any failure kills the mutant; Ctrl-C still stops the run
        if isinstance(err, KeyboardInterrupt):
            raise
        return False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def lecture_report(lecture):
    """{exercise: (killed, total, {surviving key: recorded reason or None})} for one lecture."""
    nb = read_notebook(course.SOLUTIONS / lecture / course.lecture_notebook(lecture))
    setup, recorded, found = setup_source(nb), equivalent_mutants(lecture), {}
    for exercise in exercises(nb):
        reasons = recorded.get(exercise.name, {})
        alive = {}
        changed = mutants(exercise.answer_source)
        for mutant in changed:
            if survives(run_test_cell, setup, mutant, exercise.test_source) is True:
                alive[mutant.key] = reasons.get(mutant.key)
        found[exercise.name] = (len(changed) - len(alive), len(changed), alive)
    return found


def print_report(lectures):
    """Print each lecture's mutation score and every survivor with its recorded reason; returns the
    number of survivors without one (the lecture's tests must kill them or record why they cannot)."""
    unexplained = 0
    for lecture in lectures:
        found = lecture_report(lecture)
        killed = sum(k for k, _, _ in found.values())
        total = sum(t for _, t, _ in found.values())
        print(f"{lecture}: {killed}/{total} mutants killed ({killed / max(total, 1):.0%})")
        for name, (k, t, alive) in found.items():
            for key, reason in alive.items():
                unexplained += reason is None
                print(f"  {name}: survives `{key}` — {reason or 'NOT RECORDED: kill it or record why'}")
    return unexplained
