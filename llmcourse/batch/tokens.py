"""Estimating a request's tokens before it is sent (the tokens-per-minute limit needs a number up front).

tiktoken is used only when its encoding is already in the local cache: without one, tiktoken would
try to download it, which hangs or fails offline. Otherwise the estimate is characters / 4, which is
close for English and errs high for code. The real usage from the response corrects the limiter later.

Example:
    >>> estimate_tokens([{"role": "user", "content": "Hello there"}], max_output_tokens=10) > 10
    True
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Sequence
from typing import Any

__all__ = ["DEFAULT_OUTPUT_TOKENS", "IMAGE_TOKENS", "cached_encoding", "estimate_tokens"]

# tiktoken's download address for an encoding; the cache file is named after its SHA-1.
_ENCODING_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
# What one image costs in a prompt, roughly (OpenAI's base cost of a low-detail image).
IMAGE_TOKENS = 85
# Output tokens assumed when the request sets no max_tokens (a short answer; usage corrects it).
DEFAULT_OUTPUT_TOKENS = 256
_PER_MESSAGE_OVERHEAD = 4  # role and separators, per OpenAI's counting guide


def _tiktoken_cache_file(name: str) -> str | None:
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        cache_dir = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        cache_dir = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not cache_dir:  # an empty value disables tiktoken's cache: every use would download
        return None
    return os.path.join(cache_dir, hashlib.sha1(_ENCODING_URL.format(name=name).encode()).hexdigest())


@functools.lru_cache(maxsize=4)
def cached_encoding(name: str = "o200k_base") -> Any | None:
    """The tiktoken encoding `name` if it can be loaded without the network, else None.

    Example:
        >>> cached_encoding("o200k_base") is None or cached_encoding("o200k_base").name == "o200k_base"
        True
    """
    cache_file = _tiktoken_cache_file(name)
    if cache_file is None or not os.path.isfile(cache_file):
        return None
    try:
        import tiktoken

        return tiktoken.get_encoding(name)
    except Exception:  # noqa: BLE001 (tiktoken missing or a damaged cache file: use the estimate)
        return None


def _text_tokens(text: str, encoding: Any | None) -> int:
    if encoding is not None:
        return len(encoding.encode(text, disallowed_special=()))
    return (len(text) + 3) // 4


def estimate_tokens(
    messages: Sequence[dict[str, Any]], *, max_output_tokens: int | None = None, encoding: str = "o200k_base"
) -> int:
    """Prompt tokens plus the most the answer may use (`max_output_tokens`, else a short-answer default).

    Example:
        >>> estimate_tokens([{"role": "user", "content": "Is this review positive?"}], max_output_tokens=50) > 50
        True
    """
    enc = cached_encoding(encoding)
    total = 3  # every reply is primed with a few tokens
    for message in messages:
        total += _PER_MESSAGE_OVERHEAD
        content = message.get("content")
        if isinstance(content, str):
            total += _text_tokens(content, enc)
        elif isinstance(content, list):
            for part in content:
                if part.get("type") == "text":
                    total += _text_tokens(str(part.get("text", "")), enc)
                else:
                    total += IMAGE_TOKENS
    return total + (DEFAULT_OUTPUT_TOKENS if max_output_tokens is None else max_output_tokens)
