"""The offline test environment: variables, caches and the embedded server, shared by every test.

Used by the root `conftest.py`. Everything here points the SDKs, Hugging Face, tiktoken and Gradio
at things on this machine, so no test and no notebook cell reaches the internet.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

__all__ = ["ROOT", "CACHE", "configure_environment", "start_local_server", "stop_local_server"]

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LLMCOURSE_TEST_CACHE", ROOT / ".cache" / "offline"))

# Real keys a developer may have exported: tests must never see (or send) them.
_KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "DEEPSEEK_API_KEY",
    "ZHIPUAI_API_KEY",
    "DASHSCOPE_API_KEY",
    "QIANFAN_API_KEY",
    "REPLICATE_API_TOKEN",
    "HF_TOKEN",
    "MODELSCOPE_API_TOKEN",
    "OPENROUTER_API_KEY",
    "GROQ_API_KEY",
    "XAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "OLLAMA_HOST",
)

_server: subprocess.Popen | None = None


def configure_environment() -> None:
    """Set the variables every test and every notebook kernel (which inherits them) runs under."""
    for name in _KEY_VARIABLES:
        os.environ.pop(name, None)
    os.environ.pop("LLMCOURSE_LOCAL_MODEL", None)  # tests run the bundled SmolLM2, whatever the developer pulled
    os.environ.update(
        {
            "LLMCOURSE_OFFLINE": "1",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HOME": str(CACHE / "hf"),
            "TIKTOKEN_CACHE_DIR": str(CACHE / "tiktoken"),
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "NO_PROXY": "localhost,127.0.0.1",
            "no_proxy": "localhost,127.0.0.1",
            "TOKENIZERS_PARALLELISM": "false",
            "PYTHONHASHSEED": "0",
            # Test-only kernel start-up (fixture web pages); notebooks never mention it.
            "IPYTHONDIR": str(ROOT / "tests" / "ipython"),
            "LLMCOURSE_FIXTURE_SITES": str(ROOT / "tests" / "fixtures" / "sites"),
            # The user cache (model lists, the shared local server's record) stays inside the test cache.
            "LLMCOURSE_CACHE_DIR": str(CACHE / "user-cache"),
            # A loaded 2-core machine makes JSON-mode generation slow; the server's 120 s cap is for learners.
            "LLMCOURSE_LOCAL_MAX_SECONDS": "600",
            # The model server and a notebook's torch share 2 cores: one torch thread avoids oversubscription.
            "OMP_NUM_THREADS": "1",
        }
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_local_server(timeout: float = 120.0) -> str:
    """Start the embedded model server once for the whole run; return its base URL."""
    global _server
    if os.environ.get("LLMCOURSE_LOCAL_URL") and _server is not None:
        return os.environ["LLMCOURSE_LOCAL_URL"]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(CACHE.parent / "local-server.log", "w") if CACHE.parent.exists() else subprocess.DEVNULL
    _server = subprocess.Popen(
        [sys.executable, "-m", "llmcourse.local.server", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _server.poll() is not None:
            raise RuntimeError(
                f"the local model server exited with code {_server.returncode}; see .cache/local-server.log"
            )
        try:
            if requests.get(url + "/v1/models", timeout=1).ok:
                os.environ["LLMCOURSE_LOCAL_URL"] = url
                return url
        except requests.RequestException:
            time.sleep(0.2)
    stop_local_server()
    raise RuntimeError(f"the local model server did not answer within {timeout:.0f} s")


def stop_local_server() -> None:
    """Stop the server started by `start_local_server` (if any), and a shared one a test may have started."""
    global _server
    if (CACHE / "user-cache" / "local-server.json").exists():
        from llmcourse.local.shared import stop

        stop()
    if _server is not None:
        _server.terminate()
        try:
            _server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _server.kill()
        _server = None
    os.environ.pop("LLMCOURSE_LOCAL_URL", None)
