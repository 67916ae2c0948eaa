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
import ast
import base64
import copy
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
PASS_MARK = protocol.PASS_LINE.split("{")[0]   # what a test cell's pass line starts with


@dataclass
class Options:
    """Settings of one grading run (the grade command's options)."""

    limits: protocol.Limits = field(default_factory=protocol.Limits)
    workers: int = 0                 # 0: one per CPU core
    sandbox: str = "auto"            # auto, bwrap (required) or none (fallback only)
    due: dict = field(default_factory=dict)       # {lecture: datetime}
    late: dict = field(default_factory=dict)      # LatePenalty settings (autograder.late.parse)
    quiet: bool = False
    only: dict | None = None         # {student: lectures}: grade these pairs only (the demo's plan); None: all


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
    trusted: set = field(default_factory=set)      # sources of the cells that are not student code
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
    tests: dict = field(default_factory=dict)   # {grade_id: {"source", "points"}}: the gradebook's test cells
    by_id: dict = field(default_factory=dict)   # {grade_id: the release's cell}

    @property
    def setup(self):
        return self.cells.get("setup", ("code", ""))[1]


@dataclass
class Run:
    """What the steps share during one grading run (nothing of one submission)."""

    work: Path
    limits: protocol.Limits
    converter: Converter
    box: host.Sandbox
    fonts: Future                    # of matplotlib's font list {file name: base64}, built while the run starts
    releases: dict = field(default_factory=dict)

    def release(self, lecture):
        if lecture not in self.releases:
            folder = course.RELEASE / lecture
            nb = read_notebook(folder / course.lecture_notebook(lecture))
            self.releases[lecture] = Release(
                nb, {nbgrader_meta(c)["grade_id"]: (c.cell_type, c.source) for c in nb.cells
                     if nbgrader_meta(c).get("grade_id")},
                {c.source for c in nb.cells if c.cell_type == "code" and not nbgrader_meta(c).get("solution")},
                _extra_files(folder), _gradebook_tests(self.work, lecture, nb),
                {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if nbgrader_meta(c).get("grade_id")})
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
        nb = nbformat.reads(_decode(path.read_bytes()), as_version=4)
        _clean_strings(nb)
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


def restore_cells(job, run):
    """The release's cells by grade_id, whatever the notebook did to them: each grade_id kept once (a duplicated
    test cell dropped, a duplicated answer cell made ordinary), its nbgrader flags and cell type restored (flags
    moved between cells, re-typed cells), locked cells' sources restored; malformed nbgrader metadata removed.
    Everything changed is flagged; the cells stay where the notebook put them (a test runs where it stands)."""
    nb, release = job.checked, run.release(job.lecture)
    copies = {}
    for index, cell in enumerate(nb.cells):
        metadata = cell.get("metadata")
        meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        if not isinstance(metadata, dict):
            cell["metadata"] = nbformat.NotebookNode()
            continue
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if not isinstance(grade_id, str) or not grade_id:
            del metadata["nbgrader"]
            job.flags.append(integrity.flag("tampered-tests", f"cell {index}: malformed nbgrader metadata removed", index))
            continue
        if grade_id in release.by_id:
            copies.setdefault(grade_id, []).append(index)
    chosen = {grade_id: _graded_copy(nb, release, grade_id, indices) for grade_id, indices in copies.items()}
    kept = []
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if grade_id not in release.by_id:
            kept.append(cell)
            continue
        original = release.by_id[grade_id]
        want = nbgrader_meta(original)
        if chosen[grade_id] != index:
            if want.get("locked") or want.get("grade"):
                job.flags.append(integrity.flag("tampered-tests", f"{grade_id}: a copy of this cell (cell {index}) "
                                                                  "was removed; the cell is graded once", index))
                continue
            del cell.metadata["nbgrader"]
            job.flags.append(integrity.flag("tampered-tests", f"{grade_id}: a copy of this answer cell (cell {index}) "
                                                              "is graded as an ordinary cell", index))
            kept.append(cell)
            continue
        keys = ("grade", "solution", "locked", "points", "grade_id")
        if any(meta.get(k) != want.get(k) for k in keys if k != "points") or (
                want.get("points") is not None and _number(meta.get("points")) != _number(want.get("points"))):
            job.flags.append(integrity.flag("tampered-tests", f"{grade_id}: nbgrader flags changed; restored", index))
        source = original.source if want.get("locked") and not want.get("solution") else cell.get("source", "")
        if not isinstance(source, str):
            source = original.source
        if cell.get("cell_type") != original.cell_type:
            job.flags.append(integrity.flag("tampered-tests", f"{grade_id}: cell type changed to "
                                                              f"{cell.get('cell_type')}; restored", index))
        elif want.get("locked") and not want.get("solution") and cell.get("source") != original.source:
            job.flags.append(integrity.flag("tampered-tests", f"{grade_id}: locked cell edited"
                                                              f"{' (emptied)' if not str(cell.get('source', '')).strip() else ''}; restored", index))
        new = (nbformat.v4.new_code_cell if original.cell_type == "code" else nbformat.v4.new_markdown_cell)(source)
        new.metadata = copy.deepcopy(dict(cell.metadata))
        new.metadata["nbgrader"] = copy.deepcopy(want)
        if "id" in cell:
            new["id"] = cell["id"]
        kept.append(new)
    nb.cells = kept



