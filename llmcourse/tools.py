"""Let a model call your Python functions: a tool schema from a function, and the tool-call loop.

`tool_schema(func)` (from schemas.py) reads the function's type hints and docstring and builds the
JSON schema the APIs want, so the schema cannot drift from the function. `run_tool_loop(...)` is
the loop every tool-using chatbot needs around `client.chat.completions.create(...)`: call the
model, run every tool it asks for, send the results back, repeat until it answers in text, at
most `max_steps` model calls. A tool that fails (bad JSON, wrong arguments, unknown name, an exception inside it)
does not crash the loop: the model gets "Error: ..." as the tool's result and can try again.
What a model sends is bounded before it is used: arguments over `MAX_ARGUMENT_CHARS` characters or
nested deeper than `MAX_ARGUMENT_DEPTH` are refused, at most `MAX_CALLS_PER_REPLY` calls of one
reply run (the rest are answered "Error: too many calls ..."), and a result longer than
`MAX_RESULT_CHARS` is cut, with a note saying so.

Example:
    >>> def get_ticket_price(destination_city: str) -> str:
    ...     '''Get the price of a return ticket to the destination city.
    ...
    ...     Args:
    ...         destination_city: The city the customer wants to travel to.
    ...     '''
    ...     return {"london": "$799"}.get(destination_city.lower(), "unknown")
    >>> tool_schema(get_ticket_price)["function"]["parameters"]["properties"]
    {'destination_city': {'type': 'string', 'description': 'The city the customer wants to travel to.'}}
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import typing
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from llmcourse.retired import add_model_note
from llmcourse.schemas import tool_schema

__all__ = [
    "MAX_ARGUMENT_CHARS",
    "MAX_ARGUMENT_DEPTH",
    "MAX_CALLS_PER_REPLY",
    "MAX_RESULT_CHARS",
    "ToolCallRecord",
    "ToolLoopResult",
    "run_anthropic_tool_loop",
    "run_tool_loop",
    "tool_schema",
]

MAX_ARGUMENT_CHARS = 1_000_000  # a tool call's JSON arguments; real ones are a few hundred characters
MAX_ARGUMENT_DEPTH = 64  # nesting levels of objects and lists in the arguments
MAX_RESULT_CHARS = 50_000  # text sent back per tool result (about 12,000 tokens); the rest is cut
MAX_CALLS_PER_REPLY = 16  # tool calls run from one model reply; later ones get an error result

_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_SPECIAL = re.compile(r'[\\"\[\]{}]')  # the characters that decide nesting: quotes, escapes, brackets


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


@dataclass
class ToolLoopResult:
    """What `run_tool_loop` returns.

    `text` is the model's final answer ("" when the loop stopped at the step limit),
    `messages` the whole conversation (ready to send again), `tool_calls` every call made,
    `stopped_reason` "finished" or "max_steps", `steps` the number of model calls, `note` a
    sentence saying why it stopped when it did not finish. `str(result)` is the text (or the note).

    Example:
        >>> result = ToolLoopResult(text="London costs $799.", messages=[], steps=2)
        >>> print(result), result.stopped_reason
        London costs $799.
        (None, 'finished')
    """

    text: str
    messages: list[dict[str, Any]]
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    stopped_reason: Literal["finished", "max_steps"] = "finished"
    steps: int = 0
    note: str = ""

    def __str__(self) -> str:
        return self.text or self.note


def run_tool_loop(
    client: Any,
    *,
    model: str,
    messages: str | list[dict[str, Any]],
    tools: Sequence[Callable[..., Any]] | Mapping[str, Callable[..., Any]],
    max_steps: int = 5,
    max_calls_per_reply: int = MAX_CALLS_PER_REPLY,
    max_result_chars: int = MAX_RESULT_CHARS,
    **create_kwargs: Any,
) -> ToolLoopResult:
    """Chat with tools: call the model, run the tools it asks for, repeat until it answers in text.

    Each step is `client.chat.completions.create(model=model, messages=messages, tools=schemas,
    **create_kwargs)` with an OpenAI-compatible client. For every tool call in a reply the tool
    runs and a `tool` message with its result is appended (non-string results are JSON-encoded).
    Failures become the tool's result, as "Error: ..." text the model can react to. After
    `max_steps` model calls the loop stops with `stopped_reason == "max_steps"` and a warning,
    keeping the whole history in `result.messages`. Your `messages` list is not modified.
    Only the first `max_calls_per_reply` calls of one reply run (the others are answered
    "Error: too many calls ..."), and each result is cut to `max_result_chars` characters.

    Example:
        >>> result = run_tool_loop(openai_client, model=MODELS["openai"], tools=[get_ticket_price],
        ...                        messages=[{"role": "user", "content": "How much is a ticket to London?"}])  # doctest: +SKIP
        >>> result.text, [call.name for call in result.tool_calls]                         # doctest: +SKIP
        ('A return ticket to London costs $799.', ['get_ticket_price'])
    """
    _check_limits(max_steps, max_calls_per_reply, max_result_chars)
    if create_kwargs.get("stream"):
        raise ValueError("run_tool_loop does not stream: leave out stream=True")
    functions = _tool_table(tools)
    schemas = [tool_schema(func, name=tool_name) for tool_name, func in functions.items()]
    history: list[dict[str, Any]] = (
        [{"role": "user", "content": messages}] if isinstance(messages, str) else list(messages)
    )
    records: list[ToolCallRecord] = []
    text = ""
    for step in range(1, max_steps + 1):
        try:
            response = client.chat.completions.create(model=model, messages=history, tools=schemas, **create_kwargs)
        except Exception as err:
            err.add_note(
                f"run_tool_loop: model call {step} failed; tool calls made before it: {[r.name for r in records]}"
            )
            add_model_note(err)  # a retired model: name its replacement
            raise
        if not response.choices:
            raise RuntimeError(f"the model's reply at step {step} had no choices: {response!r:.300}")
        message = response.choices[0].message
        text = message.content or ""
        calls = message.tool_calls or []
        assistant: dict[str, Any] = {"role": "assistant", "content": message.content}
        if calls:
            assistant["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.function.name, "arguments": call.function.arguments},
                }
                for call in calls
            ]
        history.append(assistant)
        if not calls:
            return ToolLoopResult(text=text, messages=history, tool_calls=records, steps=step)
        for index, call in enumerate(calls):
            record = _run_tool_call(
                functions,
                call.function.name,
                call.function.arguments,
                call.id,
                refused=_too_many(index, len(calls), max_calls_per_reply),
                max_result_chars=max_result_chars,
            )
            records.append(record)
            history.append({"role": "tool", "tool_call_id": call.id, "content": record.result})
    return _stopped(text, history, records, max_steps, {call.function.name for call in calls})


def run_anthropic_tool_loop(
    client: Any,
    *,
    model: str,
    messages: str | list[dict[str, Any]],
    tools: Sequence[Callable[..., Any]] | Mapping[str, Callable[..., Any]],
    system: str | None = None,
    max_tokens: int = 1024,
    max_steps: int = 5,
    max_calls_per_reply: int = MAX_CALLS_PER_REPLY,
    max_result_chars: int = MAX_RESULT_CHARS,
    **create_kwargs: Any,
) -> ToolLoopResult:
    """`run_tool_loop` for Anthropic's Messages API (`client.messages.create(...)`).

    Tools are sent in Anthropic's format; each `tool_use` block runs its tool and the results go
    back in one user message of `tool_result` blocks (`is_error` set for failures). Same result,
    same error handling and step limit as `run_tool_loop`.

    Example:
        >>> result = run_anthropic_tool_loop(claude, model=MODELS["anthropic_small"], tools=[get_ticket_price],
        ...                                  messages="How much is a ticket to London?")    # doctest: +SKIP
        >>> result.tool_calls[0].arguments                                                   # doctest: +SKIP
        {'destination_city': 'London'}
    """
    _check_limits(max_steps, max_calls_per_reply, max_result_chars)
    if create_kwargs.get("stream"):
        raise ValueError("run_anthropic_tool_loop does not stream: leave out stream=True")
    functions = _tool_table(tools)
    schemas = [tool_schema(func, "anthropic", name=tool_name) for tool_name, func in functions.items()]
    history: list[dict[str, Any]] = (
        [{"role": "user", "content": messages}] if isinstance(messages, str) else list(messages)
    )
    if system is not None:
        create_kwargs["system"] = system
    records: list[ToolCallRecord] = []
    text = ""
    for step in range(1, max_steps + 1):
        try:
            response = client.messages.create(
                model=model, max_tokens=max_tokens, messages=history, tools=schemas, **create_kwargs
            )
        except Exception as err:
            err.add_note(
                f"run_anthropic_tool_loop: model call {step} failed; tool calls made before it: {[r.name for r in records]}"
            )
            add_model_note(err)  # a retired model: name its replacement
            raise
        text = "".join(block.text for block in response.content if block.type == "text")
        uses = [block for block in response.content if block.type == "tool_use"]
        history.append({"role": "assistant", "content": [_block_dict(block) for block in response.content]})
        if not uses:
            return ToolLoopResult(text=text, messages=history, tool_calls=records, steps=step)
        results = []
        for index, use in enumerate(uses):
            record = _run_tool_call(
                functions,
                use.name,
                use.input,
                use.id,
                refused=_too_many(index, len(uses), max_calls_per_reply),
                max_result_chars=max_result_chars,
            )
            records.append(record)
            result = {"type": "tool_result", "tool_use_id": use.id, "content": record.result}
            if record.error:
                result["is_error"] = True
            results.append(result)
        history.append({"role": "user", "content": results})
    return _stopped(text, history, records, max_steps, {use.name for use in uses})


def _block_dict(block: Any) -> dict[str, Any]:
    # Send back only what the API accepts as input (response blocks carry extra output fields).
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return block.model_dump(exclude_none=True)  # thinking blocks go back as they came


def _stopped(
    text: str, history: list[dict[str, Any]], records: list[ToolCallRecord], max_steps: int, still_calling: set[str]
) -> ToolLoopResult:
    note = (
        f"the tool loop stopped after {max_steps} model calls: the model still wanted to call tools "
        f"({', '.join(sorted(still_calling))}). Their results are in result.messages; call the loop again "
        "with messages=result.messages to go on, or raise max_steps."
    )
    warnings.warn(note, stacklevel=3)
    return ToolLoopResult(
        text=text, messages=history, tool_calls=records, stopped_reason="max_steps", steps=max_steps, note=note
    )


# --- running one tool call -------------------------------------------------------------------


def _tool_table(
    tools: Sequence[Callable[..., Any]] | Mapping[str, Callable[..., Any]],
) -> dict[str, Callable[..., Any]]:
    if isinstance(tools, Mapping):
        table = dict(tools)
    else:
        table = {}
        for func in tools:
            tool_name = getattr(func, "__name__", None)
            if not tool_name or tool_name == "<lambda>":
                raise ValueError(f"{func!r} has no usable name: pass tools as a dict {{name: function}}")
            table[tool_name] = func
    for tool_name, func in table.items():
        if not callable(func):
            raise TypeError(f"tool {tool_name!r} is a {type(func).__name__}, not a function")
    if not table:
        raise ValueError("run_tool_loop needs at least one tool")
    return table


def _check_limits(max_steps: int, max_calls_per_reply: int, max_result_chars: int) -> None:
    for label, value in (
        ("max_steps", max_steps),
        ("max_calls_per_reply", max_calls_per_reply),
        ("max_result_chars", max_result_chars),
    ):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a whole number of at least 1, got {value!r}")


def _too_many(index: int, count: int, limit: int) -> str | None:
    if index < limit:
        return None
    return (
        f"too many calls in one reply ({count}): only the first {limit} ran. "
        "Ask for the rest in your next reply if you still need them."
    )


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


def _run_tool_call(
    functions: Mapping[str, Callable[..., Any]],
    name: str,
    raw_arguments: Any,
    call_id: str | None,
    *,
    refused: str | None = None,
    max_result_chars: int = MAX_RESULT_CHARS,
) -> ToolCallRecord:
    def failed(message: str, arguments: Any = raw_arguments) -> ToolCallRecord:
        message = _cut(message, max_result_chars)
        return ToolCallRecord(name=name, arguments=arguments, result=f"Error: {message}", error=message, id=call_id)

    if refused is not None:
        return failed(refused)
    func = functions.get(name)
    if func is None:
        return failed(f"there is no tool named {_cut(repr(name), 100)}. Available tools: {', '.join(functions)}.")
    arguments, problem = _parse_arguments(name, raw_arguments)
    if problem is not None:
        return failed(f"{problem}. {_usage(name, func)}", arguments)
    if not isinstance(arguments, dict):
        return failed(
            f"the arguments for {name} must be a JSON object, got {type(arguments).__name__}. {_usage(name, func)}",
            arguments,
        )
    try:
        bound = inspect.signature(func).bind(**arguments)
    except TypeError as err:
        return failed(f"wrong arguments for {name}: {err}. {_usage(name, func)}", arguments)
    try:
        value = func(*bound.args, **_enum_members(func, bound.kwargs))
    except Exception as err:  # noqa: BLE001 - the model gets the error and can try again
        return failed(f"{name} raised {type(err).__name__}: {_safe_str(err)}", arguments)
    result, problem = _result_text(name, value)
    if problem is not None:
        return failed(problem, arguments)
    return ToolCallRecord(name=name, arguments=arguments, result=_cut(result, max_result_chars), id=call_id)


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
