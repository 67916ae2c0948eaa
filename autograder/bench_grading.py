"""`bench --part grading`: plain `nbgrader autograde` against `python -m autograder grade`.

The same N submissions of one lecture (the demo's correct, typical-mistakes and untouched
students, in turn) are graded twice from fresh gradebooks: by one `nbgrader autograde` CLI
process (serial, unsandboxed; nbgrader's own per-cell timeout) and by one
`python -m autograder grade` process (sandboxed, in parallel). Both wall-clock times
include their interpreter start-up; the gradebooks are filled with the lecture beforehand
for both. Prints both times, their ratio, and where our time per submission goes beyond
executing the notebook (from status.json's timings).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import course, examples
from autograder.gradebook import ensure_in_gradebook, record_lectures
from autograder.sandbox.protocol import DEFAULTS

PLAIN_CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.source_directory = {source!r}
c.CourseDirectory.submitted_directory = {submitted!r}
c.CourseDirectory.autograded_directory = {autograded!r}
c.CourseDirectory.db_url = {db!r}
c.Execute.timeout = {timeout}
"""


def build(dest, lecture, count):
    """dest/<sNN>/<lecture>/<notebook>: count submissions cycling through the demo's students."""
    notebook = course.lecture_notebook(lecture)
    release = nbformat.read(str(course.RELEASE / lecture / notebook), as_version=4)
    answers = {s: examples.answers_for(lecture, s) for s in examples.STUDENTS}
    for i in range(count):
        student = examples.STUDENTS[i % len(examples.STUDENTS)]
        folder = dest / f"s{i:02d}-{student}" / lecture
        folder.mkdir(parents=True)
        nbformat.write(examples.fill_answers(release, answers[student]), str(folder / notebook))
    return dest


def _env():
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("AUTOGRADER_DB_URL", None)
    return env


def plain_nbgrader(tmp, subs, lecture, timeout):
    """Seconds for one `nbgrader autograde` CLI run over every submission (and its exit status).

    Its course root is its own folder (nbgrader also reads nbgrader_config.py from the course
    root, and the repository's is the JupyterLab extension's); source is solutions/.
    """
    root = tmp / "plain"
    submitted = root / "submitted"
    shutil.copytree(subs, submitted)
    db = f"sqlite:///{root / 'gradebook.db'}"
    ensure_in_gradebook(lecture, root)  # fills root/gradebook.db (course.db_url default) with the lecture
    (root / "nbgrader_config.py").write_text(PLAIN_CONFIG.format(
        root=str(root), course_id=course.COURSE_ID, source=str(course.SOLUTIONS), submitted=str(submitted),
        autograded=str(root / "autograded"), db=db, timeout=timeout))
    cmd = [os.path.join(os.path.dirname(sys.executable), "nbgrader"), "autograde", lecture, "--force"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    graded = len(list((root / "autograded").glob("*/*/*.ipynb")))
    if graded != len(list(submitted.iterdir())):
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"plain nbgrader graded {graded} submissions only")
    return seconds, proc.returncode


def ours(tmp, subs, lecture, timeout, workers):
    """Seconds for one `python -m autograder grade` run, and its work folder."""
    work = tmp / "ours"
    work.mkdir()
    record_lectures(work, [lecture])  # as for the plain run: the gradebook holds the lecture beforehand
    env = dict(_env(), AUTOGRADER_WORKDIR=str(work))
    cmd = [sys.executable, "-m", "autograder", "grade", str(subs), "--lecture", lecture,
           "--cell-timeout", str(timeout)] + (["--workers", str(workers)] if workers else [])
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=course.ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode:
        print(proc.stdout[-2000:], proc.stderr[-2000:])
    return seconds, work, proc.stdout


def overhead(work):
    """Mean seconds per submission by part, from status.json (what is not executing the notebook)."""
    entries = [e for student in json.loads((work / "status.json").read_text()).values() for e in student.values()]
    timing = [e["timing"] for e in entries if e.get("timing", {}).get("worker")]
    parts = {
        "prepare (find, copy, check, restore cells, nbgrader sanitize, static scan)": [t["prepare"] for t in timing],
        "sandbox start (bwrap, worker interpreter, nbclient import)":
            [t["sandbox"] - t["worker"]["total"] for t in timing],
        "kernel start (ipykernel)": [t["worker"]["kernel_start"] for t in timing],
        "save (nbgrader SaveAutoGrades etc., status)": [t["finish"] for t in timing],
        "test cells in the judge (the tests' own work and the calls into the kernel)":
            [t.get("judge", 0) for t in timing],
        "executing the notebook's other cells": [t["worker"]["execute"] - t.get("judge", 0) for t in timing],
    }
    return {name: statistics.mean(values) for name, values in parts.items() if values}


def bench_grading(lecture, count=20, workers=0, timeout=DEFAULTS.cell_timeout):
    """Run both and print the comparison; returns the ratio."""
    os.environ.pop("AUTOGRADER_DB_URL", None)  # both runs use fresh SQLite gradebooks of their own
    tmp = Path(tempfile.mkdtemp(prefix="autograder-bench-"))
    try:
        subs = build(tmp / "submissions", lecture, count)
        print(f"grading: {count} submissions of {lecture} on {os.cpu_count()} cores")
        plain, rc = plain_nbgrader(tmp, subs, lecture, timeout)
        print(f"  nbgrader autograde (one CLI process, serial):        {plain:7.1f} s"
              f"  ({plain / count:.2f} s per submission{', exit status ' + str(rc) if rc else ''})")
        mine, work, out = ours(tmp, subs, lecture, timeout, workers)
        run = json.loads((work / "last_run.json").read_text())
        print(f"  python -m autograder grade (sandboxed, {run['workers']} workers): {mine:7.1f} s"
              f"  ({mine / count:.2f} s per submission)")
        print(f"  ratio: {plain / mine:.2f}x faster")
        print("  sandbox: " + "; ".join(run["sandbox"]))
        print("  mean seconds per submission in our run (parts overlap across workers):")
        parts = overhead(work)
        for name, seconds in parts.items():
            print(f"    {seconds:6.2f}  {name}")
        beyond = sum(v for k, v in parts.items() if not k.startswith(("executing", "test cells")))
        print(f"    {beyond:6.2f}  per-submission overhead beyond executing the notebook and its tests")
        return plain / mine
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
