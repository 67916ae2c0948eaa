"""`grade`: autograde a class of untrusted submissions on nbgrader, each in its own sandbox, in parallel.

The steps for one submission, in order (nbgrader's converters and preprocessors; the
gradebook is only ever touched from this process):

1. collect   find the notebook (exact name, renamed, misplaced; zip files extracted safely)
             and copy it to ``<workdir>/submitted/<student>/<lecture>/``; the original is only read;
2. check     a readable notebook (``corrupt``), of this lecture (``wrong_lecture``), of the
             current release (cells unknown to the gradebook or missing: ``outdated``);
3. sanitize  nbgrader's ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells
             (test cells restored from the gradebook with their points, deleted and stripped
             ones added back; each change recorded as a flag) and CheckCellMetadata;
4. execute   in a sandbox (``autograder.sandbox``): per-cell and notebook time limits, memory,
             processes, output, no network, a hidden filesystem; test helpers guarded;
5. save      nbgrader's IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
             AssignLatePenalties, CheckCellMetadata: scores, partial credit and late penalties
             into the gradebook;
6. status    ``graded``, ``outdated``, ``timeout``, ``memory``, ``processes``, ``output``,
             ``crashed``, ``corrupt``, ``missing``, ``wrong_lecture`` or ``error``, a detail
             line and the integrity flags, kept in ``<workdir>/status.json``.

Steps 1-3 and 5-6 run here one submission at a time (milliseconds each); step 4 runs in up
to ``workers`` sandboxes at once. One submission's failure, of any kind, never stops the others.
"""
import base64
import hashlib
import json
import logging
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

from autograder import collect, course, integrity, sandbox
from autograder.exercises import nbgrader_meta, read_notebook
from autograder.release import ensure_in_gradebook

STATUSES = {
    "graded": "ran to the end",
    "outdated": "ran to the end; the notebook is from an older release (cells restored or missing)",
    "timeout": "a cell or the notebook hit its time limit; the tests that ran count",
    "memory": "hit the memory limit; the tests that ran count",
    "processes": "hit the process limit; the tests that ran count",
    "output": "printed more than the output limit (truncated); the tests that ran count",
    "crashed": "the kernel died (e.g. os._exit, a segfault); the tests that ran before count",
    "corrupt": "not a readable notebook (or zip file)",
    "missing": "no notebook for this lecture",
    "wrong_lecture": "the notebook is another lecture's",
    "error": "the grader failed on this submission (see <workdir>/logs/)",
}
SCORED = ("graded", "outdated", "timeout", "memory", "processes", "output", "crashed")
MAX_EXTRA_FILES = 20 * 1024 ** 2
log = logging.getLogger("autograder.grade")


@dataclass
class Options:
    """Settings of one grading run (the grade command's options)."""

    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
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
    sanitized: object = None
    request: dict | None = None
    timing: dict = field(default_factory=dict)

    @property
    def notebook(self):
        return course.lecture_notebook(self.lecture)


