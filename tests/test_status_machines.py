"""The status machines the record classes carry (records.Record and its subclasses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cleanroomsml_mock import mock_cleanroomsml
from cleanroomsml_mock.backend.audience_jobs import AudienceExportJob, AudienceGenerationJob
from cleanroomsml_mock.backend.audience_models import AudienceModelRecord
from cleanroomsml_mock.backend.configured_audience_models import ConfiguredAudienceModelRecord
from cleanroomsml_mock.backend.inference_jobs import InferenceJobRecord
from cleanroomsml_mock.backend.ml_input_channels import MLInputChannelRecord
from cleanroomsml_mock.backend.trained_model_exports import TrainedModelExportJobRecord
from cleanroomsml_mock.backend.trained_models import TrainedModelVersion
from cleanroomsml_mock.backend.training_datasets import TrainingDatasetRecord
from cleanroomsml_mock.lifecycle import REMOVED, status_enum
from cleanroomsml_mock.records import RECORD_TYPES, Record

from .builders import (
    client_for,
    make_audience_model,
    make_configured_audience_model,
    make_generation_job,
    start_policy,
)

KINDS: dict[type[Record], str] = {
    TrainingDatasetRecord: "training-dataset",
    AudienceModelRecord: "audience-model",
    ConfiguredAudienceModelRecord: "configured-audience-model",
    AudienceGenerationJob: "audience-generation-job",
    AudienceExportJob: "audience-export-job",
    MLInputChannelRecord: "ml-input-channel",
    TrainedModelVersion: "trained-model",
    InferenceJobRecord: "trained-model-inference-job",
    TrainedModelExportJobRecord: "trained-model-export-job",
}


@pytest.mark.parametrize("cls", list(KINDS), ids=lambda cls: cls.__name__)
def test_declared_paths_fit_the_model_enum(cls: type[Record]) -> None:
    assert RECORD_TYPES[cls.__name__] is cls  # saved state can be loaded back into it
    allowed = set(status_enum(KINDS[cls]))
    assert cls.paths
    for path in cls.paths:
        assert {s for s in path if s != REMOVED} <= allowed, path


def test_only_lookalike_kinds_resume_after_set_status() -> None:
    resuming = {cls for cls in KINDS if cls.resumes}
    assert resuming == {AudienceModelRecord, AudienceGenerationJob, AudienceExportJob}


def test_a_cross_account_job_is_one_job_again_after_a_load(tmp_path: Path) -> None:
    owner, starter = "123456789012", "111111111111"
    path = tmp_path / "state.json"
    with mock_cleanroomsml(lifecycle="manual") as m:
        client = client_for(owner)
        model = make_audience_model(client)
        m.set_status(model, "ACTIVE")
        configured = make_configured_audience_model(client, model)
        client.put_configured_audience_model_policy(
            configuredAudienceModelArn=configured,
            configuredAudienceModelPolicy=start_policy(starter, configured),
        )
        job = make_generation_job(
            client_for(starter),
            configured,
            role=f"arn:aws:iam::{starter}:role/r",
            collaborationId="0f4e3a3c-1b2d-4c5e-8f90-123456789abc",
        )
        m.save_state(path)

    def status(arn: str, account: str) -> str:
        got = client_for(account).get_audience_generation_job(audienceGenerationJobArn=arn)
        return str(got["status"])

    copy = job.replace(starter, owner)
    with mock_cleanroomsml(lifecycle="manual") as m:
        m.load_state(path)
        m.advance()  # one step for the one job, not one per ARN
        assert (status(job, starter), status(copy, owner)) == ("CREATE_IN_PROGRESS",) * 2
        m.advance(copy)  # either ARN moves both
        assert (status(job, starter), status(copy, owner)) == ("ACTIVE",) * 2
