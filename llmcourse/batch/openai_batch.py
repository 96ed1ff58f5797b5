"""The scale path: the same items through OpenAI's Batch API (half price, results within 24 hours).

For data sets that should not run interactively. Steps: write one request line per item (its
`custom_id` is the item id), upload the file (`files.create(purpose="batch")`), create the batch
(`batches.create`), poll until it ends, download the output and error files, and append the same
records the interactive runner writes. The batch id is saved next to the results file, so an
interrupted wait resumes polling the same batch instead of paying for a second one.

Example:
    >>> summary = submit_openai_batch("reviews.jsonl", out="labels.jsonl", model=MODELS["openai"],
    ...                               prompt="Sentiment of: {text}")            # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from llmcourse.batch.costs import cost_usd
from llmcourse.batch.inputs import Item, read_items
from llmcourse.batch.messages import MessageBuilder, PromptError, build_messages
from llmcourse.batch.records import (
    STATUS_FAILED,
    STATUS_GAVE_UP,
    STATUS_OK,
    ResultLog,
    prepare_results_file,
)
from llmcourse.batch.safefiles import (
    holding_results_lock,
    refuse_symlink,
    remove_stale_temporaries,
    write_atomically,
)
from llmcourse.batch.summary import BatchSummary
from llmcourse.batch.sync import run_sync
from llmcourse.keys import mask_secrets

__all__ = [
    "BATCH_DISCOUNT",
    "TERMINAL_STATUSES",
    "asubmit_openai_batch",
    "openai_batch_requests",
    "submit_openai_batch",
]

ENDPOINT = "/v1/chat/completions"
BATCH_DISCOUNT = 0.5  # the Batch API costs half the interactive price
TERMINAL_STATUSES = frozenset({"completed", "failed", "expired", "cancelled"})


def openai_batch_requests(
    items: Iterable[Item],
    path: str | Path,
    *,
    model: str,
    prompt: str | None = None,
    messages: MessageBuilder | None = None,
    system: str | None = None,
    image_field: str | None = None,
    params: dict[str, Any] | None = None,
) -> tuple[int, dict[str, PromptError]]:
    """Write the Batch API input file: one `{"custom_id", "method", "url", "body"}` line per item.
    Returns how many lines were written and the items whose prompt could not be built.

    Example:
        >>> import tempfile, pathlib
        >>> from llmcourse.settings import MODELS
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "requests.jsonl"
        >>> openai_batch_requests([Item("1", {"text": "ok"})], path, model=MODELS["openai"], prompt="Rate: {text}")
        (1, {})
        >>> json.loads(path.read_text())["custom_id"]
        '1'
    """
    path = refuse_symlink(path, "batch request file")
    path.parent.mkdir(parents=True, exist_ok=True)
    problems: dict[str, PromptError] = {}
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            try:
                chat = build_messages(item, prompt=prompt, messages=messages, system=system, image_field=image_field)
            except PromptError as error:
                problems[item.id] = error
                continue
            body = {"model": model, "messages": chat, **(params or {})}
            out.write(
                json.dumps({"custom_id": item.id, "method": "POST", "url": ENDPOINT, "body": body}, ensure_ascii=False)
                + "\n"
            )
            count += 1
    return count, problems


def _state_path(out: Path) -> Path:
    return out.with_name(out.name + ".openai-batch.json")


def _save_state(path: Path, state: dict[str, Any]) -> None:
    # write-then-rename: a crash leaves the old file or the new one, never half of one; never through a link
    write_atomically(path, [json.dumps(state)], "batch state file")


def _usage(body: dict[str, Any]) -> dict[str, int] | None:
    usage = body.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens", 0) or 0, usage.get("completion_tokens", 0) or 0
    return {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": usage.get("total_tokens") or prompt + completion,
    }


def _record_from_line(line: dict[str, Any], model: str, batch_id: str) -> dict[str, Any]:
    response = line.get("response") or {}
    status_code = response.get("status_code")
    body = response.get("body") or {}
    record: dict[str, Any] = {
        "id": str(line.get("custom_id")),
        "status": None,
        "attempts": 1,
        "latency_s": None,
        "elapsed_s": None,
        "usage": None,
        "cost_usd": None,
        "error": None,
        "output": None,
        "model": body.get("model") or model,
        "batch_id": batch_id,
    }
    if status_code == 200 and body.get("choices"):
        record["status"] = STATUS_OK
        record["output"] = (body["choices"][0].get("message") or {}).get("content") or ""
        record["usage"] = _usage(body)
        record["cost_usd"] = cost_usd(record["usage"], body.get("model"), model, discount=BATCH_DISCOUNT)
        return record
    error = line.get("error") or (body.get("error") if isinstance(body, dict) else None) or {}
    message = error.get("message") or f"HTTP {status_code}"
    retryable = status_code is None or status_code in (408, 429) or status_code >= 500
    record["status"] = STATUS_GAVE_UP if retryable else STATUS_FAILED
    record["error"] = {
        "kind": error.get("code") or ("batch_error" if retryable else "bad_request"),
        "status_code": status_code,
        "message": mask_secrets(str(message))[:500],
    }
    return record


@holding_results_lock  # one run per results file: a second one raises ResultsFileBusy at once
async def asubmit_openai_batch(
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
    client: Any = None,
    base_url: str | None = None,
    api_key: str | None = None,
    id_field: str = "id",
    regenerate: bool = False,
    retry_failed: bool = False,
    poll_interval: float = 10.0,
    max_poll_interval: float = 300.0,
    max_wait_s: float | None = None,
    metadata: dict[str, str] | None = None,
    progress: bool = True,
    on_status: Callable[[Any], None] | None = None,
) -> BatchSummary:
    """Async core of `submit_openai_batch` (same arguments; `await` it where an event loop runs).

    Example:
        >>> summary = await asubmit_openai_batch("reviews.jsonl", out="labels.jsonl",
        ...                                      prompt="Sentiment: {text}")   # doctest: +SKIP
    """
    out = Path(out)
    started = time.monotonic()
    state_path = refuse_symlink(_state_path(out), "batch state file")
    remove_stale_temporaries(state_path)
    if regenerate:
        state_path.unlink(missing_ok=True)
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
    say = (lambda text: print(text, file=sys.stderr)) if progress else (lambda text: None)
    for line in notes + [f"input {problem}" for problem in problems]:
        say(line)
    if model is None:
        from llmcourse.settings import MODELS

        model = MODELS["openai"]
    if client is None:
        import openai

        from llmcourse.batch.callers import async_twin, openai_key_for

        if base_url is not None:
            client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or openai_key_for(base_url), max_retries=3)
        else:  # OpenAI's row of the provider table: its own key, or where setup() pointed the SDK
            client = async_twin("openai")[0].with_options(max_retries=3)
        owned = True
    else:
        owned = False
    try:
        with ResultLog(out) as log:
            if state_path.exists():
                state = json.loads(state_path.read_text(encoding="utf-8"))
                batch_id = state["batch_id"]
                say(f"resuming the wait for batch {batch_id} (submitted earlier for {out})")
            else:
                if not todo:
                    return summary
                request_file = out.with_name(out.stem + ".batch-requests.jsonl")
                count, bad = openai_batch_requests(
                    todo,
                    request_file,
                    model=model,
                    prompt=prompt,
                    messages=messages,
                    system=system,
                    image_field=image_field,
                    params=params,
                )
                for item_id, error in bad.items():
                    log.append(
                        {
                            "id": item_id,
                            "status": STATUS_FAILED,
                            "attempts": 0,
                            "latency_s": None,
                            "elapsed_s": None,
                            "usage": None,
                            "cost_usd": None,
                            "error": {"kind": "invalid_input", "status_code": None, "message": str(error)},
                            "output": None,
                            "model": model,
                        }
                    )
                    summary.failed += 1
                if not count:
                    return summary
                uploaded = await client.files.create(file=request_file, purpose="batch")
                batch = await client.batches.create(
                    input_file_id=uploaded.id,
                    endpoint=ENDPOINT,
                    completion_window="24h",
                    metadata={"source": "llmcourse", **(metadata or {})},
                )
                batch_id = batch.id
                _save_state(
                    state_path, {"batch_id": batch_id, "input_file_id": uploaded.id, "requests": count, "model": model}
                )
                say(f"submitted batch {batch_id}: {count} requests (file {uploaded.id})")
                summary.requests = count
            batch = await _wait(client, batch_id, poll_interval, max_poll_interval, max_wait_s, started, say, on_status)
            if batch.status not in TERMINAL_STATUSES:
                summary.stopped = (
                    f"batch {batch_id} is still {batch.status} after {max_wait_s:.0f} s; call again with "
                    "the same out= to keep waiting (it will not be submitted twice)"
                )
                summary.not_started = len(todo)
                return summary
            await _collect(client, batch, model, {item.id for item in todo}, kept, log, summary, parse)
            state_path.unlink(missing_ok=True)
            summary.not_started = len(todo) - summary.finished
            if batch.status != "completed":
                errors = [
                    mask_secrets(error.message)
                    for error in ((batch.errors and batch.errors.data) or [])
                    if error.message
                ]
                summary.stopped = f"batch {batch_id} ended {batch.status}" + (
                    f": {'; '.join(errors[:3])}" if errors else ""
                )
    finally:
        summary.elapsed_s = time.monotonic() - started
        if owned:
            await client.close()
    return summary


async def _wait(
    client: Any,
    batch_id: str,
    interval: float,
    max_interval: float,
    max_wait_s: float | None,
    started: float,
    say: Callable[[str], None],
    on_status: Callable[[Any], None] | None,
) -> Any:
    last = None
    while True:
        batch = await client.batches.retrieve(batch_id)
        counts = batch.request_counts
        shown = (batch.status, counts.completed if counts else None, counts.failed if counts else None)
        if shown != last:
            done = f" ({counts.completed}/{counts.total} done, {counts.failed} failed)" if counts else ""
            say(f"batch {batch_id}: {batch.status}{done}")
            last = shown
        if on_status is not None:
            on_status(batch)
        if batch.status in TERMINAL_STATUSES:
            return batch
        if max_wait_s is not None and time.monotonic() - started + interval > max_wait_s:
            return batch
        await asyncio.sleep(interval)
        interval = min(max_interval, interval * 1.5)


async def _collect(
    client: Any,
    batch: Any,
    model: str,
    wanted: set[str],
    kept: dict[str, Any],
    log: ResultLog,
    summary: BatchSummary,
    parse: Callable[[str], Any] | None,
) -> None:
    for file_id in (batch.output_file_id, batch.error_file_id):
        if not file_id:
            continue
        content = await client.files.content(file_id)
        for raw in content.text.splitlines():
            if not raw.strip():
                continue
            line = json.loads(raw)
            record = _record_from_line(line, model, batch.id)
            if record["id"] not in wanted or record["id"] in kept:
                continue  # not ours, or already recorded: never write an id twice
            if parse is not None and record["status"] == STATUS_OK:
                try:
                    record["parsed"] = parse(record["output"])
                except Exception as error:  # noqa: BLE001 (any parser error: keep the answer, say why it did not parse)
                    record["parsed"], record["parse_error"] = None, f"{type(error).__name__}: {error}"
            kept[record["id"]] = record
            log.append(record)
            usage = record["usage"] or {}
            summary.input_tokens += usage.get("input_tokens", 0)
            summary.output_tokens += usage.get("output_tokens", 0)
            if record["status"] == STATUS_OK:
                summary.ok += 1
                if record["cost_usd"] is None:
                    summary.cost_unknown += 1
                else:
                    summary.cost_usd = (summary.cost_usd or 0.0) + record["cost_usd"]
            elif record["status"] == STATUS_FAILED:
                summary.failed += 1
            else:
                summary.gave_up += 1


def submit_openai_batch(items: str | Path | Iterable[Any], **options: Any) -> BatchSummary:
    """Run items through OpenAI's Batch API and append the usual records to `out`; returns a summary.

    Takes the prompt arguments of `run_batch` (`model`, `prompt`, `messages`, `system`, `image_field`,
    `params`, `parse`, `id_field`, `regenerate`, `retry_failed`), plus `client` (an `AsyncOpenAI`) or
    `base_url`/`api_key`, `poll_interval` (seconds, growing 1.5x up to `max_poll_interval`) and
    `max_wait_s` (stop waiting after this long; calling again with the same `out` resumes the wait).
    Costs are estimated at the Batch API's half price.

    Example:
        >>> summary = submit_openai_batch("reviews.jsonl", out="labels.jsonl", model=MODELS["openai"],
        ...                               prompt="Sentiment: {text}", max_wait_s=3600)  # doctest: +SKIP
    """
    return run_sync(asubmit_openai_batch, items, **options)


submit_openai_batch.__signature__ = inspect.signature(asubmit_openai_batch)
