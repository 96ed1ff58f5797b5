"""Every model name, price and address the course names, in one place.

Model names change often (providers retire them every few months). Notebooks and helpers read
them from here, so a rename is a one-line change.

Example:
    >>> from llmcourse.settings import MODEL_CHOICES, MODELS
    >>> MODELS["openai"] == MODEL_CHOICES["openai"][0]
    True
"""

from __future__ import annotations

__all__ = [
    "ANTHROPIC_NO_TEMPERATURE_FAMILIES",
    "HF_MODELS",
    "LOCAL_API_KEY",
    "LOCAL_MODEL_NAME",
    "LOCAL_MODEL_PREFIX",
    "MODELS",
    "MODEL_CHOICES",
    "MODEL_FAMILIES",
    "MODEL_PROVIDER",
    "OPENAI_REASONING_FAMILIES",
    "PRICES_CHECKED",
    "PRICES_OTHER",
    "PRICES_PER_MILLION",
    "REPO",
    "REPO_URL",
    "TIKTOKEN_MODELS",
]

# The default model of each provider, chosen for a course: cheap, fast and current (checked PRICES_CHECKED).
# The provider table in providers.py refers to these. When a real key is present, `llmcourse.setup()`
# replaces an entry by the first model of MODEL_CHOICES that the account really has (llmcourse.models).
MODELS: dict[str, str] = {
    "openai": "gpt-6-luna",
    "openai_large": "gpt-6.2-sol",
    "anthropic": "claude-sonnet-5-5",
    "anthropic_small": "claude-haiku-5-5",
    "gemini": "gemini-3.5-flash-lite",
    "deepseek": "deepseek-flash",
    "deepseek_reasoner": "deepseek-v4-pro",
    "zhipu": "glm-4.7-flash",
    "qwen": "qwen-flash",
    "qianfan": "ernie-5.1",
    "ollama": "qwen3:4b",
    "replicate": "meta/meta-llama-3-8b-instruct",
    "local": "SmolLM2-135M-Instruct",
    "openai_image": "gpt-image-2.6-flare",
    "openai_tts": "gpt-4o-mini-tts",
    "openai_transcribe": "gpt-transcribe",
    "zhipu_image": "cogview-3-flash",
    "modelscope": "Qwen/Qwen3.5-35B-A3B",
    "hf_inference": "openai/gpt-oss-120b",
    "openrouter": "openai/gpt-6-luna",
    "groq": "openai/gpt-oss-20b",
    "xai": "grok-4.3",
}

# Newest first: what the course may use for each MODELS entry. The first is the default above; the
# others are fallbacks an account may have when the first is missing (older accounts, regions, Ollama pulls).
MODEL_CHOICES: dict[str, list[str]] = {
    "openai": ["gpt-6-luna", "gpt-5.6-luna", "gpt-5.4-mini"],
    "openai_large": ["gpt-6.2-sol", "gpt-6-sol", "gpt-5.6-sol"],
    "anthropic": ["claude-sonnet-5-5", "claude-sonnet-5", "claude-sonnet-4-6"],
    "anthropic_small": ["claude-haiku-5-5", "claude-haiku-4-5"],
    "gemini": ["gemini-3.5-flash-lite", "gemini-3.1-flash-lite", "gemini-2.5-flash-lite"],
    "deepseek": ["deepseek-flash", "deepseek-v4-flash"],
    "deepseek_reasoner": ["deepseek-v4-pro", "deepseek-flash"],
    "zhipu": ["glm-4.7-flash", "glm-4.5-flash"],
    "qwen": ["qwen-flash", "qwen3.8-flash", "qwen-plus"],
    "qianfan": ["ernie-5.1", "ernie-5.0", "ernie-4.5-turbo-128k"],
    "ollama": ["qwen3:4b", "qwen3", "qwen3:8b", "qwen3:1.7b", "llama3.2"],
    "replicate": ["meta/meta-llama-3-8b-instruct"],
    "local": ["SmolLM2-135M-Instruct"],
    "openai_image": ["gpt-image-2.6-flare", "gpt-image-2.5-flare", "gpt-image-2"],
    "openai_tts": ["gpt-4o-mini-tts"],
    "openai_transcribe": ["gpt-transcribe", "gpt-4o-mini-transcribe"],
    "zhipu_image": ["cogview-3-flash", "cogview-4"],
    "modelscope": ["Qwen/Qwen3.5-35B-A3B", "Qwen/Qwen3-32B"],
    "hf_inference": ["openai/gpt-oss-120b", "openai/gpt-oss-20b"],
    # OpenRouter names are "<lab>/<model>"; its `models` fallback list takes names like these in order.
    "openrouter": ["openai/gpt-6-luna", "anthropic/claude-haiku-4.5", "openai/gpt-5.4-mini"],
    "groq": ["openai/gpt-oss-20b", "openai/gpt-oss-120b"],
    "xai": ["grok-4.3", "grok-4-1-fast-non-reasoning"],
}

