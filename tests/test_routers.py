"""Routers and fast hosts as rows of the provider table (OpenRouter, Groq, xAI), and OpenRouter through the real
OpenAI SDK against a loopback fake of OpenRouter's API (week2/routers.ipynb).

The fake speaks what OpenRouter documents for its OpenAI-compatible API under `/api/v1`: chat completions
(plain, and streamed as SSE with its ": OPENROUTER PROCESSING" keep-alive comments), a `models` fallback list in
the body, the upstream `provider` and `usage.cost` in the answer, attribution headers (`HTTP-Referer`, `X-Title`),
`GET /models` (public, with per-token prices) and `GET /key` (the key check), errors as
`{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai
import pytest
from dotenv import dotenv_values

import llmcourse
from llmcourse.clients import available
from llmcourse.keys import KEY_SPECS, key_problems, live_check
from llmcourse.providers import PROVIDERS
from llmcourse.settings import MODEL_CHOICES, MODELS
from tests.loopback import serving

ROOT = Path(__file__).resolve().parent.parent

# Split so that no tracked file holds a key-shaped string.
OPENROUTER_KEY = "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"
OPENAI_KEY = "sk-proj-" + "OPENAIQ3vT9kZ2mX8wL1yN5bC7dF4gH6j"


@dataclass
class FakeOpenRouter:
    """A running fake: base URL (ending in /api/v1, as OpenRouter's), the models it serves, what it received."""

    url: str
    models: list[str]
    requests: list[dict[str, Any]] = field(default_factory=list)


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@contextmanager
def fake_openrouter(models: list[str]) -> Iterator[FakeOpenRouter]:
    """Serve OpenRouter's API shape for `models` on a free port of 127.0.0.1."""
    fake = FakeOpenRouter("", list(models))

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self, body: Any) -> None:
            fake.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "body": body,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
            )

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {OPENROUTER_KEY}":
                return True
            self._send(401, _error(401, "No cookie auth credentials found"))
            return False

        def do_GET(self) -> None:
            self._record(None)
            if self.path == "/api/v1/models":  # public: no key needed
                self._send(
                    200,
                    {
                        "data": [
                            {
                                "id": m,
                                "name": m,
                                "context_length": 128000,
                                "pricing": {"prompt": "0.0000001", "completion": "0.0000005"},
                            }
                            for m in fake.models
                        ]
                    },
                )
            elif self.path == "/api/v1/key":
                if self._authorised():
                    self._send(
                        200,
                        {"data": {"label": "sk-or-v1-7c2...5a8c", "limit": None, "usage": 0.25, "is_free_tier": False}},
                    )
            else:
                self._send(404, _error(404, "Not Found"))

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            self._record(body)
            if self.path != "/api/v1/chat/completions":
                self._send(404, _error(404, "Not Found"))
                return
            if not self._authorised():
                return
            wanted = body.get("models") or [body.get("model")]  # the fallback list, tried in order
            chosen = next((m for m in wanted if m in fake.models), None)
            if chosen is None:
                self._send(400, _error(400, f"{wanted[0]} is not a valid model ID"))
                return
            question = body["messages"][-1]["content"]
            answer = f"{chosen} says: {question}"
            prompt_tokens, completion_tokens = len(question.split()), len(answer.split())
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
                "cost": round((prompt_tokens * 0.1 + completion_tokens * 0.5) / 1e6, 10),
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            }
            provider = chosen.split("/")[0].title()
            base = {"id": "gen-fake-1", "provider": provider, "model": chosen, "created": int(time.time())}
            if not body.get("stream"):
                self._send(
                    200,
                    {
                        **base,
                        "object": "chat.completion",
                        "usage": usage,
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "native_finish_reason": "stop",
                                "message": {"role": "assistant", "content": answer},
                            }
                        ],
                    },
                )
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b": OPENROUTER PROCESSING\n\n")  # keep-alive comments come before the first chunk
            words = answer.split(" ")
            for index, word in enumerate(words):
                delta = {"role": "assistant", "content": word + (" " if index < len(words) - 1 else "")}
                finish = "stop" if index == len(words) - 1 else None
                chunk = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(
                f"data: {json.dumps({**base, 'object': 'chat.completion.chunk', 'choices': [], 'usage': usage})}\n\n".encode()
            )
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    with serving(server):
        yield fake


