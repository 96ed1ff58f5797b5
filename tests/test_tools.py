"""Tests for llmcourse.tools: schemas from functions, and the tool-call loop driven by the real
openai SDK against the embedded model server and against a scripted loopback server."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

import anthropic
import openai
import pydantic
import pytest

from llmcourse.settings import LOCAL_API_KEY, MODELS
from llmcourse.tools import (
    ToolLoopResult,
    run_anthropic_tool_loop,
    run_tool_loop,
    tool_schema,
)
from tests.scripted_llm import ScriptedServer, anthropic_message, completion

# --- tool_schema ----------------------------------------------------------------------------


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


def get_weather(
    city: str,
    days: int = 1,
    unit: Unit = Unit.CELSIUS,
    detail: Literal["short", "long"] = "short",
    tags: list[str] | None = None,
    max_wind: float | None = None,
    alerts: bool = False,
) -> dict:
    """Get the weather forecast for a city.

    Use it whenever the user asks about weather.

    Args:
        city (str): The city name,
            e.g. "Paris".
        days: How many days ahead.
        unit: Temperature unit.

    Returns:
        The forecast.
    """
    return {"city": city, "days": days, "unit": unit.value}


def test_openai_schema_from_hints_and_google_docstring():
    assert tool_schema(get_weather) == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather forecast for a city. Use it whenever the user asks about weather.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": 'The city name, e.g. "Paris".'},
                    "days": {"type": "integer", "description": "How many days ahead.", "default": 1},
                    "unit": {
                        "type": "string",
                        "enum": ["celsius", "fahrenheit"],
                        "description": "Temperature unit.",
                        "default": "celsius",
                    },
                    "detail": {"type": "string", "enum": ["short", "long"], "default": "short"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "max_wind": {"type": "number"},
                    "alerts": {"type": "boolean", "default": False},
                },
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    }


def test_anthropic_format():
    schema = tool_schema(get_weather, fmt="anthropic")
    assert set(schema) == {"name", "description", "input_schema"}
    assert schema["input_schema"] == tool_schema(get_weather)["function"]["parameters"]
    with pytest.raises(ValueError, match="fmt"):
        tool_schema(get_weather, fmt="gemini")


def test_numpy_and_rest_docstrings():
    def numpy_style(a: int, b: str):
        """Combine two things.

        Parameters
        ----------
        a : int
            The first
            value.
        b : str
            The second.

        Returns
        -------
        str
        """

    def rest_style(a: int, b: str):
        """Combine two things.

        :param a: The first value.
        :param str b: The second.
        :returns: the result
        """

    for func in (numpy_style, rest_style):
        function = tool_schema(func)["function"]
        assert function["description"] == "Combine two things."
        assert function["parameters"]["properties"] == {
            "a": {"type": "integer", "description": "The first value."},
            "b": {"type": "string", "description": "The second."},
        }


class Point(pydantic.BaseModel):
    x: int
    y: int


class Opaque:  # a plain class: no JSON schema can describe it
    pass


def test_other_types_and_edge_cases():
    def f(
        point: Point,
        note: Annotated[str, "A short note"],
        anything: Any,
        untyped,
        mapping: dict[str, int] = {},  # noqa: B006
        pair: tuple[int, ...] = (),
        mixed: int | str = 0,
        *args,
        **kwargs,
    ):
        pass

    properties = tool_schema(f)["function"]["parameters"]["properties"]
    assert properties["point"] == {
        "type": "object",
        "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
        "required": ["x", "y"],
    }
    assert properties["note"] == {"type": "string", "description": "A short note"}
    assert properties["anything"] == {}
    assert properties["untyped"] == {"type": "string"}
    assert properties["mapping"] == {"type": "object", "additionalProperties": {"type": "integer"}, "default": {}}
    assert properties["pair"] == {"type": "array", "items": {"type": "integer"}, "default": []}
    assert properties["mixed"] == {"anyOf": [{"type": "integer"}, {"type": "string"}], "default": 0}
    assert "args" not in properties and "kwargs" not in properties
    assert "description" not in tool_schema(f)["function"]  # no docstring, no description


def test_bad_functions_are_clear_errors():
    def takes_opaque(value: Opaque):
        pass

    with pytest.raises(TypeError, match="parameter 'value' of 'takes_opaque'"):
        tool_schema(takes_opaque)
    with pytest.raises(ValueError, match="pass name="):
        tool_schema(lambda city: city)
    assert tool_schema(lambda city: city, name="echo")["function"]["name"] == "echo"


# --- a scripted OpenAI-compatible server (real HTTP, real SDK) -------------------------------


@pytest.fixture(scope="module")
def scripted():
    server = ScriptedServer()
    yield server
    server.close()


def get_ticket_price(destination_city: str) -> str:
    """Get the price of a return ticket to the destination city.

    Args:
        destination_city: The city that the customer wants to travel to.
    """
    return {"london": "$799", "paris": "$899", "tokyo": "$1400"}.get(destination_city.strip().lower(), "unknown")


def flaky_lookup(code: str) -> str:
    """Look up a booking code."""
    raise KeyError(f"no booking {code}")


def question(text: str = "How much is a ticket to London?") -> list[dict]:
    return [{"role": "system", "content": "You are a helpful airline assistant."}, {"role": "user", "content": text}]


def tool_messages(result: ToolLoopResult) -> list[dict]:
    return [m for m in result.messages if m["role"] == "tool"]


def test_every_tool_call_runs_and_results_go_back(scripted):
    client = scripted.script(
        completion(
            calls=[
                ("get_ticket_price", '{"destination_city": "London"}'),
                ("get_ticket_price", '{"destination_city": "Paris"}'),
                ("get_weather", '{"city": "Paris", "unit": "fahrenheit"}'),
            ]
        ),
        completion("London is $799 and Paris is $899."),
    )
    messages = question()
    result = run_tool_loop(client, model="m", messages=messages, tools=[get_ticket_price, get_weather], temperature=0)
    assert result.stopped_reason == "finished" and result.steps == 2
    assert result.text == "London is $799 and Paris is $899."
    assert [(c.name, c.arguments, c.result, c.error) for c in result.tool_calls] == [
        ("get_ticket_price", {"destination_city": "London"}, "$799", None),
        ("get_ticket_price", {"destination_city": "Paris"}, "$899", None),
        (
            "get_weather",
            {"city": "Paris", "unit": "fahrenheit"},
            '{"city": "Paris", "days": 1, "unit": "fahrenheit"}',
            None,
        ),
    ]
    # The second request carried the assistant's tool calls and one tool message per call, by id.
    sent = scripted.requests[1]["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "tool", "tool"]
    assert [m["tool_call_id"] for m in sent[3:]] == ["call_0", "call_1", "call_2"]
    assert sent[5]["content"] == '{"city": "Paris", "days": 1, "unit": "fahrenheit"}'  # JSON-encoded dict
    assert [t["function"]["name"] for t in scripted.requests[0]["tools"]] == ["get_ticket_price", "get_weather"]
    assert scripted.requests[0]["temperature"] == 0
    assert messages == question()  # the caller's list is untouched
    assert result.messages[-1] == {"role": "assistant", "content": result.text}


@pytest.mark.parametrize(
    ("call", "error_pattern"),
    [
        (("get_ticket_price", '{"destination_city": "London"'), "not valid JSON"),
        (("get_ticket_price", '["London"]'), "must be a JSON object"),
        (
            ("get_ticket_price", '{"city": "London"}'),
            "wrong arguments for get_ticket_price.*destination_city \\(string, required\\)",
        ),
        (
            ("book_hotel", '{"city": "London"}'),
            "no tool named 'book_hotel'. Available tools: get_ticket_price, flaky_lookup",
        ),
        (("flaky_lookup", '{"code": "X1"}'), "flaky_lookup raised KeyError: 'no booking X1'"),
    ],
)
def test_tool_errors_go_back_to_the_model(scripted, call, error_pattern):
    client = scripted.script(completion(calls=[call]), completion("Sorry, something went wrong."))
    result = run_tool_loop(client, model="m", messages=question(), tools=[get_ticket_price, flaky_lookup])
    assert result.stopped_reason == "finished" and result.text == "Sorry, something went wrong."
    [record] = result.tool_calls
    assert record.name == call[0] and record.error is not None
    assert record.result.startswith("Error: ")
    assert __import__("re").search(error_pattern, record.result), record.result
    [tool_message] = [m for m in scripted.requests[1]["messages"] if m["role"] == "tool"]
    assert tool_message["content"] == record.result


def test_step_limit_stops_with_a_note_and_keeps_the_history(scripted):
    client = scripted.script(completion(calls=[("get_ticket_price", '{"destination_city": "Tokyo"}')]))
    with pytest.warns(UserWarning, match="stopped after 3 model calls"):
        result = run_tool_loop(
            client, model="m", messages=question(), tools={"get_ticket_price": get_ticket_price}, max_steps=3
        )
    assert result.stopped_reason == "max_steps" and result.steps == 3 and len(scripted.requests) == 3
    assert "get_ticket_price" in result.note and str(result) == result.note
    assert len(result.tool_calls) == 3 and all(c.result == "$1400" for c in result.tool_calls)
    # Every assistant tool call is answered, so the history can be sent again as it is.
    assert [m["role"] for m in result.messages] == ["system", "user"] + ["assistant", "tool"] * 3
    client = scripted.script(completion("Tokyo is $1400."))
    again = run_tool_loop(client, model="m", messages=result.messages, tools=[get_ticket_price])
    assert again.stopped_reason == "finished" and again.text == "Tokyo is $1400."


def test_dict_of_tools_uses_its_names_and_bad_loop_arguments(scripted):
    client = scripted.script(completion(calls=[("price", '{"destination_city": "paris"}')]), completion("ok"))
    result = run_tool_loop(client, model="m", messages="Price to Paris?", tools={"price": get_ticket_price})
    assert result.tool_calls[0].result == "$899"
    assert scripted.requests[0]["tools"][0]["function"]["name"] == "price"
    assert scripted.requests[0]["messages"] == [{"role": "user", "content": "Price to Paris?"}]
    with pytest.raises(ValueError, match="max_steps"):
        run_tool_loop(client, model="m", messages="x", tools=[get_ticket_price], max_steps=0)
    with pytest.raises(ValueError, match="stream"):
        run_tool_loop(client, model="m", messages="x", tools=[get_ticket_price], stream=True)
    with pytest.raises(ValueError, match="dict"):
        run_tool_loop(client, model="m", messages="x", tools=[lambda city: city])


def test_an_api_error_says_where_the_loop_was(scripted):
    scripted.script(completion(calls=[("get_ticket_price", '{"destination_city": "London"}')]))
    client = openai.OpenAI(base_url=scripted.url + "/nowhere", api_key="test-key", max_retries=0)
    with pytest.raises(openai.APIStatusError) as raised:
        run_tool_loop(client, model="m", messages=question(), tools=[get_ticket_price])
    assert any("model call 1 failed" in note for note in raised.value.__notes__)


def test_anthropic_tool_loop(scripted):
    client = scripted.script_anthropic(
        anthropic_message(
            "Let me check.",
            uses=[
                ("get_ticket_price", {"destination_city": "London"}),
                ("flaky_lookup", {"code": "Z9"}),
                ("get_ticket_price", {"town": "Paris"}),
            ],
        ),
        anthropic_message("London is $799."),
    )
    result = run_anthropic_tool_loop(
        client,
        model="claude",
        messages="How much is a ticket to London?",
        tools=[get_ticket_price, flaky_lookup],
        system="You are an airline assistant.",
        max_tokens=100,
    )
    assert result.stopped_reason == "finished" and result.text == "London is $799." and result.steps == 2
    assert [(c.name, c.error is None) for c in result.tool_calls] == [
        ("get_ticket_price", True),
        ("flaky_lookup", False),
        ("get_ticket_price", False),
    ]
    first, second = scripted.requests
    assert first["system"] == "You are an airline assistant." and first["max_tokens"] == 100
    assert [t["name"] for t in first["tools"]] == ["get_ticket_price", "flaky_lookup"]
    assert "input_schema" in first["tools"][0]
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert second["messages"][1]["content"][0] == {"type": "text", "text": "Let me check."}
    results = second["messages"][2]["content"]
    assert [r["tool_use_id"] for r in results] == ["toolu_0", "toolu_1", "toolu_2"]
    assert results[0] == {"type": "tool_result", "tool_use_id": "toolu_0", "content": "$799"}
    assert results[1]["is_error"] is True and results[1]["content"].startswith("Error: flaky_lookup raised KeyError")
    assert results[2]["is_error"] is True and "wrong arguments" in results[2]["content"]


def test_anthropic_tool_loop_step_limit(scripted):
    client = scripted.script_anthropic(anthropic_message(uses=[("get_ticket_price", {"destination_city": "Paris"})]))
    with pytest.warns(UserWarning, match="stopped after 2 model calls"):
        result = run_anthropic_tool_loop(
            client, model="claude", messages="Paris?", tools=[get_ticket_price], max_steps=2
        )
    assert result.stopped_reason == "max_steps" and len(scripted.requests) == 2
    assert [m["role"] for m in result.messages] == ["user", "assistant", "user", "assistant", "user"]


# --- one loop, two adapters: both APIs refuse, fail and stop the same way --------------------


def asks_for_tokyo(api: str) -> dict:
    """A reply, in `api`'s wire format, that asks for the Tokyo price (again and again when repeated)."""
    if api == "openai":
        return completion(calls=[("get_ticket_price", '{"destination_city": "Tokyo"}')])
    return anthropic_message(uses=[("get_ticket_price", {"destination_city": "Tokyo"})])


