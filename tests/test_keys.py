"""Tests for llmcourse.keys: loading, every key problem, masking, the report, and live checks on loopback."""

from __future__ import annotations

import os
import random
import string
import sys
import types
from pathlib import Path

import pytest

from llmcourse import keys
from llmcourse.keys import (
    KEY_SPECS,
    check_keys,
    env_file_problems,
    find_env_file,
    is_placeholder,
    key_problems,
    live_check,
    load_keys,
    mask_key,
    misnamed_env_files,
)
from llmcourse.settings import LOCAL_API_KEY
from tests.fixtures.keys_loopback import closed_port_url, serve, silent_server

ROOT = Path(__file__).resolve().parent.parent

# Realistic-looking (made-up) keys, one per variable.
GOOD = {
    "OPENAI_API_KEY": "sk-proj-" + "Q3vT9kZ2mX8wL1yN5bC7dF4gH6jR0pS2uV4xY6zA8cE0",
    "ANTHROPIC_API_KEY": "sk-ant-" + "api03-Zq7Wm2Xp9Lk4Jh6Gf1Ds3Aa5Pp8Oo0Ii2Uu4Yy6Tt",
    "GOOGLE_API_KEY": "AIza" + "SyD4f8Gk2Lm9Qp3Rs7Tv1Wx5Yz0Ab6Cd8Ef",
    "DEEPSEEK_API_KEY": "sk-4f9c2a7e1b8d3f6a0c5e9b2d7f1a4c8e",
    "ZHIPUAI_API_KEY": "3f9a2c7e1b8d4f6a0c5e9b2d7f1a4c8e.Xk2Lm9Qp3Rs7Tv1W",
    "DASHSCOPE_API_KEY": "sk-7e1b8d3f6a0c5e9b2d7f1a4c8e4f9c2a",
    "QIANFAN_API_KEY": "bce-v3/ALTAK-Xk2Lm9Qp3Rs7Tv1Wx5Yz/0Ab6Cd8Ef2Gh4Ij6Kl8Mn",
    "REPLICATE_API_TOKEN": "r8_" + "Xk2Lm9Qp3Rs7Tv1Wx5Yz0Ab6Cd8Ef2Gh4Ij6K",
    "HF_TOKEN": "hf_" + "Xk2Lm9Qp3Rs7Tv1Wx5Yz0Ab6Cd8Ef2Gh4Ij",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Each test starts with no key variables and in an empty folder; os.environ is restored afterwards."""
    (tmp_path / ".git").mkdir()  # tmp_path plays the course folder: searches for stray files stop here
    saved = dict(os.environ)
    for spec in KEY_SPECS.values():
        for variable in spec.variables:
            os.environ.pop(variable, None)
    monkeypatch.chdir(tmp_path)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _windows(key: str, size: int = 9) -> list[str]:
    return [key[i : i + size] for i in range(len(key) - size + 1)]


# --- masking ------------------------------------------------------------------------------------


def test_mask_key_shows_the_documented_shape():
    key = GOOD["OPENAI_API_KEY"]
    assert mask_key(key) == "sk-p..." + key[-4:]
    assert mask_key(" " + key + "\n") == "sk-p..." + key[-4:]
    assert mask_key("") == ""
    assert mask_key(None) == ""


@pytest.mark.parametrize("length", [1, 2, 3, 5, 8, 11, 12, 20, 39, 51, 164])
def test_mask_key_never_reveals_more_than_a_third_or_eight_characters(length):
    rng = random.Random(length)
    key = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))
    masked = mask_key(key)
    revealed = len(masked.replace("...", "", 1))
    assert "..." in masked
    assert revealed <= min(8, length // 3)
    head, _, tail = masked.partition("...")
    assert len(head) <= 4 and len(tail) <= 4
    assert key.startswith(head) and key.endswith(tail)
    if length > 3:
        assert key not in masked


# --- each problem ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        " " + GOOD["OPENAI_API_KEY"],
        GOOD["OPENAI_API_KEY"] + "\n",
        GOOD["OPENAI_API_KEY"] + "\t",
        "\u00a0" + GOOD["OPENAI_API_KEY"],
    ],
)
def test_surrounding_whitespace_is_a_problem(value):
    problems = key_problems("OPENAI_API_KEY", value)
    assert any("space or line break before or after" in p for p in problems)


def test_whitespace_inside_the_key_is_a_problem():
    key = GOOD["OPENAI_API_KEY"]
    problems = key_problems("OPENAI_API_KEY", key[:20] + "\n" + key[20:])
    assert any("inside" in p and "one piece" in p for p in problems)


@pytest.mark.parametrize("value", ['"{k}"', "'{k}'", '"{k}', "{k}'", "\u201c{k}\u201d"])
def test_quotes_are_a_problem(value):
    problems = key_problems("ANTHROPIC_API_KEY", value.format(k=GOOD["ANTHROPIC_API_KEY"]))
    assert any("quote" in p for p in problems)


@pytest.mark.parametrize(
    "char, expected",
    [
        ("\u2013", "EN DASH"),
        ("\u2014", "EM DASH"),
        ("\u2011", "NON-BREAKING HYPHEN"),
        ("\u2212", "MINUS SIGN"),
        ("\u2019", "RIGHT SINGLE QUOTATION MARK"),
    ],
)
def test_look_alike_characters_are_named_with_the_fix(char, expected):
    key = GOOD["OPENAI_API_KEY"].replace("-", char, 1)
    problems = key_problems("OPENAI_API_KEY", key)
    named = [p for p in problems if expected in p]
    assert named and "look-alike" in named[0] and "retype" in named[0]


@pytest.mark.parametrize("char", ["\u200b", "\u200d", "\ufeff", "\u2060"])
def test_zero_width_characters_are_reported_as_invisible(char):
    key = GOOD["DEEPSEEK_API_KEY"]
    problems = key_problems("DEEPSEEK_API_KEY", key[:10] + char + key[10:])
    assert any("invisible" in p and "character 11" in p for p in problems)


def test_non_breaking_space_inside_and_other_alphabets_are_reported():
    key = GOOD["HF_TOKEN"]
    assert any("NO-BREAK SPACE" in p for p in key_problems("HF_TOKEN", key[:8] + "\u00a0" + key[8:]))
    cyrillic = key.replace("m", "\u043c", 1)  # CYRILLIC SMALL LETTER EM looks like m
    assert any("non-ASCII" in p and "CYRILLIC" in p for p in key_problems("HF_TOKEN", cyrillic))


def _example_values() -> dict[str, str]:
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(ROOT / ".env.example").items() if v is not None}


def test_every_placeholder_in_env_example_is_recognised():
    values = _example_values()
    assert set(values) >= set(KEY_SPECS), "every key variable has a placeholder line in .env.example"
    for variable, value in values.items():
        assert is_placeholder(value), variable
        problems = key_problems(variable, value)
        assert len(problems) == 1 and "placeholder" in problems[0] and "http" in problems[0]


@pytest.mark.parametrize(
    "value",
    [
        "sk-...",
        "sk-proj-",
        "your-key-here",
        "<your key>",
        "sk-xxxxxxxxxxxx",
        "PASTE_YOUR_KEY_HERE",
        "hf_...",
        "AIza...",
    ],
)
def test_common_placeholders_are_recognised(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", GOOD.values())
def test_real_looking_keys_are_not_placeholders(value):
    assert not is_placeholder(value)


def test_a_copied_env_example_is_reported_and_not_loaded(tmp_path):
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    assert load_keys() == {}
    assert "OPENAI_API_KEY" not in os.environ
    report = check_keys(start=tmp_path)
    for result in report:
        assert result.status == "problem", result.variable
        assert "placeholder" in result.summary


@pytest.mark.parametrize("prefix", ["sk-proj-", "sk-svcacct-", "sk-"])
def test_all_three_openai_prefixes_are_fine(prefix):
    key = prefix + "Q3vT9kZ2mX8wL1yN5bC7dF4gH6jR0pS2uV4x"
    report = check_keys(env={"OPENAI_API_KEY": key})
    assert report["openai"].status == "ok"
    assert report["openai"].summary == "looks fine"


@pytest.mark.parametrize("variable", list(GOOD))
def test_each_good_key_looks_fine(variable):
    result = check_keys(env={variable: GOOD[variable]})[variable]
    assert result.status == "ok", result.summary


@pytest.mark.parametrize(
    "variable",
    ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "QIANFAN_API_KEY", "REPLICATE_API_TOKEN", "HF_TOKEN"],
)
def test_an_unknown_prefix_is_a_warning_not_an_error(variable):
    result = check_keys(env={variable: "zz9Xk2Lm9Qp3Rs7Tv1Wx5Yz0Ab6Cd8Ef2Gh4Ij"})[variable]
    assert result.status == "warning"
    assert result.ok and not result.problems
    assert any("does not start with" in w for w in result.warnings)


@pytest.mark.parametrize(
    "variable, key_of, should_move_to",
    [
        ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY"),
        ("DEEPSEEK_API_KEY", "OPENAI_API_KEY", "OPENAI_API_KEY"),
        ("OPENAI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_API_KEY"),
        ("REPLICATE_API_TOKEN", "HF_TOKEN", "HF_TOKEN"),
        ("ANTHROPIC_API_KEY", "QIANFAN_API_KEY", "QIANFAN_API_KEY"),
        ("ZHIPUAI_API_KEY", "OPENAI_API_KEY", "OPENAI_API_KEY"),
    ],
)
def test_a_key_under_the_wrong_provider_is_a_problem(variable, key_of, should_move_to):
    result = check_keys(env={variable: GOOD[key_of]})[variable]
    assert result.status == "problem"
    assert any("looks like a key for" in p and should_move_to in p for p in result.problems)
    assert not any("does not start with" in w for w in result.warnings)


def test_a_shared_prefix_is_not_called_wrong():
    # DeepSeek and Qwen keys also start with "sk-": that alone says nothing.
    assert check_keys(env={"DASHSCOPE_API_KEY": GOOD["DEEPSEEK_API_KEY"]})["qwen"].status == "ok"


def test_a_short_key_gets_a_warning():
    result = check_keys(env={"OPENAI_API_KEY": "sk-proj-abc12"})["openai"]
    assert result.status == "warning" and any("cut off" in w for w in result.warnings)


def test_the_local_stand_in_is_reported_as_the_local_model_not_a_problem():
    result = check_keys(env={"OPENAI_API_KEY": LOCAL_API_KEY})["openai"]
    assert result.status == "local"
    assert not result.problems and not result.warnings
    assert "local model" in result.summary


def test_missing_keys_are_missing_with_where_to_get_one():
    report = check_keys(env={})
    assert {result.status for result in report} == {"missing"}
    assert "https://platform.openai.com/api-keys" in report["openai"].summary


def test_alias_gemini_api_key_is_accepted():
    result = check_keys(env={"GEMINI_API_KEY": GOOD["GOOGLE_API_KEY"]})["gemini"]
    assert result.status == "ok" and result.variable == "GEMINI_API_KEY"


# --- .env files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".env.txt", "env", "env.txt", ".env.", ".env ", "keys.env"])
def test_a_misnamed_env_file_is_found_and_named(tmp_path, name):
    (tmp_path / name).write_text(f"OPENAI_API_KEY={GOOD['OPENAI_API_KEY']}\n")
    assert find_env_file(tmp_path) is None
    assert [p.name for p in misnamed_env_files(tmp_path)] == [name]
    problems = env_file_problems(tmp_path)
    assert len(problems) == 1 and "rename it to exactly .env" in problems[0]
    report = check_keys(start=tmp_path)
    assert report.file_problems == problems
    assert name.strip() in str(report)


def test_a_misnamed_file_in_a_parent_folder_is_found(tmp_path):
    notebook_folder = tmp_path / "course" / "week1"
    notebook_folder.mkdir(parents=True)
    (tmp_path / "course" / ".env.example").write_text("")  # the course folder
    (tmp_path / "course" / ".env.txt").write_text("OPENAI_API_KEY=x\n")
    (tmp_path / "keys.env").write_text("OPENAI_API_KEY=x\n")  # outside the course folder: not ours
    assert misnamed_env_files(notebook_folder) == [tmp_path / "course" / ".env.txt"]


def test_templates_and_env_folders_are_not_misnamed(tmp_path):
    (tmp_path / ".env.example").write_text("OPENAI_API_KEY=sk-proj-" + "your-key-here\n")
    (tmp_path / "env").mkdir()  # a virtual environment called env
    assert misnamed_env_files(tmp_path) == []
    assert env_file_problems(tmp_path) == []


def test_a_stray_copy_next_to_a_real_env_is_a_warning(tmp_path):
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={GOOD['OPENAI_API_KEY']}\n")
    (tmp_path / ".env.txt").write_text("OPENAI_API_KEY=old\n")
    problems = env_file_problems(tmp_path)
    assert len(problems) == 1 and "only .env is read" in problems[0]


def test_a_utf16_env_file_is_read_and_reported(tmp_path):
    # PowerShell 5's `echo OPENAI_API_KEY=... > .env` writes UTF-16.
    (tmp_path / ".env").write_bytes(f"OPENAI_API_KEY={GOOD['OPENAI_API_KEY']}\r\n".encode("utf-16"))
    assert load_keys(tmp_path) == {"OPENAI_API_KEY": GOOD["OPENAI_API_KEY"]}
    problems = env_file_problems(tmp_path)
    assert len(problems) == 1 and "UTF-16" in problems[0] and "UTF-8" in problems[0]


# --- loading ---------------------------------------------------------------------------------------


def test_load_keys_finds_env_in_a_parent_folder(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={GOOD['OPENAI_API_KEY']}\nDEEPSEEK_API_KEY=\n")
    notebook_folder = tmp_path / "week2"
    notebook_folder.mkdir()
    monkeypatch.chdir(notebook_folder)
    found = load_keys()
    assert found == {"OPENAI_API_KEY": GOOD["OPENAI_API_KEY"]}
    assert os.environ["OPENAI_API_KEY"] == GOOD["OPENAI_API_KEY"]
    assert "DEEPSEEK_API_KEY" not in os.environ  # empty lines are not keys


def test_load_keys_never_overrides_the_environment(tmp_path):
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={GOOD['OPENAI_API_KEY']}\nHF_TOKEN={GOOD['HF_TOKEN']}\n")
    os.environ["OPENAI_API_KEY"] = "sk-from-the-shell-Q3vT9kZ2mX8wL1yN5bC7"
    found = load_keys(tmp_path)
    assert os.environ["OPENAI_API_KEY"] == "sk-from-the-shell-Q3vT9kZ2mX8wL1yN5bC7"
    assert found["OPENAI_API_KEY"] == "sk-from-the-shell-Q3vT9kZ2mX8wL1yN5bC7"
    assert os.environ["HF_TOKEN"] == GOOD["HF_TOKEN"]
    report = check_keys(start=tmp_path)
    assert report["openai"].source == "environment"
    assert report["HF_TOKEN"].source == str(tmp_path / ".env")


def test_a_mistyped_variable_name_is_pointed_out(tmp_path):
    (tmp_path / ".env").write_text(
        f"OPEN_API_KEY={GOOD['OPENAI_API_KEY']}\nanthropic_api_key={GOOD['ANTHROPIC_API_KEY']}\n"
    )
    report = check_keys(start=tmp_path)
    assert report["openai"].status == "problem" and "did you mean OPENAI_API_KEY" in report["openai"].summary
    assert report["anthropic"].status == "problem" and "case-sensitive" in report["anthropic"].summary


def _fake_colab(monkeypatch, secrets: dict[str, str], refused: set[str]):
    """Colab's userdata API (google.colab.userdata.get raising its two errors), which only exists on Colab."""
    userdata = types.ModuleType("google.colab.userdata")

    class SecretNotFoundError(Exception):
        pass

    class NotebookAccessError(Exception):
        pass

    def get(name):
        if name in refused:
            raise NotebookAccessError(name)
        if name not in secrets:
            raise SecretNotFoundError(name)
        return secrets[name]

    userdata.SecretNotFoundError, userdata.NotebookAccessError, userdata.get = (
        SecretNotFoundError,
        NotebookAccessError,
        get,
    )
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)


