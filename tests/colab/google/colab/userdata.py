"""A stand-in for `google.colab.userdata` (Colab secrets) with the real module's behaviour.

Real Colab: `get(key)` raises `SecretNotFoundError` when the secret does not exist,
`NotebookAccessError` when it exists but the notebook was not given access, and `TimeoutException`
when there is no Colab page to ask. Here the secrets come from the JSON file named by
`FAKE_COLAB_SECRETS`: {"secrets": {NAME: VALUE}, "no_access": [NAME, ...], "timeout": false}.
Every request is appended to `requests` so a test can see what was asked.
"""

import json
import os
import re


class Error(Exception):
    """Base of Colab's errors (google.colab.errors.Error)."""


class NotebookAccessError(Exception):
    """The current notebook doesn't have access to the requested secret."""

    def __init__(self, key):
        super().__init__(f"Notebook does not have access to secret {key}")


class SecretNotFoundError(Error):
    """The requested secret is not found."""

    def __init__(self, key):
        super().__init__(f"Secret {key} does not exist.")


class TimeoutException(Error):
    """Requesting a secret timed out (no Colab UI)."""

    def __init__(self, key):
        super().__init__(
            f"Requesting secret {key} timed out. Secrets can only be fetched when running from the Colab UI."
        )


requests: list[str] = []


def _store() -> dict:
    path = os.environ.get("FAKE_COLAB_SECRETS")
    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def get(key):
    """The secret's value, or one of the three errors, like Colab's own `userdata.get`."""
    if not key or not isinstance(key, str):
        raise ValueError("Please enter a valid secret name")
    if re.search(r"\s", key):
        raise ValueError("Secret name cannot contain spaces or whitespace")
    requests.append(key)
    store = _store()
    if store.get("timeout"):
        raise TimeoutException(key)
    secrets = store.get("secrets", {})
    if key not in secrets:
        raise SecretNotFoundError(key)
    if key in store.get("no_access", []):
        raise NotebookAccessError(key)
    return secrets[key]
