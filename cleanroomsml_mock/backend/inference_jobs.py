"""Trained model inference jobs: a trained model version run over an ML input channel,
its output sent to the members the output configuration names. No delete; cancel while
pending or running (API reference: StartTrainedModelInferenceJob,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_StartTrainedModelInferenceJob.html;
docs/custom-models.md, "Inference jobs")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import memberships, quotas
from ..errors import ConflictException, ValidationException
from ..lifecycle import CANCEL_PATH, CREATE_PATH
from ..moto_link import MissingInput
from ..outputs import Destination, inference_files, write
from ..records import Host, Record, record_type
from ._collaboration import CANCELLABLE_STATES, CollaborationSupport, JobRecord
from ._index import StatusCount, listed_by, status_count
from .trained_models import TrainedModels

KIND = "trained-model-inference-job"
NOUN = "Trained model inference job"
status_count(
    quotas.PENDING_INFERENCE_JOBS_PER_MEMBERSHIP,
    StatusCount(KIND, lambda status: status in quotas.PENDING_STATES, "membershipIdentifier"),
)

# the List operations' filters: by trained model, its version, or both, in a membership or
# a collaboration
for _parent in ("membershipIdentifier", "collaborationIdentifier"):
    listed_by(KIND, _parent, "trainedModelArn")
    listed_by(KIND, _parent, "trainedModelVersionIdentifier")
    listed_by(KIND, _parent, "trainedModelArn", "trainedModelVersionIdentifier")


@record_type
@dataclass(eq=False, repr=False)
class InferenceJobRecord(JobRecord):
    """An inference job: created, or cancelled (INACTIVE); never removed."""

    model_name: str = ""  # the trained model's name (a part of the output location)

    paths = (CREATE_PATH, CANCEL_PATH)

    def reached_active(self, host: Host, *, forced: bool) -> None:
        """The results are written for each member the output configuration names, under
        that member's ML configuration location (user guide, "Running inference on a
        trained model": s3Uri/collaborationId/trainedModelName/callerAccountId/jobName),
        with that configuration's role (docs/moto.md, "Outputs the mock writes")."""
        if host.moto() is None:
            return  # moto is not consulted: nothing to work out
        if not isinstance(host, CollaborationSupport):
            return
        data = self.data
        collaboration = data["collaborationIdentifier"]
        caller = data["creatorAccountId"]
        model_name = self.model_name or data["trainedModelArn"].rsplit("/", 1)[-1]
        found = host.locate(data["dataSource"]["mlInputChannelArn"])
        channel = found[1] if found is not None else None
        records = channel.outputs.get("numberOfRecords") if isinstance(channel, JobRecord) else None
        destinations: list[Destination | MissingInput] = []
        for member in data["outputConfiguration"]["members"]:
            account = member["accountId"]
            membership = host.member_account(collaboration, account)
            configuration = (
                host.ml_configuration_of(membership.membership_id)
                if membership is not None
                else None
            )
            location = configuration.data["defaultOutputLocation"] if configuration else {}
            s3_uri = location.get("destination", {}).get("s3Destination", {}).get("s3Uri")
            if not s3_uri:
                destinations.append(
                    MissingInput(
                        "MLConfigurationNotFound",
                        f"member {account} has no ML configuration with an S3 destination in "
                        f"collaboration {collaboration}: the inference results have nowhere "
                        "to go (PutMLConfiguration)",
                    )
                )
                continue
            destinations.append(
                Destination(
                    f"{s3_uri.rstrip('/')}/{collaboration}/{model_name}/{caller}/{self.name}/",
                    location.get("roleArn"),
                    "the defaultOutputLocation.roleArn of the ML configuration of member "
                    f"{account},",
                    lambda: inference_files(
                        self.arn,
                        job_arn=self.arn,
                        accept=data["outputConfiguration"].get("accept"),
                        input_records=records if isinstance(records, int) else None,
                    ),
                )
            )
        write(self, host, caller, destinations, forced=forced)


