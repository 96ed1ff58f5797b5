"""Tests for llmcourse.schemas beyond the basics in test_tools.py: the types pydantic describes
(nested models, dataclasses, TypedDicts, dates, constraints, recursive models), checked against the
real JSON Schema they must be, and validated with jsonschema the way an API would read them."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
from typing import Annotated, Any

import jsonschema
import pydantic
import pytest
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from Python 3.12

from llmcourse.schemas import tool_schema

POINT = {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}, "required": ["x", "y"]}


class Unit(enum.Enum):
    """A temperature unit."""

    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Point(pydantic.BaseModel):
    x: int
    y: int


class Route(pydantic.BaseModel):
    """A route through points."""

    title: str  # a field called "title" is a name, not pydantic's title keyword
    stops: list[Point]
    unit: Unit | None = None


@dataclasses.dataclass
class Box:
    width: float
    label: str = "box"


class Address(TypedDict):
    street: str
    zip_code: int


class Tree(pydantic.BaseModel):
    name: str
    children: list[Tree] = []


class Opaque:
    pass


def parameters(func: Any) -> dict[str, Any]:
    """The tool's parameter schema, checked to be valid JSON Schema (as a provider would check it)."""
    schema = tool_schema(func)["function"]["parameters"]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == tool_schema(func, "anthropic")["input_schema"]
    return schema


def test_nested_types_are_written_out_in_place():
    def plan(route: Route, box: Box, address: Address, points: list[Point] | None = None):
        pass

    schema = parameters(plan)
    assert schema["properties"] == {
        "route": {
            "type": "object",
            "description": "A route through points.",
            "properties": {
                "title": {"type": "string"},
                "stops": {"type": "array", "items": POINT},
                "unit": {
                    "anyOf": [
                        {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "A temperature unit."},
                        {"type": "null"},
                    ],
                    "default": None,
                },
            },
            "required": ["title", "stops"],
        },
        "box": {
            "type": "object",
            "properties": {"width": {"type": "number"}, "label": {"type": "string", "default": "box"}},
            "required": ["width"],
        },
        "address": {
            "type": "object",
            "properties": {"street": {"type": "string"}, "zip_code": {"type": "integer"}},
            "required": ["street", "zip_code"],
        },
        "points": {"type": "array", "items": POINT},
    }
    assert schema["required"] == ["route", "box", "address"]
    assert "$defs" not in schema and "$ref" not in json.dumps(schema)  # nothing left to look up
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "route": {"title": "Coast", "stops": [{"x": 1, "y": 2}], "unit": None},
        "box": {"width": 2.5},
        "address": {"street": "1 Main St", "zip_code": 12345},
    }
    validator.validate(good)
    assert not validator.is_valid({**good, "route": {"title": "Coast", "stops": [{"x": 1}]}})
    assert not validator.is_valid({**good, "surprise": 1})  # additionalProperties: False


def test_dates_constraints_and_defaults():
    def book(
        when: datetime.datetime,
        day: datetime.date = datetime.date(2026, 12, 1),
        rating: Annotated[int, pydantic.Field(ge=1, le=5)] = 3,
        unit: Unit | None = None,
        labels: set[str] = frozenset(),
        meta: dict = {"title": "kept"},  # noqa: B006 - data called "title" stays
        odd: Any = Opaque(),  # noqa: B008 - a default JSON cannot hold
    ):
        pass

    assert parameters(book)["properties"] == {
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date", "default": "2026-12-01"},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5, "default": 3},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "A temperature unit."},
        "labels": {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "default": []},
        "meta": {"type": "object", "additionalProperties": True, "default": {"title": "kept"}},
        "odd": {},  # its default is left out
    }


def test_descriptions_come_from_the_parameter_first():
    def convert(
        unit: Unit,
        other: Unit,
        note: Annotated[str, "From the annotation"],
        size: Annotated[int, pydantic.Field(description="From the field")],
    ):
        """Convert.

        Args:
            unit: From the docstring.
            note: Loses to the annotation.
        """

    properties = parameters(convert)["properties"]
    assert properties["unit"]["description"] == "From the docstring."
    assert properties["other"]["description"] == "A temperature unit."  # the Enum's own docstring
    assert properties["note"] == {"type": "string", "description": "From the annotation"}
    assert properties["size"] == {"type": "integer", "description": "From the field"}


def test_a_recursive_model_keeps_one_valid_reference():
    def draw(tree: Tree):
        pass

    schema = parameters(draw)
    tree = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}, "default": []},
        },
        "required": ["name"],
    }
    assert schema["properties"]["tree"] == tree
    assert schema["$defs"] == {"Tree": tree}
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate({"tree": {"name": "root", "children": [{"name": "leaf", "children": [{"name": "deep"}]}]}})
    assert not validator.is_valid({"tree": {"name": "root", "children": [{"children": []}]}})  # the $ref is followed


def test_an_unsupported_type_names_the_parameter_and_keeps_pydantics_reason():
    def keep(value: Opaque):
        pass

    with pytest.raises(TypeError, match=r"parameter 'value' of 'keep': .*Opaque.* has no JSON schema") as caught:
        tool_schema(keep)
    assert isinstance(caught.value.__cause__, pydantic.PydanticUserError)


def test_more_docstring_sections():
    def search(query: str, *, limit: int = 10):
        """Search the catalogue.

        Note:
            Results are cached for a minute.

        Args:
            query: What to look for.

        Keyword Args:
            limit: At most this many.
        """

    def epydoc_search(query: str, limit: int = 10):
        """Search the catalogue.

        @param query: What to look for.
        @param limit: At most this many.
        """

    for func in (search, epydoc_search):
        function = tool_schema(func)["function"]
        assert function["description"] == "Search the catalogue."  # a note is for the reader, not the model
        assert function["parameters"]["properties"] == {
            "query": {"type": "string", "description": "What to look for."},
            "limit": {"type": "integer", "description": "At most this many.", "default": 10},
        }
