"""Checking incoming requests and translating them into the engine's (OpenAI-shaped) arguments.

Every problem becomes an `ApiError` with an HTTP status and a message that says what to change;
each wire format (OpenAI, Ollama, Anthropic) renders it in its own error shape. Field types are
checked before any of this runs (fields.py).

Example:
    >>> openai_messages([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
    [{'role': 'user', 'content': 'Hi'}]
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "MAX_JSON_DEPTH",
    "ApiError",
    "StopDetector",
    "anthropic_to_openai",
    "ollama_to_openai",
    "openai_messages",
    "openai_response_format",
    "parse_json_body",
    "short_text",
]


class ApiError(Exception):
    """A client mistake: HTTP status, message, and the offending parameter if any."""

    def __init__(self, status: int, message: str, param: str | None = None, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.kind = status, message, param, kind


MAX_JSON_DEPTH = 64  # nesting levels in a request body; real requests (tool schemas included) use under 20


def parse_json_body(raw: bytes) -> dict[str, Any]:
    r"""Parse a request body that must be a JSON object, nested at most `MAX_JSON_DEPTH` levels deep,
    whose strings are all valid Unicode (no lone surrogates such as "\ud800").

    Example:
        >>> parse_json_body(b'{"a": 1}')
        {'a': 1}
        >>> parse_json_body(b'{"a": "\\ud800"}')  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        llmcourse.local.validation.ApiError: The request body holds a lone surrogate ('\ud800' at body.a), ...
    """
    try:
        body = json.loads(raw or b"")
    except RecursionError:
        raise ApiError(400, f"The request body is nested too deeply (the limit is {MAX_JSON_DEPTH} levels).") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, bad UTF-8, a number too long to convert
        reason = short_text(getattr(exc, "msg", None) or exc)
        raise ApiError(
            400,
            f"The request body is not valid JSON ({reason}). Send a JSON object with Content-Type: application/json.",
        ) from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    _check_tree(body)
    return body


def short_text(value: Any, limit: int = 200) -> str:
    r"""Text for an error message: ASCII only (no surrogates can break the response), cut to `limit`.

    Example:
        >>> short_text("caf\u00e9 \ud800", 20)
        'caf\\xe9 \\ud800'
    """
    text = value if isinstance(value, str) else str(value)
    text = text[:limit].encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "..."


def _bad_text(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_tree(body: Any) -> None:
    """Depth and Unicode checks over the whole parsed body, without recursion."""
    stack: list[tuple[Any, int, str]] = [(body, 0, "body")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, str):
            if _bad_text(node):
                surrogate = next(char for char in node if 0xD800 <= ord(char) <= 0xDFFF)
                raise ApiError(
                    400,
                    f"The request body holds a lone surrogate ({surrogate!a} at "
                    f"{short_text(where, 80)}), which is not valid Unicode text.",
                )
            continue
        if not isinstance(node, dict | list):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise ApiError(
                400,
                f"The request body is nested too deeply at {short_text(where, 80)} "
                f"(the limit is {MAX_JSON_DEPTH} levels).",
            )
        if isinstance(node, dict):
            for key, value in node.items():
                if _bad_text(key):
                    stack.append((key, depth, where))
                stack.append((value, depth + 1, f"{where}.{key}"))
        else:
            stack.extend((value, depth + 1, f"{where}[{index}]") for index, value in enumerate(node))


def _text_of(content: Any, where: str) -> str:
    """Flatten message content (a string, or a list of parts) to text; images become a marker."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict) and part.get("type") in ("text", "input_text"):
                pieces.append(str(part.get("text", "")))
            elif isinstance(part, dict) and part.get("type") in ("image_url", "image", "input_image"):
                pieces.append("[image: the local model cannot see images]")
            elif isinstance(part, dict) and part.get("type") == "tool_result":
                pieces.append(_text_of(part.get("content"), where))
            else:
                raise ApiError(400, f"Unsupported content part in {where}: {str(part)[:80]}", param=where)
        return "\n".join(pieces)
    raise ApiError(400, f"{where} must be a string or a list of content parts.", param=where)


_OPENAI_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


