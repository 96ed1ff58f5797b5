"""Show a model's answer as Markdown in Jupyter while it streams, and as plain text elsewhere.

`stream_markdown` takes the stream object the SDK gave you (OpenAI, Anthropic, Ollama, or any
iterator of strings), shows the answer as it arrives and returns the full text. It redraws the
Markdown at most every `interval` seconds (about 10 times a second) instead of on every chunk:
each redraw re-sends the whole answer to the browser, so redrawing per chunk sends megabytes for
a long answer and slows the kernel down (see bench/stream_display.py). The final text is always
drawn, also when the stream fails or you interrupt the kernel.

What it does with the model's words:
    * The returned text is exactly the text the model sent (the concatenated deltas).
    * For display only, one ```markdown fence wrapped around the whole answer is removed, so the
      answer renders as Markdown instead of as a code block (`unwrap_fence=False` turns that off).
    * Reasoning text (`reasoning_content` from DeepSeek/Qwen/GLM, Ollama's `thinking`, Anthropic
      thinking blocks) is not part of the answer: it is left out of the display and the result.

Example:
    >>> from llmcourse.display import stream_markdown
    >>> text = stream_markdown(iter(["Hello", ", ", "world"]))   # plain text outside Jupyter
    Hello, world
    >>> text
    'Hello, world'
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["response_text", "show", "stream_markdown", "text_deltas"]

# One ```markdown (or ```md) fence opening the answer, and a bare ``` fence closing it.
_OPENING_FENCE = re.compile(r"\A\s*```[ \t]*(?:markdown|md)[ \t]*\r?\n", re.IGNORECASE)
_CLOSING_FENCE = re.compile(r"\r?\n[ \t]*```[ \t]*\s*\Z")


def stream_markdown(stream: Any, *, interval: float = 0.1, unwrap_fence: bool = True) -> str:
    """Show a streamed answer as it arrives (Markdown in Jupyter, plain text elsewhere); return its text.

    `stream` may be any of:
        * an OpenAI stream (`client.chat.completions.create(..., stream=True)`); usage-only chunks
          (`choices == []`) and `delta.content is None` are skipped; Responses-API events
          (`client.responses.create(..., stream=True)`) work too;
        * an Anthropic stream: `client.messages.stream(...)` (entered or not) or the raw events of
          `client.messages.create(..., stream=True)`;
        * an Ollama stream: `ollama.chat(..., stream=True)` or `ollama.generate(..., stream=True)`
          (objects or plain dicts);
        * any iterable of strings.

    In Jupyter the answer is drawn as a raw text/markdown bundle with `display_id=True` and redrawn with
    `handle.update(...)` at most every `interval` seconds; the final text is always drawn, also
    after an error or a KeyboardInterrupt (which are then raised again). Outside Jupyter each
    piece is printed as it arrives. Returns the model's raw text (a ```markdown fence around the
    whole answer is removed for display only; see the module docstring).

    Assign the result (`reply = stream_markdown(stream)`) so Jupyter does not print it a second time.

    Example:
        >>> reply = stream_markdown(["**Paris** is ", "the capital of France."])
        **Paris** is the capital of France.
        >>> reply
        '**Paris** is the capital of France.'
    """
    if interval < 0:
        raise ValueError(f"interval must be >= 0 seconds, got {interval!r}")
    if _in_jupyter_kernel():
        return _stream_to_jupyter(stream, interval=interval, unwrap_fence=unwrap_fence)
    return _stream_to_stdout(stream)


def show(text_or_response: Any, *, unwrap_fence: bool = True) -> None:
    """Show a complete answer: Markdown in Jupyter, plain text elsewhere.

    Accepts a string, an OpenAI `ChatCompletion` (or Responses-API `Response`), an Anthropic
    `Message`, or an Ollama `ChatResponse` / `GenerateResponse` (objects or dicts).

    Example:
        >>> show("# Hello\\nfrom the model")
        # Hello
        from the model
    """
    text = response_text(text_or_response)
    if _in_jupyter_kernel():
        from IPython.display import display

        display(_markdown(_unwrap_fence(text) if unwrap_fence else text), raw=True)
    else:
        print(text)


def response_text(response: Any) -> str:
    """The answer text of a complete (not streamed) response from any of the SDKs, or of a string.

    Example:
        >>> response_text({"message": {"role": "assistant", "content": "Hi!"}})   # an Ollama reply
        'Hi!'
    """
    if isinstance(response, str):
        return response
    choices = _field(response, "choices")
    if choices:  # OpenAI ChatCompletion
        return _field(_field(choices[0], "message"), "content") or ""
    output_text = _field(response, "output_text")
    if isinstance(output_text, str):  # OpenAI Responses API
        return output_text
    content = _field(response, "content")
    if isinstance(content, list):  # Anthropic Message: the text blocks, joined
        return "".join(_field(block, "text") or "" for block in content if _field(block, "type") == "text")
    message = _field(response, "message")
    if message is not None:  # Ollama ChatResponse
        return _field(message, "content") or ""
    generated = _field(response, "response")
    if isinstance(generated, str):  # Ollama GenerateResponse
        return generated
    raise TypeError(
        f"show() does not know how to find the text in a {type(response).__name__}; pass a string, "
        "an OpenAI ChatCompletion, an Anthropic Message or an Ollama ChatResponse"
    )


# --- where the text goes ---------------------------------------------------------------------


def _in_jupyter_kernel() -> bool:
    # IPython is imported by every kernel; if nobody imported it we are not in one. A terminal
    # IPython shell has no `kernel` and cannot render Markdown, so it gets plain text.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _stream_to_stdout(stream: Any) -> str:
    parts: list[str] = []
    try:
        for piece in text_deltas(stream):
            parts.append(piece)
            print(piece, end="", flush=True)
    except BaseException:
        _close(stream)
        raise
    finally:
        print(flush=True)
    return "".join(parts)


def _stream_to_jupyter(stream: Any, *, interval: float, unwrap_fence: bool) -> str:
    from IPython.display import display

    def source(text: str, final: bool) -> str:
        return _unwrap_fence(text, final=final) if unwrap_fence else text

    parts: list[str] = []
    handle = None
    shown: str | None = None  # the Markdown source the display shows now
    last_draw = 0.0
    try:
        for piece in text_deltas(stream):
            parts.append(piece)
            now = time.monotonic()
            if handle is not None and now - last_draw < interval:
                continue
            shown = source("".join(parts), final=False)
            if handle is None:  # leading edge: the first words show at once
                handle = display(_markdown(shown), raw=True, display_id=True)
            else:
                handle.update(_markdown(shown), raw=True)
            last_draw = now
    except BaseException:
        _close(stream)
        raise
    finally:
        # Always draw what arrived, also when the stream failed or was interrupted.
        text = "".join(parts)
        final = source(text, final=True)
        if handle is None:
            if text:
                display(_markdown(final), raw=True)
        elif final != shown:
            handle.update(_markdown(final), raw=True)
    return text


def _close(stream: Any) -> None:
    # Stop a stream we abandon (an interrupt) so the HTTP connection is released.
    close = getattr(stream, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # noqa: BLE001, S110 - best effort: the original error matters more
            pass


def _unwrap_fence(text: str, *, final: bool = True) -> str:
    """Remove one ```markdown fence around the whole answer (display only).

    Mid-stream the closing fence has not arrived yet, so the opening line alone is removed; the
    final render removes the fence only if it closes at the very end.
    """
    opening = _OPENING_FENCE.match(text)
    if opening is None:
        return text
    body = text[opening.end():]
    closing = _CLOSING_FENCE.search(body)
    if closing is not None:
        return body[: closing.start()]
    return text if final else body


# --- from SDK chunks to text -----------------------------------------------------------------


def text_deltas(stream: Any) -> Iterator[str]:
    """The answer's text pieces from any supported stream (see `stream_markdown`), in order.

    Example:
        >>> list(text_deltas([{"message": {"content": "Hi"}}, {"message": {"content": "!"}}]))
        ['Hi', '!']
    """
    if isinstance(stream, str):
        yield stream
        return
    text_stream = getattr(stream, "text_stream", None)
    if text_stream is not None:  # Anthropic MessageStream: its own text iterator
        yield from text_stream
        return
    if not isinstance(stream, Iterable) and hasattr(stream, "__enter__"):
        # Anthropic MessageStreamManager (`client.messages.stream(...)` not entered with `with`)
        with stream as entered:
            yield from text_deltas(entered)
        return
    if not isinstance(stream, Iterable) and hasattr(stream, "__aiter__"):
        raise TypeError(
            "stream_markdown reads a synchronous stream; this one is async (AsyncOpenAI / AsyncAnthropic). "
            "Use the synchronous client, or collect the text with `async for` yourself."
        )
    if not isinstance(stream, Iterable):
        raise TypeError(
            f"stream_markdown needs a stream (an iterable of chunks), got a {type(stream).__name__}; "
            "did you forget stream=True? For a complete answer use show(response)."
        )
    for chunk in stream:
        piece = _chunk_text(chunk)
        if piece:
            yield piece


def _chunk_text(chunk: Any) -> str | None:
    """The answer text in one chunk; None for chunks that carry none (usage, reasoning, events)."""
    if isinstance(chunk, str):
        return chunk
    if chunk is None:
        return None
    kind = _field(chunk, "type")
    if kind == "content_block_delta":  # Anthropic raw event: only text deltas are the answer
        delta = _field(chunk, "delta")
        return _field(delta, "text") if _field(delta, "type") == "text_delta" else None
    if kind == "response.output_text.delta":  # OpenAI Responses API
        return _field(chunk, "delta")
    if isinstance(kind, str) and kind != "message" and _field(chunk, "choices") is None:
        return None  # other Anthropic / Responses events (message_start, text snapshots, ...)
    choices = _field(chunk, "choices")
    if choices is not None:  # OpenAI ChatCompletionChunk ([] for the usage-only last chunk)
        for choice in choices:
            if (_field(choice, "index") or 0) == 0:
                return _field(_field(choice, "delta"), "content")  # None while reasoning streams
        return None
    message = _field(chunk, "message")
    if message is not None:  # Ollama chat chunk (thinking is in message.thinking: left out)
        return _field(message, "content")
    if _field(chunk, "response") is not None or _field(chunk, "done") is not None:  # Ollama generate
        return _field(chunk, "response")
    raise TypeError(
        f"stream_markdown does not understand a chunk of type {type(chunk).__name__}: {chunk!r:.200}. "
        "Pass the stream an SDK returned (OpenAI, Anthropic, Ollama) or an iterable of strings."
    )


def _markdown(text: str) -> dict[str, str]:
    # A raw MIME bundle, not IPython's Markdown(): that one treats text starting with "http" as a URL
    # to download and text naming an existing file as a path to read.
    return {"text/markdown": text, "text/plain": text}


def _field(obj: Any, name: str) -> Any:
    # SDK objects expose attributes, their JSON twins (and Ollama's raw dicts) keys.
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)
