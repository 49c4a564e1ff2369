"""What every resource family's backend builds on: identity, time, ARNs, the record
tables, and the checks shared across families (tags, names, roles).

A family is a mixin class with a cooperative ``__init__`` that declares its tables, and
one method per operation named as boto3 names it, taking the operation's top-level input
members as snake_case keywords. It returns a mapping or a ``Record``; the dispatcher
trims it to the output shape. A List method returns its items as ``self.listing(...)``,
so that the page the dispatcher slices from it is what gets read. It raises the
modelled errors; it never sees HTTP, JSON, pagination tokens or locks.

A backend is built from a ``WorldView`` (``_view.py``), its account and its region, and
holds no reference to the ``World``. Status changes are the records' own (the status
machine of ``records.Record``); a backend is the ``Host`` that holds them.
"""

from __future__ import annotations

import datetime as _dt
import operator
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from .. import changes, ids, quotas
from ..errors import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..lifecycle import Lifecycle, StatusTrack
from ..moto_link import MotoLink
from ..records import Listing, Observable, Record
from ._index import Indexes, Window
from ._view import WorldView, view_of

if TYPE_CHECKING:
    from ..world import World

MAX_TAGS = 50
_ARN = operator.attrgetter("arn")
B = TypeVar("B", bound="BackendBase")
S = TypeVar("S", bound=Observable)


def now() -> _dt.datetime:
    """The current time in UTC, at the millisecond precision of the wire format."""
    t = _dt.datetime.now(_dt.timezone.utc)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


