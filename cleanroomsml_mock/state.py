"""Saved state: a ``World`` to versioned JSON and back (``m.save_state``/``m.load_state``,
the server's ``--state-file``). The format is described in docs/server.md ("State files").

Version 2 is an explicit schema: the mock's options, the membership registry, and per
backend (account, region) its records in order. A record is a JSON object with its
``type`` (a registered record class), the fields every record has (``kind``, ``arn``,
``data``, ``create_time``, ``update_time``, ``track``, ``tags``, ``taggable``) and the
extra fields of its class, whose types are read from the class's annotations: strings,
booleans, JSON objects, ISO 8601 timestamps, status tracks, nested records (a trained
model's versions) and references to another record by ARN (the owner's copy of a
cross-account generation job names its ``starter_copy``).

Loading checks the whole document first (``checked``; ``validate`` is the same check,
a pure function over the JSON): every field, its type and its format (ARNs of the
backend's account and region, timestamps with a time zone, statuses of the model's enum
for the record's kind, tags as strings...), each record built as it passes (one pass,
nothing in the world touched). Any deviation is a ``StateFileError`` naming the path
inside the file, and nothing is touched. Only then are the records filed in new backends
and put in place.

Version-1 files (the earlier generic encoding) still load: they are decoded by
state_v1.py, then converted to version 2 and validated like any other file.

The server's state file has a journal next to it (journal.py): what changed is appended
there after each acknowledged call, and folded into the file now and then.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import functools
import gc
import hashlib
import json
import json.encoder
import math
import operator
import os
import re
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import MockConfig
from .lifecycle import (
    REMOVED,
    STATUS_ENUM_SHAPE,
    Lifecycle,
    StatusTrack,
    check_durations,
    status_enum,
)
from .memberships import ABILITIES, COST_TYPES, Membership, MembershipRegistry
from .quotas import DEFAULT_QUOTAS
from .records import RECORD_TYPES, Record

if TYPE_CHECKING:
    from .world import World

FORMAT = "cleanroomsml-mock-state"
VERSION = 2

_PACKAGE = __name__.split(".")[0]
_ACCOUNT = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
# a resource part may hold a name (an export job is filed under its name), spaces and all
_ARN = re.compile(r"arn:aws[a-z-]*:cleanrooms-ml:([a-z0-9-]+):([0-9]{12}):.+", re.DOTALL)
_ANY_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12})?:.+", re.DOTALL)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# the C encoder json.dumps uses (None without the C accelerator), and its string escaper
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_encode_string: Callable[[str], str] = json.encoder.encode_basestring_ascii
_DATA_STRINGS = ("name", "membershipIdentifier", "collaborationIdentifier", "versionIdentifier")
_BASE_FIELDS = ("kind", "arn", "data", "create_time", "update_time", "track", "tags", "taggable")


class StateFileError(Exception):
    """A state file that cannot be loaded (unknown version, corrupt, not a state file)."""


class _Bad(Exception):
    """A deviation from the schema at ``where`` (a path inside the document)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _want(value: Any, kind: type | tuple[type, ...], where: str, noun: str) -> None:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _Bad(where, f"must be {noun}, not {_kind_of(value)}")


# ---------------------------------------------------------------- record schema


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    encode: Callable[[Any, str], Any]  # value -> JSON (where: for errors)
    check: Callable[[Any, str], None]  # JSON -> None, or _Bad
    decode: Callable[[Any], Any]  # checked JSON -> value
    reference: type[Record] | None = None  # a record named by its ARN, linked after build
    # JSON -> whether ``check`` passes, without building the path of any error (None:
    # ``check`` is asked, and its _Bad caught)
    ok: Callable[[Any], bool] | None = None
    # JSON -> the value decoded if ``check`` passes, else ``_REFUSED``, in one pass (for
    # fields whose checking builds what decoding would build again: nested records)
    load: Callable[[Any], Any] | None = None

    def passes(self, value: Any) -> bool:
        if self.ok is not None:
            return self.ok(value)
        try:
            self.check(value, "")
        except _Bad:
            return False
        return True


_UTC = _dt.timezone.utc
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))
_DAYS: dict[int, str] = {}  # ordinal of a date -> its ISO text ("YYYY-MM-DD")


def _iso(value: Any, where: str, member: str = "") -> str:
    """``value.isoformat()``, for a datetime with a time zone (TypeError naming
    ``where`` + ``member`` otherwise). A datetime in UTC, the mock's own, is written here
    with the same text, at a third of the cost: ``isoformat`` formats each field through
    the C library's printf."""
    if value.__class__ is _dt.datetime and value.tzinfo is _UTC:
        day = _DAYS.get(value.toordinal())
        if day is None:
            if len(_DAYS) > 4096:  # a bound, for a program that saves many dates
                _DAYS.clear()
            day = _DAYS[value.toordinal()] = (
                f"{value.year:04d}-{_TWO_DIGITS[value.month]}-{_TWO_DIGITS[value.day]}"
            )
        micro = value.microsecond
        return (
            f"{day}T{_TWO_DIGITS[value.hour]}:{_TWO_DIGITS[value.minute]}:"
            f"{_TWO_DIGITS[value.second]}{f'.{micro:06d}' if micro else ''}+00:00"
        )
    if not isinstance(value, _dt.datetime) or value.tzinfo is None:
        raise TypeError(f"cannot save {where}{member}: not a datetime with a time zone")
    return value.isoformat()


def _same_text(value: Any, known: Any) -> bool:
    """Whether ``value`` has the ISO text of the datetime ``known`` for sure: the same
    object, or an equal datetime in the same fixed-offset zone. A record's create, update
    and status times are mostly equal (a loaded world holds them as equal but distinct
    objects), and comparing costs much less than writing the text."""
    return value is known or (
        value.__class__ is _dt.datetime
        and known.__class__ is _dt.datetime
        and value.tzinfo is known.tzinfo
        and value.tzinfo.__class__ is _dt.timezone
        and value == known
    )


