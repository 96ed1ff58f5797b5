"""`llmcourse lab`: start JupyterLab the course's way, landing on the README, quietly, on 127.0.0.1.

It writes two small settings files into the environment (so a plain `jupyter lab` in the same
environment behaves the same): JupyterLab opens Markdown files rendered and asks no news question;
the server hides developer folders (tests/, bench/, build output) from the file browser, lets
`.env` be opened by path, and skips the language-server extension (whose start-up lists missing
servers). Then it starts JupyterLab and, once it answers, prints one boxed "open this URL" line.

Example:
    $ llmcourse lab              # what `make lab` runs
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["LAB_SETTINGS", "SERVER_SETTINGS", "apply_settings", "boxed", "main"]

# JupyterLab front-end settings (overrides.json): Markdown opens rendered; no news/update prompt.
LAB_SETTINGS: dict[str, Any] = {
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Markdown Preview"}},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/filebrowser-extension:browser": {"showHiddenFiles": False},
}

# Jupyter server settings: what the learner's file browser shows, and a quiet start.
SERVER_SETTINGS: dict[str, Any] = {
    "ContentsManager": {
        "hide_globs": [
            "__pycache__",
            "*.pyc",
            "*.pyo",
            ".DS_Store",
            "*~",
            "tests",
            "bench",
            "*.egg-info",
            "build",
            "dist",
            "conftest.py",
            "requirements.lock",
            ".git",
            ".venv",
            ".cache",
            ".ci",
            ".ruff_cache",
            ".pytest_cache",
            ".ipynb_checkpoints",
        ],
        # Dot-files stay hidden in the browser, but File > Open from Path... can open .env.
        "allow_hidden": True,
    },
    "ServerApp": {"jpserver_extensions": {"jupyter_lsp": False}},
    "LanguageServerManager": {"autodetect": False},
}


def apply_settings(prefix: str | os.PathLike = sys.prefix) -> list[Path]:
    """Write the course's JupyterLab and server settings into the environment at `prefix`; return the files.

    Example:
        >>> import tempfile
        >>> files = apply_settings(tempfile.mkdtemp())
        >>> [f.name for f in files]
        ['overrides.json', 'jupyter_server_config.json']
    """
    prefix = Path(prefix)
    lab_file = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    # The environment-wide server config file (the conf.d folder only enables extensions).
    server_file = prefix / "etc" / "jupyter" / "jupyter_server_config.json"
    for path, ours in ((lab_file, LAB_SETTINGS), (server_file, SERVER_SETTINGS)):
        merged = _read_json(path)  # keep settings someone else put there; ours win for the keys we set
        for section, values in ours.items():
            merged.setdefault(section, {}).update(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    return [lab_file, server_file]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def boxed(line: str) -> str:
    """`line` in a box of `=` signs, so it stands out in a terminal's scroll.

    Example:
        >>> print(boxed("Open http://127.0.0.1:8888/lab"))
        ==================================
          Open http://127.0.0.1:8888/lab
        ==================================
    """
    rule = "=" * (len(line) + 4)
    return f"{rule}\n  {line}\n{rule}"


def _port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


def main(argv: list[str] | None = None) -> int:
    """`llmcourse lab`: start JupyterLab on 127.0.0.1 with the course's settings, opening the README.

    Example:
        >>> main(["--help"])                   # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(prog="llmcourse lab", description=main.__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("--port", type=int, default=8888, help="preferred port (a free one if it is taken)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    parser.add_argument("--open", default="README.md", help="file to open first (default: README.md)")
    args, extra = parser.parse_known_args(argv)
    apply_settings()
    port, token = _port(args.port), secrets.token_hex(24)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--LabApp.default_url=/lab/tree/{args.open}",
        "--ServerApp.log_level=WARN",
        "--LabApp.log_level=WARN",
        *(["--no-browser"] if args.no_browser else []),
        *(["--allow-root"] if hasattr(os, "getuid") and os.getuid() == 0 else []),
        *extra,
    ]
    process = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}/lab/tree/{args.open}?token={token}"
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if _answers(f"http://127.0.0.1:{port}/api/status?token={token}"):
                print("\n" + boxed(f"The course is ready. Open {url}") + "\nStop it with Ctrl+C.\n", flush=True)
                break
            time.sleep(0.5)
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            return 1
