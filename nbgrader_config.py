"""nbgrader configuration for JupyterLab's nbgrader extension: validate button, formgrader, assignment list.

`jupyter lab` started in the repository root (`make lab`) reads this file. It applies the
configuration `python -m autograder` uses (autograder/course.py): source solutions/,
release notebooks/, submitted/autograded/feedback copies and the exchange folder in
AUTOGRADER_WORKDIR (default grading/, created here), the gradebook at AUTOGRADER_DB_URL
(default SQLite in that folder), feedback without hidden tests, the late-penalty plugin.
"""
from autograder import course

c = get_config()  # noqa: F821 (traitlets provides get_config when it loads this file)
c.merge(course.nbgrader_config(course.workdir()))
