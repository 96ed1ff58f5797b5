"""The `llmcourse` command: `llmcourse doctor | serve | batch | set-repo | local`.

Each subcommand lives with its module; this file only dispatches, importing lazily so that
`llmcourse doctor` works even when an optional extra (say, the local model) is missing.

Example:
    $ llmcourse serve --port 8800
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["main"]

# subcommand -> (module, function, one-line help). Each function takes argv (list[str]) and returns an exit code.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "doctor": (
        "llmcourse.diagnostics",
        "main",
        "check Python, packages, keys, providers and the local model (--live: models too)",
    ),
    "serve": (
        "llmcourse.local.shared",
        "main",
        "serve the local model (OpenAI, Ollama, Anthropic APIs); --status, --stop",
    ),
    "batch": ("llmcourse.batch", "main", "send many prompts to a model, concurrently and resumably"),
    "lab": ("llmcourse.lab", "main", "start JupyterLab on 127.0.0.1 with the course's settings, opening the README"),
    "env": ("llmcourse.envfile", "main", "create .env from .env.example in the course folder (never overwrites)"),
    "saved-pages": (
        "llmcourse.savedpagescli",
        "main",
        "list the pages saved for offline lessons; `refresh` re-fetches the copies",
    ),
    "set-repo": (
        "llmcourse.repo",
        "main",
        "point badges, Colab install cells and data links at your fork (OWNER/NAME)",
    ),
    "local": (
        "llmcourse.local.sources",
        "main",
        "`local pull`: download a better local model; `local which`: the one used",
    ),
}


def _usage() -> str:
    lines = ["usage: llmcourse COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<8} {help_}" for name, (_, _, help_) in _COMMANDS.items()]
    lines += ["", "Run `llmcourse COMMAND --help` for the options of one command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand and return its exit code.

    Example:
        >>> main(["--help"])  # doctest: +SKIP
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in _COMMANDS:
        print(f"llmcourse: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, func_name, _ = _COMMANDS[command]
    func = getattr(importlib.import_module(module_name), func_name)
    return int(func(rest) or 0)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
