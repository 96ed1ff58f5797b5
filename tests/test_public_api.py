"""The package's public API: every exported name resolves, and importing it imports no SDK."""

from __future__ import annotations

import subprocess
import sys

import llmcourse


def test_every_exported_name_resolves_and_has_an_example():
    for name in llmcourse._EXPORTS:
        value = getattr(llmcourse, name)
        assert value is not None
        if callable(value) and not isinstance(value, type(llmcourse)):
            doc = value.__doc__ or ""
            assert doc.strip(), f"llmcourse.{name} has no docstring"
            assert "Example" in doc or ">>>" in doc or isinstance(value, type), (
                f"llmcourse.{name}: docstring has no example"
            )


def test_unknown_name_is_an_attribute_error():
    try:
        llmcourse.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_is_light_and_does_not_import_an_sdk_before_setup():
    # ollama reads OLLAMA_HOST at import: importing it early would defeat setup().
    code = "import sys, llmcourse; print(sorted(m for m in ('openai', 'anthropic', 'ollama', 'torch', 'gradio') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_modules_declare_all():
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(llmcourse.__path__, "llmcourse."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        assert isinstance(getattr(module, "__all__", None), (list, tuple)), f"{info.name} has no __all__"
