"""The embedded server's newer API shapes, through the real openai, anthropic and ollama packages.

Tool figures copied exactly and tool arguments in the user's own words (issue 12), reasoning and
thinking parameters accepted with honest zero counts, prompt-cache reuse measured from llama.cpp
(issue 14), log-probabilities from llama.cpp (issue 15). Small-model wording varies: these tests
check structure, figures and names the user gave, never the model's phrasing.
"""

from __future__ import annotations

import json
import math

import anthropic
import ollama
import openai
import pytest

from llmcourse.local.grounding import ground_arguments, listed_with, names_in, one_call_per_name

TICKET_TOOL = {
    "type": "function",
    "function": {
        "name": "get_ticket_price",
        "description": "Get the price of a return ticket to the destination city. Call this whenever you need to know "
        "the ticket price, for example when a customer asks 'How much is a ticket to this city'.",
        "parameters": {
            "type": "object",
            "properties": {
                "destination_city": {"type": "string", "description": "The city that the customer wants to travel to."}
            },
            "required": ["destination_city"],
            "additionalProperties": False,
        },
    },
}
CLAUDE_TICKET_TOOL = {
    "name": TICKET_TOOL["function"]["name"],
    "description": TICKET_TOOL["function"]["description"],
    "input_schema": TICKET_TOOL["function"]["parameters"],
}
SYSTEM = (
    "You are a helpful assistant for an Airline called FlightAI. Give short, courteous answers, no more than "
    "1 sentence. Always be accurate. If you don't know the answer, say so."
)
# About 600 tokens of a prompt that stays the same between calls (what prompt caching is for).
POLICY = " ".join(
    f"Rule {i}: a change of booking made {i} days before departure costs {10 + i} euros." for i in range(40)
)


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
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]


# --- Tool arguments grounded in the user's words (pure logic, no server) ------------------------------

SCHEMA = TICKET_TOOL["function"]["parameters"]


@pytest.mark.parametrize(
    "model_wrote, text, expected",
    [
        ("Aruba", "How much is a ticket to Atlantis?", "Atlantis"),  # a word the model knows better
        ("london", "What does a return ticket to London cost?", "London"),  # the user's own spelling
        ("York", "How much is a ticket to New York?", "New York"),  # widened to the whole name
        ("New York City", "How much is a ticket to New York?", "New York"),  # narrowed to what was said
        ("Tokio", "I'd like to fly to Tokyo. Price?", "Tokyo"),
        ("", "Is Rio de Janeiro expensive to fly to?", "Rio de Janeiro"),
    ],
)
def test_string_arguments_become_the_users_span(model_wrote, text, expected):
    assert ground_arguments({"destination_city": model_wrote}, SCHEMA, text) == {"destination_city": expected}


def test_missing_required_argument_is_filled_from_the_user_and_ungroundable_call_is_dropped():
    assert ground_arguments({}, SCHEMA, "A ticket to Tokyo, please") == {"destination_city": "Tokyo"}
    assert ground_arguments({"destination_city": "Paris"}, SCHEMA, "How much is a ticket?") is None


def test_enum_numbers_and_free_text_follow_the_schema():
    schema = {
        "properties": {
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer"},
            "query": {"type": "string", "description": "What to search for"},
            "city": {"type": "string", "description": "Optional city"},
        },
        "required": ["query"],
    }
    grounded = ground_arguments(
        {"unit": "celsius", "days": 3, "query": "weather forecast", "city": "Oslo"}, schema, "will it rain this week?"
    )
    assert grounded == {"unit": "celsius", "days": 3, "query": "will it rain this week?"}  # optional city left out


def test_names_in_skips_sentence_words():
    assert names_in("What do return tickets to London and to Tokyo cost? I fly from São Paulo.") == [
        "London",
        "Tokyo",
        "São Paulo",
    ]


