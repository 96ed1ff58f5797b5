"""API keys: load them (.env, Colab secrets, environment), check them, and show them only masked.

`load_keys()` reads the `.env` file found from the current folder upward (a notebook's kernel runs
in the notebook's folder), then Colab secrets when on Colab; it never overrides a variable already
set in the environment. `check_keys()` gives one row per provider key: missing, fine, local
stand-in, or what is wrong and what to do (stray spaces or quotes, look-alike characters, the
placeholder from `.env.example`, a key from another provider, a `.env.txt` file...). With
`live=True` it also asks each provider, once, whether it accepts the key.

Keys are never printed: reports show `mask_key(key)`, a few characters at most.

Example:
    >>> from llmcourse.keys import mask_key
    >>> mask_key("sk-proj-" "abcdefghijklmnopqrstuvwxyz0123456789x9Zq")
    'sk-p...x9Zq'
"""

from __future__ import annotations

import difflib
import html
import ipaddress
import os
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from llmcourse.providers import PROVIDERS, Provider
from llmcourse.settings import LOCAL_API_KEY

__all__ = [
    "KEY_SPECS",
    "KeyReport",
    "KeyResult",
    "KeySpec",
    "check_keys",
    "env_file_problems",
    "explain_network_error",
    "explain_status",
    "find_env_file",
    "is_placeholder",
    "key_problems",
    "live_check",
    "load_keys",
    "mask_key",
    "misnamed_env_files",
]


@dataclass(frozen=True)
class KeySpec:
    """One key variable: which providers use it, its usual prefixes and where to get one.

    Built from `PROVIDERS` (one row per key variable) plus Hugging Face's `HF_TOKEN`.

    Example:
        >>> KEY_SPECS["ANTHROPIC_API_KEY"].providers
        ('anthropic', 'anthropic_openai')
    """

    variable: str
    aliases: tuple[str, ...]
    providers: tuple[str, ...]
    label: str
    prefixes: tuple[str, ...]
    keys_url: str
    endpoint: str
    check_path: str
    auth: str

    @property
    def variables(self) -> tuple[str, ...]:
        """The documented variable first, then the other names that are accepted."""
        return (self.variable, *self.aliases)


def _specs() -> dict[str, KeySpec]:
    specs: dict[str, KeySpec] = {}
    for provider in PROVIDERS.values():
        if not provider.key_vars:
            continue
        if provider.key_var in specs:  # e.g. anthropic_openai reuses ANTHROPIC_API_KEY
            old = specs[provider.key_var]
            specs[provider.key_var] = replace(old, providers=old.providers + (provider.name,))
            continue
        specs[provider.key_var] = KeySpec(
            provider.key_var, provider.key_vars[1:], (provider.name,), provider.label, provider.key_prefixes,
            provider.keys_url, provider.endpoint or "", provider.check_path, provider.auth,
        )
    # Hugging Face: not a chat provider here, but its token (downloads, gated models) is checked the same way.
    specs["HF_TOKEN"] = KeySpec("HF_TOKEN", (), ("huggingface",), "Hugging Face", ("hf_",),
                                "https://huggingface.co/settings/tokens", "https://huggingface.co",
                                "api/whoami-v2", "bearer")
    return specs


KEY_SPECS: dict[str, KeySpec] = _specs()

# Characters that sneak into pasted keys, with the plain character they imitate ("" = invisible).
_LOOKALIKES: dict[str, str] = {
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...",
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u3000": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
}

# The placeholders in .env.example end in "your-key-here"/"your-token-here" (a test keeps them in step).
_PLACEHOLDER = re.compile(
    r"your[-_ ]?(api[-_ ]?)?(key|token|secret)|(key|token)[-_ ]?here|paste|replace[-_ ]?me|change[-_ ]?me"
    r"|placeholder|\.\.\.|\u2026|x{6,}|^<.*>$|^\*+$",
    re.IGNORECASE,
)

# Names a forgotten or mistyped .env is often saved as (Windows hides ".txt"; the dot gets dropped).
_MISNAMED_EXACT = {"env", "env.txt", "_env", "dotenv", "dot.env", ".env.txt.txt", "env.env"}
_TEMPLATES = {".env.example", ".env.sample", ".env.template", ".env.dist"}


