"""One llama.cpp model shared by every request: generation under a lock, streams that can be cancelled.

llama.cpp is not thread-safe, so one generation runs at a time; the others wait their turn. A
stream runs in its own worker thread and hands chunks to the event loop through a queue; when
the client goes away the worker stops at the next token and frees the model. A plain (non-streamed)
request stops the same way when its client disconnects (see cancel.py). No request holds the model
longer than `max_seconds` or generates more than `max_tokens` tokens.

Example:
    >>> engine = Engine()                                             # doctest: +SKIP
    >>> engine.complete(messages=[{"role": "user", "content": "Hi"}])  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from llmcourse.local.cancel import RequestCancelled, current_cancel_event
from llmcourse.local.observe import Observer, prefix_tokens
from llmcourse.local.sources import resolve as resolve_model

__all__ = ["GENERATION_DEFAULTS", "MAX_REQUEST_SECONDS", "MAX_TOKENS", "ContextLengthError", "Engine"]

# A 135M model rambles at OpenAI's default temperature of 1.0; these apply only when a request
# does not say otherwise.
GENERATION_DEFAULTS: dict[str, Any] = {"temperature": 0.2, "repeat_penalty": 1.1, "max_tokens": 512}
MAX_TOKENS = 4096  # the most tokens one answer may have, whatever max_tokens asks (also capped at n_ctx)
MAX_REQUEST_SECONDS = 120.0  # the longest one request may hold the model once it has it


class ContextLengthError(ValueError):
    """The prompt (plus max_tokens) does not fit the model's context window."""


def _as_context_error(exc: Exception) -> Exception:
    text = str(exc)
    if "exceed context window" in text or "context window" in text:
        return ContextLengthError(text)
    return exc


class _Limits:
    """Asked by llama.cpp after every token: stop now? (the client left, or the time is up)."""

    def __init__(self, max_seconds: float, *events: threading.Event | None) -> None:
        self.deadline = time.monotonic() + max_seconds
        self.events = [event for event in events if event is not None]
        self.reason: str | None = None  # why it stopped early: "client_left" or "time_limit"

    @property
    def timed_out(self) -> bool:
        return self.reason == "time_limit"

    def __call__(self) -> bool:
        if any(event.is_set() for event in self.events):
            self.reason = "client_left"
            return True
        if time.monotonic() > self.deadline:
            self.reason = "time_limit"
            return True
        return False


def _never() -> bool:
    return False


