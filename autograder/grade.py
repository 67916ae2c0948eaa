"""`grade`: autograde a class of untrusted submissions on nbgrader, each in its own sandbox, in parallel.

Every submission (a ``Job``: one student, one lecture) goes through ``STEPS`` in order. A
step is a small function ``step(job, run)`` that may end the job with a status
(``job.end``); the steps after it are then skipped. ``execute`` runs in up to ``workers``
threads at once, each waiting for its own sandbox (``autograder.sandbox``); the other steps
run here one submission at a time (milliseconds each), so the gradebook is only ever
touched from this process. One submission's failure, of any kind, never stops the others:
an exception in a step ends that job with ``error`` and is logged in ``<workdir>/logs/``.
The statuses (``autograder.statuses``), a detail line and the integrity flags are kept in
``<workdir>/status.json``.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from autograder import collect, course, integrity, scoring
from autograder.converter import Converter
from autograder.exercises import nbgrader_meta, read_notebook
from autograder.gradebook import db_folder, record_lectures, set_due_dates
from autograder.sandbox import host, protocol
from autograder.statuses import load_statuses, save_statuses

MAX_EXTRA_FILES = 20 * 1024 ** 2
MEMORY_ERRORS = ("MemoryError", "_ArrayMemoryError")


@dataclass
class Options:
    """Settings of one grading run (the grade command's options)."""

    limits: protocol.Limits = field(default_factory=protocol.Limits)
    workers: int = 0                 # 0: one per CPU core
    sandbox: str = "auto"            # auto, bwrap (required) or none (fallback only)
    due: dict = field(default_factory=dict)       # {lecture: datetime}
    late: dict = field(default_factory=dict)      # LatePenalty settings (autograder.late.parse)
    quiet: bool = False


@dataclass
class Job:
    """One student's submission for one lecture, on its way through the steps."""

    student: str
    lecture: str
    folder: Path | None
    notes: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    status: str | None = None
    outdated: list = field(default_factory=list)   # why the notebook looks like an older release
    path: Path | None = None                       # the copy in <workdir>/submitted/
    checked: object = None                         # the readable notebook (before nbgrader's sanitize)
    sanitized: object = None
    request: dict | None = None
    run: host.RunResult | None = None
    timing: dict = field(default_factory=dict)

    @property
    def notebook(self):
        return course.lecture_notebook(self.lecture)

    def end(self, status, note=None):
        """Give the job its final status; no later step runs."""
        self.status = status
        if note:
            self.notes.append(note)


@dataclass
class Release:
    """What the steps need of a lecture's release notebook, read once per run."""

    notebook: object
    cells: dict          # {grade_id: (cell_type, source)}
    trusted: set         # sources of its code cells that are not answer cells (the setup, demos, tests)
    files: dict          # its folder's other files (data a notebook reads): {relative path: base64}


@dataclass
class Run:
    """What the steps share during one grading run (nothing of one submission)."""

    work: Path
    limits: protocol.Limits
    converter: Converter
    box: host.Sandbox
    fonts: dict
    releases: dict = field(default_factory=dict)

    def release(self, lecture):
        if lecture not in self.releases:
            folder = course.RELEASE / lecture
            nb = read_notebook(folder / course.lecture_notebook(lecture))
            self.releases[lecture] = Release(
                nb, {nbgrader_meta(c)["grade_id"]: (c.cell_type, c.source) for c in nb.cells
                     if nbgrader_meta(c).get("grade_id")},
                {c.source for c in nb.cells if c.cell_type == "code" and not nbgrader_meta(c).get("solution")},
                _extra_files(folder))
        return self.releases[lecture]


# -- the steps, in order ----------------------------------------------------------------------------
def collect_submission(job, run):
    """Find the notebook (exact name, renamed, misplaced; zip files were extracted safely) and copy it to
    <workdir>/submitted/<student>/<lecture>/ with its timestamp.txt; the original is only read."""
    if job.folder is None:
        return job.end("corrupt")
    job.flags += [integrity.flag("zip", note) for note in job.notes if note.startswith("skipped")]
    source, note = collect.find_notebook(job.folder, job.lecture, job.notebook)
    job.notes.append(note)
    dest = run.work / "submitted" / job.student / job.lecture
    shutil.rmtree(dest, ignore_errors=True)
    if source is None:
        return job.end("missing")
    dest.mkdir(parents=True)
    job.path = dest / job.notebook
    shutil.copyfile(source, job.path)
    for stamp in (source.parent / "timestamp.txt", job.folder / "timestamp.txt"):
        if stamp.is_file():
            shutil.copyfile(stamp, dest / "timestamp.txt")
            break


def check_readable(job, run):
    """A valid notebook (repaired where nbformat can), else ``corrupt``."""
    path = job.path
    try:
        if path.stat().st_size > collect.MAX_NOTEBOOK_BYTES:
            return job.end("corrupt", f"not a valid notebook: larger than {collect.MAX_NOTEBOOK_BYTES // 1024 ** 2} MB")
        nb = nbformat.read(str(path), as_version=4)
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError:
            _, repaired = nbformat.validator.normalize(nb)
            nb = nbformat.from_dict(repaired)
            nbformat.validate(nb)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception as err:  # any parse or schema failure means the file cannot be graded
        first = str(err).splitlines()[0][:200] if str(err) else ""
        return job.end("corrupt", f"not a valid notebook: {type(err).__name__}: {first}")
    job.checked = nb


def check_release(job, run):
    """Another lecture's notebook: ``wrong_lecture``. An older release: cells unknown to the gradebook made
    ordinary, missing answer cells added back (noted; the status becomes ``outdated``)."""
    nb, release = job.checked, run.release(job.lecture)
    known = set(release.cells)
    ids = {nbgrader_meta(c).get("grade_id") for c in nb.cells} - {None}
    owner = collect.identify(ids)
    if owner is not None and owner != job.lecture and len(ids & known) < len(ids & collect.lecture_ids(owner)):
        return job.end("wrong_lecture", f"this notebook holds lecture {owner}'s exercises, not {job.lecture}'s")
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id is not None and grade_id not in known:
            job.outdated.append(f"cell {grade_id!r} is not in the current release (treated as an ordinary cell)")
            del cell.metadata["nbgrader"]
    missing = _restore_answer_cells(nb, release.notebook, ids)
    if missing and ids:
        job.outdated.append(f"answer cell(s) {', '.join(missing)} missing (added back from the release, unanswered)")
    nbformat.write(nb, str(job.path))


def sanitize(job, run):
    """nbgrader's ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells (test cells restored from the
    gradebook with their points, deleted and stripped ones added back; each change flagged), CheckCellMetadata."""
    path, changes = run.converter.sanitize(job.lecture, job.student, job.path, run.release(job.lecture).cells)
    job.flags += [integrity.flag("tampered-tests", change) for change in changes]
    job.sanitized = read_notebook(path)


def prepare_request(job, run):
    """What the sandbox worker needs: the sanitized notebook, its test cells, the guard's settings."""
    nb, release = job.sanitized, run.release(job.lecture)
    tests = {str(i): nbgrader_meta(c)["grade_id"] for i, c in enumerate(nb.cells) if scoring.is_test_cell(c)}
    setup = release.cells.get("setup", ("code", ""))[1]
    trusted = release.trusted | {nb.cells[int(i)].source for i in tests} | {setup}
    job.request = {
        "notebook": nb, "test_cells": tests, "files": release.files, "matplotlib_cache": run.fonts,
        "guard": {"setup_source": setup, "trusted_cells": sorted(trusted),
                  "test_sources": [nb.cells[int(i)].source for i in tests]},
    }


def scan(job, run):
    """The integrity report's static part: the student's own cells read without running them."""
    request = job.request
    job.flags += integrity.scan(job.sanitized, set(request["guard"]["trusted_cells"]),
                                set(request["test_cells"].values()))


def execute(job, run):
    """The notebook in a fresh sandbox (in a worker thread): time, memory, process and output limits."""
    try:
        job.run = run.box.run(job.request)
    except Exception as err:  # the sandbox itself failed to start: a grader problem, not the student's
        _write_log(run.work, job, traceback.format_exc())
        return job.end("error", f"the sandbox failed: {type(err).__name__}: {err}")
    job.timing["sandbox"] = job.run.seconds
    if job.run.result:
        job.timing["worker"] = job.run.result.get("timing", {})


def merge_outputs(job, run):
    """The worker's outputs into the sanitized notebook (malformed ones replaced); with no result, every
    test cell gets an error, so that nbgrader cannot count a test that never ran as passed."""
    result, nb = job.run.result, job.sanitized
    if result is not None and len(result.get("cells", [])) == len(nb.cells):
        for cell, executed in zip(nb.cells, result["cells"]):
            if cell.cell_type == "code" and isinstance(executed, dict):
                cell.outputs = [nbformat.from_dict(o) for o in executed.get("outputs", []) if isinstance(o, dict)]
                cell.execution_count = executed.get("execution_count")
        nb.metadata.update(result.get("metadata", {}))
        _validate_outputs(nb)
    else:
        _fail_tests(nb, "this test did not run: " + no_result_reason(job.run))


def warnings_are_not_failures(job, run):
    """Test cells' stderr into stdout (autograder.scoring): a warning is not a failure, only an error is."""
    scoring.warnings_are_not_failures(job.sanitized)


def save_scores(job, run):
    """nbgrader's IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties:
    the executed notebook into autograded/, its scores, partial credit and late penalty into the gradebook."""
    path = run.work / "autograded" / job.student / job.lecture / job.notebook
    nbformat.write(job.sanitized, str(path))
    run.converter.save(job.lecture, job.student, path)


def flag_run(job, run):
    """The integrity report's run-time part: the kernel's audit events and the test guard's findings."""
    job.flags = integrity.dedupe(job.flags + integrity.from_run(job.run.result))


def decide(job, run):
    """The status and detail line from the outputs, the worker's hints and the cgroup's counters."""
    status, detail = decide_status(job.run, job.sanitized, run.limits, job.outdated)
    job.end(status, detail)


STEPS = [
    collect_submission,  # first: every later step reads job.path
    check_readable,      # before anything parses the notebook as nbgrader's
    check_release,       # before sanitize: nbgrader adds a missing test cell after its answer cell, which must be
                         # there, and fails on grade_ids the gradebook does not know
    sanitize,            # before the request: the sandbox runs the restored test cells, never the submitted ones
    prepare_request,
    scan,                # after prepare_request: the release's and the test cells' sources are not student code
    execute,             # the only step run in a worker thread (up to `workers` at once)
    merge_outputs,       # after execute, before save_scores: nbgrader scores the outputs of the saved notebook
    warnings_are_not_failures,  # before save_scores, which would score a test cell with stderr output 0
    save_scores,
    flag_run,
    decide,              # last: a job ends here if no step ended it before
]
SANDBOXED = STEPS.index(execute)


# -- the run ------------------------------------------------------------------------------------------
def grade(submissions, lectures, work, options=None):
    """Grade every student under submissions (folder or zip) for each lecture; returns the status table."""
    options = options or Options()
    work = Path(work).resolve()
    submissions = Path(submissions).resolve()
    students = collect.student_folders(submissions, work)
    if not students:
        raise SystemExit(f"no student folders in {submissions}: expected {submissions}/<student>/<lecture>/<notebook>.ipynb")
    workers = options.workers or os.cpu_count() or 1
    options.limits.workers = workers
    mech = host.detect(options.sandbox)
    say = (lambda *a: None) if options.quiet else print
    for line in mech.describe():
        say(line)
    record_lectures(work, lectures)
    set_due_dates(work, lectures, options.due)
    secrets = [work, submissions, db_folder(work), course.SOLUTIONS]
    data_dirs = [course.ROOT / "data", os.environ.get("TRAINLAB_DATA")]
    run = Run(work, options.limits, Converter(work, options.limits.cell_timeout, options.late),
              host.Sandbox(mech, options.limits, course.ROOT, secrets, data_dirs), _matplotlib_cache(work))
    statuses = load_statuses(work)
    jobs = [Job(student, lecture, folder, list(notes)) for student, (folder, notes) in students.items()
            for lecture in lectures]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(jobs), desc="grading", unit="notebook", disable=options.quiet) as bar:
        running = {}

        def done(job):
            statuses.setdefault(job.student, {})[job.lecture] = _entry(job)
            bar.set_postfix_str(f"{job.student}: {job.status}", refresh=False)
            bar.update()

        def finish(futures):
            for future in futures:
                job = running.pop(future)
                begun = time.monotonic()
                _steps(job, run, STEPS[SANDBOXED + 1:])
                job.timing["finish"] = time.monotonic() - begun
                done(job)

        for job in jobs:
            begun = time.monotonic()
            _steps(job, run, STEPS[:SANDBOXED])
            if job.status is not None:
                # nothing in autograded/ for a submission that cannot run (a grader error in sanitize included)
                shutil.rmtree(work / "autograded" / job.student / job.lecture, ignore_errors=True)
                done(job)
                continue
            job.timing["prepare"] = time.monotonic() - begun
            while len(running) >= workers:
                finish(wait(running, return_when=FIRST_COMPLETED)[0])
            running[pool.submit(_steps, job, run, [execute])] = job
        while running:
            finish(wait(running, return_when=FIRST_COMPLETED)[0])
    save_statuses(work, statuses)
    summary = {"seconds": time.monotonic() - started, "workers": workers, "submissions": len(jobs),
               "sandbox": mech.describe()}
    (work / "last_run.json").write_text(json.dumps(summary, indent=1))
    return statuses


