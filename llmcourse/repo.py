"""The course's home on GitHub: every link to it derives from `settings.REPO`, and `set-repo` moves them all.

A fork (or your own published copy) must point its "Open in Colab" badges, its Colab install cells
(`git+https://github.com/OWNER/NAME.git`) and the data files a Colab notebook downloads (it has no
checkout) at itself. `set_repo("you/llm-engineering")` (the command `llmcourse set-repo
you/llm-engineering`) rewrites, in one go and idempotently: `REPO` in llmcourse/settings.py, every
notebook's badge and install cell, raw.githubusercontent.com links to the old home, and other links
to the old home in the notebooks and Markdown files. `home_problems()` lists every place that
disagrees with `settings.REPO` (a test runs it).

Example:
    >>> badge_url("week1/day1.ipynb", "you/llm-engineering")
    'https://colab.research.google.com/github/you/llm-engineering/blob/main/week1/day1.ipynb'
    >>> install_url("you/llm-engineering")
    'git+https://github.com/you/llm-engineering.git'
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BRANCH",
    "HomeProblem",
    "badge_url",
    "current_repo",
    "find_root",
    "home_problems",
    "install_url",
    "main",
    "raw_url",
    "repo_from_git",
    "set_repo",
    "valid_repo",
]

# The branch the badges, install cells and data links name (GitHub's default for new repositories).
BRANCH = "main"
SETTINGS_FILE = Path("llmcourse") / "settings.py"

_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})"
_NAME = r"[A-Za-z0-9._-]{1,100}"
_REPO = re.compile(rf"^{_OWNER}/{_NAME}$")
_SETTINGS_LINE = re.compile(r'^(REPO\s*(?::\s*str\s*)?=\s*)(["\'])([^"\']*)\2', re.MULTILINE)
# A link's repository part: OWNER/NAME up to the next "/", quote, backslash (JSON escapes) or space.
_PART = r"[A-Za-z0-9-]+/[A-Za-z0-9._-]+?"
_BADGE = re.compile(rf"(https://colab\.research\.google\.com/github/)({_PART})(/blob/[^/\s\"')\\]+/)")
_INSTALL = re.compile(
    rf"(llmcourse(?:\[[^\]]*\])?\s*@\s*git\+https://github\.com/)({_PART})(?:\.git)?(?=[@#\s\"'\\]|$)"
)


def valid_repo(repo: str) -> bool:
    """True for a GitHub repository written OWNER/NAME.

    Example:
        >>> valid_repo("you/llm-engineering"), valid_repo("https://github.com/you/x"), valid_repo("you")
        (True, False, False)
    """
    return bool(_REPO.match(repo)) and not repo.endswith(".git")


def badge_url(notebook: str, repo: str | None = None, branch: str = BRANCH) -> str:
    """The "Open in Colab" link of a notebook (its path inside the repository).

    Example:
        >>> badge_url("week2/day1.ipynb", "you/llm-engineering")
        'https://colab.research.google.com/github/you/llm-engineering/blob/main/week2/day1.ipynb'
    """
    return f"https://colab.research.google.com/github/{repo or _settings_repo()}/blob/{branch}/{notebook}"


def install_url(repo: str | None = None) -> str:
    """What the Colab install cell gives pip: `llmcourse[sdk] @ <this>`.

    Example:
        >>> install_url("you/llm-engineering")
        'git+https://github.com/you/llm-engineering.git'
    """
    return f"git+https://github.com/{repo or _settings_repo()}.git"


def raw_url(path: str, repo: str | None = None, branch: str = BRANCH) -> str:
    """Where a Colab notebook downloads a course file from (it has no checkout).

    Example:
        >>> raw_url("week2/data/reviews.jsonl", "you/llm-engineering")
        'https://raw.githubusercontent.com/you/llm-engineering/main/week2/data/reviews.jsonl'
    """
    return f"https://raw.githubusercontent.com/{repo or _settings_repo()}/{branch}/{path}"


def _settings_repo() -> str:
    from llmcourse.settings import REPO

    return REPO


def find_root(start: str | Path | None = None) -> Path:
    """The course folder: `start` (default: the current folder) or the nearest folder above it holding
    llmcourse/settings.py and pyproject.toml.

    Example:
        >>> (find_root() / "llmcourse" / "settings.py").exists()   # doctest: +SKIP
        True
    """
    folder = Path(start if start is not None else Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / SETTINGS_FILE).is_file() and (candidate / "pyproject.toml").is_file():
            return candidate
    raise FileNotFoundError(
        f"No course folder at or above {folder} (one holding llmcourse/settings.py and pyproject.toml). "
        "Run the command in your copy of the course, or pass --root DIR."
    )


def current_repo(root: str | Path) -> str:
    """The `REPO` written in `root`'s llmcourse/settings.py (read as text: the checkout, not the installed package).

    Example:
        >>> current_repo(find_root())                                 # doctest: +SKIP
        'llmcourse/llm-engineering'
    """
    match = _SETTINGS_LINE.search((Path(root) / SETTINGS_FILE).read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f'{Path(root) / SETTINGS_FILE} has no line `REPO = "OWNER/NAME"`.')
    return match.group(3)


def repo_from_git(root: str | Path) -> str | None:
    """OWNER/NAME of the checkout's `origin` remote on GitHub, or None (no git, no origin, not GitHub).

    Example:
        >>> repo_from_git("/nonexistent") is None
        True
    """
    try:
        url = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.match(
        r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)([^/]+/[^/]+?)(?:\.git)?/?$", url
    )
    return match.group(1) if match and valid_repo(match.group(1)) else None


def _course_files(root: Path) -> list[Path]:
    """The notebooks and Markdown files of the course (not in hidden folders, tests/, build output)."""
    found = []
    for pattern in ("*.ipynb", "*.md"):
        for path in root.rglob(pattern):
            parts = path.relative_to(root).parts
            if any(part.startswith(".") for part in parts) or parts[0] in ("tests", "build", "dist", "node_modules"):
                continue
            if any(part.endswith(".egg-info") for part in parts):
                continue
            found.append(path)
    return sorted(found)


def _old_home(old: str) -> re.Pattern[str]:
    """Links to the old home that are not badges or install specs: github.com/OLD..., raw.githubusercontent.com/OLD/..."""
    return re.compile(rf"(https://(?:github\.com|raw\.githubusercontent\.com)/){re.escape(old)}(?=[/#\s\"')\\.]|$)")


def _rewrite_text(text: str, old: str, new: str) -> str:
    text = _BADGE.sub(lambda m: m.group(1) + new + m.group(3), text)
    text = _INSTALL.sub(lambda m: m.group(1) + new + ".git", text)
    if old != new:
        text = _old_home(old).sub(lambda m: m.group(1) + new, text)
    return text


def set_repo(repo: str, root: str | Path | None = None) -> list[Path]:
    """Point the course at `repo` (OWNER/NAME): settings.REPO, badges, install cells, data links. Idempotent.

    Returns the files it changed (none when everything already points at `repo`). Notebooks are
    rewritten as text, so their formatting and every other cell stay byte for byte the same.

    Example:
        >>> set_repo("you/llm-engineering", root="my-copy")              # doctest: +SKIP
        [PosixPath('my-copy/llmcourse/settings.py'), PosixPath('my-copy/week1/day1.ipynb'), ...]
    """
    if not valid_repo(repo):
        raise ValueError(f"{repo!r} is not a GitHub repository: write it OWNER/NAME, e.g. you/llm-engineering.")
    root = find_root(root)
    old = current_repo(root)
    changed: list[Path] = []
    settings = root / SETTINGS_FILE
    text = settings.read_text(encoding="utf-8")
    new_text = _SETTINGS_LINE.sub(lambda m: f"{m.group(1)}{m.group(2)}{repo}{m.group(2)}", text, count=1)
    if new_text != text:
        settings.write_text(new_text, encoding="utf-8")
        changed.append(settings)
    for path in _course_files(root):
        text = path.read_text(encoding="utf-8")
        new_text = _rewrite_text(text, old, repo)
        if new_text == text:
            continue
        if path.suffix == ".ipynb":
            json.loads(new_text)  # the URLs hold no character JSON escapes: still a valid notebook
        path.write_text(new_text, encoding="utf-8")
        changed.append(path)
    return changed


@dataclass(frozen=True)
class HomeProblem:
    """One link that does not point at the course's home (file, what it is, what it names, what it should)."""

    path: Path
    kind: str
    found: str
    expected: str

    def __str__(self) -> str:
        return f"{self.path}: {self.kind} names {self.found}, expected {self.expected}"


