"""`demo`: the main job end to end on the bundled example submissions.

Regenerate the release, execute every solution notebook headless (one per CPU core at a time),
build the example submissions (correct, typical mistakes, untouched release), grade them,
export grades.csv and feedback, and print the per-exercise score table. Works in <workdir>/demo.

A lecture whose inputs are unchanged since the last demo in that folder (``autograder.reuse``:
its notebooks, the library, the grader, the pins, the data) is neither executed nor graded
again: its solution run and its grades from then stand, and the output says so. ``--fresh``
redoes every lecture.
"""
import os
import time
from concurrent.futures import ProcessPoolExecutor

from autograder import course, examples, reuse
from autograder.execute import errors, execute
from autograder.export import export, score_table
from autograder.feedback import feedback
from autograder.grade import grade
from autograder.release import release


def _execute_one(path):
    """(seconds, error list) of one solution notebook, in a worker process."""
    (seconds, nb), = execute([path], allow_errors=True).values()
    return seconds, errors(nb)


def execute_solutions(lectures, workers):
    """{lecture: (seconds, errors)} of the lectures' solution notebooks, `workers` kernels at a time."""
    paths = {lec: course.SOLUTIONS / lec / course.lecture_notebook(lec) for lec in lectures}
    if workers <= 1 or len(paths) <= 1:
        return {lec: _execute_one(path) for lec, path in paths.items()}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {lec: pool.submit(_execute_one, path) for lec, path in paths.items()}
        return {lec: future.result() for lec, future in futures.items()}


def demo(lectures, fresh=False, workers=0):
    """Run the demo; returns the exit status (1 when a solution notebook fails)."""
    start = time.perf_counter()
    work = course.workdir() / "demo"
    work.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    print("1. release: notebooks/ from solutions/")
    release(lectures, work)

    stamps = {} if fresh else reuse.load(work)
    shared = reuse.shared_digest(work)
    digests = {lec: reuse.lecture_digest(lec, shared) for lec in lectures}
    kept = [lec for lec in lectures if reuse.reusable(work, stamps, lec, digests[lec], examples.STUDENTS)]
    todo = [lec for lec in lectures if lec not in kept]

    print(f"\n2. execute the solution notebooks headless ({workers} at a time)")
    results = execute_solutions(todo, workers)
    failed = False
    for lec in lectures:
        path = (course.SOLUTIONS / lec / course.lecture_notebook(lec)).relative_to(course.ROOT)
        if lec in kept:
            print(f"   {path}: unchanged since the last demo ({stamps[lec]['seconds']:.1f} s then), ok")
            continue
        seconds, problems = results[lec]
        failed |= bool(problems)
        print(f"   {path}: {seconds:.1f} s, {'ok' if not problems else problems}")

    print("\n3. grade the example submissions:", ", ".join(examples.STUDENTS))
    submissions = examples.build(work / "examples", lectures)
    if kept:
        print(f"   unchanged since the last demo, grades kept: {', '.join(kept)}")
    if todo:
        grade(submissions, todo, work)
    for lec in todo:  # stamped only once graded, and only when its solution ran cleanly
        if not results[lec][1]:
            stamps[lec] = {"digest": digests[lec], "seconds": results[lec][0]}
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
