"""Which request a generation serves, so that the model stops when that request's client goes away.

The HTTP layer (`guard.RequestGuard`) gives every request a `threading.Event` and sets it when the
client disconnects; `request_scope(event)` makes it the current request's event for everything
that request runs, worker threads included (the thread pool copies context variables). The engine
reads it with `current_cancel_event()` and stops generating at the next token once it is set.

Example:
    >>> import threading
    >>> event = threading.Event()
    >>> with request_scope(event):
    ...     current_cancel_event() is event
    True
    >>> current_cancel_event() is None
    True
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["RequestCancelled", "current_cancel_event", "request_scope"]

_CANCEL: ContextVar[threading.Event | None] = ContextVar("llmcourse_request_cancel", default=None)


class RequestCancelled(Exception):
    """The client left before the model got to its request: nothing was generated, nobody is waiting.

    Example:
        >>> str(RequestCancelled("gone"))
        'gone'
    """


def current_cancel_event() -> threading.Event | None:
    """The running request's cancel event (None outside a request, e.g. in a notebook calling the engine).

    Example:
        >>> current_cancel_event() is None
        True
    """
    return _CANCEL.get()


@contextmanager
def request_scope(event: threading.Event) -> Iterator[threading.Event]:
    """Make `event` the current request's cancel event inside the `with` block.

    Example:
        >>> with request_scope(threading.Event()) as event:
        ...     event.is_set()
        False
    """
    token = _CANCEL.set(event)
    try:
        yield event
    finally:
        _CANCEL.reset(token)
