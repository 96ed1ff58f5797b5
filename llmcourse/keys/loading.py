"""Loading keys into the environment: the `.env` file, then Colab secrets; never over a variable already set.

Example:
    >>> from llmcourse.keys.loading import colab_secret_advice
    >>> colab_secret_advice("OPENAI_API_KEY")[:40]
    "add OPENAI_API_KEY in Colab's secrets (k"
"""

from __future__ import annotations

import os
import sys

from llmcourse.env import on_colab
from llmcourse.keys.envfiles import file_values, find_env_file
from llmcourse.keys.lint import is_placeholder
from llmcourse.keys.masking import remember_secrets
from llmcourse.keys.routes import routing_refusal
from llmcourse.keys.specs import key_variables

__all__ = ["colab_secret_advice", "load_keys", "load_with_sources"]

# Why a variable could not be read from Colab secrets by the last load: "missing", "no access" or "no Colab UI".
_COLAB_PROBLEMS: dict[str, str] = {}


def _colab_secret(name: str) -> str | None:
    """A Colab secret's value, or None; records in `_COLAB_PROBLEMS` why it could not be read.

    `google.colab.userdata.get` raises SecretNotFoundError (no such secret), NotebookAccessError
    (the secret exists but this notebook was not given access) or TimeoutException (no Colab page
    to ask, e.g. a notebook run from a script).
    """
    try:
        userdata = sys.modules.get("google.colab.userdata")
        if userdata is None:
            from google.colab import userdata  # type: ignore[no-redef]
    except ImportError:
        return None
    try:
        value = userdata.get(name)
    except Exception as error:  # noqa: BLE001 - a secret we cannot read is never a reason to fail
        kind = type(error).__name__
        _COLAB_PROBLEMS[name] = {"NotebookAccessError": "no access", "TimeoutException": "no Colab UI"}.get(
            kind, "missing"
        )
        return None
    if not value:
        _COLAB_PROBLEMS[name] = "missing"
    return value or None


def colab_secret_advice(variable: str) -> str:
    """What to do so that `variable` comes from Colab's secrets, given why the last `load_keys()` missed it.

    Example:
        >>> colab_secret_advice("OPENAI_API_KEY")[:40]
        "add OPENAI_API_KEY in Colab's secrets (k"
    """
    problem = _COLAB_PROBLEMS.get(variable, "missing")
    if problem == "no access":
        return (
            f"{variable} is in Colab's secrets, but this notebook has no access to it (NotebookAccessError): "
            "open the key icon on the left, switch on 'Notebook access' for it, rerun this cell"
        )
    if problem == "no Colab UI":
        return (
            f"Colab's secrets could not be asked for {variable} (TimeoutException: they can only be read from "
            "the Colab page): run the notebook in Colab's browser tab, or set the variable in the environment"
        )
    return f"add {variable} in Colab's secrets (key icon on the left), give this notebook access, rerun this cell"


def _is_set(name: str) -> bool:
    return bool(os.environ.get(name, "").strip())


# Variables this process took from Colab secrets (so later reports can say where a key came from).


_FROM_COLAB: dict[str, str] = {}


def load_with_sources(start: str | os.PathLike | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Load .env and Colab secrets into os.environ; return (name -> value, name -> source).

    A source is the .env path, "Colab secrets" or "environment". `load_keys` returns the first half.

    Example:
        >>> values, sources = load_with_sources()                  # doctest: +SKIP
        >>> sources["OPENAI_API_KEY"]                              # doctest: +SKIP
        '/home/me/llm-engineering/.env'
    """
    env_file = find_env_file(start)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, value in file_values(env_file).items():
        # A placeholder left from .env.example is not a key: leave it out so setup() picks the local model.
        if _is_set(name) or not value.strip() or (name in key_variables() and is_placeholder(value)):
            continue
        if routing_refusal(name, value, env_file):
            continue  # a .env may not send keys to another computer (env_file_problems says so)
        os.environ[name] = value
        values[name], sources[name] = value, str(env_file)
    if on_colab():
        _COLAB_PROBLEMS.clear()
        for name in key_variables():
            if _is_set(name):
                continue
            if "no Colab UI" in _COLAB_PROBLEMS.values():  # each request waits 10 s: ask once, not per key
                _COLAB_PROBLEMS[name] = "no Colab UI"
                continue
            secret = _colab_secret(name)
            if secret:
                os.environ[name] = secret
                _FROM_COLAB[name] = secret
    for name in key_variables():
        if name not in values and _is_set(name):
            from_colab = _FROM_COLAB.get(name) == os.environ[name]
            values[name], sources[name] = os.environ[name], "Colab secrets" if from_colab else "environment"
    remember_secrets(value for name, value in values.items() if name in key_variables())
    return values, sources


def load_keys(start: str | os.PathLike | None = None) -> dict[str, str]:
    """Load keys from `.env` (searched from `start`, default the current folder, upward), Colab secrets and the environment.

    A variable already set in the environment is never overridden. Placeholders copied from
    `.env.example` are not loaded. Returns name -> value of what was found: never print the values.

    Example:
        >>> keys = load_keys()                                   # doctest: +SKIP
        >>> sorted(keys)                                         # doctest: +SKIP
        ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']
    """
    return load_with_sources(start)[0]