def test_colab_secrets_are_loaded_and_both_errors_are_caught(monkeypatch):
    _fake_colab(
        monkeypatch, {"ANTHROPIC_API_KEY": GOOD["ANTHROPIC_API_KEY"], "OPENAI_API_KEY": "unused"}, refused={"HF_TOKEN"}
    )
    os.environ["OPENAI_API_KEY"] = GOOD["OPENAI_API_KEY"]
    found = load_keys()
    assert found["ANTHROPIC_API_KEY"] == GOOD["ANTHROPIC_API_KEY"]
    assert os.environ["OPENAI_API_KEY"] == GOOD["OPENAI_API_KEY"]  # the environment wins over secrets
    assert "HF_TOKEN" not in found
    report = check_keys()
    assert report["anthropic"].source == "Colab secrets"
    assert "Secrets panel" in str(report)


# --- the report never shows a key ---------------------------------------------------------------------


def test_rendered_report_never_contains_a_key():
    bad = {
        "OPENAI_API_KEY": " " + GOOD["OPENAI_API_KEY"],
        "ANTHROPIC_API_KEY": GOOD["ANTHROPIC_API_KEY"].replace("-", "\u2013"),
        "GOOGLE_API_KEY": GOOD["GOOGLE_API_KEY"],
        "DEEPSEEK_API_KEY": GOOD["OPENAI_API_KEY"],
        "HF_TOKEN": '"' + GOOD["HF_TOKEN"] + '"',
    }
    report = check_keys(env=bad)
    outputs = [str(report), report._repr_html_(), repr(list(report))]
    for output in outputs:
        for key in bad.values():
            for window in _windows(key.strip().strip('"')):
                assert window not in output
    assert [r.status for r in report][:4] == ["problem", "problem", "ok", "problem"]


