"""How a test cell's outputs count: an error fails it; a warning does not.

nbgrader scores a test cell 0 when it has any stderr output, so a correct answer that hits a
harmless RuntimeWarning (0/0 inside np.where), a DeprecationWarning, a ``warnings.warn`` or a
tqdm bar would lose its points. Both the grader and ``validate`` move test cells' stderr into
stdout before nbgrader reads the outputs: the text stays visible, only errors count.
"""
from autograder.exercises import nbgrader_meta


def is_test_cell(cell):
    """An autograded test cell: a code cell with nbgrader grade true, solution false."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def warnings_are_not_failures(nb):
    """Relabel the stderr streams of nb's test cells as stdout, in place; returns nb."""
    for cell in nb.cells:
        if is_test_cell(cell):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    output["name"] = "stdout"
    return nb
