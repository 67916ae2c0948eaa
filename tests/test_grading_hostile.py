"""Does a class of hostile and broken submissions get the right status and score, and nothing else?

One class of lecture-00 submissions is graded once (module fixture) with small limits
(10 s per cell, 2 GiB, 64 processes, 1 MB of output), beside a correct submission that
must still get full marks. Each hostile student answers correctly (or with the typical
mistakes) and adds one attack; the tests check the status, the score, the integrity flags
and that the attack left no trace outside the sandbox.
"""
import json
import socket
import threading
import zipfile
from datetime import datetime

import nbformat
import pytest

from autograder import course, examples
from autograder.exercises import nbgrader_meta, read_notebook
from autograder.export import export, rows
from autograder.grade import Options, grade
from autograder.late import parse
from autograder.report import report
from autograder.sandbox import host as sandbox
from autograder.statuses import load_statuses

pytestmark = pytest.mark.slow  # grades a class end to end (minutes)

L00 = "00_backprop"
NB00 = course.lecture_notebook(L00)
FULL = 11.0  # the autograded points of lecture 00
MECH = sandbox.detect()
ISOLATED = pytest.mark.skipif(not MECH.isolated, reason="bubblewrap is not usable here (apt-get install bubblewrap): "
                                                        "no filesystem or network isolation to test")
LIMITS = sandbox.Limits(cell_timeout=10, notebook_timeout=150, memory=2 * 1024 ** 3, processes=64, output=1_000_000)


def _points():
    from autograder.exercises import exercises
    return {ex.name: ex.points for ex in exercises(read_notebook(course.SOLUTIONS / L00 / NB00))}


def _notebook(student="correct", answers=None):
    release = read_notebook(course.RELEASE / L00 / NB00)
    answers = dict(examples.answers_for(L00, student), **(answers or {}))
    return examples.fill_answers(release, answers)


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)


def _with_cell(source, where="end", student="correct", answers=None):
    """A submission with one extra code cell: 'end', 'start' (after the setup cell) or 'after:<grade_id>'."""
    nb = _notebook(student, answers)
    cell = nbformat.v4.new_code_cell(source)
    if where == "end":
        nb.cells.append(cell)
    elif where == "start":
        nb.cells.insert(_index(nb, "setup") + 1, cell)
    else:
        nb.cells.insert(_index(nb, where.split(":", 1)[1]) + 1, cell)
    return nb


