"""What llama.cpp did in one generation: the prompt prefix it reused, and each sampled token's log-probabilities.

Two facts about llama-cpp-python 0.3 (read in its source, measured in tests/test_local_server_features.py):

- `Llama.generate` keeps the previous prompt in the KV cache and evaluates only what follows the
  longest common prefix. The first `eval` of a request therefore starts at `n_tokens` = the number
  of prompt tokens taken from the cache: that is the real prompt-cache reuse we report.
- Its own `logprobs` need the model loaded with `logits_all=True`, which keeps an n_ctx x n_vocab
  array (1.6 GB for 8,192 x 49,152) and computes logits for every prompt token. The logits of the
  last position, which sampling computes anyway, are enough: we read them just before each `sample`.

`Observer` wraps those two methods on one `Llama` instance; the engine starts it before each request
(under its lock) and reads it afterwards. Log-probabilities are the model's own (log-softmax of the raw
logits, before temperature, penalties or a grammar), like llama-cpp-python's and OpenAI's.

Example:
    >>> observer = Observer(llm)                                                  # doctest: +SKIP
    >>> observer.start(top_logprobs=5)                                            # doctest: +SKIP
    >>> text = llm.create_chat_completion(messages=msgs)["choices"][0]["message"]["content"]  # doctest: +SKIP
    >>> observer.cached_tokens, observer.content(text)[0]["token"]               # doctest: +SKIP
    (0, 'The')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_TOP_LOGPROBS", "Observer", "Step", "logprob_request", "prefix_tokens"]

MAX_TOP_LOGPROBS = 20  # OpenAI's and Ollama's limit for top_logprobs


def logprob_request(logprobs: Any, top_logprobs: Any) -> int | None:
    """Check a request's `logprobs` / `top_logprobs`; the number of alternatives to record, or None for no logprobs.

    Raises ValueError with the fix (each wire format turns it into its own 400).

    Example:
        >>> logprob_request(True, 5), logprob_request(None, None), logprob_request(True, None)
        (5, None, 0)
    """
    if logprobs is not None and not isinstance(logprobs, bool):
        raise ValueError("'logprobs' must be true or false.")
    if top_logprobs is not None:
        whole = isinstance(top_logprobs, int) and not isinstance(top_logprobs, bool)
        if not whole or not 0 <= top_logprobs <= MAX_TOP_LOGPROBS:
            raise ValueError(f"'top_logprobs' must be an integer from 0 to {MAX_TOP_LOGPROBS}.")
        if not logprobs:
            raise ValueError("'logprobs' must be set to true when 'top_logprobs' is used.")
    return (top_logprobs or 0) if logprobs else None


@dataclass
class Step:
    """One sampled token: its id, its log-probability and the most likely alternatives (id, logprob)."""

    token: int
    logprob: float
    top: list[tuple[int, float]]


class Observer:
    """Watches one `Llama` instance: prefix reused from the KV cache, and (when asked) every token's logprobs.

    Example:
        >>> Observer(llm).cached_tokens is None                                    # doctest: +SKIP
        True
    """

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self._eval, self._sample = llm.eval, llm.sample
        llm.eval, llm.sample = self._watch_eval, self._watch_sample
        self.start()

    def start(self, top_logprobs: int | None = None) -> None:
        """Forget the last request; record logprobs (with this many alternatives) when `top_logprobs` is not None.

        Example:
            >>> observer.start(top_logprobs=0)                                     # doctest: +SKIP
        """
        self.top_logprobs = top_logprobs
        self.cached_tokens: int | None = None  # prompt tokens llama.cpp took from its KV cache
        self.prompt_ids: list[int] = []
        self.steps: list[Step] = []
        self._cursor = 0  # steps already handed out (streaming)
        self._covered = 0  # bytes of text those steps make up
        self._streamed = b""

    def _watch_eval(self, tokens: Sequence[int]) -> None:
        if self.cached_tokens is None:  # the request's first eval: the prompt after the reused prefix
            self.cached_tokens = int(self.llm.n_tokens)
            self.prompt_ids = self.llm.input_ids[: self.llm.n_tokens].tolist() + list(tokens)
        return self._eval(tokens)

    def _watch_sample(self, *args: Any, **kwargs: Any) -> int:
        if self.top_logprobs is None:
            return self._sample(*args, **kwargs)
        import llama_cpp  # installed with the server (the `local` extra), like numpy
        import numpy as np

        idx = kwargs.get("idx")
        row = idx - self.llm.n_tokens if idx is not None else -1
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(self.llm.ctx, row), shape=(self.llm.n_vocab(),))
        logits = logits.astype(np.float64)  # a copy, taken before the sampler runs
        token = self._sample(*args, **kwargs)
        logprobs = logits - (logits.max() + np.log(np.exp(logits - logits.max()).sum()))
        count = min(self.top_logprobs, len(logprobs))
        best = np.argpartition(-logprobs, count)[:count] if count else np.array([], dtype=int)
        best = best[np.argsort(-logprobs[best])]
        self.steps.append(Step(int(token), float(logprobs[token]), [(int(i), float(logprobs[i])) for i in best]))
        return token

    def _piece(self, token: int) -> bytes:
        return self.llm.detokenize([token])

    def _entry(self, token: int, logprob: float) -> dict[str, Any]:
        piece = self._piece(token)
        return {"token": piece.decode("utf-8", errors="replace"), "logprob": logprob, "bytes": list(piece)}

    def _cover(self, target: bytes) -> list[dict[str, Any]]:
        entries = []
        while self._cursor < len(self.steps) and self._covered < len(target):
            step = self.steps[self._cursor]
            piece = self._piece(step.token)
            end = self._covered + len(piece)
            if end > len(target) or target[self._covered : end] != piece:
                break  # the text was cut inside this token (a stop sequence): it is not part of the answer
            entries.append(
                {
                    **self._entry(step.token, step.logprob),
                    "top_logprobs": [self._entry(token, logprob) for token, logprob in step.top],
                }
            )
            self._cursor, self._covered = self._cursor + 1, end
        return entries

    def content(self, text: str) -> list[dict[str, Any]]:
        """OpenAI's `logprobs.content` for a whole answer: one entry per token of `text` (end-of-turn left out).

        Example:
            >>> [entry["token"] for entry in observer.content("Hello!")]           # doctest: +SKIP
            ['Hello', '!']
        """
        self._cursor, self._covered = 0, 0
        return self._cover(text.encode("utf-8"))

    def stream_content(self, piece: str) -> list[dict[str, Any]]:
        """The `logprobs.content` entries for the next streamed piece of text (tokens it completes).

        Example:
            >>> observer.stream_content("Hel")                                     # doctest: +SKIP
            []
        """
        self._streamed += piece.encode("utf-8")
        return self._cover(self._streamed)


def prefix_tokens(llm: Any, prompt_ids: Sequence[int], texts: Sequence[str]) -> int | None:
    """How many prompt tokens it takes to reach the end of the last of `texts`, found in order in the prompt.

    Used for Anthropic's `cache_control`: `texts` are the request's content blocks up to the last
    block marked for caching. None when they cannot be found (the prompt was rewritten).

    Example:
        >>> prefix_tokens(llm, llm.tokenize(b"System: be brief. User: hi"), ["be brief."])  # doctest: +SKIP
        5
    """
    pieces = [llm.detokenize([token], special=True) for token in prompt_ids]
    prompt = b"".join(pieces)
    position = 0
    for text in texts:
        found = prompt.find(text.encode("utf-8"), position)
        if found < 0:
            return None
        position = found + len(text.encode("utf-8"))
    if position == 0:
        return 0
    covered = 0
    for count, piece in enumerate(pieces, start=1):
        covered += len(piece)
        if covered >= position:
            return count
    return len(pieces)
