"""Checks of the learner's keys: the `.env` file, each key (masked), and where each SDK will send its key.
Part of `llmcourse doctor` (see `llmcourse.diagnostics`).

Example:
    >>> report = check_key_routes()             # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

from llmcourse.checkreport import Check, CheckList, Status
from llmcourse.env import on_colab

__all__ = [
    "check_api_keys",
    "check_env_file",
    "check_key_routes",
]


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
        checks += [
            Check(
                name,
                "warn",
                problem,
                "Do what the message says, then restart the kernel (or run llmcourse.load_keys()).",
            )
            for problem in problems
        ]
    elif problems:
        checks += [
            Check(
                name,
                "fail",
                problem,
                "Rename the file to exactly .env, then run llmcourse.load_keys() or restart the kernel.",
            )
            for problem in problems
        ]
    elif on_colab():
        checks.append(Check(name, "ok", "none on Colab: keys come from the Secrets panel (the key icon)"))
    else:
        folder = Path(start or os.getcwd()).resolve()
        checks.append(
            Check(
                name,
                "info",
                f"no .env in {folder} or above (normal with no keys: the local model answers)",
                "To add keys: run `llmcourse.create_env()` in a cell (or `llmcourse env` in a terminal); "
                "it creates .env from .env.example and says how to open it.",
            )
        )
    return checks


_KEY_STATUS: dict[str, Status] = {"ok": "ok", "local": "info", "warning": "warn", "problem": "fail", "missing": "skip"}


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
        checks.append(
            Check(
                "keys not set",
                "info",
                ", ".join(missing) + " (optional: the local model answers instead)",
                "Add the keys you have to .env (see .env.example).",
            )
        )
    return checks


def check_key_routes() -> CheckList:
    """Where each SDK will really send its key (its base URL variable and proxies), from `llmcourse.keys.key_routes`.

    Example:
        >>> check_key_routes()[0].name                           # doctest: +SKIP
        'key route OpenAI SDK'
    """
    from llmcourse.keys import key_routes

    checks = CheckList()
    for route in key_routes():
        key_set = bool(os.environ.get(route.variable, "").strip())
        if not key_set and route.source == "its default":
            continue  # no key and nothing moved: nothing goes anywhere
        if route.own or not key_set:
            checks.append(Check(f"key route {route.sdk}", "ok", route.summary))
        else:
            base = route.source.split(",")[0]
            checks.append(
                Check(
                    f"key route {route.sdk}",
                    "warn",
                    route.summary,
                    f"If you did not choose that address yourself, unset {base} (and remove it from "
                    "your shell profile), then restart the kernel.",
                )
            )
    return checks
