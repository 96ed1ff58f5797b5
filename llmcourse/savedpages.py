"""Saved pages for a plane: what `Website` reads for a lesson's own URL when the network is unreachable.

The week 1 and week 2 lessons read a few landing pages (edwarddonner.com, www.anthropic.com,
huggingface.co). Offline (DNS fails, no route: never after an HTTP error), `Website` reads the
page saved with the course instead, puts a banner at the top of its `.text` and warns; any other
URL still fails with its own error. The pages live in `llmcourse/data/savedpages/` with a
`manifest.json`: each entry says the URL it stands for, the date, and whether it is a copy of the
live page (only for pages the course may copy, `copy_allowed`) or a stand-in written for the course.

`llmcourse saved-pages list` shows them; `llmcourse saved-pages refresh` (llmcourse.savedpagescli)
re-fetches the live pages marked `copy_allowed` and stores their title, text and links with the date.

Example:
    >>> from llmcourse.savedpages import lookup
    >>> page = lookup("https://edwarddonner.com")
    >>> page.url, page.kind
    ('https://edwarddonner.com/', 'stand-in')
    >>> print(lookup("https://example.com/"))
    None
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from llmcourse.urlpolicy import parse_url
from llmcourse.weberrors import UnsafeURLError

__all__ = ["DATA_DIR", "SavedPage", "lookup", "page_html", "refresh", "saved_pages"]

DATA_DIR = Path(__file__).resolve().parent / "data" / "savedpages"
_MANIFEST = "manifest.json"


@dataclass(frozen=True)
class SavedPage:
    """One saved page: the `url` it stands for, its HTML `file`, the date `saved`, and its `kind`.

    `kind` is "copy" (the live page's text, saved by `refresh`) or "stand-in" (written for the course).

    Example:
        >>> page = SavedPage("https://example.com/", Path("x.html"), "2026-12-01", "stand-in")
        >>> page.banner().startswith("[Offline stand-in for https://example.com/")
        True
    """

    url: str
    file: Path
    saved: str
    kind: str
    aliases: tuple[str, ...] = ()
    copy_allowed: bool = False

    def body(self) -> bytes:
        """The saved HTML, as bytes (what a server would have sent)."""
        return self.file.read_bytes()

    def banner(self) -> str:
        """The line put at the top of `Website.text`: what this is, from when, and why it is used."""
        if self.kind == "copy":
            return (
                f"[Saved copy of {self.url} from {self.saved}: you are offline, so the course's saved "
                "copy is used. Run the cell again when you are online for the live page.]"
            )
        return (
            f"[Offline stand-in for {self.url}, written for the course on {self.saved} (not a copy of the "
            "real page): you are offline, so the live page could not be read. Run the cell again when "
            "you are online.]"
        )


def _key(url: str) -> str | None:
    """scheme://host:port/path?query, with the default port and an empty path written out: one form per page."""
    try:
        target = parse_url(url)
    except UnsafeURLError:
        return None
    parts = urlsplit(target.url)
    return urlunsplit((target.scheme, f"{target.host}:{target.port}", parts.path or "/", parts.query, ""))


def saved_pages(data_dir: Path | None = None) -> list[SavedPage]:
    """Every page saved with the course, from `manifest.json`.

    Example:
        >>> sorted(page.url for page in saved_pages())[:1]
        ['https://edwarddonner.com/']
    """
    folder = Path(data_dir or DATA_DIR)
    manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
    return [
        SavedPage(
            entry["url"],
            folder / entry["file"],
            entry["saved"],
            entry["kind"],
            tuple(entry.get("aliases", ())),
            bool(entry.get("copy_allowed", False)),
        )
        for entry in manifest["pages"]
    ]


def lookup(url: str, data_dir: Path | None = None) -> SavedPage | None:
    """The saved page for `url` (the same page after the URL is normalised), or None.

    Example:
        >>> lookup("https://www.anthropic.com").kind
        'stand-in'
    """
    key = _key(url)
    if key is None:
        return None
    for page in saved_pages(data_dir):
        if key in {_key(address) for address in (page.url, *page.aliases)}:
            return page
    return None


def page_html(title: str, text: str, links: list[str]) -> str:
    """A small HTML page holding a fetched page's title, text (one paragraph per line) and links.

    Example:
        >>> "<title>Home</title>" in page_html("Home", "Hello", ["https://example.com/about"])
        True
    """
    paragraphs = "\n".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    anchors = "\n".join(f'<a href="{html.escape(link, quote=True)}">{html.escape(link)}</a>' for link in links)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"</head>\n<body>\n<main>\n{paragraphs}\n<p>{anchors}</p>\n</main>\n</body>\n</html>\n"
    )


def refresh(fetch: Callable[[str], Any], *, data_dir: Path | None = None, today: dt.date | None = None) -> list[str]:
    """Re-fetch the live pages marked `copy_allowed` and save their text with today's date; the URLs saved.

    `fetch(url)` returns an object with `title`, `text` and `links` (`llmcourse saved-pages refresh`
    passes `Website` without the saved-copy fallback, so an offline refresh fails instead of saving a
    stand-in over itself). Stand-ins written for the course (`copy_allowed` false) are left as they are.

    Example:
        >>> refresh(lambda url: Website(url, saved_copy=False))      # doctest: +SKIP
        ['https://example.com/']
    """
    folder = Path(data_dir or DATA_DIR)
    path = folder / _MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    date = (today or dt.date.today()).isoformat()
    done = []
    for entry in manifest["pages"]:
        if not entry.get("copy_allowed"):
            continue
        page = fetch(entry["url"])
        (folder / entry["file"]).write_text(page_html(page.title, page.text, list(page.links)), encoding="utf-8")
        entry.update(saved=date, kind="copy")
        done.append(entry["url"])
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)
    return done
