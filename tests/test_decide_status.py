"""Does each way a submission can end get its status, from canned sandbox results (no kernel, no sandbox)?"""
from pathlib import Path

import nbformat
import pytest

from autograder import grade
from autograder.grade import Job, decide_status
from autograder.sandbox import kernel, protocol
from autograder.sandbox.host import RunResult

LIMITS = protocol.Limits(memory=2 * protocol.GiB)


def _nb(*errors):
    """A notebook of three code cells; errors: (cell index, ename, evalue) outputs."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {i}") for i in range(3)])
    for index, ename, evalue in errors:
        nb.cells[index].outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[]))
    return nb


def _run(result=True, killed=None, cgroup=None, returncode=0, stderr="", **hints):
    """A RunResult as the sandbox returns it: result=True gives a worker result with these hints."""
    if result is True:
        result = {"cells": [], "hints": dict(protocol.new_hints(), **hints), "error": None}
    return RunResult(result, returncode, 1.0, killed, stderr, cgroup or {})


CASES = {
    "graded": (_run(), _nb(), (), "graded", ""),
    "graded despite failing tests": (_run(), _nb((2, "AssertionError", "wrong")), (), "graded", ""),
    "outdated": (_run(), _nb(), ("cell 'x' is not in the current release",), "outdated", "older release"),
    "cell timeout": (_run(cell_timeouts=[1, 2]), _nb(), (), "timeout", "cell(s) 1, 2"),
    "notebook timeout": (_run(notebook_timeout=True), _nb(), (), "timeout", "notebook hit its time limit"),
    "unresponsive": (_run(unresponsive=1), _nb(), (), "timeout", "could not be interrupted"),
    "CPU time limit": (_run(kernel_died=2, kernel_exit=-24), _nb(), (), "timeout", "CPU time limit in cell 2"),
    "killed at the wall-clock limit": (_run(None, killed="timeout"), _nb(), (), "timeout", "killed at its time limit"),
    "oom kill": (_run(kernel_died=1, kernel_exit=-9, cgroup={"oom_kills": 1}), _nb(), (), "memory", "cell 1"),
    "oom kill without a result": (_run(None, cgroup={"oom_kills": 1}, returncode=-9), _nb(), (), "memory",
                                  "killed at the memory limit"),
    # errors a cell raised are no status: student code can raise any name with any text (the verdict's rule 5)
    "MemoryError by name": (_run(), _nb((1, "MemoryError", "")), (), "graded", ""),
    "numpy's MemoryError by name": (_run(), _nb((2, "_ArrayMemoryError", "Unable to allocate 8 GiB")), (), "graded", ""),
    "cannot allocate by name": (_run(), _nb((0, "RuntimeError", "Unable to allocate 1 TiB")), (), "graded", ""),
    "TimeoutError by name": (_run(), _nb((1, "CellTimeoutError", "")), (), "graded", ""),
    "DeadKernelError by name": (_run(), _nb((1, "DeadKernelError", "")), (), "graded", ""),
    "pids.max": (_run(cgroup={"pids_max_hits": 3}), _nb(), (), "processes", "process limit"),
    "fork fails by name": (_run(), _nb((1, "BlockingIOError", "[Errno 11] Resource temporarily unavailable")), (),
                           "graded", ""),
    "output limit by name": (_run(), _nb((1, protocol.OUTPUT_LIMIT_ERROR, "")), (), "graded", ""),
    "judge timeout": (RunResult({"cells": [], "hints": protocol.new_hints(), "error": None}, 0, 1.0,
                                judge_timeouts=[4]), _nb(), (), "timeout", "cell(s) 4"),
    "judge failed": (RunResult({"cells": [], "hints": protocol.new_hints(), "error": None}, 0, 1.0,
                               judge_errors=["cell 2: the judge could not start"]), _nb(), (), "error", "judge"),
    "output truncated": (_run(output_truncated=True), _nb(), (), "output", "output limit"),
    "output flood killed": (_run(None, killed="output"), _nb(), (), "output", "more output than the grader reads"),
    "os._exit": (_run(kernel_died=1, kernel_exit=3), _nb(), (), "crashed", "cell 1 (exit status 3)"),
    "segfault": (_run(kernel_died=2, kernel_exit=-11), _nb(), (), "crashed", "(signal 11)"),
    "died, exit unknown": (_run(kernel_died=0), _nb(), (), "crashed", "(unknown cause)"),
    "kernel would not start": (_run({"cells": [], "hints": {}, "error": "RuntimeError: no kernel"}), _nb(), (),
                               "crashed", "could not be run: RuntimeError: no kernel"),
    "worker died": (_run(None, returncode=1, stderr="Traceback\nValueError: bad json"), _nb(), (), "crashed",
                    "without a result (exit status 1: ValueError: bad json)"),
}


@pytest.mark.parametrize("case", CASES)
def test_status_from_canned_result(case):
    """Does a canned sandbox result get the status (and a detail naming the cause) it should?"""
    run, nb, outdated, status, detail = CASES[case]
    got, text = decide_status(run, nb, LIMITS, outdated)
    assert got == status and detail in text, (got, text)


def test_limits_outrank_later_symptoms():
    """Does the limit that was hit decide, not what followed from it (a killed kernel, an interrupted cell)?"""
    run = _run(kernel_died=1, kernel_exit=-9, cell_timeouts=[0], cgroup={"oom_kills": 1, "pids_max_hits": 1})
    assert decide_status(run, _nb(), LIMITS)[0] == "memory"
    run = _run(kernel_died=1, kernel_exit=-9, cell_timeouts=[0], cgroup={"pids_max_hits": 1})
    assert decide_status(run, _nb(), LIMITS)[0] == "processes"
    assert decide_status(_run(cell_timeouts=[0], output_truncated=True), _nb(), LIMITS, ("old",))[0] == "timeout"


def test_the_kernel_names_its_output_error_as_the_protocol_says():
    """Is the exception the kernel raises for too much output the ename decide_status looks for?"""
    assert kernel.OutputLimitExceeded.__name__ == protocol.OUTPUT_LIMIT_ERROR


# -- the statuses the steps give before a sandbox runs, and grader errors -------------------------------
class _Run:
    """The steps' shared context, with only what these steps read."""

    def __init__(self, work, box=None):
        self.work, self.box, self.limits = work, box, LIMITS


