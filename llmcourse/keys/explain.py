"""What an HTTP status or a connection error from a provider means for the learner, and what to do.

The one place these sentences are written: live key checks, `llmcourse doctor`, the model lists
(`llmcourse.models`) and error messages all use them. `explain_sdk_error` reads an SDK's exception
(OpenAI, Anthropic, Ollama, requests, httpx) and picks the right one.

Example:
    >>> from llmcourse.keys.explain import explain_status
    >>> explain_status("DeepSeek", 503, "https://platform.deepseek.com/api_keys")
    'DeepSeek had a server error (503): not your fault. Try again in a few minutes.'
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["error_code", "explain_network_error", "explain_sdk_error", "explain_status", "is_network_error"]

# Exception class names (anywhere in the class hierarchy) that mean the request never got an HTTP answer.
_NETWORK_ERRORS = frozenset({"APIConnectionError", "APITimeoutError", "TransportError", "TimeoutException"})


def explain_status(label: str, status: int, keys_url: str, variable: str | None = None, code: str | None = None) -> str:
    """One sentence on what an HTTP status from a provider means for the learner, and what to do.

    Example:
        >>> explain_status("OpenAI", 401, "https://platform.openai.com/api-keys", "OPENAI_API_KEY")[:40]
        'OpenAI rejected the key (401 Unauthorize'
    """
    name = variable or "the key"
    if 200 <= status < 300:
        return f"{label} accepted the key."
    if status == 401:
        return (
            f"{label} rejected the key (401 Unauthorized): it is wrong, revoked or cut off. Create a new key "
            f"at {keys_url} and put it in .env as {name}=<key>, then restart the kernel."
        )
    if status == 403:
        return (
            f"{label} refused the request (403 Forbidden): the key is known but not allowed to do this. Check "
            f"the key's project and permissions, that the API is enabled for your account and available in "
            f"your region, at {keys_url}."
        )
    if status == 429:
        if code == "insufficient_quota":
            return (
                f"{label} says you have no credit left (429 insufficient_quota): add credit or a payment "
                f"method in the billing page of your account ({keys_url})."
            )
        return (
            f"{label} says too many requests or no credit (429): wait a minute and try again; if it persists, "
            f"check your credit and limits in your account ({keys_url})."
        )
    if status == 404:
        return (
            f"{label} answered 404 Not Found: the address is wrong or has no model list there. Check the "
            "base URL; the key itself was not confirmed."
        )
    if status >= 500:
        return f"{label} had a server error ({status}): not your fault. Try again in a few minutes."
    return f"{label} answered HTTP {status}: the key could not be confirmed. Check the provider's status page."


def explain_network_error(label: str, url: str, error: BaseException, timeout: float | None = None) -> str:
    """One sentence on a connection problem (timeout, refused, DNS, proxy, certificate), and what to do.

    Example:
        >>> explain_network_error("OpenAI", "https://api.openai.com/v1", TimeoutError(), 5.0)[:33]
        'OpenAI did not answer within 5 s '
    """
    import requests

    host = urlsplit(url).netloc.rpartition("@")[2] or url  # never a user:password@ part
    text = f"{type(error).__name__}: {error}".lower()
    if isinstance(error, requests.exceptions.SSLError) or "certificate" in text or "ssl" in text:
        return (
            f"The secure connection to {host} failed (certificate problem). A company proxy or antivirus "
            "may be intercepting HTTPS: ask for its certificate and set REQUESTS_CA_BUNDLE and SSL_CERT_FILE "
            "to it, or try another network."
        )
    if isinstance(error, requests.exceptions.ProxyError) or "proxy" in text:
        return (
            f"The proxy refused the connection to {host}: check HTTPS_PROXY / HTTP_PROXY (or unset them), "
            "or try another network."
        )
    if isinstance(error, (requests.exceptions.Timeout, TimeoutError)) or "timed out" in text:
        seconds = f" within {timeout:g} s" if timeout else ""
        return (
            f"{label} did not answer{seconds} at {host}: the network is slow or blocked. Check your internet "
            "connection, VPN, firewall or proxy (HTTPS_PROXY), then try again."
        )
    return (
        f"Could not connect to {label} at {host}: check your internet connection, and that no firewall, VPN "
        "or proxy (HTTPS_PROXY) blocks it. Behind a company network, ask for the proxy settings."
    )


def is_network_error(error: BaseException) -> bool:
    """True when `error` means no HTTP answer came back (timeout, refused, DNS, proxy, TLS), whichever library raised it.

    Example:
        >>> is_network_error(TimeoutError()), is_network_error(ValueError("bad JSON"))
        (True, False)
    """
    if isinstance(error, OSError):  # builtin ConnectionError and TimeoutError, requests' errors, socket errors
        return True
    return any(cls.__name__ in _NETWORK_ERRORS for cls in type(error).__mro__)


def error_code(body: object) -> str | None:
    """The provider's error code in an error body (`{"error": {"code": ...}}` or `{"code": ...}`), if any.

    Example:
        >>> error_code({"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}})
        'insufficient_quota'
        >>> error_code("<html>Bad gateway</html>") is None
        True
    """
    if not isinstance(body, dict):
        return None
    inner = body.get("error") if isinstance(body.get("error"), dict) else body
    code = inner.get("code")
    return code if isinstance(code, str) else None


def explain_sdk_error(
    label: str,
    error: BaseException,
    keys_url: str,
    variable: str | None = None,
    *,
    url: str = "",
    timeout: float | None = None,
) -> str | None:
    """One sentence for an SDK's exception: its HTTP status (`explain_status`, with the provider's error code)
    or its network problem (`explain_network_error`, `url` being where the request went); None otherwise.

    Example:
        >>> import httpx, openai
        >>> answer = httpx.Response(429, request=httpx.Request("GET", "https://api.openai.com/v1/models"))
        >>> error = openai.RateLimitError("no credit", response=answer, body={"code": "insufficient_quota"})
        >>> explain_sdk_error("OpenAI", error, "https://platform.openai.com/api-keys").split(":")[0]
        'OpenAI says you have no credit left (429 insufficient_quota)'
        >>> explain_sdk_error("OpenAI", ValueError("not JSON"), "https://platform.openai.com/api-keys") is None
        True
    """
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        return explain_status(label, status, keys_url, variable, error_code(getattr(error, "body", None)))
    if is_network_error(error):
        return explain_network_error(label, url or label, error, timeout)
    return None
