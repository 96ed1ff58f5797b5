"""The offline cache: built once, a no-op when current, every HF_MODELS repo loads offline, tiktoken works offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llmcourse import settings
from tests import offline_cache


@pytest.fixture(scope="module")
def built() -> Path:
    """Build (or find built) the cache in the test folders; return HF_HOME."""
    assert os.environ.get("HF_HUB_OFFLINE") == "1", "the root conftest sets the offline environment"
    offline_cache.build()
    return offline_cache.hf_home()


def _snapshot_state(home: Path) -> dict[str, float]:
    return {str(path): path.stat().st_mtime_ns for path in (home / "hub").glob("models--*/snapshots/*/config.json")}


def test_build_is_idempotent_and_a_no_op_when_current(built):
    stamp = built / "llmcourse-offline-cache.json"
    before_stamp, before_files = stamp.read_text(), _snapshot_state(built)
    offline_cache.build()
    assert stamp.read_text() == before_stamp
    assert _snapshot_state(built) == before_files  # nothing was rewritten
    assert json.loads(before_stamp) == offline_cache.cache_key()


def test_the_stamp_depends_on_hf_models_and_versions(monkeypatch):
    key = offline_cache.cache_key()
    monkeypatch.setitem(settings.HF_MODELS, "chat", "someone/another-model")
    assert offline_cache.cache_key() != key
    assert key["versions"]["transformers"]


def test_every_hf_models_repo_is_in_the_cache(built):
    built_keys = set(settings.HF_MODELS) - offline_cache.GPU_ONLY
    assert built_keys <= set(offline_cache.builders())
    for name in built_keys:
        snapshot = offline_cache.snapshot_dir(settings.HF_MODELS[name], built)
        assert (snapshot / "config.json").is_file(), name
        assert (snapshot.parent.parent / "refs" / "main").read_text() == snapshot.name
    for name in offline_cache.GPU_ONLY:
        assert not offline_cache.snapshot_dir(settings.HF_MODELS[name], built).exists()


@pytest.mark.parametrize("name", sorted(set(settings.HF_MODELS) - offline_cache.GPU_ONLY))
def test_every_repo_loads_offline(built, name):
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    repo_id = settings.HF_MODELS[name]
    config = AutoConfig.from_pretrained(repo_id)
    if name.startswith("tokenizer_"):
        tokenizer = AutoTokenizer.from_pretrained(repo_id)
        assert len(tokenizer) <= config.vocab_size
        assert tokenizer.decode(tokenizer.encode("hello world", add_special_tokens=False)) == "hello world"
    elif name == "chat":
        model = AutoModelForCausalLM.from_pretrained(repo_id)
        assert type(model).__name__ == "LlamaForCausalLM"
    elif name == "embeddings":
        from sentence_transformers import SentenceTransformer

        assert SentenceTransformer(repo_id).get_embedding_dimension() == 384
    else:
        model = AutoModel.from_pretrained(repo_id)
        assert model.config.model_type == config.model_type


def test_a_repo_missing_from_the_cache_fails_at_once(built):
    from transformers import AutoConfig

    with pytest.raises(OSError):
        AutoConfig.from_pretrained("llmcourse/not-in-the-offline-cache")


def test_unknown_hf_models_key_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken"))
    monkeypatch.setitem(settings.HF_MODELS, "brand_new_task", "someone/some-model")
    with pytest.raises(RuntimeError, match="brand_new_task"):
        offline_cache.build()


def test_refuses_to_build_into_the_learners_own_cache(monkeypatch):
    monkeypatch.setenv("HF_HOME", str(Path.home() / ".cache" / "huggingface"))
    with pytest.raises(RuntimeError, match="real Hugging Face cache"):
        offline_cache.build()
    monkeypatch.delenv("HF_HOME")
    with pytest.raises(RuntimeError, match="HF_HOME is not set"):
        offline_cache.build()


def test_tiktoken_encodings_work_offline(built):
    import tiktoken

    for name in offline_cache.TIKTOKEN_ENCODINGS:
        assert offline_cache.tiktoken_file(name).is_file()
    cl100k = tiktoken.get_encoding("cl100k_base")
    assert cl100k.encode("hello world") == [15339, 1917]
    gpt4o = tiktoken.encoding_for_model("gpt-4o")
    assert gpt4o.name == "o200k_base"
    text = "I am excited to show Tokenizers in action to my LLM engineers"
    assert gpt4o.decode(gpt4o.encode(text)) == text
    assert len(gpt4o.encode(text)) == 14


# A real kernel, browser, model, scratch venv or slow hostile server: `make test-fast` skips these.
pytestmark = pytest.mark.slow
