"""Do the grader's single-purpose steps do their one job: collecting, scanning, penalties, sandbox set-up, config?"""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import collect, course, examples, integrity
from autograder.exercises import read_notebook
from autograder.late import LatePenalty, parse
from autograder.sandbox import host as sandbox

L00 = "00_backprop"
NB00 = course.lecture_notebook(L00)


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


def test_safe_extract_skips_every_unsafe_entry(tmp_path):
    """Are '../', absolute, link and oversized zip entries skipped and reported, the rest extracted?"""
    archive = _zip(tmp_path / "s.zip", [("ok/a.txt", "fine", 0o100644), ("../up.txt", "x", 0o100644),
                                        ("a/../../up2.txt", "x", 0o100644), ("/abs.txt", "x", 0o100644),
                                        ("C:/win.txt", "x", 0o100644), ("link", "/etc/passwd", 0o120777),
                                        ("__MACOSX/._a", "junk", 0o100644)])
    ok, notes = collect.safe_extract(archive, tmp_path / "out")
    assert ok and (tmp_path / "out" / "ok" / "a.txt").read_text() == "fine"
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["a.txt", "ok"]
    assert len(notes) == 5 and not (tmp_path / "up.txt").exists() and not (tmp_path / "up2.txt").exists()


def test_safe_extract_caps_size(tmp_path, monkeypatch):
    """Does an entry beyond the size limit (a zip bomb) get skipped instead of filling the disk?"""
    monkeypatch.setattr(collect, "MAX_ZIP_BYTES", 1000)
    archive = _zip(tmp_path / "bomb.zip", [("big.txt", "0" * 100_000, 0o100644), ("small.txt", "1", 0o100644)])
    ok, notes = collect.safe_extract(archive, tmp_path / "out")
    assert ok and not (tmp_path / "out" / "big.txt").exists() and (tmp_path / "out" / "small.txt").exists()
    assert "big.txt" in notes[0]


def test_find_notebook_layouts(tmp_path):
    """Are the exact, flat, renamed and misplaced layouts found, and two candidate notebooks refused?"""
    release = read_notebook(course.RELEASE / L00 / NB00)
    student = tmp_path / "alice"
    (student / L00).mkdir(parents=True)
    nbformat.write(release, str(student / L00 / "copy of backprop.ipynb"))
    path, note = collect.find_notebook(student, L00, NB00)
    assert path.name == "copy of backprop.ipynb" and "renamed" in note
    nbformat.write(release, str(student / L00 / "second.ipynb"))
    path, note = collect.find_notebook(student, L00, NB00)
    assert path is None and "2 notebooks" in note
    bob = tmp_path / "bob"
    (bob / "homework").mkdir(parents=True)
    nbformat.write(release, str(bob / "homework" / "whatever.ipynb"))
    path, note = collect.find_notebook(bob, L00, NB00)
    assert path.name == "whatever.ipynb" and "misplaced" in note
    assert collect.find_notebook(bob, "01_activations", course.lecture_notebook("01_activations"))[0] is None


def test_identify_lecture_from_cells():
    """Is a notebook's lecture told by its graded cells?"""
    for lecture in course.lectures():
        ids = collect.read_ids(course.RELEASE / lecture / course.lecture_notebook(lecture))
        assert collect.identify(ids) == lecture
    assert collect.identify(set()) is None


def test_static_scan_flags_attacks():
    """Does the scan flag reference calls, monkeypatching, introspection, ctypes, files, network, exec?"""
    source = '''
def affine_forward(x, w, b):
    return layers.affine_forward(x, w, b)
def rel_error(a, b):
    return getattr(gradcheck, "rel_error")(a, b)
from trainlab.losses import softmax_loss
np.isclose = lambda *a, **k: True
setattr(gradcheck, "rel_error", abs)
frame = sys._getframe(1).f_back
import ctypes, socket, subprocess
open("/work/main/solutions/x.ipynb").read()
exec("print(1)")
'''
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    flags = integrity.scan(nb, set(), {"affine_forward", "rel_error", "softmax_loss"})
    kinds = {f["kind"] for f in flags}
    assert {"reference", "monkeypatch", "introspection", "ctypes", "network", "process", "files", "exec"} <= kinds
    assert sum(f["kind"] == "reference" for f in flags) == 3


@pytest.mark.parametrize("source", [
    "class Preprocessor(data.Preprocessor):\n    pass",
    "preprocessor = data.Preprocessor",
    "Preprocessor = trainlab.data.Preprocessor",
    "class Preprocessor:\n    def __init__(self, *a):\n        self.inner = data.Preprocessor(*a)",
    "from trainlab.data import Preprocessor",
])
def test_static_scan_flags_reference_classes(source):
    """Is an answer that reuses the library's reference class (subclassed, aliased, wrapped, imported) flagged?"""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    flags = integrity.scan(nb, set(), {"preprocessor"})
    assert [f["kind"] for f in flags if f["kind"] == "reference"] == ["reference"], flags
    assert "trainlab.data.Preprocessor" in flags[0]["detail"]


