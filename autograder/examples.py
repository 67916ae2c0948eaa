"""The bundled example submissions of the demo, built from the release and the solutions.

Three students per lecture: ``correct`` (the reference answers), ``mistakes`` (the first
typical wrong answer of every exercise, see autograder/mistakes/) and ``untouched`` (the
release as handed out). Built on demand so they always match the current release. The
tests also build ``alternatives`` (the first correct answer of each exercise written
differently from the reference, from the same catalogue).
"""
import shutil

import nbformat

from autograder import course
from autograder.exercises import alternatives, exercises, mistakes, nbgrader_meta, read_notebook, strip_solution_markers

STUDENTS = ("correct", "mistakes", "untouched")


def fill_answers(release_nb, answers):
    """Copy of a release notebook with answer cells replaced by answers {answer grade_id: source}."""
    nb = nbformat.from_dict(release_nb)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id].strip("\n")
    return nb


def answers_for(lecture, student):
    """{answer grade_id: source} that the example student writes for a lecture."""
    solution = read_notebook(course.SOLUTIONS / lecture / course.lecture_notebook(lecture))
    if student == "correct":
        return {f"{ex.name}_code": strip_solution_markers(ex.answer_source) for ex in exercises(solution)}
    if student in ("mistakes", "alternatives"):
        catalogue = mistakes(lecture) if student == "mistakes" else alternatives(lecture)
        return {f"{ex.name}_code": catalogue[ex.name][0][1] for ex in exercises(solution) if catalogue.get(ex.name)}
    return {}


def build(dest, lectures, plan=None):
    """Write dest/<student>/<lecture>/<notebook>.ipynb for every example student, or for the pairs of a
    plan {student: lectures}; returns dest."""
    shutil.rmtree(dest, ignore_errors=True)
    for lecture in lectures:
        notebook = course.lecture_notebook(lecture)
        release_nb = read_notebook(course.RELEASE / lecture / notebook)
        for student in (STUDENTS if plan is None else [s for s in plan if lecture in plan[s]]):
            folder = dest / student / lecture
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(fill_answers(release_nb, answers_for(lecture, student)), str(folder / notebook))
    return dest
