"""``ShapeCache``: one compiled thing per shape, recursive shapes included.

The service model has no recursive shape today, but botocore models allow them (a
structure that contains itself through a list); the validator, the parser and the
serialiser must all handle one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.model import ShapeResolver

from cleanroomsml_mock import protocol, validation
from cleanroomsml_mock.errors import ValidationException
from cleanroomsml_mock.model import ShapeCache

_TREE = ShapeResolver(
    {
        "Node": {
            "type": "structure",
            "required": ["label"],
            "members": {
                "label": {"shape": "Label"},
                "at": {"shape": "Time"},
                "children": {"shape": "Nodes"},
            },
        },
        "Nodes": {"type": "list", "member": {"shape": "Node"}},
        "Label": {"type": "string", "max": 3},
        "Time": {"type": "timestamp"},
    }
).get_shape_by_name("Node")


def test_a_recursive_shape_is_validated_at_every_depth() -> None:
    tree: dict[str, Any] = {
        "label": "a",
        "bogus": 1,
        "children": [{"label": "b", "children": [{"label": "long", "extra": None}]}],
    }
    with pytest.raises(ValidationException) as exc:
        validation.validate(_TREE, tree)
    assert exc.value.message == (
        "1 validation error detected: Value 'long' at "
        "'children.1.member.children.1.member.label' failed to satisfy constraint: "
        "Member must have length less than or equal to 3"
    )
    assert tree == {"label": "a", "children": [{"label": "b", "children": [{"label": "long"}]}]}


def test_a_recursive_shape_is_converted_and_serialised_at_every_depth() -> None:
    at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    wire = {"label": "a", "children": [{"label": "b", "at": "2026-01-01T00:00:00Z"}]}
    parsed = protocol._converters.get(_TREE)(wire, "tree")
    assert parsed["children"][0]["at"] == at
    assert protocol.to_wire(_TREE, parsed) == {
        "label": "a",
        "children": [{"label": "b", "at": "2026-01-01T00:00:00.000Z"}],
    }


def test_nothing_is_published_before_the_outermost_build_ends() -> None:
    """Another thread reads finished entries without the lock, so an inner shape built
    on the way (which may hold a placeholder) must wait for the outer one."""
    published_during_build: list[list[str]] = []

    class Shape:
        def __init__(self, name: str, *children: str) -> None:
            self.name = name
            self.children = children

    shapes = {"A": Shape("A", "B"), "B": Shape("B", "A")}

    def build(shape: Any) -> Any:
        parts = [cache.get(shapes[c]) for c in shape.children]
        published_during_build.append(sorted(cache._done))
        return ("built", shape.name, parts)

    def placeholder(final: Any) -> Any:
        return ("placeholder", final)

    cache: ShapeCache[Any] = ShapeCache(build, placeholder)
    a = cache.get(shapes["A"])
    assert published_during_build == [[], []]  # B, then A: nothing published meanwhile
    b = cache.get(shapes["B"])
    assert a == ("built", "A", [b])
    # B holds A's placeholder, which forwards to the finished A
    kind, final = b[2][0]
    assert kind == "placeholder" and final() is a


def test_a_failed_build_leaves_nothing_behind() -> None:
    calls: list[str] = []

    class Shape:
        name = "S"

    def build(shape: Any) -> Any:
        calls.append(shape.name)
        if len(calls) == 1:
            raise RuntimeError("first build fails")
        return "built"

    cache: ShapeCache[Any] = ShapeCache(build, lambda final: final)
    with pytest.raises(RuntimeError):
        cache.get(Shape())
    assert cache.get(Shape()) == "built"
