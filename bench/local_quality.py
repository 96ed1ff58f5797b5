"""Benchmark: can the active local model do what the course's lessons ask of it?

The course's own probes, each over several variants, through the real OpenAI SDK against the embedded
server (the same path a notebook with no key takes):

* tool figure copied   - after a tool result "costs $899", the answer says $899 (week 2, day 4);
* argument grounded    - "a ticket to Tokyo?" calls get_ticket_price(destination_city="Tokyo");
* JSON links valid     - week 1 day 5's JSON-mode link choice parses and keeps to the offered links;
* list format obeyed   - "exactly three items, as a numbered list" gives three numbered lines;
* memory of a name     - "My name is Ana." ... "What is my name?" answers Ana (week 1 day 4).

It also measures generation speed (tokens/s, streamed, after the first token). The model is whatever
the server runs: the bundled SmolLM2-135M, or the one `LLMCOURSE_LOCAL_MODEL` names. Results go to
bench/results/local_quality.json under a label (`--label before`, `--label after`...), and the table
compares every label stored there.

Run:  .venv/bin/python bench/local_quality.py --label after
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time
from datetime import date
from pathlib import Path

os.environ.pop("LLMCOURSE_LOCAL_URL", None)  # measure a server of our own, running the active model

RESULTS = Path(__file__).parent / "results" / "local_quality.json"
SYSTEM = (
    "You are a helpful assistant for an Airline called FlightAI. Give short, courteous answers, no more than "
    "1 sentence. Always be accurate. If you don't know the answer, say so."
)
TICKET_TOOL = {
    "type": "function",
    "function": {
        "name": "get_ticket_price",
        "description": "Get the price of a return ticket to the destination city. Call this whenever you need to know "
        "the ticket price, for example when a customer asks 'How much is a ticket to this city'.",
        "parameters": {
            "type": "object",
            "properties": {
                "destination_city": {"type": "string", "description": "The city that the customer wants to travel to."}
            },
            "required": ["destination_city"],
            "additionalProperties": False,
        },
    },
}
PRICES = [("London", 799), ("Paris", 899), ("Tokyo", 1400), ("Berlin", 499)]
CITIES = ["London", "Tokyo", "Atlantis", "Buenos Aires"]
NAMES = ["Ed", "Ana", "Priya", "Kenji"]
LISTS = ["fruits", "colours", "programming languages", "planets"]
SITES = {
    "https://huggingface.co": [
        "/",
        "/models",
        "/datasets",
        "/pricing",
        "/privacy",
        "/terms-of-service",
        "/careers",
        "/about",
        "/blog",
        "/login",
    ],
    "https://example-shop.com": ["/", "/about-us", "/jobs", "/cart", "/privacy-policy", "/contact", "/products"],
    "https://acme-robotics.io": ["/", "/company", "/team", "/careers", "/legal", "/news", "/support"],
    "https://openbakery.org": ["/", "/about", "/recipes", "/volunteer", "/cookies", "/donate"],
}
LINK_SYSTEM = (
    "You are provided with a list of links found on a webpage. Decide which of the links would be most "
    "relevant in a brochure about the company, such as its About, Company, or Careers/Jobs pages. "
    "Leave out Terms of Service, Privacy and email links. Reply in JSON only, with full https URLs, "
    "exactly as in the example."
)
LINK_EXAMPLE = [
    {
        "role": "user",
        "content": "Links on https://example.com:\nhttps://example.com/\nhttps://example.com/about\n"
        "https://example.com/privacy\nhttps://example.com/careers",
    },
    {
        "role": "assistant",
        "content": json.dumps(
            {
                "links": [
                    {"type": "about page", "url": "https://example.com/about"},
                    {"type": "careers page", "url": "https://example.com/careers"},
                ]
            }
        ),
    },
]
SPEED_PROMPTS = [
    "Explain what a large language model is in three sentences.",
    "Give advice to someone learning Python.",
    "Describe a sunset over the sea.",
]


def _figure_pattern(price: int) -> re.Pattern[str]:
    # 1400 may be written 1,400; a longer or shorter number (89, 8990) does not count.
    digits = f"{price:,}".replace(",", ",?")
    return re.compile(rf"(?<![\d,.]){digits}(?![\d,]|\.\d)")


def probe_tool_figure(client, model, city: str, price: int) -> bool:
    """The answer after a tool result repeats the figure exactly."""
    question = f"How much is a return ticket to {city}?"
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": question},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_ticket_price", "arguments": json.dumps({"destination_city": city})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": f"A return ticket to {city} costs ${price}."},
    ]
    reply = client.chat.completions.create(
        model=model, messages=messages, tools=[TICKET_TOOL], max_completion_tokens=80
    )
    return bool(_figure_pattern(price).search(reply.choices[0].message.content or ""))


def probe_argument(client, model, city: str) -> bool:
    """A price question calls the tool with the user's own city."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"How much is a ticket to {city}?"}]
    reply = client.chat.completions.create(model=model, messages=messages, tools=[TICKET_TOOL])
    calls = reply.choices[0].message.tool_calls or []
    for call in calls:
        try:
            argument = json.loads(call.function.arguments).get("destination_city", "")
        except (json.JSONDecodeError, AttributeError):
            return False
        if call.function.name == "get_ticket_price" and str(argument).strip().lower() == city.lower():
            return True
    return False


