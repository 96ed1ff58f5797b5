"""Where keys go: which variables move an SDK's address, which of them a `.env` may set, and `key_routes()`.

A `.env` may point an SDK at another address (OPENAI_BASE_URL, HTTPS_PROXY...) only when that
address is this computer, or when the real environment says LLMCOURSE_ALLOW_BASE_URL=1.

Example:
    >>> from llmcourse.keys.routes import is_routing_variable
    >>> is_routing_variable("HF_ENDPOINT")
    True
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["ALLOW_BASE_URL_VARIABLE", "KeyRoute", "is_routing_variable", "key_routes", "routing_refusal"]

ALLOW_BASE_URL_VARIABLE = "LLMCOURSE_ALLOW_BASE_URL"
"""Set to 1 in the real environment (never in .env) to let a .env point SDKs at an address other than this computer."""

_ROUTING_NAMES = frozenset(
    {"OLLAMA_HOST", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "WS_PROXY", "WSS_PROXY", ALLOW_BASE_URL_VARIABLE}
)
_ROUTING_SUFFIXES = ("_BASE_URL", "_API_BASE", "_ENDPOINT", "_API_URL")
_SAFE_NETLOC = re.compile(r"[A-Za-z0-9.:\[\]_-]+")


def is_routing_variable(name: str) -> bool:
    """True for a variable that decides where an SDK sends its requests, and so its key: base URLs, endpoints,
    proxies (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, HF_ENDPOINT, OLLAMA_HOST, HTTPS_PROXY...).

    Example:
        >>> is_routing_variable("OPENAI_BASE_URL"), is_routing_variable("https_proxy")
        (True, True)
        >>> is_routing_variable("OPENAI_API_KEY")
        False
    """
    upper = name.upper()
    return upper in _ROUTING_NAMES or upper.endswith(_ROUTING_SUFFIXES)


def _address_host(value: str) -> str | None:
    """The host a base URL / proxy / OLLAMA_HOST value points at, or None when it is not a plain address."""
    text = value.strip()
    if "://" not in text:
        text = "http://" + text  # OLLAMA_HOST=127.0.0.1:11434, HTTPS_PROXY=proxy:3128
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    netloc = parts.netloc.rpartition("@")[2]
    if not netloc or not _SAFE_NETLOC.fullmatch(netloc) or "@" in parts.netloc or not parts.hostname:
        return None  # user@host, backslashes, %-escapes, spaces: parsers disagree on where such a host ends
    return parts.hostname


def _is_this_computer(value: str) -> bool:
    host = _address_host(value)
    if host is None:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _routing_opt_in() -> bool:
    return os.environ.get(ALLOW_BASE_URL_VARIABLE, "").strip().lower() in ("1", "true", "yes")


def routing_refusal(name: str, value: str, env_file: Path | None) -> str | None:
    """Why a routing variable from a .env file is not loaded (None when it may be).

    Example:
        >>> routing_refusal("OPENAI_BASE_URL", "http://127.0.0.1:8800/v1", None) is None
        True
        >>> routing_refusal("OPENAI_BASE_URL", "https://example.com/v1", None)[:45]
        'OPENAI_BASE_URL in .env points at example.com'
    """
    if not is_routing_variable(name) or not value.strip():
        return None
    where = str(env_file) if env_file else ".env"
    if name.upper() == ALLOW_BASE_URL_VARIABLE:
        return (
            f"{name} is set in {where}, where it has no effect: a .env file cannot allow itself to send "
            "keys elsewhere. Set it in your shell's environment if you mean it."
        )
    if _is_this_computer(value) or _routing_opt_in():
        return None
    host = _address_host(value) or "an address that is not a plain host name"
    return (
        f"{name} in {where} points at {host}, not at this computer, so it was not loaded: an SDK would "
        f"send your API key there. If you really use that address (a company gateway or proxy), set "
        f"{ALLOW_BASE_URL_VARIABLE}=1 in your shell's environment (not in .env), or set {name} there instead."
    )


@dataclass(frozen=True)
class KeyRoute:
    """Where one SDK sends its key now: the `url`, what decided it (`source`) and any `proxy` on the way.

    Example:
        >>> route = KeyRoute("OpenAI SDK", "OPENAI_API_KEY", "https://api.openai.com/v1", "its default")
        >>> route.own
        True
    """

    sdk: str
    variable: str
    url: str
    source: str
    proxy: str | None = None
    default_url: str = ""

    @property
    def local(self) -> bool:
        """True when the key goes to this computer (the local model server)."""
        return _is_this_computer(self.url)

    @property
    def own(self) -> bool:
        """True when the key goes to the provider's own address or to this computer."""
        own_host = urlsplit(self.default_url or self.url).hostname
        return self.local or (urlsplit(self.url).hostname == own_host and urlsplit(self.url).scheme == "https")

    @property
    def summary(self) -> str:
        """One line: where the key goes, and why."""
        host = urlsplit(self.url).netloc or self.url
        if self.local:
            text = f"the {self.sdk} goes to this computer ({host}, {self.source}): the local model, not a provider"
        elif self.own:
            text = f"{self.variable} goes to {host} ({self.source})"
        else:
            text = (
                f"{self.variable} goes to {host} ({self.source}), NOT to the provider's own address "
                f"{urlsplit(self.default_url).netloc}"
            )
        if self.proxy:
            text += f", through the proxy {_address_host(self.proxy) or self.proxy}"
        return text


# SDK, its key variable, the variable that moves it, its own address.
_SDK_ROUTES: tuple[tuple[str, str, str, str], ...] = (
    ("OpenAI SDK", "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1"),
    ("Anthropic SDK", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
    ("Google GenAI SDK", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "https://generativelanguage.googleapis.com"),
    ("Hugging Face Hub", "HF_TOKEN", "HF_ENDPOINT", "https://huggingface.co"),
)


def key_routes(env: Mapping[str, str] | None = None) -> list[KeyRoute]:
    """Where each SDK will really send its key now (OpenAI, Anthropic, Google GenAI, Hugging Face), with proxies.

    An SDK reads its base URL variable (OPENAI_BASE_URL...) and the proxy variables from the
    environment; `llmcourse doctor` prints these routes. `llmcourse.client(name)` uses each
    provider's own address from the provider table for the other providers.

    Example:
        >>> [route.url for route in key_routes({})][:2]
        ['https://api.openai.com/v1', 'https://api.anthropic.com']
    """
    values = os.environ if env is None else env
    proxies = {
        k.lower().removesuffix("_proxy"): v
        for k, v in values.items()
        if k.lower() in ("https_proxy", "http_proxy", "all_proxy") and v.strip()
    }
    bypass = values.get("no_proxy") or values.get("NO_PROXY") or ""
    routes = []
    for sdk, variable, base_variable, default in _SDK_ROUTES:
        url = (values.get(base_variable) or "").strip()
        source = f"{base_variable}, from the environment" if url else "its default"
        url = url or default
        parts = urlsplit(url)
        proxy = proxies.get(parts.scheme) or proxies.get("all")
        host = parts.hostname or ""
        if proxy and (_is_this_computer(url) or _bypassed(host, bypass)):
            proxy = None
        routes.append(KeyRoute(sdk, variable, url, source, proxy, default))
    return routes


def _bypassed(host: str, no_proxy: str) -> bool:
    """True when NO_PROXY (comma-separated hosts or domains, or *) exempts `host` from the proxy."""
    for entry in (item.strip().lower().lstrip(".") for item in no_proxy.split(",")):
        if entry == "*" or (entry and (host == entry or host.endswith("." + entry))):
            return True
    return False
