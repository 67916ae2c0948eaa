"""`feedback`: HTML per student and lecture that never shows hidden tests.

nbgrader's feedback shows the autograded notebook, whose test cells hold the hidden
tests, and a failing assert's traceback quotes the hidden line. HideHiddenTests removes
the hidden block from every test cell and reduces each error in a test cell to
"ErrorName: message".
"""
import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.MULTILINE | re.DOTALL)


def _is_test_cell(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


class HideHiddenTests(Preprocessor):
    """Strip hidden tests from test cells' sources and their errors' tracebacks."""

    enabled = Bool(True)  # nbconvert preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        if _is_test_cell(cell):
            cell.source = HIDDEN_BLOCK.sub("# (hidden tests)\n", cell.source)
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


def feedback(lectures, work, students=None):
    """Write <workdir>/feedback/<student>/<lecture>/<notebook>.html for graded submissions."""
    from autograder import course
    from autograder.grade import SCORED, load_statuses

    api = course.nbgrader_api(work)
    written = []
    for student, by_lecture in sorted(load_statuses(work).items()):
        if students and student not in students:
            continue
        for lecture in lectures:
            if by_lecture.get(lecture, {}).get("status") not in SCORED:
                continue
            if not (work / "autograded" / student / lecture).is_dir():
                continue
            result = api.generate_feedback(lecture, student, force=True)
            if not result["success"]:
                print(f"feedback failed for {student}/{lecture}: {result.get('error') or result.get('log')}")
                continue
            written += sorted((work / "feedback" / student / lecture).glob("*.html"))
    return written
