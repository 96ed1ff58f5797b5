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
from llmcourse.local.validation import ApiError, StopDetector, anthropic_to_openai, parse_json_body
from llmcourse.settings import LOCAL_MODEL_NAME

__all__ = ["routes", "anthropic_error"]

_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                413: "request_too_large", 429: "rate_limit_error", 500: "api_error"}


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
        blocks.append({"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:24]}",
                       "name": call["function"]["name"], "input": arguments})
    return blocks


def _message(text: str, blocks: list[dict[str, Any]], stop_reason: str, stop_sequence: str | None,
             usage: dict[str, Any]) -> dict[str, Any]:
    content = ([{"type": "text", "text": text}] if text or not blocks else []) + blocks
    return {"id": f"msg_{uuid.uuid4().hex[:24]}", "type": "message", "role": "assistant", "model": LOCAL_MODEL_NAME,
            "content": content, "stop_reason": stop_reason, "stop_sequence": stop_sequence,
            "usage": {"input_tokens": usage.get("prompt_tokens", 0), "output_tokens": usage.get("completion_tokens", 0)}}


async def messages(request: Request) -> Response:
    """POST /v1/messages (with `stream: true` for server-sent events)."""
    try:
        body = parse_json_body(await request.body())
        if not body.get("model"):
            raise ApiError(400, "model: Field required", param="model")
        args = anthropic_to_openai(body)
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
            reason = ("tool_use" if blocks else "stop_sequence" if hit
                      else "max_tokens" if choice["finish_reason"] == "length" else "end_turn")
            reply = _message(text, blocks, reason, hit, completion["usage"])
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
        start = _message("", [], None, None, {})
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
                except Exception as exc:
                    yield _event("error", {"error": {"type": "api_error", "message": str(exc)}})
                    return
        rest = detector.flush()
        if rest:
            yield _event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": rest}})
        yield _event("content_block_stop", {"index": 0})
        yield _event("message_delta", {"delta": {"stop_reason": reason, "stop_sequence": hit},
                                       "usage": {"output_tokens": usage.get("completion_tokens", 0)}})
        yield _event("message_stop", {})

    return StreamingResponse(sse(), media_type="text/event-stream")


async def _replay(reply: dict[str, Any]):
    """Send a finished message as the event sequence (used for tool calls)."""
    start = {**reply, "content": [], "stop_reason": None, "stop_sequence": None}
    yield _event("message_start", {"message": start})
    for index, block in enumerate(reply["content"]):
        if block["type"] == "text":
            yield _event("content_block_start", {"index": index, "content_block": {"type": "text", "text": ""}})
            yield _event("content_block_delta", {"index": index, "delta": {"type": "text_delta", "text": block["text"]}})
        else:
            yield _event("content_block_start", {"index": index, "content_block": {**block, "input": {}}})
            yield _event("content_block_delta", {"index": index, "delta": {
                "type": "input_json_delta", "partial_json": json.dumps(block["input"])}})
        yield _event("content_block_stop", {"index": index})
    yield _event("message_delta", {"delta": {"stop_reason": reply["stop_reason"], "stop_sequence": reply["stop_sequence"]},
                                   "usage": {"output_tokens": reply["usage"]["output_tokens"]}})
    yield _event("message_stop", {})


routes = [Route("/v1/messages", messages, methods=["POST"])]
