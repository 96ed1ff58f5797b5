"""The first fifteen minutes, in a real browser: `llmcourse lab` (what `make lab` runs), the landing page, then
week1/day1 Run All with the network unreachable, and troubleshooting.

JupyterLab starts the way `make lab` starts it, in a scratch copy of the course's learner files (so Run All
and autosave never touch the checkout) with scratch HOME and Jupyter folders, no test start-up script (no
fixture web: `Website` must fall back to the pages saved with the course), no keys, LLMCOURSE_OFFLINE=1 (the
local model answers) and HTTP(S)_PROXY pointing at a dead port on 127.0.0.1 (no route out). Chromium refuses
every request that leaves 127.0.0.1. Screenshots go to tests/artifacts/screenshots/: landing.png,
day1_offline.png, troubleshooting.png. Skipped without /usr/bin/chromium (failed when LLMCOURSE_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.browser import SCREENSHOTS, open_chromium, require_chromium

ROOT = Path(__file__).resolve().parent.parent
URL_LINE = re.compile(r"Open (http://127\.0\.0\.1:(\d+)/lab/tree/\S+\?token=(\w+))")
RUN_TIMEOUT_S = 900  # day1 runs ~10 small-model calls: 1-2 min idle, up to ~10 min on a loaded two-core machine

# The notebook in the main area, as JSON-able facts: code cells' execution counts and their error outputs.
NOTEBOOK_STATE = """() => {
    const widget = window.jupyterapp.shell.currentWidget;
    if (!widget || !widget.content || !widget.content.model) return null;
    const cells = widget.content.model.cells, state = [];
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        const outputs = cell.outputs.toJSON();
        state.push({count: cell.executionCount, errors: outputs.filter(o => o.output_type === 'error')
            .map(o => o.ename + ': ' + o.evalue), text: outputs.map(o => o.text || '').join('')});
    }
    const busy = document.querySelectorAll('.jp-InputPrompt').length
        && [...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'));
    return {cells: state, busy: busy};
}"""


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _course_copy(folder: Path) -> Path:
    """The learner's files of the course, plus the developer folders the file browser must hide."""
    course = folder / "course"
    course.mkdir()
    for name in ("README.md", "troubleshooting.ipynb", ".env.example", "Makefile", "pyproject.toml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, course / name)
    shutil.copytree(ROOT / "week1", course / "week1", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for hidden in ("tests", "bench", "llmcourse.egg-info"):
        (course / hidden).mkdir()
        (course / hidden / "README.md").write_text("developer files\n")
    (course / "conftest.py").write_text("")
    return course


@pytest.fixture(scope="module")
def lab(tmp_path_factory, local_server):
    """`llmcourse lab --no-browser --port 0` in a scratch course folder; yields (base URL, token, course folder)."""
    require_chromium()
    scratch = tmp_path_factory.mktemp("first_run")
    course = _course_copy(scratch)
    dead = f"http://127.0.0.1:{_dead_port()}"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith(("_API_KEY", "_API_TOKEN")) and name not in ("LLMCOURSE_FIXTURE_SITES", "HF_TOKEN")
    }
    env.update(
        {
            "HOME": str(scratch / "home"),
            "JUPYTER_CONFIG_DIR": str(scratch / "jupyter-config"),
            "JUPYTER_DATA_DIR": str(scratch / "jupyter-data"),
            "JUPYTER_RUNTIME_DIR": str(scratch / "jupyter-runtime"),
            "IPYTHONDIR": str(scratch / "ipython"),  # no test start-up script: no fixture web
            "LLMCOURSE_OFFLINE": "1",
            "LLMCOURSE_LOCAL_URL": local_server,  # the local model answers (one server)
            "HTTPS_PROXY": dead,
            "HTTP_PROXY": dead,
            "https_proxy": dead,
            "http_proxy": dead,  # no route out
            "NO_PROXY": "localhost,127.0.0.1",
            "no_proxy": "localhost,127.0.0.1",
        }
    )
    (scratch / "home").mkdir()
    # `make lab` runs `llmcourse lab`; the app is exposed to the page so the test can run JupyterLab's commands.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llmcourse",
            "lab",
            "--no-browser",
            "--port",
            "0",
            "--LabApp.expose_app_in_browser=True",
        ],
        cwd=course,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    found: list[re.Match] = []

    def read() -> None:
        for line in process.stdout:
            lines.append(line)
            match = URL_LINE.search(line)
            if match and not found:
                found.append(match)

    threading.Thread(target=read, daemon=True).start()
    try:
        deadline = time.monotonic() + 180
        while not found and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert found, "llmcourse lab printed no URL:\n" + "".join(lines[-40:])
        url, port, token = found[0].groups()
        assert any(line.startswith("====") for line in lines), "the URL is not boxed"
        yield f"http://127.0.0.1:{port}", token, course, url
    finally:
        # Ctrl+C, as a learner stops it: `llmcourse lab` then stops JupyterLab (its kernels too) before exiting.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser_page(lab):
    with open_chromium() as (context, refused):
        page = context.new_page()
        yield page, refused


