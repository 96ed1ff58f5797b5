"""The one table helper: HTML and Markdown tables read back by real parsers (BeautifulSoup, a CommonMark parser with
GitHub tables), and every report object rendering the same table both ways."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from llmcourse.checkreport import Check, CheckList
from llmcourse.clients import Availability, AvailabilityList
from llmcourse.htmltable import Raw, code, html_table, markdown_table
from llmcourse.keys.report import KeyReport, KeyResult
from llmcourse.models import ModelChoice, ModelReport

# Text that means something to HTML or Markdown: each must come back as the same text, in one cell.
TRICKY = [
    "a | b",
    "*not bold* and **not strong**",
    "_not emphasis_ OPENAI_API_KEY",
    "<script>alert(1)</script>",
    "back\\slash \\| and \\*",
    "[not a link](http://example.invalid)",
    "`not code`",
    "AT&T &amp; &lt;",
    "~~not struck~~",
    "| starts with a bar",
    "",
]


def _markdown_cells(markdown: str) -> list[list[BeautifulSoup]]:
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    soup = BeautifulSoup(rendered, "html.parser")
    tables = soup.find_all("table")
    assert len(tables) == 1, rendered
    return [row.find_all(["th", "td"]) for row in tables[0].find_all("tr")]


def _html_cells(markup: str) -> list[list[BeautifulSoup]]:
    tables = BeautifulSoup(markup, "html.parser").find_all("table")
    assert len(tables) == 1, markup
    return [row.find_all(["th", "td"]) for row in tables[0].find_all("tr")]


def _texts(cells: list[list[BeautifulSoup]]) -> list[list[str]]:
    return [[cell.get_text(" ").strip() for cell in row] for row in cells]


@pytest.mark.parametrize("render, read", [(markdown_table, _markdown_cells), (html_table, _html_cells)])
def test_text_cells_come_back_as_the_same_text_in_one_cell(render, read):
    rows = [[f"row {n}", text] for n, text in enumerate(TRICKY)]
    cells = read(render(["name", "value | with bar"], rows))
    assert [len(row) for row in cells] == [2] * (len(TRICKY) + 1)  # no cell split, none merged
    assert _texts(cells) == [["name", "value | with bar"], *([f"row {n}", text] for n, text in enumerate(TRICKY))]
    assert not any(cell.find(["script", "em", "strong", "a", "code", "del", "s"]) for row in cells for cell in row)


@pytest.mark.parametrize("render, read", [(markdown_table, _markdown_cells), (html_table, _html_cells)])
def test_raw_cells_stay_html_and_line_breaks_stay_in_their_cell(render, read):
    cells = read(render(["variable", "why"], [[code("a|b <c>"), "first line\nsecond line"], [Raw("<b>OK</b>"), "x"]]))
    assert [len(row) for row in cells] == [2, 2, 2]
    assert cells[1][0].find("code").get_text() == "a|b <c>" and cells[2][0].find("b").get_text() == "OK"
    if render is markdown_table:
        assert cells[1][1].find("br") is not None  # the line break is a <br> inside the cell
        assert cells[1][1].get_text("/") == "first line/second line"


def test_an_empty_table_is_still_a_table():
    assert _texts(_markdown_cells(markdown_table(["a", "b"], []))) == [["a", "b"]]
    assert _texts(_html_cells(html_table(["a", "b"], []))) == [["a", "b"]]


# --- every report object: the same table as HTML and as Markdown -----------------------------------------


def _same_table_both_ways(report) -> list[list[str]]:
    markdown, html = _texts(_markdown_cells(report._repr_markdown_())), _texts(_html_cells(report._repr_html_()))
    assert markdown == html
    return markdown


def test_checklist_and_check_render_the_same_rows_both_ways():
    report = CheckList(
        [
            Check("Python version", "ok", "3.12.1", "never shown for OK"),
            Check("internet", "warn", "slow | flaky", "check the *proxy*"),
            Check("live call", "fail", "no answer", "see `doctor`"),
        ]
    )
    rows = _same_table_both_ways(report)
    assert rows == [
        ["status", "check", "result", "what to do"],
        ["OK", "Python version", "3.12.1", ""],
        ["WARN", "internet", "slow | flaky", "check the *proxy*"],
        ["FAIL", "live call", "no answer", "see `doctor`"],
    ]
    assert _markdown_cells(report._repr_markdown_())[3][0].find("strong").get_text() == "FAIL"
    assert _same_table_both_ways(report[2]) == [rows[0], rows[3]]  # one Check renders as a one-row table


def test_model_report_renders_the_same_rows_both_ways_and_says_when_empty():
    report = ModelReport([ModelChoice("openai", "openai", "model-a", "model-b", False, "model-a is not in your list")])
    assert _same_table_both_ways(report) == [list(ModelReport.HEADERS), list(report.rows()[0])]
    empty = MarkdownIt("commonmark").render(ModelReport()._repr_markdown_())
    assert BeautifulSoup(empty, "html.parser").get_text().strip() == ModelReport.EMPTY


def test_key_report_renders_the_same_rows_both_ways_with_the_key_masked_only():
    result = KeyResult("openai", "OpenAI", "OPENAI_API_KEY", "ok", masked="sk-p...x9Zq", source=".env", live="accepted")
    report = KeyReport([result], env_file=Path("/course/.env"), file_problems=["line 3 has no = sign"])
    rows = _same_table_both_ways(report)
    assert rows[1] == ["✅ ok", "OpenAI", "OPENAI_API_KEY", "sk-p...x9Zq", ".env", "looks fine | live: accepted"]
    text = BeautifulSoup(MarkdownIt("commonmark").enable("table").render(report._repr_markdown_()), "html.parser")
    assert [p.get_text() for p in text.find_all("p")] == [".env file: /course/.env", "❌ line 3 has no = sign"]


def test_available_renders_the_same_rows_both_ways():
    rows = AvailabilityList(
        [Availability("local", "Local model", True, "installed"), Availability("openai", "OpenAI", False, "no key")]
    )
    assert _same_table_both_ways(rows) == [
        ["usable", "name", "provider", "why"],
        ["✅", "local", "Local model", "installed"],
        ["—", "openai", "OpenAI", "no key"],
    ]
