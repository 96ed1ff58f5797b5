"""The Chinese providers' own SDKs (week2/china_providers.ipynb), each against a loopback fake of its wire format.

Real SDKs, real HTTP on 127.0.0.1; each SDK is pointed at the fake through its own base-URL setting
(found in the installed SDK's source):

- Zhipu, `zai-sdk`: `ZhipuAiClient(base_url=...)` (the SDK also reads `ZAI_BASE_URL`). The fake speaks
  BigModel's `/images/generations` (CogView), `/async/chat/completions` (submit) and `/async-result/{id}`
  (poll: PROCESSING, then SUCCESS), with Bearer-key auth and BigModel's `{"error": {code, message}}` on 401.
- DashScope, `dashscope`: the module attribute `dashscope.base_http_api_url` (read at each call; the
  SDK reads `DASHSCOPE_HTTP_BASE_URL` at import). The fake speaks `/services/aigc/text-generation/generation`:
  `input.prompt` answers in the "text" shape (`output.text`), `input.messages` with
  `parameters.result_format="message"` in the "message" shape (`output.choices[0].message`), and a bad
  key gets HTTP 401 with `code`/`message`/`request_id`, which the SDK returns (it does not raise).
- ModelScope API-Inference: the OpenAI SDK (`base_url=`), through `llmcourse.client("modelscope")`;
  the fake checks the token, the `owner/name` model id and the chat-completions path.
"""

from __future__ import annotations

import re
import time
from http import HTTPStatus
from typing import Any

import dashscope
import pytest
import zai
from zai import ZhipuAiClient

from llmcourse.clients import client
from llmcourse.providers import PROVIDERS
from llmcourse.settings import MODELS
from tests.fixtures.json_fake import fake_provider

ZHIPU_KEY = "0f3c9a7e5b1d4c2a8e6f0b9d7c5a3e1f.Zq7Wm2Xp9Lk4Jh6G"
DASHSCOPE_KEY = "sk-3f9c1a7e5b2d4c8a0e6f9b1d7c5a3e2f"
MODELSCOPE_TOKEN = "ms-7c5a3e2f-9b1d-4c8a-0e6f-3f9c1a7e5b2d"


# --- Zhipu (zai-sdk): CogView and the asynchronous task API -----------------------------------------


class ZhipuFake:
    """BigModel's wire format for images and async chat: a task is PROCESSING for `polls_before_done` polls."""

    def __init__(self, polls_before_done: int = 2) -> None:
        self.polls_before_done = polls_before_done
        self.polls: dict[str, int] = {}

    def __call__(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if headers.get("authorization") != f"Bearer {ZHIPU_KEY}":
            return 401, {"error": {"code": "1000", "message": "身份验证失败。"}}
        if method == "POST" and path == "/images/generations":
            if not body.get("prompt") or not body.get("model"):
                return 400, {"error": {"code": "1214", "message": "prompt and model are required"}}
            return 200, {"created": 1764547200, "data": [{"url": "https://example.invalid/kitten.png"}]}
        if method == "POST" and path == "/async/chat/completions":
            task_id = f"task-{len(self.polls) + 1}"
            self.polls[task_id] = 0
            return 200, {
                "id": task_id,
                "request_id": f"req-{task_id}",
                "model": body["model"],
                "task_status": "PROCESSING",
            }
        found = re.fullmatch(r"/async-result/([\w-]+)", path)
        if method == "GET" and found:
            task_id = found.group(1)
            if task_id not in self.polls:
                return 400, {"error": {"code": "1211", "message": f"task {task_id} does not exist"}}
            self.polls[task_id] += 1
            if self.polls[task_id] <= self.polls_before_done:
                return 200, {"id": task_id, "request_id": f"req-{task_id}", "model": "glm", "task_status": "PROCESSING"}
            return 200, {
                "id": task_id,
                "request_id": f"req-{task_id}",
                "model": "glm",
                "task_status": "SUCCESS",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": "从前，有一只善良的小狐狸……"},
                    }
                ],
                "usage": {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52},
            }
        return 404, {"error": {"code": "404", "message": f"no route {method} {path}"}}


