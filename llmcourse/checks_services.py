"""Checks of what the course talks to: provider endpoints, Ollama, the local model, the models each account has,
and one small live call. Part of `llmcourse doctor` (see `llmcourse.diagnostics`).

Example:
    >>> check_local_model().status in ("ok", "info", "warn", "fail", "skip")   # doctest: +SKIP
    True
"""

from __future__ import annotations

from urllib.parse import urlsplit

from llmcourse.checkreport import LIVE_CALL, LOCAL_MODEL, Check, CheckList
from llmcourse.env import OLLAMA_DEFAULT
from llmcourse.models import ModelReport
from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_PREFIX, MODELS

__all__ = [
    "check_endpoints",
    "check_live_call",
    "check_local_model",
    "check_models",
    "check_ollama",
    "model_report",
]


def _configured_providers() -> list[str]:
    from llmcourse.clients import key_value
    from llmcourse.providers import PROVIDERS

    names = []
    for provider in PROVIDERS.values():
        if not provider.key_vars or provider.name == "anthropic_openai":
            continue
        _, value = key_value(provider)
        if value and value != LOCAL_API_KEY:
            names.append(provider.name)
    return names


def check_endpoints(timeout: float = 3.0, *, urls: dict[str, str] | None = None) -> CheckList:
    """Can this computer reach each configured provider (a key is set)? One short HEAD request each.

    Offline mode (LLMCOURSE_OFFLINE=1) contacts no real host. `urls` (name -> address) replaces
    the providers' addresses, e.g. with a test server.

    Example:
        >>> check_endpoints(urls={})[0].status                   # doctest: +SKIP
        'skip'
    """
    import requests

    from llmcourse.env import is_loopback, offline_requested
    from llmcourse.keys import explain_network_error
    from llmcourse.providers import PROVIDERS

    targets = urls if urls is not None else {name: PROVIDERS[name].endpoint or "" for name in _configured_providers()}
    checks = CheckList()
    if not targets:
        checks.append(Check("endpoints", "skip", "no provider key is set, so no provider to reach"))
        return checks
    for name, url in targets.items():
        label = PROVIDERS[name].label if name in PROVIDERS else name
        host = urlsplit(url).netloc
        if offline_requested() and not is_loopback(url):
            checks.append(Check(f"reach {label}", "skip", f"offline mode (LLMCOURSE_OFFLINE=1): {host} not contacted"))
            continue
        try:
            response = requests.head(url, timeout=timeout, allow_redirects=False)
        except requests.RequestException as error:
            checks.append(
                Check(
                    f"reach {label}",
                    "fail",
                    f"{host} is not reachable",
                    explain_network_error(label, url, error, timeout),
                )
            )
            continue
        checks.append(Check(f"reach {label}", "ok", f"{host} answered (HTTP {response.status_code})"))
    return checks


def check_ollama() -> Check:
    """Is Ollama running? (It is optional: the local model stands in for it.)

    Example:
        >>> check_ollama().name
        'Ollama'
    """
    from llmcourse.clients import ollama_is_local, ollama_running
    from llmcourse.env import ollama_url

    name = "Ollama"
    fix = (
        "Install Ollama from https://ollama.com/download, start it (`ollama serve` or the app), then "
        f"`ollama pull {MODELS['ollama']}`. Optional: without it the local model answers ollama calls."
    )
    if ollama_is_local():
        import requests

        default = OLLAMA_DEFAULT
        try:
            real = requests.get(default + "/api/tags", timeout=0.5).ok
        except requests.RequestException:
            real = False
        if real:
            return Check(
                name, "ok", f"Ollama runs at {default}; OLLAMA_HOST points at the local model ({ollama_url()})"
            )
        return Check(
            name,
            "info",
            f"Ollama is not running at {default}; setup() pointed the ollama SDK at the local model ({ollama_url()})",
            fix,
        )
    if ollama_running():
        return Check(
            name,
            "ok",
            f"Ollama answers at {ollama_url()}; the course uses {MODELS['ollama']} "
            f"(`ollama pull {MODELS['ollama']}` if it is not downloaded yet)",
        )
    return Check(name, "info", f"Ollama is not running at {ollama_url()} (optional)", fix)


def check_local_model() -> Check:
    """Is the embedded local model (llama-cpp-python + the SmolLM2 file) installed?

    Example:
        >>> check_local_model().name
        'local model'
    """
    name = LOCAL_MODEL
    fix = (
        'Run `pip install -e ".[local]"` in the course folder (llama-cpp-python compiles for a few minutes), '
        "or use the conda route, which has it prebuilt."
    )
    try:
        from llmcourse.local import gguf_path, is_installed
    except ImportError as error:
        return Check(name, "warn", f"the local model package cannot be imported ({error})", fix)
    if is_installed():
        return Check(name, "ok", f"installed: {gguf_path()}")
    try:
        gguf_path()
        missing = "llama-cpp-python is missing"
    except FileNotFoundError as error:
        missing = str(error)
    return Check(name, "warn", f"not installed: {missing}", fix)


_LIVE_ORDER = ("openai", "anthropic", "gemini", "deepseek", "qwen", "zhipu", "qianfan", "ollama", "local")


def _best_provider() -> str:
    from llmcourse.clients import available
    from llmcourse.env import offline_requested

    if offline_requested():
        return "local"
    rows = available()
    for name in _LIVE_ORDER:
        row = rows[name]
        if row.usable and "local model" not in row.reason:
            return name
    return "local"


