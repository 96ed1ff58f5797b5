"""Where a Gradio app is served: on your computer, 127.0.0.1 only; on Colab, Gradio's own Colab view.

On your computer an app listens on 127.0.0.1 with `share=False`: nobody else can reach it, and
nothing is downloaded (a share link needs Gradio's tunnel program). Colab's runtime is not your
computer, so there the decision is left to Gradio (`share=None`): it detects Colab and shows the app
in the notebook through a temporary public `*.gradio.live` link (Gradio prints it; anyone who has the
link can use the app, and your key, until you close it or the runtime stops).

Example:
    >>> import gradio as gr                                              # doctest: +SKIP
    >>> app = gr.Interface(fn=str.upper, inputs="textbox", outputs="textbox")  # doctest: +SKIP
    >>> app.launch(**launch_options())                                   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from llmcourse.env import on_colab
from llmcourse.labels import answered_locally

__all__ = ["APP_HEIGHT", "backend_description", "launch", "launch_options"]

# The height (pixels) of the app inside the notebook: Gradio's default, 500, clips a chat's input box.
APP_HEIGHT = 760
_SDK_NAMES = {
    "openai": ("OpenAI", "OPENAI_API_KEY"),
    "anthropic": ("Anthropic", "ANTHROPIC_API_KEY"),
    "ollama": ("Ollama", None),
}


def launch_options(**overrides: Any) -> dict[str, Any]:
    """The keyword arguments for Gradio's `launch()` here: 127.0.0.1 and no share link, or Gradio's choice on Colab.

    `height` makes the app's frame in the notebook tall enough to show a whole chat, input box included.

    Anything you pass wins (e.g. `launch_options(share=True)` for a public link on your computer).

    Example:
        >>> launch_options()                                             # doctest: +SKIP
        {'server_name': '127.0.0.1', 'share': False, 'height': 760}
        >>> launch_options(server_port=7861)["server_port"]
        7861
    """
    if on_colab():
        options: dict[str, Any] = {"server_name": "127.0.0.1", "share": None, "height": APP_HEIGHT}
    else:
        options = {"server_name": "127.0.0.1", "share": False, "height": APP_HEIGHT}
    return {**options, **overrides}


def backend_description(*sdks: str, model: str | None = None) -> str:
    """One sentence for an app's `description=`: which backend answers its calls (the SDKs it uses).

    Example:
        >>> import os
        >>> from llmcourse.settings import LOCAL_API_KEY
        >>> before = os.environ.get("OPENAI_API_KEY")
        >>> os.environ["OPENAI_API_KEY"] = LOCAL_API_KEY   # what setup() gives an SDK it sends to the local model
        >>> backend_description("openai")
        'Answers come from the small local stand-in model (no OPENAI_API_KEY): fine for trying the app, weak at real tasks.'
        >>> os.environ["OPENAI_API_KEY"] = "sk-proj-example"
        >>> backend_description("openai", model="some-model")
        'Answers come from some-model (OpenAI).'
        >>> _ = os.environ.pop("OPENAI_API_KEY") if before is None else os.environ.update(OPENAI_API_KEY=before)
    """
    local, real = [], []
    for sdk in sdks or ("openai",):
        name, key = _SDK_NAMES[sdk]
        if answered_locally(sdk=sdk):
            local.append(f"no {key}" if key else "Ollama is not running")
        else:
            real.append(f"{model} ({name})" if model and len(sdks) <= 1 else name)
    parts = []
    if real:
        parts.append(f"Answers come from {' and '.join(real)}.")
    if local:
        parts.append(
            f"{'Other answers' if real else 'Answers'} come from the small local stand-in model "
            f"({', '.join(local)}): fine for trying the app, weak at real tasks."
        )
    return " ".join(parts)


def launch(app: Any, **overrides: Any) -> Any:
    """`app.launch(**launch_options(**overrides))`: start a Gradio app where this machine allows it.

    Example:
        >>> launch(app)                                                  # doctest: +SKIP
        * Running on local URL:  http://127.0.0.1:7860
    """
    return app.launch(**launch_options(**overrides))
