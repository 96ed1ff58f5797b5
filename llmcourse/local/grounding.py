"""Tool arguments grounded in the user's words: what the local model fills in must be something the user said.

SmolLM2-135M fills a tool's JSON arguments well enough when the user's word is an ordinary one, but it
sometimes swaps an unusual one for a word it knows (asked for a ticket to Atlantis, it passes "Aruba").
A real model passes the user's city on, so the stand-in must too. For each free string argument:

- said by the user (case-insensitive, whole words): kept, in the user's own spelling, widened to the
  whole name it belongs to ("York" inside "New York" becomes "New York");
- not said: replaced by the user's own span that fits the property (read from its name and description):
  a capitalised name for a city, place, person or company; the whole request for a query or a question;
- nothing fits: the call is dropped (None), and the model answers in text instead.

Arguments with an `enum`, a `format` or a `pattern`, and numbers, are the schema's business, not the user's
spelling: they are left as the model filled them.

Example:
    >>> schema = {"properties": {"destination_city": {"type": "string", "description": "The city to travel to"}},
    ...           "required": ["destination_city"]}
    >>> ground_arguments({"destination_city": "Aruba"}, schema, "How much is a ticket to Atlantis?")
    {'destination_city': 'Atlantis'}
"""

from __future__ import annotations

import difflib
import re
from typing import Any

__all__ = ["ground_arguments", "listed_with", "names_in", "one_call_per_name", "said"]

# Capitalised at a sentence start, or always capitalised, but not names.
_NOT_NAMES = {
    "a",
    "an",
    "the",
    "i",
    "i'm",
    "i'd",
    "i'll",
    "i've",
    "me",
    "my",
    "we",
    "our",
    "you",
    "your",
    "it",
    "its",
    "is",
    "are",
    "was",
    "were",
    "be",
    "am",
    "do",
    "does",
    "did",
    "can",
    "could",
    "would",
    "will",
    "shall",
    "should",
    "may",
    "might",
    "must",
    "have",
    "has",
    "had",
    "how",
    "what",
    "what's",
    "which",
    "where",
    "when",
    "who",
    "whom",
    "whose",
    "why",
    "hi",
    "hello",
    "hey",
    "dear",
    "please",
    "thanks",
    "thank",
    "yes",
    "no",
    "ok",
    "okay",
    "and",
    "but",
    "or",
    "so",
    "also",
    "then",
    "now",
    "tell",
    "give",
    "show",
    "find",
    "get",
    "book",
    "let",
    "let's",
    "sure",
    "well",
    "good",
    "great",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "if",
}
_CONNECTORS = {
    "of",
    "de",
    "del",
    "della",
    "la",
    "le",
    "les",
    "du",
    "da",
    "dos",
    "das",
    "van",
    "von",
    "der",
    "den",
    "upon",
    "am",
    "el",
    "al",
}
_PROPER_HINTS = (
    "city",
    "town",
    "place",
    "destination",
    "country",
    "location",
    "airport",
    "name",
    "person",
    "company",
    "region",
    "state",
    "capital",
    "station",
    "hotel",
    "restaurant",
    "brand",
    "product",
)
_FREE_HINTS = (
    "query",
    "question",
    "text",
    "message",
    "prompt",
    "topic",
    "content",
    "search",
    "request",
    "subject",
    "keyword",
    "sentence",
    "input",
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_LIST_GLUE = re.compile(r"^(?:\s|,|&|\b(?:and|or|to|for|in|then|also|plus)\b)+$", flags=re.IGNORECASE)


def said(value: str, text: str) -> str | None:
    """The user's own spelling of `value` when it occurs in `text` as whole words (case-insensitive).

    Example:
        >>> said("london", "A ticket to London, please"), said("Lon", "A ticket to London")
        ('London', None)
    """
    value = value.strip()
    if not value:
        return None
    match = re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, flags=re.IGNORECASE)
    return match.group(0) if match else None


def names_in(text: str) -> list[str]:
    """Capitalised names in `text` (runs of capitalised words), without sentence-start words like "How" or "I".

    Example:
        >>> names_in("How much is a ticket to New York? And to Rio de Janeiro, or Tokyo's airport?")
        ['New York', 'Rio de Janeiro', 'Tokyo']
    """
    runs: list[tuple[list[str], bool]] = []  # (words, does the run start a sentence?)
    current: list[str] = []
    initial, previous_end = False, None
    for match in _WORD.finditer(text):
        raw = match.group(0)
        word = re.sub(r"['’]s$", "", raw)
        joined = previous_end is not None and text[previous_end : match.start()] in (" ", "-")
        before = text[: match.start()].rstrip()
        if word[:1].isupper() and word.lower() not in _NOT_NAMES:
            if not (joined and current):
                if current:
                    runs.append((current, initial))
                current, initial = [], not before or before[-1] in ".!?:;\"'“(\n"
            current.append(word)
        elif joined and current and word.lower() in _CONNECTORS:
            current.append(word)
        elif current:
            runs.append((current, initial))
            current = []
        previous_end = match.end()
        if raw != word and current:  # a possessive ends the name
            runs.append((current, initial))
            current, previous_end = [], None
    if current:
        runs.append((current, initial))
    names: list[tuple[str, bool]] = []
    for run, starts in runs:
        while run and run[-1].lower() in _CONNECTORS:
            run = run[:-1]
        if run and " ".join(run) not in [name for name, _ in names]:
            names.append((" ".join(run), starts))
    # A capital that starts a sentence ("Tickets to London?") is only a name when there is no other.
    inside = [name for name, starts in names if not starts]
    return inside or [name for name, _ in names]


