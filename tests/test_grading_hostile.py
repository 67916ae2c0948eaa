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
# 30 s per cell: on the course's VMs memory the guest has not touched lately is first written at ~85 MB/s, so the
# memory bomb needs ~20 s to reach its 2 GiB (with 10 s it timed out first, and a loaded machine's training cell too)
LIMITS = sandbox.Limits(cell_timeout=30, notebook_timeout=200, memory=2 * 1024 ** 3, processes=64, output=1_000_000)


def _points():
    from autograder.exercises import exercises
    return {ex.name: ex.points for ex in exercises(read_notebook(course.SOLUTIONS / L00 / NB00))}


def _notebook(student="correct", answers=None):
    release = read_notebook(course.RELEASE / L00 / NB00)
    answers = dict(examples.answers_for(L00, student), **(answers or {}))
    return examples.fill_answers(release, answers)


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)


def _wrong(*exercises):
    """Correct answers except the typical mistake for each exercise named."""
    mistakes = examples.answers_for(L00, "mistakes")
    return {f"{e}_code": mistakes[f"{e}_code"] for e in exercises}


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
        "memory_bomb": (_with_cell("big = np.ones(5 * 2**30 // 16)\n"), FULL),  # touches its pages: the cgroup sees it
        "memory_by_name": (_with_cell("big = np.ones(50 * 10**9 // 8)\n"), FULL),  # refused at once: a cell error
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
    students.update(_verdict_attacks(subs, work))
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
        if student in RAW_JSON:  # lone surrogates: only an ASCII-escaped JSON file can hold them
            (folder / NB00).write_text(json.dumps(nb, ensure_ascii=True))
        else:
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


RAW_JSON = {"lone_surrogate"}


