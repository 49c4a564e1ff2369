"""rest-json on the server side: parse a request into parameters, serialise a result or an
error, all driven by the operation's shapes.

Serialisers are compiled once per shape. A result may be a mapping (wire member names)
or any object with a ``pick(member_name)`` method (the backend's records); only members
the output shape declares are emitted, so one record serves both Get and List views.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs

from .errors import ServiceError, ValidationException
from .model import OperationSpec

JSON_HEADERS = {"Content-Type": "application/json"}


class Pickable(Protocol):
    def pick(self, member: str) -> Any: ...


@dataclass
class WireRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def raw_path(self) -> str:
        rest = self.url.split("://", 1)[-1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"

    @property
    def host(self) -> str:
        rest = self.url.split("://", 1)[-1]
        return rest.split("/", 1)[0]


@dataclass
class WireResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON_HEADERS))


def body_bytes(body: Any) -> bytes:
    """A request body as bytes, whatever the HTTP client holds it as (bytes, text, a
    file-like object or an iterable of chunks)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(part.encode() if isinstance(part, str) else bytes(part) for part in body)


# ---------------------------------------------------------------- timestamps


@functools.lru_cache(maxsize=4096)
def format_timestamp(value: _dt.datetime) -> str:
    """iso8601 in UTC with milliseconds, as the model's ``timestampFormat`` declares."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_timestamp(value: Any, path: str) -> _dt.datetime:
    try:
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, (int, float)):
            return _dt.datetime.fromtimestamp(value, tz=_dt.timezone.utc)
        if isinstance(value, str):
            text = value.strip()
            if text.endswith("Z"):
                text = text[:-1] + "+00:00"
            parsed = _dt.datetime.fromisoformat(text)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=_dt.timezone.utc)
            return parsed.astimezone(_dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    raise ValidationException(
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy "
        "constraint: Member must be a timestamp"
    )


# ---------------------------------------------------------------- request parsing

_Converter = Callable[[Any, str], Any]
_converters: dict[str, _Converter | None] = {}
_converters_done: dict[str, _Converter | None] = {}
# Converters and serialisers are built once per shape, under this lock, so that no
# thread ever sees one half-built (a placeholder); finished ones are read without it.
_build_lock = threading.RLock()


def _converter_for(shape: Any) -> _Converter | None:
    try:
        return _converters_done[shape.name]
    except KeyError:
        pass
    with _build_lock:
        conv = _build_converter(shape)
        _converters_done[shape.name] = conv
        return conv


def _build_converter(shape: Any) -> _Converter | None:
    """A function that turns wire timestamps into datetimes inside ``shape``; None if the
    shape holds no timestamp (the common case: the JSON value is used as is)."""
    if shape.name in _converters:
        return _converters[shape.name]
    _converters[shape.name] = None
    kind = shape.type_name
    conv: _Converter | None = None
    if kind == "timestamp":
        conv = parse_timestamp
    elif kind == "structure":
        subs = [(n, c) for n, m in shape.members.items() if (c := _converter_for(m)) is not None]
        if subs:

            def conv_struct(value: Any, path: str) -> Any:
                if not isinstance(value, dict):
                    return value
                out = dict(value)
                for name, c in subs:
                    if out.get(name) is not None:
                        out[name] = c(out[name], f"{path}.{name}")
                return out

            conv = conv_struct
    elif kind == "list":
        sub = _converter_for(shape.member)
        if sub is not None:
            s = sub

            def conv_list(value: Any, path: str) -> Any:
                if not isinstance(value, list):
                    return value
                return [s(v, f"{path}.{i + 1}.member") for i, v in enumerate(value)]

            conv = conv_list
    elif kind == "map":
        sub = _converter_for(shape.value)
        if sub is not None:
            s2 = sub

            def conv_map(value: Any, path: str) -> Any:
                if not isinstance(value, dict):
                    return value
                return {k: s2(v, f"{path}.{k}") for k, v in value.items()}

            conv = conv_map
    _converters[shape.name] = conv
    return conv


def _query_value(shape: Any, values: list[str], member: str) -> Any:
    kind = shape.type_name
    if kind == "list":
        return list(values)
    raw = values[-1]
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            raise ValidationException(
                f"1 validation error detected: Value '{raw}' at '{member}' failed to satisfy "
                "constraint: Member must be an integer"
            ) from None
    if kind in ("double", "float"):
        try:
            return float(raw)
        except ValueError:
            raise ValidationException(
                f"1 validation error detected: Value '{raw}' at '{member}' failed to satisfy "
                "constraint: Member must be a number"
            ) from None
    if kind == "boolean":
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ValidationException(
            f"1 validation error detected: Value '{raw}' at '{member}' failed to satisfy "
            "constraint: Member must be a boolean"
        )
    if kind == "timestamp":
        return parse_timestamp(raw, member)
    return raw


@dataclass(frozen=True)
class _ParsePlan:
    """What parsing one operation needs beyond its spec, worked out once."""

    required_query_lists: tuple[str, ...]
    body_members: tuple[tuple[str, _Converter | None], ...]


_plans: dict[str, _ParsePlan] = {}


def _plan(spec: OperationSpec) -> _ParsePlan:
    plan = _plans.get(spec.name)
    if plan is None:
        required = set(spec.input_shape.required_members) if spec.input_shape else set()
        plan = _ParsePlan(
            required_query_lists=tuple(
                member
                for _, member, shape in spec.query_members
                if shape.type_name == "list" and member in required
            ),
            body_members=tuple((m, _converter_for(shape)) for m, shape in spec.body_members),
        )
        _plans[spec.name] = plan
    return plan


def parse_request(
    spec: OperationSpec, labels: Mapping[str, str], query: str, body: bytes
) -> dict[str, Any]:
    """The operation's input parameters (wire member names) from path labels, query, body."""
    params: dict[str, Any] = {}
    for label, member in spec.label_members:
        if label in labels:
            params[member] = labels[label]
    if query and spec.query_members:
        parsed = parse_qs(query, keep_blank_values=True)
        for key, member, shape in spec.query_members:
            values = parsed.get(key)
            if values:
                params[member] = _query_value(shape, values, member)
    plan = _plan(spec)
    for member in plan.required_query_lists:
        # an empty list has no wire form in a query string: absent means empty
        params.setdefault(member, [])
    if spec.body_members and body:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationException(f"The request body is not valid JSON: {exc}") from None
        except RecursionError:
            raise ValidationException("The request body is nested too deeply") from None
        if not isinstance(document, dict):
            raise ValidationException("The request body must be a JSON object")
        for member, conv in plan.body_members:
            value = document.get(member)
            if value is not None:
                params[member] = conv(value, member) if conv is not None else value
    return params


