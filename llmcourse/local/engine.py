"""One llama.cpp model shared by every request: generation under a lock, streams that can be cancelled.

llama.cpp is not thread-safe, so one generation runs at a time; the others wait their turn. A
stream runs in its own worker thread and hands chunks to the event loop through a queue; when
the client goes away the worker stops at the next token and frees the model.

Example:
    >>> engine = Engine()                                             # doctest: +SKIP
    >>> engine.complete(messages=[{"role": "user", "content": "Hi"}])  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from typing import Any

from llmcourse.local import gguf_path

__all__ = ["Engine", "ContextLengthError", "GENERATION_DEFAULTS"]

# A 135M model rambles at OpenAI's default temperature of 1.0; these apply only when a request
# does not say otherwise.
GENERATION_DEFAULTS: dict[str, Any] = {"temperature": 0.2, "repeat_penalty": 1.1, "max_tokens": 512}


class ContextLengthError(ValueError):
    """The prompt (plus max_tokens) does not fit the model's context window."""


def _as_context_error(exc: Exception) -> Exception:
    text = str(exc)
    if "exceed context window" in text or "context window" in text:
        return ContextLengthError(text)
    return exc


class Engine:
    """The loaded model plus the lock that serialises access to it.

    Example:
        >>> Engine(n_ctx=2048).n_ctx                                   # doctest: +SKIP
        2048
    """

    def __init__(self, model_path: str | None = None, *, n_ctx: int = 8192, n_threads: int | None = None) -> None:
        from llama_cpp import Llama

        self.model_path = str(model_path or gguf_path())
        self.n_ctx = n_ctx
        threads = n_threads or max(1, min(4, os.cpu_count() or 1))
        self.llm = Llama(model_path=self.model_path, n_ctx=n_ctx, n_threads=threads, verbose=False)
        self.lock = threading.Lock()

    def _kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        merged = {key: value for key, value in kwargs.items() if value is not None}
        if merged.get("tools") or merged.get("response_format"):
            # Structured output: a repeat penalty pushes the model off valid JSON, and tool
            # arguments should not depend on luck.
            merged.setdefault("repeat_penalty", 1.0)
            merged.setdefault("temperature", 0.0)
            if merged.get("tools"):
                merged["temperature"] = 0.0
        for key, value in GENERATION_DEFAULTS.items():
            merged.setdefault(key, value)
        return merged

    def complete(self, **kwargs: Any) -> dict[str, Any]:
        """Run one chat completion to the end (blocking); returns llama.cpp's OpenAI-shaped dict.

        Example:
            >>> engine.complete(messages=[{"role": "user", "content": "Hi"}])["choices"][0]  # doctest: +SKIP
        """
        with self.lock:
            try:
                return self.llm.create_chat_completion(**self._kwargs(kwargs))
            except ValueError as exc:
                raise _as_context_error(exc) from exc

    async def stream(self, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        """Yield OpenAI-shaped chunks from a worker thread; stops generating when the consumer stops.

        Errors before the first chunk (a prompt that does not fit) are raised from the first
        `__anext__`, so a server can still answer with a 4xx instead of a broken stream.
        The last item is `{"usage": {...}}` with the token counts.

        Example:
            >>> async for chunk in engine.stream(messages=[...]): ...  # doctest: +SKIP
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancelled = threading.Event()
        params = self._kwargs(kwargs)

        def put(kind: str, item: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, item))

        def work() -> None:
            completion_tokens = 0
            with self.lock:
                try:
                    chunks = self.llm.create_chat_completion(stream=True, **params)
                    for chunk in chunks:
                        if cancelled.is_set():
                            chunks.close()
                            break
                        if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                            completion_tokens += 1
                        put("chunk", chunk)
                    # llama.cpp keeps prompt + generated tokens in its context after a run.
                    prompt_tokens = max(0, self.llm.n_tokens - completion_tokens)
                    put("usage", {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                  "total_tokens": prompt_tokens + completion_tokens})
                except ValueError as exc:
                    put("error", _as_context_error(exc))
                except Exception as exc:  # reported to the client, the server keeps serving
                    put("error", exc)
                finally:
                    put("end", None)

        threading.Thread(target=work, name="llmcourse-generate", daemon=True).start()
        try:
            while True:
                kind, item = await queue.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise item
                yield item if kind == "chunk" else {"usage": item}
        finally:
            cancelled.set()
