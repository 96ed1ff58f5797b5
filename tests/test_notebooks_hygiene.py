"""Every notebook of the course is committed clean, and the same way.

For each notebook in the repository (week1/, week2/, week3/, troubleshooting.ipynb, any other):

- no stored outputs, except in cells tagged `nbval-check-output` in their metadata (nbval compares
  those; tags are invisible to learners), and every such check cell HAS its stored output and an
  integer execution count (nbval refuses stored outputs on a cell whose count is null);
- execution counts are null outside check cells;
- no `# NBVAL_...` comment line in any cell: nbval's markers live in cell tags (`nbval-check-output`,
  `nbval-ignore-output`, `nbval-skip`, `nbval-raises-exception`), where learners don't see them;
- it is a valid nbformat 4 notebook, with kernelspec name "python3";
- the first cell is Markdown with the "Open in Colab" badge pointing at this notebook's own path;
- the first code cell calls `setup()` or `load_keys()` from llmcourse (keys loaded, backend named);
- a "What you can do now" heading;
- nothing in any stored output looks like an API key (sk-..., sk-ant-..., AIza..., hf_..., r8_...).

The checks are plain functions (`notebook_problems`, `key_like_strings`), tested below on small
notebooks built in memory, so each check is shown to fail when it should.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from llmcourse.repo import badge_url

ROOT = Path(__file__).resolve().parent.parent
CHECK_TAG = "nbval-check-output"
NBVAL_TAGS = ("nbval-check-output", "nbval-ignore-output", "nbval-skip", "nbval-raises-exception")
# The badge prefix derives from settings.REPO (the one place the course's home is written; `llmcourse set-repo`).
COLAB_PREFIX = badge_url("")
WEEK1 = ("day1", "day2", "day3", "day4", "day5", "exercise")

# Shapes of real keys. The look-behind keeps "task-..." or "chef_..." from counting as a key.
KEY_PATTERNS: dict[str, re.Pattern[str]] = {
    "Anthropic key (sk-ant-...)": re.compile(r"(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_-]{20,}"),
    "OpenAI-style key (sk-...)": re.compile(r"(?<![A-Za-z0-9])sk-(?!ant-)[A-Za-z0-9_-]{20,}"),
    "Google key (AIza...)": re.compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{30,}"),
    "Hugging Face token (hf_...)": re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,}"),
    "Replicate token (r8_...)": re.compile(r"(?<![A-Za-z0-9])r8_[A-Za-z0-9]{30,}"),
}
_NBVAL_COMMENT = re.compile(r"^\s*#\s*NBVAL_", re.MULTILINE)
_FIRST_CODE_CALL = re.compile(r"\b(?:setup|load_keys)\(")
_WHAT_YOU_CAN_DO = re.compile(r"^#{1,6}\s*What you can do now\b", re.IGNORECASE | re.MULTILINE)


def all_notebooks(root: Path = ROOT) -> list[Path]:
    """Every .ipynb of the course: not in hidden folders (.venv, .cache, checkpoints) or tests/."""
    found = []
    for path in root.rglob("*.ipynb"):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts) or parts[0] in ("tests", "build", "node_modules"):
            continue
        found.append(path)
    return sorted(found)


def cell_tags(cell) -> list[str]:
    """The cell's metadata tags (an empty list when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def is_check_cell(cell) -> bool:
    """True for a code cell tagged `nbval-check-output` (nbval compares its stored output)."""
    return cell.cell_type == "code" and CHECK_TAG in cell_tags(cell)


def key_like_strings(text: str) -> list[str]:
    """Names of the key shapes found in `text` (never the keys themselves).

    Example:
        >>> key_like_strings("token: hf_" + "a" * 34)
        ['Hugging Face token (hf_...)']
    """
    return [name for name, pattern in KEY_PATTERNS.items() if pattern.search(text)]


