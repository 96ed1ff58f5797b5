"""The `llmcourse saved-pages` command: list the pages saved for offline lessons, or refresh the copies.

`refresh` re-fetches, live, only the pages whose manifest entry says `copy_allowed` (the course may
keep their text) and stores their title, text and links with today's date; stand-ins written for the
course stay as they are. Run it online, from a checkout, then commit `llmcourse/data/savedpages/`.

Example:
    $ llmcourse saved-pages list
    $ llmcourse saved-pages refresh
"""

from __future__ import annotations

import argparse

from llmcourse.savedpages import refresh, saved_pages
from llmcourse.web import Website

__all__ = ["main"]


def _live(url: str) -> Website:
    return Website(url, text_budget=None, saved_copy=False)


def main(argv: list[str] | None = None) -> int:
    """`llmcourse saved-pages list | refresh`; returns the exit code.

    Example:
        >>> main(["list"])                              # doctest: +ELLIPSIS
        https://edwarddonner.com/ ...
        0
    """
    parser = argparse.ArgumentParser(prog="llmcourse saved-pages", description=__doc__.split("\n")[0])
    parser.add_argument(
        "action",
        choices=["list", "refresh"],
        help="list: the saved pages; refresh: re-fetch, live, those the course may copy",
    )
    args = parser.parse_args(argv)
    if args.action == "refresh":
        done = refresh(_live)
        print(f"Refreshed {len(done)} page(s): {', '.join(done) or 'none is marked copy_allowed in the manifest'}.")
        return 0
    for page in saved_pages():
        where = "a copy the course may keep" if page.copy_allowed else "written for the course"
        print(f"{page.url:<28} {page.kind:<9} {page.saved}  {where}")
    return 0
