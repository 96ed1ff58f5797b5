"""Connections that cannot wedge the server: a deadline for request headers and a cap on open connections.

uvicorn closes a kept-alive connection that stays idle, but not one that was opened and then sends
nothing, or half a header block, forever. Enough of those use up the process's file descriptors
(a 256-file limit is common on macOS) and the server stops accepting anyone. So:

- a connection must deliver a request's complete headers within `header_seconds` of connecting
  (or of starting to send its next request), else it is closed;
- at most `max_connections` are open: a new one first closes the oldest connections that have no
  request in progress; if every one of them is busy, the new one is closed.

Repeated warnings (a flood of malformed requests) are logged once a minute, not once per request.

Example:
    >>> protocol = guarded_protocol(header_seconds=10, max_connections=64)
    >>> protocol.max_connections
    64
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HEADER_SECONDS", "MAX_CONNECTIONS", "GuardedH11Protocol", "guarded_protocol", "quiet_repeated_warnings"]

HEADER_SECONDS = 10.0
MAX_CONNECTIONS = 64


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus the header deadline and the connection cap (set by `guarded_protocol`).

    Example:
        >>> GuardedH11Protocol.header_seconds
        10.0
    """

    header_seconds: float = HEADER_SECONDS
    max_connections: int = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._opened_at = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._opened_at = time.monotonic()
        self._arm()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._idle():
            self._disarm()  # a request is running: the app's own limits apply to its body and answer
        elif self._header_timer is None:
            self._arm()  # the start of a request whose headers are not complete yet: the clock runs

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_seconds, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._idle():
            self._close()

    def _close(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.close()

    def _make_room(self) -> None:
        open_ones = [c for c in self.connections if not c.transport.is_closing()]
        excess = len(open_ones) - self.max_connections
        idle = sorted(
            (c for c in open_ones if c is not self and isinstance(c, GuardedH11Protocol) and c._idle()),
            key=lambda c: c._opened_at,
        )
        for connection in idle[:excess]:
            connection._close()
        if excess > len(idle):
            self._close()


def guarded_protocol(
    *, header_seconds: float = HEADER_SECONDS, max_connections: int = MAX_CONNECTIONS
) -> type[GuardedH11Protocol]:
    """A `GuardedH11Protocol` subclass with these limits, for `uvicorn.Config(http=...)`.

    Example:
        >>> guarded_protocol(header_seconds=2.5).header_seconds
        2.5
    """
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"header_seconds": float(header_seconds), "max_connections": int(max_connections)},
    )


class _OncePerMinute(logging.Filter):
    """Let a given warning through at most once a minute (errors with tracebacks always pass)."""

    def __init__(self, period: float = 60.0) -> None:
        super().__init__()
        self.period, self.last = period, {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING and "out of system resource" not in str(record.msg):
            return True
        now = time.monotonic()
        key = (record.name, str(record.msg))
        if now - self.last.get(key, -self.period) < self.period:
            return False
        self.last[key] = now
        return True


def quiet_repeated_warnings() -> None:
    """Install the once-a-minute filter on uvicorn's and asyncio's loggers (idempotent).

    Example:
        >>> quiet_repeated_warnings()
    """
    for name in ("uvicorn.error", "asyncio"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _OncePerMinute) for f in logger.filters):
            logger.addFilter(_OncePerMinute())
