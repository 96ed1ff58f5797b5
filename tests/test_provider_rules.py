"""The local stand-in refuses what the real providers refuse for the model asked for (through the real SDKs),
so a notebook that would get a 400 with a real key fails in the offline run first."""

from __future__ import annotations

import anthropic
import openai
import pytest

from llmcourse.settings import LOCAL_API_KEY, MODELS


@pytest.fixture()
def gpt(local_server):
    return openai.OpenAI(base_url=local_server + "/v1", api_key=LOCAL_API_KEY, max_retries=0)


@pytest.fixture()
def claude(local_server):
    return anthropic.Anthropic(base_url=local_server, api_key=LOCAL_API_KEY, max_retries=0)


MESSAGES = [{"role": "user", "content": "Say hi."}]


def test_openai_reasoning_models_refuse_max_tokens_and_take_max_completion_tokens(gpt):
    with pytest.raises(openai.BadRequestError) as refused:
        gpt.chat.completions.create(model=MODELS["openai"], messages=MESSAGES, max_tokens=5)
    assert "max_completion_tokens" in str(refused.value) and refused.value.body["param"] == "max_tokens"
    reply = gpt.chat.completions.create(model=MODELS["openai"], messages=MESSAGES, max_completion_tokens=5)
    assert reply.usage.completion_tokens <= 5


def test_openai_reasoning_models_take_a_temperature_only_without_reasoning(gpt):
    with pytest.raises(openai.BadRequestError) as refused:
        gpt.chat.completions.create(model=MODELS["openai"], messages=MESSAGES, temperature=0.7, max_completion_tokens=5)
    assert refused.value.body["param"] == "temperature"
    reply = gpt.chat.completions.create(
        model=MODELS["openai"], messages=MESSAGES, temperature=0.7, reasoning_effort="none", max_completion_tokens=5
    )
    assert reply.choices[0].message.content is not None


def test_compatible_providers_keep_max_tokens_and_temperature(gpt):
    reply = gpt.chat.completions.create(model=MODELS["deepseek"], messages=MESSAGES, max_tokens=5, temperature=0.7)
    assert reply.usage.completion_tokens <= 5


def test_claude_5_refuses_temperature(claude):
    with pytest.raises(anthropic.BadRequestError) as refused:
        # The SDK's create() no longer takes `temperature`; it still reaches the API through extra_body.
        claude.messages.create(
            model=MODELS["anthropic"], max_tokens=5, messages=MESSAGES, extra_body={"temperature": 0.5}
        )
    assert "temperature" in str(refused.value)
    reply = claude.messages.create(model=MODELS["anthropic"], max_tokens=5, messages=MESSAGES)
    assert reply.usage.output_tokens <= 5


# --- facts after a tool result: the local stand-in never states a figure that no tool gave --------------------

TOOL = {
    "type": "function",
    "function": {
        "name": "get_ticket_price",
        "description": "Get the price of a return ticket to the destination city.",
        "parameters": {
            "type": "object",
            "properties": {"destination_city": {"type": "string"}},
            "required": ["destination_city"],
        },
    },
}


def _after_tool(result: str) -> list[dict]:
    return [
        {"role": "user", "content": "How much is a ticket to Atlantis?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_ticket_price", "arguments": '{"destination_city": "Atlantis"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": result},
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_no_invented_price_after_a_tool_result_without_one(gpt, stream):
    result = "No price for Atlantis: FlightAI does not fly there."
    request = dict(model=MODELS["local"], messages=_after_tool(result), tools=[TOOL])
    if stream:
        text = "".join(
            chunk.choices[0].delta.content or ""
            for chunk in gpt.chat.completions.create(stream=True, **request)
            if chunk.choices
        )
    else:
        text = gpt.chat.completions.create(**request).choices[0].message.content
    assert text and "$" not in text and not any(ch.isdigit() for ch in text)


def test_the_tools_figure_is_kept(gpt):
    messages = _after_tool("A return ticket to Atlantis costs $1299.")
    text = (
        gpt.chat.completions.create(model=MODELS["local"], messages=messages, tools=[TOOL]).choices[0].message.content
    )
    assert "1299" in text.replace(",", "")
