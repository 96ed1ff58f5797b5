"""Chat history in the shapes each API wants, and two chatbots talking to each other.

Gradio hands a chat function its history in different shapes depending on who calls it:
    * the browser (Gradio 6): `{"role", "content": [{"type": "text", "text": ...}, ...], "metadata", "options"}`
    * `gradio_client`: `{"role", "content": "plain text"}`
    * older apps: pairs `[[user, bot], ...]`
OpenAI wants `{"role", "content": str}` messages; Anthropic wants the system prompt passed apart and
messages that alternate user/assistant, starting with the user. `to_openai_messages` and
`to_anthropic_messages` convert any of these.

Files and images: a part that is not text becomes a short placeholder such as `[file: report.pdf]`
or `[image: cat.png]`, because the model cannot open a path on your machine. The one exception is
an OpenAI `image_url` part (an http(s) or data: URL) in a user message: OpenAI accepts those, so
`to_openai_messages` keeps them and that message's content stays a list of parts.

Example:
    >>> history = [{"role": "user", "metadata": None, "options": None,
    ...             "content": [{"type": "text", "text": "Hi"}]},
    ...            {"role": "assistant", "content": "Hello! How can I help?"}]
    >>> to_openai_messages(history, "Tell me a joke", system="Be brief.")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello! How can I help?'}, {'role': 'user', 'content': 'Tell me a joke'}]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from llmcourse.sdkfields import field  # dicts and SDK objects alike

__all__ = ["NO_REPLY", "Line", "bot_conversation", "to_anthropic_messages", "to_openai_messages"]

# What a bot "said" when its reply was empty (APIs reject empty messages; the transcript shows it).
NO_REPLY = "(no reply)"

# Keys of an OpenAI message that tool calling needs; everything else (Gradio's metadata, options) goes.
_OPENAI_KEYS = ("name", "tool_calls", "tool_call_id")
# Anthropic's own content blocks that carry more than text (passed to Anthropic as they are).
_ANTHROPIC_MEDIA = ("image", "document")


def to_openai_messages(
    history: Iterable[Any] | None,
    message: str | dict[str, Any] | None = None,
    system: str | None = None,
) -> list[dict[str, Any]]:
    """Gradio (or OpenAI) history + the new user message -> OpenAI chat messages.

    `history` may use any of Gradio's shapes (browser parts with metadata, plain strings from
    gradio_client, `[user, bot]` pairs, `gr.ChatMessage` objects) or already be OpenAI messages.
    `message` is the new user turn: a string, or a multimodal textbox value `{"text", "files"}`.
    `system`, when given, comes first. Every content becomes a string (files become placeholders,
    see the module docstring); messages with no text are dropped.

    Example:
        >>> to_openai_messages([["Hi", "Hello!"]], "How are you?")
        [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello!'}, {'role': 'user', 'content': 'How are you?'}]
    """
    messages: list[dict[str, Any]] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.extend(_normalise(history))
    if message is not None:
        new = _normalise_message({"role": "user", "content": _multimodal_to_parts(message)})
        if new is not None:
            messages.append(new)
    return messages


def to_anthropic_messages(
    messages_or_history: Iterable[Any] | None, system: str | None = None
) -> tuple[str | None, list[dict[str, Any]]]:
    """OpenAI messages or Gradio history -> `(system, messages)` for `client.messages.create(...)`.

    System messages are taken out and joined (after `system`, when given). What remains is made
    valid for Anthropic: empty messages dropped, consecutive messages of one role merged (joined
    by a blank line), and messages before the first user message (a greeting the bot opened with)
    dropped, since Anthropic requires the conversation to start with the user. Tool messages become
    plain text (`[tool result] ...`). A user message with images (OpenAI `image_url` parts with an
    http(s) or data: URL, or Anthropic's own image and document blocks) or with `cache_control` marks
    keeps a list of Anthropic content blocks; every other content is text. Pass the result as
    `client.messages.create(system=system, messages=messages, ...)` (leave `system` out when None).

    Example:
        >>> to_anthropic_messages([{"role": "system", "content": "Be kind."},
        ...                        {"role": "assistant", "content": "Welcome!"},
        ...                        {"role": "user", "content": "Hi"}, {"role": "user", "content": "Anyone?"}])
        ('Be kind.', [{'role': 'user', 'content': 'Hi\\n\\nAnyone?'}])
        >>> photo = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
        >>> _, messages = to_anthropic_messages([{"role": "user", "content": [{"type": "text", "text": "What?"}, photo]}])
        >>> messages[0]["content"][1]
        {'type': 'image', 'source': {'type': 'base64', 'media_type': 'image/png', 'data': 'iVBORw0KGgo='}}
    """
    system_parts = [system] if system else []
    turns: list[dict[str, Any]] = []
    for item in _normalise(messages_or_history, keep_blocks=True):
        role, content = item["role"], item.get("content")
        if isinstance(content, list):  # a user message whose images or cache marks Anthropic keeps
            blocks = _anthropic_blocks(content)
            if blocks:
                _add_turn(turns, role, blocks)
            continue
        text = _as_text(content)
        if role in ("system", "developer"):
            if text:
                system_parts.append(text)
            continue
        if role == "tool":
            role, text = "user", f"[tool result] {text}"
        elif role == "assistant" and item.get("tool_calls"):
            calls = "; ".join(
                f"{field(field(call, 'function'), 'name')}({field(field(call, 'function'), 'arguments')})"
                for call in item["tool_calls"]
            )
            text = f"{text}\n[tool call] {calls}".strip()
        if not text.strip():
            continue
        if not turns and role != "user":
            continue  # Anthropic: the first message must come from the user
        _add_turn(turns, role, text)
    return ("\n\n".join(system_parts) or None), turns


def _add_turn(turns: list[dict[str, Any]], role: str, content: str | list[dict[str, Any]]) -> None:
    """Append a message, or merge it into the last one when the role repeats (Anthropic wants them to alternate)."""
    if not turns or turns[-1]["role"] != role:
        turns.append({"role": role, "content": content})
        return
    previous = turns[-1]["content"]
    if isinstance(previous, str) and isinstance(content, str):
        turns[-1]["content"] = previous + "\n\n" + content
    else:
        turns[-1]["content"] = _as_blocks(previous) + _as_blocks(content)


def _as_blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


class Line(NamedTuple):
    """One line of a bot-to-bot transcript: who spoke (0 = first bot, 1 = second), their name, the text.

    Example:
        >>> Line(0, "GPT", "Hi there").speaker
        'GPT'
    """

    bot: int
    speaker: str
    text: str


def bot_conversation(
    first: Callable[[list[dict[str, str]]], str],
    second: Callable[[list[dict[str, str]]], str],
    *,
    turns: int = 3,
    opening: tuple[str, str] = ("Hi there", "Hi"),
    names: tuple[str, str] = ("first", "second"),
) -> Iterator[Line]:
    """Let two chatbots talk for `turns` rounds; yield each line of the transcript as it is said.

    Each bot is a function `(messages) -> str` that you write with the real SDK call and its own
    system prompt, e.g.
    `lambda messages: openai.chat.completions.create(model=..., messages=[system, *messages]).choices[0].message.content`.
    It receives its own view of the conversation: its lines as "assistant", the other bot's as
    "user". The two `opening` lines start the transcript (first bot, then second), then each round
    the first bot answers, then the second. An empty reply (or None) is recorded as `NO_REPLY`,
    so the conversation goes on and every message stays non-empty.

    The first bot's view starts with its own opening line (an assistant message); OpenAI accepts
    that. If the first bot is Claude, pass its messages through `to_anthropic_messages`.

    Example:
        >>> def echo(messages): return "You said: " + messages[-1]["content"]
        >>> def shout(messages): return messages[-1]["content"].upper()
        >>> for line in bot_conversation(echo, shout, turns=1, names=("Echo", "Shout")):
        ...     print(f"{line.speaker}: {line.text}")
        Echo: Hi there
        Shout: Hi
        Echo: You said: Hi
        Shout: YOU SAID: HI
    """
    if turns < 0:
        raise ValueError(f"turns must be 0 or more, got {turns!r}")
    bots = (first, second)
    said: list[tuple[int, str]] = []  # (who, text), in order

    def view_of(who: int) -> list[dict[str, str]]:
        return [{"role": "assistant" if speaker == who else "user", "content": text} for speaker, text in said]

    for who, text in enumerate(opening):
        said.append((who, text))
        yield Line(who, names[who], text)
    for _ in range(turns):
        for who, bot in enumerate(bots):
            reply = bot(view_of(who))
            if reply is not None and not isinstance(reply, str):
                raise TypeError(
                    f"bot {names[who]!r} returned a {type(reply).__name__}, not a string: return the text, "
                    "e.g. response.choices[0].message.content or response.content[0].text"
                )
            text = reply.strip() if reply and reply.strip() else NO_REPLY
            said.append((who, text))
            yield Line(who, names[who], text)


# --- normalising one message -----------------------------------------------------------------


def _normalise(history: Iterable[Any] | None, *, keep_blocks: bool = False) -> list[dict[str, Any]]:
    """Every history shape -> OpenAI-style messages; `keep_blocks` keeps the raw parts of user messages that
    hold something Anthropic accepts beyond text (see `_keeps_blocks`)."""
    messages: list[dict[str, Any]] = []
    for item in history or ():
        if isinstance(item, (list, tuple)):  # an old Gradio pair [user, bot]
            if len(item) != 2:
                raise ValueError(f"a history pair must be [user, bot], got {item!r:.200}")
            pair = [{"role": "user", "content": item[0]}, {"role": "assistant", "content": item[1]}]
        elif field(item, "role") is not None:
            pair = [item]
        else:
            raise ValueError(
                f"cannot read a history item of type {type(item).__name__}: {item!r:.200}; expected "
                "{'role': ..., 'content': ...} messages or [user, bot] pairs"
            )
        for entry in pair:
            normalised = _normalise_message(entry, keep_blocks=keep_blocks)
            if normalised is not None:
                messages.append(normalised)
    return messages


def _normalise_message(item: Any, *, keep_blocks: bool = False) -> dict[str, Any] | None:
    role = field(item, "role")
    content = field(item, "content")
    message: dict[str, Any] = {"role": role}
    for key in _OPENAI_KEYS:
        value = field(item, key)
        if value is not None:
            message[key] = value
    if keep_blocks and role == "user" and _keeps_blocks(content):
        message["content"] = list(content)
    elif role == "user" and _has_openai_image(content):
        message["content"] = _openai_parts(content)
    else:
        message["content"] = _as_text(content)
    if not message["content"] and "tool_calls" not in message and role != "tool":
        return None
    return message


def _multimodal_to_parts(message: str | dict[str, Any]) -> Any:
    # gr.ChatInterface(multimodal=True) passes {"text": ..., "files": [paths or file dicts]}.
    if isinstance(message, dict) and ("text" in message or "files" in message) and "type" not in message:
        files = [
            {"type": "file", "file": f if isinstance(f, dict) else {"path": f}} for f in message.get("files") or ()
        ]
        return [{"type": "text", "text": message.get("text") or ""}, *files]
    return message


def _as_text(content: Any) -> str:
    """Any content shape -> one string (non-text parts become placeholders)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)) and not _is_file_tuple(content):
        return "\n".join(text for text in (_as_text(part) for part in content) if text)
    if _is_file_tuple(content):  # Gradio's (filepath,) or (filepath, alt_text)
        return _file_placeholder({"path": content[0]})
    kind = field(content, "type")
    if kind == "text":
        return field(content, "text") or ""
    if kind == "file":
        return _file_placeholder(field(content, "file") or {})
    if kind == "image_url":
        url = field(field(content, "image_url"), "url") or ""
        return "[image]" if url.startswith("data:") else f"[image: {url}]"
    if kind == "component":
        return f"[{field(content, 'component') or 'component'}]"
    if field(content, "path") is not None or field(content, "url") is not None:  # a Gradio FileData
        return _file_placeholder(content)
    if isinstance(content, dict):
        return f"[{kind or 'attachment'}]"
    return f"[{type(content).__name__}]"  # e.g. a gr.Image component in a history


