"""Loopback HTTP servers that speak just enough of OpenAI's API for the batch runner's tests and benchmark.

`ChatServer` answers `POST /v1/chat/completions` like OpenAI (an echo of the last user message, with
usage), after an optional latency, and can be scripted to fail: a `plan(request)` function returns an
HTTP error to send instead, and `requests_per_second` enforces a rate limit the way providers do
(429 with `Retry-After`). `BatchAPIServer` serves the Files and Batches endpoints the official SDK
calls for the Batch API, and runs the submitted requests through the same echo.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.loopback import serving_thread

__all__ = ["BatchAPIServer", "ChatServer", "HTTPError", "Seen", "echo_completion", "last_user_text"]


@dataclass(frozen=True)
class HTTPError:
    """What a scripted failure sends: status, optional headers, an OpenAI-style error message."""

    status: int
    message: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": "test", "code": str(self.status)}}


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    number: int  # 1-based, in arrival order
    at: float  # time.monotonic() on arrival
    text: str  # the last user message
    body: dict[str, Any]
    status: int = 200


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(part.get("text", "") for part in content if part.get("type") == "text")
            return str(content)
    return ""


def echo_completion(body: dict[str, Any]) -> dict[str, Any]:
    """A chat completion whose answer is `echo: <last user message>`, with word-count usage."""
    text = last_user_text(body)
    prompt_tokens = sum(len(str(m.get("content", "")).split()) + 4 for m in body.get("messages") or [])
    answer = f"echo: {text}"
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(answer.split()),
            "total_tokens": prompt_tokens + len(answer.split()),
        },
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK expects

    def log_message(self, *args: Any) -> None:  # quiet test output
        pass

    def _send(
        self,
        status: int,
        payload: bytes | dict[str, Any],
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:
        self.server.owner.post(self)  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self.server.owner.get(self)  # type: ignore[attr-defined]


class _LoopbackServer:
    def __init__(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self._thread = serving_thread(self._httpd)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        """The OpenAI-style base URL (with /v1)."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> _LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def post(self, handler: _Handler) -> None:
        handler._send(404, {"error": {"message": f"no route {handler.path}"}})

    def get(self, handler: _Handler) -> None:
        handler._send(404, {"error": {"message": f"no route {handler.path}"}})