def openai_messages(messages: Any) -> list[dict[str, Any]]:
    """Validate OpenAI chat messages and reduce them to what the local chat template renders.

    Raises ApiError for: missing or empty `messages`, an unknown role, or a `tool` message that
    does not answer a preceding assistant `tool_calls`.

    Example:
        >>> openai_messages([{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}])[0]["role"]
        'system'
    """
    if messages is None:
        raise ApiError(400, "Missing required parameter: 'messages'.", param="messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list of {role, content} objects.", param="messages")
    result: list[dict[str, Any]] = []
    open_calls: dict[str, str] = {}  # tool_call_id -> tool name, for the latest assistant tool_calls
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict) or "role" not in message:
            raise ApiError(400, f"{where} must be an object with a 'role'.", param=where)
        role = message["role"]
        if role not in _OPENAI_ROLES:
            raise ApiError(
                400, f"{where}.role is {role!r}; expected one of {sorted(_OPENAI_ROLES)}.", param=f"{where}.role"
            )
        content = _text_of(message.get("content"), f"{where}.content")
        entry: dict[str, Any] = {"role": "system" if role == "developer" else role, "content": content}
        if role == "assistant" and message.get("tool_calls"):
            open_calls = {
                call.get("id", ""): (call.get("function") or {}).get("name", "tool")
                for call in message["tool_calls"]
                if isinstance(call, dict)
            }
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not open_calls or (call_id and call_id not in open_calls):
                raise ApiError(
                    400,
                    f"{where} has role 'tool' but does not answer a preceding assistant message with 'tool_calls' "
                    "(tool results must follow the assistant message that asked for them, with the same tool_call_id).",
                    param=f"{where}.role",
                )
            entry["name"] = open_calls.get(call_id or "", next(iter(open_calls.values())))
        elif role == "function":
            entry.update(role="tool", name=message.get("name", "tool"))
        result.append(entry)
    return result


def openai_response_format(response_format: Any) -> dict[str, Any] | None:
    """Translate OpenAI `response_format` into llama.cpp's grammar-constrained JSON mode.

    Example:
        >>> openai_response_format({"type": "json_object"})
        {'type': 'json_object'}
    """
    if not response_format:
        return None
    if not isinstance(response_format, dict) or "type" not in response_format:
        raise ApiError(400, "'response_format' must be an object with a 'type'.", param="response_format")
    kind = response_format["type"]
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise ApiError(
                400,
                "'response_format.json_schema.schema' must be a JSON schema object.",
                param="response_format.json_schema",
            )
        return {"type": "json_object", "schema": schema}
    raise ApiError(
        400,
        f"Unknown response_format type {kind!r}: use text, json_object or json_schema.",
        param="response_format.type",
    )


def anthropic_to_openai(body: dict[str, Any]) -> dict[str, Any]:
    """Validate an Anthropic Messages request and translate it to engine (OpenAI-shaped) arguments.

    Example:
        >>> anthropic_to_openai({"max_tokens": 5, "system": "Be brief", "messages": [{"role": "user", "content": "Hi"}]})["messages"][0]
        {'role': 'system', 'content': 'Be brief'}
    """
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        raise ApiError(400, "max_tokens: Field required", param="max_tokens")
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise ApiError(400, "max_tokens: must be a positive integer", param="max_tokens")
    messages = body.get("messages")
    if messages is None:
        raise ApiError(400, "messages: Field required", param="messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages: at least one message is required", param="messages")
    converted: list[dict[str, Any]] = []
    tool_names: dict[str, str] = {}  # tool_use id -> tool name
    system = body.get("system")
    if system:
        converted.append({"role": "system", "content": _text_of(system, "system")})
    for index, message in enumerate(messages):
        where = f"messages.{index}"
        if not isinstance(message, dict):
            raise ApiError(400, f"{where}: must be an object with role and content", param=where)
        role = message.get("role")
        if role not in ("user", "assistant"):
            hint = " (put the system prompt in the top-level `system` parameter)" if role == "system" else ""
            raise ApiError(400, f"{where}.role: Input should be 'user' or 'assistant'{hint}", param=f"{where}.role")
        if index == 0 and role != "user":
            raise ApiError(400, "messages: the first message must use the 'user' role", param="messages.0.role")
        content = message.get("content")
        if isinstance(content, list):
            tool_names.update(
                {
                    p.get("id", ""): p.get("name", "tool")
                    for p in content
                    if isinstance(p, dict) and p.get("type") == "tool_use"
                }
            )
            results = [p for p in content if isinstance(p, dict) and p.get("type") == "tool_result"]
            for part in results:
                converted.append(
                    {
                        "role": "tool",
                        "name": tool_names.get(part.get("tool_use_id", ""), "tool"),
                        "content": _text_of(part.get("content"), f"{where}.content"),
                    }
                )
            content = [p for p in content if not (isinstance(p, dict) and p.get("type") in ("tool_result", "tool_use"))]
            if results and not content:
                continue
        text = _text_of(content, f"{where}.content")
        if converted and converted[-1]["role"] == role:
            converted[-1]["content"] += "\n\n" + text  # the API merges consecutive turns of one role
        else:
            converted.append({"role": role, "content": text})
    result: dict[str, Any] = {"messages": converted, "max_tokens": max_tokens}
    for ours, theirs in (("temperature", "temperature"), ("top_p", "top_p"), ("top_k", "top_k")):
        if body.get(theirs) is not None:
            result[ours] = body[theirs]
    if body.get("tools"):
        result["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": tool.get("name"),
                    "description": tool.get("description", ""),
                    "parameters": tool.get("input_schema") or {"type": "object", "properties": {}},
                },
            }
            for tool in body["tools"]
        ]
        choice = body.get("tool_choice") or {"type": "auto"}
        kind = choice.get("type") if isinstance(choice, dict) else choice
        result["tool_choice"] = {"auto": "auto", "any": "required", "none": "none"}.get(
            kind, {"type": "function", "function": {"name": choice.get("name")}} if kind == "tool" else "auto"
        )
    return result


