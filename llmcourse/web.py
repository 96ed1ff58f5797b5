"""Fetch web pages for prompts, safely: `Website` (one page), `fetch_pages` (many at once), `check_url`.

The course's first projects summarise web pages and let a model pick which links of a company's
site to read next. This module does the fetching the way a careful script should: timeouts, a
browser-like User-Agent, capped redirects, HTTP errors raised (an error page is never summarised),
HTML only, a download-size cap, correct decoding, noise removed, absolute de-duplicated links, and
a URL policy (`check_url`) for links chosen by a model: http(s) only, the same site, and never a
private, loopback or cloud-metadata address (169.254.169.254) unless you allow it.

Example:
    >>> from llmcourse.web import Website, check_url
    >>> page = Website("https://edwarddonner.com")              # doctest: +SKIP
    >>> print(page.for_prompt()[:60])                           # doctest: +SKIP
    Webpage Title:
    Home - Edward Donner
    Webpage Contents:
    ...
    >>> check_url("/about", base="https://edwarddonner.com")    # doctest: +SKIP
    'https://edwarddonner.com/about'

Two module-level names are hooks, replaceable on purpose: `resolve_host` (the DNS step of the URL
policy) and `session_factory` (the `requests.Session` each fetch uses), for instance to add a
proxy, a cache, or an offline stand-in for the web.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from email.message import Message
from urllib.parse import SplitResult, urldefrag, urljoin, urlsplit, urlunsplit

import requests
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TEXT_BUDGET",
    "DEFAULT_TIMEOUT",
    "MAX_REDIRECTS",
    "NO_TITLE",
    "USER_AGENT",
    "HostNotFoundError",
    "NotHTMLError",
    "PageResult",
    "PageTooLargeError",
    "TooManyRedirectsError",
    "UnsafeURLError",
    "Website",
    "WebsiteConnectionError",
    "WebsiteError",
    "WebsiteHTTPError",
    "WebsiteTimeoutError",
    "check_url",
    "fetch_pages",
    "resolve_host",
    "session_factory",
]

# Many sites answer scripts that announce themselves with 403: look like a current desktop browser.
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
NO_TITLE = "No title found"
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 15.0)  # (connect, read) seconds
DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_TEXT_BUDGET = 8_000  # characters of page text kept for a prompt
MAX_REDIRECTS = 5

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Parts of a page that are code, decoration or site chrome rather than what the page says.
_NOISE_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "nav", "footer", "head", "title")
_CHUNK_BYTES = 64 * 1024
# A fetched page whose whole text looks like a URL makes bs4 warn that we passed a URL: we did not.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning, module=r"llmcourse\.web")
# A host written only with digits, dots and hex ("2130706433", "0x7f.1", "127.1") is an IPv4 address.
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+", re.IGNORECASE)


# --------------------------------------------------------------------------------------- errors


class WebsiteError(Exception):
    """A page could not be fetched or used; the message says what happened and what to do.

    Every error of this module is a `WebsiteError`, so one `except WebsiteError` handles them all.

    Example:
        >>> try:
        ...     Website("https://example.com/missing")              # doctest: +SKIP
        ... except WebsiteError as error:
        ...     print(error.url, error)
    """

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class UnsafeURLError(WebsiteError, ValueError):
    """The URL policy refused a URL (`reason` says why); nothing was fetched.

    Example:
        >>> try:
        ...     check_url("http://169.254.169.254/latest/meta-data/")
        ... except UnsafeURLError as error:
        ...     print(error.reason)
        169.254.169.254 is a link-local address (where cloud metadata services such as 169.254.169.254 live). Pass allow_private=True only for servers you run yourself
    """

    _verb = "Refusing to fetch"

    def __init__(self, url: str, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{self._verb} {url!r}: {reason}.", url=url)


class HostNotFoundError(UnsafeURLError):
    """The host name does not resolve (DNS), so the policy cannot check it and nothing can fetch it.

    Example:
        >>> try:
        ...     check_url("https://no-such-host.invalid/")
        ... except HostNotFoundError as error:
        ...     print("DNS:", error.url)
        DNS: https://no-such-host.invalid/
    """

    _verb = "Cannot fetch"


class WebsiteHTTPError(WebsiteError):
    """The server answered with an HTTP error status (`status_code`); the error page was not used.

    Example:
        >>> error = WebsiteHTTPError("https://example.com/x", 404, "Not Found")
        >>> error.status_code
        404
    """

    def __init__(self, url: str, status_code: int, reason: str = "") -> None:
        self.status_code = status_code
        status = f"HTTP {status_code} {reason}".strip()
        super().__init__(f"{url} answered {status}: {_advice_for_status(status_code)}", url=url)


class NotHTMLError(WebsiteError):
    """The URL is not a web page (a PDF, an image, JSON...); `content_type` says what it is.

    Example:
        >>> NotHTMLError("https://example.com/a.pdf", "application/pdf").content_type
        'application/pdf'
    """

    def __init__(self, url: str, content_type: str) -> None:
        self.content_type = content_type
        super().__init__(
            f"{url} is {content_type or 'of an unknown type'}, not an HTML page: Website reads web "
            "pages only. Open a PDF or an image with a tool made for it, or pick the page that links to it.",
            url=url,
        )


class PageTooLargeError(WebsiteError):
    """The page is bigger than `max_bytes`; the download stopped there.

    Example:
        >>> PageTooLargeError("https://example.com/", 5_000_000).max_bytes
        5000000
    """

    def __init__(self, url: str, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        super().__init__(
            f"{url} is larger than max_bytes={max_bytes:,} bytes, so the download was stopped. "
            "Pass a larger max_bytes if you really need this page.",
            url=url,
        )


class TooManyRedirectsError(WebsiteError):
    """The redirects loop, or go on for more than `MAX_REDIRECTS` hops; `chain` lists them.

    Example:
        >>> TooManyRedirectsError(["https://a.example/", "https://a.example/"], loop=True).chain[0]
        'https://a.example/'
    """

    def __init__(self, chain: list[str], *, loop: bool) -> None:
        self.chain = chain
        what = "a redirect loop" if loop else f"more than {MAX_REDIRECTS} redirects"
        super().__init__(
            f"{chain[0]} leads to {what}: {' -> '.join(chain)}. "
            "Open it in a browser to see where it really goes, and fetch the final address.",
            url=chain[0],
        )


class WebsiteTimeoutError(WebsiteError):
    """The server did not connect or answer in time.

    Example:
        >>> str(WebsiteTimeoutError("slow", url="https://example.com/"))
        'slow'
    """


class WebsiteConnectionError(WebsiteError):
    """The connection failed (no network, refused, reset, TLS error...).

    Example:
        >>> str(WebsiteConnectionError("no route", url="https://example.com/"))
        'no route'
    """


def _advice_for_status(status_code: int) -> str:
    if status_code in (401, 403):
        return (
            "the site refuses this request (many sites block scripts, or need a login). The error "
            "page was not used as content. Try another page or site, or paste the text in yourself."
        )
    if status_code in (404, 410):
        return "there is no page at this address. Check the URL (a link a model made up, a typo?)."
    if status_code == 429:
        return "too many requests: the site is rate-limiting you. Wait a minute and try again."
    if status_code >= 500:
        return "the server had an error. Try again later, or another page."
    return "the server did not return the page. Check the URL."


# ----------------------------------------------------------------------------------- URL policy


def resolve_host(host: str) -> list[str]:
    """The IP addresses `host` resolves to (the DNS step of `check_url`); raises `socket.gaierror`.

    A module-level hook: replace `llmcourse.web.resolve_host` to resolve differently.

    Example:
        >>> resolve_host("localhost")[0] in ("127.0.0.1", "::1")
        True
    """
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # Forms browsers and C libraries also accept: http://2130706433/, http://0x7f000001/, http://127.1/
    if _NUMERIC_HOST.fullmatch(host) and any(ch.isdigit() for ch in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _non_public_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "a loopback address (this machine)"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services such as 169.254.169.254 live)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address (a local network)"
    if not address.is_global:
        return "not a public address"
    return None


def _site(host: str) -> str:
    return host.removeprefix("www.")


def _same_site(host: str, base_host: str) -> bool:
    if _ip_literal(host) is not None or _ip_literal(base_host) is not None:
        return host == base_host
    site, base_site = _site(host), _site(base_host)
    # The same host, with or without www., or a subdomain of it (docs.example.com on example.com).
    return site == base_site or site.endswith("." + base_site)


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)


def _check_public(host: str, url: str) -> None:
    literal = _ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve_host(host)]
        except (OSError, UnicodeError) as exc:
            raise HostNotFoundError(
                url,
                f"the host name {host!r} does not resolve (DNS: {exc}). Check the spelling, "
                "and that this machine is online",
            ) from exc
        if not addresses:
            raise HostNotFoundError(url, f"the host name {host!r} resolves to no address")
    for address in addresses:
        reason = _non_public_reason(address)
        if reason is not None:
            where = f"{host} is" if literal is not None else f"{host} resolves to {address}, which is"
            raise UnsafeURLError(
                url,
                f"{where} {reason}. Pass allow_private=True only for servers you run yourself",
            )


def check_url(url: str, *, base: str | None = None, same_site: bool = True, allow_private: bool = False) -> str:
    """Check a URL (e.g. a link a model chose) before fetching it; return it absolute and normalised.

    Rules:
    - http:// and https:// only, and no `user@` before the host;
    - with `base` (the page the link came from) relative links are resolved against it, and unless
      `same_site=False` the host must be `base`'s host, with or without `www.`, or a subdomain of
      it, on the site's port (or 80/443);
    - unless `allow_private=True`, the host must not be, or resolve to (DNS via `resolve_host`), a
      loopback, private, link-local (169.254.169.254), multicast, reserved or unspecified address;
      IP tricks such as http://2130706433/ or http://0x7f.1/ count as the address they stand for.
      With `allow_private=True` there is no DNS step at all.
    The fragment (#...) is dropped. Raises `UnsafeURLError` with a `reason`; `HostNotFoundError`
    (a subclass) when the host does not resolve.

    Example:
        >>> check_url("/about#team", base="https://www.example.com/", allow_private=True)
        'https://www.example.com/about'
        >>> check_url("http://127.0.0.1:8080/admin")
        Traceback (most recent call last):
        ...
        llmcourse.web.UnsafeURLError: Refusing to fetch 'http://127.0.0.1:8080/admin': 127.0.0.1 is a loopback address (this machine). Pass allow_private=True only for servers you run yourself.
    """
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError(repr(url), "it is not a URL; pass an address such as 'https://example.com/about'")
    absolute = urldefrag(urljoin(base, url.strip()) if base else url.strip()).url
    try:
        parts = urlsplit(absolute)
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise UnsafeURLError(url, f"it is not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme:
            raise UnsafeURLError(url, "it is a relative link: pass base=<the page it came from>")
        raise UnsafeURLError(url, f"only http:// and https:// links are fetched, not {scheme}:")
    if not host:
        raise UnsafeURLError(url, "it has no host name")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError(url, "it contains 'user@' before the host, a common way to disguise where a link goes")
    if same_site and base:
        base_parts = urlsplit(base)
        base_host = (base_parts.hostname or "").rstrip(".")
        if not _same_site(host, base_host):
            raise UnsafeURLError(
                url, f"it leaves the site {base_host!r} (pass same_site=False to allow other sites)"
            )
        # Another port on the same host is another server (an admin console, a database...).
        if _port(parts) not in (_port(base_parts), 80, 443):
            raise UnsafeURLError(
                url, f"it points at port {parts.port}, not the site's port (pass same_site=False to allow it)"
            )
    if not allow_private:
        _check_public(host, url)
    return urlunsplit((scheme, parts.netloc.lower(), parts.path, parts.query, ""))


# -------------------------------------------------------------------------------------- fetching

session_factory: Callable[[], requests.Session] = requests.Session
"""Makes the `requests.Session` each fetch uses (a hook: replace it to add a proxy or a cache)."""


def _timeouts(timeout: float | tuple[float, float]) -> tuple[float, float]:
    if isinstance(timeout, (int, float)):
        return (float(timeout), float(timeout))
    connect, read = timeout
    return (float(connect), float(read))


def _content_type(response: requests.Response) -> tuple[str, str | None]:
    header = Message()
    header["content-type"] = response.headers.get("Content-Type", "")
    media_type = header.get_content_type() if response.headers.get("Content-Type") else ""
    charset = header.get_param("charset")
    charset = charset.strip() if isinstance(charset, str) else None
    if charset:
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = None  # an unknown name: let the page's own <meta> decide
    return media_type, charset


def _get(session: requests.Session, url: str, timeout: tuple[float, float]) -> requests.Response:
    try:
        return session.get(url, timeout=timeout, stream=True, allow_redirects=False)
    except requests.ConnectTimeout as exc:
        raise WebsiteTimeoutError(
            f"{url} did not accept a connection within {timeout[0]:g} s. Check the address, or try "
            "again later (or pass a longer timeout).",
            url=url,
        ) from exc
    except requests.ReadTimeout as exc:
        raise WebsiteTimeoutError(
            f"{url} did not answer within {timeout[1]:g} s. Try again later, or pass a longer timeout.",
            url=url,
        ) from exc
    except requests.ConnectionError as exc:
        raise WebsiteConnectionError(
            f"Could not connect to {url}: {exc}. Check the address and your internet connection.", url=url
        ) from exc
    except requests.RequestException as exc:
        raise WebsiteError(f"Could not fetch {url}: {exc}", url=url) from exc


def _read_body(response: requests.Response, url: str, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PageTooLargeError(url, max_bytes)  # refused before reading a byte of it
    chunks: list[bytes] = []
    size = 0
    try:
        # Streamed in chunks, so a huge page costs at most max_bytes (+ one chunk) of memory.
        for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise PageTooLargeError(url, max_bytes)
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise WebsiteTimeoutError(
                    f"{url} is sending its page too slowly. Try again later, or pass a longer timeout.", url=url
                )
    except requests.RequestException as exc:
        raise WebsiteConnectionError(f"Reading {url} failed (timed out or cut off): {exc}", url=url) from exc
    return b"".join(chunks)


def _looks_like_html(body: bytes) -> bool:
    start = body.lstrip(b"\xef\xbb\xbf").lstrip()[:1]
    return start == b"<"


def _download(
    url: str, *, timeout: tuple[float, float], max_bytes: int, allow_private: bool
) -> tuple[str, bytes, str | None]:
    """Follow redirects by hand (each hop goes through the URL policy); return (final URL, body, charset)."""
    chain = [check_url(url, same_site=False, allow_private=allow_private)]
    deadline = time.monotonic() + timeout[0] + 2 * timeout[1]
    with closing(session_factory()) as session:
        session.headers.update(
            {
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                "Accept-Language": "en;q=0.9,*;q=0.5",
            }
        )
        while True:
            current = chain[-1]
            with closing(_get(session, current, timeout)) as response:
                location = session.get_redirect_target(response)  # None unless a 3xx with Location
                if location is not None:
                    # A redirect to a private address is refused like a link to one.
                    target = check_url(urljoin(current, location), same_site=False, allow_private=allow_private)
                    if target in chain:
                        raise TooManyRedirectsError([*chain, target], loop=True)
                    if len(chain) > MAX_REDIRECTS:
                        raise TooManyRedirectsError([*chain, target], loop=False)
                    chain.append(target)
                    continue
                if not 200 <= response.status_code < 300:
                    raise WebsiteHTTPError(current, response.status_code, response.reason or "")
                media_type, charset = _content_type(response)
                if media_type and media_type not in _HTML_TYPES:
                    raise NotHTMLError(current, media_type)
                body = _read_body(response, current, max_bytes, deadline)
                if not media_type and body and not _looks_like_html(body):
                    raise NotHTMLError(current, "")
                return current, body, charset


# ----------------------------------------------------------------------------------------- parsing


def _clean_text(container: BeautifulSoup) -> str:
    # One line per piece of text; the HTML source's own line breaks and runs of spaces mean nothing.
    return "\n".join(" ".join(piece.split()) for piece in container.stripped_strings)


def _truncate(text: str, budget: int | None) -> str:
    if budget is None or len(text) <= budget:
        return text
    return text[:budget] + f"\n[... truncated: {len(text) - budget} more characters]"


def _extract_links(soup: BeautifulSoup, page_url: str) -> list[str]:
    base = page_url
    base_tag = soup.find("base", href=True)
    if base_tag is not None:
        base = urljoin(page_url, str(base_tag["href"]).strip())
    links: dict[str, None] = {}
    for anchor in soup.find_all("a", href=True):
        href = str(anchor["href"]).strip()
        if not href or href.startswith("#"):
            continue
        try:
            absolute = urldefrag(urljoin(base, href)).url
            parts = urlsplit(absolute)
        except ValueError:
            continue  # a malformed href (e.g. "http://[oops"): not a link anyone can follow
        # Drops mailto:, javascript:, tel:, data: and other non-web links.
        if parts.scheme in ("http", "https") and parts.hostname:
            links.setdefault(absolute, None)
    return list(links)


class Website:
    """A fetched web page: `url` (final, after redirects), `title`, `text` (clean, truncated), `links`.

    `Website(url)` fetches the page at once. `timeout` is (connect, read) seconds; the body is
    streamed and refused past `max_bytes`; `text_budget` caps the text (a visible marker says how
    much was cut; None keeps it all). Loopback and private addresses are refused unless
    `allow_private=True` (for servers you run yourself). Errors are `WebsiteError` subclasses
    with a message that says what to do; a 403 or 404 page is never returned as content.

    Example:
        >>> page = Website("https://edwarddonner.com")            # doctest: +SKIP
        >>> page.title, len(page.links)                           # doctest: +SKIP
        ('Home - Edward Donner', 12)
        >>> prompt = page.for_prompt()                            # doctest: +SKIP
    """

    url: str
    requested_url: str
    title: str
    text: str
    links: list[str]
    encoding: str | None

    def __init__(
        self,
        url: str,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        text_budget: int | None = DEFAULT_TEXT_BUDGET,
        allow_private: bool = False,
    ) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be a positive number of bytes, not {max_bytes!r}")
        if text_budget is not None and text_budget < 0:
            raise ValueError(f"text_budget must be >= 0 characters (or None for no limit), not {text_budget!r}")
        self.requested_url = url
        final_url, body, charset = _download(
            url, timeout=_timeouts(timeout), max_bytes=max_bytes, allow_private=allow_private
        )
        # bs4 decodes: the header's charset first, then the page's <meta> or BOM, then detection.
        soup = BeautifulSoup(body, "html.parser", from_encoding=charset)
        self.url = final_url
        self.encoding = soup.original_encoding
        title = soup.title.get_text(" ", strip=True) if soup.title is not None else ""
        self.title = " ".join(title.split()) or NO_TITLE
        self.links = _extract_links(soup, final_url)  # before the noise goes: menus hold the links
        for tag in soup.find_all(_NOISE_TAGS):
            tag.decompose()
        container = soup.body if soup.body is not None else soup
        self.text = _truncate(_clean_text(container), text_budget)

    @property
    def contents(self) -> str:
        """The page as prompt text: the same as `for_prompt()`."""
        return self.for_prompt()

    def for_prompt(self) -> str:
        """The title and text, labelled, ready to paste into a prompt.

        Example:
            >>> Website("https://edwarddonner.com").for_prompt().splitlines()[0]   # doctest: +SKIP
            'Webpage Title:'
        """
        return f"Webpage Title:\n{self.title}\nWebpage Contents:\n{self.text}\n\n"

    def __repr__(self) -> str:
        return (
            f"Website(url={self.url!r}, title={self.title!r}, text={len(self.text)} characters, "
            f"links={len(self.links)})"
        )


# ------------------------------------------------------------------------------ many pages at once


@dataclass(frozen=True)
class PageResult:
    """One URL given to `fetch_pages`: the `website`, or the `error` that stopped it (kept, not raised).

    Example:
        >>> result = PageResult("https://example.com/", error=WebsiteError("down"))
        >>> result.ok
        False
    """

    url: str
    website: Website | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when the page was fetched."""
        return self.error is None and self.website is not None


def _fetch_one(url: str, website_kwargs: dict) -> PageResult:
    try:
        return PageResult(url, website=Website(url, **website_kwargs))
    except Exception as exc:  # noqa: BLE001 - one bad page must not lose the others: its error is kept
        return PageResult(url, error=exc)


def fetch_pages(urls: Iterable[str], *, max_workers: int = 10, **website_kwargs) -> list[PageResult]:
    """Fetch several pages at once (at most `max_workers` at a time); results come in input order.

    Each result holds the `Website` or the error for its URL, so one failing page never loses the
    others. `website_kwargs` go to every `Website` (timeout, max_bytes, text_budget, allow_private).

    Example:
        >>> results = fetch_pages(["https://huggingface.co", "https://huggingface.co/models"])  # doctest: +SKIP
        >>> [r.website.title if r.ok else str(r.error) for r in results]                      # doctest: +SKIP
    """
    url_list = list(urls)
    if max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, not {max_workers!r}")
    if not url_list:
        return []
    with ThreadPoolExecutor(max_workers=min(max_workers, len(url_list)), thread_name_prefix="fetch_pages") as pool:
        return list(pool.map(_fetch_one, url_list, [website_kwargs] * len(url_list)))
