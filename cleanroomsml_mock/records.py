"""The stored form of a resource: what was submitted, plus what the service computed.

A ``Record`` keeps the wire-named members as given (``data``), its timestamps, its status
track and its tags. The protocol layer reads it through ``pick(member)``, so a record
serialises to whatever output shape asks for it (a Get, a List summary, a Collaboration
view) without per-view code.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .lifecycle import StatusTrack

R = TypeVar("R", bound="Record")


RECORD_TYPES: dict[str, type[Record]] = {}


def record_type(cls: type[R]) -> type[R]:
    """Register a ``Record`` subclass by name, so saved state can be loaded back into it."""
    RECORD_TYPES[cls.__name__] = cls
    return cls


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
    def name(self) -> str:
        return str(self.data.get("name", ""))


record_type(Record)