# -- nbgrader's converter, split around the sandbox ---------------------------------------------
def _converter_class():
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds,
                                        IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec,
                                        SaveAutoGrades)
    from traitlets import List

    class RecordingOverwriteCells(OverwriteCells):
        """nbgrader's OverwriteCells that records what it restored instead of logging it.

        Every submission's test cells differ from the gradebook's (the gradebook's include
        the hidden tests, jupyter/nbgrader#1961), so a change is recorded only when the
        submitted cell also differs from the release the student received.
        """

        release = {}  # {grade_id: (cell_type, source)} of the lecture's release, set per submission
        changes = []

        def preprocess(self, nb, resources):
            RecordingOverwriteCells.changes = []
            present = {nbgrader_meta(c).get("grade_id") for c in nb.cells}
            nb, resources = super().preprocess(nb, resources)
            for cell in nb.cells:
                meta = nbgrader_meta(cell)
                if meta.get("grade") and meta.get("grade_id") not in present:
                    self.changes.append(f"{meta['grade_id']}: deleted or stripped of its metadata; added back")
            return nb, resources

        def preprocess_cell(self, cell, resources, index):
            meta = nbgrader_meta(cell)
            grade_id = meta.get("grade_id")
            before = (cell.cell_type, cell.source, meta.get("points"))
            cell, resources = super().preprocess_cell(cell, resources, index)
            if grade_id is None or grade_id not in self.release:
                return cell, resources
            release_type, release_source = self.release[grade_id]
            if before[0] != cell.cell_type:
                self.changes.append(f"{grade_id}: cell type changed to {before[0]}; restored")
            if meta.get("grade") and before[2] is not None and float(before[2]) != float(meta.get("points", 0)):
                self.changes.append(f"{grade_id}: points changed to {before[2]}; restored to {meta.get('points')}")
            if meta.get("locked") and before[1] != cell.source and before[1] != release_source:
                self.changes.append(f"{grade_id}: locked cell edited{' (emptied)' if not before[1].strip() else ''}; "
                                    "restored")
            return cell, resources

        def report_change(self, name, attr, old, new):
            """Recorded in preprocess_cell; nbgrader's warning would fire for every untouched notebook."""

    class SandboxedAutograde(Autograde):
        """nbgrader's Autograde with the Execute step taken out (it runs in the sandbox)."""

        sanitize_preprocessors = List([ClearOutput, DeduplicateIds, OverwriteKernelspec, RecordingOverwriteCells,
                                       CheckCellMetadata]).tag(config=True)
        # nbgrader's autograde step without Execute (done in the sandbox) and without its second
        # CheckCellMetadata: only outputs were added to the notebook sanitize already checked
        autograde_preprocessors = List([IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                        AssignLatePenalties]).tag(config=True)

        def setup(self):
            """What start() prepares before converting: the writer and the exporter."""
            from nbconvert.writers import FilesWriter
            self.writer = FilesWriter(parent=self, config=self.config)
            self.exporter = self.exporter_class(parent=self, config=self.config)

        def sanitize(self, lecture, student, path):
            """Steps 3: gradebook entries, then the sanitized notebook in autograded/; returns its path."""
            from nbgrader.converters.base import BaseConverter
            self.notebooks = [str(path)]
            self.init_destination(lecture, student)
            self.init_assignment(lecture, student)
            self._sanitizing = True
            self._init_preprocessors()
            BaseConverter.convert_single_notebook(self, str(path))
            return Path(self._format_dest(lecture, student)) / path.name

        def save(self, lecture, student, path):
            """Step 5: scores and late penalty of an executed notebook into the gradebook."""
            from nbgrader.converters.base import BaseConverter
            self.notebooks = [str(path)]
            self._sanitizing = False
            self._init_preprocessors()
            try:
                BaseConverter.convert_single_notebook(self, str(path))
            finally:
                self._sanitizing = True
            self.set_permissions(lecture, student)

    return SandboxedAutograde, RecordingOverwriteCells


class NbgraderSteps:
    """nbgrader's sanitize and save steps for every submission of a run, logging to a buffer."""

    def __init__(self, work, options):
        from nbgrader.coursedir import CourseDirectory
        converter_class, self.recorder = _converter_class()
        config = course.nbgrader_config(work, cell_timeout=options.limits.cell_timeout, late=options.late)
        self.coursedir = CourseDirectory(config=config)
        self.converter = converter_class(coursedir=self.coursedir, config=config)
        self.converter.force = True
        self.converter.setup()
        self.messages = []
        logger = logging.getLogger("autograder.nbgrader")
        logger.propagate = False
        logger.handlers = [_ListHandler(self.messages)]
        logger.setLevel(logging.WARNING)
        self.converter.log = logger
        self.limits = options.limits

    def sanitize(self, job, path):
        self.recorder.release = _release_cells(job.lecture)
        self.messages.clear()
        self.coursedir.assignment_id, self.coursedir.student_id = job.lecture, job.student
        out = self.converter.sanitize(job.lecture, job.student, path)
        return out, list(self.recorder.changes), list(self.messages)

    def save(self, job, path):
        self.messages.clear()
        self.coursedir.assignment_id, self.coursedir.student_id = job.lecture, job.student
        self.converter.save(job.lecture, job.student, path)
        return list(self.messages)


