"""What every resource family's backend builds on: identity, time, ARNs, the record
tables, lifecycle steps, and the checks shared across families (tags, names, roles).

A family is a mixin class with a cooperative ``__init__`` that declares its tables, and
one method per operation named as boto3 names it, taking the operation's top-level input
members as snake_case keywords. It returns a mapping or a ``Record``; the dispatcher
trims it to the output shape. It raises the modelled errors; it never sees HTTP, JSON,
pagination tokens or locks.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import ids, quotas
from ..errors import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..lifecycle import Lifecycle, StatusTrack
from ..records import Record

if TYPE_CHECKING:
    from ..world import World

MAX_TAGS = 50


def now() -> _dt.datetime:
    """The current time in UTC, at the millisecond precision of the wire format."""
    t = _dt.datetime.now(_dt.timezone.utc)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


class BackendBase:
    def __init__(self, world: World, account_id: str, region: str) -> None:
        self.world = world
        self.account_id = account_id
        self.region = region
        # every ARN-addressable record of this account and region, whatever its kind
        self.records: dict[str, Record] = {}
        # kind -> the table that holds records of that kind
        self.tables: dict[str, dict[str, Record]] = {}
        # kind -> name -> ARNs: name checks stay O(1) however many records there are.
        # Derived from the tables (None: rebuild on first use, e.g. after a state load).
        # Tuples, not sets: most names have one ARN, and a 1-tuple is a quarter of a set.
        self.name_index: dict[str, dict[str, tuple[str, ...]]] | None = None

    # ------------------------------------------------------------ basics

    @property
    def lifecycle(self) -> Lifecycle:
        return self.world.config.lifecycle

    def now(self) -> _dt.datetime:
        return now()

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
    ) -> Record:
        """Create, store and return a record; ``path`` starts its status lifecycle.

        ``cls`` is the record class (a ``@record_type`` subclass of ``Record`` whose extra
        fields all have defaults).
        """
        t = self.now()
        track = None
        if path is not None:
            track = StatusTrack(path[0])
            track.begin(path, self.lifecycle)
        record = cls(
            kind=kind,
            arn=arn,
            data={k: v for k, v in data.items() if v is not None},
            create_time=t,
            update_time=t,
            track=track,
            tags=dict(tags or {}),
            taggable=taggable,
        )
        self.store(record)
        return record

    def store(self, record: Record) -> None:
        """File a record in its kind's table, the ARN index and the name index."""
        self.table(record.kind)[record.arn] = record
        self.records[record.arn] = record
        name = record.data.get("name")
        if name is not None:
            names = self._names(record.kind)
            names[name] = (*names.get(name, ()), record.arn)

    def remove(self, record: Record) -> None:
        self.tables.get(record.kind, {}).pop(record.arn, None)
        self.records.pop(record.arn, None)
        names = self._names(record.kind)
        name = record.data.get("name", "")
        arns = names.get(name)
        if arns is not None:
            rest = tuple(arn for arn in arns if arn != record.arn)
            if rest:
                names[name] = rest
            else:
                del names[name]

    def _names(self, kind: str) -> dict[str, tuple[str, ...]]:
        if self.name_index is None:
            self.name_index = {}
            for table_kind, table in self.tables.items():
                names = self.name_index.setdefault(table_kind, {})
                for arn, record in table.items():
                    name = record.data.get("name")
                    if name is not None:
                        names[name] = (*names.get(name, ()), arn)
        return self.name_index.setdefault(kind, {})

    def named(self, kind: str, name: str) -> list[Record]:
        """The records of ``kind`` called ``name`` (an index look-up, not a scan)."""
        table = self.tables.get(kind, {})
        found = []
        for arn in self._names(kind).get(name, ()):
            record = table.get(arn)
            if record is not None and record.data.get("name") == name:
                found.append(record)
        return found

    def touch(self, record: Record) -> None:
        """Mark a change: ``updateTime`` moves forward (by at least the wire's 1 ms)."""
        t = self.now()
        if t <= record.update_time:
            t = record.update_time + _dt.timedelta(milliseconds=1)
        record.update_time = t

    def begin(self, record: Record, path: tuple[str, ...]) -> None:
        """Start a transition (delete, cancel...) along ``path``; may remove the record."""
        if record.track is None:
            record.track = StatusTrack(path[0])
        record.track.begin(path, self.lifecycle)
        self.touch(record)
        if record.track.removed:
            self.remove(record)

    def observe(self, record: Record) -> bool:
        """A read of ``record``: advance its lifecycle; False if it has just gone."""
        track = record.track
        if track is None or not track.pending:
            return not (track is not None and track.removed)
        if track.observe(self.lifecycle):
            self.touch(record)
        if track.removed:
            self.remove(record)
            return False
        return True

    def observe_all(self, records: Iterable[Any]) -> list[Any]:
        """Read every record of a page; records that have just gone are left out."""
        return [r for r in records if not isinstance(r, Record) or self.observe(r)]

    def find(self, kind: str, arn: str, noun: str) -> Record:
        """The record, or a ``ResourceNotFoundException`` naming it. Not a read."""
        record = self.tables.get(kind, {}).get(arn)
        if record is None or (record.track is not None and record.track.removed):
            raise ResourceNotFoundException(f"{noun} {arn} not found")
        return record

    def read(self, kind: str, arn: str, noun: str) -> Record:
        """The record as a Get sees it: found, then advanced one read."""
        record = self.find(kind, arn, noun)
        if not self.observe(record):
            raise ResourceNotFoundException(f"{noun} {arn} not found")
        return record

    # ------------------------------------------------------------ shared rules

    def enforce_quota(self, name: str, in_use: int) -> None:
        """ServiceQuotaExceededException when ``in_use`` already reaches quota ``name``."""
        quotas.enforce(self.world.config.quotas, name, in_use)

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
        """``m.set_status``: force a record's status (families with versions override)."""
        if version is not None:
            raise ValueError(f"a {record.kind} has no versions")
        if record.track is None:
            record.track = StatusTrack(status)
        record.track.force(status, details)
        self.touch(record)

    def step_record(self, record: Record) -> None:
        """``m.advance``: take one pending lifecycle step of a record."""
        if record.track is not None and record.track.step():
            self.touch(record)
            if record.track.removed:
                self.remove(record)
