"""Model currency and resolution: defaults checked against the installed SDKs, account lists read
from loopback fakes of each listing API (OpenAI-compatible /models, Anthropic's models API, Ollama's
/api/tags), retired-model errors explained, and no model name outside settings.py."""

from __future__ import annotations

import dataclasses
import datetime
import inspect
import json
import re
import time
import typing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from llmcourse import models, retired, settings
from llmcourse.providers import PROVIDERS
from tests.loopback import serving_thread

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "sk-proj-" + "Qx7" * 16  # built at run time: no key-shaped string in the repository
ANTHROPIC_KEY = "sk-ant-" + "Zy4" * 16


# --- the defaults, checked against what the installed SDKs know --------------------------------------


def _literals(alias) -> set[str]:
    found: set[str] = set()
    for arg in typing.get_args(alias):
        if isinstance(arg, str):
            found.add(arg)
        else:
            found |= _literals(arg)
    return found


def _openai_deprecations(module) -> dict[str, datetime.date | None]:
    """model -> announced shutdown date, from the "Deprecated values" note the openai SDK ships with each literal."""
    source = inspect.getsource(module)
    note = source.split('"""Deprecated values:', 1)[1] if '"""Deprecated values:' in source else ""
    result: dict[str, datetime.date | None] = {}
    for item in re.split(r"\n- ", note):
        head, _, rest = item.partition(":")
        names = re.findall(r'"([^"]+)"', head)
        rest = " ".join(rest.split())  # the sentence after the names, where the date is
        when = re.search(r"(\d{4}-\d{2}-\d{2})", rest)
        month_date = re.search(
            r"(January|February|March|April|May|June|July|August|September|October|November|"
            r"December) (\d{1,2}), (\d{4})",
            rest,
        )
        date = (
            datetime.date.fromisoformat(when.group(1))
            if when
            else (datetime.datetime.strptime(" ".join(month_date.groups()), "%B %d %Y").date() if month_date else None)
        )
        for name in names:
            result[name] = date
    return result


def test_openai_deprecation_notes_are_parsed():
    from openai.types import image_model
    from openai.types.shared import chat_model

    # Known entries of the installed SDK: if its note format changes, this test says so first.
    assert "gpt-4o-mini" in _openai_deprecations(chat_model)
    assert "dall-e-3" in _openai_deprecations(image_model)


@pytest.mark.parametrize("entry", ["openai", "openai_large"])
def test_openai_chat_defaults_are_current_sdk_literals(entry):
    from openai.types.shared import chat_model

    model = settings.MODELS[entry]
    assert model in _literals(chat_model.ChatModel), f"{model} is not a chat model the installed openai SDK knows"
    assert model not in _openai_deprecations(chat_model), f"{model} is deprecated in the installed openai SDK"


def test_openai_image_default_is_a_current_gpt_image_literal():
    from openai.types import image_model

    model = settings.MODELS["openai_image"]
    assert model.startswith("gpt-image")
    assert model in _literals(image_model.ImageModel)
    assert model not in _openai_deprecations(image_model)


@pytest.mark.parametrize(
    ("entry", "module_name", "alias"),
    [
        ("openai_tts", "openai.types.audio.speech_model", "SpeechModel"),
        ("openai_transcribe", "openai.types.audio_model", "AudioModel"),
    ],
)
def test_openai_audio_defaults_are_sdk_literals_not_past_shutdown(entry, module_name, alias):
    import importlib

    module = importlib.import_module(module_name)
    model = settings.MODELS[entry]
    assert model in _literals(getattr(module, alias))
    shutdown = _openai_deprecations(module).get(model)
    assert shutdown is None or shutdown > datetime.date.today(), f"{model} was shut down on {shutdown}"


def test_no_anthropic_default_is_in_the_sdk_deprecation_table():
    import anthropic._data
    from anthropic.types import model as anthropic_model

    known = _literals(anthropic_model.Model)
    for entry in ("anthropic", "anthropic_small"):
        model = settings.MODELS[entry]
        assert model not in anthropic._data.DEPRECATED_MODELS, f"{model} is deprecated in the installed anthropic SDK"
        assert model in known, f"{model} is not a model the installed anthropic SDK knows"


