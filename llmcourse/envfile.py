"""The learner's `.env` file: find the course folder and create `.env` from `.env.example` there.

JupyterLab hides files whose name starts with a dot, so "copy .env.example to .env" cannot be done
from its file browser. `create_env()` (or `llmcourse env` in a terminal) does it, never overwriting
an existing `.env`, and says how to open the file for editing.

Example:
    >>> from llmcourse.envfile import create_env
    >>> path = create_env()                    # doctest: +SKIP
    Created /home/me/llm-engineering/.env from .env.example.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from llmcourse.env import on_colab

__all__ = ["TEMPLATE", "course_root", "create_env", "main"]

TEMPLATE = ".env.example"
# A folder holding one of these is the top of the course: searches for .env (and misnamed copies) go no higher.
# The one definition of "the course folder": llmcourse.keys reads .env only up to here.
_ROOT_MARKERS = ("week1", ".git")


def course_root(start: str | os.PathLike | None = None) -> Path | None:
    """The course folder: `start` (default: the current folder) or the nearest folder above it that holds
    week1/ or .git. None when there is none (say, on Colab, which has no checkout).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> (folder / "week1").mkdir()
        >>> course_root(folder / "week1") == folder.resolve()
        True
    """
    here = Path(start if start is not None else os.getcwd()).expanduser().resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if any((folder / marker).exists() for marker in _ROOT_MARKERS):
            return folder
    return None


def create_env(start: str | os.PathLike | None = None, *, verbose: bool = True) -> Path | None:
    """Create `.env` in the course folder from `.env.example` unless it exists; return its path.

    Never overwrites: an existing `.env` is left exactly as it is. Prints where the file is and how to
    open it in JupyterLab (it is hidden in the file browser because its name starts with a dot).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> (folder / "week1").mkdir()
        >>> _ = (folder / ".env.example").write_text("OPENAI_API_KEY=sk-your-key-here\\n")
        >>> create_env(folder, verbose=False) == folder.resolve() / ".env"
        True
        >>> (folder / ".env").read_text()
        'OPENAI_API_KEY=sk-your-key-here\\n'
    """
    if on_colab():
        if verbose:
            print("On Colab, keys go in Colab's secrets (the key icon on the left), not in a .env file.")
        return None
    root = course_root(start)
    if root is None:
        if verbose:
            print(
                "No course folder found here (a folder holding week1/ or .git). Run this from inside the course folder."
            )
        return None
    env_file = root / ".env"
    template = root / TEMPLATE
    if env_file.exists():
        message = f"{env_file} already exists: it was left as it is."
    elif template.is_file():
        shutil.copyfile(template, env_file)
        message = f"Created {env_file} from {TEMPLATE}."
    else:
        env_file.write_text("# One key per line, for example:\n# OPENAI_API_KEY=sk-...\n", encoding="utf-8")
        message = f"Created an empty {env_file} ({TEMPLATE} was not found)."
    if verbose:
        print(message)
        print(
            "Open it in JupyterLab with File > Open from Path... and type .env "
            "(the file browser hides names that start with a dot). Put in the keys you have, save, "
            "then rerun the first cell of your notebook."
        )
    return env_file


def main(argv: list[str] | None = None) -> int:
    """`llmcourse env`: create `.env` from `.env.example` in the course folder (never overwrites).

    Example:
        >>> main(["--help"])                   # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(prog="llmcourse env", description=main.__doc__.splitlines()[0].split(": ", 1)[1])
    parser.add_argument("--root", help="the course folder (default: found from the current folder upward)")
    args = parser.parse_args(argv)
    return 0 if create_env(args.root) is not None else 1
