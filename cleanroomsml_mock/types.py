"""The names the public API takes as strings, as ``Literal`` types, so that a type checker
catches a misspelt lifecycle mode, status or error code (``lifecycle="manaul"``).

They are written out (a type checker cannot read botocore's model); tests check them
against the model's status enums and error shapes, which stay the source of truth.
"""

from __future__ import annotations

from typing import Literal

LifecycleName = Literal["immediate", "progressive", "manual", "timed"]
"""A lifecycle mode (docs/lifecycle.md)."""

StatusName = Literal[
    "ACTIVE",
    "CANCEL_FAILED",
    "CANCEL_IN_PROGRESS",
    "CANCEL_PENDING",
    "CREATE_FAILED",
    "CREATE_IN_PROGRESS",
    "CREATE_PENDING",
    "DELETE_FAILED",
    "DELETE_IN_PROGRESS",
    "DELETE_PENDING",
    "INACTIVE",
]
"""A status of any Clean Rooms ML resource (each kind allows a subset: ``m.set_status``
refuses the others at run time)."""

ErrorCode = Literal[
    "AccessDeniedException",
    "ConflictException",
    "InternalServiceException",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "ValidationException",
]
"""A modelled error of the service (``m.inject_error``)."""

__all__ = ["ErrorCode", "LifecycleName", "StatusName"]
