"""Configured model algorithm associations: a configured model algorithm made available
to a collaboration by one member, with its privacy configuration. Immutable: there is no
update operation, so a change is a delete and a new association (API reference:
CreateConfiguredModelAlgorithmAssociation,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_CreateConfiguredModelAlgorithmAssociation.html;
docs/custom-models.md, "Configured model algorithm associations")."""

from __future__ import annotations

from typing import Any

from .. import ids, quotas
from ..errors import AccessDeniedException, ConflictException, ValidationException
from ..records import Record
from ._collaboration import RELEASED_STATES, CollaborationSupport
from ._index import StatusCount, status_count

KIND = "configured-model-algorithm-association"
NOUN = "Configured model algorithm association"
ALGORITHM_KIND = "configured-model-algorithm"
# Records that keep an association in use, and the statuses in which they no longer do.
INFERENCE_DONE = frozenset({"ACTIVE", "CREATE_FAILED", "INACTIVE", "CANCEL_FAILED"})
# The status counts, per association, of the records that use one (the "in use" check).
USED_BY = (
    "association in use by ml-input-channel",
    "association in use by trained-model",
    "association in use by trained-model-inference-job",
)
status_count(
    USED_BY[0],
    StatusCount(
        "ml-input-channel",
        lambda status: status not in RELEASED_STATES,
        "configuredModelAlgorithmAssociations",
    ),
)
status_count(
    USED_BY[1],
    StatusCount(
        "trained-model",
        lambda status: status not in RELEASED_STATES,
        "configuredModelAlgorithmAssociationArn",
        parts=lambda model: getattr(model, "versions", ()),
    ),
)
status_count(
    USED_BY[2],
    StatusCount(
        "trained-model-inference-job",
        lambda status: status not in INFERENCE_DONE,
        "configuredModelAlgorithmAssociationArn",
    ),
)


class ConfiguredModelAlgorithmAssociations(CollaborationSupport):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.associations = self.table(KIND)

    def _check_privacy(self, privacy: dict[str, Any] | None, collaboration_id: str) -> None:
        if not privacy:
            return
        policies = privacy.get("policies", {})
        logs: list[tuple[str, dict[str, Any]]] = []
        for policy_name in ("trainedModels", "trainedModelInferenceJobs"):
            for i, log in enumerate(policies.get(policy_name, {}).get("containerLogs", []), 1):
                logs.append((f"privacyConfiguration.policies.{policy_name}.containerLogs.{i}", log))
        members = {m.account_id for m in self.view.memberships.members_of(collaboration_id)}
        for path, log in logs:
            for account in log.get("allowedAccountIds", []):
                if not (len(account) == 12 and account.isdigit()):
                    raise ValidationException(
                        f"{path}.allowedAccountIds: '{account}' is not a 12-digit account id"
                    )
                if account not in members:
                    raise ValidationException(
                        f"{path}.allowedAccountIds: account {account} is not a member of "
                        f"collaboration {collaboration_id}"
                    )
            redaction = log.get("logRedactionConfiguration")
            if redaction is not None:
                custom = "CUSTOM" in redaction.get("entitiesToRedact", [])
                config = redaction.get("customEntityConfig") is not None
                if custom != config:
                    raise ValidationException(
                        f"{path}.logRedactionConfiguration: CUSTOM in entitiesToRedact and "
                        "customEntityConfig must be present together or absent together"
                    )
        exports = policies.get("trainedModelExports")
        if exports is not None:
            files = exports.get("filesToExport", [])
            if len(set(files)) != len(files):
                raise ValidationException(
                    "privacyConfiguration.policies.trainedModelExports.filesToExport: "
                    f"duplicate file types {files}"
                )

    def create_configured_model_algorithm_association(
        self,
        *,
        membership_identifier: str,
        configured_model_algorithm_arn: str,
        name: str,
        description: str | None = None,
        privacy_configuration: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        membership = self.membership(membership_identifier)
        owner = ids.arn_account(configured_model_algorithm_arn)
        if owner != self.account_id:
            raise AccessDeniedException(
                f"configuredModelAlgorithmArn {configured_model_algorithm_arn} belongs to "
                f"account {owner}; only the caller's own ({self.account_id}) configured model "
                "algorithms can be associated"
            )
        self.find(ALGORITHM_KIND, configured_model_algorithm_arn, "Configured model algorithm")
        self._check_privacy(privacy_configuration, membership.collaboration_id)
        self.check_tags(tags)
        self.check_name_free(
            KIND, name, "configured model algorithm association", membership_identifier
        )
        in_membership = self.indexes().ordered(KIND, "membershipIdentifier", membership_identifier)
        self.enforce_quota(quotas.ASSOCIATIONS_PER_MEMBERSHIP, len(in_membership))
        arn = self.new_arn(f"membership/{membership_identifier}/{KIND}/{self.new_id()}")
        self.new_record(
            KIND,
            arn,
            {
                "configuredModelAlgorithmAssociationArn": arn,
                "membershipIdentifier": membership_identifier,
                "collaborationIdentifier": membership.collaboration_id,
                "configuredModelAlgorithmArn": configured_model_algorithm_arn,
                "name": name,
                "description": description,
                "privacyConfiguration": privacy_configuration,
                "creatorAccountId": self.account_id,
            },
            tags=tags,
        )
        return {"configuredModelAlgorithmAssociationArn": arn}

    def get_configured_model_algorithm_association(
        self, *, configured_model_algorithm_association_arn: str, membership_identifier: str
    ) -> Record:
        self.membership(membership_identifier)
        return self.find_own(
            KIND, configured_model_algorithm_association_arn, NOUN, membership_identifier
        )

    def list_configured_model_algorithm_associations(
        self, *, membership_identifier: str
    ) -> dict[str, Any]:
        self.membership(membership_identifier, not_found=False)
        return {
            "configuredModelAlgorithmAssociations": self.listing_of(
                KIND, "membershipIdentifier", membership_identifier
            )
        }

    def _users(self, association_arn: str) -> list[str]:
        """The records of this region that keep the association in use: channels, then
        trained models (each version names its own association), then inference jobs,
        each in the order they were filed (status counts, not a scan)."""
        backends = self.region_backends()
        return [
            record.arn
            for name in USED_BY
            for backend in backends
            for record in backend.counted_records(name, association_arn)
        ]

    def delete_configured_model_algorithm_association(
        self, *, configured_model_algorithm_association_arn: str, membership_identifier: str
    ) -> None:
        self.membership(membership_identifier)
        arn = configured_model_algorithm_association_arn
        record = self.find_own(KIND, arn, NOUN, membership_identifier)
        users = self._users(arn)
        if users:
            raise ConflictException(
                f"{NOUN} {arn} is in use by {', '.join(users)}; cancel the jobs and delete "
                "the trained model output and ML input channel data first"
            )
        self.remove(record)

    # ------------------------------------------------------------ collaboration views

    def get_collaboration_configured_model_algorithm_association(
        self, *, configured_model_algorithm_association_arn: str, collaboration_identifier: str
    ) -> Record:
        self.collaboration_access(collaboration_identifier)
        _, record = self.find_collaboration_view(
            KIND, configured_model_algorithm_association_arn, NOUN, collaboration_identifier
        )
        return record

    def list_collaboration_configured_model_algorithm_associations(
        self, *, collaboration_identifier: str
    ) -> dict[str, Any]:
        self.collaboration_access(collaboration_identifier)
        return {
            "collaborationConfiguredModelAlgorithmAssociations": self.collaboration_listing(
                KIND, collaboration_identifier
            )
        }
