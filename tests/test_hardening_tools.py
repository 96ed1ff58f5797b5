"""The tool loop against hostile model replies: absurd nesting, huge arguments and results, thousands of calls.

A scripted loopback server answers with the replies a misbehaving model could send; the real openai and
anthropic SDKs carry them. Whatever arrives, the loop must finish and hand the model "Error: ..." results,
never raise, and never send more than its limits back.
"""

from __future__ import annotations

import json

import pytest

from llmcourse.tools import (
    MAX_ARGUMENT_CHARS,
    MAX_ARGUMENT_DEPTH,
    MAX_CALLS_PER_REPLY,
    MAX_RESULT_CHARS,
    run_anthropic_tool_loop,
    run_tool_loop,
)
from tests.scripted_llm import ScriptedServer, anthropic_message, completion


@pytest.fixture(scope="module")
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.close()


calls_made: list[str] = []


def lookup(city: str) -> str:
    """Look a city up.

    Args:
        city: The city.
    """
    calls_made.append(city)
    return f"found {city[:20]}"


def only_result(result) -> dict:
    [record] = result.tool_calls
    return {"result": record.result, "error": record.error}


def sent_tool_messages(server: ScriptedServer, request: int = 1) -> list[dict]:
    return [m for m in server.requests[request]["messages"] if m["role"] == "tool"]


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ("[" * 100_000 + "]" * 100_000, f"nested more than {MAX_ARGUMENT_DEPTH} levels"),
        ('{"city": ' + "[" * 100_000, f"nested more than {MAX_ARGUMENT_DEPTH} levels"),  # never closed
        ('{"city": "' + "x" * (MAX_ARGUMENT_CHARS + 1) + '"}', "characters long"),
        ('{"city": ' + "9" * 5000 + "}", "not valid JSON"),  # a number too long for int()
        ('{"city": "\\ud800' + '"}', None),  # a lone surrogate is a valid JSON string: the tool gets it
    ],
)
def test_hostile_arguments_become_error_results_not_exceptions(server, arguments, fragment):
    server.script(completion(calls=[("lookup", arguments)]), completion("done"))
    result = run_tool_loop(server.openai, model="m", messages="Where?", tools=[lookup])
    assert result.stopped_reason == "finished" and result.text == "done"
    outcome = only_result(result)
    if fragment is None:
        assert outcome["error"] is None and outcome["result"].startswith("found")
    else:
        assert outcome["result"].startswith("Error: ") and fragment in outcome["result"], outcome["result"][:300]
        assert sent_tool_messages(server)[0]["content"] == outcome["result"]


def test_brackets_inside_strings_do_not_count_as_nesting(server):
    city = "[{" * 500 + '\\"' + "]}" * 3 + "\\\\"
    server.script(completion(calls=[("lookup", json.dumps({"city": json.loads(f'"{city}"')}))]), completion("ok"))
    result = run_tool_loop(server.openai, model="m", messages="Where?", tools=[lookup])
    assert only_result(result)["error"] is None


def test_deeply_nested_anthropic_input_is_an_error_result(server):
    nested: dict = {}
    for _ in range(300):  # deep, though still parseable by the SDK
        nested = {"a": nested}
    server.script(anthropic_message(uses=[("lookup", {"city": nested})]), anthropic_message(text="done"))
    result = run_anthropic_tool_loop(server.anthropic, model="c", messages="Where?", tools=[lookup])
    assert result.text == "done"
    record = result.tool_calls[0]
    assert record.result.startswith("Error: ") and "nested more than" in record.result
    sent = server.requests[1]["messages"][-1]["content"][0]
    assert sent["is_error"] is True and sent["content"] == record.result


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def circular() -> dict:
    value: dict = {}
    value["self"] = value
    return value


def very_deep() -> list:
    value: list = []
    for _ in range(100_000):
        value = [value]
    return value


