"""Status lifecycles: the paths resources walk, and the track that walks them.

A resource's status is a ``StatusTrack``: where it is now and the steps still ahead.
How the steps are taken is the mock's lifecycle mode (docs/lifecycle.md):

- ``immediate``: a transition runs to its end as soon as it begins (the default);
- ``progressive``: each read of the resource takes one step (polling loops get exercised);
- ``manual``: nothing moves until the test calls ``m.set_status(...)`` or ``m.advance(...)``;
- ``timed``: each step takes a duration on the mock's clock (``DEFAULT_DURATIONS``, overridden
  by the ``durations`` option); a read shows the status elapsed time has reached. Nothing runs
  in the background: the record works out, when it is looked at, which steps fell due and
  when (``StatusTrack.since`` is when the track entered its current status).

A path may end in ``REMOVED``: the record disappears once that step is taken.

Which paths a kind of record walks, and what a read, ``m.set_status`` and ``m.advance``
do to it, is the record's own business: see the status machine of ``records.Record``.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Lifecycle(str, Enum):
    IMMEDIATE = "immediate"
    PROGRESSIVE = "progressive"
    MANUAL = "manual"
    TIMED = "timed"


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
    # when the track entered ``status`` (mock clock); None: not known (the record's
    # createTime stands in)
    since: _dt.datetime | None = None

    @classmethod
    def starting(
        cls, path: tuple[str, ...], mode: Lifecycle, now: _dt.datetime | None = None
    ) -> StatusTrack:
        """A new track, walking ``path`` from its first status, started at ``now``."""
        track = cls(path[0])
        track.begin(path, mode, now)
        return track

    def begin(
        self, path: tuple[str, ...], mode: Lifecycle, now: _dt.datetime | None = None
    ) -> None:
        """Start walking ``path`` at ``now`` (in immediate mode, straight to its end)."""
        self.status = path[0]
        self.pending = list(path[1:])
        self.details = None
        self.since = now
        if mode is Lifecycle.IMMEDIATE:
            self.finish()

    def step(self, at: _dt.datetime | None = None) -> bool:
        """Take the next step (at time ``at``); True if there was one."""
        if not self.pending:
            return False
        self.status = self.pending.pop(0)
        if at is not None:
            self.since = at
        return True

    def finish(self, at: _dt.datetime | None = None) -> bool:
        """Jump to the end of the path (at time ``at``); True if the status changed."""
        if not self.pending:
            return False
        self.status = self.pending[-1]
        self.pending.clear()
        if at is not None:
            self.since = at
        return True

    def observe(self, mode: Lifecycle, now: _dt.datetime | None = None) -> bool:
        """A read of the resource at ``now``: advance as the mode says (timed mode is the
        record's business: ``Record.catch_up``); True if the status changed."""
        if not self.pending:
            return False
        if mode is Lifecycle.PROGRESSIVE:
            return self.step(now)
        if mode is Lifecycle.IMMEDIATE:
            return self.finish(now)
        return False

    def force(
        self,
        status: str,
        details: dict[str, Any] | None = None,
        at: _dt.datetime | None = None,
    ) -> None:
        """Put the track at ``status`` with nothing pending (``m.set_status``), at ``at``."""
        self.status = status
        self.pending.clear()
        self.details = details
        if at is not None:
            self.since = at

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


# ---------------------------------------------------------------------------- timed mode

# How long each step takes in timed mode, in seconds on the mock clock: the time a record
# stays in a status before it moves to the next one of its path. Keyed "<type>:<STATUS>"
# (type as in ARNs). A status not listed for a type takes ``STEP_DEFAULTS[status]``.
# Orders of magnitude, not measurements: queued steps take a minute, jobs minutes,
# trainings hours (docs/lifecycle.md, "Timed mode").
MINUTE = 60.0
HOUR = 3600.0
STEP_DEFAULTS: dict[str, float] = {
    "CREATE_PENDING": 1 * MINUTE,
    "CREATE_IN_PROGRESS": 5 * MINUTE,
    "DELETE_PENDING": 1 * MINUTE,
    "DELETE_IN_PROGRESS": 5 * MINUTE,
    "CANCEL_PENDING": 1 * MINUTE,
    "CANCEL_IN_PROGRESS": 2 * MINUTE,
}
DEFAULT_DURATIONS: dict[str, float] = {
    "audience-model:CREATE_IN_PROGRESS": 3 * HOUR,
    "audience-model:DELETE_IN_PROGRESS": 10 * MINUTE,
    "audience-generation-job:CREATE_IN_PROGRESS": 30 * MINUTE,
    "audience-export-job:CREATE_IN_PROGRESS": 10 * MINUTE,
    "ml-input-channel:CREATE_IN_PROGRESS": 15 * MINUTE,
    "trained-model:CREATE_PENDING": 5 * MINUTE,
    "trained-model:CREATE_IN_PROGRESS": 2 * HOUR,
    "trained-model:DELETE_IN_PROGRESS": 10 * MINUTE,
    "trained-model-inference-job:CREATE_IN_PROGRESS": 20 * MINUTE,
    "trained-model-export-job:CREATE_IN_PROGRESS": 10 * MINUTE,
}


def timed_statuses(kind: str) -> tuple[str, ...]:
    """The statuses of a kind that a record leaves on its own as time passes (the
    ``*_PENDING`` and ``*_IN_PROGRESS`` ones of its enum)."""
    return tuple(s for s in status_enum(kind) if s.endswith(("_PENDING", "_IN_PROGRESS")))


def check_durations(durations: Mapping[str, Any] | None) -> dict[str, float]:
    """Validate the ``durations`` option; returns it as a plain dict of floats.

    A key is a resource type with timed steps (``"trained-model"``: every step of that
    type) or ``"<type>:<STATUS>"`` (one step); a value is a finite number of seconds, 0
    or more. Anything else is a ``ValueError`` naming the key (stricter than ignoring it).
    """
    checked: dict[str, float] = {}
    for key, value in (durations or {}).items():
        if not isinstance(key, str):
            raise ValueError(f"durations: key {key!r} is not a string")
        kind, sep, status = key.partition(":")
        steps = timed_statuses(kind) if kind in STATUS_ENUM_SHAPE else ()
        if not steps:
            kinds = sorted(k for k in STATUS_ENUM_SHAPE if timed_statuses(k))
            raise ValueError(
                f"durations: unknown key {key!r}: {kind!r} is not a resource type with timed "
                f"steps ({', '.join(kinds)})"
            )
        if sep and status not in steps:
            raise ValueError(
                f"durations: unknown key {key!r}: a {kind} does not leave {status!r} with "
                f"time; its timed steps are {', '.join(steps)}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"durations[{key!r}] must be a number of seconds, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"durations[{key!r}] must be 0 or more seconds, got {value!r}")
        checked[key] = float(value)
    return checked


def step_seconds(kind: str, status: str, overrides: Mapping[str, float]) -> float:
    """How long a record of ``kind`` stays in ``status`` in timed mode: the override for
    that step, else the override for the type, else the documented default."""
    key = f"{kind}:{status}"
    for table in (overrides, DEFAULT_DURATIONS):
        if key in table:
            return table[key]
        if table is overrides and kind in overrides:
            return overrides[kind]
    return STEP_DEFAULTS.get(status, MINUTE)