def notebook_problems(nb, relative_path: str) -> list[str]:
    """Everything wrong with one notebook, as readable lines (empty when it is clean)."""
    problems: list[str] = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        problems.append(f"not a valid notebook: {error.message}")
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f'kernelspec name is {kernel!r}, not "python3"')

    cells = nb.cells
    badge = COLAB_PREFIX + relative_path
    if not cells or cells[0].cell_type != "markdown" or badge not in cells[0].source:
        problems.append(f"the first cell is not a Markdown cell with the Colab badge linking to {badge}")
    code_cells = [cell for cell in cells if cell.cell_type == "code"]
    if not code_cells or not ("llmcourse" in code_cells[0].source and _FIRST_CODE_CALL.search(code_cells[0].source)):
        problems.append("the first code cell does not call llmcourse's setup() or load_keys()")
    if not any(cell.cell_type == "markdown" and _WHAT_YOU_CAN_DO.search(cell.source) for cell in cells):
        problems.append('no "What you can do now" heading')

    for number, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {number} ({cell.source.strip().splitlines()[0][:60] if cell.source.strip() else 'empty'!r})"
        if _NBVAL_COMMENT.search(cell.source):
            problems.append(
                f"{where} has a '# NBVAL_' comment line: use the cell tag instead ({', '.join(NBVAL_TAGS)})"
            )
        if is_check_cell(cell):
            if not cell.outputs:
                problems.append(f"{where} is tagged {CHECK_TAG} but has no stored output")
            if not isinstance(cell.execution_count, int):
                problems.append(f"{where} is tagged {CHECK_TAG} but its execution_count is not an integer")
        else:
            if cell.outputs:
                problems.append(f"{where} has {len(cell.outputs)} stored output(s) but is not tagged {CHECK_TAG}")
            if cell.execution_count is not None:
                problems.append(f"{where} has execution_count {cell.execution_count}, not null")
        for name in key_like_strings(json.dumps(cell.get("outputs", []))):
            problems.append(f"{where}: an output contains something shaped like a {name}")
    return problems


# ------------------------------------------------------------------------- the real notebooks

NOTEBOOKS = all_notebooks()


def test_week1_notebooks_exist():
    present = {path.stem for path in NOTEBOOKS if path.parent == ROOT / "week1"}
    assert set(WEEK1) <= present, f"missing in week1/: {sorted(set(WEEK1) - present)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_notebook_is_clean(path: Path):
    nb = nbformat.read(path, as_version=4)
    problems = notebook_problems(nb, path.relative_to(ROOT).as_posix())
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


def test_no_week1_notebook_has_outputs_outside_check_cells():
    stray = {}
    for stem in WEEK1:
        nb = nbformat.read(ROOT / "week1" / f"{stem}.ipynb", as_version=4)
        count = sum(1 for cell in nb.cells if cell.cell_type == "code" and not is_check_cell(cell) and cell.outputs)
        if count:
            stray[stem] = count
    assert stray == {}, f"cells with stored outputs outside check cells: {stray}"


def _stored_text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.outputs if out.get("output_type") == "stream")


def test_brochure_notebook_rejects_a_private_link_in_a_check_cell():
    nb = nbformat.read(ROOT / "week1" / "day5.ipynb", as_version=4)
    checked = "\n".join(_stored_text(cell) for cell in nb.cells if is_check_cell(cell))
    assert "Rejected: Refusing to fetch 'http://169.254.169.254/latest/meta-data/'" in checked
    assert "link-local address" in checked  # the private-address reason itself, not only "another site"
    assert "Kept: {'type': 'about page', 'url': 'https://huggingface.co/about'}" in checked


def test_token_counts_are_check_cells():
    nb = nbformat.read(ROOT / "week1" / "day4.ipynb", as_version=4)
    checked = [cell for cell in nb.cells if is_check_cell(cell)]
    assert any("tiktoken" in cell.source for cell in checked)
    assert any("o200k_base" in _stored_text(cell) for cell in checked)


# ------------------------------------------------------------------- the checks can fail


def _clean_notebook(path: str = "week9/demo.ipynb"):
    nb = new_notebook(
        cells=[
            new_markdown_cell(
                f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({COLAB_PREFIX}{path})"
            ),
            new_code_cell("import llmcourse\n\nbackend = llmcourse.setup()"),
            new_code_cell(
                "print(1 + 1)",
                execution_count=1,
                metadata={"tags": [CHECK_TAG]},
                outputs=[new_output("stream", name="stdout", text="2\n")],
            ),
            new_markdown_cell("## What you can do now\n\n* Add."),
        ]
    )
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb


