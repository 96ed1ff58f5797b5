"""The batch runner against the breaks a red-team pass found: two runs on one results file, planted
symbolic links, leftovers of a killed rewrite, spreadsheet formulas in answers, and 200 answers that
are not JSON. Real CLI processes (one killed with SIGKILL) against loopback servers."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from llmcourse.batch import main, run_batch
from llmcourse.batch.callers import GarbledReply
from llmcourse.batch.records import export_results
from llmcourse.batch.retry import classify_error
from llmcourse.batch.safefiles import ResultsFileBusy, ResultsLock, write_atomically
from tests.batch_servers import ChatServer
from tests.loopback import serving_thread

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _write_input(path: Path, count: int) -> Path:
    path.write_text("".join(json.dumps({"id": n, "text": f"item {n}"}) + "\n" for n in range(count)), encoding="utf-8")
    return path


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "llmcourse", "batch", *args]


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


# --- one run per results file ----------------------------------------------------------------------------------


def test_a_second_run_on_the_same_out_stops_at_once_and_nothing_is_sent_twice(tmp_path, capsys):
    source, out = _write_input(tmp_path / "in.jsonl", 30), tmp_path / "out.jsonl"
    with ChatServer(latency=0.1) as server:
        command = _cli(
            str(source),
            "--out",
            str(out),
            "--base-url",
            server.url,
            "--prompt",
            "{text}",
            "--concurrency",
            "2",
            "--no-progress",
        )
        first = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            _wait_for(lambda: out.exists() and out.read_bytes().count(b"\n") >= 2)
            assert first.poll() is None, "the first run ended before the second could start"
            second = main(command[4:])
            assert second == 2
            error = capsys.readouterr().err
            assert "another run is already writing" in error and f"process {first.pid}" in error
        finally:
            first.wait(timeout=120)
        assert first.returncode == 0, first.stderr.read().decode()
        ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
        assert Counter(ids) == Counter(str(n) for n in range(30))  # every id once
        assert len(server.seen) == 30  # every request once
    assert not (tmp_path / "out.jsonl.lock").exists()  # released and cleaned up
    assert main(command[4:]) == 0  # and the next run takes the lock again (nothing left to do)


def test_the_lock_holds_within_one_process_too(tmp_path):
    out = tmp_path / "out.jsonl"
    with ResultsLock(out), pytest.raises(ResultsFileBusy, match="another run is already writing"):
        run_batch(["a"], out=out, base_url="http://127.0.0.1:9/v1", api_key="x", progress=False)
    assert not out.exists() or out.read_bytes() == b""  # the refused run wrote nothing


def test_a_run_killed_with_sigkill_leaves_no_lock_behind(tmp_path):
    source, out = _write_input(tmp_path / "in.jsonl", 40), tmp_path / "out.jsonl"
    with ChatServer(latency=0.2) as server:
        command = _cli(
            str(source),
            "--out",
            str(out),
            "--base-url",
            server.url,
            "--prompt",
            "{text}",
            "--concurrency",
            "2",
            "--no-progress",
        )
        process = subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            _wait_for(lambda: out.exists() and out.read_bytes().count(b"\n") >= 2)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait(timeout=30)
        # the lock file stays behind (with the dead run's pid); the lock itself died with the process
        assert (tmp_path / "out.jsonl.lock").read_text().strip() == str(process.pid)
        resumed = subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=180, check=False)
        assert resumed.returncode == 0, resumed.stderr
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert Counter(ids) == Counter(str(n) for n in range(40))


# --- symbolic links ----------------------------------------------------------------------------------------------


@pytest.fixture
def precious(tmp_path) -> Path:
    path = tmp_path / "precious.txt"
    path.write_text("someone's important file\n")
    return path


@pytest.mark.parametrize("extra", [[], ["--regenerate"]])
def test_a_symlinked_out_is_refused_and_its_target_untouched(tmp_path, precious, capsys, extra):
    source, link = _write_input(tmp_path / "in.jsonl", 3), tmp_path / "out.jsonl"
    link.symlink_to(precious)
    with ChatServer() as server:
        code = main(
            [str(source), "--out", str(link), "--base-url", server.url, "--prompt", "{text}", "--no-progress", *extra]
        )
        assert code == 2 and not server.seen
    assert "is a symbolic link" in capsys.readouterr().err
    assert precious.read_text() == "someone's important file\n"


def test_a_symlinked_export_destination_is_refused(tmp_path, precious, capsys):
    results, link = tmp_path / "out.jsonl", tmp_path / "sorted.csv"
    results.write_text(json.dumps({"id": "1", "status": "ok", "output": "x"}) + "\n")
    link.symlink_to(precious)
    assert main(["--out", str(results), "--export", str(link)]) == 2
    assert "is a symbolic link" in capsys.readouterr().err
    assert precious.read_text() == "someone's important file\n"


@pytest.mark.parametrize("name", ["out.jsonl.lock", "out.jsonl.openai-batch.json"])
def test_symlinked_lock_and_state_files_are_refused(tmp_path, precious, name):
    (tmp_path / name).symlink_to(precious)
    from llmcourse.batch import submit_openai_batch

    with pytest.raises(ValueError, match="symbolic link"):
        submit_openai_batch(
            [{"id": 1, "text": "x"}],
            out=tmp_path / "out.jsonl",
            prompt="{text}",
            base_url="http://127.0.0.1:9/v1",
            api_key="x",
            progress=False,
        )
    assert precious.read_text() == "someone's important file\n"


# --- leftovers of a killed atomic rewrite ------------------------------------------------------------------------


_SLOW_REWRITE = """
import sys, time
from llmcourse.batch.safefiles import write_atomically
def lines():
    yield '{"id": "1", "status": "ok"}\\n'
    time.sleep(60)  # killed here, halfway through the rewrite
    yield '{"id": "2", "status": "ok"}\\n'