class BackendBase:
    def __init__(self, view: WorldView, account_id: str, region: str) -> None:
        self.view = view
        self.account_id = account_id
        self.region = region
        # every ARN-addressable record of this account and region, whatever its kind
        self.records: dict[str, Record] = {}
        # kind -> the table that holds records of that kind
        self.tables: dict[str, dict[str, Record]] = {}
        # names, ordered lists and status counts (_index.py), so that no check and no
        # List page scans a table. Derived from the tables, never saved (None: rebuilt
        # on first use, e.g. after a state load).
        self.name_index: Indexes | None = None

    @classmethod
    def in_world(cls: type[B], world: World, account_id: str, region: str) -> B:
        """The backend of ``account_id`` and ``region`` in ``world`` (``World.backend``)."""
        return cls(view_of(world), account_id, region)

    # ------------------------------------------------------------ basics

    @property
    def lifecycle(self) -> Lifecycle:
        return self.view.config.lifecycle

    @property
    def durations(self) -> dict[str, float]:
        return self.view.config.durations

    def now(self) -> _dt.datetime:
        """The mock's clock (``m.now()``)."""
        return self.view.now()

    def moto(self) -> MotoLink | None:
        """moto's S3, Glue and IAM when the mock consults them now, else None (a view
        without moto, e.g. a unit test's stub, has none; docs/moto.md)."""
        moto = getattr(self.view, "moto", None)
        return moto() if moto is not None else None

    def table(self, kind: str) -> dict[str, Record]:
        """Declare (or get) the table of one kind of record."""
        return self.tables.setdefault(kind, {})

    @staticmethod
    def new_id() -> str:
        return ids.resource_id()

    def new_arn(self, resource: str) -> str:
        return ids.arn(self.region, self.account_id, resource)

    # ------------------------------------------------------------ record bookkeeping

    def new_record(
        self,
        kind: str,
        arn: str,
        data: dict[str, Any],
        *,
        path: tuple[str, ...] | None = None,
        tags: dict[str, str] | None = None,
        taggable: bool = True,
        cls: type[Record] = Record,
        **fields: Any,
    ) -> Record:
        """Create, store and return a record; ``path`` starts its status lifecycle.

        ``cls`` is the record class (a ``@record_type`` subclass of ``Record`` whose extra
        fields all have defaults); ``fields`` sets those extra fields.
        """
        t = self.now()
        record = cls(
            kind=kind,
            arn=arn,
            data={k: v for k, v in data.items() if v is not None},
            create_time=t,
            update_time=t,
            track=StatusTrack.starting(path, self.lifecycle, t) if path is not None else None,
            tags=dict(tags or {}),
            taggable=taggable,
            **fields,
        )
        self.store(record)
        if path is not None and path[0] != path[-1] and record.status == path[-1] == "ACTIVE":
            record.reached_active(self, forced=False)  # immediate mode: born at the end
        return record

    def store(self, record: Record) -> None:
        """File a record in its kind's table, the ARN index and the derived indexes."""
        indexes = self.indexes()
        old = self.records.get(record.arn)
        if old is not None and old is not record:  # a record filed again replaces the old
            BackendBase.remove(self, old)  # only this record, not what goes with it
        changes.note(record, self)
        self.table(record.kind)[record.arn] = record
        self.records[record.arn] = record
        indexes.add_all((record,))
        self.schedule(record)

    def file_loaded(self, records: Iterable[Record]) -> None:
        """File the records of a saved state in this new backend, in order: like ``store``
        each, without the checks a backend that already holds records needs (the ARNs are
        unique, validated by state.py). The clock places a new backend's records whole
        (``World.catch_up``). The derived indexes take them all at once
        (``Indexes.add_all``)."""
        records = list(records)
        indexes = self.indexes()
        tables = self.tables
        changes.note_all(records, self)
        for record in records:
            table = tables.get(record.kind)
            if table is None:
                table = tables[record.kind] = {}
            table[record.arn] = record
        self.records.update(zip(map(_ARN, records), records, strict=True))
        indexes.add_all(records)

    def schedule(self, record: Record) -> None:
        """Have the mock's clock look at ``record`` when ``record.next_due`` says (a view
        without a clock schedule, e.g. a unit test's stub, lets the record be)."""
        schedule = getattr(self.view, "schedule", None)
        if schedule is not None:
            schedule(record, self)

    def remove(self, record: Record) -> None:
        """Take a record out of its table, the ARN index and the derived indexes."""
        changes.note(record, self)
        self.tables.get(record.kind, {}).pop(record.arn, None)
        self.records.pop(record.arn, None)
        self.indexes().discard(record)

    def indexes(self) -> Indexes:
        """The derived indexes, rebuilt from the tables if they are not there yet."""
        if self.name_index is None:
            self.name_index = Indexes.build(self.records.values())
        return self.name_index

    def named(self, kind: str, name: str) -> list[Record]:
        """The records of ``kind`` called ``name`` (an index look-up, not a scan)."""
        table = self.tables.get(kind, {})
        found = []
        for arn in self.indexes().named(kind, name):
            record = table.get(arn)
            if record is not None and record.data.get("name") == name:
                found.append(record)
        return found

    def filed(self, record: Record) -> bool:
        """Whether ``record`` is (still) the one filed under its ARN."""
        return self.records.get(record.arn) is record

    def children(self, kind: str, member: str, value: str) -> list[Record]:
        """The records of ``kind`` whose data member ``member`` (one of ``_index.PARENTS``)
        is ``value``, in the order they were filed (an index look-up, not a scan)."""
        return list(self.indexes().ordered(kind, member, value).items)

    def count_status(self, name: str, scope: str | None = None) -> int:
        """The status count ``name`` (declared with ``_index.status_count``) in ``scope``
        (None: all of this backend): kept exact, read without a scan."""
        return self.indexes().count(name, scope)

    def counted_records(self, name: str, scope: str) -> list[Record]:
        """The records counted by the status count ``name`` in ``scope``, in the order
        they were filed."""
        return self.indexes().counted_records(name, scope)

    def recount(self, record: Record) -> None:
        """Enter a record in the status counts again after a status change (a part of a
        record, e.g. a trained model version, enters the record it is filed in)."""
        filed = self.records.get(record.arn)
        if filed is not None:
            self.indexes().recount(filed)

    def advancing(self) -> list[Record]:
        """The records ``m.advance()`` may move (a step is pending), in filed order."""
        return self.indexes().advancing()

    def touch(self, record: Record) -> None:
        """Mark a change that is not a status change (an update, a new version)."""
        record.touch(self.now())

    def locate(self, arn: str) -> tuple[BackendBase, Record] | None:
        """The record filed under ``arn`` in the backend of the account and region the
        ARN names (if that backend exists), with that backend."""
        backend = self.view.backend_for(ids.arn_account(arn) or "", ids.arn_region(arn) or "")
        record = backend.records.get(arn) if backend is not None else None
        if backend is None or record is None:
            return None
        return backend, record

    def listing(self, items: Iterable[S]) -> Listing[S]:
        """What a List method returns: ``items`` in order, read a page at a time."""
        return Listing(list(items), self)

    def listing_of(self, kind: str, member: str | None = None, value: Any = None) -> Listing[Any]:
        """The records of ``kind`` (under the parent ``member`` = ``value`` if given) as a
        List returns them: a page is sliced from the ordered index, the table is not
        copied."""
        return Listing(Window(self.indexes().ordered(kind, member, value)), self)

    def listing_by(self, kind: str, **filters: str | None) -> Listing[Any]:
        """Like ``listing_of``, for the records whose data members have the values given
        (those given as None are not filtered on): a parent of ``_index.PARENTS`` or a
        combination declared with ``_index.listed_by``."""
        given = {member: value for member, value in filters.items() if value is not None}
        return Listing(Window(self.indexes().ordered_by(kind, given)), self)

    def find(self, kind: str, arn: str, noun: str) -> Record:
        """The record, or a ``ResourceNotFoundException`` naming it. Not a read."""
        record = self.tables.get(kind, {}).get(arn)
        if record is None or record.removed:
            raise ResourceNotFoundException(f"{noun} {arn} not found")
        return record

    def read(self, kind: str, arn: str, noun: str) -> Record:
        """The record as a Get sees it: found, then read (which may advance it)."""
        record = self.find(kind, arn, noun)
        if not record.observe(self):
            raise ResourceNotFoundException(f"{noun} {arn} not found")
        return record

    # ------------------------------------------------------------ shared rules

    def enforce_quota(self, name: str, in_use: int) -> None:
        """ServiceQuotaExceededException when ``in_use`` already reaches quota ``name``."""
        quotas.enforce(self.view.config.quotas, name, in_use)

    def check_name_free(self, kind: str, name: str, noun: str, scope: Any = None) -> None:
        """ConflictException if a record of ``kind`` (in ``scope`` if given) has ``name``."""
        for record in self.named(kind, name):
            if scope is not None and record.data.get("membershipIdentifier") != scope:
                continue
            raise ConflictException(f"A {noun} named '{name}' already exists")

    def check_role_account(self, role_arn: str, member: str = "roleArn") -> None:
        """A role of another account may not be passed (AccessDeniedException)."""
        role_account = ids.arn_account(role_arn)
        if role_account is not None and role_account != self.account_id:
            raise AccessDeniedException(
                f"{member} {role_arn} belongs to account {role_account}; a role from another "
                f"account than the caller's ({self.account_id}) cannot be passed"
            )

    @staticmethod
    def check_tags(tags: dict[str, str] | None, existing: dict[str, str] | None = None) -> None:
        """The tag rules the model cannot express: no ``aws:`` keys, at most 50 tags."""
        if not tags:
            return
        reserved = [k for k in tags if k.lower().startswith("aws:")]
        if reserved:
            raise ValidationException(
                f"Tag keys starting with 'aws:' are reserved for AWS use: {', '.join(reserved)}"
            )
        merged = set(existing or {}) | set(tags)
        if len(merged) > MAX_TAGS:
            raise ValidationException(
                f"A resource can have at most {MAX_TAGS} tags; this request would give it "
                f"{len(merged)}"
            )

    # ------------------------------------------------------------ test controls

    def set_record_status(
        self,
        record: Record,
        status: str,
        details: dict[str, Any] | None,
        version: str | None = None,
    ) -> None:
        """``m.set_status`` on a record of this backend: the record's machine decides."""
        record.set_status(self, status, details, version)

    def step_record(self, record: Record) -> None:
        """``m.advance`` on a record of this backend: the record's machine decides."""
        record.advance(self)
