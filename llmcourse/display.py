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
import time
from collections.abc import Iterable, Iterator
from typing import Any

from llmcourse.env import in_kernel
from llmcourse.labels import answered_locally, model_of
from llmcourse.retired import add_model_note
from llmcourse.sdkfields import field  # dicts and SDK objects alike

__all__ = ["local_caption", "response_text", "show", "stream_markdown", "text_deltas"]

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
    seen: dict[str, str] = {}
    chunks = _watch_model(stream, seen)
    if _in_jupyter_kernel():
        text = _stream_to_jupyter(chunks, interval=interval, unwrap_fence=unwrap_fence, original=stream)
    else:
        text = _stream_to_stdout(chunks, original=stream)
    caption = local_caption(seen.get("model") or _snapshot_model(stream))
    if caption and _in_jupyter_kernel():
        from IPython.display import display

        display(_markdown(f"*{caption}*"), raw=True)
    elif caption:
        print(caption)
    return text


def local_caption(model: str | None) -> str | None:
    """The one line shown under an answer the local model wrote; None for any other (or unknown) model.

    Example:
        >>> local_caption("local:SmolLM2-135M-Instruct")
        'Answered by the local model (local:SmolLM2-135M-Instruct), a small stand-in for the model the code asks for.'
        >>> print(local_caption("some-model-2026"))
        None
    """
    if not model or not answered_locally(model):
        return None
    return f"Answered by the local model ({model}), a small stand-in for the model the code asks for."


def show(text_or_response: Any, *, unwrap_fence: bool = True) -> None:
    """Show a complete answer: Markdown in Jupyter, plain text elsewhere.

    Accepts a string, an OpenAI `ChatCompletion` (or Responses-API `Response`), an Anthropic
    `Message`, or an Ollama `ChatResponse` / `GenerateResponse` (objects or dicts). When the response
    says the local model answered, one caption line under it says so (`local_caption`).

    Example:
        >>> show("# Hello\\nfrom the model")
        # Hello
        from the model
    """
    text = response_text(text_or_response)
    caption = local_caption(None if isinstance(text_or_response, str) else model_of(text_or_response))
    if _in_jupyter_kernel():
        from IPython.display import display

        display(_markdown(_unwrap_fence(text) if unwrap_fence else text), raw=True)
        if caption:
            display(_markdown(f"*{caption}*"), raw=True)
    else:
        print(text)
        if caption:
            print(caption)


def response_text(response: Any) -> str:
    """The answer text of a complete (not streamed) response from any of the SDKs, or of a string.

    Example:
        >>> response_text({"message": {"role": "assistant", "content": "Hi!"}})   # an Ollama reply
        'Hi!'
    """
    if isinstance(response, str):
        return response
    choices = field(response, "choices")
    if choices:  # OpenAI ChatCompletion
        return field(field(choices[0], "message"), "content") or ""
    output_text = field(response, "output_text")
    if isinstance(output_text, str):  # OpenAI Responses API
        return output_text
    content = field(response, "content")
    if isinstance(content, list):  # Anthropic Message: the text blocks, joined
        return "".join(field(block, "text") or "" for block in content if field(block, "type") == "text")
    message = field(response, "message")
    if message is not None:  # Ollama ChatResponse
        return field(message, "content") or ""
    generated = field(response, "response")
    if isinstance(generated, str):  # Ollama GenerateResponse
        return generated
    raise TypeError(
        f"show() does not know how to find the text in a {type(response).__name__}; pass a string, "
        "an OpenAI ChatCompletion, an Anthropic Message or an Ollama ChatResponse"
    )


# --- where the text goes ---------------------------------------------------------------------


def _in_jupyter_kernel() -> bool:
    # A terminal IPython shell has no `kernel` and cannot render Markdown, so it gets plain text.
    return in_kernel()


def _stream_to_stdout(stream: Any, *, original: Any) -> str:
    parts: list[str] = []
    try:
        for piece in text_deltas(stream):
            parts.append(piece)
            print(piece, end="", flush=True)
    except BaseException as error:
        _close(original)
        add_model_note(error)  # a retired model: one sentence naming the replacement, under the traceback
        raise
    finally:
        print(flush=True)
    return "".join(parts)


def _stream_to_jupyter(stream: Any, *, interval: float, unwrap_fence: bool, original: Any) -> str:
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
    except BaseException as error:
        _close(original)
        add_model_note(error)
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


def _watch_model(stream: Any, seen: dict[str, str]) -> Any:
    """The same chunks, noting in `seen["model"]` the model the first chunk that names one says answered."""
    if isinstance(stream, str) or getattr(stream, "text_stream", None) is not None or not isinstance(stream, Iterable):
        return stream  # text_deltas handles these shapes itself (Anthropic streams, errors for non-streams)

    def chunks() -> Iterator[Any]:
        for chunk in stream:
            if "model" not in seen and not isinstance(chunk, str):
                # OpenAI and Ollama chunks carry `model`; Anthropic's message_start event carries `message.model`.
                model = model_of(chunk) or (
                    model_of(field(chunk, "message")) if field(chunk, "type") == "message_start" else None
                )
                if model:
                    seen["model"] = model
            yield chunk

    return chunks()


def _snapshot_model(stream: Any) -> str | None:
    # An Anthropic MessageStream keeps the message it is building, model included.
    if not hasattr(stream, "text_stream"):
        return None
    try:
        return model_of(stream.current_message_snapshot)
    except Exception:  # noqa: BLE001 - no snapshot (nothing arrived): no caption, never an error
        return None


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
    body = text[opening.end() :]
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
    kind = field(chunk, "type")
    if kind == "content_block_delta":  # Anthropic raw event: only text deltas are the answer
        delta = field(chunk, "delta")
        return field(delta, "text") if field(delta, "type") == "text_delta" else None
    if kind == "response.output_text.delta":  # OpenAI Responses API
        return field(chunk, "delta")
    if isinstance(kind, str) and kind != "message" and field(chunk, "choices") is None:
        return None  # other Anthropic / Responses events (message_start, text snapshots, ...)
    choices = field(chunk, "choices")
    if choices is not None:  # OpenAI ChatCompletionChunk ([] for the usage-only last chunk)
        for choice in choices:
            if (field(choice, "index") or 0) == 0:
                return field(field(choice, "delta"), "content")  # None while reasoning streams
        return None
    message = field(chunk, "message")
    if message is not None:  # Ollama chat chunk (thinking is in message.thinking: left out)
        return field(message, "content")
    if field(chunk, "response") is not None or field(chunk, "done") is not None:  # Ollama generate
        return field(chunk, "response")
    raise TypeError(
        f"stream_markdown does not understand a chunk of type {type(chunk).__name__}: {chunk!r:.200}. "
        "Pass the stream an SDK returned (OpenAI, Anthropic, Ollama) or an iterable of strings."
    )


def _markdown(text: str) -> dict[str, str]:
    # A raw MIME bundle, not IPython's Markdown(): that one treats text starting with "http" as a URL
    # to download and text naming an existing file as a path to read.
    return {"text/markdown": text, "text/plain": text}