def _verdict_attacks(subs, work):
    """Attacks on the verdict (not the sandbox), beside the correct one: {student: (notebook, expected total)}."""
    P = {"eval_numerical_gradient": 2, "rel_error": 1, "affine_forward": 2, "affine_backward": 3, "softmax_loss": 3}
    post_run = """
ip = get_ipython()
def _clear(result):
    result.error_in_exec = None
    result.error_before_exec = None
ip.events.register("post_run_cell", _clear)
ip.events.register("post_execute", lambda: None)
"""
    thread_patch = """
import threading, time
from trainlab import gradcheck as _g
_orig = (np.isclose, np.allclose, _g.rel_error)
def _flip():
    while True:
        np.isclose, np.allclose, _g.rel_error = (lambda *a, **k: True), (lambda *a, **k: True), (lambda a, b: 0.0)
        time.sleep(0.0005)
        np.isclose, np.allclose, _g.rel_error = _orig
        time.sleep(0.0005)
threading.Thread(target=_flip, daemon=True).start()
"""
    settrace = """
import sys
def _skip(frame, event, arg):
    frame.f_trace_lines = True
    if event == "line":
        import linecache
        if "assert" in linecache.getline(frame.f_code.co_filename, frame.f_lineno):
            try:
                frame.f_lineno = frame.f_lineno + 1
            except Exception:
                pass
    return _skip
sys.settrace(_skip)
import threading
threading.settrace(_skip)
"""
    import trainlab.layers as _layers
    wrong_forward = "def affine_forward(x, w, b):\n    return x.reshape(x.shape[0], -1) @ w, (x, w, b)\n"
    disguised = f"exec(compile({wrong_forward!r}, {_layers.__file__!r}, 'exec'))\n"
    fake_array = """
class Always(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, bool)
    def __lt__(self, other): return np.ones(self.shape, bool)
    def __array_ufunc__(self, *args, **kwargs): return np.zeros(())
def affine_forward(x, w, b):
    out = np.zeros((x.shape[0], w.shape[1])).view(Always)
    return out, (x, w, b)
"""
    fake_object = """
class Zero:
    def __array__(self, dtype=None, copy=None): return np.zeros(())
    def __float__(self): return 0.0
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __eq__(self, other): return True
    def __format__(self, spec): return "0"
def rel_error(a, b):
    return Zero()
"""
    read_private = """
import os
found = []
for top in ["/tmp", "/etc"]:
    for folder, dirs, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            try:
                if os.path.getsize(path) < 2_000_000:
                    text = open(path, errors="replace").read()
                    if "BEGIN HIDDEN" in text or "check_against" in text:
                        found.append(path)
            except Exception:
                pass
found += [k for k, v in os.environ.items() if "HIDDEN" in v or "check_against" in v]
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:  # every process's command line and environment
    for part in ("cmdline", "environ"):
        try:
            text = open(f"/proc/{pid}/{part}", errors="replace").read()
            print("PROC", pid, part, text.replace(chr(0), " ")[:5000])
        except Exception:
            pass
print("HIDDEN FOUND" if found else "nothing hidden", found[:5])
print("CMDLINE", open("/proc/1/cmdline").read().replace(chr(0), " "))
print("MOUNTS", open("/proc/self/mountinfo").read().replace(chr(10), " | "))
"""
    introspect = """
import gc, inspect, linecache, sys
CALLS = []
LEAKS = []   # every string that could hold a test: the test compares them with the hidden lines
def rel_error(a, b):
    CALLS.append(1)
    if len(CALLS) <= 3:   # three calls are enough (and keep it fast)
        for frame in inspect.stack():
            LEAKS.extend(frame.code_context or [])
            LEAKS.extend(str(v)[:2000] for v in frame.frame.f_locals.values())
        for value in list(linecache.cache.values()):
            LEAKS.extend(value[2] if len(value) > 2 else [])
        LEAKS.extend(o for o in gc.get_objects() if isinstance(o, str) and "assert" in o)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
"""
    imitate = """
from IPython.display import display
print("\\u2713 softmax_loss: passed")
display({"text/plain": "\\u2713 softmax_loss: passed"}, raw=True)
display({"text/plain": "3.0"}, raw=True)
3
"""
    names = "\n".join(f"try:\n    raise {e}('chosen')\nexcept {e}:\n    pass" for e in ("TimeoutError", "MemoryError"))
    raise_names = [f"raise {e}('chosen by the student')" for e in ("TimeoutError", "MemoryError", "KeyboardInterrupt",
                                                                     "SystemExit")]
    raise_names += ["class OutputLimitExceeded(Exception): pass\nraise OutputLimitExceeded('x')",
                    "class DeadKernelError(Exception): pass\nraise DeadKernelError('x')",
                    "class CellTimeoutError(Exception): pass\nraise CellTimeoutError('x')"]
    raise_in_call = """
def rel_error(a, b):
    raise MemoryError("Unable to allocate 8 GiB: chosen by the student")
"""
    exit_in_call = """
def affine_backward(dout, cache):
    import os
    os._exit(3)
"""
    weird_object = """
class Weird:
    def __reduce__(self): raise RuntimeError("no pickling")
    def __getattr__(self, name): return self
    def __del__(self): print("deleted")
    def __repr__(self): return "0.0"
def rel_error(a, b):
    return Weird()
"""
    huge = """
def affine_forward(x, w, b):
    return np.broadcast_to(0.0, (10 ** 8,)), (x, w, b)
"""
    stubborn_call = """
def rel_error(a, b):
    import time
    while True:
        try:
            time.sleep(0.1)
        except KeyboardInterrupt:
            pass
"""
    forge = """
import json, os, sys
def _forge():
    frame = sys._getframe(1)
    while frame is not None:
        if "write_fd" in frame.f_locals:
            fd = frame.f_locals["write_fd"]
            for message in [{"op": "done", "passed": True}] + [{"op": "ret", "id": i, "v": 0.0, "sync": []} for i in range(1, 400)]:
                data = json.dumps(message).encode()
                os.write(fd, len(data).to_bytes(8, "big") + data)
            return
        frame = frame.f_back
def rel_error(a, b):
    _forge()
    return 1.0
"""
    shadow = """
class _G:
    rel_error = staticmethod(lambda a, b: 0.0)
    eval_numerical_gradient = staticmethod(lambda f, x, h=1e-5: np.zeros_like(x))
gradcheck = _G()
import builtins
builtins.all = lambda *args: True
builtins.AssertionError = type("AssertionError", (BaseException,), {})
"""
    callable_result = """
def affine_forward(x, w, b):
    return (lambda: 0), (x, w, b)
"""
    noisy = """
import sys
_plain_softmax_loss = softmax_loss
def softmax_loss(x, y):
    print("\\u2713 softmax_loss: passed\\n" * 3)  # small: the experiments call it hundreds of times too
    print("noise " * 10, file=sys.stderr)
    return _plain_softmax_loss(x, y)
"""
    callback_abuse = """
_kept = []
_plain_eval = eval_numerical_gradient
def eval_numerical_gradient(f, x, h=1e-5):
    _kept.append(f)
    for name in ("__globals__", "__closure__", "__code__"):
        getattr(f, name, None)
    try:
        f(object())
    except Exception:
        pass
    return _plain_eval(f, x, h)
"""
    reference_getattr = "def rel_error(a, b):\n    return vars(gradcheck)['rel' + '_error'](a, b)\n"
    reference_exec = ("import inspect\nfrom trainlab import layers as _lib\n"
                      "exec(inspect.getsource(_lib.affine_forward).replace('def affine_forward', 'def _mine'))\n"
                      "affine_forward = _mine\n")

    def moved_flags():
        nb = _notebook()
        test = nb.cells[_index(nb, "affine_forward")]
        test.metadata["nbgrader"].update(solution=True, grade=False, locked=False, points=50)
        answer = nb.cells[_index(nb, "rel_error_code")]
        answer.metadata["nbgrader"].update(grade=True, points=99)
        return nb

    def duplicated():
        nb = _notebook(answers=_wrong("softmax_loss"))
        copy_of = nbformat.from_dict(json.loads(json.dumps(nb.cells[_index(nb, "affine_forward")])))
        nb.cells.append(copy_of)
        nb.cells.insert(_index(nb, "rel_error_code") + 1, nbformat.from_dict(json.loads(json.dumps(copy_of))))
        return nb

    def test_before_answer():
        nb = _notebook()
        test = nb.cells.pop(_index(nb, "rel_error"))
        nb.cells.insert(_index(nb, "rel_error_code"), test)
        return nb

    def surrogate():
        nb = _notebook()
        nb.cells.insert(1, nbformat.v4.new_markdown_cell("broken \ud800 text"))
        nb.cells.append(nbformat.v4.new_code_cell("s = '\ud83d'\nprint(len(s))"))
        return nb

    def unparseable():
        nb = _notebook()
        nb.cells.append(nbformat.v4.new_code_cell("x = " + "-" * 100000 + "1"))
        nb.cells.append(nbformat.v4.new_code_cell("x = (" * 100000))
        nb.cells.append(nbformat.v4.new_code_cell("def f(:\n  \x00"))
        return nb

    def odd_metadata():
        nb = _notebook()
        nb.cells.append(nbformat.v4.new_code_cell("y = 1"))
        nb.cells[-1].metadata["nbgrader"] = "not a dict"
        nb.cells.append(nbformat.v4.new_code_cell("z = 2"))
        nb.cells[-1].metadata["nbgrader"] = {"grade_id": 7, "grade": True, "points": "many"}
        cell = nb.cells[_index(nb, "softmax_loss")]
        cell.metadata["nbgrader"].update(points="lots", locked=False)
        return nb

    def prefilled():
        nb = _notebook(answers=_wrong("softmax_loss"))
        test = nb.cells[_index(nb, "softmax_loss")]
        test.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\u2713 softmax_loss: passed\n"),
                        nbformat.v4.new_output("execute_result", data={"text/plain": "3.0"}, execution_count=1)]
        test.execution_count = 1
        return nb

    deep_return = "def rel_error(a, b):\n    out = 0.0\n    for _ in range(5000):\n        out = [out]\n    return out\n"

    def with_cells(sources, answers=None, where="start"):
        nb = _notebook(answers=answers)
        for source in sources:
            cell = nbformat.v4.new_code_cell(source)
            if where == "start":
                nb.cells.insert(_index(nb, "setup") + 1, cell)
            else:
                nb.cells.append(cell)
        return nb

    return {
        "post_run_cell": (with_cells([post_run], _wrong("affine_forward")), FULL - P["affine_forward"]),
        "thread_patch": (with_cells([thread_patch], _wrong("affine_forward", "rel_error")),
                         FULL - P["affine_forward"] - P["rel_error"]),
        "settrace": (with_cells([settrace], _wrong("softmax_loss")), 0.0),  # the tracer breaks its own kernel: timeout
        "library_filename": (_with_cell(disguised, "after:affine_forward_code"), FULL - P["affine_forward"]),
        "fake_array": (_notebook(answers={"affine_forward_code": fake_array}), FULL - P["affine_forward"]),
        "fake_object": (_notebook(answers={"rel_error_code": fake_object}), FULL - P["rel_error"]),
        "read_private": (with_cells([read_private], where="end"), FULL),
        "introspect": (with_cells(["print('searched', len(LEAKS), 'strings:', '\\n'.join(sorted(set(LEAKS)))[:300000])"],
                                  {"rel_error_code": introspect}, where="end"), FULL),
        "imitate_pass": (_with_cell(imitate, "after:softmax_loss_code", answers=_wrong("softmax_loss")),
                         FULL - P["softmax_loss"]),
        "raise_names": (with_cells([names] + raise_names, where="end"), FULL),
        "raise_in_call": (_notebook(answers={"rel_error_code": raise_in_call}), FULL - P["rel_error"]),
        "exit_in_call": (_notebook(answers={"affine_backward_code": exit_in_call}),
                         P["eval_numerical_gradient"] + P["rel_error"] + P["affine_forward"]),
        "weird_object": (_notebook(answers={"rel_error_code": weird_object}), FULL - P["rel_error"]),
        "huge_return": (_notebook(answers={"affine_forward_code": huge}), FULL - P["affine_forward"]),
        "stubborn_call": (_notebook(answers={"rel_error_code": stubborn_call}), P["eval_numerical_gradient"]),
        "forged_frames": (_notebook(answers={"rel_error_code": forge}), FULL - P["rel_error"]),
        "shadow_setup": (_with_cell(shadow, "after:affine_forward_code",
                                    answers=_wrong("affine_forward", "eval_numerical_gradient")),
                         FULL - P["affine_forward"] - P["eval_numerical_gradient"]),
        "callable_result": (_notebook(answers={"affine_forward_code": callable_result}), FULL - P["affine_forward"]),
        "noisy_calls": (_with_cell(noisy, "after:softmax_loss_code"), FULL),
        "callback_abuse": (_with_cell(callback_abuse, "after:eval_numerical_gradient_code"), FULL),
        "reference_getattr": (_notebook(answers={"rel_error_code": reference_getattr}), FULL),
        "reference_exec": (_with_cell(reference_exec, "after:affine_forward_code"), FULL),
        "moved_flags": (moved_flags(), FULL),
        "duplicated_test": (duplicated(), FULL - P["softmax_loss"]),
        "test_before_answer": (test_before_answer(), FULL - P["rel_error"]),
        "lone_surrogate": (surrogate(), FULL),
        "unparseable": (unparseable(), FULL),
        "odd_metadata": (odd_metadata(), FULL),
        "prefilled_outputs": (prefilled(), FULL - P["softmax_loss"]),
        "deep_return": (_notebook(answers={"rel_error_code": deep_return}), FULL - P["rel_error"]),
    }


