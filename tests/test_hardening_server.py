"""The embedded model server against hostile clients: wrong types, huge and slow bodies, foreign Host and
Origin headers, half-open connections under a small file limit, and clients that leave mid-generation.

Two real servers on 127.0.0.1: a `llmcourse.local.server` process with tight limits (a 128-file limit,
2 s for headers, 3 s for a body, 1 MB bodies, 16 connections, answers capped at 8 tokens), driven over
HTTP and raw sockets; and, for cancellation, the same app and uvicorn settings in this process around a
model that cannot stop by itself, so that only a disconnect or a limit can end its generation.
Every wait is bounded; every server stops at the end of the module.
"""

from __future__ import annotations

import json
import logging
import os
import random
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="raw-socket and file-limit tests need POSIX"),
    pytest.mark.slow,  # real servers under attack for minutes: `make test-fast` skips these
]

ROOT = Path(__file__).resolve().parent.parent
OPENAI, ANTHROPIC, CHAT, GENERATE = "/v1/chat/completions", "/v1/messages", "/api/chat", "/api/generate"
ASK = [{"role": "user", "content": "Hi"}]
BASE = {
    OPENAI: {"model": "gpt-x", "messages": ASK, "max_tokens": 1},
    ANTHROPIC: {"model": "claude-x", "max_tokens": 1, "messages": ASK},
    CHAT: {"model": "llama-x", "messages": ASK, "stream": False, "options": {"num_predict": 1}},
    GENERATE: {"model": "llama-x", "prompt": "Hi", "stream": False, "options": {"num_predict": 1}},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _limit_files() -> None:  # runs in the server process before exec
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> dict[str, Any]:
    port = _free_port()
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llmcourse.local.server",
            "--port",
            str(port),
            "--n-ctx",
            "1024",
            "--max-tokens",
            "8",
            "--max-request-seconds",
            "60",
            "--max-body-mb",
            "1",
            "--body-seconds",
            "3",
            "--header-seconds",
            "2",
            "--max-connections",
            "16",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=_limit_files,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        assert process.poll() is None, log_path.read_text(errors="replace")[-2000:]
        assert time.monotonic() < deadline, "the server did not start"
        try:
            if requests.get(url + "/v1/models", timeout=5).ok:
                break
        except requests.RequestException:
            time.sleep(0.2)
    yield {"url": url, "port": port, "log": log_path, "process": process}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)
    log.close()


def _shape_ok(path: str, payload: Any) -> bool:
    """The error shape of the API at `path`."""
    if path == ANTHROPIC:
        return (
            payload.get("type") == "error"
            and isinstance(payload["error"]["type"], str)
            and isinstance(payload["error"]["message"], str)
        )
    if path.startswith("/api"):
        return isinstance(payload.get("error"), str)
    return isinstance(payload["error"]["message"], str) and isinstance(payload["error"]["type"], str)


def _message(path: str, payload: dict) -> str:
    return payload["error"] if path.startswith("/api") else payload["error"]["message"]


def _post(url: str, path: str, body: Any, **kwargs: Any) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return requests.post(url + path, data=data, headers=headers, timeout=kwargs.pop("timeout", 120), **kwargs)


def _with(path: str, **changes: Any) -> dict:
    body = json.loads(json.dumps(BASE[path]))
    body.update(changes)
    return body


