"""The options of a mock (the keyword arguments of ``mock_cleanroomsml``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .lifecycle import Lifecycle

DEFAULT_ACCOUNT_ID = "123456789012"


@dataclass
class MockConfig:
    account_id: str = DEFAULT_ACCOUNT_ID
    lifecycle: Lifecycle = Lifecycle.IMMEDIATE
    strict_memberships: bool = False
    quotas: dict[str, float] = field(default_factory=dict)
    # keep only the latest this many recorded calls (None: all of them)
    max_calls: int | None = None
    # timed mode's step durations, checked by ``lifecycle.check_durations`` (seconds)
    durations: dict[str, float] = field(default_factory=dict)
