"""The gradebook's view of the course: lectures recorded from solutions/, due dates, where it lives."""
import hashlib
import json
import shutil
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder import course
from autograder.release import generate


def ensure_in_gradebook(lecture, work):
    """Record the current solutions of a lecture in the gradebook (a scratch release in the work folder)."""
    scratch = work / "release"
    generate(lecture, scratch, work)
    shutil.rmtree(scratch, ignore_errors=True)


def record_lectures(work, lectures):
    """Record each lecture's current solutions in the gradebook, unless it already holds exactly them.

    nbgrader's generate_assignment takes seconds per lecture; a stamp per gradebook URL and
    lecture (a hash of the lecture's source folder) skips it while nothing changed.
    """
    stamps_path = work / "gradebook_stamps.json"
    stamps = json.loads(stamps_path.read_text()) if stamps_path.is_file() else {}
    url = course.db_url(work)
    for lecture in lectures:
        digest = hashlib.sha256()
        for path in sorted((course.SOLUTIONS / lecture).rglob("*")):
            if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                digest.update(str(path.relative_to(course.SOLUTIONS)).encode() + path.read_bytes())
        key = f"{url} {lecture}"
        if stamps.get(key) == digest.hexdigest():
            try:
                with Gradebook(url, course.COURSE_ID) as gb:
                    if gb.find_assignment(lecture).notebooks:
                        continue
            except MissingEntry:
                pass
        ensure_in_gradebook(lecture, work)
        stamps[key] = digest.hexdigest()
    stamps_path.write_text(json.dumps(stamps, indent=1))


def set_due_dates(work, lectures, due):
    """Due dates {lecture or '*': datetime} into the gradebook (nbgrader's late penalties read them)."""
    if not due:
        return
    with Gradebook(course.db_url(work), course.COURSE_ID) as gb:
        for lecture in lectures:
            when = due.get(lecture, due.get("*"))
            if when is not None:
                gb.update_or_create_assignment(lecture, duedate=when)


def db_folder(work):
    """The folder of a SQLite gradebook (to hide from the sandbox), None for a database server."""
    url = course.db_url(work)
    return str(Path(url.removeprefix("sqlite:///")).parent) if url.startswith("sqlite:///") else None
