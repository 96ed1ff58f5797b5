"""Tests for llmcourse.diagnostics and `llmcourse doctor`: each check, its fix on failure, and the exit code."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from llmcourse import checks_setup, diagnostics
from llmcourse.cli import main as cli_main
from llmcourse.diagnostics import (
    PACKAGES,
    Check,
    CheckList,
    check_api_keys,
    check_endpoints,
    check_env_file,
    check_kernel,
    check_live_call,
    check_local_model,
    check_ollama,
    check_packages,
    check_python,
    check_shadowing,
    main,
    run_checks,
)
from llmcourse.keys import KEY_SPECS
from llmcourse.settings import LOCAL_MODEL_NAME
from tests.fixtures.keys_loopback import closed_port_url, serve

OPENAI_KEY = "sk-proj-" + "Q3vT9kZ2mX8wL1yN5bC7dF4gH6jR0pS2uV4xY6zA8cE0"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No keys and no SDK addresses; the current folder is an empty tmp folder; os.environ restored afterwards."""
    saved = dict(os.environ)
    for spec in KEY_SPECS.values():
        for variable in spec.variables:
            os.environ.pop(variable, None)
    for variable in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OLLAMA_HOST"):
        os.environ.pop(variable, None)
    monkeypatch.chdir(tmp_path)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _assert_fixes(checks):
    """Every warning or failure says what to do."""
    for check in checks:
        assert check.status in ("ok", "info", "warn", "fail", "skip")
        if check.status in ("info", "warn", "fail") and check.fix:
            assert len(check.fix) > 20, check


# --- Python, kernel, packages -----------------------------------------------------------------------


def test_python_and_environment():
    checks = check_python()
    assert [c.name for c in checks] == ["Python version", "Environment"]
    assert checks[0].status == "ok" and sys.executable in checks[0].detail
    assert checks[1].status == "ok" and sys.prefix in checks[1].detail  # the test run uses the course venv


def test_kernel_outside_a_kernel_finds_the_kernelspec_of_this_python():
    check = check_kernel()
    assert check.status == "ok" and "runs this Python" in check.detail


def test_kernel_spec_matching():
    prefix = os.path.abspath(sys.prefix)
    assert checks_setup._runs_this_python({"spec": {"argv": [sys.executable, "-m", "ipykernel_launcher"]}})
    assert not checks_setup._runs_this_python({"spec": {"argv": ["/opt/other/bin/python", "-m", "ipykernel_launcher"]}})
    native = {
        "resource_dir": os.path.join(prefix, "share", "jupyter", "kernels", "python3"),
        "spec": {"argv": ["python"]},
    }
    assert checks_setup._runs_this_python(native)
    assert not checks_setup._runs_this_python({**native, "resource_dir": "/usr/share/jupyter/kernels/python3"})


def test_kernel_in_a_kernel_of_another_environment_warns_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(checks_setup, "in_kernel", lambda: True)
    monkeypatch.setenv("VIRTUAL_ENV", str(tmp_path / "llms"))
    check = check_kernel()
    assert check.status == "warn" and str(tmp_path / "llms") in check.detail
    assert "ipykernel install" in check.fix
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    assert check_kernel().status == "ok"


def test_packages_import_with_versions():
    checks = check_packages(["requests", "dotenv", "bs4"])
    assert [c.status for c in checks] == ["ok", "ok", "ok"]
    assert checks[1].detail.startswith("python-dotenv ") and checks[2].detail.startswith("beautifulsoup4 ")


def test_missing_required_package_fails_and_optional_warns(monkeypatch):
    monkeypatch.setitem(PACKAGES, "llmcourse_no_such_required", ("llmcourse-no-such-required", True))
    monkeypatch.setitem(PACKAGES, "llmcourse_no_such_optional", ("llmcourse-no-such-optional", False))
    for import_them in (True, False):
        required, optional = check_packages(
            ["llmcourse_no_such_required", "llmcourse_no_such_optional"], import_them=import_them
        )
        assert required.status == "fail" and "pip install llmcourse-no-such-required" in required.fix
        assert optional.status == "warn" and "optional" in optional.detail
        _assert_fixes([required, optional])


