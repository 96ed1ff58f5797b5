"""The transport under `llmcourse.web`: connections pinned to checked addresses, under one deadline.

`PinnedAdapter` is a `requests` transport adapter whose connections go only to the addresses the
URL policy checked (no second DNS answer, so no DNS rebinding) while the Host header, SNI and the
certificate check stay those of the host name. Every socket it opens is watched by a `Deadline`,
which shuts them all down when the fetch's time is up, however slowly the server trickles. A
response whose header block is cut off by the end of the connection raises `CutHeadersError`.

Example:
    >>> import requests
    >>> from llmcourse.webtransport import Deadline, PinnedAdapter
    >>> deadline = Deadline(10)
    >>> session = requests.Session()
    >>> session.mount("http://", PinnedAdapter(deadline))
    >>> deadline.close()
"""

from __future__ import annotations

import http.client
import socket
import threading
import time

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import create_connection

__all__ = ["CutHeadersError", "Deadline", "PinnedAdapter"]


class Deadline:
    """One wall-clock limit over a whole fetch: when it passes, every socket of the fetch is shut down.

    A server that trickles its headers or body a byte at a time never lets a per-read timeout fire;
    this watchdog ends the fetch anyway (and the reader sees `expired` to report a timeout).
    Call `close()` when the fetch is over.

    Example:
        >>> deadline = Deadline(30)
        >>> deadline.expired, 0 < deadline.remaining() <= 30
        (False, True)
        >>> deadline.close()
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def track(self, sock: socket.socket) -> None:
        try:
            # A duplicate of the descriptor: shutting it down ends the connection even after TLS wrapped
            # (and detached) the original socket object.
            duplicate = sock.dup()
        except OSError:
            return
        with self._lock:
            self._sockets.append(duplicate)
            expired = self.expired
        if expired:
            self._shutdown(duplicate)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shutdown(sock)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()


class CutHeadersError(http.client.HTTPException):
    """The connection ended inside the header block (no blank line after the headers): never an empty page.

    Example:
        >>> isinstance(CutHeadersError("cut"), http.client.HTTPException)
        True
    """


class _LineWatch:
    """Wraps a response's reader to remember the last line read (the end of the header block)."""

    def __init__(self, reader) -> None:
        self._reader = reader
        self.last: bytes | None = None

    def readline(self, *args) -> bytes:
        self.last = self._reader.readline(*args)
        return self.last

    def __getattr__(self, name: str):
        return getattr(self._reader, name)


class _CheckedResponse(http.client.HTTPResponse):
    """http.client's response, except that a header block cut off by the end of the connection is an error."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        reader = self.fp
        watch = _LineWatch(reader)
        self.fp = watch
        try:
            super().begin()
        finally:
            if self.fp is watch:
                self.fp = reader
        if watch.last not in (b"\r\n", b"\n"):
            raise CutHeadersError("the connection closed in the middle of the HTTP headers")


class _GuardedConnection:
    """Mixed into urllib3's connections: connect only to the addresses the URL policy checked, under the deadline."""

    _guard: PinnedAdapter
    response_class = _CheckedResponse

    def _new_conn(self) -> socket.socket:
        guard = self._guard
        if getattr(self, "proxy", None) is not None or getattr(self, "_tunnel_host", None):
            sock = super()._new_conn()  # type: ignore[misc] - a proxy connects for us: only the deadline applies
        else:
            host = self.host.strip("[]").rstrip(".").lower()  # type: ignore[attr-defined]
            key = (host, self.port)  # type: ignore[attr-defined]
            if key not in guard.pins:
                raise NewConnectionError(self, f"{host} was not checked by the URL policy: not connecting to it")
            addresses = guard.pins[key]
            # None: allow_private=True, no policy to keep, so the connection resolves the name itself.
            sock = super()._new_conn() if addresses is None else self._connect_to(addresses)  # type: ignore[misc]
        guard.deadline.track(sock)
        return sock

    def _connect_to(self, addresses: list[str]) -> socket.socket:
        error: OSError | None = None
        for address in addresses:
            try:
                return create_connection(
                    (address, self.port),
                    self.timeout,  # type: ignore[attr-defined]
                    source_address=self.source_address,  # type: ignore[attr-defined]
                    socket_options=self.socket_options,
                )  # type: ignore[attr-defined]
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self,
                    f"Connection to {self.host} ({address}) timed out. "  # type: ignore[attr-defined]
                    f"(connect timeout={self.timeout})",
                ) from exc  # type: ignore[attr-defined]
            except OSError as exc:
                error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}") from error


def _pool_classes(adapter: PinnedAdapter) -> dict[str, type]:
    guarded = {"_guard": adapter}
    http_connection = type("GuardedHTTPConnection", (_GuardedConnection, HTTPConnection), guarded)
    https_connection = type("GuardedHTTPSConnection", (_GuardedConnection, HTTPSConnection), guarded)
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_connection}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_connection}),
    }


class PinnedAdapter(HTTPAdapter):
    """requests' adapter whose connections go to the checked addresses (`pins`) and end at the deadline.

    The host name stays the connection's host, so the Host header, SNI and the certificate check
    are those of the name; only the TCP connection uses the address that was checked. `pins` maps
    (host, port) to the checked addresses (None: connect as usual, for allow_private=True); a
    host not in `pins` is never connected to.

    Example:
        >>> deadline = Deadline(5)
        >>> adapter = PinnedAdapter(deadline)
        >>> adapter.pins[("example.com", 443)] = ["93.184.216.34"]
        >>> deadline.close()
    """

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.pins: dict[tuple[str, int], list[str] | None] = {}
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _pool_classes(self)  # the proxy connects; the deadline still holds
        return manager
