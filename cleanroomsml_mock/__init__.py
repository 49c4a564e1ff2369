"""cleanroomsml-mock: an in-process mock of AWS Clean Rooms ML for boto3.

from cleanroomsml_mock import mock_cleanroomsml

@mock_cleanroomsml
def test_training_dataset():
    client = boto3.client("cleanroomsml", region_name="us-east-1")
    ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str
    # deprecated from here (see _DEPRECATED); the alias keeps it visible to type checkers
    from .backend.audience_jobs import audience_export_job_arn as audience_export_job_arn
    from .calls import Call, CallList
    from .errors import (
        AccessDeniedException,
        ConflictException,
        InternalServiceException,
        MockBugError,
        ResourceNotFoundException,
        ServiceError,
        ServiceQuotaExceededException,
        ThrottlingException,
        ValidationException,
    )
    from .lifecycle import Lifecycle
    from .mock import CleanRoomsMLMock, mock_cleanroomsml
    from .server import ThreadedServer
    from .types import ErrorCode, LifecycleName, StatusName

_LAZY = {
    "ErrorCode": "types",
    "LifecycleName": "types",
    "StatusName": "types",
    "mock_cleanroomsml": "mock",
    "CleanRoomsMLMock": "mock",
    "ThreadedServer": "server",
    "Call": "calls",
    "CallList": "calls",
    "Lifecycle": "lifecycle",
    "ServiceError": "errors",
    "ValidationException": "errors",
    "AccessDeniedException": "errors",
    "ResourceNotFoundException": "errors",
    "ConflictException": "errors",
    "ServiceQuotaExceededException": "errors",
    "ThrottlingException": "errors",
    "InternalServiceException": "errors",
    "MockBugError": "errors",
}

_DEPRECATED = {
    "audience_export_job_arn": (
        "backend.audience_jobs",
        "cleanroomsml_mock.audience_export_job_arn is deprecated: use the control of the "
        "same name, m.audience_export_job_arn(audience_generation_job_arn, name)",
    ),
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from .version import installed_version

        value = globals()["__version__"] = installed_version()
        return value
    import importlib

    if name in _DEPRECATED:  # not cached: every use from here warns
        import warnings

        home, message = _DEPRECATED[name]
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(f".{home}", __name__), name)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cleanroomsml_mock' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AccessDeniedException",
    "Call",
    "CallList",
    "CleanRoomsMLMock",
    "ConflictException",
    "ErrorCode",
    "InternalServiceException",
    "Lifecycle",
    "LifecycleName",
    "MockBugError",
    "ResourceNotFoundException",
    "ServiceError",
    "ServiceQuotaExceededException",
    "StatusName",
    "ThreadedServer",
    "ThrottlingException",
    "ValidationException",
    "mock_cleanroomsml",
]
