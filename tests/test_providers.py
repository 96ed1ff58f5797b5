"""Tests for llmcourse.providers: the table, client() (right SDK, right address, never another provider's key), available()."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import anthropic
import ollama
import openai
import pytest
from dotenv import dotenv_values

from llmcourse import clients, providers
from llmcourse.clients import MissingKeyError, available, client
from llmcourse.keys import KEY_SPECS
from llmcourse.providers import PROVIDERS, get_provider
from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME, MODELS
from tests.fixtures.keys_loopback import closed_port_url, serve

ROOT = Path(__file__).resolve().parent.parent

KEYS = {
    "OPENAI_API_KEY": "sk-proj-" + "OPENAIQ3vT9kZ2mX8wL1yN5bC7dF4gH6j",
    "ANTHROPIC_API_KEY": "sk-ant-" + "api03-ANTHROPICZq7Wm2Xp9Lk4Jh6Gf1Ds3",
    "GOOGLE_API_KEY": "AIza" + "SyGOOGLEf8Gk2Lm9Qp3Rs7Tv1Wx5Yz0Ab6",
    "DEEPSEEK_API_KEY": "sk-DEEPSEEK9c2a7e1b8d3f6a0c5e9b2d7f1a4",
    "ZHIPUAI_API_KEY": "ZHIPU2c7e1b8d4f6a0c5e9b2d7f1a4c8e.Xk2Lm9Qp3Rs7",
    "DASHSCOPE_API_KEY": "sk-DASHSCOPEd3f6a0c5e9b2d7f1a4c8e4f9c",
    "QIANFAN_API_KEY": "bce-v3/ALTAK-QIANFANLm9Qp3Rs7Tv1Wx/0Ab6Cd8Ef2Gh",
    "MODELSCOPE_API_TOKEN": "ms-MODELSCOPE4c8e-2d7f-4a1b-9e3c-5f6a7b8c9d0e",
    "OPENROUTER_API_KEY": "sk-or-v1-OPENROUTER7c2e9a4b1d8f3a6c0e5b9d2f7a",
    "GROQ_API_KEY": "gsk_GROQ8d3f6a0c5e9b2d7f1a4c8e4f9cXk2Lm9Q",
    "XAI_API_KEY": "xai-XAI2c7e1b8d4f6a0c5e9b2d7f1a4c8eXk2Lm9Qp3",
    "REPLICATE_API_TOKEN": "r8_" + "REPLICATE9Qp3Rs7Tv1Wx5Yz0Ab6Cd8Ef2Gh",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No keys, no SDK addresses, an empty folder; os.environ restored afterwards."""
    saved = dict(os.environ)
    for name in [*KEYS, "GEMINI_API_KEY", "HF_TOKEN", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OLLAMA_HOST"]:
        os.environ.pop(name, None)
    monkeypatch.chdir(tmp_path)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def online(monkeypatch):
    """Leave offline mode (the SDK clients are only built, never used against real hosts)."""
    monkeypatch.delenv("LLMCOURSE_OFFLINE", raising=False)


# --- the table --------------------------------------------------------------------------------------


def test_the_table_has_every_provider_of_the_course():
    assert list(PROVIDERS) == [
        "openai",
        "anthropic",
        "anthropic_openai",
        "gemini",
        "deepseek",
        "zhipu",
        "qwen",
        "qianfan",
        "modelscope",
        "openrouter",
        "groq",
        "xai",
        "ollama",
        "replicate",
        "local",
    ]
    for name, provider in PROVIDERS.items():
        assert provider.name == name
        assert provider.sdk in ("openai", "anthropic", "ollama", "replicate")
        assert provider.keys_url.startswith("https://")


def test_every_default_model_comes_from_settings():
    for provider in PROVIDERS.values():
        assert provider.default_model in MODELS.values(), provider.name
    assert PROVIDERS["openai"].default_model == MODELS["openai"]
    assert PROVIDERS["anthropic_openai"].default_model == MODELS["anthropic"]


def test_every_key_variable_is_in_env_example():
    example = dotenv_values(ROOT / ".env.example")
    text = (ROOT / ".env.example").read_text()
    for provider in PROVIDERS.values():
        assert provider.key_var is None or provider.key_var in example, provider.name
        for variable in provider.key_vars:
            assert variable in text, variable
    assert set(KEY_SPECS) <= set(example)
    # One comment line with the provider's own address above each key.
    lines = text.splitlines()
    for spec in KEY_SPECS.values():
        index = next(i for i, line in enumerate(lines) if line.startswith(spec.variable + "="))
        assert lines[index - 1].startswith("#") and spec.keys_url in lines[index - 1], spec.variable


def test_base_urls_are_https_except_ollama_and_local():
    for provider in PROVIDERS.values():
        if provider.name in ("ollama", "local"):
            continue
        assert provider.endpoint.startswith("https://"), provider.name
        if provider.base_url is not None:
            assert provider.base_url.startswith("https://")
    assert urlsplit(PROVIDERS["ollama"].endpoint).hostname == "127.0.0.1"
    assert PROVIDERS["local"].endpoint is None


def test_endpoints_match_the_vendor_docs():
    assert PROVIDERS["gemini"].base_url == "https://generativelanguage.googleapis.com/v1beta/openai/"
    assert PROVIDERS["deepseek"].base_url == "https://api.deepseek.com"
    assert PROVIDERS["zhipu"].base_url == "https://open.bigmodel.cn/api/paas/v4/"
    assert PROVIDERS["qwen"].base_url == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert PROVIDERS["qianfan"].base_url == "https://qianfan.baidubce.com/v2"
    assert PROVIDERS["anthropic_openai"].base_url == "https://api.anthropic.com/v1/"
    assert PROVIDERS["anthropic_openai"].json_mode is False
    assert PROVIDERS["openai"].key_prefixes == ("sk-proj-", "sk-svcacct-", "sk-")


def test_the_table_is_frozen_data():
    with pytest.raises(AttributeError):
        PROVIDERS["openai"].base_url = "https://example.invalid"  # type: ignore[misc]


def test_unknown_provider_lists_the_known_ones():
    with pytest.raises(ValueError, match="deepseek"):
        get_provider("deepsek")


# --- client() ---------------------------------------------------------------------------------------

OPENAI_COMPATIBLE = [name for name, p in PROVIDERS.items() if p.sdk == "openai" and name != "local"]


@pytest.mark.parametrize("name", OPENAI_COMPATIBLE)
def test_client_builds_openai_with_the_providers_own_url_and_key(online, name):
    os.environ.update(KEYS)
    provider = PROVIDERS[name]
    sdk_client = client(name)
    assert isinstance(sdk_client, openai.OpenAI)
    assert str(sdk_client.base_url).rstrip("/") == provider.endpoint.rstrip("/")
    assert sdk_client.api_key == KEYS[provider.key_var]


def test_client_builds_the_native_sdks(online):
    os.environ.update(KEYS)
    claude = client("anthropic")
    assert isinstance(claude, anthropic.Anthropic)
    assert claude.api_key == KEYS["ANTHROPIC_API_KEY"] and str(claude.base_url).startswith("https://api.anthropic.com")
    os.environ["OLLAMA_HOST"] = "127.0.0.1:5555"
    local_ollama = client("ollama")
    assert isinstance(local_ollama, ollama.Client)
    assert str(local_ollama._client.base_url) == "http://127.0.0.1:5555"


@pytest.mark.parametrize("name", [n for n, p in PROVIDERS.items() if p.key_vars])
def test_client_never_takes_another_providers_key(online, name):
    provider = PROVIDERS[name]
    others = {variable: value for variable, value in KEYS.items() if variable not in provider.key_vars}
    os.environ.update(others)
    with pytest.raises(MissingKeyError) as raised:
        client(name)
    message = str(raised.value)
    assert provider.key_var in message and provider.keys_url in message
    assert not any(value in message for value in KEYS.values())


def test_the_key_reaches_only_its_own_server(online):
    os.environ.update(KEYS)
    with serve(200, {"object": "list", "data": []}) as server:
        client("deepseek", base_url=server.url, max_retries=0).models.list()
        client("qwen", base_url=server.url, max_retries=0).models.list()
    sent = [request["headers"]["authorization"] for request in server.requests]
    assert sent == [f"Bearer {KEYS['DEEPSEEK_API_KEY']}", f"Bearer {KEYS['DASHSCOPE_API_KEY']}"]


def test_a_placeholder_is_refused(online):
    os.environ["DEEPSEEK_API_KEY"] = "sk-your-key-here"
    with pytest.raises(MissingKeyError, match="placeholder"):
        client("deepseek")


def test_replicate_without_its_package_says_pip_install(online, monkeypatch):
    os.environ["REPLICATE_API_TOKEN"] = KEYS["REPLICATE_API_TOKEN"]
    monkeypatch.setitem(sys.modules, "replicate", None)  # import replicate -> ImportError
    with pytest.raises(ModuleNotFoundError, match="pip install replicate"):
        client("replicate")


def test_setups_local_route_is_honoured_for_openai_and_anthropic(online):
    os.environ.update(
        {
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "OPENAI_API_KEY": LOCAL_API_KEY,
            "ANTHROPIC_BASE_URL": "http://127.0.0.1:9",
            "ANTHROPIC_API_KEY": LOCAL_API_KEY,
        }
    )
    gpt = client("openai")
    assert str(gpt.base_url) == "http://127.0.0.1:9/v1/" and gpt.api_key == LOCAL_API_KEY
    claude = client("anthropic")
    assert str(claude.base_url) == "http://127.0.0.1:9" and claude.api_key == LOCAL_API_KEY
    # A real key passed explicitly goes to the provider's own address, not to the local one.
    real = client("openai", api_key=KEYS["OPENAI_API_KEY"])
    assert str(real.base_url) == "https://api.openai.com/v1/" and real.api_key == KEYS["OPENAI_API_KEY"]


def test_client_local_talks_to_the_embedded_model(local_server):
    local = client("local", max_retries=0)
    assert str(local.base_url).rstrip("/") == local_server + "/v1"
    assert local.api_key == LOCAL_API_KEY
    reply = local.chat.completions.create(
        model=MODELS["local"], max_tokens=4, messages=[{"role": "user", "content": "Hi"}]
    )
    assert reply.model == LOCAL_MODEL_NAME
    assert isinstance(reply.choices[0].message.content, str)


def test_offline_mode_sends_every_sdk_to_the_local_model(local_server):
    os.environ.update(KEYS)  # real-looking keys must not matter offline
    for name in OPENAI_COMPATIBLE:
        sdk_client = client(name, api_key=KEYS["OPENAI_API_KEY"])
        assert str(sdk_client.base_url).rstrip("/") == local_server + "/v1", name
        assert sdk_client.api_key == LOCAL_API_KEY
    claude = client("anthropic")
    assert str(claude.base_url) == local_server and claude.api_key == LOCAL_API_KEY
    assert str(client("ollama")._client.base_url) == local_server
    with pytest.raises(RuntimeError, match="Replicate has no local stand-in"):
        client("replicate")


# --- available() ------------------------------------------------------------------------------------


def test_available_offline_offers_only_the_local_model():
    rows = available()
    assert rows["local"].usable, rows["local"].reason
    for name in ("gemini", "deepseek", "zhipu", "qwen", "qianfan", "replicate", "anthropic_openai"):
        assert not rows[name].usable and "offline mode" in rows[name].reason
    assert not rows["openai"].usable and "setup()" in rows["openai"].reason


def test_available_offline_describes_setups_local_routes():
    os.environ.update({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": LOCAL_API_KEY})
    row = available()["openai"]
    assert row.usable and "local model" in row.reason


def test_available_gives_a_reason_for_each_provider(online):
    os.environ["GOOGLE_API_KEY"] = KEYS["GOOGLE_API_KEY"]
    os.environ["DEEPSEEK_API_KEY"] = '"' + KEYS["DEEPSEEK_API_KEY"] + '"'
    os.environ["ZHIPUAI_API_KEY"] = KEYS["OPENAI_API_KEY"]
    os.environ["OLLAMA_HOST"] = closed_port_url()
    rows = available()
    assert rows["gemini"].usable and "GOOGLE_API_KEY is set" in rows["gemini"].reason
    assert not rows["deepseek"].usable and "quotes" in rows["deepseek"].reason
    assert not rows["zhipu"].usable and "OpenAI" in rows["zhipu"].reason
    assert not rows["openai"].usable and "no OPENAI_API_KEY" in rows["openai"].reason
    assert "platform.openai.com" in rows["openai"].reason
    assert not rows["ollama"].usable and "not running" in rows["ollama"].reason
    for row in rows:
        assert row.reason and not any(value in row.reason for value in KEYS.values())
    text, html = str(rows), rows._repr_html_()
    assert "gemini" in text and "<table>" in html and KEYS["GOOGLE_API_KEY"] not in text + html


def test_available_sees_a_running_ollama(online):
    with serve(200, {"models": [{"name": "llama3.2:latest"}]}) as fake_ollama:
        os.environ["OLLAMA_HOST"] = fake_ollama.url
        row = available()["ollama"]
    assert row.usable and fake_ollama.url in row.reason


def test_available_replicate_needs_its_package(online, monkeypatch):
    os.environ["REPLICATE_API_TOKEN"] = KEYS["REPLICATE_API_TOKEN"]
    monkeypatch.setitem(sys.modules, "replicate", None)  # import replicate -> ImportError
    row = available()["replicate"]
    assert not row.usable and "pip install replicate" in row.reason


def test_available_when_the_local_package_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "llmcourse.local", None)  # import llmcourse.local -> ImportError
    row = available()["local"]
    assert not row.usable and "pip install" in row.reason


def test_module_exports_are_documented():
    for module in (providers, clients):
        for name in module.__all__:
            value = getattr(module, name)
            assert isinstance(value, dict) or value.__doc__, name
