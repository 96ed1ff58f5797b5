"""Hugging Face Inference Providers and the Hub mirror (week3/day1.ipynb), against loopback fakes.

The real `huggingface_hub.InferenceClient`, real HTTP on 127.0.0.1. Where the SDK takes its addresses
(read in the installed huggingface_hub 2.x source):

- `HF_ENDPOINT` (read once, into `huggingface_hub.constants.ENDPOINT`, when the package is imported): the
  Hub API. A named provider first asks the Hub which id that provider uses for the model
  (`GET /api/models/{id}?expand=inferenceProviderMapping`); this is also what a mirror such as hf-mirror.com
  replaces. Checked in a fresh interpreter, as a learner's kernel would start.
- `constants.INFERENCE_PROXY_TEMPLATE`: the router, `https://router.huggingface.co/{provider}`; a Hugging
  Face token (`hf_...`) sends every provider's call through it.
- `InferenceClient(base_url=...)`: any OpenAI-compatible server (`/v1/chat/completions`).

The fake speaks the Hub's model-info JSON (with `inferenceProviderMapping`) and the OpenAI chat-completions
format the providers answer in, and records each request (path, Authorization header, JSON body).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from huggingface_hub import InferenceClient, constants

from llmcourse.settings import MODELS
from tests.fixtures.json_fake import fake_provider

HF_TOKEN = "hf_" + "Zq7Wm2Xp9Lk4Jh6Gf1Ds3Ab6Cd8Ef2GhTv"
PROVIDER_ID = "gpt-oss-120b-provider-side"  # what the provider calls the model (the Hub maps the repo id to it)


def hub_and_router(method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
    """The Hub's model API and the router's OpenAI-compatible chat endpoint, on one loopback server."""
    # Public model pages answer without a token (the SDK's lookup sends the login token, if any); a wrong one is refused.
    anonymous_read = method == "GET" and path.startswith("/api/models/") and "authorization" not in headers
    if headers.get("authorization") != f"Bearer {HF_TOKEN}" and not anonymous_read:
        return 401, {"error": "Invalid credentials in Authorization header"}
    if method == "GET" and path.startswith("/api/models/"):
        repo = path.removeprefix("/api/models/").split("?")[0]
        return 200, {
            "_id": "0" * 24,
            "id": repo,
            "modelId": repo,
            "private": False,
            "sha": "a" * 40,
            "inferenceProviderMapping": {
                "groq": {"status": "live", "providerId": PROVIDER_ID, "task": "conversational"}
            },
        }
    if method == "POST" and path.endswith("/chat/completions"):
        return 200, {
            "id": "chatcmpl-hf",
            "object": "chat.completion",
            "created": 1764547200,
            "model": body["model"],
            "system_fingerprint": None,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "logprobs": None,
                    "message": {"role": "assistant", "content": "No GPU to buy or run."},
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 6, "total_tokens": 26},
        }
    return 404, {"error": f"no route {method} {path}"}


QUESTION = [{"role": "user", "content": "In two sentences: why would I run an open model through a provider?"}]


def test_a_named_provider_is_looked_up_on_the_hub_then_called_through_the_router(monkeypatch):
    with fake_provider(hub_and_router) as fake:
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(constants, "ENDPOINT", fake.url)
        monkeypatch.setattr(constants, "INFERENCE_PROXY_TEMPLATE", fake.url + "/router/{provider}")
        client = InferenceClient(provider="groq", api_key=HF_TOKEN)
        model = MODELS["hf_inference"] + "-named"  # a fresh id: the SDK caches each model's mapping
        response = client.chat_completion(messages=QUESTION, model=model, max_tokens=50)
    assert response.choices[0].message.content == "No GPU to buy or run." and response.usage.total_tokens == 26
    lookup, call = fake.requests
    assert lookup["path"].startswith(f"/api/models/{model}?") and "inferenceProviderMapping" in lookup["path"]
    assert call["path"] == "/router/groq/openai/v1/chat/completions"  # Groq's own route, behind the router
    assert call["json"]["model"] == PROVIDER_ID and call["json"]["messages"] == QUESTION
    assert call["json"]["max_tokens"] == 50


def test_an_unknown_provider_for_the_model_is_a_clear_error(monkeypatch):
    with fake_provider(hub_and_router) as fake:
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(constants, "ENDPOINT", fake.url)
        monkeypatch.setattr(constants, "INFERENCE_PROXY_TEMPLATE", fake.url + "/router/{provider}")
        client = InferenceClient(provider="together", api_key=HF_TOKEN)
        with pytest.raises(ValueError, match="not supported by provider together"):
            client.chat_completion(messages=QUESTION, model=MODELS["hf_inference"] + "-unknown", max_tokens=5)
    assert len(fake.requests) == 1  # the Hub lookup only: nothing was sent to a provider


def test_base_url_sends_the_openai_format_to_any_compatible_server(monkeypatch):
    with fake_provider(hub_and_router) as fake:
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        client = InferenceClient(base_url=fake.url + "/v1", api_key=HF_TOKEN)
        response = client.chat_completion(messages=QUESTION, model=MODELS["local"], max_tokens=20)
    assert response.model == MODELS["local"]
    (call,) = fake.requests
    assert call["path"] == "/v1/chat/completions" and call["json"]["model"] == MODELS["local"]
    assert call["headers"]["authorization"] == f"Bearer {HF_TOKEN}"


def test_offline_mode_blocks_every_request_even_to_this_computer(monkeypatch):
    """Why week3/day1 skips its local InferenceClient call when HF_HUB_OFFLINE=1 (as in the test run)."""
    from huggingface_hub.errors import OfflineModeIsEnabled

    with fake_provider(hub_and_router) as fake:
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
        client = InferenceClient(base_url=fake.url + "/v1", api_key=HF_TOKEN)
        with pytest.raises(OfflineModeIsEnabled):
            client.chat_completion(messages=QUESTION, model=MODELS["local"], max_tokens=20)
    assert fake.requests == []


def test_hf_endpoint_set_before_import_sends_hub_calls_to_the_mirror():
    """The notebook's advice for learners in China: HF_ENDPOINT=<mirror>, then (re)start the kernel."""
    script = textwrap.dedent("""
        import json
        from huggingface_hub import model_info
        info = model_info("HuggingFaceTB/SmolLM2-135M-Instruct")
        print(json.dumps({"id": info.id, "sha": info.sha}))
    """)
    with fake_provider(hub_and_router) as fake:
        env = {
            **os.environ,
            "HF_ENDPOINT": fake.url,
            "HF_TOKEN": HF_TOKEN,
            "HF_HUB_OFFLINE": "0",
            "TRANSFORMERS_OFFLINE": "0",
        }
        done = subprocess.run(
            [sys.executable, "-c", script], check=False, env=env, capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "id": "HuggingFaceTB/SmolLM2-135M-Instruct",
        "sha": "a" * 40,
    }
    (call,) = fake.requests
    assert call["path"].startswith("/api/models/HuggingFaceTB/SmolLM2-135M-Instruct")
