"""Tests for llmcourse.chat: Gradio/OpenAI/Anthropic history conversion and bot-to-bot conversations
(the latter with real SDK calls to the embedded local model server)."""

from __future__ import annotations

import itertools

import anthropic
import gradio as gr
import openai
import pytest

from llmcourse.chat import (
    NO_REPLY,
    Line,
    bot_conversation,
    to_anthropic_messages,
    to_openai_messages,
)
from llmcourse.settings import LOCAL_API_KEY, MODELS

# What Gradio 6's browser UI sends as history (measured: content is a list of parts, plus metadata/options).
BROWSER_HISTORY = [
    {"role": "user", "metadata": None, "content": [{"text": "hi", "type": "text"}], "options": None},
    {
        "role": "assistant",
        "metadata": None,
        "content": [{"text": "Hello! How can I help?", "type": "text"}],
        "options": None,
    },
    {
        "role": "user",
        "metadata": None,
        "options": None,
        "content": [
            {"type": "text", "text": "What is in this picture?"},
            {
                "type": "file",
                "alt_text": None,
                "file": {
                    "path": "/tmp/gradio/abc/cat.png",
                    "url": "http://127.0.0.1:7860/gradio_api/file=/tmp/gradio/abc/cat.png",
                    "orig_name": "cat.png",
                    "mime_type": "image/png",
                    "size": 1234,
                    "is_stream": False,
                    "meta": {"_type": "gradio.FileData"},
                },
            },
        ],
    },
    {
        "role": "assistant",
        "metadata": {"title": "Thinking", "status": "done"},
        "options": None,
        "content": [{"type": "text", "text": "A cat."}],
    },
]

# What gradio_client sends: plain strings.
CLIENT_HISTORY = [{"role": "user", "content": "one"}, {"role": "assistant", "content": "echo:one"}]


def test_browser_history_becomes_plain_openai_messages():
    messages = to_openai_messages(BROWSER_HISTORY, "And now?", system="Be brief.")
    assert messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "What is in this picture?\n[image: cat.png]"},
        {"role": "assistant", "content": "A cat."},
        {"role": "user", "content": "And now?"},
    ]
    assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in messages)


def test_gradio_client_history_and_chat_message_objects():
    assert to_openai_messages(CLIENT_HISTORY, "two") == CLIENT_HISTORY + [{"role": "user", "content": "two"}]
    objects = [gr.ChatMessage(role="user", content="one"), gr.ChatMessage(role="assistant", content="echo:one")]
    assert to_openai_messages(objects) == CLIENT_HISTORY


def test_tuple_pairs_with_pending_reply_and_files():
    history = [["Hi", "Hello!"], [("/tmp/report.pdf",), None], ["Summarise it", None]]
    assert to_openai_messages(history) == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "[file: report.pdf]"},
        {"role": "user", "content": "Summarise it"},
    ]
    with pytest.raises(ValueError, match=r"\[user, bot\]"):
        to_openai_messages([["only one"]])


def test_multimodal_textbox_message():
    message = {
        "text": "Describe these",
        "files": ["/tmp/a/photo.jpg", {"path": "/tmp/b/notes.txt", "orig_name": "notes.txt"}],
    }
    assert to_openai_messages([], message) == [
        {"role": "user", "content": "Describe these\n[image: photo.jpg]\n[file: notes.txt]"}
    ]


def test_openai_messages_round_trip_and_image_urls_are_kept():
    openai_messages = [
        {"role": "system", "content": "S"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.invalid/cat.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "42"},
        {"role": "assistant", "content": "It is 42."},
    ]
    converted = to_openai_messages(openai_messages)
    assert converted[1]["content"] == openai_messages[1]["content"]  # OpenAI accepts image URLs: kept
    assert converted[2] == {"role": "assistant", "content": "", "tool_calls": openai_messages[2]["tool_calls"]}
    assert converted[3] == openai_messages[3]
    assert to_openai_messages(converted) == converted  # idempotent
    # A local file path is not something OpenAI can read: placeholder.
    local = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "/home/me/cat.png"}}]}]
    assert to_openai_messages(local) == [{"role": "user", "content": "[image: /home/me/cat.png]"}]


def test_unreadable_history_item_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot read a history item of type int"):
        to_openai_messages([3])


def test_anthropic_system_apart_and_alternation_fixed():
    messages = [
        {"role": "system", "content": "You are kind."},
        {"role": "assistant", "content": "Welcome! Ask me anything."},  # a greeting before the user
        {"role": "user", "content": "Hi"},
        {"role": "user", "content": [{"type": "text", "text": "Anyone there?"}]},
        {"role": "assistant", "content": ""},  # an empty reply (e.g. a stopped generation)
        {"role": "assistant", "content": "Yes."},
        {"role": "assistant", "content": "I am here."},
        {"role": "user", "content": "   "},
    ]
    system, converted = to_anthropic_messages(messages, system="Answer in English.")
    assert system == "Answer in English.\n\nYou are kind."
    assert converted == [
        {"role": "user", "content": "Hi\n\nAnyone there?"},
        {"role": "assistant", "content": "Yes.\n\nI am here."},
    ]
    roles = [m["role"] for m in converted]
    assert roles[0] == "user" and all(a != b for a, b in itertools.pairwise(roles))


def test_anthropic_from_gradio_history_and_no_system():
    system, converted = to_anthropic_messages(BROWSER_HISTORY)
    assert system is None
    assert [m["role"] for m in converted] == ["user", "assistant", "user", "assistant"]
    assert converted[2]["content"] == "What is in this picture?\n[image: cat.png]"
    assert to_anthropic_messages([]) == (None, [])


