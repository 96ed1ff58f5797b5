"""Checks of the Python set-up: the interpreter and environment, the Jupyter kernel, the packages, and files
that shadow a package next to a notebook. Part of `llmcourse doctor` (see `llmcourse.diagnostics`).

Example:
    >>> check_python()[0].status
    'ok'
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from llmcourse.checkreport import Check, CheckList
from llmcourse.env import in_kernel, on_colab

__all__ = [
    "PACKAGES",
    "SHADOWED_NAMES",
    "check_kernel",
    "check_packages",
    "check_python",
    "check_shadowing",
]

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
SHADOWED_NAMES = (
    "openai",
    "anthropic",
    "gradio",
    "ollama",
    "requests",
    "transformers",
    "tiktoken",
    "dotenv",
    "bs4",
    "torch",
)

_INSTALL = 'pip install -e ".[course,hf,local]" in the course folder (or `conda env update -f environment.yml`)'


def _environment_kind() -> tuple[str, str]:
    """(kind, description) of the Python environment in use: Colab, conda, venv or system."""
    if on_colab():
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
        checks.append(
            Check(
                "Python version",
                "fail",
                f"Python {version} is too old: the course needs 3.11 or newer",
                "Create the environment again with Python 3.11+ (conda env create -f environment.yml, "
                "or python3.12 -m venv .venv), then pick it as the kernel.",
            )
        )
    kind, description = _environment_kind()
    if kind == "system":
        checks.append(
            Check(
                "Environment",
                "warn",
                f"running in {description}",
                "Use the course environment: `conda activate llms` or `source .venv/bin/activate` "
                "before `jupyter lab`, so packages go to the course and not to the system Python.",
            )
        )
    else:
        checks.append(Check("Environment", "ok", f"running in {description}"))
    return checks


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
    if on_colab():
        return Check(name, "ok", "Colab's own kernel")
    here = Path(start or os.getcwd()).resolve()
    if in_kernel():
        for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
            activated = os.environ.get(variable)
            if activated and not _same(activated, sys.prefix):
                return Check(
                    name,
                    "warn",
                    f"this kernel runs {sys.executable}, but Jupyter was started from {activated} "
                    "(fine if you chose this kernel on purpose and the packages import)",
                    "If imports fail, pick the course environment's kernel (Kernel > Change Kernel), or register it: "
                    '`python -m ipykernel install --user --name llms --display-name "Python (llms)"` '
                    "run inside that environment.",
                )
        venv = _project_venv(here)
        if venv is not None and not _same(venv, sys.prefix) and _environment_kind()[0] != "conda":
            return Check(
                name,
                "warn",
                f"this kernel runs {sys.executable}, not the course's {venv}",
                f"Pick the kernel of {venv} (Kernel > Change Kernel; in VS Code/Cursor: Select Kernel), "
                f"or register it: `{venv}/bin/python -m ipykernel install --user --name llms`.",
            )
        return Check(name, "ok", f"this kernel runs {sys.executable}")
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        return Check(
            name,
            "skip",
            "not in a kernel, and Jupyter is not installed in this environment",
            f"To use notebooks here: {_INSTALL}.",
        )
    try:
        specs = KernelSpecManager().get_all_specs()
    except Exception as error:  # noqa: BLE001 (a broken kernel.json must not stop the other checks)
        return Check(
            name,
            "warn",
            f"could not read the installed kernels ({type(error).__name__}: {error})",
            "Run `jupyter kernelspec list` and remove broken kernels with `jupyter kernelspec remove NAME`.",
        )
    for kernel_name, spec in specs.items():
        if _runs_this_python(spec):
            return Check(name, "ok", f"not in a kernel; the kernel {kernel_name!r} runs this Python ({sys.executable})")
    return Check(
        name,
        "warn",
        f"no Jupyter kernel runs this Python ({sys.executable})",
        'Register it: `python -m ipykernel install --user --name llms --display-name "Python (llms)"` '
        "inside this environment, then pick that kernel in Jupyter.",
    )


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
    completed = subprocess.run(
        [sys.executable, "-c", _IMPORT_SCRIPT, json.dumps(packages)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
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


def check_packages(
    packages: Iterable[str] | None = None,
    *,
    start: str | os.PathLike | None = None,
    import_them: bool = True,
    timeout: float = 180.0,
) -> CheckList:
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
            checks.append(
                Check(
                    label,
                    "fail",
                    f"`import {name}` loads {location}, not the installed package",
                    f"Rename or delete {location} (a file or folder named {name} next to your notebook "
                    f"hides the real package), then restart the kernel.",
                )
            )
        elif info.get("ok"):
            checks.append(Check(label, "ok", f"{dist} {info.get('version') or '(version unknown)'}"))
        else:
            why = "optional (week 3 / local model)" if not required else "required"
            checks.append(
                Check(
                    label,
                    "fail" if required else "warn",
                    f"cannot import {name} ({why}): {info.get('error')}",
                    f"Install it in this environment: `pip install {dist}` or {_INSTALL}; then restart "
                    "the kernel. If it is installed, the kernel runs another Python (see Jupyter kernel).",
                )
            )
    return checks


def _in_site_packages(location: str) -> bool:
    path = Path(location).resolve()
    roots = [Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    return any(part in ("site-packages", "dist-packages") for part in path.parts) or any(
        root in path.parents for root in roots
    )


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


def check_shadowing(
    folders: Iterable[str | os.PathLike] | None = None, *, start: str | os.PathLike | None = None
) -> CheckList:
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
                checks.append(
                    Check(
                        "shadowing file",
                        "fail",
                        f"{module_file} hides the installed {name} package",
                        f"Rename it (e.g. my_{name}_test.py) and delete {folder / '__pycache__'} if "
                        "present, then restart the kernel.",
                    )
                )
            elif package_dir.is_dir() and (package_dir / "__init__.py").is_file():
                checks.append(
                    Check(
                        "shadowing folder",
                        "fail",
                        f"the folder {package_dir} hides the installed {name} package",
                        f"Rename the folder {package_dir.name} (e.g. my_{name}), then restart the kernel.",
                    )
                )
            elif package_dir.is_dir():
                checks.append(
                    Check(
                        "shadowing folder",
                        "warn",
                        f"a folder named {package_dir} may hide {name} if that package is not installed",
                        f"Rename the folder (e.g. my_{name}) to avoid confusing imports.",
                    )
                )
    if not checks:
        where = ", ".join(str(p) for p in places)
        checks.append(Check("shadowing files", "ok", f"no file or folder named like a course package in {where}"))
    return checks