def _run_all(page, timeout_s: float = RUN_TIMEOUT_S) -> dict:
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
        timeout=120_000,
    )
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'", timeout=120_000
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(NOTEBOOK_STATE)
        if state and state["cells"] and not state["busy"] and all(c["count"] for c in state["cells"]):
            return state
        if state and any(c["errors"] for c in state["cells"]) and not state["busy"]:
            return state  # Run All stops at an error
        time.sleep(2)
    pytest.fail(f"Run All did not finish within {timeout_s} s: {state}")


def test_landing_shows_the_rendered_readme_and_hides_developer_folders(lab, browser_page):
    url = lab[3]
    page, refused = browser_page
    page.goto(url, wait_until="load")
    # The README opens rendered (Markdown preview), not as source.
    page.wait_for_selector(".jp-MainAreaWidget .jp-RenderedMarkdown h1", timeout=120_000)
    assert page.locator(".jp-MainAreaWidget .jp-FileEditor").count() == 0
    page.wait_for_selector(".jp-DirListing-item", timeout=60_000)
    names = page.locator(".jp-DirListing-item .jp-DirListing-itemText").all_inner_texts()
    assert "week1" in names and "README.md" in names
    for hidden in ("tests", "bench", "llmcourse.egg-info", "conftest.py"):
        assert hidden not in names, names
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "landing.png"))
    assert not [u for u in refused if "127.0.0.1" in u]


def test_day1_runs_all_offline_to_the_last_cell_with_no_error(lab, browser_page):
    base, token, course, _ = lab
    page = browser_page[0]
    # A workspace of its own, reset: only this notebook is open, so Run All goes to it.
    page.goto(f"{base}/lab/workspaces/day1/tree/week1/day1.ipynb?reset&token={token}", wait_until="load")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    state = _run_all(page)
    errors = [(i, c["errors"]) for i, c in enumerate(state["cells"]) if c["errors"]]
    assert errors == [], errors
    assert all(c["count"] for c in state["cells"]), "Run All did not reach the last cell"
    text = "\n".join(c["text"] for c in state["cells"])
    assert "Offline stand-in for https://edwarddonner.com/" in text  # the saved page, with its banner
    assert re.search(r"requested -> answered by local:", text)  # who really answered
    page.keyboard.press("Control+End")
    page.screenshot(path=str(SCREENSHOTS / "day1_offline.png"))
    # Nothing in the course folder changed but the notebook JupyterLab may have autosaved.
    assert not (course / ".env").exists()


def test_troubleshooting_reads_in_ten_seconds(lab, browser_page):
    base, token = lab[0], lab[1]
    page = browser_page[0]
    page.goto(
        f"{base}/lab/workspaces/troubleshooting/tree/troubleshooting.ipynb?reset&token={token}", wait_until="load"
    )
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    state = _run_all(page)
    errors = [(i, c["errors"]) for i, c in enumerate(state["cells"]) if c["errors"]]
    assert errors == [], errors
    text = "\n".join(c["text"] for c in state["cells"])
    assert re.search(r"^(Ready|Almost ready|Not ready): ", text, re.MULTILINE), text[-2000:]
    body = page.locator(".jp-Notebook").inner_text()
    assert "anthropic_openai" not in body
    assert not re.search("[\u2705\u26a0\u274c\u23ed]", body)  # no emoji statuses
    # The screenshot shows section 12: the verdict line over the whole report.
    page.locator(
        ".jp-OutputArea-output", has_text=re.compile(r"(Ready|Almost ready|Not ready): ")
    ).last.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "troubleshooting.png"))


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