def test_one_call_per_listed_name():
    assert listed_with("Tokyo", "Tickets to London and to Tokyo?") == ["London"]
    assert listed_with("Rome", "Hi, I'm Ed Donner and I want to go to Rome") == []
    assert one_call_per_name({"destination_city": "London"}, SCHEMA, "Tickets to London, Paris or Tokyo?") == [
        {"destination_city": "London"},
        {"destination_city": "Paris"},
        {"destination_city": "Tokyo"},
    ]


# --- Tool calls and figures through the SDKs ----------------------------------------------------------


@pytest.mark.parametrize("city", ["Atlantis", "London", "Tokyo", "New York"])
def test_openai_tool_argument_is_the_city_the_user_named(oai, city):
    response = oai.chat.completions.create(
        model="gpt-4o-mini", messages=ask(f"How much is a ticket to {city}?"), tools=[TICKET_TOOL]
    )
    calls = response.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "get_ticket_price"
    assert json.loads(calls[0].function.arguments) == {"destination_city": city}


def test_openai_two_cities_give_two_tool_calls_unless_parallel_calls_are_off(oai):
    question = ask("What do return tickets to London and to Tokyo cost?")
    calls = (
        oai.chat.completions.create(model="gpt-4o-mini", messages=question, tools=[TICKET_TOOL])
        .choices[0]
        .message.tool_calls
    )
    assert sorted(json.loads(call.function.arguments)["destination_city"] for call in calls) == ["London", "Tokyo"]
    assert len({call.id for call in calls}) == 2
    single = (
        oai.chat.completions.create(
            model="gpt-4o-mini", messages=question, tools=[TICKET_TOOL], parallel_tool_calls=False
        )
        .choices[0]
        .message.tool_calls
    )
    assert len(single) == 1


def test_openai_ungrounded_tool_call_becomes_a_text_answer(oai):
    # No city in the question: a call would carry a city the user never said.
    response = oai.chat.completions.create(
        model="gpt-4o-mini", messages=ask("How much is a ticket?"), tools=[TICKET_TOOL], max_tokens=30
    )
    assert response.choices[0].message.tool_calls is None
    assert isinstance(response.choices[0].message.content, str)


def _after_tool_result(city, price):
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_ticket_price", "arguments": json.dumps({"destination_city": city})},
    }
    return ask(f"How much is a ticket to {city}?") + [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": f"A return ticket to {city} costs {price}."},
    ]


@pytest.mark.parametrize(
    "city, price, tools, streamed",
    [
        ("Paris", "$899", [TICKET_TOOL], False),  # tools offered
        ("Berlin", "$499", None, False),  # only the tool result in the conversation
        ("Tokyo", "$1299", [TICKET_TOOL], True),
    ],
)
def test_openai_answer_after_tool_result_copies_the_figure(oai, city, price, tools, streamed):
    extra = {"tools": tools} if tools else {}
    messages = _after_tool_result(city, price)
    if streamed:
        stream = oai.chat.completions.create(
            model="gpt-4o-mini", messages=messages, max_tokens=40, stream=True, **extra
        )
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    else:
        response = oai.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=40, **extra)
        assert response.choices[0].message.tool_calls is None
        text = response.choices[0].message.content
    assert price in text


@pytest.mark.parametrize("city, price", [("Atlantis", "$899"), ("London", "$499"), ("New York", "$1299")])
def test_anthropic_tool_use_passes_the_city_and_copies_the_price(claude, city, price):
    messages = [{"role": "user", "content": f"How much is a ticket to {city}?"}]
    first = claude.messages.create(
        model="claude-sonnet-4-5", max_tokens=100, system=SYSTEM, messages=messages, tools=[CLAUDE_TICKET_TOOL]
    )
    assert first.stop_reason == "tool_use"
    use = next(block for block in first.content if block.type == "tool_use")
    assert use.input == {"destination_city": city}
    messages += [
        {"role": "assistant", "content": [block.model_dump() for block in first.content]},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": use.id, "content": f"A return ticket to {city} costs {price}."}
            ],
        },
    ]
    second = claude.messages.create(
        model="claude-sonnet-4-5", max_tokens=40, system=SYSTEM, messages=messages, tools=[CLAUDE_TICKET_TOOL]
    )
    assert second.stop_reason in ("end_turn", "max_tokens")
    assert price in "".join(block.text for block in second.content if block.type == "text")


