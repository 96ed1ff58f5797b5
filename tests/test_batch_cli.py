"""`llmcourse batch` as a user runs it, including a run killed with SIGKILL halfway and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from llmcourse.batch import main
from llmcourse.settings import MODELS
from tests.batch_servers import ChatServer

ROOT = Path(__file__).resolve().parent.parent


def _write_input(path: Path, count: int) -> None:
    path.write_text("".join(json.dumps({"id": n, "text": f"item {n}"}) + "\n" for n in range(count)), encoding="utf-8")


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "llmcourse", "batch", *args]


def test_cli_runs_resumes_and_exports(tmp_path, capsys):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_input(source, 5)
    with ChatServer() as server:
        args = [
            str(source),
            "--model",
            MODELS["openai"],
            "--out",
            str(out),
            "--base-url",
            server.url,
            "--prompt",
            "Classify: {text}",
            "--max-tokens",
            "5",
            "--json",
            "--rpm",
            "6000",
            "--no-progress",
        ]
        assert main(args) == 0
        assert server.seen[0].body["max_tokens"] == 5
        assert server.seen[0].body["response_format"] == {"type": "json_object"}
        assert main(args) == 0  # resume: nothing left to send
        assert len(server.seen) == 5
    printed = capsys.readouterr().out
    assert "5 ok, 0 failed" in printed and "already done before this run (skipped): 5" in printed
    assert main(["--out", str(out), "--export", str(tmp_path / "sorted.csv")]) == 0
    assert (tmp_path / "sorted.csv").read_text().splitlines()[1].startswith("0,ok,,echo: Classify: item 0")


def test_cli_exit_codes_for_failures_and_bad_usage(tmp_path, capsys):
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text('{"id": 1, "text": "a"}\n{broken\n')
    with ChatServer() as server:
        assert (
            main([str(source), "--out", str(out), "--base-url", server.url, "--prompt", "{text}", "--no-progress"]) == 1
        )
    assert "line 2: not valid JSON" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.jsonl"), "--out", str(out), "--no-progress"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_sigkill_halfway_then_resume_loses_nothing_and_duplicates_nothing(tmp_path):
    count, concurrency = 60, 4
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_input(source, count)
    with ChatServer(latency=0.05) as server:
        command = _cli(
            str(source),
            "--out",
            str(out),
            "--base-url",
            server.url,
            "--prompt",
            "{text}",
            "--concurrency",
            str(concurrency),
            "--no-progress",
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and process.poll() is None:
                if out.exists() and out.read_bytes().count(b"\n") >= count // 3:
                    break
                time.sleep(0.01)
            assert process.poll() is None, "the run finished before it could be killed"
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        written_before = out.read_bytes().count(b"\n")
        assert 0 < written_before < count

        resumed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr

        ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
        assert Counter(ids) == Counter(str(n) for n in range(count))  # every id exactly once, none lost
        sent = Counter(seen.text for seen in server.seen)
        assert set(sent) == {f"item {n}" for n in range(count)}
        resent = [text for text, times in sent.items() if times > 1]
        assert len(resent) <= concurrency  # only items in flight at the kill were paid for twice
