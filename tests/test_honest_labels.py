"""No provider's model name over an answer the local stand-in wrote.

Runs week2/day1 (the two arguing bots) and week1/exercise (frontier vs local, side by side) offline,
as a learner with no key would, in a real kernel (nbclient), and reads every label in the outputs:
speaker lines (`GPT (local stand-in):`), `[answered by ...]` lines, printed labels and HTML headings
(the exercise's column titles). A label that names a provider or one of its models (GPT, Claude,
gpt-..., llama3.2...) must also say that the local stand-in answered. The checker itself is tested
first on outputs that carry the old, false labels, so it is shown to fail when it should.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest

from llmcourse.settings import MODELS
from tests.loopback import serving

ROOT = Path(__file__).resolve().parent.parent
# Provider families, and every model name the course asks for (except the local model's own).
_FAMILIES = ["GPT", "Claude", "Gemini", "Llama", "DeepSeek", "Qwen", "GLM", "ERNIE", "frontier model"]
_MODEL_NAMES = sorted({name for key, name in MODELS.items() if key != "local" and isinstance(name, str)}, key=len)
PROVIDER = re.compile(
    r"(?<![\w-])("
    + "|".join([re.escape(f) for f in _FAMILIES] + [re.escape(m) for m in _MODEL_NAMES[::-1]])
    + r")(?![\w])",
    re.IGNORECASE,
)
HONEST = re.compile(r"local stand-in|local:", re.IGNORECASE)
_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]>", re.IGNORECASE | re.DOTALL)
_PRINTED_LABEL = re.compile(r"^(GPT|Claude|Frontier model|Local model)\b.{0,60}\)$")
# A speaker line: a provider or model name, maybe a note in brackets, a colon, nothing after it ("GPT:").
_SPEAKER = re.compile(r"^(?:" + PROVIDER.pattern + r")[^:\n]{0,40}:$", re.IGNORECASE)


def output_texts(cell) -> tuple[list[str], list[str]]:
    """(plain-text lines, HTML headings) of one executed cell."""
    lines: list[str] = []
    headings: list[str] = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            lines += output.get("text", "").splitlines()
        data = output.get("data", {})
        if "text/html" in data:
            headings += [html.unescape(re.sub(r"<[^>]+>", "", h)).strip() for h in _HEADING.findall(data["text/html"])]
        elif "text/plain" in data:
            lines += data["text/plain"].splitlines()
    return lines, headings


def labels_in(nb) -> list[str]:
    """Every label-shaped text in a notebook's outputs: headings, `GPT:` lines, printed labels, [answered by]."""
    found: list[str] = []
    for cell in nb.cells:
        lines, headings = output_texts(cell)
        found += headings
        for line in lines:
            text = line.strip()
            if _SPEAKER.match(text) or text.startswith("[answered by") or _PRINTED_LABEL.match(text):
                found.append(text)
    return found


def false_labels(labels: list[str]) -> list[str]:
    """The labels that name a provider's model without saying the local stand-in answered."""
    return [label for label in labels if PROVIDER.search(label) and not HONEST.search(label)]


# --- the checker fails on the labels the notebooks used to print ------------------------------


def _fake_notebook(stream: str, html_out: str = "") -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("...")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stream)]
    if html_out:
        cell.outputs.append(nbformat.v4.new_output("display_data", data={"text/html": html_out, "text/plain": ""}))
    return nbformat.v4.new_notebook(cells=[cell])


def test_the_checker_catches_the_old_false_labels():
    old = _fake_notebook(
        "GPT:\nHi there\n\nClaude:\nHi\n\nGPT:\nWhatever.\n",
        f"<div><h3>{MODELS['openai']} (2.5 s)</h3><p>..</p><h3>{MODELS['ollama']} (1.8 s)</h3></div>",
    )
    assert sorted(false_labels(labels_in(old))) == sorted(
        ["GPT:", "Claude:", "GPT:", f"{MODELS['openai']} (2.5 s)", f"{MODELS['ollama']} (1.8 s)"]
    )


