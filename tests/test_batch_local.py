"""The batch runner against the real embedded model server, through the real OpenAI and Anthropic SDKs."""

from __future__ import annotations

import json

import anthropic

from llmcourse.batch import load_results, run_batch
from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME

REVIEWS = [
    {"id": "r1", "text": "Works perfectly, I love it."},
    {"id": "r2", "text": "Broke after two days. Waste of money."},
    {"id": "r3", "text": "It is a mug. It holds coffee."},
]
SYSTEM = 'Classify the review\'s sentiment. Answer in JSON: {"label": "positive" | "negative" | "neutral"}.'


def test_json_mode_batch_through_the_provider_table(tmp_path, local_server):
    out = tmp_path / "labels.jsonl"
    summary = run_batch(
        REVIEWS,
        out=out,
        provider="local",
        system=SYSTEM,
        prompt="Review: {text}",
        params={"response_format": {"type": "json_object"}, "max_tokens": 20, "temperature": 0},
        parse=json.loads,
        concurrency=2,
        requests_per_minute=600,
        progress=False,
    )
    assert (summary.ok, summary.failed, summary.gave_up) == (3, 0, 0)
    for record in load_results(out):
        assert record["model"] == LOCAL_MODEL_NAME
        assert record["usage"]["input_tokens"] > 0 and record["usage"]["output_tokens"] > 0
        assert record["cost_usd"] == 0.0  # the local model is free, and priced as such
        if not record.get("truncated"):
            assert isinstance(record["parsed"], dict)  # JSON mode: the answer parses


def test_default_provider_follows_where_setup_pointed_the_openai_sdk(tmp_path, local_server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", local_server + "/v1")
    monkeypatch.setenv("OPENAI_API_KEY", LOCAL_API_KEY)
    summary = run_batch(
        REVIEWS[:1],
        out=tmp_path / "out.jsonl",
        prompt="Say hello to {text}",
        params={"max_completion_tokens": 5},
        progress=False,
    )
    assert summary.ok == 1
    assert load_results(tmp_path / "out.jsonl")[0]["model"] == LOCAL_MODEL_NAME


def test_anthropic_sdk_client_is_driven_too(tmp_path, local_server):
    client = anthropic.AsyncAnthropic(base_url=local_server, api_key=LOCAL_API_KEY)
    summary = run_batch(
        REVIEWS[:2],
        out=tmp_path / "claude.jsonl",
        client=client,
        model="claude-haiku-4-5",
        system=SYSTEM,
        prompt="Review: {text}",
        params={"max_tokens": 8},
        progress=False,
    )
    assert summary.ok == 2
    for record in load_results(tmp_path / "claude.jsonl"):
        assert isinstance(record["output"], str) and record["usage"]["output_tokens"] > 0
