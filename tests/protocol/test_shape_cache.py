"""``ShapeCache``: one compiled thing per shape, recursive shapes included."""

from __future__ import annotations

from typing import Any

import pytest

from cleanroomsml_mock.model import ShapeCache


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
