"""Benchmark: streaming 1,500 chunks into a Jupyter display, updating per chunk vs `stream_markdown`.

Runs a real python3 kernel (jupyter_client) and executes three cells that consume the same
generator (1,500 chunks of a Markdown answer, ~1 ms apart, like a fast model):
    bare       the generator alone (what the stream costs without any display)
    per chunk  the common pattern: `update_display(Markdown(full_text), display_id=...)` per chunk
    ours       `reply = stream_markdown(stream)` (a redraw at most every 100 ms, final text always)
It counts the display messages the kernel sends on IOPub and their size (the JSON content of each
`display_data` / `update_display_data` message, as a front-end receives it), and the extra kernel
time: a cell's wall time minus the bare generator's. Both strategies must leave the full text on
screen. Prints a Markdown table and writes bench/results/stream_display.json.

Run: .venv/bin/python bench/stream_display.py
"""

from __future__ import annotations

import ast
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from jupyter_client import KernelManager

CHUNKS = 1500
REPEATS = 3
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "stream_display.json"
TARGET_RATIO = 10.0

SETUP = f"""
import time
from IPython.display import Markdown, display, update_display
from llmcourse.display import stream_markdown

WORDS = "The **model** streams its answer in small pieces, one token or so at a time".split()

def answer(n={CHUNKS}, pause=0.001):
    for i in range(n):
        time.sleep(pause)
        if i % 150 == 0:
            yield f"\\n\\n## Part {{i // 150 + 1}}\\n\\n"
        else:
            yield WORDS[i % len(WORDS)] + " "

full_text = "".join(answer(pause=0))
"""

CELLS = {
    "bare": """
started = time.perf_counter()
text = "".join(answer())
seconds = time.perf_counter() - started
""",
    "per chunk": """
started = time.perf_counter()
handle = display(Markdown(""), display_id=True)
text = ""
for piece in answer():
    text += piece
    update_display(Markdown(text), display_id=handle.display_id)
seconds = time.perf_counter() - started
""",
    "stream_markdown": """
started = time.perf_counter()
text = stream_markdown(answer())
seconds = time.perf_counter() - started
""",
}


def run_cell(client, code: str) -> dict:
    """Execute `code`; return its display messages, their bytes, the final shown text and its time."""
    msg_id = client.execute(code, user_expressions={"seconds": "seconds", "full": "text == full_text"})
    shown: dict[str, str] = {}
    messages = payload = 0
    while True:
        msg = client.get_iopub_msg(timeout=300)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind in ("display_data", "update_display_data"):
            messages += 1
            payload += len(json.dumps(content).encode())
            display_id = content.get("transient", {}).get("display_id")
            if kind == "display_data" or display_id in shown:  # what a front-end would show
                shown[display_id] = content["data"]["text/markdown"]
        elif kind == "error":
            raise RuntimeError("\n".join(content["traceback"]))
        elif kind == "status" and content["execution_state"] == "idle":
            break
    while True:
        reply = client.get_shell_msg(timeout=300)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    values = {k: v["data"]["text/plain"] for k, v in reply["content"]["user_expressions"].items()}
    return {
        "messages": messages,
        "payload_bytes": payload,
        "seconds": float(values["seconds"]),
        "returned_full_text": values["full"] == "True",
        "shown_text": list(shown.values()),
    }


def main() -> int:
    manager = KernelManager(kernel_name="python3")
    env = dict(os.environ, IPYTHONDIR=tempfile.mkdtemp(prefix="bench-ipython-"))
    manager.start_kernel(cwd=str(ROOT), env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        run_cell(client, SETUP + "seconds = 0\ntext = full_text\n")
        full_text = ast.literal_eval(
            client.execute_interactive("", user_expressions={"t": "full_text"}, timeout=60)["content"][
                "user_expressions"
            ]["t"]["data"]["text/plain"]
        )
        runs: dict[str, list[dict]] = {name: [] for name in CELLS}
        for _ in range(REPEATS):  # interleaved, so a busy spell on the machine hits all three
            for name, code in CELLS.items():
                runs[name].append(run_cell(client, code))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    bare_seconds = statistics.median(run["seconds"] for run in runs["bare"])
    rows = []
    for name in ("per chunk", "stream_markdown"):
        last = runs[name][-1]
        shown_ok = all(run["shown_text"] == [full_text] and run["returned_full_text"] for run in runs[name])
        rows.append(
            {
                "strategy": name,
                "display_messages": last["messages"],
                "payload_bytes": last["payload_bytes"],
                "extra_kernel_seconds": statistics.median(run["seconds"] for run in runs[name]) - bare_seconds,
                "final_text_shown": shown_ok,
            }
        )
    naive, ours = rows
    ratios = {
        "messages": naive["display_messages"] / ours["display_messages"],
        "bytes": naive["payload_bytes"] / ours["payload_bytes"],
        "extra_kernel_time": (
            naive["extra_kernel_seconds"] / ours["extra_kernel_seconds"]
            if ours["extra_kernel_seconds"] > 0.005
            else None
        ),
    }

    print(
        f"{CHUNKS} chunks, final text {len(full_text):,} characters; bare generator {bare_seconds:.2f} s "
        f"(median of {REPEATS})\n"
    )
    print("| strategy | display messages | bytes on IOPub | extra kernel time | final text shown |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row['strategy']} | {row['display_messages']:,} | {row['payload_bytes'] / 1e6:.2f} MB | "
            f"{row['extra_kernel_seconds'] * 1000:+.0f} ms | {'yes' if row['final_text_shown'] else 'NO'} |"
        )
    time_ratio = f"{ratios['extra_kernel_time']:.0f}x" if ratios["extra_kernel_time"] else "n/a (ours within noise)"
    print(
        f"| **ratio (per chunk / ours)** | **{ratios['messages']:.0f}x** | **{ratios['bytes']:.0f}x** | "
        f"**{time_ratio}** | |"
    )

    met = (
        ratios["messages"] >= TARGET_RATIO
        and ratios["bytes"] >= TARGET_RATIO
        and all(r["final_text_shown"] for r in rows)
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "stream_display",
                "chunks": CHUNKS,
                "repeats": REPEATS,
                "final_text_characters": len(full_text),
                "bare_generator_seconds": bare_seconds,
                "python": platform.python_version(),
                "rows": rows,
                "ratios": ratios,
                "target_ratio": TARGET_RATIO,
                "target_met": met,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\ntarget (>= {TARGET_RATIO:.0f}x fewer messages and bytes, full text shown): {'met' if met else 'NOT met'}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