def probe_links(client, model, site: str, paths: list[str]) -> bool:
    """JSON mode's link choice parses, has the asked shape, and keeps to the links offered."""
    offered = [site + path for path in paths]
    messages = [
        {"role": "system", "content": LINK_SYSTEM},
        *LINK_EXAMPLE,
        {"role": "user", "content": f"Links on {site}:\n" + "\n".join(offered)},
    ]
    reply = client.chat.completions.create(
        model=model, messages=messages, max_completion_tokens=300, response_format={"type": "json_object"}
    )
    try:
        data = json.loads(reply.choices[0].message.content or "")
    except json.JSONDecodeError:
        return False
    links = data.get("links") if isinstance(data, dict) else None
    if not isinstance(links, list) or not links:
        return False
    return all(isinstance(item, dict) and item.get("url") in offered for item in links)


def probe_list(client, model, topic: str) -> bool:
    """Exactly three numbered lines when asked for exactly three."""
    messages = [
        {
            "role": "user",
            "content": f"Name exactly three {topic}. Reply with a numbered list of three "
            "items (1., 2., 3.), one per line, and nothing else.",
        }
    ]
    reply = client.chat.completions.create(model=model, messages=messages, max_completion_tokens=80)
    lines = [line for line in (reply.choices[0].message.content or "").splitlines() if line.strip()]
    numbered = [line for line in lines if re.match(r"\s*\d+[.)]\s+\S", line)]
    return len(numbered) == 3 and len(lines) == 3


def probe_memory(client, model, name: str) -> bool:
    """The answer to "What is my name?" uses the name from the history sent along."""
    messages = [
        {"role": "system", "content": "You are a friendly assistant."},
        {"role": "user", "content": f"Hi! My name is {name}."},
        {"role": "assistant", "content": f"Hello {name}! How can I help you today?"},
        {"role": "user", "content": "What is my name?"},
    ]
    reply = client.chat.completions.create(model=model, messages=messages, max_completion_tokens=40)
    return re.search(rf"\b{re.escape(name)}\b", reply.choices[0].message.content or "") is not None


def tokens_per_second(client, model) -> float:
    """Median streamed generation speed after the first token (64 tokens at most)."""
    speeds = []
    for prompt in SPEED_PROMPTS:
        stream = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], max_completion_tokens=64, stream=True
        )
        first, tokens = None, 0
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                tokens += 1
                first = first or time.perf_counter()
        if tokens > 1:
            speeds.append((tokens - 1) / (time.perf_counter() - first))
    return statistics.median(speeds) if speeds else 0.0


PROBES = {
    "tool figure copied": (probe_tool_figure, PRICES),
    "argument grounded": (probe_argument, [(city,) for city in CITIES]),
    "JSON links valid": (probe_links, list(SITES.items())),
    "list format obeyed": (probe_list, [(topic,) for topic in LISTS]),
    "memory of a name": (probe_memory, [(name,) for name in NAMES]),
}


def run_probes(client, model: str, save) -> dict[str, dict[str, int]]:
    """Every probe over its variants; `save(results)` after each probe, so an interrupted run keeps its results."""
    results: dict[str, dict[str, int]] = {}
    for name, (probe, variants) in PROBES.items():
        passed = 0
        for variant in variants:
            try:
                passed += probe(client, model, *variant)
            except Exception as exc:  # noqa: BLE001 - a probe that errors fails; the run goes on
                print(f"  {name} {variant}: {type(exc).__name__}: {exc}")
        results[name] = {"passed": passed, "total": len(variants)}
        print(f"  {name}: {passed}/{len(variants)}", flush=True)
        save(results)
    return results


def print_table(runs: dict[str, dict]) -> None:
    labels = list(runs)
    print("\n| probe | " + " | ".join(f"{label} ({runs[label]['model']})" for label in labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for probe in PROBES:
        cells = []
        for label in labels:
            result = runs[label]["probes"].get(probe)
            cells.append(
                f"{result['passed']}/{result['total']} ({result['passed'] / result['total']:.0%})" if result else "-"
            )
        print(f"| {probe} | " + " | ".join(cells) + " |")
    speeds = [runs[label]["tokens_per_s"] for label in labels]
    print("| tokens/s (streamed) | " + " | ".join("-" if speed is None else f"{speed:.1f}" for speed in speeds) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--label", default="current", help="name of this run in the results file (before, after...)")
    args = parser.parse_args(argv)

    from openai import OpenAI

    from llmcourse.local import start
    from llmcourse.settings import LOCAL_API_KEY

    server = start(shared=False)  # a server of our own, stopped at the end
    started = time.perf_counter()
    runs: dict[str, dict] = {}

    def save(probes: dict, speed: float | None = None) -> None:
        # Re-read the file each time: another run (another label) may have written it meanwhile.
        runs.clear()
        runs.update(json.loads(RESULTS.read_text()).get("runs", {}) if RESULTS.exists() else {})
        runs[args.label] = {
            "model": model,
            "date": date.today().isoformat(),
            "cpu_cores": os.cpu_count(),
            "probes": probes,
            "tokens_per_s": round(speed, 1) if speed is not None else None,
            "seconds": round(time.perf_counter() - started, 1),
        }
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps({"runs": runs}, indent=2) + "\n")

    try:
        client = OpenAI(base_url=server.openai_url, api_key=LOCAL_API_KEY)
        asked = "gpt-4o-mini"  # any name: the local server answers with its own model
        model = client.chat.completions.create(
            model=asked, messages=[{"role": "user", "content": "Hi"}], max_completion_tokens=1
        ).model
        print(f"Probing {model} ({os.cpu_count()} CPU cores)...", flush=True)
        probes = run_probes(client, asked, save)
        save(probes, tokens_per_second(client, asked))
    finally:
        server.stop()
    print_table(runs)
    print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
