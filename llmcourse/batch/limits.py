"""Staying under a provider's requests-per-minute and tokens-per-minute limits.

Requests are spaced, not bunched: a GCRA (the "generic cell rate algorithm", a token bucket written
as one timestamp) lets a request start every 60/rpm seconds, with an optional small burst. Tokens
use an ordinary token bucket holding one minute's worth, refilled continuously; the estimate taken
before a request is corrected with the real usage after it. A 429's `Retry-After` can pause
everything. One lock keeps waiters in order, so concurrent callers never start together.

Example:
    >>> import asyncio
    >>> limiter = RateLimiter(requests_per_minute=600, tokens_per_minute=10_000)
    >>> asyncio.run(limiter.acquire(tokens=50))   # returns when the request may start
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Spaces request starts for a requests-per-minute limit and meters a tokens-per-minute budget.

    `burst` is how many requests may start back to back after an idle spell (1 = strictly spaced).
    `clock` and `sleep` can be replaced (tests use a simulated clock).

    Example:
        >>> limiter = RateLimiter(requests_per_minute=1200)
        >>> limiter.interval
        0.05
    """

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if requests_per_minute is not None and requests_per_minute <= 0:
            raise ValueError(f"requests_per_minute must be positive, got {requests_per_minute}")
        if tokens_per_minute is not None and tokens_per_minute <= 0:
            raise ValueError(f"tokens_per_minute must be positive, got {tokens_per_minute}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self._tolerance = self.interval * (burst - 1)
        self._clock = clock
        self._sleep = sleep
        self._lock: asyncio.Lock | None = None  # made on first use, inside the loop that uses it
        now = clock()
        self._next_start = now  # GCRA's "theoretical arrival time"
        self._tokens = float(tokens_per_minute or 0)
        self._tokens_at = now
        self._paused_until = now

    def _refill(self, now: float) -> None:
        if self.tokens_per_minute:
            rate = self.tokens_per_minute / 60.0
            self._tokens = min(float(self.tokens_per_minute), self._tokens + (now - self._tokens_at) * rate)
        self._tokens_at = now

    def _wait_needed(self, now: float, tokens: float) -> float:
        wait = self._paused_until - now
        if self.interval:
            wait = max(wait, self._next_start - self._tolerance - now)
        if self.tokens_per_minute and self._tokens < tokens:
            wait = max(wait, (tokens - self._tokens) / (self.tokens_per_minute / 60.0))
        return wait

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until a request estimated at `tokens` tokens may start, then count it.

        A request larger than the whole per-minute budget waits for a full bucket and then goes
        (it could never fit otherwise).

        Example:
            >>> asyncio.run(RateLimiter(tokens_per_minute=1000).acquire(tokens=10))
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        if self.tokens_per_minute:
            tokens = min(tokens, self.tokens_per_minute)
        async with self._lock:
            while True:
                now = self._clock()
                self._refill(now)
                wait = self._wait_needed(now, tokens)
                if wait <= 0:
                    break
                await self._sleep(wait)
            if self.interval:
                self._next_start = max(self._next_start, now) + self.interval
            if self.tokens_per_minute:
                self._tokens -= tokens

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token budget once the real usage is known (an overdraft makes later requests wait).

        Example:
            >>> limiter = RateLimiter(tokens_per_minute=1000)
            >>> asyncio.run(limiter.acquire(tokens=300)); limiter.settle(estimated=300, actual=100)
            >>> round(limiter.available_tokens)
            900
        """
        if self.tokens_per_minute:
            self._refill(self._clock())
            self._tokens = min(float(self.tokens_per_minute), self._tokens + estimated - actual)

    def pause(self, seconds: float) -> None:
        """Let no request start for `seconds` (used when the server answers 429 with `Retry-After`).

        Example:
            >>> limiter = RateLimiter(requests_per_minute=60); limiter.pause(2.0)
        """
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    @property
    def available_tokens(self) -> float:
        """Tokens that may be spent right now (negative after an overdraft).

        Example:
            >>> RateLimiter(tokens_per_minute=500).available_tokens
            500.0
        """
        self._refill(self._clock())
        return self._tokens
