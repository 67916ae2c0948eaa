"""Hidden tests: the blocks of a test cell that students never see, and the feedback preprocessor that removes them.

nbgrader's feedback shows the autograded notebook, whose test cells hold the hidden
tests, and a failing assert's traceback quotes the hidden line. HideHiddenTests removes
the hidden block from every test cell and reduces each error in a test cell to
"ErrorName: message". Used by the feedback configuration (``course.nbgrader_config``).
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