class _ListHandler(logging.Handler):
    def __init__(self, sink):
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record):
        self.sink.append(record.getMessage())


_release_cache = {}


def _release_cells(lecture):
    """{grade_id: (cell_type, source)} of the lecture's release notebook."""
    if lecture not in _release_cache:
        nb = read_notebook(course.RELEASE / lecture / course.lecture_notebook(lecture))
        _release_cache[lecture] = {nbgrader_meta(c)["grade_id"]: (c.cell_type, c.source)
                                   for c in nb.cells if nbgrader_meta(c).get("grade_id")}
        _release_cache[lecture, "code"] = [c.source for c in nb.cells if c.cell_type == "code"
                                           and not nbgrader_meta(c).get("solution")]
    return _release_cache[lecture]


# -- steps 1 and 2 ----------------------------------------------------------------------------------
def check_readable(path):
    """(notebook, None) when path holds a valid notebook (repaired if need be), else (None, reason)."""
    try:
        if path.stat().st_size > collect.MAX_NOTEBOOK_BYTES:
            return None, f"not a valid notebook: larger than {collect.MAX_NOTEBOOK_BYTES // 1024 ** 2} MB"
        nb = nbformat.read(str(path), as_version=4)
        try:
            nbformat.validate(nb)
        except nbformat.ValidationError:
            changes, repaired = nbformat.validator.normalize(nb)
            nb = nbformat.from_dict(repaired)
            nbformat.validate(nb)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no cells")
    except Exception as err:  # any parse or schema failure means the file cannot be graded
        return None, f"not a valid notebook: {type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}"
    return nb, None


def check_lecture(nb, lecture, known_ids):
    """(status or None, notes): wrong lecture; older release (unknown ids removed, missing answers)."""
    ids = {nbgrader_meta(c).get("grade_id") for c in nb.cells} - {None}
    owner = collect.identify(ids)
    if owner is not None and owner != lecture and len(ids & known_ids) < len(ids & collect.lecture_ids(owner)):
        return "wrong_lecture", [f"this notebook holds lecture {owner}'s exercises, not {lecture}'s"]
    notes = []
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id is not None and grade_id not in known_ids:
            notes.append(f"cell {grade_id!r} is not in the current release (treated as an ordinary cell)")
            del cell.metadata["nbgrader"]
    missing = _restore_answer_cells(nb, lecture, ids)
    if missing and ids:
        notes.append(f"answer cell(s) {', '.join(missing)} missing (added back from the release, unanswered)")
    return ("outdated" if notes else None), notes


def _restore_answer_cells(nb, lecture, ids):
    """Add the release's version of missing answer cells after their predecessor; returns their grade_ids.

    nbgrader adds missing test cells back after the cell before them in the source, and
    fails when that cell (the exercise's answer cell) is missing too.
    """
    release = read_notebook(course.RELEASE / lecture / course.lecture_notebook(lecture))
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


