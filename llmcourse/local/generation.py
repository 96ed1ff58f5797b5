"""The wire-format-neutral core: one chat request in, OpenAI-shaped completion or chunks out.

Deciding on a tool happens here (see router.py); the OpenAI, Ollama and Anthropic layers only
translate. Every answer names the local model in its `model` field, whatever name was asked for.
Tool arguments are grounded in the user's words (grounding.py), and a conversation that offers tools
or holds a tool result is answered without a repeat penalty, so figures are copied exactly.

Example:
    >>> completion = await complete(state, {"messages": [{"role": "user", "content": "Hi"}]})  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from llmcourse.local.engine import Engine
from llmcourse.local.facts import grounded_answer, tool_results
from llmcourse.local.grounding import ground_arguments, one_call_per_name
from llmcourse.local.router import ToolRouter
from llmcourse.local.validation import ApiError
from llmcourse.settings import LOCAL_MODEL_NAME

__all__ = ["ServerState", "choose_tool", "complete", "stream"]


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
        raise ApiError(
            400, "tool_choice must be 'none', 'auto', 'required' or {'type': 'function', ...}.", param="tool_choice"
        )
    text = _last_user_text(args["messages"])
    if text is None:
        if choice == "auto":
            return None
        text = args["messages"][-1]["content"]
    picked = await run_in_threadpool(state.router.choose, text, tools, required=choice == "required")
    return picked[0] if picked else None


def model_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r"""Render a conversation with tool turns in the plain form a 135M chat model follows.

    The assistant's bare tool-call turns drop out, and tool results are put in front of the
    question they answer ("Information: ... Using the information, answer: ..."): measured, the
    model then answers from the result instead of echoing it.

    Example:
        >>> model_messages([{"role": "user", "content": "Price to Rome?"}, {"role": "assistant", "content": ""},
        ...                 {"role": "tool", "name": "get_ticket_price", "content": "$499"}])
        [{'role': 'user', 'content': 'Information:\n- get_ticket_price: $499\n\nUsing the information, answer: Price to Rome?'}]
    """
    rendered: list[dict[str, Any]] = []
    question, facts = "", []

    def flush() -> None:
        if rendered and rendered[-1]["role"] == "user" and rendered[-1]["content"] == question:
            rendered.pop()
        lines = "\n".join(facts)
        rendered.append(
            {"role": "user", "content": f"Information:\n{lines}\n\nUsing the information, answer: {question}"}
        )
        facts.clear()

    for message in messages:
        role, content = message["role"], message["content"]
        if role == "tool":
            facts.append(f"- {message.get('name', 'tool')}: {content}")
            continue
        if facts:
            flush()
        if role == "assistant" and not content.strip():
            continue
        if role == "user":
            question = content
        if rendered and rendered[-1]["role"] == role == "user":
            rendered[-1] = {"role": "user", "content": rendered[-1]["content"] + "\n\n" + content}
        else:
            rendered.append({"role": role, "content": content})
    if facts:
        flush()
    return rendered


def _engine_args(args: dict[str, Any]) -> dict[str, Any]:
    engine_args = {
        key: value
        for key, value in args.items()
        if key not in ("tools", "tool_choice", "stream", "parallel_tool_calls")
    }
    engine_args["messages"] = model_messages(args["messages"])
    if engine_args.get("repeat_penalty") is None and (
        args.get("tools") or any(message["role"] == "tool" for message in args["messages"])
    ):
        # Tool results hold facts to copy: the plain-chat penalty turned "$899" into "$89" (measured).
        engine_args["repeat_penalty"] = 1.0
    return engine_args


def _latest_user_text(messages: list[dict[str, Any]]) -> str:
    return next((message["content"] for message in reversed(messages) if message["role"] == "user"), "")


def _tool_call(state: ServerState, args: dict[str, Any], name: str) -> dict[str, Any] | None:
    """Fill one tool's arguments from the user's request under the tool's JSON schema (blocking).

    Only the request itself is shown to the model, with a plain instruction: a long system prompt
    distracts a 135M model into copying the wrong words into the arguments. String arguments are
    then grounded in the user's words (grounding.py); None when they cannot be, so that the model
    answers in text (unless the request forced this tool: then the model's arguments stand).
    """
    tool = next(t["function"] for t in args["tools"] if t.get("function", {}).get("name") == name)
    schema = tool.get("parameters") or {"type": "object", "properties": {}}
    fields = "; ".join(
        f"{key}: {spec.get('description', spec.get('type', ''))}"
        for key, spec in (schema.get("properties") or {}).items()
    )
    request = _last_user_text(args["messages"]) or args["messages"][-1]["content"]
    completion = state.engine.complete(
        messages=[
            {
                "role": "system",
                "content": f"Extract the arguments for {name} ({tool.get('description', '')}) "
                f"from the user's message. Fields: {fields}. Reply with JSON only.",
            },
            {"role": "user", "content": request},
        ],
        response_format={"type": "json_object", "schema": schema},
        temperature=0.0,
        max_tokens=200,
    )
    arguments = completion["choices"][0]["message"]["content"] or "{}"
    try:
        filled = json.loads(arguments)
    except json.JSONDecodeError:
        filled = {}
    text = _latest_user_text(args["messages"])
    grounded = ground_arguments(filled if isinstance(filled, dict) else {}, schema, text)
    if grounded is None and args.get("tool_choice") in (None, "auto"):
        return None
    # One call per city when the user asked about several ("London and Tokyo"), as a real model does.
    calls = (
        [arguments]
        if grounded is None
        else [json.dumps(each, ensure_ascii=False) for each in one_call_per_name(grounded, schema, text)]
    )
    if args.get("parallel_tool_calls") is False:
        calls = calls[:1]
    completion["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"id": "", "type": "function", "function": {"name": name, "arguments": each}} for each in calls],
    }
    completion["choices"][0]["finish_reason"] = "tool_calls"
    return completion


def _named(completion: dict[str, Any], requested: str | None, model: str = LOCAL_MODEL_NAME) -> dict[str, Any]:
    completion["model"] = model  # the model that really answered (`local:...`), whatever was asked for
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
    completion = await run_in_threadpool(_tool_call, state, args, tool) if tool else None
    if completion is None:  # no tool, or its arguments were not the user's words
        completion = await run_in_threadpool(state.engine.complete, **_engine_args(args))
        for choice in completion.get("choices", []):
            message = choice.get("message") or {}
            answer = message.get("content") or ""
            grounded = grounded_answer(answer, args["messages"])
            if grounded != answer:  # a figure no tool gave: answer with the tool results instead
                message["content"], choice["logprobs"] = grounded, None
    return _named(completion, requested, state.engine.model_name)


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}


async def stream(
    state: ServerState, args: dict[str, Any], requested: str | None = None
) -> AsyncIterator[dict[str, Any]]:
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
        "model": state.engine.model_name,
        "system_fingerprint": f"llmcourse-local (asked for {requested or 'no model'})",
    }
    completion = await run_in_threadpool(_tool_call, state, args, tool) if tool else None
    if completion is not None:
        completion = _named(completion, requested, state.engine.model_name)
        calls = completion["choices"][0]["message"].get("tool_calls") or []
        yield _chunk(base, {"role": "assistant", "content": None})
        for index, call in enumerate(calls):
            yield _chunk(base, {"tool_calls": [{"index": index, **call}]})
        yield _chunk(base, {}, "tool_calls")
        yield {"usage": completion["usage"]}
        return
    items = state.engine.stream(**_engine_args(args))
    if tool_results(args["messages"]):
        # After a tool result the answer is short: hold it back until it is checked for invented figures.
        held = [item async for item in items]
        answer = "".join(
            (chunk["choices"][0]["delta"].get("content") or "")
            for chunk in held
            if "usage" not in chunk and chunk.get("choices")
        )
        grounded = grounded_answer(answer, args["messages"])
        if grounded != answer:
            yield _chunk(base, {"role": "assistant", "content": grounded})
            yield _chunk(base, {}, "stop")
            usage = next((item for item in held if "usage" in item), None)
            if usage is not None:
                yield usage
            return
        items = _replay(held)
    async for item in items:
        if "usage" in item:
            yield item
        else:
            yield {**item, **{key: base[key] for key in ("id", "model", "system_fingerprint")}}


async def _replay(items: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for item in items:
        yield item