def _is_file_tuple(content: Any) -> bool:
    return isinstance(content, tuple) and 1 <= len(content) <= 2 and isinstance(content[0], (str, os.PathLike))


def _file_placeholder(file: Any) -> str:
    name = field(file, "orig_name") or os.path.basename(str(field(file, "path") or field(file, "url") or "")) or "file"
    mime = field(file, "mime_type") or ""
    kind = (
        "image"
        if mime.startswith("image/") or name.lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".webp"))
        else "file"
    )
    return f"[{kind}: {name}]"


def _is_openai_image(part: Any) -> bool:
    """An OpenAI `image_url` part that a provider can fetch or decode (an http(s) or data: URL, not a path)."""
    url = field(field(part, "image_url"), "url") if field(part, "type") == "image_url" else None
    return str(url or "").startswith(("http://", "https://", "data:"))


def _has_openai_image(content: Any) -> bool:
    return isinstance(content, list) and any(_is_openai_image(part) for part in content)


def _keeps_blocks(content: Any) -> bool:
    """True when a content list holds what Anthropic takes as blocks: images, documents, `cache_control` marks."""
    return isinstance(content, list) and any(
        _is_openai_image(part) or field(part, "type") in _ANTHROPIC_MEDIA or field(part, "cache_control") is not None
        for part in content
    )


