"""Finding each student's notebook for each lecture: folders, zip files, renamed and misplaced notebooks.

Accepted layouts of the submissions folder (the originals are only ever read):

- ``<student>/<lecture>/<notebook>.ipynb`` (nbgrader's), ``<student>/<notebook>.ipynb``;
- ``<student>.zip`` holding either of the above below its top (or below one wrapping folder);
- the submissions argument itself a zip file of such a folder.

Zip files are extracted into the work folder entry by entry: absolute paths, ``..``
components, links, devices and entries beyond the size and count limits are skipped and
reported, never written.
"""
import json
import shutil
import stat
import zipfile
from functools import lru_cache
from pathlib import Path, PurePosixPath

from autograder import course

MAX_ZIP_BYTES = 200 * 1024 ** 2     # per zip file, uncompressed
MAX_ZIP_ENTRIES = 5000
MAX_NOTEBOOK_BYTES = 100 * 1024 ** 2
IGNORED = ("__MACOSX", ".ipynb_checkpoints", ".DS_Store")


def safe_extract(archive, dest):
    """Extract a zip file into dest, skipping every unsafe entry; returns (ok, notes)."""
    notes, written, count = [], 0, 0
    dest = Path(dest).resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                name = info.filename.replace("\\", "/")
                parts = PurePosixPath(name).parts
                mode = info.external_attr >> 16
                if info.is_dir() or not parts or any(p in IGNORED for p in parts):
                    continue
                if name.startswith("/") or ".." in parts or (len(parts[0]) == 2 and parts[0][1] == ":"):
                    notes.append(f"skipped unsafe zip entry {info.filename!r} (outside the folder)")
                    continue
                if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                    notes.append(f"skipped zip entry {info.filename!r} (a link or special file)")
                    continue
                count += 1
                if count > MAX_ZIP_ENTRIES or written + info.file_size > MAX_ZIP_BYTES:
                    notes.append(f"skipped zip entry {info.filename!r} (over {MAX_ZIP_ENTRIES} files or "
                                 f"{MAX_ZIP_BYTES // 1024 ** 2} MB)")
                    continue
                target = dest.joinpath(*parts)
                if not str(target.resolve()).startswith(str(dest) + "/"):
                    notes.append(f"skipped unsafe zip entry {info.filename!r} (outside the folder)")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    budget = MAX_ZIP_BYTES - written
                    while True:  # the header's size may lie (zip bombs): count what is really written
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        budget -= len(chunk)
                        if budget < 0:
                            break
                        out.write(chunk)
                if budget < 0:
                    target.unlink()
                    notes.append(f"skipped zip entry {info.filename!r} (larger than it claims)")
                    continue
                written += target.stat().st_size
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as err:
        return False, notes + [f"not a readable zip file: {type(err).__name__}: {err}"]
    return True, notes


def student_folders(submissions, work):
    """{student: (folder or None, notes)} for a submissions folder or zip file; zips are extracted under work."""
    submissions = Path(submissions)
    extracted = work / "extracted"
    if submissions.is_file() and zipfile.is_zipfile(submissions):
        target = extracted / "_class" / submissions.stem
        shutil.rmtree(target, ignore_errors=True)
        ok, notes = safe_extract(submissions, target)
        if not ok:
            raise SystemExit(f"{submissions}: {notes[-1]}")
        submissions = _unwrap(target)
    students = {}
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith((".", "_")) or entry.name in IGNORED:
            continue
        if entry.is_dir():
            students[entry.name] = (entry, [])
        elif entry.suffix.lower() == ".zip" and entry.stem not in students:
            target = extracted / entry.stem
            shutil.rmtree(target, ignore_errors=True)
            ok, notes = safe_extract(entry, target)
            students[entry.stem] = (_unwrap(target) if ok else None, notes)
    return students


def _unwrap(folder):
    """The folder itself, or its only subfolder when a zip wraps everything in one (and has no lecture in it)."""
    if not folder.is_dir():
        return folder
    entries = [e for e in folder.iterdir() if e.name not in IGNORED]
    if len(entries) == 1 and entries[0].is_dir() and entries[0].name not in course.lectures():
        return entries[0]
    return folder


def find_notebook(student_dir, lecture, notebook):
    """(path, note) of a student's notebook for a lecture, or (None, why) when there is none.

    Tries <lecture>/<notebook>, <notebook>, the only notebook in <lecture>/ (renamed),
    then any notebook in the student's folder whose graded cells are this lecture's (misplaced).
    """
    folder = student_dir / lecture
    for candidate in (folder / notebook, student_dir / notebook):
        if candidate.is_file():
            return candidate, ""
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file()) if folder.is_dir() else []
    if len(others) == 1:
        return others[0], f"renamed: {others[0].name} graded as {notebook}"
    if others:
        matching = [p for p in others if identify(read_ids(p)) == lecture]
        if len(matching) == 1:
            return matching[0], f"renamed: {matching[0].name} (one of {len(others)} notebooks) graded as {notebook}"
        return None, f"{len(others)} notebooks in {lecture}/ and none named {notebook}"
    loose = [p for p in sorted(student_dir.rglob("*.ipynb")) if p.is_file() and IGNORED[1] not in p.parts]
    matching = [p for p in loose if identify(read_ids(p)) == lecture]
    if len(matching) == 1:
        return matching[0], f"misplaced: {matching[0].relative_to(student_dir)} graded as {lecture}/{notebook}"
    return None, f"no {notebook}"


def read_ids(path):
    """grade_ids of a notebook file's nbgrader cells (empty when unreadable)."""
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return set()
        nb = json.loads(path.read_text(errors="replace"))
        return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.get("cells", [])
                if isinstance(c, dict)} - {None}
    except (OSError, ValueError, AttributeError, TypeError):
        return set()


@lru_cache(maxsize=None)
def lecture_ids(lecture):
    """grade_ids of a lecture's release notebook (setup, answers, tests, free-response answers)."""
    return frozenset(read_ids(course.RELEASE / lecture / course.lecture_notebook(lecture)))


def identify(ids):
    """The lecture whose nbgrader cells a notebook holds most of (None when it holds none of any)."""
    ids = set(ids) - {"setup"}
    best, best_overlap = None, 0
    for lecture in course.lectures():
        overlap = len(ids & lecture_ids(lecture))
        if overlap > best_overlap:
            best, best_overlap = lecture, overlap
    return best
