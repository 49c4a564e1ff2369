"""Server-side validation of a parsed request against the input shape of its operation.

botocore's client checks only required members, types and minimums, and users can turn
that off; raw HTTP and server mode skip it entirely. So every constraint of the model is
checked here again: required, types, min/max (lengths, sizes, values), enums, patterns and
tagged unions. Validators are compiled once per shape into closures.

Messages follow AWS's wording: ``1 validation error detected: Value 'x' at 'name' failed
to satisfy constraint: Member must have length less than or equal to 63``.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
from collections.abc import Callable
from typing import Any

from .errors import ValidationException

# Where a value sits in the request. Built lazily: a child's path is the tuple
# (parent path, member name) or (parent path, list index); it is rendered to AWS's
# dotted form ("trainingData.1.member.inputConfig") only when an error names it.
Path = Any
Validator = Callable[[Any, Path, list[str]], None]

_SURROGATES = "\\uD800\\uDBFF-\\uDC00\\uDFFF"


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The model's pattern as a Python regex, matched against the whole value.

    Java's UTF-16 surrogate ranges become the astral plane, so that characters outside the
    BMP are accepted where the real service accepts them. ``\\d``, ``\\w`` and ``\\s`` are
    ASCII-only, as in the service's (Java) regexes.
    """
    return re.compile(pattern.replace(_SURROGATES, "\\U00010000-\\U0010FFFF"), re.DOTALL | re.ASCII)


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return text


def render_path(path: Path) -> str:
    if isinstance(path, str):
        return path
    parent, step = path
    head = render_path(parent)
    if isinstance(step, int):  # a list item
        return f"{head}.{step}.member"
    return f"{head}.{step}" if head else step


