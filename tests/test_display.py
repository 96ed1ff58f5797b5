"""Tests for llmcourse.display: throttled Markdown streaming in a real Jupyter kernel, every SDK's
chunk type, real SDK streams over loopback HTTP, and the plain-text mode outside Jupyter."""

from __future__ import annotations

import ast
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anthropic
import ollama
import openai
import pytest
from anthropic.types import (
    Message,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
)
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import ResponseTextDeltaEvent

from llmcourse.display import (
    _unwrap_fence,
    response_text,
    show,
    stream_markdown,
    text_deltas,
)
from tests.loopback import serving

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


# --- a real kernel ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A python3 kernel of this venv (jupyter_client runs it with sys.executable)."""
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name="python3")
    env = dict(__import__("os").environ, IPYTHONDIR=str(tmp_path_factory.mktemp("ipython")))
    km.start_kernel(cwd=str(ROOT), env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run_cell(kc, code: str, *, expressions: dict[str, str] | None = None, on_display=None, timeout: float = 120):
    """Execute `code`; return (reply content, display messages [(type, content, bytes)], user expressions)."""
    msg_id = kc.execute(code, user_expressions=expressions or {})
    displays = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind in ("display_data", "update_display_data"):
            displays.append((kind, msg["content"], len(json.dumps(msg["content"]).encode())))
            if on_display is not None:
                on_display(len(displays))
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    values = {
        name: value["data"]["text/plain"]
        for name, value in reply["content"].get("user_expressions", {}).items()
        if value.get("status") == "ok"
    }
    return reply["content"], displays, values


def final_markdown(displays) -> str:
    """What a front-end shows at the end: display_data creates the output, updates replace it."""
    shown: dict[str, str] = {}
    for kind, content, _ in displays:
        display_id = content.get("transient", {}).get("display_id")
        if kind == "display_data" or display_id in shown:
            shown[display_id] = content["data"]["text/markdown"]
    assert len(shown) == 1, f"expected one display, got {list(shown)}"
    return next(iter(shown.values()))


GENERATOR = """
import time
from llmcourse.display import stream_markdown

def words(n, fail_after=None, pause=0.001):
    for i in range(n):
        if fail_after is not None and i == fail_after:
            raise RuntimeError("connection lost")
        time.sleep(pause)
        yield f"word{i} "

expected = "".join(f"word{i} " for i in range({n}))
"""


def test_throttled_updates_in_a_real_kernel(kernel):
    _, kc = kernel
    code = GENERATOR.replace("{n}", "1500") + (
        "started = time.perf_counter()\n"
        "reply = stream_markdown(words(1500), interval=0.1)\n"
        "elapsed = time.perf_counter() - started\n"
    )
    reply, displays, values = run_cell(
        kc, code, expressions={"elapsed": "elapsed", "same": "reply == expected", "n": "len(reply)"}
    )
    assert reply["status"] == "ok", reply
    assert values["same"] == "True"
    elapsed = float(values["elapsed"])
    kinds = [kind for kind, _, _ in displays]
    assert kinds[0] == "display_data" and set(kinds[1:]) == {"update_display_data"}
    # At most one draw per 0.1 s, plus the first draw and the final one: about 10 a second.
    assert 3 <= len(displays) <= elapsed / 0.1 + 2, (len(displays), elapsed)
    # Updating per chunk would send 1,500 messages, each carrying the whole text so far.
    per_chunk_text_bytes = sum(len(expected_text(n)) for n in range(1, 1501))
    assert sum(size for _, _, size in displays) < per_chunk_text_bytes / 10
    assert final_markdown(displays) == expected_text(1500)


def expected_text(n: int) -> str:
    return "".join(f"word{i} " for i in range(n))


def test_an_error_mid_stream_still_draws_everything_received(kernel):
    _, kc = kernel
    code = GENERATOR.replace("{n}", "1500") + "reply = stream_markdown(words(1500, fail_after=700))\n"
    reply, displays, _ = run_cell(kc, code)
    assert reply["status"] == "error" and reply["ename"] == "RuntimeError"
    assert final_markdown(displays) == expected_text(700)


def test_an_interrupt_still_draws_everything_received(kernel):
    km, kc = kernel
    # A slow stream: 2,000 words at ~20 ms each would take 40 s; we interrupt after the first draws.
    code = GENERATOR.replace("{n}", "2000") + (
        "received = []\n"
        "def recorded(stream):\n"
        "    for piece in stream:\n"
        "        received.append(piece)\n"
        "        yield piece\n"
        "reply = stream_markdown(recorded(words(2000, pause=0.02)))\n"
    )
    interrupted = threading.Event()

    def interrupt_after_a_few_draws(count: int) -> None:
        if count == 3 and not interrupted.is_set():
            interrupted.set()
            km.interrupt_kernel()

    reply, displays, _ = run_cell(kc, code, on_display=interrupt_after_a_few_draws)
    assert interrupted.is_set()
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    _, _, values = run_cell(kc, "", expressions={"received": "''.join(received)"})
    received = ast.literal_eval(values["received"])
    assert 0 < len(received) < len(expected_text(2000))
    assert final_markdown(displays) == received


def test_markdown_fence_is_unwrapped_for_display_only(kernel):
    _, kc = kernel
    code = (
        "from llmcourse.display import stream_markdown\n"
        "pieces = ['```markdown\\n', '# Title\\n', 'Some *text*.\\n', '```']\n"
        "reply = stream_markdown(iter(pieces))\n"
    )
    reply, displays, values = run_cell(kc, code, expressions={"reply": "reply"})
    assert reply["status"] == "ok"
    assert ast.literal_eval(values["reply"]) == "```markdown\n# Title\nSome *text*.\n```"  # raw text returned
    assert final_markdown(displays) == "# Title\nSome *text*."


def test_show_renders_markdown_in_a_kernel(kernel):
    _, kc = kernel
    reply, displays, _ = run_cell(kc, "from llmcourse.display import show\nshow('**bold** answer')\n")
    assert reply["status"] == "ok"
    assert [kind for kind, _, _ in displays] == ["display_data"]
    assert displays[0][1]["data"]["text/markdown"] == "**bold** answer"


# --- chunk types of every SDK, built with the SDKs' own types ---------------------------------


def openai_chunk(delta: dict | None, *, usage: bool = False) -> ChatCompletionChunk:
    data = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []}
    if delta is not None:
        data["choices"] = [{"index": 0, "delta": delta, "finish_reason": None}]
    if usage:
        data["usage"] = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    return ChatCompletionChunk.model_validate(data)


