"""Start (or reuse) the embedded local model server: `start()` returns a `LocalServer` with its URLs.

Example:
    >>> from llmcourse.local.launcher import start
    >>> server = start()                                     # doctest: +SKIP
    >>> server.openai_url                                    # doctest: +SKIP
    'http://127.0.0.1:51234/v1'
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from llmcourse.local.bundled import gguf_path

__all__ = ["LocalServer", "served_model", "start"]


@dataclass
class LocalServer:
    """A running embedded server: its base URL and, when we started it, its process."""

    url: str
    process: subprocess.Popen | None = None

    @property
    def openai_url(self) -> str:
        """Base URL for the OpenAI SDK (`OpenAI(base_url=...)`)."""
        return self.url + "/v1"

    @property
    def anthropic_url(self) -> str:
        """Base URL for the Anthropic SDK (no /v1: the SDK adds it)."""
        return self.url

    @property
    def ollama_url(self) -> str:
        """Host for the ollama package (`ollama.Client(host=...)`)."""
        return self.url

    def stop(self) -> None:
        """Stop the server if this process started it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


_started: LocalServer | None = None


def served_model(url: str) -> str:
    """The model the server at `url` runs, as it names itself in every answer (`local:...`).

    Example:
        >>> served_model(start().url)                        # doctest: +SKIP
        'local:SmolLM2-135M-Instruct'
    """
    import requests

    try:
        return requests.get(url.rstrip("/") + "/v1/models", timeout=5).json()["data"][0]["id"]
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError):
        return "local:(unknown model)"


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url + "/v1/models", timeout=2).ok
    except requests.RequestException:
        return False


def _require_llama_cpp() -> None:
    """Fail early, with the fix, when the model file or llama-cpp-python is missing."""
    gguf_path()
    if importlib.util.find_spec("llama_cpp") is None:
        raise ModuleNotFoundError(
            "llama-cpp-python is not installed. Run `pip install -e .[local]` in the course folder "
            "(it compiles for a few minutes the first time), or use the conda route."
        )


def start(port: int | None = None, *, timeout: float = 120.0, shared: bool = True) -> LocalServer:
    """Return the course's local model server, starting it when none runs.

    Reuses the server named by `LLMCOURSE_LOCAL_URL` when that one answers (the test run starts one
    for every notebook). Otherwise every kernel of this user shares one detached server (see
    `llmcourse.local.shared`: three open notebooks hold one model in memory, not three).
    `shared=False` or a fixed `port` starts a private server that stops with this process.
    The server binds 127.0.0.1 only.

    Example:
        >>> server = start()                                 # doctest: +SKIP
        >>> server.url.startswith("http://127.0.0.1:")       # doctest: +SKIP
        True
    """
    global _started
    named = os.environ.get("LLMCOURSE_LOCAL_URL")
    if named and _answers(named):
        return LocalServer(named.rstrip("/"))
    if _started is not None and _started.process is not None and _started.process.poll() is None:
        return _started
    from llmcourse.local.sources import resolve

    resolve(download=True)  # a Hub file in LLMCOURSE_LOCAL_MODEL downloads here, with a progress bar
    if shared and port is None:
        from llmcourse.local.shared import launch

        _require_llama_cpp()
        return LocalServer(launch(os.environ.get("LLMCOURSE_LOCAL_MODEL", "").strip(), timeout=timeout).url)
    _require_llama_cpp()
    port_file = Path(tempfile.mkdtemp(prefix="llmcourse-")) / "port"
    command = [sys.executable, "-m", "llmcourse.local.server", "--port", str(port or 0), "--port-file", str(port_file)]
    log = open(port_file.with_name("server.log"), "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    atexit.register(lambda: LocalServer("", process).stop())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = port_file.with_name("server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"The local model server stopped (exit code {process.returncode}):\n{tail}")
        if port_file.exists() and port_file.read_text().strip():
            url = f"http://127.0.0.1:{int(port_file.read_text())}"
            if _answers(url):
                _started = LocalServer(url, process)
                return _started
        time.sleep(0.1)
    process.kill()
    raise TimeoutError(f"The local model server did not start within {timeout:.0f} s.")
