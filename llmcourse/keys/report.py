"""The key report: one row per key variable (missing, fine, the local stand-in, or what is wrong and what to do).

`check_keys()` builds it; it prints as a table and renders as HTML (or Markdown) in Jupyter, keys masked.

Example:
    >>> from llmcourse.keys.report import KeyResult
    >>> KeyResult("openai", "OpenAI", "OPENAI_API_KEY", "ok", masked="sk-p...x9Zq").summary
    'looks fine'
"""

from __future__ import annotations

import difflib
import html
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from llmcourse.env import on_colab
from llmcourse.htmltable import code, html_table, markdown_table, markdown_text
from llmcourse.keys.envfiles import env_file_problems, file_values, find_env_file
from llmcourse.keys.lint import is_placeholder, key_problems, plain_value, prefix_warnings
from llmcourse.keys.live import live_result
from llmcourse.keys.loading import load_with_sources
from llmcourse.keys.masking import mask_key
from llmcourse.keys.specs import KEY_SPECS, KeySpec, canonical_variable, key_variables, where_to_get
from llmcourse.settings import LOCAL_API_KEY

__all__ = ["KeyReport", "KeyResult", "check_keys"]


@dataclass
class KeyResult:
    """The check of one key variable. `masked` is the only form of the key kept here.

    status: "ok" (looks fine), "warning", "problem", "missing" or "local" (the stand-in that
    setup() sets when an SDK is pointed at the local model).

    Example:
        >>> KeyResult("openai", "OpenAI", "OPENAI_API_KEY", "missing").ok
        False
    """

    provider: str
    label: str
    variable: str
    status: str
    masked: str = ""
    source: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    live: str | None = None

    @property
    def ok(self) -> bool:
        """True when the key is set and nothing is wrong with it (warnings allowed)."""
        return self.status in ("ok", "warning")

    @property
    def summary(self) -> str:
        """One line: the state and, when something is wrong, what to do."""
        if self.status == "ok":
            text = "looks fine"
        elif self.status == "local":
            text = f"not set, so the local model answers for now ({where_to_get(self.variable)})"
        elif self.status == "missing":
            text = self.problems[0] if self.problems else f"not set (optional: {where_to_get(self.variable)})"
        else:
            text = " ".join(f"{self.variable} {message}" for message in self.problems + self.warnings)
        if self.live:
            text += f" | live: {self.live}"
        return text


_HEADERS = ("status", "provider", "variable", "key", "from", "what to do")
_ICONS = {"ok": "✅", "warning": "⚠️", "problem": "❌", "missing": "—", "local": "🏠"}