def test_cogview_image_generation_through_zai_sdk():
    with fake_provider(ZhipuFake()) as fake:
        zhipu = ZhipuAiClient(api_key=ZHIPU_KEY, base_url=fake.url, max_retries=0)
        image = zhipu.images.generations(model=MODELS["zhipu_image"], prompt="一只可爱的小猫咪")
    assert image.data[0].url == "https://example.invalid/kitten.png"
    (request,) = fake.requests
    assert request["json"]["model"] == MODELS["zhipu_image"] and request["json"]["prompt"] == "一只可爱的小猫咪"


def test_async_chat_task_is_submitted_then_polled_until_success():
    backend = ZhipuFake(polls_before_done=2)
    with fake_provider(backend) as fake:
        zhipu = ZhipuAiClient(api_key=ZHIPU_KEY, base_url=fake.url, max_retries=0)
        task = zhipu.chat.asyncCompletions.create(
            model=MODELS["zhipu"], messages=[{"role": "user", "content": "写一篇短篇童话故事"}]
        )
        assert task.task_status == "PROCESSING" and task.id
        statuses = []
        for _ in range(10):  # the notebook's loop, with a short sleep
            result = zhipu.chat.asyncCompletions.retrieve_completion_result(id=task.id)
            statuses.append(result.task_status)
            if result.task_status in ("SUCCESS", "FAIL"):
                break
            time.sleep(0.01)
    assert statuses == ["PROCESSING", "PROCESSING", "SUCCESS"]
    assert isinstance(result, zai.types.chat.async_chat_completion.AsyncCompletion)
    assert result.choices[0].message.content.startswith("从前") and result.usage.total_tokens == 52
    submit, *polls = fake.requests
    assert (submit["method"], submit["path"]) == ("POST", "/async/chat/completions")
    assert submit["json"]["model"] == MODELS["zhipu"]
    assert all((p["method"], p["path"]) == ("GET", f"/async-result/{task.id}") for p in polls) and len(polls) == 3


def test_zai_sdk_reads_its_base_url_variable(monkeypatch):
    with fake_provider(ZhipuFake(polls_before_done=0)) as fake:
        monkeypatch.setenv("ZAI_BASE_URL", fake.url)
        zhipu = ZhipuAiClient(api_key=ZHIPU_KEY, max_retries=0)
        assert zhipu.chat.asyncCompletions.create(
            model=MODELS["zhipu"], messages=[{"role": "user", "content": "hi"}]
        ).id
    assert len(fake.requests) == 1


def test_a_wrong_zhipu_key_raises_the_authentication_error():
    with fake_provider(ZhipuFake()) as fake:
        zhipu = ZhipuAiClient(api_key="0000.wrong", base_url=fake.url, max_retries=0)
        with pytest.raises(zai.core.APIAuthenticationError) as caught:
            zhipu.images.generations(model=MODELS["zhipu_image"], prompt="a kitten")
    assert caught.value.status_code == 401


# --- DashScope (dashscope): Generation.call with prompt= and messages= ----------------------------