ATTACK_STATUS = {
    "post_run_cell": "graded", "thread_patch": "graded", "settrace": "timeout", "library_filename": "graded",
    "fake_array": "graded", "fake_object": "graded", "read_private": "graded", "introspect": "graded",
    "imitate_pass": "graded", "raise_names": "graded", "raise_in_call": "graded", "exit_in_call": "crashed",  # noqa
    "weird_object": "graded", "huge_return": "graded", "stubborn_call": "timeout", "forged_frames": "graded",
    "shadow_setup": "graded", "callable_result": "graded", "noisy_calls": "graded", "callback_abuse": "graded",
    "reference_getattr": "graded", "reference_exec": "graded", "moved_flags": "graded", "duplicated_test": "graded",
    "test_before_answer": "graded", "lone_surrogate": "graded", "unparseable": "graded", "odd_metadata": "graded",
    "prefilled_outputs": "graded", "deep_return": "graded",
}


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
    "fork_bomb": "processes", "memory_bomb": "memory", "memory_by_name": "graded", "output_flood": "output", "sleeper": "timeout",
    "loop_in_function": "timeout", "stubborn_loop": "timeout", "exits": "crashed", "monkeypatch": "graded",
    "patch_in_function": "graded", "ipython_hooks": "graded", "reference": "graded", "retyped_tests": "graded",
    "outdated": "outdated", "wrong_lecture": "wrong_lecture", "zipped": "graded", "broken_zip": "corrupt",
    "late": "graded", **ATTACK_STATUS,
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
    assert any("gradcheck.rel_error" in f for f in changed), changed
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