# --- Reasoning parameters: accepted, and nothing false reported ---------------------------------------


def test_openai_reasoning_effort_accepted_with_zero_reasoning_tokens(oai):
    response = oai.chat.completions.create(
        model="o4-mini",
        messages=ask("Say hello."),
        max_completion_tokens=5,
        reasoning_effort="low",
        extra_body={"reasoning": {"effort": "low"}},
    )
    assert response.usage.completion_tokens_details.reasoning_tokens == 0
    assert isinstance(response.choices[0].message.content, str)
    with pytest.raises(openai.BadRequestError, match="reasoning_effort"):
        oai.chat.completions.create(model="o4-mini", messages=ask("Hi"), reasoning_effort="extreme")


def test_anthropic_thinking_accepted_and_validated(claude):
    message = claude.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=1100,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=[{"role": "user", "content": "What is 2 + 2? Answer with a number."}],
    )
    assert [block.type for block in message.content] == ["text"]  # no thinking block: the local model does not think
    assert message.usage.output_tokens_details.thinking_tokens == 0
    assert message.usage.cache_read_input_tokens == 0 and message.usage.cache_creation_input_tokens == 0
    for thinking, max_tokens, fragment in [
        ({"type": "enabled", "budget_tokens": 500}, 2000, "1024"),
        ({"type": "enabled", "budget_tokens": 2048}, 1000, "max_tokens"),
        ({"type": "sometimes"}, 100, "type"),
    ]:
        with pytest.raises(anthropic.BadRequestError, match=fragment):
            claude.messages.create(
                model="claude-sonnet-4-5",
                max_tokens=max_tokens,
                thinking=thinking,
                messages=[{"role": "user", "content": "Hi"}],
            )


def test_ollama_think_accepted_without_thinking_text(olla):
    response = olla.chat(
        model="qwen3", messages=[{"role": "user", "content": "Say hi"}], think=True, options={"num_predict": 5}
    )
    assert isinstance(response.message.content, str)
    assert not response.message.thinking


# --- Prompt caching: what llama.cpp really reused -----------------------------------------------------


def test_openai_cached_tokens_on_second_identical_prefix(oai):
    messages = [
        {"role": "system", "content": "You answer questions about FlightAI's booking rules. " + POLICY},
        {"role": "user", "content": "What does a change 3 days before departure cost?"},
    ]
    first = oai.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=1)
    second = oai.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=1)
    assert first.usage.prompt_tokens > 500
    assert first.usage.prompt_tokens_details.cached_tokens < first.usage.prompt_tokens / 2
    # llama.cpp keeps the whole prompt; it evaluates the last prompt token again only when it has to refresh
    # its logits (here the first answer was one token long, so the logits are still those of the prompt).
    assert second.usage.prompt_tokens_details.cached_tokens >= second.usage.prompt_tokens - 1


def test_anthropic_cache_control_reported_as_cache_creation_then_read(claude):
    system = [
        {"type": "text", "text": "You are FlightAI's assistant."},
        {"type": "text", "text": "Refund rules. " + POLICY, "cache_control": {"type": "ephemeral"}},
    ]
    usages = [
        claude.messages.create(
            model="claude-sonnet-4-5", max_tokens=1, system=system, messages=[{"role": "user", "content": question}]
        ).usage
        for question in ("Can I change my booking?", "What does a change cost?")
    ]
    first, second = usages
    assert first.cache_creation_input_tokens > 500  # the marked prefix was evaluated and kept
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens + first.cache_read_input_tokens
    assert second.cache_creation_input_tokens == 0
    assert 0 < second.input_tokens < 50  # only the question after the breakpoint