def _graded_copy(nb, release, grade_id, indices):
    """Which of a grade_id's copies keeps it: one with the release's source, after its answer cell where the
    release has it there (the test runs where the release runs it), the first such."""
    fits = [i for i in indices if nb.cells[i].get("source") == release.by_id[grade_id].source] or indices
    answers = [i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == f"{grade_id}_code"]
    after = [i for i in fits if answers and i > answers[0]]
    return (after or fits)[0]


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
    gradebook with their points, deleted and stripped ones added back; each change flagged), CheckCellMetadata.
    A notebook nbgrader cannot take (after restore_cells) is ``corrupt`` with nbgrader's reason."""
    try:
        path, changes = run.converter.sanitize(job.lecture, job.student, job.path, run.release(job.lecture).cells)
        job.sanitized = read_notebook(path)
    except Exception as err:
        _write_log(run.work, job, traceback.format_exc())
        first = str(err).splitlines()[0][:200] if str(err) else ""
        return job.end("corrupt", f"nbgrader could not read the notebook's cells: {type(err).__name__}: {first}")
    job.flags += [integrity.flag("tampered-tests", change) for change in changes]


def prepare_request(job, run):
    """What the sandbox worker needs (the notebook with every test cell replaced by a placeholder: no hidden test
    enters the sandbox) and what the judge needs (the gradebook's test cells, the setup cell), kept apart."""
    nb, release = job.sanitized, run.release(job.lecture)
    worker_nb = copy.deepcopy(nb)
    test_cells, tests = {}, {}
    for index, cell in enumerate(nb.cells):
        if not scoring.is_test_cell(cell):
            continue
        grade_id = nbgrader_meta(cell)["grade_id"]
        test_cells[str(index)] = grade_id
        worker_nb.cells[index].source = protocol.PLACEHOLDER.format(grade_id=grade_id)
        if grade_id in release.tests:
            tests[str(index)] = dict(release.tests[grade_id], grade_id=grade_id)
    job.trusted = release.trusted | {nb.cells[int(i)].source for i in test_cells} | {release.setup} | {
        t["source"] for t in release.tests.values()}
    job.request = {
        "notebook": worker_nb, "test_cells": test_cells, "files": release.files, "matplotlib_cache": run.fonts.result(),
        "kernel": {"trusted_cells": sorted(release.trusted)},
        "judge": {"tests": tests, "setup": release.setup},   # taken out by the host before the request is sent
    }


def scan(job, run):
    """The integrity report's static part: the student's own cells read without running them."""
    job.flags += integrity.scan(job.sanitized, job.trusted, set(job.request["test_cells"].values()))


def execute(job, run):
    """The notebook in a fresh sandbox (in a worker thread): time, memory, process and output limits."""
    try:
        job.run = run.box.run(job.request)
    except Exception as err:  # the sandbox itself failed to start: a grader problem, not the student's
        _write_log(run.work, job, traceback.format_exc())
        return job.end("error", f"the sandbox failed: {type(err).__name__}: {err}")
    job.timing["sandbox"] = job.run.seconds
    job.timing["judge"] = job.run.judge_seconds
    job.timing["tests"] = {v.get("grade_id", str(k)): [round(v.get("seconds", 0), 3), v.get("messages")]
                           for k, v in job.run.verdicts.items()}
    if job.run.result:
        job.timing["worker"] = job.run.result.get("timing", {})