def _call(name: str, timeout: float) -> str:
    """Send one tiny request through the provider's SDK; return the reply's model name and text."""
    from llmcourse.clients import client
    from llmcourse.providers import PROVIDERS

    provider = PROVIDERS[name]
    # A question with one short right answer: even the small local model gets it, so nonsense stands out.
    messages = [{"role": "user", "content": "What is the capital of France? Answer with the city name only."}]
    if provider.sdk == "anthropic":
        reply = client(name, timeout=timeout, max_retries=0).messages.create(
            model=provider.default_model, max_tokens=16, messages=messages
        )
        text = "".join(getattr(block, "text", "") for block in reply.content)
        return f"{reply.model}: {text.strip()[:60]!r}"
    if provider.sdk == "ollama":
        reply = client(name, timeout=timeout).chat(model=provider.default_model, messages=messages)
        return f"{reply.model}: {reply.message.content.strip()[:60]!r}"
    # OpenAI's own models (GPT-5 and later) refuse `max_tokens`; OpenAI-compatible APIs take it.
    limit = {"max_completion_tokens" if name == "openai" else "max_tokens": 16}
    reply = client(name, timeout=timeout, max_retries=0).chat.completions.create(
        model=provider.default_model, messages=messages, **limit
    )
    return f"{reply.model}: {(reply.choices[0].message.content or '').strip()[:60]!r}"


def _explain_call_error(name: str, error: Exception, timeout: float) -> str:
    from llmcourse.keys import explain_sdk_error
    from llmcourse.providers import PROVIDERS
    from llmcourse.retired import explain_model_error

    retired = explain_model_error(error)
    if retired:
        return retired
    provider = PROVIDERS[name]
    answered = isinstance(getattr(error, "status_code", None), int)  # an HTTP status is explained below
    if provider.sdk == "ollama" and not answered and "not found" in str(error).lower():
        return f"Ollama does not have {provider.default_model}: run `ollama pull {provider.default_model}`."
    explained = explain_sdk_error(
        provider.label,
        error,
        provider.keys_url,
        provider.key_var,
        url=provider.endpoint or "the local server",
        timeout=timeout,
    )
    return explained or f"{type(error).__name__}: {str(error)[:200]}"


def check_live_call(provider: str | None = None, *, timeout: float = 60.0) -> Check:
    """One real request to the best available provider (a key first, then Ollama, then the local model).

    In offline mode (LLMCOURSE_OFFLINE=1) it is the local model through the OpenAI SDK. Costs a
    fraction of a cent with a paid key (16 output tokens): "What is the capital of France?".

    Example:
        >>> check_live_call().status                             # doctest: +SKIP
        'ok'
    """
    name = provider or _best_provider()
    from llmcourse.providers import PROVIDERS

    label = PROVIDERS[name].label
    try:
        answer = _call(name, timeout)
    except Exception as error:  # noqa: BLE001 (any SDK error becomes a failed check with its fix)
        from llmcourse.clients import MissingKeyError

        fix = (
            str(error)
            if isinstance(error, (MissingKeyError, ModuleNotFoundError))
            else _explain_call_error(name, error, timeout)
        )
        return Check(f"{LIVE_CALL} ({label})", "fail", f"{label} did not answer", fix)
    stand_in = " (the local model stands in)" if answer.startswith(LOCAL_MODEL_PREFIX) and name != "local" else ""
    return Check(
        f"{LIVE_CALL} ({label})", "ok", f"{label} answered through the {PROVIDERS[name].sdk} SDK{stand_in}: {answer}"
    )


def model_report(*, timeout: float | None = None) -> ModelReport:
    """For each provider with a key: the course's default model, whether your account has it, and what the
    course uses instead when it does not (a table in Jupyter). Asks each provider's model list once
    (cached a day); offline or with no key it asks nobody and says so.

    Example:
        >>> print(model_report())                                # doctest: +SKIP
        entry   default  available?  the course uses  why
        openai  model-a  no          model-b          model-a is not in your account list
    """
    from llmcourse.models import resolve_models

    return resolve_models(verbose=False, apply=False, timeout=timeout)


def check_models(*, timeout: float | None = None, report: ModelReport | None = None) -> CheckList:
    """`model_report()` as checks: ok when the default is in your account, warn when another model stands in.

    Example:
        >>> [check.status for check in check_models()]           # doctest: +SKIP
        ['ok', 'ok']
    """
    report = model_report(timeout=timeout) if report is None else report
    if not report:
        return CheckList([Check("models", "skip", report.EMPTY)])
    checks = CheckList()
    for choice in report:
        name = f"model {choice.entry}"
        if choice.available:
            checks.append(Check(name, "ok", f"{choice.chosen} is in your account"))
        elif choice.available is None:
            checks.append(
                Check(
                    name,
                    "warn",
                    f"could not check {choice.preferred} ({choice.reason}); the course uses it",
                    "Run `llmcourse doctor --live` again when the network works.",
                )
            )
        elif choice.changed:
            checks.append(
                Check(name, "ok", f"{choice.preferred} is not in your account: the course uses {choice.chosen}")
            )
        else:
            checks.append(
                Check(
                    name,
                    "warn",
                    f"{choice.preferred} and its alternatives are not in your account",
                    f"Ask the provider for access, or set llmcourse.settings.MODELS[{choice.entry!r}] "
                    "to a model your account lists.",
                )
            )
    return checks
