"""Benchmark: fetching 10 slow pages one after another (a loop of `Website`) vs `fetch_pages`.

A loopback server answers every page after 200 ms (a typical web round trip). Both methods run in
this process against the same server; the speed-up is the figure that matters (absolute times on a
shared machine are noise). Prints a Markdown table and writes bench/results/fetch_pages.json.

Run: .venv/bin/python bench/fetch_pages.py
"""

from __future__ import annotations

import json
import platform
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from llmcourse.web import Website, fetch_pages

PAGES = 10
DELAY_SECONDS = 0.2
RESULTS = Path(__file__).resolve().parent / "results" / "fetch_pages.json"


class SlowPages(BaseHTTPRequestHandler):
    """Every page answers after DELAY_SECONDS: the time a real site takes to respond."""

    def do_GET(self) -> None:
        time.sleep(DELAY_SECONDS)
        body = f"<html><title>Page {self.path}</title><body><p>Text of {self.path}.</p></body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


def timed(label: str, fetch) -> dict:
    start = time.perf_counter()
    titles = fetch()
    seconds = time.perf_counter() - start
    assert len(titles) == PAGES and all(title.startswith("Page /page/") for title in titles), titles
    return {"method": label, "seconds": seconds, "pages_per_second": PAGES / seconds}


def main() -> int:
    server = Server(("127.0.0.1", 0), SlowPages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = [f"http://127.0.0.1:{server.server_address[1]}/page/{i}" for i in range(PAGES)]
    try:
        Website(urls[0], allow_private=True)  # warm-up: imports, first connection
        rows = [
            timed(
                "loop of Website (one after another)", lambda: [Website(url, allow_private=True).title for url in urls]
            ),
            timed(
                "fetch_pages (default max_workers=10)",
                lambda: [r.website.title for r in fetch_pages(urls, allow_private=True)],
            ),
            timed(
                "fetch_pages (max_workers=5)",
                lambda: [r.website.title for r in fetch_pages(urls, max_workers=5, allow_private=True)],
            ),
        ]
    finally:
        server.shutdown()
        server.server_close()
    baseline = rows[0]["seconds"]
    for row in rows:
        row["speedup"] = baseline / row["seconds"]

    print(f"{PAGES} pages, each answered after {DELAY_SECONDS * 1000:.0f} ms by a loopback server\n")
    print("| method | seconds | pages/s | speed-up |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['method']} | {row['seconds']:.2f} | {row['pages_per_second']:.1f} | {row['speedup']:.1f}x |")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "fetch_pages",
                "pages": PAGES,
                "delay_seconds": DELAY_SECONDS,
                "python": platform.python_version(),
                "rows": rows,
                "target_speedup": 5.0,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