def test_anthropic_cache_control_accepted_on_tools_and_messages(claude):
    tool = {**CLAUDE_TICKET_TOOL, "cache_control": {"type": "ephemeral"}}
    content = [{"type": "text", "text": "Hello there!", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    with claude.messages.stream(
        model="claude-sonnet-4-5", max_tokens=5, tools=[tool], messages=[{"role": "user", "content": content}]
    ) as stream:
        message = stream.get_final_message()
    assert message.usage.cache_creation_input_tokens + message.usage.cache_read_input_tokens > 0
    assert message.usage.cache_creation.ephemeral_5m_input_tokens == 0
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4"):
        claude.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=5,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}} for i in range(5)
                    ],
                }
            ],
        )


# --- Log-probabilities from llama.cpp -------------------------------------------------------------------


def _check_logprobs(entries, text, top):
    assert entries, "no logprobs"
    assert b"".join(bytes(entry.bytes) for entry in entries).decode("utf-8") == text
    if "\ufffd" not in "".join(entry.token for entry in entries):
        assert "".join(entry.token for entry in entries) == text
    for entry in entries:
        assert entry.logprob <= 0
        assert len(entry.top_logprobs) == top
        values = [alternative.logprob for alternative in entry.top_logprobs]
        assert values == sorted(values, reverse=True)
        assert sum(math.exp(value) for value in values) <= 1 + 1e-6
        if values:
            assert entry.logprob <= values[0] + 1e-9


def test_openai_logprobs_plain(oai):
    response = oai.chat.completions.create(
        model="gpt-4o-mini", messages=ask("Name a colour."), max_tokens=12, temperature=0, logprobs=True, top_logprobs=5
    )
    choice = response.choices[0]
    _check_logprobs(choice.logprobs.content, choice.message.content, 5)


def test_openai_logprobs_streamed(oai):
    stream = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=ask("Name a fruit."),
        max_tokens=12,
        logprobs=True,
        top_logprobs=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    text, entries, usage = "", [], None
    for chunk in stream:
        usage = chunk.usage or usage
        if chunk.choices and chunk.choices[0].delta.content:
            text += chunk.choices[0].delta.content
            entries += chunk.choices[0].logprobs.content
    _check_logprobs(entries, text, 0)
    assert usage.completion_tokens_details.reasoning_tokens == 0
    assert 0 <= usage.prompt_tokens_details.cached_tokens < usage.prompt_tokens


@pytest.mark.parametrize(
    "extra, fragment", [({"top_logprobs": 21}, "top_logprobs"), ({"logprobs": False, "top_logprobs": 2}, "logprobs")]
)
def test_openai_bad_logprobs_requests_are_400(oai, extra, fragment):
    with pytest.raises(openai.BadRequestError, match=fragment):
        oai.chat.completions.create(model="gpt-4o-mini", messages=ask("Hi"), **extra)


def test_ollama_logprobs_plain_and_streamed(olla):
    response = olla.chat(
        model="llama3.2",
        messages=[{"role": "user", "content": "Name a colour."}],
        logprobs=True,
        top_logprobs=3,
        options={"num_predict": 10},
    )
    tokens = response.logprobs
    assert "".join(entry.token for entry in tokens) == response.message.content
    assert all(len(entry.top_logprobs) == 3 and entry.logprob <= 0 for entry in tokens)
    assert all(sum(math.exp(alt.logprob) for alt in entry.top_logprobs) <= 1 + 1e-6 for entry in tokens)
    text, streamed = "", []
    for part in olla.generate(
        model="llama3.2", prompt="Name a fruit.", logprobs=True, stream=True, options={"num_predict": 10}
    ):
        text += part.response or ""
        streamed += part.logprobs or []
    assert streamed and "".join(entry.token for entry in streamed) == text