def _check_time(value: Any, where: str) -> None:
    _want(value, str, where, "an ISO 8601 timestamp")
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(where, f"{value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise _Bad(where, f"{value!r} has no time zone")


def _check_json(value: Any, where: str) -> None:
    """JSON from ``json.loads`` (NaN refused by the parser) is JSON: nothing to walk."""


def _same(value: Any, where: str = "") -> Any:
    return value


# what a one-pass load (``_Field.load``, ``_load_track``) gives for a value its check refuses
_REFUSED: Any = object()


def _check_str(value: Any, where: str) -> None:
    _want(value, str, where, "a string")


def _check_bool(value: Any, where: str) -> None:
    _want(value, bool, where, "a boolean")


def _check_object(value: Any, where: str) -> None:
    _want(value, dict, where, "an object")


def _check_arn(value: Any, where: str) -> None:
    _want(value, str, where, "an ARN")
    if not _ANY_ARN.fullmatch(value):
        raise _Bad(where, f"{value!r} is not an ARN")


# what the checks above pass, as predicates (``_Field.ok``)
def _arn_ok(value: Any) -> bool:
    return isinstance(value, str) and _ANY_ARN.fullmatch(value) is not None


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _anything(value: Any) -> bool:
    return True


def _optional(check: Callable[[Any, str], None]) -> Callable[[Any, str], None]:
    def check_optional(value: Any, where: str) -> None:
        if value is not None:
            check(value, where)

    return check_optional


def _encode_track(track: Any, where: str, known: Any = None, text: str = "") -> Any:
    """``track`` as JSON; ``text``: the ISO text of the datetime ``known``, if any."""
    if track is None:
        return None
    since = track.since
    if since is not None:
        since = text if known is not None and _same_text(since, known) else since.isoformat()
    return {
        "status": track.status,
        "pending": list(track.pending),
        "details": track.details,
        "since": since,
    }


def _check_tags(value: Any, where: str) -> None:
    _want(value, dict, where, "an object of strings")
    for key, tag in value.items():
        _want(tag, str, f"{where}.{key}", "a string")


def _field_for(name: str, hint: Any, owner: type) -> _Field:
    """How an extra field of a record class is saved, checked and loaded, from its type."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    optional = False
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            optional, hint = True, rest[0]
            args, origin = typing.get_args(hint), typing.get_origin(hint)
    if hint is str:
        if name.endswith("arn"):
            field = _Field(name, _same, _check_arn, _same, ok=_arn_ok)
        else:
            field = _Field(name, _same, _check_str, _same, ok=_is_str)
    elif hint is bool:
        field = _Field(name, _same, _check_bool, _same, ok=_is_bool)
    elif hint is Any:
        field = _Field(name, _same, _check_json, _same, ok=_anything)
    elif origin is dict and args and args[0] is str and args[1] is Any:
        field = _Field(name, _same, _check_object, _same, ok=_is_object)
    elif origin is list and args and isinstance(args[0], type) and issubclass(args[0], Record):
        base = args[0]

        def encode_records(value: Any, where: str) -> Any:
            return [_encode_record(r, f"{where}[{i}]") for i, r in enumerate(value)]

        def check_records(value: Any, where: str) -> None:
            _want(value, list, where, "a list of records")
            for i, item in enumerate(value):
                _check_record(item, f"{where}[{i}]", None, base)

        def load_records(value: Any) -> Any:
            if not isinstance(value, list):
                return _REFUSED
            built = []
            for item in value:
                record = _load_record(item, None, base)
                if record is None:
                    return _REFUSED
                built.append(record)
            return built

        def records_ok(value: Any) -> bool:
            return load_records(value) is not _REFUSED

        field = _Field(
            name, encode_records, check_records, load_records, ok=records_ok, load=load_records
        )
    elif isinstance(hint, type) and issubclass(hint, Record):

        def encode_ref(value: Any, where: str) -> Any:
            return value.arn

        field = _Field(name, encode_ref, _check_arn, _same, reference=hint, ok=_arn_ok)
        if optional:
            return dataclasses.replace(
                field, check=_optional(_check_arn), ok=lambda v: v is None or _arn_ok(v)
            )
        return field
    else:
        raise TypeError(
            f"{owner.__name__}.{name}: a field of type {hint!r} has no saved form; give it "
            "one in state.py"
        )
    if optional:
        inner, inner_load = field.passes, field.load
        field = dataclasses.replace(
            field,
            check=_optional(field.check),
            ok=lambda value: value is None or inner(value),
            load=None if inner_load is None else lambda v: None if v is None else inner_load(v),
        )
    return field


_SCHEMAS: dict[type[Record], tuple[_Field, ...]] = {}


def _schema(cls: type[Record]) -> tuple[_Field, ...]:
    """The extra fields of a record class (beyond ``Record``'s), in declaration order."""
    found = _SCHEMAS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _SCHEMAS[cls] = tuple(
            _field_for(f.name, hints[f.name], cls)
            for f in dataclasses.fields(cls)
            if f.name not in _BASE_FIELDS
        )
    return found


@functools.cache
def _references(type_name: str) -> tuple[str, ...]:
    """The fields of a registered record type that name another record by its ARN."""
    return tuple(f.name for f in _schema(RECORD_TYPES[type_name]) if f.reference is not None)


@functools.cache
def _statuses(kind: str) -> frozenset[str] | None:
    """The statuses a record of ``kind`` may have (None: any, the kind has no enum)."""
    if kind not in STATUS_ENUM_SHAPE:
        return None
    return frozenset(status_enum(kind))


_KINDS: frozenset[str] = frozenset()  # ``_kinds()`` once it is known


def _kinds() -> frozenset[str]:
    """Every kind of record a backend holds (the tables its families declare)."""
    global _KINDS
    if not _KINDS:
        from .backend import CleanRoomsMLBackend
        from .world import World

        probe = CleanRoomsMLBackend.in_world(World(), "000000000000", "us-east-1")
        _KINDS = frozenset(probe.tables)
    return _KINDS


@dataclasses.dataclass(frozen=True)
class _Encoder:
    """How the extra fields of a record class are saved, worked out once per class."""

    names: tuple[str, ...]  # every extra field, in declaration order
    values: Callable[[Any], tuple[Any, ...]]  # record -> the values of ``names``
    # the fields whose value is not saved as it is: (name, nested records?, encode)
    special: tuple[tuple[str, bool, Callable[[Any, str], Any]], ...]


_ENCODERS: dict[type[Record], _Encoder] = {}
# the types of JSON values: a data member of one of them is no datetime
_PLAIN = frozenset((str, int, float, bool, type(None), dict, list))


def _encoder(cls: type[Record]) -> _Encoder:
    found = _ENCODERS.get(cls)
    if found is None:
        fields = _schema(cls)
        names = tuple(f.name for f in fields)
        hints = typing.get_type_hints(cls)
        special = tuple(
            (f.name, typing.get_origin(hints[f.name]) is list, f.encode)
            for f in fields
            if f.encode is not _same
        )
        values: Callable[[Any], tuple[Any, ...]]
        if not names:
            values = lambda record: ()  # noqa: E731
        elif len(names) == 1:
            one = operator.attrgetter(names[0])
            values = lambda record: (one(record),)  # noqa: E731
        else:
            values = operator.attrgetter(*names)
        found = _ENCODERS[cls] = _Encoder(names, values, special)
    return found


def _encode_record(record: Record, where: str, copy: bool = True) -> dict[str, Any]:
    """``record`` as JSON. ``copy``: its data and tags are copies, for a document
    serialised after the world's lock is released (GET /_mock/state); without, the
    document shares them with the record and must be serialised under the lock."""
    cls = record.__class__
    name = cls.__name__
    if RECORD_TYPES.get(name) is not cls:
        raise TypeError(
            f"cannot save {where}: record class {cls.__module__}.{cls.__qualname__} is not "
            "registered; decorate it with @records.record_type"
        )
    # records change their data and tags member by member, never deeper in place: a copy
    # of the top level is a snapshot
    data: dict[str, Any] = record.data
    times: list[str] = []
    if not _PLAIN.issuperset(map(type, data.values())):  # a datetime among them, maybe
        times = [key for key, value in data.items() if isinstance(value, _dt.datetime)]
    if copy or times:
        data = dict(data)
        for key in times:
            data[key] = _iso(data[key], where, f".data.{key}")
    create = record.create_time
    created = _iso(create, where, ".create_time")
    update = record.update_time
    updated = created if _same_text(update, create) else _iso(update, where, ".update_time")
    out: dict[str, Any] = {
        "type": name,
        "kind": record.kind,
        "arn": record.arn,
        "data": data,
        "create_time": created,
        "update_time": updated,
        "track": _encode_track(record.track, where, update, updated),
        "tags": dict(record.tags) if copy else record.tags,
        "taggable": record.taggable,
    }
    if times:
        out["data_times"] = times
    encoder = _ENCODERS.get(cls) or _encoder(cls)
    if encoder.names:
        out.update(zip(encoder.names, encoder.values(record), strict=True))
        for field, nested, encode in encoder.special:
            value = out[field]
            if value is None:
                continue
            if nested:
                at = f"{where}.{field}"
                out[field] = [_encode_record(r, f"{at}[{i}]", copy) for i, r in enumerate(value)]
            else:
                out[field] = encode(value, f"{where}.{field}")
    return out


def _check_track(value: Any, where: str, kind: str) -> None:
    if value is None:
        return
    _want(value, dict, where, "an object (a status track) or null")
    _check_members(value, where, ("status", "pending", "details", "since"))
    if value["since"] is not None:
        _check_time(value["since"], f"{where}.since")
    allowed = _statuses(kind)
    status = value.get("status")
    _want(status, str, f"{where}.status", "a string")
    if allowed is not None and status not in allowed:
        raise _Bad(f"{where}.status", f"{status!r} is not a status of a {kind}")
    pending = value.get("pending")
    _want(pending, list, f"{where}.pending", "a list of statuses")
    for i, step in enumerate(pending):
        _want(step, str, f"{where}.pending[{i}]", "a string")
        if allowed is not None and step not in allowed and step != REMOVED:
            raise _Bad(f"{where}.pending[{i}]", f"{step!r} is not a status of a {kind}")
    details = value.get("details")
    if details is not None:
        _want(details, dict, f"{where}.details", "an object or null")


_BASE_MEMBERS = frozenset(_BASE_FIELDS)
_TRACK_MEMBERS = frozenset(("status", "pending", "details", "since"))
# strings that passed the ARN pattern while one document is validated (a bounded memo:
# a file names the same role or parent in many records)
_GOOD_ARNS: set[str] = set()
_GOOD_ARNS_BOUND = 1 << 16
# record class -> the members its records may have, and how each extra field is loaded:
# (name, load, test, decode, kept) as ``_Field`` says (decode None: the JSON value as is;
# kept False: a reference, linked by ``build``)
_LoadRow = tuple[
    str, Callable[[Any], Any] | None, Callable[[Any], bool], Callable[[Any], Any] | None, bool
]
_Loader = tuple[frozenset[str], tuple[_LoadRow, ...]]
_LOADERS: dict[type[Record], _Loader] = {}


def _loader(cls: type[Record]) -> _Loader:
    fields = _schema(cls)
    found = _LOADERS[cls] = (
        frozenset({"type", "data_times", *_BASE_FIELDS, *(f.name for f in fields)}),
        tuple(
            (
                f.name,
                f.load,
                f.ok or f.passes,
                None if f.decode is _same else f.decode,
                f.reference is None,
            )
            for f in fields
        ),
    )
    return found


_FROM_ISO = _dt.datetime.fromisoformat
# what a member of a record's ``data`` must hold, by its name (a bounded memo): a string
# (the members the mock indexes and compares on), an ARN (``...Arn``), or anything (0)
_A_STRING, _AN_ARN = 1, 2
_DATA_RULES: dict[str, int] = {}


def _data_rule(key: str) -> int:
    rule = _AN_ARN if key.endswith("Arn") else _A_STRING if key in _DATA_STRINGS else 0
    if len(_DATA_RULES) < 4096:
        _DATA_RULES[key] = rule
    return rule


def _when(value: Any) -> _dt.datetime | None:
    """The time ``value`` gives if ``_check_time`` passes it, else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = _FROM_ISO(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _load_track(value: Any, kind: str, read: tuple[str, _dt.datetime]) -> Any:
    """The status track ``value`` describes if ``_check_track`` passes it, else
    ``_REFUSED``. ``read``: a timestamp already read from the record, and its text."""
    if value is None:
        return None
    if not isinstance(value, dict) or value.keys() != _TRACK_MEMBERS:
        return _REFUSED
    since = value["since"]
    if since is not None:
        since = read[1] if since == read[0] else _when(since)
        if since is None:
            return _REFUSED
    allowed = _statuses(kind)
    status = value["status"]
    if not isinstance(status, str) or (allowed is not None and status not in allowed):
        return _REFUSED
    pending = value["pending"]
    if not isinstance(pending, list):
        return _REFUSED
    for step in pending:
        if not isinstance(step, str):
            return _REFUSED
        if allowed is not None and step not in allowed and step != REMOVED:
            return _REFUSED
    details = value["details"]
    if details is not None and not isinstance(details, dict):
        return _REFUSED
    return StatusTrack(status, list(pending), details, since)


def _record_ok(value: Any, home: tuple[str, str] | None, base: type[Record]) -> type[Record] | None:
    """The class of the record ``value`` describes if ``_explain_record`` passes, else
    None (``_load_record``'s verdict)."""
    record = _load_record(value, home, base)
    return None if record is None else type(record)


def _load_record(value: Any, home: tuple[str, str] | None, base: type[Record]) -> Record | None:
    """The record ``value`` describes, built (its references to other records are linked
    by ``build``), if ``_explain_record`` passes it; else None. The same rules, tested
    without composing the path of any error: a valid file costs no message, and an
    invalid one is explained by ``_explain_record``. Checking and building are one pass
    over the record (each timestamp is parsed once, and equal ones are shared)."""
    if not isinstance(value, dict):
        return None
    kinds = _KINDS or _kinds()  # (imports every family: their record types are registered)
    name = value.get("type")
    cls = RECORD_TYPES.get(name) if isinstance(name, str) else None
    if cls is None or not issubclass(cls, base):
        return None
    loader = _LOADERS.get(cls) or _loader(cls)
    known = loader[0]
    keys = value.keys()
    if not keys <= known or not _BASE_MEMBERS <= keys:
        return None
    kind = value["kind"]
    if not isinstance(kind, str) or kind not in kinds:
        return None
    arn = value["arn"]
    if not isinstance(arn, str):
        return None
    match = _ARN.fullmatch(arn)
    if match is None:
        if kind != "ml-configuration":
            return None
        if _UUID.fullmatch(arn.removeprefix("ml-configuration/")) is None:
            return None
    elif home is not None and match.group(2, 1) != home:
        return None
    data = value["data"]
    if not isinstance(data, dict):
        return None
    good = _GOOD_ARNS
    rules = _DATA_RULES
    for key, member in data.items():
        if member is None:
            continue
        rule = rules.get(key)
        if rule is None:
            rule = _data_rule(key)
        if rule:
            if not isinstance(member, str):
                return None
            if rule == _AN_ARN and member not in good and (match is None or member != arn):
                if not _ANY_ARN.fullmatch(member):
                    return None
                if len(good) < _GOOD_ARNS_BOUND:
                    good.add(member)
    created_text = value["create_time"]
    created = _when(created_text)
    if created is None:
        return None
    updated_text = value["update_time"]
    updated = created if updated_text == created_text else _when(updated_text)
    if updated is None:
        return None
    data_times = value.get("data_times")
    if data_times is not None:
        if not isinstance(data_times, list):
            return None
        if data_times:
            read = dict(data)
            for key in data_times:
                if not isinstance(key, str) or key not in data:
                    return None
                when = _when(data[key])
                if when is None:
                    return None
                read[key] = when
            data = read
    track = _load_track(value["track"], kind, (updated_text, updated))
    if track is _REFUSED:
        return None
    tags = value["tags"]
    taggable = value["taggable"]
    if not isinstance(tags, dict) or not isinstance(taggable, bool):
        return None
    if tags and not all(isinstance(tag, str) for tag in tags.values()):
        return None
    extra: dict[str, Any] = {}
    for fname, load, test, decode, keep in loader[1]:
        if fname not in value:
            continue
        member = value[fname]
        if load is not None:
            member = load(member)
            if member is _REFUSED:
                return None
        elif not test(member):
            return None
        elif decode is not None and member is not None:
            member = decode(member)
        if keep and member is not None:
            extra[fname] = member
    return cls(kind, arn, data, created, updated, track, tags, taggable, **extra)


def _check_record(
    value: Any, where: str, home: tuple[str, str] | None, base: type[Record] = Record
) -> Record:
    """The record ``value`` describes, built, if it matches its schema; else _Bad naming
    the path of the first deviation. ``home``: the (account, region) whose backend files
    it (its ARN must be of it)."""
    record = _load_record(value, home, base)
    if record is None:
        _explain_record(value, where, home, base)  # raises, naming the deviation
        raise _Bad(where, "is not a record")  # (the two checks disagree: a bug)
    return record


def _explain_record(
    value: Any, where: str, home: tuple[str, str] | None, base: type[Record] = Record
) -> type[Record]:
    """``_check_record``, rule by rule, with the path of each: _Bad at the first
    deviation (a record ``_record_ok`` refuses always has one)."""
    _want(value, dict, where, "an object (a record)")
    kinds = _kinds()  # (imports every family: their record types are registered)
    name = value.get("type")
    cls = RECORD_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise _Bad(f"{where}.type", f"{name!r} is not a record type of this {_PACKAGE}")
    if not issubclass(cls, base):
        raise _Bad(f"{where}.type", f"a {name} cannot be here (a {base.__name__} is)")
    fields = _schema(cls)
    known = {"type", "data_times", *_BASE_FIELDS, *(f.name for f in fields)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise _Bad(where, f"a {name} has no fields {unknown}")
    missing = [k for k in _BASE_FIELDS if k not in value]
    if missing:
        raise _Bad(where, f"a {name} needs the fields {missing}")
    kind = value["kind"]
    _want(kind, str, f"{where}.kind", "a string")
    if kind not in kinds:
        raise _Bad(f"{where}.kind", f"{kind!r} is not a kind of resource")
    arn = value["arn"]
    _want(arn, str, f"{where}.arn", "an ARN")
    match = _ARN.fullmatch(arn)
    if match is None and kind == "ml-configuration":  # filed under its membership, no ARN
        if _UUID.fullmatch(arn.removeprefix("ml-configuration/")) is None:
            raise _Bad(f"{where}.arn", f"{arn!r} is not ml-configuration/ and a membership id")
    elif match is None:
        raise _Bad(f"{where}.arn", f"{arn!r} is not a Clean Rooms ML ARN")
    elif home is not None and (match.group(2), match.group(1)) != home:
        raise _Bad(
            f"{where}.arn",
            f"{arn} is not of account {home[0]} in {home[1]}, whose resources it is among",
        )
    data = value["data"]
    _want(data, dict, f"{where}.data", "an object")
    for key in _DATA_STRINGS:  # members the mock indexes and compares on
        member = data.get(key)
        if member is not None:
            _want(member, str, f"{where}.data.{key}", "a string")
    for key, member in data.items():
        if key.endswith("Arn") and member is not None:
            _check_arn(member, f"{where}.data.{key}")
    times = value.get("data_times", [])
    _want(times, list, f"{where}.data_times", "a list of member names")
    for i, key in enumerate(times):
        if not isinstance(key, str) or key not in data:
            raise _Bad(f"{where}.data_times[{i}]", f"{key!r} is not a member of data")
        _check_time(data[key], f"{where}.data.{key}")
    _check_time(value["create_time"], f"{where}.create_time")
    _check_time(value["update_time"], f"{where}.update_time")
    _check_track(value["track"], f"{where}.track", kind)
    _check_tags(value["tags"], f"{where}.tags")
    _want(value["taggable"], bool, f"{where}.taggable", "a boolean")
    for field in fields:
        if field.name in value:
            field.check(value[field.name], f"{where}.{field.name}")
    return cls


# ---------------------------------------------------------------- world schema


def _encode_world(world: World) -> dict[str, Any]:
    config = world.config
    return {
        "config": {
            "account_id": config.account_id,
            "lifecycle": config.lifecycle.value,
            "strict_memberships": config.strict_memberships,
            "quotas": dict(config.quotas),
            "durations": dict(config.durations),
        },
        "clock": {"offset": world.clock.offset},
        "memberships": [dataclasses.asdict(m) for m in world.memberships.by_id.values()],
    }


def _check_members(value: Any, where: str, names: tuple[str, ...]) -> None:
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise _Bad(where, f"unknown members {unknown}")
    missing = [n for n in names if n not in value]
    if missing:
        raise _Bad(where, f"missing members {missing}")


def _check_world(value: Any, where: str) -> None:
    _want(value, dict, where, "an object")
    _check_members(value, where, ("config", "clock", "memberships"))
    clock = value["clock"]
    _want(clock, dict, f"{where}.clock", "an object")
    _check_members(clock, f"{where}.clock", ("offset",))
    offset = clock["offset"]
    _want(offset, (int, float), f"{where}.clock.offset", "a number of seconds")
    if isinstance(offset, bool) or not math.isfinite(offset) or offset < 0:
        raise _Bad(f"{where}.clock.offset", f"{offset!r} is not 0 or more seconds")
    config = value["config"]
    at = f"{where}.config"
    _want(config, dict, at, "an object")
    _check_members(
        config, at, ("account_id", "lifecycle", "strict_memberships", "quotas", "durations")
    )
    _want(config["durations"], dict, f"{at}.durations", "an object of seconds by key")
    try:
        check_durations(config["durations"])
    except ValueError as exc:
        raise _Bad(f"{at}.durations", str(exc)) from None
    _check_account(config["account_id"], f"{at}.account_id")
    lifecycle = config["lifecycle"]
    modes = [mode.value for mode in Lifecycle]
    if lifecycle not in modes:
        raise _Bad(f"{at}.lifecycle", f"{lifecycle!r} is not one of {modes}")
    _want(config["strict_memberships"], bool, f"{at}.strict_memberships", "a boolean")
    quotas = config["quotas"]
    _want(quotas, dict, f"{at}.quotas", "an object")
    for name, limit in quotas.items():
        if name not in DEFAULT_QUOTAS:
            raise _Bad(f"{at}.quotas", f"{name!r} is not a quota")
        _want(limit, (int, float), f"{at}.quotas.{name}", "a number")
        if not math.isfinite(limit) or limit < 0:
            raise _Bad(f"{at}.quotas.{name}", f"{limit!r} is not a quota value")
    memberships = value["memberships"]
    _want(memberships, list, f"{where}.memberships", "a list")
    seen: set[str] = set()
    names = tuple(f.name for f in dataclasses.fields(Membership))
    for i, membership in enumerate(memberships):
        at = f"{where}.memberships[{i}]"
        _want(membership, dict, at, "an object (a membership)")
        _check_members(membership, at, names)
        for key in ("membership_id", "collaboration_id"):
            member = membership[key]
            _want(member, str, f"{at}.{key}", "a lower-case UUID")
            if not _UUID.fullmatch(member):
                raise _Bad(f"{at}.{key}", f"{member!r} is not a lower-case UUID")
        if membership["membership_id"] in seen:
            raise _Bad(f"{at}.membership_id", "appears twice")
        seen.add(membership["membership_id"])
        _check_account(membership["account_id"], f"{at}.account_id")
        for key, allowed in (("abilities", ABILITIES), ("pays_for", COST_TYPES)):
            items = membership[key]
            _want(items, list, f"{at}.{key}", "a list")
            for j, item in enumerate(items):
                if item not in allowed:
                    raise _Bad(f"{at}.{key}[{j}]", f"{item!r} is not one of {list(allowed)}")
        _want(membership["status"], str, f"{at}.status", "a string")


def _check_account(value: Any, where: str) -> None:
    _want(value, str, where, "a 12-digit account id")
    if not _ACCOUNT.fullmatch(value):
        raise _Bad(where, f"{value!r} is not a 12-digit account id")


def _build_world_section(value: dict[str, Any]) -> tuple[MockConfig, MembershipRegistry]:
    config = value["config"]
    options = MockConfig(
        account_id=config["account_id"],
        lifecycle=Lifecycle(config["lifecycle"]),
        strict_memberships=config["strict_memberships"],
        quotas=dict(config["quotas"]),
        durations=check_durations(config["durations"]),
    )
    registry = MembershipRegistry()
    for m in value["memberships"]:
        registry.file(
            Membership(
                membership_id=m["membership_id"],
                account_id=m["account_id"],
                collaboration_id=m["collaboration_id"],
                abilities=list(m["abilities"]),
                pays_for=list(m["pays_for"]),
                status=m["status"],
            )
        )
    return options, registry


# ---------------------------------------------------------------- documents


def dump_world(
    world: World, journal: dict[str, Any] | None = None, *, copy: bool = True
) -> dict[str, Any]:
    """The whole state of ``world`` as a JSON-ready document (consistent: under its lock).
    ``copy=False``: the document shares the records' data and tags, so it must be
    serialised before the world's lock is released (the caller holds it)."""
    with world.lock:
        backends: list[dict[str, Any]] = []
        for (account, region), backend in world.backends.items():
            where = f"backends[{len(backends)}].records"
            backends.append(
                {
                    "account": account,
                    "region": region,
                    "records": [
                        _encode_record(r, f"{where}[{i}]", copy)
                        for i, r in enumerate(backend.records.values())
                    ],
                }
            )
        return {
            "format": FORMAT,
            "version": VERSION,
            "journal": journal or {"id": uuid.uuid4().hex, "seq": 0},
            "world": _encode_world(world),
            "backends": backends,
        }


def check_document(document: Any, source: str = "state") -> dict[str, Any]:
    """``document`` if it is a state document of a version this mock reads (1 or 2, the
    format only: ``validate`` checks the rest); else StateFileError."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateFileError(f"{source} is not a {_PACKAGE} state file")
    version = document.get("version")
    if version not in (1, VERSION) or isinstance(version, bool):
        raise StateFileError(
            f"{source} has state format version {version!r}; this {_PACKAGE} reads versions "
            f"1 and {VERSION}"
        )
    return document


def _check_backend_entry(entry: Any, where: str) -> tuple[str, str]:
    _want(entry, dict, where, "an object (a backend)")
    _check_members(entry, where, ("account", "region", "records"))
    _check_account(entry["account"], f"{where}.account")
    region = entry["region"]
    _want(region, str, f"{where}.region", "a region name")
    if not _REGION.fullmatch(region):
        raise _Bad(f"{where}.region", f"{region!r} is not a region name")
    _want(entry["records"], list, f"{where}.records", "a list of records")
    return entry["account"], region


# a record's saved form (its JSON) and the record built from it
Filed = tuple[dict[str, Any], Record]


def validate(document: Any) -> None:
    """_Bad (a ``StateFileError`` once it names the file) unless ``document`` is a
    version-2 state document, checked completely."""
    checked(document)


def checked(document: Any) -> dict[tuple[str, str], dict[str, Filed]]:
    """The records of a version-2 state document, checked completely and built (nothing
    else is touched), per backend key, by ARN in order; _Bad at the first deviation.
    References between records are checked by ``check_references`` and linked by
    ``build``."""
    _GOOD_ARNS.clear()
    try:
        return _checked(document)
    finally:
        _GOOD_ARNS.clear()


def _checked(document: Any) -> dict[tuple[str, str], dict[str, Filed]]:
    _check_members(document, "document", ("format", "version", "journal", "world", "backends"))
    _check_journal_header(document["journal"], "journal")
    _check_world(document["world"], "world")
    _want(document["backends"], list, "backends", "a list")
    backends: dict[tuple[str, str], dict[str, Filed]] = {}
    for b, entry in enumerate(document["backends"]):
        where = f"backends[{b}]"
        home = _check_backend_entry(entry, where)
        if home in backends:
            raise _Bad(f"{where}", f"account {home[0]} in {home[1]} appears twice")
        filed: dict[str, Filed] = {}
        backends[home] = filed
        for i, value in enumerate(entry["records"]):
            record = _load_record(value, home, Record)
            if record is None:  # the path is composed for an error
                record = _check_record(value, f"{where}.records[{i}]", home)
            arn = record.arn
            if arn in filed:
                raise _Bad(f"{where}.records[{i}].arn", f"{arn} appears twice")
            filed[arn] = (value, record)
    return backends


def _check_journal_header(value: Any, where: str) -> None:
    _want(value, dict, where, "an object")
    _check_members(value, where, ("id", "seq"))
    _want(value["id"], str, f"{where}.id", "a string")
    seq = value["seq"]
    _want(seq, int, f"{where}.seq", "a whole number")
    if seq < 0:
        raise _Bad(f"{where}.seq", "must not be negative")


def check_references(backends: dict[tuple[str, str], dict[str, Filed]]) -> None:
    """_Bad unless every record reference (by ARN) names a record of the right class."""
    referring = {
        name: fields
        for name, cls in RECORD_TYPES.items()
        if (fields := [f for f in _schema(cls) if f.reference is not None])
    }
    for home, records in backends.items():
        for arn, (value, _) in records.items():
            for field in referring.get(value["type"], ()):
                target = value.get(field.name)
                if field.reference is None or target is None:
                    continue
                where = f"record {arn} ({home[0]}, {home[1]}).{field.name}"
                # (an ARN is filed only in the backend of its account and region)
                found = next((f for f in (b.get(target) for b in backends.values()) if f), None)
                if found is None:
                    raise _Bad(where, f"names {target}, which is not in the file")
                if not isinstance(found[1], field.reference):
                    raise _Bad(where, f"names {target}, which is not a {field.reference.__name__}")


def build(
    world: World,
    document: dict[str, Any],
    backends: dict[tuple[str, str], dict[str, Filed]],
) -> None:
    """Replace the state of ``world`` by a checked ``document``: its world section and,
    per backend key, its records by ARN in order (``checked``). Everything is built first,
    then swapped in. The world keeps the document and ``backends`` until its state is
    replaced or reset (``World.loaded``), and the little else made here (no object per
    record) is freed when the call returns: a load leaves next to no holes among the
    objects of the state it builds."""
    section = document["world"]
    from .backend import CleanRoomsMLBackend
    from .backend._view import view_of

    options, registry = _build_world_section(section)
    built: dict[tuple[str, str], CleanRoomsMLBackend] = {}
    by_arn: dict[str, Record] = {}
    view = view_of(world)
    for (account, region), records in backends.items():
        backend = CleanRoomsMLBackend(view, account, region)
        made = [record for _, record in records.values()]
        by_arn.update(zip(records, made, strict=True))
        backend.file_loaded(made)
        built[(account, region)] = backend
    for records in backends.values():
        for value, record in records.values():
            for name in _references(value["type"]):
                target = value.get(name)
                if target is not None:
                    setattr(record, name, by_arn[target])
                    post_init = getattr(record, "__post_init__", None)
                    if post_init is not None:
                        post_init()
    with world.lock:
        world.config.account_id = options.account_id
        world.config.lifecycle = options.lifecycle
        world.config.strict_memberships = options.strict_memberships
        world.config.quotas.clear()
        world.config.quotas.update(options.quotas)
        world.config.durations = options.durations
        world.clock.offset = float(section["clock"]["offset"])
        world.memberships = registry
        # the state replaced is freed once the lock is released: the calls waiting for
        # it do not wait for that too
        replaced = world.replace_backends(built, (document, backends))
    del replaced


def upgrade(document: dict[str, Any], source: str) -> dict[str, Any]:
    """A version-2 document for a checked document of version 1 or 2."""
    if document["version"] == VERSION:
        return document
    from . import state_v1
    from .world import World

    scratch = World()
    try:
        state_v1.load_world(scratch, document, source)
    except state_v1.V1Error as exc:
        raise StateFileError(str(exc)) from None
    # the same id at every read, so a server's journal next to a version-1 file is replayed
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    try:
        converted = json.loads(
            serialise(
                dump_world(scratch, {"id": f"v1-{digest[:32]}", "seq": 0}, copy=False),
                repeats=True,
            )
        )
    except (TypeError, ValueError) as exc:
        raise StateFileError(f"{source}: cannot be converted to version {VERSION}: {exc}") from None
    return converted  # type: ignore[no-any-return]


def load_world(world: World, document: Any, source: str = "state") -> None:
    """Replace the state of ``world`` by ``document`` (from ``dump_world``); a document
    that does not match the schema raises StateFileError and leaves ``world`` as it was."""
    from . import backend as _backend_package  # every family's record types registered

    del _backend_package
    document = upgrade(check_document(document, source), source)
    try:
        backends = checked(document)
        check_references(backends)
    except _Bad as bad:
        raise StateFileError(f"{source}: {bad}") from None
    build(world, document, backends)


# ---------------------------------------------------------------- files


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse(text: str | bytes, source: str) -> Any:
    """JSON, strictly (no NaN or Infinity); StateFileError naming ``source`` otherwise."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise StateFileError(f"{source} is corrupt: nested too deeply") from None
    except UnicodeDecodeError:
        raise StateFileError(f"{source} is corrupt: not UTF-8 text") from None
    except ValueError as exc:
        raise StateFileError(f"{source} is corrupt: not valid JSON ({exc})") from None


class _Strings(dict[str, str]):
    """The JSON text of each string met in one document, made on first use: the same
    member names, enum values, ARNs and timestamps recur throughout a state document, and
    escaping a string costs more than looking it up."""

    def __missing__(self, text: str) -> str:
        self[text] = encoded = _encode_string(text)
        return encoded


def _unserialisable(value: Any) -> Any:
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def serialise(document: dict[str, Any], *, repeats: bool = False) -> bytes:
    """``document`` as compact JSON, pure ASCII (a lone surrogate in a string stays an
    escape), refusing NaN and infinities: the bytes of ``json.dumps(document,
    separators=(",", ":"), allow_nan=False)``. ``repeats``: a large document whose strings
    recur (a whole state): each distinct string is escaped once."""
    try:
        if _make_encoder is None:  # a Python without the json module's C accelerator
            return json.dumps(document, separators=(",", ":"), allow_nan=False).encode()
        # the encoder json.dumps makes, less the check for circular references (a document
        # is a tree: records and JSON values decoded from requests)
        encode = _make_encoder(
            None,  # markers: no check for cycles
            _unserialisable,
            _Strings().__getitem__ if repeats else _encode_string,
            None,  # indent
            ":",
            ",",
            False,  # sort_keys
            False,  # skipkeys
            False,  # allow_nan
        )
        return "".join(encode(document, 0)).encode()
    except RecursionError:  # (a cycle, were there one, would end here)
        raise TypeError("cannot save the state: nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot save the state: {exc}") from None


def write_atomically(target: Path, payload: bytes, mode: int | None = None) -> None:
    """``payload`` in ``target``, or ``target`` as it was: a temporary file next to it,
    written and fsynced, renamed over it, and the directory fsynced. The file gets
    ``mode`` if given; else an existing file keeps its mode, a new one gets the umask's."""
    directory = target.parent if str(target.parent) else Path(".")
    if mode is None:
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            pass
    tmp = directory / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_directory(directory)


def fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------- the journal (journal.py)


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def journal_header(journal_id: str) -> bytes:
    return serialise({"format": FORMAT, "version": VERSION, "journal": journal_id}) + b"\n"


def _check_entry(entry: Any, where: str, seq: int) -> list[Record]:
    """The records ``entry`` upserts, built, if it is a valid journal entry numbered
    ``seq``; else _Bad."""
    _want(entry, dict, where, "an object (a journal entry)")
    _check_members(entry, where, ("seq", "backends", "upsert", "delete", "world"))
    if entry["seq"] != seq or isinstance(entry["seq"], bool):
        raise _Bad(f"{where}.seq", f"is {entry['seq']!r}, expected {seq}")
    _want(entry["backends"], list, f"{where}.backends", "a list")
    for i, key in enumerate(entry["backends"]):
        _check_key(key, f"{where}.backends[{i}]", 2)
    _want(entry["upsert"], list, f"{where}.upsert", "a list")
    upserts = []
    for i, item in enumerate(entry["upsert"]):
        at = f"{where}.upsert[{i}]"
        _check_key(item, at, 3)
        upserts.append(_check_record(item[2], f"{at}[2]", (item[0], item[1])))
    _want(entry["delete"], list, f"{where}.delete", "a list")
    for i, item in enumerate(entry["delete"]):
        _check_key(item, f"{where}.delete[{i}]", 3)
        _want(item[2], str, f"{where}.delete[{i}][2]", "an ARN")
    if entry["world"] is not None:
        _check_world(entry["world"], f"{where}.world")
    return upserts


def _check_key(value: Any, where: str, length: int) -> None:
    _want(value, list, where, f"a list of {length} items")
    if len(value) != length:
        raise _Bad(where, f"must have {length} items, not {len(value)}")
    _check_account(value[0], f"{where}[0]")
    _want(value[1], str, f"{where}[1]", "a region name")
    if not _REGION.fullmatch(value[1]):
        raise _Bad(f"{where}[1]", f"{value[1]!r} is not a region name")


class Loaded:
    """A validated state file and journal: what to build, and what to clean."""

    def __init__(
        self,
        document: dict[str, Any],
        backends: dict[tuple[str, str], dict[str, Filed]],
        journal_id: str,
        seq: int,
        entries: list[bytes],
    ) -> None:
        self.document = document
        self.backends = backends
        self.journal_id = journal_id
        self.seq = seq
        self.entries = entries  # the journal's complete, valid lines past its header


def read_loaded(path: Path) -> Loaded:
    """Read and validate ``path`` and its journal completely; StateFileError if either
    deviates from the format (nothing is touched)."""
    source = f"state file {path}"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StateFileError(f"cannot read {source}: {exc.strerror or exc}") from None
    document = upgrade(check_document(parse(raw, source), source), source)
    try:
        backends = checked(document)
    except _Bad as bad:
        raise StateFileError(f"{source}: {bad}") from None
    journal_id, seq = document["journal"]["id"], document["journal"]["seq"]
    entries: list[bytes] = []
    jpath = journal_path(path)
    try:
        text = jpath.read_bytes()
    except FileNotFoundError:
        text = b""
    except OSError as exc:
        raise StateFileError(f"cannot read journal {jpath}: {exc.strerror or exc}") from None
    lines = text.split(b"\n")
    lines.pop()  # after the last newline: empty, or a torn write that was never acknowledged
    header = _parse_header(lines[0]) if lines else None
    if header == journal_id:
        jsource = f"journal {jpath}"
        for number, line in enumerate(lines[1:], start=2):
            entry = parse(line, f"{jsource} line {number}")
            if isinstance(entry, dict) and isinstance(entry.get("seq"), int):
                if entry["seq"] <= document["journal"]["seq"]:
                    continue  # already in the snapshot (a compaction was cut short)
            try:
                upserts = _check_entry(entry, f"line {number}", seq + 1)
            except _Bad as bad:
                raise StateFileError(f"{jsource}: {bad}") from None
            seq += 1
            _apply(document, backends, entry, upserts)
            entries.append(line)
    try:
        check_references(backends)
    except _Bad as bad:
        raise StateFileError(f"{source}: {bad}") from None
    return Loaded(document, backends, journal_id, seq, entries)


def _parse_header(line: bytes) -> str | None:
    """The snapshot id a journal's first line names (None: not a journal header)."""
    try:
        header = parse(line, "journal")
    except StateFileError:
        return None
    if isinstance(header, dict) and header.get("format") == FORMAT:
        found = header.get("journal")
        return found if isinstance(found, str) else None
    return None


def _apply(
    document: dict[str, Any],
    backends: dict[tuple[str, str], dict[str, Filed]],
    entry: dict[str, Any],
    upserts: list[Record],
) -> None:
    """Apply a checked journal ``entry`` (``upserts``: its records, built)."""
    for account, region in entry["backends"]:
        backends.setdefault((account, region), {})
    for (account, region, value), record in zip(entry["upsert"], upserts, strict=True):
        backends.setdefault((account, region), {})[record.arn] = (value, record)
    for account, region, arn in entry["delete"]:
        backends.get((account, region), {}).pop(arn, None)
    if entry["world"] is not None:
        document["world"] = entry["world"]


def save(world: World, path: str | os.PathLike[str]) -> None:
    """Write the state of ``world`` to ``path`` atomically and durably (a journal next to
    it from an earlier server is left behind: the new file does not take it)."""
    with world.lock, no_collection():
        payload = serialise(dump_world(world, copy=False), repeats=True)
    write_atomically(Path(path), payload)


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The state document in ``path``, checked as a state file of a known version;
    StateFileError if unreadable or foreign."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise StateFileError(f"cannot read state file {path}: {exc.strerror or exc}") from None
    return check_document(parse(raw, f"state file {path}"), f"state file {path}")


def load(world: World, path: str | os.PathLike[str]) -> None:
    """Replace the state of ``world`` by the state saved in ``path`` (with its journal,
    if a server left one)."""
    with no_collection(keep=True):
        loaded = read_loaded(Path(path))
        build(world, loaded.document, loaded.backends)


@contextlib.contextmanager
def no_collection(*, keep: bool = False) -> Iterator[None]:
    """The cyclic garbage collector paused: reading a large file makes many objects that
    all live, and collecting while they are made costs more than the reading.

    ``keep``: what is made is kept (a loaded state): the objects made meanwhile go straight
    to the collector's oldest generation (``gc.freeze`` then ``gc.unfreeze``), as they
    would after surviving two collections, instead of being traversed by a young-generation
    collection as soon as collection resumes. Nothing is left out of collection: the
    oldest generation is examined at the next full collection, as usual. (Not when the
    program has frozen objects of its own: they stay frozen.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep and not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


__all__ = [
    "FORMAT",
    "VERSION",
    "StateFileError",
    "check_document",
    "dump_world",
    "load",
    "load_world",
    "save",
    "validate",
]
