"""Every field a chat route reads, type-checked before any of it is used: a 400 that names the field, never a 500.

A wrongly typed value (`"temperature": "hot"`, `"tools": "abc"`, `"stop": {}`, `"top_p": [1]`,
`"seed": "s"`) would otherwise reach code that assumes the right type and fail there. Unknown fields
are ignored, as the real APIs do; `null` counts as absent.

Example:
    >>> check_request("/api/chat", {"model": "m", "options": {"num_predict": 5}}) is None
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from llmcourse.local.validation import ApiError, short_text

__all__ = ["CHECKED_ROUTES", "check_request"]

Rule = tuple[Callable[[Any], bool], str]  # (test, what the field must be)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**64


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and abs(value) < 1e300
    )


def _number(low: float | None = None, high: float | None = None) -> Rule:
    what = "a number" if low is None else f"a number from {low:g}" + (f" to {high:g}" if high is not None else " up")
    return (lambda v: _is_number(v) and (low is None or v >= low) and (high is None or v <= high)), what


def _strings(limit: int = 64) -> Rule:
    return (
        lambda v: isinstance(v, list) and len(v) <= limit and all(isinstance(x, str) for x in v)
    ), f"a list of at most {limit} strings"


_INT: Rule = (_is_int, "a whole number")
_POSITIVE_INT: Rule = (lambda v: _is_int(v) and v >= 1, "a whole number of at least 1")
_TOP_K: Rule = (lambda v: _is_int(v) and 0 <= v <= 1_000_000, "a whole number from 0 to 1000000")
_BOOL: Rule = (lambda v: isinstance(v, bool), "true or false")
_STR: Rule = (lambda v: isinstance(v, str), "a string")
_OBJECT: Rule = (lambda v: isinstance(v, dict), "an object")
_LIST: Rule = (lambda v: isinstance(v, list), "a list")
_STOP: Rule = (lambda v: isinstance(v, str) or _strings(16)[0](v), "a string or a list of at most 16 strings")
_STR_OR_OBJECT: Rule = (lambda v: isinstance(v, str | dict), "a string or an object")
_CONTENT: Rule = (lambda v: isinstance(v, str | list), "a string or a list of content parts")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {short_text(repr(value), 40)}"
    if isinstance(value, str):
        return f"the string {short_text(repr(value), 60)}"
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def _fields(obj: dict[str, Any], where: str, rules: dict[str, Rule], required: tuple[str, ...] = ()) -> None:
    """Check the fields of `obj` that are present and not null against `rules`; `required` must be present."""
    for name in required:
        if obj.get(name) is None:
            raise ApiError(400, f"{where}{name}: Field required.", param=f"{where}{name}")
    for name, (test, what) in rules.items():
        value = obj.get(name)
        if value is not None and not test(value):
            raise ApiError(400, f"{where}{name} must be {what}; got {_describe(value)}.", param=f"{where}{name}")


def _objects(value: Any, where: str) -> list[dict[str, Any]]:
    """A list whose items must all be objects (None counts as an empty list)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, f"{where} must be a list; got {_describe(value)}.", param=where)
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ApiError(
                400, f"{where}[{index}] must be an object; got {_describe(item)}.", param=f"{where}[{index}]"
            )
    return value


_SCHEMA_RULES: dict[str, Rule] = {
    "type": ((lambda v: isinstance(v, str) or _strings(16)[0](v)), "a string or a list of strings"),
    "properties": _OBJECT,
    "required": _strings(1000),
    "description": _STR,
    "title": _STR,
}


def _schema(schema: Any, where: str) -> None:
    """A JSON schema's top level, as far as the server reads it (properties, required, types)."""
    if schema is None:
        return
    if not isinstance(schema, dict):
        raise ApiError(400, f"{where} must be a JSON schema object; got {_describe(schema)}.", param=where)
    _fields(schema, f"{where}.", _SCHEMA_RULES)
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            raise ApiError(
                400,
                f"{where}.properties.{short_text(name, 60)} must be a JSON schema object; got {_describe(spec)}.",
                param=f"{where}.properties",
            )
        _fields(spec, f"{where}.properties.{short_text(name, 60)}.", _SCHEMA_RULES)


