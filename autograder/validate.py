"""`validate`: what a student runs before submitting — execute the notebook, report failing tests.

Unlike `nbgrader validate`, which exits 0 even when tests fail, this exits non-zero.
"""
from nbgrader.validator import Validator

from autograder import course, scoring


class WarningTolerantValidator(Validator):
    """nbgrader's Validator, with test cells' stderr counted as output, not as failure (as in grading)."""

    def _preprocess(self, nb):
        return scoring.warnings_are_not_failures(super()._preprocess(nb))


def validate(path):
    """(ok, lines): run one notebook's tests with nbgrader's Validator and describe the result."""
    validator = WarningTolerantValidator(config=course.nbgrader_config(course.workdir()))
    validator.ignore_checksums = True  # the release's stored checksums predate hidden-test removal (jupyter/nbgrader#1961)
    try:
        results = validator.validate(str(path))
    except Exception as err:  # a notebook that cannot be read or run is a failure to report, not a crash
        return False, [f"{path}: could not validate: {type(err).__name__}: {err}"]
    lines = []
    for cell in results.get("type_changed", []):
        lines.append(f"a cell's type was changed from {cell['old_type']} to {cell['new_type']}: change it back")
    for cell in results.get("failed", []):
        first = cell["source"].splitlines()[0] if cell["source"] else "(empty cell)"
        error = cell.get("error", "").strip().splitlines()
        lines.append(f"FAILED: {first}\n    {error[-1] if error else ''}")
    ok = not lines
    if ok:
        lines.append(f"{path}: all {len(results.get('passed', []))} tested cells pass" if results.get("passed")
                     else f"{path}: passed")
    return ok, lines