def loop_and_client(scripted: ScriptedServer, api: str, *replies: dict):
    if api == "openai":
        return run_tool_loop, scripted.script(*replies)
    return run_anthropic_tool_loop, scripted.script_anthropic(*replies)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_both_loops_refuse_bad_arguments_naming_their_own_function(scripted, api):
    loop, client = loop_and_client(scripted, api, asks_for_tokyo(api))
    name = loop.__name__
    with pytest.raises(ValueError, match=f"^{name} does not stream"):
        loop(client, model="m", messages="x", tools=[get_ticket_price], stream=True)
    with pytest.raises(ValueError, match=f"^{name} needs at least one tool"):
        loop(client, model="m", messages="x", tools=[])
    for option in ("max_steps", "max_calls_per_reply", "max_result_chars"):
        with pytest.raises(ValueError, match=f"^{option} must be a whole number of at least 1"):
            loop(client, model="m", messages="x", tools=[get_ticket_price], **{option: 0})
    assert scripted.requests == []  # all refused before any model call


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_both_loops_note_a_failed_model_call_with_their_own_name(scripted, api):
    sdk = openai if api == "openai" else anthropic
    base_url = scripted.url + ("/nowhere/v1" if api == "openai" else "/nowhere")
    client = (openai.OpenAI if api == "openai" else anthropic.Anthropic)(
        base_url=base_url, api_key="test-key", max_retries=0
    )
    loop, _ = loop_and_client(scripted, api, asks_for_tokyo(api))
    with pytest.raises(sdk.NotFoundError) as raised:
        loop(client, model="m", messages="Tokyo?", tools=[get_ticket_price])
    assert f"{loop.__name__}: model call 1 failed; tool calls made before it: []" in raised.value.__notes__


