"""One HTML table for every report object's `_repr_html_` (key checks, `available()`, diagnostics, model lists).

Cells are text, escaped here; wrap a cell in `Raw` when it already is HTML (an icon, `<code>`).

Example:
    >>> from llmcourse.htmltable import Raw, html_table
    >>> html_table(["name", "why"], [[Raw("<code>openai</code>"), "no key <yet>"]])
    "<table><thead><tr><th>name</th><th>why</th></tr></thead><tbody><tr><td style='text-align:left'><code>openai</code></td><td style='text-align:left'>no key &lt;yet&gt;</td></tr></tbody></table>"
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

__all__ = ["Raw", "code", "html_table"]


class Raw(str):
    """Text that is already HTML: `html_table` puts it in as it is.

    Example:
        >>> Raw("<b>ok</b>")
        '<b>ok</b>'
    """

    __slots__ = ()


def code(text: str) -> Raw:
    """`text`, escaped, in a `<code>` element.

    Example:
        >>> code("OPENAI_API_KEY")
        '<code>OPENAI_API_KEY</code>'
    """
    return Raw(f"<code>{html.escape(text)}</code>")


def html_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """An HTML table: a header row, then one row per sequence of cells (text is escaped, `Raw` is not).

    Example:
        >>> html_table(["a"], [["1 < 2"]])
        "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td style='text-align:left'>1 &lt; 2</td></tr></tbody></table>"
    """

    def cell(value: str) -> str:
        return value if isinstance(value, Raw) else html.escape(str(value))

    head = "".join(f"<th>{html.escape(title)}</th>" for title in headers)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{cell(value)}</td>" for value in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
