"""llmcourse: the boilerplate of the LLM engineering course, so the notebooks can teach the APIs.

Names are imported lazily, so `import llmcourse` stays fast and never imports an SDK before
`setup()` has pointed it at the right place.

Example:
    >>> import llmcourse
    >>> backend = llmcourse.setup()        # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    # backend.py: which backend answers, and pointing the SDKs at it
    "setup": "backend",
    # keys.py
    "load_keys": "keys",
    "check_keys": "keys",
    "mask_key": "keys",
    "live_check": "keys",
    # providers.py
    "PROVIDERS": "providers",
    "client": "providers",
    "available": "providers",
    # web.py
    "Website": "web",
    "fetch_pages": "web",
    "check_url": "web",
    "WebsiteError": "web",
    "UnsafeURLError": "web",
    # display.py
    "stream_markdown": "display",
    "show": "display",
    # chat.py
    "to_openai_messages": "chat",
    "to_anthropic_messages": "chat",
    "bot_conversation": "chat",
    # tools.py
    "tool_schema": "tools",
    "run_tool_loop": "tools",
    "run_anthropic_tool_loop": "tools",
    # batch.py
    "run_batch": "batch",
    "arun_batch": "batch",
    "submit_openai_batch": "batch",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmcourse' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"llmcourse.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
