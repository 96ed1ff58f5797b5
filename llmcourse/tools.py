"""Let a model call your Python functions: a tool schema from a function, and the tool-call loop.

`tool_schema(func)` reads the function's type hints and docstring and builds the JSON schema the
APIs want, so the schema cannot drift from the function. `run_tool_loop(...)` is the loop every
tool-using chatbot needs around `client.chat.completions.create(...)`: call the model, run every
tool it asks for, send the results back, repeat until it answers in text, at most `max_steps`
model calls. A tool that fails (bad JSON, wrong arguments, unknown name, an exception inside it)
does not crash the loop: the model gets "Error: ..." as the tool's result and can try again.

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
import types
import typing
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ToolCallRecord", "ToolLoopResult", "run_anthropic_tool_loop", "run_tool_loop", "tool_schema"]

_JSON_TYPES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
_ARRAY_ORIGINS = (list, tuple, set, frozenset, Sequence, typing.Sequence)
_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns?|Yields?|Raises|"
    r"Examples?|Notes?|See Also|Warnings?|Attributes|References|Todo):?\s*$",
    re.IGNORECASE,
)
_PARAMETER_SECTIONS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments"}
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def tool_schema(func: Callable[..., Any], fmt: Literal["openai", "anthropic"] = "openai", *, name: str | None = None) -> dict[str, Any]:
    """Build a tool definition for `func` from its type hints and docstring.

    Types: str, int, float, bool, list[...] (and tuple/set/Sequence), dict, Literal[...], Enum
    subclasses, Optional[...] / `X | None`, `Annotated[X, "description"]` and pydantic models.
    A parameter with a default is not required; one without a type hint is taken as a string.
    The docstring's text before its first section is the tool's description; parameter
    descriptions come from a Google-style `Args:` section, a NumPy-style `Parameters` section or
    reST `:param name:` lines. `fmt="openai"` gives `{"type": "function", "function": {...}}`,
    `fmt="anthropic"` gives `{"name", "description", "input_schema"}`. `name` overrides `func.__name__`.

    Example:
        >>> def add(a: int, b: int = 0) -> int:
        ...     '''Add two numbers.'''
        ...     return a + b
        >>> tool_schema(add, "anthropic")
        {'name': 'add', 'description': 'Add two numbers.', 'input_schema': {'type': 'object', 'properties': {'a': {'type': 'integer'}, 'b': {'type': 'integer', 'default': 0}}, 'required': ['a'], 'additionalProperties': False}}
    """
    tool_name = name or getattr(func, "__name__", None)
    if not tool_name or not _TOOL_NAME.match(tool_name):
        raise ValueError(
            f"a tool needs a name of letters, digits, _ or - (at most 64), got {tool_name!r}; "
            "use a def'd function or pass name=..."
        )
    description, parameter_docs = _parse_docstring(inspect.getdoc(func) or "")
    parameters = _parameters_schema(func, parameter_docs)
    if fmt == "anthropic":
        schema: dict[str, Any] = {"name": tool_name}
        if description:
            schema["description"] = description
        schema["input_schema"] = parameters
        return schema
    if fmt != "openai":
        raise ValueError(f"fmt must be 'openai' or 'anthropic', got {fmt!r}")
    function: dict[str, Any] = {"name": tool_name}
    if description:
        function["description"] = description
    function["parameters"] = parameters
    return {"type": "function", "function": function}


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
    **create_kwargs: Any,
) -> ToolLoopResult:
    """Chat with tools: call the model, run the tools it asks for, repeat until it answers in text.

    Each step is `client.chat.completions.create(model=model, messages=messages, tools=schemas,
    **create_kwargs)` with an OpenAI-compatible client. For every tool call in a reply the tool
    runs and a `tool` message with its result is appended (non-string results are JSON-encoded).
    Failures become the tool's result, as "Error: ..." text the model can react to. After
    `max_steps` model calls the loop stops with `stopped_reason == "max_steps"` and a warning,
    keeping the whole history in `result.messages`. Your `messages` list is not modified.

    Example:
        >>> result = run_tool_loop(openai_client, model="gpt-4o-mini", tools=[get_ticket_price],
        ...                        messages=[{"role": "user", "content": "How much is a ticket to London?"}])  # doctest: +SKIP
        >>> result.text, [call.name for call in result.tool_calls]                         # doctest: +SKIP
        ('A return ticket to London costs $799.', ['get_ticket_price'])
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps!r}")
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
            err.add_note(f"run_tool_loop: model call {step} failed; tool calls made before it: {[r.name for r in records]}")
            raise
        if not response.choices:
            raise RuntimeError(f"the model's reply at step {step} had no choices: {response!r:.300}")
        message = response.choices[0].message
        text = message.content or ""
        calls = message.tool_calls or []
        assistant: dict[str, Any] = {"role": "assistant", "content": message.content}
        if calls:
            assistant["tool_calls"] = [
                {"id": call.id, "type": "function",
                 "function": {"name": call.function.name, "arguments": call.function.arguments}}
                for call in calls
            ]
        history.append(assistant)
        if not calls:
            return ToolLoopResult(text=text, messages=history, tool_calls=records, steps=step)
        for call in calls:
            record = _run_tool_call(functions, call.function.name, call.function.arguments, call.id)
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
    **create_kwargs: Any,
) -> ToolLoopResult:
    """`run_tool_loop` for Anthropic's Messages API (`client.messages.create(...)`).

    Tools are sent in Anthropic's format; each `tool_use` block runs its tool and the results go
    back in one user message of `tool_result` blocks (`is_error` set for failures). Same result,
    same error handling and step limit as `run_tool_loop`.

    Example:
        >>> result = run_anthropic_tool_loop(claude, model="claude-haiku-4-5", tools=[get_ticket_price],
        ...                                  messages="How much is a ticket to London?")    # doctest: +SKIP
        >>> result.tool_calls[0].arguments                                                   # doctest: +SKIP
        {'destination_city': 'London'}
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be at least 1, got {max_steps!r}")
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
            err.add_note(f"run_anthropic_tool_loop: model call {step} failed; tool calls made before it: {[r.name for r in records]}")
            raise
        text = "".join(block.text for block in response.content if block.type == "text")
        uses = [block for block in response.content if block.type == "tool_use"]
        history.append({"role": "assistant", "content": [_block_dict(block) for block in response.content]})
        if not uses:
            return ToolLoopResult(text=text, messages=history, tool_calls=records, steps=step)
        results = []
        for use in uses:
            record = _run_tool_call(functions, use.name, use.input, use.id)
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


def _stopped(text: str, history: list[dict[str, Any]], records: list[ToolCallRecord], max_steps: int,
             still_calling: set[str]) -> ToolLoopResult:
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


def _tool_table(tools: Sequence[Callable[..., Any]] | Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
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


def _run_tool_call(functions: Mapping[str, Callable[..., Any]], name: str, raw_arguments: Any, call_id: str | None) -> ToolCallRecord:
    def failed(message: str, arguments: Any = raw_arguments) -> ToolCallRecord:
        return ToolCallRecord(name=name, arguments=arguments, result=f"Error: {message}", error=message, id=call_id)

    func = functions.get(name)
    if func is None:
        return failed(f"there is no tool named {name!r}. Available tools: {', '.join(functions)}.")
    if isinstance(raw_arguments, str):
        try:
            arguments = json.loads(raw_arguments) if raw_arguments.strip() else {}
        except json.JSONDecodeError as err:
            return failed(f"the arguments for {name} are not valid JSON ({err}). {_usage(name, func)}")
    else:
        arguments = raw_arguments or {}
    if not isinstance(arguments, dict):
        return failed(f"the arguments for {name} must be a JSON object, got {type(arguments).__name__}. {_usage(name, func)}", arguments)
    try:
        bound = inspect.signature(func).bind(**arguments)
    except TypeError as err:
        return failed(f"wrong arguments for {name}: {err}. {_usage(name, func)}", arguments)
    try:
        value = func(*bound.args, **_enum_members(func, bound.kwargs))
    except Exception as err:  # noqa: BLE001 - the model gets the error and can try again
        return failed(f"{name} raised {type(err).__name__}: {err}", arguments)
    result = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return ToolCallRecord(name=name, arguments=arguments, result=result, id=call_id)


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


# --- schema from type hints ------------------------------------------------------------------


def _parameters_schema(func: Callable[..., Any], parameter_docs: dict[str, str]) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception as err:
        raise TypeError(
            f"cannot read the type hints of {getattr(func, '__name__', func)!r} ({err}); "
            "define the types it uses at the top level of the module or notebook"
        ) from err
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue  # a model cannot fill *args / **kwargs
        hint = hints.get(param.name, inspect.Parameter.empty)
        try:
            schema = {"type": "string"} if hint is inspect.Parameter.empty else _json_schema(hint)
        except TypeError as err:
            raise TypeError(f"parameter {param.name!r} of {getattr(func, '__name__', func)!r}: {err}") from None
        if param.name in parameter_docs and "description" not in schema:
            schema["description"] = parameter_docs[param.name]
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
        else:
            default = param.default.value if isinstance(param.default, enum.Enum) else param.default
            if default is not None and _is_json(default):
                schema["default"] = json.loads(json.dumps(default))  # a tuple default is a JSON list
        properties[param.name] = schema
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _json_schema(hint: Any) -> dict[str, Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        schema = _json_schema(args[0])
        notes = [note for note in args[1:] if isinstance(note, str)]
        if notes:
            schema["description"] = " ".join(notes)
        return schema
    if hint in _JSON_TYPES:
        return {"type": _JSON_TYPES[hint]}
    if hint is Any:
        return {}
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in args if arg is not type(None)]
        if len(options) == 1:  # Optional[X]: X, optional when it has a default
            return _json_schema(options[0])
        return {"anyOf": [_json_schema(arg) for arg in args]}
    if origin is Literal:
        return {**_enum_type(args), "enum": list(args)}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        values = [member.value for member in hint]
        return {**_enum_type(values), "enum": values}
    if hint in (list, tuple, set, frozenset) or origin in _ARRAY_ORIGINS:
        schema: dict[str, Any] = {"type": "array"}
        item_types = [arg for arg in args if arg is not Ellipsis]
        if len(set(item_types)) == 1:
            schema["items"] = _json_schema(item_types[0])
        return schema
    if hint is dict or origin in (dict, Mapping, typing.Mapping):
        return {"type": "object"}
    if isinstance(hint, type) and hasattr(hint, "model_json_schema"):  # a pydantic model
        return hint.model_json_schema()
    raise TypeError(
        f"{hint!r} has no JSON schema here; use str, int, float, bool, list[...], dict, Literal[...], "
        "an Enum or a pydantic model"
    )


def _enum_type(values: Sequence[Any]) -> dict[str, str]:
    kinds = {_JSON_TYPES.get(type(value)) for value in values}
    return {"type": kinds.pop()} if len(kinds) == 1 and None not in kinds else {}


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


# --- docstrings ------------------------------------------------------------------------------


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(description, {parameter: description}) from a Google, NumPy or reST docstring."""
    lines = doc.splitlines()
    description: list[str] = []
    parameter_docs: dict[str, str] = {}
    index = 0
    while index < len(lines):  # the prose before the first section
        line = lines[index]
        if _is_section_header(lines, index) or line.lstrip().startswith((":param", ":return", ":raises", ">>>")):
            break
        description.append(line.strip())
        index += 1
    while index < len(lines):
        header = lines[index].strip().rstrip(":").lower()
        if not _is_section_header(lines, index):
            match = re.match(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$", lines[index])
            if match:
                parameter_docs[match.group(1)], index = _continued(lines, index + 1, match.group(2), indent=None)
            else:
                index += 1
            continue
        index += 2 if _is_numpy_underline(lines, index + 1) else 1
        if header not in _PARAMETER_SECTIONS:
            continue
        numpy_style = _is_numpy_underline(lines, index - 1)
        while index < len(lines) and not _is_section_header(lines, index):
            line = lines[index]
            entry = (
                re.match(r"^(\s*)\*{0,2}(\w+)\s*(?::.*)?$", line) if numpy_style
                else re.match(r"^(\s*)\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", line)
            )
            if not line.strip() or entry is None:
                index += 1
                continue
            first = "" if numpy_style else entry.group(3)
            parameter_docs[entry.group(2)], index = _continued(lines, index + 1, first, indent=len(entry.group(1)))
    text = " ".join(" ".join(description).split())
    return text, parameter_docs


def _continued(lines: list[str], index: int, first: str, *, indent: int | None) -> tuple[str, int]:
    """Join an entry's first line with the more-indented lines after it."""
    parts = [first.strip()] if first.strip() else []
    while index < len(lines) and lines[index].strip() and not _is_section_header(lines, index):
        line = lines[index]
        line_indent = len(line) - len(line.lstrip())
        if indent is not None and line_indent <= indent:
            break
        if indent is None and line.lstrip().startswith(":"):
            break
        parts.append(line.strip())
        index += 1
    return " ".join(parts), index


def _is_section_header(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _is_numpy_underline(lines, index + 1) and line.strip():
        return True
    return line == line.lstrip() and bool(_SECTION.match(line.strip())) and line.strip().endswith(":")


def _is_numpy_underline(lines: list[str], index: int) -> bool:
    return 0 <= index < len(lines) and bool(re.match(r"^\s*-{3,}\s*$", lines[index]))
