"""The OpenAI wire format: /v1/chat/completions and /v1/models, errors as OpenAI sends them.

Example:
    >>> from openai import OpenAI
    >>> OpenAI(base_url=server.openai_url, api_key="x").chat.completions.create(...)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from contextlib import aclosing
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from llmcourse.local.engine import ContextLengthError
from llmcourse.local.generation import complete, stream
from llmcourse.local.validation import ApiError, openai_messages, openai_response_format, parse_json_body
from llmcourse.settings import LOCAL_MODEL_NAME

__all__ = ["routes", "openai_error"]


def openai_error(error: ApiError) -> JSONResponse:
    """An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}}.

    Example:
        >>> openai_error(ApiError(400, "bad")).status_code
        400
    """
    code = "context_length_exceeded" if error.kind == "context_length_exceeded" else None
    kind = "invalid_request_error" if error.kind == "context_length_exceeded" else error.kind
    return JSONResponse(
        {"error": {"message": error.message, "type": kind, "param": error.param, "code": code}},
        status_code=error.status,
    )


def _engine_request(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("n") not in (None, 1):
        raise ApiError(400, "The local model returns one choice: leave 'n' out or set it to 1.", param="n")
    args: dict[str, Any] = {"messages": openai_messages(body.get("messages"))}
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise ApiError(400, "'max_tokens' must be a positive integer.", param="max_tokens")
    args["max_tokens"] = max_tokens
    for key in ("temperature", "top_p", "seed", "stop", "presence_penalty", "frequency_penalty"):
        if body.get(key) is not None:
            args[key] = body[key]
    args["response_format"] = openai_response_format(body.get("response_format"))
    if body.get("tools"):
        args["tools"] = body["tools"]
        args["tool_choice"] = body.get("tool_choice", "auto")
    return args


def _context_error(exc: ContextLengthError) -> ApiError:
    return ApiError(400, f"This model's maximum context length was exceeded: {exc}. "
                         "Shorten the messages (or lower max_tokens).", param="messages", kind="context_length_exceeded")


async def chat_completions(request: Request) -> Response:
    """POST /v1/chat/completions (plain or `stream=True`, JSON mode, tools)."""
    try:
        body = parse_json_body(await request.body())
        args = _engine_request(body)
        requested = body.get("model")
        state = request.app.state.llm
        if not body.get("stream"):
            return JSONResponse(await complete(state, args, requested))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = stream(state, args, requested)
        first = await chunks.__anext__()  # errors (e.g. context length) surface here, before any byte is sent
    except ApiError as error:
        return openai_error(error)
    except ContextLengthError as exc:
        return openai_error(_context_error(exc))

    async def sse():
        async with aclosing(chunks):
            item, last = first, {"id": "chatcmpl-local", "created": int(time.time())}
            while True:
                if "usage" in item:
                    if include_usage:
                        final = {"id": last["id"], "object": "chat.completion.chunk", "created": last["created"],
                                 "model": LOCAL_MODEL_NAME, "choices": [], "usage": item["usage"]}
                        yield f"data: {json.dumps(final)}\n\n"
                else:
                    last = item
                    yield f"data: {json.dumps(item)}\n\n"
                try:
                    item = await chunks.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as exc:  # mid-stream failure: say so in the stream, then end it cleanly
                    yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'server_error'}})}\n\n"
                    break
        yield "data: [DONE]\n\n"

    return StreamingResponse(sse(), media_type="text/event-stream")


async def models(request: Request) -> Response:
    """GET /v1/models: the one local model."""
    return JSONResponse({"object": "list", "data": [_model_card()]})


async def model(request: Request) -> Response:
    """GET /v1/models/{name}: any name is served by the local model."""
    return JSONResponse(_model_card())


def _model_card() -> dict[str, Any]:
    return {"id": LOCAL_MODEL_NAME, "object": "model", "created": int(time.time()), "owned_by": "llmcourse-local"}


routes = [
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/models", models, methods=["GET"]),
    Route("/v1/models/{name:path}", model, methods=["GET"]),
]
