"""llmcourse: the boilerplate of the LLM engineering course, so the notebooks can teach the APIs.

Names are imported lazily, so `import llmcourse` stays fast and never imports an SDK before
`setup()` has pointed it at the right place.

Example:
    >>> import llmcourse
    >>> backend = llmcourse.setup()        # doctest: +SKIP
"""

# Layers, lowest first. A module imports only from its own layer and the layers below it, never from
# above, not even inside a function (tests/test_architecture.py holds the same table and checks it):
#   1. foundation   settings, env, errors, envfile, shorterrors, retired, htmltable, sdkfields
#   2. providers    providers (the table: data only)
#   3. local        local/ (the embedded model server; needs only the foundation)
#   4. keys         keys/ (specs, masking, lint, envfiles, routes, loading, explain, live, report)
#   5. clients      clients (client(), available())
#   6. models       models (which models an account has)
#   7. backend      backend (setup())
#   8. lessons      web*, urlpolicy, savedpages, display, chat, tools, toolcalls, schemas, labels, caveats, apps, batch/
#   9. commands     diagnostics, checks_setup, checks_keys, checks_services, checks_internet, checkreport, cli, lab,
#                   repo, savedpagescli, __main__, this package

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_EXPORTS: dict[str, str] = {
    # backend.py: which backend answers, and pointing the SDKs at it
    "setup": "backend",
    # apps.py: where a Gradio app is served (127.0.0.1 here, Gradio's own view on Colab)
    "launch": "apps",
    "launch_options": "apps",
    "backend_description": "apps",
    # keys/ (a package: specs, masking, lint, envfiles, routes, loading, explain, live, report)
    "load_keys": "keys",
    "check_keys": "keys",
    "mask_key": "keys",
    "mask_secrets": "keys",
    "key_routes": "keys",
    "live_check": "keys",
    # providers.py (the table) and clients.py (an SDK client per row, and what works now)
    "PROVIDERS": "providers",
    "client": "clients",
    "available": "clients",
    "MissingKeyError": "clients",
    # errors.py and envfile.py: the base of every course error; create .env from the template
    "LLMCourseError": "errors",
    "create_env": "envfile",
    # web.py
    "Website": "web",
    "fetch_pages": "web",
    "check_url": "web",
    "WebsiteError": "web",
    "UnsafeURLError": "web",
    # labels.py and caveats.py: say who really answered, and what the local stand-in cannot show
    "label": "labels",
    "answered_locally": "labels",
    "caveat": "caveats",
    # models.py and retired.py: the models your account has, and what replaces a retired one
    "resolve_models": "models",
    "explain_model_error": "retired",
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