# -- the run ------------------------------------------------------------------------------------------
def grade(submissions, lectures, work, options=None, cell_timeout=None):
    """Grade every student under submissions (folder or zip) for each lecture; returns the status table."""
    options = options or Options()
    if cell_timeout is not None:
        options.limits.cell_timeout = cell_timeout
    work = Path(work).resolve()
    submissions = Path(submissions).resolve()
    students = collect.student_folders(submissions, work)
    if not students:
        raise SystemExit(f"no student folders in {submissions}: expected {submissions}/<student>/<lecture>/<notebook>.ipynb")
    workers = options.workers or os.cpu_count() or 1
    options.limits.workers = workers
    mech = sandbox.detect(options.sandbox)
    say = (lambda *a: None) if options.quiet else print
    for line in mech.describe():
        say(line)
    record_lectures(work, lectures)
    _set_due_dates(work, lectures, options.due)
    steps = NbgraderSteps(work, options)
    fonts = _matplotlib_cache(work)
    secrets = [work, submissions, _db_folder(work), course.SOLUTIONS]
    data_dirs = [course.ROOT / "data", os.environ.get("TRAINLAB_DATA")]
    box = sandbox.Sandbox(mech, options.limits, course.ROOT, secrets, data_dirs)
    statuses = load_statuses(work)
    jobs = [Job(student, lecture, folder, list(notes)) for student, (folder, notes) in students.items()
            for lecture in lectures]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool, \
            tqdm(total=len(jobs), desc="grading", unit="notebook", disable=options.quiet) as bar:
        running = {}

        def finish(done):
            for future in done:
                job = running.pop(future)
                _finish(job, steps, work, future)
                statuses.setdefault(job.student, {})[job.lecture] = _entry(job)
                bar.set_postfix_str(f"{job.student}: {job.status}", refresh=False)
                bar.update()

        for job in jobs:
            _safely(job, work, lambda j=job: _prepare(j, steps, work, fonts))
            if job.request is None:
                _safely(job, work, lambda j=job: _save_without_run(j, steps, work))
                statuses.setdefault(job.student, {})[job.lecture] = _entry(job)
                bar.update()
                continue
            while len(running) >= workers:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                finish(done)
            running[pool.submit(box.run, job.request)] = job
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            finish(done)
    save_statuses(work, statuses)
    run = {"seconds": time.monotonic() - started, "workers": workers, "submissions": len(jobs),
           "sandbox": mech.describe()}
    (work / "last_run.json").write_text(json.dumps(run, indent=1))
    return statuses


def _prepare(job, steps, work, fonts):
    """Steps 1-3 and the sandbox request; leaves job.request None when the submission cannot run."""
    begun = time.monotonic()
    if job.folder is None:
        job.status = "corrupt"
        return
    for note in job.notes:
        if note.startswith("skipped"):
            job.flags.append(integrity.flag("zip", note))
    source, note = collect.find_notebook(job.folder, job.lecture, job.notebook)
    job.notes.append(note)
    dest = work / "submitted" / job.student / job.lecture
    shutil.rmtree(dest, ignore_errors=True)
    if source is None:
        job.status = "missing"
        return
    dest.mkdir(parents=True)
    shutil.copyfile(source, dest / job.notebook)
    for stamp in (source.parent / "timestamp.txt", job.folder / "timestamp.txt"):
        if stamp.is_file():
            shutil.copyfile(stamp, dest / "timestamp.txt")
            break
    nb, reason = check_readable(dest / job.notebook)
    if nb is None:
        job.status, job.notes = "corrupt", job.notes + [reason]
        return
    status, notes = check_lecture(nb, job.lecture, set(_release_cells(job.lecture)))
    if status == "wrong_lecture":
        job.status, job.notes = status, job.notes + notes
        return
    job.outdated = notes
    nbformat.write(nb, str(dest / job.notebook))  # repaired and with unknown nbgrader cells made ordinary
    sanitized_path, changes, _ = steps.sanitize(job, dest / job.notebook)
    job.flags += [integrity.flag("tampered-tests", change) for change in changes]
    job.sanitized = read_notebook(sanitized_path)
    job.request = _request(job, fonts)
    trusted = set(job.request["guard"]["trusted_cells"])
    job.flags += integrity.scan(job.sanitized, trusted, set(job.request["test_cells"].values()))
    job.timing["prepare"] = time.monotonic() - begun


def _request(job, fonts):
    """What the sandbox worker needs: the sanitized notebook, the test cells, the guard's settings."""
    nb = job.sanitized
    tests = {str(i): nbgrader_meta(c)["grade_id"] for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}
    release = _release_cells(job.lecture)
    setup = release.get("setup", ("code", ""))[1]
    trusted = set(_release_cache[job.lecture, "code"]) | {nb.cells[int(i)].source for i in tests} | {setup}
    return {
        "notebook": nb, "test_cells": tests, "files": _extra_files(job.lecture), "matplotlib_cache": fonts,
        "guard": {"setup_source": setup, "trusted_cells": sorted(trusted),
                  "test_sources": [nb.cells[int(i)].source for i in tests]},
    }


