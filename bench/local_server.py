"""Benchmark: what the embedded server costs over calling llama-cpp-python in the same process.

Same model file, same prompts, same settings (greedy, 128 new tokens, 2 threads), interleaved so
that machine noise hits both alike. Through the server, the answer travels by the OpenAI SDK over
HTTP (SSE) from a separate process. Target: at most 10% slower in tokens/s and time to first token.

Run:  .venv/bin/python bench/local_server.py      (writes bench/results/local_server.json)
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

os.environ.pop("LLMCOURSE_LOCAL_URL", None)  # measure a server of our own

PROMPTS = [
    "Explain what a large language model is in three sentences.",
    "Write a short paragraph about the history of Paris.",
    "What are the benefits of unit tests?",
    "Describe a sunset over the sea.",
    "Give advice to someone learning Python.",
]
MAX_TOKENS = 128
ROUNDS = 2
SETTINGS = {"temperature": 0.0, "repeat_penalty": 1.1, "max_tokens": MAX_TOKENS}


def measure(open_stream, text_of) -> tuple[float, float, int]:
    """(time to first token, tokens per second after it, tokens) for one streamed answer.

    The clock starts before the request is made: for the server that includes the HTTP round trip.
    """
    start = time.perf_counter()
    first = None
    tokens = 0
    for chunk in open_stream():
        if text_of(chunk):
            tokens += 1
            if first is None:
                first = time.perf_counter()
    end = time.perf_counter()
    return first - start, (tokens - 1) / (end - first) if tokens > 1 else 0.0, tokens


def main() -> int:
    from llama_cpp import Llama
    from openai import OpenAI

    from llmcourse.local import gguf_path, start
    from llmcourse.settings import LOCAL_API_KEY

    threads = max(1, min(4, os.cpu_count() or 1))  # the server's own choice (engine.py)
    direct = Llama(model_path=str(gguf_path()), n_ctx=8192, n_threads=threads, verbose=False)
    server = start()
    client = OpenAI(base_url=server.openai_url, api_key=LOCAL_API_KEY)

    def run_direct(prompt):
        return measure(
            lambda: direct.create_chat_completion(
                messages=[{"role": "user", "content": prompt}], stream=True, **SETTINGS
            ),
            lambda c: c["choices"][0]["delta"].get("content"),
        )

    def run_server(prompt):
        return measure(
            lambda: client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": prompt}],
                stream=True,
                temperature=0.0,
                max_tokens=MAX_TOKENS,  # the server applies repeat_penalty 1.1 itself
            ),
            lambda c: c.choices and c.choices[0].delta.content,
        )

    run_direct(PROMPTS[0]), run_server(PROMPTS[0])  # warm-up: first-call allocations on both sides
    results = {"in-process llama-cpp-python": [], "server (OpenAI SDK, streamed)": []}
    try:
        for round_ in range(ROUNDS):
            for index, prompt in enumerate(PROMPTS):
                order = [("in-process llama-cpp-python", run_direct), ("server (OpenAI SDK, streamed)", run_server)]
                if (round_ + index) % 2:
                    order.reverse()
                for name, run in order:
                    results[name].append(run(prompt))
    finally:
        server.stop()

    rows = []
    for name, samples in results.items():
        rows.append(
            {
                "method": name,
                "ttft_ms": statistics.median(s[0] for s in samples) * 1000,
                "tokens_per_s": statistics.median(s[1] for s in samples),
                "tokens": sum(s[2] for s in samples),
            }
        )
    base, ours = rows
    ratios = {
        "ttft_ratio": ours["ttft_ms"] / base["ttft_ms"],
        "throughput_ratio": ours["tokens_per_s"] / base["tokens_per_s"],
    }
    print(
        f"{len(PROMPTS)} prompts x {ROUNDS} rounds, {MAX_TOKENS} new tokens max, greedy, {threads} threads (medians)\n"
    )
    print("| method | time to first token (ms) | tokens/s | tokens generated |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(f"| {row['method']} | {row['ttft_ms']:.0f} | {row['tokens_per_s']:.1f} | {row['tokens']} |")
    print(
        f"\nserver / in-process: time to first token x{ratios['ttft_ratio']:.2f}, "
        f"throughput x{ratios['throughput_ratio']:.2f} (target: TTFT <= 1.10, throughput >= 0.90)"
    )
    out = Path(__file__).parent / "results" / "local_server.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"rows": rows, **ratios, "prompts": len(PROMPTS), "rounds": ROUNDS}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