def test_unreadable_notebook_is_corrupt(tmp_path):
    """Does a truncated notebook end as 'corrupt' with the parser's reason, before anything else runs?"""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nb.ipynb").write_text('{"cells": [')
    job = Job("ann", "00_backprop", tmp_path / "sub", path=tmp_path / "sub" / "nb.ipynb")
    grade._steps(job, _Run(tmp_path), [grade.check_readable, grade.check_release])
    assert job.status == "corrupt" and "not a valid notebook" in job.notes[-1] and job.checked is None


def test_unreadable_zip_is_corrupt_and_no_notebook_is_missing(tmp_path):
    """Does a student whose zip could not be read end as 'corrupt', one without the notebook as 'missing'?"""
    job = Job("ann", "00_backprop", None)
    grade._steps(job, _Run(tmp_path), grade.STEPS)
    assert job.status == "corrupt"
    (tmp_path / "bob").mkdir()
    job = Job("bob", "00_backprop", tmp_path / "bob")
    grade._steps(job, _Run(tmp_path), grade.STEPS[:grade.SANDBOXED])
    assert job.status == "missing"


def test_sandbox_that_fails_to_start_is_a_grader_error(tmp_path):
    """Does a sandbox that raises end the job as 'error', logged, instead of stopping the run?"""
    class Broken:
        def run(self, request):
            raise OSError("bwrap vanished")

    job = Job("ann", "00_backprop", tmp_path, request={})
    grade._steps(job, _Run(tmp_path, Broken()), grade.STEPS[grade.SANDBOXED:])
    assert job.status == "error" and "the sandbox failed: OSError: bwrap vanished" in job.notes
    assert "bwrap vanished" in (tmp_path / "logs" / "ann-00_backprop.log").read_text()


def test_exception_in_a_step_ends_the_job_with_error(tmp_path):
    """Does a grader bug in one step give 'error', a log, and skip the steps after it?"""
    ran = []

    def broken(job, run):
        raise KeyError("oops")

    job = Job("ann", "00_backprop", Path(tmp_path))
    grade._steps(job, _Run(tmp_path), [broken, lambda job, run: ran.append(1)])
    assert job.status == "error" and job.notes == ["grader error: KeyError: 'oops'"] and not ran
    assert (tmp_path / "logs" / "ann-00_backprop.log").is_file()


def test_steps_are_declared_once_in_order():
    """Is every step in the one list once, with the sandbox in the middle and the verdict last?"""
    assert len(set(grade.STEPS)) == len(grade.STEPS)
    assert grade.STEPS[0] is grade.collect_submission and grade.STEPS[-1] is grade.decide
    assert grade.STEPS[grade.SANDBOXED] is grade.execute
    order = [step.__name__ for step in grade.STEPS]
    assert order.index("check_release") < order.index("sanitize") < order.index("prepare_request") < order.index("scan")
    assert order.index("merge_outputs") < order.index("save_scores")
