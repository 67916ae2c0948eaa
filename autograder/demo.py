"""`demo`: the main job end to end on the bundled example submissions.

Regenerate the release, build the example submissions (correct and typical mistakes for every
lecture, the untouched release for the first one), grade them (one sandbox per CPU core at a time,
the longest lectures first), check that every solution ran, export grades.csv and feedback, and
print the per-exercise score table. Works in <workdir>/demo.

The `correct` student's submission is the release with the solution's answer cells: grading it runs
the solution notebook, every hidden test included, so its graded copy is the check that the
solutions execute (no second run of them). Lecture 13 runs its quick setting (``TRAINLAB_QUICK=1``,
as the tests do) unless the environment sets ``TRAINLAB_QUICK`` itself.

A lecture whose inputs are unchanged since the last demo in that folder (``autograder.reuse``:
its notebooks, the library, the grader, the pins, the data) is not graded again: its grades and
its solution run from then stand, and the output says so. ``--fresh`` redoes every lecture.
"""
import os
import time

from autograder import course, examples, reuse
from autograder.execute import errors
from autograder.exercises import nbgrader_meta, read_notebook
from autograder.export import export, score_table
from autograder.feedback import feedback
from autograder.grade import Options, grade
from autograder.release import release
from autograder.statuses import load_statuses, save_statuses

SOLUTION_STUDENT = "correct"


def example_plan(lectures):
    """{example student: the lectures it hands in}: `correct` and `mistakes` every lecture, `untouched` the first.

    An untouched release scores 0 in every lecture (tests/test_autograder.py checks each one); the
    demo shows it once, which saves a third of its notebooks.
    """
    return {"correct": list(lectures), "mistakes": list(lectures), "untouched": list(lectures[:1])}


def longest_first(lectures, stamps):
    """Lectures by their last solution run's seconds, longest first; never-timed ones by number, highest first
    (the later lectures train the larger nets)."""
    return sorted(lectures, key=lambda lec: (stamps.get(lec, {}).get("seconds", 0), lec), reverse=True)


def solution_runs(work, lectures):
    """{lecture: (seconds, problems)} from the `correct` student's graded notebooks.

    Problems: the status when it is not `graded`, and every error output of a cell that is not a
    test cell (test cells hold the judge's verdicts, counted in the score table).
    """
    entries = load_statuses(work).get(SOLUTION_STUDENT, {})
    runs = {}
    for lec in lectures:
        entry = entries.get(lec, {})
        seconds = entry.get("timing", {}).get("worker", {}).get("execute", 0.0)
        path = work / "autograded" / SOLUTION_STUDENT / lec / course.lecture_notebook(lec)
        if entry.get("status") != "graded" or not path.exists():
            runs[lec] = (seconds, [f"status {entry.get('status', 'missing')}: {entry.get('detail', '')}"])
            continue
        nb = read_notebook(path)
        tests = {i for i, cell in enumerate(nb.cells) if nbgrader_meta(cell).get("grade") and cell.cell_type == "code"}
        runs[lec] = (seconds, [e for e in errors(nb) if e[0] not in tests])
    return runs


def forget_others(work, handing_in):
    """Drop the statuses of students who do not hand in a lecture this time (an earlier demo's plan)."""
    statuses = load_statuses(work)
    for student, entries in statuses.items():
        for lec in [lec for lec in entries if lec in handing_in and student not in handing_in[lec]]:
            del entries[lec]
    save_statuses(work, statuses)


def demo(lectures, fresh=False, workers=0):
    """Run the demo; returns the exit status (1 when a solution notebook fails)."""
    start = time.perf_counter()
    os.environ.setdefault("TRAINLAB_QUICK", "1")  # lecture 13's quick setting (trainlab.pipeline.QUICK_ENV)
    work = course.workdir() / "demo"
    work.mkdir(parents=True, exist_ok=True)
    print("1. release: notebooks/ from solutions/")
    release(lectures, work)

    stamps = {} if fresh else reuse.load(work)
    shared = reuse.shared_digest(work)
    digests = {lec: reuse.lecture_digest(lec, shared) for lec in lectures}
    plan = example_plan(lectures)
    handing_in = {lec: [s for s, handed in plan.items() if lec in handed] for lec in lectures}
    kept = [lec for lec in lectures if reuse.reusable(work, stamps, lec, digests[lec], handing_in[lec])]
    todo = [lec for lec in lectures if lec not in kept]

    print("\n2. grade the example submissions:",
          "; ".join(f"{s} ({'every lecture' if handed == lectures else ', '.join(handed)})" for s, handed in plan.items()))
    forget_others(work, handing_in)
    if kept:
        print(f"   unchanged since the last demo, grades kept: {', '.join(kept)}")
    submissions = examples.build(work / "examples", lectures, plan)
    if todo:
        grade(submissions, longest_first(todo, stamps), work, Options(workers=workers, only=plan))

    print(f"\n3. the solution notebooks ran (as the `{SOLUTION_STUDENT}` submissions, hidden tests included)")
    results = solution_runs(work, todo)
    failed = False
    for lec in lectures:
        path = (course.SOLUTIONS / lec / course.lecture_notebook(lec)).relative_to(course.ROOT)
        if lec in kept:
            print(f"   {path}: unchanged since the last demo ({stamps[lec]['seconds']:.1f} s then), ok")
            continue
        seconds, problems = results[lec]
        failed |= bool(problems)
        print(f"   {path}: {seconds:.1f} s, {'ok' if not problems else problems}")
        if not problems:  # stamped only once graded, and only when its solution ran cleanly
            stamps[lec] = {"digest": digests[lec], "seconds": seconds}
        else:
            stamps.pop(lec, None)
    reuse.save(work, stamps)
    csv_path = export(work, lectures)
    html = feedback(lectures, work)
    print(score_table(work, lectures))
    print(f"\ngrades: {csv_path}\nfeedback: {len(html)} HTML files under {work / 'feedback'}")
    print(f"demo finished in {time.perf_counter() - start:.0f} s"
          + (f" ({len(kept)} of {len(lectures)} lectures reused; --fresh redoes them)" if kept else ""))
    return 1 if failed else 0
