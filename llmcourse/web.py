"""Fetch web pages for prompts, safely: `Website` (one page), `fetch_pages` (many at once), `check_url`.

The course's first projects summarise web pages and let a model pick which links of a company's
site to read next. This module does the fetching the way a careful script should: timeouts, a
browser-like User-Agent, capped redirects, HTTP errors raised (an error page is never summarised),
HTML only, a download-size cap, correct decoding, noise removed, absolute de-duplicated links, and
a URL policy (`check_url`) for links chosen by a model: http(s) only, the same site, and never a
private, loopback or cloud-metadata address (169.254.169.254) unless you allow it.

Hostile servers are expected: the URL is parsed once (the host a check approves is the host that
is fetched, international names in their one UTS46 form), DNS is asked once and the connection goes
to the address that was checked (Host header and TLS name unchanged), every redirect is checked the
same way, one wall-clock deadline covers the whole fetch however slowly a server trickles its
headers or body, only the web's own text encodings (WHATWG) are used, and parsing reads at most
50,000 tags with a linear parser (lxml).

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

The URL policy lives in `llmcourse.urlpolicy`, the pinned transport and deadline in
`llmcourse.webtransport`, decoding and parsing in `llmcourse.webparse`, the errors in
`llmcourse.weberrors` (all re-exported here). Two module-level names are hooks, replaceable on purpose: `resolve_host` (the DNS step of the URL
policy) and `session_factory` (the `requests.Session` each fetch uses), for instance to add a
proxy, a cache, or an offline stand-in for the web.
"""

from __future__ import annotations

import socket
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin

import requests

from llmcourse import savedpages, urlpolicy
from llmcourse.weberrors import (
    MAX_REDIRECTS,
    HostNotFoundError,
    NotHTMLError,
    PageTooLargeError,
    TooManyRedirectsError,
    UnsafeURLError,
    WebsiteConnectionError,
    WebsiteError,
    WebsiteHTTPError,
    WebsiteTimeoutError,
)
from llmcourse.webparse import (
    MAX_TAGS,
    PageSoup,
    ParseTimeout,
    clean_text,
    decode_page,
    extract_links,
    truncate,
    within_tag_budget,
)
from llmcourse.webtransport import CutHeadersError, Deadline, PinnedAdapter

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
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
NO_TITLE = "No title found"
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 15.0)  # (connect, read) seconds
DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_TEXT_BUDGET = 8_000  # characters of page text kept for a prompt

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Parts of a page that are code, decoration or site chrome rather than what the page says.
_NOISE_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "nav", "footer", "head", "title")
_CHUNK_BYTES = 64 * 1024


# ----------------------------------------------------------------------------------- URL policy


def resolve_host(host: str) -> list[str]:
    """The IP addresses `host` resolves to (the DNS step of `check_url`); raises `socket.gaierror`.

    A module-level hook: replace `llmcourse.web.resolve_host` to resolve differently. A fetch
    calls it once per address it visits and connects to the addresses it returned, never to a
    second answer.

    Example:
        >>> resolve_host("localhost")[0] in ("127.0.0.1", "::1")
        True
    """
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str, *, base: str | None = None, same_site: bool = True, allow_private: bool = False) -> str:
    """Check a URL (e.g. a link a model chose) before fetching it; return it absolute and normalised.

    Rules:
    - http:// and https:// only, and no `user@` before the host;
    - the host is a plain DNS name or an IP address: no `\\`, `%`, spaces or control characters;
      an international name is checked (and fetched) in its one UTS46/punycode form;
    - with `base` (the page the link came from) relative links are resolved against it, and unless
      `same_site=False` the host must be `base`'s host, with or without `www.`, or a subdomain of
      it, on the site's port (or 80/443);
    - unless `allow_private=True`, the host must not be, or resolve to (DNS via `resolve_host`), a
      loopback, private, link-local (169.254.169.254), multicast, reserved or unspecified address;
      IP tricks such as http://2130706433/ or http://0x7f.1/ count as the address they stand for,
      and IPv6 addresses that carry an IPv4 address (IPv4-mapped, 6to4, NAT64, Teredo) count as it.
      With `allow_private=True` there is no DNS step at all.
    The fragment (#...) is dropped. Raises `UnsafeURLError` with a `reason`; `HostNotFoundError`
    (a subclass) when the host does not resolve. `Website` checks every address it visits
    (redirects included) with these same rules, and connects only to the addresses it checked.

    Example:
        >>> check_url("/about#team", base="https://www.example.com/", allow_private=True)
        'https://www.example.com/about'
        >>> check_url("http://127.0.0.1:8080/admin")
        Traceback (most recent call last):
        ...
        llmcourse.weberrors.UnsafeURLError: Refusing to fetch 'http://127.0.0.1:8080/admin': 127.0.0.1 is a loopback address (this machine). Pass allow_private=True only for servers you run yourself.
    """
    return urlpolicy.check(url, base=base, same_site_only=same_site, allow_private=allow_private, resolve=resolve_host)


