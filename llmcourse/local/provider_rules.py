"""Refuse what the real providers refuse for the model that was asked for, so notebooks break offline first.

The local model accepts anything, so a notebook could pass every offline test and still get a 400
from the real provider: OpenAI's reasoning families (GPT-5 and later) refuse `max_tokens` and a
non-default `temperature`; Claude 5 refuses `temperature` altogether. The model families and what
they refuse are facts in `llmcourse.settings`; the messages follow the providers' own wording.

Example:
    >>> from llmcourse.settings import MODELS
    >>> check_openai_fields({"model": MODELS["openai"], "max_completion_tokens": 50})
    >>> check_openai_fields({"model": MODELS["openai"], "max_tokens": 50})
    Traceback (most recent call last):
    ...
    llmcourse.local.validation.ApiError: Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.
"""

from __future__ import annotations

import re
from typing import Any

from llmcourse.local.validation import ApiError
from llmcourse.settings import ANTHROPIC_NO_TEMPERATURE_FAMILIES, OPENAI_REASONING_FAMILIES

__all__ = ["check_anthropic_fields", "check_openai_fields"]


def _model(body: dict[str, Any]) -> str:
    model = body.get("model")
    return model.strip().lower() if isinstance(model, str) else ""


def check_openai_fields(body: dict[str, Any]) -> None:
    """Raise the 400 OpenAI gives a reasoning-family model sent `max_tokens`, or sampling fields while it reasons.

    Example:
        >>> from llmcourse.settings import MODELS
        >>> check_openai_fields({"model": MODELS["openai"], "temperature": 0.7, "reasoning_effort": "none"})
        >>> check_openai_fields({"model": MODELS["deepseek"], "max_tokens": 50, "temperature": 0.7})
    """
    if not re.match(OPENAI_REASONING_FAMILIES, _model(body)):
        return
    if body.get("max_tokens") is not None:
        raise ApiError(
            400,
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            param="max_tokens",
        )
    if body.get("reasoning_effort") == "none":
        return
    for field in ("temperature", "top_p"):
        value = body.get(field)
        if value is not None and value != 1:
            raise ApiError(
                400,
                f"Unsupported value: '{field}' does not support {value} with this model. Only the "
                "default (1) value is supported (or set reasoning_effort to 'none').",
                param=field,
            )
    if body.get("logprobs"):
        raise ApiError(
            400,
            "Unsupported parameter: 'logprobs' is only supported with reasoning_effort 'none' for this model.",
            param="logprobs",
        )


def check_anthropic_fields(body: dict[str, Any]) -> None:
    """Raise the 400 Anthropic gives when a Claude 5 family model is sent `temperature`.

    Example:
        >>> from llmcourse.settings import MODELS
        >>> check_anthropic_fields({"model": MODELS["anthropic"], "max_tokens": 100})
        >>> check_anthropic_fields({"model": MODELS["anthropic"], "temperature": 0.5})
        Traceback (most recent call last):
        ...
        llmcourse.local.validation.ApiError: `temperature` is deprecated for this model.
    """
    if re.match(ANTHROPIC_NO_TEMPERATURE_FAMILIES, _model(body)) and body.get("temperature") is not None:
        raise ApiError(400, "`temperature` is deprecated for this model.", param="temperature")