def test_a_clean_notebook_has_no_problems():
    assert notebook_problems(_clean_notebook(), "week9/demo.ipynb") == []


def test_stray_output_and_execution_count_are_found():
    nb = _clean_notebook()
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="OpenAI SDK -> local model\n")]
    nb.cells[1].execution_count = 3
    problems = notebook_problems(nb, "week9/demo.ipynb")
    assert any("stored output(s) but is not tagged" in p for p in problems)
    assert any("execution_count 3" in p for p in problems)


def test_check_cell_without_output_is_found():
    nb = _clean_notebook()
    nb.cells[2].outputs = []
    assert any("has no stored output" in p for p in notebook_problems(nb, "week9/demo.ipynb"))


def test_check_cell_needs_an_integer_execution_count():
    nb = _clean_notebook()
    nb.cells[2].execution_count = None
    assert any("execution_count is not an integer" in p for p in notebook_problems(nb, "week9/demo.ipynb"))


def test_check_cells_are_found_by_tag_not_by_comment():
    assert is_check_cell(new_code_cell("x = 1", metadata={"tags": ["nbval-ignore-output", CHECK_TAG]}))
    assert not is_check_cell(new_code_cell("# NBVAL_CHECK_OUTPUT\nx = 1"))
    assert not is_check_cell(new_markdown_cell("x", metadata={"tags": [CHECK_TAG]}))


@pytest.mark.parametrize(
    "marker", ["# NBVAL_CHECK_OUTPUT", "  # NBVAL_IGNORE_OUTPUT", "#NBVAL_SKIP", "# NBVAL_RAISES_EXCEPTION"]
)
def test_nbval_comment_lines_are_found(marker: str):
    nb = _clean_notebook()
    nb.cells[2].source = f"{marker}\nprint(1 + 1)"
    assert any("'# NBVAL_' comment line" in p for p in notebook_problems(nb, "week9/demo.ipynb"))


def test_a_comment_that_merely_mentions_nbval_is_not_a_marker():
    nb = _clean_notebook()
    nb.cells[2].source = "print(1 + 1)  # nbval compares this output (NBVAL_CHECK_OUTPUT is a tag now)"
    assert notebook_problems(nb, "week9/demo.ipynb") == []


def test_badge_setup_heading_and_kernel_are_required():
    nb = _clean_notebook()
    nb.metadata["kernelspec"]["name"] = "llms"
    nb.cells[1].source = "import os"
    nb.cells[3].source = "## Summary"
    problems = notebook_problems(nb, "week9/other.ipynb")  # the badge links to demo.ipynb
    assert any("Colab badge" in p for p in problems)
    assert any("setup() or load_keys()" in p for p in problems)
    assert any("What you can do now" in p for p in problems)
    assert any("kernelspec" in p for p in problems)


@pytest.mark.parametrize(
    "secret, shape",
    [
        ("sk-proj-" + "Ab3" * 10, "OpenAI-style key (sk-...)"),
        ("sk-ant-api03-" + "x9Y" * 10, "Anthropic key (sk-ant-...)"),
        ("AIza" + "Sy" * 18, "Google key (AIza...)"),
        ("hf_" + "aBc" * 12, "Hugging Face token (hf_...)"),
        ("r8_" + "Zz1" * 12, "Replicate token (r8_...)"),
    ],
)
def test_key_shaped_output_is_found(secret: str, shape: str):
    nb = _clean_notebook()
    nb.cells[2].outputs = [new_output("stream", name="stdout", text=f"key = {secret}\n")]
    problems = notebook_problems(nb, "week9/demo.ipynb")
    assert any(shape in p for p in problems)
    assert not any(secret in p for p in problems), "the report must never repeat the key"


def test_masked_keys_and_ordinary_words_are_not_keys():
    text = "OPENAI_API_KEY sk-p...x9Zq ok; task-scheduler-configuration-file; llmcourse-local; chef_hat"
    assert key_like_strings(text) == []