# -------------------------------------------------------------------------------------- fetching

session_factory: Callable[[], requests.Session] = requests.Session
"""Makes the `requests.Session` each fetch uses (a hook: replace it to add a proxy or a cache).

`Website` mounts its own transport adapter on it (connections to the checked addresses only,
under one deadline)."""


def _seconds(value: float) -> str:
    return f"{value:.3g}"


def _deadline_error(deadline: Deadline, url: str, doing: str = "send its page") -> WebsiteTimeoutError:
    return WebsiteTimeoutError(
        f"{url} did not {doing} within {_seconds(deadline.seconds)} s, the most one fetch may take "
        "(connect timeout + 2 x read timeout). Try again later, or pass a longer timeout.",
        url=url,
    )


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
    return media_type, (charset.strip() if isinstance(charset, str) else None)


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: set[int] = set()
    todo: list[object] = [error]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, kind):
            return True
        todo += [item.__cause__, item.__context__, *item.args, getattr(item, "reason", None)]
    return False


def _get(session: requests.Session, url: str, timeout: tuple[float, float], deadline: Deadline) -> requests.Response:
    remaining = deadline.remaining()
    if remaining <= 0:
        raise _deadline_error(deadline, url, "answer")
    connect, read = min(timeout[0], remaining), min(timeout[1], remaining)
    try:
        return session.get(url, timeout=(connect, read), stream=True, allow_redirects=False)
    except requests.RequestException as exc:
        if deadline.expired:
            raise _deadline_error(deadline, url, "answer") from exc
        if isinstance(exc, requests.ConnectTimeout):
            raise WebsiteTimeoutError(
                f"{url} did not accept a connection within {_seconds(connect)} s. Check the address, or try "
                "again later (or pass a longer timeout).",
                url=url,
            ) from None
        if isinstance(exc, requests.ReadTimeout):
            raise WebsiteTimeoutError(
                f"{url} did not answer within {_seconds(read)} s. Try again later, or pass a longer timeout.",
                url=url,
            ) from None
        if _caused_by(exc, CutHeadersError):
            raise WebsiteConnectionError(
                f"{url} cut its answer off in the middle of the HTTP headers, so nothing it sent was used. "
                "Try again later, or another page.",
                url=url,
            ) from None
        if isinstance(exc, requests.ConnectionError):
            raise WebsiteConnectionError(
                f"Could not connect to {url}: {exc}. Check the address and your internet connection.", url=url
            ) from None
        raise WebsiteError(f"Could not fetch {url}: {exc}", url=url) from None


def _read_body(response: requests.Response, url: str, max_bytes: int, deadline: Deadline) -> bytes:
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
            if deadline.expired:
                raise _deadline_error(deadline, url)
    except requests.RequestException as exc:
        if deadline.expired:
            raise _deadline_error(deadline, url) from exc
        raise WebsiteConnectionError(f"Reading {url} failed (timed out or cut off): {exc}", url=url) from None
    if deadline.expired:  # the watchdog's shutdown looks like the end of a body sent without a length
        raise _deadline_error(deadline, url)
    return b"".join(chunks)


def _looks_like_html(body: bytes) -> bool:
    start = body.lstrip(b"\xef\xbb\xbf").lstrip()[:1]
    return start == b"<"


def _vetted(target: urlpolicy.Target, url: str, allow_private: bool, deadline: Deadline) -> list[str] | None:
    """The checked addresses the fetch of `target` must connect to (None with allow_private: no policy, no pin)."""
    if allow_private:
        return None
    return urlpolicy.addresses(target, url, resolve=resolve_host, seconds=deadline.remaining())


