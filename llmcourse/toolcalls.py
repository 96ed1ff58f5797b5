"""Run the tool calls a model asked for: bounded arguments in, bounded text out, never an exception.

A tool that fails (bad JSON, wrong arguments, unknown name, an exception inside it, a result that
cannot be sent as text) gives an "Error: ..." result the model can react to. What a model sends is
bounded before it is used: arguments over `MAX_ARGUMENT_CHARS` characters or nested deeper than
`MAX_ARGUMENT_DEPTH` are refused, at most `MAX_CALLS_PER_REPLY` calls of one reply run (the rest
are answered "Error: too many calls ..."), and a result longer than `MAX_RESULT_CHARS` is cut, with
a note saying so. The tool loops in tools.py use this for every API.

Example:
    >>> def add(a: int, b: int) -> int:
    ...     '''Add two whole numbers.'''
    ...     return a + b
    >>> [record.result for record in run_tool_calls({"add": add}, [ToolCall("c0", "add", '{"a": 2, "b": 3}')])]
    ['5']
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from llmcourse.schemas import tool_schema

__all__ = [
    "MAX_ARGUMENT_CHARS",
    "MAX_ARGUMENT_DEPTH",
    "MAX_CALLS_PER_REPLY",
    "MAX_RESULT_CHARS",
    "ToolCall",
    "ToolCallRecord",
    "run_tool_call",
    "run_tool_calls",
]

MAX_ARGUMENT_CHARS = 1_000_000  # a tool call's JSON arguments; real ones are a few hundred characters
MAX_ARGUMENT_DEPTH = 64  # nesting levels of objects and lists in the arguments
MAX_RESULT_CHARS = 50_000  # text sent back per tool result (about 12,000 tokens); the rest is cut
MAX_CALLS_PER_REPLY = 16  # tool calls run from one model reply; later ones get an error result

_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_SPECIAL = re.compile(r'[\\"\[\]{}]')  # the characters that decide nesting: quotes, escapes, brackets


class ToolCall(NamedTuple):
    """One call as a model's reply asked for it; `arguments` as sent (OpenAI: a JSON string, Anthropic: a dict).

    Example:
        >>> ToolCall("call_0", "get_ticket_price", '{"destination_city": "London"}').name
        'get_ticket_price'
    """

    id: str
    name: str
    arguments: Any


@dataclass
class ToolCallRecord:
    """One tool call the model made: what it asked for and what it got back.

    `arguments` is the parsed JSON object, or the raw string when it was not valid JSON;
    `result` is the text sent back to the model; `error` is set when the call failed.

    Example:
        >>> ToolCallRecord(name="get_ticket_price", arguments={"destination_city": "London"}, result="$799")
        ToolCallRecord(name='get_ticket_price', arguments={'destination_city': 'London'}, result='$799', error=None, id=None)
    """

    name: str
    arguments: Any
    result: str
    error: str | None = None
    id: str | None = None


def run_tool_calls(
    functions: Mapping[str, Callable[..., Any]],
    calls: Sequence[ToolCall],
    *,
    max_calls_per_reply: int = MAX_CALLS_PER_REPLY,
    max_result_chars: int = MAX_RESULT_CHARS,
) -> list[ToolCallRecord]:
    """Run the calls of one model reply, in order: the first `max_calls_per_reply` run, the rest are refused.

    Every call gets a record (and so an answer for the model), refused ones an "Error: too many calls ..."
    result that asks the model to send them again in its next reply.

    Example:
        >>> def echo(text: str) -> str:
        ...     '''Say it back.'''
        ...     return text
        >>> calls = [ToolCall(f"c{n}", "echo", {"text": str(n)}) for n in range(3)]
        >>> [r.result[:21] for r in run_tool_calls({"echo": echo}, calls, max_calls_per_reply=2)]
        ['0', '1', 'Error: too many calls']
    """
    refusal = (
        f"too many calls in one reply ({len(calls)}): only the first {max_calls_per_reply} ran. "
        "Ask for the rest in your next reply if you still need them."
    )
    return [
        run_tool_call(functions, call, max_result_chars=max_result_chars)
        if index < max_calls_per_reply
        else _failed(call, refusal, call.arguments, max_result_chars)
        for index, call in enumerate(calls)
    ]


def run_tool_call(
    functions: Mapping[str, Callable[..., Any]], call: ToolCall, *, max_result_chars: int = MAX_RESULT_CHARS
) -> ToolCallRecord:
    """Run one call against `functions` ({name: function}); failures become "Error: ..." results, never exceptions.

    Non-string results are sent as JSON; results and errors are cut to `max_result_chars` characters.

    Example:
        >>> def add(a: int, b: int) -> int:
        ...     '''Add two whole numbers.'''
        ...     return a + b
        >>> run_tool_call({"add": add}, ToolCall("c0", "add", '{"a": 2, "b": 3}')).result
        '5'
        >>> run_tool_call({"add": add}, ToolCall("c1", "mul", '{"a": 2, "b": 3}')).result
        "Error: there is no tool named 'mul'. Available tools: add."
    """
    name = call.name
    func = functions.get(name)
    if func is None:
        available = ", ".join(functions)
        problem = f"there is no tool named {_cut(repr(name), 100)}. Available tools: {available}."
        return _failed(call, problem, call.arguments, max_result_chars)
    arguments, problem = _parse_arguments(name, call.arguments)
    if problem is not None:
        return _failed(call, f"{problem}. {_usage(name, func)}", arguments, max_result_chars)
    if not isinstance(arguments, dict):
        problem = f"the arguments for {name} must be a JSON object, got {type(arguments).__name__}"
        return _failed(call, f"{problem}. {_usage(name, func)}", arguments, max_result_chars)
    try:
        bound = inspect.signature(func).bind(**arguments)
    except TypeError as err:
        return _failed(call, f"wrong arguments for {name}: {err}. {_usage(name, func)}", arguments, max_result_chars)
    try:
        value = func(*bound.args, **_enum_members(func, bound.kwargs))
    except Exception as err:  # noqa: BLE001 - the model gets the error and can try again
        return _failed(call, f"{name} raised {type(err).__name__}: {_safe_str(err)}", arguments, max_result_chars)
    result, problem = _result_text(name, value)
    if problem is not None:
        return _failed(call, problem, arguments, max_result_chars)
    return ToolCallRecord(name=name, arguments=arguments, result=_cut(result, max_result_chars), id=call.id)


def _failed(call: ToolCall, message: str, arguments: Any, max_result_chars: int) -> ToolCallRecord:
    message = _cut(message, max_result_chars)
    return ToolCallRecord(name=call.name, arguments=arguments, result=f"Error: {message}", error=message, id=call.id)


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters (with a note when cut), and no lone surrogates: the SDKs cannot send those."""
    if not text.isascii():
        text = _SURROGATE.sub("\ufffd", text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... cut: {len(text):,} characters in all, only the first {limit:,} are shown]"


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception as err:  # noqa: BLE001 - a broken __str__ must not crash the loop
        return f"<{type(value).__name__} that cannot be shown: {type(err).__name__}>"


