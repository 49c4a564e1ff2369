"""What the custom-model families share: memberships (who owns one, who may use it),
collaboration access, lookups across the member accounts of a region, payer and receiver
rules, and the record type of jobs whose results appear once they have run.

The rules are those of the AWS Clean Rooms User Guide, "IAM behaviors for Clean Rooms ML
Custom Models" (https://docs.aws.amazon.com/clean-rooms/latest/userguide/ml-behaviors-byom.html):
membership-scoped operations need the caller's own membership; other members see a
resource only through the ``GetCollaboration*``/``ListCollaboration*`` views, which leave
out KMS keys, tags, environment and hyperparameters; any active member may delete the
data of a trained model or an ML input channel. Payers are the members the collaboration
designates for a cost type (https://docs.aws.amazon.com/clean-rooms/latest/apireference/API_MembershipMLPaymentConfig.html).
docs/collaborations.md describes what the mock does.

Membership-scoped resources live in the backend of the account that owns the membership;
collaboration views and cross-member references look through every backend of the region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    AccessDeniedException,
    ResourceNotFoundException,
    ServiceError,
    ValidationException,
)
from ..lifecycle import StatusTrack
from ..memberships import Membership
from ..records import Host, Listing, Record, record_type
from ._base import BackendBase
from ._index import MergedWindow

# Statuses in which a job's results (record counts, digests, metrics status...) show.
OUTPUT_STATES = frozenset({"ACTIVE", "DELETE_PENDING", "DELETE_IN_PROGRESS", "DELETE_FAILED"})
# Statuses from which the data/output of a channel or model version may be deleted.
DELETABLE_STATES = frozenset({"ACTIVE", "CREATE_FAILED", "DELETE_FAILED"})
# Statuses from which a training or inference job may be cancelled.
CANCELLABLE_STATES = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
# Statuses of channels and model versions that no longer hold data.
RELEASED_STATES = frozenset({"INACTIVE", "CREATE_FAILED"})


@record_type
@dataclass(eq=False, repr=False)
class JobRecord(Record):
    """A record whose ``outputs`` (what running the job produced) show only once it ran:
    while ACTIVE or being deleted, and after its data was deleted (``ran``)."""

    outputs: dict[str, Any] = field(default_factory=dict)
    ran: bool = False  # it was ACTIVE once: INACTIVE after a data delete, not a cancel

    def shows_outputs(self) -> bool:
        status = self.status
        return status in OUTPUT_STATES or (status == "INACTIVE" and self.ran)

    def pick(self, member: str) -> Any:
        if member in self.outputs:
            return self.outputs[member] if self.shows_outputs() else None
        return super().pick(member)

    def moved(self, host: Host, before: str | None) -> None:
        if before == "ACTIVE":
            self.ran = True
        super().moved(host, before)


class CollaborationSupport(BackendBase):
    # ------------------------------------------------------------ memberships

    def membership(
        self, membership_id: str, *, not_found: bool = True, ability: str | None = None
    ) -> Membership:
        """The caller's own, active membership ``membership_id``.

        Unknown ids are registered to the caller in a new collaboration unless the mock is
        strict. An unknown (strict) or foreign membership is a ResourceNotFoundException
        where the operation declares one (``not_found``), else an AccessDeniedException.
        """
        registry = self.view.memberships
        found = registry.get(membership_id)
        if found is None and registry.import_from_moto(self.region):
            found = registry.get(membership_id)
        refuse: type[ServiceError] = (
            ResourceNotFoundException if not_found else AccessDeniedException
        )
        if found is None:
            if self.view.config.strict_memberships:
                raise refuse(
                    f"Membership {membership_id} not found: it is not a registered Clean Rooms "
                    f"membership of account {self.account_id}"
                )
            found = registry.add(account_id=self.account_id, membership_id=membership_id)
        if found.account_id != self.account_id:
            raise refuse(
                f"Membership {membership_id} belongs to account {found.account_id}, not to the "
                f"caller's account {self.account_id}"
            )
        if not found.active:
            raise AccessDeniedException(f"Membership {membership_id} is {found.status}, not ACTIVE")
        if ability is not None and not found.can(ability):
            raise AccessDeniedException(
                f"Membership {membership_id} does not have the {ability} ability in "
                f"collaboration {found.collaboration_id}"
            )
        return found

    def collaboration_access(self, collaboration_id: str) -> Membership:
        """The caller's active membership in a collaboration, or AccessDeniedException.

        A collaboration nobody has registered is joined by the caller unless the mock is
        strict (as unknown membership ids are)."""
        registry = self.view.memberships
        found = registry.membership_of(self.account_id, collaboration_id)
        if found is None and registry.import_from_moto(self.region):
            found = registry.membership_of(self.account_id, collaboration_id)
        if found is None:
            if not self.view.config.strict_memberships and not registry.members_of(
                collaboration_id
            ):
                return registry.add(account_id=self.account_id, collaboration_id=collaboration_id)
            raise AccessDeniedException(
                f"Account {self.account_id} is not an active member of collaboration "
                f"{collaboration_id}"
            )
        return found

    def member_account(self, collaboration_id: str, account_id: str) -> Membership | None:
        return self.view.memberships.membership_of(account_id, collaboration_id)

    # ------------------------------------------------------------ across member accounts

    def region_backends(self) -> list[BackendBase]:
        return self.view.backends_in(self.region)

    def collaboration_listing(
        self, kind: str, collaboration_id: str, **filters: str | None
    ) -> Listing[Any]:
        """The records of ``kind`` of a collaboration, in every member account of this
        region, ordered by ``createTime``, as a List returns them: merged, a page at a time,
        from each member account's ordered index (no table is copied). ``filters``: data members
        they must have too (None: not filtered on), a combination declared with
        ``_index.listed_by``."""
        given = {member: value for member, value in filters.items() if value is not None}
        given["collaborationIdentifier"] = collaboration_id
        parts = [backend.indexes().ordered_by(kind, given) for backend in self.region_backends()]
        return Listing(MergedWindow(parts), self)

    def children_anywhere(self, kind: str, member: str, value: str) -> list[Record]:
        """``children`` in every backend of this region."""
        found: list[Record] = []
        for backend in self.region_backends():
            found += [r for r in backend.children(kind, member, value) if not r.removed]
        return found

    def find_anywhere(self, kind: str, arn: str, noun: str) -> tuple[BackendBase, Record]:
        """A record of ``kind`` in any account of this region, or ResourceNotFound."""
        for backend in self.region_backends():
            record = backend.tables.get(kind, {}).get(arn)
            if record is not None and not record.removed:
                return backend, record
        raise ResourceNotFoundException(f"{noun} {arn} not found")

    def find_in_collaboration(
        self, kind: str, arn: str, noun: str, collaboration_id: str, member: str
    ) -> tuple[BackendBase, Record]:
        """A record referenced by a request: it must exist (ResourceNotFound) and belong
        to the same collaboration (ValidationException naming ``member``)."""
        backend, record = self.find_anywhere(kind, arn, noun)
        other = record.data.get("collaborationIdentifier")
        if other != collaboration_id:
            raise ValidationException(
                f"{member}: {noun} {arn} belongs to collaboration {other}, not to "
                f"collaboration {collaboration_id}"
            )
        return backend, record

    def find_collaboration_view(
        self, kind: str, arn: str, noun: str, collaboration_id: str
    ) -> tuple[BackendBase, Record]:
        """A record read through a Collaboration* Get: another collaboration's resource
        does not exist for the caller."""
        backend, record = self.find_anywhere(kind, arn, noun)
        if record.data.get("collaborationIdentifier") != collaboration_id:
            raise ResourceNotFoundException(
                f"{noun} {arn} not found in collaboration {collaboration_id}"
            )
        return backend, record

    def find_own(self, kind: str, arn: str, noun: str, membership_id: str) -> Record:
        """A record of the caller's membership (other memberships' records are not found)."""
        record = self.find(kind, arn, noun)
        if record.data.get("membershipIdentifier") != membership_id:
            raise ResourceNotFoundException(f"{noun} {arn} not found in membership {membership_id}")
        return record

    def ml_configuration_of(self, membership_id: str) -> Record | None:
        """The ML configuration of a membership, whichever account holds it."""
        found = self.children_anywhere("ml-configuration", "membershipIdentifier", membership_id)
        return found[0] if found else None

    # ------------------------------------------------------------ payer and receivers

    def check_payer(
        self, collaboration_id: str, cost_type: str, account_id: str | None, member: str
    ) -> None:
        """A payer account named in a request must be a payer candidate of the cost type
        in the collaboration (docs/collaborations.md, "Payers")."""
        if account_id is None:
            return
        candidates = self.view.memberships.payer_candidates(collaboration_id, cost_type)
        if account_id not in candidates:
            raise ValidationException(
                f"{member}: account {account_id} is not a member of collaboration "
                f"{collaboration_id} that can pay for {cost_type} (candidates: "
                f"{', '.join(sorted(candidates)) or 'none'})"
            )

    def check_receiver(
        self, collaboration_id: str, account_id: str, ability: str, member: str
    ) -> Membership:
        """A receiving account must be an active member holding ``ability``."""
        receiver = self.member_account(collaboration_id, account_id)
        if receiver is None:
            raise ValidationException(
                f"{member}: account {account_id} is not an active member of collaboration "
                f"{collaboration_id}"
            )
        if not receiver.can(ability):
            raise ValidationException(
                f"{member}: account {account_id} does not have the {ability} ability in "
                f"collaboration {collaboration_id}"
            )
        return receiver

    def store_job(self, record: Record, path: tuple[str, ...]) -> None:
        """File a record built by a family and start its lifecycle along ``path``."""
        record.data = {k: v for k, v in record.data.items() if v is not None}
        record.update_time = record.create_time
        record.track = StatusTrack.starting(path, self.lifecycle, record.create_time)
        self.store(record)
        if path[0] != path[-1] and record.status == path[-1] == "ACTIVE":
            record.reached_active(self, forced=False)  # immediate mode: born at the end

    def member_may_delete(self, record: Record, membership_identifier: str, noun: str) -> None:
        """The caller must be an active member of the record's collaboration, and the
        path's membership either the record's or the caller's own in that collaboration."""
        collaboration = record.data["collaborationIdentifier"]
        if membership_identifier != record.data["membershipIdentifier"]:
            membership = self.membership(membership_identifier)
            if membership.collaboration_id != collaboration:
                raise ResourceNotFoundException(
                    f"{noun} {record.arn} not found in the collaboration of membership "
                    f"{membership_identifier}"
                )
            return
        self.require_member(collaboration, noun, record.arn)

    def require_member(self, collaboration_id: str, noun: str, arn: str) -> None:
        """The caller must hold an active membership in ``collaboration_id``."""
        registry = self.view.memberships
        if registry.membership_of(self.account_id, collaboration_id) is None:
            registry.import_from_moto(self.region)
        if registry.membership_of(self.account_id, collaboration_id) is None:
            raise AccessDeniedException(
                f"Account {self.account_id} is not an active member of collaboration "
                f"{collaboration_id}, so it cannot delete the data of {noun} {arn}"
            )
