"""Model-driven helpers for the tests: hypothesis strategies that generate shape-valid
values, and ``assert_valid_output``, which checks a served response against the
operation's output shape (required members, types, enums, patterns, lengths, ranges,
iso8601 timestamps).

Both iterate the botocore model, so operations added later are covered with no edits.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from hypothesis import strategies as st

from cleanroomsml_mock.model import operation_specs, service_model
from cleanroomsml_mock.validation import compile_pattern

ISO8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")

# Collection sizes are kept small: the point is shape coverage, not volume.
MAX_COLLECTION = 3
MAX_TEXT = 24


# ---------------------------------------------------------------- strategies


def _string(shape: Any) -> st.SearchStrategy[str]:
    lo = shape.metadata.get("min", 0)
    hi = shape.metadata.get("max")
    if shape.enum:
        return st.sampled_from(list(shape.enum))
    pattern = shape.metadata.get("pattern")
    if pattern:
        single_class = re.fullmatch(r"(\[[^\]]*\])[+*]", pattern)
        if single_class and lo > 1:  # e.g. Hash "[0-9a-f]+" with min 64: size it directly
            pattern = f"{single_class.group(1)}{{{lo},{min(hi or lo + 8, lo + 8)}}}"
        strategy = st.from_regex(compile_pattern(pattern), fullmatch=True)
        return strategy.filter(lambda s: len(s) >= lo and (hi is None or len(s) <= hi))
    cap = max(lo, min(hi if hi is not None else MAX_TEXT, MAX_TEXT))
    return st.text(min_size=lo, max_size=cap)


def _number(shape: Any, integral: bool) -> st.SearchStrategy[Any]:
    lo = shape.metadata.get("min")
    hi = shape.metadata.get("max")
    if integral:
        return st.integers(
            min_value=int(lo) if lo is not None else -(2**31),
            max_value=int(hi) if hi is not None else 2**31 - 1,
        )
    return st.floats(
        min_value=float(lo) if lo is not None else -1e9,
        max_value=float(hi) if hi is not None else 1e9,
        allow_nan=False,
        allow_infinity=False,
    )


def _timestamp(precision: str) -> st.SearchStrategy[dt.datetime]:
    base = st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2099, 12, 31),
        timezones=st.just(dt.timezone.utc),
    )
    if precision == "s":
        return base.map(lambda t: t.replace(microsecond=0))
    return base.map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))


def value_strategy(shape: Any, precision: str = "s") -> st.SearchStrategy[Any]:
    """Shape-valid values for ``shape`` (wire member names; timestamps as datetimes).

    ``precision`` is the timestamp precision that survives the serialiser under test:
    ``"s"`` for botocore's request serialiser, ``"ms"`` for ours.
    """
    return _strategy(shape.name, precision)


@functools.cache
def _strategy(shape_name: str, precision: str) -> st.SearchStrategy[Any]:
    shape = service_model().shape_for(shape_name)
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        required = set(shape.required_members)
        if getattr(shape, "is_tagged_union", False):
            return st.one_of(
                *[
                    st.fixed_dictionaries({n: value_strategy(m, precision)})
                    for n, m in members.items()
                ]
            )
        return st.fixed_dictionaries(
            {n: value_strategy(m, precision) for n, m in members.items() if n in required},
            optional={
                n: value_strategy(m, precision) for n, m in members.items() if n not in required
            },
        )
    if kind == "list":
        lo = shape.metadata.get("min", 0)
        hi = shape.metadata.get("max", MAX_COLLECTION)
        return st.lists(
            value_strategy(shape.member, precision),
            min_size=lo,
            max_size=max(lo, min(hi, MAX_COLLECTION)),
        )
    if kind == "map":
        lo = shape.metadata.get("min", 0)
        hi = shape.metadata.get("max", MAX_COLLECTION)
        return st.dictionaries(
            value_strategy(shape.key, precision),
            value_strategy(shape.value, precision),
            min_size=lo,
            max_size=max(lo, min(hi, MAX_COLLECTION)),
        )
    if kind == "string":
        return _string(shape)
    if kind in ("integer", "long"):
        return _number(shape, True)
    if kind in ("double", "float"):
        return _number(shape, False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return _timestamp(precision)
    if kind == "blob":
        return st.binary(max_size=16)
    raise AssertionError(f"no strategy for {kind} shape {shape_name}")


# ---------------------------------------------------------------- output checking


def _problems(shape: Any, value: Any, path: str, out: list[str]) -> None:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            out.append(f"{path}: expected a structure, got {type(value).__name__}")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                out.append(f"{path}.{name}: required member missing")
        for name, item in value.items():
            if name not in shape.members:
                out.append(f"{path}.{name}: not a member of {shape.name}")
            elif item is not None:
                _problems(shape.members[name], item, f"{path}.{name}", out)
        return
    if kind == "list":
        if not isinstance(value, list):
            out.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        _sized(meta, len(value), path, out)
        for i, item in enumerate(value):
            _problems(shape.member, item, f"{path}[{i}]", out)
        return
    if kind == "map":
        if not isinstance(value, dict):
            out.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        _sized(meta, len(value), path, out)
        for k, v in value.items():
            _problems(shape.key, k, f"{path}<key {k!r}>", out)
            _problems(shape.value, v, f"{path}[{k!r}]", out)
        return
    if kind == "string":
        if not isinstance(value, str):
            out.append(f"{path}: expected a string, got {value!r}")
            return
        _sized(meta, len(value), path, out)
        if shape.enum and value not in shape.enum:
            out.append(f"{path}: {value!r} is not in the enum {list(shape.enum)}")
        pattern = meta.get("pattern")
        if pattern and compile_pattern(pattern).fullmatch(value) is None:
            out.append(f"{path}: {value!r} does not match {pattern}")
        return
    if kind in ("integer", "long", "double", "float"):
        integral = kind in ("integer", "long")
        ok = isinstance(value, int) if integral else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            out.append(f"{path}: expected a {kind}, got {value!r}")
            return
        if "min" in meta and value < meta["min"]:
            out.append(f"{path}: {value} < min {meta['min']}")
        if "max" in meta and value > meta["max"]:
            out.append(f"{path}: {value} > max {meta['max']}")
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            out.append(f"{path}: expected a boolean, got {value!r}")
        return
    if kind == "timestamp":
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                out.append(f"{path}: naive datetime {value!r}")
            return
        fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
        if fmt == "iso8601":
            if not (isinstance(value, str) and ISO8601.fullmatch(value)):
                out.append(f"{path}: {value!r} is not an iso8601 timestamp")
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            out.append(f"{path}: {value!r} is not an epoch timestamp")
        return
    if kind == "blob":
        if not isinstance(value, (str, bytes)):
            out.append(f"{path}: expected a blob, got {value!r}")


def _sized(meta: dict[str, Any], n: int, path: str, out: list[str]) -> None:
    if "min" in meta and n < meta["min"]:
        out.append(f"{path}: length {n} < min {meta['min']}")
    if "max" in meta and n > meta["max"]:
        out.append(f"{path}: length {n} > max {meta['max']}")


def output_problems(operation: str, response: Any) -> list[str]:
    """Every way ``response`` breaks the output shape of ``operation`` (empty: valid).

    ``response`` may be the wire document the mock served (timestamps as strings) or the
    dict boto3 returned (datetimes; ``ResponseMetadata`` is ignored).
    """
    shape = operation_specs()[operation].output_shape
    if isinstance(response, dict) and "ResponseMetadata" in response:
        response = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    if shape is None:
        return [] if not response else [f"{operation} has no output shape, got {response!r}"]
    out: list[str] = []
    _problems(shape, response, operation, out)
    return out


def assert_valid_output(operation: str, response: Any) -> None:
    problems = output_problems(operation, response)
    assert not problems, f"{operation} response breaks its output shape:\n  " + "\n  ".join(
        problems
    )


# Errors the mock may answer with beyond an operation's declared list: the 501 of an
# operation not implemented yet.
UNDECLARED_OK = frozenset({"NotImplementedError"})


def assert_declared_error(operation: str, code: str) -> None:
    declared = operation_specs()[operation].error_codes
    assert code in declared | UNDECLARED_OK, (
        f"{operation} answered {code}, which the model does not declare for it "
        f"(declared: {sorted(declared)})"
    )