def _steps(job, run, steps):
    """Run steps until one ends the job; an exception in the grader ends it with 'error' and is logged."""
    for step in steps:
        if job.status is not None:
            return
        try:
            step(job, run)
        except Exception as err:
            _write_log(run.work, job, traceback.format_exc())
            job.end("error", f"grader error: {type(err).__name__}: {str(err)[:200]}")


def decide_status(run, nb, limits, outdated=()):
    """(status, detail) of an executed submission from its outputs, the worker's hints and the cgroup.

    run: the sandbox's host.RunResult; nb: the notebook with the run's outputs merged in;
    outdated: why the notebook looks like an older release (empty for the current one).
    """
    result = run.result or {}
    hints = result.get("hints", {})
    errors = [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    names = {o.get("ename") for _, o in errors}
    stats = run.cgroup or {}
    exit_code = hints.get("kernel_exit")
    memory_errors = [i for i, o in errors if o.get("ename") in MEMORY_ERRORS
                     or "Unable to allocate" in str(o.get("evalue", ""))]
    fork_errors = [i for i, o in errors if o.get("ename") == "BlockingIOError"
                   and "Resource temporarily unavailable" in str(o.get("evalue", ""))]
    if run.result is None:
        reason = no_result_reason(run)
        if run.killed in ("timeout", "output"):
            return run.killed, reason
        if stats.get("oom_kills"):
            return "memory", reason
        return "crashed", reason
    if result.get("error"):
        return "crashed", f"the notebook could not be run: {result['error'][:300]}"
    if stats.get("oom_kills") or memory_errors:
        where = f"cell {memory_errors[0]}" if memory_errors else f"cell {hints.get('kernel_died')}"
        return "memory", f"hit the memory limit ({limits.memory / protocol.GiB:g} GiB) in {where}"
    if stats.get("pids_max_hits") or fork_errors:
        return "processes", "hit the process limit" + (f" in cell {fork_errors[0]}" if fork_errors else "")
    if hints.get("kernel_died") is not None:
        if exit_code == -24:  # SIGXCPU: RLIMIT_CPU
            return "timeout", f"hit the CPU time limit in cell {hints['kernel_died']}"
        how = f"exit status {exit_code}" if exit_code is not None and exit_code >= 0 else f"signal {-exit_code}" \
            if exit_code is not None else "unknown cause"
        return "crashed", f"the kernel died in cell {hints['kernel_died']} ({how}); the cells after it did not run"
    if hints.get("unresponsive") is not None:
        return "timeout", (f"cell {hints['unresponsive']} hit the time limit and could not be interrupted; "
                           "the cells after it did not run")
    if hints.get("notebook_timeout"):
        return "timeout", "the notebook hit its time limit; the cells after it did not run"
    if hints.get("cell_timeouts"):
        cells = ", ".join(str(i) for i in hints["cell_timeouts"])
        return "timeout", f"cell(s) {cells} hit the per-cell time limit and were interrupted"
    if protocol.OUTPUT_LIMIT_ERROR in names or hints.get("output_truncated"):
        return "output", "printed more than the output limit; the rest was dropped"
    if outdated:
        return "outdated", "from an older release: " + "; ".join(outdated)
    return "graded", ""


def no_result_reason(run):
    """Why a sandbox returned no result, in one line."""
    if run.killed == "timeout":
        return "the notebook was killed at its time limit"
    if run.killed == "output":
        return "the notebook produced more output than the grader reads"
    if run.cgroup.get("oom_kills"):
        return "the notebook was killed at the memory limit"
    last = run.stderr.strip().splitlines()[-1:] if run.stderr.strip() else []
    return f"the sandbox ended without a result (exit status {run.returncode}{': ' + last[0][:200] if last else ''})"


# -- helpers of the steps ------------------------------------------------------------------------------
def _restore_answer_cells(nb, release, ids):
    """Add the release's version of missing answer cells after their predecessor; returns their grade_ids.

    nbgrader adds missing test cells back after the cell before them in the source, and
    fails when that cell (the exercise's answer cell) is missing too.
    """
    order = [nbgrader_meta(c).get("grade_id") for c in release.cells]
    missing = []
    for position, cell in enumerate(release.cells):
        meta = nbgrader_meta(cell)
        if not meta.get("solution") or meta.get("grade") or meta["grade_id"] in ids:
            continue
        before = [g for g in order[:position] if g]
        present = [i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") in before]
        nb.cells.insert(present[-1] + 1 if present else len(nb.cells), nbformat.from_dict(cell))
        missing.append(meta["grade_id"])
    return missing


def _extra_files(folder):
    """A release folder's files other than notebooks (data a notebook reads), to copy next to the notebook."""
    files, total = {}, 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix != ".ipynb" and ".ipynb_checkpoints" not in path.parts:
            total += path.stat().st_size
            if total > MAX_EXTRA_FILES:
                break
            files[str(path.relative_to(folder))] = base64.b64encode(path.read_bytes()).decode()
    return files


def _matplotlib_cache(work):
    """matplotlib's font list, built once here, so that no sandbox spends time rebuilding it."""
    folder = work / ".cache" / "matplotlib"
    if not list(folder.glob("fontlist*.json")):
        folder.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, MPLCONFIGDIR=str(folder))
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, capture_output=True,
                       timeout=300)
    return {p.name: base64.b64encode(p.read_bytes()).decode() for p in folder.glob("fontlist*.json")}


def _validate_outputs(nb):
    """Replace outputs that are not valid nbformat (the worker shares a sandbox with student code)."""
    try:
        nbformat.validate(nb)
        return
    except nbformat.ValidationError:
        pass
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        good = []
        for output in cell.outputs:
            probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[output])])
            try:
                nbformat.validate(probe)
                good.append(output)
            except nbformat.ValidationError:
                good.append(nbformat.v4.new_output("error", ename="InvalidOutput",
                                                   evalue="an output of this cell was malformed", traceback=[]))
        cell.outputs = good


def _fail_tests(nb, reason):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            if scoring.is_test_cell(cell):
                cell.outputs = [nbformat.v4.new_output("error", ename=protocol.NOT_RUN_ERROR, evalue=reason,
                                                       traceback=[f"{protocol.NOT_RUN_ERROR}: {reason}"])]


def _write_log(work, job, text):
    folder = work / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{job.student}-{job.lecture}.log").write_text(text)


def _entry(job):
    detail = "; ".join(n for n in dict.fromkeys(job.notes) if n)
    return {"status": job.status, "detail": detail, "flags": integrity.dedupe(job.flags), "timing": job.timing}
