"""Linting one key: placeholder text, stray spaces or quotes, look-alike characters, another provider's key.

Every problem comes back as a sentence that says what to do, and never repeats the key.

Example:
    >>> from llmcourse.keys.lint import is_placeholder, key_problems
    >>> is_placeholder("sk-proj-" "your-key-here")
    True
    >>> key_problems("OPENAI_API_KEY", "sk-proj-" "3vQ9kT2mZ8wX1yL5nB7cD4fG6hJ0")
    []
"""

from __future__ import annotations

import re
import unicodedata

from llmcourse.keys.specs import KEY_SPECS, KeySpec, canonical_variable, where_to_get

__all__ = ["is_placeholder", "key_problems", "misplaced_key", "plain_value", "prefix_warnings"]

# Characters that sneak into pasted keys, with the plain character they imitate ("" = invisible).
_LOOKALIKES: dict[str, str] = {
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\u3000": " ",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u00ad": "",
}

# The placeholders in .env.example end in "your-key-here"/"your-token-here" (a test keeps them in step).
_PLACEHOLDER = re.compile(
    r"your[-_ ]?(api[-_ ]?)?(key|token|secret)|(key|token)[-_ ]?here|paste|replace[-_ ]?me|change[-_ ]?me"
    r"|placeholder|\.\.\.|\u2026|x{6,}|^<.*>$|^\*+$",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    """True for template text such as "sk-proj-" "your-key-here", "<key>", "sk-..." or a bare prefix.

    Example:
        >>> is_placeholder("sk-proj-" "your-key-here"), is_placeholder("sk-...")
        (True, True)
        >>> is_placeholder("sk-proj-" "3vQ9kT2mZ8wX1yL5nB7cD4fG6hJ0")
        False
    """
    text = value.strip().strip("'\"")
    if not text:
        return False
    prefixes = {prefix for spec in KEY_SPECS.values() for prefix in spec.prefixes}
    return (
        text in prefixes or text.rstrip("-_/") in {p.rstrip("-_/") for p in prefixes} or bool(_PLACEHOLDER.search(text))
    )


def plain_value(value: str) -> str:
    """The value without surrounding space/quotes and with look-alikes replaced (for prefix checks).

    Example:
        >>> plain_value(" 'sk\u2011abc' ")
        'sk-abc'
    """
    text = value.strip().strip("'\"`").strip()
    return "".join(_LOOKALIKES.get(char, char) for char in text)


def _prefix_owner(key: str) -> tuple[int, set[str]]:
    """Length of the longest known prefix `key` starts with, and the key variables that use it."""
    best, owners = 0, set()
    for spec in KEY_SPECS.values():
        for prefix in spec.prefixes:
            if key.startswith(prefix):
                if len(prefix) > best:
                    best, owners = len(prefix), {spec.variable}
                elif len(prefix) == best:
                    owners.add(spec.variable)
    return best, owners


def _character_problems(variable: str, value: str) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    stripped = value.strip()
    for position, char in enumerate(stripped, start=1):
        if char in seen or (char.isascii() and char.isprintable() and not char.isspace()):
            continue
        seen.add(char)
        if char.isspace() and char.isascii():
            problems.append(
                f"contains a space or line break inside (character {position}): the key was "
                "probably pasted in pieces. Copy it again in one piece."
            )
            continue
        name = unicodedata.name(char, "control character")
        code = f"U+{ord(char):04X}"
        plain = _LOOKALIKES.get(char)
        if plain == "":
            problems.append(
                f"contains an invisible {name} ({code}) at character {position}: copy the key "
                "again straight from the provider's page, or retype it."
            )
        elif plain == " ":
            problems.append(
                f"contains a {name} ({code}) at character {position}, an unusual space that keys "
                "never contain: delete it (or copy the key again)."
            )
        elif plain is not None:
            problems.append(
                f"contains {name} ({code}) at character {position}, a look-alike of {plain!r} that "
                f"word processors and chat apps insert: retype it as {plain!r} (edit .env in a plain "
                "text editor)."
            )
        else:
            problems.append(
                f"contains the non-ASCII character {name} ({code}) at character {position}; keys "
                "are plain ASCII. Copy the key again from the provider's page."
            )
    return problems


def key_problems(variable: str, value: str) -> list[str]:
    """What is wrong with `value` as the content of `variable` (empty when nothing is), each with the fix.

    Checks: placeholder text, surrounding spaces or quotes, look-alike / invisible / non-ASCII
    characters, and a key that belongs to another provider. Never repeats the key itself.

    Example:
        >>> key_problems("OPENAI_API_KEY", " sk-proj-" "3vQ9kT2mZ8wX1yL5nB7cD4fG6hJ0")[0]
        'has a space or line break before or after it: remove it (the line should read OPENAI_API_KEY=<key> with nothing around the key).'
    """
    if is_placeholder(value):
        return [
            (
                f"is still the placeholder text from .env.example: replace it with your key "
                f"({where_to_get(variable)}), or delete the line if you do not use this provider."
            )
        ]
    problems: list[str] = []
    if value != value.strip():
        problems.append(
            f"has a space or line break before or after it: remove it (the line should read "
            f"{variable}=<key> with nothing around the key)."
        )
    stripped = value.strip()
    if stripped[:1] in "'\"`\u2018\u2019\u201c\u201d" or stripped[-1:] in "'\"`\u2018\u2019\u201c\u201d":
        problems.append(
            f"is wrapped in quotes (or has a stray quote at one end): remove the quotes and write {variable}=<key>."
        )
    problems += _character_problems(variable, value)
    wrong = _wrong_provider(variable, plain_value(value))
    if wrong:
        problems.append(wrong)
    return problems


def _wrong_provider(variable: str, key: str) -> str | None:
    spec = KEY_SPECS.get(canonical_variable(variable))
    if spec is None:
        return None
    length, owners = _prefix_owner(key)
    if not owners or spec.variable in owners:
        return None
    own = max((len(p) for p in spec.prefixes if key.startswith(p)), default=0)
    if own >= length:
        return None
    labels = " or ".join(sorted(KEY_SPECS[o].label for o in owners))
    targets = " or ".join(sorted(owners))
    return (
        f"looks like a key for {labels} (by its first characters), not for {spec.label}: move it to "
        f"{targets} and put your {spec.label} key here ({where_to_get(spec.variable)})."
    )


def misplaced_key(variable: str, value: str) -> str | None:
    """What is wrong when `value`, set as `variable`, looks like another provider's key (None when it does not).

    Judged by the longest known prefix: an OpenAI "sk-proj-" key in DEEPSEEK_API_KEY is misplaced;
    a bare "sk-" key could be DeepSeek's, so it is not. `client()` refuses to send a misplaced key.

    Example:
        >>> misplaced_key("DEEPSEEK_API_KEY", "sk-proj-" "3vQ9kT2mZ8wX1yL5nB7cD4fG6hJ0")[:40]
        'looks like a key for OpenAI (by its firs'
        >>> misplaced_key("OPENAI_API_KEY", "sk-proj-" "3vQ9kT2mZ8wX1yL5nB7cD4fG6hJ0") is None
        True
    """
    return _wrong_provider(variable, plain_value(value))


def prefix_warnings(spec: KeySpec, key: str) -> list[str]:
    """Doubts that are not errors: a key without its provider's usual prefix, or one too short to be whole.

    Example:
        >>> prefix_warnings(KEY_SPECS["OPENAI_API_KEY"], "sk-short")
        ['is only 8 characters long: it may be cut off. Copy the whole key again.']
    """
    warnings: list[str] = []
    if spec.prefixes and not key.startswith(spec.prefixes) and _prefix_owner(key)[1] <= {spec.variable}:
        expected = ", ".join(spec.prefixes[:-1]) + (" or " if len(spec.prefixes) > 1 else "") + spec.prefixes[-1]
        warnings.append(
            f"does not start with {expected} as {spec.label} keys usually do. It may still work; "
            f"if calls fail with 401, copy the key again from {spec.keys_url}."
        )
    if 0 < len(key) < 20:
        warnings.append(f"is only {len(key)} characters long: it may be cut off. Copy the whole key again.")
    return warnings


# --- finding and loading .env ------------------------------------------------------------------