def _raw(port: int, data: bytes, *, wait: float = 10.0) -> bytes:
    """Send raw bytes, return everything the server sends back until it closes (or `wait` runs out)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.sendall(data)
        chunks, deadline = [], time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def _status_and_json(raw: bytes) -> tuple[int, Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.strip() else None


# --- every field type-checked into a 400 in the caller's format -------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
HOSTILE: list[tuple[str, Any, str]] = [
    # OpenAI
    (OPENAI, _with(OPENAI, tools="abc"), "tools"),
    (OPENAI, _with(OPENAI, temperature="hot"), "temperature"),
    (OPENAI, _with(OPENAI, stop={}), "stop"),
    (OPENAI, _with(OPENAI, top_p=[1]), "top_p"),
    (OPENAI, _with(OPENAI, seed="s"), "seed"),
    (OPENAI, _with(OPENAI, seed=2**80), "seed"),
    (OPENAI, _with(OPENAI, max_tokens="5"), "max_tokens"),
    (OPENAI, _with(OPENAI, max_tokens=True), "max_tokens"),
    (OPENAI, _with(OPENAI, temperature=-1), "temperature"),
    (OPENAI, _with(OPENAI, stream="yes"), "stream"),
    (OPENAI, _with(OPENAI, stream_options=[1]), "stream_options"),
    (OPENAI, _with(OPENAI, stream_options={"include_usage": "yes"}), "include_usage"),
    (OPENAI, _with(OPENAI, response_format="json"), "response_format"),
    (OPENAI, _with(OPENAI, response_format={"type": "json_schema", "json_schema": "x"}), "json_schema"),
    (OPENAI, _with(OPENAI, tool_choice=5), "tool_choice"),
    (OPENAI, _with(OPENAI, tool_choice={"type": "function", "function": "f"}), "tool_choice.function"),
    (OPENAI, _with(OPENAI, tools=[1]), "tools[0]"),
    (OPENAI, _with(OPENAI, tools=[{"type": "function"}]), "function"),
    (OPENAI, _with(OPENAI, tools=[{"type": "function", "function": {"name": 5}}]), "name"),
    (
        OPENAI,
        _with(OPENAI, tools=[{"type": "function", "function": {"name": "f", "parameters": {"properties": "x"}}}]),
        "properties",
    ),
    (
        OPENAI,
        _with(
            OPENAI, tools=[{"type": "function", "function": {"name": "f", "parameters": {"properties": {"a": "s"}}}}]
        ),
        "properties",
    ),
    (
        OPENAI,
        _with(OPENAI, tools=[{"type": "function", "function": {"name": "f", "parameters": {"required": "a"}}}]),
        "required",
    ),
    (OPENAI, _with(OPENAI, messages="hi"), "messages"),
    (OPENAI, _with(OPENAI, messages=[5]), "messages[0]"),
    (OPENAI, _with(OPENAI, messages=[{"role": ["user"], "content": "x"}]), "role"),
    (OPENAI, _with(OPENAI, messages=[{"role": "user", "content": 5}]), "content"),
    (OPENAI, _with(OPENAI, messages=[{"role": "user", "content": [{"type": 5}]}]), "type"),
    (OPENAI, _with(OPENAI, messages=[{"role": "user", "content": [7]}]), "content[0]"),
    (OPENAI, _with(OPENAI, messages=[ASK[0], {"role": "assistant", "content": None, "tool_calls": "x"}]), "tool_calls"),
    (
        OPENAI,
        _with(OPENAI, messages=[ASK[0], {"role": "assistant", "tool_calls": [{"id": "a", "function": "f"}]}]),
        "function",
    ),
    (OPENAI, _with(OPENAI, messages=[ASK[0], {"role": "tool", "tool_call_id": ["a"], "content": "1"}]), "tool_call_id"),
    (OPENAI, _with(OPENAI, logprobs="yes"), "logprobs"),
    (OPENAI, _with(OPENAI, top_logprobs=99), "top_logprobs"),
    (OPENAI, b'{"model": "x", "messages": [{"role": "user", "content": "Hi"}], "temperature": NaN}', "temperature"),
    (OPENAI, b'{"model": "x", "messages": [{"role": "user", "content": "Hi"}], "temperature": 1e400}', "temperature"),
    (OPENAI, b'{"model": "x", "max_tokens": ' + b"9" * 5000 + b', "messages": []}', "JSON"),
    (OPENAI, b'{"model": "x", "messages": [{"role": "user", "content": "\\ud800"}]}', "surrogate"),
    (OPENAI, b'{"model": "x", "messages": [{"role": "user", "content": "x", "\\udfff": 1}]}', "surrogate"),
    (OPENAI, b'{"model": "x", "messages": ' + DEEP + b"}", "nested"),
    (OPENAI, b'{"model": "x", "messages": ' + b"[" * 70 + b"]" * 70 + b"}", "nested"),
    (OPENAI, b"\xff\xfe not utf-8", "JSON"),
    (OPENAI, b"[1, 2]", "JSON object"),
    # Anthropic
    (ANTHROPIC, _with(ANTHROPIC, max_tokens="5"), "max_tokens"),
    (ANTHROPIC, _with(ANTHROPIC, temperature="hot"), "temperature"),
    (ANTHROPIC, _with(ANTHROPIC, temperature=1.5), "temperature"),
    (ANTHROPIC, _with(ANTHROPIC, top_k=-1), "top_k"),
    (ANTHROPIC, _with(ANTHROPIC, stop_sequences="END"), "stop_sequences"),
    (ANTHROPIC, _with(ANTHROPIC, system=5), "system"),
    (ANTHROPIC, _with(ANTHROPIC, system=[5]), "system[0]"),
    (ANTHROPIC, _with(ANTHROPIC, tools="abc"), "tools"),
    (ANTHROPIC, _with(ANTHROPIC, tools=[{"name": "t", "input_schema": "x"}]), "input_schema"),
    (ANTHROPIC, _with(ANTHROPIC, tool_choice="tool"), "tool_choice"),
    (ANTHROPIC, _with(ANTHROPIC, thinking="on"), "thinking"),
    (ANTHROPIC, _with(ANTHROPIC, metadata=[]), "metadata"),
    (ANTHROPIC, _with(ANTHROPIC, messages=[{"role": "user", "content": [{"type": "tool_use", "id": ["x"]}]}]), "id"),
    (
        ANTHROPIC,
        _with(ANTHROPIC, messages=[{"role": "user", "content": [{"type": "tool_result", "tool_use_id": {}}]}]),
        "tool_use_id",
    ),
    (ANTHROPIC, _with(ANTHROPIC, messages=[{"role": "user", "content": [{"text": "no type"}]}]), "type"),
    (ANTHROPIC, b'{"model": "c", "max_tokens": 5, "messages": [{"role": "user", "content": "\\ud800"}]}', "surrogate"),
    (ANTHROPIC, b'{"model": "c", "max_tokens": 5, "messages": ' + DEEP + b"}", "nested"),
    # Ollama
    (CHAT, _with(CHAT, options=[1]), "options"),
    (CHAT, _with(CHAT, options={"temperature": "hot"}), "temperature"),
    (CHAT, _with(CHAT, options={"num_predict": "x"}), "num_predict"),
    (CHAT, _with(CHAT, options={"stop": {}}), "stop"),
    (CHAT, _with(CHAT, options={"seed": "s"}), "seed"),
    (CHAT, _with(CHAT, options={"top_p": [1]}), "top_p"),
    (CHAT, _with(CHAT, format=5), "format"),
    (CHAT, _with(CHAT, format={"properties": []}), "properties"),
    (CHAT, _with(CHAT, messages=[{"role": "user", "content": 5}]), "content"),
    (CHAT, _with(CHAT, messages=[{"role": "user", "content": "x", "images": "abc"}]), "images"),
    (CHAT, _with(CHAT, tools="abc"), "tools"),
    (CHAT, _with(CHAT, tools=[{"function": "x"}]), "function"),
    (CHAT, _with(CHAT, stream="no"), "stream"),
    (CHAT, _with(CHAT, keep_alive=[]), "keep_alive"),
    (CHAT, b'{"model": "x", "messages": [{"role": "user", "content": "\\udc00"}]}', "surrogate"),
    (CHAT, b'{"model": "x", "messages": ' + DEEP + b"}", "nested"),
    (GENERATE, _with(GENERATE, prompt=["Hi"]), "prompt"),
    (GENERATE, _with(GENERATE, system={}), "system"),
    (GENERATE, _with(GENERATE, context=["a"]), "context"),
    (GENERATE, _with(GENERATE, options={"num_ctx": 0}), "num_ctx"),
]


@pytest.mark.parametrize("path, body, fragment", HOSTILE, ids=[f"{p}-{n}" for n, (p, _, _) in enumerate(HOSTILE)])
def test_wrongly_typed_fields_are_400_in_the_callers_format(server, path, body, fragment):
    response = _post(server["url"], path, body)
    assert response.status_code == 400, response.text[:300]
    payload = response.json()
    assert _shape_ok(path, payload), payload
    assert fragment.lower() in _message(path, payload).lower(), _message(path, payload)


_VALUES: list[Any] = [
    "s",
    "",
    5,
    -1,
    0,
    1.5,
    1e300,
    True,
    False,
    None,
    [],
    {},
    [1],
    ["a"],
    {"a": 1},
    [{}],
    [[]],
    [{"type": 5}],
    {"type": "x"},
    "\ud800",
    "[" * 70,
]
_FIELDS = {
    OPENAI: [
        "model",
        "messages",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "n",
        "seed",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "stream",
        "stream_options",
        "response_format",
        "tools",
        "tool_choice",
        "logprobs",
        "top_logprobs",
        "user",
        "messages.0",
        "messages.0.role",
        "messages.0.content",
        "messages.0.tool_calls",
        "messages.0.tool_call_id",
        "messages.0.name",
    ],
    ANTHROPIC: [
        "model",
        "max_tokens",
        "messages",
        "system",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "stream",
        "tools",
        "tool_choice",
        "metadata",
        "thinking",
        "messages.0",
        "messages.0.role",
        "messages.0.content",
    ],
    CHAT: [
        "model",
        "messages",
        "stream",
        "format",
        "options",
        "tools",
        "keep_alive",
        "think",
        "options.temperature",
        "options.top_p",
        "options.top_k",
        "options.seed",
        "options.stop",
        "options.num_predict",
        "options.repeat_penalty",
        "messages.0",
        "messages.0.role",
        "messages.0.content",
        "messages.0.images",
    ],
    GENERATE: [
        "model",
        "prompt",
        "system",
        "stream",
        "format",
        "options",
        "images",
        "context",
        "options.temperature",
        "options.num_predict",
        "options.stop",
        "raw",
    ],
}


def _mutate(body: dict, field: str, value: Any) -> bytes:
    parts, target = field.split("."), body
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last = parts[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    text = json.dumps(body, ensure_ascii=True)
    if value == "[" * 70:  # as structure, not as a string
        text = text.replace(json.dumps(value), "[" * 70 + "]" * 70)
    return text.encode()


def test_fuzzed_bodies_get_4xx_json_or_an_answer_and_the_server_keeps_serving(server):
    chooser = random.Random(16)
    seen_statuses = []
    for round_number in range(120):
        path = chooser.choice(list(BASE))
        field, value = chooser.choice(_FIELDS[path]), chooser.choice(_VALUES)
        body = json.loads(json.dumps(BASE[path]))
        if field.startswith("options.") and "options" not in body:
            body["options"] = {}
        raw = _mutate(body, field, value)
        response = _post(server["url"], path, raw)
        where = f"round {round_number}: {path} {field}={value!r:.40} -> {response.status_code} {response.text[:200]}"
        assert response.status_code < 500, where
        seen_statuses.append(response.status_code)
        if response.status_code >= 400:
            assert _shape_ok(path, response.json()), where
        elif "text/event-stream" not in response.headers.get(
            "content-type", ""
        ) and "ndjson" not in response.headers.get("content-type", ""):
            response.json()  # a real answer is JSON too
    assert {400} <= set(seen_statuses) and 200 in seen_statuses  # the table hits both sides
    assert requests.get(server["url"] + "/v1/models", timeout=30).ok
    assert _post(server["url"], OPENAI, BASE[OPENAI]).status_code == 200


# --- size and time limits ---------------------------------------------------------------------------------------


def _head(path: str, port: int, extra: str = "", *, length: int | None = None) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


@pytest.mark.parametrize("path", [OPENAI, ANTHROPIC, CHAT])
def test_a_body_announced_over_the_limit_is_413_before_a_byte_is_read(server, path):
    started = time.monotonic()
    raw = _raw(server["port"], _head(path, server["port"], length=100 * 1024 * 1024), wait=20)
    status, payload = _status_and_json(raw)
    assert status == 413 and _shape_ok(path, payload) and "larger than 1 MB" in _message(path, payload)
    assert time.monotonic() - started < 15


def test_a_chunked_body_over_the_limit_is_413_while_reading(server):
    port = server["port"]
    chunk, sent, reply = b"x" * 65536, 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(_head(OPENAI, port, "Transfer-Encoding: chunked\r\n"))
        deadline = time.monotonic() + 60
        while sent < 8 * 1024 * 1024 and time.monotonic() < deadline:  # never more than 8 MB, whatever happens
            if select.select([sock], [], [], 0.05)[0]:  # the answer came: read it before sending more
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.settimeout(10)
        try:
            while not reply.endswith(b"}"):
                data = sock.recv(65536)
                if not data:
                    break
                reply += data
        except (TimeoutError, ConnectionResetError):
            pass
    status, payload = _status_and_json(reply)
    assert status == 413 and _shape_ok(OPENAI, payload)
    assert sent <= 4 * 1024 * 1024  # refused soon after the 1 MB limit, not after the 8 MB


def test_a_body_just_under_the_limit_is_served(server):
    body = _with(OPENAI, padding="x" * (900 * 1024))
    assert _post(server["url"], OPENAI, body).status_code == 200


def test_a_trickled_body_is_408_at_its_deadline(server):
    port = server["port"]
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(_head(OPENAI, port, length=100))
        reply = b""
        sock.settimeout(0.5)
        while time.monotonic() - started < 20:
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except ConnectionResetError:
                break
            if not data:
                break
            reply += data
    status, payload = _status_and_json(reply)
    assert status == 408 and _shape_ok(OPENAI, payload)
    assert "did not arrive within 3 seconds" in payload["error"]["message"]
    assert time.monotonic() - started < 12


def test_trickled_headers_are_cut_off_at_the_header_deadline(server):
    port = server["port"]
    header = _head(OPENAI, port, length=2)
    started = time.monotonic()
    closed_after = None
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for byte in header:  # one byte every 0.25 s: 30 s for the whole block
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            sock.settimeout(0.25)
            try:
                if sock.recv(1024) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                pass
            except ConnectionResetError:
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None and 1.5 <= closed_after < 8, closed_after


# --- Host and Origin ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "evil.test"},
        {"Host": "evil.test:{port}"},
        {"Host": "127.0.0.1.evil.test:{port}"},
        {"Host": "localhost.evil.test"},
        {"Host": "127.0.0.2:{port}"},
        {"Host": "0.0.0.0:{port}"},
        {"Origin": "http://evil.test"},
        {"Origin": "null"},
        {"Origin": "http://127.0.0.1.evil.test"},
        {"Origin": "http://localhost:{port}@evil.test"},
    ],
)
@pytest.mark.parametrize("path", [OPENAI, ANTHROPIC, CHAT])
def test_requests_not_addressed_to_this_machine_are_403(server, path, headers):
    filled = {name: value.format(port=server["port"]) for name, value in headers.items()}
    response = _post(server["url"], path, BASE[path], headers=filled, timeout=30)
    assert response.status_code == 403 and _shape_ok(path, response.json())


def test_a_missing_or_doubled_host_is_403(server):
    port = server["port"]
    for host_lines in ("", f"Host: 127.0.0.1:{port}\r\nHost: evil.test\r\n"):
        raw = _raw(port, (f"GET /v1/models HTTP/1.0\r\n{host_lines}\r\n").encode(), wait=10)
        assert raw.split(b" ", 2)[1] in (b"400", b"403"), raw[:200]


@pytest.mark.parametrize(
    "headers",
    [
        {"Host": "localhost:{port}"},
        {"Host": "127.0.0.1:{port}"},
        {"Host": "LOCALHOST"},
        {"Host": "[::1]:{port}"},
        {"Origin": "http://127.0.0.1:7860"},
        {"Origin": "http://localhost:{port}"},
        {"Origin": "https://[::1]"},
    ],
)
def test_this_machine_is_welcome(server, headers):
    filled = {name: value.format(port=server["port"]) for name, value in headers.items()}
    assert requests.get(server["url"] + "/v1/models", headers=filled, timeout=30).status_code == 200


def test_the_sdks_still_get_through(server):
    import anthropic
    import ollama
    import openai

    oai = openai.OpenAI(base_url=server["url"] + "/v1", api_key="llmcourse-local", max_retries=0)
    assert oai.chat.completions.create(model="x", messages=ASK, max_tokens=1).choices
    claude = anthropic.Anthropic(base_url=server["url"], api_key="llmcourse-local", max_retries=0)
    assert claude.messages.create(model="c", max_tokens=1, messages=ASK).content is not None
    assert ollama.Client(host=server["url"]).chat(model="x", messages=ASK, options={"num_predict": 1}).done


# --- connections that try to wedge it ---------------------------------------------------------------------------


def test_half_open_connections_under_a_small_file_limit_do_not_wedge_it(server):
    port, attackers = server["port"], []
    try:
        for number in range(300):  # more than the server's 128 files
            sock = socket.socket()
            sock.settimeout(0.2)
            try:
                sock.connect(("127.0.0.1", port))
                if number % 2:
                    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0")  # half a header
            except OSError:
                sock.close()
                continue
            attackers.append(sock)
        assert len(attackers) > 50
        started = time.monotonic()
        response = requests.get(server["url"] + "/v1/models", timeout=30)
        assert response.ok and time.monotonic() - started < 20

        def still_open() -> int:
            count = 0
            for sock in attackers:
                sock.setblocking(False)
                try:
                    count += sock.recv(1) != b""
                except BlockingIOError:
                    count += 1
                except OSError:
                    pass
            return count

        _wait(lambda: still_open() == 0, 20)  # the 2 s header deadline closed every one of them
    finally:
        for sock in attackers:
            sock.close()
    assert _post(server["url"], OPENAI, BASE[OPENAI]).status_code == 200


def test_the_log_holds_no_tracebacks_and_stays_small(server):
    # runs after the tests above (file order): hundreds of client errors and wedge attempts
    text = server["log"].read_text(errors="replace")
    assert "Traceback" not in text and len(text) < 20_000, text[-3000:]
    assert server["process"].poll() is None


# --- clients that leave, and requests that would hold the model too long ---------------------------------------


@pytest.fixture(scope="module")
def endless() -> Any:
    """This process serves the real app and uvicorn settings around a model whose end-of-turn token is banned:
    its generations can only end at a limit or by cancellation."""
    import uvicorn

    from llmcourse.local.engine import Engine
    from llmcourse.local.server import create_app, uvicorn_config

    class EndlessEngine(Engine):
        def _kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
            params = super()._kwargs(kwargs)
            params["logit_bias"] = {self.llm.token_eos(): -1000.0}
            return params

    engine = EndlessEngine(n_ctx=4608, max_seconds=600)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn_config(create_app(engine)))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uv.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield {"engine": engine, "port": port, "url": f"http://127.0.0.1:{port}"}
    uv.should_exit = True
    thread.join(timeout=30)
    sock.close()


def _start_request(port: int, path: str, body: dict) -> socket.socket:
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(_head(path, port, length=len(data)) + data)
    return sock


def _wait(condition, timeout: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"still waiting after {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - started


@pytest.mark.parametrize(
    "path, body",
    [
        (OPENAI, {"model": "x", "messages": ASK, "max_tokens": 4096}),
        (CHAT, {"model": "x", "messages": ASK, "stream": False, "options": {"num_predict": 4096}}),
        (OPENAI, {"model": "x", "messages": ASK, "max_tokens": 4096, "stream": True}),
    ],
)
def test_a_client_that_leaves_stops_its_generation(endless, path, body):
    engine = endless["engine"]
    before = engine.stops["client_left"]
    sock = _start_request(endless["port"], path, body)
    try:
        _wait(engine.lock.locked, 120)  # generating (4,096 tokens: minutes, unless stopped)
        time.sleep(0.5)
    finally:
        sock.close()
    assert _wait(lambda: not engine.lock.locked(), 30) < 30
    assert engine.stops["client_left"] == before + 1


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_client_that_leaves_while_queued_never_generates(endless):
    engine = endless["engine"]
    captured = _Records()
    logging.getLogger("uvicorn.error").addHandler(captured)
    logging.getLogger("asyncio").addHandler(captured)
    before = dict(engine.stops)
    holder = _start_request(endless["port"], OPENAI, {"model": "x", "messages": ASK, "max_tokens": 4096})
    try:
        _wait(engine.lock.locked, 120)
        queued = _start_request(endless["port"], OPENAI, {"model": "x", "messages": ASK, "max_tokens": 4096})
        time.sleep(1.0)
        queued.close()  # leaves while the first one holds the model
        time.sleep(0.5)
    finally:
        holder.close()
    _wait(lambda: engine.stops["left_before_turn"] == before.get("left_before_turn", 0) + 1, 60)
    assert not engine.lock.locked()
    assert engine.stops["client_left"] == before.get("client_left", 0) + 1
    logging.getLogger("uvicorn.error").removeHandler(captured)
    logging.getLogger("asyncio").removeHandler(captured)
    assert not [record.getMessage() for record in captured.records]  # no traceback, no warning for client exits
    reply = requests.post(endless["url"] + OPENAI, json={"model": "x", "messages": ASK, "max_tokens": 2}, timeout=120)
    assert reply.status_code == 200 and reply.json()["choices"][0]["finish_reason"] == "length"


def test_no_request_holds_the_model_past_the_time_limit(endless):
    engine = endless["engine"]
    engine.max_seconds = 1.5
    try:
        before = engine.stops["time_limit"]
        started = time.monotonic()
        reply = requests.post(
            endless["url"] + OPENAI, timeout=120, json={"model": "x", "messages": ASK, "max_tokens": 4096}
        )
        assert reply.status_code == 200 and reply.json()["choices"][0]["finish_reason"] == "length"
        assert time.monotonic() - started < 60 and engine.stops["time_limit"] == before + 1
        assert reply.json()["usage"]["completion_tokens"] < 4096
        chunks = requests.post(
            endless["url"] + OPENAI,
            timeout=120,
            stream=True,
            json={"model": "x", "messages": ASK, "max_tokens": 4096, "stream": True},
        )
        events = [json.loads(line[6:]) for line in chunks.iter_lines(decode_unicode=True) if line.startswith("data: {")]
        assert events[-1]["choices"][0]["finish_reason"] == "length" and engine.stops["time_limit"] == before + 2
    finally:
        engine.max_seconds = 600


def test_max_tokens_is_capped(endless):
    engine = endless["engine"]
    engine.max_tokens = 6
    try:
        reply = requests.post(
            endless["url"] + OPENAI, timeout=120, json={"model": "x", "messages": ASK, "max_tokens": 100_000}
        )
        assert reply.status_code == 200 and reply.json()["usage"]["completion_tokens"] == 6
        reply = requests.post(
            endless["url"] + CHAT,
            timeout=120,
            json={"model": "x", "messages": ASK, "stream": False, "options": {"num_predict": 0}},
        )
        assert reply.status_code == 200 and reply.json()["eval_count"] <= 6
    finally:
        engine.max_tokens = 4096
