"""The embedded model server, driven by the real openai, anthropic and ollama packages.

Small-model wording varies between builds: these tests check structure (types, JSON that parses,
which tool was called, event sequences, status codes), never the exact text.
"""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor

import anthropic
import ollama
import openai
import pytest
import requests

from llmcourse.settings import LOCAL_MODEL_NAME

TICKET_TOOL = {
    "type": "function",
    "function": {
        "name": "get_ticket_price",
        "description": "Get the price of a return ticket to the destination city.",
        "parameters": {
            "type": "object",
            "properties": {
                "destination_city": {"type": "string", "description": "The city the customer wants to travel to"}
            },
            "required": ["destination_city"],
        },
    },
}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather forecast for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
TOO_LONG = "hello " * 9000  # more tokens than the 8,192-token context window


@pytest.fixture(scope="module")
def oai(local_server):
    return openai.OpenAI(base_url=local_server + "/v1", api_key="llmcourse-local", max_retries=0)


@pytest.fixture(scope="module")
def claude(local_server):
    return anthropic.Anthropic(base_url=local_server, api_key="llmcourse-local", max_retries=0)


@pytest.fixture(scope="module")
def olla(local_server):
    return ollama.Client(host=local_server)


def ask(text):
    return [{"role": "user", "content": text}]


# --- OpenAI ---------------------------------------------------------------------------------------


def test_openai_plain_answer_names_the_local_model(oai):
    reply = oai.chat.completions.create(
        model="gpt-4o-mini", messages=ask("What is the capital of France?"), max_tokens=30
    )
    assert reply.model == LOCAL_MODEL_NAME
    assert isinstance(reply.choices[0].message.content, str) and reply.choices[0].message.content.strip()
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert "gpt-4o-mini" in reply.system_fingerprint


def test_openai_stream_ends_with_usage_chunk(oai):
    chunks = list(
        oai.chat.completions.create(
            model="gpt-4o-mini",
            messages=ask("Name a colour."),
            max_tokens=20,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert all(c.model == LOCAL_MODEL_NAME for c in chunks)


def test_openai_stream_without_usage_has_no_empty_chunk(oai):
    chunks = list(oai.chat.completions.create(model="x", messages=ask("Hi"), max_tokens=5, stream=True))
    assert all(c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason in ("stop", "length")


def test_openai_json_object_mode_parses(oai):
    reply = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=ask("Give a JSON object with a city and its country."),
        response_format={"type": "json_object"},
        max_tokens=120,
    )
    assert isinstance(json.loads(reply.choices[0].message.content), dict)


def test_openai_json_schema_mode_has_required_keys(oai):
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
    }
    reply = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=ask("A city and its country, as JSON."),
        max_tokens=120,
        response_format={"type": "json_schema", "json_schema": {"name": "place", "schema": schema}},
    )
    data = json.loads(reply.choices[0].message.content)
    assert set(data) >= {"city", "country"} and all(isinstance(data[k], str) for k in ("city", "country"))


def test_openai_tool_auto_calls_ticket_tool(oai):
    reply = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=ask("How much is a ticket to London?"),
        tools=[WEATHER_TOOL, TICKET_TOOL],
    )
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_ticket_price"
    arguments = json.loads(call.function.arguments)
    assert isinstance(arguments["destination_city"], str) and arguments["destination_city"].strip()


def test_openai_tool_auto_small_talk_answers_in_text(oai):
    reply = oai.chat.completions.create(
        model="x", messages=ask("Hello, how are you today?"), tools=[TICKET_TOOL], max_tokens=30
    )
    assert reply.choices[0].finish_reason != "tool_calls"
    assert not reply.choices[0].message.tool_calls and reply.choices[0].message.content.strip()