class _Listener:
    """A TCP server on the grading machine that counts connections (none may come from a sandbox)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        self.sock.close()


def _class(subs, work, db, port):
    """Write the hostile class; returns {student: expected autograded total (None: not asserted here)}."""
    wrong_bias = '''
def affine_forward(x, w, b):
    gradcheck.rel_error = lambda a, b: 0.0
    np.isclose = lambda *args, **kwargs: True
    return x.reshape(x.shape[0], -1) @ w, (x, w, b)
'''
    steal = f'''
import json
stolen = {{}}
for path in [{str(course.SOLUTIONS / L00 / NB00)!r}, {db!r}, {str(work / "status.json")!r},
             {str(course.ROOT / ".git" / "config")!r}, {str(subs / "correct" / L00 / NB00)!r}, "/root/.bashrc"]:
    try:
        stolen[path] = open(path).read()[:80]
    except Exception as err:
        stolen[path] = type(err).__name__
print("STOLEN", json.dumps(stolen))
try:
    for cell in json.load(open({str(course.SOLUTIONS / L00 / NB00)!r}))["cells"]:
        if cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution") and cell["cell_type"] == "code":
            exec("".join(cell["source"]))
except Exception as err:
    print("no solutions:", type(err).__name__)
'''
    vandal = f'''
import os
for action in [lambda: open({str(course.RELEASE / L00 / "pwned.txt")!r}, "w").write("pwned"),
               lambda: os.remove({str(course.ROOT / "README.md")!r}),
               lambda: open({str(work / "status.json")!r}, "w").write("{{}}"),
               lambda: open({str(subs / "correct" / L00 / NB00)!r}, "w").write("overwritten"),
               lambda: open("/tmp/mine.txt", "w").write("fine")]:
    try:
        action()
    except Exception as err:
        print(type(err).__name__)
'''
    network = f'''
import socket
for address in [("127.0.0.1", {port}), ("8.8.8.8", 53)]:
    try:
        socket.create_connection(address, timeout=3).close()
        print("CONNECTED", address)
    except OSError as err:
        print("no network:", type(err).__name__)
'''
    fork = '''
import os, time
children = []
while True:
    pid = os.fork()
    if pid == 0:
        time.sleep(1000)
        os._exit(0)
    children.append(pid)
'''
    hooks = '''
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
ip.input_transformers_cleanup.append(lambda lines: ["pass\\n"] if any("assert" in l for l in lines) else lines)
'''
    patch = '''
import builtins
gradcheck.rel_error = lambda a, b: 0.0
np.isclose = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
builtins.all = lambda *args: True
'''
    stubborn = '''
import time
while True:
    try:
        time.sleep(0.1)
    except KeyboardInterrupt:
        pass
'''
    reference = {"affine_forward_code": "def affine_forward(x, w, b):\n    from trainlab import layers\n"
                                        "    return layers.affine_forward(x, w, b)\n",
                 "rel_error_code": "def rel_error(a, b):\n    return getattr(gradcheck, 'rel' + '_error')(a, b)\n"}
    students = {
        "correct": (_notebook(), FULL),
        "steal_solutions": (_with_cell(steal, "start", "untouched"), 0.0),
        "vandal": (_with_cell(vandal), FULL),
        "network": (_with_cell(network), FULL),
        "fork_bomb": (_with_cell(fork), FULL),
        "memory_bomb": (_with_cell("big = np.ones(50 * 10**9 // 8)\n"), FULL),
        "output_flood": (_with_cell("for i in range(10**7):\n    print('x' * 1000)\n"), FULL),
        "sleeper": (_with_cell("import time\ntime.sleep(10**6)\n"), FULL),
        "loop_in_function": (_notebook(answers={"rel_error_code": "def rel_error(a, b):\n    while True:\n        pass\n"}),
                             FULL - 1),
        "stubborn_loop": (_with_cell(stubborn, "start"), 0.0),
        "exits": (_with_cell("import os\nos._exit(1)\n", "after:rel_error"), 3.0),
        "monkeypatch": (_with_cell(patch, "start", "mistakes"), 0.0),
        "patch_in_function": (_notebook(answers={"affine_forward_code": wrong_bias}), FULL - 2),
        "ipython_hooks": (_with_cell(hooks, "start", "mistakes"), 0.0),
        "reference": (_notebook(answers=reference), FULL),
    }
    retyped = _notebook()
    for cell in retyped.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            cell.cell_type = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    students["retyped_tests"] = (retyped, FULL)
    outdated = _notebook()
    outdated.cells = [c for c in outdated.cells if nbgrader_meta(c).get("grade_id") not in ("softmax_loss", "softmax_loss_code")]
    old = nbformat.v4.new_code_cell("assert True")
    old.metadata["nbgrader"] = {"grade": True, "grade_id": "old_exercise", "locked": True, "points": 5,
                                "schema_version": 3, "solution": False, "task": False}
    outdated.cells.insert(_index(outdated, "rel_error") + 1, old)
    students["outdated"] = (outdated, FULL - 3)
    for student, (nb, _) in students.items():
        folder = subs / student / L00
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / NB00))
    other = read_notebook(course.RELEASE / "01_activations" / course.lecture_notebook("01_activations"))
    (subs / "wrong_lecture" / L00).mkdir(parents=True)
    nbformat.write(other, str(subs / "wrong_lecture" / L00 / NB00))
    with zipfile.ZipFile(subs / "zipped.zip", "w") as zf:
        zf.writestr(f"{L00}/{NB00}", nbformat.writes(_notebook()))
        zf.writestr("../../escaped.txt", "outside")
        zf.writestr("/absolute.txt", "outside")
        link = zipfile.ZipInfo("link")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
    (subs / "broken_zip.zip").write_bytes(b"PK\x03\x04 this is not a zip file")
    (subs / "late" / L00).mkdir(parents=True)
    nbformat.write(_notebook(), str(subs / "late" / L00 / NB00))
    (subs / "late" / L00 / "timestamp.txt").write_text("2026-01-03 12:00:00.000000 UTC")  # 2.5 days late
    expected = {s: total for s, (_, total) in students.items()}
    expected.update({"wrong_lecture": 0.0, "zipped": FULL, "broken_zip": 0.0, "late": FULL * 0.7})
    return expected


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Grade the hostile class once; returns (work, submissions, statuses, rows by student, expected totals)."""
    tmp = tmp_path_factory.mktemp("hostile")
    work, subs = tmp / "work", tmp / "submissions"
    work.mkdir()
    listener = _Listener()
    patch = pytest.MonkeyPatch()
    patch.setenv("AUTOGRADER_WORKDIR", str(work))
    patch.delenv("AUTOGRADER_DB_URL", raising=False)
    db = str(work / "gradebook.db")
    expected = _class(subs, work, db, listener.port)
    readme = (course.ROOT / "README.md").read_text()
    victim = (subs / "correct" / L00 / NB00).read_text()
    options = Options(limits=LIMITS, workers=2, quiet=True, due={"*": datetime(2026, 1, 1)},
                      late=parse("10%/day, max 50%"))
    statuses = grade(subs, [L00], work, options)
    by_student = {r["student"]: r for r in rows(work, [L00])}
    yield {"work": work, "subs": subs, "statuses": statuses, "rows": by_student, "expected": expected,
           "listener": listener, "readme": readme, "victim": victim}
    listener.close()
    patch.undo()


