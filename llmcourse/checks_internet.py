"""Is this machine online? One DNS lookup and one HTTPS request to a provider's API host, no key needed.

Week 1 fetches web pages and every real model lives on the internet, so "no internet" explains many
first-day failures. The check answers in a few seconds whatever happens (a DNS lookup that hangs is
abandoned at the timeout) and says what still works offline: the local model and the lesson pages
saved with the course.

Example:
    >>> from llmcourse.checks_internet import check_internet
    >>> check_internet().status                          # doctest: +SKIP
    'ok'
"""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from llmcourse.backend import offline_requested
from llmcourse.checkreport import Check

__all__ = ["INTERNET", "PROBE_URL", "check_internet"]

INTERNET = "internet"  # the row's name
# Any HTTPS answer (even 401 or 404) proves DNS, routing and TLS work; no key is sent.
PROBE_URL = "https://api.openai.com/v1/models"
_OFFLINE_STILL_WORKS = (
    "Offline, the course still runs on the local model, and week 1 reads the copies of its "
    "pages saved with the course; real providers and other web pages need the internet."
)


def _resolve_within(host: str, seconds: float, resolve: Callable[[str], object]) -> None:
    box: dict[str, BaseException] = {}

    def run() -> None:
        try:
            resolve(host)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = error

    worker = threading.Thread(target=run, daemon=True, name="check_internet-dns")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no DNS answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]


def _getaddrinfo(host: str) -> object:
    return socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM)


def check_internet(
    url: str = PROBE_URL,
    *,
    timeout: float = 4.0,
    resolve: Callable[[str], object] = _getaddrinfo,
    offline: bool | None = None,
) -> Check:
    """DNS for `url`'s host, then one HEAD request to it (TLS handshake included), each within `timeout` seconds.

    OK when any HTTP answer comes back; WARN, saying which step failed and what still works, when not.
    Through a proxy (HTTPS_PROXY...) the DNS step is the proxy's, so only the request is made. In offline
    mode (`offline`, default: LLMCOURSE_OFFLINE=1) no real host is contacted and the row is SKIP.

    Example:
        >>> import socket
        >>> def no_dns(host):
        ...     raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        >>> row = check_internet(resolve=no_dns, offline=False)
        >>> row.status, row.detail.startswith("DNS cannot find api.openai.com")
        ('warn', True)
    """
    import requests

    if offline_requested() if offline is None else offline:
        return Check(INTERNET, "skip", "offline mode (LLMCOURSE_OFFLINE=1): no real host contacted")
    host = urlsplit(url).hostname or url
    proxied = bool(urllib.request.getproxies().get(urlsplit(url).scheme))
    if not proxied:
        try:
            _resolve_within(host, timeout, resolve)
        except (OSError, UnicodeError) as error:
            return Check(
                INTERNET,
                "warn",
                f"DNS cannot find {host} ({error}): this machine looks offline",
                "Connect to the internet, or check the Wi-Fi, VPN or firewall. " + _OFFLINE_STILL_WORKS,
            )
    try:
        response = requests.head(url, timeout=(timeout, timeout), allow_redirects=False)
    except requests.RequestException as error:
        why = "timed out" if isinstance(error, requests.Timeout) else type(error).__name__
        via = " through your proxy (HTTPS_PROXY)" if proxied else ""
        return Check(
            INTERNET,
            "warn",
            f"{host} could not be reached{via} ({why}): no working internet connection",
            "Check the connection"
            + (", and the proxy address," if proxied else "")
            + " a VPN or a firewall. "
            + _OFFLINE_STILL_WORKS,
        )
    return Check(
        INTERNET,
        "ok",
        f"online: {host} answered over {urlsplit(url).scheme.upper()} (HTTP {response.status_code}, no key sent)",
    )
