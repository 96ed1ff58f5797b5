"""The wire-format-neutral core: one chat request in, OpenAI-shaped completion or chunks out.

Deciding on a tool happens here (see router.py); the OpenAI, Ollama and Anthropic layers only
translate. Every answer names the local model in its `model` field, whatever name was asked for.

Example:
    >>> completion = await complete(state, {"messages": [{"role": "user", "content": "Hi"}]})  # doctest: +SKIP
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from llmcourse.local.engine import Engine
from llmcourse.local.router import ToolRouter
from llmcourse.local.validation import ApiError
from llmcourse.settings import LOCAL_MODEL_NAME

__all__ = ["ServerState", "complete", "stream", "choose_tool"]


@dataclass
class ServerState:
    """What every request shares: the model and the tool router."""

    engine: Engine
    router: ToolRouter = field(default_factory=ToolRouter)


def _last_user_text(messages: list[dict[str, Any]]) -> str | None:
    # Route only on a fresh user turn: after tool results the model should answer in words,
    # otherwise a tool loop would call the same tool forever.
    return messages[-1]["content"] if messages and messages[-1]["role"] == "user" else None


async def choose_tool(state: ServerState, args: dict[str, Any]) -> str | None:
    """The tool this request must call, or None to answer in text.

    Example:
        >>> await choose_tool(state, {"messages": [...], "tools": tools, "tool_choice": "auto"})  # doctest: +SKIP
        'get_ticket_price'
    """
    tools = args.get("tools") or []
    choice = args.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    names = [tool.get("function", {}).get("name") for tool in tools]
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name not in names:
            raise ApiError(400, f"tool_choice names {name!r}, which is not in 'tools' ({names}).", param="tool_choice")
        return name
    if choice not in ("auto", "required"):
        raise ApiError(400, "tool_choice must be 'none', 'auto', 'required' or {'type': 'function', ...}.",
                       param="tool_choice")
    text = _last_user_text(args["messages"])
    if text is None:
        if choice == "auto":
            return None
        text = args["messages"][-1]["content"]
    picked = await run_in_threadpool(state.router.choose, text, tools, required=choice == "required")
    return picked[0] if picked else None


def _engine_args(args: dict[str, Any], tool: str | None) -> dict[str, Any]:
    engine_args = {key: value for key, value in args.items() if key not in ("tools", "tool_choice", "stream")}
    if tool:
        engine_args["tools"] = args["tools"]
        engine_args["tool_choice"] = {"type": "function", "function": {"name": tool}}
    return engine_args


def _named(completion: dict[str, Any], requested: str | None) -> dict[str, Any]:
    completion["model"] = LOCAL_MODEL_NAME
    completion["system_fingerprint"] = f"llmcourse-local (asked for {requested or 'no model'})"
    for choice in completion.get("choices", []):
        message = choice.get("message") or {}
        message.pop("function_call", None)  # the deprecated twin of tool_calls
        for index, call in enumerate(message.get("tool_calls") or []):
            call["id"] = f"call_{uuid.uuid4().hex[:16]}_{index}"
    return completion


async def complete(state: ServerState, args: dict[str, Any], requested: str | None = None) -> dict[str, Any]:
    """Run a chat request to the end; return an OpenAI chat.completion dict.

    Example:
        >>> (await complete(state, {"messages": msgs}))["choices"][0]["message"]["content"]  # doctest: +SKIP
    """
    tool = await choose_tool(state, args)
    completion = await run_in_threadpool(state.engine.complete, **_engine_args(args, tool))
    return _named(completion, requested)


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}


async def stream(state: ServerState, args: dict[str, Any], requested: str | None = None) -> AsyncIterator[dict[str, Any]]:
    """Yield OpenAI chat.completion.chunk dicts, then one `{"usage": ...}` item.

    A tool call is generated whole (it is short and must be valid JSON) and sent as chunks.
    Errors before the first chunk (such as a prompt that does not fit) are raised on the first step.

    Example:
        >>> async for chunk in stream(state, {"messages": msgs}): ...  # doctest: +SKIP
    """
    tool = await choose_tool(state, args)
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": LOCAL_MODEL_NAME,
        "system_fingerprint": f"llmcourse-local (asked for {requested or 'no model'})",
    }
    if tool:
        completion = _named(await run_in_threadpool(state.engine.complete, **_engine_args(args, tool)), requested)
        calls = completion["choices"][0]["message"].get("tool_calls") or []
        yield _chunk(base, {"role": "assistant", "content": None})
        for index, call in enumerate(calls):
            yield _chunk(base, {"tool_calls": [{"index": index, **call}]})
        yield _chunk(base, {}, "tool_calls")
        yield {"usage": completion["usage"]}
        return
    async for item in state.engine.stream(**_engine_args(args, None)):
        if "usage" in item:
            yield item
        else:
            yield {**item, **{key: base[key] for key in ("id", "model", "system_fingerprint")}}