def _matplotlib_cache(work):
    """matplotlib's font list, built once here, so that no sandbox spends time rebuilding it."""
    folder = work / ".cache" / "matplotlib"
    if not list(folder.glob("fontlist*.json")):
        folder.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, MPLCONFIGDIR=str(folder))
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, capture_output=True,
                       timeout=300)
    return {p.name: base64.b64encode(p.read_bytes()).decode() for p in folder.glob("fontlist*.json")}


def _extra_files(lecture):
    """The release folder's other files (data a notebook reads), to copy next to the notebook."""
    folder = course.RELEASE / lecture
    files, total = {}, 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix != ".ipynb" and ".ipynb_checkpoints" not in path.parts:
            total += path.stat().st_size
            if total > MAX_EXTRA_FILES:
                break
            files[str(path.relative_to(folder))] = base64.b64encode(path.read_bytes()).decode()
    return files


def _finish(job, steps, work, future):
    """Steps 5 and 6 for a submission that went through the sandbox."""
    begun = time.monotonic()
    try:
        run = future.result()
    except Exception as err:  # the sandbox itself failed to start: a grader problem, not the student's
        job.status = "error"
        job.notes.append(f"the sandbox failed: {type(err).__name__}: {err}")
        _write_log(work, job, traceback.format_exc())
        return
    job.timing["sandbox"] = run.seconds
    if run.result:
        job.timing["worker"] = run.result.get("timing", {})
    _safely(job, work, lambda: _save_run(job, steps, work, run))
    job.timing["finish"] = time.monotonic() - begun


def _save_run(job, steps, work, run):
    result = run.result
    nb = job.sanitized
    if result is not None and len(result.get("cells", [])) == len(nb.cells):
        for cell, executed in zip(nb.cells, result["cells"]):
            if cell.cell_type == "code" and isinstance(executed, dict):
                cell.outputs = [nbformat.from_dict(o) for o in executed.get("outputs", []) if isinstance(o, dict)]
                cell.execution_count = executed.get("execution_count")
        nb.metadata.update(result.get("metadata", {}))
        _validate_outputs(nb)
    else:
        _fail_tests(nb, "this test did not run: " + _no_result_reason(run))
    path = work / "autograded" / job.student / job.lecture / job.notebook
    nbformat.write(nb, str(path))
    steps.save(job, path)
    job.flags += integrity.from_run(result)
    job.flags = integrity.dedupe(job.flags)
    job.status, detail = decide_status(job, run, nb, steps.limits)
    job.notes.append(detail)


def _save_without_run(job, steps, work):
    """A submission that cannot run (missing, corrupt, wrong lecture): nothing in autograded/."""
    shutil.rmtree(work / "autograded" / job.student / job.lecture, ignore_errors=True)
    if job.status is None:
        job.status = "error"


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
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code":
            cell.outputs = []
            if meta.get("grade") and not meta.get("solution"):
                cell.outputs = [nbformat.v4.new_output("error", ename="NotRun", evalue=reason,
                                                       traceback=[f"NotRun: {reason}"])]


def _no_result_reason(run):
    if run.killed == "timeout":
        return "the notebook was killed at its time limit"
    if run.killed == "output":
        return "the notebook produced more output than the grader reads"
    if run.cgroup.get("oom_kills"):
        return "the notebook was killed at the memory limit"
    last = run.stderr.strip().splitlines()[-1:] if run.stderr.strip() else []
    return f"the sandbox ended without a result (exit status {run.returncode}{': ' + last[0][:200] if last else ''})"


