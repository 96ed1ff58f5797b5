"""API keys: load them (.env, Colab secrets, environment), check them, and show them only masked.

`load_keys()` reads the `.env` file found from the current folder upward (a notebook's kernel runs
in the notebook's folder), then Colab secrets when on Colab; it never overrides a variable already
set in the environment. `check_keys()` gives one row per provider key: missing, fine, local
stand-in, or what is wrong and what to do (stray spaces or quotes, look-alike characters, the
placeholder from `.env.example`, a key from another provider, a `.env.txt` file...). With
`live=True` it also asks each provider, once, whether it accepts the key.

Keys are never printed: reports show `mask_key(key)`, a few characters at most, and every other
text that may hold one (errors, batch results, summaries) goes through `mask_secrets(text)`.

Keys go only to their provider: the `.env` search stops at the course folder (the one holding
week1/ or .git, see `llmcourse.envfile.course_root`), and a `.env` may point an SDK at another
address (OPENAI_BASE_URL, HTTPS_PROXY...) only when that address is this computer, or when the real
environment says LLMCOURSE_ALLOW_BASE_URL=1. `key_routes()` says where each SDK will really send its key.

One idea per module: `specs` (the key variables), `masking`, `lint` (one key's problems),
`envfiles` (finding and reading .env), `routes` (where keys go), `loading` (.env and Colab
secrets into the environment), `explain` (HTTP statuses and network errors in words), `live`
(asking a provider) and `report` (`check_keys`).

Example:
    >>> from llmcourse.keys import mask_key
    >>> mask_key("sk-proj-" "abcdefghijklmnopqrstuvwxyz0123456789x9Zq")
    'sk-p...x9Zq'
"""

from __future__ import annotations

from llmcourse.keys.envfiles import env_file_problems, find_env_file, misnamed_env_files
from llmcourse.keys.explain import explain_network_error, explain_sdk_error, explain_status, is_network_error
from llmcourse.keys.lint import is_placeholder, key_problems, misplaced_key
from llmcourse.keys.live import live_check
from llmcourse.keys.loading import colab_secret_advice, load_keys
from llmcourse.keys.masking import mask_key, mask_secrets
from llmcourse.keys.report import KeyReport, KeyResult, check_keys
from llmcourse.keys.routes import ALLOW_BASE_URL_VARIABLE, KeyRoute, is_routing_variable, key_routes
from llmcourse.keys.specs import KEY_SPECS, KeySpec

__all__ = [
    "ALLOW_BASE_URL_VARIABLE",
    "KEY_SPECS",
    "KeyReport",
    "KeyResult",
    "KeyRoute",
    "KeySpec",
    "check_keys",
    "colab_secret_advice",
    "env_file_problems",
    "explain_network_error",
    "explain_sdk_error",
    "explain_status",
    "find_env_file",
    "is_network_error",
    "is_placeholder",
    "is_routing_variable",
    "key_problems",
    "key_routes",
    "live_check",
    "load_keys",
    "mask_key",
    "mask_secrets",
    "misnamed_env_files",
    "misplaced_key",
]