def test_report_is_iterable_and_indexable():
    report = check_keys(env={"OPENAI_API_KEY": GOOD["OPENAI_API_KEY"]})
    assert len(report) == len(KEY_SPECS)
    assert report[0] is report["openai"] is report["OPENAI_API_KEY"]
    assert report["anthropic_openai"] is report["anthropic"]
    assert [r.variable for r in report] == list(KEY_SPECS)
    with pytest.raises(KeyError):
        report["nope"]
    html = report._repr_html_()
    assert html.startswith("<p>") and "<table>" in html and "OPENAI_API_KEY" in html


# --- live checks against loopback servers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, body, words",
    [
        (401, {"error": {"code": "invalid_api_key"}}, ["rejected the key", "401", "platform.openai.com/api-keys"]),
        (403, {"error": {"code": "unsupported_country"}}, ["403", "not allowed", "region"]),
        (429, {"error": {"code": "rate_limit_exceeded"}}, ["429", "wait a minute"]),
        (429, {"error": {"code": "insufficient_quota"}}, ["no credit left", "billing"]),
        (200, {"object": "list", "data": []}, ["accepted the key"]),
    ],
)
def test_live_check_turns_each_answer_into_a_sentence(status, body, words):
    key = GOOD["OPENAI_API_KEY"]
    with serve(status, body) as server:
        sentence = live_check("openai", key=key, base_url=server.url + "/v1")
    assert all(word in sentence for word in words), sentence
    assert key not in sentence
    assert server.requests[0]["path"] == "/v1/models"
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {key}"


