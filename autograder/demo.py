"""`demo`: the main job end to end on the bundled example submissions.

Regenerate the release, execute every solution notebook headless, build the example
submissions (correct, typical mistakes, untouched release), grade them, export grades.csv
and feedback, and print the per-exercise score table. Works in <workdir>/demo.
"""
import time

from autograder import course, examples
from autograder.execute import errors, execute
from autograder.export import export, score_table
from autograder.feedback import feedback
from autograder.grade import grade
from autograder.release import release


def demo(lectures):
    """Run the demo; returns the exit status (1 when a solution notebook fails)."""
    start = time.perf_counter()
    work = course.workdir() / "demo"
    work.mkdir(parents=True, exist_ok=True)
    print("1. release: notebooks/ from solutions/")
    release(lectures, work)

    print("\n2. execute the solution notebooks headless")
    paths = [course.SOLUTIONS / lec / course.lecture_notebook(lec) for lec in lectures]
    results = execute(paths, allow_errors=True)
    failed = False
    for path, (seconds, nb) in results.items():
        problems = errors(nb)
        failed |= bool(problems)
        print(f"   {path.relative_to(course.ROOT)}: {seconds:.1f} s, {'ok' if not problems else problems}")

    print("\n3. grade the example submissions:", ", ".join(examples.STUDENTS))
    submissions = examples.build(work / "examples", lectures)
    grade(submissions, lectures, work)
    csv_path = export(work, lectures)
    html = feedback(lectures, work)
    print(score_table(work, lectures))
    print(f"\ngrades: {csv_path}\nfeedback: {len(html)} HTML files under {work / 'feedback'}")
    print(f"demo finished in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0
