"""The Anthropic Messages wire format: /v1/messages, plain and as the SSE event sequence.

Streaming follows Anthropic's sequence (message_start, content_block_start, ping,
content_block_delta..., content_block_stop, message_delta, message_stop), so
`client.messages.stream(...).text_stream` works unchanged.

Example:
    >>> import anthropic
    >>> anthropic.Anthropic(base_url=server.anthropic_url, api_key="x").messages.create(...)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import uuid
from contextlib import aclosing
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from llmcourse.local.engine import ContextLengthError
from llmcourse.local.generation import complete, stream
from llmcourse.local.provider_rules import check_anthropic_fields
from llmcourse.local.validation import ApiError, StopDetector, anthropic_to_openai, parse_json_body

__all__ = ["anthropic_error", "routes"]

_THINKING_TYPES = ("enabled", "disabled", "adaptive", "between_tools")  # the anthropic package's ThinkingConfigParam
_MAX_BREAKPOINTS = 4  # Anthropic's limit on blocks with cache_control

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
}


def anthropic_error(error: ApiError) -> JSONResponse:
    """An error in Anthropic's shape: {"type": "error", "error": {"type", "message"}}.

    Example:
        >>> anthropic_error(ApiError(400, "bad")).status_code
        400
    """
    kind = _ERROR_TYPES.get(error.status, "invalid_request_error")
    return JSONResponse({"type": "error", "error": {"type": kind, "message": error.message}}, status_code=error.status)


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"


def _tool_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = []
    for call in message.get("tool_calls") or []:
        try:
            arguments = json.loads(call["function"].get("arguments") or "{}")
        except json.JSONDecodeError:
            arguments = {}
        blocks.append(
            {
                "type": "tool_use",
                "id": f"toolu_{uuid.uuid4().hex[:24]}",
                "name": call["function"]["name"],
                "input": arguments,
            }
        )
    return blocks


def _check_thinking(body: dict[str, Any]) -> bool:
    """Validate `thinking` as Anthropic does; True when thinking was asked for (the local model does not think)."""
    thinking = body.get("thinking")
    if thinking is None:
        return False
    if not isinstance(thinking, dict) or thinking.get("type") not in _THINKING_TYPES:
        raise ApiError(400, f"thinking: type must be one of {', '.join(_THINKING_TYPES)}", param="thinking")
    if thinking["type"] == "enabled":
        budget = thinking.get("budget_tokens")
        if isinstance(budget, bool) or not isinstance(budget, int):
            raise ApiError(400, "thinking.enabled.budget_tokens: Field required (an integer)", param="thinking")
        if budget < 1024:
            raise ApiError(
                400, "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024", param="thinking"
            )
        if budget >= body.get("max_tokens", 0):
            raise ApiError(
                400,
                "`max_tokens` must be greater than `thinking.budget_tokens`. Raise max_tokens or lower the budget.",
                param="max_tokens",
            )
    return thinking["type"] != "disabled"


def _cache_prefix(body: dict[str, Any]) -> tuple[list[str] | None, str]:
    """The request's texts, in prompt order, up to its last `cache_control` block (None without one), and its ttl.

    Order as Anthropic caches it: tools, then system, then messages. Tools are not part of the local
    model's prompt, so a breakpoint there covers no tokens.
    """
    blocks: list[tuple[str, Any]] = [
        ("", tool.get("cache_control")) for tool in body.get("tools") or [] if isinstance(tool, dict)
    ]
    system = body.get("system")
    parts = system if isinstance(system, list) else [{"type": "text", "text": system}] if system else []
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    for content in [parts] + [m.get("content") for m in messages]:
        for part in content if isinstance(content, list) else [{"type": "text", "text": content or ""}]:
            if not isinstance(part, dict):
                continue
            inner = part.get("content")
            text = (
                part.get("text")
                if part.get("type") == "text"
                else inner
                if isinstance(inner, str)
                else "\n".join(p.get("text", "") for p in inner if isinstance(p, dict))
                if isinstance(inner, list)
                else ""
            )
            blocks.append((str(text or ""), part.get("cache_control")))
    marked = [index for index, (_, control) in enumerate(blocks) if control is not None]
    for _, control in blocks:
        if control is not None and (
            not isinstance(control, dict)
            or control.get("type") != "ephemeral"
            or control.get("ttl", "5m") not in ("5m", "1h")
        ):
            raise ApiError(
                400,
                'cache_control: must be {"type": "ephemeral"} with an optional ttl of "5m" or "1h"',
                param="cache_control",
            )
    if len(marked) > _MAX_BREAKPOINTS:
        raise ApiError(
            400,
            f"A maximum of {_MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {len(marked)}.",
            param="cache_control",
        )
    if not marked:
        return None, "5m"
    return [text for text, _ in blocks[: marked[-1] + 1] if text], blocks[marked[-1]][1].get("ttl", "5m")


def _usage(usage: dict[str, Any], thinking: bool = False, ttl: str = "5m") -> dict[str, Any]:
    """Anthropic's usage from the engine's: with cache_control, the tokens up to the last breakpoint were read
    from llama.cpp's KV cache (cache_read_input_tokens, measured) or evaluated anew (cache_creation_input_tokens);
    input_tokens are the rest, as Anthropic counts them."""
    prompt = usage.get("prompt_tokens", 0)
    result: dict[str, Any] = {
        "input_tokens": prompt,
        "output_tokens": usage.get("completion_tokens", 0),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }
    if "cache_prefix_tokens" in usage:
        prefix = usage["cache_prefix_tokens"]
        prefix = prompt if prefix is None else min(prefix, prompt)
        read = min((usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0), prefix)
        result.update(
            input_tokens=prompt - prefix,
            cache_read_input_tokens=read,
            cache_creation_input_tokens=prefix - read,
            cache_creation={
                "ephemeral_5m_input_tokens": prefix - read if ttl == "5m" else 0,
                "ephemeral_1h_input_tokens": prefix - read if ttl == "1h" else 0,
            },
        )
    if thinking:
        result["output_tokens_details"] = {"thinking_tokens": 0}  # the local model does not think
    return result


def _message(
    model: str,
    text: str,
    blocks: list[dict[str, Any]],
    stop_reason: str,
    stop_sequence: str | None,
    usage: dict[str, Any],
) -> dict[str, Any]:
    content = ([{"type": "text", "text": text}] if text or not blocks else []) + blocks
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage,
    }


async def messages(request: Request) -> Response:
    """POST /v1/messages (with `stream: true` for server-sent events)."""
    try:
        body = parse_json_body(await request.body())
        if not body.get("model"):
            raise ApiError(400, "model: Field required", param="model")
        check_anthropic_fields(body)
        args = anthropic_to_openai(body)
        thinking = _check_thinking(body)
        if isinstance(body.get("tool_choice"), dict) and body["tool_choice"].get("disable_parallel_tool_use"):
            args["parallel_tool_calls"] = False
        args["cache_prefix"], ttl = _cache_prefix(body)
        state = request.app.state.llm
        stops = body.get("stop_sequences") or []
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise ApiError(400, "stop_sequences: must be a list of strings", param="stop_sequences")
        if args.get("tools") or not body.get("stream"):
            # Tool calls and whole answers: generate to the end, then cut at a stop sequence.
            completion = await complete(state, args, body.get("model"))
            choice = completion["choices"][0]
            detector = StopDetector(stops)
            text, hit = detector.feed(choice["message"].get("content") or "")
            text += detector.flush()
            blocks = _tool_blocks(choice["message"])
            reason = (
                "tool_use"
                if blocks
                else "stop_sequence"
                if hit
                else "max_tokens"
                if choice["finish_reason"] == "length"
                else "end_turn"
            )
            usage = _usage(completion["usage"], thinking, ttl)
            reply = _message(state.engine.model_name, text, blocks, reason, hit, usage)
            if not body.get("stream"):
                return JSONResponse(reply)
            return StreamingResponse(_replay(reply), media_type="text/event-stream")
        chunks = stream(state, args, body.get("model"))
        first = await chunks.__anext__()
    except ApiError as error:
        return anthropic_error(error)
    except ContextLengthError as exc:
        return anthropic_error(ApiError(400, f"prompt is too long: {exc}"))

    async def sse():
        detector = StopDetector(stops)
        start = _message(state.engine.model_name, "", [], None, None, _usage({}, thinking))
        start["content"] = []
        yield _event("message_start", {"message": start})
        yield _event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        yield _event("ping", {})
        reason, hit, usage = "end_turn", None, {}
        async with aclosing(chunks):
            item = first
            while True:
                if "usage" in item:
                    usage = item["usage"]
                else:
                    choice = item["choices"][0]
                    text, hit = detector.feed((choice.get("delta") or {}).get("content") or "")
                    if text:
                        yield _event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}})
                    if hit:
                        reason = "stop_sequence"
                        break  # leaving the loop closes the stream, which stops generation
                    if choice.get("finish_reason") == "length":
                        reason = "max_tokens"
                try:
                    item = await chunks.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as exc:  # noqa: BLE001 (mid-stream failure: said in the stream, which ends cleanly)
                    yield _event("error", {"error": {"type": "api_error", "message": str(exc)}})
                    return
        rest = detector.flush()
        if rest:
            yield _event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": rest}})
        yield _event("content_block_stop", {"index": 0})
        yield _event(
            "message_delta",
            {"delta": {"stop_reason": reason, "stop_sequence": hit}, "usage": _usage(usage, thinking, ttl)},
        )
        yield _event("message_stop", {})

    return StreamingResponse(sse(), media_type="text/event-stream")


async def _replay(reply: dict[str, Any]):
    """Send a finished message as the event sequence (used for tool calls)."""
    start = {**reply, "content": [], "stop_reason": None, "stop_sequence": None}
    yield _event("message_start", {"message": start})
    for index, block in enumerate(reply["content"]):
        if block["type"] == "text":
            yield _event("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
            yield _event(
                "content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": block["text"]}}
            )
        else:
            yield _event("content_block_start", {"index": index, "content_block": {**block, "input": {}}})
            yield _event(
                "content_block_delta",
                {"index": index, "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}},
            )
        yield _event("content_block_stop", {"index": index})
    yield _event(
        "message_delta",
        {
            "delta": {"stop_reason": reply["stop_reason"], "stop_sequence": reply["stop_sequence"]},
            "usage": reply["usage"],
        },
    )
    yield _event("message_stop", {})


routes = [Route("/v1/messages", messages, methods=["POST"])]