def test_a_local_openai_py_shadows_the_package(tmp_path):
    (tmp_path / "openai.py").write_text("print('my experiment')\n")
    imported = check_packages(["openai"], start=tmp_path)[0]
    assert imported.status == "fail" and str(tmp_path / "openai.py") in imported.detail
    shadows = check_shadowing([tmp_path])
    assert [c.status for c in shadows] == ["fail"]
    assert "openai.py" in shadows[0].detail and "Rename" in shadows[0].fix


def test_shadowing_folders(tmp_path):
    (tmp_path / "gradio").mkdir()
    (tmp_path / "gradio" / "__init__.py").write_text("")
    (tmp_path / "requests").mkdir()
    checks = check_shadowing([tmp_path])
    assert sorted(c.status for c in checks) == ["fail", "warn"]
    assert any(str(tmp_path / "gradio") in c.detail and c.status == "fail" for c in checks)
    assert any(str(tmp_path / "requests") in c.detail and c.status == "warn" for c in checks)
    _assert_fixes(checks)


def test_no_shadowing_in_a_clean_folder(tmp_path):
    checks = check_shadowing(start=tmp_path)
    assert len(checks) == 1 and checks[0].status == "ok"


# --- .env and keys --------------------------------------------------------------------------------------


def test_env_file_checks(tmp_path):
    none = check_env_file(tmp_path)[0]
    assert none.status == "info" and "create_env()" in none.fix  # no .env at all: normal with the local model
    (tmp_path / ".env.txt").write_text(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    misnamed = check_env_file(tmp_path)
    assert [c.status for c in misnamed] == ["fail"] and ".env.txt" in misnamed[0].detail
    _assert_fixes(misnamed)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    both = check_env_file(tmp_path)
    assert [c.status for c in both] == ["ok", "warn"]


def test_key_checks_reuse_check_keys_and_never_show_a_key(tmp_path):
    (tmp_path / ".env").write_text(f'OPENAI_API_KEY="{OPENAI_KEY} "\nDEEPSEEK_API_KEY={OPENAI_KEY}\n')
    checks = check_api_keys(tmp_path)
    rows = {c.name: c for c in checks}
    assert rows["key OPENAI_API_KEY"].status == "fail" and "space" in rows["key OPENAI_API_KEY"].fix
    assert rows["key DEEPSEEK_API_KEY"].status == "fail" and "OPENAI_API_KEY" in rows["key DEEPSEEK_API_KEY"].fix
    assert rows["keys not set"].status == "info" and "HF_TOKEN" in rows["keys not set"].detail  # normal
    text = str(checks) + checks._repr_html_()
    assert OPENAI_KEY[:12] not in text and OPENAI_KEY[-12:] not in text
    _assert_fixes(checks)


# --- network, Ollama, local model, live call ----------------------------------------------------------------------


def test_endpoints_reachable_and_unreachable():
    with serve(404) as server:
        checks = check_endpoints(urls={"openai": server.url, "deepseek": closed_port_url()}, timeout=2)
    assert [c.status for c in checks] == ["ok", "fail"]
    assert server.requests[0]["method"] == "HEAD"
    assert "HTTP 404" in checks[0].detail and "proxy" in checks[1].fix


def test_endpoints_skip_real_hosts_offline_and_without_keys():
    assert check_endpoints()[0].status == "skip"  # no key set
    os.environ["OPENAI_API_KEY"] = OPENAI_KEY
    checks = check_endpoints()
    assert [c.status for c in checks] == ["skip"] and "offline mode" in checks[0].detail


def test_ollama_not_running_and_running():
    os.environ["OLLAMA_HOST"] = closed_port_url()
    stopped = check_ollama()
    assert stopped.status == "info" and "ollama serve" in stopped.fix  # optional: normal with zero keys
    with serve(200, {"models": []}) as fake_ollama:
        os.environ["OLLAMA_HOST"] = fake_ollama.url
        assert check_ollama().status == "ok"


def test_local_model_installed_or_says_how(monkeypatch):
    assert check_local_model().status == "ok"
    monkeypatch.setitem(sys.modules, "llmcourse.local", None)
    missing = check_local_model()
    assert missing.status == "warn" and "pip install" in missing.fix


def test_live_call_offline_uses_the_local_model_through_the_openai_sdk(local_server):
    check = check_live_call()
    assert check.status == "ok", check
    assert check.name.startswith("live call (") and "_" not in check.name  # a label, not an internal name
    assert "openai SDK" in check.detail and LOCAL_MODEL_NAME in check.detail


def test_live_call_failure_says_what_to_do(monkeypatch):
    monkeypatch.delenv("LLMCOURSE_OFFLINE")
    with serve(401, {"error": {"message": "bad key", "code": "invalid_api_key"}}) as server:
        os.environ.update({"OPENAI_API_KEY": OPENAI_KEY, "OPENAI_BASE_URL": server.url + "/v1"})
        check = check_live_call("openai", timeout=5)
    assert check.status == "fail" and "rejected the key" in check.fix
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {OPENAI_KEY}"
    os.environ.pop("OPENAI_API_KEY")
    missing = check_live_call("deepseek")
    assert missing.status == "fail" and "DEEPSEEK_API_KEY" in missing.fix


# --- the report and the command -----------------------------------------------------------------------------


def test_checklist_renders_and_counts():
    checks = CheckList([Check("a", "ok", "fine"), Check("b", "fail", "broken", "do this")])
    assert checks.failed and checks.counts() == {"ok": 1, "info": 0, "warn": 0, "fail": 1, "skip": 0}
    assert "FAIL  b  broken" in str(checks) and "what to do: do this" in str(checks)
    assert "<table>" in checks._repr_html_() and "do this" in checks._repr_html_()


def test_run_checks_covers_every_area(tmp_path):
    checks = run_checks(start=tmp_path, import_packages=False)
    names = " | ".join(c.name for c in checks)
    for area in (
        "Python version",
        "Environment",
        "Jupyter kernel",
        "package openai",
        "package llama_cpp",
        "shadowing",
        ".env file",
        "keys not set",
        "internet",
        "endpoints",
        "Ollama",
        "local model",
        "live call",
    ):
        assert area in names
    _assert_fixes(checks)
    assert not checks.failed


def test_main_help_and_bad_option(capsys):
    assert main(["--help"]) == 0
    assert "--live" in capsys.readouterr().out
    assert main(["--no-such-option"]) == 2


def test_main_exit_code(tmp_path, capsys):
    assert main(["--quick", "--folder", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "0 FAIL" in out and "Ready:" in out
    (tmp_path / "openai.py").write_text("")
    assert cli_main(["doctor", "--quick", "--folder", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  shadowing file" in out and "Not ready: 1 check failed" in out and "Fix the FAIL rows" in out


def test_module_exports_are_documented():
    for name in diagnostics.__all__:
        value = getattr(diagnostics, name)
        assert isinstance(value, (dict, tuple)) or value.__doc__, name


def test_doctor_output_never_contains_a_key(tmp_path, capsys):
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={OPENAI_KEY}\n")
    main(["--quick", "--folder", str(tmp_path)])
    out = capsys.readouterr().out
    assert "OPENAI_API_KEY" in out and OPENAI_KEY not in out and OPENAI_KEY[4:16] not in out


def test_files_are_written_only_where_asked(tmp_path):
    before = sorted(Path(tmp_path).iterdir())
    run_checks(start=tmp_path, import_packages=False)
    assert sorted(Path(tmp_path).iterdir()) == before
