"""All the state of one mock: a backend per (account, region), the membership registry,
the calls served, and the lock that makes every call atomic.

One re-entrant lock guards the whole world: an operation may touch several accounts (a
cross-account job, a collaboration view), calls take microseconds, and a single lock can
never deadlock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .calls import CallList
from .config import MockConfig
from .faults import Fault, make_fault
from .memberships import MembershipRegistry
from .records import Record

if TYPE_CHECKING:
    from .backend import CleanRoomsMLBackend


class World:
    def __init__(self, config: MockConfig | None = None) -> None:
        self.config = config or MockConfig()
        self.lock = threading.RLock()
        self.calls = CallList()
        self.backends: dict[tuple[str, str], CleanRoomsMLBackend] = {}
        self.memberships = MembershipRegistry()
        # operation -> errors to answer its next calls with (m.inject_error)
        self.faults: dict[str, list[Fault]] = {}

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

    # ------------------------------------------------------------ test controls
    # (used by the handle in mock.py and by the server's /_mock endpoints)

    def set_status(
        self,
        arn: str,
        status: str,
        *,
        status_code: str | None = None,
        message: str | None = None,
        version: str | None = None,
    ) -> None:
        """Move a resource (or one version of it) to ``status``; see ``CleanRoomsMLMock``."""
        from .lifecycle import status_enum

        with self.lock:
            found = self.find(arn)
            if found is None:
                raise KeyError(f"No resource with ARN {arn} in this mock")
            backend, record = found
            allowed = status_enum(record.kind)
            if status not in allowed:
                raise ValueError(
                    f"{status!r} is not a status of a {record.kind}; choose from {list(allowed)}"
                )
            details = None
            if status_code is not None or message is not None or status.endswith("_FAILED"):
                details = {"statusCode": status_code, "message": message}
                details = {k: v for k, v in details.items() if v is not None} or None
            backend.set_record_status(record, status, details, version)

    def advance(self, arn: str | None = None) -> None:
        """Take one pending lifecycle step for one resource, or for every resource."""
        with self.lock:
            if arn is not None:
                found = self.find(arn)
                if found is None:
                    raise KeyError(f"No resource with ARN {arn} in this mock")
                found[0].step_record(found[1])
                return
            # a track shared by several records (one resource seen under several ARNs,
            # e.g. a cross-account audience generation job) takes one step, not one per ARN
            stepped: set[int] = set()
            for backend in list(self.backends.values()):
                for record in list(backend.records.values()):
                    if record.track is not None and id(record.track) in stepped:
                        continue
                    backend.step_record(record)
                    if record.track is not None:
                        stepped.add(id(record.track))

    def add_membership(
        self,
        *,
        account_id: str | None = None,
        collaboration_id: str | None = None,
        membership_id: str | None = None,
        abilities: Iterable[str] | None = None,
        pays_for: Iterable[str] | None = None,
    ) -> str:
        """Register a Clean Rooms membership; returns its id."""
        with self.lock:
            membership = self.memberships.add(
                account_id=account_id or self.config.account_id,
                collaboration_id=collaboration_id,
                membership_id=membership_id,
                abilities=abilities,
                pays_for=pays_for,
            )
        return membership.membership_id

    def set_quota(self, name: str, value: float) -> None:
        """Change one service quota (names in ``cleanroomsml_mock.quotas``)."""
        from .quotas import quota_value

        quota_value({}, name)
        self.config.quotas[name] = value

    def inject_error(
        self,
        operation: str,
        code: str | None = None,
        *,
        message: str | None = None,
        count: int | None = 1,
        **extra: Any,
    ) -> None:
        """Answer the next ``count`` calls of ``operation`` (``None``: every call until
        ``clear_errors``) with the modelled error ``code``, before the backend runs."""
        fault = make_fault(operation, code, message, count, extra)
        with self.lock:
            self.faults.setdefault(operation, []).append(fault)

    def clear_errors(self, operation: str | None = None) -> None:
        """Drop injected errors (of one operation, or all)."""
        with self.lock:
            if operation is None:
                self.faults.clear()
            else:
                self.faults.pop(operation, None)

    def reset(self) -> None:
        with self.lock:
            self.backends.clear()
            self.memberships = MembershipRegistry()
            self.faults.clear()
            self.calls.clear()