def test_openai_chunks_skip_usage_none_and_reasoning():
    chunks = [
        openai_chunk({"role": "assistant", "content": ""}),
        openai_chunk({"content": None, "reasoning_content": "Let me think..."}),
        openai_chunk({"content": "Hello"}),
        openai_chunk({"content": " there"}),
        openai_chunk(None, usage=True),  # choices == []
    ]
    assert list(text_deltas(chunks)) == ["Hello", " there"]


def test_openai_chunks_as_plain_dicts():
    chunks = [c.model_dump() for c in [openai_chunk({"content": "a"}), openai_chunk(None, usage=True)]]
    assert list(text_deltas(chunks)) == ["a"]


def test_openai_responses_api_events():
    events = [
        ResponseTextDeltaEvent(
            type="response.output_text.delta",
            delta=piece,
            content_index=0,
            item_id="i",
            output_index=0,
            sequence_number=n,
            logprobs=[],
        )
        for n, piece in enumerate(["Bon", "jour"])
    ]
    assert list(text_deltas(events)) == ["Bon", "jour"]


def test_anthropic_raw_events_keep_only_text_deltas():
    events = [
        RawMessageStartEvent.model_validate(
            {
                "type": "message_start",
                "message": {
                    "id": "m",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 1, "output_tokens": 0},
                },
            }
        ),
        RawContentBlockStartEvent.model_validate(
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            }
        ),
        RawContentBlockDeltaEvent.model_validate(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}}
        ),
        RawContentBlockDeltaEvent.model_validate(
            {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Hi"}}
        ),
        RawContentBlockDeltaEvent.model_validate(
            {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "!"}}
        ),
        RawMessageStopEvent(type="message_stop"),
    ]
    assert list(text_deltas(events)) == ["Hi", "!"]