def merge_outputs(job, run):
    """Test cells get the judge's outputs and nothing else (no verdict: NotRun, so that nbgrader cannot count a
    test that never ran as passed); the other cells get the worker's outputs (shown, never scored; malformed
    ones replaced). Student output imitating the pass line or quoting a hidden test is flagged."""
    result, nb = job.run.result, job.sanitized
    if result is not None and len(result.get("cells", [])) == len(nb.cells):
        for cell, executed in zip(nb.cells, result["cells"]):
            if cell.cell_type == "code" and isinstance(executed, dict) and not scoring.is_test_cell(cell):
                outputs = executed.get("outputs", [])
                cell.outputs = [nbformat.from_dict(o) for o in outputs if isinstance(o, dict)] \
                    if isinstance(outputs, list) else []
                count = executed.get("execution_count")
                cell.execution_count = count if isinstance(count, int) and not isinstance(count, bool) else None
        metadata = result.get("metadata", {})
        nb.metadata.update({k: v for k, v in metadata.items() if k in ("language_info", "widgets")}
                           if isinstance(metadata, dict) else {})
        _validate_outputs(nb)
        reason = "the notebook did not reach this test"
    else:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        reason = no_result_reason(job.run)
    if job.run.judge_errors:
        reason = "the grader's judge failed"
    hints = (result or {}).get("hints", {}) if isinstance((result or {}).get("hints"), dict) else {}
    if hints.get("kernel_died") is not None:
        reason = f"the kernel died in cell {hints['kernel_died']} before this test"
    for index, cell in enumerate(nb.cells):
        if scoring.is_test_cell(cell):
            cell.execution_count = None
            verdict = job.run.verdicts.get(index)
            if verdict is not None and isinstance(verdict.get("outputs"), list):
                cell.outputs = [nbformat.from_dict(o) for o in verdict["outputs"]]
            else:
                cell.outputs = [nbformat.v4.new_output("error", ename=protocol.NOT_RUN_ERROR,
                                                       evalue=f"this test did not run: {reason}",
                                                       traceback=[f"{protocol.NOT_RUN_ERROR}: this test did not run: {reason}"])]
    job.flags += _imitations(nb, run.release(job.lecture))


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
    """The integrity report's run-time part: the kernel's audit events (reference use reported by rpc.serve)."""
    job.flags = integrity.dedupe(job.flags + integrity.from_run(job.run.result))


def decide(job, run):
    """The status and detail line from the grader's own observations (never from what a notebook prints)."""
    status, detail = decide_status(job.run, job.sanitized, run.limits, job.outdated)
    job.end(status, detail)


STEPS = [
    collect_submission,  # first: every later step reads job.path
    check_readable,      # before anything parses the notebook as nbgrader's
    restore_cells,       # before check_release and sanitize: every grade_id once, with the release's flags
    check_release,       # before sanitize: nbgrader adds a missing test cell after its answer cell, which must be
                         # there, and fails on grade_ids the gradebook does not know
    sanitize,            # before the request: nbgrader adds deleted test cells back
    prepare_request,     # the judge runs the gradebook's test cells, never the submitted ones
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
    background = ThreadPoolExecutor(max_workers=1)
    fonts = background.submit(_matplotlib_cache, work)  # built while the gradebook is set up
    background.shutdown(wait=False)
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
              host.Sandbox(mech, options.limits, course.ROOT, secrets, data_dirs), fonts)
    _start_judges(run, lectures)
    statuses = load_statuses(work)
    # lecture by lecture, in the order given (the demo puts the longest first, so that no long notebook ends alone)
    jobs = [Job(student, lecture, folder, list(notes)) for lecture in lectures
            for student, (folder, notes) in students.items()
            if options.only is None or lecture in options.only.get(student, ())]
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


def _start_judges(run, lectures):
    """Start the judge zygote in the background, preloading the setup cells and what the test cells import
    (torch too where they name it: they take it from torch_twins.torch_or_none())."""
    setups, modules = [], set()
    for lecture in lectures:
        try:
            release = run.release(lecture)
        except Exception:  # a lecture without a release: its jobs fail on their own
            continue
        setups.append(release.setup)
        for test in release.tests.values():
            try:
                tree = ast.parse(test["source"])
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module)
                elif isinstance(node, ast.Name) and node.id == "torch":  # from torch_twins.torch_or_none()
                    modules.add("torch")
    run.box.judges.configure(modules, setups)
    run.box.judges.start()


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
    """(status, detail) of an executed submission from the grader's own observations.

    run: the sandbox's host.RunResult: the sandbox's exit, the grader's timers (run.killed, run.judge_timeouts),
    the cgroup's counters, and the worker's hints (its own timers and the kernel's exit; the worker is a separate,
    undumpable process). Never from error names or texts in outputs, which student code can raise or print.
    nb: the notebook with the run's outputs merged in; outdated: why it looks like an older release.
    """
    result = run.result or {}
    hints = result.get("hints", {}) if isinstance(result.get("hints"), dict) else {}
    stats = run.cgroup or {}
    exit_code = hints.get("kernel_exit")
    if run.judge_errors:
        return "error", "the grader's judge failed: " + "; ".join(run.judge_errors)[:300]
    if run.result is None:
        reason = no_result_reason(run)
        if run.killed in ("timeout", "output"):
            return run.killed, reason
        if stats.get("oom_kills"):
            return "memory", reason
        return "crashed", reason
    if result.get("error"):
        return "crashed", f"the notebook could not be run: {str(result['error'])[:300]}"
    if stats.get("oom_kills"):
        return "memory", (f"hit the memory limit ({limits.memory / protocol.GiB:g} GiB)"
                          + (f" in cell {hints['kernel_died']}" if hints.get("kernel_died") is not None else ""))
    if stats.get("pids_max_hits"):
        return "processes", "hit the process limit"
    if hints.get("kernel_died") is not None:
        if exit_code == -24:  # SIGXCPU: RLIMIT_CPU
            return "timeout", f"hit the CPU time limit in cell {hints['kernel_died']}"
        how = f"exit status {exit_code}" if isinstance(exit_code, int) and exit_code >= 0 else f"signal {-exit_code}" \
            if isinstance(exit_code, int) else "unknown cause"
        return "crashed", f"the kernel died in cell {hints['kernel_died']} ({how}); the cells after it did not run"
    if hints.get("unresponsive") is not None:
        return "timeout", (f"cell {hints['unresponsive']} hit the time limit and could not be interrupted; "
                           "the cells after it did not run")
    if hints.get("notebook_timeout"):
        return "timeout", "the notebook hit its time limit; the cells after it did not run"
    timeouts = sorted(set(hints.get("cell_timeouts", []) if isinstance(hints.get("cell_timeouts"), list) else [])
                      | set(run.judge_timeouts))
    if timeouts:
        cells = ", ".join(str(i) for i in timeouts)
        return "timeout", f"cell(s) {cells} hit the per-cell time limit and were interrupted"
    if hints.get("output_truncated"):
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


