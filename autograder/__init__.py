"""The course's grading tool on nbgrader: `python -m autograder VERB` (see autograder.cli)."""
import os
import sys
import warnings

# nbgrader runs the `alembic` command by name when it opens a gradebook: make the one
# installed beside this Python findable even when its bin/ folder is not on PATH.
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

# SQLAlchemy 2.1 warns "Object of type <SubmittedNotebook> not in session" on every
# autograde (nbgrader 0.9.6's gradebook); it is harmless and would drown the real messages.
warnings.filterwarnings("ignore", message=".*not in session.*")
