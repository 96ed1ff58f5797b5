"""One course server per user: every notebook kernel reuses the local model server that is already running.

The first kernel that needs the local model starts the server detached (it outlives that kernel)
and records it in a state file in the user's cache folder: its pid, URL and model. Later kernels
find the file, check that the process lives and answers, and reuse it; a stale file is removed.
A lock file keeps two kernels that start at the same moment from starting two servers. Each
process that uses the server is listed in a clients file, and the server stops by itself some
minutes after the last of them exits (`llmcourse.local.lifetime`).
`llmcourse serve --status` shows it and `llmcourse serve --stop` stops it.

Example:
    >>> from llmcourse.local.shared import status
    >>> status()                                    # doctest: +SKIP
    'The course's local model server runs at http://127.0.0.1:40213 (pid 4242, model SmolLM2-135M-Instruct).'
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from llmcourse.env import cache_dir
from llmcourse.local.lifetime import GRACE_SECONDS, pid_alive, register_client

__all__ = ["SharedServer", "state_file", "find", "launch", "status", "stop", "main"]


def state_file() -> Path:
    """Where the running server is recorded (in the user's cache folder; `LLMCOURSE_CACHE_DIR` overrides).

    Example:
        >>> state_file().name
        'local-server.json'
    """
    return cache_dir() / "local-server.json"


@dataclass
class SharedServer:
    """The recorded server: its process id, base URL, the model it serves and when it started."""

    pid: int
    url: str
    model: str
    started: float


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url + "/v1/models", timeout=2).ok
    except requests.RequestException:
        return False


def _read() -> SharedServer | None:
    try:
        return SharedServer(**json.loads(state_file().read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def find(model: str = "") -> SharedServer | None:
    """The running course server for `model` ("" = the default model), or None; removes a stale record.

    Example:
        >>> find("no-such-model") is None           # doctest: +SKIP
        True
    """
    server = _read()
    if server is None:
        return None
    if pid_alive(server.pid) and _answers(server.url):
        return server if server.model == model else None
    state_file().unlink(missing_ok=True)  # the process is gone or does not answer: a stale record
    return None


def launch(model: str = "", *, timeout: float = 120.0, grace: float = GRACE_SECONDS) -> SharedServer:
    """Start a detached server for `model` (or reuse the one running for it) and record it.

    This process is listed as a client; a server started here stops `grace` seconds after its last
    client exits.

    Example:
        >>> server = launch()                       # doctest: +SKIP
        >>> server.url.startswith("http://127.0.0.1:")  # doctest: +SKIP
        True
    """
    from filelock import FileLock

    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / "local-server.lock"
    with FileLock(str(lock), timeout=timeout):
        clients = folder / "local-server.clients.json"
        register_client(clients)  # this process uses the server: it stays up while any of its users runs
        running = find(model)
        if running is not None:
            return running
        previous = _read()
        if previous is not None and pid_alive(previous.pid):
            _terminate(previous.pid)  # a server for another model: one local model in memory at a time
        port_file = folder / "local-server.port"
        port_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "llmcourse.local.server", "--port", "0", "--port-file", str(port_file)]
        command += ["--clients-file", str(clients), "--grace-seconds", str(grace)]
        command += ["--record-file", str(state_file()), "--lock-file", str(lock)]
        if model:
            command += ["--model", model]
        detach: dict = (
            {"start_new_session": True}
            if os.name == "posix"
            else {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
        )
        log_path = folder / "local-server.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, close_fds=True, **detach
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"The local model server stopped (exit code {process.returncode}):\n{tail}")
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text:
                url = f"http://127.0.0.1:{int(text)}"
                if _answers(url):
                    server = SharedServer(process.pid, url, model, time.time())
                    state_file().write_text(json.dumps(asdict(server)), encoding="utf-8")
                    return server
            time.sleep(0.1)
        process.kill()
        raise TimeoutError(f"The local model server did not start within {timeout:.0f} s; see {log_path}.")


def _terminate(pid: int, wait: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.1)
    if pid_alive(pid) and hasattr(signal, "SIGKILL"):
        os.kill(pid, signal.SIGKILL)


def status() -> str:
    """One sentence: is the course's shared local model server running, where, and with which model.

    Example:
        >>> status().startswith("The course's local model server")
        True
    """
    server = _read()
    if server is None or not (pid_alive(server.pid) and _answers(server.url)):
        return "The course's local model server is not running (the first notebook that needs it starts it)."
    model = server.model or "the bundled SmolLM2-135M-Instruct"
    return f"The course's local model server runs at {server.url} (pid {server.pid}, model {model})."


def stop() -> str:
    """Stop the shared server if it runs; say what happened.

    Example:
        >>> stop()                                  # doctest: +SKIP
        'Stopped the local model server (pid 4242).'
    """
    server = _read()
    state_file().unlink(missing_ok=True)
    if server is None or not pid_alive(server.pid):
        return "The course's local model server was not running."
    _terminate(server.pid)
    return f"Stopped the local model server (pid {server.pid})."


def main(argv: list[str] | None = None) -> int:
    """`llmcourse serve`: `--status` / `--stop` for the shared server; otherwise serve in the foreground.

    Example:
        >>> main(["--status"])                      # doctest: +SKIP
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--status", action="store_true")
    parser.add_argument("--stop", action="store_true")
    args, rest = parser.parse_known_args(argv)
    if args.stop:
        print(stop())
        return 0
    if args.status:
        print(status())
        return 0
    from llmcourse.local import server

    return server.main(rest)
