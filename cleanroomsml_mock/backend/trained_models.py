"""Trained models: training jobs of a custom model, versioned. All versions share the
model's ARN; each has its own status, configuration and results.

A new version is created by CreateTrainedModel with the name of an existing model of the
same membership and an incremental training channel pointing at that model; the base
version has no version identifier (API reference: CreateTrainedModel,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_CreateTrainedModel.html,
and ListTrainedModelVersions; docs/custom-models.md, "Trained models and versions").

Each version walks its own status paths: created, then its output deleted
(DeleteTrainedModelOutput) or its training cancelled (CancelTrainedModel); without a
version identifier those act on the base version. The model has no status of its own:
it shows its latest version's.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from .. import ids, memberships, quotas
from ..errors import ConflictException, ResourceNotFoundException, ValidationException
from ..lifecycle import CANCEL_PATH, CREATE_PATH, DELETE_DATA_PATH, StatusTrack
from ..moto_link import MissingInput
from ..records import Host, Record, record_type
from ._collaboration import (
    CANCELLABLE_STATES,
    DELETABLE_STATES,
    CollaborationSupport,
    JobRecord,
)
from ._index import StatusCount, status_count

KIND = "trained-model"
NOUN = "Trained model"
ASSOCIATION_KIND = "configured-model-algorithm-association"
ALGORITHM_KIND = "configured-model-algorithm"
CHANNEL_KIND = "ml-input-channel"
MAX_CHANNELS = 20


@record_type
@dataclass(eq=False, repr=False)
class TrainedModelVersion(JobRecord):
    """One version of a trained model (one training job): it is never removed; deleting
    its output or cancelling its training leaves it INACTIVE.

    A training runs at most ``stoppingCondition.maxRuntimeInSeconds`` (API reference,
    StoppingCondition: "The maximum amount of time, in seconds, that model training can
    run before it is terminated"). A version still CREATE_IN_PROGRESS that long after it
    entered that status is terminated: CREATE_FAILED at that moment, with
    ``statusDetails`` naming the limit (the stricter reading: AWS does not say the
    terminated training yields a model; docs/custom-models.md, "Training time limit").
    """

    paths = (CREATE_PATH, DELETE_DATA_PATH, CANCEL_PATH)

    def _deadline(self) -> _dt.datetime | None:
        """When a training in CREATE_IN_PROGRESS reaches its maximum runtime."""
        track = self.track
        limit = (self.data.get("stoppingCondition") or {}).get("maxRuntimeInSeconds")
        if track is None or track.status != "CREATE_IN_PROGRESS" or not isinstance(limit, int):
            return None
        return (track.since or self.create_time) + _dt.timedelta(seconds=limit)

    def time_rule_due(self, host: Host) -> _dt.datetime | None:
        return self._deadline()

    def reached_active(self, host: Host, *, forced: bool) -> None:
        """Training ran with the configured model algorithm's role: with moto consulted, a
        role missing from moto's IAM makes the version CREATE_FAILED instead (docs/moto.md,
        "Roles"). A test forcing ACTIVE says training succeeded: nothing is read."""
        link = host.moto()
        if forced or link is None:
            return
        association = host.locate(self.data["configuredModelAlgorithmAssociationArn"])
        algorithm_arn = (
            association[1].data.get("configuredModelAlgorithmArn") if association else None
        )
        algorithm = host.locate(algorithm_arn) if algorithm_arn else None
        if algorithm is None:  # an algorithm in use cannot be deleted
            return
        try:
            link.check_role(
                algorithm[1].data["roleArn"], f"Configured model algorithm {algorithm_arn} roleArn"
            )
        except MissingInput as missing:
            self.fail(host, missing.status_details)

    def timed_step_allowed(self, host: Host, due: _dt.datetime) -> bool:
        deadline = self._deadline()
        return deadline is None or due <= deadline

    def time_rules(self, host: Host, now: _dt.datetime) -> None:
        deadline = self._deadline()
        if deadline is None or now < deadline or self.track is None:
            return
        limit = self.data["stoppingCondition"]["maxRuntimeInSeconds"]
        self.track.force(
            "CREATE_FAILED",
            {
                "statusCode": "MAX_RUNTIME_EXCEEDED",
                "message": f"Training was terminated after running for {limit} seconds "
                "(stoppingCondition.maxRuntimeInSeconds)",
            },
            deadline,
        )
        self.moved(host, "CREATE_IN_PROGRESS")


@record_type
@dataclass(eq=False, repr=False)
class TrainedModelRecord(Record):
    """A trained model: model-level data and tags, and its versions (oldest first).

    Its status machine is its versions': a read reads the latest version, ``m.set_status``
    moves the latest version (or the one named), ``m.advance`` steps every version.
    """

    versions: list[JobRecord] = field(default_factory=list)

    paths = TrainedModelVersion.paths

    def latest(self) -> JobRecord:
        return self.versions[-1]

    def base(self) -> JobRecord:
        return self.versions[0]

    def version(self, version_id: str | None) -> JobRecord | None:
        """A version by id (``None``: the base version)."""
        if version_id is None:
            return self.base()
        for version in self.versions:
            if version.data.get("versionIdentifier") == version_id:
                return version
        return None

    @property
    def status(self) -> str | None:
        return self.latest().status

    def pick(self, member: str) -> Any:
        return VersionView(self, self.latest()).pick(member)

    def observe(self, host: Host) -> bool:
        self.latest().observe(host)
        return True

    def catch_up(self, host: Host, now: _dt.datetime | None = None) -> bool:
        for version in self.versions:
            version.catch_up(host, now)
        return True

    def next_due(self, host: Host) -> _dt.datetime | None:
        dues = [d for d in (v.next_due(host) for v in self.versions) if d is not None]
        return min(dues) if dues else None

    def set_status(
        self,
        host: Host,
        status: str,
        details: dict[str, Any] | None,
        version: str | None = None,
    ) -> None:
        target = self.latest() if version is None else self.version(version)
        if target is None:
            raise ValueError(f"trained model {self.arn} has no version {version!r}")
        target.set_status(host, status, details)

    def can_advance(self) -> bool:
        return any(version.can_advance() for version in self.versions)

    def advance(self, host: Host) -> None:
        for version in self.versions:
            version.advance(host)


status_count(
    quotas.PENDING_TRAINING_JOBS_PER_MEMBERSHIP,
    StatusCount(
        KIND,
        lambda status: status in quotas.PENDING_STATES,
        "membershipIdentifier",
        parts=lambda model: getattr(model, "versions", ()),
    ),
)


class VersionView:
    """One version of a trained model as the output shapes see it."""

    __slots__ = ("model", "seen", "version")

    def __init__(
        self, model: TrainedModelRecord, version: JobRecord, *, seen: bool = False
    ) -> None:
        self.model = model
        self.version = version
        # already read by the request (a page of it must not advance it a second time)
        self.seen = seen

    def pick(self, member: str) -> Any:
        if member == "tags":
            return self.model.tags
        value = self.version.pick(member)
        if value is not None:
            return value
        return self.model.data.get(member)

    def observe(self, host: Host) -> bool:
        """A read of this version (unless the request has read it already)."""
        if not self.seen:
            self.version.observe(host)
        return True


def _echo(channel: dict[str, Any]) -> dict[str, Any]:
    """An incremental channel as the output shape echoes it."""
    return {k: v for k, v in channel.items() if v is not None and k != "trainedModelArn"}


def image_digest(seed: str) -> str:
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


class TrainedModels(CollaborationSupport):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.trained_models = self.table(KIND)

    # ------------------------------------------------------------ helpers

    def pending_training_jobs(self, membership_id: str | None = None) -> int:
        return self.count_status(quotas.PENDING_TRAINING_JOBS_PER_MEMBERSHIP, membership_id)

    def model_version(
        self, model: Record, version_id: str | None, *, latest: bool, member: str
    ) -> JobRecord:
        """The version a request names, or the latest (``latest``) or base version."""
        assert isinstance(model, TrainedModelRecord)
        if version_id is None and latest:
            return model.latest()
        found = model.version(version_id)
        if found is None:
            raise ResourceNotFoundException(
                f"{member}: version {version_id} of trained model {model.arn} not found"
            )
        return found

    def _own_model(self, arn: str, membership_identifier: str) -> TrainedModelRecord:
        self.membership(membership_identifier)
        model = self.find_own(KIND, arn, NOUN, membership_identifier)
        assert isinstance(model, TrainedModelRecord)
        return model

    def _check_channels(
        self,
        collaboration: str,
        data_channels: list[dict[str, Any]],
        incremental: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Channel rules; returns the incremental channels as the output shape echoes them."""
        names = [c["channelName"] for c in data_channels] + [c["channelName"] for c in incremental]
        if len(names) > MAX_CHANNELS:
            raise ValidationException(
                f"dataChannels and incrementalTrainingDataChannels together may have at most "
                f"{MAX_CHANNELS} channels, got {len(names)}"
            )
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValidationException(
                f"Channel names must be unique within the training job; duplicated: {duplicated}"
            )
        for i, channel in enumerate(data_channels, 1):
            _, record = self.find_in_collaboration(
                CHANNEL_KIND,
                channel["mlInputChannelArn"],
                "ML input channel",
                collaboration,
                f"dataChannels.{i}.mlInputChannelArn",
            )
            if record.status != "ACTIVE":
                raise ConflictException(
                    f"dataChannels.{i}: ML input channel {record.arn} is {record.status}, "
                    "not ACTIVE"
                )
        echoed = []
        for i, channel in enumerate(incremental, 1):
            member = f"incrementalTrainingDataChannels.{i}"
            _, base = self.find_in_collaboration(
                KIND, channel["trainedModelArn"], NOUN, collaboration, f"{member}.trainedModelArn"
            )
            version = self.model_version(
                base, channel.get("versionIdentifier"), latest=True, member=member
            )
            if version.status != "ACTIVE":
                raise ConflictException(
                    f"{member}: trained model {base.arn} version "
                    f"{version.data.get('versionIdentifier', '(base)')} is {version.status}, "
                    "not ACTIVE"
                )
            echoed.append(
                {
                    "channelName": channel["channelName"],
                    "versionIdentifier": version.data.get("versionIdentifier"),
                    "modelName": base.name,
                    "trainedModelArn": base.arn,
                }
            )
        return echoed

    def _results(self, membership_id: str, seed: str, digest_member: str) -> dict[str, Any]:
        """What a finished job reports: image digest and metrics/logs publication."""
        outputs: dict[str, Any] = {digest_member: image_digest(seed)}
        configured = self.ml_configuration_of(membership_id) is not None
        if configured:
            outputs.update(metricsStatus="PUBLISH_SUCCEEDED", logsStatus="PUBLISH_SUCCEEDED")
        else:
            why = f"Membership {membership_id} has no ML configuration to publish to"
            outputs.update(
                metricsStatus="PUBLISH_FAILED",
                metricsStatusDetails=why,
                logsStatus="PUBLISH_FAILED",
                logsStatusDetails=why,
            )
        return outputs

    # ------------------------------------------------------------ operations

    def create_trained_model(
        self,
        *,
        membership_identifier: str,
        name: str,
        configured_model_algorithm_association_arn: str,
        resource_config: dict[str, Any],
        data_channels: list[dict[str, Any]],
        hyperparameters: dict[str, str] | None = None,
        environment: dict[str, str] | None = None,
        stopping_condition: dict[str, Any] | None = None,
        incremental_training_data_channels: list[dict[str, Any]] | None = None,
        training_input_mode: str | None = None,
        description: str | None = None,
        kms_key_arn: str | None = None,
        tags: dict[str, str] | None = None,
        ml_model_training_payer_account_id: str | None = None,
    ) -> dict[str, Any]:
        membership = self.membership(membership_identifier, ability=memberships.CAN_QUERY)
        collaboration = membership.collaboration_id
        association_arn = configured_model_algorithm_association_arn
        _, association = self.find_in_collaboration(
            ASSOCIATION_KIND,
            association_arn,
            "Configured model algorithm association",
            collaboration,
            "configuredModelAlgorithmAssociationArn",
        )
        _, algorithm = self.find_anywhere(
            ALGORITHM_KIND,
            association.data["configuredModelAlgorithmArn"],
            "Configured model algorithm",
        )
        if not algorithm.data.get("trainingContainerConfig"):
            raise ValidationException(
                f"configuredModelAlgorithmAssociationArn: configured model algorithm "
                f"{algorithm.arn} has no trainingContainerConfig"
            )
        incremental = incremental_training_data_channels or []
        echoed = self._check_channels(collaboration, data_channels, incremental)
        self.check_payer(
            collaboration,
            memberships.MODEL_TRAINING,
            ml_model_training_payer_account_id,
            "mlModelTrainingPayerAccountId",
        )
        # the name is unique in the collaboration, except for a new version of a model
        target: TrainedModelRecord | None = None
        same_name = [r for b in self.region_backends() for r in b.named(KIND, name)]
        for other in same_name:
            if other.removed or other.data.get("collaborationIdentifier") != collaboration:
                continue
            if (
                other.data["membershipIdentifier"] == membership_identifier
                and isinstance(other, TrainedModelRecord)
                and any(c["trainedModelArn"] == other.arn for c in echoed)
            ):
                target = other
                continue
            raise ConflictException(
                f"A trained model named '{name}' already exists in collaboration "
                f"{collaboration}; to train a new version of it, pass it in "
                "incrementalTrainingDataChannels"
            )
        self.check_tags(tags, target.tags if target is not None else None)
        self.enforce_quota(
            quotas.PENDING_TRAINING_JOBS_PER_MEMBERSHIP,
            self.pending_training_jobs(membership_identifier),
        )
        self.enforce_quota(quotas.PENDING_TRAINING_JOBS_PER_ACCOUNT, self.pending_training_jobs())
        t = self.now()
        arn = (
            target.arn
            if target is not None
            else self.new_arn(f"membership/{membership_identifier}/{KIND}/{self.new_id()}")
        )
        version_id = ids.new_uuid() if target is not None else None
        version = TrainedModelVersion(
            kind=KIND,
            arn=arn,
            data={
                k: v
                for k, v in {
                    "versionIdentifier": version_id,
                    "configuredModelAlgorithmAssociationArn": association_arn,
                    "resourceConfig": resource_config,
                    "dataChannels": data_channels,
                    "hyperparameters": hyperparameters,
                    "environment": environment,
                    "stoppingCondition": stopping_condition,
                    "incrementalTrainingDataChannels": [_echo(c) for c in echoed] or None,
                    "trainingInputMode": training_input_mode,
                    "description": description,
                    "kmsKeyArn": kms_key_arn,
                    "mlModelTrainingPayerAccountId": ml_model_training_payer_account_id,
                }.items()
                if v is not None
            },
            create_time=t,
            update_time=t,
            track=StatusTrack.starting(CREATE_PATH, self.lifecycle, t),
            taggable=False,
            outputs=self._results(
                membership_identifier, f"{arn}/{version_id}", "trainingContainerImageDigest"
            ),
        )
        if target is not None:
            target.versions.append(version)
            target.tags.update(tags or {})
            self.touch(target)
            self.recount(target)
            self.schedule(version)
        else:
            model = TrainedModelRecord(
                kind=KIND,
                arn=arn,
                data={
                    "trainedModelArn": arn,
                    "name": name,
                    "membershipIdentifier": membership_identifier,
                    "collaborationIdentifier": collaboration,
                    "configuredModelAlgorithmAssociationArn": association_arn,
                    "creatorAccountId": self.account_id,
                },
                create_time=t,
                update_time=t,
                tags=dict(tags or {}),
                versions=[version],
            )
            self.store(model)
        if version.status == "ACTIVE":  # immediate mode: born at the end of its create path
            version.reached_active(self, forced=False)
        return {"trainedModelArn": arn, "versionIdentifier": version_id}

    def get_trained_model(
        self,
        *,
        trained_model_arn: str,
        membership_identifier: str,
        version_identifier: str | None = None,
    ) -> VersionView:
        model = self._own_model(trained_model_arn, membership_identifier)
        version = self.model_version(
            model, version_identifier, latest=True, member="versionIdentifier"
        )
        version.observe(self)
        return VersionView(model, version)

    def list_trained_models(self, *, membership_identifier: str) -> dict[str, Any]:
        self.membership(membership_identifier, not_found=False)
        return {
            "trainedModels": self.listing_of(KIND, "membershipIdentifier", membership_identifier)
        }

    def list_trained_model_versions(
        self,
        *,
        membership_identifier: str,
        trained_model_arn: str,
        status: str | None = None,
    ) -> dict[str, Any]:
        model = self._own_model(trained_model_arn, membership_identifier)
        if status is None:
            return {"trainedModels": self.listing(VersionView(model, v) for v in model.versions)}
        # the filter applies to the statuses this read shows: read first, then filter
        for version in model.versions:
            version.observe(self)
        return {
            "trainedModels": self.listing(
                VersionView(model, v, seen=True) for v in model.versions if v.status == status
            )
        }

    def cancel_trained_model(
        self,
        *,
        membership_identifier: str,
        trained_model_arn: str,
        version_identifier: str | None = None,
    ) -> None:
        model = self._own_model(trained_model_arn, membership_identifier)
        version = self.model_version(
            model, version_identifier, latest=False, member="versionIdentifier"
        )
        if version.status not in CANCELLABLE_STATES:
            raise ConflictException(
                f"{NOUN} {trained_model_arn} version "
                f"{version.data.get('versionIdentifier', '(base)')} is {version.status}; only "
                "a pending or running training job can be cancelled"
            )
        version.begin(self, CANCEL_PATH)

    def delete_trained_model_output(
        self,
        *,
        trained_model_arn: str,
        membership_identifier: str,
        version_identifier: str | None = None,
    ) -> None:
        # any active member of the collaboration may delete a model's output ("IAM
        # behaviors for Clean Rooms ML Custom Models", see _collaboration.py)
        backend, model = self.find_anywhere(KIND, trained_model_arn, NOUN)
        self.member_may_delete(model, membership_identifier, NOUN)
        version = self.model_version(
            model, version_identifier, latest=False, member="versionIdentifier"
        )
        if version.status not in DELETABLE_STATES:
            raise ConflictException(
                f"{NOUN} {trained_model_arn} version "
                f"{version.data.get('versionIdentifier', '(base)')} is {version.status}; its "
                f"output can be deleted only when it is {', '.join(sorted(DELETABLE_STATES))}"
            )
        version.begin(backend, DELETE_DATA_PATH)

    # ------------------------------------------------------------ collaboration views

    def get_collaboration_trained_model(
        self,
        *,
        trained_model_arn: str,
        collaboration_identifier: str,
        version_identifier: str | None = None,
    ) -> VersionView:
        self.collaboration_access(collaboration_identifier)
        _, model = self.find_collaboration_view(
            KIND, trained_model_arn, NOUN, collaboration_identifier
        )
        assert isinstance(model, TrainedModelRecord)
        version = self.model_version(
            model, version_identifier, latest=True, member="versionIdentifier"
        )
        version.observe(self)
        return VersionView(model, version)

    def list_collaboration_trained_models(self, *, collaboration_identifier: str) -> dict[str, Any]:
        self.collaboration_access(collaboration_identifier)
        return {
            "collaborationTrainedModels": self.collaboration_listing(KIND, collaboration_identifier)
        }