def _parts(content: Any, where: str, rules: dict[str, Rule]) -> None:
    """Content given as a list of parts: each a string or an object with a string `type`."""
    if not isinstance(content, list):
        return
    for index, part in enumerate(content):
        if isinstance(part, str):
            continue
        if not isinstance(part, dict):
            raise ApiError(
                400,
                f"{where}[{index}] must be a content part object; got {_describe(part)}.",
                param=f"{where}[{index}]",
            )
        _fields(part, f"{where}[{index}].", {"type": _STR, **rules}, required=("type",))


_OPENAI_RULES: dict[str, Rule] = {
    "model": _STR,
    "messages": _LIST,
    "max_tokens": _POSITIVE_INT,
    "max_completion_tokens": _POSITIVE_INT,
    "temperature": _number(0, 2),
    "top_p": _number(0, 1),
    "n": _POSITIVE_INT,
    "seed": _INT,
    "stop": _STOP,
    "presence_penalty": _number(-2, 2),
    "frequency_penalty": _number(-2, 2),
    "stream": _BOOL,
    "stream_options": _OBJECT,
    "response_format": _OBJECT,
    "tools": _LIST,
    "tool_choice": _STR_OR_OBJECT,
    "parallel_tool_calls": _BOOL,
    "logprobs": _BOOL,
    "top_logprobs": (lambda v: _is_int(v) and 0 <= v <= 20, "a whole number from 0 to 20"),
    "user": _STR,
    "reasoning_effort": _STR,
    "metadata": _OBJECT,
    "store": _BOOL,
    "logit_bias": _OBJECT,
    "service_tier": _STR,
    "verbosity": _STR,
    "prompt_cache_key": _STR,
}


def _openai(body: dict[str, Any]) -> None:
    _fields(body, "", _OPENAI_RULES)
    for index, message in enumerate(_objects(body.get("messages"), "messages")):
        where = f"messages[{index}]"
        _fields(
            message,
            f"{where}.",
            {"role": _STR, "content": _CONTENT, "name": _STR, "tool_call_id": _STR, "tool_calls": _LIST},
        )
        _parts(message.get("content"), f"{where}.content", {"text": _STR, "image_url": _STR_OR_OBJECT})
        for number, call in enumerate(_objects(message.get("tool_calls"), f"{where}.tool_calls")):
            _fields(call, f"{where}.tool_calls[{number}].", {"id": _STR, "type": _STR, "function": _OBJECT})
            _fields(
                call.get("function") or {}, f"{where}.tool_calls[{number}].function.", {"name": _STR, "arguments": _STR}
            )
    _fields(body.get("stream_options") or {}, "stream_options.", {"include_usage": _BOOL})
    response_format = body.get("response_format") or {}
    _fields(response_format, "response_format.", {"type": _STR, "json_schema": _OBJECT})
    _fields(
        response_format.get("json_schema") or {},
        "response_format.json_schema.",
        {"name": _STR, "schema": _OBJECT, "strict": _BOOL, "description": _STR},
    )
    for index, tool in enumerate(_objects(body.get("tools"), "tools")):
        _fields(tool, f"tools[{index}].", {"type": _STR, "function": _OBJECT}, required=("function",))
        function = tool["function"]
        _fields(
            function,
            f"tools[{index}].function.",
            {"name": _STR, "description": _STR, "strict": _BOOL},
            required=("name",),
        )
        _schema(function.get("parameters"), f"tools[{index}].function.parameters")
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        _fields(choice, "tool_choice.", {"type": _STR, "function": _OBJECT})
        _fields(choice.get("function") or {}, "tool_choice.function.", {"name": _STR})


_ANTHROPIC_RULES: dict[str, Rule] = {
    "model": _STR,
    "max_tokens": _POSITIVE_INT,
    "messages": _LIST,
    "system": _CONTENT,
    "temperature": _number(0, 1),
    "top_p": _number(0, 1),
    "top_k": _TOP_K,
    "stop_sequences": _strings(),
    "stream": _BOOL,
    "tools": _LIST,
    "tool_choice": _OBJECT,
    "metadata": _OBJECT,
    "thinking": _OBJECT,
    "service_tier": _STR,
}
_ANTHROPIC_BLOCK: dict[str, Rule] = {
    "text": _STR,
    "id": _STR,
    "name": _STR,
    "input": _OBJECT,
    "tool_use_id": _STR,
    "content": _CONTENT,
    "is_error": _BOOL,
    "source": _OBJECT,
    "cache_control": _OBJECT,
}


