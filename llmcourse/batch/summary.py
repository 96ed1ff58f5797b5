"""The outcome of a batch run: counts, tokens, cost and time, printable as a short report.

Example:
    >>> print(BatchSummary(out="results.jsonl", total=3, ok=3, input_tokens=30, output_tokens=6, cost_usd=0.0))
    results.jsonl: 3 ok, 0 failed, 0 gave up (3 items in the input)
    tokens: 30 in + 6 out; cost free (a model priced at $0, such as the local one)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from llmcourse.batch.inputs import InputProblem

__all__ = ["BatchSummary"]


@dataclass
class BatchSummary:
    """Counts for one run. `ok`/`failed`/`gave_up` count items finished in this run; `skipped` the ids the
    results file already held; `not_started` the items left when the run stopped early.

    Example:
        >>> BatchSummary(out="r.jsonl", total=2, ok=1, failed=1).finished
        2
    """

    out: str | Path
    total: int = 0
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    gave_up: int = 0
    not_started: int = 0
    input_problems: list[InputProblem] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    cost_unknown: int = 0  # finished items whose model has no price in llmcourse.settings
    elapsed_s: float = 0.0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0  # 429 answers received
    stopped: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def finished(self) -> int:
        """Items that got a record in this run."""
        return self.ok + self.failed + self.gave_up

    @property
    def all_ok(self) -> bool:
        """True when every item this run tried ended `ok`, none was left unstarted and no input line was rejected."""
        return self.failed == self.gave_up == self.not_started == 0 and not self.input_problems

    def __str__(self) -> str:
        lines = [
            f"{self.out}: {self.ok} ok, {self.failed} failed, {self.gave_up} gave up ({self.total} items in the input)"
        ]
        if self.skipped:
            lines.append(f"already done before this run (skipped): {self.skipped}")
        if self.not_started:
            lines.append(f"not started: {self.not_started} (run again to resume)")
        if self.input_problems:
            lines.append(f"input lines rejected: {len(self.input_problems)}")
            lines += [f"  {problem}" for problem in self.input_problems[:10]]
            if len(self.input_problems) > 10:
                lines.append(f"  ... and {len(self.input_problems) - 10} more")
        if not self.finished:
            lines.append("nothing was sent in this run")
            lines += self.notes
            return "\n".join(lines)
        if self.cost_usd is None:
            cost = "unknown (no price for this model)"
        elif self.cost_usd == 0:
            cost = "free (a model priced at $0, such as the local one)"
        else:  # two significant digits: $0.00012, $1.3
            cost = f"≈ ${self.cost_usd:.2g}" if self.cost_usd < 1 else f"≈ ${self.cost_usd:,.2f}"
        if self.cost_usd is not None and self.cost_unknown:
            cost += f" (+ {self.cost_unknown} items with no known price)"
        lines.append(f"tokens: {self.input_tokens:,} in + {self.output_tokens:,} out; cost {cost}")
        if self.requests:
            rate = self.requests / self.elapsed_s if self.elapsed_s else 0.0
            lines.append(
                f"requests: {self.requests} in {self.elapsed_s:.1f} s ({rate:.1f}/s); "
                f"retries: {self.retries}; 429 answers: {self.rate_limited}"
            )
        if self.stopped:
            lines.append(f"stopped early: {self.stopped}")
        if self.failed:
            lines.append(
                "failed items are not retried on resume; fix the cause, then run with retry_failed=True "
                "(--retry-failed)"
            )
        lines += self.notes
        return "\n".join(lines)
