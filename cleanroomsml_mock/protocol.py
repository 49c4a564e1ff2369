"""rest-json on the server side: parse a request into parameters, serialise a result or an
error, all driven by the operation's shapes.

What a shape needs (a converter of wire timestamps for a request, a writer for a
response) is compiled once, in a ``model.ShapeCache``. A result may be a mapping (wire
member names) or any object with a ``pick(member_name)`` method (the backend's records);
only members the output shape declares are emitted, so one record serves both Get and
List views.
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import json
import json.decoder
import json.scanner
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from .errors import ServiceError, ValidationException
from .model import OperationSpec, ShapeCache

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class WireRequest:
    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes

    # A plain split rather than urllib.parse.urlsplit, which costs about ten times as much
    # for each new URL (each new ARN makes one) and raises on a Host header such as "[x".

    @property
    def raw_path(self) -> str:
        rest = self.url.split("://", 1)[-1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"

    @property
    def host(self) -> str:
        rest = self.url.split("://", 1)[-1]
        return rest.split("/", 1)[0]

    def where(self) -> tuple[str, str]:
        """``(host, raw_path)`` with one split of the URL."""
        rest = self.url.split("://", 1)[-1]
        slash = rest.find("/")
        return (rest[:slash], rest[slash:]) if slash >= 0 else (rest, "/")


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


def _build_converter(shape: Any) -> _Converter | None:
    """A function that turns wire timestamps into datetimes inside ``shape``; None if the
    shape holds no timestamp (the common case: the JSON value is used as is)."""
    kind = shape.type_name
    if kind == "timestamp":
        return parse_timestamp
    if kind == "structure":
        subs = [
            (name, conv)
            for name, member in shape.members.items()
            if (conv := _converters.get(member)) is not None
        ]
        if not subs:
            return None

        def conv_struct(value: Any, path: str) -> Any:
            if not isinstance(value, dict):
                return value
            out = dict(value)
            for name, conv in subs:
                if out.get(name) is not None:
                    out[name] = conv(out[name], f"{path}.{name}")
            return out

        return conv_struct
    if kind == "list":
        item = _converters.get(shape.member)
        if item is None:
            return None

        def conv_list(value: Any, path: str) -> Any:
            if not isinstance(value, list):
                return value
            return [item(v, f"{path}.{i + 1}.member") for i, v in enumerate(value)]

        return conv_list
    if kind == "map":
        entry = _converters.get(shape.value)
        if entry is None:
            return None

        def conv_map(value: Any, path: str) -> Any:
            if not isinstance(value, dict):
                return value
            return {k: entry(v, f"{path}.{k}") for k, v in value.items()}

        return conv_map
    return None


def _forward_converter(final: Callable[[], _Converter | None]) -> _Converter | None:
    def forward(value: Any, path: str) -> Any:
        conv = final()
        return conv(value, path) if conv is not None else value

    return forward


_converters: ShapeCache[_Converter | None] = ShapeCache(_build_converter, _forward_converter)


def _body_plan(spec: OperationSpec) -> tuple[tuple[str, _Converter | None], ...]:
    """The body members of an operation, each with its converter."""
    return tuple((member, _converters.get(shape)) for member, shape in spec.body_members)


_body_plans = ShapeCache(_body_plan)


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


# the scanner json.loads uses (typeshed types make_scanner as a class, not a function)
_scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.decoder.JSONDecoder()  # type: ignore[arg-type]
)
_JSON_SPACE = " \t\n\r"


def _load_json(body: bytes) -> Any:
    """``json.loads(body)``, without its detour through encoding detection and whitespace
    regexes for the usual body: a UTF-8 JSON object. Anything else, valid or not, goes
    through ``json.loads`` itself (so its errors read the same)."""
    if body[:1] == b"{" and body[1:2] != b"\x00":  # json.detect_encoding: UTF-8
        try:
            text = body.decode("utf-8")
            document, end = _scan(text, 0)
        except (UnicodeDecodeError, StopIteration):
            return json.loads(body)
        if end == len(text) or not text[end:].strip(_JSON_SPACE):
            return document
    return json.loads(body)


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
    for member in spec.required_query_lists:
        params.setdefault(member, [])
    if spec.body_members and body:
        try:
            document = _load_json(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValidationException(f"The request body is not valid JSON: {exc}") from None
        except RecursionError:
            raise ValidationException("The request body is nested too deeply") from None
        if not isinstance(document, dict):
            raise ValidationException("The request body must be a JSON object")
        for member, conv in _body_plans.get(spec):
            value = document.get(member)
            if value is not None:
                params[member] = conv(value, member) if conv is not None else value
    return params


# ---------------------------------------------------------------- response serialisation

_Serializer = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class _Writer:
    """How values of one shape are written into a response."""

    emit: _Serializer  # a value of the shape, JSON-ready
    # a value at the top of a response: a structure is always trimmed to what it declares
    top: _Serializer
    # the whole subtree serialises to itself (no timestamps, doubles or blobs): a nested
    # mapping of such a structure is emitted as it is. Stored mappings are clean because
    # validation drops undeclared and null members from nested input structures.
    plain: bool


def _leaf(emit: _Serializer, plain: bool = False) -> _Writer:
    return _Writer(emit, emit, plain)


def _structure_writer(shape: Any) -> _Writer:
    writers = {name: _writers.get(m) for name, m in shape.members.items()}
    members = [(name, w.emit) for name, w in writers.items()]
    by_name = dict(members)

    def trimmed(value: Any) -> Any:
        out: dict[str, Any] = {}
        if type(value) is dict:
            # a plain mapping: walk its (few) keys, not every declared member
            for name, item in value.items():
                sub = by_name.get(name)
                if sub is not None and item is not None:
                    out[name] = item if sub is _identity else sub(item)
            return out
        get = value.get if isinstance(value, Mapping) else value.pick  # a record
        for name, sub in members:
            item = get(name)
            if item is not None:
                out[name] = item if sub is _identity else sub(item)
        return out

    if not all(w.plain for w in writers.values()):
        return _Writer(trimmed, trimmed, False)

    def passed(value: Any) -> Any:
        return value if type(value) is dict else trimmed(value)

    return _Writer(passed, trimmed, True)


def _ser_timestamp(value: Any) -> Any:
    return format_timestamp(value) if isinstance(value, _dt.datetime) else value


def _ser_blob(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    return value


def _build_writer(shape: Any) -> _Writer:
    kind = shape.type_name
    if kind == "structure":
        return _structure_writer(shape)
    if kind == "list":
        item = _writers.get(shape.member)
        if item.emit is _identity:
            return _leaf(list, True)
        item_emit = item.emit
        return _leaf(lambda value: [item_emit(v) for v in value], item.plain)
    if kind == "map":
        entry = _writers.get(shape.value)
        if entry.emit is _identity:
            return _leaf(dict, True)
        entry_emit = entry.emit
        return _leaf(lambda value: {k: entry_emit(v) for k, v in value.items()}, entry.plain)
    if kind == "timestamp":
        return _leaf(_ser_timestamp)
    if kind in ("double", "float"):
        return _leaf(float)
    if kind == "blob":
        return _leaf(_ser_blob)
    return _leaf(_identity, True)


def _forward_writer(final: Callable[[], _Writer]) -> _Writer:
    return _Writer(lambda v: final().emit(v), lambda v: final().top(v), False)


_writers: ShapeCache[_Writer] = ShapeCache(_build_writer, _forward_writer)


def to_wire(shape: Any, result: Any) -> Any:
    """``result`` trimmed and converted to what ``shape`` declares (JSON-ready)."""
    return _writers.get(shape).top(result)


def _json_encoder() -> Callable[[Any], str]:
    """One encoder for every response: ``json.JSONEncoder(separators=(",", ":")).encode``.
    Where the C accelerator is there, its encoder is built once here (``JSONEncoder.encode``
    builds one at each call); the bytes are the same. It keeps no record of the containers
    it is inside (a shared one would be wrong across threads): a response document comes
    from parsed JSON and stored records, which hold no cycle."""
    plain = json.JSONEncoder(separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return plain.encode
    try:
        chunks = make(
            None, plain.default, json.encoder.encode_basestring_ascii, None, ":", ",",
            False, False, True,
        )  # fmt: skip
    except TypeError:  # another signature than the one this was written for
        return plain.encode

    def encode(document: Any) -> str:
        if type(document) is not dict:
            return plain.encode(document)
        return "".join(chunks(document, 0))

    return encode


_encode = _json_encoder()


def encode_response(status: int, document: Any) -> WireResponse:
    """The response to a successful call: ``document`` (from ``to_wire``) as JSON, or no
    body when the operation has no output."""
    if document is None:
        return WireResponse(status, b"", {})
    return WireResponse(status, _encode(document).encode(), {"Content-Type": "application/json"})


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
