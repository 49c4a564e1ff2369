"""Version 1 of the state file (the generic tagged encoding of cleanroomsml-mock 0.1),
read only: ``state.upgrade`` decodes such a file here into a scratch world, then saves
that as version 2 and validates it like any other file (docs/server.md, "State files").

A backend was saved as its instance attributes, the world likewise; a ``Record`` once,
by identity, in a pool, referenced wherever it appeared; other dataclasses and enums of
this package field by field, tagged with their class; datetimes, tuples, sets, bytes and
dicts with non-string keys tagged. Classes outside this package are refused.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import importlib
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


class StateFileError(Exception):
    """A version-1 file that cannot be read (``state.upgrade`` reports it)."""


V1Error = StateFileError
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
