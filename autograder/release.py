"""`release`: regenerate the student notebooks/ from solutions/ with nbgrader generate_assignment."""
import filecmp
import tempfile
from pathlib import Path

from autograder import course


def generate(lecture, release_dir, work):
    """Run generate_assignment for one lecture into release_dir (also records it in the gradebook)."""
    api = course.nbgrader_api(work, release_dir=release_dir)
    result = api.generate_assignment(lecture, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(f"nbgrader generate_assignment failed for {lecture}:\n{result.get('error') or result.get('log')}")


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

