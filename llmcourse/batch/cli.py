"""`llmcourse batch`: the batch runner from the command line.

Example:
    $ llmcourse batch reviews.jsonl --provider openai --out labels.jsonl \\
          --prompt "Sentiment of this review, one word: {text}" --rpm 500
    $ llmcourse batch --out labels.jsonl --export labels_sorted.csv
    $ llmcourse batch reviews.jsonl --out labels.jsonl --prompt "Sentiment: {text}" --openai-batch
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `llmcourse batch` (also used for `--help`).

    Example:
        >>> build_parser().parse_args(["in.jsonl", "--out", "o.jsonl"]).concurrency
        8
    """
    parser = argparse.ArgumentParser(
        prog="llmcourse batch",
        description="Send one chat request per input item, concurrently and under rate limits; append one JSON "
        "line per finished item to --out. Rerun the same command to resume after a crash.",
    )
    parser.add_argument("input", nargs="?", help="a .jsonl or .csv file with an id per item")
    parser.add_argument("--out", required=True, help="results file (.jsonl), appended to as items finish")
    parser.add_argument("--model", help="model name (default: the provider's default model)")
    prompt = parser.add_mutually_exclusive_group()
    prompt.add_argument(
        "--prompt",
        help="template over the item's fields, e.g. 'Classify: {text}' "
        "(default: the item's own 'prompt' or 'messages' field)",
    )
    prompt.add_argument("--prompt-file", type=Path, help="read the template from this file")
    parser.add_argument("--system", help="system prompt for every item")
    parser.add_argument("--image-field", help="field holding an image (path, URL or data URL) to send with the text")
    parser.add_argument("--id-field", default="id", help="name of the id field or column (default: id)")
    where = parser.add_argument_group("provider (default: the OpenAI SDK's environment)")
    where.add_argument("--provider", help="provider name from llmcourse.providers, e.g. openai, deepseek, gemini")
    where.add_argument("--base-url", help="an OpenAI-compatible address, e.g. http://localhost:11434/v1")
    where.add_argument("--api-key-env", help="environment variable holding the key (keys never go on the command line)")
    limits = parser.add_argument_group("limits and retries")
    limits.add_argument("--concurrency", type=int, default=8, help="items in progress at once (default: 8)")
    limits.add_argument("--rpm", type=float, help="requests per minute (set it below your account's limit)")
    limits.add_argument("--tpm", type=float, help="tokens per minute")
    limits.add_argument(
        "--max-attempts", type=int, default=5, help="attempts per item, first one included (default: 5)"
    )
    limits.add_argument("--timeout", type=float, default=60.0, help="seconds per request (default: 60)")
    gen = parser.add_argument_group("generation")
    gen.add_argument("--max-tokens", type=int, help="cap on each answer's length")
    gen.add_argument("--temperature", type=float)
    gen.add_argument(
        "--json", action="store_true", help='ask for a JSON object (response_format={"type": "json_object"})'
    )
    gen.add_argument("--params", type=json.loads, default={}, help="more SDK arguments as a JSON object")
    run = parser.add_argument_group("resume")
    run.add_argument("--regenerate", action="store_true", help="start over: empty --out first")
    run.add_argument("--retry-failed", action="store_true", help="run items recorded as failed (400/401/403...) again")
    run.add_argument("--fsync", action="store_true", help="force every record to disk (slower; survives power loss)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--export", metavar="DEST", help="do not run: write --out sorted by id to DEST (.jsonl or .csv)")
    scale = parser.add_argument_group("scale path: OpenAI's Batch API (half price, results within 24 h)")
    scale.add_argument(
        "--openai-batch",
        action="store_true",
        help="submit the items as one OpenAI batch instead; rerun to keep waiting for it",
    )
    scale.add_argument("--max-wait", type=float, metavar="SECONDS", help="stop waiting for the batch after this long")
    scale.add_argument(
        "--poll-interval",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="first wait between status checks; grows 1.5x up to 5 minutes (default: 10)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run `llmcourse batch`; exit code 0 when every item is ok, 1 when some are not, 2 on bad usage.

    Example:
        >>> main(["--help"])  # doctest: +SKIP
    """
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from llmcourse.batch.records import export_results

    if args.export:
        try:
            count = export_results(args.out, args.export)
        except (OSError, ValueError) as error:
            print(f"llmcourse batch: {error}", file=sys.stderr)
            return 2
        print(f"wrote {count} records sorted by id to {args.export}")
        return 0
    if not args.input:
        parser.error("INPUT is required (or use --export DEST to sort an existing --out)")
    if not isinstance(args.params, dict):
        parser.error("--params must be a JSON object, e.g. '{\"top_p\": 0.9}'")
    params = dict(args.params)
    if args.max_tokens is not None:
        # OpenAI's own models (GPT-5 and later) refuse `max_tokens`; OpenAI-compatible APIs take it.
        openai_itself = args.provider in (None, "openai") and not args.base_url
        params["max_completion_tokens" if openai_itself else "max_tokens"] = args.max_tokens
    if args.temperature is not None:
        params["temperature"] = args.temperature
    if args.json:
        params["response_format"] = {"type": "json_object"}
    template = args.prompt_file.read_text(encoding="utf-8") if args.prompt_file else args.prompt

    from llmcourse.batch.runner import run_batch

    try:
        if args.openai_batch:
            from llmcourse.batch.openai_batch import submit_openai_batch

            if args.provider not in (None, "openai"):
                parser.error("--openai-batch works with OpenAI only (no --provider)")
            api_key = None
            if args.api_key_env:
                api_key = os.environ.get(args.api_key_env) or parser.error(f"{args.api_key_env} is not set")
            summary = submit_openai_batch(
                args.input,
                out=args.out,
                model=args.model,
                prompt=template,
                system=args.system,
                image_field=args.image_field,
                params=params,
                base_url=args.base_url,
                api_key=api_key,
                id_field=args.id_field,
                regenerate=args.regenerate,
                retry_failed=args.retry_failed,
                max_wait_s=args.max_wait,
                poll_interval=args.poll_interval,
                progress=not args.no_progress,
            )
            print(summary)
            return 0 if summary.all_ok else 1
        summary = run_batch(
            args.input,
            out=args.out,
            model=args.model,
            prompt=template,
            system=args.system,
            image_field=args.image_field,
            params=params,
            provider=args.provider,
            base_url=args.base_url,
            api_key_env=args.api_key_env,
            concurrency=args.concurrency,
            requests_per_minute=args.rpm,
            tokens_per_minute=args.tpm,
            max_attempts=args.max_attempts,
            timeout=args.timeout,
            id_field=args.id_field,
            regenerate=args.regenerate,
            retry_failed=args.retry_failed,
            fsync=args.fsync,
            progress=not args.no_progress,
        )
    except (OSError, ValueError, RuntimeError) as error:  # bad input file, options, or a missing key
        print(f"llmcourse batch: {error}", file=sys.stderr)
        return 2
    print(summary)
    return 0 if summary.all_ok else 1
