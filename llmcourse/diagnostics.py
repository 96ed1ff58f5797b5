"""Environment checks for the course: Python, kernel, packages, shadowing files, .env, keys, network, models.

Used by `troubleshooting.ipynb` (cell by cell) and by `llmcourse doctor` (all at once). Every
check returns `Check` rows (name, status OK/INFO/WARN/FAIL/SKIP, detail, fix: `llmcourse.checkreport`);
every failure says what to do, and the report ends with a one-sentence verdict. Keys are only ever shown masked (the key checks come from `llmcourse.keys`).

Example:
    >>> from llmcourse.diagnostics import check_python
    >>> check_python()[0].status
    'ok'

    $ llmcourse doctor --live
"""

from __future__ import annotations

import argparse
import os

from llmcourse.checkreport import LIVE_CALL, Check, CheckList
from llmcourse.checks_internet import check_internet
from llmcourse.checks_keys import check_api_keys, check_env_file, check_key_routes
from llmcourse.checks_services import (
    check_endpoints,
    check_live_call,
    check_local_model,
    check_models,
    check_ollama,
    model_report,
)
from llmcourse.checks_setup import PACKAGES, SHADOWED_NAMES, check_kernel, check_packages, check_python, check_shadowing

__all__ = [
    "PACKAGES",
    "SHADOWED_NAMES",
    "Check",
    "CheckList",
    "check_api_keys",
    "check_endpoints",
    "check_env_file",
    "check_internet",
    "check_kernel",
    "check_key_routes",
    "check_live_call",
    "check_local_model",
    "check_models",
    "check_ollama",
    "check_packages",
    "check_python",
    "check_shadowing",
    "main",
    "model_report",
    "run_checks",
]


def run_checks(
    *, live: bool = False, start: str | os.PathLike | None = None, import_packages: bool = True
) -> CheckList:
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
    checks += check_key_routes()
    checks.append(check_internet())
    checks += check_endpoints()
    checks.append(check_ollama())
    checks.append(check_local_model())
    if live:
        checks += check_models()
        checks.append(check_live_call())
    else:
        checks.append(Check(LIVE_CALL, "skip", "not requested (run `llmcourse doctor --live` to make one small call)"))
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
    parser.add_argument(
        "--live",
        action="store_true",
        help="also list each keyed provider's models (which ones the course uses) and make one small "
        "real call to the best available model",
    )
    parser.add_argument("--folder", default=None, help="the notebook folder to check (default: the current folder)")
    parser.add_argument("--quick", action="store_true", help="locate packages without importing them (faster)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a wrong option (argparse has printed why)
        return int(exit_.code or 0)
    checks = run_checks(live=args.live, start=args.folder, import_packages=not args.quick)
    print(checks)
    if args.live:
        print(f"\nModels (the default, whether your account has it, what the course uses):\n{model_report()}")
    counts = checks.counts()
    print(f"\n{checks.verdict()}")
    print(
        f"({counts['ok']} OK, {counts['info']} INFO, {counts['warn']} WARN, {counts['fail']} FAIL, "
        f"{counts['skip']} SKIP)"
    )
    if checks.failed:
        print("Fix the FAIL rows above (each says how), then run `llmcourse doctor` again.")
    return 1 if checks.failed else 0
