"""Where the local model comes from (llmcourse/local/sources.py): bundled, a file, Ollama's store, the Hub.

The Hub path runs the real `llmcourse local pull` (huggingface_hub's own download code) against a
loopback fake Hub (tests/fake_hub.py) that serves the bundled SmolLM2 GGUF under the recommended
repo id; then a fresh `llmcourse.setup()` picks the pulled model and every answer names it. The
Ollama path reads a fake `~/.ollama/models` store built in a temporary folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llmcourse.local import gguf_path
from llmcourse.local.sources import RECOMMENDED, LocalModelError, ollama_blob, parse_hub_spec, resolve
from llmcourse.settings import LOCAL_MODEL_NAME
from tests.fake_hub import FakeHub, HubFile, sha256_of

ROOT = Path(__file__).resolve().parent.parent
REPO_ID, FILENAME = parse_hub_spec(RECOMMENDED)
PULLED_NAME = "local:" + FILENAME.removesuffix(".gguf")


@pytest.fixture(autouse=True)
def no_model_choice(monkeypatch, tmp_path):
    """No LLMCOURSE_LOCAL_MODEL from the developer's shell, and an empty Hugging Face cache."""
    monkeypatch.delenv("LLMCOURSE_LOCAL_MODEL", raising=False)
    monkeypatch.delenv("OLLAMA_MODELS", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))


# --- bundled, and plain files ---------------------------------------------------------------


def test_nothing_chosen_means_the_bundled_model():
    model = resolve()
    assert model.source == "bundled" and model.name == LOCAL_MODEL_NAME and model.path == gguf_path()
    assert resolve("bundled") == model == resolve("SmolLM2")


def test_a_gguf_path_is_served_under_its_file_name(tmp_path):
    copy = tmp_path / "my-model.Q4.gguf"
    copy.symlink_to(gguf_path())
    model = resolve(str(copy))
    assert (model.source, model.name, model.path) == ("file", "local:my-model.Q4", copy)


def test_a_file_that_is_not_gguf_or_missing_is_a_clear_error(tmp_path):
    text = tmp_path / "notes.gguf"
    text.write_text("not a model")
    with pytest.raises(LocalModelError, match="not a GGUF file"):
        resolve(str(text))
    with pytest.raises(LocalModelError, match="no model file"):
        resolve(str(tmp_path / "missing.gguf"))


def test_hub_specs_are_told_apart_from_ollama_names():
    assert parse_hub_spec("ggml-org/Qwen3-1.7B-GGUF:Qwen3-1.7B-Q4_K_M.gguf") == (
        "ggml-org/Qwen3-1.7B-GGUF",
        "Qwen3-1.7B-Q4_K_M.gguf",
    )
    for ollama_name in ("qwen3:1.7b", "llama3.2", "dengcao/Qwen3-14B:Q8_0"):
        assert parse_hub_spec(ollama_name) is None
    with pytest.raises(LocalModelError, match="llmcourse local pull"):
        resolve("someone/Some-GGUF:model.gguf")  # not downloaded, and resolve() does not download by default


# --- Ollama's store -------------------------------------------------------------------------


def _fake_ollama_store(models: Path, name: str, tag: str, *, namespace: str = "library", blob_source: Path) -> Path:
    digest = "ab" * 32
    blob = models / "blobs" / f"sha256-{digest}"
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.symlink_to(blob_source)
    manifest = models / "manifests" / "registry.ollama.ai" / namespace / name / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "layers": [
                    {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "cd" * 32, "size": 10},
                    {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}", "size": 1},
                ],
            }
        )
    )
    return blob


def test_an_ollama_model_is_read_from_the_home_store(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    blob = _fake_ollama_store(tmp_path / ".ollama" / "models", "tinyqwen", "latest", blob_source=gguf_path())
    model = resolve("tinyqwen")
    assert (model.source, model.name, model.path) == ("ollama", "local:tinyqwen", blob)
    assert resolve("tinyqwen:latest").path == blob


def test_ollama_models_variable_moves_the_store(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "nobody"))
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "store"))
    blob = _fake_ollama_store(tmp_path / "store", "Qwen3-14B", "Q8_0", namespace="dengcao", blob_source=gguf_path())
    assert ollama_blob("dengcao/Qwen3-14B:Q8_0") == blob
    monkeypatch.setenv("LLMCOURSE_LOCAL_MODEL", "dengcao/Qwen3-14B:Q8_0")
    assert resolve().name == "local:dengcao/Qwen3-14B:Q8_0"


def test_an_ollama_model_not_pulled_or_not_gguf_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("OLLAMA_MODELS", str(tmp_path / "store"))
    with pytest.raises(LocalModelError, match="ollama pull qwen3:1.7b"):
        resolve("qwen3:1.7b")
    not_gguf = tmp_path / "weights.bin"
    not_gguf.write_bytes(b"\x00" * 64)
    _fake_ollama_store(tmp_path / "store", "broken", "latest", blob_source=not_gguf)
    with pytest.raises(LocalModelError, match="not a GGUF file"):
        resolve("broken")


