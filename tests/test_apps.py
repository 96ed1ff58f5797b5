"""Where Gradio apps are served: 127.0.0.1 and no share link here, Gradio's own choice on Colab; every app cell asks."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

from llmcourse.apps import APP_HEIGHT, launch, launch_options

ROOT = Path(__file__).resolve().parent.parent


def test_here_apps_stay_on_this_machine(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert launch_options() == {"server_name": "127.0.0.1", "share": False, "height": APP_HEIGHT}
    assert launch_options(server_port=7861, share=True) == {
        "server_name": "127.0.0.1",
        "share": True,
        "height": APP_HEIGHT,
        "server_port": 7861,
    }
    assert APP_HEIGHT >= 700  # Gradio's default 500 px frame clips a chat's input box


def test_on_colab_gradio_decides(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert launch_options()["share"] is None  # Gradio detects Colab and shows the app there
    assert launch_options(share=False)["share"] is False


def test_launch_passes_the_options_to_the_app(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)

    class App:
        def launch(self, **kwargs):
            self.kwargs = kwargs
            return "launched"

    app = App()
    assert launch(app, server_port=0) == "launched"
    assert app.kwargs == {"server_name": "127.0.0.1", "share": False, "height": APP_HEIGHT, "server_port": 0}


def test_a_real_gradio_app_binds_loopback_without_a_share_link(monkeypatch):
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    import gradio as gr

    app = gr.Interface(fn=str.upper, inputs="textbox", outputs="textbox", flagging_mode="never")
    try:
        app.launch(prevent_thread_lock=True, quiet=True, **launch_options())
        assert app.local_url.startswith("http://127.0.0.1:") and app.share is False and app.share_url is None
    finally:
        app.close()


_LAUNCH = re.compile(r"\.launch\(")
_WITH_OPTIONS = re.compile(r"\.launch\(\*\*(?:llmcourse\.)?launch_options\(")


def test_every_app_cell_uses_launch_options():
    launched = 0
    for notebook in sorted(ROOT.glob("week*/**/*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(cell["source"]) for cell in cells)
        calls = len(_LAUNCH.findall(text))
        assert calls == len(_WITH_OPTIONS.findall(text)), f"{notebook.relative_to(ROOT)} launches an app itself"
        code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
        if re.search(r"\.launch\(\*\*launch_options\(", code):
            assert re.search(r"^from llmcourse import .*\blaunch_options\b", code, re.MULTILINE), notebook
        launched += calls
    assert launched >= 8
