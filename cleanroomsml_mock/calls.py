"""The record of calls served, for assertions (like ``responses.calls``).

A recorded call is small (docs/usage.md, "Recorded calls"): it keeps the request as it
arrived and the response as it was sent (bytes, shared with the answer, and with the
calls before it when they are the same, as repeated polling Gets are), and builds
``params`` and ``response`` from them when they are first read. ``max_calls`` bounds the
log: it keeps the latest calls only.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import MockBugError, ServiceError

_UNSET: Any = object()
_intern = sys.intern
# How many distinct recent requests and responses are kept to be shared by later calls.
_SHARED = 1024


class Call:
    """One call served: ``operation``, ``params`` (the parsed request), ``account``,
    ``region``, HTTP ``status``, and ``response`` (the response document) on success or
    ``error`` on failure: the ServiceError answered, or the MockBugError of a bug of the
    mock (status 500; the exception the mock hit is its ``__cause__``)."""

    __slots__ = (
        "_body",
        "_params",
        "_raw",
        "_response",
        "account",
        "error",
        "operation",
        "region",
        "status",
    )

    def __init__(
        self,
        operation: str,
        params: dict[str, Any] | None = None,
        account: str = "",
        region: str = "",
        status: int = 200,
        response: Any = None,
        error: ServiceError | MockBugError | None = None,
        *,
        raw: tuple[str, str, bytes] | None = None,
        body: bytes | None = None,
    ) -> None:
        self.operation = _intern(operation)
        self.account = _intern(account)
        self.region = _intern(region)
        self.status = status
        self.error = error
        # the request as it arrived (method, path, body), parsed when ``params`` is read
        self._raw = raw
        self._params = params if params is not None or raw is None else _UNSET
        # the response as sent, decoded when ``response`` is read
        self._body = body
        self._response = response if body is None else _UNSET

    @property
    def params(self) -> dict[str, Any]:
        if self._params is _UNSET:
            self._params = _parse(self._raw)
        return self._params if self._params is not None else {}

    @property
    def response(self) -> dict[str, Any] | None:
        """The response document (a dict) on success; None on failure or when empty."""
        if self._response is _UNSET:
            self._response = json.loads(self._body) if self._body else None
        response: dict[str, Any] | None = self._response
        return response

    @property
    def succeeded(self) -> bool:
        return self.error is None

    def __repr__(self) -> str:
        return (
            f"Call(operation={self.operation!r}, params={self.params!r}, "
            f"account={self.account!r}, region={self.region!r}, status={self.status}, "
            f"response={self.response!r}, error={self.error!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Call):
            return NotImplemented
        return _fields(self) == _fields(other)

    __hash__ = None  # type: ignore[assignment]


def _fields(call: Call) -> tuple[Any, ...]:
    return (
        call.operation,
        call.params,
        call.account,
        call.region,
        call.status,
        call.response,
        call.error,
    )


def _parse(raw: tuple[str, str, bytes] | None) -> dict[str, Any]:
    """The parameters of a request as the dispatcher parsed them ({} if it could not)."""
    if raw is None:
        return {}
    from .protocol import parse_request
    from .routing import router

    method, path, body = raw
    raw_path, _, query = path.partition("?")
    try:
        spec, labels = router().match(method.upper(), raw_path)
        return parse_request(spec, labels, query, body)
    except Exception:  # the request was refused before it was parsed: it had none
        return {}


class CallList(list[Call]):
    """A list of ``Call`` that is safe to append to from many threads, keeping the latest
    ``max_calls`` (the bound the mock's options give, if any, and ``limit``)."""

    def __init__(self, bound: Callable[[], int | None] | None = None) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._bound = bound
        self.limit: int | None = None  # e.g. a server's own bound
        self._shared: dict[Any, Any] = {}

    def share(self, value: Any) -> Any:
        """``value``, or an equal one recorded recently (so equal calls share it)."""
        shared = self._shared
        found = shared.get(value)
        if found is not None:
            return found
        shared[value] = value
        if len(shared) > _SHARED:
            del shared[next(iter(shared))]
        return value

    def max_calls(self) -> int | None:
        bound = self._bound() if self._bound is not None else None
        limit = self.limit
        if bound is None:
            return limit
        return bound if limit is None else min(bound, limit)

    def record(self, call: Call) -> None:
        with self._lock:
            if call._raw is not None:
                call._raw = self.share(call._raw)
            if call._body is not None:
                call._body = self.share(call._body)
            self.append(call)
            bound = self.max_calls()
            if bound is not None and len(self) > bound:
                del self[: len(self) - bound]

    def of(self, operation: str) -> list[Call]:
        """The calls of one operation, e.g. ``m.calls.of("CreateTrainingDataset")``."""
        return [c for c in self if c.operation == operation]

    @property
    def last(self) -> Call:
        return self[-1]
