"""Clean Rooms memberships as the ML service sees them: which account owns a membership,
which collaboration it belongs to, what its member may do and which costs it pays.

Memberships are resources of the *Clean Rooms* service. Tests register them through
``m.add_membership(...)``; memberships created through moto's ``cleanrooms`` mock are
read when an id is not known here; and, unless the mock is strict, an unknown membership
id used by an account is registered to that account in a collaboration of its own.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import ids

# Member abilities (Clean Rooms ``memberAbilities`` and ``customMLMemberAbilities``).
CAN_QUERY = "CAN_QUERY"
CAN_RECEIVE_RESULTS = "CAN_RECEIVE_RESULTS"
CAN_RUN_JOB = "CAN_RUN_JOB"
CAN_RECEIVE_MODEL_OUTPUT = "CAN_RECEIVE_MODEL_OUTPUT"
CAN_RECEIVE_INFERENCE_OUTPUT = "CAN_RECEIVE_INFERENCE_OUTPUT"
ABILITIES = (
    CAN_QUERY,
    CAN_RECEIVE_RESULTS,
    CAN_RUN_JOB,
    CAN_RECEIVE_MODEL_OUTPUT,
    CAN_RECEIVE_INFERENCE_OUTPUT,
)
# What a membership may do when a test does not say: everything.
DEFAULT_ABILITIES = (
    CAN_QUERY,
    CAN_RECEIVE_RESULTS,
    CAN_RECEIVE_MODEL_OUTPUT,
    CAN_RECEIVE_INFERENCE_OUTPUT,
)
ML_ABILITIES = (CAN_RECEIVE_MODEL_OUTPUT, CAN_RECEIVE_INFERENCE_OUTPUT)

# Cost types a member can be responsible for (Clean Rooms ``paymentConfiguration``).
QUERY_COMPUTE = "queryCompute"
MODEL_TRAINING = "modelTraining"
MODEL_INFERENCE = "modelInference"
SYNTHETIC_DATA_GENERATION = "syntheticDataGeneration"
COST_TYPES = (QUERY_COMPUTE, MODEL_TRAINING, MODEL_INFERENCE, SYNTHETIC_DATA_GENERATION)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Membership:
    membership_id: str
    account_id: str
    collaboration_id: str
    abilities: list[str] = field(default_factory=lambda: list(DEFAULT_ABILITIES))
    # cost types this member was designated to pay for (empty: none designated)
    pays_for: list[str] = field(default_factory=list)
    status: str = "ACTIVE"

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    def can(self, ability: str) -> bool:
        return ability in self.abilities


def _check_uuid(value: str, what: str) -> None:
    if not _UUID.fullmatch(value):
        raise ValueError(f"{what} must be a lower-case UUID, got {value!r}")


@dataclass
class MembershipRegistry:
    """The memberships the mock knows, by id, with the ids of each collaboration's
    members (look-ups by collaboration never go through every membership)."""

    by_id: dict[str, Membership] = field(default_factory=dict)
    # collaboration id -> the ids of its memberships, in the order they were filed
    by_collaboration: dict[str, dict[str, None]] = field(default_factory=dict, repr=False)

    def file(self, membership: Membership) -> None:
        """Register ``membership`` (replacing one filed under the same id)."""
        old = self.by_id.get(membership.membership_id)
        if old is not None and old.collaboration_id != membership.collaboration_id:
            self.by_collaboration.get(old.collaboration_id, {}).pop(old.membership_id, None)
        self.by_id[membership.membership_id] = membership
        members = self.by_collaboration.setdefault(membership.collaboration_id, {})
        members[membership.membership_id] = None

    def add(
        self,
        *,
        account_id: str,
        collaboration_id: str | None = None,
        membership_id: str | None = None,
        abilities: Iterable[str] | None = None,
        pays_for: Iterable[str] | None = None,
    ) -> Membership:
        if not (len(account_id) == 12 and account_id.isdigit()):
            raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
        if membership_id is not None:
            _check_uuid(membership_id, "membership_id")
        if collaboration_id is not None:
            _check_uuid(collaboration_id, "collaboration_id")
        chosen = list(DEFAULT_ABILITIES if abilities is None else abilities)
        unknown = [a for a in chosen if a not in ABILITIES]
        if unknown:
            raise ValueError(f"unknown abilities {unknown}; choose from {list(ABILITIES)}")
        payer = list(pays_for or ())
        unknown = [c for c in payer if c not in COST_TYPES]
        if unknown:
            raise ValueError(f"unknown cost types {unknown}; choose from {list(COST_TYPES)}")
        membership = Membership(
            membership_id=membership_id or ids.new_uuid(),
            account_id=account_id,
            collaboration_id=collaboration_id or ids.new_uuid(),
            abilities=chosen,
            pays_for=payer,
        )
        self.file(membership)
        return membership

    def get(self, membership_id: str) -> Membership | None:
        return self.by_id.get(membership_id)

    def members_of(self, collaboration_id: str) -> list[Membership]:
        by_id = self.by_id
        return [by_id[i] for i in self.by_collaboration.get(collaboration_id, ())]

    def membership_of(self, account_id: str, collaboration_id: str) -> Membership | None:
        """The active membership of ``account_id`` in a collaboration, if any."""
        for m in self.members_of(collaboration_id):
            if m.account_id == account_id and m.active:
                return m
        return None

    def payer_candidates(self, collaboration_id: str, cost_type: str) -> list[str]:
        """Accounts that may pay ``cost_type`` in a collaboration: the members designated
        for it, or, when nobody is, the members who can query (the service's default)."""
        members = [m for m in self.members_of(collaboration_id) if m.active]
        designated = [m.account_id for m in members if cost_type in m.pays_for]
        if designated:
            return designated
        return [m.account_id for m in members if m.can(CAN_QUERY)]

    # ------------------------------------------------------------ moto's cleanrooms mock

    def import_from_moto(self, region: str) -> bool:
        """Register the memberships of moto's ``cleanrooms`` mock in ``region`` (when moto
        is imported and its ``mock_aws`` is active); True if any was new."""
        models = sys.modules.get("moto.cleanrooms.models")
        core = sys.modules.get("moto.core.models")
        if models is None or core is None:
            return False
        mock_class = getattr(core, "MockAWS", None)
        if mock_class is None or not getattr(mock_class, "_mocks_active", False):
            return False
        backends: Any = getattr(models, "cleanrooms_backends", None)
        if backends is None:
            return False
        added = False
        for account_backends in list(dict.values(backends)):
            backend = dict.get(account_backends, region)
            if backend is None:
                continue
            for membership in list(getattr(backend, "memberships", {}).values()):
                if membership.id in self.by_id:
                    continue
                self.file(_from_moto(membership, backend.account_id))
                added = True
        return added


def _from_moto(membership: Any, account_id: str) -> Membership:
    abilities = [a for a in (membership.member_abilities or []) if a in ABILITIES]
    # moto does not keep the custom-ML abilities: grant them rather than refuse everything
    abilities += [a for a in ML_ABILITIES if a not in abilities]
    payment: dict[str, Any] = membership.payment_configuration or {}
    pays_for = []
    if payment.get("queryCompute", {}).get("isResponsible"):
        pays_for.append(QUERY_COMPUTE)
    for cost_type, config in (payment.get("machineLearning") or {}).items():
        if cost_type in COST_TYPES and (config or {}).get("isResponsible"):
            pays_for.append(cost_type)
    return Membership(
        membership_id=membership.id,
        account_id=account_id,
        collaboration_id=membership.collaboration_id,
        abilities=abilities,
        pays_for=pays_for,
        status=str(getattr(membership, "status", "ACTIVE")),
    )
