"""Benchmark: how close to a provider's rate limit do three ways of sending many requests get?

300 chat requests go to a loopback OpenAI-compatible server that answers after 200 ms and enforces
1,200 requests/minute the way providers do (a bucket of one second's worth, refilled continuously;
excess requests get 429 with Retry-After). Three clients, all with the real OpenAI SDK, in one run:

1. a sequential loop (one request at a time);
2. a thread pool of 8 that collects results and writes them at the end, relying on the SDK's own
   retries for 429s (the approach of the seed project);
3. `llmcourse.batch.run_batch` with concurrency 8 and `requests_per_minute=1200`.

Reported: throughput as a fraction of the limit (target >= 0.9) and the 429s each provoked
(target: 0 when the limit is configured). Prints a Markdown table, writes bench/results/batch_throughput.json.

    .venv/bin/python bench/batch_throughput.py
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402 (after the sys.path line: the benchmark runs as a script)

from llmcourse.batch import run_batch  # noqa: E402
from tests.batch_servers import ChatServer  # noqa: E402

REQUESTS = 300
LATENCY_S = 0.2
LIMIT_RPM = 1200
MODEL = "gpt-4o-mini"
ITEMS = [{"id": str(n), "text": f"Review {n}: the product works as described."} for n in range(REQUESTS)]


def _server() -> ChatServer:
    return ChatServer(latency=LATENCY_S, requests_per_second=LIMIT_RPM / 60).start()


def _ask(client: openai.OpenAI, item: dict[str, str]) -> dict[str, str]:
    response = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": item["text"]}])
    return {"id": item["id"], "output": response.choices[0].message.content}


def sequential(folder: Path) -> tuple[int, ChatServer]:
    server = _server()
    client = openai.OpenAI(base_url=server.url, api_key="bench", max_retries=5)
    with (folder / "sequential.jsonl").open("w") as out:
        for item in ITEMS:
            out.write(json.dumps(_ask(client, item)) + "\n")
    client.close()
    return REQUESTS, server


def thread_pool_write_at_end(folder: Path) -> tuple[int, ChatServer]:
    server = _server()
    client = openai.OpenAI(base_url=server.url, api_key="bench", max_retries=5)
    results, failures = [], 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(_ask, client, item) for item in ITEMS]:
            try:
                results.append(future.result())
            except openai.APIError:
                failures += 1
    (folder / "pool.jsonl").write_text("".join(json.dumps(r) + "\n" for r in results))
    client.close()
    return len(results), server


def llmcourse_batch(folder: Path) -> tuple[int, ChatServer]:
    server = _server()
    summary = run_batch(
        ITEMS,
        out=folder / "ours.jsonl",
        prompt="{text}",
        base_url=server.url,
        model=MODEL,
        concurrency=8,
        requests_per_minute=LIMIT_RPM,
        progress=False,
    )
    return summary.ok, server


def main() -> int:
    methods = [
        ("sequential loop", sequential),
        ("thread pool of 8, write at end (seed)", thread_pool_write_at_end),
        ("llmcourse.batch (concurrency 8, rpm 1200)", llmcourse_batch),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, method in methods:
            print(f"running: {name} ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            ok, server = method(Path(folder))
            elapsed = time.perf_counter() - started
            server.stop()
            rate = ok / elapsed
            rows.append(
                {
                    "method": name,
                    "ok": ok,
                    "seconds": round(elapsed, 2),
                    "requests_per_s": round(rate, 2),
                    "fraction_of_limit": round(rate / (LIMIT_RPM / 60), 3),
                    "http_429": server.statuses[429],
                    "requests_sent": len(server.seen),
                }
            )
    base = rows[0]["requests_per_s"]
    print(
        f"\n{REQUESTS} requests, {LATENCY_S * 1000:.0f} ms latency each, limit {LIMIT_RPM} requests/minute "
        f"({LIMIT_RPM / 60:.0f}/s)\n"
    )
    print(
        "| method | ok | failed | time (s) | ok/s | fraction of limit | 429s provoked | HTTP requests | speed vs sequential |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['method']} | {row['ok']} | {REQUESTS - row['ok']} | {row['seconds']:.1f} | {row['requests_per_s']:.2f} | "
            f"{row['fraction_of_limit']:.2f} | {row['http_429']} | {row['requests_sent']} | "
            f"{row['requests_per_s'] / base:.1f}x |"
        )
    ours = rows[-1]
    verdict = ours["fraction_of_limit"] >= 0.9 and ours["http_429"] == 0
    print(
        f"\nllmcourse.batch: {ours['fraction_of_limit']:.2f} of the limit (target >= 0.90), "
        f"{ours['http_429']} 429s (target 0): {'met' if verdict else 'NOT met'}"
    )
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "batch_throughput.json").write_text(
        json.dumps(
            {
                "benchmark": "batch_throughput",
                "requests": REQUESTS,
                "latency_s": LATENCY_S,
                "limit_rpm": LIMIT_RPM,
                "python": platform.python_version(),
                "openai": openai.__version__,
                "rows": rows,
                "targets_met": verdict,
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
