"""What a backend sees of the rest of the mock: its ``WorldView``.

A backend holds the records of one account in one region. Everything else it needs is
passed in as a ``WorldView``: the mock's options (lifecycle mode, quotas, strict
memberships), the Clean Rooms membership registry, and the other backends that exist
(collaboration views and cross-member references look through a region's backends; a
cross-account audience generation job has a copy in the configured audience model
owner's backend). A unit test builds a backend with a stub view and no ``World``.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Protocol

from ..moto_link import MotoLink, link_for

if TYPE_CHECKING:
    from ..config import MockConfig
    from ..memberships import MembershipRegistry
    from ..records import Record
    from ..world import World
    from ._base import BackendBase


class WorldView(Protocol):
    """The narrow view of the mock a backend is given."""

    @property
    def config(self) -> MockConfig:
        """The options of the mock (read at each use: a nested mock replaces them)."""

    @property
    def memberships(self) -> MembershipRegistry:
        """The Clean Rooms memberships known to the mock."""

    def now(self) -> _dt.datetime:
        """The mock's clock (aware UTC, to the millisecond; docs/lifecycle.md)."""

    def backend_for(self, account_id: str, region: str) -> BackendBase | None:
        """The backend of an account and region, if it has been created."""

    def backends_in(self, region: str) -> list[BackendBase]:
        """Every backend created in ``region``, in the order they were created."""

    def moto(self) -> MotoLink | None:
        """moto's S3, Glue and IAM when the mock consults them now (``use_moto``), else
        None (docs/moto.md)."""


class _WorldWindow:
    """A ``WorldView`` onto a live ``World``: every member reads the world at each use."""

    __slots__ = ("_world",)

    def __init__(self, world: World) -> None:
        self._world = world

    @property
    def config(self) -> MockConfig:
        return self._world.config

    @property
    def memberships(self) -> MembershipRegistry:
        return self._world.memberships

    def now(self) -> _dt.datetime:
        return self._world.clock.now()

    def backend_for(self, account_id: str, region: str) -> BackendBase | None:
        return self._world.backends.get((account_id, region))

    def backends_in(self, region: str) -> list[BackendBase]:
        return [b for (_, r), b in self._world.backends.items() if r == region]

    def schedule(self, record: Record, backend: BackendBase) -> None:
        self._world.schedule(record, backend)

    def moto(self) -> MotoLink | None:
        return link_for(self._world.config.use_moto)


def view_of(world: World) -> WorldView:
    """The ``WorldView`` a backend of ``world`` is given."""
    return _WorldWindow(world)