def _outputs_text(hostile, student):
    nb = read_notebook(hostile["work"] / "autograded" / student / L00 / NB00)
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            texts += [str(output.get("text", "")), str(output.get("evalue", ""))]
            texts += [str(v) for v in output.get("data", {}).values()]
            texts += [str(t) for t in output.get("traceback", [])]
    return "\n".join(texts)


def _hidden_lines():
    from autograder.hidden_tests import HIDDEN_BLOCK
    solution = read_notebook(course.SOLUTIONS / L00 / NB00)
    visible = "\n".join(HIDDEN_BLOCK.sub("", c.source) for c in solution.cells)
    return {line.strip() for block in HIDDEN_BLOCK.findall("\n".join(c.source for c in solution.cells))
            for line in block.splitlines() if len(line.strip()) > 12 and line.strip() not in visible}


@pytest.mark.parametrize("student", sorted(ATTACK_STATUS))
def test_attack_on_the_verdict(hostile, student):
    """Does an attack on the verdict (hooks, threads, tracers, fake values, forged frames, chosen statuses, broken
    cells) get its status and exactly the score its honest parts earn?"""
    row = hostile["rows"][student]
    assert (row["status"], row["total"]) == (ATTACK_STATUS[student], pytest.approx(hostile["expected"][student])), \
        (row, _status(hostile, student))


