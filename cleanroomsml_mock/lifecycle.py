"""Status lifecycles: the paths resources walk, and the track that walks them.

A resource's status is a ``StatusTrack``: where it is now and the steps still ahead.
How the steps are taken is the mock's lifecycle mode (docs/lifecycle.md):

- ``immediate``: a transition runs to its end as soon as it begins (the default);
- ``progressive``: each read of the resource takes one step (polling loops get exercised);
- ``manual``: nothing moves until the test calls ``m.set_status(...)`` or ``m.advance(...)``.

A path may end in ``REMOVED``: the record disappears once that step is taken.

Which paths a kind of record walks, and what a read, ``m.set_status`` and ``m.advance``
do to it, is the record's own business: see the status machine of ``records.Record``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Lifecycle(str, Enum):
    IMMEDIATE = "immediate"
    PROGRESSIVE = "progressive"
    MANUAL = "manual"


REMOVED = "__REMOVED__"

CREATE_PATH = ("CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE")
DELETE_AND_REMOVE_PATH = ("DELETE_PENDING", "DELETE_IN_PROGRESS", REMOVED)
DELETE_DATA_PATH = ("DELETE_PENDING", "DELETE_IN_PROGRESS", "INACTIVE")
CANCEL_PATH = ("CANCEL_PENDING", "CANCEL_IN_PROGRESS", "INACTIVE")
ACTIVE_ONLY = ("ACTIVE",)


@dataclass
class StatusTrack:
    """Current status, the steps still to take, and failure details if any."""

    status: str
    pending: list[str] = field(default_factory=list)
    details: dict[str, Any] | None = None

    @classmethod
    def starting(cls, path: tuple[str, ...], mode: Lifecycle) -> StatusTrack:
        """A new track, walking ``path`` from its first status."""
        track = cls(path[0])
        track.begin(path, mode)
        return track

    def begin(self, path: tuple[str, ...], mode: Lifecycle) -> None:
        """Start walking ``path`` (in immediate mode, straight to its end)."""
        self.status = path[0]
        self.pending = list(path[1:])
        self.details = None
        if mode is Lifecycle.IMMEDIATE:
            self.finish()

    def step(self) -> bool:
        """Take the next step; True if there was one."""
        if not self.pending:
            return False
        self.status = self.pending.pop(0)
        return True

    def finish(self) -> bool:
        """Jump to the end of the path; True if the status changed."""
        if not self.pending:
            return False
        self.status = self.pending[-1]
        self.pending.clear()
        return True

    def observe(self, mode: Lifecycle) -> bool:
        """A read of the resource: advance as the mode says; True if the status changed."""
        if not self.pending:
            return False
        if mode is Lifecycle.PROGRESSIVE:
            return self.step()
        if mode is Lifecycle.IMMEDIATE:
            return self.finish()
        return False

    def force(self, status: str, details: dict[str, Any] | None = None) -> None:
        """Put the track at ``status`` with nothing pending (``m.set_status``)."""
        self.status = status
        self.pending.clear()
        self.details = details

    @property
    def removed(self) -> bool:
        return self.status == REMOVED


# The model's status enum for each kind of record (kind = resource type in the ARN).
STATUS_ENUM_SHAPE: dict[str, str] = {
    "training-dataset": "TrainingDatasetStatus",
    "audience-model": "AudienceModelStatus",
    "configured-audience-model": "ConfiguredAudienceModelStatus",
    "audience-generation-job": "AudienceGenerationJobStatus",
    "audience-export-job": "AudienceExportJobStatus",
    "ml-input-channel": "MLInputChannelStatus",
    "trained-model": "TrainedModelStatus",
    "trained-model-inference-job": "TrainedModelInferenceJobStatus",
    "trained-model-export-job": "TrainedModelExportJobStatus",
}


def status_enum(kind: str) -> tuple[str, ...]:
    """The statuses the model allows for a kind of record (empty: it has no status)."""
    from .model import service_model

    shape_name = STATUS_ENUM_SHAPE.get(kind)
    if shape_name is None:
        return ()
    return tuple(service_model().shape_for(shape_name).enum)
