"""One chat request, whichever SDK serves the provider: the OpenAI SDK (most providers) or Anthropic's.

The SDKs' own retries are switched off (`max_retries=0`) so the batch runner's policy is the only
one, and every attempt is visible. Providers come from `llmcourse.providers` (a name), or from an
explicit `base_url` / `api_key`, or from a client you made yourself (sync or async).

Example:
    >>> caller = make_caller(base_url="http://127.0.0.1:8800/v1", api_key="llmcourse-local")  # doctest: +SKIP
    >>> reply = await caller("SmolLM2-135M-Instruct", [{"role": "user", "content": "Hi"}], {}, 30.0)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from llmcourse.chat import to_anthropic_messages

__all__ = ["Caller", "GarbledReply", "Reply", "async_twin", "default_model", "make_caller", "openai_key_for"]


class GarbledReply(Exception):
    """A 200 answer whose body is not the JSON the SDK expects (a proxy's HTML page, a cut-off body).

    Such a hiccup says nothing about the request, so the runner retries it like a 5xx.

    Example:
        >>> GarbledReply("not JSON").status_code
        200
    """

    status_code = 200


async def _checked(call: Any, fields: tuple[str, ...]) -> Any:
    """Await the SDK call; a 200 whose body did not parse, or lacks `fields` (lists), raises GarbledReply."""
    try:
        response = await call
    except json.JSONDecodeError as error:
        raise GarbledReply(
            f"the provider answered 200 but the body is not valid JSON ({error.msg} at character "
            f"{error.pos}): {error.doc[:120]!r}"
        ) from None
    if isinstance(response, str | bytes):  # the SDK hands back the text of a non-JSON content type
        raise GarbledReply(f"the provider answered 200 with a body that is not JSON: {response[:120]!r}")
    missing = [name for name in fields if not isinstance(getattr(response, name, None), list)]
    if missing:
        raise GarbledReply(f"the provider answered 200 but the body has no {', '.join(missing)}: {response!r:.200}")
    return response


@dataclass(frozen=True)
class Reply:
    """The parts of a chat response the batch runner keeps.

    Example:
        >>> Reply("positive", {"input_tokens": 12, "output_tokens": 1, "total_tokens": 13}, "some-model").text
        'positive'
    """

    text: str
    usage: dict[str, int] | None
    model: str | None
    finish_reason: str | None = None


@dataclass
class Caller:
    """An awaitable `(model, messages, params, timeout) -> Reply`, plus how to close what it opened.

    Example:
        >>> Caller(call=None, sdk="openai").sdk  # doctest: +SKIP
        'openai'
    """

    call: Callable[[str, list[dict[str, Any]], dict[str, Any], float], Awaitable[Reply]]
    sdk: str
    default_model: str | None = None
    description: str = ""
    _close: Callable[[], Awaitable[None]] | None = None

    async def __call__(
        self, model: str, messages: list[dict[str, Any]], params: dict[str, Any], timeout: float
    ) -> Reply:
        return await self.call(model, messages, params, timeout)

    async def aclose(self) -> None:
        """Close the HTTP client if this caller created it."""
        if self._close is not None:
            await self._close()


def default_model(provider: str | None) -> str:
    """The course's default model for a provider (from the provider table; OpenAI's when None).

    Example:
        >>> from llmcourse.settings import MODELS
        >>> default_model("deepseek") == MODELS["deepseek"]
        True
    """
    from llmcourse.providers import get_provider

    return get_provider(provider or "openai").default_model


def _is_openai_address(base_url: str | None) -> bool:
    host = urlparse(base_url).hostname if base_url else "api.openai.com"
    return host == "api.openai.com"


def openai_key_for(base_url: str | None) -> str:
    """The OpenAI key for an OpenAI-SDK client aimed at `base_url`, or a placeholder when it must not go there.

    Never send an OpenAI key to another company's server: only to OpenAI, or to where setup()
    pointed the OpenAI SDK (OPENAI_BASE_URL, e.g. the embedded local model).

    Example:
        >>> openai_key_for("https://api.deepseek.com/v1")
        'no-key-set'
    """
    key = os.environ.get("OPENAI_API_KEY", "")
    env_url = os.environ.get("OPENAI_BASE_URL", "").rstrip("/")
    if key and (_is_openai_address(base_url) or (base_url or "").rstrip("/") == env_url):
        return key
    return "no-key-set"  # local servers ignore it; a real provider answers 401, recorded once


def _usage_openai(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    prompt, completion = getattr(usage, "prompt_tokens", None) or 0, getattr(usage, "completion_tokens", None) or 0
    return {
        "input_tokens": prompt,
        "output_tokens": completion,
        "total_tokens": getattr(usage, "total_tokens", None) or prompt + completion,
    }


async def _invoke(create: Callable[..., Any], is_async: bool, kwargs: dict[str, Any]) -> Any:
    # An async client's method returns an awaitable; a sync client's call blocks, so it goes to a thread.
    if not is_async:
        return await asyncio.to_thread(create, **kwargs)
    result = create(**kwargs)
    return await result if inspect.isawaitable(result) else result


def _is_async_client(client: Any) -> bool:
    return type(client).__name__.startswith("Async")


def _openai_caller(client: Any, description: str, owned: bool, model: str | None) -> Caller:
    client = client.with_options(max_retries=0) if hasattr(client, "with_options") else client
    create = client.chat.completions.create
    is_async = _is_async_client(client)

    async def call(model: str, messages: list[dict[str, Any]], params: dict[str, Any], timeout: float) -> Reply:
        kwargs = {"model": model, "messages": messages, "timeout": timeout, **params}
        response = await _checked(_invoke(create, is_async, kwargs), ("choices",))
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content or "") if choice is not None else ""
        return Reply(
            text, _usage_openai(response.usage), response.model, choice.finish_reason if choice is not None else None
        )

    close = client.close if owned else None
    return Caller(call, "openai", model, description, close)


def _anthropic_caller(client: Any, description: str, owned: bool, model: str | None) -> Caller:
    client = client.with_options(max_retries=0) if hasattr(client, "with_options") else client
    create = client.messages.create
    is_async = _is_async_client(client)

    async def call(model: str, messages: list[dict[str, Any]], params: dict[str, Any], timeout: float) -> Reply:
        system, converted = to_anthropic_messages(messages)  # the one converter (images kept as image blocks)
        params = dict(params)
        params.pop("response_format", None)  # Anthropic has no JSON mode: ask for JSON in the prompt
        max_tokens = params.pop("max_tokens", None) or params.pop("max_completion_tokens", None) or 1024
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": converted,
            "max_tokens": max_tokens,
            "timeout": timeout,
            **params,
        }
        if system:
            kwargs["system"] = system
        response = await _checked(_invoke(create, is_async, kwargs), ("content",))
        if getattr(response, "usage", None) is None:
            raise GarbledReply(f"the provider answered 200 but the body has no usage: {response!r:.200}")
        text = "".join(getattr(block, "text", "") for block in response.content)
        usage = {
            "input_tokens": response.usage.input_tokens,
            "output_tokens": response.usage.output_tokens,
            "total_tokens": response.usage.input_tokens + response.usage.output_tokens,
        }
        return Reply(text, usage, response.model, response.stop_reason)

    close = client.close if owned else None
    return Caller(call, "anthropic", model, description, close)


def async_twin(provider: str) -> tuple[Any, str]:
    """An async client with the same address and key as `llmcourse.clients.client(provider)`, and its SDK.

    The provider table decides the address, the key (only the provider's own variable) and whether
    offline mode sends it to the local model; the batch runner needs the async flavour of that client.

    Example:
        >>> client, sdk = async_twin("openai")   # doctest: +SKIP
    """
    from llmcourse.clients import client as sync_client
    from llmcourse.providers import get_provider

    row = get_provider(provider)
    if row.sdk == "replicate":
        raise ValueError(
            "Replicate is not an OpenAI-compatible chat API, so the batch runner cannot drive it; "
            "pick another provider or pass client="
        )
    if row.sdk == "ollama":  # Ollama also speaks the OpenAI API under /v1
        import openai

        host = str(getattr(getattr(sync_client(provider), "_client", None), "base_url", "") or row.base_url)
        return openai.AsyncOpenAI(base_url=host.rstrip("/") + "/v1", api_key="ollama", max_retries=0), "openai"
    made = sync_client(provider, max_retries=0)
    base_url, api_key = str(made.base_url), made.api_key
    made.close()
    if row.sdk == "anthropic":
        import anthropic

        return anthropic.AsyncAnthropic(base_url=base_url, api_key=api_key, max_retries=0), "anthropic"
    import openai

    return openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0), "openai"


def make_caller(
    *,
    provider: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    api_key_env: str | None = None,
    client: Any = None,
) -> Caller:
    """Build the caller: an explicit `client` wins, then `base_url` (+ `api_key` or `api_key_env`), then
    the provider table (`llmcourse.providers`; "openai" when nothing is given, which follows the OpenAI
    SDK's environment, where `llmcourse.setup()` points it).

    Example:
        >>> make_caller(base_url="http://127.0.0.1:9/v1", api_key="test").sdk
        'openai'
    """
    if client is not None:
        sdk = "anthropic" if hasattr(client, "messages") and not hasattr(client, "chat") else "openai"
        maker = _anthropic_caller if sdk == "anthropic" else _openai_caller
        return maker(client, f"{type(client).__name__} you passed", False, None)
    if api_key is None and api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise ValueError(
                f"the environment variable {api_key_env} is not set; put the key in .env and run "
                "llmcourse.setup() (or llmcourse.load_keys())"
            )
    if base_url is not None:
        if provider is not None:
            raise ValueError("pass either provider= or base_url=, not both")
        import openai

        made = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or openai_key_for(base_url), max_retries=0)
        return _openai_caller(made, f"OpenAI SDK -> {base_url}", True, None)
    if api_key is not None:
        raise ValueError("api_key= needs base_url= (a provider's key is read from its own variable)")
    from llmcourse.providers import get_provider

    name = provider or "openai"
    made, sdk = async_twin(name)
    maker = _anthropic_caller if sdk == "anthropic" else _openai_caller
    return maker(made, f"{name} via the {sdk} SDK ({made.base_url})", True, get_provider(name).default_model)