def mask_key(key: str | None) -> str:
    """A key with all but a few characters hidden: at most 4 leading and 4 trailing, never more than a third.

    Example:
        >>> mask_key("sk-proj-" "abcdefghijklmnopqrstuvwxyz0123456789x9Zq")
        'sk-p...x9Zq'
        >>> mask_key("abcdefghijkl")
        'ab...kl'
        >>> mask_key("")
        ''
    """
    if not key:
        return ""
    key = key.strip()
    shown = min(8, len(key) // 3)
    head, tail = (shown + 1) // 2, shown // 2
    return key[:head] + "..." + (key[-tail:] if tail else "")


def is_placeholder(value: str) -> bool:
    """True for template text such as "sk-proj-" "your-key-here", "<key>", "sk-..." or a bare prefix.

    Example:
        >>> is_placeholder("sk-proj-" "your-key-here"), is_placeholder("sk-...")
        (True, True)
        >>> is_placeholder("sk-proj-" "3vQ9kT2mZ8wX1yL5nB7cD4fG6hJ0")
        False
    """
    text = value.strip().strip("'\"")
    if not text:
        return False
    prefixes = {prefix for spec in KEY_SPECS.values() for prefix in spec.prefixes}
    return text in prefixes or text.rstrip("-_/") in {p.rstrip("-_/") for p in prefixes} or bool(
        _PLACEHOLDER.search(text))


def _plain(value: str) -> str:
    """The value without surrounding space/quotes and with look-alikes replaced (for prefix checks)."""
    text = value.strip().strip("'\"`").strip()
    return "".join(_LOOKALIKES.get(char, char) for char in text)


def _prefix_owner(key: str) -> tuple[int, set[str]]:
    """Length of the longest known prefix `key` starts with, and the key variables that use it."""
    best, owners = 0, set()
    for spec in KEY_SPECS.values():
        for prefix in spec.prefixes:
            if key.startswith(prefix):
                if len(prefix) > best:
                    best, owners = len(prefix), {spec.variable}
                elif len(prefix) == best:
                    owners.add(spec.variable)
    return best, owners


def _character_problems(variable: str, value: str) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    stripped = value.strip()
    for position, char in enumerate(stripped, start=1):
        if char in seen or (char.isascii() and char.isprintable() and not char.isspace()):
            continue
        seen.add(char)
        if char.isspace() and char.isascii():
            problems.append(f"contains a space or line break inside (character {position}): the key was "
                            "probably pasted in pieces. Copy it again in one piece.")
            continue
        name = unicodedata.name(char, "control character")
        code = f"U+{ord(char):04X}"
        plain = _LOOKALIKES.get(char)
        if plain == "":
            problems.append(f"contains an invisible {name} ({code}) at character {position}: copy the key "
                            "again straight from the provider's page, or retype it.")
        elif plain == " ":
            problems.append(f"contains a {name} ({code}) at character {position}, an unusual space that keys "
                            "never contain: delete it (or copy the key again).")
        elif plain is not None:
            problems.append(f"contains {name} ({code}) at character {position}, a look-alike of {plain!r} that "
                            f"word processors and chat apps insert: retype it as {plain!r} (edit .env in a plain "
                            "text editor).")
        else:
            problems.append(f"contains the non-ASCII character {name} ({code}) at character {position}; keys "
                            "are plain ASCII. Copy the key again from the provider's page.")
    return problems


def key_problems(variable: str, value: str) -> list[str]:
    """What is wrong with `value` as the content of `variable` (empty when nothing is), each with the fix.

    Checks: placeholder text, surrounding spaces or quotes, look-alike / invisible / non-ASCII
    characters, and a key that belongs to another provider. Never repeats the key itself.

    Example:
        >>> key_problems("OPENAI_API_KEY", " sk-proj-" "3vQ9kT2mZ8wX1yL5nB7cD4fG6hJ0")[0]
        'has a space or line break before or after it: remove it (the line should read OPENAI_API_KEY=<key> with nothing around the key).'
    """
    if is_placeholder(value):
        return [(f"is still the placeholder text from .env.example: replace it with your key "
                 f"({_where(variable)}), or delete the line if you do not use this provider.")]
    problems: list[str] = []
    if value != value.strip():
        problems.append(f"has a space or line break before or after it: remove it (the line should read "
                        f"{variable}=<key> with nothing around the key).")
    stripped = value.strip()
    if stripped[:1] in "'\"`\u2018\u2019\u201c\u201d" or stripped[-1:] in "'\"`\u2018\u2019\u201c\u201d":
        problems.append("is wrapped in quotes (or has a stray quote at one end): remove the quotes "
                        f"and write {variable}=<key>.")
    problems += _character_problems(variable, value)
    wrong = _wrong_provider(variable, _plain(value))
    if wrong:
        problems.append(wrong)
    return problems


def _where(variable: str) -> str:
    spec = KEY_SPECS.get(_canonical(variable))
    return f"get one at {spec.keys_url}" if spec else "from the provider's console"


def _canonical(variable: str) -> str:
    for spec in KEY_SPECS.values():
        if variable in spec.variables:
            return spec.variable
    return variable


def _wrong_provider(variable: str, key: str) -> str | None:
    spec = KEY_SPECS.get(_canonical(variable))
    if spec is None:
        return None
    length, owners = _prefix_owner(key)
    if not owners or spec.variable in owners:
        return None
    own = max((len(p) for p in spec.prefixes if key.startswith(p)), default=0)
    if own >= length:
        return None
    labels = " or ".join(sorted(KEY_SPECS[o].label for o in owners))
    targets = " or ".join(sorted(owners))
    return (f"looks like a key for {labels} (by its first characters), not for {spec.label}: move it to "
            f"{targets} and put your {spec.label} key here ({_where(spec.variable)}).")


def _prefix_warnings(spec: KeySpec, key: str) -> list[str]:
    warnings: list[str] = []
    if spec.prefixes and not key.startswith(spec.prefixes) and _prefix_owner(key)[1] <= {spec.variable}:
        expected = ", ".join(spec.prefixes[:-1]) + (" or " if len(spec.prefixes) > 1 else "") + spec.prefixes[-1]
        warnings.append(f"does not start with {expected} as {spec.label} keys usually do. It may still work; "
                        f"if calls fail with 401, copy the key again from {spec.keys_url}.")
    if 0 < len(key) < 20:
        warnings.append(f"is only {len(key)} characters long: it may be cut off. Copy the whole key again.")
    return warnings


# --- finding and loading .env ------------------------------------------------------------------

def _folders(start: str | os.PathLike | None) -> list[Path]:
    folder = Path(start if start is not None else os.getcwd()).expanduser().resolve()
    if folder.is_file():
        folder = folder.parent
    return [folder, *folder.parents]


def find_env_file(start: str | os.PathLike | None = None) -> Path | None:
    """The `.env` file in `start` (default: the current folder) or the nearest folder above it.

    Same search as python-dotenv's `find_dotenv(usecwd=True)`, from any starting folder.

    Example:
        >>> find_env_file()                                      # doctest: +SKIP
        PosixPath('/home/me/llm-engineering/.env')
    """
    for folder in _folders(start):
        candidate = folder / ".env"
        if candidate.is_file():
            return candidate
    return None


def _looks_misnamed(name: str) -> bool:
    lowered = name.lower()
    if name == ".env" or lowered in _TEMPLATES:
        return False
    if lowered.strip() in {".env", ".env."} or lowered in _MISNAMED_EXACT:
        return True  # ".env " with a space, ".ENV" on a case-sensitive disk, "env", "env.txt"...
    return lowered.startswith((".env.", ".env ")) or lowered.endswith(".env")


# A folder holding one of these is the course folder: the search for stray .env copies stops there.
_ROOT_MARKERS = (".env", ".git", ".env.example", "pyproject.toml")


def _nearby_folders(start: str | os.PathLike | None, levels: int = 4) -> list[Path]:
    """`start` and the folders above it, up to the course folder (or the home folder, or `levels` folders)."""
    home = Path.home().resolve()
    nearby: list[Path] = []
    for folder in _folders(start)[:levels]:
        nearby.append(folder)
        if folder == home or any((folder / marker).exists() for marker in _ROOT_MARKERS):
            break
    return nearby


def misnamed_env_files(start: str | os.PathLike | None = None) -> list[Path]:
    """Files near `start` that look like a `.env` saved under another name (`.env.txt`, `env`, `keys.env`...).

    Looks in `start` and the folders above it up to the course folder (the one with `.git`,
    `.env.example` or `.env`). Templates such as `.env.example` are not counted.

    Example:
        >>> misnamed_env_files("/nonexistent/folder")
        []
    """
    found: list[Path] = []
    for folder in _nearby_folders(start):
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        found += sorted(entry for entry in entries if _looks_misnamed(entry.name) and entry.is_file())
    return found


def _on_colab() -> bool:
    return "google.colab" in sys.modules


def env_file_problems(start: str | os.PathLike | None = None) -> list[str]:
    """Problems with the `.env` file itself (missing, misnamed, a folder), each with what to do.

    Example:
        >>> isinstance(env_file_problems(), list)
        True
    """
    env_file = find_env_file(start)
    misnamed = misnamed_env_files(start)
    problems: list[str] = []
    folder = _folders(start)[0]
    if env_file is None:
        if (folder / ".env").is_dir():
            problems.append(f"{folder / '.env'} is a folder, not a file: delete it and create a text file named .env.")
        for path in misnamed:
            problems.append(f"Found {path} but no .env: rename it to exactly .env (no extension, leading dot). "
                            "On Windows: `ren \"" + path.name + "\" .env`, or turn on File name extensions "
                            "in Explorer; on a Mac, untick 'Hide extension' in Get Info.")
    else:
        encoding_problem = _read_env_text(env_file)[1]
        if encoding_problem:
            problems.append(encoding_problem)
        for path in misnamed:
            problems.append(f"Found {path} as well as {env_file}: only .env is read. Move its keys into .env "
                            "and delete it.")
    return problems


def _read_env_text(env_file: Path) -> tuple[str, str | None]:
    """The text of a .env file and, when its encoding is not UTF-8, what to do about it."""
    raw = env_file.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # PowerShell 5's `echo ... > .env` writes UTF-16: python-dotenv cannot read it.
        return raw.decode("utf-16"), (f"{env_file} is saved as UTF-16 (PowerShell's `echo ... > .env` does that). "
                                      "Save it as UTF-8: in Notepad, File > Save As > Encoding: UTF-8.")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("latin-1"), (f"{env_file} is not saved as UTF-8: save it again with Encoding: UTF-8 "
                                       "(keys are plain ASCII, so nothing is lost).")


def _file_values(env_file: Path | None) -> dict[str, str]:
    if env_file is None:
        return {}
    import io

    from dotenv import dotenv_values

    text, _ = _read_env_text(env_file)
    return {name: value for name, value in dotenv_values(stream=io.StringIO(text)).items() if value is not None}


def _colab_secret(name: str) -> str | None:
    """A Colab secret's value, or None when it is missing or this notebook may not read it."""
    try:
        userdata = sys.modules.get("google.colab.userdata")
        if userdata is None:
            from google.colab import userdata  # type: ignore[no-redef]
    except ImportError:
        return None
    # Missing secret, or this notebook was not given access to it: both just mean "not from Colab".
    errors = tuple(getattr(userdata, n) for n in ("SecretNotFoundError", "NotebookAccessError") if hasattr(userdata, n))
    try:
        value = userdata.get(name)
    except (*errors, LookupError):
        return None
    return value or None


def _all_key_variables() -> list[str]:
    return [variable for spec in KEY_SPECS.values() for variable in spec.variables]


def _is_set(name: str) -> bool:
    return bool(os.environ.get(name, "").strip())


# Variables this process took from Colab secrets (so later reports can say where a key came from).
_FROM_COLAB: dict[str, str] = {}


def _load(start: str | os.PathLike | None) -> tuple[dict[str, str], dict[str, str]]:
    """Load .env and Colab secrets into os.environ; return (name -> value, name -> source)."""
    env_file = find_env_file(start)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, value in _file_values(env_file).items():
        # A placeholder left from .env.example is not a key: leave it out so setup() picks the local model.
        if _is_set(name) or not value.strip() or (name in _all_key_variables() and is_placeholder(value)):
            continue
        os.environ[name] = value
        values[name], sources[name] = value, str(env_file)
    if _on_colab():
        for name in _all_key_variables():
            if _is_set(name):
                continue
            secret = _colab_secret(name)
            if secret:
                os.environ[name] = secret
                _FROM_COLAB[name] = secret
    for name in _all_key_variables():
        if name not in values and _is_set(name):
            from_colab = _FROM_COLAB.get(name) == os.environ[name]
            values[name], sources[name] = os.environ[name], "Colab secrets" if from_colab else "environment"
    return values, sources


def load_keys(start: str | os.PathLike | None = None) -> dict[str, str]:
    """Load keys from `.env` (searched from `start`, default the current folder, upward), Colab secrets and the environment.

    A variable already set in the environment is never overridden. Placeholders copied from
    `.env.example` are not loaded. Returns name -> value of what was found: never print the values.

    Example:
        >>> keys = load_keys()                                   # doctest: +SKIP
        >>> sorted(keys)                                         # doctest: +SKIP
        ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']
    """
    return _load(start)[0]


# --- live checks --------------------------------------------------------------------------------

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
        return (f"{label} rejected the key (401 Unauthorized): it is wrong, revoked or cut off. Create a new key "
                f"at {keys_url} and put it in .env as {name}=<key>, then restart the kernel.")
    if status == 403:
        return (f"{label} refused the request (403 Forbidden): the key is known but not allowed to do this. Check "
                f"the key's project and permissions, that the API is enabled for your account and available in "
                f"your region, at {keys_url}.")
    if status == 429:
        if code == "insufficient_quota":
            return (f"{label} says you have no credit left (429 insufficient_quota): add credit or a payment "
                    f"method in the billing page of your account ({keys_url}).")
        return (f"{label} says too many requests or no credit (429): wait a minute and try again; if it persists, "
                f"check your credit and limits in your account ({keys_url}).")
    if status == 404:
        return (f"{label} answered 404 Not Found: the address is wrong or has no model list there. Check the "
                "base URL; the key itself was not confirmed.")
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
        return (f"The secure connection to {host} failed (certificate problem). A company proxy or antivirus "
                "may be intercepting HTTPS: ask for its certificate and set REQUESTS_CA_BUNDLE and SSL_CERT_FILE "
                "to it, or try another network.")
    if isinstance(error, requests.exceptions.ProxyError) or "proxy" in text:
        return (f"The proxy refused the connection to {host}: check HTTPS_PROXY / HTTP_PROXY (or unset them), "
                "or try another network.")
    if isinstance(error, (requests.exceptions.Timeout, TimeoutError)) or "timed out" in text:
        seconds = f" within {timeout} s" if timeout else ""
        return (f"{label} did not answer{seconds} at {host}: the network is slow or blocked. Check your internet "
                "connection, VPN, firewall or proxy (HTTPS_PROXY), then try again.")
    return (f"Could not connect to {label} at {host}: check your internet connection, and that no firewall, VPN "
            "or proxy (HTTPS_PROXY) blocks it. Behind a company network, ask for the proxy settings.")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def _live(name: str, *, key: str | None, base_url: str | None, timeout: float) -> tuple[bool | None, str]:
    """(accepted?, sentence). accepted is True (key works), False (key refused) or None (could not tell)."""
    import requests

    spec, provider = _spec_for(name)
    label = provider.label if provider else spec.label  # type: ignore[union-attr]
    if provider is not None and provider.name == "local":
        endpoint = base_url or _local_endpoint()
    elif provider is not None and provider.name == "ollama":
        from llmcourse.backend import _ollama_url

        endpoint = base_url or _ollama_url()
    else:
        endpoint = base_url or (provider.endpoint if provider else spec.endpoint)  # type: ignore[union-attr]
    check_path = provider.check_path if provider else spec.check_path  # type: ignore[union-attr]
    auth = provider.auth if provider else spec.auth  # type: ignore[union-attr]
    headers: dict[str, str] = {}
    if spec is not None and auth != "none":
        if key is None:
            key = next((os.environ[v] for v in spec.variables if _is_set(v)), None)
        if not key:
            return None, f"No {spec.variable} is set: get a {spec.label} key at {spec.keys_url} and add it to .env."
        key = key.strip()
        if key == LOCAL_API_KEY:
            return None, f"{spec.variable} is the local stand-in set by setup(), not a real key: nothing to check."
        if auth == "x-api-key":
            headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
        else:
            headers = {"Authorization": f"Bearer {key}"}
    if not endpoint:
        return None, f"{label}: no address to check."
    from llmcourse.backend import offline_requested

    if offline_requested() and not _is_loopback(endpoint):
        return None, f"Offline mode (LLMCOURSE_OFFLINE=1): {label} at {urlsplit(endpoint).netloc} was not contacted."
    url = endpoint.rstrip("/") + "/" + check_path
    try:
        response = requests.get(url, headers=headers, timeout=timeout)
    except requests.RequestException as error:
        return None, explain_network_error(label, endpoint, error, timeout)
    keys_url = spec.keys_url if spec else (provider.keys_url if provider else "")
    if response.ok and not headers:
        return True, f"{label} answers at {urlsplit(endpoint).netloc}."
    code = None
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
    except ValueError:
        pass
    sentence = explain_status(label, response.status_code, keys_url, spec.variable if spec else None,
                              code if isinstance(code, str) else None)
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

    The key goes only to that provider's own address (or to `base_url` when you give one).
    401, 403, 429, timeouts and network errors each come back as what to do. In offline mode
    (LLMCOURSE_OFFLINE=1) only addresses on this computer are contacted.

    Example:
        >>> live_check("openai")                                 # doctest: +SKIP
        'OpenAI accepted the key.'
    """
    return _live(provider, key=key, base_url=base_url, timeout=timeout)[1]


# --- the report ---------------------------------------------------------------------------------

@dataclass
class KeyResult:
    """The check of one key variable. `masked` is the only form of the key kept here.

    status: "ok" (looks fine), "warning", "problem", "missing" or "local" (the stand-in that
    setup() sets when an SDK is pointed at the local model).

    Example:
        >>> KeyResult("openai", "OpenAI", "OPENAI_API_KEY", "missing").ok
        False
    """

    provider: str
    label: str
    variable: str
    status: str
    masked: str = ""
    source: str = ""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    live: str | None = None

    @property
    def ok(self) -> bool:
        """True when the key is set and nothing is wrong with it (warnings allowed)."""
        return self.status in ("ok", "warning")

    @property
    def summary(self) -> str:
        """One line: the state and, when something is wrong, what to do."""
        if self.status == "ok":
            text = "looks fine"
        elif self.status == "local":
            text = "points at the local model (set by llmcourse.setup()), not a real key"
        elif self.status == "missing":
            text = self.problems[0] if self.problems else f"not set (optional: {_where(self.variable)})"
        else:
            text = " ".join(f"{self.variable} {message}" for message in self.problems + self.warnings)
        if self.live:
            text += f" | live: {self.live}"
        return text


_ICONS = {"ok": "✅", "warning": "⚠️", "problem": "❌", "missing": "—", "local": "🏠"}


@dataclass
class KeyReport:
    """All key checks: iterate over it, index it by position, provider or variable; prints as a table.

    Example:
        >>> report = check_keys(env={})                          # doctest: +SKIP
        >>> report["openai"].status                              # doctest: +SKIP
        'missing'
    """

    results: list[KeyResult]
    env_file: Path | None = None
    file_problems: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[KeyResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int | str) -> KeyResult:
        if isinstance(index, int):
            return self.results[index]
        for result in self.results:
            spec = KEY_SPECS[_canonical(result.variable)]
            if index in (result.provider, result.variable, spec.variable) or index in spec.providers:
                return result
        raise KeyError(f"No key check for {index!r}; known: {', '.join(r.variable for r in self.results)}")

    @property
    def problems(self) -> list[KeyResult]:
        """The results with a problem (not counting missing optional keys)."""
        return [result for result in self.results if result.status == "problem"]

    def _file_line(self) -> str:
        if self.env_file is not None:
            return f".env file: {self.env_file}"
        if _on_colab():
            return ".env file: none (on Colab, keys come from the Secrets panel, the key icon on the left)"
        return ".env file: none found here or above (copy .env.example to .env and add your keys; optional)"

    def __str__(self) -> str:
        width = max((len(result.variable) for result in self.results), default=10)
        shown = max((len(result.masked) for result in self.results), default=0)
        lines = [self._file_line(), *(f"! {problem}" for problem in self.file_problems)]
        for result in self.results:
            lines.append(f"{result.status:<8} {result.variable:<{width}}  {result.masked:<{shown}}  {result.summary}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))  # IPython's plain-text display (terminal, text-only frontends)

    def _repr_html_(self) -> str:
        rows = []
        for result in self.results:
            detail = html.escape(result.summary)
            rows.append(
                f"<tr><td>{_ICONS.get(result.status, '')} {html.escape(result.status)}</td>"
                f"<td>{html.escape(result.label)}</td><td><code>{html.escape(result.variable)}</code></td>"
                f"<td><code>{html.escape(result.masked)}</code></td><td>{html.escape(result.source)}</td>"
                f"<td style='text-align:left'>{detail}</td></tr>"
            )
        notes = "".join(f"<p>❌ {html.escape(problem)}</p>" for problem in self.file_problems)
        return (f"<p>{html.escape(self._file_line())}</p>{notes}<table><thead><tr><th>status</th><th>provider</th>"
                "<th>variable</th><th>key</th><th>from</th><th>what to do</th></tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")


def _typo_hint(spec: KeySpec, names: list[str]) -> str | None:
    known = set(_all_key_variables())
    candidates = [name for name in names if name not in known]
    for name in candidates:
        if name.upper() == spec.variable:
            return f"not set, but .env has {name}: variable names are case-sensitive, write {spec.variable}."
    close = difflib.get_close_matches(spec.variable, candidates, n=1, cutoff=0.75)
    if close:
        return f"not set, but .env has {close[0]}: did you mean {spec.variable}? Rename it and reload."
    return None


def _check_one(spec: KeySpec, value: str | None, source: str, file_names: list[str]) -> KeyResult:
    result = KeyResult(spec.providers[0], spec.label, spec.variable, "missing", source=source)
    if value is None or not value.strip():
        hint = _typo_hint(spec, file_names)
        if hint:
            result.status, result.problems = "problem", [hint]
        elif value is not None and source:
            # An empty line stays "missing" (not a mistake), with the hint where to paste the key.
            result.problems = [f"is empty in {source}: paste your key after the = sign ({_where(spec.variable)})."]
        return result
    if value.strip() == LOCAL_API_KEY:
        result.status, result.masked = "local", LOCAL_API_KEY  # a fixed public marker, not a secret
        return result
    result.masked = mask_key(value)
    result.problems = key_problems(spec.variable, value)
    if not is_placeholder(value):
        result.warnings = _prefix_warnings(spec, _plain(value))
    result.status = "problem" if result.problems else ("warning" if result.warnings else "ok")
    return result


def check_keys(live: bool = False, *, start: str | os.PathLike | None = None, env: Mapping[str, str] | None = None,
               base_urls: Mapping[str, str] | None = None, timeout: float = 5.0) -> KeyReport:
    """Check every provider's key: missing, fine, the local stand-in, or what is wrong and what to do.

    Loads `.env` / Colab secrets first (like `load_keys(start)`), unless you pass the values to
    check as `env`. `live=True` also asks each provider whose key looks fine, once, whether it
    accepts it (`base_urls` maps provider name -> another address, e.g. a test server).
    The report shows keys masked only; in Jupyter it renders as a table.

    Example:
        >>> report = check_keys()                                # doctest: +SKIP
        >>> report                                               # doctest: +SKIP
        ok       OPENAI_API_KEY     sk-p...x9Zq  looks fine
    """
    env_file = find_env_file(start)
    file_values = _file_values(env_file)
    if env is None:
        _, sources = _load(start)
        values: Mapping[str, str] = os.environ
    else:
        sources, values = {}, env
    results: list[KeyResult] = []
    for spec in KEY_SPECS.values():
        variable = next((v for v in spec.variables if (values.get(v) or "").strip()), None)
        if variable is not None:
            value: str | None = values[variable]
            source = sources.get(variable) or ("environment" if env is None else "given")
            if env is None and file_values.get(variable) == value:
                source = str(env_file)
        else:
            variable = next((v for v in spec.variables if v in file_values), spec.variable)
            value = file_values.get(variable)
            source = str(env_file) if variable in file_values else ""
        result = _check_one(spec, value, source, list(file_values))
        result.variable = variable  # the name that holds the key (GEMINI_API_KEY works as well as GOOGLE_API_KEY)
        if live and result.ok:
            accepted, sentence = _live(result.provider, key=value, timeout=timeout,
                                       base_url=(base_urls or {}).get(result.provider))
            result.live = sentence
            if accepted is False:
                result.status = "problem"
        results.append(result)
    return KeyReport(results, env_file, env_file_problems(start))