def test_openai_tool_forced_and_required(oai):
    forced = oai.chat.completions.create(
        model="x",
        messages=ask("Tell me about Berlin."),
        tools=[WEATHER_TOOL, TICKET_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    assert forced.choices[0].message.tool_calls[0].function.name == "get_weather"
    required = oai.chat.completions.create(
        model="x", messages=ask("Hi there"), tools=[TICKET_TOOL], tool_choice="required"
    )
    assert required.choices[0].message.tool_calls[0].function.name == "get_ticket_price"


def test_openai_tool_call_streams_as_chunks(oai):
    chunks = list(
        oai.chat.completions.create(
            model="x", messages=ask("How much is a ticket to Tokyo?"), tools=[TICKET_TOOL], stream=True
        )
    )
    calls = [c.choices[0].delta.tool_calls[0] for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert calls and calls[0].function.name == "get_ticket_price"
    assert isinstance(json.loads(calls[0].function.arguments), dict)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_openai_answer_after_tool_result_is_text(oai):
    first = oai.chat.completions.create(model="x", messages=ask("How much is a ticket to Paris?"), tools=[TICKET_TOOL])
    call = first.choices[0].message.tool_calls[0]
    messages = ask("How much is a ticket to Paris?") + [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "$899"},
    ]
    second = oai.chat.completions.create(model="x", messages=messages, tools=[TICKET_TOOL], max_tokens=40)
    assert second.choices[0].finish_reason != "tool_calls" and second.choices[0].message.content.strip()


@pytest.mark.parametrize(
    "messages, fragment",
    [
        (None, "messages"),
        ([], "messages"),
        ([{"role": "wizard", "content": "hi"}], "role"),
        ([{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "x", "content": "1"}], "tool"),
    ],
)
def test_openai_bad_messages_are_400(oai, messages, fragment):
    kwargs = {} if messages is None else {"messages": messages}
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="x", **kwargs) if kwargs else oai.post(
            "/chat/completions", body={"model": "x"}, cast_to=object
        )
    assert fragment in str(info.value)


def test_openai_prompt_too_long_is_400_plain_and_streamed(oai):
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as info:
            result = oai.chat.completions.create(model="x", messages=ask(TOO_LONG), stream=stream)
            list(result)
        assert info.value.code == "context_length_exceeded"


# --- Anthropic ------------------------------------------------------------------------------------


def test_anthropic_message_with_system(claude):
    message = claude.messages.create(
        model="claude-sonnet-4-6", max_tokens=40, system="You are terse.", messages=ask("Say hello")
    )
    assert message.model == LOCAL_MODEL_NAME and message.role == "assistant"
    assert message.content[0].type == "text" and message.content[0].text.strip()
    assert message.stop_reason in ("end_turn", "max_tokens") and message.usage.output_tokens > 0


def test_anthropic_stream_text_matches_final_message(claude):
    with claude.messages.stream(model="claude-x", max_tokens=40, messages=ask("Tell me about the sea.")) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.strip() and final.content[0].text == text
    assert final.stop_reason in ("end_turn", "max_tokens")


def test_anthropic_raw_event_sequence(local_server):
    response = requests.post(
        local_server + "/v1/messages",
        stream=True,
        timeout=60,
        json={"model": "claude", "max_tokens": 10, "stream": True, "messages": ask("Hi")},
    )
    events = [line.split(": ", 1)[1] for line in response.iter_lines(decode_unicode=True) if line.startswith("event:")]
    assert events[:3] == ["message_start", "content_block_start", "ping"]
    assert events[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(events[3:-3]) <= {"content_block_delta"}


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_stop_sequences(claude, stream):
    kwargs = dict(model="claude", max_tokens=40, messages=ask("Write a sentence about cats."), stop_sequences=[" "])
    if stream:
        with claude.messages.stream(**kwargs) as s:
            text = "".join(s.text_stream)
            message = s.get_final_message()
    else:
        message = claude.messages.create(**kwargs)
        text = message.content[0].text
    assert message.stop_reason == "stop_sequence" and message.stop_sequence == " "
    assert " " not in text


def test_anthropic_tool_use(claude):
    tool = {
        "name": "get_ticket_price",
        "description": TICKET_TOOL["function"]["description"],
        "input_schema": TICKET_TOOL["function"]["parameters"],
    }
    message = claude.messages.create(
        model="claude", max_tokens=100, tools=[tool], messages=ask("Ticket price to Rome?")
    )
    assert message.stop_reason == "tool_use"
    block = next(b for b in message.content if b.type == "tool_use")
    assert block.name == "get_ticket_price" and isinstance(block.input.get("destination_city"), str)


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"model": "c", "messages": ask("hi")}, "max_tokens"),
        ({"model": "c", "max_tokens": 5}, "messages"),
        ({"model": "c", "max_tokens": 5, "messages": []}, "messages"),
        ({"model": "c", "max_tokens": 5, "messages": [{"role": "assistant", "content": "hi"}]}, "first message"),
        ({"model": "c", "max_tokens": 5, "messages": [{"role": "system", "content": "hi"}]}, "system"),
    ],
)
def test_anthropic_bad_requests_are_400_in_anthropic_format(local_server, body, fragment):
    response = requests.post(local_server + "/v1/messages", json=body, timeout=30)
    assert response.status_code == 400
    payload = response.json()
    assert payload["type"] == "error" and payload["error"]["type"] == "invalid_request_error"
    assert fragment in payload["error"]["message"]


def test_anthropic_sdk_raises_bad_request_for_too_long_prompt(claude):
    with pytest.raises(anthropic.BadRequestError, match="too long"):
        claude.messages.create(model="c", max_tokens=5, messages=ask(TOO_LONG))


# --- Ollama ---------------------------------------------------------------------------------------


def test_ollama_root_tags_and_version(local_server, olla):
    root = requests.get(local_server + "/", timeout=10)
    assert root.status_code == 200 and root.text == "Ollama is running"
    assert [m.model for m in olla.list().models] == [LOCAL_MODEL_NAME]


