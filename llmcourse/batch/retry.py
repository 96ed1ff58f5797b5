"""Which errors are worth another attempt, and how long to wait before it.

Retried: 429 (rate limited), 408 and 5xx (the server's trouble), timeouts and dropped connections,
and a 200 whose body is not the expected JSON (a gateway or proxy answering in its place).
Never retried: every other 4xx (400 bad request, 401/403 key or permission, 404 unknown model, 422):
the same request would fail the same way. Waits grow exponentially with random jitter, so many
workers do not retry in lockstep; a `Retry-After` header, when present, says exactly how long.

Example:
    >>> backoff_delay(3, base=1.0, cap=60.0) <= 4.0
    True
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmcourse.keys import mask_secrets  # the one masker: every key shape of the provider table + loaded keys
from llmcourse.retired import explain_model_error

__all__ = ["Failure", "backoff_delay", "classify_error", "retry_after_seconds"]


@dataclass(frozen=True)
class Failure:
    """What went wrong with one attempt: a kind, whether to retry, the HTTP status and any `Retry-After`.

    Example:
        >>> Failure("rate_limited", True, 429, "slow down", 2.0).as_record()["status_code"]
        429
    """

    kind: str  # rate_limited | server_error | garbled | timeout | connection | auth | bad_request | not_found | invalid_input | other
    retryable: bool
    status_code: int | None
    message: str
    retry_after: float | None = None

    @property
    def stops_run(self) -> bool:
        """A bad key or missing permission fails every item alike: stop starting new ones."""
        return self.kind == "auth"

    def as_record(self) -> dict[str, Any]:
        """The error as stored in a result record."""
        return {"kind": self.kind, "status_code": self.status_code, "message": self.message}


def retry_after_seconds(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds a server asked us to wait: `retry-after-ms`, or `Retry-After` as seconds or an HTTP date.

    Example:
        >>> retry_after_seconds({"retry-after": "1.5"})
        1.5
    """
    if not headers:
        return None
    lowered = {str(k).lower(): v for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _message_of(error: BaseException) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return mask_secrets(str(inner["message"]))[:500]
    text = str(error) or type(error).__name__
    return mask_secrets(text)[:500]


def classify_error(error: BaseException) -> Failure:
    """Sort an exception from the OpenAI or Anthropic SDK (or asyncio) into a `Failure`.

    Example:
        >>> classify_error(TimeoutError()).retryable
        True
    """
    names = {cls.__name__ for cls in type(error).__mro__}
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        response = getattr(error, "response", None)
        retry_after = retry_after_seconds(getattr(response, "headers", None))
        message = _message_of(error)
        retired = explain_model_error(error)  # a retired model: say which one replaces it
        if retired:
            message = f"{retired} ({message})"
        if status < 400:  # a 2xx whose body could not be read (a proxy's page, a cut-off body): a hiccup, retried
            return Failure("garbled", True, status, message, retry_after)
        if status == 429:
            return Failure("rate_limited", True, status, message, retry_after)
        if status == 408 or status >= 500:
            return Failure("server_error" if status >= 500 else "timeout", True, status, message, retry_after)
        if status in (401, 403):
            return Failure("auth", False, status, message)
        if status == 404:
            return Failure("not_found", False, status, message)
        return Failure("bad_request", False, status, message)
    if isinstance(error, TimeoutError) or "APITimeoutError" in names or "TimeoutException" in names:
        return Failure("timeout", True, None, "the request timed out")
    if "APIConnectionError" in names or isinstance(error, ConnectionError):
        return Failure("connection", True, None, _message_of(error))
    return Failure("other", False, None, f"{type(error).__name__}: {_message_of(error)}")


def backoff_delay(attempt: int, *, base: float = 1.0, cap: float = 60.0, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): base * 2^(attempt-1), capped,
    times a random factor in [0.5, 1] so that retries spread out.

    Example:
        >>> 0.5 <= backoff_delay(1, base=1.0) <= 1.0
        True
    """
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return ceiling * (0.5 + 0.5 * (rng or random).random())
