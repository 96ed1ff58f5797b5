"""Explain an SDK error that means "this model is gone", in one sentence naming the replacement.

Providers retire model names; the SDKs then answer 404 `model_not_found` (OpenAI and the
OpenAI-compatible providers), `not_found_error` (Anthropic) or `model "x" not found` (Ollama).
`explain_model_error(error)` recognises those and names the course's current choice from
`llmcourse.settings` (MODELS / MODEL_CHOICES / MODEL_FAMILIES). It does no I/O and imports no SDK, so
every helper (streaming display, tool loop, batch runner, doctor) can use it.

Example:
    >>> explain_model_error(ValueError("bad input")) is None
    True
"""

from __future__ import annotations

import json
import re

from llmcourse.settings import MODEL_CHOICES, MODEL_FAMILIES, MODELS

__all__ = ["add_model_note", "explain_model_error", "normalise_model_name", "replacement_for"]


def normalise_model_name(name: str) -> str:
    """`models/name` -> `name` (Gemini's list), `name:latest` -> `name` (Ollama's default tag).

    Example:
        >>> normalise_model_name("models/some-model"), normalise_model_name("some-model:latest")
        ('some-model', 'some-model')
    """
    name = name.strip()
    name = name.removeprefix("models/")
    name = name.removesuffix(":latest")
    return name


_GONE_WORDS = (
    "model_not_found",
    "not_found",
    "does not exist",
    "not found",
    "deprecated",
    "retired",
    "shut down",
    "no longer available",
    "decommissioned",
    "not exist",
    "unknown model",
    "invalid model",
    "模型不存在",
)
# "max_tokens is not supported with this model" is about a parameter, not a retired model.
_PARAMETER_WORDS = ("parameter", "max_tokens", "temperature", "argument")


def _error_text(error: BaseException) -> str:
    parts = [str(error)]
    body = getattr(error, "body", None)
    if body is not None:
        parts.append(json.dumps(body, default=str) if not isinstance(body, str) else body)
    for name in ("code", "error", "message"):
        value = getattr(error, name, None)
        if isinstance(value, str):
            parts.append(value)
    return " ".join(parts)


def _requested_model(error: BaseException, text: str) -> str | None:
    request = getattr(error, "request", None)
    content = getattr(request, "content", None)
    if content:
        try:
            model = json.loads(content).get("model")
        except (ValueError, AttributeError, TypeError):
            model = None
        if isinstance(model, str) and model:
            return model
    known = {m for choices in MODEL_CHOICES.values() for m in choices} | set(MODELS.values())
    for model in sorted(known, key=len, reverse=True):
        if model in text:
            return model
    match = re.search(r"""model[^'"`]{0,20}['"`]([\w.:/-]+)['"`]""", text, re.IGNORECASE)
    if match:
        return match.group(1)
    match = re.search(r"\bmodel:\s*([\w.:/-]+)", text)
    return match.group(1) if match else None


def replacement_for(model: str | None) -> tuple[str, str] | None:
    """(MODELS entry, replacement) for a model that is gone: the course's current pick, else the next choice.

    A model the course never listed is matched by family (`settings.MODEL_FAMILIES`: an old GPT name
    gets `MODELS["openai"]`).

    Example:
        >>> replacement_for(MODEL_CHOICES["openai"][1]) == ("openai", MODELS["openai"])
        True
        >>> replacement_for("claude-old-haiku") == ("anthropic_small", MODELS["anthropic_small"])
        True
        >>> replacement_for("my-own-model") is None
        True
    """
    if not model:
        return None
    bare = normalise_model_name(model)
    for entry, choices in MODEL_CHOICES.items():
        names = [normalise_model_name(c) for c in choices]
        if bare not in names:
            continue
        current = MODELS.get(entry, choices[0])
        if normalise_model_name(current) != bare:
            return entry, current
        later = choices[names.index(bare) + 1 :]
        if later:
            return entry, later[0]
    for pattern, entry in MODEL_FAMILIES.items():
        if re.search(pattern, bare) and entry in MODELS and normalise_model_name(MODELS[entry]) != bare:
            return entry, MODELS[entry]
    return None


def explain_model_error(error: BaseException) -> str | None:
    """One sentence for an SDK error that says the model is gone (404 / "deprecated" / "does not exist").

    Returns None for any other error, so callers can fall back to their usual message. Works with the
    openai, anthropic and ollama SDKs' exceptions (and anything with a status code and a message).

    Example:
        >>> class NotFoundError(Exception):
        ...     status_code = 404
        >>> old = MODEL_CHOICES["openai"][1]
        >>> sentence = explain_model_error(NotFoundError(f"The model `{old}` does not exist"))
        >>> f"use MODELS['openai'] = {MODELS['openai']!r} instead" in sentence
        True
        >>> explain_model_error(ValueError("bad input")) is None
        True
    """
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(error, "status", None)
    if not isinstance(status, int) or status not in (400, 404, 410):
        return None
    text = _error_text(error)
    lowered = text.lower()
    if "model" not in lowered and "模型" not in text:
        return None
    if not any(word in lowered or word in text for word in _GONE_WORDS):
        return None
    if status == 400 and any(word in lowered for word in _PARAMETER_WORDS):
        return None
    model = _requested_model(error, text)
    shown = repr(model) if model else "this model"
    replacement = replacement_for(model)
    if replacement:
        entry, new = replacement
        advice = f"use MODELS[{entry!r}] = {new!r} instead"
    else:
        advice = "pick a current one from llmcourse.settings.MODEL_CHOICES (or your provider's model list)"
    return (
        f"The model {shown} is not available (retired, or not enabled for your account): {advice} "
        "(llmcourse.setup() picks an available model for you)."
    )


def add_model_note(error: BaseException) -> str | None:
    """Attach `explain_model_error`'s sentence to `error` as a note (shown under its traceback), once.

    Returns the sentence, or None when the error is not about a retired model.

    Example:
        >>> class NotFoundError(Exception):
        ...     status_code = 404
        >>> error = NotFoundError(f"The model `{MODEL_CHOICES['openai'][1]}` does not exist")
        >>> sentence = add_model_note(error)
        >>> add_model_note(error) == sentence and error.__notes__ == [sentence]
        True
    """
    sentence = explain_model_error(error)
    if sentence and sentence not in getattr(error, "__notes__", ()):
        error.add_note(sentence)
    return sentence
