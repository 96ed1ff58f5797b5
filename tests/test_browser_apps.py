"""Browser tests of the week 2 Gradio apps: the notebooks' own code, driven in Chromium.

Each test runs a notebook's cells in a kernel (offline, the embedded model answering) up to the cell that
launches the app, opens the app in Chromium, types like a learner and checks what appears:

- day 3's chatbot streams its reply, keeps the history over two turns, and sends the provider the history
  as plain OpenAI messages (normalised from Gradio's browser format);
- day 4's airline assistant answers a ticket-price question with the price from the notebook's database,
  and shows the tool call;
- day 5's multimodal assistant (gr.Blocks) answers, shows the destination image and says plainly that,
  with no OpenAI key, the image is a local stand-in and there is no voice.

Small-model wording varies, so the checks are about structure: what was streamed, what was sent, which
tool ran, and the database's price. A screenshot of each app goes to tests/artifacts/screenshots/.
Skipped without /usr/bin/chromium (failed instead when LLMCOURSE_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import SCREENSHOTS, NotebookKernel, open_chromium, require_chromium

WEEK2 = Path(__file__).resolve().parent.parent / "week2"
# Generous: on a busy two-core machine one small-model reply can take a minute.
REPLY_TIMEOUT_MS = 300_000

# Records, in the notebook's kernel, the messages each OpenAI call receives (the call itself goes on unchanged).
RECORD_OPENAI_MESSAGES = """
_sent_messages = []
_original_create = openai.chat.completions.create

def _recording_create(*args, **kwargs):
    _sent_messages.append(kwargs.get("messages"))
    return _original_create(*args, **kwargs)