def _fail(errors: list[str], value: Any, path: Path, constraint: str) -> None:
    shown = "null" if value is None else f"'{_show(value)}'"
    errors.append(
        f"Value {shown} at '{render_path(path)}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )


# Patterns that every string of at least N characters satisfies (N given).
_TRIVIAL_PATTERNS = {".*": 0, "[\\S\\s]*": 0, ".+": 1}


class _Compiler:
    def __init__(self) -> None:
        # validators being built (with placeholders): only touched under the lock
        self._cache: dict[str, Validator] = {}
        # finished validators: read without the lock
        self._done: dict[str, Validator] = {}
        self._lock = threading.RLock()

    def compile(self, shape: Any) -> Validator:
        done = self._done.get(shape.name)
        if done is not None:
            return done
        with self._lock:  # another thread must never see a half-built validator
            return self._compile(shape)

    def _compile(self, shape: Any) -> Validator:
        cached = self._cache.get(shape.name)
        if cached is not None:
            return cached
        # placeholder for (theoretical) recursive shapes
        slot: list[Validator] = []
        self._cache[shape.name] = lambda v, p, e: slot[0](v, p, e)
        kind = shape.type_name
        builder = getattr(self, f"_{kind}", self._other)
        fn: Validator = builder(shape)
        slot.append(fn)
        self._cache[shape.name] = fn
        self._done[shape.name] = fn
        return fn

    def _structure(self, shape: Any) -> Validator:
        by_name = {name: self.compile(m) for name, m in shape.members.items()}
        required = tuple(shape.required_members)
        union = bool(getattr(shape, "is_tagged_union", False))

        def check(value: Any, path: Path, errors: list[str]) -> None:
            if not isinstance(value, dict):
                _fail(errors, value, path or "request", "be a structure")
                return
            for name in required:
                if value.get(name) is None:
                    _fail(errors, None, (path, name), "not be null")
            present = 0
            dropped: list[str] | None = None
            # walk the members that are there; undeclared keys and nulls are ignored, as
            # AWS does, and dropped, so that what is stored is exactly what is declared
            for name, item in value.items():
                fn = by_name.get(name)
                if fn is None or item is None:
                    if dropped is None:
                        dropped = []
                    dropped.append(name)
                    continue
                present += 1
                fn(item, (path, name) if path else name, errors)
            if dropped:
                for name in dropped:
                    del value[name]
            if union and present != 1:
                names = ", ".join(by_name)
                errors.append(
                    f"Value at '{render_path(path)}' failed to satisfy constraint: Member must "
                    "have exactly "
                    f"one of its members set ({names}), but {present} were set"
                )

        return check

    def _list(self, shape: Any) -> Validator:
        item_fn = self.compile(shape.member)
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")

        def check(value: Any, path: Path, errors: list[str]) -> None:
            if not isinstance(value, list):
                _fail(errors, value, path, "be a list")
                return
            n = len(value)
            if lo is not None and n < lo:
                _fail(errors, value, path, f"have length greater than or equal to {lo}")
            if hi is not None and n > hi:
                _fail(errors, value, path, f"have length less than or equal to {hi}")
            for i, item in enumerate(value):
                if item is None:
                    _fail(errors, None, (path, i + 1), "not be null")
                else:
                    item_fn(item, (path, i + 1), errors)

        return check

    def _map(self, shape: Any) -> Validator:
        key_fn = self.compile(shape.key)
        value_fn = self.compile(shape.value)
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")

        def check(value: Any, path: Path, errors: list[str]) -> None:
            if not isinstance(value, dict):
                _fail(errors, value, path, "be a map")
                return
            n = len(value)
            if lo is not None and n < lo:
                _fail(errors, value, path, f"have length greater than or equal to {lo}")
            if hi is not None and n > hi:
                _fail(errors, value, path, f"have length less than or equal to {hi}")
            for k, v in value.items():
                key_fn(k, (path, "key"), errors)
                if v is None:
                    _fail(errors, None, (path, k), "not be null")
                else:
                    value_fn(v, (path, k), errors)

        return check

    def _string(self, shape: Any) -> Validator:
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        enum = tuple(shape.enum) if shape.enum else ()
        enum_set = frozenset(enum)
        raw_pattern = shape.metadata.get("pattern")
        if raw_pattern in _TRIVIAL_PATTERNS and (lo or 0) >= _TRIVIAL_PATTERNS[raw_pattern]:
            raw_pattern = None  # matches every string the length check lets through
        pattern = compile_pattern(raw_pattern) if raw_pattern else None

        def check(value: Any, path: Path, errors: list[str]) -> None:
            if not isinstance(value, str):
                _fail(errors, value, path, "be a string")
                return
            n = len(value)
            if lo is not None and n < lo:
                _fail(errors, value, path, f"have length greater than or equal to {lo}")
            if hi is not None and n > hi:
                _fail(errors, value, path, f"have length less than or equal to {hi}")
            if enum_set and value not in enum_set:
                _fail(errors, value, path, f"satisfy enum value set: [{', '.join(enum)}]")
            if pattern is not None and pattern.fullmatch(value) is None:
                _fail(errors, value, path, f"satisfy regular expression pattern: {raw_pattern}")

        return check

    def _number(self, shape: Any, integral: bool) -> Validator:
        lo = shape.metadata.get("min")
        hi = shape.metadata.get("max")
        kind = "an integer" if integral else "a number"

        def check(value: Any, path: Path, errors: list[str]) -> None:
            ok_type = isinstance(value, int) if integral else isinstance(value, (int, float))
            if isinstance(value, bool) or not ok_type:
                _fail(errors, value, path, f"be {kind}")
                return
            if value != value:  # NaN
                _fail(errors, value, path, f"be {kind}")
                return
            if lo is not None and value < lo:
                _fail(errors, value, path, f"have value greater than or equal to {lo}")
            if hi is not None and value > hi:
                _fail(errors, value, path, f"have value less than or equal to {hi}")

        return check

    def _integer(self, shape: Any) -> Validator:
        return self._number(shape, True)

    def _long(self, shape: Any) -> Validator:
        return self._number(shape, True)

    def _double(self, shape: Any) -> Validator:
        return self._number(shape, False)

    def _float(self, shape: Any) -> Validator:
        return self._number(shape, False)

    def _boolean(self, shape: Any) -> Validator:
        def check(value: Any, path: Path, errors: list[str]) -> None:
            if not isinstance(value, bool):
                _fail(errors, value, path, "be a boolean")

        return check

    def _timestamp(self, shape: Any) -> Validator:
        def check(value: Any, path: Path, errors: list[str]) -> None:
            if not isinstance(value, _dt.datetime):
                _fail(errors, value, path, "be a timestamp")

        return check

    def _other(self, shape: Any) -> Validator:
        def check(value: Any, path: Path, errors: list[str]) -> None:
            return None

        return check


_COMPILER = _Compiler()


def validator_for(shape: Any) -> Validator:
    return _COMPILER.compile(shape)


def raise_if_invalid(errors: list[str]) -> None:
    if not errors:
        return
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    raise ValidationException(f"{count} validation {noun} detected: " + "; ".join(errors))


def validate(shape: Any, params: dict[str, Any]) -> None:
    """Raise ``ValidationException`` naming every member of ``params`` that breaks ``shape``."""
    if shape is None:
        return
    errors: list[str] = []
    validator_for(shape)(params, "", errors)
    raise_if_invalid(errors)
