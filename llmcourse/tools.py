"""Let a model call your Python functions: a tool schema from a function, and the tool-call loop.

`tool_schema(func)` (from schemas.py) reads the function's type hints and docstring and builds the
JSON schema the APIs want, so the schema cannot drift from the function. `run_tool_loop(...)` is
the loop every tool-using chatbot needs around `client.chat.completions.create(...)`: call the
model, run every tool it asks for, send the results back, repeat until it answers in text, at
most `max_steps` model calls. `run_anthropic_tool_loop(...)` is the same loop around
`client.messages.create(...)`: one loop, and a small adapter per API that knows only the API's
shape (how to send tools, make a call, read a reply, and send results back). Running the calls
themselves, bounded and never raising, is toolcalls.py's job.

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

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

from llmcourse.retired import add_model_note
from llmcourse.schemas import tool_schema
from llmcourse.toolcalls import (
    MAX_ARGUMENT_CHARS,
    MAX_ARGUMENT_DEPTH,
    MAX_CALLS_PER_REPLY,
    MAX_RESULT_CHARS,
    ToolCall,
    ToolCallRecord,
    run_tool_calls,
)

__all__ = [
    "MAX_ARGUMENT_CHARS",
    "MAX_ARGUMENT_DEPTH",
    "MAX_CALLS_PER_REPLY",
    "MAX_RESULT_CHARS",
    "ToolCallRecord",
    "ToolLoopResult",
    "run_anthropic_tool_loop",
    "run_tool_loop",
    "tool_schema",
]

_Tools = Sequence[Callable[..., Any]] | Mapping[str, Callable[..., Any]]


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
    tools: _Tools,
    max_steps: int = 5,
    max_calls_per_reply: int = MAX_CALLS_PER_REPLY,
    max_result_chars: int = MAX_RESULT_CHARS,
    **create_kwargs: Any,
) -> ToolLoopResult:
    """Chat with tools: call the model, run the tools it asks for, repeat until it answers in text.

    Each step is `client.chat.completions.create(model=model, messages=messages, tools=schemas,
    **create_kwargs)` with an OpenAI-compatible client. For every tool call in a reply the tool
    runs and a `tool` message with its result is appended (non-string results are JSON-encoded).
    Failures become the tool's result, as "Error: ..." text the model can react to. After
    `max_steps` model calls the loop stops with `stopped_reason == "max_steps"` and a warning,
    keeping the whole history in `result.messages`. Your `messages` list is not modified.
    Only the first `max_calls_per_reply` calls of one reply run (the others are answered
    "Error: too many calls ..."), and each result is cut to `max_result_chars` characters.

    Example:
        >>> result = run_tool_loop(openai_client, model=MODELS["openai"], tools=[get_ticket_price],
        ...                        messages=[{"role": "user", "content": "How much is a ticket to London?"}])  # doctest: +SKIP
        >>> result.text, [call.name for call in result.tool_calls]                         # doctest: +SKIP
        ('A return ticket to London costs $799.', ['get_ticket_price'])
    """
    limits = _Limits(max_steps, max_calls_per_reply, max_result_chars)
    return _loop(_OpenAIChat(), "run_tool_loop", client, model, messages, tools, limits, create_kwargs)


def run_anthropic_tool_loop(
    client: Any,
    *,
    model: str,
    messages: str | list[dict[str, Any]],
    tools: _Tools,
    system: str | None = None,
    max_tokens: int = 1024,
    max_steps: int = 5,
    max_calls_per_reply: int = MAX_CALLS_PER_REPLY,
    max_result_chars: int = MAX_RESULT_CHARS,
    **create_kwargs: Any,
) -> ToolLoopResult:
    """`run_tool_loop` for Anthropic's Messages API (`client.messages.create(...)`).

    Tools are sent in Anthropic's format; each `tool_use` block runs its tool and the results go
    back in one user message of `tool_result` blocks (`is_error` set for failures). Same result,
    same error handling and step limit as `run_tool_loop`.

    Example:
        >>> result = run_anthropic_tool_loop(claude, model=MODELS["anthropic_small"], tools=[get_ticket_price],
        ...                                  messages="How much is a ticket to London?")    # doctest: +SKIP
        >>> result.tool_calls[0].arguments                                                   # doctest: +SKIP
        {'destination_city': 'London'}
    """
    limits = _Limits(max_steps, max_calls_per_reply, max_result_chars)
    return _loop(
        _AnthropicMessages(max_tokens=max_tokens, system=system),
        "run_anthropic_tool_loop",
        client,
        model,
        messages,
        tools,
        limits,
        create_kwargs,
    )


# --- the one loop ----------------------------------------------------------------------------


class _Limits(NamedTuple):
    max_steps: int
    max_calls_per_reply: int
    max_result_chars: int


class _Reply(NamedTuple):
    text: str  # the reply's text ("" when there is none)
    calls: list[ToolCall]  # the tool calls it asks for, in order
    message: dict[str, Any]  # the assistant turn to append to the history, as the API accepts it back


class _ToolAPI(Protocol):
    """One API's shape, all the loop needs to know about it."""

    def schemas(self, functions: Mapping[str, Callable[..., Any]]) -> list[dict[str, Any]]: ...

    def create(
        self,
        client: Any,
        model: str,
        history: list[dict[str, Any]],
        schemas: list[dict[str, Any]],
        options: dict[str, Any],
    ) -> Any: ...

    def read(self, response: Any, step: int) -> _Reply: ...

    def results(self, records: list[ToolCallRecord]) -> list[dict[str, Any]]: ...