def test_live_check_sends_anthropic_keys_as_x_api_key():
    with serve(200) as server:
        os.environ["ANTHROPIC_API_KEY"] = GOOD["ANTHROPIC_API_KEY"]
        sentence = live_check("anthropic", base_url=server.url)
    headers = server.requests[0]["headers"]
    assert server.requests[0]["path"] == "/v1/models"
    assert headers["x-api-key"] == GOOD["ANTHROPIC_API_KEY"] and "authorization" not in headers
    assert "accepted" in sentence


def test_live_check_reports_an_unreachable_server():
    sentence = live_check("deepseek", key=GOOD["DEEPSEEK_API_KEY"], base_url=closed_port_url())
    assert "Could not connect to DeepSeek" in sentence and "proxy" in sentence


def test_live_check_reports_a_timeout():
    with silent_server() as url:
        sentence = live_check("gemini", key=GOOD["GOOGLE_API_KEY"], base_url=url, timeout=0.3)
    assert "did not answer within 0.3 s" in sentence


def test_live_check_without_a_key_says_where_to_get_one():
    assert "aistudio.google.com" in live_check("gemini")


def test_live_check_contacts_no_real_host_in_offline_mode():
    assert os.environ.get("LLMCOURSE_OFFLINE") == "1"  # set by the test run
    sentence = live_check("openai", key=GOOD["OPENAI_API_KEY"])
    assert sentence.startswith("Offline mode") and "api.openai.com" in sentence


