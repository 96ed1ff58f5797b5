"""Short errors in a real Jupyter kernel: after `llmcourse.setup()`, a course error shows as its one sentence,
`%tb` shows the full traceback, `LLMCOURSE_DEBUG=1` shows it in full, and other errors are untouched."""

from __future__ import annotations

import os
import re

import pytest

from llmcourse import LLMCourseError, WebsiteError, create_env
from llmcourse.envfile import create_env as envfile_create_env

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BAD_HOST = "https://no-such-host.invalid/"  # .invalid never resolves (RFC 6761), online or not


def test_the_base_and_create_env_are_exported():
    assert issubclass(WebsiteError, LLMCourseError)
    assert create_env is envfile_create_env


@pytest.fixture(scope="module")
def kernel(tmp_path_factory, local_server):
    """A python3 kernel with no test start-up script (no fixture web): the learner's kernel."""
    from jupyter_client import KernelManager

    env = dict(os.environ, IPYTHONDIR=str(tmp_path_factory.mktemp("ipython")), LLMCOURSE_LOCAL_URL=local_server)
    env.pop("LLMCOURSE_FIXTURE_SITES", None)
    env.pop("LLMCOURSE_DEBUG", None)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(ROOT), env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc, code: str, timeout: float = 120) -> tuple[str, list[str], dict | None]:
    """Execute `code`: (reply status, the text lines it showed (stdout, stderr, error), the error message)."""
    msg_id = kc.execute(code)
    lines: list[str] = []
    error = None
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            lines += content["text"].splitlines()
        elif kind == "error":
            error = content
            for part in content["traceback"]:
                lines += ANSI.sub("", part).splitlines()
        elif kind == "status" and content["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return reply["content"]["status"], [line for line in lines if line.strip()], error


def test_a_website_error_is_one_short_box_and_tb_gives_the_full_one(kernel):
    status, _, _ = run(kernel, "import llmcourse\nbackend = llmcourse.setup(verbose=False)")
    assert status == "ok"

    status, lines, error = run(kernel, f"page = llmcourse.Website({BAD_HOST!r})")
    assert status == "error" and error is not None  # the cell still fails: Run All stops, nbval sees it
    assert error["ename"] == "HostNotFoundError"
    assert len(lines) <= 4, lines
    assert lines[0].startswith("HostNotFoundError: Cannot fetch") and "does not resolve" in lines[0]
    assert "check that this machine is online" in lines[0].lower() or "this machine is online" in lines[0]
    assert not any("web.py" in line or "urlpolicy.py" in line for line in lines)

    status, full, _ = run(kernel, "%tb")
    text = "\n".join(full)
    assert "web.py" in text and "urlpolicy.py" in text and "HostNotFoundError" in text
    assert len(full) > len(lines) + 5


def test_llmcourse_debug_shows_the_full_traceback(kernel):
    run(kernel, "import os, llmcourse\nllmcourse.setup(verbose=False)\nos.environ['LLMCOURSE_DEBUG'] = '1'")
    try:
        status, lines, _ = run(kernel, f"llmcourse.Website({BAD_HOST!r})")
        assert status == "error"
        assert any("urlpolicy.py" in line for line in lines) and len(lines) > 8
    finally:
        run(kernel, "del os.environ['LLMCOURSE_DEBUG']")


def test_other_errors_keep_their_traceback(kernel):
    status, lines, error = run(kernel, "import llmcourse\nllmcourse.setup(verbose=False)\n{}['missing']")
    assert status == "error" and error["ename"] == "KeyError"
    assert any("Traceback" in line or "Cell In" in line for line in lines)


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
