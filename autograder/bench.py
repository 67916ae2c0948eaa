"""`bench`: the course's speed in one run: training, notebooks, grading.

Parts, in this order (``--part`` picks some):

- ``solver``: one CIFAR-10 epoch of the lectures' 2-layer net with the course's Solver (float32
  and float64) against PyTorch on the CPU and the BLAS bound (``autograder.bench_solver``);
- ``notebooks``: each solution notebook executed headless, one at a time, against the 30 s
  budget a lecture has on a 2-core machine;
- ``grading``: plain ``nbgrader autograde`` against ``python -m autograder grade``
  (``autograder.bench_grading``).

Speed targets live here, never in timed tests (DESIGN §7): the output prints each figure with
its target, as ratios where the machine's speed would otherwise decide.
"""
import time

from autograder import course

PARTS = ("solver", "notebooks", "grading")
NOTEBOOK_BUDGET = 30.0  # seconds per solution notebook, headless, 2 cores


def slowest_cells(nb, count=3):
    """[(cell index, seconds, first source line)] of an executed notebook's slowest code cells (nbclient's timing)."""
    from datetime import datetime

    timed = []
    for index, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        begin, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if cell.cell_type == "code" and begin and end:
            seconds = (datetime.fromisoformat(end.rstrip("Z")) - datetime.fromisoformat(begin.rstrip("Z")))
            line = next((ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")), "")
            timed.append((index, seconds.total_seconds(), line[:70]))
    return sorted(timed, key=lambda t: -t[1])[:count]


def bench_notebooks(lectures):
    """Execute each solution notebook headless; print its seconds; returns {lecture: seconds}."""
    from autograder.execute import errors, execute

    paths = {course.SOLUTIONS / lec / course.lecture_notebook(lec): lec for lec in lectures}
    print(f"notebooks: each solution notebook headless, one at a time (budget {NOTEBOOK_BUDGET:.0f} s each)")
    results = execute(list(paths), allow_errors=True)
    seconds = {}
    for path, (elapsed, nb) in results.items():
        lecture = paths[path]
        seconds[lecture] = elapsed
        problems = errors(nb)
        verdict = "ok" if elapsed <= NOTEBOOK_BUDGET else "OVER BUDGET"
        print(f"  {lecture:20s} {elapsed:6.1f} s  {verdict}" + (f"  errors: {problems}" if problems else ""))
        if elapsed > NOTEBOOK_BUDGET:
            for index, cell_seconds, first_line in slowest_cells(nb):
                print(f"      cell {index:3d} {cell_seconds:6.1f} s  {first_line}")
    print(f"  total {sum(seconds.values()):.1f} s; slowest {max(seconds, key=seconds.get)} "
          f"{max(seconds.values()):.1f} s")
    return seconds


def bench(parts=PARTS, lecture="00_backprop", submissions=20, workers=0, cell_timeout=None, threads=None,
          repeats=3, lectures=None):
    """Run the parts in order and print each; returns {part: its result}."""
    results = {}
    start = time.perf_counter()
    for part in PARTS:
        if part not in parts:
            continue
        if results:
            print()
        if part == "solver":
            from autograder.bench_solver import bench_solver
            results[part] = bench_solver(repeats=repeats, threads=threads)
        elif part == "notebooks":
            results[part] = bench_notebooks(lectures or course.lectures())
        else:
            from autograder.bench_grading import bench_grading
            kwargs = {} if cell_timeout is None else {"timeout": cell_timeout}
            results[part] = bench_grading(lecture, submissions, workers, **kwargs)
    print(f"\nbench finished in {time.perf_counter() - start:.0f} s")
    return results
