"""The embedded model server: one Starlette app, three wire formats, 127.0.0.1 only.

Run it in the foreground with `llmcourse serve [--port N]` (or `python -m llmcourse.local.server`);
notebooks use `llmcourse.local.start()`, which runs this in the background.

Example:
    $ llmcourse serve --port 8800
    Serving SmolLM2-135M-Instruct on http://127.0.0.1:8800 (OpenAI: /v1, Ollama: /api, Anthropic: /v1/messages)
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from llmcourse.local import anthropic_api, ollama_api, openai_api
from llmcourse.local.engine import Engine
from llmcourse.local.generation import ServerState
from llmcourse.local.validation import ApiError

__all__ = ["create_app", "main", "HOST"]

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
        message = (f"Unknown route {request.method} {request.url.path}. This local server answers "
                   "/v1/chat/completions, /v1/models, /v1/messages, /api/chat, /api/generate and /api/tags.")
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    else:
        message = str(exc.detail)
    kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    return _error_for(request.url.path, ApiError(exc.status_code, message, kind=kind))


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    error = ApiError(500, f"The local model failed: {type(exc).__name__}: {exc}", kind="api_error")
    return _error_for(request.url.path, error)


def create_app(engine: Engine | None = None) -> Starlette:
    """Build the app around a loaded model (loads the bundled model when none is given).

    Example:
        >>> app = create_app()                                    # doctest: +SKIP
    """
    app = Starlette(
        routes=openai_api.routes + anthropic_api.routes + ollama_api.routes,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.llm = ServerState(engine or Engine())
    return app


def main(argv: list[str] | None = None) -> int:
    """`llmcourse serve`: serve the local model in the foreground until Ctrl+C.

    Example:
        >>> main(["--port", "8800"])                              # doctest: +SKIP
    """
    import uvicorn

    parser = argparse.ArgumentParser(prog="llmcourse serve", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8800, help="port on 127.0.0.1 (0 picks a free one; default 8800)")
    parser.add_argument("--n-ctx", type=int, default=8192, help="context window in tokens (default 8192)")
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)  # used by llmcourse.local.start()
    args = parser.parse_args(argv)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, args.port))
    except OSError as exc:
        print(f"llmcourse serve: cannot use port {args.port} ({exc.strerror}). Try --port 0 for a free one.",
              file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    app = create_app(Engine(n_ctx=args.n_ctx))
    print(f"Serving SmolLM2-135M-Instruct on http://{HOST}:{port} "
          "(OpenAI: /v1, Ollama: /api, Anthropic: /v1/messages). Ctrl+C stops it.", flush=True)
    if args.port_file:
        args.port_file.write_text(str(port))
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
