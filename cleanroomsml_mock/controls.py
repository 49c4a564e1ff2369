"""The test controls, written once.

``Controls`` is every control a test drives the mock with: ``calls``, ``reset``,
``now``, ``advance_time``, ``set_status``, ``advance``, ``inject_error``, ``clear_errors``,
``seed``, ``set_quota``, ``add_membership``, ``save_state``, ``load_state`` and
``audience_export_job_arn``. It is a
mixin: the class that inherits it says which world the controls act on
(``_require_world``):

- the handle, ``CleanRoomsMLMock`` (mock.py): the world of its mock, once started;
- ``ThreadedServer`` (server/serving.py): the server's world;
- ``WorldControls``: a world given to it; the server's ``/_mock`` endpoints
  (server/control.py) call it.

``World`` (world.py) keeps the state and finds resources in it; what a control does to that
state is decided here, and the lifecycle step itself by the resource's backend
(``set_record_status``, ``step_record``).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .faults import make_fault
from .lifecycle import status_enum
from .quotas import quota_value
from .types import ErrorCode, StatusName

if TYPE_CHECKING:
    from .calls import CallList
    from .config import MockConfig
    from .world import World


class Controls:
    """The test controls of a mock (see the module docstring for who has them)."""

    def _require_world(self) -> World:
        """The world these controls act on; ``RuntimeError`` while there is none."""
        raise NotImplementedError

    def _quota_options(self) -> MockConfig:
        """The options ``set_quota`` changes: by default those of the world."""
        return self._require_world().config

    def _changed(self) -> None:
        """Called after a control changed the state (``ThreadedServer`` saves it)."""

    @property
    def calls(self) -> CallList:
        """The calls served by this mock's world, in order."""
        return self._require_world().calls

    def reset(self) -> None:
        """Forget every resource, membership, injected error and recorded call."""
        self._require_world().reset()
        self._changed()

    def now(self) -> _dt.datetime:
        """The mock's clock: the wall clock (read now, so time-machine and freezegun move
        it) plus the time ``advance_time`` added; an aware UTC datetime, to the
        millisecond. Every timestamp the mock writes and every time rule read it."""
        return self._require_world().clock.now()

    def advance_time(self, seconds: float) -> None:
        """Move the mock's clock ``seconds`` forward (a negative value is a ``ValueError``).
        Nothing runs in the background: the next call shows what the time has done
        (timed mode's steps, data expiry, training time limits; docs/lifecycle.md)."""
        world = self._require_world()
        with world.lock:
            world.clock.advance(seconds)
            world.catch_up()
        self._changed()

    def set_status(
        self,
        arn: str,
        status: StatusName,
        *,
        status_code: str | None = None,
        message: str | None = None,
        version: str | None = None,
    ) -> None:
        """Move a resource (or one trained-model version) to ``status``.

        A ``*_FAILED`` status (or any status given a ``status_code``/``message``) shows
        them in the resource's ``statusDetails``. An unknown ARN is a ``KeyError``, a status
        outside the resource's enum a ``ValueError``.
        """
        world = self._require_world()
        with world.lock:
            world.catch_up()
            found = world.find(arn)
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
        self._changed()

    def advance(self, arn: str | None = None) -> None:
        """Take one lifecycle step for one resource (or every resource): manual mode's
        way to let a pending create, delete or cancel move on."""
        world = self._require_world()
        with world.lock:
            world.catch_up()
            if arn is not None:
                found = world.find(arn)
                if found is None:
                    raise KeyError(f"No resource with ARN {arn} in this mock")
                found[0].step_record(found[1])
            else:
                # a track shared by several records (one resource seen under several ARNs,
                # e.g. a cross-account audience generation job) takes one step, not one per
                # ARN
                stepped: set[int] = set()
                for backend in list(world.backends.values()):
                    # only the records with a step pending (an index, not a scan)
                    for record in backend.advancing():
                        if record.track is not None and id(record.track) in stepped:
                            continue
                        backend.step_record(record)
                        if record.track is not None:
                            stepped.add(id(record.track))
        self._changed()

    def inject_error(
        self,
        operation: str,
        code: ErrorCode | None = None,
        *,
        message: str | None = None,
        count: int | None = 1,
        **extra: Any,
    ) -> None:
        """Answer the next ``count`` calls of ``operation`` (e.g. ``"GetTrainedModel"``)
        with the modelled error ``code`` (``count=None``: every call until
        ``clear_errors``). Without ``code``: ``ThrottlingException`` where the operation
        declares it, else the first of ``InternalServiceException`` and
        ``AccessDeniedException`` it declares (the declared errors depend on the botocore
        release installed). The call has no effect; only errors the operation declares
        are accepted (``ValueError`` otherwise). ``extra`` adds members the error shape
        declares, e.g. ``quotaName=``/``quotaValue=``."""
        world = self._require_world()
        fault = make_fault(operation, code, message, count, extra)
        with world.lock:
            world.faults.setdefault(operation, []).append(fault)
        self._changed()

    def clear_errors(self, operation: str | None = None) -> None:
        """Drop injected errors, of one operation or of all."""
        world = self._require_world()
        with world.lock:
            if operation is None:
                world.faults.clear()
            else:
                world.faults.pop(operation, None)
        self._changed()

    def seed(self, value: int | None) -> None:
        """Make generated ids (resource ids, UUIDs) repeatable from here on; ``None`` goes
        back to fresh randomness. Ids are process-wide, like moto's seeded RNG."""
        from . import ids

        ids.seed(value)

    def set_quota(self, name: str, value: float) -> None:
        """Change one service quota for this mock (names in ``cleanroomsml_mock.quotas``);
        an unknown name is a ``KeyError``."""
        quota_value({}, name)
        self._quota_options().quotas[name] = value
        self._changed()

    def add_membership(
        self,
        *,
        account_id: str | None = None,
        collaboration_id: str | None = None,
        membership_id: str | None = None,
        abilities: Iterable[str] | None = None,
        pays_for: Iterable[str] | None = None,
    ) -> str:
        """Register a Clean Rooms membership; returns its id (a lower-case UUID).

        ``account_id`` defaults to the mock's account, ids are generated where not given.
        ``abilities`` (default: all but ``CAN_RUN_JOB``) takes ``CAN_QUERY``,
        ``CAN_RECEIVE_RESULTS``, ``CAN_RUN_JOB``, ``CAN_RECEIVE_MODEL_OUTPUT``,
        ``CAN_RECEIVE_INFERENCE_OUTPUT``; ``pays_for`` the cost types the member is
        responsible for (``queryCompute``, ``modelTraining``, ``modelInference``,
        ``syntheticDataGeneration``; when nobody is designated, members who can query pay).
        See ``cleanroomsml_mock.memberships``.
        """
        world = self._require_world()
        with world.lock:
            membership = world.memberships.add(
                account_id=account_id or world.config.account_id,
                collaboration_id=collaboration_id,
                membership_id=membership_id,
                abilities=abilities,
                pays_for=pays_for,
            )
        self._changed()
        return membership.membership_id

    def save_state(self, path: str | os.PathLike[str]) -> None:
        """Save every resource, membership and option to ``path`` (versioned JSON, written
        atomically). The call log is not saved."""
        from .state import save

        save(self._require_world(), path)

    def load_state(self, path: str | os.PathLike[str]) -> None:
        """Replace the state of this mock by the one saved in ``path``; a file of another
        format version or a corrupt one raises ``cleanroomsml_mock.state.StateFileError``
        and leaves the state as it was."""
        from .state import load

        load(self._require_world(), path)
        self._changed()

    @staticmethod
    def audience_export_job_arn(audience_generation_job_arn: str, name: str) -> str:
        """The ARN the mock files an audience export job under, for ``set_status`` and
        ``advance``: export jobs have none in the service (docs/lookalike.md)."""
        from .backend.audience_jobs import audience_export_job_arn

        return audience_export_job_arn(audience_generation_job_arn, name)


class WorldControls(Controls):
    """The controls of one given world (the server's ``/_mock`` endpoints use these)."""

    def __init__(self, world: World) -> None:
        self.world = world

    def _require_world(self) -> World:
        return self.world


__all__ = ["Controls", "WorldControls"]
