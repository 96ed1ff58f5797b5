"""What every request passes before it reaches the model: whose it is, how big, how slow, how well typed.

- **Address**: the `Host` header must name this machine (`127.0.0.1`, `localhost` or `[::1]`, any
  port), and an `Origin` header, which browsers add, must too. So a web page from elsewhere that the
  learner happens to open cannot post to the server (a cross-site form or `fetch`, DNS rebinding);
  the SDKs, notebooks and Gradio apps call it with `Host: 127.0.0.1:PORT` and no Origin. 403.
- **Size**: a body over `max_body_bytes` is refused with 413, from its `Content-Length` before a byte
  is read, and by counting while reading when there is none.
- **Time**: a body that has not fully arrived `body_seconds` after its headers is refused with 408
  (a client trickling bytes cannot hold a connection forever).
- **Types**: the chat routes' JSON is parsed and every field they read is type-checked
  (fields.py): 400 in the format of the API that was called.
- **Disconnects**: while the route runs, a client that goes away sets the request's cancel event
  (cancel.py); the model stops at the next token. A request whose client left before its turn ends
  without an answer and without a traceback in the log.

Example:
    >>> is_local_host("127.0.0.1:8800"), is_local_host("evil.test:8800"), is_local_origin("http://localhost:7860")
    (True, False, True)
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from llmcourse.local.cancel import RequestCancelled, request_scope
from llmcourse.local.fields import CHECKED_ROUTES, check_request
from llmcourse.local.validation import ApiError, parse_json_body

__all__ = ["BODY_SECONDS", "MAX_BODY_BYTES", "RequestGuard", "is_local_host", "is_local_origin"]

MAX_BODY_BYTES = 10 * 1024 * 1024  # a whole 8,192-token conversation is well under 1 MB
BODY_SECONDS = 30.0  # from the end of the headers to the end of the body

_LOCAL_NAMES = {"127.0.0.1", "localhost", "[::1]"}
_HOST = re.compile(r"(?P<name>\[::1\]|[A-Za-z0-9.\-]+)(?::(?P<port>[0-9]{1,5}))?")
_ORIGIN = re.compile(r"(?i:https?)://(?P<host>[^/?#\s]+)")


def is_local_host(value: str) -> bool:
    """True when a `Host` header value names this machine: 127.0.0.1, localhost or [::1], with any port.

    Example:
        >>> [is_local_host(v) for v in ("localhost", "[::1]:80", "127.0.0.1.evil.test", "127.0.0.2")]
        [True, True, False, False]
    """
    match = _HOST.fullmatch(value.strip())
    return match is not None and match["name"].lower() in _LOCAL_NAMES


def is_local_origin(value: str) -> bool:
    """True when an `Origin` header value is a page served from this machine (http or https).

    Example:
        >>> is_local_origin("http://127.0.0.1:7860"), is_local_origin("null"), is_local_origin("https://evil.test")
        (True, False, False)
    """
    match = _ORIGIN.fullmatch(value.strip())
    return match is not None and is_local_host(match["host"])


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


class RequestGuard:
    """ASGI middleware: the checks above, then the app with a cancel event for the request.

    `error_for(path, ApiError)` renders an error in the format of the API at `path`.

    Example:
        >>> app = Starlette(routes=..., middleware=[Middleware(RequestGuard, error_for=render)])  # doctest: +SKIP
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        error_for: Callable[[str, ApiError], Response],
        max_body_bytes: int = MAX_BODY_BYTES,
        body_seconds: float = BODY_SECONDS,
    ) -> None:
        self.app, self.error_for = app, error_for
        self.max_body_bytes, self.body_seconds = max_body_bytes, body_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = [(name.lower(), value.decode("latin-1")) for name, value in scope["headers"]]
        problem = _address_problem(headers)
        if problem is not None:
            await self._refuse(scope, send, ApiError(403, problem, kind="permission_error"))
            return
        announced = [value for name, value in headers if name == b"content-length"]
        if announced and announced[0].strip().isdigit() and int(announced[0]) > self.max_body_bytes:
            await self._refuse(scope, send, self._too_large(), close=True)
            return
        try:
            async with asyncio.timeout(self.body_seconds):
                raw = await self._read_body(receive)
        except _Gone:
            return  # the client left while sending: nobody to answer
        except _TooLarge:
            await self._refuse(scope, send, self._too_large(), close=True)
            return
        except TimeoutError:
            await self._refuse(
                scope,
                send,
                ApiError(408, f"The request body did not arrive within {self.body_seconds:g} seconds."),
                close=True,
            )
            return
        if scope["method"] == "POST" and scope["path"] in CHECKED_ROUTES:
            try:
                check_request(scope["path"], parse_json_body(raw))
            except ApiError as error:
                await self._refuse(scope, send, error)
                return
        await self._run(scope, receive, send, raw)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Gone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> ApiError:
        return ApiError(
            413,
            f"The request body is larger than {self.max_body_bytes // (1024 * 1024)} MB, the most "
            "this local server accepts. Send less text (the model's context holds 8,192 tokens).",
        )

    async def _refuse(self, scope: Scope, send: Send, error: ApiError, *, close: bool = False) -> None:
        response = self.error_for(scope["path"], error)
        if close:  # the body was not read: end the connection after the answer
            response.headers["connection"] = "close"
        await response(scope, _no_body, send)

    async def _run(self, scope: Scope, receive: Receive, send: Send, raw: bytes) -> None:
        cancel, gone = threading.Event(), asyncio.Event()
        pending: list[Message] = [{"type": "http.request", "body": raw, "more_body": False}]

        async def replay() -> Message:  # the app reads the body we already hold, then waits for a disconnect
            if pending:
                return pending.pop()
            await gone.wait()
            return {"type": "http.disconnect"}

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            cancel.set()
            gone.set()

        watcher = asyncio.create_task(watch())
        try:
            with request_scope(cancel):
                await self.app(scope, replay, send)
        except RequestCancelled:
            pass  # its client left before the model got to it: nothing to send, nothing to log
        finally:
            watcher.cancel()


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def _address_problem(headers: list[tuple[bytes, str]]) -> str | None:
    hosts = [value for name, value in headers if name == b"host"]
    if len(hosts) != 1 or not is_local_host(hosts[0]):
        shown = ", ".join(repr(host[:80]) for host in hosts) or "none"
        return (
            f"This local model server only answers requests addressed to 127.0.0.1 or localhost (Host header: "
            f"{shown}). Use http://127.0.0.1:PORT as the base URL."
        )
    origins = [value for name, value in headers if name == b"origin"]
    if any(not is_local_origin(origin) for origin in origins):
        return (
            f"Requests from web pages of other sites are refused (Origin: {origins[0][:80]!r}): this server "
            "has no authentication, so only programs on this machine and pages it serves may call it."
        )
    return None