def test_both_loops_stop_at_the_step_limit_alike(scripted):
    outcomes = {}
    for api in ("openai", "anthropic"):
        loop, client = loop_and_client(scripted, api, asks_for_tokyo(api))
        with pytest.warns(UserWarning, match="stopped after 2 model calls") as caught:
            result = loop(
                client, model="m", messages="Tokyo?", tools=[get_ticket_price], max_steps=2, max_result_chars=3
            )
        [warning] = [w for w in caught if "stopped after" in str(w.message)]
        assert warning.filename == __file__  # the warning points at the caller's line, not into llmcourse
        calls = [(c.name, c.arguments, c.result, c.error) for c in result.tool_calls]
        outcomes[api] = (result.stopped_reason, result.steps, len(scripted.requests), result.text, result.note, calls)
    assert outcomes["openai"] == outcomes["anthropic"]
    stopped_reason, steps, requests, text, note, calls = outcomes["openai"]
    assert (stopped_reason, steps, requests, text) == ("max_steps", 2, 2, "")
    assert "(get_ticket_price)" in note
    cut = "$14\n[... cut: 5 characters in all, only the first 3 are shown]"  # "$1400", cut the same way
    assert calls == [("get_ticket_price", {"destination_city": "Tokyo"}, cut, None)] * 2


