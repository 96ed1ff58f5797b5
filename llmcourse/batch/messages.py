"""Turning one item into chat messages: a prompt template, or your own function; text, or text + image.

Example:
    >>> from llmcourse.batch.inputs import Item
    >>> build_messages(Item("1", {"text": "Great mug"}), prompt="Classify: {text}", system="Be brief.")
    [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': 'Classify: Great mug'}]
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmcourse.batch.inputs import Item
from llmcourse.errors import LLMCourseError

__all__ = ["MessageBuilder", "PromptError", "build_messages", "data_url", "image_message"]

Message = dict[str, Any]
# A function from an item's fields to a prompt string, one message, or a list of messages.
MessageBuilder = Callable[[dict[str, Any]], "str | Message | list[Message]"]


class PromptError(LLMCourseError, ValueError):
    """An item cannot be turned into messages (a missing template field, a bad builder result).

    Example:
        >>> isinstance(PromptError("no 'text' field"), ValueError)
        True
    """


def data_url(image: str | Path | bytes, mime: str | None = None) -> str:
    """An image as a `data:` URL (what vision models accept inline). URLs and data URLs pass through.

    Example:
        >>> data_url(b"\\x89PNG...", mime="image/png")[:22]
        'data:image/png;base64,'
    """
    if isinstance(image, str) and image.startswith(("data:", "http://", "https://")):
        return image
    if isinstance(image, bytes):
        payload, mime = image, mime or "image/png"
    else:
        path = Path(image)
        if not path.is_file():
            raise PromptError(f"image file {str(path)!r} does not exist")
        payload = path.read_bytes()
        mime = mime or mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def image_message(text: str, image: str | Path | bytes, *, detail: str | None = None) -> Message:
    """A user message with text and one image (a path, bytes, a URL or a data URL), in OpenAI's format.

    Example:
        >>> message = image_message("What is this?", b"...", detail="low")
        >>> [part["type"] for part in message["content"]]
        ['text', 'image_url']
    """
    image_part: dict[str, Any] = {"url": data_url(image)}
    if detail:
        image_part["detail"] = detail
    return {"role": "user", "content": [{"type": "text", "text": text}, {"type": "image_url", "image_url": image_part}]}


def _fill_template(template: str, item: Item) -> str:
    try:
        return template.format_map(item.data)
    except KeyError as error:
        fields = ", ".join(item.data) or "none"
        raise PromptError(
            f"the prompt template uses {{{error.args[0]}}} but item {item.id!r} has no such field "
            f"(its fields: {fields})"
        ) from None
    except (ValueError, IndexError, AttributeError) as error:
        raise PromptError(
            f"the prompt template cannot be filled for item {item.id!r}: {error}. "
            "Write literal braces as {{ and }}."
        ) from None


def _as_messages(result: Any, item: Item) -> list[Message]:
    if isinstance(result, str):
        return [{"role": "user", "content": result}]
    if isinstance(result, dict):
        result = [result]
    if isinstance(result, list) and result and all(isinstance(m, dict) and "role" in m for m in result):
        return list(result)
    raise PromptError(
        f"the message builder returned {type(result).__name__} for item {item.id!r}; "
        "return a string, a message dict, or a list of message dicts with a 'role'"
    )


def build_messages(
    item: Item,
    *,
    prompt: str | None = None,
    messages: MessageBuilder | None = None,
    system: str | None = None,
    image_field: str | None = None,
) -> list[Message]:
    """The chat messages for one item.

    `messages` (a function of the item's fields) wins; else `prompt` is a `str.format` template over the
    fields; else the item's own `messages` or `prompt` field is used. `image_field` names a field holding
    an image (path, URL or data URL) to send with the text. `system` is prepended.

    Example:
        >>> build_messages(Item("2", {"prompt": "Hi"}))
        [{'role': 'user', 'content': 'Hi'}]
    """
    if messages is not None:
        result = _as_messages(messages(dict(item.data)), item)
    elif prompt is not None:
        result = [{"role": "user", "content": _fill_template(prompt, item)}]
    elif isinstance(item.data.get("messages"), list):
        result = _as_messages(item.data["messages"], item)
    elif isinstance(item.data.get("prompt"), str):
        result = [{"role": "user", "content": item.data["prompt"]}]
    else:
        raise PromptError(
            f"item {item.id!r} has no 'prompt' or 'messages' field and no prompt template was given; "
            "pass prompt='... {field} ...' (CLI: --prompt) or a messages function"
        )
    if image_field is not None:
        image = item.data.get(image_field)
        if not image:
            raise PromptError(f"item {item.id!r} has no image in its {image_field!r} field")
        last = result[-1]
        if last.get("role") != "user" or not isinstance(last.get("content"), str):
            raise PromptError("image_field needs the last message to be a plain-text user message")
        result[-1] = image_message(last["content"], image)
    if system:
        result = [{"role": "system", "content": system}, *result]
    return result