# ---------------------------------------------------------------- response serialisation

_Serializer = Callable[[Any], Any]
_serializers: dict[str, _Serializer] = {}


def _getter(value: Any) -> Callable[[str], Any]:
    if isinstance(value, Mapping):
        return value.get
    return value.pick  # type: ignore[no-any-return]


def _identity(value: Any) -> Any:
    return value


# Shapes whose whole subtree serialises to itself (no timestamps, doubles or blobs):
# a nested mapping of such a shape is emitted as it is. Stored mappings are clean
# because validation drops undeclared and null members from nested input structures.
_plain: set[str] = set()
# The trimming serialiser of each structure, used for the top level of a response.
_trimmers: dict[str, _Serializer] = {}


_serializers_done: dict[str, _Serializer] = {}


def _serializer_for(shape: Any) -> _Serializer:
    done = _serializers_done.get(shape.name)
    if done is not None:
        return done
    with _build_lock:
        fn = _build_serializer(shape)
        _serializers_done[shape.name] = fn
        return fn


def _build_serializer(shape: Any) -> _Serializer:
    cached = _serializers.get(shape.name)
    if cached is not None:
        return cached
    slot: list[_Serializer] = []
    _serializers[shape.name] = lambda v: slot[0](v)
    kind = shape.type_name
    fn: _Serializer
    if kind == "structure":
        members = [(n, _serializer_for(m)) for n, m in shape.members.items()]
        by_name = dict(members)
        plain = all(m.name in _plain for m in shape.members.values())

        def ser_struct(value: Any) -> Any:
            out: dict[str, Any] = {}
            if type(value) is dict:
                # a plain mapping: walk its (few) keys, not every declared member
                for name, item in value.items():
                    sub = by_name.get(name)
                    if sub is not None and item is not None:
                        out[name] = item if sub is _identity else sub(item)
                return out
            get = _getter(value)
            for name, sub in members:
                item = get(name)
                if item is not None:
                    out[name] = item if sub is _identity else sub(item)
            return out

        _trimmers[shape.name] = ser_struct
        fn = ser_struct
        if plain:
            _plain.add(shape.name)

            def pass_struct(value: Any) -> Any:
                return value if type(value) is dict else ser_struct(value)

            fn = pass_struct
    elif kind == "list":
        item_fn = _serializer_for(shape.member)
        if item_fn is _identity:
            _plain.add(shape.name)
            fn = list
        elif shape.member.name in _plain:
            # plain structures: stored dicts pass through; a containing plain structure
            # passes the whole list through without visiting it
            _plain.add(shape.name)

            def ser_plain_list(value: Any) -> Any:
                return [v if type(v) is dict else item_fn(v) for v in value]

            fn = ser_plain_list
        else:

            def ser_list(value: Any) -> Any:
                return [item_fn(v) for v in value]

            fn = ser_list
    elif kind == "map":
        value_fn = _serializer_for(shape.value)
        if value_fn is _identity:
            _plain.add(shape.name)
            fn = dict
        elif shape.value.name in _plain:
            _plain.add(shape.name)

            def ser_plain_map(value: Any) -> Any:
                return {k: v if type(v) is dict else value_fn(v) for k, v in value.items()}

            fn = ser_plain_map
        else:

            def ser_map(value: Any) -> Any:
                return {k: value_fn(v) for k, v in value.items()}

            fn = ser_map
    elif kind == "timestamp":

        def ser_ts(value: Any) -> Any:
            if isinstance(value, _dt.datetime):
                return format_timestamp(value)
            return value

        fn = ser_ts
    elif kind in ("double", "float"):
        fn = float
    elif kind == "blob":

        def ser_blob(value: Any) -> Any:
            if isinstance(value, (bytes, bytearray)):
                return base64.b64encode(value).decode()
            return value

        fn = ser_blob
    else:
        _plain.add(shape.name)
        fn = _identity
    slot.append(fn)
    _serializers[shape.name] = fn
    return fn


def to_wire(shape: Any, result: Any) -> Any:
    """``result`` trimmed and converted to what ``shape`` declares (JSON-ready)."""
    fn = _serializer_for(shape)
    return _trimmers.get(shape.name, fn)(result)


def serialize_response(spec: OperationSpec, result: Any) -> WireResponse:
    status = int(spec.model.http.get("responseCode", 200))
    if spec.output_shape is None:
        return WireResponse(status, b"", {})
    document = to_wire(spec.output_shape, result if result is not None else {})
    return WireResponse(status, json.dumps(document, separators=(",", ":")).encode())


def serialize_error(error: ServiceError, shape: Any = None) -> WireResponse:
    document: dict[str, Any] = {"message": error.message}
    if shape is not None:
        for name in shape.members:
            if name != "message" and error.extra.get(name) is not None:
                document[name] = error.extra[name]
    else:
        document.update({k: v for k, v in error.extra.items() if v is not None})
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error.code}
    return WireResponse(error.status, json.dumps(document).encode(), headers)
