"""Where the course lives and how nbgrader is configured for it.

The repository root is the nbgrader course root: ``solutions/`` is nbgrader's source
folder and ``notebooks/`` its release folder. Everything grading writes (gradebook,
submitted/autograded/feedback copies, statuses, grades.csv) goes to a work folder,
``grading/`` by default, or the ``AUTOGRADER_WORKDIR`` setting.
"""
import logging
import os
import sqlite3
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine
from traitlets.config import Config

from autograder.sandbox.protocol import DEFAULTS

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
RELEASE = ROOT / "notebooks"
COURSE_ID = "training-neural-networks"


def workdir():
    """The grading work folder (created if needed)."""
    path = Path(os.environ.get("AUTOGRADER_WORKDIR", ROOT / "grading")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def db_url(work):
    """Gradebook URL: the AUTOGRADER_DB_URL setting (any SQLAlchemy URL), else SQLite in the work folder."""
    return os.environ.get("AUTOGRADER_DB_URL", f"sqlite:///{work / 'gradebook.db'}")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(connection, _record):
    """SQLite gradebooks: write-ahead log, no fsync per commit (nbgrader commits once per cell).

    A crash can lose the last commits, never corrupt the file; readers such as the
    formgrader can read while grading writes.
    """
    if isinstance(connection, sqlite3.Connection):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def lectures():
    """Lecture folder names ('00_backprop', ...) in order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and p.name[:2].isdigit())


def lecture_notebook(lecture):
    """The one notebook of a lecture, e.g. '00_backprop' -> 'backprop.ipynb'."""
    found = sorted(p.name for p in (SOLUTIONS / lecture).glob("*.ipynb"))
    if len(found) != 1:
        raise ValueError(f"solutions/{lecture} must hold exactly one notebook, found {found}")
    return found[0]


def resolve_lecture(name):
    """A lecture folder from its full name or its number ('0', '00', '00_backprop')."""
    for lecture in lectures():
        if name in (lecture, lecture[:2]) or (name.isdigit() and int(name) == int(lecture[:2])):
            return lecture
    raise SystemExit(f"unknown lecture {name!r}; the lectures are: {', '.join(lectures())}")


def nbgrader_config(work, release_dir=RELEASE, cell_timeout=DEFAULTS.cell_timeout, late=None):
    """The nbgrader configuration shared by every step (and by JupyterLab's nbgrader extension).

    late: LatePenalty settings ({'penalty_method': 'per_day', 'per_day': 0.1, 'cap': 0.5}, see
    autograder.late); the due dates live in the gradebook.
    """
    # nbconvert and nbgrader's preprocessors and plugins take a second to import: only when needed
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    from autograder.feedback_html import FeedbackSummary
    from autograder.hidden_tests import HideHiddenTests
    from autograder.late import LatePenalty

    c = Config()
    c.CourseDirectory.root = str(ROOT)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = str(SOLUTIONS)
    c.CourseDirectory.release_directory = str(release_dir)
    c.CourseDirectory.submitted_directory = str(work / "submitted")
    c.CourseDirectory.autograded_directory = str(work / "autograded")
    c.CourseDirectory.feedback_directory = str(work / "feedback")
    c.CourseDirectory.db_url = db_url(work)
    c.Execute.timeout = cell_timeout
    # the release's stored checksums predate the removal of the hidden tests (jupyter/nbgrader#1961)
    c.Validator.ignore_checksums = True
    # a deleted or metadata-stripped test cell comes back from the gradebook and is graded
    c.OverwriteCells.add_missing_cells = True
    c.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, FeedbackSummary, CSSHTMLHeaderPreprocessor]
    # feedback's math as MathML, readable offline (autograder.feedback_html; its template: autograder.feedback)
    c.HTMLExporter.filters = {"markdown2html": "autograder.feedback_html.markdown2html"}
    c.AssignLatePenalties.plugin_class = LatePenalty
    for key, value in (late or {}).items():
        setattr(c.LatePenalty, key, value)
    # the assignment list of JupyterLab's nbgrader extension needs the exchange folder to exist
    (work / "exchange").mkdir(parents=True, exist_ok=True)
    c.Exchange.root = str(work / "exchange")
    return c


def nbgrader_api(work, **kwargs):
    """An NbGraderAPI on the course with quiet logs."""
    from nbgrader.apps import NbGraderAPI  # imports every nbgrader app and jupyter_server: only when needed
    config = nbgrader_config(work, **kwargs)
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log.setLevel(logging.WARNING)
    return api
