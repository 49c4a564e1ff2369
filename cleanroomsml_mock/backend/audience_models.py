"""Audience models: lookalike models trained on a training dataset (API reference:
CreateAudienceModel,
https://docs.aws.amazon.com/cleanrooms-ml/latest/APIReference/API_CreateAudienceModel.html;
docs/lookalike.md, "Audience models").

Create starts the training job (CREATE_PENDING -> CREATE_IN_PROGRESS -> ACTIVE); delete
walks DELETE_PENDING -> DELETE_IN_PROGRESS and then the record is gone.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from .. import quotas
from ..errors import ConflictException, ValidationException
from ..lifecycle import CREATE_PATH, DELETE_AND_REMOVE_PATH
from ..moto_link import MissingInput
from ..records import Host, Record, record_type
from ._base import BackendBase
from ._index import StatusCount, listed_by, status_count
from .training_datasets import read_training_data

KIND = "audience-model"
NOUN = "Audience model"
TRAINING_DATASET = "training-dataset"
CONFIGURED_AUDIENCE_MODEL = "configured-audience-model"

# DeleteAudienceModel's "in use" check: the configured audience models of an audience model
listed_by(CONFIGURED_AUDIENCE_MODEL, "audienceModelArn")
status_count(
    quotas.PENDING_AUDIENCE_MODELS,
    StatusCount(KIND, lambda status: status in quotas.PENDING_STATES),
)


@record_type
@dataclass(eq=False, repr=False)
class AudienceModelRecord(Record):
    """An audience model: trained, then deleted and removed. ``m.set_status`` to a status
    on one of these paths carries on from there (docs/lifecycle.md)."""

    paths = (CREATE_PATH, DELETE_AND_REMOVE_PATH)
    resumes = True

    def reached_active(self, host: Host, *, forced: bool) -> None:
        """Training has read the training dataset: with moto consulted, a missing role,
        Glue table or column makes the model CREATE_FAILED instead (docs/moto.md, "Inputs
        the mock reads"). A test forcing ACTIVE says training succeeded: nothing is read."""
        link = host.moto()
        if forced or link is None:
            return
        found = host.locate(self.data["trainingDatasetArn"])
        if found is None:  # a training dataset in use cannot be deleted
            return
        try:
            read_training_data(link, found[1])
        except MissingInput as missing:
            self.fail(host, missing.status_details)


# The paths an audience model walks (a test checks them against the model's enum).
LIFECYCLES = {KIND: AudienceModelRecord.paths}

CREATING = frozenset({"CREATE_PENDING", "CREATE_IN_PROGRESS"})
DELETING = frozenset({"DELETE_PENDING", "DELETE_IN_PROGRESS"})


class AudienceModels(BackendBase):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.audience_models = self.table(KIND)

    def create_audience_model(
        self,
        *,
        name: str,
        training_dataset_arn: str,
        training_data_start_time: _dt.datetime | None = None,
        training_data_end_time: _dt.datetime | None = None,
        kms_key_arn: str | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        if (
            training_data_start_time is not None
            and training_data_end_time is not None
            and training_data_start_time >= training_data_end_time
        ):
            raise ValidationException(
                f"trainingDataStartTime ({training_data_start_time.isoformat()}) must be "
                f"before trainingDataEndTime ({training_data_end_time.isoformat()})"
            )
        self.check_tags(tags)
        self.find(TRAINING_DATASET, training_dataset_arn, "Training dataset")
        self.check_name_free(KIND, name, "audience model")
        self.enforce_quota(
            quotas.PENDING_AUDIENCE_MODELS,
            self.count_status(quotas.PENDING_AUDIENCE_MODELS),
        )
        arn = self.new_arn(f"{KIND}/{self.new_id()}")
        self.new_record(
            KIND,
            arn,
            {
                "audienceModelArn": arn,
                "name": name,
                "trainingDatasetArn": training_dataset_arn,
                "trainingDataStartTime": training_data_start_time,
                "trainingDataEndTime": training_data_end_time,
                "kmsKeyArn": kms_key_arn,
                "description": description,
            },
            path=CREATE_PATH,
            tags=tags,
            cls=AudienceModelRecord,
        )
        return {"audienceModelArn": arn}

    def get_audience_model(self, *, audience_model_arn: str) -> Record:
        return self.read(KIND, audience_model_arn, NOUN)

    def list_audience_models(self) -> dict[str, Any]:
        return {"audienceModels": self.listing_of(KIND)}

    def delete_audience_model(self, *, audience_model_arn: str) -> None:
        record = self.find(KIND, audience_model_arn, NOUN)
        users = [
            configured.arn
            for configured in self.children(
                CONFIGURED_AUDIENCE_MODEL, "audienceModelArn", audience_model_arn
            )
        ]
        if users:
            raise ConflictException(
                f"{NOUN} {audience_model_arn} is used by configured audience model(s) "
                f"{', '.join(users)}; delete them first"
            )
        if record.status in CREATING:
            raise ConflictException(
                f"{NOUN} {audience_model_arn} is {record.status}; it can be deleted once its "
                "training has finished (ACTIVE or CREATE_FAILED)"
            )
        if record.status in DELETING:
            return  # already being deleted: deleting again changes nothing
        record.begin(self, DELETE_AND_REMOVE_PATH)
