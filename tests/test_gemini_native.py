"""Gemini's own SDK (`google-genai`), as week2/routers.ipynb calls it, against a loopback fake of Gemini's REST API.

The fake speaks the documented wire shape of the Gemini API (v1beta): `POST /{version}/models/{model}:generateContent`
(version v1, the SDK's default, or v1beta) and `:streamGenerateContent?alt=sse`, the key in the `x-goog-api-key` header, `contents` / `systemInstruction` /
`generationConfig` in, `candidates` / `usageMetadata` out, thought parts marked `"thought": true`, errors as
`{"error": {"code", "message", "status"}}`. The real `genai.Client` is pointed at it with
`http_options={"base_url": ...}`; nothing leaves this computer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from llmcourse.settings import MODELS
from tests.loopback import serving

genai = pytest.importorskip("google.genai")
errors, types = genai.errors, genai.types

KEY = "AIza" + "SyFAKEgeminiKEYf8Gk2Lm9Qp3Rs7Tv1Wx5"  # split: no tracked file holds a key-shaped string


@dataclass
class FakeGemini:
    """A running fake: its base URL and every request it received (path, headers, JSON body)."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


def _camel(value: Any) -> Any:
    """Field names as the API documents them (camelCase); Google's JSON parser also takes snake_case, which the SDK
    sends for some nested settings."""
    if isinstance(value, dict):
        return {
            "".join(w if i == 0 else w.title() for i, w in enumerate(k.split("_"))): _camel(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _answer_text(body: dict[str, Any]) -> str:
    """What the fake 'model' answers: the last user text, upper-cased (deterministic, checkable)."""
    parts = body["contents"][-1]["parts"]
    return " ".join(part.get("text", "") for part in parts).upper()


def _usage(body: dict[str, Any], answer: str, thoughts: int) -> dict[str, Any]:
    prompt = sum(len(p.get("text", "").split()) for c in body["contents"] for p in c["parts"])
    usage = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": len(answer.split()),
        "totalTokenCount": prompt + len(answer.split()) + thoughts,
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    return usage


@contextmanager
def fake_gemini() -> Iterator[FakeGemini]:
    """Serve the Gemini REST shape on a free port of 127.0.0.1."""
    fake = FakeGemini("")

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = _camel(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}"))
            path = urlsplit(self.path)
            fake.requests.append(
                {
                    "path": path.path,
                    "query": path.query,
                    "body": body,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )
            if self.headers.get("x-goog-api-key") != KEY:
                self._send(
                    400,
                    {
                        "error": {
                            "code": 400,
                            "status": "INVALID_ARGUMENT",
                            "message": "API key not valid. Please pass a valid API key.",
                        }
                    },
                )
                return
            model, _, method = path.path.rpartition("/")[2].partition(":")
            version = path.path.split("/")[1]
            if (
                version not in ("v1", "v1beta")
                or not path.path.startswith(f"/{version}/models/")
                or method not in ("generateContent", "streamGenerateContent")
            ):
                self._send(404, {"error": {"code": 404, "status": "NOT_FOUND", "message": f"{path.path} not found"}})
                return
            answer = _answer_text(body)
            thinking = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
            thoughts = 12 if thinking.get("thinkingBudget", 0) else 0
            parts = (
                [{"text": "Thinking about it: the user wants capitals.", "thought": True}]
                if thinking.get("includeThoughts")
                else []
            )
            if method == "generateContent":
                self._send(
                    200,
                    {
                        "candidates": [
                            {
                                "content": {"role": "model", "parts": parts + [{"text": answer}]},
                                "finishReason": "STOP",
                                "index": 0,
                            }
                        ],
                        "usageMetadata": _usage(body, answer, thoughts),
                        "modelVersion": model,
                        "responseId": "fake-1",
                    },
                )
                return
            # streamGenerateContent?alt=sse: one SSE event per piece; the last one carries the finish reason and usage.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            words = answer.split()
            for index, word in enumerate(words):
                chunk: dict[str, Any] = {
                    "candidates": [
                        {
                            "content": {
                                "role": "model",
                                "parts": [{"text": word + (" " if index < len(words) - 1 else "")}],
                            },
                            "index": 0,
                        }
                    ],
                    "modelVersion": model,
                }
                if index == len(words) - 1:
                    chunk["candidates"][0]["finishReason"] = "STOP"
                    chunk["usageMetadata"] = _usage(body, answer, thoughts)
                self.wfile.write(f"data: {json.dumps(chunk)}\r\n\r\n".encode())
                self.wfile.flush()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    with serving(server):
        yield fake


@pytest.fixture
def gemini(monkeypatch):
    """A fake Gemini API and a `genai.Client` built as the notebook builds it: the key from the environment."""
    for name in (
        "GOOGLE_API_KEY",
        "GEMINI_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    with fake_gemini() as fake:
        yield fake, genai.Client(http_options={"base_url": fake.url})


def test_generate_content_goes_to_the_documented_path_with_the_key_in_its_header(gemini):
    fake, client = gemini
    response = client.models.generate_content(model=MODELS["gemini"], contents="What is the capital of France?")
    assert response.text == "WHAT IS THE CAPITAL OF FRANCE?"
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.prompt_token_count == 6
    assert response.usage_metadata.candidates_token_count == 6
    (request,) = fake.requests
    assert request["path"] in (f"/{version}/models/{MODELS['gemini']}:generateContent" for version in ("v1", "v1beta"))
    assert request["headers"]["x-goog-api-key"] == KEY
    assert KEY not in request["query"]  # the key travels in a header, never in the URL
    assert request["body"]["contents"] == [{"role": "user", "parts": [{"text": "What is the capital of France?"}]}]


def test_the_gemini_api_key_alias_is_read_too(monkeypatch):
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    with fake_gemini() as fake:
        client = genai.Client(http_options={"base_url": fake.url})
        assert client.models.generate_content(model=MODELS["gemini"], contents="hi").text == "HI"
    assert fake.requests[0]["headers"]["x-goog-api-key"] == KEY


def test_system_instruction_and_thinking_settings_go_in_the_request(gemini):
    fake, client = gemini
    config = types.GenerateContentConfig(
        system_instruction="You answer in capitals.",
        max_output_tokens=200,
        thinking_config=types.ThinkingConfig(thinking_budget=512, include_thoughts=True),
    )
    response = client.models.generate_content(model=MODELS["gemini"], contents="name a city", config=config)
    body = fake.requests[0]["body"]
    assert body["systemInstruction"]["parts"] == [{"text": "You answer in capitals."}]
    assert body["generationConfig"]["maxOutputTokens"] == 200
    assert body["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 512, "includeThoughts": True}
    # The thought summary is a part of its own, marked `thought`; `response.text` is the answer alone.
    parts = response.candidates[0].content.parts
    assert [bool(part.thought) for part in parts] == [True, False]
    assert response.text == "NAME A CITY"
    assert response.usage_metadata.thoughts_token_count == 12


def test_generate_content_stream_yields_the_answer_in_pieces(gemini):
    fake, client = gemini
    pieces = [
        chunk.text
        for chunk in client.models.generate_content_stream(model=MODELS["gemini"], contents="one two three four")
    ]
    assert len(pieces) == 4
    assert "".join(pieces) == "ONE TWO THREE FOUR"
    request = fake.requests[0]
    assert request["path"].endswith(f"/models/{MODELS['gemini']}:streamGenerateContent")
    assert request["query"] == "alt=sse"


def test_a_chat_keeps_the_history_and_sends_it_each_turn(gemini):
    fake, client = gemini
    chat = client.chats.create(model=MODELS["gemini"])
    assert chat.send_message("first").text == "FIRST"
    assert chat.send_message("second").text == "SECOND"
    roles = [content["role"] for content in fake.requests[1]["body"]["contents"]]
    assert roles == ["user", "model", "user"]  # the API is stateless: turn 2 resends turn 1


def test_a_refused_key_raises_a_client_error_with_googles_message(monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza" + "SyWRONGkeyWRONGkeyWRONGkeyWRONG12")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with fake_gemini() as fake:
        client = genai.Client(http_options={"base_url": fake.url})
        with pytest.raises(errors.ClientError) as raised:
            client.models.generate_content(model=MODELS["gemini"], contents="hi")
    assert raised.value.code == 400
    assert "API key not valid" in str(raised.value)


def test_no_key_at_all_is_a_clear_error_before_any_request(monkeypatch):
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="API key"):
        genai.Client()
