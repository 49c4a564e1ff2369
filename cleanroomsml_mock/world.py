"""All the state of one mock: a backend per (account, region), the membership registry,
the calls served, the injected errors, and the lock that makes every call atomic; and the
lookups in it. The test controls that change it are in controls.py.

One re-entrant lock guards the whole world: an operation may touch several accounts (a
cross-account job, a collaboration view), calls take microseconds, and a single lock can
never deadlock.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import itertools
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .calls import CallList
from .clock import Clock
from .config import MockConfig
from .faults import Fault
from .memberships import MembershipRegistry
from .records import Record

if TYPE_CHECKING:
    from .backend import CleanRoomsMLBackend


class World:
    def __init__(self, config: MockConfig | None = None) -> None:
        self.config = config or MockConfig()
        self.lock = threading.RLock()
        # the latest ``max_calls`` calls (all of them by default), read at each call: a
        # nested mock replaces the options
        self.calls = CallList(lambda: self.config.max_calls)
        self.backends: dict[tuple[str, str], CleanRoomsMLBackend] = {}
        self.memberships = MembershipRegistry()
        # operation -> errors to answer its next calls with (m.inject_error)
        self.faults: dict[str, list[Fault]] = {}
        # the mock's clock: wall clock plus an offset (m.advance_time)
        self.clock = Clock()
        self._schedule = _Schedule()
        # what the backends were loaded from (None: not loaded): the parsed state document
        # and the records checked from it, kept until the backends are replaced or reset.
        # Freed while they live, its scaffolding (each record's object, times, status)
        # would leave holes among their objects; the next load would fill them, spreading
        # the state it builds over the heap, and the state it replaces could not give its
        # memory back (docs/usage.md, "Cost at scale")
        self.loaded: Any = None

    def backend(self, account_id: str, region: str) -> CleanRoomsMLBackend:
        key = (account_id, region)
        found = self.backends.get(key)
        if found is None:
            from .backend import CleanRoomsMLBackend

            with self.lock:
                found = self.backends.get(key)
                if found is None:
                    found = CleanRoomsMLBackend.in_world(self, account_id, region)
                    self.backends[key] = found
        return found

    def find(self, arn: str) -> tuple[CleanRoomsMLBackend, Record] | None:
        """The backend and record of an ARN, in whichever account and region it lives."""
        with self.lock:
            parts = arn.split(":", 5)
            if len(parts) == 6:
                backend = self.backends.get((parts[4], parts[3]))
                if backend is not None and arn in backend.records:
                    return backend, backend.records[arn]
            for backend in self.backends.values():
                record = backend.records.get(arn)
                if record is not None:
                    return backend, record
        return None

    def catch_up(self) -> None:
        """Let the clock act on the records whose time has come (``Record.catch_up``:
        timed mode's steps and the time rules), so that whatever a call looks at shows the
        time it is. Records wait in order of ``Record.next_due``, so a call costs what is
        due, not what is stored."""
        with self.lock:
            self._schedule.run(self)

    def catch_up_locked(self) -> None:
        """``catch_up`` for a caller that holds ``lock`` already (the dispatcher)."""
        self._schedule.run(self)

    def replace_backends(self, backends: dict[tuple[str, str], Any], loaded: Any) -> list[Any]:
        """Put ``backends``, built from ``loaded``, in place of every backend (a state
        load; the caller holds ``lock``) and return what they replace (the backends and
        what those were loaded from): the caller drops it once it releases the lock. The
        clock's schedule starts afresh, with the new records placed now, so the replaced
        records are not kept by it and the next call does not place them all."""
        replaced = [*self.backends.values(), self.loaded]
        self.backends.clear()
        self.backends.update(backends)
        self.loaded = loaded
        self._schedule = _Schedule()
        self._schedule.place_all(self)
        return replaced

    def schedule(self, record: Record, backend: Any) -> None:
        """Look at ``record`` again when its ``next_due`` comes (after a change)."""
        if self.backends.get((backend.account_id, backend.region)) is backend:
            schedule = self._schedule
            # (a record placed before is placed again: its time may have gone)
            if _may_fall_due(record) or id(record) in schedule.due:
                schedule.pending[id(record)] = (record, backend)

    def reset(self) -> None:
        """Forget every resource, membership, injected error and recorded call, and put
        the clock back to the wall clock."""
        with self.lock:
            self.clock.offset = 0.0
            self._schedule = _Schedule()
            self.backends.clear()
            self.loaded = None
            self.memberships = MembershipRegistry()
            self.faults.clear()
            self.calls.clear()


class _Schedule:
    """The records the clock will act on, in order of when (``Record.next_due``).

    Records changed since the last call wait in ``pending`` until they are placed; a
    backend seen for the first time (a new one, or every one after a state load) is placed
    whole; a change of lifecycle mode or durations places everything again. An entry
    whose record was placed again since is stale and skipped.
    """

    def __init__(self) -> None:
        self.heap: list[tuple[_dt.datetime, int, Record, Any]] = []
        self.due: dict[int, _dt.datetime] = {}  # id(record) -> its place in the heap
        self.pending: dict[int, tuple[Record, Any]] = {}
        self.seen: set[int] = set()  # id() of the backends placed whole
        # the backends placed whole, held (so that an id in ``seen`` is never reused)
        self.placed: tuple[Any, ...] = ()
        # the options the records were placed with (lifecycle mode, durations)
        self.lifecycle: Any = None
        self.durations: dict[str, float] = {}
        self._order = itertools.count()

    def run(self, world: World) -> None:
        config = world.config
        if config.lifecycle is not self.lifecycle or config.durations != self.durations:
            self.lifecycle = config.lifecycle
            self.durations = dict(config.durations)
            self.heap.clear()
            self.due.clear()
            self.seen.clear()
            self.placed = ()
        backends = tuple(world.backends.values())
        if backends != self.placed:  # a new backend, or new ones after a state load
            for record, backend in self._take(backends):
                self.pending[id(record)] = (record, backend)
        heap = self.heap
        pending = self.pending
        if not heap and not pending:
            return  # nothing waits for the clock: not even a reading of it
        now: _dt.datetime | None = None  # read only when the heap has something to compare
        done: set[int] | None = None  # each record is caught up at most once a call
        while True:
            for record, backend in list(pending.values()):
                if done is None or id(record) not in done:
                    del pending[id(record)]
                    self._place(record, backend)
            # what is left in ``pending`` was caught up already: placed at the next call
            if not heap:
                break
            if now is None:
                now = world.clock.now()
            if heap[0][0] > now:
                break
            while heap and heap[0][0] <= now:
                due, _, record, backend = heapq.heappop(heap)
                if self.due.get(id(record)) != due:
                    continue  # placed again since
                del self.due[id(record)]
                if record.removed or id(backend) not in self.seen:
                    continue
                if done is None:
                    done = set()
                elif id(record) in done:
                    continue
                done.add(id(record))
                record.catch_up(backend, now)
                pending.pop(id(record), None)
                self._place(record, backend)

    def place_all(self, world: World) -> None:
        """Place every record of ``world`` (new to this schedule) as ``run`` does when it
        first sees the backends, without reading the clock or acting on any record."""
        config = world.config
        self.lifecycle = config.lifecycle
        self.durations = dict(config.durations)
        for record, backend in self._take(tuple(world.backends.values())):
            self._place(record, backend)

    def _take(self, backends: tuple[Any, ...]) -> Iterator[tuple[Record, Any]]:
        """Take ``backends`` as the ones placed; their records that may fall due, each
        with its backend (the others are skipped without asking)."""
        self.placed = backends
        self.seen = {id(b) for b in backends}
        for backend in backends:
            for record in backend.records.values():
                if _may_fall_due(record):
                    yield record, backend

    def _place(self, record: Record, backend: Any) -> None:
        due = record.next_due(backend)
        if due is None:
            self.due.pop(id(record), None)
            return
        if self.due.get(id(record)) == due:
            return
        self.due[id(record)] = due
        heapq.heappush(self.heap, (due, next(self._order), record, backend))


# record class -> whether it has its own ``next_due`` or time rules (``Record``'s own
# answer None for a record with no step pending)
_TIMED_CLASSES: dict[type[Record], bool] = {}


def _may_fall_due(record: Record) -> bool:
    """False if ``record.next_due`` is None for sure (no status, or no step pending and no
    time rules of its kind): what a schedule placing many records skips without asking."""
    track = record.track
    if track is None:
        return False
    if track.pending:
        return True
    cls = record.__class__
    timed = _TIMED_CLASSES.get(cls)
    if timed is None:
        timed = _TIMED_CLASSES[cls] = (
            cls.next_due is not Record.next_due or cls.time_rule_due is not Record.time_rule_due
        )
    return timed