def _status(hostile, student):
    return hostile["statuses"][student][L00]


def _flags(hostile, student, kind):
    return [f["detail"] for f in _status(hostile, student)["flags"] if f["kind"] == kind]


EXPECTED_STATUS = {
    "correct": "graded", "steal_solutions": "graded", "vandal": "graded", "network": "graded",
    "fork_bomb": "processes", "memory_bomb": "memory", "output_flood": "output", "sleeper": "timeout",
    "loop_in_function": "timeout", "stubborn_loop": "timeout", "exits": "crashed", "monkeypatch": "graded",
    "patch_in_function": "graded", "ipython_hooks": "graded", "reference": "graded", "retyped_tests": "graded",
    "outdated": "outdated", "wrong_lecture": "wrong_lecture", "zipped": "graded", "broken_zip": "corrupt",
    "late": "graded",
}


@pytest.mark.parametrize("student", sorted(EXPECTED_STATUS))
def test_status_and_score(hostile, student):
    """Does every hostile or broken submission get its expected status and autograded total?"""
    row = hostile["rows"][student]
    assert row["status"] == EXPECTED_STATUS[student], _status(hostile, student)
    assert row["total"] == pytest.approx(hostile["expected"][student]), (row, _status(hostile, student))


def test_correct_submission_beside_them_gets_full_marks(hostile):
    """Does the correct submission graded in the same run as the attacks get every point, unflagged?"""
    row = hostile["rows"]["correct"]
    assert row["status"] == "graded" and row["total"] == FULL
    for name, points in _points().items():
        assert row[name] == points
    assert _status(hostile, "correct")["flags"] == []


def test_every_submission_is_in_grades_csv(hostile):
    """Does grades.csv hold a row with a status for every student, the broken ones included?"""
    import csv
    with open(export(hostile["work"], [L00])) as f:
        table = {r["student"]: r for r in csv.DictReader(f)}
    assert set(table) == set(EXPECTED_STATUS)
    assert all(r["status"] for r in table.values())
    assert {"detail", "flags", "late_penalty"} <= set(next(iter(table.values())))


@ISOLATED
def test_solutions_gradebook_and_others_are_unreadable(hostile):
    """Could a submission read the solutions, the gradebook, the statuses, .git or another student's notebook?"""
    nb = read_notebook(hostile["work"] / "autograded" / "steal_solutions" / L00 / NB00)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    stolen = json.loads(text.split("STOLEN ", 1)[1].splitlines()[0])
    assert set(stolen.values()) <= {"FileNotFoundError", "PermissionError"}, stolen
    assert "no solutions: FileNotFoundError" in text
    assert _flags(hostile, "steal_solutions", "files")


@ISOLATED
def test_nothing_outside_the_sandbox_was_written(hostile):
    """Did the vandal leave the course, the work folder and the other submissions exactly as they were?"""
    assert (course.ROOT / "README.md").read_text() == hostile["readme"]
    assert not (course.RELEASE / L00 / "pwned.txt").exists()
    assert (hostile["subs"] / "correct" / L00 / NB00).read_text() == hostile["victim"]
    assert json.loads((hostile["work"] / "status.json").read_text())["vandal"][L00]["status"] == "graded"
    assert any("write" in f or "remove" in f or "open" in f for f in _flags(hostile, "vandal", "files"))


