"""Does the course work in JupyterLab, in a real browser, as students and instructors use it?

Playwright drives Debian's chromium (``/usr/bin/chromium``; CHROMIUM sets another path) against a
JupyterLab that the module starts itself on 127.0.0.1 with ``autograder.lab``'s command line, as
``make lab`` does: open a lecture and Run All to the last cell; the three explorers render as
controls and redraw when a control changes; a filled-in exercise's test shows its pass line;
Validate shows the summary; Formgrader lists every lecture and opens a source notebook; a
feedback page shows its summary and rendered math with the network off.

Students' notebooks are copies (under grading/browser-test/), so nothing here writes to
notebooks/; the server's gradebook and exchange live in a temporary work folder. Every step
writes a screenshot to BROWSER_SCREENSHOTS (default: a temporary folder), and a failing test
names that folder. BROWSER_LECTURES=all runs Run All on every lecture (default: 00 and 03).
Skipped, with the reason, where chromium or playwright is missing.
"""
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder import course, examples, lab
from autograder.exercises import exercises, read_notebook, strip_solution_markers

pytestmark = pytest.mark.slow
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .)")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)", allow_module_level=True)

ROOT = course.ROOT
COPIES = ROOT / "grading" / "browser-test"  # inside the server's root, ignored by git
SMALL = ["00_backprop", "03_initialization"]
RUN_ALL = course.lectures() if os.environ.get("BROWSER_LECTURES") == "all" else SMALL
RUN_ALL_TIMEOUT = 420  # seconds for one lecture's Run All on 2 busy cores
EXPLORERS = {  # lecture -> (the cell that shows it, Run All above it first)
    "05_optimizers": ("widgets.optimizer_explorer(", False),
    "06_schedules": ("widgets.schedule_explorer(", False),
    "08_augmentation": ("widgets.augmentation_explorer(", True),
}
# settings of a fresh user: no autosave (the copies stay as the test leaves them), no news pop-up
SETTINGS = {"@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"}}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("browser-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, token, work folder) of a JupyterLab started as `make lab` starts it, on 127.0.0.1."""
    home = tmp_path_factory.mktemp("lab")
    for name, value in SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    work = home / "work"
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "ws"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), AUTOGRADER_WORKDIR=str(work),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    port, token = _free_port(), secrets.token_hex(16)
    command = lab.argv(port=port, no_browser=True, token=token, extra=["--ServerApp.ip=127.0.0.1"])
    log = open(home / "server.log", "w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
            break
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                pytest.fail(f"JupyterLab did not start: {(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
    yield base, token, work, home / "server.log"
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    shutil.rmtree(COPIES, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield instance
        instance.close()


def _shut_down_kernels(server):
    """Stop every kernel of the server (each test starts from a fresh session, as a new student would)."""
    base, token, _, _ = server
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/kernels", headers=headers)) as answer:
        kernels = json.load(answer)
    for kernel in kernels:
        request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}", headers=headers, method="DELETE")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request).close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()
    _shut_down_kernels(server)


@contextlib.contextmanager
def recording(page, shots, name):
    """Screenshots as `<name>-<n>-<step>.png`; on failure the message names the folder (and a last screenshot)."""
    count = [0]

    def step(label):
        count[0] += 1
        page.screenshot(path=str(shots / f"{name}-{count[0]:02d}-{label}.png"))

    try:
        yield step
    except Exception as err:
        with contextlib.suppress(Exception):
            step("failed")
        raise AssertionError(f"{type(err).__name__}: {err}\n(screenshots of each step: {shots}/{name}-*.png)") from err


def _copy(lecture):
    """A student's copy of a lecture's release: (its path relative to the server root)."""
    notebook = course.lecture_notebook(lecture)
    target = COPIES / lecture / notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(course.RELEASE / lecture / notebook, target)
    return target.relative_to(ROOT).as_posix()


def _open(page, server, path):
    base, token, _, _ = server
    page.goto(f"{base}/lab/tree/{path}?reset&token={token}")  # reset: no tabs restored from an earlier test
    page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell")
    _wait_idle(page)


def _wait_idle(page, timeout=120):
    """Wait until the notebook's kernel is started and idle, as the status bar says."""
    page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"Python 3 \(ipykernel\) \| Idle")).first.wait_for(
        timeout=timeout * 1000)