def test_ollama_chat_plain_and_stream(olla):
    reply = olla.chat(model="llama3.2", messages=ask("Hi"), options={"num_predict": 20})
    assert reply.message.role == "assistant" and reply.message.content.strip() and reply.done
    assert reply.model == LOCAL_MODEL_NAME and reply.eval_count > 0
    chunks = list(olla.chat(model="llama3.2", messages=ask("Hi"), stream=True, options={"num_predict": 20}))
    assert chunks[-1].done and not any(c.done for c in chunks[:-1])
    assert "".join(c.message.content for c in chunks).strip()


def test_ollama_json_format_parses(olla):
    reply = olla.chat(
        model="llama3.2", messages=ask("A JSON object with a city."), format="json", options={"num_predict": 150}
    )
    assert isinstance(json.loads(reply.message.content), dict)


def test_ollama_generate_plain_stream_and_json(olla):
    assert olla.generate(model="x", prompt="Why is the sky blue?", options={"num_predict": 20}).response.strip()
    parts = list(olla.generate(model="x", prompt="Hi", stream=True, options={"num_predict": 10}))
    assert parts[-1].done and "".join(p.response for p in parts).strip()
    as_json = olla.generate(
        model="x", prompt="Give a JSON object with a city and its country.", format="json", options={"num_predict": 200}
    )
    assert isinstance(json.loads(as_json.response), dict)


def test_ollama_tool_call(olla):
    reply = olla.chat(model="x", messages=ask("How much is a ticket to Paris?"), tools=[TICKET_TOOL])
    assert reply.message.tool_calls[0].function.name == "get_ticket_price"
    assert isinstance(reply.message.tool_calls[0].function.arguments, dict)


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/chat", {"model": "x"}),
        ("/api/chat", {"model": "x", "messages": []}),
        ("/api/chat", {"model": "x", "messages": [{"role": "robot", "content": "hi"}]}),
        ("/api/generate", {"model": "x"}),
    ],
)
def test_ollama_bad_requests_are_400_in_ollama_format(local_server, path, body):
    response = requests.post(local_server + path, json=body, timeout=30)
    assert response.status_code == 400 and isinstance(response.json()["error"], str)


def test_ollama_sdk_raises_response_error_for_too_long_prompt(olla):
    with pytest.raises(ollama.ResponseError):
        olla.chat(model="x", messages=ask(TOO_LONG), stream=False)


# --- every API: malformed bodies, unknown routes, disconnects, concurrency ------------------------


@pytest.mark.parametrize(
    "path, shape",
    [
        ("/v1/chat/completions", "openai"),
        ("/v1/messages", "anthropic"),
        ("/api/chat", "ollama"),
        ("/api/generate", "ollama"),
    ],
)
def test_malformed_json_is_400_in_each_format(local_server, path, shape):
    response = requests.post(
        local_server + path, data=b"{not json", headers={"content-type": "application/json"}, timeout=10
    )
    assert response.status_code == 400
    payload = response.json()
    if shape == "openai":
        assert payload["error"]["type"] == "invalid_request_error"
    elif shape == "anthropic":
        assert payload["type"] == "error"
    else:
        assert isinstance(payload["error"], str)


@pytest.mark.parametrize(
    "path, check",
    [
        ("/v1/nothing", lambda p: p["error"]["type"] == "not_found_error"),
        ("/v1/messages/batches", lambda p: p["type"] == "error" and p["error"]["type"] == "not_found_error"),
        ("/api/pull", lambda p: isinstance(p["error"], str)),
    ],
)
def test_unknown_routes_are_404_in_the_callers_format(local_server, path, check):
    response = requests.post(local_server + path, json={}, timeout=10)
    assert response.status_code == 404 and check(response.json())


def test_client_disconnecting_mid_stream_does_not_stop_the_server(local_server, oai):
    for _ in range(2):
        response = requests.post(
            local_server + "/v1/chat/completions",
            stream=True,
            timeout=60,
            json={
                "model": "x",
                "stream": True,
                "max_tokens": 400,
                "messages": ask("Write a long story about a dragon."),
            },
        )
        lines = response.iter_lines()
        assert next(lines).startswith(b"data: ")
        response.close()  # hang up after the first chunk
    reply = oai.chat.completions.create(model="x", messages=ask("Hi"), max_tokens=5)
    assert reply.choices[0].message.content is not None


def test_eight_concurrent_streams_all_complete(oai):
    def run(index):
        stream = oai.chat.completions.create(
            model="x", messages=ask(f"Say something about the number {index}."), max_tokens=24, stream=True
        )
        chunks = list(stream)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices), chunks[-1].choices[
            0
        ].finish_reason

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(8)))
    assert len(results) == 8
    assert all(text.strip() and finish in ("stop", "length") for text, finish in results)


def test_server_listens_on_loopback_only(local_server):
    port = int(local_server.rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = probe.getsockname()[0]
        except OSError:
            pytest.skip("this machine has no non-loopback interface to test against")
    if address.startswith("127."):
        pytest.skip("this machine has no non-loopback interface to test against")
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=2).close()