def _json_nesting_problem(text: str, limit: int) -> str | None:
    """Why `text` must not go to `json.loads` (which recurses once per level), or None.

    One pass over the quotes, escapes and brackets (brackets inside strings do not count): no
    recursion, linear time, whatever the input.
    """
    depth, in_string, escaped = 0, False, -1
    for match in _JSON_SPECIAL.finditer(text):
        position, char = match.start(), match.group()
        if in_string:
            if position == escaped:
                continue
            if char == "\\":
                escaped = position + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return f"they are nested more than {limit} levels deep"
        elif char in "]}":
            depth -= 1
    return None


def _object_too_deep(value: Any, limit: int) -> bool:
    """True when already-parsed arguments nest deeper than `limit` (checked without recursion)."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list | tuple):
            if depth >= limit:
                return True
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def _parse_arguments(name: str, raw_arguments: Any) -> tuple[Any, str | None]:
    """(arguments, None) or (raw_arguments, why they were refused); never raises."""
    if isinstance(raw_arguments, str):
        if len(raw_arguments) > MAX_ARGUMENT_CHARS:
            return raw_arguments, (
                f"the arguments for {name} are {len(raw_arguments):,} characters long; "
                f"the limit is {MAX_ARGUMENT_CHARS:,}"
            )
        if not raw_arguments.strip():
            return {}, None
        problem = _json_nesting_problem(raw_arguments, MAX_ARGUMENT_DEPTH)
        if problem:
            return raw_arguments, f"the arguments for {name} were refused: {problem}"
        try:
            return json.loads(raw_arguments), None
        except (ValueError, RecursionError) as err:  # JSONDecodeError, or a number too long to convert
            return raw_arguments, f"the arguments for {name} are not valid JSON ({_cut(_safe_str(err), 300)})"
    if _object_too_deep(raw_arguments, MAX_ARGUMENT_DEPTH):
        return raw_arguments, f"the arguments for {name} are nested more than {MAX_ARGUMENT_DEPTH} levels deep"
    return raw_arguments or {}, None


def _result_text(name: str, value: Any) -> tuple[str, str | None]:
    """The tool's return value as text (JSON for non-strings), or an error when it cannot be encoded."""
    if isinstance(value, str):
        return value, None
    try:
        return json.dumps(value, ensure_ascii=False, default=str), None
    except (ValueError, TypeError, RecursionError) as err:  # circular, too deep, odd keys
        reason = f"{type(err).__name__}: {_safe_str(err)}"
    except Exception as err:  # noqa: BLE001 - a __str__ that raises inside default=str
        reason = f"{type(err).__name__} while converting it: {_safe_str(err)}"
    return "", (
        f"{name} returned a {type(value).__name__} that cannot be sent as text ({_cut(reason, 300)}). "
        "Return a string, a number, or lists and dicts of them."
    )


def _usage(name: str, func: Callable[..., Any]) -> str:
    try:
        properties = tool_schema(func, name=name)["function"]["parameters"]
    except (TypeError, ValueError):
        return ""
    described = [
        f"{param} ({spec.get('type', 'any')}{', required' if param in properties.get('required', []) else ''})"
        for param, spec in properties["properties"].items()
    ]
    return f"Its parameters: {', '.join(described) or 'none'}."


def _enum_members(func: Callable[..., Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    # The schema lists an Enum's values; hand the function the members it was written for.
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # noqa: BLE001 - no usable hints: pass the values as they are
        return kwargs
    converted = dict(kwargs)
    for param, value in kwargs.items():
        hint = hints.get(param)
        if isinstance(hint, type) and issubclass(hint, enum.Enum) and not isinstance(value, hint):
            try:
                converted[param] = hint(value)
            except ValueError:
                pass  # the function sees the raw value and may raise a clear error itself
    return converted
