"""Reading the work: items with ids, from a Python list or a JSONL/CSV file.

A bad line (broken JSON, no id, a duplicate id) is reported with its line number and skipped;
the good lines still run. Ids are strings, so `1` in one file and `"1"` in another are the same item.

Example:
    >>> items, problems = read_items([{"id": 1, "text": "great"}, {"text": "no id"}])
    >>> [item.id for item in items], problems[0].line
    (['1'], 2)
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["InputProblem", "Item", "read_items"]


@dataclass(frozen=True)
class Item:
    """One unit of work: its id (a string), its fields, and where it came from (line number or position).

    Example:
        >>> Item("7", {"id": "7", "text": "fine"}, 7).data["text"]
        'fine'
    """

    id: str
    data: dict[str, Any] = field(repr=False)
    line: int | None = None


@dataclass(frozen=True)
class InputProblem:
    """A line of input that could not be used, and why. `line` is 1-based (for a list: the position + 1).

    Example:
        >>> str(InputProblem(3, "not valid JSON"))
        'line 3: not valid JSON'
    """

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _item_from_mapping(
    data: dict[str, Any], line: int, id_field: str, seen: set[str], problems: list[InputProblem]
) -> Item | None:
    raw_id = data.get(id_field)
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        problems.append(InputProblem(line, f"no {id_field!r} field; every item needs an id so the run can resume"))
        return None
    if isinstance(raw_id, (dict, list)):
        problems.append(
            InputProblem(line, f"the {id_field!r} field must be a string or a number, not {type(raw_id).__name__}")
        )
        return None
    item_id = str(raw_id).strip()
    if item_id in seen:
        problems.append(InputProblem(line, f"duplicate id {item_id!r}; only its first occurrence runs"))
        return None
    seen.add(item_id)
    return Item(item_id, data, line)


def _read_jsonl(path: Path, id_field: str) -> tuple[list[Item], list[InputProblem]]:
    items: list[Item] = []
    problems: list[InputProblem] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as error:
                problems.append(InputProblem(number, f"not valid JSON ({error.msg} at column {error.colno})"))
                continue
            if not isinstance(data, dict):
                problems.append(
                    InputProblem(number, f"expected a JSON object with an {id_field!r}, got {type(data).__name__}")
                )
                continue
            item = _item_from_mapping(data, number, id_field, seen, problems)
            if item is not None:
                items.append(item)
    return items, problems


def _read_csv(path: Path, id_field: str) -> tuple[list[Item], list[InputProblem]]:
    items: list[Item] = []
    problems: list[InputProblem] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or id_field not in reader.fieldnames:
            columns = ", ".join(reader.fieldnames or []) or "none"
            raise ValueError(
                f"{path}: the CSV header has no {id_field!r} column (columns: {columns}). "
                f"Add one, or pass id_field= / --id-field with the name of your id column."
            )
        for row in reader:
            number = reader.line_num  # the line the row ended on (rows may span lines)
            if None in row:  # more cells than header columns
                problems.append(InputProblem(number, f"{len(row[None])} more cell(s) than the header has columns"))
                continue
            item = _item_from_mapping(dict(row), number, id_field, seen, problems)
            if item is not None:
                items.append(item)
    return items, problems


def _read_list(values: Iterable[Any], id_field: str) -> tuple[list[Item], list[InputProblem]]:
    items: list[Item] = []
    problems: list[InputProblem] = []
    seen: set[str] = set()
    for position, value in enumerate(values):
        if isinstance(value, str):
            # a bare prompt: its position is its id, so the same list resumes the same way
            value = {id_field: str(position), "prompt": value}
        if not isinstance(value, dict):
            problems.append(InputProblem(position + 1, f"expected a dict or a string, got {type(value).__name__}"))
            continue
        item = _item_from_mapping(value, position + 1, id_field, seen, problems)
        if item is not None:
            items.append(item)
    return items, problems


def read_items(source: str | Path | Iterable[Any], *, id_field: str = "id") -> tuple[list[Item], list[InputProblem]]:
    """Read items from a list (dicts with an id, or plain prompt strings whose position is the id)
    or from a `.jsonl` / `.csv` file. Returns the good items and the problems found, in input order.

    Example:
        >>> items, problems = read_items(["Say hi", "Say bye"])
        >>> [(item.id, item.data["prompt"]) for item in items]
        [('0', 'Say hi'), ('1', 'Say bye')]
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"input file {str(path)!r} does not exist (working folder: {Path.cwd()})")
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            return _read_jsonl(path, id_field)
        if suffix == ".csv":
            return _read_csv(path, id_field)
        raise ValueError(f"{path}: unknown input format {suffix!r}; use a .jsonl or a .csv file")
    return _read_list(source, id_field)