# --- the embedded model server (tool_choice="auto" routed by embeddings) ---------------------


def test_tool_loop_against_the_embedded_model(local_server):
    client = openai.OpenAI(base_url=local_server + "/v1", api_key=LOCAL_API_KEY, max_retries=0)
    result = run_tool_loop(
        client,
        model=MODELS["openai"],
        messages=question(),
        tools=[get_ticket_price],
        max_steps=3,
        max_completion_tokens=40,
    )
    assert result.stopped_reason == "finished"
    assert result.tool_calls and result.tool_calls[0].name == "get_ticket_price"
    assert result.tool_calls[0].error is None
    assert isinstance(result.tool_calls[0].arguments["destination_city"], str)
    assert result.messages[2]["tool_calls"][0]["function"]["name"] == "get_ticket_price"
    assert result.messages[3]["role"] == "tool"
    assert isinstance(result.text, str) and result.messages[-1]["role"] == "assistant"


def test_anthropic_tool_loop_against_the_embedded_model(local_server):
    client = anthropic.Anthropic(base_url=local_server, api_key=LOCAL_API_KEY, max_retries=0)
    result = run_anthropic_tool_loop(
        client,
        model=MODELS["anthropic_small"],
        messages="How much is a ticket to London?",
        tools=[get_ticket_price],
        system="You are a helpful airline assistant.",
        max_tokens=40,
        max_steps=3,
    )
    assert result.stopped_reason == "finished"
    assert result.tool_calls and result.tool_calls[0].name == "get_ticket_price" and result.tool_calls[0].error is None
    assert result.messages[2]["content"][0]["type"] == "tool_result"
    assert isinstance(result.text, str) and result.messages[-1]["role"] == "assistant"