def dashscope_answer(method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
    """DashScope's native text-generation API: the input's shape decides the output's shape."""
    if path != "/api/v1/services/aigc/text-generation/generation":
        return 404, {"code": "NotFound", "message": f"no route {path}", "request_id": "req-404"}
    if headers.get("authorization") != f"Bearer {DASHSCOPE_KEY}":
        return 401, {"code": "InvalidApiKey", "message": "Invalid API-key provided.", "request_id": "req-401"}
    usage = {"input_tokens": 12, "output_tokens": 6, "total_tokens": 18}
    given = body["input"]
    if body["parameters"].get("result_format") == "message":
        assert "messages" in given, "result_format=message was sent with a prompt"
        turns = sum(1 for m in given["messages"] if m["role"] == "user")
        return 200, {
            "output": {
                "choices": [
                    {"finish_reason": "stop", "message": {"role": "assistant", "content": f"Answer to turn {turns}."}}
                ]
            },
            "usage": usage,
            "request_id": "req-msg",
        }
    return 200, {
        "output": {"text": "Beat the eggs, fry the tomatoes, combine.", "finish_reason": "stop"},
        "usage": usage,
        "request_id": "req-text",
    }


@pytest.fixture
def dashscope_fake(monkeypatch):
    with fake_provider(dashscope_answer) as fake:
        monkeypatch.setattr(dashscope, "base_http_api_url", fake.url + "/api/v1")
        yield fake


def test_dashscope_single_turn_with_prompt(dashscope_fake):
    response = dashscope.Generation.call(model=MODELS["qwen"], prompt="如何做西红柿炒鸡蛋？", api_key=DASHSCOPE_KEY)
    assert response.status_code == HTTPStatus.OK
    assert response.output.text.startswith("Beat the eggs") and response.output.choices is None
    assert response.usage.total_tokens == 18 and response.request_id == "req-text"
    (request,) = dashscope_fake.requests
    assert request["json"]["input"] == {"prompt": "如何做西红柿炒鸡蛋？"} and request["json"]["model"] == MODELS["qwen"]


def test_dashscope_multi_turn_with_messages_grows_the_conversation(dashscope_fake):
    messages = [{"role": "system", "content": "You are a helpful assistant."}]
    for question in ["How do I make stir-fried tomato and egg?", "How long does it take?"]:
        messages.append({"role": "user", "content": question})
        response = dashscope.Generation.call(
            model=MODELS["qwen"], messages=messages, result_format="message", api_key=DASHSCOPE_KEY
        )
        assert response.status_code == HTTPStatus.OK
        reply = response.output.choices[0].message
        messages.append({"role": reply.role, "content": reply.content})
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant"]
    assert messages[-1]["content"] == "Answer to turn 2."
    sent = [r["json"] for r in dashscope_fake.requests]
    assert [len(s["input"]["messages"]) for s in sent] == [2, 4]  # each call sends the whole history
    assert all(s["parameters"]["result_format"] == "message" for s in sent)


def test_dashscope_failure_is_returned_with_code_and_message(dashscope_fake):
    response = dashscope.Generation.call(model=MODELS["qwen"], prompt="hi", api_key="sk-not-a-real-key-at-all")
    assert response.status_code == HTTPStatus.UNAUTHORIZED != HTTPStatus.OK
    assert (response.code, response.message, response.request_id) == (
        "InvalidApiKey",
        "Invalid API-key provided.",
        "req-401",
    )


# --- ModelScope API-Inference (OpenAI-compatible) ----------------------------------------------------


def test_modelscope_row_and_its_openai_compatible_call(monkeypatch):
    row = PROVIDERS["modelscope"]
    assert row.base_url == "https://api-inference.modelscope.cn/v1/" and row.key_var == "MODELSCOPE_API_TOKEN"
    assert row.sdk == "openai" and "/" in MODELS["modelscope"]  # ModelScope ids are owner/name

    def answer(method, path, headers, body):
        if headers.get("authorization") != f"Bearer {MODELSCOPE_TOKEN}":
            return 401, {"error": {"message": "invalid token", "type": "authentication_error"}}
        return 200, {
            "id": "chatcmpl-ms",
            "object": "chat.completion",
            "created": 1764547200,
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "开源模型的权重是公开的。"},
                }
            ],
            "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
        }

    monkeypatch.delenv("LLMCOURSE_OFFLINE", raising=False)
    monkeypatch.setenv("MODELSCOPE_API_TOKEN", MODELSCOPE_TOKEN)
    with fake_provider(answer) as fake:
        modelscope = client("modelscope", base_url=fake.url + "/v1", max_retries=0)
        response = modelscope.chat.completions.create(
            model=MODELS["modelscope"], messages=[{"role": "user", "content": "什么是开源模型？"}]
        )
    assert response.model == MODELS["modelscope"] and response.choices[0].message.content
    (request,) = fake.requests
    assert request["path"] == "/v1/chat/completions" and request["json"]["model"] == MODELS["modelscope"]
