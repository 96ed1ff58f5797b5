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

import inspect
import re
import typing
from collections.abc import Callable
from typing import Any, Literal

import docstring_parser
import pydantic
import pydantic_core
from docstring_parser import google

__all__ = ["tool_schema"]

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_DATA_KEYS = {"default", "enum", "const", "examples"}  # their values are JSON data, not schemas
_SCHEMA_MAPS = {"properties", "patternProperties"}  # name -> schema: the names are not keywords
_GOOGLE = google.GoogleParser(  # docstring_parser's Google sections, and the ones it would leave in the description
    google.DEFAULT_SECTIONS
    + [google.Section(title, "param", google.SectionType.MULTIPLE) for title in ("Keyword Args", "Keyword Arguments")]
    + [google.Section(title, "notes", google.SectionType.SINGULAR) for title in ("Note", "Notes", "See Also", "Todo")]
)


def tool_schema(
    func: Callable[..., Any], fmt: Literal["openai", "anthropic"] = "openai", *, name: str | None = None
) -> dict[str, Any]:
    """Build a tool definition for `func` from its type hints and docstring.

    Types: whatever pydantic turns into JSON Schema (str, int, float, bool, list[...], tuple, set,
    dict[...], Literal[...], Enum subclasses, datetime, dataclasses, pydantic models...), with
    nested types written out in place. `Optional[...]` / `X | None` is X; `Annotated[X, "description"]`
    describes the parameter. A parameter with a default is not required; one without a type hint
    is taken as a string. The docstring's summary (and the prose after it) is the tool's
    description; parameter descriptions come from its Google `Args:`, NumPy `Parameters` or reST
    `:param name:` entries. `fmt="openai"` gives `{"type": "function", "function": {...}}`,
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
    if fmt not in ("openai", "anthropic"):
        raise ValueError(f"fmt must be 'openai' or 'anthropic', got {fmt!r}")
    doc = _docstring(inspect.getdoc(func) or "")
    description = " ".join(" ".join(filter(None, [doc.short_description, doc.long_description])).split())
    parameters = _parameters_schema(func, {param.arg_name: param.description or "" for param in doc.params})
    tool = {"name": tool_name, **({"description": description} if description else {})}
    if fmt == "anthropic":
        return {**tool, "input_schema": parameters}
    return {"type": "function", "function": {**tool, "parameters": parameters}}


def _docstring(text: str) -> docstring_parser.Docstring:
    """The reading that finds the most: docstring_parser's guess (Google, NumPy, reST or Epydoc) or `_GOOGLE`."""
    readings = []
    for parse in (docstring_parser.parse, _GOOGLE.parse):
        try:
            readings.append(parse(text))
        except docstring_parser.ParseError:
            pass
    return max(readings, key=lambda doc: len(doc.meta)) if readings else docstring_parser.parse("")


def _parameters_schema(func: Callable[..., Any], parameter_docs: dict[str, str]) -> dict[str, Any]:
    func_name = getattr(func, "__name__", func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception as err:
        raise TypeError(
            f"cannot read the type hints of {func_name!r} ({err}); "
            "define the types it uses at the top level of the module or notebook"
        ) from err
    properties: dict[str, Any] = {}
    required: list[str] = []
    recursive: dict[str, Any] = {}  # the definitions a recursive type refers back to
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue  # a model cannot fill *args / **kwargs
        hint = hints.get(param.name, str)  # no hint: a string
        try:
            generated = pydantic.TypeAdapter(hint).json_schema()
        except (pydantic.PydanticUserError, TypeError) as err:
            raise TypeError(
                f"parameter {param.name!r} of {func_name!r}: {hint!r} has no JSON schema here; use str, int, "
                "float, bool, list[...], dict, Literal[...], an Enum, a dataclass or a pydantic model"
            ) from err
        schema = _inlined(generated, generated.pop("$defs", {}), recursive)
        options = schema.get("anyOf", [])
        if len(options) == 2 and {"type": "null"} in options:  # Optional[X]: X, optional when it has a default
            schema = {**next(option for option in options if option != {"type": "null"}), **schema}
            del schema["anyOf"]
        notes = [note for note in getattr(hint, "__metadata__", ()) if isinstance(note, str)]
        if notes or parameter_docs.get(param.name):
            schema["description"] = " ".join(notes) or " ".join(parameter_docs[param.name].split())
        if param.default is param.empty:
            required.append(param.name)
        elif param.default is not None:
            try:  # Enum members as their values, tuples as lists; a default JSON cannot hold is left out
                schema["default"] = pydantic_core.to_jsonable_python(param.default)
            except pydantic_core.PydanticSerializationError:
                pass
        properties[param.name] = schema
    parameters = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return {**parameters, "$defs": recursive} if recursive else parameters


def _inlined(node: Any, defs: dict[str, Any], recursive: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """`node` without pydantic's titles, each `$ref` replaced by its definition; a recursive type's
    reference stays, and its definition goes to `recursive` (the tool's top-level `$defs`)."""
    if isinstance(node, list):
        return [_inlined(item, defs, recursive, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "").removeprefix("#/$defs/")
    if ref in seen:
        if ref not in recursive:
            recursive[ref] = {}  # reserved first: the definition may refer to itself again
            recursive[ref] = _inlined(defs[ref], defs, recursive, (ref,))
        return node
    if ref in defs:
        node, seen = {**defs[ref], **{key: value for key, value in node.items() if key != "$ref"}}, (*seen, ref)
    cleaned = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue  # pydantic's titles only repeat the names
        if key in _SCHEMA_MAPS:
            value = {name: _inlined(schema, defs, recursive, seen) for name, schema in value.items()}
        elif key not in _DATA_KEYS:
            value = _inlined(value, defs, recursive, seen)
        cleaned[key] = value
    return cleaned
