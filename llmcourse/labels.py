"""Say who really answered: the provider's model, or the local stand-in that `setup()` put in its place.

A notebook that prints `GPT:` over an answer from the small local model misleads the learner. These
helpers build speaker labels, column titles and app titles from the truth: the `model` field of the
response (the local server always answers `local:<model>`), or, before any call, where `setup()`
pointed the SDK.

Example:
    >>> label("GPT", "local:SmolLM2-135M-Instruct")
    'GPT (local stand-in)'
    >>> label("GPT", "some-model-2026-09-22")
    'GPT (some-model-2026-09-22)'
"""

from __future__ import annotations

import os
from typing import Any

from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_PREFIX

__all__ = ["LOCAL_PREFIX", "answered_locally", "label", "model_of"]

# Every model name the embedded server reports starts with this (llmcourse.settings).
LOCAL_PREFIX = LOCAL_MODEL_PREFIX
_SDKS = ("openai", "anthropic", "ollama")


def model_of(answered_by: Any) -> str | None:
    """The model name in a response (OpenAI, Anthropic, Ollama; object or dict), or the string itself.

    Example:
        >>> model_of({"model": "some-model:latest", "message": {"content": "Hi"}})
        'some-model:latest'
    """
    if answered_by is None or isinstance(answered_by, str):
        return answered_by
    model = answered_by.get("model") if isinstance(answered_by, dict) else getattr(answered_by, "model", None)
    return model if isinstance(model, str) else None


def _ollama_host_is_local() -> bool:
    host = os.environ.get("OLLAMA_HOST", "").strip()
    if not host:
        return False  # Ollama's own default address: a real Ollama
    if "://" not in host:
        host = "http://" + host
    import requests

    try:
        models = requests.get(host.rstrip("/") + "/api/tags", timeout=2).json().get("models") or []
    except (requests.RequestException, ValueError, AttributeError):
        return False
    return any(str(model.get("name", "")).startswith(LOCAL_PREFIX) for model in models if isinstance(model, dict))


def answered_locally(answered_by: Any = None, *, sdk: str = "openai") -> bool:
    """True when the answer came (or, with no answer given, will come) from the embedded local model.

    `answered_by` is a response or its `model` string. Without it, the SDK's set-up decides: `setup()`
    gives the OpenAI and Anthropic SDKs a stand-in key when they go to the local model, and points
    `OLLAMA_HOST` at it when Ollama is not running.

    Example:
        >>> answered_locally("local:SmolLM2-135M-Instruct"), answered_locally("some-model")
        (True, False)
    """
    model = model_of(answered_by)
    if model is not None:
        return model.startswith(LOCAL_PREFIX)
    if sdk not in _SDKS:
        raise ValueError(f"sdk must be one of {', '.join(_SDKS)}, got {sdk!r}")
    if sdk == "ollama":
        return _ollama_host_is_local()
    return os.environ.get(f"{sdk.upper()}_API_KEY", "").strip() == LOCAL_API_KEY


def label(name: str, answered_by: Any = None, *, sdk: str = "openai", model: str | None = None) -> str:
    """`name` plus who answered: 'GPT (local stand-in)' or 'GPT (<the model that answered>)'.

    `answered_by` is a response or its `model` string; without one, `sdk` says which SDK will answer and
    `model` is the model you ask for (shown only when a real provider answers).

    Example:
        >>> label("Claude", {"model": "some-model"})
        'Claude (some-model)'
        >>> label("Tutor", "local:Qwen3-1.7B-Q4_K_M")
        'Tutor (local stand-in)'
    """
    if answered_locally(answered_by, sdk=sdk):
        return f"{name} (local stand-in)"
    shown = model_of(answered_by) or model
    return f"{name} ({shown})" if shown else name