def _anthropic(body: dict[str, Any]) -> None:
    _fields(body, "", _ANTHROPIC_RULES)
    _parts(body.get("system"), "system", {"text": _STR, "cache_control": _OBJECT})
    for index, message in enumerate(_objects(body.get("messages"), "messages")):
        where = f"messages.{index}"
        _fields(message, f"{where}.", {"role": _STR, "content": _CONTENT})
        _parts(message.get("content"), f"{where}.content", _ANTHROPIC_BLOCK)
        for number, block in enumerate(message.get("content") if isinstance(message.get("content"), list) else []):
            if isinstance(block, dict):
                _parts(block.get("content"), f"{where}.content[{number}].content", {"text": _STR})
    for index, tool in enumerate(_objects(body.get("tools"), "tools")):
        _fields(
            tool,
            f"tools.{index}.",
            {"name": _STR, "description": _STR, "type": _STR, "input_schema": _OBJECT, "cache_control": _OBJECT},
        )
        _schema(tool.get("input_schema"), f"tools.{index}.input_schema")
    _fields(
        body.get("tool_choice") or {}, "tool_choice.", {"type": _STR, "name": _STR, "disable_parallel_tool_use": _BOOL}
    )


_OLLAMA_RULES: dict[str, Rule] = {
    "model": _STR,
    "messages": _LIST,
    "prompt": _STR,
    "system": _STR,
    "suffix": _STR,
    "template": _STR,
    "raw": _BOOL,
    "images": _strings(100),
    "context": (lambda v: isinstance(v, list) and all(_is_int(x) for x in v), "a list of whole numbers"),
    "stream": _BOOL,
    "format": _STR_OR_OBJECT,
    "keep_alive": (lambda v: isinstance(v, str) or _is_number(v), "a duration string or a number of seconds"),
    "think": (lambda v: isinstance(v, bool | str), "true, false or a level string"),
    "options": _OBJECT,
    "tools": _LIST,
}
_OLLAMA_OPTIONS: dict[str, Rule] = {
    "temperature": _number(0, 100),
    "top_p": _number(0, 1),
    "top_k": _TOP_K,
    "min_p": _number(0, 1),
    "seed": _INT,
    "stop": _STOP,
    "repeat_penalty": _number(0, 100),
    "presence_penalty": _number(-100, 100),
    "frequency_penalty": _number(-100, 100),
    "num_predict": _INT,
    "num_ctx": _POSITIVE_INT,
    "repeat_last_n": _INT,
    "typical_p": _number(0, 1),
}


def _ollama(body: dict[str, Any]) -> None:
    _fields(body, "", _OLLAMA_RULES)
    _fields(body.get("options") or {}, "options.", _OLLAMA_OPTIONS)
    if isinstance(body.get("format"), dict):
        _schema(body["format"], "format")
    for index, message in enumerate(_objects(body.get("messages"), "messages")):
        where = f"messages[{index}]"
        _fields(
            message,
            f"{where}.",
            {
                "role": _STR,
                "content": _CONTENT,
                "images": _strings(100),
                "tool_calls": _LIST,
                "tool_name": _STR,
                "name": _STR,
                "thinking": _STR,
            },
        )
        _parts(message.get("content"), f"{where}.content", {"text": _STR})
    for index, tool in enumerate(_objects(body.get("tools"), "tools")):
        _fields(tool, f"tools[{index}].", {"type": _STR, "function": _OBJECT}, required=("function",))
        _fields(tool["function"], f"tools[{index}].function.", {"name": _STR, "description": _STR}, required=("name",))
        _schema(tool["function"].get("parameters"), f"tools[{index}].function.parameters")


_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "/v1/chat/completions": _openai,
    "/v1/messages": _anthropic,
    "/api/chat": _ollama,
    "/api/generate": _ollama,
}
CHECKED_ROUTES = frozenset(_CHECKS)  # the POST routes whose JSON bodies check_request knows


def check_request(path: str, body: dict[str, Any]) -> None:
    """Type-check the fields the route at `path` reads (unknown fields are ignored, as the real APIs do).

    Raises ApiError(400) naming the first wrongly typed field and what it must be.

    Example:
        >>> check_request("/v1/chat/completions", {"model": "m", "messages": [], "temperature": "hot"})
        Traceback (most recent call last):
        ...
        llmcourse.local.validation.ApiError: temperature must be a number from 0 to 2; got the string 'hot'.
        >>> check_request("/api/chat", {"model": "m", "options": {"num_predict": 5}}) is None
        True
    """
    check = _CHECKS.get(path)
    if check is not None:
        check(body)
