"""The embedded model server: one Starlette app, three wire formats, 127.0.0.1 only.

Run it in the foreground with `llmcourse serve [--port N]` (or `python -m llmcourse.local.server`);
notebooks use `llmcourse.local.start()`, which runs this in the background.

It has no authentication, so it defends itself: only requests addressed to this machine, bodies
up to 10 MB, every field type-checked (guard.py); answers capped in tokens and in the time they may
hold the model, generation stopped when the client leaves (engine.py); connections that must send
their headers in time and are capped in number (connections.py). Client mistakes are 4xx answers
in the caller's format, never tracebacks in the log.

Example:
    $ llmcourse serve --port 8800
    Serving local:SmolLM2-135M-Instruct on http://127.0.0.1:8800 (OpenAI: /v1, Ollama: /api, Anthropic: /v1/messages)
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

from llmcourse.local import anthropic_api, ollama_api, openai_api
from llmcourse.local.connections import HEADER_SECONDS, MAX_CONNECTIONS, guarded_protocol, quiet_repeated_warnings
from llmcourse.local.engine import MAX_REQUEST_SECONDS, MAX_TOKENS, Engine
from llmcourse.local.generation import ServerState
from llmcourse.local.guard import BODY_SECONDS, MAX_BODY_BYTES, RequestGuard
from llmcourse.local.lifetime import CHECK_SECONDS, GRACE_SECONDS, watch_clients, withdraw_record
from llmcourse.local.sources import LocalModelError
from llmcourse.local.sources import resolve as resolve_model
from llmcourse.local.validation import ApiError

__all__ = ["HOST", "create_app", "main", "uvicorn_config"]

HOST = "127.0.0.1"  # never another interface: the server has no authentication


def _error_for(path: str, error: ApiError) -> JSONResponse:
    """Answer in the error format of the API the client was calling."""
    if path.startswith("/v1/messages"):
        return anthropic_api.anthropic_error(error)
    if path.startswith("/api"):
        return ollama_api.ollama_error(error)
    return openai_api.openai_error(error)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 404:
        message = (
            f"Unknown route {request.method} {request.url.path}. This local server answers "
            "/v1/chat/completions, /v1/models, /v1/messages, /api/chat, /api/generate and /api/tags."
        )
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    else:
        message = str(exc.detail)
    kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    return _error_for(request.url.path, ApiError(exc.status_code, message, kind=kind))


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    error = ApiError(500, f"The local model failed: {type(exc).__name__}: {exc}", kind="api_error")
    return _error_for(request.url.path, error)


def create_app(
    engine: Engine | None = None, *, max_body_bytes: int = MAX_BODY_BYTES, body_seconds: float = BODY_SECONDS
) -> Starlette:
    """Build the app around a loaded model (loads the bundled model when none is given).

    Example:
        >>> app = create_app()                                    # doctest: +SKIP
    """
    guard = Middleware(RequestGuard, error_for=_error_for, max_body_bytes=max_body_bytes, body_seconds=body_seconds)
    app = Starlette(
        routes=openai_api.routes + anthropic_api.routes + ollama_api.routes,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        middleware=[guard],
    )
    app.state.llm = ServerState(engine or Engine())
    return app


def uvicorn_config(
    app: Starlette, *, header_seconds: float = HEADER_SECONDS, max_connections: int = MAX_CONNECTIONS
) -> Any:
    """uvicorn's settings for the app: connection limits and timeouts so that no client can wedge it.

    Example:
        >>> uvicorn.Server(uvicorn_config(create_app())).run(sockets=[sock])  # doctest: +SKIP
    """
    import uvicorn

    quiet_repeated_warnings()
    return uvicorn.Config(
        app,
        log_level="warning",
        timeout_graceful_shutdown=2,
        ws="none",
        http=guarded_protocol(header_seconds=header_seconds, max_connections=max_connections),
        timeout_keep_alive=5,  # an idle kept-alive connection closes after 5 s
        h11_max_incomplete_event_size=16 * 1024,  # a header block over 16 KB is a 400
        limit_concurrency=2 * max_connections,
        backlog=max_connections,
    )


def main(argv: list[str] | None = None) -> int:
    """`llmcourse serve`: serve the local model in the foreground until Ctrl+C.

    Example:
        >>> main(["--port", "8800"])                              # doctest: +SKIP
    """
    import uvicorn

    parser = argparse.ArgumentParser(prog="llmcourse serve", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8800, help="port on 127.0.0.1 (0 picks a free one; default 8800)")
    parser.add_argument("--n-ctx", type=int, default=8192, help="context window in tokens (default 8192)")
    limits = parser.add_argument_group("limits (the server has no authentication: these keep it responsive)")
    limits.add_argument(
        "--max-tokens",
        type=int,
        default=MAX_TOKENS,
        help=f"most tokens in one answer, whatever a request asks (default {MAX_TOKENS})",
    )
    limits.add_argument(
        "--max-request-seconds",
        type=float,
        default=float(os.environ.get("LLMCOURSE_LOCAL_MAX_SECONDS", MAX_REQUEST_SECONDS)),
        help="longest one request may hold the model (default: LLMCOURSE_LOCAL_MAX_SECONDS "
        f"or {MAX_REQUEST_SECONDS:g})",
    )
    limits.add_argument(
        "--max-body-mb",
        type=float,
        default=MAX_BODY_BYTES / 2**20,
        help=f"largest request body in MB (default {MAX_BODY_BYTES / 2**20:g})",
    )
    limits.add_argument(
        "--body-seconds",
        type=float,
        default=BODY_SECONDS,
        help=f"time a request body may take to arrive (default {BODY_SECONDS:g})",
    )
    limits.add_argument(
        "--header-seconds",
        type=float,
        default=HEADER_SECONDS,
        help=f"time a connection may take to send its request headers (default {HEADER_SECONDS:g})",
    )
    limits.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        help=f"open connections at most; idle ones are closed first (default {MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--model",
        help="GGUF path, pulled Ollama model or owner/repo:file.gguf "
        "(default: LLMCOURSE_LOCAL_MODEL, else the bundled SmolLM2-135M)",
    )
    parser.add_argument("--model-name", help=argparse.SUPPRESS)  # used by llmcourse.local.start()
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)  # used by llmcourse.local.start()
    # used by the shared server (llmcourse.local.shared): stop once no process in this file runs, after a grace period
    parser.add_argument("--clients-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--record-file", type=Path, help=argparse.SUPPRESS)  # withdrawn when it stops by itself
    parser.add_argument("--lock-file", type=Path, help=argparse.SUPPRESS)  # held while it decides to stop
    parser.add_argument("--grace-seconds", type=float, default=GRACE_SECONDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        model = resolve_model(args.model, download=True)
    except LocalModelError as exc:
        print(f"llmcourse serve: {exc}", file=sys.stderr)
        return 1

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, args.port))
    except OSError as exc:
        print(
            f"llmcourse serve: cannot use port {args.port} ({exc.strerror}). Try --port 0 for a free one.",
            file=sys.stderr,
        )
        return 1
    port = sock.getsockname()[1]
    engine = Engine(
        model.path,
        model_name=args.model_name or model.name,
        n_ctx=args.n_ctx,
        max_tokens=args.max_tokens,
        max_seconds=args.max_request_seconds,
    )
    app = create_app(engine, max_body_bytes=int(args.max_body_mb * 2**20), body_seconds=args.body_seconds)
    print(
        f"Serving {engine.model_name} on http://{HOST}:{port} "
        "(OpenAI: /v1, Ollama: /api, Anthropic: /v1/messages). Ctrl+C stops it.",
        flush=True,
    )
    if args.port_file:
        args.port_file.write_text(str(port))
    config = uvicorn_config(app, header_seconds=args.header_seconds, max_connections=args.max_connections)
    server = uvicorn.Server(config)
    if args.clients_file:
        grace = args.grace_seconds

        def stop() -> None:
            print(f"No notebook or command has used this server for {grace:g} s: stopping.", flush=True)
            if args.record_file:
                withdraw_record(args.record_file)  # no kernel may find it and reuse it while it shuts down
            server.should_exit = True

        every = min(CHECK_SECONDS, max(grace / 4, 0.1))
        watch_clients(args.clients_file, stop, grace=grace, every=every, lock=args.lock_file)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