def test_check_keys_live_marks_a_rejected_key_as_a_problem():
    with serve(401) as rejecting, serve(200) as accepting:
        report = check_keys(
            live=True,
            env={"OPENAI_API_KEY": GOOD["OPENAI_API_KEY"], "HF_TOKEN": GOOD["HF_TOKEN"]},
            base_urls={"openai": rejecting.url, "huggingface": accepting.url},
        )
    assert report["openai"].status == "problem" and "rejected" in report["openai"].live
    assert report["HF_TOKEN"].status == "ok" and "accepted" in report["HF_TOKEN"].live
    assert accepting.requests[0]["path"] == "/api/whoami-v2"
    assert report["deepseek"].live is None  # missing keys are not sent anywhere
    for server, key in ((rejecting, GOOD["OPENAI_API_KEY"]), (accepting, GOOD["HF_TOKEN"])):
        assert [r["headers"]["authorization"] for r in server.requests] == [f"Bearer {key}"]


def test_explain_sdk_error_reads_the_real_sdks_exceptions():
    import anthropic
    import openai

    from llmcourse.keys import explain_sdk_error

    def raised(call) -> Exception:
        try:
            call()
        except Exception as error:  # noqa: BLE001 - the exception is what is being explained
            return error
        raise AssertionError("the SDK call did not fail")

    openai_keys, anthropic_keys = KEY_SPECS["OPENAI_API_KEY"].keys_url, KEY_SPECS["ANTHROPIC_API_KEY"].keys_url
    with serve(429, {"error": {"message": "You exceeded your quota", "code": "insufficient_quota"}}) as broke:
        gpt = openai.OpenAI(api_key=GOOD["OPENAI_API_KEY"], base_url=broke.url + "/v1", max_retries=0)
        quota = raised(gpt.models.list)
    with serve(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}) as no:
        claude = anthropic.Anthropic(api_key=GOOD["ANTHROPIC_API_KEY"], base_url=no.url, max_retries=0)
        refused = raised(claude.models.list)
    closed = closed_port_url()
    unreachable = raised(openai.OpenAI(api_key="x", base_url=closed + "/v1", max_retries=0, timeout=5).models.list)

    assert "no credit left (429 insufficient_quota)" in explain_sdk_error("OpenAI", quota, openai_keys)
    sentence = explain_sdk_error("Anthropic", refused, anthropic_keys, "ANTHROPIC_API_KEY")
    assert "rejected the key (401" in sentence and "ANTHROPIC_API_KEY=<key>" in sentence and anthropic_keys in sentence
    assert explain_sdk_error("OpenAI", unreachable, openai_keys, url=closed).startswith("Could not connect to OpenAI")
    assert keys.is_network_error(unreachable) and not keys.is_network_error(quota)
    assert explain_sdk_error("OpenAI", ValueError("not JSON"), openai_keys) is None  # not an HTTP or network problem
    proxied = explain_sdk_error(
        "OpenAI", unreachable, openai_keys, url="https://me:" + GOOD["OPENAI_API_KEY"] + "@gw.test"
    )
    assert "at gw.test:" in proxied and GOOD["OPENAI_API_KEY"] not in proxied  # a user:key@ part is never repeated


def test_unknown_provider_is_a_clear_error():
    with pytest.raises(ValueError, match="Known"):
        live_check("nope")


def test_module_exports_are_documented():
    for name in keys.__all__:
        assert getattr(keys, name).__doc__, name
