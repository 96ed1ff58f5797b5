"""The Ollama wire format: /api/chat, /api/generate, /api/tags, /api/version and `GET /`.

Streaming is Ollama's default (NDJSON lines, the last one with `done: true` and the counts).

Example:
    >>> import ollama
    >>> ollama.Client(host=server.ollama_url).chat(model=MODELS["ollama"], messages=[...])  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from llmcourse.local.engine import ContextLengthError
from llmcourse.local.generation import complete, stream
from llmcourse.local.observe import logprob_request
from llmcourse.local.validation import ApiError, ollama_to_openai, parse_json_body

__all__ = ["ollama_error", "routes"]

_THINK_LEVELS = (True, False, "low", "medium", "high")  # the ollama package: think: bool | "low" | "medium" | "high"


def ollama_error(error: ApiError) -> JSONResponse:
    """An error in Ollama's shape: {"error": "message"}.

    Example:
        >>> ollama_error(ApiError(400, "bad")).body
        b'{"error":"bad"}'
    """
    return JSONResponse({"error": error.message}, status_code=error.status)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _tool_calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    calls = []
    for call in message.get("tool_calls") or []:
        arguments = call["function"].get("arguments") or "{}"
        try:
            parsed = json.loads(arguments)
        except json.JSONDecodeError:
            parsed = {"_raw": arguments}
        calls.append({"function": {"name": call["function"]["name"], "arguments": parsed}})
    return calls


def _done(started: float, usage: dict[str, Any], reason: str) -> dict[str, Any]:
    total = int((time.perf_counter() - started) * 1e9)
    return {
        "done": True,
        "done_reason": reason,
        "total_duration": total,
        "load_duration": 0,
        "prompt_eval_count": usage.get("prompt_tokens", 0),
        "prompt_eval_duration": 0,
        "eval_count": usage.get("completion_tokens", 0),
        "eval_duration": total,
    }


async def _handle(request: Request, generate: bool) -> Response:
    started = time.perf_counter()
    try:
        body = parse_json_body(await request.body())
        if not body.get("model"):
            raise ApiError(400, "model is required")
        args = ollama_to_openai(body, generate=generate)
        if body.get("think") is not None and body["think"] not in _THINK_LEVELS:
            raise ApiError(400, '\'think\' must be true, false, "low", "medium" or "high"')
        # think is accepted; the local model does not think, so answers carry no `thinking` text.
        try:
            top = logprob_request(body.get("logprobs"), body.get("top_logprobs"))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc
        if top is not None:
            args["logprobs"], args["top_logprobs"] = True, top
        state = request.app.state.llm

        def piece(text: str, calls: list | None = None) -> dict[str, Any]:
            if generate:
                return {"model": state.engine.model_name, "created_at": _now(), "response": text, "done": False}
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if calls:
                message["tool_calls"] = calls
            return {"model": state.engine.model_name, "created_at": _now(), "message": message, "done": False}

        if body.get("stream") is False:
            completion = await complete(state, args, body.get("model"))
            message = completion["choices"][0]["message"]
            reply = piece(message.get("content") or "", _tool_calls(message))
            if top is not None:
                reply["logprobs"] = (completion["choices"][0].get("logprobs") or {}).get("content") or []
            reason = "stop" if completion["choices"][0]["finish_reason"] != "length" else "length"
            return JSONResponse({**reply, **_done(started, completion["usage"], reason)})
        chunks = stream(state, args, body.get("model"))
        first = await chunks.__anext__()
    except ApiError as error:
        return ollama_error(error)
    except ContextLengthError as exc:
        return ollama_error(ApiError(400, f"the prompt does not fit the context window: {exc}"))

    async def ndjson():
        reason, calls = "stop", []
        async with aclosing(chunks):
            item = first
            while True:
                if "usage" in item:
                    final = piece("", calls or None)
                    yield json.dumps({**final, **_done(started, item["usage"], reason)}) + "\n"
                    return
                choice = item["choices"][0]
                delta = choice.get("delta") or {}
                if delta.get("tool_calls"):
                    calls.extend(_tool_calls({"tool_calls": delta["tool_calls"]}))
                elif delta.get("content"):
                    line = piece(delta["content"])
                    if top is not None:
                        line["logprobs"] = (choice.get("logprobs") or {}).get("content") or []
                    yield json.dumps(line) + "\n"
                if choice.get("finish_reason") == "length":
                    reason = "length"
                try:
                    item = await chunks.__anext__()
                except StopAsyncIteration:
                    return
                except Exception as exc:  # noqa: BLE001 (mid-stream failure: said in the stream, which ends cleanly)
                    yield json.dumps({"error": str(exc)}) + "\n"
                    return

    return StreamingResponse(ndjson(), media_type="application/x-ndjson")


async def chat(request: Request) -> Response:
    """POST /api/chat."""
    return await _handle(request, generate=False)


async def generate(request: Request) -> Response:
    """POST /api/generate."""
    return await _handle(request, generate=True)


async def tags(request: Request) -> Response:
    """GET /api/tags: the one local model (any name you ask for is served by it)."""
    path, name = request.app.state.llm.engine.model_path, request.app.state.llm.engine.model_name
    return JSONResponse(
        {
            "models": [
                {
                    "name": name,
                    "model": name,
                    "modified_at": _now(),
                    "size": _size(path),
                    "digest": "local",
                    "details": {
                        "format": "gguf",
                        "family": "llama",
                        "families": ["llama"],
                        "parameter_size": "135M",
                        "quantization_level": "Q4_1",
                    },
                }
            ]
        }
    )


def _size(path: str) -> int:
    import os

    return os.path.getsize(path)


async def version(request: Request) -> Response:
    """GET /api/version."""
    return JSONResponse({"version": "0.0.0-llmcourse-local"})


async def root(request: Request) -> Response:
    """GET / answers like Ollama does (tools use it to see that a server is up)."""
    return PlainTextResponse("Ollama is running")


routes = [
    Route("/", root, methods=["GET", "HEAD"]),
    Route("/api/chat", chat, methods=["POST"]),
    Route("/api/generate", generate, methods=["POST"]),
    Route("/api/tags", tags, methods=["GET"]),
    Route("/api/version", version, methods=["GET"]),
]