# --- the Hub: `llmcourse local pull`, then setup() ------------------------------------------


def _env(hub_url: str, hf_home: Path, cache_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in (
            "HF_HUB_OFFLINE",
            "TRANSFORMERS_OFFLINE",
            "LLMCOURSE_LOCAL_URL",
            "HF_HUB_CACHE",
            "LLMCOURSE_LOCAL_MODEL",
            "HF_HUB_DISABLE_PROGRESS_BARS",
        )
    }
    env.update(
        HF_ENDPOINT=hub_url,
        HF_HOME=str(hf_home),
        LLMCOURSE_CACHE_DIR=str(cache_dir),
        HF_HUB_DISABLE_XET="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def _pull(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "llmcourse.cli", "local", "pull", *args],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def pulled(tmp_path_factory):
    """`llmcourse local pull` of the recommended model from a fake Hub that drops the first download halfway."""
    home = tmp_path_factory.mktemp("pull")
    served = HubFile(gguf_path(), cut_first_download=True)
    with FakeHub({(REPO_ID, FILENAME): served}) as hub:
        env = _env(hub.url, home / "hf", home / "llmcourse-cache")
        first = _pull(env)
        requests_after_first = list(hub.requests)
        second = _pull(env)
        yield {
            "env": env,
            "first": first,
            "second": second,
            "hub": hub,
            "served": served,
            "requests_after_first": requests_after_first,
            "home": home,
        }


def test_pull_downloads_resumes_and_verifies(pulled):
    first = pulled["first"]
    assert first.returncode == 0, first.stderr
    assert f"Ready: {PULLED_NAME} (Hugging Face file" in first.stdout
    cached = next((pulled["home"] / "hf" / "hub").glob(f"models--*/snapshots/*/{FILENAME}"))
    assert sha256_of(cached) == pulled["served"].sha256
    ranges = [rng for method, _, rng in pulled["requests_after_first"] if method == "GET" and rng]
    assert ranges and ranges[0] != "bytes=0-", "the dropped download was resumed with a byte range"
    assert any(method == "POST" and "/paths-info/" in path for method, path, _ in pulled["requests_after_first"])


def test_pull_twice_downloads_once(pulled):
    assert pulled["second"].returncode == 0, pulled["second"].stderr
    assert pulled["hub"].requests == pulled["requests_after_first"], "the second pull asked the Hub nothing"
    assert pulled["served"].downloads == 2  # the dropped first try and its resumption, nothing more


def test_a_damaged_download_is_deleted_and_reported(tmp_path):
    liar = HubFile(gguf_path(), published_sha256="0" * 64)
    with FakeHub({("acme/Broken-GGUF", "broken.gguf"): liar}) as hub:
        result = _pull(_env(hub.url, tmp_path / "hf", tmp_path / "cache"), "acme/Broken-GGUF:broken.gguf")
    assert result.returncode == 1
    assert "damaged" in result.stderr and "run the command again" in result.stderr
    assert not [path for path in (tmp_path / "hf").rglob("*") if path.is_file() and path.stat().st_size > 1e6]


def test_pull_refuses_an_ollama_name(tmp_path):
    result = _pull(_env("http://127.0.0.1:9", tmp_path / "hf", tmp_path / "cache"), "qwen3:1.7b")
    assert result.returncode == 2 and "ollama pull" in result.stderr


@pytest.mark.slow
def test_setup_uses_the_pulled_model_and_says_so(pulled):
    """A fresh kernel-like process: setup() starts the local server on the pulled model; answers name it."""
    env = {**pulled["env"], "LLMCOURSE_OFFLINE": "1"}
    script = textwrap.dedent("""
        import llmcourse
        from llmcourse.local.shared import stop
        try:
            backend = llmcourse.setup()
            from openai import OpenAI
            reply = OpenAI().chat.completions.create(model="gpt-4o-mini", max_tokens=5,
                                                     messages=[{"role": "user", "content": "Hi"}])
            print("MODEL", reply.model)
        finally:
            print(stop())
    """)
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        env=env,
        cwd=pulled["home"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"OpenAI SDK    -> local model {PULLED_NAME} at http://127.0.0.1:" in result.stdout
    assert f"MODEL {PULLED_NAME}" in result.stdout
    assert "Stopped the local model server" in result.stdout


def test_which_names_the_model_in_use(pulled):
    result = subprocess.run(
        [sys.executable, "-m", "llmcourse.cli", "local", "which"],
        check=False,
        env=pulled["env"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{PULLED_NAME} (Hugging Face file") and "the default" in result.stdout


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
