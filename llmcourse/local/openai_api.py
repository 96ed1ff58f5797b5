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
from llmcourse.local.observe import logprob_request
from llmcourse.local.provider_rules import check_openai_fields
from llmcourse.local.validation import ApiError, openai_messages, openai_response_format, parse_json_body

__all__ = ["REASONING_EFFORTS", "openai_error", "routes"]

# The openai package's ReasoningEffort literal (openai 3.57). The local model does not reason: the
# request is accepted, and usage reports reasoning_tokens 0.
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")


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
    check_openai_fields(body)
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
        if body.get("parallel_tool_calls") is False:
            args["parallel_tool_calls"] = False
    try:
        top = logprob_request(body.get("logprobs"), body.get("top_logprobs"))
    except ValueError as exc:
        raise ApiError(
            400, str(exc), param="top_logprobs" if body.get("top_logprobs") is not None else "logprobs"
        ) from None
    if top is not None:
        args["logprobs"], args["top_logprobs"] = True, top
    _check_reasoning(body)
    return args


def _check_reasoning(body: dict[str, Any]) -> None:
    """Accept `reasoning_effort` (Chat Completions) and `reasoning` ({"effort": ...}, as routers take it)."""
    effort = body.get("reasoning_effort")
    if effort is not None and effort not in REASONING_EFFORTS:
        raise ApiError(
            400,
            f"Invalid value for 'reasoning_effort': {effort!r}. Supported values are: "
            f"{', '.join(repr(e) for e in REASONING_EFFORTS)}.",
            param="reasoning_effort",
        )
    reasoning = body.get("reasoning")
    if reasoning is None:
        return
    if not isinstance(reasoning, dict):
        raise ApiError(400, '\'reasoning\' must be an object such as {"effort": "low"}.', param="reasoning")
    if reasoning.get("effort") is not None and reasoning["effort"] not in REASONING_EFFORTS:
        raise ApiError(400, f"Invalid value for 'reasoning.effort': {reasoning['effort']!r}.", param="reasoning.effort")


def _context_error(exc: ContextLengthError) -> ApiError:
    return ApiError(
        400,
        f"This model's maximum context length was exceeded: {exc}. Shorten the messages (or lower max_tokens).",
        param="messages",
        kind="context_length_exceeded",
    )


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
                        final = {
                            "id": last["id"],
                            "object": "chat.completion.chunk",
                            "created": last["created"],
                            "model": state.engine.model_name,
                            "choices": [],
                            "usage": item["usage"],
                        }
                        yield f"data: {json.dumps(final)}\n\n"
                else:
                    last = item
                    yield f"data: {json.dumps(item)}\n\n"
                try:
                    item = await chunks.__anext__()
                except StopAsyncIteration:
                    break
                except Exception as exc:  # noqa: BLE001 (mid-stream failure: said in the stream, which ends cleanly)
                    yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'server_error'}})}\n\n"
                    break
        yield "data: [DONE]\n\n"

    return StreamingResponse(sse(), media_type="text/event-stream")


async def models(request: Request) -> Response:
    """GET /v1/models: the one local model."""
    return JSONResponse({"object": "list", "data": [_model_card(request.app.state.llm.engine.model_name)]})


async def model(request: Request) -> Response:
    """GET /v1/models/{name}: any name is served by the local model."""
    return JSONResponse(_model_card(request.app.state.llm.engine.model_name))


def _model_card(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": int(time.time()), "owned_by": "llmcourse-local"}


routes = [
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/models", models, methods=["GET"]),
    Route("/v1/models/{name:path}", model, methods=["GET"]),
]
