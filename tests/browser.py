"""Drive a notebook's Gradio app in a real browser: the notebook's own cells in a kernel, then Chromium.

The browser tests exercise the app code the learner runs, not a copy: `NotebookKernel` starts a Jupyter
kernel in the notebook's folder (it inherits the offline test environment, so `llmcourse.setup()` reuses
the embedded model server), runs the notebook's code cells in order up to the cell that launches the app,
and can then evaluate expressions in that same kernel (the app's URL, a value to compare with).
`open_chromium` drives Debian's Chromium through Playwright and refuses every request that leaves
127.0.0.1, recording it, so a test can also check that the app reaches nothing outside the machine.

Without /usr/bin/chromium (or the playwright package) the browser tests skip with the reason, unless
LLMCOURSE_REQUIRE_BROWSER=1 (set in CI), where they fail instead.

Example:
    >>> with NotebookKernel(ROOT / "week2" / "day3.ipynb") as kernel:        # doctest: +SKIP
    ...     kernel.run_until("chatbot.launch(")
    ...     url = kernel.evaluate("chatbot.local_url")
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

import nbformat
import pytest

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "SCREENSHOTS",
    "KernelError",
    "NotebookKernel",
    "open_chromium",
    "require_chromium",
]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (containers run as root), no background services that phone home, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class KernelError(AssertionError):
    """A notebook cell (or an expression) raised in the kernel; the message carries the traceback."""


def require_chromium() -> str:
    """The Chromium executable; skip the test without it (fail instead when LLMCOURSE_REQUIRE_BROWSER=1).

    Example:
        >>> require_chromium()                                            # doctest: +SKIP
        '/usr/bin/chromium'
    """
    problem = None
    if not CHROMIUM.exists():
        problem = (
            f"{CHROMIUM} not found: install Debian's Chromium (`apt-get install chromium`) to run the browser tests"
        )
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is missing: `pip install -e .[dev]`"
    if problem is None:
        return str(CHROMIUM)
    if os.environ.get("LLMCOURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{problem} (LLMCOURSE_REQUIRE_BROWSER=1 requires the browser tests to run)")
    pytest.skip(problem)


@contextmanager
def open_chromium() -> Iterator[tuple[Any, list[str]]]:
    """(Playwright browser context, list of refused non-local URLs); requests off 127.0.0.1 are aborted.

    Example:
        >>> with open_chromium() as (context, refused):                     # doctest: +SKIP
        ...     page = context.new_page()
    """
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    refused: list[str] = []

    def only_local(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname in _LOCAL_HOSTS:
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", only_local)
            yield context, refused
        finally:
            browser.close()


class NotebookKernel:
    """A Jupyter kernel running one notebook's cells, in the notebook's folder.

    Example:
        >>> with NotebookKernel(ROOT / "week2" / "day4.ipynb") as kernel:   # doctest: +SKIP
        ...     kernel.run_until("assistant.launch(")
        ...     kernel.evaluate("1 + 1")
        2
    """

    def __init__(self, notebook: Path, *, timeout: float = 900) -> None:
        self.notebook = Path(notebook)
        self.timeout = timeout
        self._manager = None
        self._client = None

    def __enter__(self) -> Self:
        from jupyter_client.manager import start_new_kernel

        # The kernel inherits this process's environment: the offline settings and LLMCOURSE_LOCAL_URL.
        self._manager, self._client = start_new_kernel(kernel_name="python3", cwd=str(self.notebook.parent))
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Shutting the kernel down also stops the Gradio servers it launched.
        if self._client is not None:
            self._client.stop_channels()
        if self._manager is not None:
            self._manager.shutdown_kernel(now=True)

    def run(self, code: str, *, where: str = "code") -> str:
        """Run `code` in the kernel; return what it printed (and its result's text). Raise KernelError on an error."""
        printed: list[str] = []
        errors: list[str] = []

        def collect(message: dict) -> None:
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                printed.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                printed.append(content.get("data", {}).get("text/plain", "") + "\n")
            elif kind == "error":
                errors.append(_ANSI.sub("", "\n".join(content["traceback"])))

        reply = self._client.execute_interactive(code, timeout=self.timeout, output_hook=collect, store_history=False)
        if reply["content"]["status"] != "ok" or errors:
            detail = "\n".join(errors) or f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}"
            raise KernelError(f"{self.notebook.name}, {where} raised:\n{detail}")
        return "".join(printed)

    def run_until(self, marker: str) -> int:
        """Run the notebook's code cells in order, up to and including the first whose source contains `marker`.

        Returns that cell's index. Fails clearly when no cell contains the marker, or when a cell raises.
        """
        notebook = nbformat.read(self.notebook, as_version=4)
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            self.run(cell.source, where=f"cell {index}")
            if marker in cell.source:
                return index
        raise KernelError(f"{self.notebook.name}: no code cell contains {marker!r} (was the app renamed?)")

    def evaluate(self, expression: str) -> Any:
        """The value of a JSON-serialisable Python expression, evaluated in the kernel."""
        printed = self.run(f"import json as _json\nprint(_json.dumps({expression}))", where=f"evaluate({expression!r})")
        return json.loads(printed.strip().splitlines()[-1])
