"""A tool's JSON schema from a Python function: its type hints give the types, its docstring the descriptions.

The schema cannot drift from the function it describes. Used by the tool loop (tools.py), which
re-exports `tool_schema`.

Example:
    >>> def get_ticket_price(destination_city: str) -> str:
    ...     '''Get the price of a return ticket to the destination city.
    ...
    ...     Args:
    ...         destination_city: The city the customer wants to travel to.
    ...     '''
    ...     return "$799"
    >>> tool_schema(get_ticket_price)["function"]["parameters"]["required"]
    ['destination_city']
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

__all__ = ["tool_schema"]

_JSON_TYPES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
_ARRAY_ORIGINS = (list, tuple, set, frozenset, Sequence, typing.Sequence)
_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns?|Yields?|Raises|"
    r"Examples?|Notes?|See Also|Warnings?|Attributes|References|Todo):?\s*$",
    re.IGNORECASE,
)
_PARAMETER_SECTIONS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments"}
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def tool_schema(
    func: Callable[..., Any], fmt: Literal["openai", "anthropic"] = "openai", *, name: str | None = None
) -> dict[str, Any]:
    """Build a tool definition for `func` from its type hints and docstring.

    Types: str, int, float, bool, list[...] (and tuple/set/Sequence), dict, Literal[...], Enum
    subclasses, Optional[...] / `X | None`, `Annotated[X, "description"]` and pydantic models.
    A parameter with a default is not required; one without a type hint is taken as a string.
    The docstring's text before its first section is the tool's description; parameter
    descriptions come from a Google-style `Args:` section, a NumPy-style `Parameters` section or
    reST `:param name:` lines. `fmt="openai"` gives `{"type": "function", "function": {...}}`,
    `fmt="anthropic"` gives `{"name", "description", "input_schema"}`. `name` overrides `func.__name__`.

    Example:
        >>> def add(a: int, b: int = 0) -> int:
        ...     '''Add two numbers.'''
        ...     return a + b
        >>> tool_schema(add, "anthropic")
        {'name': 'add', 'description': 'Add two numbers.', 'input_schema': {'type': 'object', 'properties': {'a': {'type': 'integer'}, 'b': {'type': 'integer', 'default': 0}}, 'required': ['a'], 'additionalProperties': False}}
    """
    tool_name = name or getattr(func, "__name__", None)
    if not tool_name or not _TOOL_NAME.match(tool_name):
        raise ValueError(
            f"a tool needs a name of letters, digits, _ or - (at most 64), got {tool_name!r}; "
            "use a def'd function or pass name=..."
        )
    description, parameter_docs = _parse_docstring(inspect.getdoc(func) or "")
    parameters = _parameters_schema(func, parameter_docs)
    if fmt == "anthropic":
        schema: dict[str, Any] = {"name": tool_name}
        if description:
            schema["description"] = description
        schema["input_schema"] = parameters
        return schema
    if fmt != "openai":
        raise ValueError(f"fmt must be 'openai' or 'anthropic', got {fmt!r}")
    function: dict[str, Any] = {"name": tool_name}
    if description:
        function["description"] = description
    function["parameters"] = parameters
    return {"type": "function", "function": function}


# --- schema from type hints ------------------------------------------------------------------


def _parameters_schema(func: Callable[..., Any], parameter_docs: dict[str, str]) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception as err:
        raise TypeError(
            f"cannot read the type hints of {getattr(func, '__name__', func)!r} ({err}); "
            "define the types it uses at the top level of the module or notebook"
        ) from err
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue  # a model cannot fill *args / **kwargs
        hint = hints.get(param.name, inspect.Parameter.empty)
        try:
            schema = {"type": "string"} if hint is inspect.Parameter.empty else _json_schema(hint)
        except TypeError as err:
            raise TypeError(f"parameter {param.name!r} of {getattr(func, '__name__', func)!r}: {err}") from None
        if param.name in parameter_docs and "description" not in schema:
            schema["description"] = parameter_docs[param.name]
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
        else:
            default = param.default.value if isinstance(param.default, enum.Enum) else param.default
            if default is not None and _is_json(default):
                schema["default"] = json.loads(json.dumps(default))  # a tuple default is a JSON list
        properties[param.name] = schema
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _json_schema(hint: Any) -> dict[str, Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        schema = _json_schema(args[0])
        notes = [note for note in args[1:] if isinstance(note, str)]
        if notes:
            schema["description"] = " ".join(notes)
        return schema
    if hint in _JSON_TYPES:
        return {"type": _JSON_TYPES[hint]}
    if hint is Any:
        return {}
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in args if arg is not type(None)]
        if len(options) == 1:  # Optional[X]: X, optional when it has a default
            return _json_schema(options[0])
        return {"anyOf": [_json_schema(arg) for arg in args]}
    if origin is Literal:
        return {**_enum_type(args), "enum": list(args)}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        values = [member.value for member in hint]
        return {**_enum_type(values), "enum": values}
    if hint in (list, tuple, set, frozenset) or origin in _ARRAY_ORIGINS:
        schema: dict[str, Any] = {"type": "array"}
        item_types = [arg for arg in args if arg is not Ellipsis]
        if len(set(item_types)) == 1:
            schema["items"] = _json_schema(item_types[0])
        return schema
    if hint is dict or origin in (dict, Mapping, typing.Mapping):
        return {"type": "object"}
    if isinstance(hint, type) and hasattr(hint, "model_json_schema"):  # a pydantic model
        return hint.model_json_schema()
    raise TypeError(
        f"{hint!r} has no JSON schema here; use str, int, float, bool, list[...], dict, Literal[...], "
        "an Enum or a pydantic model"
    )


def _enum_type(values: Sequence[Any]) -> dict[str, str]:
    kinds = {_JSON_TYPES.get(type(value)) for value in values}
    return {"type": kinds.pop()} if len(kinds) == 1 and None not in kinds else {}


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


# --- docstrings ------------------------------------------------------------------------------


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(description, {parameter: description}) from a Google, NumPy or reST docstring."""
    lines = doc.splitlines()
    description: list[str] = []
    parameter_docs: dict[str, str] = {}
    index = 0
    while index < len(lines):  # the prose before the first section
        line = lines[index]
        if _is_section_header(lines, index) or line.lstrip().startswith((":param", ":return", ":raises", ">>>")):
            break
        description.append(line.strip())
        index += 1
    while index < len(lines):
        header = lines[index].strip().rstrip(":").lower()
        if not _is_section_header(lines, index):
            match = re.match(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$", lines[index])
            if match:
                parameter_docs[match.group(1)], index = _continued(lines, index + 1, match.group(2), indent=None)
            else:
                index += 1
            continue
        index += 2 if _is_numpy_underline(lines, index + 1) else 1
        if header not in _PARAMETER_SECTIONS:
            continue
        numpy_style = _is_numpy_underline(lines, index - 1)
        while index < len(lines) and not _is_section_header(lines, index):
            line = lines[index]
            entry = (
                re.match(r"^(\s*)\*{0,2}(\w+)\s*(?::.*)?$", line)
                if numpy_style
                else re.match(r"^(\s*)\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$", line)
            )
            if not line.strip() or entry is None:
                index += 1
                continue
            first = "" if numpy_style else entry.group(3)
            parameter_docs[entry.group(2)], index = _continued(lines, index + 1, first, indent=len(entry.group(1)))
    text = " ".join(" ".join(description).split())
    return text, parameter_docs


def _continued(lines: list[str], index: int, first: str, *, indent: int | None) -> tuple[str, int]:
    """Join an entry's first line with the more-indented lines after it."""
    parts = [first.strip()] if first.strip() else []
    while index < len(lines) and lines[index].strip() and not _is_section_header(lines, index):
        line = lines[index]
        line_indent = len(line) - len(line.lstrip())
        if indent is not None and line_indent <= indent:
            break
        if indent is None and line.lstrip().startswith(":"):
            break
        parts.append(line.strip())
        index += 1
    return " ".join(parts), index


def _is_section_header(lines: list[str], index: int) -> bool:
    line = lines[index]
    if _is_numpy_underline(lines, index + 1) and line.strip():
        return True
    return line == line.lstrip() and bool(_SECTION.match(line.strip())) and line.strip().endswith(":")


def _is_numpy_underline(lines: list[str], index: int) -> bool:
    return 0 <= index < len(lines) and bool(re.match(r"^\s*-{3,}\s*$", lines[index]))
