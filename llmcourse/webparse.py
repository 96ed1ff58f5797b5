"""Reading a fetched page for `llmcourse.web`: the web's own text encodings, and a parse of bounded cost.

`decode_page` decides the encoding the way browsers do (BOM, HTTP charset, <meta>, UTF-8) using only
the labels of the WHATWG Encoding Standard (via `webencodings`): a Python-only codec such as
punycode or utf-7 is never used. `PageSoup` parses with lxml, linear in the page size, reads at
most `MAX_TAGS` markup characters '<' (`within_tag_budget`) and stops when the fetch's deadline
passes; `clean_text`, `truncate` and `extract_links` turn the tree into prompt text and links.

Example:
    >>> from llmcourse.webparse import decode_page
    >>> decode_page(b"<meta charset=x-sjis>" + "\u65e5".encode("shift_jis"), None)[1]
    'shift_jis'
"""

from __future__ import annotations

import warnings
from urllib.parse import urldefrag, urljoin, urlsplit

import webencodings
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from bs4.dammit import EncodingDetector

from llmcourse.webtransport import Deadline

__all__ = [
    "MAX_TAGS",
    "PageSoup",
    "ParseTimeout",
    "clean_text",
    "decode_page",
    "extract_links",
    "truncate",
    "within_tag_budget",
]

MAX_TAGS = 50_000  # markup '<' characters read per page: bounds the parser's time and memory
_PRESCAN_BYTES = 1024  # where a page's <meta charset> must be (the WHATWG prescan)
_UTF8 = webencodings.lookup("utf-8")
_WINDOWS_1252 = webencodings.lookup("windows-1252")
# A fetched page whose whole text looks like a URL makes bs4 warn that we passed a URL: we did not.
warnings.filterwarnings("ignore", category=MarkupResemblesLocatorWarning, module=r"llmcourse\.web")


def _web_encoding(label: str | None) -> webencodings.Encoding | None:
    """The WHATWG encoding a label names ("latin1" -> windows-1252...), or None for any other name."""
    return webencodings.lookup(label) if label else None


def decode_page(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """(text, encoding name) the way browsers decide: a BOM, the HTTP charset, a <meta> near the top, then UTF-8.

    Only the encodings of the WHATWG Encoding Standard are used: a name such as "punycode" that
    Python knows but the web does not counts as no declaration at all. A page with none that is not
    valid UTF-8 is read as windows-1252. Decoding errors become U+FFFD, never an exception.

    Example:
        >>> decode_page("caf\u00e9".encode("cp1252"), "latin1")
        ('café', 'windows-1252')
        >>> decode_page("caf\u00e9".encode(), "punycode")
        ('café', 'utf-8')
    """
    encoding = _web_encoding(header_charset)
    if encoding is None:
        declared = _web_encoding(EncodingDetector.find_declared_encoding(body[:_PRESCAN_BYTES], is_html=True))
        if declared is not None:
            # A page cannot declare itself UTF-16 from inside (its <meta> was readable as ASCII).
            encoding = (
                _UTF8
                if declared.name in ("utf-16be", "utf-16le")
                else (_WINDOWS_1252 if declared.name == "x-user-defined" else declared)
            )
    if encoding is None:
        try:
            body.decode("utf-8")
            encoding = _UTF8
        except UnicodeDecodeError:
            encoding = _WINDOWS_1252
    text, used = webencodings.decode(body, encoding, errors="replace")  # a BOM wins over everything
    return text, used.name


class ParseTimeout(Exception):
    """The fetch's deadline passed while the page was being parsed (`llmcourse.web` reports a timeout).

    Example:
        >>> isinstance(ParseTimeout(), Exception)
        True
    """


class PageSoup(BeautifulSoup):
    """BeautifulSoup (lxml, linear in the page size) that stops when the fetch's deadline has passed.

    Example:
        >>> deadline = Deadline(10)
        >>> PageSoup("<title>Hi</title><p>there</p>", deadline).title.string
        'Hi'
        >>> deadline.close()
    """

    def __init__(self, markup: str, deadline: Deadline) -> None:
        self._deadline = deadline
        self._tags_seen = 0
        super().__init__(markup, "lxml")

    def handle_starttag(self, *args, **kwargs):
        self._tags_seen += 1
        if self._tags_seen % 256 == 0 and self._deadline.expired:
            raise ParseTimeout
        return super().handle_starttag(*args, **kwargs)


def within_tag_budget(text: str, budget: int) -> tuple[str, bool]:
    """The page up to its `budget`-th markup character '<' (and whether it was cut there).

    Example:
        >>> within_tag_budget("<p>a</p><p>b</p>", 2)
        ('<p>a</p>', True)
    """
    if text.count("<") <= budget:
        return text, False
    position = -1
    for _ in range(budget + 1):
        position = text.find("<", position + 1)
    return text[:position], True


def clean_text(container: BeautifulSoup) -> str:
    """The text of `container`, one line per piece: the HTML source's line breaks and runs of spaces mean nothing.

    Example:
        >>> clean_text(BeautifulSoup("<p>a   b</p><p>c</p>", "lxml"))
        'a b\\nc'
    """
    return "\n".join(" ".join(piece.split()) for piece in container.stripped_strings)


def truncate(text: str, budget: int | None) -> str:
    """`text` cut to `budget` characters with a visible marker of how much was cut (None: all of it).

    Example:
        >>> truncate("abcdef", 2)
        'ab\\n[... truncated: 4 more characters]'
    """
    if budget is None or len(text) <= budget:
        return text
    return text[:budget] + f"\n[... truncated: {len(text) - budget} more characters]"


def extract_links(soup: BeautifulSoup, page_url: str) -> list[str]:
    """The page's http(s) links: absolute (against <base> or `page_url`), without #fragments, de-duplicated.

    Example:
        >>> extract_links(BeautifulSoup('<a href="/a#x">A</a><a href="mailto:x@y.z">m</a>', "lxml"), "https://e.com/")
        ['https://e.com/a']
    """
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
