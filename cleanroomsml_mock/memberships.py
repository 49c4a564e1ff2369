"""Clean Rooms memberships as the ML service sees them: which account owns a membership
and which collaboration it belongs to.

Memberships are resources of the *Clean Rooms* service; tests register them through
``m.add_membership(...)`` (or, by default, an unknown membership id used by an account is
registered to that account in a collaboration of its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ids


@dataclass
class Membership:
    membership_id: str
    account_id: str
    collaboration_id: str
    abilities: set[str] = field(default_factory=set)


@dataclass
class MembershipRegistry:
    by_id: dict[str, Membership] = field(default_factory=dict)

    def add(
        self,
        *,
        account_id: str,
        collaboration_id: str | None = None,
        membership_id: str | None = None,
    ) -> Membership:
        membership = Membership(
            membership_id=membership_id or ids.new_uuid(),
            account_id=account_id,
            collaboration_id=collaboration_id or ids.new_uuid(),
        )
        self.by_id[membership.membership_id] = membership
        return membership

    def get(self, membership_id: str) -> Membership | None:
        return self.by_id.get(membership_id)

    def members_of(self, collaboration_id: str) -> list[Membership]:
        return [m for m in self.by_id.values() if m.collaboration_id == collaboration_id]
