"""What happened to each submission: the status vocabulary and ``<workdir>/status.json``."""
import json
from pathlib import Path

STATUSES = {
    "graded": "ran to the end",
    "outdated": "ran to the end; the notebook is from an older release (cells restored or missing)",
    "timeout": "a cell or the notebook hit its time limit; the tests that ran count",
    "memory": "hit the memory limit; the tests that ran count",
    "processes": "hit the process limit; the tests that ran count",
    "output": "printed more than the output limit (truncated); the tests that ran count",
    "crashed": "the kernel died (e.g. os._exit, a segfault); the tests that ran before count",
    "corrupt": "not a readable notebook (or zip file)",
    "missing": "no notebook for this lecture",
    "wrong_lecture": "the notebook is another lecture's",
    "error": "the grader failed on this submission (see <workdir>/logs/)",
}
SCORED = ("graded", "outdated", "timeout", "memory", "processes", "output", "crashed")  # scores in the gradebook


def load_statuses(work):
    """The status table {student: {lecture: {status, detail, flags, timing}}} saved by earlier runs."""
    path = Path(work) / "status.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def save_statuses(work, statuses):
    """Write the status table next to the gradebook."""
    (Path(work) / "status.json").write_text(json.dumps(statuses, indent=1, sort_keys=True))