def ollama_to_openai(body: dict[str, Any], *, generate: bool = False) -> dict[str, Any]:
    """Validate an Ollama /api/chat (or /api/generate) request and translate it to engine arguments.

    Example:
        >>> ollama_to_openai({"model": "x", "prompt": "Hi"}, generate=True)["messages"]
        [{'role': 'user', 'content': 'Hi'}]
    """
    if generate:
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ApiError(400, "'prompt' is required and must be a non-empty string")
        messages = ([{"role": "system", "content": body["system"]}] if body.get("system") else []) + [
            {"role": "user", "content": prompt}
        ]
    else:
        raw = body.get("messages")
        if raw is None:
            raise ApiError(400, "'messages' is required")
        if not isinstance(raw, list) or not raw:
            raise ApiError(400, "'messages' must be a non-empty list")
        messages = []
        for index, message in enumerate(raw):
            if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant", "tool"):
                raise ApiError(400, f"messages[{index}]: role must be one of system, user, assistant, tool")
            text = _text_of(message.get("content"), f"messages[{index}].content")
            if message.get("images"):
                text += "\n[image: the local model cannot see images]"
            entry = {"role": message["role"], "content": text}
            if message["role"] == "tool":
                entry["name"] = message.get("tool_name") or message.get("name") or "tool"
            messages.append(entry)
    options = body.get("options") or {}
    result: dict[str, Any] = {"messages": messages}
    mapping = {
        "temperature": "temperature",
        "top_p": "top_p",
        "top_k": "top_k",
        "seed": "seed",
        "stop": "stop",
        "repeat_penalty": "repeat_penalty",
        "num_predict": "max_tokens",
    }
    for theirs, ours in mapping.items():
        if options.get(theirs) is not None:
            result[ours] = options[theirs]
    if result.get("max_tokens", 0) is not None and result.get("max_tokens", 0) < 0:
        result.pop("max_tokens")  # num_predict -1 means "no limit"
    fmt = body.get("format")
    if fmt == "json":
        result["response_format"] = {"type": "json_object"}
    elif isinstance(fmt, dict):
        result["response_format"] = {"type": "json_object", "schema": fmt}
    elif fmt not in (None, ""):
        raise ApiError(400, "'format' must be \"json\" or a JSON schema object")
    if body.get("tools") and not generate:
        result["tools"] = body["tools"]
        result["tool_choice"] = "auto"
    return result


class StopDetector:
    """Cut streamed text at the first stop sequence, holding back text that may be a sequence's start.

    Example:
        >>> d = StopDetector(["END"])
        >>> d.feed("abc E"), d.feed("ND more")
        (('abc ', None), ('', 'END'))
    """

    def __init__(self, sequences: list[str] | None) -> None:
        self.sequences = [s for s in (sequences or []) if s]
        self.buffer = ""
        self.hit: str | None = None

    def feed(self, text: str) -> tuple[str, str | None]:
        """Add text; return (text safe to emit, the stop sequence if one was reached)."""
        if self.hit is not None:
            return "", self.hit
        self.buffer += text
        found = [(self.buffer.find(seq), seq) for seq in self.sequences if seq in self.buffer]
        if found:
            position, self.hit = min(found)
            emit, self.buffer = self.buffer[:position], ""
            return emit, self.hit
        hold = max((len(seq) - 1 for seq in self.sequences), default=0)
        keep = 0
        for size in range(min(hold, len(self.buffer)), 0, -1):
            if any(seq.startswith(self.buffer[-size:]) for seq in self.sequences):
                keep = size
                break
        emit = self.buffer[: len(self.buffer) - keep]
        self.buffer = self.buffer[len(emit) :]
        return emit, None

    def flush(self) -> str:
        """The held-back text at the end of the stream."""
        rest, self.buffer = self.buffer, ""
        return "" if self.hit else rest
