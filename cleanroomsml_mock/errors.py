"""The service's modelled errors, raised by backends and rendered by the protocol layer.

Each class carries the code and HTTP status of the error shape of the same name in the
botocore model (a test checks they agree). Extra members declared on an error shape
(``quotaName``/``quotaValue``) are read from the exception's ``extra`` mapping.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ServiceError(Exception):
    """An error the mock answers with, rendered as the real service renders it."""

    code: ClassVar[str] = "ServiceError"
    status: ClassVar[int] = 400
    sender_fault: ClassVar[bool] = True

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra: dict[str, Any] = extra

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ValidationException(ServiceError):
    code = "ValidationException"
    status = 400


class AccessDeniedException(ServiceError):
    code = "AccessDeniedException"
    status = 403


class ResourceNotFoundException(ServiceError):
    code = "ResourceNotFoundException"
    status = 404


class ConflictException(ServiceError):
    code = "ConflictException"
    status = 409


class ServiceQuotaExceededException(ServiceError):
    code = "ServiceQuotaExceededException"
    status = 402

    def __init__(
        self,
        message: str,
        *,
        quota_name: str | None = None,
        quota_value: float | None = None,
        **extra: Any,
    ) -> None:
        if quota_name is not None:
            extra["quotaName"] = quota_name
        if quota_value is not None:
            extra["quotaValue"] = float(quota_value)
        super().__init__(message, **extra)


class ThrottlingException(ServiceError):
    code = "ThrottlingException"
    status = 429


class InternalServiceException(ServiceError):
    code = "InternalServiceException"
    status = 500
    sender_fault = False


class NotImplementedYet(ServiceError):
    """An operation of the model that the mock does not implement yet (HTTP 501)."""

    code = "NotImplementedError"
    status = 501
    sender_fault = False


class MockBugError(Exception):
    """A bug of cleanroomsml-mock itself, not an answer of the service.

    Raised to the caller of an in-process call, chained (``__cause__``) to the exception the
    mock hit, and never retried by botocore (it is not a connection or HTTP error). In
    server mode it is an HTTP 500 ``InternalServiceException`` whose message says it is a
    mock bug; the traceback goes to the server's log. ``code``, ``status`` and ``message``
    mirror ``ServiceError`` so that ``m.calls`` entries read alike.
    """

    code: ClassVar[str] = "MockBugError"
    status: ClassVar[int] = 500

    def __init__(self, message: str, operation: str = "Unknown") -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


MODELLED_ERRORS: dict[str, type[ServiceError]] = {
    cls.code: cls
    for cls in (
        ValidationException,
        AccessDeniedException,
        ResourceNotFoundException,
        ConflictException,
        ServiceQuotaExceededException,
        ThrottlingException,
        InternalServiceException,
    )
}

__all__ = [
    "MODELLED_ERRORS",
    "AccessDeniedException",
    "ConflictException",
    "InternalServiceException",
    "MockBugError",
    "NotImplementedYet",
    "ResourceNotFoundException",
    "ServiceError",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "ValidationException",
]
