"""The course's home: every badge, install cell and data link agrees with settings.REPO; set-repo moves them all."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from llmcourse import repo
from llmcourse.cli import main as cli_main
from llmcourse.settings import REPO, REPO_URL

ROOT = Path(__file__).resolve().parent.parent
# How a notebook builds a data file's download link: from settings.REPO, never a written-out home.
_RAW = re.compile(r"https://raw\.githubusercontent\.com/([^\"'\s\\]+)")


def _notebooks(root: Path) -> list[Path]:
    return [
        p
        for p in sorted(root.rglob("*.ipynb"))
        if not any(part.startswith(".") for part in p.relative_to(root).parts)
        and p.relative_to(root).parts[0] not in ("tests", "build")
    ]


def _copy_course(destination: Path) -> Path:
    """The files set-repo reads and writes: settings, pyproject, README and every notebook."""
    for path in [ROOT / "pyproject.toml", ROOT / "README.md", ROOT / "llmcourse" / "settings.py", *_notebooks(ROOT)]:
        target = destination / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return destination


def test_every_badge_and_install_cell_agrees_with_settings_repo():
    assert repo.current_repo(ROOT) == REPO and REPO_URL == f"https://github.com/{REPO}"
    problems = repo.home_problems(ROOT)
    assert problems == [], "\n".join(map(str, problems))
    for notebook in _notebooks(ROOT):
        text = notebook.read_text(encoding="utf-8")
        assert repo.badge_url(notebook.relative_to(ROOT).as_posix()) in text
        assert re.search(r"llmcourse\[sdk[a-z,]*\] @ " + re.escape(repo.install_url()) + r'\\"', text), (
            f"{notebook}: no install cell for {REPO}"
        )


def test_data_links_derive_from_settings_repo_and_name_files_that_exist():
    links = []
    for notebook in _notebooks(ROOT):
        for match in _RAW.finditer(notebook.read_text(encoding="utf-8")):
            links.append(match.group(1))
            prefix = f"{{REPO}}/{repo.BRANCH}/"
            assert match.group(1).startswith(prefix), (
                f"{notebook.relative_to(ROOT)}: {match.group(0)} (use settings.REPO)"
            )
            assert (ROOT / match.group(1).removeprefix(prefix)).is_file(), (
                f"{match.group(0)}: no such file in the course"
            )
    # The data files a Colab notebook must download (it has no checkout) are among them.
    assert {"{REPO}/main/week2/data/reviews.jsonl", "{REPO}/main/week3/data/meeting.wav"} <= set(links)


def test_set_repo_round_trip_on_a_copy(tmp_path, capsys):
    copy = _copy_course(tmp_path / "course")
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}

    assert cli_main(["set-repo", "ada-lovelace/llm-course", "--root", str(copy)]) == 0
    out = capsys.readouterr().out
    assert f"{REPO} -> ada-lovelace/llm-course" in out
    assert repo.current_repo(copy) == "ada-lovelace/llm-course"
    assert repo.home_problems(copy) == []
    day1 = (copy / "week1" / "day1.ipynb").read_text(encoding="utf-8")
    assert "https://colab.research.google.com/github/ada-lovelace/llm-course/blob/main/week1/day1.ipynb" in day1
    assert 'llmcourse[sdk] @ git+https://github.com/ada-lovelace/llm-course.git\\"' in day1
    assert REPO not in day1
    json.loads(day1)
    changed = {p for p in before if p.read_bytes() != before[p]}
    assert copy / "llmcourse" / "settings.py" in changed and len(changed) >= len(_notebooks(ROOT))

    assert repo.set_repo("ada-lovelace/llm-course", copy) == []  # idempotent: nothing left to change

    assert cli_main(["set-repo", REPO, "--root", str(copy)]) == 0  # and back: byte for byte the original
    assert {p: p.read_bytes() for p in before} == before


def test_check_mode_lists_links_that_disagree(tmp_path, capsys):
    copy = _copy_course(tmp_path / "course")
    notebook = copy / "week1" / "day1.ipynb"
    notebook.write_text(
        notebook.read_text(encoding="utf-8").replace(f"github.com/{REPO}.git", "github.com/someone/else.git"),
        encoding="utf-8",
    )
    assert cli_main(["set-repo", "--check", "--root", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "week1/day1.ipynb: install cell names someone/else" in out
    assert cli_main(["set-repo", REPO, "--root", str(copy)]) == 0  # set-repo repairs it
    assert repo.home_problems(copy) == []


@pytest.mark.parametrize("bad", ["https://github.com/you/fork", "you", "you/fork.git", "you/fork/extra", "you_x/fork"])
def test_a_bad_repository_name_is_refused_with_the_form_to_use(tmp_path, capsys, bad):
    copy = _copy_course(tmp_path / "course")
    assert cli_main(["set-repo", bad, "--root", str(copy)]) == 2
    assert "OWNER/NAME" in capsys.readouterr().err
    assert repo.current_repo(copy) == REPO


def test_outside_a_course_folder_it_says_where_to_run(tmp_path, capsys):
    assert cli_main(["set-repo", "you/fork", "--root", str(tmp_path)]) == 2
    assert "--root" in capsys.readouterr().err


def test_the_origin_remote_names_the_fork(tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:ada-lovelace/llm-course.git"],
        check=True,
    )
    assert repo.repo_from_git(tmp_path) == "ada-lovelace/llm-course"
