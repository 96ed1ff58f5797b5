"""Live key checks: ask a provider, once and cheaply, whether it accepts the key (never following a redirect).

Example:
    >>> from llmcourse.keys.live import live_check
    >>> live_check("openai")                                 # doctest: +SKIP
    'OpenAI accepted the key.'
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from llmcourse.env import is_loopback, offline_requested, ollama_url
from llmcourse.keys.explain import error_code, explain_network_error, explain_status
from llmcourse.keys.masking import mask_secrets
from llmcourse.keys.specs import KEY_SPECS, KeySpec
from llmcourse.providers import PROVIDERS, Provider
from llmcourse.settings import LOCAL_API_KEY

__all__ = ["live_check", "live_result"]


def _spec_for(name: str) -> tuple[KeySpec | None, Provider | None]:
    if name in PROVIDERS:
        provider = PROVIDERS[name]
        return (KEY_SPECS[provider.key_var] if provider.key_var else None), provider
    if name in KEY_SPECS:
        return KEY_SPECS[name], None
    for spec in KEY_SPECS.values():
        if name in spec.providers:
            return spec, None
    raise ValueError(f"Unknown provider {name!r}. Known: {', '.join([*PROVIDERS, 'huggingface'])}.")


def live_result(name: str, *, key: str | None, base_url: str | None, timeout: float) -> tuple[bool | None, str]:
    """(accepted?, sentence) for `live_check`. accepted is True (key works), False (key refused) or None (could not tell).

    Example:
        >>> live_result("openai", key=None, base_url=None, timeout=5.0)   # doctest: +SKIP
        (True, 'OpenAI accepted the key.')
    """
    import requests

    spec, provider = _spec_for(name)
    label = provider.label if provider else spec.label  # type: ignore[union-attr]
    if provider is not None and provider.name == "local":
        endpoint = base_url or _local_endpoint()
    elif provider is not None and provider.name == "ollama":
        endpoint = base_url or ollama_url()
    else:
        endpoint = base_url or (provider.endpoint if provider else spec.endpoint)  # type: ignore[union-attr]
    check_path = provider.check_path if provider else spec.check_path  # type: ignore[union-attr]
    auth = provider.auth if provider else spec.auth  # type: ignore[union-attr]
    headers: dict[str, str] = {}
    if spec is not None and auth != "none":
        if key is None:
            key = next((os.environ[v] for v in spec.variables if os.environ.get(v, "").strip()), None)
        if not key:
            return None, f"No {spec.variable} is set: get a {spec.label} key at {spec.keys_url} and add it to .env."
        key = key.strip()
        if key == LOCAL_API_KEY:
            return None, f"No {spec.variable} is set (the local model answers for now): nothing to check."
        if auth == "x-api-key":
            headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
        else:
            headers = {"Authorization": f"Bearer {key}"}
    if not endpoint:
        return None, f"{label}: no address to check."
    if offline_requested() and not is_loopback(endpoint):
        return None, f"Offline mode is on: {label} at {urlsplit(endpoint).netloc} was not contacted."
    url = endpoint.rstrip("/") + "/" + check_path
    try:
        # Never follow a redirect: it would carry the key to wherever the answer points.
        with requests.get(url, headers=headers, timeout=timeout, allow_redirects=False) as response:
            response.content  # noqa: B018 - read it all before the connection closes
    except requests.RequestException as error:
        return None, mask_secrets(explain_network_error(label, endpoint, error, timeout))
    if response.is_redirect:
        target = urlsplit(response.headers.get("Location", "")).netloc or "another address"
        return None, (
            f"{label} at {urlsplit(endpoint).netloc} answered with a redirect to {target}; it was not "
            "followed, so the key went nowhere else. Check the address (a base URL or proxy setting?)."
        )
    keys_url = spec.keys_url if spec else (provider.keys_url if provider else "")
    if response.ok and not headers:
        return True, f"{label} answers at {urlsplit(endpoint).netloc}."
    try:
        code = error_code(response.json())
    except ValueError:  # not JSON (a proxy's page): the status alone says enough
        code = None
    sentence = explain_status(label, response.status_code, keys_url, spec.variable if spec else None, code)
    if response.ok:
        return True, sentence
    return (False if response.status_code in (401, 403) else None), sentence


def _local_endpoint() -> str | None:
    url = os.environ.get("LLMCOURSE_LOCAL_URL")
    if url:
        return url.rstrip("/") + "/v1"
    try:
        from llmcourse.local import start
    except ImportError:
        return None
    return start().openai_url


def live_check(provider: str, *, key: str | None = None, base_url: str | None = None, timeout: float = 5.0) -> str:
    """Ask the provider, once and cheaply (list its models), whether it accepts the key; one sentence back.

    The key goes only to that provider's own address (or to `base_url` when you give one); a
    redirect is reported, never followed, so the key cannot be carried anywhere else.
    401, 403, 429, timeouts and network errors each come back as what to do. In offline mode
    (LLMCOURSE_OFFLINE=1) only addresses on this computer are contacted.

    Example:
        >>> live_check("openai")                                 # doctest: +SKIP
        'OpenAI accepted the key.'
    """
    return live_result(provider, key=key, base_url=base_url, timeout=timeout)[1]


# --- the report ---------------------------------------------------------------------------------