def test_ollama_chat_and_generate_chunks():
    chat = [
        ollama.ChatResponse(model="llama3.2", message=ollama.Message(role="assistant", content="", thinking="hmm")),
        ollama.ChatResponse(model="llama3.2", message=ollama.Message(role="assistant", content="Ahoy")),
        ollama.ChatResponse(model="llama3.2", done=True, message=ollama.Message(role="assistant", content="")),
    ]
    assert list(text_deltas(chat)) == ["Ahoy"]
    assert list(text_deltas([{"message": {"role": "assistant", "content": "x"}, "done": False}])) == ["x"]
    generate = [
        ollama.GenerateResponse(model="m", response="a"),
        ollama.GenerateResponse(model="m", response="b", done=True),
    ]
    assert list(text_deltas(generate)) == ["a", "b"]
    assert list(text_deltas([{"response": "c", "done": True}])) == ["c"]


def test_an_unknown_chunk_is_a_clear_error():
    with pytest.raises(TypeError, match="does not understand a chunk of type int"):
        list(text_deltas([1]))
    with pytest.raises(TypeError, match="stream=True"):
        list(text_deltas(42))

    async def async_pieces():
        yield "x"

    with pytest.raises(TypeError, match="synchronous client"):
        list(text_deltas(async_pieces()))


def test_response_text_of_complete_answers():
    completion = ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "four"}}],
        }
    )
    message = Message.model_validate(
        {
            "id": "m",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
            "content": [{"type": "text", "text": "fo"}, {"type": "text", "text": "ur"}],
        }
    )
    chat = ollama.ChatResponse(model="m", message=ollama.Message(role="assistant", content="four"))
    assert [response_text(r) for r in (completion, message, chat, "four")] == ["four"] * 4
    with pytest.raises(TypeError, match="pass a string"):
        response_text(3.5)


def test_plain_text_mode_prints_incrementally(capsys):
    printed = []

    def pieces():
        for piece in ["# Ti", "tle\n", "body"]:
            printed.append(capsys.readouterr().out)
            yield piece

    reply = stream_markdown(pieces())
    assert reply == "# Title\nbody"
    assert printed == ["", "# Ti", "tle\n"]  # each piece is out before the next one arrives
    assert capsys.readouterr().out == "body\n"


def test_plain_text_mode_prints_what_arrived_before_an_error(capsys):
    def failing():
        yield "partial "
        raise ConnectionError("dropped")

    with pytest.raises(ConnectionError):
        stream_markdown(failing())
    assert capsys.readouterr().out == "partial \n"


def test_show_prints_plain_text_outside_jupyter(capsys):
    show(ollama.ChatResponse(model="m", message=ollama.Message(role="assistant", content="```markdown\nhi\n```")))
    assert capsys.readouterr().out == "```markdown\nhi\n```\n"


@pytest.mark.parametrize(
    ("text", "final", "shown"),
    [
        ("```markdown\n# T\nx\n```", True, "# T\nx"),
        ("```md\n# T\n```\n", True, "# T"),
        ("```markdown\n# T\nx", False, "# T\nx"),  # mid-stream: the closing fence is still to come
        ("```markdown\n# T\nx", True, "```markdown\n# T\nx"),  # never closed: left alone
        ("```python\nprint(1)\n```", True, "```python\nprint(1)\n```"),  # a real code block stays
        ("Intro\n```markdown\n# T\n```", True, "Intro\n```markdown\n# T\n```"),  # not around the whole answer
        ("The word markdown stays.", True, "The word markdown stays."),
    ],
)
def test_unwrap_fence(text, final, shown):
    assert _unwrap_fence(text, final=final) == shown


