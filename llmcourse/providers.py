"""The providers the course can call, as one table of data (no behaviour: `llmcourse.clients` builds clients).

Every provider is a row of `PROVIDERS`: where it lives, which key variable it reads, which key
prefixes it uses, its default model (from `llmcourse.settings.MODELS`), which SDK talks to it and
what it supports. `llmcourse.clients.client(name)` builds that SDK's client from the row, and
`llmcourse.clients.available()` says which rows can be used right now.

Example:
    >>> from llmcourse.providers import PROVIDERS
    >>> PROVIDERS["deepseek"].base_url
    'https://api.deepseek.com'
    >>> PROVIDERS["gemini"].key_var
    'GOOGLE_API_KEY'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from llmcourse.env import OLLAMA_DEFAULT
from llmcourse.settings import MODELS, REPO_URL

__all__ = ["PROVIDERS", "Provider", "get_provider"]

SDK = Literal["openai", "anthropic", "ollama", "replicate"]

# Where each SDK goes when it is given no base URL (the provider's own public address).
_SDK_DEFAULT_URL: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
    "replicate": "https://api.replicate.com",
    "ollama": OLLAMA_DEFAULT,
}


@dataclass(frozen=True)
class Provider:
    """One provider: where it lives, which key it reads, and what it supports.

    `base_url` None means "the SDK's default" (the SDK then also honours its own environment
    variable, such as OPENAI_BASE_URL). `check_path` is the cheap request used to test a key
    (relative to `endpoint`) and `auth` how the key is sent there.

    Example:
        >>> p = PROVIDERS["openai"]
        >>> p.sdk, p.key_var, p.endpoint
        ('openai', 'OPENAI_API_KEY', 'https://api.openai.com/v1')
    """

    name: str
    label: str
    base_url: str | None
    key_vars: tuple[str, ...]
    key_prefixes: tuple[str, ...]
    default_model: str
    sdk: SDK
    stream: bool
    json_mode: bool
    tools: bool
    keys_url: str
    check_path: str = "models"
    auth: Literal["bearer", "x-api-key", "none"] = "bearer"

    @property
    def key_var(self) -> str | None:
        """The variable named in `.env.example` (the first of `key_vars`), or None for keyless providers."""
        return self.key_vars[0] if self.key_vars else None

    @property
    def endpoint(self) -> str | None:
        """The provider's own address: `base_url`, else the SDK's default (None for the local model)."""
        if self.name == "local":
            return None
        return self.base_url or _SDK_DEFAULT_URL[self.sdk]


def _row(
    name: str,
    label: str,
    base_url: str | None,
    key_vars: tuple[str, ...],
    prefixes: tuple[str, ...],
    sdk: SDK,
    stream: bool,
    json_mode: bool,
    tools: bool,
    keys_url: str,
    **extra: Any,
) -> Provider:
    model_key = "anthropic" if name == "anthropic_openai" else name
    return Provider(
        name, label, base_url, key_vars, prefixes, MODELS[model_key], sdk, stream, json_mode, tools, keys_url, **extra
    )


# The table. Endpoints: each vendor's documentation of its OpenAI-compatible endpoint.
PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        _row(
            "openai",
            "OpenAI",
            None,
            ("OPENAI_API_KEY",),
            ("sk-proj-", "sk-svcacct-", "sk-"),
            "openai",
            True,
            True,
            True,
            "https://platform.openai.com/api-keys",
        ),
        _row(
            "anthropic",
            "Anthropic (Claude)",
            None,
            ("ANTHROPIC_API_KEY",),
            ("sk-ant-",),
            "anthropic",
            True,
            False,
            True,
            "https://console.anthropic.com/settings/keys",
            check_path="v1/models",
            auth="x-api-key",
        ),
        # Anthropic's OpenAI-compatible endpoint ignores response_format: no JSON mode.
        _row(
            "anthropic_openai",
            "Anthropic via the OpenAI SDK",
            "https://api.anthropic.com/v1/",
            ("ANTHROPIC_API_KEY",),
            ("sk-ant-",),
            "openai",
            True,
            False,
            True,
            "https://console.anthropic.com/settings/keys",
            auth="x-api-key",
        ),
        _row(
            "gemini",
            "Google Gemini",
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
            ("AIza",),
            "openai",
            True,
            True,
            True,
            "https://aistudio.google.com/apikey",
        ),
        _row(
            "deepseek",
            "DeepSeek",
            "https://api.deepseek.com",
            ("DEEPSEEK_API_KEY",),
            ("sk-",),
            "openai",
            True,
            True,
            True,
            "https://platform.deepseek.com/api_keys",
        ),
        # GLM keys look like "<id>.<secret>" (no fixed prefix); JSON mode is not listed on the compat page.
        _row(
            "zhipu",
            "Zhipu GLM",
            "https://open.bigmodel.cn/api/paas/v4/",
            ("ZHIPUAI_API_KEY",),
            (),
            "openai",
            True,
            False,
            True,
            "https://open.bigmodel.cn/usercenter/apikeys",
        ),
        _row(
            "qwen",
            "Qwen (Alibaba DashScope)",
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            ("DASHSCOPE_API_KEY",),
            ("sk-",),
            "openai",
            True,
            True,
            True,
            "https://dashscope.console.aliyun.com/apiKey",
        ),
        _row(
            "qianfan",
            "Baidu Qianfan (ERNIE)",
            "https://qianfan.baidubce.com/v2",
            ("QIANFAN_API_KEY",),
            ("bce-v3/",),
            "openai",
            True,
            False,
            True,
            "https://console.bce.baidu.com/iam/#/iam/apikey/list",
        ),
        # ModelScope API-Inference: open models (Qwen, DeepSeek, GLM...) behind an OpenAI-compatible endpoint,
        # with a free daily quota. MODELSCOPE_API_TOKEN is the variable the `modelscope` library reads too.
        _row(
            "modelscope",
            "ModelScope API-Inference",
            "https://api-inference.modelscope.cn/v1/",
            ("MODELSCOPE_API_TOKEN",),
            ("ms-",),
            "openai",
            True,
            False,
            True,
            "https://modelscope.cn/my/myaccesstoken",
        ),
        # Routers and fast hosts, all OpenAI-compatible. OpenRouter: one key, models of every lab
        # ("openai/...", "anthropic/..."); its key check is GET /key (its model list is public).
        _row(
            "openrouter",
            "OpenRouter",
            "https://openrouter.ai/api/v1",
            ("OPENROUTER_API_KEY",),
            ("sk-or-",),
            "openai",
            True,
            True,
            True,
            "https://openrouter.ai/settings/keys",
            check_path="key",
        ),
        _row(
            "groq",
            "Groq",
            "https://api.groq.com/openai/v1",
            ("GROQ_API_KEY",),
            ("gsk_",),
            "openai",
            True,
            True,
            True,
            "https://console.groq.com/keys",
        ),
        _row(
            "xai",
            "xAI (Grok)",
            "https://api.x.ai/v1",
            ("XAI_API_KEY",),
            ("xai-",),
            "openai",
            True,
            True,
            True,
            "https://console.x.ai",
        ),
        _row(
            "ollama",
            "Ollama (on your computer)",
            OLLAMA_DEFAULT,
            (),
            (),
            "ollama",
            True,
            True,
            True,
            "https://ollama.com/download",
            check_path="api/tags",
            auth="none",
        ),
        _row(
            "replicate",
            "Replicate",
            None,
            ("REPLICATE_API_TOKEN",),
            ("r8_",),
            "replicate",
            True,
            False,
            False,
            "https://replicate.com/account/api-tokens",
            check_path="v1/account",
        ),
        _row(
            "local",
            "Local model (embedded)",
            None,
            (),
            (),
            "openai",
            True,
            True,
            True,
            f"{REPO_URL}#offline-mode",
            auth="none",
        ),
    )
}


def get_provider(name: str) -> Provider:
    """The row of `PROVIDERS` called `name` (a clear error listing the names otherwise).

    Example:
        >>> get_provider("qwen").base_url
        'https://dashscope.aliyuncs.com/compatible-mode/v1'
    """
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ValueError(f"Unknown provider {name!r}. Known providers: {', '.join(PROVIDERS)}.") from None