def _menu(page, menu, item):
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).first.click()
    page.locator(".lm-Menu-item:visible .lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).first.click()


def _prompts(page):
    return page.eval_on_selector_all(".jp-NotebookPanel:visible .jp-CodeCell .jp-InputPrompt",
                                     "els => els.map(e => e.textContent.trim())")


def _wait_all_ran(page, timeout):
    """Wait until every code cell shows an execution count; returns the prompts."""
    deadline = time.time() + timeout
    while True:
        prompts = _prompts(page)
        if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            return prompts
        assert time.time() < deadline, f"after {timeout} s not every cell ran: {prompts}"
        time.sleep(1)


def _cell(page, index):
    return page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(index)


def _run_cell(page, index):
    """Select cell `index` (as a click on its prompt does) and run it with Shift+Enter; wait for the kernel."""
    cell = _cell(page, index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputPrompt").first.click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(300)
    _wait_idle(page)
    return cell


def _cell_index(path, predicate):
    cells = json.loads((ROOT / path).read_text())["cells"]
    return next(i for i, c in enumerate(cells) if predicate(c))


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


@pytest.mark.parametrize("lecture", RUN_ALL)
def test_run_all_reaches_the_last_cell(page, server, shots, lecture):
    """Does Run All on an untouched lecture go on past the failing tests to the last cell?"""
    path = _copy(lecture)
    with recording(page, shots, f"run-all-{lecture}") as step:
        _open(page, server, path)
        step("opened")
        _menu(page, "Run", "Run All Cells")
        prompts = _wait_all_ran(page, RUN_ALL_TIMEOUT)
        _wait_idle(page)
        page.keyboard.press("Control+End")
        _cell(page, -1).scroll_into_view_if_needed()
        step("end")
        cells = json.loads((ROOT / path).read_text())["cells"]
        assert len(prompts) == sum(c["cell_type"] == "code" for c in cells), prompts
        # textContent: JupyterLab skips rendering cells out of view, innerText would miss them
        errors = page.eval_on_selector_all(
            ".jp-NotebookPanel:visible .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
            "els => els.map(e => e.textContent).filter(t => t.includes('Traceback'))")
        tests = sum(1 for c in cells if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("grade"))
        assert len(errors) == tests and all("NotImplementedError" in e for e in errors), \
            f"expected {tests} failing test cells (NotImplementedError), got {len(errors)} errors: {errors[:3]}"


@pytest.mark.parametrize("lecture", sorted(EXPLORERS))
def test_explorer_renders_controls_and_redraws(page, server, shots, lecture):
    """Does each explorer show its controls and a picture, and draw a new picture when a control changes?"""
    marker, above = EXPLORERS[lecture]
    path = _copy(lecture)
    index = _cell_index(path, lambda c: marker in _source(c))
    with recording(page, shots, f"explorer-{lecture}") as step:
        _open(page, server, path)
        if above:
            _cell(page, index).locator(".jp-InputPrompt").first.click()
            _menu(page, "Run", "Run All Above Selected Cell")
            page.wait_for_timeout(500)
            _wait_idle(page, RUN_ALL_TIMEOUT)
        else:
            _run_cell(page, _cell_index(path, lambda c: _grade_id(c) == "setup"))
        cell = _run_cell(page, index)
        image = cell.locator("img.widget-image")
        image.wait_for()
        cell.scroll_into_view_if_needed()
        step("drawn")
        assert cell.locator(".widget-dropdown select").count() >= 1
        assert cell.locator(".widget-slider").count() >= 2
        before = image.get_attribute("src")
        dropdown = cell.locator(".widget-dropdown select").first
        options = dropdown.locator("option").all_inner_texts()
        dropdown.select_option(label=options[-1])
        page.wait_for_function("([img, before]) => img.getAttribute('src') !== before",
                               arg=[image.element_handle(), before])
        step("dropdown-changed")
        before = image.get_attribute("src")
        handle = cell.locator(".widget-slider .noUi-handle").first
        handle.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("([img, before]) => img.getAttribute('src') !== before",
                               arg=[image.element_handle(), before])
        step("slider-changed")


def _solution_answer(lecture, exercise):
    """The reference answer of an exercise, as a student would type it."""
    nb = read_notebook(course.SOLUTIONS / lecture / course.lecture_notebook(lecture))
    return strip_solution_markers(next(ex.answer_source for ex in exercises(nb) if ex.name == exercise))


def _type_into(page, cell, text):
    """Replace a cell's code by text, as typing (the editor's auto-indent is off for pasted text)."""
    editor = cell.locator(".cm-content").first
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def test_filled_in_exercise_shows_its_pass_line_and_validate_shows_the_summary(page, server, shots):
    """Does a student's correct answer make its test print the pass line, and Validate show the summary first?"""
    lecture, exercise = "00_backprop", "rel_error"
    path = _copy(lecture)
    answer = _cell_index(path, lambda c: _grade_id(c) == f"{exercise}_code")
    test = _cell_index(path, lambda c: _grade_id(c) == exercise)
    with recording(page, shots, "exercise") as step:
        _open(page, server, path)
        _run_cell(page, _cell_index(path, lambda c: _grade_id(c) == "setup"))
        _type_into(page, _cell(page, answer), _solution_answer(lecture, exercise))
        step("answer-typed")
        _run_cell(page, answer)
        cell = _run_cell(page, test)
        cell.scroll_into_view_if_needed()
        step("test-ran")
        text = cell.locator(".jp-OutputArea").inner_text()
        assert f"\u2713 {exercise}: the tests in this cell passed" in text, text

        page.keyboard.press("Control+s")
        page.wait_for_timeout(1000)
        page.get_by_role("button", name="Validate").first.click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(timeout=RUN_ALL_TIMEOUT * 1000)
        page.wait_for_timeout(500)
        step("validate")
        summary = dialog.locator("pre").first.inner_text()
        assert re.search(r"\d+ of \d+ tests failed", summary), summary
        assert re.search(rf"\u2713 passed\s+{exercise}\b", summary), summary
        assert re.search(r"\u2717 FAILED\s+softmax_loss\b.*NotImplementedError", summary), summary
        assert "BEGIN HIDDEN TESTS" not in dialog.inner_text()
        assert len(dialog.inner_text()) < 12_000, "the summary should not be a wall of test sources"


def test_formgrader_lists_every_lecture_and_opens_a_source(page, server, shots):
    """Does Formgrader (Nbgrader menu) list every lecture, and does a lecture's link open its source notebook?"""
    base, token, _, log = server
    with recording(page, shots, "formgrader") as step:
        page.goto(f"{base}/lab?reset&token={token}")
        page.wait_for_selector(".lm-MenuBar-itemLabel")
        _menu(page, "Nbgrader", "Formgrader")
        frame = page.frame_locator("iframe").first
        frame.locator("text=Manage Assignments").first.wait_for()
        for lecture in course.lectures():
            frame.locator(f"a:has-text('{lecture}')").first.wait_for(timeout=30_000)
        step("listed")
        frame.locator("a:has-text('00_backprop')").first.click()  # opens the lecture's source folder
        listing = page.locator(".jp-DirListing-item", has_text=course.lecture_notebook("00_backprop"))
        listing.first.wait_for()
        assert "solutions" in page.locator(".jp-BreadCrumbs").first.inner_text()
        step("source-folder")
        listing.first.dblclick()
        page.locator(".jp-NotebookPanel:visible .jp-Cell", has_text="BEGIN SOLUTION").first.wait_for()
        step("source-opened")
    assert "No nbgrader_config.py" not in log.read_text()


def test_assignment_list_shows_a_released_lecture(page, server, shots):
    """Once a lecture is released to the exchange (Formgrader's Release), does the Assignment List offer it?"""
    base, token, work, _ = server
    result = course.nbgrader_api(work).release_assignment("00_backprop")
    assert result["success"], result.get("error")
    with recording(page, shots, "assignment-list") as step:
        page.goto(f"{base}/lab?reset&token={token}")
        page.wait_for_selector(".lm-MenuBar-itemLabel")
        _menu(page, "Nbgrader", "Assignment List")
        released = page.locator("#released_assignments_list", has_text="00_backprop")
        released.wait_for()
        assert "No courses found" not in page.locator("body").inner_text()
        step("listed")


def test_feedback_page_shows_summary_and_math_offline(browser, server, shots, tmp_path):
    """Does the feedback of a graded submission show the summary and its math with the network off?"""
    from autograder.feedback import feedback
    from autograder.grade import grade

    lecture = "00_backprop"
    work = tmp_path / "work"
    submissions = tmp_path / "submissions"
    path = submissions / "mistakes" / lecture / course.lecture_notebook(lecture)
    path.parent.mkdir(parents=True)
    release = read_notebook(course.RELEASE / lecture / course.lecture_notebook(lecture))
    nbformat.write(examples.fill_answers(release, examples.answers_for(lecture, "mistakes")), str(path))
    grade(submissions, [lecture], work)
    written = feedback([lecture], work, ["mistakes"])
    assert written, "no feedback was written"
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, offline=True)
    page = context.new_page()
    try:
        with recording(page, shots, "feedback") as step:
            page.goto(written[0].as_uri())
            step("summary")
            rows = page.locator("table.feedback-summary tr")
            assert rows.count() >= 6
            text = page.locator("table.feedback-summary").inner_text()
            assert "softmax_loss" in text and "failed" in text, text
            assert "BEGIN HIDDEN TESTS" not in page.content()
            formula = page.locator("math").first
            formula.scroll_into_view_if_needed()
            step("math")
            assert page.locator("math").count() > 10
            box = formula.bounding_box()
            assert box and box["height"] > 5 and box["width"] > 5
            body = page.locator("#notebook").inner_text()
            assert "$f(x, y, z)" not in body and "\\partial" not in body, "math shown as raw TeX"
    finally:
        context.close()
