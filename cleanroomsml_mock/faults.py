"""Error injection: "answer operation X with modelled error E on its next N calls".

Injected errors are checked after routing, parsing and validation (so malformed input
still gets its ``ValidationException``) and before the backend runs, so the call has no
effect, as with a real throttle or outage. Only errors the operation declares in the
model can be injected, so ``client.exceptions.X`` catches them. Which errors an
operation declares depends on the botocore release installed, so the default error is
chosen from the loaded model: the first of ``DEFAULT_CODES`` the operation declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import MODELLED_ERRORS, ServiceError

DEFAULT_CODES = ("ThrottlingException", "InternalServiceException", "AccessDeniedException")
"""The default injected error, in order of preference: a throttle where the operation
declares one (older models declare it for fewer operations), else a server fault, else a
refusal (every operation declares ``AccessDeniedException``)."""


@dataclass
class Fault:
    code: str
    message: str
    remaining: int | None  # None: every call until cleared
    extra: dict[str, Any]

    def error(self) -> ServiceError:
        return MODELLED_ERRORS[self.code](self.message, **self.extra)


def default_code(operation: str) -> str:
    """The error ``m.inject_error(operation)`` injects when no code is given."""
    declared = _declared(operation)
    for code in DEFAULT_CODES:
        if code in declared:
            return code
    return sorted(declared)[0]


def _declared(operation: str) -> frozenset[str]:
    from .model import operation_spec

    spec = operation_spec(operation) if isinstance(operation, str) else None
    if spec is None:
        raise ValueError(f"{operation!r} is not an operation of cleanroomsml")
    return frozenset(spec.error_codes)


def make_fault(
    operation: str,
    code: str | None,
    message: str | None,
    count: int | None,
    extra: dict[str, Any],
) -> Fault:
    """A fault for ``operation`` (``code`` None: ``default_code``); ValueError for an
    unknown operation, an error the operation does not declare, or a count below 1."""
    declared = _declared(operation)
    if code is None:
        code = default_code(operation)
    if code not in declared:
        raise ValueError(f"{operation} does not declare {code}; it declares {sorted(declared)}")
    if count is not None and count < 1:
        raise ValueError("count must be at least 1 (or None for every call)")
    if code == "ServiceQuotaExceededException":
        extra = {"quotaName": "Injected quota", "quotaValue": 0.0, **extra}
    return Fault(
        code=code,
        message=message or f"Injected {code} for {operation}",
        remaining=count,
        extra=extra,
    )


def take(faults: dict[str, list[Fault]], operation: str) -> ServiceError | None:
    """The error of the next pending fault of ``operation``, if any (consuming one use)."""
    queue = faults.get(operation)
    if not queue:
        return None
    fault = queue[0]
    if fault.remaining is not None:
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
            if not queue:
                del faults[operation]
    return fault.error()