class Engine:
    """The loaded model plus the lock that serialises access to it.

    Example:
        >>> Engine(n_ctx=2048).n_ctx                                   # doctest: +SKIP
        2048
    """

    def __init__(
        self,
        model_path: str | None = None,
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        max_tokens: int = MAX_TOKENS,
        max_seconds: float = MAX_REQUEST_SECONDS,
        model_name: str | None = None,
    ) -> None:
        from llama_cpp import Llama

        if model_path is None:  # LLMCOURSE_LOCAL_MODEL, else the bundled SmolLM2 (sources.py)
            chosen = resolve_model()
            model_path, model_name = chosen.path, model_name or chosen.name
        self.model_path = str(model_path)
        # What every response's `model` field says: `local:<name>` (the bundled model keeps its usual name).
        self.model_name = model_name or ("local:" + Path(self.model_path).name.removesuffix(".gguf"))
        self.n_ctx = n_ctx
        threads = n_threads or max(1, min(4, os.cpu_count() or 1))
        self.llm = Llama(model_path=self.model_path, n_ctx=n_ctx, n_threads=threads, verbose=False)
        self.lock = threading.Lock()
        self.observer = Observer(self.llm)  # prompt-cache reuse and logprobs, read after each run
        self.max_tokens = max(1, min(max_tokens, n_ctx))
        self.max_seconds = max_seconds
        self._should_stop: Callable[[], bool] = _never  # the running generation's limits (set under the lock)
        # Generations that ended early, by reason: client_left, left_before_turn, time_limit (for diagnostics).
        self.stops: Counter[str] = Counter()
        self.llm.create_completion = self._stoppable(self.llm.create_completion)

    def _stoppable(self, create_completion: Callable[..., Any]) -> Callable[..., Any]:
        """llama.cpp's chat handlers call `create_completion`; add our stop check to its stopping criteria."""
        from llama_cpp import StoppingCriteriaList

        def create(*args: Any, stopping_criteria: Any = None, **kwargs: Any) -> Any:
            checks = StoppingCriteriaList([lambda _tokens, _logits: self._should_stop()])
            checks.extend(stopping_criteria or [])
            return create_completion(*args, stopping_criteria=checks, **kwargs)

        return create

    def _observe(self, params: dict[str, Any]) -> tuple[int | None, list[str] | None]:
        """Take our own keys out of llama.cpp's arguments: (top_logprobs or None, cache_prefix texts or None)."""
        logprobs, top = params.pop("logprobs", None), params.pop("top_logprobs", None)
        return (top or 0) if logprobs else None, params.pop("cache_prefix", None)

    def _usage(self, usage: dict[str, Any], cache_prefix: list[str] | None) -> dict[str, Any]:
        """Add what llama.cpp really did: prompt tokens reused from its KV cache; no reasoning tokens."""
        observer = self.observer
        if observer.prompt_ids:
            usage["prompt_tokens"] = len(observer.prompt_ids)
            usage["total_tokens"] = usage["prompt_tokens"] + usage.get("completion_tokens", 0)
        usage["prompt_tokens_details"] = {"cached_tokens": observer.cached_tokens or 0}
        usage["completion_tokens_details"] = {"reasoning_tokens": 0}  # a plain chat model does not reason
        if cache_prefix is not None:  # Anthropic cache_control: tokens up to the last marked block
            usage["cache_prefix_tokens"] = prefix_tokens(self.llm, observer.prompt_ids, cache_prefix)
        return usage

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
        limit = merged["max_tokens"]  # llama.cpp reads 0 or less as "no limit": never let it
        merged["max_tokens"] = (
            min(limit, self.max_tokens)
            if isinstance(limit, int) and limit >= 1
            else min(GENERATION_DEFAULTS["max_tokens"], self.max_tokens)
        )
        return merged

    def complete(self, **kwargs: Any) -> dict[str, Any]:
        """Run one chat completion to the end (blocking); returns llama.cpp's OpenAI-shaped dict.

        Example:
            >>> engine.complete(messages=[{"role": "user", "content": "Hi"}])["choices"][0]  # doctest: +SKIP
        """
        params = self._kwargs(kwargs)
        top, cache_prefix = self._observe(params)
        cancel = current_cancel_event()
        with self.lock:
            if cancel is not None and cancel.is_set():
                self.stops["left_before_turn"] += 1
                raise RequestCancelled("the client went away while waiting for the model")
            self.observer.start(top)
            self._should_stop = limits = _Limits(self.max_seconds, cancel)
            try:
                completion = self.llm.create_chat_completion(**params)
            except ValueError as exc:
                raise _as_context_error(exc) from exc
            finally:
                self._should_stop = _never
                if limits.reason:
                    self.stops[limits.reason] += 1
            if limits.timed_out:  # cut short by the time limit: say so as a length stop
                completion["choices"][0]["finish_reason"] = "length"
            self._usage(completion["usage"], cache_prefix)
            if top is not None:
                text = completion["choices"][0]["message"].get("content") or ""
                completion["choices"][0]["logprobs"] = {"content": self.observer.content(text), "refusal": None}
            return completion

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
        request_cancel = current_cancel_event()
        params = self._kwargs(kwargs)
        top, cache_prefix = self._observe(params)

        def put(kind: str, item: Any) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, item))

        def work() -> None:
            completion_tokens = 0
            with self.lock:
                self.observer.start(top)
                self._should_stop = limits = _Limits(self.max_seconds, cancelled, request_cancel)
                try:
                    if request_cancel is not None and request_cancel.is_set():
                        limits.reason = "left_before_turn"
                        raise RequestCancelled("the client went away while waiting for the model")
                    chunks = self.llm.create_chat_completion(stream=True, **params)
                    for chunk in chunks:
                        if cancelled.is_set():
                            limits.reason = limits.reason or "client_left"
                            chunks.close()
                            break
                        if limits.timed_out and chunk["choices"] and chunk["choices"][0].get("finish_reason"):
                            chunk["choices"][0]["finish_reason"] = "length"
                        if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                            completion_tokens += 1
                            if top is not None:
                                content = self.observer.stream_content(chunk["choices"][0]["delta"]["content"])
                                chunk["choices"][0]["logprobs"] = {"content": content, "refusal": None}
                        put("chunk", chunk)
                    # llama.cpp keeps prompt + generated tokens in its context after a run.
                    prompt_tokens = max(0, self.llm.n_tokens - completion_tokens)
                    put(
                        "usage",
                        self._usage(
                            {
                                "prompt_tokens": prompt_tokens,
                                "completion_tokens": completion_tokens,
                                "total_tokens": prompt_tokens + completion_tokens,
                            },
                            cache_prefix,
                        ),
                    )
                except ValueError as exc:
                    put("error", _as_context_error(exc))
                except Exception as exc:  # noqa: BLE001 (reported to the client; the server keeps serving)
                    put("error", exc)
                finally:
                    self._should_stop = _never
                    if limits.reason:
                        self.stops[limits.reason] += 1
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
