"""The batch runner end to end: the real OpenAI SDK against loopback servers that rate-limit, fail and refuse."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import openai
import pytest

from llmcourse.batch import arun_batch, load_results, run_batch
from llmcourse.settings import MODELS
from tests.batch_servers import ChatServer, HTTPError

FAST = {"backoff_base": 0.01, "backoff_cap": 0.05, "progress": False}


def _items(count: int) -> list[dict[str, str]]:
    return [{"id": str(n), "text": f"item {n}"} for n in range(count)]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "results.jsonl"


def test_every_item_gets_one_flushed_record_with_usage_cost_and_output(out):
    with ChatServer() as server:
        summary = run_batch(
            _items(12), out=out, prompt="{text}", base_url=server.url, model=MODELS["openai"], concurrency=4, **FAST
        )
    records = _lines(out)
    assert sorted(r["id"] for r in records) == sorted(str(n) for n in range(12))
    for record in records:
        assert record["status"] == "ok" and record["attempts"] == 1
        assert record["output"] == f"echo: item {record['id']}"
        assert record["usage"]["input_tokens"] > 0 and record["cost_usd"] > 0
        assert record["latency_s"] >= 0 and record["error"] is None
    assert (summary.ok, summary.failed, summary.requests) == (12, 0, 12)
    assert summary.input_tokens == sum(r["usage"]["input_tokens"] for r in records)
    assert summary.cost_usd == pytest.approx(sum(r["cost_usd"] for r in records))
    assert "12 ok, 0 failed" in str(summary)


def test_429_with_retry_after_is_retried_after_the_wait_and_pauses_the_limiter(out):
    # On a schedule: the first attempt of every third item is refused with 429 and Retry-After: 0.3 s.
    def plan(seen):
        if int(seen.text.split()[-1]) % 3 == 0 and not any(s.text == seen.text for s in server.seen):
            return HTTPError(429, "Rate limit reached", {"Retry-After": "0.3"})
        return None

    with ChatServer(plan=plan) as server:
        summary = run_batch(
            _items(9), out=out, prompt="{text}", base_url=server.url, concurrency=3, requests_per_minute=6000, **FAST
        )
    records = {r["id"]: r for r in _lines(out)}
    assert all(r["status"] == "ok" for r in records.values())
    assert [records[str(n)]["attempts"] for n in range(9)] == [2, 1, 1, 2, 1, 1, 2, 1, 1]
    assert summary.rate_limited == 3 and summary.retries == 3
    for n in (0, 3, 6):
        refused, retried = [s for s in server.seen if s.text == f"item {n}"]
        assert refused.status == 429 and retried.status == 200
        assert retried.at - refused.at >= 0.3  # Retry-After honoured


def test_500s_are_retried_up_to_the_attempt_limit_then_recorded_as_gave_up(out):
    def plan(seen):
        if seen.text == "item 1" and server.attempts("item 1") < 2:
            return HTTPError(500, "internal error")
        if seen.text == "item 2":
            return HTTPError(503, "overloaded")
        return None

    with ChatServer(plan=plan) as server:
        summary = run_batch(_items(4), out=out, prompt="{text}", base_url=server.url, max_attempts=3, **FAST)
        records = {r["id"]: r for r in _lines(out)}
        assert records["1"]["status"] == "ok" and records["1"]["attempts"] == 3
        assert records["2"]["status"] == "gave_up" and records["2"]["attempts"] == 3
        assert records["2"]["error"]["status_code"] == 503 and records["2"]["error"]["kind"] == "server_error"
        assert server.attempts("item 2") == 3
        assert (summary.ok, summary.gave_up) == (3, 1)

        # gave_up items run again on resume (the old record is replaced, never duplicated)
        server.plan = None
        again = run_batch(_items(4), out=out, prompt="{text}", base_url=server.url, **FAST)
    assert (again.ok, again.skipped) == (1, 3)
    records = _lines(out)
    assert sorted(r["id"] for r in records) == ["0", "1", "2", "3"]
    assert all(r["status"] == "ok" for r in records)


def test_401_is_recorded_once_never_retried_and_stops_the_run(out):
    with ChatServer(plan=lambda seen: HTTPError(401, "Incorrect API key provided: sk-abc***xyz")) as server:
        summary = run_batch(_items(5), out=out, prompt="{text}", base_url=server.url, concurrency=1, **FAST)
        assert len(server.seen) == 1
    records = _lines(out)
    assert len(records) == 1
    assert records[0]["status"] == "failed" and records[0]["attempts"] == 1
    assert records[0]["error"]["kind"] == "auth" and records[0]["error"]["status_code"] == 401
    assert summary.not_started == 4 and "401" in summary.stopped
    assert "--retry-failed" in str(summary)

    # The key is fixed: a plain resume runs the 4 never-started items; --retry-failed also the refused one.
    with ChatServer() as server:
        resumed = run_batch(_items(5), out=out, prompt="{text}", base_url=server.url, **FAST)
        assert (resumed.ok, resumed.skipped) == (4, 1) and server.attempts("item 0") == 0
        retried = run_batch(_items(5), out=out, prompt="{text}", base_url=server.url, retry_failed=True, **FAST)
        assert retried.ok == 1 and server.attempts("item 0") == 1
    assert sorted(r["id"] for r in _lines(out)) == ["0", "1", "2", "3", "4"]


def test_400_fails_that_item_only_and_is_not_resent_on_resume(out):
    def plan(seen):
        return HTTPError(400, "context length exceeded") if seen.text == "item 2" else None

    with ChatServer(plan=plan) as server:
        summary = run_batch(_items(4), out=out, prompt="{text}", base_url=server.url, **FAST)
        assert (summary.ok, summary.failed, summary.stopped) == (3, 1, None)
        assert server.attempts("item 2") == 1
        again = run_batch(_items(4), out=out, prompt="{text}", base_url=server.url, **FAST)
        assert again.skipped == 4 and server.attempts("item 2") == 1
    failed = [r for r in _lines(out) if r["status"] == "failed"]
    assert failed[0]["error"]["message"] == "context length exceeded"


def test_timeouts_are_retried(out):
    with ChatServer(latency=0.5) as server:
        summary = run_batch(
            _items(1), out=out, prompt="{text}", base_url=server.url, timeout=0.1, max_attempts=2, **FAST
        )
    record = _lines(out)[0]
    assert record["status"] == "gave_up" and record["attempts"] == 2 and record["error"]["kind"] == "timeout"
    assert summary.gave_up == 1


def test_malformed_input_lines_are_reported_while_the_good_ones_run(out, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"id": 1, "text": "item 1"}\n{"id": 2, "text": \n{"text": "item 3"}\n{"id": 4, "text": "item 4"}\n'
    )
    with ChatServer() as server:
        summary = run_batch(source, out=out, prompt="{text}", base_url=server.url, **FAST)
    assert sorted(r["id"] for r in _lines(out)) == ["1", "4"]
    assert [p.line for p in summary.input_problems] == [2, 3]
    assert "line 2: not valid JSON" in str(summary) and "line 3: no 'id' field" in str(summary)


def test_a_template_field_an_item_lacks_fails_that_item_without_a_request(out):
    with ChatServer() as server:
        summary = run_batch(
            [{"id": "a", "text": "item a"}, {"id": "b", "body": "?"}],
            out=out,
            prompt="{text}",
            base_url=server.url,
            **FAST,
        )
        assert len(server.seen) == 1
    failed = [r for r in _lines(out) if r["status"] == "failed"][0]
    assert failed["id"] == "b" and failed["attempts"] == 0 and failed["error"]["kind"] == "invalid_input"
    assert summary.failed == 1


def test_parse_hook_result_is_stored_and_parse_errors_keep_the_output(out):
    with ChatServer() as server:
        run_batch(
            _items(2),
            out=out,
            prompt="{text}",
            base_url=server.url,
            parse=lambda text: int(text.split()[-1]) if text.endswith("1") else json.loads(text),
            **FAST,
        )
    records = {r["id"]: r for r in _lines(out)}
    assert records["1"]["parsed"] == 1
    assert records["0"]["parsed"] is None and "JSONDecodeError" in records["0"]["parse_error"]
    assert records["0"]["output"] == "echo: item 0"


def test_run_batch_works_inside_a_running_event_loop_like_jupyter(out):
    with ChatServer() as server:

        async def notebook_cell():
            return run_batch(_items(3), out=out, prompt="{text}", base_url=server.url, **FAST)

        summary = asyncio.run(notebook_cell())
    assert summary.ok == 3


def test_arun_batch_is_awaitable_and_accepts_your_own_client(out):
    with ChatServer() as server:

        async def main():
            client = openai.AsyncOpenAI(base_url=server.url, api_key="test-key", max_retries=5)
            try:
                return await arun_batch(["say one", "say two"], out=out, client=client, model="m", **FAST)
            finally:
                await client.close()

        summary = asyncio.run(main())
    assert summary.ok == 2
    assert {r["output"] for r in load_results(out)} == {"echo: say one", "echo: say two"}


def test_a_sync_client_is_run_off_the_event_loop(out):
    with ChatServer(
        plan=lambda seen: HTTPError(500) if len([s for s in server.seen if s.text == seen.text]) == 0 else None
    ) as server:
        client = openai.OpenAI(base_url=server.url, api_key="test-key")  # its own retries are switched off
        summary = run_batch(_items(2), out=out, prompt="{text}", client=client, model="m", **FAST)
        client.close()
    assert summary.ok == 2 and summary.retries == 2  # the runner retried, not the SDK


def test_regenerate_starts_over(out):
    with ChatServer() as server:
        run_batch(_items(3), out=out, prompt="{text}", base_url=server.url, **FAST)
        summary = run_batch(_items(3), out=out, prompt="{text}", base_url=server.url, regenerate=True, **FAST)
        assert len(server.seen) == 6
    assert summary.ok == 3 and len(_lines(out)) == 3


def test_no_openai_key_is_sent_to_another_providers_address(out, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-" + "not-for-other-servers")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    seen_keys: list[str] = []
    with ChatServer() as server:
        original = server.post

        def spy(handler):
            seen_keys.append(handler.headers.get("Authorization", ""))
            original(handler)

        server.post = spy
        run_batch(_items(1), out=out, prompt="{text}", base_url=server.url, **FAST)
    assert seen_keys and "sk-proj" not in seen_keys[0]
