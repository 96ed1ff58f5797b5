"""One table for every report object's `_repr_html_` and `_repr_markdown_` (key checks, `available()`, diagnostics,
model lists).

Cells are text, escaped here; wrap a cell in `Raw` when it already is HTML (an icon, `<code>`, a coloured
status). Markdown allows inline HTML, so a `Raw` cell goes into a Markdown table as it is too.

Example:
    >>> from llmcourse.htmltable import Raw, html_table, markdown_table
    >>> html_table(["name", "why"], [[Raw("<code>openai</code>"), "no key <yet>"]])
    "<table><thead><tr><th style='text-align:left'>name</th><th style='text-align:left'>why</th></tr></thead><tbody><tr><td style='text-align:left;vertical-align:top'><code>openai</code></td><td style='text-align:left;vertical-align:top'>no key &lt;yet&gt;</td></tr></tbody></table>"
    >>> print(markdown_table(["name", "why"], [[Raw("<code>openai</code>"), "no key <yet>"]]))
    | name | why |
    | --- | --- |
    | <code>openai</code> | no key \\<yet\\> |
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

__all__ = ["Raw", "code", "html_table", "markdown_table", "markdown_text"]

# Characters that Markdown would read as formatting inside a table cell: a backslash escapes each.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


class Raw(str):
    """Text that is already HTML: `html_table` and `markdown_table` put it in as it is.

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

    Cells are left-aligned and start at the top, so a long "what to do" does not push its row's other
    cells to the middle.

    Example:
        >>> html_table(["a"], [["1 < 2"]])
        "<table><thead><tr><th style='text-align:left'>a</th></tr></thead><tbody><tr><td style='text-align:left;vertical-align:top'>1 &lt; 2</td></tr></tbody></table>"
    """

    def cell(value: str) -> str:
        return value if isinstance(value, Raw) else html.escape(str(value))

    head = "".join(f"<th style='text-align:left'>{html.escape(title)}</th>" for title in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td style='text-align:left;vertical-align:top'>{cell(value)}</td>" for value in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def markdown_text(text: str) -> str:
    """`text` as literal Markdown: formatting characters escaped, each line break a `<br>` (a `Raw` stays as it is).

    Example:
        >>> print(markdown_text("use *args | **kwargs\\nthen <go>"))
        use \\*args \\| \\*\\*kwargs<br>then \\<go\\>
    """
    if isinstance(text, Raw):
        return text
    return "<br>".join(_MARKDOWN_SPECIAL.sub(r"\\\1", line) for line in str(text).splitlines() or [""])


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown (GitHub) table: a header row, then one row per sequence of cells.

    Text cells are escaped (`|` and other formatting characters, line breaks become `<br>`); a `Raw`
    cell is HTML and goes in as it is, with only its `|` escaped and its line breaks joined, so that
    it stays in one cell.

    Example:
        >>> print(markdown_table(["key", "why"], [["OPENAI_API_KEY", "a | b\\nc"]]))
        | key | why |
        | --- | --- |
        | OPENAI\\_API\\_KEY | a \\| b<br>c |
    """

    def cell(value: str) -> str:
        if isinstance(value, Raw):
            return " ".join(value.splitlines()).replace("|", "\\|")
        return markdown_text(str(value))

    lines = [
        "| " + " | ".join(markdown_text(title) for title in headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
    ]
    lines.extend("| " + " | ".join(cell(value) for value in row) + " |" for row in rows)
    return "\n".join(lines)