@pytest.fixture
def router(monkeypatch):
    """Online, an OpenRouter key and an OpenAI key set, and a fake OpenRouter serving the course's choices."""
    monkeypatch.delenv("LLMCOURSE_OFFLINE", raising=False)
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENROUTER_API_KEY", OPENROUTER_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    with fake_openrouter(MODEL_CHOICES["openrouter"]) as fake:
        yield fake


def _question() -> list[dict[str, str]]:
    return [{"role": "user", "content": "Name one router"}]


# --- the rows -----------------------------------------------------------------------------------------


def test_router_rows_match_the_vendor_docs():
    assert PROVIDERS["openrouter"].base_url == "https://openrouter.ai/api/v1"
    assert PROVIDERS["groq"].base_url == "https://api.groq.com/openai/v1"
    assert PROVIDERS["xai"].base_url == "https://api.x.ai/v1"
    assert [PROVIDERS[n].key_var for n in ("openrouter", "groq", "xai")] == [
        "OPENROUTER_API_KEY",
        "GROQ_API_KEY",
        "XAI_API_KEY",
    ]
    assert [PROVIDERS[n].key_prefixes for n in ("openrouter", "groq", "xai")] == [("sk-or-",), ("gsk_",), ("xai-",)]
    for name in ("openrouter", "groq", "xai"):
        assert PROVIDERS[name].sdk == "openai"
        assert PROVIDERS[name].default_model == MODELS[name] == MODEL_CHOICES[name][0]
    assert PROVIDERS["openrouter"].check_path == "key"  # its model list is public: it proves nothing about a key


def test_router_keys_are_in_env_example_and_the_key_checker():
    example = dotenv_values(ROOT / ".env.example")
    for variable in ("OPENROUTER_API_KEY", "GROQ_API_KEY", "XAI_API_KEY"):
        assert variable in example and variable in KEY_SPECS
        assert key_problems(variable, example[variable])  # the placeholder is refused, with a fix
    # An OpenRouter key pasted under OpenAI's name (both start with "sk-") is recognised by its longer prefix.
    problems = key_problems("OPENAI_API_KEY", OPENROUTER_KEY)
    assert problems and "OpenRouter" in problems[0] and OPENROUTER_KEY not in problems[0]
    assert key_problems("OPENROUTER_API_KEY", OPENROUTER_KEY) == []


def test_each_router_client_goes_to_its_own_address_with_its_own_key(router, monkeypatch):
    monkeypatch.setenv("GROQ_API_KEY", "gsk_GROQ8d3f6a0c5e9b2d7f1a4c8e4f9cXk2Lm9Q")
    monkeypatch.setenv("XAI_API_KEY", "xai-XAI2c7e1b8d4f6a0c5e9b2d7f1a4c8eXk2Lm9Qp3")
    for name, variable in (("openrouter", "OPENROUTER_API_KEY"), ("groq", "GROQ_API_KEY"), ("xai", "XAI_API_KEY")):
        sdk_client = llmcourse.client(name)
        assert isinstance(sdk_client, openai.OpenAI)
        assert str(sdk_client.base_url).rstrip("/") == PROVIDERS[name].base_url
        assert sdk_client.api_key == os.environ[variable]


def test_available_names_the_missing_router_key_and_where_to_get_it(monkeypatch):
    monkeypatch.delenv("LLMCOURSE_OFFLINE", raising=False)
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    row = available(offline=False)["groq"]
    assert not row.usable and "https://console.groq.com/keys" in row.reason


# --- OpenRouter through the OpenAI SDK ------------------------------------------------------------------