class TrainedModelInferenceJobs(TrainedModels):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.inference_jobs = self.table(KIND)

    def _pending_inference_jobs(self, membership_id: str | None = None) -> int:
        return self.count_status(quotas.PENDING_INFERENCE_JOBS_PER_MEMBERSHIP, membership_id)

    def start_trained_model_inference_job(
        self,
        *,
        membership_identifier: str,
        name: str,
        trained_model_arn: str,
        resource_config: dict[str, Any],
        output_configuration: dict[str, Any],
        data_source: dict[str, Any],
        trained_model_version_identifier: str | None = None,
        configured_model_algorithm_association_arn: str | None = None,
        description: str | None = None,
        container_execution_parameters: dict[str, Any] | None = None,
        environment: dict[str, str] | None = None,
        kms_key_arn: str | None = None,
        tags: dict[str, str] | None = None,
        ml_model_inference_payer_account_id: str | None = None,
    ) -> dict[str, Any]:
        membership = self.membership(membership_identifier, ability=memberships.CAN_QUERY)
        collaboration = membership.collaboration_id
        _, model = self.find_in_collaboration(
            "trained-model", trained_model_arn, "Trained model", collaboration, "trainedModelArn"
        )
        version = self.model_version(
            model,
            trained_model_version_identifier,
            latest=True,
            member="trainedModelVersionIdentifier",
        )
        if version.status != "ACTIVE":
            raise ConflictException(
                f"trainedModelArn: trained model {trained_model_arn} version "
                f"{version.data.get('versionIdentifier', '(base)')} is {version.status}, not ACTIVE"
            )
        association_arn = (
            configured_model_algorithm_association_arn
            or version.data["configuredModelAlgorithmAssociationArn"]
        )
        _, association = self.find_in_collaboration(
            "configured-model-algorithm-association",
            association_arn,
            "Configured model algorithm association",
            collaboration,
            "configuredModelAlgorithmAssociationArn",
        )
        _, algorithm = self.find_anywhere(
            "configured-model-algorithm",
            association.data["configuredModelAlgorithmArn"],
            "Configured model algorithm",
        )
        if not algorithm.data.get("inferenceContainerConfig"):
            raise ValidationException(
                f"configuredModelAlgorithmAssociationArn: configured model algorithm "
                f"{algorithm.arn} has no inferenceContainerConfig"
            )
        _, channel = self.find_in_collaboration(
            "ml-input-channel",
            data_source["mlInputChannelArn"],
            "ML input channel",
            collaboration,
            "dataSource.mlInputChannelArn",
        )
        if channel.status != "ACTIVE":
            raise ConflictException(
                f"dataSource.mlInputChannelArn: ML input channel {channel.arn} is "
                f"{channel.status}, not ACTIVE"
            )
        for i, receiver in enumerate(output_configuration["members"], 1):
            self.check_receiver(
                collaboration,
                receiver["accountId"],
                memberships.CAN_RECEIVE_INFERENCE_OUTPUT,
                f"outputConfiguration.members.{i}.accountId",
            )
        self.check_payer(
            collaboration,
            memberships.MODEL_INFERENCE,
            ml_model_inference_payer_account_id,
            "mlModelInferencePayerAccountId",
        )
        self.check_tags(tags)
        self.check_name_free(KIND, name, "trained model inference job", membership_identifier)
        self.enforce_quota(
            quotas.PENDING_INFERENCE_JOBS_PER_MEMBERSHIP,
            self._pending_inference_jobs(membership_identifier),
        )
        self.enforce_quota(
            quotas.PENDING_INFERENCE_JOBS_PER_ACCOUNT, self._pending_inference_jobs()
        )
        arn = self.new_arn(f"membership/{membership_identifier}/{KIND}/{self.new_id()}")
        outputs = self._results(membership_identifier, arn, "inferenceContainerImageDigest")
        t = self.now()
        record = InferenceJobRecord(
            kind=KIND,
            arn=arn,
            data={
                "trainedModelInferenceJobArn": arn,
                "membershipIdentifier": membership_identifier,
                "collaborationIdentifier": collaboration,
                "name": name,
                "trainedModelArn": trained_model_arn,
                "trainedModelVersionIdentifier": version.data.get("versionIdentifier"),
                "configuredModelAlgorithmAssociationArn": association_arn,
                "resourceConfig": resource_config,
                "outputConfiguration": output_configuration,
                "dataSource": data_source,
                "description": description,
                "containerExecutionParameters": container_execution_parameters,
                "environment": environment,
                "kmsKeyArn": kms_key_arn,
                "mlModelInferencePayerAccountId": ml_model_inference_payer_account_id,
                "creatorAccountId": self.account_id,
            },
            create_time=t,
            update_time=t,
            tags=dict(tags or {}),
            outputs=outputs,
            model_name=model.name,
        )
        self.store_job(record, CREATE_PATH)
        return {"trainedModelInferenceJobArn": arn}

    def get_trained_model_inference_job(
        self, *, membership_identifier: str, trained_model_inference_job_arn: str
    ) -> Record:
        self.membership(membership_identifier)
        record = self.find_own(KIND, trained_model_inference_job_arn, NOUN, membership_identifier)
        record.observe(self)
        return record

    def list_trained_model_inference_jobs(
        self,
        *,
        membership_identifier: str,
        trained_model_arn: str | None = None,
        trained_model_version_identifier: str | None = None,
    ) -> dict[str, Any]:
        self.membership(membership_identifier, not_found=False)
        return {
            "trainedModelInferenceJobs": self.listing_of(
                KIND, "membershipIdentifier", membership_identifier
            )
            if trained_model_arn is None and trained_model_version_identifier is None
            else self.listing_by(
                KIND,
                membershipIdentifier=membership_identifier,
                trainedModelArn=trained_model_arn,
                trainedModelVersionIdentifier=trained_model_version_identifier,
            )
        }

    def cancel_trained_model_inference_job(
        self, *, membership_identifier: str, trained_model_inference_job_arn: str
    ) -> None:
        self.membership(membership_identifier)
        record = self.find_own(KIND, trained_model_inference_job_arn, NOUN, membership_identifier)
        if record.status not in CANCELLABLE_STATES:
            raise ConflictException(
                f"{NOUN} {trained_model_inference_job_arn} is {record.status}; only a pending "
                "or running inference job can be cancelled"
            )
        record.begin(self, CANCEL_PATH)

    def list_collaboration_trained_model_inference_jobs(
        self,
        *,
        collaboration_identifier: str,
        trained_model_arn: str | None = None,
        trained_model_version_identifier: str | None = None,
    ) -> dict[str, Any]:
        self.collaboration_access(collaboration_identifier)
        return {
            "collaborationTrainedModelInferenceJobs": self.collaboration_listing(
                KIND,
                collaboration_identifier,
                trainedModelArn=trained_model_arn,
                trainedModelVersionIdentifier=trained_model_version_identifier,
            )
        }
