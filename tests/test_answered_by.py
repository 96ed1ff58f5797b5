"""Who answered: show() and stream_markdown() add one caption line when the local model wrote the answer
(real SDKs against the real embedded server), and none for any other model."""

from __future__ import annotations

import anthropic
import openai
import pytest

from llmcourse.display import local_caption, show, stream_markdown
from llmcourse.settings import LOCAL_API_KEY

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture
def clients(local_server):
    return (
        openai.OpenAI(base_url=f"{local_server}/v1", api_key=LOCAL_API_KEY),
        anthropic.Anthropic(base_url=local_server, api_key=LOCAL_API_KEY),
    )


def _caption_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("Answered by the local model")]


def test_show_captions_a_local_answer(clients, capsys):
    response = clients[0].chat.completions.create(model="gpt-5-mini", messages=QUESTION, max_completion_tokens=20)
    show(response)
    captions = _caption_lines(capsys.readouterr().out)
    assert captions == [local_caption(response.model)]
    assert response.model in captions[0]


def test_stream_markdown_captions_a_local_openai_stream(clients, capsys):
    stream = clients[0].chat.completions.create(
        model="gpt-5-mini", messages=QUESTION, max_completion_tokens=20, stream=True
    )
    text = stream_markdown(stream)
    out = capsys.readouterr().out
    assert text and len(_caption_lines(out)) == 1
    assert "local:" in _caption_lines(out)[0]
    assert not text.endswith(_caption_lines(out)[0])  # the caption is shown, never part of the returned answer


def test_stream_markdown_captions_a_local_anthropic_stream(clients, capsys):
    with clients[1].messages.stream(model="claude-sonnet-4-6", max_tokens=20, messages=QUESTION) as stream:
        stream_markdown(stream)
    assert len(_caption_lines(capsys.readouterr().out)) == 1


def test_no_caption_for_another_model_or_plain_text(capsys):
    show({"model": "gpt-5-mini", "choices": [{"message": {"content": "Paris."}}]})
    stream_markdown([{"model": "gpt-5-mini", "choices": [{"index": 0, "delta": {"content": "Paris."}}]}])
    show("Paris.")
    stream_markdown(["Paris."])
    out = capsys.readouterr().out
    assert out.count("Paris.") == 4 and _caption_lines(out) == []
