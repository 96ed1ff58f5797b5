"""The batch runner: many prompts, concurrently, under rate limits, resumable after any crash.

Workers (at most `concurrency` items in progress) take items in input order; each request waits for
the rate limiter, then goes out through the official SDK. Temporary errors (429, 5xx, timeouts) are
retried with exponential backoff, jitter and `Retry-After`, up to `max_attempts`; permanent ones
(400, 401, 403, 404, 422) are recorded once. Every finished item is appended to the results file
and flushed at once, so a crash loses only the items in flight, and a rerun skips what is done.

`arun_batch` is the async core (`await` it in a notebook); `run_batch` is the same thing for plain
code, and also works inside Jupyter's already-running event loop (it runs in a worker thread).

Example:
    >>> summary = run_batch(["Say hi", "Say bye"], out="results/hello.jsonl",
    ...                     model=MODELS["openai"], requests_per_minute=60)    # doctest: +SKIP
    >>> print(summary)                                                       # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from llmcourse.batch.callers import Caller, default_model, make_caller
from llmcourse.batch.costs import cost_usd
from llmcourse.batch.inputs import Item, read_items
from llmcourse.batch.limits import RateLimiter
from llmcourse.batch.messages import MessageBuilder, PromptError, build_messages
from llmcourse.batch.records import (
    STATUS_FAILED,
    STATUS_GAVE_UP,
    STATUS_OK,
    ResultLog,
    prepare_results_file,
)
from llmcourse.batch.retry import Failure, backoff_delay, classify_error
from llmcourse.batch.safefiles import holding_results_lock
from llmcourse.batch.summary import BatchSummary
from llmcourse.batch.sync import run_sync
from llmcourse.batch.tokens import estimate_tokens

__all__ = ["MAX_RETRY_AFTER_S", "arun_batch", "run_batch"]

MAX_RETRY_AFTER_S = 300.0  # the longest Retry-After honoured as given


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class _Run:
    """The state of one run, shared by its workers (all on one event loop, so no locks are needed)."""

    def __init__(
        self,
        *,
        caller: Caller,
        model: str,
        limiter: RateLimiter,
        log: ResultLog,
        summary: BatchSummary,
        build: Callable[[Item], list[dict[str, Any]]],
        params: dict[str, Any],
        parse: Callable[[str], Any] | None,
        max_attempts: int,
        timeout: float,
        backoff_base: float,
        backoff_cap: float,
        pause_all_on_rate_limit: bool,
        stop_on_auth_error: bool,
        bar: Any,
    ) -> None:
        self.caller, self.model, self.limiter, self.log, self.summary = caller, model, limiter, log, summary
        self.build, self.params, self.parse = build, params, parse
        self.max_attempts, self.timeout = max_attempts, timeout
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.pause_all_on_rate_limit, self.stop_on_auth_error = pause_all_on_rate_limit, stop_on_auth_error
        self.bar = bar
        self.stop_reason: str | None = None
        self.max_output_tokens = params.get("max_tokens") or params.get("max_completion_tokens")

    def _record(self, item: Item, status: str, attempts: int, started: float, **fields: Any) -> dict[str, Any]:
        record = {
            "id": item.id,
            "status": status,
            "attempts": attempts,
            "latency_s": fields.pop("latency_s", None),
            "elapsed_s": round(time.monotonic() - started, 3),
            "usage": fields.pop("usage", None),
            "cost_usd": fields.pop("cost_usd", None),
            "error": fields.pop("error", None),
            "output": fields.pop("output", None),
            "model": fields.pop("model", None),
        }
        record.update(fields)
        record["finished_at"] = _now_iso()
        return record

    def _success(self, item: Item, reply: Any, attempts: int, started: float, latency: float) -> dict[str, Any]:
        cost = cost_usd(reply.usage, reply.model, self.model)
        record = self._record(
            item,
            STATUS_OK,
            attempts,
            started,
            latency_s=round(latency, 3),
            usage=reply.usage,
            cost_usd=cost,
            output=reply.text,
            model=reply.model or self.model,
        )
        if reply.finish_reason == "length":
            record["truncated"] = True  # the answer hit max_tokens
        if self.parse is not None:
            try:
                record["parsed"] = self.parse(reply.text)
            except Exception as error:  # noqa: BLE001 (a bad answer is the model's doing: keep it, say why)
                record["parsed"] = None
                record["parse_error"] = f"{type(error).__name__}: {error}"
        usage = reply.usage or {}
        self.summary.input_tokens += usage.get("input_tokens", 0)
        self.summary.output_tokens += usage.get("output_tokens", 0)
        if cost is None:
            self.summary.cost_unknown += 1
        else:
            self.summary.cost_usd = (self.summary.cost_usd or 0.0) + cost
        return record

    async def process(self, item: Item) -> dict[str, Any]:
        started = time.monotonic()
        try:
            messages = self.build(item)
        except PromptError as error:
            failure = Failure("invalid_input", False, None, str(error))
            return self._record(item, STATUS_FAILED, 0, started, error=failure.as_record())
        estimate = estimate_tokens(messages, max_output_tokens=self.max_output_tokens)
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.acquire(estimate)
            self.summary.requests += 1
            sent = time.monotonic()
            try:
                reply = await self.caller(self.model, messages, self.params, self.timeout)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 (every failure is classified and recorded, never lost)
                failure = classify_error(error)
                self.limiter.settle(estimate, 0)  # a refused request spent no tokens
            else:
                actual = (reply.usage or {}).get("total_tokens", estimate)
                self.limiter.settle(estimate, actual)
                return self._success(item, reply, attempt, started, time.monotonic() - sent)
            if failure.kind == "rate_limited":
                self.summary.rate_limited += 1
            if not failure.retryable or attempt >= self.max_attempts:
                if failure.stops_run and self.stop_on_auth_error and self.stop_reason is None:
                    self.stop_reason = (
                        f"the provider refused the key or permission ({failure.status_code}): {failure.message[:200]}"
                    )
                status = STATUS_GAVE_UP if failure.retryable else STATUS_FAILED
                return self._record(
                    item,
                    status,
                    attempt,
                    started,
                    latency_s=round(time.monotonic() - sent, 3),
                    error=failure.as_record(),
                )
            if failure.retry_after is not None:
                # the server's ask (capped: a mistaken "wait an hour" should not freeze a notebook), plus a little jitter
                delay = min(failure.retry_after, MAX_RETRY_AFTER_S) + backoff_delay(1, base=0.1)
            else:
                delay = backoff_delay(attempt, base=self.backoff_base, cap=self.backoff_cap)
            if failure.kind == "rate_limited" and self.pause_all_on_rate_limit:
                self.limiter.pause(delay)
            self.summary.retries += 1
            self._show()
            await asyncio.sleep(delay)

    def _show(self) -> None:
        if self.bar is not None:
            s = self.summary
            self.bar.set_postfix(
                ok=s.ok, failed=s.failed + s.gave_up, retries=s.retries, http429=s.rate_limited, refresh=False
            )

    def finish(self, record: dict[str, Any]) -> None:
        self.log.append(record)
        status = record["status"]
        if status == STATUS_OK:
            self.summary.ok += 1
        elif status == STATUS_FAILED:
            self.summary.failed += 1
        else:
            self.summary.gave_up += 1
        if self.bar is not None:
            self._show()
            self.bar.update(1)

    async def worker(self, queue: asyncio.Queue[Item]) -> None:
        while self.stop_reason is None:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            self.finish(await self.process(item))


def _progress_bar(total: int, show: bool) -> Any:
    if not show:
        return None
    from tqdm.auto import tqdm  # a widget in Jupyter, a text bar in a terminal

    return tqdm(total=total, desc="batch", unit="item", file=sys.stderr, dynamic_ncols=True)


@holding_results_lock  # one run per results file: a second one raises ResultsFileBusy at once
async def arun_batch(
    items: str | Path | Iterable[Any],
    *,
    out: str | Path,
    model: str | None = None,
    prompt: str | None = None,
    messages: MessageBuilder | None = None,
    system: str | None = None,
    image_field: str | None = None,
    params: dict[str, Any] | None = None,
    parse: Callable[[str], Any] | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    api_key_env: str | None = None,
    client: Any = None,
    concurrency: int = 8,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    burst: int = 1,
    max_attempts: int = 5,
    timeout: float = 60.0,
    backoff_base: float = 1.0,
    backoff_cap: float = 60.0,
    pause_all_on_rate_limit: bool = True,
    stop_on_auth_error: bool = True,
    id_field: str = "id",
    regenerate: bool = False,
    retry_failed: bool = False,
    fsync: bool = False,
    progress: bool = True,
) -> BatchSummary:
    """Send one chat request per item and append one JSON record per item to `out`; return a summary.

    Items: a list (dicts with an `id`, or prompt strings whose position is the id) or a .jsonl/.csv
    file. Prompts: `prompt` is a `str.format` template over the item's fields, or `messages(fields)`
    returns a prompt string or a list of messages (see `image_message` for text + image); `system`
    is prepended; `params` go to the SDK call as they are (`temperature`, `max_tokens`,
    `response_format`...). `parse(output)`, if given, is stored as the record's `parsed`.
    Provider: `provider` (a name from `llmcourse.providers`), or `base_url` + `api_key`/`api_key_env`,
    or your own `client`; by default the OpenAI SDK's environment, where `llmcourse.setup()` points it.
    Limits: `concurrency` items at once, `requests_per_minute`, `tokens_per_minute`; `max_attempts`
    per item. Resume: ids already `ok` (or `failed`, unless `retry_failed`) in `out` are skipped;
    `regenerate=True` starts over. One run at a time per `out`: a second run on the same file raises
    `ResultsFileBusy` at once; `out` must not be a symbolic link.

    Example:
        >>> summary = await arun_batch("reviews.jsonl", out="labels.jsonl", prompt="Sentiment of: {text}",
        ...                            requests_per_minute=500)          # doctest: +SKIP
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    clock_start = time.monotonic()
    all_items, problems = read_items(items, id_field=id_field)
    kept, notes = prepare_results_file(out, regenerate=regenerate, retry_failed=retry_failed)
    todo = [item for item in all_items if item.id not in kept]
    summary = BatchSummary(
        out=out,
        total=len(all_items) + len(problems),
        skipped=len(all_items) - len(todo),
        input_problems=problems,
        notes=notes,
    )
    if progress:
        for line in notes + [f"input {problem}" for problem in problems]:
            print(line, file=sys.stderr)
    if not todo:
        summary.elapsed_s = time.monotonic() - clock_start
        return summary

    caller = make_caller(provider=provider, base_url=base_url, api_key=api_key, api_key_env=api_key_env, client=client)
    if model is None:
        model = caller.default_model or default_model(provider)

    def build(item: Item) -> list[dict[str, Any]]:
        return build_messages(item, prompt=prompt, messages=messages, system=system, image_field=image_field)

    queue: asyncio.Queue[Item] = asyncio.Queue()
    for item in todo:
        queue.put_nowait(item)
    bar = _progress_bar(len(todo), progress)
    log = ResultLog(out, fsync=fsync)
    run = _Run(
        caller=caller,
        model=model,
        limiter=RateLimiter(requests_per_minute, tokens_per_minute, burst=burst),
        log=log,
        summary=summary,
        build=build,
        params=dict(params or {}),
        parse=parse,
        max_attempts=max_attempts,
        timeout=timeout,
        backoff_base=backoff_base,
        backoff_cap=backoff_cap,
        pause_all_on_rate_limit=pause_all_on_rate_limit,
        stop_on_auth_error=stop_on_auth_error,
        bar=bar,
    )
    try:
        await asyncio.gather(*(run.worker(queue) for _ in range(min(concurrency, len(todo)))))
    finally:
        log.close()
        if bar is not None:
            bar.close()
        await caller.aclose()
        summary.elapsed_s = time.monotonic() - clock_start
        summary.not_started = queue.qsize()
        summary.stopped = run.stop_reason
    return summary


def run_batch(items: str | Path | Iterable[Any], **options: Any) -> BatchSummary:
    """`arun_batch` for code that does not `await`: scripts, and notebooks (Jupyter already runs an event
    loop, so there the run goes to a worker thread with its own loop). Interrupting the kernel stops the
    run; every finished item is already in the results file, and a rerun resumes.

    Example:
        >>> summary = run_batch([{"id": 1, "text": "Love it"}], out="r.jsonl", prompt="Sentiment: {text}")  # doctest: +SKIP
        >>> summary.ok                                                                                      # doctest: +SKIP
        1
    """
    return run_sync(arun_batch, items, **options)


run_batch.__signature__ = inspect.signature(arun_batch)  # help(run_batch) lists the real arguments