def _gradebook_tests(work, lecture, release_nb):
    """{grade_id: {"source", "points"}} of a lecture's autograded test cells as the gradebook holds them (with
    their hidden tests): what the judge runs. The release's cells where the gradebook has none."""
    from nbgrader.api import Gradebook, MissingEntry
    name = Path(course.lecture_notebook(lecture)).stem
    tests = {}
    try:
        with Gradebook(course.db_url(work), course.COURSE_ID) as gb:
            notebook = gb.find_notebook(name, lecture)
            for cell in notebook.grade_cells:
                if cell.cell_type == "code":
                    tests[cell.name] = {"source": gb.find_source_cell(cell.name, name, lecture).source,
                                        "points": float(cell.max_score)}
    except MissingEntry:
        pass
    for cell in release_nb.cells:
        meta = nbgrader_meta(cell)
        if scoring.is_test_cell(cell) and meta["grade_id"] not in tests:
            tests[meta["grade_id"]] = {"source": cell.source, "points": float(meta.get("points") or 0)}
    return tests


def _hidden_lines(release):
    from autograder.hidden_tests import HIDDEN_BLOCK
    visible = "\n".join(c.source for c in release.notebook.cells)
    return {line.strip() for test in release.tests.values() for block in HIDDEN_BLOCK.findall(test["source"])
            for line in block.splitlines()[1:-1] if len(line.strip()) >= 25 and line.strip() not in visible}


def _imitations(nb, release):
    """Flags for student output (non-test cells) that imitates the judge's pass line or quotes a hidden test."""
    hidden = _hidden_lines(release)
    flags = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or scoring.is_test_cell(cell):
            continue
        texts = []
        for output in cell.get("outputs", []):
            texts.append(str(output.get("text", "")))
            data = output.get("data", {})
            if isinstance(data, dict):
                texts += [str(v) for v in data.values()]
            texts.append(str(output.get("evalue", "")))
        text = "\n".join(texts)
        if PASS_MARK in text and ": passed" in text:
            flags.append(integrity.flag("tampered-tests", f"cell {index} printed text imitating the grader's pass line",
                                        index))
        if any(line in text for line in hidden):
            flags.append(integrity.flag("tampered-tests", f"cell {index} printed a line of a hidden test", index))
    return flags


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _decode(data):
    """A notebook file's text: UTF-8 (a byte-order mark allowed), UTF-16 with its mark; undecodable bytes replaced."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


def _clean_strings(node):
    """Replace lone surrogates (which no file can hold) in every string of a notebook, in place."""
    def clean(value):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
                return value
            except UnicodeEncodeError:
                return value.encode("utf-8", "replace").decode("utf-8")
        if isinstance(value, list):
            for i, item in enumerate(value):
                value[i] = clean(item)
        elif isinstance(value, dict):
            for key in list(value):
                value[key] = clean(value[key])
        return value
    clean(node)


def _write_log(work, job, text):
    folder = work / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{job.student}-{job.lecture}.log").write_text(text)


def _entry(job):
    detail = "; ".join(n for n in dict.fromkeys(job.notes) if n)
    return {"status": job.status, "detail": detail, "flags": integrity.dedupe(job.flags), "timing": job.timing}