def test_every_default_is_its_first_choice_and_has_a_price():
    for entry, model in settings.MODELS.items():
        assert settings.MODEL_CHOICES[entry][0] == model
        assert entry in settings.MODEL_PROVIDER
        assert model in settings.PRICES_PER_MILLION or model in settings.PRICES_OTHER, f"no price for {model}"
    assert datetime.date.fromisoformat(settings.PRICES_CHECKED)


def test_provider_rows_read_the_defaults():
    assert PROVIDERS["openai"].default_model == settings.MODELS["openai"]
    assert PROVIDERS["anthropic_openai"].default_model == settings.MODELS["anthropic"]


# --- loopback fakes of the three listing APIs ------------------------------------------------------


class _Fake:
    """A loopback server speaking one provider's model-list wire format, counting the requests it gets."""

    def __init__(self, kind: str, names: list[str], *, key: str | None = None, delay: float = 0.0):
        self.kind, self.names, self.key, self.delay, self.requests = kind, names, key, delay, 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests += 1
                time.sleep(fake.delay)
                status, body = fake.answer(self.path, self.headers)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = serving_thread(self.server)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, headers) -> tuple[int, dict]:
        if self.kind == "ollama":
            assert path == "/api/tags"
            return 200, {
                "models": [
                    {
                        "name": n,
                        "model": n,
                        "modified_at": "2026-11-01T00:00:00Z",
                        "size": 1,
                        "digest": "0" * 12,
                        "details": {"format": "gguf"},
                    }
                    for n in self.names
                ]
            }
        if self.kind == "anthropic":
            assert path.startswith("/v1/models")
            # Older SDKs send x-api-key; anthropic 2.x sends "Authorization: Bearer": accept either.
            if self.key not in (headers.get("x-api-key"), (headers.get("Authorization") or "")[len("Bearer ") :]):
                return 401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
            data = [
                {"id": n, "type": "model", "display_name": n, "created_at": "2026-11-01T00:00:00Z"} for n in self.names
            ]
            return 200, {"data": data, "has_more": False, "first_id": self.names[0], "last_id": self.names[-1]}
        assert path == "/v1/models"
        if headers.get("Authorization") != f"Bearer {self.key}":
            return 401, {
                "error": {
                    "message": "Incorrect API key provided",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            }
        return 200, {
            "object": "list",
            "data": [{"id": n, "object": "model", "created": 0, "owned_by": "x"} for n in self.names],
        }

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def account(monkeypatch, tmp_path):
    """A clean "learner with keys" environment: no offline flag, a private cache, Ollama absent, MODELS restored."""
    monkeypatch.delenv("LLMCOURSE_OFFLINE", raising=False)
    monkeypatch.setenv(models.CACHE_ENV, str(tmp_path / "cache"))
    for provider in PROVIDERS.values():
        for variable in provider.key_vars:
            monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # nothing listens on the discard port
    # A loaded test machine can take more than the learner's 2 s to answer from loopback; the timeout
    # test below sets its own.
    monkeypatch.setattr(models, "TIMEOUT_SECONDS", 15.0)
    saved_models, saved_rows = dict(settings.MODELS), dict(PROVIDERS)
    fakes: list[_Fake] = []
    yield fakes
    for fake in fakes:
        fake.close()
    settings.MODELS.clear()
    settings.MODELS.update(saved_models)
    PROVIDERS.clear()
    PROVIDERS.update(saved_rows)


def _serve(fakes, *args, **kwargs) -> _Fake:
    fake = _Fake(*args, **kwargs)
    fakes.append(fake)
    return fake


def _choice(report, entry):
    return next(c for c in report if c.entry == entry)


def test_openai_compatible_listing_picks_the_second_choice_when_the_first_is_missing(account, monkeypatch, capsys):
    first, second = settings.MODEL_CHOICES["openai"][:2]
    fake = _serve(account, "openai", [second, settings.MODELS["openai_large"], "text-embedding-3-small"], key=GOOD_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")

    report = models.resolve_models()

    choice = _choice(report, "openai")
    assert (choice.preferred, choice.chosen, choice.available) == (first, second, False)
    assert settings.MODELS["openai"] == second and PROVIDERS["openai"].default_model == second
    assert _choice(report, "openai_large").chosen == settings.MODEL_CHOICES["openai_large"][0]
    assert f"MODELS['openai'] = '{second}'" in capsys.readouterr().out
    assert fake.requests == 1  # one listing for every OpenAI entry


def test_deepseek_listing_goes_to_its_own_address_with_its_own_key(account, monkeypatch):
    deepseek_key = "sk-" + "Dp9" * 12
    fake = _serve(account, "openai", [settings.MODEL_CHOICES["deepseek"][1], "deepseek-v4-pro"], key=deepseek_key)
    monkeypatch.setenv("DEEPSEEK_API_KEY", deepseek_key)

    report = models.resolve_models(verbose=False, endpoints={"deepseek": fake.url + "/v1"})

    assert _choice(report, "deepseek").chosen == settings.MODEL_CHOICES["deepseek"][1]
    assert _choice(report, "deepseek_reasoner").chosen == "deepseek-v4-pro"
    assert {c.provider for c in report} == {"deepseek"}  # no key, no listing for anyone else


def test_anthropic_models_api_picks_the_second_choice(account, monkeypatch):
    small = settings.MODEL_CHOICES["anthropic_small"]
    fake = _serve(account, "anthropic", [settings.MODELS["anthropic"], small[1]], key=ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)

    report = models.resolve_models(verbose=False)

    assert _choice(report, "anthropic").chosen == settings.MODEL_CHOICES["anthropic"][0]
    assert _choice(report, "anthropic_small").chosen == small[1]
    assert settings.MODELS["anthropic_small"] == small[1]


def test_ollama_tags_pick_what_is_pulled(account, monkeypatch):
    fake = _serve(account, "ollama", ["llama3.2:latest", "qwen3:latest"])
    monkeypatch.setenv("OLLAMA_HOST", fake.url)

    report = models.resolve_models(verbose=False)

    # "qwen3" (pulled without a tag) is the first preference the machine has.
    assert _choice(report, "ollama").chosen == "qwen3"
    assert settings.MODELS["ollama"] == "qwen3" and PROVIDERS["ollama"].default_model == "qwen3"


def test_the_embedded_server_behind_ollama_host_is_not_an_account(account, monkeypatch):
    fake = _serve(account, "ollama", [settings.LOCAL_MODEL_NAME])
    monkeypatch.setenv("OLLAMA_HOST", fake.url)

    assert models.resolve_models(verbose=False) == []
    assert settings.MODELS["ollama"] == settings.MODEL_CHOICES["ollama"][0]


def test_a_listing_that_times_out_keeps_the_first_choice_within_about_two_seconds(account, monkeypatch, capsys):
    fake = _serve(account, "openai", ["anything"], key=GOOD_KEY, delay=10.0)
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")

    started = time.monotonic()
    report = models.resolve_models(timeout=2.0)
    elapsed = time.monotonic() - started

    assert elapsed < 5.0  # the 2 s timeout, not the 10 s the server takes (with room for a loaded machine)
    choice = _choice(report, "openai")
    assert (choice.chosen, choice.available) == (settings.MODEL_CHOICES["openai"][0], None)
    out = capsys.readouterr().out
    assert "did not answer within 2 s" in out and "Traceback" not in out


def test_a_refused_key_keeps_the_first_choice_and_says_what_to_do(account, monkeypatch, capsys):
    fake = _serve(account, "openai", ["anything"], key=GOOD_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-" + "Wr0" * 16)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")

    report = models.resolve_models()

    assert _choice(report, "openai").chosen == settings.MODEL_CHOICES["openai"][0]
    out = capsys.readouterr().out
    assert "refused the key (401)" in out
    assert "OPENAI_API_KEY" in out and PROVIDERS["openai"].keys_url in out
    assert "Wr0Wr0" not in out  # the key itself is never printed


def test_anthropic_refused_key_is_explained_too(account, monkeypatch, capsys):
    fake = _serve(account, "anthropic", ["x"], key=ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-" + "Bad" * 16)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)

    report = models.resolve_models()

    assert _choice(report, "anthropic").chosen == settings.MODEL_CHOICES["anthropic"][0]
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().out


def test_listing_errors_keep_their_kind_and_take_the_advice_from_the_one_explainer(account):
    from llmcourse.keys import explain_network_error, explain_status

    fake = _serve(account, "openai", ["anything"], key=GOOD_KEY)
    with pytest.raises(models.ModelListError) as refused:
        models.list_models("openai", endpoint=fake.url + "/v1", api_key="sk-proj-" + "Wr0" * 16)
    openai = PROVIDERS["openai"]
    assert (refused.value.kind, refused.value.detail) == ("auth", "OpenAI refused the key (401)")
    assert refused.value.advice == explain_status("OpenAI", 401, openai.keys_url, openai.key_var)

    closed = "http://127.0.0.1:9/v1"  # the discard port: nothing listens
    with pytest.raises(models.ModelListError) as unreachable:
        models.list_models("openai", endpoint=closed, api_key=GOOD_KEY, refresh=True)
    assert (unreachable.value.kind, unreachable.value.detail) == ("network", "OpenAI could not be reached")
    cause = unreachable.value.__cause__
    assert unreachable.value.advice == explain_network_error("OpenAI", closed, cause, models.TIMEOUT_SECONDS)
    assert unreachable.value.advice.startswith("Could not connect to OpenAI at 127.0.0.1:9")


def test_the_list_is_cached_for_a_day(account, monkeypatch, tmp_path):
    fake = _serve(account, "openai", [settings.MODELS["openai"]], key=GOOD_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")
    now = [1_000_000.0]

    models.resolve_models(verbose=False, clock=lambda: now[0])
    models.resolve_models(verbose=False, clock=lambda: now[0])
    assert fake.requests == 1
    cached = list((tmp_path / "cache").glob("models-openai-*.json"))
    assert len(cached) == 1 and GOOD_KEY not in cached[0].read_text()

    now[0] += models.CACHE_SECONDS + 1
    models.resolve_models(verbose=False, clock=lambda: now[0])
    assert fake.requests == 2


def test_offline_mode_lists_nothing(account, monkeypatch):
    fake = _serve(account, "openai", ["x"], key=GOOD_KEY)
    monkeypatch.setenv("LLMCOURSE_OFFLINE", "1")
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")

    assert models.resolve_models(verbose=False) == []
    assert fake.requests == 0


def test_the_local_stand_in_key_lists_nothing(account, monkeypatch):
    fake = _serve(account, "openai", ["x"], key=settings.LOCAL_API_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", settings.LOCAL_API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")

    assert models.resolve_models(verbose=False) == []
    assert fake.requests == 0


def test_report_prints_as_a_table(account, monkeypatch):
    fake = _serve(account, "openai", [settings.MODEL_CHOICES["openai"][1]], key=GOOD_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")

    report = models.resolve_models(verbose=False, apply=False)

    assert settings.MODELS["openai"] == settings.MODEL_CHOICES["openai"][0]  # apply=False changes nothing
    text = str(report)
    assert text.splitlines()[0].split() == ["entry", "default", "available?", "the", "course", "uses", "why"]
    assert "<table>" in report._repr_html_()


# --- explaining a retired model, with the real SDKs' exceptions -------------------------------------


class _GoneServer(_Fake):
    """Answers every chat request with the provider's "model not found" error."""

    def __init__(self, status: int, body: dict):
        super().__init__("gone", [])
        self.status, self.body = status, body
        fake = self

        def do_POST(handler):
            length = int(handler.headers.get("Content-Length") or 0)
            handler.rfile.read(length)
            data = json.dumps(fake.body).encode()
            handler.send_response(fake.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)

        self.server.RequestHandlerClass.do_POST = do_POST


def test_openai_sdk_model_not_found_is_explained_with_the_replacement():
    import openai

    server = _GoneServer(
        404,
        {
            "error": {
                "message": "The model `gpt-4o-mini` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "code": "model_not_found",
            }
        },
    )
    try:
        gpt = openai.OpenAI(api_key=GOOD_KEY, base_url=server.url + "/v1", max_retries=0)
        with pytest.raises(openai.NotFoundError) as caught:
            gpt.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    finally:
        server.close()
    sentence = retired.explain_model_error(caught.value)
    assert sentence is not None and sentence.count(".") <= 3
    assert "'gpt-4o-mini'" in sentence and repr(settings.MODELS["openai"]) in sentence


def test_anthropic_sdk_not_found_is_explained():
    import anthropic

    old_name = "claude-3-haiku-20240307"
    server = _GoneServer(404, {"type": "error", "error": {"type": "not_found_error", "message": f"model: {old_name}"}})
    try:
        claude = anthropic.Anthropic(api_key=ANTHROPIC_KEY, base_url=server.url, max_retries=0)
        with pytest.raises(anthropic.NotFoundError) as caught:
            claude.messages.create(model=old_name, max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    finally:
        server.close()
    sentence = retired.explain_model_error(caught.value)
    assert sentence is not None and repr(settings.MODELS["anthropic_small"]) in sentence


def test_ollama_sdk_model_not_found_is_explained():
    import ollama

    server = _GoneServer(404, {"error": 'model "llama3.2" not found, try pulling it first'})
    try:
        with pytest.raises(ollama.ResponseError) as caught:
            ollama.Client(host=server.url).chat(model="llama3.2", messages=[{"role": "user", "content": "hi"}])
    finally:
        server.close()
    sentence = retired.explain_model_error(caught.value)
    assert sentence is not None and "'llama3.2'" in sentence
    assert repr(settings.MODELS["ollama"]) in sentence


def test_other_errors_are_not_called_retired_models():
    import openai

    server = _GoneServer(400, {"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}})
    try:
        gpt = openai.OpenAI(api_key=GOOD_KEY, base_url=server.url + "/v1", max_retries=0)
        with pytest.raises(openai.BadRequestError) as caught:
            gpt.chat.completions.create(model=settings.MODELS["openai"], messages=[{"role": "user", "content": "hi"}])
    finally:
        server.close()
    assert retired.explain_model_error(caught.value) is None
    assert retired.explain_model_error(RuntimeError("model not found")) is None  # no status code: not an API answer


def test_a_parameter_the_model_refuses_is_not_a_retired_model():
    import openai

    server = _GoneServer(
        400,
        {
            "error": {
                "message": "Unsupported parameter: 'max_tokens' is not supported with this "
                "model. Use 'max_completion_tokens' instead.",
                "type": "invalid_request_error",
                "param": "max_tokens",
                "code": "unsupported_parameter",
            }
        },
    )
    try:
        gpt = openai.OpenAI(api_key=GOOD_KEY, base_url=server.url + "/v1", max_retries=0)
        with pytest.raises(openai.BadRequestError) as caught:
            gpt.chat.completions.create(
                model=settings.MODELS["openai"], max_tokens=5, messages=[{"role": "user", "content": "hi"}]
            )
    finally:
        server.close()
    assert retired.explain_model_error(caught.value) is None


# --- one place for model names ----------------------------------------------------------------------

# API model ids as the SDKs take them (not prose such as "GPT-4o" or "Whisper", nor HF repo ids).
_MODEL_LITERAL = re.compile(
    r"(?<![\w/.-])("
    r"(?:chat)?gpt-(?:\d|image|realtime|audio|transcribe)[\w.:-]*|o[1-9](?:-mini|-pro)?(?![\w.-])|"
    r"claude-(?:\d|opus|sonnet|haiku|mythos|fable|instant)[\w.-]*|gemini-\d[\w.-]*|"
    r"deepseek-(?:chat|reasoner|flash|coder|v\d|r\d)[\w.-]*|glm-\d[\w.-]*|"
    r"qwen\d*(?:\.\d+)?-(?:plus|max|turbo|flash|long|coder|vl)[\w.-]*|qwen\d[\w.]*:[\w.]+|"
    r"ernie-(?:\d|x\d|speed|lite|tiny|bot)[\w.-]*|llama\d[\w.]*(?::[\w.]+)?|dall-e(?:-\d)?|"
    r"whisper-\d|tts-1(?:-hd)?|text-embedding-[\w-]+"
    r")(?![\w])"
)


def _hf_names() -> set[str]:
    names = set(settings.HF_MODELS.values())
    return names | {repo.split("/")[-1] for repo in names}


def _settings_names() -> set[str]:
    """Every string that llmcourse.settings holds in its tables (model names among them)."""
    names: set[str] = set()
    for value in (getattr(settings, name) for name in settings.__all__):
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            names.update(item if isinstance(item, (list, tuple)) else [item])
    return {name for name in names if isinstance(name, str)}


def _notebooks() -> list[Path]:
    return sorted([*ROOT.glob("week*/**/*.ipynb"), ROOT / "troubleshooting.ipynb"])


def _literals_in(text: str) -> list[str]:
    allowed = _hf_names()
    return [m.group(1) for m in _MODEL_LITERAL.finditer(text) if m.group(1) not in allowed]


def test_the_model_name_pattern_finds_names_and_skips_prose():
    found = _literals_in(
        'client.chat(model="gpt-4o-mini"); ollama pull llama3.2; use claude-sonnet-4-6 or '
        "qwen3:4b, deepseek-chat, glm-4.5-flash, qwen-plus, ernie-4.5-turbo-128k, dall-e-3, whisper-1"
    )
    assert found == [
        "gpt-4o-mini",
        "llama3.2",
        "claude-sonnet-4-6",
        "qwen3:4b",
        "deepseek-chat",
        "glm-4.5-flash",
        "qwen-plus",
        "ernie-4.5-turbo-128k",
        "dall-e-3",
        "whisper-1",
    ]
    assert _literals_in("GPT-4o and Whisper and Qwen2 (qwen2_tokenizer, qwen.chat) in openai/whisper-tiny.en") == []


def test_no_notebook_names_a_model_outside_settings():
    offenders = {}
    for path in _notebooks():
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            stored = "".join(text for output in cell.get("outputs", []) for text in output.get("text", []))
            # A check cell's stored output may show names the code read from settings, not stale ones.
            found = _literals_in("".join(cell["source"])) + [
                name for name in _literals_in(stored) if name not in _settings_names()
            ]
            if found:
                offenders[f"{path.relative_to(ROOT)} cell {index}"] = found
    assert not offenders, f"model names belong in llmcourse/settings.py (MODELS): {offenders}"


def test_no_helper_names_a_model_outside_settings():
    offenders = {}
    for path in sorted((ROOT / "llmcourse").rglob("*.py")):
        if path.name == "settings.py":
            continue
        found = _literals_in(path.read_text(encoding="utf-8"))
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert not offenders, f"model names belong in llmcourse/settings.py (MODELS): {offenders}"


def test_model_choice_is_a_plain_record():
    choice = models.ModelChoice("openai", "openai", "a", "b", False, "why")
    assert dataclasses.asdict(choice)["chosen"] == "b" and choice.changed


# --- the helpers say it too: streaming display, tool loops, the batch runner, the doctor ------------


@pytest.fixture
def gone_error():
    """A real openai.NotFoundError for a retired model, from the SDK talking to a loopback server."""
    import openai

    server = _GoneServer(
        404,
        {
            "error": {
                "message": "The model `gpt-4o-mini` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "code": "model_not_found",
            }
        },
    )
    try:
        gpt = openai.OpenAI(api_key=GOOD_KEY, base_url=server.url + "/v1", max_retries=0)
        with pytest.raises(openai.NotFoundError) as caught:
            gpt.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        yield caught.value, gpt
    finally:
        server.close()


def test_stream_markdown_notes_the_replacement_under_the_error(gone_error):
    from llmcourse.display import stream_markdown

    error, _ = gone_error

    def chunks():
        yield "Hello"
        raise error

    with pytest.raises(type(error)) as caught:
        stream_markdown(chunks())
    assert any(repr(settings.MODELS["openai"]) in note for note in caught.value.__notes__)


def test_the_tool_loop_notes_the_replacement(gone_error):
    from llmcourse.tools import run_tool_loop

    error, gpt = gone_error

    def get_ticket_price(destination_city: str) -> str:
        """The price of a return ticket to the city."""
        return "$799"

    with pytest.raises(type(error)) as caught:
        run_tool_loop(gpt, model="gpt-4o-mini", messages="Ticket to London?", tools=[get_ticket_price])
    notes = caught.value.__notes__
    assert any("retired" in note and repr(settings.MODELS["openai"]) in note for note in notes)


def test_the_batch_runner_records_the_replacement(gone_error):
    from llmcourse.batch.retry import classify_error

    error, _ = gone_error
    failure = classify_error(error)
    assert (failure.kind, failure.retryable) == ("not_found", False)
    assert failure.message.startswith("The model 'gpt-4o-mini' is not available")
    assert repr(settings.MODELS["openai"]) in failure.message


def test_the_doctor_explains_a_retired_model_and_reports_the_models(gone_error, account, monkeypatch):
    from llmcourse import checks_services, diagnostics

    error, _ = gone_error
    assert repr(settings.MODELS["openai"]) in checks_services._explain_call_error("openai", error, 2.0)

    fake = _serve(
        account, "openai", [settings.MODEL_CHOICES["openai"][1], settings.MODELS["openai_large"]], key=GOOD_KEY
    )
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.url + "/v1")
    checks = {check.name: check for check in diagnostics.check_models()}
    assert checks["model openai"].status == "ok", checks["model openai"]
    assert settings.MODEL_CHOICES["openai"][1] in checks["model openai"].detail
    assert checks["model openai_large"].detail == f"{settings.MODELS['openai_large']} is in your account"
    assert checks["model openai_image"].status == "warn"  # none of its choices is listed
    assert "available?" in str(diagnostics.model_report())


def test_setup_resolves_the_models_of_every_keyed_provider(account, monkeypatch, capsys, tmp_path):
    """setup() with real-looking keys (and an Ollama) lists each account once and applies the choices."""
    from llmcourse import backend

    openai_fake = _serve(account, "openai", [settings.MODEL_CHOICES["openai"][1]], key=GOOD_KEY)
    claude_fake = _serve(
        account, "anthropic", [settings.MODELS["anthropic"], settings.MODELS["anthropic_small"]], key=ANTHROPIC_KEY
    )
    ollama_fake = _serve(account, "ollama", ["qwen3:latest"])
    monkeypatch.chdir(tmp_path)  # no .env up the tree from here
    monkeypatch.setenv("OPENAI_API_KEY", GOOD_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_fake.url + "/v1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", claude_fake.url)
    monkeypatch.setenv("OLLAMA_HOST", ollama_fake.url)

    backend.setup(verbose=True)

    assert settings.MODELS["openai"] == settings.MODEL_CHOICES["openai"][1]
    assert settings.MODELS["anthropic"] == settings.MODEL_CHOICES["anthropic"][0]
    assert settings.MODELS["ollama"] == "qwen3"
    assert (openai_fake.requests, claude_fake.requests) == (1, 1)
    assert f"MODELS['openai'] = '{settings.MODEL_CHOICES['openai'][1]}'" in capsys.readouterr().out
