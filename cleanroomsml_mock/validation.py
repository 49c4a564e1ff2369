"""Server-side validation of a parsed request against the input shape of its operation.

botocore's client checks only required members, types and minimums, and users can turn
that off; raw HTTP and server mode skip it entirely. So every constraint of the model is
checked here again: required, types, min/max (lengths, sizes, values), enums, patterns and
tagged unions. Validators are compiled once per shape into closures, in pairs: a fast
check (a yes/no that allocates nothing, specialised to the constraints a shape has) that
every request goes through, and the full validator, run only when the fast check says
no, which names each error and drops undeclared and null members.

Messages follow AWS's wording: ``1 validation error detected: Value 'x' at 'name' failed
to satisfy constraint: Member must have length less than or equal to 63``.
"""

from __future__ import annotations

import datetime as _dt
import re
import sys
import threading
from collections.abc import Callable
from typing import Any

from .errors import ValidationException

# Where a value sits in the request. Built lazily: a child's path is the tuple
# (parent path, member name) or (parent path, list index); it is rendered to AWS's
# dotted form ("trainingData.1.member.inputConfig") only when an error names it.
Path = Any
Validator = Callable[[Any, Path, list[str]], None]
# A fast check: True only when the value is valid and nothing in it needs dropping (no
# undeclared keys, no null members); it allocates nothing. When it says False the full
# validator runs, to name the errors and drop what is to be dropped.
Check = Callable[[Any], bool]
Pair = tuple[Validator, Check]

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


# The fast check of a patterned string remembers up to _MEMO_SIZE valid values of at
# most _MEMO_LENGTH characters.
_MEMO_SIZE = 256
_MEMO_LENGTH = 256

# Patterns that every string of at least N characters satisfies (N given).
_TRIVIAL_PATTERNS = {".*": 0, "[\\S\\s]*": 0, ".+": 1}


