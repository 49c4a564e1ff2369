"""Saved state: a ``World`` to versioned JSON and back (``m.save_state``/``m.load_state``,
the server's ``--state-file``).

The encoding is generic, so resource families added later round-trip with no code here:

- a backend is saved as its instance attributes (``records``, ``tables`` and whatever a
  family's ``__init__`` declares), except attributes that are aliases of a table (they are
  re-created by ``__init__`` on load) and machinery (locks, callables); the world likewise
  (its options, the membership registry...), except its lock, call log and backends;
- a ``Record`` (any subclass registered with ``records.record_type``) is saved once, by
  identity, in a pool, and referenced wherever it appears (``records`` and its table);
- other dataclasses and enums of this package (``StatusTrack``, ``MockConfig``, the
  membership registry...) are saved field by field, tagged with their class;
- datetimes, tuples, sets, bytes and dicts with non-string keys are tagged, so they come
  back as they were.

Loading is the reverse: fresh backends are built (running ``__init__``, so state is
declared in one place) and their containers are filled in place. The call log is not saved.

A file of another format version, or one that is not a valid state file, raises
``StateFileError`` with a message saying what is wrong; nothing is half-loaded.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import enum
import importlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .records import RECORD_TYPES, Record

if TYPE_CHECKING:
    from .world import World

FORMAT = "cleanroomsml-mock-state"
VERSION = 1

_PACKAGE = __name__.split(".")[0]
_WORLD_SKIP = frozenset({"lock", "calls", "backends", "faults"})
# machinery of a backend, never read from a file ("world": what a backend held before
# it was given a view, refused too)
_BACKEND_SKIP = frozenset({"view", "world", "account_id", "region", "name_index"})
_MARKERS = (
    "__ref__",
    "__dt__",
    "__date__",
    "__tuple__",
    "__set__",
    "__bytes__",
    "__dict__",
    "__enum__",
    "__dataclass__",
)


class StateFileError(Exception):
    """A state file that cannot be loaded (unknown version, corrupt, not a state file)."""


# ---------------------------------------------------------------- encoding


def _class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


class _Encoder:
    def __init__(self) -> None:
        self.pool: list[Any] = []
        self._ids: dict[int, int] = {}

    def record(self, record: Record) -> dict[str, Any]:
        ref = self._ids.get(id(record))
        if ref is None:
            ref = self._ids[id(record)] = len(self.pool)
            self.pool.append(None)  # reserve the slot before recursing
            name = type(record).__name__
            if RECORD_TYPES.get(name) is not type(record):
                raise TypeError(
                    f"record class {_class_path(type(record))} is not registered; "
                    "decorate it with @records.record_type"
                )
            self.pool[ref] = {"type": name, "fields": self._fields(record)}
        return {"__ref__": ref}

    def _fields(self, obj: Any) -> dict[str, Any]:
        return {
            f.name: self.encode(getattr(obj, f.name), f"{type(obj).__name__}.{f.name}")
            for f in dataclasses.fields(obj)
        }

    def encode(self, value: Any, where: str) -> Any:
        if isinstance(value, enum.Enum):  # before str/int: str and int enums are both
            return {"__enum__": _class_path(type(value)), "value": self.encode(value.value, where)}
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            return [self.encode(v, where) for v in value]
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value) and not any(m in value for m in _MARKERS):
                return {k: self.encode(v, f"{where}.{k}") for k, v in value.items()}
            return {
                "__dict__": [
                    [self.encode(k, where), self.encode(v, where)] for k, v in value.items()
                ]
            }
        if isinstance(value, _dt.datetime):
            return {"__dt__": value.isoformat()}
        if isinstance(value, _dt.date):
            return {"__date__": value.isoformat()}
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, where) for v in value]}
        if isinstance(value, (set, frozenset)):
            items = [self.encode(v, where) for v in value]
            try:
                items.sort()
            except TypeError:
                pass
            return {"__set__": items, "frozen": isinstance(value, frozenset)}
        if isinstance(value, (bytes, bytearray)):
            return {"__bytes__": base64.b64encode(bytes(value)).decode()}
        if isinstance(value, Record):
            return self.record(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            cls = type(value)
            if not cls.__module__.startswith(_PACKAGE):
                raise TypeError(f"cannot save {where}: {_class_path(cls)} is not of this package")
            return {"__dataclass__": _class_path(cls), "fields": self._fields(value)}
        raise TypeError(
            f"cannot save {where}: values of type {type(value).__name__} have no JSON form"
        )


_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


def _is_state(value: Any) -> bool:
    """False for attributes that are machinery, not state: locks and callables."""
    if isinstance(value, _LOCK_TYPES) or isinstance(value, threading.Condition):
        return False
    return not (callable(value) and not dataclasses.is_dataclass(value))


def _is_table_alias(backend: Any, value: Any) -> bool:
    return any(value is table for table in getattr(backend, "tables", {}).values())


def dump_world(world: World) -> dict[str, Any]:
    """The whole state of ``world`` as a JSON-ready document (consistent: under its lock)."""
    enc = _Encoder()
    with world.lock:
        attributes = {
            name: enc.encode(value, f"World.{name}")
            for name, value in vars(world).items()
            if name not in _WORLD_SKIP and _is_state(value)
        }
        backends = []
        for (account, region), backend in world.backends.items():
            state = {
                name: enc.encode(value, f"backend.{name}")
                for name, value in vars(backend).items()
                if name not in _BACKEND_SKIP
                and _is_state(value)
                and not _is_table_alias(backend, value)
            }
            backends.append({"account": account, "region": region, "attributes": state})
    return {
        "format": FORMAT,
        "version": VERSION,
        "world": attributes,
        "backends": backends,
        "records": enc.pool,
    }


# ---------------------------------------------------------------- decoding


def _resolve_class(path: Any) -> type:
    if not isinstance(path, str) or ":" not in path:
        raise StateFileError(f"bad class reference {path!r}")
    module_name, _, qualname = path.partition(":")
    if module_name != _PACKAGE and not module_name.startswith(_PACKAGE + "."):
        raise StateFileError(f"refusing to load {path}: not a class of {_PACKAGE}")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise StateFileError(f"the state file names {path}, which does not exist here") from None
    if not isinstance(obj, type):
        raise StateFileError(f"{path} is not a class")
    return obj


def _build(cls: type, fields: dict[str, Any]) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(fields) - set(known)
    if unknown:
        raise StateFileError(f"{cls.__name__} has no fields {sorted(unknown)}")
    obj = cls(**{k: v for k, v in fields.items() if known[k].init})
    for k, v in fields.items():
        if not known[k].init:
            object.__setattr__(obj, k, v)
    return obj


class _Decoder:
    def __init__(self, pool: Any) -> None:
        if not isinstance(pool, list):
            raise StateFileError("'records' must be a list")
        self.pool = pool
        self.records: dict[int, Record] = {}
        self._loading: set[int] = set()

    def record(self, ref: Any) -> Record:
        if not isinstance(ref, int) or not 0 <= ref < len(self.pool):
            raise StateFileError(f"dangling record reference {ref!r}")
        found = self.records.get(ref)
        if found is not None:
            return found
        if ref in self._loading:
            raise StateFileError(f"record {ref} refers to itself")
        self._loading.add(ref)
        entry = self.pool[ref]
        if not isinstance(entry, dict) or not isinstance(entry.get("fields"), dict):
            raise StateFileError(f"record {ref} is malformed")
        cls = RECORD_TYPES.get(entry.get("type", ""))
        if cls is None:
            raise StateFileError(
                f"record type {entry.get('type')!r} is unknown to this version of {_PACKAGE}"
            )
        fields = {k: self.decode(v) for k, v in entry["fields"].items()}
        record: Record = _build(cls, fields)
        self.records[ref] = record
        self._loading.discard(ref)
        return record

    def decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "__ref__" in value:
            return self.record(value["__ref__"])
        if "__dt__" in value:
            return _dt.datetime.fromisoformat(value["__dt__"])
        if "__date__" in value:
            return _dt.date.fromisoformat(value["__date__"])
        if "__tuple__" in value:
            return tuple(self.decode(v) for v in value["__tuple__"])
        if "__set__" in value:
            items = [self.decode(v) for v in value["__set__"]]
            return frozenset(items) if value.get("frozen") else set(items)
        if "__bytes__" in value:
            return base64.b64decode(value["__bytes__"])
        if "__dict__" in value:
            return {self.decode(k): self.decode(v) for k, v in value["__dict__"]}
        if "__enum__" in value:
            return _resolve_class(value["__enum__"])(self.decode(value["value"]))
        if "__dataclass__" in value:
            cls = _resolve_class(value["__dataclass__"])
            if not dataclasses.is_dataclass(cls):
                raise StateFileError(f"{value['__dataclass__']} is not a dataclass")
            return _build(cls, {k: self.decode(v) for k, v in value["fields"].items()})
        return {k: self.decode(v) for k, v in value.items()}


def _check_type(target: Any, name: str, loaded: Any) -> None:
    """StateFileError if ``loaded`` cannot stand for the attribute ``target.name`` as
    ``__init__`` declared it (a list where a table belongs, a number for the options...)."""
    current = getattr(target, name, None)
    if current is None or loaded is None:
        return
    for kind in (dict, set, list):
        if isinstance(current, kind):
            ok = isinstance(loaded, kind)
            break
    else:
        ok = isinstance(loaded, type(current)) or (
            isinstance(current, (int, float))
            and isinstance(loaded, (int, float))
            and not isinstance(loaded, bool)
        )
    if not ok:
        raise StateFileError(
            f"{type(target).__name__}.{name} is a {type(loaded).__name__}, "
            f"not a {type(current).__name__}"
        )


def _merge_into(target: Any, name: str, loaded: Any) -> None:
    """Set ``target.name`` to ``loaded``, filling the existing container or dataclass in
    place when the types agree (so aliases made in ``__init__`` stay valid)."""
    _check_type(target, name, loaded)
    current = getattr(target, name, None)
    # containers: by kind, so a defaultdict declared in __init__ keeps its factory
    for kind in (dict, set, list):
        if isinstance(current, kind) and isinstance(loaded, kind):
            if isinstance(current, list):
                current[:] = loaded
            else:
                current.clear()
                current.update(loaded)
            return
    if (
        type(current) is type(loaded)
        and dataclasses.is_dataclass(current)
        and not isinstance(current, Record)
    ):
        for f in dataclasses.fields(current):
            setattr(current, f.name, getattr(loaded, f.name))
        return
    setattr(target, name, loaded)


def check_document(document: Any, source: str = "state") -> dict[str, Any]:
    """``document`` if it is a state document this version can load; else StateFileError."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateFileError(f"{source} is not a {_PACKAGE} state file")
    version = document.get("version")
    if version != VERSION:
        raise StateFileError(
            f"{source} has state format version {version!r}; this {_PACKAGE} reads version "
            f"{VERSION} only"
        )
    return document


