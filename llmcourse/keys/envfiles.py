"""The `.env` file itself: find it (never above the course folder), spot misnamed copies, read it, report problems.

The course folder is `llmcourse.envfile.course_root()`: the nearest folder holding week1/ or .git.

Example:
    >>> from llmcourse.keys.envfiles import misnamed_env_files
    >>> misnamed_env_files("/nonexistent/folder")
    []
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from llmcourse.envfile import course_root
from llmcourse.keys.routes import routing_refusal

__all__ = ["env_file_problems", "file_values", "find_env_file", "misnamed_env_files", "read_env_text", "search_folders"]

# Names a forgotten or mistyped .env is often saved as (Windows hides ".txt"; the dot gets dropped).
_MISNAMED_EXACT = {"env", "env.txt", "_env", "dotenv", "dot.env", ".env.txt.txt", "env.env"}
_TEMPLATES = {".env.example", ".env.sample", ".env.template", ".env.dist"}


def _start_folder(start: str | os.PathLike | None) -> Path:
    folder = Path(start if start is not None else os.getcwd()).expanduser().resolve()
    return folder.parent if folder.is_file() else folder


def search_folders(start: str | os.PathLike | None = None) -> list[Path]:
    """`start` and the folders above it up to the course folder; only `start` when no course folder is above it.

    Example:
        >>> import tempfile
        >>> course = Path(tempfile.mkdtemp()).resolve()
        >>> (course / "week1").mkdir()
        >>> search_folders(course / "week1") == [course / "week1", course]
        True
    """
    folder = _start_folder(start)
    root = course_root(folder)
    if root is None:
        return [folder]
    folders = [folder, *folder.parents]
    return folders[: folders.index(root) + 1]


def find_env_file(start: str | os.PathLike | None = None) -> Path | None:
    """The `.env` file in `start` (default: the current folder) or a folder above it, up to the course folder.

    The course folder is the one holding `week1/` or `.git`: a `.env` above it (in a shared or
    parent folder someone else can write to) is never read. Outside a course folder, only
    `start` itself is searched.

    Example:
        >>> find_env_file()                                      # doctest: +SKIP
        PosixPath('/home/me/llm-engineering/.env')
    """
    for folder in search_folders(start):
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


def misnamed_env_files(start: str | os.PathLike | None = None) -> list[Path]:
    """Files near `start` that look like a `.env` saved under another name (`.env.txt`, `env`, `keys.env`...).

    Looks in the folders `find_env_file` searches: `start` and the folders above it up to the
    course folder. Templates such as `.env.example` are not counted.

    Example:
        >>> misnamed_env_files("/nonexistent/folder")
        []
    """
    found: list[Path] = []
    for folder in search_folders(start):
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        found += sorted(entry for entry in entries if _looks_misnamed(entry.name) and entry.is_file())
    return found


def env_file_problems(start: str | os.PathLike | None = None) -> list[str]:
    """Problems with the `.env` file itself (missing, misnamed, a folder), each with what to do.

    Example:
        >>> isinstance(env_file_problems(), list)
        True
    """
    env_file = find_env_file(start)
    misnamed = misnamed_env_files(start)
    problems: list[str] = []
    folder = _start_folder(start)
    if env_file is None:
        if (folder / ".env").is_dir():
            problems.append(f"{folder / '.env'} is a folder, not a file: delete it and create a text file named .env.")
        for path in misnamed:
            problems.append(
                f"Found {path} but no .env: rename it to exactly .env (no extension, leading dot). "
                'On Windows: `ren "' + path.name + '" .env`, or turn on File name extensions '
                "in Explorer; on a Mac, untick 'Hide extension' in Get Info."
            )
    else:
        encoding_problem = read_env_text(env_file)[1]
        if encoding_problem:
            problems.append(encoding_problem)
        for name, value in file_values(env_file).items():
            refusal = routing_refusal(name, value, env_file)
            if refusal:
                problems.append(refusal)
        for path in misnamed:
            problems.append(
                f"Found {path} as well as {env_file}: only .env is read. Move its keys into .env and delete it."
            )
    return problems


def read_env_text(env_file: Path) -> tuple[str, str | None]:
    """The text of a .env file and, when its encoding is not UTF-8, what to do about it.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / ".env"
        >>> _ = path.write_bytes("A=1".encode("utf-16"))
        >>> read_env_text(path)[0], "UTF-16" in read_env_text(path)[1]
        ('A=1', True)
    """
    raw = env_file.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # PowerShell 5's `echo ... > .env` writes UTF-16: python-dotenv cannot read it.
        return raw.decode("utf-16"), (
            f"{env_file} is saved as UTF-16 (PowerShell's `echo ... > .env` does that). "
            "Save it as UTF-8: in Notepad, File > Save As > Encoding: UTF-8."
        )
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("latin-1"), (
            f"{env_file} is not saved as UTF-8: save it again with Encoding: UTF-8 "
            "(keys are plain ASCII, so nothing is lost)."
        )


def file_values(env_file: Path | None) -> dict[str, str]:
    """name -> value of every variable set in `env_file` (any encoding `read_env_text` reads); {} for None.

    Example:
        >>> file_values(None)
        {}
    """
    if env_file is None:
        return {}
    from dotenv import dotenv_values

    text, _ = read_env_text(env_file)
    return {name: value for name, value in dotenv_values(stream=io.StringIO(text)).items() if value is not None}


# Why a variable could not be read from Colab secrets by the last load: "missing", "no access" or "no Colab UI".
