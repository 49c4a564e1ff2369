"""The stored form of a resource: what was submitted, what the service computed, and the
status machine that moves it.

A ``Record`` keeps the wire-named members as given (``data``), its timestamps, its status
track and its tags. The protocol layer reads it through ``pick(member)``, so a record
serialises to whatever output shape asks for it (a Get, a List summary, a Collaboration
view) without per-view code.

Each kind of record carries its own status machine (docs/lifecycle.md), as methods of
its class: ``begin`` (an operation starts a transition: delete, cancel...), ``observe``
(a Get, or a List page that shows it), ``catch_up`` (time passed: timed mode's steps that
fell due, and the kind's time rules), ``set_status`` (``m.set_status``) and ``advance``
(``m.advance``). They take the ``Host`` that holds the record (its backend). A kind that
walks other paths, resumes differently or reacts to a transition says so in its own
``Record`` subclass, next to the operations of its family.

A List operation returns its items as a ``Listing``: slicing one (taking a page) is what
reads the records on that page, so the code that paginates needs to know nothing of
lifecycles.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar, overload

from . import changes
from .lifecycle import Lifecycle, StatusTrack, step_seconds
from .moto_link import MotoLink

R = TypeVar("R", bound="Record")

ACTIVE = "ACTIVE"
CREATE_IN_PROGRESS = "CREATE_IN_PROGRESS"
CREATE_FAILED = "CREATE_FAILED"
# the statuses a create path walks before ACTIVE (None: a record being born)
CREATING = frozenset({"CREATE_PENDING", CREATE_IN_PROGRESS, None})


RECORD_TYPES: dict[str, type[Record]] = {}


def record_type(cls: type[R]) -> type[R]:
    """Register a ``Record`` subclass by name, so saved state can be loaded back into it."""
    RECORD_TYPES[cls.__name__] = cls
    return cls


class Host(Protocol):
    """What a record's status machine needs from the backend that holds it."""

    @property
    def lifecycle(self) -> Lifecycle: ...

    def now(self) -> _dt.datetime: ...

    @property
    def durations(self) -> dict[str, float]:
        """The ``durations`` option (timed mode's overrides)."""

    def remove(self, record: Record) -> None:
        """Take ``record`` out of the host's tables (its path ended in ``REMOVED``)."""

    def locate(self, arn: str) -> tuple[Host, Record] | None:
        """The record filed under ``arn`` in the account and region the ARN names, with
        the host that holds it (for resources seen under several ARNs)."""

    def moto(self) -> MotoLink | None:
        """moto's S3, Glue and IAM when the mock consults them now, else None (the
        inputs a kind reads and the outputs it writes: docs/moto.md)."""

    def schedule(self, record: Record) -> None:
        """Ask the mock's clock to look at ``record`` again when ``record.next_due`` says
        (after a status change: when its next timed step or time rule falls due)."""

    def recount(self, record: Record) -> None:
        """Enter ``record`` (or the record it is a part of) again in the host's status
        counts, after a status change: they stay exact without a scan."""