def test_static_scan_knows_every_class_exercise():
    """Are the class exercises (Preprocessor, EarlyStopping, ReduceOnPlateau) found by their grade_ids?"""
    for grade_id, name, module in (("preprocessor", "Preprocessor", "data"),
                                   ("early_stopping", "EarlyStopping", "regularization"),
                                   ("reduce_on_plateau", "ReduceOnPlateau", "schedules")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"class {name}({module}.{name}):\n    pass")])
        assert [f["kind"] for f in integrity.scan(nb, set(), {grade_id})] == ["reference"], name
        assert integrity.scan(nb, set(), {"something_else"}) == []  # other library classes are fair to use


@pytest.mark.parametrize("lecture", course.lectures())
def test_static_scan_does_not_flag_the_solutions(lecture):
    """Does the reference answer of every lecture pass the scan without a flag (no false alarms)?"""
    from autograder.exercises import exercises, nbgrader_meta
    release = read_notebook(course.RELEASE / lecture / course.lecture_notebook(lecture))
    nb = examples.fill_answers(release, examples.answers_for(lecture, "correct"))
    trusted = {c.source for c in release.cells if c.cell_type == "code" and not nbgrader_meta(c).get("solution")}
    names = {ex.name for ex in exercises(read_notebook(course.SOLUTIONS / lecture / course.lecture_notebook(lecture)))}
    assert integrity.scan(nb, trusted, names) == []


def test_late_penalty_rules():
    """Are 'none', 'zero' and '10%/day, max 50%' parsed and applied per started day, capped?"""
    assert parse("none") == {"penalty_method": "none"} and parse("zero") == {"penalty_method": "zero"}
    rule = parse("10%/day, max 50%")
    assert rule == {"penalty_method": "per_day", "per_day": 0.1, "cap": 0.5}
    plugin = LatePenalty(**rule)
    assert plugin.late_submission_penalty("s", 10.0, 3600) == pytest.approx(1.0)
    assert plugin.late_submission_penalty("s", 10.0, 2.5 * 86400) == pytest.approx(3.0)
    assert plugin.late_submission_penalty("s", 10.0, 30 * 86400) == pytest.approx(5.0)
    with pytest.raises(SystemExit):
        parse("a lot")


def test_filesystem_view_hides_secrets():
    """Are the course folder's parent, home, work and submission folders hidden, the library and interpreter shown?"""
    work, subs = course.ROOT / "grading", Path("/srv/class")
    hidden, exposed = sandbox.filesystem_view(course.ROOT, [work, subs], [course.ROOT / "data"])
    covered = [*hidden, Path("/tmp")]  # the sandbox's private /tmp always covers the real one
    hidden_covers = lambda p: any(sandbox._contains(h, p) for h in covered)  # noqa: E731
    assert hidden_covers(course.SOLUTIONS) and hidden_covers(work) and hidden_covers(Path.home())
    assert course.ROOT / "lib" in exposed and Path(sys.prefix).resolve() in exposed or any(
        sandbox._contains(e, Path(sys.prefix).resolve()) for e in exposed)
    for path in exposed:
        assert not any(sandbox._contains(path, s) for s in (course.SOLUTIONS, work, course.ROOT / ".git"))


def test_precompiled_scripts_run_as_the_graders_code(tmp_path):
    """Does the kernel's .pyc of rpc.py run without its source, under the name the audit hook trusts?"""
    import runpy
    import types
    folder = Path(sandbox.precompile("/sandbox/code"))
    assert sorted(p.name for p in folder.iterdir()) == sorted(n + "c" for n in sandbox.protocol.PRECOMPILED)
    protocol_ns = runpy.run_path(str(folder / "protocol.pyc"))
    rpc_ns = runpy.run_path(str(folder / "rpc.pyc"), init_globals={"protocol": types.SimpleNamespace(**protocol_ns)})
    assert rpc_ns["serve_in_kernel"].__code__.co_filename == "/sandbox/code/rpc.py"
    assert protocol_ns["MAX_FRAME"] == sandbox.protocol.MAX_FRAME


def test_gradebooks_of_one_url_share_an_engine(tmp_path):
    """One SQLAlchemy engine per URL (its statement cache), and a closed Gradebook leaves it usable."""
    from nbgrader.api import Gradebook

    from autograder.converter import share_engines
    share_engines()
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as first:
        first.add_student("ada")
    with Gradebook(url) as second:
        assert second.engine is first.engine and [s.id for s in second.students] == ["ada"]


def test_sandbox_says_what_is_enforced():
    """Does the fallback say plainly that filesystem isolation is off?"""
    assert any("FILESYSTEM ISOLATION OFF" in line for line in sandbox.detect("none").describe())


def test_jupyterlab_extension_reads_the_course_config(tmp_path, monkeypatch):
    """Does nbgrader's validate handler, loading ./nbgrader_config.py as JupyterLab does, get the course and a working exchange?"""
    from nbgrader.apps import NbGrader
    from nbgrader.validator import Validator
    monkeypatch.setenv("AUTOGRADER_WORKDIR", str(tmp_path / "work"))
    monkeypatch.chdir(course.ROOT)
    app = NbGrader()
    app.load_config_file()
    config = app.config
    assert config.CourseDirectory.root == str(course.ROOT)
    assert Path(config.Exchange.root).is_dir()
    assert config.CourseDirectory.db_url.startswith("sqlite:///" + str(tmp_path))
    result = Validator(config=config).validate(str(course.RELEASE / L00 / NB00))
    assert result["failed"] and not result.get("changed")