def test_test_cells_show_only_the_judges_outputs(hostile):
    """Does every test cell hold only what the judge wrote (the pass line or one error), whatever the notebook printed?"""
    from autograder.scoring import is_test_cell
    for student in ATTACK_STATUS:
        nb = read_notebook(hostile["work"] / "autograded" / student / L00 / NB00)
        for cell in nb.cells:
            if is_test_cell(cell):
                kinds = [o["output_type"] for o in cell.outputs]
                assert kinds in (["stream"], ["error"]), (student, cell.outputs)
                if kinds == ["stream"]:
                    assert cell.outputs[0]["text"] == f"\u2713 {nbgrader_meta(cell)['grade_id']}: passed\n"
                else:
                    assert len(cell.outputs[0]["traceback"]) == 1


def test_no_hidden_test_reaches_the_sandbox_or_the_outputs(hostile):
    """Could a submission find hidden tests in files, env vars, frames, linecache or gc, or get them shown back?"""
    hidden = _hidden_lines()
    assert hidden
    for student in list(ATTACK_STATUS) + ["correct"]:
        text = _outputs_text(hostile, student)
        leaked = [line for line in hidden if line in text]
        assert leaked == [], (student, leaked[:3])
    assert "nothing hidden" in _outputs_text(hostile, "read_private")
    assert "searched" in _outputs_text(hostile, "introspect")


@ISOLATED
def test_host_paths_stay_out_of_the_sandbox(hostile):
    """Do the work folder and the submissions folder stay out of the sandbox's /proc/1/cmdline and mount table?"""
    text = _outputs_text(hostile, "read_private")
    cmdline = text.split("CMDLINE", 1)[1].split("\n", 1)[0]
    mounts = text.split("MOUNTS", 1)[1].split("\n", 1)[0]
    for path in (hostile["work"], hostile["subs"]):
        assert str(path) not in cmdline and str(path) not in mounts, path
    assert "--tmpfs" not in cmdline


def test_imitations_and_tampering_are_flagged(hostile):
    """Are printed pass lines, duplicated tests, moved flags, odd metadata and reference reuse flagged?"""
    assert any("imitating" in f for f in _flags(hostile, "imitate_pass", "tampered-tests"))
    assert any("copy" in f for f in _flags(hostile, "duplicated_test", "tampered-tests"))
    assert any("flags changed" in f for f in _flags(hostile, "moved_flags", "tampered-tests"))
    assert any("malformed nbgrader metadata" in f for f in _flags(hostile, "odd_metadata", "tampered-tests"))
    assert _flags(hostile, "reference_getattr", "reference")
    assert any("affine_forward" in f for f in _flags(hostile, "reference_exec", "reference"))
    assert _flags(hostile, "settrace", "monkeypatch")
    assert _flags(hostile, "correct", "reference") == []