@dataclass(eq=False)
class Record:
    kind: str  # resource type as it appears in the ARN, e.g. "training-dataset"
    arn: str
    data: dict[str, Any]
    create_time: _dt.datetime
    update_time: _dt.datetime
    track: StatusTrack | None = None
    tags: dict[str, str] = field(default_factory=dict)
    taggable: bool = True

    # The status paths records of this kind walk (create, delete, cancel...), for the
    # tests that check them against the model's enum, and for ``resumes``.
    paths: ClassVar[tuple[tuple[str, ...], ...]] = ()
    # Whether ``m.set_status`` to a status inside one of ``paths`` carries on along it
    # (in progressive and manual mode); otherwise the record stays where it is put.
    resumes: ClassVar[bool] = False

    def pick(self, member: str) -> Any:
        value = self.data.get(member)
        if value is not None:
            return value
        if member == "status":
            return self.track.status if self.track is not None else None
        if member == "statusDetails":
            return self.track.details if self.track is not None else None
        if member == "createTime":
            return self.create_time
        if member == "updateTime":
            return self.update_time
        if member == "tags":
            return self.tags
        return None

    @property
    def status(self) -> str | None:
        return self.track.status if self.track is not None else None

    @property
    def removed(self) -> bool:
        """True once the record's path has reached ``REMOVED``."""
        return self.track is not None and self.track.removed

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    def touch(self, now: _dt.datetime) -> None:
        """Mark a change: ``updateTime`` moves forward (by at least the wire's 1 ms)."""
        changes.note(self)
        if now <= self.update_time:
            now = self.update_time + _dt.timedelta(milliseconds=1)
        self.update_time = now

    # ------------------------------------------------------------ status machine

    def begin(self, host: Host, path: tuple[str, ...]) -> None:
        """An operation starts a transition (a delete, a cancel...) along ``path``; in
        immediate mode it runs to its end, which may remove the record."""
        before = self.status
        if self.track is None:
            self.track = StatusTrack(path[0])
        self.track.begin(path, host.lifecycle, host.now())
        self.stepped(host, before)

    def observe(self, host: Host) -> bool:
        """A read (a Get, or a List page that shows the record): one step in progressive
        mode, the rest of the path in immediate mode, nothing in manual mode, the steps
        elapsed time has reached in timed mode. False if the record has just gone."""
        track = self.track
        if track is not None and track.pending and host.lifecycle is not Lifecycle.TIMED:
            before = track.status
            if track.observe(host.lifecycle, host.now()):
                self.stepped(host, before)
        return self.catch_up(host)

    def catch_up(self, host: Host, now: _dt.datetime | None = None) -> bool:
        """Let the mock's clock act on the record, in any order and as often as wanted:
        in timed mode the steps whose time has come are taken, each at the moment it fell
        due; then the kind's ``time_rules`` apply. ``now``: the time it is (read from the
        host's clock when not given, and only when something here depends on it). False
        if the record has gone."""
        track = self.track
        if track is not None and track.pending and host.lifecycle is Lifecycle.TIMED:
            if now is None:
                now = host.now()
            durations = host.durations
            while track.pending and not self.removed:
                since = track.since or self.create_time
                due = since + _dt.timedelta(
                    seconds=step_seconds(self.kind, track.status, durations)
                )
                if due > now or not self.timed_step_allowed(host, due):
                    break
                before = track.status
                track.step(due)
                self.stepped(host, before)
        if self.removed:
            return False
        if type(self).time_rules is not Record.time_rules:  # the kind has time rules
            self.time_rules(host, now if now is not None else host.now())
        return not self.removed

    def next_due(self, host: Host) -> _dt.datetime | None:
        """The earliest moment at which ``catch_up`` can change the record (its next timed
        step, or when its kind's time rules act), or None: the clock never acts on it as
        it is now. The mock keeps records in order of this moment, so a call only looks
        at the records whose time has come."""
        track = self.track
        if track is None or self.removed:
            return None
        due = self.time_rule_due(host)
        if track.pending and host.lifecycle is Lifecycle.TIMED:
            since = track.since or self.create_time
            step = since + _dt.timedelta(
                seconds=step_seconds(self.kind, track.status, host.durations)
            )
            if due is None or step < due:
                due = step
        return due

    def time_rule_due(self, host: Host) -> _dt.datetime | None:
        """When this kind's ``time_rules`` act next on the record as it is (None: never)."""
        return None

    def timed_step_allowed(self, host: Host, due: _dt.datetime) -> bool:
        """Whether the timed step due at ``due`` is taken (a kind whose time rules end the
        step otherwise says no; they then apply)."""
        return True

    def time_rules(self, host: Host, now: _dt.datetime) -> None:
        """What the mock's clock does to a record of this kind in every lifecycle mode
        (data that expires, a run that exceeds its limit); none by default."""

    def set_status(
        self,
        host: Host,
        status: str,
        details: dict[str, Any] | None,
        version: str | None = None,
    ) -> None:
        """``m.set_status``: put the record at ``status`` (with ``statusDetails``). A kind
        that ``resumes`` carries on from there along its path, except in immediate mode,
        where the record stays put so a test can show a "still running" state."""
        if version is not None:
            raise ValueError(f"a {self.kind} has no versions")
        before = self.status
        if self.track is None:
            self.track = StatusTrack(status)
        self.track.force(status, details, host.now())
        if self.resumes and host.lifecycle is not Lifecycle.IMMEDIATE:
            self.track.pending = self.rest_of_path(status)
        self.moved(host, before)
        if status == ACTIVE and before in CREATING and not self.removed:
            self.reached_active(host, forced=True)

    def can_advance(self) -> bool:
        """Whether ``advance`` would take a step (one is pending)."""
        track = self.track
        return track is not None and bool(track.pending)

    def advance(self, host: Host) -> None:
        """``m.advance``: take one pending step, if there is one."""
        track = self.track
        if track is not None and track.pending:
            before = track.status
            track.step(host.now())
            self.stepped(host, before)

    def rest_of_path(self, status: str) -> list[str]:
        """The steps after ``status`` on the first of ``paths`` through it (none for a
        final status)."""
        for path in self.paths:
            if status in path:
                return list(path[path.index(status) + 1 :])
        return []

    def stepped(self, host: Host, before: str | None) -> None:
        """After a step of the record's lifecycle (not ``m.set_status``): ``moved``, and
        when the step ended a create path in ``ACTIVE``, ``reached_active``."""
        self.moved(host, before)
        if self.status == ACTIVE and before in CREATING and not self.removed:
            self.reached_active(host, forced=False)

    def reached_active(self, host: Host, *, forced: bool) -> None:
        """The record has just become ``ACTIVE`` at the end of its create path: by its
        lifecycle (``forced`` False: when it was created, in immediate mode), or by
        ``m.set_status`` (``forced``). This is when the service has read the resource's
        inputs and written its outputs; a kind that does so with moto (docs/moto.md)
        says how here, and calls ``fail`` when an input is missing. Nothing by default."""

    def fail(self, host: Host, details: dict[str, Any]) -> None:
        """End the create path in ``CREATE_FAILED`` with ``statusDetails`` instead (at the
        moment the record would have become ``ACTIVE``): it never was ``ACTIVE``."""
        track = self.track
        if track is None:
            return
        track.force(CREATE_FAILED, details, track.since or host.now())
        self.moved(host, CREATE_IN_PROGRESS)

    def moved(self, host: Host, before: str | None) -> None:
        """After every status change (``before`` is the status it left): ``updateTime``
        moves on (to the moment of the change: a timed step may have fallen due before the
        read that takes it), a record whose path reached ``REMOVED`` leaves its host, and
        the host's status counts take the new status. Kinds extend this to react to a
        transition."""
        since = self.track.since if self.track is not None else None
        self.touch(since if since is not None else host.now())
        if self.removed:
            host.remove(self)
        else:
            host.schedule(self)
            host.recount(self)