def home_problems(root: str | Path | None = None) -> list[HomeProblem]:
    """Every badge, install cell and link to a course home that disagrees with the checkout's settings.REPO.

    Also: each notebook's first cell must carry its own badge (the link names the notebook's own path).

    Example:
        >>> home_problems()                                              # doctest: +SKIP
        []
    """
    root = find_root(root)
    repo = current_repo(root)
    problems: list[HomeProblem] = []
    for path in _course_files(root):
        relative = path.relative_to(root)
        text = path.read_text(encoding="utf-8")
        for match in _BADGE.finditer(text):
            if match.group(2) != repo:
                problems.append(HomeProblem(relative, "Colab badge", match.group(2), repo))
        for match in _INSTALL.finditer(text):
            if match.group(2) != repo:
                problems.append(HomeProblem(relative, "install cell", match.group(2), repo))
        if path.suffix == ".ipynb":
            cells = json.loads(text).get("cells", [])
            first = "".join(cells[0]["source"]) if cells else ""
            own = badge_url(relative.as_posix(), repo)
            if own not in first:
                problems.append(HomeProblem(relative, "first cell", first[:80] or "(no cell)", own))
            install_cells = [
                "".join(c["source"])
                for c in cells
                if c["cell_type"] == "code"
                and re.search(r"^\s*%pip install", "".join(c["source"]), re.MULTILINE)
                and "llmcourse" in "".join(c["source"])
            ]
            for source in install_cells:
                if not _INSTALL.search(source):
                    problems.append(HomeProblem(relative, "install cell", source.strip()[:80], install_url(repo)))
    return problems


