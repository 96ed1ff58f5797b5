"""Keys shown only masked: `mask_key` for one key, `mask_secrets` for any text that may hold one.

The one masker for every output path (errors, batch records and summaries, diagnostics): it hides
the keys this process loaded and anything shaped like a key of the provider table.

Example:
    >>> from llmcourse.keys.masking import mask_key
    >>> mask_key("sk-proj-" "abcdefghijklmnopqrstuvwxyz0123456789x9Zq")
    'sk-p...x9Zq'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from llmcourse.keys.specs import KEY_SPECS
from llmcourse.settings import LOCAL_API_KEY

__all__ = ["mask_key", "mask_secrets", "remember_secrets"]


def mask_key(key: str | None) -> str:
    """A key with all but a few characters hidden: at most 4 leading and 4 trailing, never more than a third.

    Example:
        >>> mask_key("sk-proj-" "abcdefghijklmnopqrstuvwxyz0123456789x9Zq")
        'sk-p...x9Zq'
        >>> mask_key("abcdefghijkl")
        'ab...kl'
        >>> mask_key("")
        ''
    """
    if not key:
        return ""
    key = key.strip()
    shown = min(8, len(key) // 3)
    head, tail = (shown + 1) // 2, shown // 2
    return key[:head] + "..." + (key[-tail:] if tail else "")


# Keys without a fixed prefix, by their usual shape (Zhipu GLM: "<32 hex characters>.<16-character secret>").
_PREFIXLESS_KEY_SHAPES: tuple[str, ...] = (r"[0-9a-f]{32}\.[0-9A-Za-z]{16}",)


def _key_shapes() -> re.Pattern[str]:
    """One pattern for every key shape of the provider table (its prefixes, longest first, then 20+ key characters)."""
    prefixes = sorted({prefix for spec in KEY_SPECS.values() for prefix in spec.prefixes}, key=len, reverse=True)
    shapes = [
        re.escape(prefix) + (r"[A-Za-z0-9_\-/]{20,}" if "/" in prefix else r"[A-Za-z0-9_\-]{20,}")
        for prefix in prefixes
    ]
    return re.compile(r"(?<![A-Za-z0-9_\-])(?:" + "|".join([*shapes, *_PREFIXLESS_KEY_SHAPES]) + ")")


_KEY_SHAPES = _key_shapes()
# Key values this process loaded (from .env, Colab secrets or the environment): masked wherever they appear.
_LOADED_SECRETS: set[str] = set()


def remember_secrets(values: Iterable[str]) -> None:
    """Add loaded key values to those `mask_secrets` hides wherever they appear (`load_keys` calls it).

    Example:
        >>> remember_secrets(["not-a-real-key-1234567"])
        >>> mask_secrets("it was not-a-real-key-1234567")
        'it was not-...567'
    """
    _LOADED_SECRETS.update(value.strip() for value in values if value and value.strip())


def _known_secrets() -> list[str]:
    values = set(_LOADED_SECRETS)
    for spec in KEY_SPECS.values():
        for variable in spec.variables:
            values.add(os.environ.get(variable, "").strip())
    secrets = [value for value in values if len(value) >= 8 and value != LOCAL_API_KEY]
    return sorted(secrets, key=len, reverse=True)


def mask_secrets(text: str) -> str:
    """`text` with every API key in it masked: the value of any key this process loaded, and anything shaped
    like a key of the provider table (sk-..., sk-ant-..., AIza..., hf_..., r8_..., Zhipu's id.secret...).

    The one masker for every output path: errors, batch results and summaries, diagnostics. A key
    becomes `mask_key(key)`, a few characters at most.

    Example:
        >>> mask_secrets("Invalid key: AIza" "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q.")
        'Invalid key: AIza...5p6Q.'
    """
    if not text:
        return text
    for secret in _known_secrets():
        if secret in text:
            text = text.replace(secret, mask_key(secret))
    return _KEY_SHAPES.sub(lambda match: mask_key(match.group(0)), text)
