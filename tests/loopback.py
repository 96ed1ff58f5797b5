"""The thread (or the `with` block) that runs a loopback test server (a fake provider, website or hub on 127.0.0.1).

`socketserver`'s `serve_forever()` checks for `shutdown()` every 0.5 s by default, so every test
that stops its server waited up to half a second for nothing; at 20 ms the suite's many small
servers stop at once.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["SHUTDOWN_POLL_S", "serving", "serving_thread"]

Server = TypeVar("Server", bound=socketserver.BaseServer)

SHUTDOWN_POLL_S = 0.02


def serving_thread(server: socketserver.BaseServer) -> threading.Thread:
    """A daemon thread (not started yet) that serves `server` until `server.shutdown()`.

    Example:
        >>> from http.server import HTTPServer, BaseHTTPRequestHandler
        >>> server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        >>> thread = serving_thread(server); thread.start(); server.shutdown(); server.server_close()
        >>> thread.join(1); thread.is_alive()
        False
    """
    return threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S}, daemon=True)


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Serve `server` for the `with` block, then shut it down and close its socket (also when the block fails).

    Example:
        >>> from http.server import HTTPServer, BaseHTTPRequestHandler
        >>> with serving(HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)) as server:
        ...     port = server.server_address[1]
        >>> server.socket.fileno()   # closed
        -1
    """
    serving_thread(server).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