def _cli(*args, env=None):
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"], **(env or {}))
    env.pop("AUTOGRADER_DB_URL", None)
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True, env=env,
                          cwd=course.ROOT)


def test_cli_rejects_bad_limits():
    """Do a bad size and a bad late-penalty rule fail with one clear sentence?"""
    bad = _cli("grade", str(course.ROOT), "--memory", "lots")
    assert bad.returncode != 0 and "not a size" in bad.stderr
    bad = _cli("grade", str(course.ROOT / "notebooks"), "--late-penalty", "a lot", "--lecture", "00")
    assert bad.returncode != 0 and "--late-penalty" in bad.stderr


def test_fallback_without_bubblewrap(tmp_path, monkeypatch):
    """Without bubblewrap: is a correct answer still graded, a memory bomb stopped, and the lack of isolation said?"""
    from autograder.export import rows
    from autograder.statuses import load_statuses
    subs, work = tmp_path / "submissions", tmp_path / "work"
    release = read_notebook(course.RELEASE / L00 / NB00)
    nb = examples.fill_answers(release, examples.answers_for(L00, "correct"))
    (subs / "correct" / L00).mkdir(parents=True)
    nbformat.write(nb, str(subs / "correct" / L00 / NB00))
    nb.cells.append(nbformat.v4.new_code_cell("big = np.ones(3 * 2**30 // 8)"))  # touched pages: the cgroup sees it
    (subs / "bomb" / L00).mkdir(parents=True)
    nbformat.write(nb, str(subs / "bomb" / L00 / NB00))
    run = _cli("grade", str(subs), "--lecture", "00", "--sandbox", "none", "--cell-timeout", "30", "--memory", "2G",
               env={"AUTOGRADER_WORKDIR": str(work)})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FILESYSTEM ISOLATION OFF" in run.stdout
    statuses = load_statuses(work)
    assert statuses["correct"][L00]["status"] == "graded" and statuses["bomb"][L00]["status"] == "memory"
    monkeypatch.delenv("AUTOGRADER_DB_URL", raising=False)
    table = {r["student"]: r for r in rows(work, [L00])}
    assert table["correct"]["total"] == 11 and table["bomb"]["total"] == 11


def _cell(source, grade_id=None, **meta):
    cell = nbformat.v4.new_code_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "task": False, "locked": False,
                                     "solution": False, "grade": False, **meta}
    return cell


def test_partial_credit_per_exercise(tmp_path, monkeypatch):
    """Does a test cell that ends in a number give that many points, per exercise, in grades.csv?"""
    from autograder import release
    from autograder.export import export
    from autograder.grade import Options, grade
    lecture = "90_partial"
    source = nbformat.v4.new_notebook(cells=[
        _cell("import numpy as np", "setup", locked=True),
        _cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "double_code",
              solution=True),
        _cell('"""double: one point per correct value."""\nfloat(sum(double(x) == 2 * x for x in range(4)))',
              "double", grade=True, locked=True, points=4),
        _cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION", "square_code",
              solution=True),
        _cell('"""square: values."""\nassert square(3) == 9\n### BEGIN HIDDEN TESTS\nassert square(-2) == 4\n'
              '### END HIDDEN TESTS', "square", grade=True, locked=True, points=2),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    (tmp_path / "solutions" / lecture).mkdir(parents=True)
    nbformat.write(source, str(tmp_path / "solutions" / lecture / "partial.ipynb"))
    monkeypatch.setattr(course, "SOLUTIONS", tmp_path / "solutions")
    monkeypatch.setattr(course, "RELEASE", tmp_path / "notebooks")
    monkeypatch.setenv("AUTOGRADER_WORKDIR", str(tmp_path / "work"))
    monkeypatch.delenv("AUTOGRADER_DB_URL", raising=False)
    release.generate(lecture, tmp_path / "notebooks", tmp_path / "scratch")
    handed_out = read_notebook(tmp_path / "notebooks" / lecture / "partial.ipynb")
    answers = {"double_code": "def double(x):\n    return 2 * x if x < 2 else 0",
               "square_code": "def square(x):\n    return x * x"}
    (tmp_path / "subs" / "ann" / lecture).mkdir(parents=True)
    nbformat.write(examples.fill_answers(handed_out, answers), str(tmp_path / "subs" / "ann" / lecture / "partial.ipynb"))
    work = course.workdir()
    grade(tmp_path / "subs", [lecture], work, Options(limits=sandbox.Limits(cell_timeout=30), quiet=True))
    with open(export(work, [lecture])) as f:
        import csv
        row = next(csv.DictReader(f))
    assert (row["status"], float(row["double"]), float(row["square"]), float(row["total"])) == ("graded", 2, 2, 4)
