"""`validate`: what a student runs before submitting — execute the notebook, report failing tests.

A summary comes first, one line per test cell (its exercise, passed or failed, the failure
message), then each failure's error. The same report feeds `python -m autograder validate`
and JupyterLab's Validate button (``button_result``, served by autograder.lab). Unlike
`nbgrader validate`, which exits 0 even when tests fail, the command exits non-zero.
"""
import os
import tempfile
from dataclasses import dataclass
from html import escape

from nbconvert.filters import strip_ansi
from nbgrader.validator import Validator

from autograder import course, scoring
from autograder.exercises import nbgrader_meta

MESSAGE_WIDTH = 110  # characters of a failure message in the summary; the details show all of it
TRACEBACK_LINES = 12  # last lines of a failure's traceback shown in the details


@dataclass
class TestResult:
    """One test cell after validation."""

    name: str  # the exercise's grade_id
    points: float
    passed: bool
    message: str = ""  # "ErrorName: message" of a failure
    traceback: str = ""  # the failure's traceback (ANSI colours removed)

    def summary_line(self, width):
        points = f"{self.points:g} pt{'s' if self.points != 1 else ''}"
        mark = "\u2713 passed" if self.passed else "\u2717 FAILED"
        message = self.message if len(self.message) <= MESSAGE_WIDTH else self.message[:MESSAGE_WIDTH - 1] + "\u2026"
        return f"  {mark}  {self.name:<{width}}  {points:>6}  {message}".rstrip()


class SummaryValidator(Validator):
    """nbgrader's Validator with the grader's rule (stderr is output, not failure) that keeps the executed notebook."""

    executed = None

    def _preprocess(self, nb):
        self.executed = scoring.warnings_are_not_failures(super()._preprocess(nb))
        return self.executed


def test_results(nb):
    """[TestResult] of an executed notebook's test cells, in order: a test fails when it raised."""
    results = []
    for cell in nb.cells:
        if not scoring.is_test_cell(cell):
            continue
        meta = nbgrader_meta(cell)
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            error = errors[0]
            message = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}".strip().rstrip(":")
            if error.get("ename") == "NotImplementedError" and not error.get("evalue"):
                message = "NotImplementedError: not done yet (the stub still raises)"
            trace = strip_ansi("\n".join(error.get("traceback", [])))
            results.append(TestResult(meta["grade_id"], float(meta.get("points", 0)), False, message.splitlines()[0]
                                      if message else "", trace))
        else:
            results.append(TestResult(meta["grade_id"], float(meta.get("points", 0)), True))
    return results


def run(path):
    """(nbgrader's result dict, [TestResult]) for one notebook; raises where it cannot be read or run."""
    config = course.nbgrader_config(course.workdir())
    with tempfile.TemporaryDirectory(prefix="validate-") as sockets:
        # a local kernel on IPC transport: no TCP ports (nor a warning about them); absolute socket paths
        config.KernelManager.transport, config.KernelManager.ip = "ipc", os.path.join(sockets, "kernel")
        validator = SummaryValidator(config=config)
        validator.ignore_checksums = True  # stored checksums predate hidden-test removal (jupyter/nbgrader#1961)
        results = validator.validate(str(path))
    return results, (test_results(validator.executed) if validator.executed is not None else [])


def summary(tests):
    """The summary's lines: a count, then one line per test cell."""
    if not tests:
        return ["no test cells ran"]
    failed = [t for t in tests if not t.passed]
    lost = sum(t.points for t in failed)
    total = sum(t.points for t in tests)
    head = (f"{len(failed)} of {len(tests)} tests failed ({lost:g} of {total:g} points)" if failed
            else f"all {len(tests)} tests passed ({total:g} points)")
    width = max(len(t.name) for t in tests)
    return [head] + [t.summary_line(width) for t in tests] + [
        "Hidden tests run when the notebook is graded: a pass here is necessary, not sufficient."]


def _last_lines(text, count=TRACEBACK_LINES):
    lines = text.rstrip().splitlines()
    return "\n".join((["..."] if len(lines) > count else []) + lines[-count:])


def validate(path):
    """(ok, lines): the summary first, then each failure's traceback; for the command line."""
    try:
        results, tests = run(path)
    except Exception as err:  # a notebook that cannot be read or run is a failure to report, not a crash
        return False, [f"{path}: could not validate: {type(err).__name__}: {err}"]
    lines = [f"{path}:"]
    for cell in results.get("type_changed", []):
        lines.append(f"a cell's type was changed from {cell['old_type']} to {cell['new_type']}: change it back")
    if results.get("type_changed"):
        return False, lines
    lines += summary(tests)
    for test in tests:
        if not test.passed:
            lines += ["", f"--- {test.name} ---", _last_lines(test.traceback or test.message)]
    return all(t.passed for t in tests), lines


def button_result(path):
    """The dict JupyterLab's Validate button shows: nbgrader's shape, the summary as its first entry.

    The button lists each entry of "failed" as a source (plain text) and an error (HTML); with no
    "failed" it shows its success message.
    """
    results, tests = run(path)
    if results.get("type_changed") or all(t.passed for t in tests):
        return {k: v for k, v in results.items() if k == "type_changed"}
    entries = [{"source": "\n".join(summary(tests)),
                "error": escape("Each failed test follows, with its error. Fix the first one first.")}]
    for test in tests:
        if not test.passed:
            entries.append({"source": f"{test.name} ({test.points:g} points)",
                            "error": escape(_last_lines(test.traceback or test.message))})
    return {"failed": entries}