@ISOLATED
def test_no_network(hostile):
    """Could a submission connect to a server on the grading machine or to the internet?"""
    assert hostile["listener"].connections == 0
    nb = read_notebook(hostile["work"] / "autograded" / "network" / L00 / NB00)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "CONNECTED" not in text and "no network" in text
    assert _flags(hostile, "network", "network")


def test_output_is_capped(hostile):
    """Is a flood of output cut: the autograded notebook stays small?"""
    path = hostile["work"] / "autograded" / "output_flood" / L00 / NB00
    assert path.stat().st_size < 5 * LIMITS.output


def test_stubborn_loop_does_not_cost_a_timeout_per_cell(hostile):
    """Does an uninterruptible loop end the run after one cell timeout instead of one per remaining cell?"""
    assert _status(hostile, "stubborn_loop")["timing"]["sandbox"] < 4 * LIMITS.cell_timeout + 30


def test_monkeypatching_is_undone_and_flagged(hostile):
    """Do patched numpy/library helpers, IPython hooks and builtins neither save wrong answers nor go unnoticed?"""
    assert _flags(hostile, "monkeypatch", "monkeypatch")
    assert _flags(hostile, "ipython_hooks", "monkeypatch")
    changed = _flags(hostile, "patch_in_function", "monkeypatch")
    assert any("while test affine_forward ran" in f for f in changed), changed
    assert hostile["rows"]["patch_in_function"]["affine_forward"] == 0


def test_reference_implementation_calls_are_flagged(hostile):
    """Are answers that call the library's own implementation of the exercise flagged (statically and at run time)?"""
    flags = _flags(hostile, "reference", "reference")
    assert any("affine_forward" in f for f in flags), flags
    assert any("rel_error" in f for f in flags), flags
    assert _status(hostile, "correct")["flags"] == []


def test_tampered_tests_are_flagged(hostile):
    """Are re-typed test cells restored, graded and flagged; an older release's cells noted?"""
    assert _flags(hostile, "retyped_tests", "tampered-tests")
    detail = _status(hostile, "outdated")["detail"]
    assert "old_exercise" in detail and "softmax_loss_code" in detail


def test_zip_entries_outside_the_folder_are_skipped(hostile):
    """Is a zip's '../' entry, absolute path and link skipped and flagged, the rest graded?"""
    work = hostile["work"]
    assert not (work.parent / "escaped.txt").exists() and not (work / "escaped.txt").exists()
    assert not (work / "extracted" / "zipped" / "link").exists()
    assert len(_flags(hostile, "zipped", "zip")) == 3
    assert "zip" in _status(hostile, "broken_zip")["detail"]


def test_wrong_lecture_says_which(hostile):
    """Does a notebook of another lecture get a status naming the lecture it holds?"""
    assert "01_activations" in _status(hostile, "wrong_lecture")["detail"]


def test_originals_are_only_read(hostile):
    """Are the submitted files untouched after grading (copies are graded)?"""
    assert (hostile["subs"] / "correct" / L00 / NB00).read_text() == hostile["victim"]


def test_statuses_are_saved(hostile):
    """Is every status in status.json with a detail line for what went wrong?"""
    saved = load_statuses(hostile["work"])
    for student, status in EXPECTED_STATUS.items():
        entry = saved[student][L00]
        assert entry["status"] == status
        if status not in ("graded",):
            assert entry["detail"], student


def test_late_penalty_is_applied(hostile):
    """Does a submission 2.5 days late lose 30% ('10%/day, max 50%') and the others nothing?"""
    assert hostile["rows"]["late"]["late_penalty"] == pytest.approx(0.3 * FULL)
    assert hostile["rows"]["correct"]["late_penalty"] == 0


def test_report_plots_and_tables(hostile, tmp_path):
    """Does the report write both plots, the summary with every status, and the integrity table?"""
    folder, text = report(hostile["work"], [L00], tmp_path / "report")
    for name in ("score_distribution.png", "exercise_difficulty.png", "summary.md", "summary.csv", "integrity.csv"):
        assert (folder / name).stat().st_size > 0, name
    for status in set(EXPECTED_STATUS.values()):
        assert status in text
    import csv
    with open(folder / "integrity.csv") as f:
        flagged = {r["student"] for r in csv.DictReader(f)}
    assert {"monkeypatch", "reference", "steal_solutions", "zipped"} <= flagged and "correct" not in flagged