# Which provider's account list decides each MODELS entry (several entries share one provider).
MODEL_PROVIDER: dict[str, str] = {
    "openai": "openai",
    "openai_large": "openai",
    "openai_image": "openai",
    "openai_tts": "openai",
    "openai_transcribe": "openai",
    "anthropic": "anthropic",
    "anthropic_small": "anthropic",
    "gemini": "gemini",
    "deepseek": "deepseek",
    "deepseek_reasoner": "deepseek",
    "zhipu": "zhipu",
    "qwen": "qwen",
    "qianfan": "qianfan",
    "ollama": "ollama",
    "replicate": "replicate",
    "local": "local",
    "zhipu_image": "zhipu",
    "modelscope": "modelscope",
    "hf_inference": "huggingface",
    "openrouter": "openrouter",
    "groq": "groq",
    "xai": "xai",
}

# A model name the course never listed (an old notebook's literal, say) -> the MODELS entry that replaces
# it. Regular expressions, tried in order; used to explain "model not found" errors.
MODEL_FAMILIES: dict[str, str] = {
    r"^(gpt-image|dall-e|chatgpt-image)": "openai_image",
    r"tts": "openai_tts",
    r"(whisper|transcribe)": "openai_transcribe",
    r"^(gpt-|o\d|chatgpt-)": "openai",
    r"^claude-.*haiku": "anthropic_small",
    r"^claude-": "anthropic",
    r"^gemini-": "gemini",
    r"^deepseek-.*(reason|r\d|pro)": "deepseek_reasoner",
    r"^deepseek-": "deepseek",
    r"^glm-": "zhipu",
    r":": "ollama",
    r"^(qwen|qwq)": "qwen",
    r"^ernie-": "qianfan",
}

# OpenAI models whose tokenizer week 1 looks up by name with tiktoken (none of them is called):
# o200k_base for the recent ones, cl100k_base for the older ones.
TIKTOKEN_MODELS: tuple[str, ...] = ("gpt-5", "gpt-4o", "gpt-4", "gpt-3.5-turbo")

# Hugging Face repo ids used in week 3 (the offline test cache is built under exactly these ids).
HF_MODELS: dict[str, str] = {
    "chat": "HuggingFaceTB/SmolLM2-135M-Instruct",
    "embeddings": "sentence-transformers/all-MiniLM-L6-v2",
    "sentiment": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
    "ner": "dslim/bert-base-NER",
    "zero_shot": "facebook/bart-large-mnli",
    "speech_to_text": "openai/whisper-tiny.en",
    "text_to_speech": "facebook/mms-tts-eng",
    "image": "stabilityai/sd-turbo",
    "tokenizer_llama": "meta-llama/Llama-3.1-8B-Instruct",
    # An ungated community copy of the same tokenizer, for learners who have not (yet) been granted Meta's licence.
    "tokenizer_llama_mirror": "unsloth/Llama-3.1-8B-Instruct",
    "tokenizer_phi": "microsoft/Phi-3-mini-4k-instruct",
    "tokenizer_qwen": "Qwen/Qwen2-7B-Instruct",
    "tokenizer_starcoder": "bigcode/starcoder2-3b",
}

