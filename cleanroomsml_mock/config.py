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
    # consult moto's S3, Glue and IAM: None while moto's mock_aws is active, True too
    # (and ``start`` requires it), False never (docs/moto.md)
    use_moto: bool | None = None
