"""A scripted OpenAI/Anthropic server on 127.0.0.1: it answers with the replies a test queues, in order.

The real openai and anthropic SDKs talk to it, so the tool loop is tested through real HTTP and real
response parsing, with replies no small model would produce on demand (tool calls, hostile arguments).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anthropic
import openai

from tests.loopback import serving_thread

__all__ = ["ScriptedServer", "anthropic_message", "completion"]


def completion(content: str | None = None, calls: list[tuple[str, str]] | None = None) -> dict:
    """A chat.completion reply; `calls` are (tool name, raw arguments string)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {"id": f"call_{n}", "type": "function", "function": {"name": name, "arguments": arguments}}
            for n, (name, arguments) in enumerate(calls)
        ]
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1,
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def anthropic_message(text: str | None = None, uses: list[tuple[str, Any]] | None = None) -> dict:
    """An Anthropic Messages reply; `uses` are (tool name, input)."""
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += [
        {"type": "tool_use", "id": f"toolu_{n}", "name": name, "input": tool_input}
        for n, (name, tool_input) in enumerate(uses or [])
    ]
    return {
        "id": "msg_scripted",
        "type": "message",
        "role": "assistant",
        "model": "scripted",
        "content": content,
        "stop_reason": "tool_use" if uses else "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


class ScriptedServer:
    """Answers /v1/chat/completions and /v1/messages with the queued replies in order (the last one repeats).

    A reply is a dict (sent as JSON) or raw bytes (sent as they are); any other path gets a 404.
    `requests` holds the JSON bodies received since the last `script(...)`.
    """

    def __init__(self) -> None:
        self.replies: list[bytes] = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path not in ("/v1/chat/completions", "/v1/messages"):
                    status = 404
                    body = json.dumps({"error": {"message": f"no route {self.path}", "type": "not_found"}}).encode()
                else:
                    outer.requests.append(request)
                    status, body = 200, outer.replies[min(len(outer.requests), len(outer.replies)) - 1]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        serving_thread(self.httpd).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.openai = openai.OpenAI(base_url=self.url + "/v1", api_key="test-key", max_retries=0)
        self.anthropic = anthropic.Anthropic(base_url=self.url, api_key="test-key", max_retries=0)

    def script(self, *replies: dict | bytes) -> openai.OpenAI:
        """Queue these replies (and forget earlier requests); return the OpenAI client."""
        self.replies = [reply if isinstance(reply, bytes) else json.dumps(reply).encode() for reply in replies]
        self.requests = []
        return self.openai

    def script_anthropic(self, *replies: dict | bytes) -> anthropic.Anthropic:
        """`script`, returning the Anthropic client."""
        self.script(*replies)
        return self.anthropic

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
