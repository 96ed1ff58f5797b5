"""One accessor for "a field of an SDK object or of its JSON twin": SDK objects expose attributes, dicts keys.

The OpenAI, Anthropic and Ollama SDKs answer with objects; the same answers read back from JSON
(or Ollama's raw dicts, or Gradio's history) are dicts. `field` reads either.

Example:
    >>> from llmcourse.sdkfields import field
    >>> field({"role": "user"}, "role"), field(None, "role")
    ('user', None)
"""

from __future__ import annotations

from typing import Any

__all__ = ["field"]


def field(obj: Any, name: str) -> Any:
    """`obj.name` for an SDK object, `obj[name]` for a dict, None when absent (or when `obj` is None).

    Example:
        >>> from types import SimpleNamespace
        >>> field(SimpleNamespace(content="Hi"), "content"), field({"content": "Hi"}, "content")
        ('Hi', 'Hi')
        >>> field({"content": "Hi"}, "role") is None
        True
    """
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)