record_type(Record)


class Observable(Protocol):
    """What a List can show: a record, or a view of one (a trained model version)."""

    def observe(self, host: Host) -> bool: ...


T = TypeVar("T", bound=Observable)


class Listing(Sequence[T]):
    """What a List operation returns: its items, in order.

    A slice is a page shown to the caller: each item on it is read (``observe``), and
    items that have just gone are left out. Indexing, ``len`` and iteration only look,
    so a paginator can find where a page starts without moving anything.

    Items held by an ordered index (``backend._index.Window``) are paged by key:
    ``page_after`` finds where the page starts without a scan and copies only the page.
    """

    __slots__ = ("_host", "_items")

    def __init__(self, items: Sequence[T], host: Host) -> None:
        self._items = items
        self._host = host

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [item for item in self._items[index] if item.observe(self._host)]
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def page_after(self, key: Any, size: int) -> tuple[list[T], Any, int, bool] | None:
        """For items held by an ordered index: the page of up to ``size`` items after the
        item whose key is ``key`` (None: the first page), read; the key of its last item,
        the position after it and whether items follow. None for other items."""
        pager = getattr(self._items, "page_after", None)
        if pager is None:
            return None
        chunk, last, end, more = pager(key, size)
        return [item for item in chunk if item.observe(self._host)], last, end, more