openai.chat.completions.create = _recording_create
"""

# Keeps every distinct text the newest bot message shows while it streams.
WATCH_BOT_MESSAGES = """() => {
    window.__botTexts = [];
    new MutationObserver(() => {
        const bots = document.querySelectorAll("[data-testid='bot']");
        if (!bots.length) return;
        const text = bots[bots.length - 1].innerText.trim();
        const seen = window.__botTexts;
        if (text && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""

# A ChatInterface turn is over when the stop button has given way to the submit button again.
TURN_FINISHED = """(count) => document.querySelectorAll("[data-testid='bot']").length >= count
    && document.querySelector(".submit-button") !== null && document.querySelector(".stop-button") === null"""


@pytest.fixture(scope="module")
def chromium():
    require_chromium()
    with open_chromium() as (context, refused):
        yield context, refused


def _open_app(context, url: str):
    page = context.new_page()
    page.goto(url, wait_until="load")  # never "networkidle": Gradio keeps a connection open
    textbox = page.get_by_role("textbox").first
    textbox.wait_for(timeout=60_000)
    return page, textbox


def _send(page, textbox, message: str) -> None:
    textbox.fill(message)
    textbox.press("Enter")


def _texts(page, testid: str) -> list[str]:
    """The visible text of each chat message of one side ("user" or "bot")."""
    return [text.strip() for text in page.locator(f"[data-testid='{testid}']").all_inner_texts()]


def _all_bot_text(page) -> str:
    """Every bot message's text, including the content of collapsed tool-call boxes."""
    return "\n".join(page.locator("[data-testid='bot']").all_text_contents())


# True once some bot message (collapsed tool-call boxes included) contains the given text.
BOT_SAYS = "(text) => [...document.querySelectorAll(\"[data-testid='bot']\")].some(b => b.textContent.includes(text))"


def test_day3_chatbot_streams_and_keeps_history(local_server, chromium):
    context, refused = chromium
    first, second = "Hi! My name is Ana and I love hats.", "What did I tell you about myself?"
    with NotebookKernel(WEEK2 / "day3.ipynb") as kernel:
        kernel.run_until("chatbot.launch(")
        url = kernel.evaluate("chatbot.local_url")
        assert url.startswith("http://127.0.0.1:"), f"the app must bind 127.0.0.1, got {url}"
        kernel.run(RECORD_OPENAI_MESSAGES)

        page, textbox = _open_app(context, url)
        page.evaluate(WATCH_BOT_MESSAGES)
        _send(page, textbox, first)
        page.wait_for_function(TURN_FINISHED, arg=1, timeout=REPLY_TIMEOUT_MS)
        streamed = page.evaluate("window.__botTexts")
        first_reply = _texts(page, "bot")[0]
        assert first_reply, "the first reply is empty"
        assert len(streamed) >= 2, f"the reply did not stream (it appeared in one piece): {streamed}"
        assert len(streamed[-1]) > len(streamed[0]), f"the streamed reply did not grow: {streamed}"

        _send(page, textbox, second)
        page.wait_for_function(TURN_FINISHED, arg=2, timeout=REPLY_TIMEOUT_MS)
        assert _texts(page, "user") == [first, second]
        bot_texts = _texts(page, "bot")
        assert len(bot_texts) == 2 and bot_texts[0] == first_reply and bot_texts[1], bot_texts
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "week2_day3_chatbot.png"), full_page=True)

        # What reached the provider on the second turn: the history, as plain OpenAI messages.
        sent = kernel.evaluate("_sent_messages")
    assert not refused, f"the app tried to reach outside 127.0.0.1: {refused}"
    assert len(sent) == 2, f"expected one OpenAI call per turn, got {len(sent)}"
    last_call = sent[-1]
    assert [message["role"] for message in last_call] == ["system", "user", "assistant", "user"], last_call
    for message in last_call:
        assert set(message) == {"role", "content"} and isinstance(message["content"], str), message
    assert last_call[1]["content"] == first and last_call[3]["content"] == second
    assert last_call[2]["content"].strip(), "the first reply was not sent back as history"


def test_day4_assistant_shows_the_ticket_price_from_its_tool(local_server, chromium):
    context, refused = chromium
    with NotebookKernel(WEEK2 / "day4.ipynb") as kernel:
        kernel.run_until("assistant.launch(")
        url = kernel.evaluate("assistant.local_url")
        assert url.startswith("http://127.0.0.1:"), f"the app must bind 127.0.0.1, got {url}"
        # The price as the notebook's database holds it: the model cannot know it without the tool.
        price = kernel.evaluate(
            "sqlite3.connect(DB).execute(\"SELECT price FROM prices WHERE city = 'london'\").fetchone()[0]"
        )

        page, textbox = _open_app(context, url)
        _send(page, textbox, "How much is a return ticket to London?")
        page.wait_for_function(BOT_SAYS, arg=f"${price}", timeout=REPLY_TIMEOUT_MS)
        page.wait_for_function(TURN_FINISHED, arg=1, timeout=REPLY_TIMEOUT_MS)
        shown = "\n".join(_texts(page, "bot"))
        assert "Tool call: get_ticket_price(" in shown, f"the tool call is not shown: {shown!r}"
        assert f"${price}" in _all_bot_text(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "week2_day4_assistant.png"), full_page=True)
    assert not refused, f"the app tried to reach outside 127.0.0.1: {refused}"


def test_day5_assistant_shows_a_labelled_stand_in_image_offline(local_server, chromium):
    context, refused = chromium
    with NotebookKernel(WEEK2 / "day5.ipynb") as kernel:
        kernel.run_until("ui.launch(")
        url = kernel.evaluate("ui.local_url")
        assert url.startswith("http://127.0.0.1:"), f"the app must bind 127.0.0.1, got {url}"
        assert kernel.evaluate("real_openai") is False, "the offline test run must not see a real OpenAI key"

        page = context.new_page()
        page.goto(url, wait_until="load")
        entry = page.get_by_label("Chat with our AI Assistant:")
        entry.wait_for(timeout=60_000)
        _send(page, entry, "How much is a ticket to London?")
        # The captions say who made the image and why there is no voice: here, plainly a stand-in.
        page.wait_for_function(
            "() => document.body.innerText.includes('Image: a local stand-in')", timeout=REPLY_TIMEOUT_MS
        )
        body = page.inner_text("body")
        assert "not generated by a provider" in body
        assert "Voice: none" in body
        # The stand-in picture is on the page (a loaded image served by the app).
        page.wait_for_function(
            "() => [...document.querySelectorAll('img')].some(i => i.src.includes('/file=') && i.naturalWidth > 0)",
            timeout=60_000,
        )
        shown = "\n".join(_texts(page, "bot"))
        assert "Tool call: get_ticket_price(" in shown, f"the tool call is not shown: {shown!r}"
        price = kernel.evaluate('ticket_prices["london"]')
        assert price in _all_bot_text(page), f"the tool's price {price} is not in the chat"
        assert _texts(page, "bot")[-1], "the assistant's reply is missing"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "week2_day5_multimodal.png"), full_page=True)
    assert not refused, f"the app tried to reach outside 127.0.0.1: {refused}"


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
