"""The troubleshooting report a beginner reads in 10 seconds: word statuses (no emoji), aligned columns,
a one-sentence verdict, an internet check that fails fast and clearly offline, and a sensible live answer."""

from __future__ import annotations

import socket
import time

import pytest

from llmcourse.checkreport import Check, CheckList
from llmcourse.checks_internet import check_internet
from llmcourse.diagnostics import check_live_call, main, run_checks
from tests.loopback import serving


def _no_dns(host):
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_statuses_are_words_and_columns_line_up():
    report = CheckList(
        [
            Check("Python version", "ok", "3.12"),
            Check(".env file", "info", "none", "create it"),
            Check("internet", "warn", "offline", "connect"),
            Check("x", "fail", "broken", "fix"),
            Check("live call", "skip", "not run"),
        ]
    )
    lines = [line for line in str(report).splitlines() if not line.lstrip().startswith("what to do")]
    assert [line.split()[0] for line in lines] == ["OK", "INFO", "WARN", "FAIL", "SKIP"]
    assert (
        len({line.index(name) for line, name in zip(lines, ["Python", ".env", "internet", "x", "live"], strict=True)})
        == 1
    )
    details = {
        line.index(detail) for line, detail in zip(lines, ["3.12", "none", "offline", "broken", "not run"], strict=True)
    }
    assert len(details) == 1  # every detail starts in the same column
    assert all(ord(ch) < 128 for ch in str(report) + report._repr_html_())  # no emoji anywhere
    with pytest.raises(ValueError, match="status must be one of"):
        Check("x", "fine", "?")


@pytest.mark.parametrize(
    ("rows", "start"),
    [
        (
            [Check("local model", "ok", "installed"), Check("live call (OpenAI)", "ok", "Paris")],
            "Ready: the local model answers; add keys",
        ),
        ([Check("local model", "ok", "installed"), Check("live call", "skip", "not run")], "Ready: the local model is"),
        ([Check("key OPENAI_API_KEY", "ok", "sk-...")], "Ready: 1 key is set"),
        # setup()'s stand-in key for the local model is not a key of yours
        (
            [
                Check("key OPENAI_API_KEY", "info", "local stand-in"),
                Check("key route OpenAI SDK", "ok", "the local model"),
                Check("local model", "ok", "x"),
            ],
            "Ready: the local model",
        ),
        ([Check("local model", "warn", "not installed")], "Almost ready: no model can answer yet"),
        (
            [Check("local model", "ok", "x"), Check("package openai", "fail", "missing", "pip install")],
            "Not ready: 1 check failed (package openai)",
        ),
    ],
)
def test_the_verdict_is_one_sentence(rows, start):
    verdict = CheckList(rows).verdict()
    assert verdict.startswith(start) and verdict.endswith(".") and "\n" not in verdict


def test_internet_offline_dns_fails_fast_and_says_what_still_works():
    started = time.monotonic()
    row = check_internet(resolve=_no_dns, timeout=2, offline=False)
    assert time.monotonic() - started < 2
    assert row.name == "internet" and row.status == "warn"
    assert "DNS cannot find api.openai.com" in row.detail and "offline" in row.detail
    assert "local model" in row.fix and "saved" in row.fix


def test_internet_a_hanging_dns_is_abandoned_at_the_timeout():
    started = time.monotonic()
    row = check_internet(resolve=lambda host: time.sleep(30), timeout=0.5, offline=False)
    assert time.monotonic() - started < 3 and row.status == "warn" and "DNS" in row.detail


def test_internet_no_route_through_a_dead_proxy_is_reported(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    started = time.monotonic()
    row = check_internet(timeout=2, offline=False)
    assert time.monotonic() - started < 5
    assert row.status == "warn" and "could not be reached through your proxy" in row.detail


def test_internet_ok_when_the_host_answers(monkeypatch):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Answer(BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(401)  # any answer proves the way there works; no key is sent
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    with serving(httpd):
        row = check_internet(f"http://127.0.0.1:{httpd.server_address[1]}/v1/models", timeout=3, offline=False)
    assert row.status == "ok" and "HTTP 401" in row.detail


def test_offline_mode_contacts_nobody():
    row = check_internet(resolve=_no_dns)  # the test run is in offline mode (LLMCOURSE_OFFLINE=1)
    assert row.status == "skip" and "offline mode" in row.detail


def test_doctor_ends_with_the_verdict(capsys):
    assert main(["--quick"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert any(line.startswith("Ready:") for line in out[-3:])
    assert "anthropic_openai" not in "\n".join(out)
    assert any(line.startswith("SKIP  internet") for line in out)  # offline mode: no real host contacted


def test_the_live_call_gets_a_sensible_answer_from_the_local_model(local_server):
    row = check_live_call(timeout=300)  # a loaded test machine can take a while for the first prompt
    assert row.status == "ok", row
    assert "paris" in row.detail.lower()  # the prompt has one short right answer the small model knows
    report = run_checks(import_packages=False)
    report.append(row)
    assert CheckList([r for r in report if r.name != "live call"]).verdict().startswith("Ready:")
