"""ML input channels: the private result of a protected query, prepared for training or
inference. Deleting a channel's data leaves the record, INACTIVE (API reference:
CreateMLInputChannel and DeleteMLInputChannelData,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_CreateMLInputChannel.html;
docs/custom-models.md, "ML input channels")."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from .. import ids, memberships, quotas
from ..errors import ConflictException, ValidationException
from ..lifecycle import CREATE_PATH, DELETE_DATA_PATH
from ..records import Host, Record, record_type
from ._collaboration import DELETABLE_STATES, RELEASED_STATES, CollaborationSupport, JobRecord
from ._index import StatusCount, status_count

KIND = "ml-input-channel"
NOUN = "ML input channel"
ASSOCIATION_KIND = "configured-model-algorithm-association"
DEFAULT_RESULT_FORMAT = "CSV"
status_count(
    quotas.ML_INPUT_CHANNELS_PER_MEMBERSHIP,
    StatusCount(KIND, lambda status: status not in RELEASED_STATES, "membershipIdentifier"),
)


@record_type
@dataclass(eq=False, repr=False)
class MLInputChannelRecord(JobRecord):
    """An ML input channel: created, then its data deleted (INACTIVE); never removed.

    Its data is kept ``retentionInDays`` from when it became ACTIVE (API reference,
    CreateMLInputChannel: "The number of days that the data in the ML input channel is
    retained"); then it is gone as after DeleteMLInputChannelData: the channel is INACTIVE
    from that moment, with ``statusDetails`` saying why (docs/custom-models.md, "Data
    retention"). In every lifecycle mode, on the mock's clock.
    """

    paths = (CREATE_PATH, DELETE_DATA_PATH)

    def time_rule_due(self, host: Host) -> _dt.datetime | None:
        track = self.track
        days = self.data.get("retentionInDays")
        if track is None or track.status != "ACTIVE" or not isinstance(days, int):
            return None
        return (track.since or self.create_time) + _dt.timedelta(days=days)

    def time_rules(self, host: Host, now: _dt.datetime) -> None:
        track = self.track
        days = self.data.get("retentionInDays")
        if track is None or track.status != "ACTIVE" or not isinstance(days, int):
            return
        since = track.since or self.create_time
        expiry = since + _dt.timedelta(days=days)
        if now < expiry:
            return
        track.force(
            "INACTIVE",
            {
                "statusCode": "RETENTION_PERIOD_EXPIRED",
                "message": f"The data of the ML input channel was retained for {days} days "
                f"(retentionInDays) and was deleted at {expiry.isoformat()}",
            },
            expiry,
        )
        self.moved(host, "ACTIVE")


def _check_input_channel(input_channel: dict[str, Any]) -> dict[str, Any]:
    """The protected-query rules the model cannot express; returns the channel as stored
    (``resultFormat`` filled in with its default)."""
    params = input_channel["dataSource"].get("protectedQueryInputParameters")
    if params is None:
        raise ValidationException(
            "inputChannel.dataSource: protectedQueryInputParameters is required"
        )
    sql = params["sqlParameters"]
    path = "inputChannel.dataSource.protectedQueryInputParameters.sqlParameters"
    has_query = sql.get("queryString") is not None
    has_template = sql.get("analysisTemplateArn") is not None
    if has_query == has_template:
        raise ValidationException(
            f"{path}: exactly one of queryString and analysisTemplateArn must be given"
        )
    if sql.get("parameters") and not has_template:
        raise ValidationException(
            f"{path}.parameters: parameters can only be given with an analysisTemplateArn"
        )
    if has_query and not str(sql["queryString"]).strip():
        raise ValidationException(f"{path}.queryString: the query must not be blank")
    stored = dict(input_channel)
    stored["dataSource"] = {
        "protectedQueryInputParameters": {
            **params,
            "resultFormat": params.get("resultFormat", DEFAULT_RESULT_FORMAT),
        }
    }
    return stored


class MLInputChannels(CollaborationSupport):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.ml_input_channels = self.table(KIND)

    def create_ml_input_channel(
        self,
        *,
        membership_identifier: str,
        configured_model_algorithm_associations: list[str],
        input_channel: dict[str, Any],
        name: str,
        retention_in_days: int,
        description: str | None = None,
        kms_key_arn: str | None = None,
        tags: dict[str, str] | None = None,
        payer_configuration: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        membership = self.membership(membership_identifier, ability=memberships.CAN_QUERY)
        collaboration = membership.collaboration_id
        for i, association in enumerate(configured_model_algorithm_associations, 1):
            self.find_in_collaboration(
                ASSOCIATION_KIND,
                association,
                "Configured model algorithm association",
                collaboration,
                f"configuredModelAlgorithmAssociations.{i}",
            )
        self.check_role_account(input_channel["roleArn"], "inputChannel.roleArn")
        stored_channel = _check_input_channel(input_channel)
        payer = payer_configuration or {}
        self.check_payer(
            collaboration,
            memberships.QUERY_COMPUTE,
            payer.get("computePayerAccountId"),
            "payerConfiguration.computePayerAccountId",
        )
        self.check_payer(
            collaboration,
            memberships.SYNTHETIC_DATA_GENERATION,
            payer.get("syntheticDataPayerAccountId"),
            "payerConfiguration.syntheticDataPayerAccountId",
        )
        self.check_tags(tags)
        self.check_name_free(KIND, name, "ML input channel", membership_identifier)
        self.enforce_quota(
            quotas.ML_INPUT_CHANNELS_PER_MEMBERSHIP,
            self.count_status(quotas.ML_INPUT_CHANNELS_PER_MEMBERSHIP, membership_identifier),
        )
        arn = self.new_arn(f"membership/{membership_identifier}/{KIND}/{self.new_id()}")
        record = MLInputChannelRecord(
            kind=KIND,
            arn=arn,
            data={
                "mlInputChannelArn": arn,
                "membershipIdentifier": membership_identifier,
                "collaborationIdentifier": collaboration,
                "configuredModelAlgorithmAssociations": configured_model_algorithm_associations,
                "inputChannel": stored_channel,
                "name": name,
                "retentionInDays": retention_in_days,
                "description": description,
                "kmsKeyArn": kms_key_arn,
                "payerConfiguration": payer_configuration,
                "creatorAccountId": self.account_id,
            },
            create_time=self.now(),
            update_time=self.now(),
            tags=dict(tags or {}),
            outputs={
                "protectedQueryIdentifier": ids.new_uuid(),
                "numberOfRecords": 10000,
                "numberOfFiles": 1.0,
                "sizeInGb": 0.1,
            },
        )
        self.store_job(record, CREATE_PATH)
        return {"mlInputChannelArn": arn}

    def get_ml_input_channel(
        self, *, ml_input_channel_arn: str, membership_identifier: str
    ) -> Record:
        self.membership(membership_identifier)
        record = self.find_own(KIND, ml_input_channel_arn, NOUN, membership_identifier)
        record.observe(self)
        return record

    def list_ml_input_channels(self, *, membership_identifier: str) -> dict[str, Any]:
        self.membership(membership_identifier, not_found=False)
        return {
            "mlInputChannelsList": self.listing_of(
                KIND, "membershipIdentifier", membership_identifier
            )
        }

    def delete_ml_input_channel_data(
        self, *, ml_input_channel_arn: str, membership_identifier: str
    ) -> None:
        # any active member of the collaboration may delete a channel's data ("IAM
        # behaviors for Clean Rooms ML Custom Models", see _collaboration.py); the path
        # names the channel's membership or the caller's own
        backend, record = self.find_anywhere(KIND, ml_input_channel_arn, NOUN)
        self.member_may_delete(record, membership_identifier, NOUN)
        if record.status not in DELETABLE_STATES:
            raise ConflictException(
                f"{NOUN} {ml_input_channel_arn} is {record.status}; its data can be deleted "
                f"only when it is {', '.join(sorted(DELETABLE_STATES))}"
            )
        record.begin(backend, DELETE_DATA_PATH)

    # ------------------------------------------------------------ collaboration views

    def get_collaboration_ml_input_channel(
        self, *, ml_input_channel_arn: str, collaboration_identifier: str
    ) -> Record:
        self.collaboration_access(collaboration_identifier)
        backend, record = self.find_collaboration_view(
            KIND, ml_input_channel_arn, NOUN, collaboration_identifier
        )
        record.observe(backend)
        return record

    def list_collaboration_ml_input_channels(
        self, *, collaboration_identifier: str
    ) -> dict[str, Any]:
        self.collaboration_access(collaboration_identifier)
        return {
            "collaborationMLInputChannelsList": self.collaboration_listing(
                KIND, collaboration_identifier
            )
        }
