"""`release`: regenerate the student notebooks/ from solutions/ with nbgrader generate_assignment.

After nbgrader, every cell that can raise on an untouched or unfinished notebook is tagged
``raises-exception`` (RAISES): the test cells, and the experiments that call a student's
function. JupyterLab's Run All (4.1+) and nbclient go on past a tagged cell's error, so a
student who presses Run All reaches the experiments and explorers at the end. The grader
runs with ``allow_errors`` anyway and scores a test cell from its outputs: the tag changes
no score.
"""
import ast
import filecmp
import tempfile
from pathlib import Path

import nbformat

from autograder import course
from autograder.exercises import defined_name, exercises, nbgrader_meta
from autograder.scoring import is_test_cell

RAISES = "raises-exception"


def generate(lecture, release_dir, work):
    """Run generate_assignment for one lecture into release_dir (also records it in the gradebook)."""
    api = course.nbgrader_api(work, release_dir=release_dir)
    result = api.generate_assignment(lecture, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_assignment failed for {lecture}:\n{result.get('error') or result.get('log')}")
    for path in sorted((Path(release_dir) / lecture).glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        if tag_cells_that_may_raise(nb):
            nbformat.write(nb, str(path))


def calls_student_code(cell, names):
    """Does a code cell (not an answer or test cell) use one of the names the answer cells define?"""
    meta = nbgrader_meta(cell)
    if cell.cell_type != "code" or meta.get("solution") or meta.get("grade_id") == "setup":
        return False
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Name) and node.id in names for node in ast.walk(tree))


def tag_cells_that_may_raise(nb):
    """Tag test cells and cells that call the student's functions with RAISES, in place; True if any changed."""
    names = {defined_name(ex.answer_source) for ex in exercises(nb)} - {None}
    changed = False
    for cell in nb.cells:
        if is_test_cell(cell) or calls_student_code(cell, names):
            tags = cell.metadata.setdefault("tags", [])
            if RAISES not in tags:
                tags.append(RAISES)
                changed = True
    return changed


def release(lectures, work):
    """Regenerate notebooks/<lecture>/ for each lecture."""
    for lecture in lectures:
        generate(lecture, course.RELEASE, work)
        print(f"released {lecture} -> notebooks/{lecture}/")


def out_of_sync(lectures):
    """Files of notebooks/ that differ from a fresh release (empty when in sync)."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for lecture in lectures:
            generate(lecture, tmp / "release", tmp / "work")
            fresh, committed = tmp / "release" / lecture, course.RELEASE / lecture
            if not committed.is_dir():
                problems.append(f"notebooks/{lecture}/ is missing")
                continue
            problems += _compare(fresh, committed, f"notebooks/{lecture}")
    return problems


def _compare(fresh, committed, label):
    """Names of files that differ, are missing or are extra between two folders, recursively."""
    cmp = filecmp.dircmp(fresh, committed, ignore=[".ipynb_checkpoints", "__pycache__"])
    problems = [f"{label}/{name} differs" for name in cmp.diff_files]
    problems += [f"{label}/{name} is missing" for name in cmp.left_only]
    problems += [f"{label}/{name} is not in the release" for name in cmp.right_only]
    for sub in cmp.common_dirs:
        problems += _compare(fresh / sub, committed / sub, f"{label}/{sub}")
    return problems

