"""Facts about where the course runs: Colab or not, a Jupyter kernel or not, offline mode, Ollama's address,
loopback addresses, the user cache folder, and which variable each SDK reads.

This module imports nothing from the rest of the package: every other module may ask it.

Example:
    >>> from llmcourse import env
    >>> env.SDK_VARIABLES["openai"]
    ('OPENAI_BASE_URL', 'OPENAI_API_KEY')
    >>> env.is_loopback("http://127.0.0.1:8800/v1")
    True
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

__all__ = [
    "CACHE_ENV",
    "OLLAMA_DEFAULT",
    "SDK_VARIABLES",
    "cache_dir",
    "in_kernel",
    "is_loopback",
    "offline_requested",
    "ollama_url",
    "on_colab",
]

# What each SDK reads from the environment when its client is built: (base-URL variable, key variable).
SDK_VARIABLES: dict[str, tuple[str, str | None]] = {
    "openai": ("OPENAI_BASE_URL", "OPENAI_API_KEY"),
    "anthropic": ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"),
    "ollama": ("OLLAMA_HOST", None),  # read once, at `import ollama`
}
OLLAMA_DEFAULT = "http://127.0.0.1:11434"
# Overrides the user cache folder (model lists, the shared local server's record); tests point it at a scratch folder.
CACHE_ENV = "LLMCOURSE_CACHE_DIR"


def on_colab() -> bool:
    """True inside Google Colab (its runtime has imported `google.colab`).

    Example:
        >>> on_colab()
        False
    """
    return "google.colab" in sys.modules


def in_kernel() -> bool:
    """True inside a Jupyter kernel (which can show Markdown and HTML); False in a terminal, even in IPython.

    Example:
        >>> in_kernel()
        False
    """
    ipython = sys.modules.get("IPython")
    try:
        shell = ipython.get_ipython() if ipython is not None else None
    except Exception:  # noqa: BLE001 (an odd IPython state means "not a kernel", never a crash)
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def offline_requested() -> bool:
    """True when `LLMCOURSE_OFFLINE` is 1/true/yes/on: every SDK then goes to the local model.

    Example:
        >>> offline_requested() in (True, False)
        True
    """
    return os.environ.get("LLMCOURSE_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def ollama_url() -> str:
    """Ollama's address from `OLLAMA_HOST` (as the ollama package reads it), default http://127.0.0.1:11434.

    Example:
        >>> os.environ.pop("OLLAMA_HOST", None) and None
        >>> ollama_url()
        'http://127.0.0.1:11434'
    """
    host = os.environ.get("OLLAMA_HOST", "").strip()
    if not host:
        return OLLAMA_DEFAULT
    if host.startswith(":"):
        host = "127.0.0.1" + host
    if not host.startswith(("http://", "https://")):
        host = "http://" + host
    return host.rstrip("/")


def is_loopback(url: str) -> bool:
    """True when `url` points at this machine (localhost, 127.0.0.0/8, ::1).

    Example:
        >>> is_loopback("http://localhost:11434"), is_loopback("https://api.openai.com/v1")
        (True, False)
    """
    host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cache_dir() -> Path:
    """The user's cache folder for the course (`LLMCOURSE_CACHE_DIR` overrides it).

    Example:
        >>> cache_dir().name in ("llmcourse", Path(os.environ.get(CACHE_ENV, "x")).name)
        True
    """
    override = os.environ.get(CACHE_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("llmcourse", appauthor=False))
