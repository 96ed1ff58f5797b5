"""The troubleshooting report: `Check` rows, their statuses in plain words, aligned columns and a one-sentence verdict.

Statuses are words, not emoji (a machine without an emoji font shows boxes): OK (works), INFO (a
normal state worth knowing: no `.env`, Ollama not running), WARN (works, but worth fixing), FAIL
(must be fixed; the row says how) and SKIP (not checked). A `CheckList` prints as left-aligned
columns, renders as a table in Jupyter (HTML, or Markdown where HTML is not shown), and ends with
`verdict()`: one sentence a beginner reads first.

Example:
    >>> from llmcourse.checkreport import Check, CheckList
    >>> report = CheckList([Check("local model", "ok", "installed"), Check(".env file", "info", "none yet")])
    >>> print(report)
    OK    local model  installed
    INFO  .env file    none yet
    >>> report.verdict()
    'Ready: the local model is installed (no key needed); add keys to .env for the real models.'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from llmcourse.htmltable import Raw, html_table, markdown_table

__all__ = ["LIVE_CALL", "LOCAL_MODEL", "STATUSES", "Check", "CheckList", "Status"]

Status = Literal["ok", "info", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("ok", "info", "warn", "fail", "skip")
# Row names the verdict reads (the checks that make them use these names).
LOCAL_MODEL = "local model"
LIVE_CALL = "live call"
_KEY_ROW = "key "  # "key OPENAI_API_KEY", one row per key that is set
_NAME_WIDTH = 26  # longer names push their own row's detail along instead of every row's
_HEADERS = ("status", "check", "result", "what to do")
_COLOURS = {"ok": "#1a7f37", "info": "#0969da", "warn": "#9a6700", "fail": "#cf222e", "skip": "#6e7781"}


@dataclass
class Check:
    """One check's outcome: `status` is one of STATUSES; `fix` says what to do (shown for INFO, WARN and FAIL).

    Example:
        >>> Check("Python version", "ok", "3.12.1").status
        'ok'
    """

    name: str
    status: Status
    detail: str
    fix: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        from llmcourse.keys import mask_secrets

        # Every line doctor prints goes through the one key masker (an SDK error may quote a key).
        self.detail, self.fix = mask_secrets(self.detail), mask_secrets(self.fix)

    def __str__(self) -> str:
        return str(CheckList([self]))

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return CheckList([self])._repr_html_()

    def _repr_markdown_(self) -> str:
        return CheckList([self])._repr_markdown_()


class CheckList(list):
    """A list of `Check`s that prints as aligned columns and renders as a table in Jupyter.

    Example:
        >>> CheckList([Check("x", "fail", "broken", "fix it")]).failed
        True
    """

    @property
    def failed(self) -> bool:
        """True when any check failed."""
        return any(check.status == "fail" for check in self)

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status.

        Example:
            >>> CheckList([Check("x", "info", "fine")]).counts()["info"]
            1
        """
        return {status: sum(check.status == status for check in self) for status in STATUSES}

    def _row(self, name: str) -> Check | None:
        return next((check for check in self if check.name == name or check.name.startswith(name + " (")), None)

    def verdict(self) -> str:
        """One sentence: can the course run now, and what is the next step?

        Example:
            >>> CheckList([Check("live call (OpenAI)", "fail", "no answer", "check the key")]).verdict()
            'Not ready: 1 check failed (live call (OpenAI)); each FAIL row says what to do.'
        """
        failed = [check.name for check in self if check.status == "fail"]
        if failed:
            shown = ", ".join(failed[:3]) + (", ..." if len(failed) > 3 else "")
            return (
                f"Not ready: {len(failed)} check{'s' if len(failed) > 1 else ''} failed ({shown}); "
                "each FAIL row says what to do."
            )
        keys = [
            check
            for check in self  # "key OPENAI_API_KEY" rows, not "key route ..." (where keys would go)
            if check.name.startswith(_KEY_ROW) and not check.name.startswith("key route") and check.status == "ok"
        ]
        live, local = self._row(LIVE_CALL), self._row(LOCAL_MODEL)
        live_ok = live is not None and live.status == "ok"
        if keys:
            answered = " and a live call answered" if live_ok else ""
            return f"Ready: {len(keys)} key{'s are' if len(keys) > 1 else ' is'} set{answered}."
        if live_ok:
            return "Ready: the local model answers; add keys to .env for the real models."
        if local is not None and local.status == "ok":
            return "Ready: the local model is installed (no key needed); add keys to .env for the real models."
        return "Almost ready: no model can answer yet. Add a key to .env, or install the local model (see its row)."

    def __str__(self) -> str:
        width = min(_NAME_WIDTH, max((len(check.name) for check in self), default=0))
        lines = []
        for check in self:
            lines.append(f"{check.status.upper():<5} {check.name:<{width}}  {check.detail}".rstrip())
            if check.fix and check.status in ("info", "warn", "fail"):
                lines.append(f"{'':<5} {'':<{width}}  what to do: {check.fix}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))  # IPython's plain-text display (terminal, text-only frontends)

    def _cells(self, status: Callable[[Check], Raw]) -> list[list[str]]:
        return [
            [status(check), check.name, check.detail, check.fix if check.status in ("info", "warn", "fail") else ""]
            for check in self
        ]

    def _repr_html_(self) -> str:
        return html_table(
            _HEADERS, self._cells(lambda c: Raw(f"<b style='color:{_COLOURS[c.status]}'>{c.status.upper()}</b>"))
        )

    def _repr_markdown_(self) -> str:
        return markdown_table(_HEADERS, self._cells(lambda c: Raw(f"**{c.status.upper()}**")))