def _download(
    url: str, *, timeout: tuple[float, float], max_bytes: int, allow_private: bool, deadline: Deadline
) -> tuple[str, bytes, str | None]:
    """Follow redirects by hand (each hop through the URL policy, DNS once); return (final URL, body, charset)."""
    target = urlpolicy.parse_url(url)
    addresses = _vetted(target, url, allow_private, deadline)
    chain = [target.url]
    adapter = PinnedAdapter(deadline)
    with closing(session_factory()) as session:
        session.headers.update(
            {
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                "Accept-Language": "en;q=0.9,*;q=0.5",
            }
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        while True:
            current = target.url
            adapter.pins[(target.host, target.port)] = addresses
            with closing(_get(session, current, timeout, deadline)) as response:
                location = session.get_redirect_target(response)  # None unless a 3xx with Location
                if location is not None:
                    # A redirect is checked like a link: the same parser, the same policy, DNS once.
                    next_url = urljoin(current, location)
                    target = urlpolicy.parse_url(next_url)
                    if target.url in chain:
                        raise TooManyRedirectsError([*chain, target.url], loop=True)
                    addresses = _vetted(target, next_url, allow_private, deadline)
                    if len(chain) > MAX_REDIRECTS:
                        raise TooManyRedirectsError([*chain, target.url], loop=False)
                    chain.append(target.url)
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


# ----------------------------------------------------------------------------------------- the page


class Website:
    """A fetched web page: `url` (final, after redirects), `title`, `text` (clean, truncated), `links`.

    `Website(url)` fetches the page at once. `timeout` is (connect, read) seconds, and the whole
    fetch (DNS, connection, headers, body, redirects and parsing) must end within connect + 2 x read
    seconds however slowly the server sends. The body is streamed and refused past `max_bytes`;
    only the first 50,000 tags of a page are read (a visible marker says when a page was cut);
    `text_budget` caps the text (a visible marker says how much was cut; None keeps it all).
    Loopback and private addresses are refused unless `allow_private=True` (for servers you run
    yourself); every redirect is checked the same way, and the connection goes to the address
    that was checked. Errors are `WebsiteError` subclasses with a message that says what to do;
    a 403 or 404 page is never returned as content. Offline (DNS fails, no route), a lesson's own
    page is read from the copy saved with the course (`llmcourse.savedpages`), with a banner at the top
    of `text` and a warning; `saved_copy=False` turns that off.

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
        saved_copy: bool = True,
    ) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be a positive number of bytes, not {max_bytes!r}")
        if text_budget is not None and text_budget < 0:
            raise ValueError(f"text_budget must be >= 0 characters (or None for no limit), not {text_budget!r}")
        self.requested_url = url
        timeouts = _timeouts(timeout)
        banner = ""
        deadline = Deadline(timeouts[0] + 2 * timeouts[1])
        try:
            try:
                final_url, body, charset = _download(
                    url, timeout=timeouts, max_bytes=max_bytes, allow_private=allow_private, deadline=deadline
                )
            except (HostNotFoundError, WebsiteConnectionError):
                # Offline (no DNS, no route; never an HTTP error): a lesson's own page was saved with the course.
                saved = savedpages.lookup(url) if saved_copy else None
                if saved is None:
                    raise
                final_url, body, charset = saved.url, saved.body(), "utf-8"
                banner = saved.banner()
                warnings.warn(
                    f"You are offline: {url} was read from the page saved with the course "
                    "(a banner at the top of .text says what it is).",
                    stacklevel=2,
                )
            markup, self.encoding = decode_page(body, charset)
            markup, cut = within_tag_budget(markup, MAX_TAGS)
            try:
                soup = PageSoup(markup, deadline)
            except ParseTimeout:
                raise _deadline_error(deadline, final_url, "give a page that can be read") from None
        finally:
            deadline.close()
        self.url = final_url
        title = soup.title.get_text(" ", strip=True) if soup.title is not None else ""
        self.title = " ".join(title.split()) or NO_TITLE
        self.links = extract_links(soup, final_url)  # before the noise goes: menus hold the links
        for tag in soup.find_all(_NOISE_TAGS):
            tag.decompose()
        container = soup.body if soup.body is not None else soup
        self.text = truncate(clean_text(container), text_budget)
        if banner:
            self.text = f"{banner}\n\n{self.text}"
        if cut:
            self.text += f"\n[... page cut: only its first {MAX_TAGS:,} tags were read]"

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