def decide_status(job, run, nb, limits):
    """(status, detail) of an executed submission from its outputs, the worker's hints and the cgroup."""
    result = run.result or {}
    hints = result.get("hints", {})
    errors = [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    names = {o.get("ename") for _, o in errors}
    stats = run.cgroup or {}
    exit_code = hints.get("kernel_exit")
    memory_errors = [i for i, o in errors if o.get("ename") in ("MemoryError", "_ArrayMemoryError")
                     or "Unable to allocate" in str(o.get("evalue", ""))]
    fork_errors = [i for i, o in errors if o.get("ename") == "BlockingIOError"
                   and "Resource temporarily unavailable" in str(o.get("evalue", ""))]
    if run.result is None:
        reason = _no_result_reason(run)
        if run.killed in ("timeout", "output"):
            return run.killed, reason
        if stats.get("oom_kills"):
            return "memory", reason
        return "crashed", reason
    if result.get("error"):
        return "crashed", f"the notebook could not be run: {result['error'][:300]}"
    if stats.get("oom_kills") or memory_errors:
        where = f"cell {memory_errors[0]}" if memory_errors else f"cell {hints.get('kernel_died')}"
        return "memory", f"hit the memory limit ({limits.memory / 1024 ** 3:g} GiB) in {where}"
    if stats.get("pids_max_hits") or fork_errors:
        return "processes", "hit the process limit" + (f" in cell {fork_errors[0]}" if fork_errors else "")
    if hints.get("kernel_died") is not None:
        if exit_code == -24:
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
    if "OutputLimitExceeded" in names or hints.get("output_truncated"):
        return "output", "printed more than the output limit; the rest was dropped"
    if job.outdated:
        return "outdated", "from an older release: " + "; ".join(job.outdated)
    return "graded", ""


def _safely(job, work, step):
    """Run one step; an exception in the grader marks this submission 'error' and is logged."""
    try:
        step()
    except Exception as err:
        job.status = "error"
        job.request = None
        job.notes.append(f"grader error: {type(err).__name__}: {str(err)[:200]}")
        _write_log(work, job, traceback.format_exc())


def _write_log(work, job, text):
    folder = work / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{job.student}-{job.lecture}.log").write_text(text)


def _entry(job):
    detail = "; ".join(n for n in dict.fromkeys(job.notes) if n)
    return {"status": job.status, "detail": detail, "flags": integrity.dedupe(job.flags),
            "timing": job.timing}


def record_lectures(work, lectures):
    """Record each lecture's current solutions in the gradebook, unless it already holds exactly them.

    nbgrader's generate_assignment takes seconds per lecture; a stamp per gradebook URL and
    lecture (a hash of the lecture's source folder) skips it while nothing changed.
    """
    from nbgrader.api import Gradebook, MissingEntry
    stamps_path = work / "gradebook_stamps.json"
    stamps = json.loads(stamps_path.read_text()) if stamps_path.is_file() else {}
    url = course.db_url(work)
    for lecture in lectures:
        digest = hashlib.sha256()
        for path in sorted((course.SOLUTIONS / lecture).rglob("*")):
            if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                digest.update(str(path.relative_to(course.SOLUTIONS)).encode() + path.read_bytes())
        key = f"{url} {lecture}"
        if stamps.get(key) == digest.hexdigest():
            try:
                with Gradebook(url, course.COURSE_ID) as gb:
                    if gb.find_assignment(lecture).notebooks:
                        continue
            except MissingEntry:
                pass
        ensure_in_gradebook(lecture, work)
        stamps[key] = digest.hexdigest()
    stamps_path.write_text(json.dumps(stamps, indent=1))


def _set_due_dates(work, lectures, due):
    if not due:
        return
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url(work), course.COURSE_ID) as gb:
        for lecture in lectures:
            when = due.get(lecture, due.get("*"))
            if when is not None:
                gb.update_or_create_assignment(lecture, duedate=when)


def _db_folder(work):
    url = course.db_url(work)
    return str(Path(url.removeprefix("sqlite:///")).parent) if url.startswith("sqlite:///") else None


def load_statuses(work):
    """The status table {student: {lecture: {status, detail, flags, timing}}} saved by earlier runs."""
    path = Path(work) / "status.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def save_statuses(work, statuses):
    """Write the status table next to the gradebook."""
    (Path(work) / "status.json").write_text(json.dumps(statuses, indent=1, sort_keys=True))