def main(argv: list[str] | None = None) -> int:
    """`llmcourse set-repo [OWNER/NAME] [--root DIR] [--check]`: point the course at its (new) GitHub home.

    Without OWNER/NAME, the checkout's `origin` remote on GitHub is used.

    Example:
        >>> main(["you/llm-engineering", "--root", "my-copy"])          # doctest: +SKIP
        Course home: llmcourse/llm-engineering -> you/llm-engineering (23 files changed)
    """
    parser = argparse.ArgumentParser(
        prog="llmcourse set-repo",
        description="Point every Colab badge, install cell and data link (and settings.REPO) at OWNER/NAME on GitHub.",
    )
    parser.add_argument(
        "repo", nargs="?", help="OWNER/NAME, e.g. you/llm-engineering (default: the git remote 'origin')"
    )
    parser.add_argument("--root", default=None, help="the course folder (default: this folder or the nearest above)")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; list links that disagree with settings.REPO"
    )
    args = parser.parse_args(argv)
    try:
        root = find_root(args.root)
    except FileNotFoundError as error:
        print(f"llmcourse set-repo: {error}", file=sys.stderr)
        return 2
    if args.check:
        problems = home_problems(root)
        for problem in problems:
            print(problem)
        print(f"{len(problems)} link(s) disagree with settings.REPO = {current_repo(root)}")
        return 1 if problems else 0
    repo = args.repo or repo_from_git(root)
    if not repo:
        print("llmcourse set-repo: give OWNER/NAME (no GitHub remote named origin here).", file=sys.stderr)
        return 2
    old = current_repo(root)
    try:
        changed = set_repo(repo, root)
    except ValueError as error:
        print(f"llmcourse set-repo: {error}", file=sys.stderr)
        return 2
    print(f"Course home: {old} -> {repo} ({len(changed)} file(s) changed)")
    for path in changed:
        print(f"  {path.relative_to(root)}")
    if changed:
        print("Commit and push these changes: the badges and Colab install cells read them from GitHub.")
    return 0
