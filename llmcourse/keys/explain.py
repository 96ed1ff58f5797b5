"""What an HTTP status or a connection error from a provider means for the learner, and what to do.

The one place these sentences are written: live key checks, `llmcourse doctor` and error
messages all use them.

Example:
    >>> from llmcourse.keys.explain import explain_status
    >>> explain_status("DeepSeek", 503, "https://platform.deepseek.com/api_keys")
    'DeepSeek had a server error (503): not your fault. Try again in a few minutes.'
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["explain_network_error", "explain_status"]


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
        >>> explain_network_error("OpenAI", "https://api.openai.com/v1", TimeoutError(), 5.0)[:35]
        'OpenAI did not answer within 5.0 s '
    """
    import requests

    host = urlsplit(url).netloc or url
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
        seconds = f" within {timeout} s" if timeout else ""
        return (
            f"{label} did not answer{seconds} at {host}: the network is slow or blocked. Check your internet "
            "connection, VPN, firewall or proxy (HTTPS_PROXY), then try again."
        )
    return (
        f"Could not connect to {label} at {host}: check your internet connection, and that no firewall, VPN "
        "or proxy (HTTPS_PROXY) blocks it. Behind a company network, ask for the proxy settings."
    )
