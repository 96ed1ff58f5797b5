"""setup() points each SDK at the right backend; local.start() runs or reuses the embedded server."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openai
import pytest

from llmcourse import backend, local
from llmcourse.cli import main as cli_main
from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME

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
    reply = openai.OpenAI().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}],
                                                    max_tokens=5)
    assert reply.model == LOCAL_MODEL_NAME


def test_env_variable_turns_offline_on(clean_env):
    clean_env.setenv("LLMCOURSE_OFFLINE", "1")
    assert backend.offline_requested()
    assert backend.setup(verbose=False).uses_local_model


def test_real_keys_and_running_ollama_win(clean_env):
    clean_env.setenv("OPENAI_API_KEY", "sk-proj-" + "b" * 40)
    clean_env.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "c" * 40)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOllama)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    clean_env.setenv("OLLAMA_HOST", f"127.0.0.1:{server.server_address[1]}")
    try:
        result = backend.setup(verbose=False, offline=False)
    finally:
        server.shutdown()
    assert not result.uses_local_model
    assert "OPENAI_BASE_URL" not in backend.os.environ
    assert result.openai.startswith("api.openai.com") and result.ollama.startswith("Ollama at http://127.0.0.1:")
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
    server = local.start()
    try:
        assert server.process is not None and server.url.startswith("http://127.0.0.1:")
        assert local.start() is server  # once per process
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
