"""The Batch API scale path: the real OpenAI SDK's Files and Batches calls against a loopback fake of them."""

from __future__ import annotations

import json

from llmcourse.batch import (
    load_results,
    openai_batch_requests,
    read_items,
    submit_openai_batch,
)
from llmcourse.settings import MODELS
from tests.batch_servers import BatchAPIServer

ITEMS = [{"id": n, "text": f"review {n}" + (" REJECT" if n == 3 else "")} for n in range(6)]


def test_request_file_has_one_line_per_item_with_its_id_as_custom_id(tmp_path):
    items, _ = read_items(ITEMS)
    count, problems = openai_batch_requests(
        items,
        tmp_path / "req.jsonl",
        model=MODELS["openai"],
        prompt="Classify: {text}",
        system="Be brief.",
        params={"max_tokens": 5, "response_format": {"type": "json_object"}},
    )
    lines = [json.loads(line) for line in (tmp_path / "req.jsonl").read_text().splitlines()]
    assert count == 6 and problems == {}
    assert [line["custom_id"] for line in lines] == ["0", "1", "2", "3", "4", "5"]
    assert lines[0]["method"] == "POST" and lines[0]["url"] == "/v1/chat/completions"
    assert lines[0]["body"]["messages"][1] == {"role": "user", "content": "Classify: review 0"}
    assert lines[0]["body"]["max_tokens"] == 5 and lines[0]["body"]["model"] == MODELS["openai"]


def test_submit_poll_collect_writes_the_usual_records(tmp_path):
    out = tmp_path / "labels.jsonl"
    statuses = []
    with BatchAPIServer() as server:
        summary = submit_openai_batch(
            ITEMS,
            out=out,
            model=MODELS["openai"],
            prompt="Classify: {text}",
            parse=lambda text: text.split()[-1],
            base_url=server.url,
            api_key="test-key",
            poll_interval=0.01,
            progress=False,
            on_status=lambda batch: statuses.append(batch.status),
        )
        assert server.uploads == 1 and len(server.batches) == 1
        batch = next(iter(server.batches.values()))
        assert server.files[batch["input_file_id"]][0] == "batch"
    assert statuses == ["in_progress", "finalizing", "completed"]  # the fake moves one step per poll
    records = {r["id"]: r for r in load_results(out)}
    assert sorted(records) == ["0", "1", "2", "3", "4", "5"]
    assert records["0"]["status"] == "ok" and records["0"]["output"] == "echo: Classify: review 0"
    assert records["0"]["parsed"] == "0"
    assert records["0"]["usage"]["input_tokens"] > 0 and records["0"]["batch_id"] == batch["id"]
    assert records["3"]["status"] == "failed" and records["3"]["error"]["status_code"] == 400
    assert (summary.ok, summary.failed, summary.not_started) == (5, 1, 0)
    assert summary.cost_usd > 0
    assert not (tmp_path / "labels.jsonl.openai-batch.json").exists()


def test_an_interrupted_wait_resumes_the_same_batch_without_submitting_again(tmp_path):
    out = tmp_path / "labels.jsonl"
    with BatchAPIServer() as server:
        first = submit_openai_batch(
            ITEMS,
            out=out,
            model=MODELS["openai"],
            prompt="{text}",
            base_url=server.url,
            api_key="test-key",
            poll_interval=0.01,
            max_wait_s=0,
            progress=False,
        )
        assert first.stopped and "still" in first.stopped and first.finished == 0
        assert (tmp_path / "labels.jsonl.openai-batch.json").exists()
        second = submit_openai_batch(
            ITEMS,
            out=out,
            model=MODELS["openai"],
            prompt="{text}",
            base_url=server.url,
            api_key="test-key",
            poll_interval=0.01,
            progress=False,
        )
        assert server.uploads == 1 and len(server.batches) == 1
        # everything is recorded now: a third call sends nothing
        third = submit_openai_batch(
            ITEMS,
            out=out,
            model=MODELS["openai"],
            prompt="{text}",
            base_url=server.url,
            api_key="test-key",
            poll_interval=0.01,
            progress=False,
        )
        assert third.skipped == 6 and server.uploads == 1
    assert (second.ok, second.failed) == (5, 1)
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert sorted(ids) == ["0", "1", "2", "3", "4", "5"]  # each exactly once


def test_cli_scale_path(tmp_path, capsys):
    from llmcourse.batch import main

    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(item) + "\n" for item in ITEMS), encoding="utf-8")
    with BatchAPIServer() as server:
        code = main(
            [
                str(source),
                "--out",
                str(out),
                "--model",
                MODELS["openai"],
                "--prompt",
                "{text}",
                "--base-url",
                server.url,
                "--openai-batch",
                "--poll-interval",
                "0.01",
                "--no-progress",
            ]
        )
        assert len(server.batches) == 1
    assert code == 1  # one item was rejected
    assert "5 ok, 1 failed" in capsys.readouterr().out
    assert len(load_results(out)) == 6
