"""`feedback`: HTML per student and lecture that never shows hidden tests (see autograder.hidden_tests).

Each page starts with a summary (every exercise: points, passed or failed, the failure message)
and shows its math as MathML, so it reads offline (autograder.feedback_html). nbgrader's
``NbGraderAPI.generate_feedback`` forces nbgrader's own template, so the converter is run here
with the course's configuration.
"""
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from nbgrader.utils import capture_log, temp_attrs
from traitlets.config import Config

from autograder import course
from autograder.feedback_html import TEMPLATE_NAME, TEMPLATES
from autograder.statuses import SCORED, load_statuses


def _converter(api):
    """nbgrader's GenerateFeedback on the course configuration with the summary template (see feedback_html)."""
    import nbgrader
    from nbgrader.converters import GenerateFeedback

    templates = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
    app = GenerateFeedback(coursedir=api.coursedir, parent=api)
    # GenerateFeedback adds the bootstrap CSS as the only extra path; our template extends
    # feedback/index.html.j2, found from nbgrader's templates folder
    paths = list(app.config.HTMLExporter.get("extra_template_paths", [])) + [str(templates)]
    app.update_config(Config({"HTMLExporter": {"template_name": TEMPLATE_NAME, "extra_template_paths": paths,
                                               "extra_template_basedirs": [str(TEMPLATES), str(templates)]}}))
    app.force = True
    return app


def feedback(lectures, work, students=None):
    """Write <workdir>/feedback/<student>/<lecture>/<notebook>.html for graded submissions.

    One process per CPU core (nbconvert's HTML export is CPU-bound: ~0.7 s a notebook).
    """
    pairs = [(student, lecture) for student, by_lecture in sorted(load_statuses(work).items())
             if not students or student in students
             for lecture in lectures
             if by_lecture.get(lecture, {}).get("status") in SCORED and (work / "autograded" / student / lecture).is_dir()]
    if not pairs:
        return []
    workers = min(len(pairs), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        failures = list(pool.map(_write_one, [work] * len(pairs), *zip(*pairs)))
    for (student, lecture), failure in zip(pairs, failures):
        if failure:
            print(f"feedback failed for {student}/{lecture}: {failure}")
    return [path for (student, lecture), failure in zip(pairs, failures) if not failure
            for path in sorted((work / "feedback" / student / lecture).glob("*.html"))]


def _write_one(work, student, lecture):
    """One student's feedback for one lecture; returns what went wrong, or None."""
    api = course.nbgrader_api(work)
    with temp_attrs(api.coursedir, assignment_id=lecture, student_id=student):
        result = capture_log(_converter(api))
    return None if result["success"] else (result.get("error") or result.get("log") or "unknown error")
