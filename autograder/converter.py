"""nbgrader's Autograde converter split around the sandbox: sanitize before it, save after it.

The gradebook is only ever touched from the grading process, through this converter.
"""
import functools
import logging
from pathlib import Path

from nbgrader.coursedir import CourseDirectory

from autograder import course
from autograder.exercises import nbgrader_meta


def _classes():
    """(SandboxedAutograde, RecordingOverwriteCells), built on first use: nbgrader is a slow import."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbconvert.writers import FilesWriter
    from nbgrader.converters import Autograde
    from nbgrader.converters.base import BaseConverter
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds,
                                        IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec,
                                        SaveAutoGrades)
    from traitlets import List

    class RecordingOverwriteCells(OverwriteCells):
        """nbgrader's OverwriteCells that records what it restored instead of logging it.

        Every submission's test cells differ from the gradebook's (the gradebook's include
        the hidden tests, jupyter/nbgrader#1961), so a change is recorded only when the
        submitted cell also differs from the release the student received. One instance
        per submission: ``release`` is that lecture's {grade_id: (cell_type, source)}.
        """

        def __init__(self, release, **kwargs):
            super().__init__(**kwargs)
            self.release = release
            self.changes = []

        def preprocess(self, nb, resources):
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
            if before[0] != cell.cell_type:
                self.changes.append(f"{grade_id}: cell type changed to {before[0]}; restored")
            if meta.get("grade") and before[2] is not None and float(before[2]) != float(meta.get("points", 0)):
                self.changes.append(f"{grade_id}: points changed to {before[2]}; restored to {meta.get('points')}")
            if meta.get("locked") and before[1] != cell.source and before[1] != self.release[grade_id][1]:
                self.changes.append(f"{grade_id}: locked cell edited{' (emptied)' if not before[1].strip() else ''}; "
                                    "restored")
            return cell, resources

        def report_change(self, name, attr, old, new):
            """Recorded in preprocess_cell; nbgrader's warning would fire for every untouched notebook."""

    class SandboxedAutograde(Autograde):
        """nbgrader's Autograde with the Execute step taken out (it runs in the sandbox)."""

        # nbgrader's sanitize step, with a RecordingOverwriteCells made for each submission
        sanitize_preprocessors = List([ClearOutput, DeduplicateIds, OverwriteKernelspec, RecordingOverwriteCells,
                                       CheckCellMetadata]).tag(config=True)
        # nbgrader's autograde step without Execute (done in the sandbox) and without its second
        # CheckCellMetadata: only outputs were added to the notebook sanitize already checked
        autograde_preprocessors = List([IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                                        AssignLatePenalties]).tag(config=True)

        def setup(self):
            """What start() prepares before converting: the writer and the exporter."""
            self.writer = FilesWriter(parent=self, config=self.config)
            self.exporter = self.exporter_class(parent=self, config=self.config)

        def sanitize(self, lecture, student, path, release):
            """Gradebook entries, then the sanitized notebook in autograded/: (its path, restored-cell changes)."""
            self.notebooks = [str(path)]
            self.init_destination(lecture, student)
            self.init_assignment(lecture, student)
            self._sanitizing = True
            recorder = RecordingOverwriteCells(release, parent=self.exporter)
            self.exporter._preprocessors = []
            for pp in self.sanitize_preprocessors:
                self.exporter.register_preprocessor(recorder if pp is RecordingOverwriteCells else pp)
            BaseConverter.convert_single_notebook(self, str(path))
            return Path(self._format_dest(lecture, student)) / path.name, recorder.changes

        def save(self, lecture, student, path):
            """Scores and late penalty of an executed notebook into the gradebook."""
            self.notebooks = [str(path)]
            self._sanitizing = False
            self._init_preprocessors()
            try:
                BaseConverter.convert_single_notebook(self, str(path))
            finally:
                self._sanitizing = True
            self.set_permissions(lecture, student)

    return SandboxedAutograde, RecordingOverwriteCells


def share_engines():
    """One SQLAlchemy engine per gradebook URL for every nbgrader Gradebook in this process.

    nbgrader opens a new engine for each Gradebook (its preprocessors open ~9 per submission),
    and each new engine starts with an empty statement cache, so every query is compiled
    again; a shared engine keeps the cache. Gradebook.close() disposes only the pool.
    """
    import nbgrader.api
    if not hasattr(nbgrader.api.create_engine, "cache_info"):
        nbgrader.api.create_engine = functools.lru_cache(maxsize=None)(nbgrader.api.create_engine)


class Converter:
    """nbgrader's sanitize and save steps for every submission of one grading run."""

    def __init__(self, work, cell_timeout, late):
        converter_class, _ = _classes()
        share_engines()
        config = course.nbgrader_config(work, cell_timeout=cell_timeout, late=late)
        self.coursedir = CourseDirectory(config=config)
        self.converter = converter_class(coursedir=self.coursedir, config=config)
        self.converter.force = True
        self.converter.setup()
        # nbgrader warns about every submission (changed checksums, jupyter/nbgrader#1961) and
        # about restored cells, which RecordingOverwriteCells records as flags: keep it quiet
        logger = logging.getLogger("autograder.nbgrader")
        logger.propagate = False
        logger.handlers = [logging.NullHandler()]
        self.converter.log = logger

    def sanitize(self, lecture, student, path, release):
        """(path of the sanitized notebook, [what was restored]) for one submitted notebook."""
        self.coursedir.assignment_id, self.coursedir.student_id = lecture, student
        return self.converter.sanitize(lecture, student, path, release)

    def save(self, lecture, student, path):
        self.coursedir.assignment_id, self.coursedir.student_id = lecture, student
        self.converter.save(lecture, student, path)
