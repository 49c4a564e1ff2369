"""Trained model export jobs: a trained model version's artifacts sent to the ML
configuration of one receiving member. No ARN, no get, no cancel; listed through the
collaboration (API reference: StartTrainedModelExportJob,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_StartTrainedModelExportJob.html;
docs/custom-models.md, "Export jobs")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import memberships
from ..errors import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..lifecycle import CREATE_PATH
from ..outputs import Destination, model_files, write
from ..records import Host, Record, record_type
from ._index import listed_by
from .trained_models import TrainedModels

KIND = "trained-model-export-job"
# ListCollaborationTrainedModelExportJobs: by trained model (and version) in a collaboration
listed_by(KIND, "collaborationIdentifier", "trainedModelArn")
listed_by(KIND, "collaborationIdentifier", "trainedModelArn", "trainedModelVersionIdentifier")
NOUN = "Trained model"


@record_type
@dataclass(eq=False, repr=False)
class TrainedModelExportJobRecord(Record):
    """An export of a trained model version: created, nothing after."""

    output_role: str = ""  # the receiver's ML configuration roleArn when the job started

    paths = (CREATE_PATH,)

    def reached_active(self, host: Host, *, forced: bool) -> None:
        """The artifacts are written under ``outputLocation`` with the receiving member's
        ML configuration role (docs/moto.md, "Outputs the mock writes")."""
        if host.moto() is None:
            return  # moto is not consulted: nothing to work out
        data = self.data
        receiver = data["outputConfiguration"]["members"][0]["accountId"]
        destination = Destination(
            data["outputLocation"],
            self.output_role or None,
            f"the defaultOutputLocation.roleArn of the ML configuration of member {receiver},",
            lambda: model_files(
                self.arn,
                trained_model_arn=data["trainedModelArn"],
                version_id=data.get("trainedModelVersionIdentifier"),
                files_to_export=data["filesToExport"],
            ),
        )
        write(self, host, data["creatorAccountId"], [destination], forced=forced)


def key(model_arn: str, version_id: str | None, name: str) -> str:
    """Export jobs have no ARN; they are filed under this key."""
    return f"{model_arn}/version/{version_id or 'base'}/export-job/{name}"


class TrainedModelExportJobs(TrainedModels):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.export_jobs = self.table(KIND)

    def _export_membership(self, membership_identifier: str, receiver_account: str) -> str:
        """The collaboration of the path's membership: the caller's own, or (as the API
        reference describes it) the receiving member's, when the caller is an active
        member of the same collaboration. Returns the collaboration id."""
        registry = self.view.memberships
        found = registry.get(membership_identifier)
        if found is None and registry.import_from_moto(self.region):
            found = registry.get(membership_identifier)
        if (
            found is not None
            and found.account_id != self.account_id
            and found.account_id == receiver_account
            and found.active
        ):
            if self.member_account(found.collaboration_id, self.account_id) is None:
                raise AccessDeniedException(
                    f"Account {self.account_id} is not an active member of collaboration "
                    f"{found.collaboration_id} of membership {membership_identifier}"
                )
            return found.collaboration_id
        return self.membership(membership_identifier).collaboration_id

    def start_trained_model_export_job(
        self,
        *,
        name: str,
        trained_model_arn: str,
        membership_identifier: str,
        output_configuration: dict[str, Any],
        trained_model_version_identifier: str | None = None,
        description: str | None = None,
    ) -> None:
        receiver_account = output_configuration["members"][0]["accountId"]
        collaboration = self._export_membership(membership_identifier, receiver_account)
        _, model = self.find_anywhere("trained-model", trained_model_arn, NOUN)
        if model.data["collaborationIdentifier"] != collaboration:
            raise ResourceNotFoundException(
                f"{NOUN} {trained_model_arn} not found in collaboration {collaboration}"
            )
        creator = model.data["creatorAccountId"]
        if self.account_id not in (creator, receiver_account):
            raise AccessDeniedException(
                f"Only the member who trained {trained_model_arn} (account {creator}) or the "
                f"receiving member can export it; account {self.account_id} is neither"
            )
        member = "outputConfiguration.members.1.accountId"
        receiver = self.check_receiver(
            collaboration, receiver_account, memberships.CAN_RECEIVE_MODEL_OUTPUT, member
        )
        configuration = self.ml_configuration_of(receiver.membership_id)
        if configuration is None:
            raise ValidationException(
                f"{member}: the receiving member {receiver_account} has no ML configuration "
                f"in collaboration {collaboration} (PutMLConfiguration)"
            )
        s3_uri = (
            configuration.data["defaultOutputLocation"]
            .get("destination", {})
            .get("s3Destination", {})
            .get("s3Uri")
        )
        if not s3_uri:
            raise ValidationException(
                f"{member}: the ML configuration of the receiving member {receiver_account} "
                "has no destination (defaultOutputLocation.destination.s3Destination) for "
                "exported model artifacts"
            )
        version = self.model_version(
            model,
            trained_model_version_identifier,
            latest=True,
            member="trainedModelVersionIdentifier",
        )
        association_arn = version.data["configuredModelAlgorithmAssociationArn"]
        _, association = self.find_anywhere(
            "configured-model-algorithm-association",
            association_arn,
            "Configured model algorithm association",
        )
        policy = (
            (association.data.get("privacyConfiguration") or {})
            .get("policies", {})
            .get("trainedModelExports")
        )
        if policy is None:
            raise ValidationException(
                f"trainedModelArn: configured model algorithm association {association_arn} "
                "has no trainedModelExports privacy policy, so its models cannot be exported"
            )
        version_id = version.data.get("versionIdentifier")
        if version.status != "ACTIVE":
            raise ConflictException(
                f"{NOUN} {trained_model_arn} version {version_id or '(base)'} is "
                f"{version.status}, not ACTIVE"
            )
        job_key = key(trained_model_arn, version_id, name)
        if any(
            not found.removed
            for found in (b.tables.get(KIND, {}).get(job_key) for b in self.region_backends())
            if found is not None
        ):
            raise ConflictException(
                f"An export job named '{name}' already exists for trained model "
                f"{trained_model_arn} version {version_id or '(base)'}"
            )
        self.new_record(
            KIND,
            job_key,
            {
                "name": name,
                "trainedModelArn": trained_model_arn,
                "trainedModelVersionIdentifier": version_id,
                "membershipIdentifier": membership_identifier,
                "collaborationIdentifier": collaboration,
                "creatorAccountId": self.account_id,
                "outputConfiguration": output_configuration,
                "description": description,
                # not in any output shape: what the export writes, and where
                "filesToExport": policy["filesToExport"],
                "maxSize": policy["maxSize"],
                "outputLocation": (
                    f"{s3_uri.rstrip('/')}/{collaboration}/{model.name}/{self.account_id}/{name}"
                ),
            },
            path=CREATE_PATH,
            taggable=False,
            cls=TrainedModelExportJobRecord,
            output_role=configuration.data["defaultOutputLocation"]["roleArn"],
        )

    def list_collaboration_trained_model_export_jobs(
        self,
        *,
        collaboration_identifier: str,
        trained_model_arn: str,
        trained_model_version_identifier: str | None = None,
    ) -> dict[str, Any]:
        self.collaboration_access(collaboration_identifier)
        return {
            "collaborationTrainedModelExportJobs": self.collaboration_listing(
                KIND,
                collaboration_identifier,
                trainedModelArn=trained_model_arn,
                trainedModelVersionIdentifier=trained_model_version_identifier,
            )
        }