def _kind(name: str, spec: dict[str, Any]) -> str:
    words = f"{name} {spec.get('title', '')} {spec.get('description', '')}".lower().replace("_", " ")
    if any(hint in words for hint in _PROPER_HINTS):
        return "name"
    if any(hint in words for hint in _FREE_HINTS):
        return "free"
    return "name"  # an unknown string is most often a name the user gave


def _free_string(spec: dict[str, Any]) -> bool:
    kinds = spec.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "string" in kinds and not any(key in spec for key in ("enum", "const", "format", "pattern"))


def _widen(span: str, names: list[str]) -> str:
    """The whole name a span belongs to ("York" -> "New York"), else the span itself."""
    return next((name for name in names if said(span, name) and len(name) > len(span)), span)


def ground_arguments(arguments: dict[str, Any], schema: dict[str, Any], text: str) -> dict[str, Any] | None:
    """Arguments whose free strings all come from `text` (the latest user turn), or None to drop the call.

    Missing required strings are filled the same way. Optional strings that cannot be grounded are left out.

    Example:
        >>> schema = {"properties": {"city": {"type": "string"}}, "required": ["city"]}
        >>> ground_arguments({"city": "new york city"}, schema, "Weather in New York?")
        {'city': 'New York'}
        >>> ground_arguments({"city": "Paris"}, schema, "hello there") is None
        True
    """
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    names = names_in(text)
    grounded = dict(arguments)
    used: set[str] = set()
    wanted = list(arguments) + [key for key in properties if key in required and key not in arguments]
    for key in wanted:
        spec = properties.get(key) or {}
        value = grounded.get(key)
        if key in arguments and not isinstance(value, str):
            continue
        if not _free_string(spec):
            continue
        own = said(value, text) if isinstance(value, str) else None
        if own is not None:
            grounded[key] = _widen(own, names)
        elif _kind(key, spec) == "free" and text.strip():
            grounded[key] = text.strip()
        else:
            free = [name for name in names if name not in used]
            if free:
                # The name closest to what the model wrote ("Aruba" -> "Atlantis"); the first one on a tie.
                grounded[key] = max(
                    free, key=lambda name: difflib.SequenceMatcher(None, name.lower(), str(value or "").lower()).ratio()
                )
            elif key in required:
                return None
            else:
                grounded.pop(key, None)
                continue
        used.add(grounded[key])
    return grounded


def listed_with(name: str, text: str) -> list[str]:
    """The other names in the list the user put `name` in ("London and to Tokyo", "Paris, Rome or Oslo").

    Example:
        >>> listed_with("Tokyo", "What do return tickets to London and to Tokyo cost?")
        ['London']
        >>> listed_with("Rome", "I'm Ed and I want to go to Rome")
        []
    """
    spans, position = [], 0
    for other in names_in(text):  # in the order they appear
        found = re.search(rf"(?<!\w){re.escape(other)}(?!\w)", text[position:])
        if found is not None:
            spans.append((other, position + found.start(), position + found.end()))
            position += found.end()
    groups: list[list[str]] = []
    for index, (other, start, _) in enumerate(spans):
        if index and _LIST_GLUE.match(text[spans[index - 1][2] : start]):
            groups[-1].append(other)
        else:
            groups.append([other])
    group = next((group for group in groups if name in group), [])
    return [other for other in group if other != name]


def one_call_per_name(arguments: dict[str, Any], schema: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """Grounded arguments, repeated once per further name the user listed, when the tool takes one name.

    A real model asks for a ticket price to London and one to Tokyo when asked about both; the local
    stand-in does the same when the tool's only string argument is a name and the user listed several.

    Example:
        >>> schema = {"properties": {"city": {"type": "string", "description": "The city"}}, "required": ["city"]}
        >>> one_call_per_name({"city": "London"}, schema, "Tickets to London and to Tokyo?")
        [{'city': 'London'}, {'city': 'Tokyo'}]
    """
    properties = schema.get("properties") or {}
    keys = [key for key, value in arguments.items() if isinstance(value, str)]
    spec = properties.get(keys[0]) or {} if len(keys) == 1 else {}
    if len(keys) != 1 or not _free_string(spec) or _kind(keys[0], spec) != "name":
        return [arguments]
    return [arguments] + [{**arguments, keys[0]: other} for other in listed_with(arguments[keys[0]], text)]
