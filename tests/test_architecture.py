"""The package's shape: imports point one way, no module takes another's private names, modules stay small.

The layers (lowest first) are written at the top of llmcourse/__init__.py; a module may import from
its own layer's lower neighbours and below, never from above. Function-level imports count: hiding
a cycle inside a function does not remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import llmcourse

PACKAGE = Path(llmcourse.__file__).resolve().parent
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The llmcourse module an import names (a name imported from a package may be a submodule)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every llmcourse import in `module`, at any depth."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("llmcourse"):
                    found.append((_resolve(alias.name), [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            if not source.startswith("llmcourse"):
                continue
            for alias in node.names:
                target = _resolve(f"{source}.{alias.name}")
                if target and target != _resolve(source):
                    found.append((target, [], node.lineno))  # a submodule imported by name
                else:
                    found.append((_resolve(source), [alias.name], node.lineno))
    return [(target, names, line) for target, names, line in found if target and target != module]


GRAPH = {module: _imports(module) for module in MODULES}


def _cycles() -> list[list[str]]:
    edges = {
        module: sorted({target for target, _, _ in imports if target != "llmcourse"})
        for module, imports in GRAPH.items()
    }
    seen: set[str] = set()
    cycles = []

    def visit(module: str, stack: list[str]) -> None:
        if module in stack:
            cycles.append(stack[stack.index(module) :] + [module])
            return
        if module in seen:
            return
        seen.add(module)
        for target in edges.get(module, []):
            visit(target, stack + [module])

    for module in edges:
        visit(module, [])
    return cycles


def test_no_import_cycles_even_inside_functions():
    assert _cycles() == []


def test_no_module_takes_another_modules_private_names():
    offenders = [
        f"{module}:{line} imports {name} from {target}"
        for module, imports in GRAPH.items()
        for target, names, line in imports
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert offenders == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module):
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines: split it by idea (one idea per module)"


# The layers of llmcourse/__init__.py, lowest first: module (or package) -> layer number.
LAYERS: dict[str, int] = {
    **dict.fromkeys(
        [
            "llmcourse.settings",
            "llmcourse.env",
            "llmcourse.errors",
            "llmcourse.envfile",
            "llmcourse.shorterrors",
            "llmcourse.retired",
            "llmcourse.htmltable",
            "llmcourse.sdkfields",
        ],
        1,
    ),
    "llmcourse.providers": 2,
    "llmcourse.local": 3,
    "llmcourse.keys": 4,
    "llmcourse.clients": 5,
    "llmcourse.models": 6,
    "llmcourse.backend": 7,
    **dict.fromkeys(
        [
            "llmcourse.web",
            "llmcourse.webparse",
            "llmcourse.webtransport",
            "llmcourse.weberrors",
            "llmcourse.urlpolicy",
            "llmcourse.savedpages",
            "llmcourse.display",
            "llmcourse.chat",
            "llmcourse.tools",
            "llmcourse.toolcalls",
            "llmcourse.schemas",
            "llmcourse.labels",
            "llmcourse.caveats",
            "llmcourse.apps",
            "llmcourse.batch",
        ],
        8,
    ),
    **dict.fromkeys(
        [
            "llmcourse",
            "llmcourse.__main__",
            "llmcourse.diagnostics",
            "llmcourse.checkreport",
            "llmcourse.checks_internet",
            "llmcourse.checks_keys",
            "llmcourse.checks_services",
            "llmcourse.checks_setup",
            "llmcourse.cli",
            "llmcourse.lab",
            "llmcourse.repo",
            "llmcourse.savedpagescli",
        ],
        9,
    ),
}


def _layer(module: str) -> int | None:
    """The layer of `module`: its own entry, else its package's (llmcourse.keys.lint -> llmcourse.keys)."""
    name = module
    while name not in LAYERS and "." in name:
        name = name.rpartition(".")[0]
    return LAYERS.get(name) if name != "llmcourse" or module == "llmcourse" else None


def test_every_module_has_a_layer():
    assert sorted(module for module in MODULES if _layer(module) is None) == []


def _upward(graph: dict[str, list[tuple[str, list[str], int]]]) -> list[str]:
    return sorted(
        f"{module}:{line} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
        for module, imports in graph.items()
        for target, _, line in imports
        if target != "llmcourse"
        and _layer(target) is not None
        and _layer(module) is not None
        and _layer(target) > _layer(module)
    )


def test_imports_never_point_up_a_layer():
    assert _upward(GRAPH) == []


def test_the_layer_check_catches_an_upward_import():
    # A foundation module importing the backend, even inside a function, would be reported.
    assert _upward({"llmcourse.env": [("llmcourse.backend", ["setup"], 7)]}) == [
        "llmcourse.env:7 (layer 1) imports llmcourse.backend (layer 7)"
    ]
    assert _upward({"llmcourse.keys.lint": [("llmcourse.local.bundled", [], 3)]}) == []  # downward: fine


def test_every_public_exception_derives_from_the_course_base():
    from llmcourse.errors import LLMCourseError

    public = {name: getattr(llmcourse, name) for name in llmcourse.__all__ if not name.startswith("_")}
    exceptions = {
        name: value for name, value in public.items() if isinstance(value, type) and issubclass(value, BaseException)
    }
    assert "LLMCourseError" in exceptions
    assert {name for name, value in exceptions.items() if not issubclass(value, LLMCourseError)} == set()
