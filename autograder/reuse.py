"""What the demo may reuse from its last run: a digest per lecture of everything its results depend on.

A lecture's solution run and the grades of its example submissions depend on its solution and
release notebooks (and any files beside them), its catalogue of wrong answers, the library
(``lib/``), the grader (``autograder/``), the pinned dependencies, the data folder setting and the
gradebook's URL. When none of these changed since the last demo in the same work folder, and
that run left results for every example student, the lecture is not executed or graded again:
its grades are still in the gradebook and its entries in ``status.json``.
"""
import hashlib
import json
import os
import sys
from pathlib import Path

from autograder import course
from autograder.statuses import load_statuses

STAMPS = "demo_stamps.json"


def _tree_digest(digest, folder):
    """Every file's path and bytes (caches and checkpoints left out)."""
    for path in sorted(folder.rglob("*")):
        if (path.is_file() and not {"__pycache__", ".ipynb_checkpoints", ".hypothesis"} & set(path.parts)
                and path.suffix != ".pyc"):
            digest.update(str(path.relative_to(course.ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")


def _stat_digest(digest, folder):
    """Names, sizes and modification times only: data folders may hold large datasets."""
    for path in sorted(Path(folder).rglob("*")) if folder and Path(folder).is_dir() else []:
        if path.is_file():
            info = path.stat()
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())


def shared_digest(work):
    """Digest of what every lecture depends on: library, grader, pins, data, settings."""
    digest = hashlib.sha256()
    _tree_digest(digest, course.ROOT / "lib")
    _tree_digest(digest, course.ROOT / "autograder")
    digest.update((course.ROOT / "pyproject.toml").read_bytes())
    data = os.environ.get("TRAINLAB_DATA", "")
    _stat_digest(digest, course.ROOT / "data")
    _stat_digest(digest, data)
    digest.update(f"{sys.version}\0{data}\0{course.db_url(work)}".encode())
    return digest.hexdigest()


def lecture_digest(lecture, shared):
    """Digest of one lecture's inputs (its folders in solutions/ and notebooks/) and the shared digest."""
    digest = hashlib.sha256(shared.encode())
    for root in (course.SOLUTIONS, course.RELEASE):
        _tree_digest(digest, root / lecture)
    return digest.hexdigest()


def load(work):
    """{lecture: {"digest": ..., "seconds": solution run seconds}} of the last demo in work."""
    path = work / STAMPS
    return json.loads(path.read_text()) if path.is_file() else {}


def save(work, stamps):
    (work / STAMPS).write_text(json.dumps(stamps, indent=1, sort_keys=True))


def reusable(work, stamps, lecture, digest, students):
    """Whether the last demo's results for the lecture can stand: same digest, every student graded."""
    if stamps.get(lecture, {}).get("digest") != digest:
        return False
    statuses = load_statuses(work)
    return all(lecture in statuses.get(student, {}) for student in students)