def _anthropic_blocks(content: list[Any]) -> list[dict[str, Any]]:
    """Content parts -> Anthropic content blocks: OpenAI images become image blocks, text stays text (with its
    `cache_control`), Anthropic's own image and document blocks pass as they are, anything else is a placeholder."""
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = field(part, "type")
        if _is_openai_image(part):
            url = str(field(field(part, "image_url"), "url"))
            if url.startswith("data:"):
                header, _, data = url.partition(",")
                source = {"type": "base64", "media_type": header[5:].split(";")[0], "data": data}
            else:
                source = {"type": "url", "url": url}
            blocks.append({"type": "image", "source": source})
        elif kind in _ANTHROPIC_MEDIA and isinstance(part, dict):
            blocks.append(dict(part))
        else:
            text = _as_text(part)
            if text:
                block = {"type": "text", "text": text}
                if field(part, "cache_control") is not None:
                    block["cache_control"] = field(part, "cache_control")
                blocks.append(block)
    return blocks


def _openai_parts(content: list[Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in content:
        if field(part, "type") == "image_url":
            image_url = field(part, "image_url")
            parts.append(
                {
                    "type": "image_url",
                    "image_url": dict(image_url) if isinstance(image_url, dict) else {"url": field(image_url, "url")},
                }
            )
        else:
            text = _as_text(part)
            if text:
                parts.append({"type": "text", "text": text})
    return parts
