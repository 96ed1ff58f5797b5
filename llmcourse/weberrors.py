"""The errors of `llmcourse.web`: one `WebsiteError` base, and a subclass per way a page can fail.

Every message says what happened and what to do. Import them from `llmcourse.web` (they are
re-exported there), e.g. `from llmcourse.web import WebsiteError`.

Example:
    >>> from llmcourse.weberrors import WebsiteHTTPError
    >>> print(WebsiteHTTPError("https://example.com/x", 404, "Not Found"))
    https://example.com/x answered HTTP 404 Not Found: there is no page at this address. Check the URL (a link a model made up, a typo?).
"""

from __future__ import annotations

from llmcourse.errors import LLMCourseError

__all__ = [
    "MAX_REDIRECTS",
    "HostNotFoundError",
    "NotHTMLError",
    "PageTooLargeError",
    "TooManyRedirectsError",
    "UnsafeURLError",
    "WebsiteConnectionError",
    "WebsiteError",
    "WebsiteHTTPError",
    "WebsiteTimeoutError",
]

MAX_REDIRECTS = 5


class WebsiteError(LLMCourseError):
    """A page could not be fetched or used; the message says what happened and what to do.

    Every error of this module is a `WebsiteError`, so one `except WebsiteError` handles them all.

    Example:
        >>> from llmcourse.web import Website
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
        >>> from llmcourse.web import check_url
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
        >>> from llmcourse.web import check_url
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