class ChatServer(_LoopbackServer):
    """`POST /v1/chat/completions` with latency, a scripted failure plan and an optional rate limit.

    `plan(seen)` is called for every request (under a lock, in arrival order) and returns None to
    answer normally or an `HTTPError` to send. `requests_per_second` enforces a token bucket of
    `burst` requests (default: one second's worth); excess requests get 429 with `Retry-After`.
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        plan: Callable[[Seen], HTTPError | None] | None = None,
        requests_per_second: float | None = None,
        burst: float | None = None,
    ) -> None:
        super().__init__()
        self.latency = latency
        self.plan = plan
        self.rate = requests_per_second
        self.capacity = burst if burst is not None else (requests_per_second or 0)
        self._allowance = self.capacity
        self._refilled = time.monotonic()
        self._numbers = itertools.count(1)
        self.seen: list[Seen] = []
        self.statuses: Counter[int] = Counter()

    def _rate_limited(self, now: float) -> float | None:
        if not self.rate:
            return None
        self._allowance = min(self.capacity, self._allowance + (now - self._refilled) * self.rate)
        self._refilled = now
        if self._allowance >= 1:
            self._allowance -= 1
            return None
        return (1 - self._allowance) / self.rate

    def attempts(self, text: str) -> int:
        """How many requests carried this user message."""
        return sum(1 for seen in self.seen if seen.text == text)

    def post(self, handler: _Handler) -> None:
        raw = handler._body()
        if not handler.path.rstrip("/").endswith("/chat/completions"):
            return super().post(handler)
        body = json.loads(raw)
        now = time.monotonic()
        with self.lock:
            seen = Seen(next(self._numbers), now, last_user_text(body), body)
            wait = self._rate_limited(now)
            if wait is not None:
                error: HTTPError | None = HTTPError(
                    429, "Rate limit reached: requests per minute", {"Retry-After": f"{max(wait, 0.05):.3f}"}
                )
            else:
                error = self.plan(seen) if self.plan else None
            status = error.status if error else 200
            self.seen.append(Seen(seen.number, seen.at, seen.text, body, status))
            self.statuses[status] += 1
        if error is not None:
            return handler._send(error.status, error.body(), error.headers)
        if self.latency:
            time.sleep(self.latency)
        handler._send(200, echo_completion(body))


class BatchAPIServer(_LoopbackServer):
    """The Files and Batches endpoints of OpenAI's Batch API, on loopback.

    Each `GET /v1/batches/{id}` moves a batch one step: validating -> in_progress -> finalizing ->
    completed. On completion every request line is answered with `echo_completion`, except lines
    whose user message contains "REJECT", which go to the error file with a 400.
    """

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[str, bytes]] = {}  # id -> (purpose, content)
        self.batches: dict[str, dict[str, Any]] = {}
        self.uploads = 0
        self.retrieves = 0

    def _new_file(self, purpose: str, content: bytes, filename: str) -> dict[str, Any]:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = (purpose, content)
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
        }

    def post(self, handler: _Handler) -> None:
        raw = handler._body()
        path = handler.path.rstrip("/")
        with self.lock:
            if path.endswith("/files"):
                ctype = handler.headers.get("Content-Type", "")
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    f"Content-Type: {ctype}\r\n\r\n".encode() + raw
                )
                fields = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
                if "file" not in fields or "purpose" not in fields:
                    return handler._send(400, {"error": {"message": "file and purpose are required"}})
                purpose = fields["purpose"].get_content().strip()
                content = fields["file"].get_payload(decode=True)
                self.uploads += 1
                return handler._send(200, self._new_file(purpose, content, fields["file"].get_filename() or "upload"))
            if path.endswith("/batches"):
                request = json.loads(raw)
                file = self.files.get(request.get("input_file_id", ""))
                if file is None or file[0] != "batch":
                    return handler._send(
                        400, {"error": {"message": "input_file_id must be a file uploaded with purpose=batch"}}
                    )
                lines = [json.loads(line) for line in file[1].decode().splitlines() if line.strip()]
                bad = [
                    i
                    for i, line in enumerate(lines, 1)
                    if not {"custom_id", "method", "url", "body"} <= set(line)
                    or line["url"] != request.get("endpoint")
                    or "model" not in line["body"]
                ]
                if bad or request.get("completion_window") != "24h":
                    return handler._send(400, {"error": {"message": f"invalid request lines {bad}"}})
                batch_id = f"batch_{len(self.batches) + 1}"
                self.batches[batch_id] = {
                    "id": batch_id,
                    "object": "batch",
                    "endpoint": request["endpoint"],
                    "status": "validating",
                    "input_file_id": request["input_file_id"],
                    "completion_window": "24h",
                    "created_at": int(time.time()),
                    "metadata": request.get("metadata"),
                    "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                    "_lines": lines,
                }
                return handler._send(200, self._public(batch_id))
        super().post(handler)

    def _public(self, batch_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.batches[batch_id].items() if not k.startswith("_")}

    def _finish(self, batch: dict[str, Any]) -> None:
        output, errors = [], []
        for number, line in enumerate(batch["_lines"]):
            text = last_user_text(line["body"])
            if "REJECT" in text:
                errors.append(
                    {
                        "id": f"batch_req_{number}",
                        "custom_id": line["custom_id"],
                        "error": None,
                        "response": {
                            "status_code": 400,
                            "request_id": f"req_{number}",
                            "body": {
                                "error": {"message": "rejected by the test server", "type": "invalid_request_error"}
                            },
                        },
                    }
                )
            else:
                output.append(
                    {
                        "id": f"batch_req_{number}",
                        "custom_id": line["custom_id"],
                        "error": None,
                        "response": {
                            "status_code": 200,
                            "request_id": f"req_{number}",
                            "body": echo_completion(line["body"]),
                        },
                    }
                )

        def as_bytes(rows):
            return "".join(json.dumps(row) + "\n" for row in rows).encode()

        batch["output_file_id"] = self._new_file("batch_output", as_bytes(output), "output.jsonl")["id"]
        if errors:
            batch["error_file_id"] = self._new_file("batch_output", as_bytes(errors), "errors.jsonl")["id"]
        batch["request_counts"] = {"total": len(batch["_lines"]), "completed": len(output), "failed": len(errors)}

    def get(self, handler: _Handler) -> None:
        path = handler.path.split("?")[0].rstrip("/")
        with self.lock:
            match = re.search(r"/batches/([^/]+)$", path)
            if match and match.group(1) in self.batches:
                self.retrieves += 1
                batch = self.batches[match.group(1)]
                steps = ["validating", "in_progress", "finalizing", "completed"]
                if batch["status"] in steps[:-1]:
                    batch["status"] = steps[steps.index(batch["status"]) + 1]
                    if batch["status"] == "completed":
                        self._finish(batch)
                return handler._send(200, self._public(match.group(1)))
            match = re.search(r"/files/([^/]+)/content$", path)
            if match and match.group(1) in self.files:
                return handler._send(200, self.files[match.group(1)][1], content_type="application/octet-stream")
        super().get(handler)
