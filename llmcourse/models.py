"""Resolve `settings.MODEL_CHOICES` against the models your account really has (listed once a day, cached).

Providers retire model names every few months. The course keeps a newest-first preference list per
entry of `settings.MODELS` (`MODEL_CHOICES`). When a real key is present, `resolve_models()` (called
by `llmcourse.setup()`) lists the account's models once per provider (OpenAI-compatible `/models`,
Anthropic's models API, Ollama's `/api/tags`), caches the list for a day in the user's cache folder,
and sets each `MODELS` entry to the first preferred model the account has. A network failure or a
2-second timeout keeps the first preference; offline mode and the local model list nothing.

`llmcourse.retired.explain_model_error(error)` turns an SDK's "model not found" error into one
sentence naming the replacement.

Example:
    >>> from llmcourse.models import choose
    >>> choose(["model-b", "model-a"], {"model-a", "model-z"})
    'model-a'
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from llmcourse.env import CACHE_ENV, cache_dir, offline_requested  # the model lists live in the user cache
from llmcourse.errors import LLMCourseError
from llmcourse.htmltable import html_table, markdown_table, markdown_text
from llmcourse.keys import explain_sdk_error, is_network_error, is_placeholder
from llmcourse.providers import PROVIDERS
from llmcourse.retired import normalise_model_name
from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME, MODEL_CHOICES, MODEL_PROVIDER, MODELS

__all__ = [
    "CACHE_ENV",
    "CACHE_SECONDS",
    "LISTED_PROVIDERS",
    "TIMEOUT_SECONDS",
    "ModelChoice",
    "ModelListError",
    "ModelReport",
    "cache_dir",
    "choose",
    "list_models",
    "resolve_models",
]

# How long a listed model list stays fresh.
CACHE_SECONDS = 24 * 3600
# How long one listing may take before the course keeps its defaults.
TIMEOUT_SECONDS = 2.0
# Providers whose model list can be read (Replicate has no such list; the local model is not an account).
LISTED_PROVIDERS = (
    "openai",
    "anthropic",
    "gemini",
    "deepseek",
    "zhipu",
    "qwen",
    "qianfan",
    "ollama",
    "openrouter",
    "groq",
    "xai",
)

# Where each SDK goes when no base URL is set, and the variable that changes it.
_SDK_BASE_VARS = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL", "ollama": "OLLAMA_HOST"}


class ModelListError(LLMCourseError, RuntimeError):
    """Listing a provider's models failed; `kind` is "auth", "network" or "other" and `advice` says what to do.

    Example:
        >>> error = ModelListError("openai", "auth", "OpenAI refused the key (401)", "Create a new key.")
        >>> error.kind, str(error)
        ('auth', 'openai: OpenAI refused the key (401). Create a new key.')
    """

    def __init__(self, provider: str, kind: str, detail: str, advice: str = "") -> None:
        super().__init__(f"{provider}: {detail}" + (f". {advice}" if advice else ""))
        self.provider = provider
        self.kind = kind
        self.detail = detail
        self.advice = advice


@dataclass
class ModelChoice:
    """What the course uses for one `MODELS` entry, and why.

    `available` is True/False when the account's list was read, None when it was not (no key,
    offline, network failure).

    Example:
        >>> ModelChoice("openai", "openai", "model-b", "model-b", True, "in your account").changed
        False
    """

    entry: str
    provider: str
    preferred: str
    chosen: str
    available: bool | None
    reason: str

    @property
    def changed(self) -> bool:
        """True when the course uses another model than the first preference."""
        return self.chosen != self.preferred


class ModelReport(list):
    """A list of `ModelChoice`s that prints as a table (and renders as one in Jupyter: HTML or Markdown).

    Example:
        >>> print(ModelReport([ModelChoice("openai", "openai", "a", "b", False, "a is not in your account")]))
        entry   default  available?  the course uses  why
        openai  a        no          b                a is not in your account
    """

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """(entry, default, available?, the course uses, why) for each choice."""
        marks = {True: "yes", False: "no", None: "not checked"}
        return [(c.entry, c.preferred, marks[c.available], c.chosen, c.reason) for c in self]

    HEADERS = ("entry", "default", "available?", "the course uses", "why")
    EMPTY = (
        "No account was asked (no provider key, or offline mode): the course uses the defaults in "
        "llmcourse.settings.MODELS."
    )

    def __str__(self) -> str:
        if not self:
            return self.EMPTY
        rows = [self.HEADERS, *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join(
            "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4] for row in rows
        )

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        if not self:
            return f"<p>{html.escape(self.EMPTY)}</p>"
        return html_table(self.HEADERS, self.rows())

    def _repr_markdown_(self) -> str:
        return markdown_table(self.HEADERS, self.rows()) if self else markdown_text(self.EMPTY)


def choose(preferences: Iterable[str], available: Iterable[str]) -> str | None:
    """The first of `preferences` that `available` holds (Ollama's `name` also matches `name:latest`).

    Example:
        >>> choose(["model:4b", "model"], ["model:latest", "other:latest"])
        'model'
        >>> choose(["a"], ["b"]) is None
        True
    """
    names = {normalise_model_name(name) for name in available}
    for model in preferences:
        if normalise_model_name(model) in names:
            return model
    return None


def _cache_file(provider: str, endpoint: str, key: str | None) -> Path:
    # A short one-way digest tells accounts apart; the key itself is never written anywhere.
    digest = hashlib.sha256(f"{endpoint}\n{key or ''}".encode()).hexdigest()[:16]
    return cache_dir() / f"models-{provider}-{digest}.json"


def _read_cache(path: Path, now: float) -> list[str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fetched = data.get("fetched_at") if isinstance(data, dict) else None
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(fetched, (int, float)) or not isinstance(models, list) or not 0 <= now - fetched < CACHE_SECONDS:
        return None
    return [str(name) for name in models]


def _write_cache(path: Path, models: list[str], now: float) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"fetched_at": now, "models": models}), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        pass  # a read-only home folder only costs a second listing tomorrow


def _real_key(provider_name: str) -> str | None:
    """The provider's own key when it is a real one (not missing, a placeholder or the local stand-in)."""
    for variable in PROVIDERS[provider_name].key_vars:
        value = os.environ.get(variable, "").strip()
        if value:
            return None if value == LOCAL_API_KEY or is_placeholder(value) else value
    return None


def _endpoint(provider_name: str) -> str:
    provider = PROVIDERS[provider_name]
    variable = _SDK_BASE_VARS.get(provider_name)
    configured = os.environ.get(variable, "").strip() if variable else ""
    address = configured or provider.endpoint or ""
    if provider_name == "ollama" and address and not address.startswith(("http://", "https://")):
        address = "http://" + address
    return address.rstrip("/")


def _offline() -> bool:
    return offline_requested()


def _fetch(provider_name: str, endpoint: str, key: str | None, timeout: float) -> list[str]:
    """Ask the provider's own SDK for the account's model ids (no retries, `timeout` seconds)."""
    sdk = PROVIDERS[provider_name].sdk
    if sdk == "ollama":
        import ollama

        listing = ollama.Client(host=endpoint, timeout=timeout).list()
        return [str(getattr(m, "model", None) or getattr(m, "name", "")) for m in listing.models]
    if sdk == "anthropic":
        import anthropic

        claude = anthropic.Anthropic(api_key=key, base_url=endpoint, timeout=timeout, max_retries=0)
        return [m.id for m in claude.models.list(limit=1000)]
    import openai

    gpt = openai.OpenAI(api_key=key, base_url=endpoint, timeout=timeout, max_retries=0)
    return [m.id for m in gpt.models.list()]


def _list_error(provider_name: str, error: Exception, endpoint: str, timeout: float) -> ModelListError:
    """A short `detail` (what happened, for the report's table) and, from `llmcourse.keys.explain`, `advice`."""
    provider = PROVIDERS[provider_name]
    if isinstance(error, ImportError):
        return ModelListError(
            provider_name, "other", f"the {provider.sdk} package is not installed", f"Run `pip install {provider.sdk}`."
        )
    label = provider.label
    status = getattr(error, "status_code", None)
    if status in (401, 403):
        kind, detail = "auth", f"{label} refused the key ({status})"
    elif isinstance(status, int):
        kind, detail = "other", f"{label} answered {status} to the model list"
    elif is_network_error(error):
        timed_out = "Timeout" in type(error).__name__
        kind, detail = (
            "network",
            f"{label} did not answer within {timeout:g} s" if timed_out else f"{label} could not be reached",
        )
    else:
        kind, detail = "other", f"{label}: {type(error).__name__}"
    advice = explain_sdk_error(label, error, provider.keys_url, provider.key_var, url=endpoint, timeout=timeout)
    return ModelListError(provider_name, kind, detail, advice or "")


def list_models(
    provider: str,
    *,
    endpoint: str | None = None,
    api_key: str | None = None,
    timeout: float | None = None,
    refresh: bool = False,
    clock: Callable[[], float] = time.time,
) -> list[str]:
    """The model ids the account behind `provider`'s key can use, from a one-day cache or one request.

    The key and address are the provider's own (from the environment) unless given. Raises
    `ModelListError` (kind "auth", "network" or "other") when the list cannot be read.

    Example:
        >>> MODELS["openai"] in list_models("openai")              # doctest: +SKIP
        True
    """
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    key = api_key if api_key is not None else (None if provider == "ollama" else _real_key(provider))
    address = (endpoint or _endpoint(provider)).rstrip("/")
    path = _cache_file(provider, address, key)
    now = clock()
    if not refresh:
        cached = _read_cache(path, now)
        if cached is not None:
            return cached
    try:
        models = _fetch(provider, address, key, timeout)
    except Exception as error:
        raise _list_error(provider, error, address, timeout) from error
    if LOCAL_MODEL_NAME not in models:  # the embedded server is not an account: never cache it
        _write_cache(path, models, now)
    return models


def resolve_models(
    *,
    verbose: bool = True,
    timeout: float | None = None,
    refresh: bool = False,
    endpoints: dict[str, str] | None = None,
    apply: bool = True,
    clock: Callable[[], float] = time.time,
) -> ModelReport:
    """Set each `MODELS` entry to the first model of its `MODEL_CHOICES` that the account has.

    Only providers with a real key (and a running Ollama) are asked, once each; offline mode asks
    nobody. On failure the first preference stays. Prints one line per change (and per failure)
    when `verbose`. `apply=False` only reports. Never raises.

    Example:
        >>> report = resolve_models(verbose=False)                 # doctest: +SKIP
        >>> {c.entry: c.chosen for c in report}["openai"] in MODEL_CHOICES["openai"]  # doctest: +SKIP
        True
    """
    report = ModelReport()
    timeout = TIMEOUT_SECONDS if timeout is None else timeout
    try:
        _resolve(
            report,
            verbose=verbose,
            timeout=timeout,
            refresh=refresh,
            endpoints=endpoints or {},
            apply=apply,
            clock=clock,
        )
    except Exception as error:  # noqa: BLE001 - choosing a model must never break setup()
        if verbose:
            print(f"Model check skipped ({type(error).__name__}); using the course defaults.")
    return report


def _resolve(
    report: ModelReport,
    *,
    verbose: bool,
    timeout: float,
    refresh: bool,
    endpoints: dict[str, str],
    apply: bool,
    clock: Callable[[], float],
) -> None:
    if _offline():
        return
    entries = [
        (entry, provider)
        for entry, provider in MODEL_PROVIDER.items()
        if provider in LISTED_PROVIDERS and provider in PROVIDERS and entry in MODEL_CHOICES
    ]
    providers = list(dict.fromkeys(provider for _, provider in entries))
    # All providers at once: a slow one costs `timeout` seconds in total, not once per provider.
    with ThreadPoolExecutor(max_workers=max(1, len(providers))) as pool:
        futures = {
            name: pool.submit(_listing, name, endpoints.get(name), timeout, refresh, clock) for name in providers
        }
        lists = {name: future.result() for name, future in futures.items()}
    for name, listing in lists.items():
        if verbose and isinstance(listing, ModelListError):
            advice = f" {listing.advice}" if listing.advice else ""
            print(f"Could not list the {name} models ({listing.detail}).{advice} Using the course defaults for {name}.")
    for entry, provider in entries:
        listing = lists[provider]
        preferences = MODEL_CHOICES[entry]
        if listing is None or (not isinstance(listing, ModelListError) and LOCAL_MODEL_NAME in listing):
            continue  # nothing to ask, or Ollama's address is the embedded server (it answers every name)
        if isinstance(listing, ModelListError):
            choice = ModelChoice(entry, provider, preferences[0], preferences[0], None, listing.detail)
        else:
            found = choose(preferences, listing)
            if found is None:
                choice = ModelChoice(
                    entry,
                    provider,
                    preferences[0],
                    preferences[0],
                    False,
                    "none of the course's choices is in your account list",
                )
            elif found == preferences[0]:
                choice = ModelChoice(entry, provider, preferences[0], found, True, "in your account")
            else:
                choice = ModelChoice(
                    entry, provider, preferences[0], found, False, f"{preferences[0]} is not in your account list"
                )
        report.append(choice)
        if apply:
            _apply(entry, choice.chosen)
        if verbose and choice.changed:
            print(f"MODELS[{entry!r}] = {choice.chosen!r} ({choice.reason}).")
        elif verbose and choice.available is False:
            print(
                f"MODELS[{entry!r}] stays {choice.chosen!r}, but none of the course's choices for it is in your "
                "account list: ask the provider for access if a call fails."
            )


def _listing(
    provider: str, endpoint: str | None, timeout: float, refresh: bool, clock: Callable[[], float]
) -> list[str] | ModelListError | None:
    """The account's list, a ModelListError, or None when there is nothing to ask (no key, Ollama absent)."""
    if provider == "ollama":
        try:
            return list_models(provider, endpoint=endpoint, timeout=timeout, refresh=refresh, clock=clock)
        except ModelListError:
            return None  # no Ollama here (or no ollama package): nothing to choose, nothing to say
    if _real_key(provider) is None:
        return None
    try:
        return list_models(provider, endpoint=endpoint, timeout=timeout, refresh=refresh, clock=clock)
    except ModelListError as error:
        return error


def _apply(entry: str, model: str) -> None:
    """Point `MODELS[entry]` (and the provider table rows that read it) at `model`."""
    if MODELS.get(entry) == model:
        return
    MODELS[entry] = model
    for name, row in list(PROVIDERS.items()):
        source = "anthropic" if name == "anthropic_openai" else name
        if source == entry and row.default_model != model:
            PROVIDERS[name] = dataclasses.replace(row, default_model=model)
