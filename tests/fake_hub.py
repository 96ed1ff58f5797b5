"""A loopback stand-in for the Hugging Face Hub: the two endpoints `hf_hub_download` and `get_paths_info` call.

It serves real files under repo ids of our choosing, with the headers the Hub sends (`X-Repo-Commit`,
`ETag` = the file's sha256 for LFS files, `Accept-Ranges`), byte ranges for resumed downloads, and the
`paths-info` metadata with each file's LFS sha256. Point huggingface_hub at it with
`HF_ENDPOINT=http://127.0.0.1:PORT`. It records every request, so tests can check what was fetched.

Example:
    >>> with FakeHub({("org/repo", "model.gguf"): Path("x.gguf")}) as hub:   # doctest: +SKIP
    ...     hub.url
    'http://127.0.0.1:40123'
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, unquote

from tests.loopback import serving_thread

__all__ = ["FakeHub", "HubFile", "sha256_of"]

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class HubFile:
    """One file the fake Hub serves; `published_sha256` is what its metadata claims (default: the truth)."""

    path: Path
    sha256: str = ""
    published_sha256: str | None = None
    cut_first_download: bool = False  # send half the bytes on the first GET, then drop the connection
    downloads: int = 0

    def __post_init__(self) -> None:
        self.sha256 = self.sha256 or sha256_of(self.path)
        self.published_sha256 = self.published_sha256 or self.sha256


@dataclass
class FakeHub:
    """A ThreadingHTTPServer on 127.0.0.1 answering like the Hub for the given {(repo_id, filename): HubFile}."""

    files: dict[tuple[str, str], HubFile]
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range header)

    def __enter__(self) -> Self:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _record(self) -> None:
                hub.requests.append((self.command, unquote(self.path), self.headers.get("Range")))

            def _resolve(self) -> tuple[HubFile | None, str, str]:
                match = re.fullmatch(r"/(.+?/[^/]+)/resolve/([^/]+)/(.+)", unquote(self.path.split("?")[0]))
                if not match:
                    return None, "", ""
                return hub.files.get((match.group(1), match.group(3))), match.group(1), match.group(3)

            def _not_found(self) -> None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("X-Error-Message", "Entry not found")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _file_headers(self, file: HubFile, status: int, start: int, size: int) -> None:
                self.send_response(status)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{file.published_sha256}"')
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(size - start))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
                self.end_headers()

            def do_HEAD(self) -> None:
                self._record()
                file, _, _ = self._resolve()
                if file is None:
                    return self._not_found()
                self._file_headers(file, 200, 0, file.path.stat().st_size)

            def do_GET(self) -> None:
                self._record()
                file, _, _ = self._resolve()
                if file is None:
                    return self._not_found()
                size = file.path.stat().st_size
                range_header = self.headers.get("Range") or ""
                start = int(range_header[6:].split("-")[0]) if range_header.startswith("bytes=") else 0
                self._file_headers(file, 206 if start else 200, start, size)
                file.downloads += 1
                stop = size
                if file.cut_first_download and file.downloads == 1:
                    stop = size // 2
                with file.path.open("rb") as data:
                    data.seek(start)
                    left = stop - start
                    while left > 0 and (chunk := data.read(min(1 << 20, left))):
                        self.wfile.write(chunk)
                        left -= len(chunk)
                if stop < size:
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(2)

            def do_POST(self) -> None:
                self._record()
                match = re.fullmatch(r"/api/models/(.+?/[^/]+)/paths-info/([^/]+)", unquote(self.path.split("?")[0]))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if not match:
                    return self._not_found()
                paths = parse_qs(body).get("paths", [])
                answer = []
                for path in paths:
                    file = hub.files.get((match.group(1), path))
                    if file is not None:
                        size = file.path.stat().st_size
                        answer.append(
                            {
                                "type": "file",
                                "path": path,
                                "size": size,
                                "oid": "f" * 40,
                                "lfs": {"oid": file.published_sha256, "size": size, "pointerSize": 134},
                            }
                        )
                payload = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = serving_thread(self._server)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
