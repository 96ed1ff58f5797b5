"""A loopback HTTP server that misbehaves on purpose, one way per path, for the hardening tests of llmcourse.web.

`HostileServer` speaks raw HTTP/1.1 over a socket (not http.server), so it can do what well-behaved
servers never do: trickle its headers or body a byte at a time, stop in the middle of the header
block, declare charsets browsers do not know, or send pages built to make parsers slow. Every
misbehaviour is bounded: trickles stop after `TRICKLE_LIMIT_S` seconds or as soon as the client
hangs up, and `close()` ends every connection thread.

It records each request's path and Host header (`hits`, `hosts`), so a test can check that a
refused URL was never requested.

Example:
    >>> from tests.hostile_sites import HostileServer
    >>> with HostileServer() as server:
    ...     import requests
    ...     requests.get(server.url + "/ok", timeout=5).status_code
    200
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Self

__all__ = ["CAFE", "DEEP_TAGS", "LINKS", "PAGES", "TRICKLE_INTERVAL_S", "TRICKLE_LIMIT_S", "HostileServer"]

TRICKLE_INTERVAL_S = 0.25  # one byte every this many seconds
TRICKLE_LIMIT_S = 60.0  # a trickle never lasts longer than this, whatever the client does
DEEP_TAGS = 200_000  # <div>s nested in /deep (1 MB)
LINKS = 100_000  # links in /links (about 2.4 MB)

CAFE = "Caf\u00e9 cr\u00e8me, na\u00efve \u2013 \u201cquoted\u201d"


def _html(body: str) -> bytes:
    return f"<html><head><title>Hostile</title></head><body>{body}</body></html>".encode()


# path -> (extra headers, body) for the pages that are complete and fast but hostile in content.
PAGES: dict[str, tuple[dict[str, str], bytes]] = {
    "/ok": ({"Content-Type": "text/html; charset=utf-8"}, _html("<p>fine</p>")),
    # codecs.lookup("punycode") succeeds, and decoding a big page with it is quadratic.
    "/charset-punycode": ({"Content-Type": "text/html; charset=punycode"}, _html(f"<p>{CAFE}</p>")),
    "/meta-punycode": (
        {"Content-Type": "text/html"},
        f'<html><head><meta charset="punycode"><title>m</title></head><body><p>{CAFE}</p></body></html>'.encode(),
    ),
    # utf-7 is a Python codec, not a web encoding (and a classic way to smuggle markup).
    "/charset-utf7": ({"Content-Type": "text/html; charset=utf-7"}, _html("<p>+ADw-b+AD4-bold+ADw-/b+AD4-</p>")),
    # WHATWG labels: latin1 means windows-1252, x-sjis means Shift_JIS.
    "/charset-latin1": (
        {"Content-Type": "text/html; charset=latin1"},
        f"<html><body><p>{CAFE}</p></body></html>".encode("cp1252"),
    ),
    "/charset-x-sjis": (
        {"Content-Type": "text/html; charset=x-sjis"},
        "<html><body><p>\u65e5\u672c\u8a9e</p></body></html>".encode("shift_jis"),
    ),
    "/deep": (
        {"Content-Type": "text/html"},
        b"<html><head><title>Deep</title></head><body><p>start</p>" + b"<div>" * DEEP_TAGS + b"deep text",
    ),
    "/links": (
        {"Content-Type": "text/html"},
        b"<html><body>" + "".join(f'<a href="/p{i}">l{i}</a>' for i in range(LINKS)).encode() + b"</body></html>",
    ),
    # Quadratic for Python's html.parser on Python < 3.11.13 / 3.12.11 / 3.13.4: unclosed constructs.
    "/open-comments": ({"Content-Type": "text/html"}, b"<html><body><p>start</p>" + b"<!--" * 200_000),
    "/open-attributes": ({"Content-Type": "text/html"}, b"<html><body><p>start</p>" + b'<a href="' * 100_000),
    "/void-then-ends": (
        {"Content-Type": "text/html"},
        b"<html><body><p>start</p>" + b"<br>" * 60_000 + b"</p>" * 60_000,
    ),
}


class HostileServer:
    """The misbehaving server: `url`, `hits` (path -> count), `hosts` (Host headers received). A context manager.

    Example:
        >>> server = HostileServer()
        >>> server.url.startswith("http://127.0.0.1:")
        True
        >>> server.close()
    """

    def __init__(self, extra_routes: dict[str, Callable[[socket.socket, HostileServer], None]] | None = None) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.hits: Counter[str] = Counter()
        self.hosts: list[str] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._routes: dict[str, Callable[[socket.socket, HostileServer], None]] = {
            "/trickle-body": _trickle_body,
            "/trickle-headers": _trickle_headers,
            "/cut-headers": _cut_headers,
            "/trickle-close-delimited": _trickle_close_delimited,
            **(extra_routes or {}),
        }
        self._accepter = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)
        self._accepter.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting, end every trickle and wait for the connection threads."""
        self.stopping.set()
        self._accepter.join(5)
        self._listener.close()
        for thread in list(self._threads):
            thread.join(5)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), name="hostile-conn", daemon=True)
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    data = conn.recv(4096)
                    if not data:
                        return
                    head += data
            except OSError:
                return
            lines = head.split(b"\r\n")
            parts = lines[0].split(b" ")
            path = parts[1].decode("latin-1") if len(parts) > 1 else "/"
            host = next(
                (
                    line.split(b":", 1)[1].strip().decode("latin-1")
                    for line in lines[1:]
                    if line.lower().startswith(b"host:")
                ),
                "",
            )
            with self._lock:
                self.hits[path] += 1
                self.hosts.append(host)
            route = self._routes.get(path)
            try:
                if route is not None:
                    route(conn, self)
                elif path in PAGES:
                    headers, body = PAGES[path]
                    conn.sendall(_head(200, {**headers, "Content-Length": str(len(body))}) + body)
                else:
                    body = b"<html><body>not here</body></html>"
                    conn.sendall(_head(404, {"Content-Type": "text/html", "Content-Length": str(len(body))}) + body)
            except OSError:
                pass  # the client gave up: that is the point of most of these routes

    def trickle(self, conn: socket.socket, data: bytes) -> None:
        """Send `data` one byte every TRICKLE_INTERVAL_S, until done, the client hangs up, or TRICKLE_LIMIT_S."""
        started = time.monotonic()
        for byte in data:
            if self.stopping.is_set() or time.monotonic() - started > TRICKLE_LIMIT_S:
                return
            conn.sendall(bytes([byte]))
            if self.stopping.wait(TRICKLE_INTERVAL_S):
                return


def _head(status: int, headers: dict[str, str]) -> bytes:
    reason = {200: "OK", 302: "Found", 404: "Not Found"}.get(status, "Status")
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers.items()), "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _trickle_body(conn: socket.socket, server: HostileServer) -> None:
    # A declared length, then the body a byte at a time: every single read succeeds within any read timeout.
    body = _html("<p>" + "x" * 2000 + "</p>")
    conn.sendall(_head(200, {"Content-Type": "text/html", "Content-Length": str(len(body))}))
    server.trickle(conn, body)


def _trickle_close_delimited(conn: socket.socket, server: HostileServer) -> None:
    # No length: the end of the connection is the end of the body.
    conn.sendall(_head(200, {"Content-Type": "text/html"}))
    server.trickle(conn, _html("<p>" + "y" * 2000 + "</p>"))


def _trickle_headers(conn: socket.socket, server: HostileServer) -> None:
    headers = "".join(f"X-Slow-{i}: {'z' * 20}\r\n" for i in range(100))
    server.trickle(conn, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + headers.encode() + b"\r\n")


def _cut_headers(conn: socket.socket, server: HostileServer) -> None:
    # Half a header block, then the connection closes: there was never an end of headers, nor a page.
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Half: yes\r\nContent-Le")