@dataclass
class KeyReport:
    """All key checks: iterate over it, index it by position, provider or variable; prints as a table.

    Example:
        >>> report = check_keys(env={})                          # doctest: +SKIP
        >>> report["openai"].status                              # doctest: +SKIP
        'missing'
    """

    results: list[KeyResult]
    env_file: Path | None = None
    file_problems: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[KeyResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int | str) -> KeyResult:
        if isinstance(index, int):
            return self.results[index]
        for result in self.results:
            spec = KEY_SPECS[canonical_variable(result.variable)]
            if index in (result.provider, result.variable, spec.variable) or index in spec.providers:
                return result
        raise KeyError(f"No key check for {index!r}; known: {', '.join(r.variable for r in self.results)}")

    @property
    def problems(self) -> list[KeyResult]:
        """The results with a problem (not counting missing optional keys)."""
        return [result for result in self.results if result.status == "problem"]

    def _file_line(self) -> str:
        if self.env_file is not None:
            return f".env file: {self.env_file}"
        if on_colab():
            return ".env file: none (on Colab, keys come from the Secrets panel, the key icon on the left)"
        return ".env file: none found here or above (copy .env.example to .env and add your keys; optional)"

    def __str__(self) -> str:
        width = max((len(result.variable) for result in self.results), default=10)
        shown = max((len(result.masked) for result in self.results), default=0)
        lines = [self._file_line(), *(f"! {problem}" for problem in self.file_problems)]
        for result in self.results:
            lines.append(f"{result.status:<8} {result.variable:<{width}}  {result.masked:<{shown}}  {result.summary}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))  # IPython's plain-text display (terminal, text-only frontends)

    def _cells(self) -> list[list[str]]:
        return [
            [
                f"{_ICONS.get(result.status, '')} {result.status}",
                result.label,
                code(result.variable),
                code(result.masked),
                result.source,
                result.summary,
            ]
            for result in self.results
        ]

    def _repr_html_(self) -> str:
        notes = "".join(f"<p>❌ {html.escape(problem)}</p>" for problem in self.file_problems)
        return f"<p>{html.escape(self._file_line())}</p>{notes}{html_table(_HEADERS, self._cells())}"

    def _repr_markdown_(self) -> str:
        notes = [f"❌ {markdown_text(problem)}" for problem in self.file_problems]
        return "\n\n".join([markdown_text(self._file_line()), *notes, markdown_table(_HEADERS, self._cells())])


def _typo_hint(spec: KeySpec, names: list[str]) -> str | None:
    known = set(key_variables())
    candidates = [name for name in names if name not in known]
    for name in candidates:
        if name.upper() == spec.variable:
            return f"not set, but .env has {name}: variable names are case-sensitive, write {spec.variable}."
    close = difflib.get_close_matches(spec.variable, candidates, n=1, cutoff=0.75)
    if close:
        return f"not set, but .env has {close[0]}: did you mean {spec.variable}? Rename it and reload."
    return None


def _check_one(spec: KeySpec, value: str | None, source: str, file_names: list[str]) -> KeyResult:
    result = KeyResult(spec.providers[0], spec.label, spec.variable, "missing", source=source)
    if value is None or not value.strip():
        hint = _typo_hint(spec, file_names)
        if hint:
            result.status, result.problems = "problem", [hint]
        elif value is not None and source:
            # An empty line stays "missing" (not a mistake), with the hint where to paste the key.
            result.problems = [
                f"is empty in {source}: paste your key after the = sign ({where_to_get(spec.variable)})."
            ]
        return result
    if value.strip() == LOCAL_API_KEY:
        # setup() put the stand-in there because the learner has no key: report it as not set, not as a key.
        result.status, result.masked = "local", ""
        return result
    result.masked = mask_key(value)
    result.problems = key_problems(spec.variable, value)
    if not is_placeholder(value):
        result.warnings = prefix_warnings(spec, plain_value(value))
    result.status = "problem" if result.problems else ("warning" if result.warnings else "ok")
    return result


def check_keys(
    live: bool = False,
    *,
    start: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    base_urls: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> KeyReport:
    """Check every provider's key: missing, fine, the local stand-in, or what is wrong and what to do.

    Loads `.env` / Colab secrets first (like `load_keys(start)`), unless you pass the values to
    check as `env`. `live=True` also asks each provider whose key looks fine, once, whether it
    accepts it (`base_urls` maps provider name -> another address, e.g. a test server).
    The report shows keys masked only; in Jupyter it renders as a table.

    Example:
        >>> report = check_keys()                                # doctest: +SKIP
        >>> report                                               # doctest: +SKIP
        ok       OPENAI_API_KEY     sk-p...x9Zq  looks fine
    """
    env_file = find_env_file(start)
    in_file = file_values(env_file)
    if env is None:
        _, sources = load_with_sources(start)
        values: Mapping[str, str] = os.environ
    else:
        sources, values = {}, env
    results: list[KeyResult] = []
    for spec in KEY_SPECS.values():
        variable = next((v for v in spec.variables if (values.get(v) or "").strip()), None)
        if variable is not None:
            value: str | None = values[variable]
            source = sources.get(variable) or ("environment" if env is None else "given")
            if env is None and in_file.get(variable) == value:
                source = str(env_file)
        else:
            variable = next((v for v in spec.variables if v in in_file), spec.variable)
            value = in_file.get(variable)
            source = str(env_file) if variable in in_file else ""
        result = _check_one(spec, value, source, list(in_file))
        result.variable = variable  # the name that holds the key (GEMINI_API_KEY works as well as GOOGLE_API_KEY)
        if live and result.ok:
            accepted, sentence = live_result(
                result.provider, key=value, timeout=timeout, base_url=(base_urls or {}).get(result.provider)
            )
            result.live = sentence
            if accepted is False:
                result.status = "problem"
        results.append(result)
    return KeyReport(results, env_file, env_file_problems(start))
