"""`feedback`: HTML per student and lecture that never shows hidden tests (see autograder.hidden_tests)."""
from autograder import course
from autograder.statuses import SCORED, load_statuses


def feedback(lectures, work, students=None):
    """Write <workdir>/feedback/<student>/<lecture>/<notebook>.html for graded submissions."""
    api = course.nbgrader_api(work)
    written = []
    for student, by_lecture in sorted(load_statuses(work).items()):
        if students and student not in students:
            continue
        for lecture in lectures:
            if by_lecture.get(lecture, {}).get("status") not in SCORED:
                continue
            if not (work / "autograded" / student / lecture).is_dir():
                continue
            result = api.generate_feedback(lecture, student, force=True)
            if not result["success"]:
                print(f"feedback failed for {student}/{lecture}: {result.get('error') or result.get('log')}")
                continue
            written += sorted((work / "feedback" / student / lecture).glob("*.html"))
    return written
