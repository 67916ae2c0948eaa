"""`grade`: autograde a folder of submissions with nbgrader, one student at a time.

Submissions are laid out ``SUBMISSIONS/<student>/<lecture>/<notebook>.ipynb`` (nbgrader's
layout); ``SUBMISSIONS/<student>/<notebook>.ipynb`` is accepted too. A submission that is
missing, corrupt or crashes gets a status and never stops the others; the originals are
only read. Statuses are kept in ``<workdir>/status.json`` for ``export``.
"""
import json
import shutil

import nbformat
from tqdm.auto import tqdm

from autograder import course
from autograder.release import ensure_in_gradebook

STATUSES = ("graded", "timeout", "memory", "crashed", "corrupt", "missing")


def find_submission(student_dir, lecture, notebook):
    """(path, note) of a student's notebook for a lecture, or (None, why) when there is none."""
    folder = student_dir / lecture
    for candidate in (folder / notebook, student_dir / notebook):
        if candidate.is_file():
            return candidate, ""
    others = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if len(others) == 1:
        return others[0], f"renamed: {others[0].name} graded as {notebook}"
    if others:
        return None, f"{len(others)} notebooks in {lecture}/ and none named {notebook}"
    return None, f"no {notebook}"


def check_readable(path):
    """None when path is a valid notebook, else a one-line reason."""
    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # any parse or schema failure means the file cannot be graded
        return f"not a valid notebook: {type(err).__name__}: {str(err).splitlines()[0][:200]}"
    return None


def autograded_status(path):
    """'timeout', 'memory' or 'graded' from the errors in an autograded notebook."""
    nb = nbformat.read(str(path), as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    if any(o.ename == "CellTimeoutError" for o in errors):
        return "timeout"
    if any(o.ename == "MemoryError" for o in errors):
        return "memory"
    return "graded"


def grade_one(api, work, student, lecture, source):
    """Copy one submission into the work folder and autograde it; returns (status, detail)."""
    notebook = course.lecture_notebook(lecture)
    dest = work / "submitted" / student / lecture
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copyfile(source, dest / notebook)
    if (source.parent / "timestamp.txt").is_file():
        shutil.copyfile(source.parent / "timestamp.txt", dest / "timestamp.txt")
    reason = check_readable(dest / notebook)
    if reason:
        return "corrupt", reason
    result = api.autograde(lecture, student, force=True, create=True)
    if not result["success"]:
        log = (result.get("error") or result.get("log") or "").strip().splitlines()
        return "crashed", log[-1][:300] if log else "nbgrader autograde failed"
    return autograded_status(work / "autograded" / student / lecture / notebook), ""


def grade(submissions, lectures, work, cell_timeout=course.CELL_TIMEOUT):
    """Grade every student folder under submissions for each lecture; returns the status table."""
    students = sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise SystemExit(f"no student folders in {submissions}: expected {submissions}/<student>/<lecture>/<notebook>.ipynb")
    for lecture in lectures:
        ensure_in_gradebook(lecture, work)
    api = course.nbgrader_api(work, cell_timeout=cell_timeout)
    statuses = load_statuses(work)
    jobs = [(s, lec) for s in students for lec in lectures]
    for student, lecture in tqdm(jobs, desc="grading", unit="notebook"):
        source, detail = find_submission(submissions / student, lecture, course.lecture_notebook(lecture))
        if source is None:
            status = "missing"
        else:
            status, problem = grade_one(api, work, student, lecture, source)
            detail = "; ".join(filter(None, [detail, problem]))
        statuses.setdefault(student, {})[lecture] = {"status": status, "detail": detail}
    save_statuses(work, statuses)
    return statuses


def load_statuses(work):
    """The status table {student: {lecture: {status, detail}}} saved by earlier runs."""
    path = work / "status.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def save_statuses(work, statuses):
    """Write the status table next to the gradebook."""
    (work / "status.json").write_text(json.dumps(statuses, indent=1, sort_keys=True))