def test_the_checker_accepts_honest_labels_and_ignores_answer_text():
    honest = _fake_notebook(
        "GPT (local stand-in):\nI think GPT models are overrated, and so is this conversation.\n\n"
        "[answered by local:SmolLM2-135M-Instruct]\nFrontier model (local stand-in)\n",
        "<h3>Frontier model (local stand-in), 2.5 s</h3><h3>Local model (local stand-in), 1.8 s</h3>",
    )
    labels = labels_in(honest)
    assert len(labels) == 5 and false_labels(labels) == []
    with_a_key = _fake_notebook("GPT (gpt-4o-mini-2024-07-18):\nNo.\n", "<h3>Frontier model (gpt-4o-mini), 2.5 s</h3>")
    assert len(false_labels(labels_in(with_a_key))) == 2  # a real model's label over a local answer is false here


# --- the notebooks, executed offline ------------------------------------------------------------


def _execute(path: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


@pytest.mark.timeout(2400)  # a whole notebook on the small local model; slow on a loaded 2-core machine
@pytest.mark.parametrize(
    ("notebook", "at_least"),
    [
        ("week2/day1.ipynb", 8),  # the 8 lines of the two bots (and the labels printed before them)
        ("week1/exercise.ipynb", 2),  # the frontier side's printed label and its column title
    ],
)
def test_no_provider_label_over_a_local_answer(local_server, notebook, at_least):
    nb = _execute(ROOT / notebook)
    labels = labels_in(nb)
    naming_a_provider = [label for label in labels if PROVIDER.search(label)]
    assert len(naming_a_provider) >= at_least, f"too few labels found to judge: {labels}"
    assert false_labels(labels) == [], f"labels naming a provider over local answers: {false_labels(labels)}"


# --- the helpers the notebooks build their labels and caveats with ------------------------------


def test_labels_follow_where_setup_sent_each_sdk(monkeypatch):
    from llmcourse import answered_locally, label
    from llmcourse.settings import LOCAL_API_KEY

    monkeypatch.setenv("OPENAI_API_KEY", LOCAL_API_KEY)  # what setup() sets when there is no key
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-" + "x" * 30)
    assert answered_locally(sdk="openai") and not answered_locally(sdk="anthropic")
    assert label("GPT", sdk="openai", model=MODELS["openai"]) == "GPT (local stand-in)"
    assert label("Claude", sdk="anthropic", model="claude-haiku-4-5") == "Claude (claude-haiku-4-5)"
    # A response's own `model` field beats where the SDK points.
    assert label("GPT", {"model": "gpt-4o-mini-2024-07-18"}, sdk="openai") == "GPT (gpt-4o-mini-2024-07-18)"
    assert label("Claude", "local:Qwen3-1.7B-Q4_K_M", sdk="anthropic") == "Claude (local stand-in)"
    with pytest.raises(ValueError, match="sdk must be one of"):
        answered_locally(sdk="gemini")


def test_ollama_is_local_only_when_its_host_is_the_course_server(monkeypatch):
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from llmcourse import answered_locally

    served = {"models": []}

    class Tags(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(served).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tags)
    with serving(server):
        monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{server.server_address[1]}")
        served["models"] = [{"name": "local:SmolLM2-135M-Instruct"}]
        assert answered_locally(sdk="ollama")
        served["models"] = [{"name": "llama3.2:latest"}]  # a real Ollama
        assert not answered_locally(sdk="ollama")
        monkeypatch.delenv("OLLAMA_HOST")
        assert not answered_locally(sdk="ollama")  # Ollama's own default address


def test_a_caveat_is_one_line_and_only_for_the_local_model(capsys, monkeypatch):
    from llmcourse import caveat
    from llmcourse.caveats import CAVEATS
    from llmcourse.settings import LOCAL_API_KEY

    for topic in CAVEATS:
        caveat(topic, "local:SmolLM2-135M-Instruct")
        printed = capsys.readouterr().out
        assert printed.count("\n") == 1 and printed.startswith("Note: the small local stand-in")
        assert "frontier model" in printed
        caveat(topic, {"model": "gpt-4o-mini-2024-07-18"})
        assert capsys.readouterr().out == ""
    monkeypatch.setenv("OPENAI_API_KEY", LOCAL_API_KEY)
    caveat("memory")
    assert capsys.readouterr().out.startswith("Note:")
    with pytest.raises(ValueError, match="unknown caveat"):
        caveat("jokes", "local:x")


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