def test_negative_interval_is_rejected():
    with pytest.raises(ValueError, match="interval"):
        stream_markdown(["x"], interval=-1)


# --- real SDK streams over real HTTP (loopback SSE / NDJSON server) ---------------------------


def sse(events: list[tuple[str | None, dict | str]]) -> bytes:
    out = []
    for name, data in events:
        payload = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {name}\n" if name else "") + f"data: {payload}\n\n")
    return "".join(out).encode()


OPENAI_SSE = sse(
    [(None, openai_chunk({"role": "assistant", "content": ""}).model_dump(exclude_none=True))]
    + [(None, openai_chunk({"content": piece}).model_dump(exclude_none=True)) for piece in ["Hel", "lo", "!"]]
    + [(None, openai_chunk(None, usage=True).model_dump(exclude_none=True)), (None, "[DONE]")]
)

ANTHROPIC_SSE = sse(
    [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 5, "output_tokens": 1},
                },
            },
        ),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
    ]
    + [
        ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}})
        for t in ["Bonjour", " à", " tous"]
    ]
    + [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 3},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
)

OLLAMA_NDJSON = "".join(
    json.dumps(
        {
            "model": "llama3.2",
            "created_at": "2025-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": t},
            "done": done,
        }
    )
    + "\n"
    for t, done in [("Hal", False), ("lo", False), ("", True)]
).encode()


class _StreamHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body, kind = {
            "/v1/chat/completions": (OPENAI_SSE, "text/event-stream"),
            "/v1/messages": (ANTHROPIC_SSE, "text/event-stream"),
            "/api/chat": (OLLAMA_NDJSON, "application/x-ndjson"),
        }[self.path]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def stream_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StreamHandler)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


def test_real_openai_stream(stream_server, capsys):
    client = openai.OpenAI(base_url=stream_server + "/v1", api_key="test-key", max_retries=0)
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True, stream_options={"include_usage": True}
    )
    assert stream_markdown(stream) == "Hello!"
    assert capsys.readouterr().out == "Hello!\n"


def test_real_anthropic_message_stream_entered_or_not(stream_server, capsys):
    client = anthropic.Anthropic(base_url=stream_server, api_key="test-key", max_retries=0)
    request = {"model": "claude", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]}
    with client.messages.stream(**request) as stream:
        assert stream_markdown(stream) == "Bonjour à tous"
    assert stream_markdown(client.messages.stream(**request)) == "Bonjour à tous"
    assert stream_markdown(client.messages.create(**request, stream=True)) == "Bonjour à tous"
    assert capsys.readouterr().out == "Bonjour à tous\n" * 3


def test_real_ollama_stream(stream_server):
    client = ollama.Client(host=stream_server)
    stream = client.chat(model="llama3.2", messages=[{"role": "user", "content": "hi"}], stream=True)
    assert stream_markdown(stream) == "Hallo"


def test_answers_that_look_like_urls_or_paths_are_shown_as_text(tmp_path, monkeypatch):
    # IPython's Markdown() would fetch "https://..." and read "README.md": the answer must be shown as is.
    from llmcourse import display as display_module

    shown = []
    monkeypatch.setattr(display_module, "_in_jupyter_kernel", lambda: True)
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    (tmp_path / "README.md").write_text("secret file contents")
    monkeypatch.chdir(tmp_path)
    for answer in ("https://example.invalid/x is the link", "README.md"):
        display_module.show(answer)
    assert [obj["text/markdown"] for obj, _ in shown] == ["https://example.invalid/x is the link", "README.md"]
    assert all(kw.get("raw") for _, kw in shown)


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
