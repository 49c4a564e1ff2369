"""Server-side validation of a parsed request against the input shape of its operation.

botocore's client checks only required members, types and minimums, and users can turn
that off; raw HTTP and server mode skip it entirely. So every constraint of the model is
checked here again: required, types, min/max (lengths, sizes, values), enums, patterns and
tagged unions. Undeclared and null members of structures are dropped, as AWS ignores
them, so that what is stored is exactly what is declared.

Each shape is compiled once into one validator: a function of the value that returns
None when it is valid, else the list of its ``Failure``\\ s. A failure's path is built
only when there is one: each container adds its step (member name, list index, map key)
as the failure passes up, so a valid value is checked without allocating anything.

Messages follow AWS's wording: ``1 validation error detected: Value 'x' at 'name' failed
to satisfy constraint: Member must have length less than or equal to 63``.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
import sys
from collections.abc import Callable
from typing import Any

from .errors import ValidationException
from .model import ShapeCache

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


_NO_VALUE = object()  # a failure of the structure as a whole, not of one value


class Failure:
    """One broken constraint: the value, what it must do, and where it is."""

    __slots__ = ("constraint", "steps", "value")

    def __init__(self, value: Any, constraint: str) -> None:
        self.value = value
        self.constraint = constraint
        self.steps: list[str | int] = []  # innermost first: member names, list indexes, keys

    def at(self, step: str | int) -> Failure:
        self.steps.append(step)
        return self

    def message(self) -> str:
        path = ""
        for step in reversed(self.steps):
            if isinstance(step, int):  # a list item
                path = f"{path}.{step}.member"
            else:
                path = f"{path}.{step}" if path else step
        value = self.value
        shown = "" if value is _NO_VALUE else " null" if value is None else f" '{_show(value)}'"
        return (
            f"Value{shown} at '{path or 'request'}' failed to satisfy constraint: "
            f"Member must {self.constraint}"
        )


Failures = list[Failure] | None
Validator = Callable[[Any], Failures]


def _add(found: Failures, failure: Failure) -> list[Failure]:
    if found is None:
        return [failure]
    found.append(failure)
    return found


def _within(found: Failures, step: str | int, inner: list[Failure]) -> list[Failure]:
    """``found`` and the failures of a member, list item or map entry at ``step``."""
    for failure in inner:
        failure.steps.append(step)
    if found is None:
        return inner
    found.extend(inner)
    return found


def _structure(shape: Any) -> Validator:
    members = {name: _validators.get(m) for name, m in shape.members.items()}
    member = members.get
    required = tuple(shape.required_members)
    union = bool(getattr(shape, "is_tagged_union", False))
    names = ", ".join(members)

    def check(value: Any) -> Failures:
        if not isinstance(value, dict):
            return [Failure(value, "be a structure")]
        found: Failures = None
        for name in required:
            if value.get(name) is None:
                found = _add(found, Failure(None, "not be null").at(name))
        dropped: list[str] | None = None
        for name, item in value.items():
            fn = member(name)
            if fn is None or item is None:
                if dropped is None:
                    dropped = []
                dropped.append(name)
                continue
            inner = fn(item)
            if inner is not None:
                found = _within(found, name, inner)
        if dropped is not None:
            for name in dropped:
                del value[name]
        # what is left is declared and not null: the members that are set
        if union and len(value) != 1:
            failure = Failure(
                _NO_VALUE,
                f"have exactly one of its members set ({names}), but {len(value)} were set",
            )
            found = _add(found, failure)
        return found

    return check


def _sized(kind: str, lo: int | None, hi: int | None) -> Callable[[Any, int], Failures]:
    """The length (or size) failures of a value of length ``n``."""

    def sized(value: Any, n: int) -> Failures:
        found: Failures = None
        if lo is not None and n < lo:
            found = [Failure(value, f"have {kind} greater than or equal to {lo}")]
        if hi is not None and n > hi:
            found = _add(found, Failure(value, f"have {kind} less than or equal to {hi}"))
        return found

    return sized


def _list(shape: Any) -> Validator:
    item_check = _validators.get(shape.member)
    lo = shape.metadata.get("min")
    hi = shape.metadata.get("max")
    n_lo = lo if lo is not None else 0
    n_hi = hi if hi is not None else sys.maxsize
    sized = _sized("length", lo, hi)

    def check(value: Any) -> Failures:
        if not isinstance(value, list):
            return [Failure(value, "be a list")]
        found: Failures = None
        if not n_lo <= len(value) <= n_hi:
            found = sized(value, len(value))
        i = 0
        for item in value:
            i += 1
            if item is None:
                found = _add(found, Failure(None, "not be null").at(i))
                continue
            inner = item_check(item)
            if inner is not None:
                found = _within(found, i, inner)
        return found

    return check


def _map(shape: Any) -> Validator:
    key_check = _validators.get(shape.key)
    value_check = _validators.get(shape.value)
    lo = shape.metadata.get("min")
    hi = shape.metadata.get("max")
    n_lo = lo if lo is not None else 0
    n_hi = hi if hi is not None else sys.maxsize
    sized = _sized("length", lo, hi)

    def check(value: Any) -> Failures:
        if not isinstance(value, dict):
            return [Failure(value, "be a map")]
        found: Failures = None
        if not n_lo <= len(value) <= n_hi:
            found = sized(value, len(value))
        for k, v in value.items():
            inner = key_check(k)
            if inner is not None:
                found = _within(found, "key", inner)
            if v is None:
                found = _add(found, Failure(None, "not be null").at(k))
                continue
            inner = value_check(v)
            if inner is not None:
                found = _within(found, k, inner)
        return found

    return check


# Patterns that every string of at least N characters satisfies (N given).
_TRIVIAL_PATTERNS = {".*": 0, "[\\S\\s]*": 0, ".+": 1}
# A patterned string remembers this many short values it found valid (requests repeat
# ARNs and names), to skip matching the regex again.
_KNOWN_SIZE = 256
_KNOWN_LENGTH = 256


def _string(shape: Any) -> Validator:
    lo = shape.metadata.get("min")
    hi = shape.metadata.get("max")
    enum = tuple(shape.enum) if shape.enum else ()
    raw_pattern = shape.metadata.get("pattern")
    if raw_pattern in _TRIVIAL_PATTERNS and (lo or 0) >= _TRIVIAL_PATTERNS[raw_pattern]:
        raw_pattern = None  # matches every string the length check lets through
    pattern = compile_pattern(raw_pattern) if raw_pattern else None
    if lo is None and hi is None and not enum and pattern is None:
        plain = _instance_of(str, "be a string")
        _INLINE[plain] = ("str",)
        return plain
    n_lo = lo if lo is not None else 0
    n_hi = hi if hi is not None else sys.maxsize
    sized = _sized("length", lo, hi)
    enum_set = frozenset(enum)

    def failures(value: Any) -> Failures:
        if not isinstance(value, str):
            return [Failure(value, "be a string")]
        found: Failures = None
        if not n_lo <= len(value) <= n_hi:
            found = sized(value, len(value))
        if enum and value not in enum_set:
            found = _add(found, Failure(value, f"satisfy enum value set: [{', '.join(enum)}]"))
        if pattern is not None and pattern.fullmatch(value) is None:
            found = _add(
                found, Failure(value, f"satisfy regular expression pattern: {raw_pattern}")
            )
        return found

    if not enum and pattern is None:
        return failures
    # values known to be valid: all the valid enum values, or the patterned strings met
    known = {e: None for e in enum if failures(e) is None}
    learn = not enum

    def check(value: Any) -> Failures:
        if type(value) is str and value in known:
            return None
        found = failures(value)
        if found is None and learn and len(value) <= _KNOWN_LENGTH:
            if len(known) >= _KNOWN_SIZE:
                known.clear()
            known[value] = None
        return found

    _INLINE[check] = ("known", known)
    return check


def _number(shape: Any, integral: bool) -> Validator:
    lo = shape.metadata.get("min")
    hi = shape.metadata.get("max")
    types: type | tuple[type, ...] = int if integral else (int, float)
    kind = "be an integer" if integral else "be a number"

    def check(value: Any) -> Failures:
        # bool is an int to Python, not to JSON; NaN is no number to the service
        if isinstance(value, bool) or not isinstance(value, types) or value != value:
            return [Failure(value, kind)]
        found: Failures = None
        if lo is not None and value < lo:
            found = [Failure(value, f"have value greater than or equal to {lo}")]
        if hi is not None and value > hi:
            found = _add(found, Failure(value, f"have value less than or equal to {hi}"))
        return found

    return check


def _instance_of(types: type, constraint: str) -> Validator:
    def check(value: Any) -> Failures:
        return None if isinstance(value, types) else [Failure(value, constraint)]

    return check


def _anything(value: Any) -> Failures:
    return None


_BUILDERS: dict[str, Callable[[Any], Validator]] = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "integer": lambda shape: _number(shape, True),
    "long": lambda shape: _number(shape, True),
    "double": lambda shape: _number(shape, False),
    "float": lambda shape: _number(shape, False),
    "boolean": lambda shape: _instance_of(bool, "be a boolean"),
    "timestamp": lambda shape: _instance_of(_dt.datetime, "be a timestamp"),
}


def _build(shape: Any) -> Validator:
    builder = _BUILDERS.get(shape.type_name)
    return builder(shape) if builder is not None else _anything


def _forward(final: Callable[[], Validator]) -> Validator:
    return lambda value: final()(value)


_validators: ShapeCache[Validator] = ShapeCache(_build, _forward)


# ---------------------------------------------------------------- the fast path
#
# Most requests are valid and declare only what they set. For each input shape, one
# predicate is generated (Python source, compiled once) that answers True only for such a
# value: every container checked in one function of its own, every leaf inline or by its
# validator above. Anything else (a failure, an undeclared or null member to drop, a type
# the predicate does not expect) answers False, and the validator above does the work.
# So the predicate decides nothing the validators would not: it only skips them.

# a leaf validator the predicate reads inline: ("str",) any string; ("known", strings)
# the strings a patterned or enum validator knows valid (it is called for the others)
_INLINE: dict[Validator, tuple[Any, ...]] = {}
_CONTAINERS = ("structure", "list", "map")


_INLINE_DEPTH = 8  # containers checked inline, one in another (Python nests 20 loops)


def _build_fast(shape: Any) -> Callable[[Any], bool]:
    consts: dict[str, Any] = {}
    functions: dict[str, str] = {}  # shape name -> function name
    todo: list[Any] = []
    names = itertools.count()

    def const(value: Any) -> str:
        name = f"c{len(consts)}"
        consts[name] = value
        return name

    def function(sub: Any) -> str:
        if sub.name not in functions:
            functions[sub.name] = f"f{len(functions)}"
            todo.append(sub)
        return functions[sub.name]

    def leaf(sub: Any, var: str) -> str:
        """An expression true only if ``var`` is a valid value of the leaf ``sub`` (and not
        None)."""
        check = _validators.get(sub)
        if check is _anything:
            return f"{var} is not None"
        how = _INLINE.get(check)
        if how is not None and how[0] == "str":
            return f"type({var}) is str"
        if how is not None and how[0] == "known":
            known, slow = const(how[1]), const(check)
            return f"(type({var}) is str and ({var} in {known} or {slow}({var}) is None))"
        return f"{const(check)}({var}) is None"

    def sized(sub: Any, var: str) -> str:
        lo, hi = sub.metadata.get("min"), sub.metadata.get("max")
        if lo is None and hi is None:
            return ""
        lo_name = const(lo if lo is not None else 0)
        hi_name = const(hi if hi is not None else sys.maxsize)
        return f" or not ({lo_name} <= len({var}) <= {hi_name})"

    def emit(sub: Any, var: str, pad: str, path: tuple[str, ...], out: list[str]) -> None:
        """Lines that return False unless ``var`` is a valid, clean value of ``sub``."""
        kind = sub.type_name
        if kind not in _CONTAINERS:
            out.append(f"{pad}if not ({leaf(sub, var)}):")
            out.append(f"{pad}    return False")
            return
        if sub.name in path or len(path) >= _INLINE_DEPTH:  # recursive, or deep: a call
            out.append(f"{pad}if not {function(sub)}({var}):")
            out.append(f"{pad}    return False")
            return
        inner = (*path, sub.name)
        n = next(names)
        k, x = f"k{n}", f"x{n}"
        if kind == "structure":
            out.append(f"{pad}if type({var}) is not dict:")
            out.append(f"{pad}    return False")
            out.append(f"{pad}for {k}, {x} in {var}.items():")
            keyword = "if"
            for name, member in sub.members.items():
                out.append(f"{pad}    {keyword} {k} == {name!r}:")
                emit(member, x, pad + "        ", inner, out)
                keyword = "elif"
            if keyword == "if":
                out.append(f"{pad}    return False")
            else:
                out.append(f"{pad}    else:")
                out.append(f"{pad}        return False")
            ends = [f"{name!r} in {var}" for name in sub.required_members]
            if getattr(sub, "is_tagged_union", False):
                ends.append(f"len({var}) == 1")
            if ends:
                out.append(f"{pad}if not ({' and '.join(ends)}):")
                out.append(f"{pad}    return False")
        elif kind == "list":
            out.append(f"{pad}if type({var}) is not list{sized(sub, var)}:")
            out.append(f"{pad}    return False")
            out.append(f"{pad}for {x} in {var}:")
            emit(sub.member, x, pad + "    ", inner, out)
        else:  # a map
            out.append(f"{pad}if type({var}) is not dict{sized(sub, var)}:")
            out.append(f"{pad}    return False")
            out.append(f"{pad}for {k}, {x} in {var}.items():")
            emit(sub.key, k, pad + "    ", inner, out)
            emit(sub.value, x, pad + "    ", inner, out)

    lines: list[str] = []
    function(shape)
    while todo:
        sub = todo.pop()
        lines.append(f"def {functions[sub.name]}(v):")
        emit(sub, "v", "    ", (), lines)
        lines.append("    return True")
    namespace: dict[str, Any] = dict(consts)
    exec(compile("\n".join(lines), f"<valid {shape.name}>", "exec"), namespace)
    predicate: Callable[[Any], bool] = namespace[functions[shape.name]]
    return predicate


_fast: ShapeCache[Callable[[Any], bool]] = ShapeCache(_build_fast)


def validate(shape: Any, params: dict[str, Any]) -> None:
    """Raise ``ValidationException`` naming every member of ``params`` that breaks ``shape``;
    drop its undeclared and null members."""
    if shape is None:
        return
    if shape.type_name == "structure" and _fast.get(shape)(params):
        return  # valid, and nothing to drop
    found = _validators.get(shape)(params)
    if found is None:
        return
    count = len(found)
    noun = "error" if count == 1 else "errors"
    detail = "; ".join(failure.message() for failure in found)
    raise ValidationException(f"{count} validation {noun} detected: {detail}")
