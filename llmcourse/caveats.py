"""One honest sentence under an answer whose lesson the small local model cannot show.

Some lessons depend on model quality: remembering a name from the history, a reasoning puzzle, a
change of tone. With no key, the local stand-in answers them, often badly, and the learner would
wrongly conclude the technique does not work. `caveat(topic, response)` prints one sentence saying
so, and prints nothing when a real provider answered.

Example:
    >>> caveat("memory", "local:SmolLM2-135M-Instruct")  # doctest: +NORMALIZE_WHITESPACE
    Note: the small local stand-in (local:SmolLM2-135M-Instruct) answered this; models this small often lose
    track of earlier turns even when the whole history is sent, while a frontier model answers from it.
    >>> caveat("memory", "some-model-2026-09-22")      # a real model answered: nothing to say
"""

from __future__ import annotations

from typing import Any

from llmcourse.labels import answered_locally, model_of

__all__ = ["CAVEATS", "caveat"]

# topic -> what small models may do instead, and what a frontier model does (completes "models this small ...").
CAVEATS: dict[str, str] = {
    "memory": "often lose track of earlier turns even when the whole history is sent, while a frontier model "
    "answers from it",
    "reasoning": "usually get puzzles that need a step of reasoning wrong, while frontier models work them out",
    "tone": "barely change their style when asked, while a frontier model rewrites the whole text in the new tone",
    "minutes": "write rough minutes (repeated lines, invented names or dates), while a frontier model writes usable "
    "ones from the same transcript",
    "format": "often ignore the requested format (a numbered list, a number of items), while a frontier model "
    "follows it",
}


def caveat(topic: str, answered_by: Any = None, *, sdk: str = "openai") -> None:
    """Print one sentence about `topic` when the local model answered (see `CAVEATS`); otherwise nothing.

    `answered_by` is the response (or its `model` string); without it, the SDK named by `sdk` decides
    (see `llmcourse.labels.answered_locally`).

    Example:
        >>> caveat("tone", {"model": "local:SmolLM2-135M-Instruct"})  # doctest: +NORMALIZE_WHITESPACE
        Note: the small local stand-in (local:SmolLM2-135M-Instruct) answered this; models this small barely
        change their style when asked, while a frontier model rewrites the whole text in the new tone.
    """
    if topic not in CAVEATS:
        raise ValueError(f"unknown caveat {topic!r}; the topics are: {', '.join(CAVEATS)}")
    if not answered_locally(answered_by, sdk=sdk):
        return
    model = model_of(answered_by)
    who = f" ({model})" if model else ""
    print(f"Note: the small local stand-in{who} answered this; models this small {CAVEATS[topic]}.")