# US dollars per million tokens (input, output), standard tier, short prompts. Prices change: each
# provider's pricing page is the authority. Sources: OpenAI/Anthropic/Google/DeepSeek pricing pages;
# DeepSeek bills peak hours at these rates and off-peak at half; Qwen converted from CNY 0.15 / 1.5
# (Beijing region); GLM-4.7-Flash is free on BigModel; image models bill text in / image out tokens.
PRICES_CHECKED = "2026-12-01"
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-6-luna": (0.10, 0.50),
    "gpt-6.2-sol": (2.00, 10.00),
    "claude-sonnet-5-5": (2.00, 10.00),
    "claude-haiku-5-5": (0.10, 0.50),
    "gemini-3.5-flash-lite": (0.30, 2.50),
    "deepseek-flash": (0.30, 1.20),
    "deepseek-v4-pro": (1.32, 3.96),
    "glm-4.7-flash": (0.0, 0.0),
    "qwen-flash": (0.02, 0.21),
    "qwen3:4b": (0.0, 0.0),
    "gpt-image-2.6-flare": (5.00, 30.00),
    "grok-4.3": (1.25, 2.50),  # docs.x.ai model page (cached input $0.20)
    "openai/gpt-6-luna": (0.10, 0.50),  # through OpenRouter: the provider's own rate, no markup per token
    "SmolLM2-135M-Instruct": (0.0, 0.0),
}
# Models not billed per token here, or whose rate we could not confirm from a published page.
PRICES_OTHER: dict[str, str] = {
    "gpt-transcribe": "$0.0045 per audio minute",
    "gpt-4o-mini-tts": "$0.60 per million characters of input text",
    "ernie-5.1": "billed in CNY: see Baidu Qianfan's pricing page (console.bce.baidu.com/qianfan)",
    "meta/meta-llama-3-8b-instruct": "billed per second of compute by Replicate",
    "cogview-3-flash": "per image; listed free on BigModel's pricing page (open.bigmodel.cn/pricing)",
    "Qwen/Qwen3.5-35B-A3B": "free daily quota of API-Inference calls for ModelScope accounts",
    "openai/gpt-oss-120b": "billed by the chosen provider through your Hugging Face account (monthly free credits)",
    "openai/gpt-oss-20b": "on Groq about $0.10 in / $0.50 out per million tokens: see console.groq.com/docs/pricing",
}

# Request fields that current model families refuse (checked 2026-12-01 against the providers' error messages).
# The local stand-in refuses them too, so a notebook that would fail with a real key fails offline first.
# OpenAI's reasoning families (gpt-5 and later, o-series): no `max_tokens` (use `max_completion_tokens`); a
# `temperature` or `top_p` other than 1 only with reasoning_effort="none".
OPENAI_REASONING_FAMILIES = r"^(gpt-5|gpt-6|gpt-7|o[1-9])"
# Anthropic's Claude 5 family and Opus 4.7+: `temperature` is deprecated (a 400 "temperature is deprecated for this model").
ANTHROPIC_NO_TEMPERATURE_FAMILIES = r"^claude-(sonnet-5|haiku-5|opus-5|opus-4-[7-9])"

# What the embedded server calls itself in every response's `model` field.
LOCAL_MODEL_NAME = "local:SmolLM2-135M-Instruct"
# Every name the embedded server answers with starts so, whichever model it runs (LLMCOURSE_LOCAL_MODEL).
LOCAL_MODEL_PREFIX = "local:"
# The stand-in key the SDKs get when they are pointed at the embedded server (never a real key).
LOCAL_API_KEY = "llmcourse-local"

# Where the course lives (Colab badges and install cells point here).
REPO = "llmcourse/llm-engineering"
REPO_URL = f"https://github.com/{REPO}"
