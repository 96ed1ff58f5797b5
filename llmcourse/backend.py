"""Decide which backend answers each SDK, and point the SDKs at it before they read the environment.

A real key or a running Ollama always wins. Without them (or with `LLMCOURSE_OFFLINE=1`) the SDKs
are pointed at the embedded local model through the variables they read themselves:
`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL` and `OLLAMA_HOST`. Call `setup()` in a notebook's first
code cell, before `import ollama` (the ollama package reads `OLLAMA_HOST` at import).

Example:
    >>> from llmcourse import setup
    >>> backend = setup()                                     # doctest: +SKIP
    OpenAI SDK -> local model (no OPENAI_API_KEY) ...
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME

__all__ = ["Backends", "setup", "ollama_running", "offline_requested"]


@dataclass
class Backends:
    """Where each SDK's calls go after `setup()`: a short description per SDK."""

    openai: str
    anthropic: str
    ollama: str
    local_url: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def uses_local_model(self) -> bool:
        """True when at least one SDK answers from the embedded local model."""
        return self.local_url is not None

    def __str__(self) -> str:
        lines = [
            f"OpenAI SDK    -> {self.openai}",
            f"Anthropic SDK -> {self.anthropic}",
            f"Ollama        -> {self.ollama}",
        ]
        return "\n".join(lines + self.notes)


def offline_requested() -> bool:
    """True when `LLMCOURSE_OFFLINE` is set to 1/true/yes (tests, or a learner who wants no API calls).

    Example:
        >>> offline_requested() in (True, False)
        True
    """
    return os.environ.get("LLMCOURSE_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _ollama_url() -> str:
    host = os.environ.get("OLLAMA_HOST", "").strip() or "127.0.0.1:11434"
    if not host.startswith(("http://", "https://")):
        host = "http://" + (host if not host.startswith(":") else "127.0.0.1" + host)
    return host.rstrip("/")


def ollama_running(timeout: float = 0.5) -> bool:
    """True when an Ollama server answers at `OLLAMA_HOST` (default 127.0.0.1:11434).

    Example:
        >>> ollama_running() in (True, False)
        True
    """
    import requests

    try:
        response = requests.get(_ollama_url() + "/api/tags", timeout=timeout)
    except requests.RequestException:
        return False
    return response.ok


def _real_key(name: str) -> bool:
    from llmcourse.keys import is_placeholder

    value = os.environ.get(name, "").strip()
    return bool(value) and value != LOCAL_API_KEY and not is_placeholder(value)


def setup(*, verbose: bool = True, offline: bool | None = None) -> Backends:
    """Load keys, start the local model if some SDK needs it, and say who answers.

    Keys come from `.env` (searched from the current folder upward), Colab secrets and the
    environment. `offline=True` (or `LLMCOURSE_OFFLINE=1`) sends every SDK to the local model.

    Example:
        >>> backend = setup(offline=True)                     # doctest: +SKIP
        >>> backend.uses_local_model                          # doctest: +SKIP
        True
    """
    if offline is None:
        offline = offline_requested()
    if not offline:
        from llmcourse.keys import load_keys

        load_keys()

    use_local_openai = offline or not _real_key("OPENAI_API_KEY")
    use_local_anthropic = offline or not _real_key("ANTHROPIC_API_KEY")
    use_local_ollama = offline or not ollama_running()
    if "ollama" in sys.modules and use_local_ollama:
        note = ("Note: `ollama` was imported before setup(), so its default client keeps the old address. "
                "Restart the kernel and run this cell first.")
    else:
        note = None

    local_url = None
    if use_local_openai or use_local_anthropic or use_local_ollama:
        from llmcourse.local import start

        local_url = start().url

    here = f"local model {LOCAL_MODEL_NAME} at {local_url}"
    if use_local_openai:
        os.environ["OPENAI_BASE_URL"] = f"{local_url}/v1"
        os.environ["OPENAI_API_KEY"] = LOCAL_API_KEY
        openai_desc = here + ("" if offline else " (no OPENAI_API_KEY)")
    else:
        openai_desc = os.environ.get("OPENAI_BASE_URL") or "api.openai.com (your OPENAI_API_KEY)"
    if use_local_anthropic:
        os.environ["ANTHROPIC_BASE_URL"] = local_url
        os.environ["ANTHROPIC_API_KEY"] = LOCAL_API_KEY
        anthropic_desc = here + ("" if offline else " (no ANTHROPIC_API_KEY)")
    else:
        anthropic_desc = os.environ.get("ANTHROPIC_BASE_URL") or "api.anthropic.com (your ANTHROPIC_API_KEY)"
    if use_local_ollama:
        os.environ["OLLAMA_HOST"] = local_url
        ollama_desc = here + ("" if offline else " (Ollama is not running)")
    else:
        ollama_desc = f"Ollama at {_ollama_url()}"

    backends = Backends(openai_desc, anthropic_desc, ollama_desc, local_url)
    if local_url:
        backends.notes.append(
            "Answers marked 'local' come from the small embedded model: fine for learning the APIs, "
            "weak at jokes, lists and reasoning. Add keys to .env for the real models."
        )
    if note:
        backends.notes.append(note)
    if verbose:
        print(backends)
    return backends