def _loop(
    api: _ToolAPI,
    caller: str,
    client: Any,
    model: str,
    messages: str | list[dict[str, Any]],
    tools: _Tools,
    limits: _Limits,
    options: dict[str, Any],
) -> ToolLoopResult:
    """The tool loop for every API: `api` knows that API's shape, `caller` names the public function in errors."""
    max_steps, max_calls_per_reply, max_result_chars = limits
    _check_limits(max_steps, max_calls_per_reply, max_result_chars)
    if options.get("stream"):
        raise ValueError(f"{caller} does not stream: leave out stream=True")
    functions = _tool_table(tools, caller)
    schemas = api.schemas(functions)
    history: list[dict[str, Any]] = (
        [{"role": "user", "content": messages}] if isinstance(messages, str) else list(messages)
    )
    records: list[ToolCallRecord] = []
    reply = _Reply("", [], {})
    for step in range(1, max_steps + 1):
        try:
            response = api.create(client, model, history, schemas, options)
        except Exception as err:
            err.add_note(f"{caller}: model call {step} failed; tool calls made before it: {[r.name for r in records]}")
            add_model_note(err)  # a retired model: name its replacement
            raise
        reply = api.read(response, step)
        history.append(reply.message)
        if not reply.calls:
            return ToolLoopResult(text=reply.text, messages=history, tool_calls=records, steps=step)
        made = run_tool_calls(
            functions, reply.calls, max_calls_per_reply=max_calls_per_reply, max_result_chars=max_result_chars
        )
        records.extend(made)
        history.extend(api.results(made))
    note = (
        f"the tool loop stopped after {max_steps} model calls: the model still wanted to call tools "
        f"({', '.join(sorted({call.name for call in reply.calls}))}). Their results are in result.messages; "
        "call the loop again with messages=result.messages to go on, or raise max_steps."
    )
    warnings.warn(note, stacklevel=3)  # points at the caller of run_tool_loop / run_anthropic_tool_loop
    return ToolLoopResult(
        text=reply.text, messages=history, tool_calls=records, stopped_reason="max_steps", steps=max_steps, note=note
    )


def _tool_table(tools: _Tools, caller: str) -> dict[str, Callable[..., Any]]:
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
        raise ValueError(f"{caller} needs at least one tool")
    return table


def _check_limits(max_steps: int, max_calls_per_reply: int, max_result_chars: int) -> None:
    for label, value in (
        ("max_steps", max_steps),
        ("max_calls_per_reply", max_calls_per_reply),
        ("max_result_chars", max_result_chars),
    ):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{label} must be a whole number of at least 1, got {value!r}")


# --- the adapters: one API's shape each ------------------------------------------------------


class _OpenAIChat:
    """chat.completions: tools as {"type": "function", ...}; one `tool` message per result."""

    def schemas(self, functions: Mapping[str, Callable[..., Any]]) -> list[dict[str, Any]]:
        return [tool_schema(func, name=tool_name) for tool_name, func in functions.items()]

    def create(
        self,
        client: Any,
        model: str,
        history: list[dict[str, Any]],
        schemas: list[dict[str, Any]],
        options: dict[str, Any],
    ) -> Any:
        return client.chat.completions.create(model=model, messages=history, tools=schemas, **options)

    def read(self, response: Any, step: int) -> _Reply:
        if not response.choices:
            raise RuntimeError(f"the model's reply at step {step} had no choices: {response!r:.300}")
        message = response.choices[0].message
        calls = [ToolCall(call.id, call.function.name, call.function.arguments) for call in message.tool_calls or []]
        assistant: dict[str, Any] = {"role": "assistant", "content": message.content}
        if calls:
            assistant["tool_calls"] = [
                {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
                for call in calls
            ]
        return _Reply(message.content or "", calls, assistant)

    def results(self, records: list[ToolCallRecord]) -> list[dict[str, Any]]:
        return [{"role": "tool", "tool_call_id": record.id, "content": record.result} for record in records]


@dataclass(frozen=True)
class _AnthropicMessages:
    """Messages: tools with an `input_schema`, `max_tokens` required, `system` apart; results as one user message."""

    max_tokens: int
    system: str | None = None

    def schemas(self, functions: Mapping[str, Callable[..., Any]]) -> list[dict[str, Any]]:
        return [tool_schema(func, "anthropic", name=tool_name) for tool_name, func in functions.items()]

    def create(
        self,
        client: Any,
        model: str,
        history: list[dict[str, Any]],
        schemas: list[dict[str, Any]],
        options: dict[str, Any],
    ) -> Any:
        system = {} if self.system is None else {"system": self.system}
        return client.messages.create(
            model=model, max_tokens=self.max_tokens, messages=history, tools=schemas, **system, **options
        )

    def read(self, response: Any, step: int) -> _Reply:
        text = "".join(block.text for block in response.content if block.type == "text")
        calls = [ToolCall(block.id, block.name, block.input) for block in response.content if block.type == "tool_use"]
        return _Reply(text, calls, {"role": "assistant", "content": [_block_dict(b) for b in response.content]})

    def results(self, records: list[ToolCallRecord]) -> list[dict[str, Any]]:
        blocks = []
        for record in records:
            block: dict[str, Any] = {"type": "tool_result", "tool_use_id": record.id, "content": record.result}
            if record.error:
                block["is_error"] = True
            blocks.append(block)
        return [{"role": "user", "content": blocks}]


def _block_dict(block: Any) -> dict[str, Any]:
    # Send back only what the API accepts as input (response blocks carry extra output fields).
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    return block.model_dump(exclude_none=True)  # thinking blocks go back as they came