def load_world(world: World, document: Any, source: str = "state") -> None:
    """Replace the state of ``world`` by ``document`` (from ``dump_world``).

    Everything is decoded and filled into a scratch world first, and moved into ``world``
    only once that has worked: a corrupt document leaves ``world`` as it was.
    """
    from . import backend as _backend_package  # every family's record types registered
    from .backend._view import view_of
    from .world import World

    del _backend_package
    check_document(document, source)
    scratch = World(dataclasses.replace(world.config, quotas=dict(world.config.quotas)))
    try:
        decoder = _Decoder(document.get("records", []))
        attributes = {k: decoder.decode(v) for k, v in document.get("world", {}).items()}
        for name, value in attributes.items():
            if name in _WORLD_SKIP:
                raise StateFileError(f"'world' may not set {name!r}")
            _merge_into(scratch, name, value)
        for entry in document.get("backends", []):
            state = {k: decoder.decode(v) for k, v in entry["attributes"].items()}
            machinery = sorted(set(state) & _BACKEND_SKIP)
            if machinery:
                raise StateFileError(f"a backend may not set {machinery}")
            backend = scratch.backend(str(entry["account"]), str(entry["region"]))
            for table in backend.tables.values():  # whatever __init__ put there is replaced
                table.clear()
            tables = state.pop("tables", {})
            _check_type(backend, "tables", tables)
            for kind, table in tables.items():
                if not isinstance(table, dict):
                    raise StateFileError(f"table {kind!r} is a {type(table).__name__}, not a dict")
                backend.table(kind).update(table)
            for name, value in state.items():
                _merge_into(backend, name, value)
    except StateFileError as exc:
        raise StateFileError(f"{source}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise StateFileError(f"{source} is corrupt: {type(exc).__name__}: {exc}") from None
    with world.lock:
        for name in attributes:
            _merge_into(world, name, getattr(scratch, name))
        world.backends.clear()
        for key, backend in scratch.backends.items():
            backend.view = view_of(world)
            world.backends[key] = backend


# ---------------------------------------------------------------- files


def save(world: World, path: str | os.PathLike[str]) -> None:
    """Write the state of ``world`` to ``path`` atomically (a temporary file, then rename)."""
    target = Path(path)
    with world.lock:
        text = json.dumps(dump_world(world), separators=(",", ":"))
        directory = target.parent if str(target.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The state document in ``path``, checked; StateFileError if unreadable or foreign."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise StateFileError(f"cannot read state file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise StateFileError(f"state file {path} is corrupt: not UTF-8 text") from None
    try:
        document = json.loads(text)
    except RecursionError:
        raise StateFileError(f"state file {path} is corrupt: nested too deeply") from None
    except ValueError as exc:
        raise StateFileError(f"state file {path} is corrupt: not valid JSON ({exc})") from None
    return check_document(document, f"state file {path}")


def load(world: World, path: str | os.PathLike[str]) -> None:
    """Replace the state of ``world`` by the state saved in ``path``."""
    load_world(world, read(path), f"state file {path}")


__all__ = ["FORMAT", "VERSION", "StateFileError", "dump_world", "load", "load_world", "save"]