@pytest.mark.parametrize(
    "make, fragment",
    [
        (circular, "Circular reference"),
        (very_deep, "RecursionError"),
        (lambda: {"x": Unprintable()}, "no text for you"),
        (lambda: {(1, 2): "tuple key"}, "TypeError"),
    ],
)
def test_results_that_cannot_be_encoded_are_error_results(server, make, fragment):
    def produce(kind: str) -> object:
        """Produce something."""
        return make()

    server.script(completion(calls=[("produce", '{"kind": "x"}')]), completion("done"))
    result = run_tool_loop(server.openai, model="m", messages="Go", tools=[produce])
    outcome = only_result(result)
    assert outcome["result"].startswith("Error: produce returned") and fragment in outcome["result"]
    assert sent_tool_messages(server)[0]["content"] == outcome["result"]


def test_odd_but_encodable_results_use_default_str(server):
    def produce(kind: str) -> object:
        """Produce something."""
        return {"when": __import__("datetime").date(2026, 12, 1), "tags": {"a"}}

    server.script(completion(calls=[("produce", '{"kind": "x"}')]), completion("done"))
    outcome = only_result(run_tool_loop(server.openai, model="m", messages="Go", tools=[produce]))
    assert outcome["error"] is None and json.loads(outcome["result"]) == {"when": "2026-12-01", "tags": "{'a'}"}


def test_a_huge_result_is_cut_with_a_visible_note(server):
    def dump(name: str) -> str:
        """Dump a file."""
        return "y" * 10_000_000

    server.script(completion(calls=[("dump", '{"name": "x"}')]), completion("done"))
    result = run_tool_loop(server.openai, model="m", messages="Go", tools=[dump])
    sent = sent_tool_messages(server)[0]["content"]
    assert len(sent) < MAX_RESULT_CHARS + 200 and sent.startswith("y" * 1000)
    assert "cut: 10,000,000 characters in all" in sent and result.tool_calls[0].result == sent

    # the limit is a parameter too, and huge error messages are cut the same way
    def fail(name: str) -> str:
        """Fail loudly."""
        raise ValueError("z" * 1_000_000)

    server.script(completion(calls=[("dump", '{"name": "x"}'), ("fail", '{"name": "x"}')]), completion("done"))
    result = run_tool_loop(server.openai, model="m", messages="Go", tools=[dump, fail], max_result_chars=100)
    first, second = sent_tool_messages(server)
    assert first["content"].startswith("y" * 100) and "only the first 100 are shown" in first["content"]
    assert second["content"].startswith("Error: fail raised ValueError") and len(second["content"]) < 300


def test_thousands_of_calls_in_one_reply_run_at_most_the_limit(server):
    # 2,000 rather than 10,000 calls: the same path, and the SDK's own request building (not the loop)
    # takes half a minute for 10,000 tool messages on a busy machine.
    calls_made.clear()
    calls = [("lookup", json.dumps({"city": f"c{n}"})) for n in range(2_000)]
    server.script(completion(calls=calls), completion("done"))
    result = run_tool_loop(server.openai, model="m", messages="Everywhere?", tools=[lookup])
    assert len(calls_made) == MAX_CALLS_PER_REPLY
    assert result.text == "done" and len(result.tool_calls) == 2_000
    answers = sent_tool_messages(server)
    assert [m["tool_call_id"] for m in answers] == [f"call_{n}" for n in range(2_000)]  # every call is answered
    assert all(m["content"].startswith("found") for m in answers[:MAX_CALLS_PER_REPLY])
    refused = answers[MAX_CALLS_PER_REPLY:]
    assert all(m["content"].startswith("Error: too many calls in one reply (2000)") for m in refused)


def test_anthropic_calls_per_reply_limit_and_parameter(server):
    calls_made.clear()
    server.script(
        anthropic_message(uses=[("lookup", {"city": f"c{n}"}) for n in range(40)]), anthropic_message(text="done")
    )
    result = run_anthropic_tool_loop(
        server.anthropic, model="c", messages="Everywhere?", tools=[lookup], max_calls_per_reply=3
    )
    assert len(calls_made) == 3 and result.text == "done"
    blocks = server.requests[1]["messages"][-1]["content"]
    assert len(blocks) == 40 and [b.get("is_error", False) for b in blocks] == [False] * 3 + [True] * 37
    assert "too many calls" in blocks[-1]["content"]


@pytest.mark.parametrize("option", ["max_calls_per_reply", "max_result_chars"])
def test_limits_must_be_positive(server, option):
    with pytest.raises(ValueError, match=option):
        run_tool_loop(server.openai, model="m", messages="x", tools=[lookup], **{option: 0})