def test_openrouter_answers_through_the_openai_sdk_with_its_own_key(router):
    client = llmcourse.client("openrouter", base_url=router.url, max_retries=0)
    completion = client.chat.completions.create(
        model=MODELS["openrouter"],
        messages=_question(),
        extra_headers={"HTTP-Referer": "https://github.com/llmcourse/llm-engineering", "X-Title": "LLM course"},
    )
    assert completion.model == MODELS["openrouter"]
    assert completion.choices[0].message.content == f"{MODELS['openrouter']} says: Name one router"
    # OpenRouter's own fields ride along: which upstream provider served it, and what it cost.
    assert completion.model_extra["provider"] == MODELS["openrouter"].split("/")[0].title()
    assert completion.usage.model_extra["cost"] > 0
    (request,) = router.requests
    assert request["path"] == "/api/v1/chat/completions"
    assert request["headers"]["authorization"] == f"Bearer {OPENROUTER_KEY}"  # never the OpenAI key
    assert request["headers"]["http-referer"] == "https://github.com/llmcourse/llm-engineering"
    assert request["headers"]["x-title"] == "LLM course"


def test_the_models_fallback_list_goes_in_extra_body(router):
    router.models.remove(MODEL_CHOICES["openrouter"][0])  # the first choice is unavailable today
    client = llmcourse.client("openrouter", base_url=router.url, max_retries=0)
    completion = client.chat.completions.create(
        model=MODEL_CHOICES["openrouter"][0],
        messages=_question(),
        extra_body={"models": MODEL_CHOICES["openrouter"]},
    )
    assert completion.model == MODEL_CHOICES["openrouter"][1]
    assert router.requests[0]["body"]["models"] == MODEL_CHOICES["openrouter"]


def test_openrouter_stream_with_keepalive_comments_and_usage(router):
    client = llmcourse.client("openrouter", base_url=router.url, max_retries=0)
    stream = client.chat.completions.create(
        model=MODELS["openrouter"], messages=_question(), stream=True, stream_options={"include_usage": True}
    )
    text, usage = "", None
    for chunk in stream:
        if not chunk.choices:  # the last chunk carries only the usage
            usage = chunk.usage
            continue
        text += chunk.choices[0].delta.content or ""
    assert text == f"{MODELS['openrouter']} says: Name one router"
    assert usage is not None and usage.completion_tokens == len(text.split())


def test_an_unknown_model_is_a_bad_request_with_openrouters_message(router):
    client = llmcourse.client("openrouter", base_url=router.url, max_retries=0)
    with pytest.raises(openai.BadRequestError, match="not a valid model ID"):
        client.chat.completions.create(model="nobody/no-such-model", messages=_question())


def test_one_key_lists_many_labs_models(router):
    client = llmcourse.client("openrouter", base_url=router.url, max_retries=0)
    listed = list(client.models.list())
    assert [model.id for model in listed] == MODEL_CHOICES["openrouter"]
    assert len({model.id.split("/")[0] for model in listed}) > 1  # models of more than one lab, one key
    assert float(listed[0].model_extra["pricing"]["prompt"]) > 0


def test_the_key_check_asks_openrouters_key_endpoint(router):
    assert live_check("openrouter", base_url=router.url) == "OpenRouter accepted the key."
    assert router.requests[-1]["path"] == "/api/v1/key"
    assert router.requests[-1]["headers"]["authorization"] == f"Bearer {OPENROUTER_KEY}"
    wrong = "sk-or-v1-WRONG0000000000000000000000000000000000000"
    refused = live_check("openrouter", key=wrong, base_url=router.url)
    assert "rejected the key (401" in refused and "https://openrouter.ai/settings/keys" in refused
    assert wrong not in refused


# --- the supply chain -----------------------------------------------------------------------------------


def test_the_course_never_depends_on_litellm():
    """LiteLLM's PyPI releases 1.82.7 and 1.82.8 shipped a credential stealer (March 2026): not in any dependency list."""
    for name in ("pyproject.toml", "requirements.txt", "requirements.lock", "environment.yml"):
        path = ROOT / name
        if path.exists():
            assert "litellm" not in path.read_text().lower(), name


def test_googles_own_sdk_is_in_the_sdk_extra():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(requirement.startswith("google-genai") for requirement in extras["sdk"])
