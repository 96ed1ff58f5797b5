"""Every model name, price and address the course names, in one place.

Model names change often (providers retire them every few months). Notebooks and helpers read
them from here, so a rename is a one-line change.

Example:
    >>> from llmcourse.settings import MODELS
    >>> MODELS["openai"]
    'gpt-4o-mini'
"""

from __future__ import annotations

__all__ = [
    "MODELS",
    "HF_MODELS",
    "PRICES_PER_MILLION",
    "LOCAL_MODEL_NAME",
    "LOCAL_API_KEY",
    "REPO",
    "REPO_URL",
]

# The default chat model of each provider (the provider table in providers.py refers to these).
MODELS: dict[str, str] = {
    "openai": "gpt-4o-mini",
    "openai_large": "gpt-4.1",
    "anthropic": "claude-sonnet-4-6",
    "anthropic_small": "claude-haiku-4-5",
    "gemini": "gemini-2.5-flash",
    "deepseek": "deepseek-chat",
    "zhipu": "glm-4.5-flash",
    "qwen": "qwen-plus",
    "qianfan": "ernie-4.5-turbo-128k",
    "ollama": "llama3.2",
    "replicate": "meta/meta-llama-3-8b-instruct",
    "local": "SmolLM2-135M-Instruct",
    "openai_image": "dall-e-3",
    "openai_tts": "gpt-4o-mini-tts",
}

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

# US dollars per million tokens (input, output). Prices change: check the provider's pricing page.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "claude-sonnet-4-6": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "gemini-2.5-flash": (0.30, 2.50),
    "deepseek-chat": (0.28, 0.42),
    "SmolLM2-135M-Instruct": (0.0, 0.0),
}

# What the embedded server calls itself in every response's `model` field.
LOCAL_MODEL_NAME = "local:SmolLM2-135M-Instruct"
# The stand-in key the SDKs get when they are pointed at the embedded server (never a real key).
LOCAL_API_KEY = "llmcourse-local"

# Where the course lives (Colab badges and install cells point here).
REPO = "llmcourse/llm-engineering"
REPO_URL = f"https://github.com/{REPO}"
