"""The results file: one JSON line per finished item, appended and flushed as each finishes.

A crash (even `kill -9`) loses at most the items in flight: every finished item is already on disk,
and at worst the last line is cut short. Resuming reads the file, ignores (and reports) such a torn
last line, and skips the ids already done. When something must be dropped (the torn line, or old
records of items that will run again), the file is rewritten to a temporary file and swapped in
atomically, so each id appears at most once in it at every moment.

Record statuses:
- `ok`: the answer is in `output`. Never sent again (unless you regenerate).
- `failed`: a permanent error (400/401/403/404/422, or the item could not be made into a prompt).
  Recorded once and not retried on resume, unless `retry_failed=True` (CLI: `--retry-failed`).
- `gave_up`: a temporary error (429, 5xx, timeout) outlasted the attempt limit. Runs again on resume.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.jsonl"
    >>> with ResultLog(path) as log:
    ...     log.append({"id": "1", "status": "ok", "output": "positive"})
    >>> [record["id"] for record in read_results(path).records.values()]
    ['1']
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmcourse.batch.safefiles import (
    open_for_append,
    refuse_symlink,
    remove_stale_temporaries,
    truncate,
    write_atomically,
)

__all__ = [
    "STATUS_FAILED",
    "STATUS_GAVE_UP",
    "STATUS_OK",
    "ExistingResults",
    "ResultLog",
    "csv_cell",
    "export_results",
    "id_sort_key",
    "load_results",
    "prepare_results_file",
    "read_results",
]

STATUS_OK = "ok"
STATUS_FAILED = "failed"
STATUS_GAVE_UP = "gave_up"


@dataclass
class ExistingResults:
    """What a results file holds: the record per id (the last one, if an id repeats) and any torn last line.

    Example:
        >>> ExistingResults().records
        {}
    """

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    torn_line: int | None = None
    duplicates: int = 0
    ends_cleanly: bool = True


def id_sort_key(item_id: Any) -> tuple[int, int | str]:
    """Sort ids numerically when they are whole numbers ("2" before "10"), then the rest as text.

    Example:
        >>> sorted(["10", "b", "2", "a"], key=id_sort_key)
        ['2', '10', 'a', 'b']
    """
    text = str(item_id)
    try:
        return (0, int(text))
    except ValueError:
        return (1, text)


def read_results(path: str | Path) -> ExistingResults:
    """Read a results file, tolerating a torn last line (a write cut off by a crash).

    Any other unreadable line means the file was edited or damaged: that raises, rather than silently
    dropping it.

    Example:
        >>> read_results("/nonexistent/results.jsonl").records
        {}
    """
    path = Path(path)
    existing = ExistingResults()
    if not path.exists():
        return existing
    data = path.read_bytes()
    existing.ends_cleanly = data.endswith(b"\n") or not data
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            if not isinstance(record, dict) or "id" not in record or "status" not in record:
                raise ValueError("not a result record")
        except ValueError:
            if number == len(lines):
                existing.torn_line = number
                continue
            raise ValueError(
                f"{path}: line {number} is not a result record. The file was edited or damaged; "
                "fix or delete that line, or start over with regenerate=True (--regenerate)."
            ) from None
        item_id = str(record["id"])
        if item_id in existing.records:
            existing.duplicates += 1
        existing.records[item_id] = record
    return existing


def _rewrite_atomically(path: Path, records: Iterable[dict[str, Any]], what: str = "results file") -> None:
    write_atomically(path, (json.dumps(record, ensure_ascii=False) + "\n" for record in records), what)


def prepare_results_file(
    path: str | Path, *, regenerate: bool = False, retry_failed: bool = False
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Get a results file ready for a run: returns the records to keep (their ids are skipped) and notes.

    `regenerate=True` starts over (the file is emptied). Otherwise `ok` records are kept, `failed`
    ones too unless `retry_failed`, and everything else (a torn last line, `gave_up` records) is
    dropped from the file because those items will run again. A symbolic link at `path` is refused,
    and temporary files left by a rewrite that was killed are deleted (hold the `ResultsLock`).

    Example:
        >>> import tempfile, pathlib
        >>> kept, notes = prepare_results_file(pathlib.Path(tempfile.mkdtemp()) / "new.jsonl")
        >>> kept, notes
        ({}, [])
    """
    path = refuse_symlink(path, "results file")
    path.parent.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    for stale in remove_stale_temporaries(path):
        notes.append(f"removed {stale.name}, left behind by a run that was stopped while rewriting {path.name}")
    if regenerate:
        if path.exists() and path.stat().st_size:
            notes.append(f"regenerate: started {path} over")
        truncate(path)
        return {}, notes
    existing = read_results(path)
    keep_statuses = {STATUS_OK} if retry_failed else {STATUS_OK, STATUS_FAILED}
    kept = {i: r for i, r in existing.records.items() if r.get("status") in keep_statuses}
    if existing.torn_line is not None:
        notes.append(
            f"{path}: ignored the cut-off last line {existing.torn_line} (a run was interrupted while "
            "writing it); that item runs again"
        )
    redo = len(existing.records) - len(kept)
    if redo:
        notes.append(f"{redo} item(s) recorded as {'failed or ' if retry_failed else ''}gave_up will run again")
    if existing.torn_line is not None or redo or existing.duplicates or not existing.ends_cleanly:
        _rewrite_atomically(path, kept.values())
    return kept, notes


