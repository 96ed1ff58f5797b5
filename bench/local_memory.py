"""Benchmark: memory of three notebook kernels that each need the local model, private servers vs one shared.

Three real Jupyter kernels (jupyter_client) each run what a notebook's first cell runs to get a
local model server: `llmcourse.local.start(...)`. Baseline: every kernel starts its own server
(`shared=False`, the course's behaviour before the shared server). Ours: the default, one detached
server per user that every kernel reuses. Both runs happen in this process; the figure is the
resident memory (RSS) of the kernels plus every model server process, and the ratio between them.
Prints a Markdown table and writes bench/results/local_memory.json.

Run: .venv/bin/python bench/local_memory.py
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import psutil
from jupyter_client.manager import start_new_kernel

KERNELS = 3
RESULTS = Path(__file__).resolve().parent / "results" / "local_memory.json"


def _servers(urls: list[str]) -> list[psutil.Process]:
    """The processes listening on the servers' ports (other servers on this machine are not counted)."""
    ports = {int(url.rsplit(":", 1)[1]) for url in urls}
    pids = {
        c.pid
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port in ports and c.pid
    }
    return [psutil.Process(pid) for pid in pids]


def _rss_mb(processes: list[psutil.Process]) -> float:
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def run(label: str, shared: bool) -> dict:
    kernels = [start_new_kernel(kernel_name="python3") for _ in range(KERNELS)]
    try:
        urls = []
        for _, client in kernels:
            reply = []
            client.execute_interactive(
                f"from llmcourse.local import start\nprint(start(shared={shared}).url)",
                output_hook=lambda msg, out=reply: out.append(msg["content"].get("text", "")),
                timeout=180,
            )
            urls.append("".join(reply).strip())
        time.sleep(1.0)  # let the servers settle after their first request
        servers = _servers(urls)
        kernel_processes = [psutil.Process(manager.provisioner.process.pid) for manager, _ in kernels]
        return {
            "method": label,
            "distinct_servers": len(set(urls)),
            "server_processes": len(servers),
            "servers_mb": _rss_mb(servers),
            "kernels_plus_servers_mb": _rss_mb(servers + kernel_processes),
        }
    finally:
        for manager, client in kernels:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
        if shared:
            from llmcourse.local.shared import stop

            stop()
        time.sleep(1.0)


def main() -> int:
    os.environ.pop("LLMCOURSE_LOCAL_URL", None)  # never reuse a test run's server
    os.environ["LLMCOURSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="llmcourse-bench-")
    rows = [
        run("a server per kernel (before)", shared=False),
        run("one shared server (llmcourse.local.start)", shared=True),
    ]
    ratio = rows[0]["kernels_plus_servers_mb"] / rows[1]["kernels_plus_servers_mb"]
    print(f"Memory with {KERNELS} kernels that each need the local model:\n")
    print("| method | distinct servers | server processes | servers RSS (MB) | kernels + servers RSS (MB) |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['method']} | {row['distinct_servers']} | {row['server_processes']} | {row['servers_mb']:.0f} "
            f"| {row['kernels_plus_servers_mb']:.0f} |"
        )
    print(f"\nbefore / after (kernels + servers): {ratio:.2f}x")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({"kernels": KERNELS, "rows": rows, "ratio": ratio, "machine": platform.platform()}, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
