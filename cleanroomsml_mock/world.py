"""All the state of one mock: a backend per (account, region), the membership registry,
the calls served, the injected errors, and the lock that makes every call atomic; and the
lookups in it. The test controls that change it are in controls.py.

One re-entrant lock guards the whole world: an operation may touch several accounts (a
cross-account job, a collaboration view), calls take microseconds, and a single lock can
never deadlock.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from .calls import CallList
from .clock import Clock
from .config import MockConfig
from .faults import Fault
from .lifecycle import Lifecycle
from .memberships import MembershipRegistry
from .records import Record

if TYPE_CHECKING:
    from .backend import CleanRoomsMLBackend

# The kinds of record with time rules of their own, which the clock acts on in every
# lifecycle mode (docs/custom-models.md, "Time rules"); in timed mode it acts on all.
TIME_RULE_KINDS = ("ml-input-channel", "trained-model")


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
        """Let the clock act on every record (``Record.catch_up``: timed mode's steps and
        the time rules), so that whatever a call looks at shows the time it is."""
        with self.lock:
            timed = self.config.lifecycle is Lifecycle.TIMED
            now = self.clock.now()  # one reading for the whole sweep
            for backend in list(self.backends.values()):
                if timed:
                    records = list(backend.records.values())
                else:
                    records = [
                        record
                        for kind in TIME_RULE_KINDS
                        for record in backend.tables.get(kind, {}).values()
                    ]
                for record in records:
                    if not record.removed:
                        record.catch_up(backend, now)

    def reset(self) -> None:
        """Forget every resource, membership, injected error and recorded call, and put
        the clock back to the wall clock."""
        with self.lock:
            self.clock.offset = 0.0
            self.backends.clear()
            self.memberships = MembershipRegistry()
            self.faults.clear()
            self.calls.clear()