class ResultLog:
    """Appends one JSON line per finished item and flushes it at once (`fsync=True` also forces it to disk).

    Example:
        >>> import tempfile, pathlib
        >>> with ResultLog(pathlib.Path(tempfile.mkdtemp()) / "r.jsonl") as log:
        ...     log.append({"id": "a", "status": "ok"})
        >>> log.written
        1
    """

    def __init__(self, path: str | Path, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fsync = fsync
        self._file = open_for_append(self.path)
        self.written = 0

    def append(self, record: dict[str, Any]) -> None:
        """Write one record as one line, in one write call, and flush it."""
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        self.written += 1

    def close(self) -> None:
        """Close the file (records are already flushed)."""
        self._file.close()

    def __enter__(self) -> ResultLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def load_results(path: str | Path) -> list[dict[str, Any]]:
    """All records of a results file, sorted by id.

    Example:
        >>> load_results("/nonexistent/results.jsonl")
        []
    """
    records = read_results(path).records
    return [records[i] for i in sorted(records, key=id_sort_key)]


_CSV_COLUMNS = [
    "id",
    "status",
    "parsed",
    "output",
    "attempts",
    "latency_s",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "error",
]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value made safe for a spreadsheet: text that a spreadsheet would run as a formula gets a leading `'`.

    Model outputs and ids are untrusted text; `=HYPERLINK(...)` or `=1+1` in a CSV cell would be
    evaluated when the file is opened in Excel, LibreOffice or Google Sheets (CSV injection).

    Example:
        >>> csv_cell("=1+1"), csv_cell("-5"), csv_cell("fine"), csv_cell(-5)
        ("'=1+1", "'-5", 'fine', -5)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def export_results(path: str | Path, destination: str | Path) -> int:
    """Write the results sorted by id to `destination` (.jsonl, or .csv with one column per field).
    Returns the number of records. The results file itself is left as it is (completion order).
    The destination is replaced atomically and never written through a symbolic link; CSV text that
    a spreadsheet would run as a formula is prefixed with `'` (see `csv_cell`).

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> with ResultLog(folder / "r.jsonl") as log:
        ...     log.append({"id": "2", "status": "ok"}); log.append({"id": "1", "status": "ok"})
        >>> export_results(folder / "r.jsonl", folder / "sorted.jsonl")
        2
    """
    destination = refuse_symlink(destination, "export file")
    records = load_results(path)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.suffix.lower() == ".csv":
        write_atomically(destination, _csv_lines(records), "export file")
    else:
        _rewrite_atomically(destination, records, "export file")
    return len(records)


def _csv_lines(records: list[dict[str, Any]]) -> Iterable[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_COLUMNS)
    writer.writeheader()
    yield buffer.getvalue()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        usage = record.get("usage") or {}
        error = record.get("error") or {}
        parsed = record.get("parsed")
        row = {
            "id": record["id"],
            "status": record.get("status"),
            "parsed": parsed if parsed is None or isinstance(parsed, str) else json.dumps(parsed, ensure_ascii=False),
            "output": record.get("output"),
            "attempts": record.get("attempts"),
            "latency_s": record.get("latency_s"),
            "input_tokens": usage.get("input_tokens"),
            "output_tokens": usage.get("output_tokens"),
            "cost_usd": record.get("cost_usd"),
            "error": error.get("message"),
        }
        writer.writerow({column: csv_cell(value) for column, value in row.items()})
        yield buffer.getvalue()
