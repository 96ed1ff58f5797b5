"""Many prompts to an LLM, concurrently, rate-limited and resumable (`llmcourse batch` on the command line).

The pieces, one idea per module: `inputs` (items with ids from a list, JSONL or CSV), `messages`
(item -> chat messages), `tokens` (estimates for the TPM limit), `limits` (the rate limiter),
`retry` (which errors to retry and how long to wait), `callers` (the SDK call), `records` (the
crash-safe results file), `costs`, `summary`, `runner` (the async core and its sync wrapper),
`openai_batch` (the scale path through OpenAI's Batch API) and `cli`.

Example:
    >>> from llmcourse.batch import run_batch
    >>> summary = run_batch("reviews.jsonl", out="labels.jsonl", prompt="Sentiment: {text}")  # doctest: +SKIP
"""

from __future__ import annotations

from llmcourse.batch.cli import main
from llmcourse.batch.inputs import InputProblem, Item, read_items
from llmcourse.batch.limits import RateLimiter
from llmcourse.batch.messages import (
    PromptError,
    build_messages,
    data_url,
    image_message,
)
from llmcourse.batch.openai_batch import (
    asubmit_openai_batch,
    openai_batch_requests,
    submit_openai_batch,
)
from llmcourse.batch.records import export_results, load_results, read_results
from llmcourse.batch.runner import arun_batch, run_batch
from llmcourse.batch.summary import BatchSummary
from llmcourse.batch.tokens import estimate_tokens

__all__ = [
    "BatchSummary",
    "InputProblem",
    "Item",
    "PromptError",
    "RateLimiter",
    "arun_batch",
    "asubmit_openai_batch",
    "build_messages",
    "data_url",
    "estimate_tokens",
    "export_results",
    "image_message",
    "load_results",
    "main",
    "openai_batch_requests",
    "read_items",
    "read_results",
    "run_batch",
    "submit_openai_batch",
]