def test_anthropic_from_openai_tool_messages():
    _, converted = to_anthropic_messages(
        [
            {"role": "user", "content": "Price to Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "get_ticket_price", "arguments": '{"destination_city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "$899"},
            {"role": "assistant", "content": "It costs $899."},
        ]
    )
    assert converted == [
        {"role": "user", "content": "Price to Paris?"},
        {"role": "assistant", "content": '[tool call] get_ticket_price({"destination_city": "Paris"})'},
        {"role": "user", "content": "[tool result] $899"},
        {"role": "assistant", "content": "It costs $899."},
    ]


def test_anthropic_keeps_images_as_image_blocks_and_cache_marks():
    png = "data:image/png;base64,iVBORw0KGgo="
    system, converted = to_anthropic_messages(
        [
            {"role": "developer", "content": "Describe images."},
            {"role": "user", "content": "First, some context."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": png, "detail": "low"}},
                    {"type": "image_url", "image_url": {"url": "https://example.invalid/cat.jpg"}},
                    {"type": "image_url", "image_url": {"url": "/home/me/cat.png"}},  # a path: nobody can read it
                ],
            },
            {"role": "assistant", "content": "A cat."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "A long shared prefix", "cache_control": {"type": "ephemeral"}},
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}},
                ],
            },
        ]
    )
    assert system == "Describe images."
    assert [m["role"] for m in converted] == ["user", "assistant", "user"]
    assert converted[0]["content"] == [  # the text turn before it merged in, as a text block
        {"type": "text", "text": "First, some context."},
        {"type": "text", "text": "What is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "image", "source": {"type": "url", "url": "https://example.invalid/cat.jpg"}},
        {"type": "text", "text": "[image: /home/me/cat.png]"},
    ]
    assert converted[2]["content"] == [
        {"type": "text", "text": "A long shared prefix", "cache_control": {"type": "ephemeral"}},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}},
    ]
    # OpenAI gets no Anthropic blocks: the same history stays OpenAI-shaped there.
    assert to_openai_messages([{"role": "user", "content": converted[2]["content"]}]) == [
        {"role": "user", "content": "A long shared prefix\n[document]"}
    ]


# --- bot_conversation -----------------------------------------------------------------------


def test_bot_conversation_views_and_empty_replies():
    seen: list[tuple[str, list[dict]]] = []

    def recorder(name, replies):
        replies = iter(replies)

        def bot(messages):
            seen.append((name, [dict(m) for m in messages]))
            return next(replies)

        return bot

    lines = list(
        bot_conversation(
            recorder("A", ["a1", "", "a3"]),
            recorder("B", ["b1", None, "  b3 "]),
            turns=3,
            opening=("Hi there", "Hi"),
            names=("A", "B"),
        )
    )
    assert [line.speaker for line in lines] == ["A", "B"] * 4
    assert [line.text for line in lines] == ["Hi there", "Hi", "a1", "b1", NO_REPLY, NO_REPLY, "a3", "b3"]
    assert all(isinstance(line, Line) and line.text for line in lines)
    # A's first view: its own opening as assistant, B's as user; B sees the mirror image.
    assert seen[0] == ("A", [{"role": "assistant", "content": "Hi there"}, {"role": "user", "content": "Hi"}])
    assert seen[1] == (
        "B",
        [
            {"role": "user", "content": "Hi there"},
            {"role": "assistant", "content": "Hi"},
            {"role": "user", "content": "a1"},
        ],
    )
    for _, view in seen:
        roles = [m["role"] for m in view]
        assert all(a != b for a, b in itertools.pairwise(roles))


def test_bot_conversation_rejects_a_response_object():
    lines = bot_conversation(lambda m: {"choices": []}, lambda m: "ok", turns=1)
    with pytest.raises(TypeError, match="return the text"):
        list(lines)
    with pytest.raises(ValueError, match="turns"):
        list(bot_conversation(lambda m: "x", lambda m: "y", turns=-1))


def test_bot_conversation_with_real_sdk_calls(local_server):
    gpt = openai.OpenAI(base_url=local_server + "/v1", api_key=LOCAL_API_KEY, max_retries=0)
    claude = anthropic.Anthropic(base_url=local_server, api_key=LOCAL_API_KEY, max_retries=0)
    views: dict[str, list[list[dict]]] = {"GPT": [], "Claude": []}

    def argumentative(messages):
        views["GPT"].append(messages)
        system = {"role": "system", "content": "You are argumentative. Disagree with everything, briefly."}
        response = gpt.chat.completions.create(
            model=MODELS["openai"], messages=[system, *messages], max_completion_tokens=24
        )
        return response.choices[0].message.content

    def polite(messages):
        views["Claude"].append(messages)
        response = claude.messages.create(
            model=MODELS["anthropic_small"],
            system="You are polite and agree with everything, briefly.",
            messages=messages,
            max_tokens=24,
        )
        return "".join(block.text for block in response.content if block.type == "text")

    lines = list(bot_conversation(argumentative, polite, turns=2, names=("GPT", "Claude")))
    assert len(lines) == 2 + 2 * 2
    assert [line.speaker for line in lines] == ["GPT", "Claude"] * 3
    assert all(isinstance(line.text, str) and line.text.strip() for line in lines)
    assert [len(v) for v in views.values()] == [2, 2]
    assert all(view[0]["role"] == "user" for view in views["Claude"])  # valid for Anthropic as it is