class _Compiler:
    def __init__(self) -> None:
        # validators being built (with placeholders): only touched under the lock
        self._cache: dict[str, Pair] = {}
        # finished validators: read without the lock
        self._done: dict[str, Pair] = {}
        self._lock = threading.RLock()

    def compile(self, shape: Any) -> Validator:
        return self.pair(shape)[0]

    def pair(self, shape: Any) -> Pair:
        done = self._done.get(shape.name)
        if done is not None:
            return done
        with self._lock:  # another thread must never see a half-built validator
            return self._compile(shape)

    def _compile(self, shape: Any) -> Pair:
        cached = self._cache.get(shape.name)
        if cached is not None:
            return cached
        # placeholder for (theoretical) recursive shapes
        slot: list[Pair] = []
        self._cache[shape.name] = (
            lambda v, p, e: slot[0][0](v, p, e),
            lambda v: slot[0][1](v),
        )
        kind = shape.type_name
        builder = getattr(self, f"_{kind}", self._other)
        fn: Pair = builder(shape)
        slot.append(fn)
        self._cache[shape.name] = fn
        self._done[shape.name] = fn
        return fn

    def _structure(self, shape: Any) -> Pair:
        pairs = {name: self.pair(m) for name, m in shape.members.items()}
        by_name = {name: p[0] for name, p in pairs.items()}
        fast_by_name = {name: p[1] for name, p in pairs.items()}
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

        get_fast = fast_by_name.get

        def ok(value: Any) -> bool:
            if not isinstance(value, dict):
                return False
            for name in required:
                if value.get(name) is None:
                    return False
            # every key declared and not null: then the members present are all the keys
            if union and len(value) != 1:
                return False
            for name, item in value.items():
                fn = get_fast(name)
                if fn is None or item is None or not fn(item):
                    return False
            return True

        if not required and not union:

            def ok_plain(value: Any) -> bool:
                if not isinstance(value, dict):
                    return False
                for name, item in value.items():
                    fn = get_fast(name)
                    if fn is None or item is None or not fn(item):
                        return False
                return True

            return check, ok_plain
        return check, ok

    def _list(self, shape: Any) -> Pair:
        item_fn, item_ok = self.pair(shape.member)
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

        n_lo = lo if lo is not None else 0
        n_hi = hi if hi is not None else sys.maxsize

        def ok(value: Any) -> bool:
            if not isinstance(value, list) or not n_lo <= len(value) <= n_hi:
                return False
            for item in value:
                if item is None or not item_ok(item):
                    return False
            return True

        return check, ok

    def _map(self, shape: Any) -> Pair:
        key_fn, key_ok = self.pair(shape.key)
        value_fn, value_ok = self.pair(shape.value)
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

        n_lo = lo if lo is not None else 0
        n_hi = hi if hi is not None else sys.maxsize

        def ok(value: Any) -> bool:
            if not isinstance(value, dict) or not n_lo <= len(value) <= n_hi:
                return False
            for k, v in value.items():
                if v is None or not key_ok(k) or not value_ok(v):
                    return False
            return True

        return check, ok

    def _string(self, shape: Any) -> Pair:
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

        return check, self._string_ok(lo, hi, enum, pattern)

    @staticmethod
    def _string_ok(
        lo: int | None, hi: int | None, enum: tuple[str, ...], pattern: re.Pattern[str] | None
    ) -> Check:
        """The fast check of a string, specialised to the constraints it has."""
        n_lo = lo if lo is not None else 0
        n_hi = hi if hi is not None else sys.maxsize
        if enum:
            # the enum values that pass every other constraint: membership is the check
            allowed = frozenset(
                e
                for e in enum
                if n_lo <= len(e) <= n_hi and (pattern is None or pattern.fullmatch(e))
            )

            def ok_enum(value: Any) -> bool:
                return isinstance(value, str) and value in allowed

            return ok_enum
        if pattern is not None:
            fullmatch = pattern.fullmatch
            # short plain strings already found valid (requests repeat ARNs and names):
            # a dict lookup instead of a regex match; bounded, emptied when full
            seen: dict[str, None] = {}

            def ok_pattern(value: Any) -> bool:
                if type(value) is str and len(value) <= _MEMO_LENGTH:
                    if value in seen:
                        return True
                    if not n_lo <= len(value) <= n_hi or fullmatch(value) is None:
                        return False
                    if len(seen) >= _MEMO_SIZE:
                        seen.clear()
                    seen[value] = None
                    return True
                return (
                    isinstance(value, str)
                    and n_lo <= len(value) <= n_hi
                    and fullmatch(value) is not None
                )

            return ok_pattern
        if lo is None and hi is None:

            def ok_any(value: Any) -> bool:
                return isinstance(value, str)

            return ok_any

        def ok_sized(value: Any) -> bool:
            return isinstance(value, str) and n_lo <= len(value) <= n_hi

        return ok_sized

    def _number(self, shape: Any, integral: bool) -> Pair:
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

        types: type | tuple[type, ...] = int if integral else (int, float)

        def ok(value: Any) -> bool:
            if isinstance(value, bool) or not isinstance(value, types):
                return False
            if value != value:  # NaN
                return False
            if lo is not None and value < lo:
                return False
            return hi is None or not value > hi

        return check, ok

    def _integer(self, shape: Any) -> Pair:
        return self._number(shape, True)

    def _long(self, shape: Any) -> Pair:
        return self._number(shape, True)

    def _double(self, shape: Any) -> Pair:
        return self._number(shape, False)

    def _float(self, shape: Any) -> Pair:
        return self._number(shape, False)

    def _boolean(self, shape: Any) -> Pair:
        def check(value: Any, path: Path, errors: list[str]) -> None:
            if not isinstance(value, bool):
                _fail(errors, value, path, "be a boolean")

        def ok(value: Any) -> bool:
            return isinstance(value, bool)

        return check, ok

    def _timestamp(self, shape: Any) -> Pair:
        def check(value: Any, path: Path, errors: list[str]) -> None:
            if not isinstance(value, _dt.datetime):
                _fail(errors, value, path, "be a timestamp")

        def ok(value: Any) -> bool:
            return isinstance(value, _dt.datetime)

        return check, ok

    def _other(self, shape: Any) -> Pair:
        def check(value: Any, path: Path, errors: list[str]) -> None:
            return None

        def ok(value: Any) -> bool:
            return True

        return check, ok


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
    full, ok = _COMPILER.pair(shape)
    if ok(params):  # the common case: valid and clean, checked without allocating
        return
    errors: list[str] = []
    full(params, "", errors)
    raise_if_invalid(errors)