write_atomically(sys.argv[1], lines())
"""


def test_temporary_files_of_a_killed_rewrite_are_cleaned_up(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": "1", "status": "ok", "output": "x"}) + "\n")
    process = subprocess.Popen([sys.executable, "-c", _SLOW_REWRITE, str(out)], env=ENV)
    try:
        _wait_for(lambda: list(tmp_path.glob("out.jsonl.*.tmp")), timeout=60)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    [leftover] = list(tmp_path.glob("out.jsonl.*.tmp"))
    (tmp_path / "out.jsonl.notes.tmp").write_text("not ours: a name write_atomically never makes")
    with ChatServer() as server:
        summary = run_batch(
            [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}],
            out=out,
            base_url=server.url,
            prompt="{text}",
            progress=True,
        )
    assert summary.ok == 1 and summary.skipped == 1
    assert not leftover.exists() and (tmp_path / "out.jsonl.notes.tmp").exists()
    assert f"removed {leftover.name}" in capsys.readouterr().err


# --- spreadsheet formulas -------------------------------------------------------------------------------------------


def test_csv_export_defuses_formulas(tmp_path):
    hostile = ["=1+1", '=HYPERLINK("http://evil.test","click")', "+SUM(A1)", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
    results = tmp_path / "out.jsonl"
    results.write_text(
        "".join(
            json.dumps(
                {
                    "id": text,
                    "status": "ok",
                    "output": text,
                    "parsed": text,
                    "attempts": 1,
                    "latency_s": -0.5,
                    "usage": {"input_tokens": 3, "output_tokens": 4},
                    "cost_usd": 0.25,
                    "error": {"message": text},
                }
            )
            + "\n"
            for text in hostile + ["plain = fine"]
        ),
        encoding="utf-8",
    )
    assert export_results(results, tmp_path / "sorted.csv") == len(hostile) + 1
    with open(tmp_path / "sorted.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_id = {row["id"].removeprefix("'"): row for row in rows}
    for text in hostile:
        row = by_id[text]
        assert row["id"] == row["output"] == row["parsed"] == row["error"] == "'" + text
        # numbers stay numbers
        assert row["latency_s"] == "-0.5" and row["attempts"] == "1" and row["cost_usd"] == "0.25"
    assert by_id["plain = fine"]["output"] == "plain = fine"


# --- a 200 that is not JSON ---------------------------------------------------------------------------------------


_GOOD = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
_GARBLED = [
    (b"<html><body>502 from a proxy</body></html>", "text/html"),
    (b'{"id": "x", "choices": [', "application/json"),
    (b"{}", "application/json"),
]


class GarblingServer:
    """Answers every prompt's first `bad` attempts with 200s that are not chat completions, then properly."""

    def __init__(self, bad: int) -> None:
        self.attempts: Counter[str] = Counter()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                outer.attempts[prompt] += 1
                number = outer.attempts[prompt]
                good = (json.dumps(_GOOD).encode(), "application/json")
                data, kind = _GARBLED[(number - 1) % 3] if number <= bad else good
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        serving_thread(self.httpd).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_garbled_200_is_retried_like_a_5xx(tmp_path):
    server = GarblingServer(bad=3)  # an HTML page, a cut-off body, then an empty object; the 4th attempt works
    try:
        summary = run_batch(
            [f"p{n}" for n in range(6)],
            out=tmp_path / "out.jsonl",
            base_url=server.url,
            api_key="x",
            backoff_base=0.01,
            progress=False,
        )
    finally:
        server.close()
    assert summary.ok == 6 and summary.failed == 0 and summary.retries == 18
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert {record["attempts"] for record in records} == {4} and {record["output"] for record in records} == {"ok"}


def test_a_garbled_200_that_never_clears_is_gave_up_not_failed(tmp_path):
    server = GarblingServer(bad=100)
    try:
        summary = run_batch(
            ["p"],
            out=tmp_path / "out.jsonl",
            base_url=server.url,
            api_key="x",
            max_attempts=2,
            backoff_base=0.01,
            progress=False,
        )
    finally:
        server.close()
    assert summary.gave_up == 1 and summary.failed == 0
    [record] = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert record["status"] == "gave_up" and record["error"]["kind"] == "garbled"
    assert record["error"]["status_code"] == 200 and "not" in record["error"]["message"]


def test_classify_error_retries_garbled_answers():
    failure = classify_error(GarbledReply("the provider answered 200 but the body is not valid JSON"))
    assert failure.retryable and failure.kind == "garbled" and failure.status_code == 200


def test_write_atomically_never_writes_through_a_link(tmp_path, precious):
    link = tmp_path / "state.json"
    link.symlink_to(precious)
    with pytest.raises(ValueError, match="symbolic link"):
        write_atomically(link, ["{}"])
    assert precious.read_text() == "someone's important file\n"


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
