"""The record of calls served, for assertions (like ``responses.calls``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import MockBugError, ServiceError


@dataclass(slots=True)
class Call:
    operation: str
    params: dict[str, Any]
    account: str
    region: str
    status: int
    response: Any = None  # the response document (dict) on success
    # on failure: the ServiceError answered, or the MockBugError of a bug of the mock
    # (status 500; the exception the mock hit is its __cause__)
    error: ServiceError | MockBugError | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


class CallList(list[Call]):
    """A list of ``Call`` that is safe to append to from many threads."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def record(self, call: Call) -> None:
        with self._lock:
            self.append(call)

    def of(self, operation: str) -> list[Call]:
        """The calls of one operation, e.g. ``m.calls.of("CreateTrainingDataset")``."""
        return [c for c in self if c.operation == operation]

    @property
    def last(self) -> Call:
        return self[-1]
