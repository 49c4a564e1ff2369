from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml

from .builders import (
    ACCOUNT,
    OUTPUT_S3,
    REGION,
    client_for,
    make_audience_model,
    make_configured_audience_model,
    make_generation_job,
    start_policy,
)

pytestmark = pytest.mark.usefixtures("only_declared_errors")

SIZE = {"type": "ABSOLUTE", "value": 5000}


def export(client: Any, job: str, name: str = "export", **overrides: Any) -> None:
    kwargs: dict[str, Any] = {
        "name": name,
        "audienceGenerationJobArn": job,
        "audienceSize": SIZE,
    }
    kwargs.update(overrides)
    client.start_audience_export_job(**kwargs)


def exports(client: Any, **filters: Any) -> list[dict[str, Any]]:
    return list(client.list_audience_export_jobs(**filters)["audienceExportJobs"])


@pytest.fixture
def job(client: Any) -> str:
    return make_generation_job(client, make_configured_audience_model(client))


@pytest.fixture
def manual() -> Iterator[CleanRoomsMLMock]:
    with mock_cleanroomsml(lifecycle="manual") as handle:
        yield handle


def manual_job(client: Any, mock: CleanRoomsMLMock, **overrides: Any) -> str:
    model = make_audience_model(client)
    mock.set_status(model, "ACTIVE")
    arn = make_generation_job(client, make_configured_audience_model(client, model, **overrides))
    mock.set_status(arn, "ACTIVE")
    return arn


def test_start_and_list(client: Any, job: str) -> None:
    response = client.start_audience_export_job(
        name="top-5k", audienceGenerationJobArn=job, audienceSize=SIZE, description="d"
    )
    assert set(response) == {"ResponseMetadata"}  # the operation has no output
    [listed] = exports(client)
    assert listed["name"] == "top-5k"
    assert listed["audienceGenerationJobArn"] == job
    assert listed["audienceSize"] == SIZE
    assert listed["description"] == "d"
    assert listed["status"] == "ACTIVE"
    job_id = job.rsplit("/", 1)[-1]
    assert listed["outputLocation"].startswith(f"{OUTPUT_S3}{job_id}/top-5k/")
    assert listed["createTime"] <= listed["updateTime"]


def test_output_location_appears_once_active(client: Any, manual: CleanRoomsMLMock) -> None:
    arn = manual_job(client, manual)
    export(client, arn, name="e")
    [listed] = exports(client)
    assert listed["status"] == "CREATE_PENDING" and "outputLocation" not in listed
    manual.advance(manual.audience_export_job_arn(arn, "e"))
    assert exports(client)[0]["status"] == "CREATE_IN_PROGRESS"
    manual.advance(manual.audience_export_job_arn(arn, "e"))
    [listed] = exports(client)
    assert listed["status"] == "ACTIVE"
    assert listed["outputLocation"].startswith(OUTPUT_S3)


def test_export_failure_can_be_injected(client: Any, manual: CleanRoomsMLMock) -> None:
    arn = manual_job(client, manual)
    export(client, arn, name="e")
    manual.set_status(
        manual.audience_export_job_arn(arn, "e"), "CREATE_FAILED", status_code="S3", message="no"
    )
    [listed] = exports(client)
    assert listed["status"] == "CREATE_FAILED"
    assert listed["statusDetails"] == {"statusCode": "S3", "message": "no"}
    assert "outputLocation" not in listed
    with pytest.raises(ValueError, match="DELETE_PENDING"):
        manual.set_status(manual.audience_export_job_arn(arn, "e"), "DELETE_PENDING")


def test_size_must_be_a_configured_bin(client: Any, job: str) -> None:
    for size in ({"type": "ABSOLUTE", "value": 4999}, {"type": "PERCENTAGE", "value": 5000}):
        with pytest.raises(client.exceptions.ValidationException) as exc:
            export(client, job, audienceSize=size)
        assert "audienceSize" in str(exc.value)
    assert exports(client) == []


def test_no_size_matches_when_the_model_has_no_bins(client: Any) -> None:
    # audienceSize "Must match one of the sizes in the configured audience model"
    # (StartAudienceExportJob): with none configured nothing matches, the stricter reading
    # (docs/lookalike.md, "Audience export jobs")
    model = make_audience_model(client)
    bare = client.create_configured_audience_model(
        name="bare",
        audienceModelArn=model,
        outputConfig={
            "destination": {"s3Destination": {"s3Uri": OUTPUT_S3}},
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
        },
        sharedAudienceMetrics=["ALL"],
    )["configuredAudienceModelArn"]
    arn = make_generation_job(client, bare)
    got = client.get_audience_generation_job(audienceGenerationJobArn=arn)
    assert got["metrics"]["relevanceMetrics"] == []
    with pytest.raises(client.exceptions.ValidationException) as exc:
        export(client, arn, audienceSize={"type": "PERCENTAGE", "value": 7})
    assert "audienceSizeConfig" in str(exc.value)
    # a percentage is still a percentage (docs/lookalike.md)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        export(client, arn, name="too-big", audienceSize={"type": "PERCENTAGE", "value": 101})
    assert "audienceSize" in str(exc.value) and "100" in str(exc.value)
    assert exports(client) == []


def test_generation_job_must_exist(client: Any) -> None:
    missing = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:audience-generation-job/nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        export(client, missing)
    assert missing in str(exc.value)


def test_generation_job_must_be_active(client: Any, manual: CleanRoomsMLMock) -> None:
    model = make_audience_model(client)
    manual.set_status(model, "ACTIVE")
    arn = make_generation_job(client, make_configured_audience_model(client, model))
    with pytest.raises(client.exceptions.ConflictException) as exc:
        export(client, arn)
    assert "CREATE_PENDING" in str(exc.value)
    manual.set_status(arn, "ACTIVE")
    export(client, arn)


def test_duplicate_name_per_generation_job_conflicts(client: Any) -> None:
    configured = make_configured_audience_model(client)
    first = make_generation_job(client, configured, name="one")
    second = make_generation_job(client, configured, name="two")
    export(client, first, name="same")
    with pytest.raises(client.exceptions.ConflictException) as exc:
        export(client, first, name="same")
    assert "same" in str(exc.value)
    export(client, second, name="same")  # another generation job: fine


def test_list_filters_by_generation_job_and_paginates(client: Any) -> None:
    configured = make_configured_audience_model(client)
    first = make_generation_job(client, configured, name="one")
    second = make_generation_job(client, configured, name="two")
    for i in range(3):
        export(client, first, name=f"e{i}")
    export(client, second, name="other")
    assert [e["name"] for e in exports(client)] == ["e0", "e1", "e2", "other"]
    assert [e["name"] for e in exports(client, audienceGenerationJobArn=second)] == ["other"]
    pages = client.get_paginator("list_audience_export_jobs").paginate(
        audienceGenerationJobArn=first, PaginationConfig={"PageSize": 2}
    )
    assert [[e["name"] for e in p["audienceExportJobs"]] for p in pages] == [["e0", "e1"], ["e2"]]


def test_deleting_the_generation_job_drops_its_exports(client: Any, job: str) -> None:
    export(client, job)
    client.delete_audience_generation_job(audienceGenerationJobArn=job)
    assert exports(client) == []


def test_delete_while_an_export_runs_conflicts(client: Any, manual: CleanRoomsMLMock) -> None:
    arn = manual_job(client, manual)
    export(client, arn, name="e")
    with pytest.raises(client.exceptions.ConflictException) as exc:
        client.delete_audience_generation_job(audienceGenerationJobArn=arn)
    assert "e" in str(exc.value)
    manual.set_status(manual.audience_export_job_arn(arn, "e"), "ACTIVE")
    client.delete_audience_generation_job(audienceGenerationJobArn=arn)


def test_export_jobs_are_not_taggable(client: Any, job: str) -> None:
    export(client, job, name="e")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_tags_for_resource(
            resourceArn=CleanRoomsMLMock.audience_export_job_arn(job, "e")
        )


def test_both_accounts_export_with_their_own_arn() -> None:
    with mock_cleanroomsml():
        owner = boto3.client("cleanroomsml", region_name=REGION)
        seeder = client_for("111111111111")
        configured = make_configured_audience_model(owner)
        owner.put_configured_audience_model_policy(
            configuredAudienceModelArn=configured,
            configuredAudienceModelPolicy=start_policy("111111111111", configured),
        )
        arn = make_generation_job(
            seeder,
            configured,
            role="arn:aws:iam::111111111111:role/r",
            collaborationId="0f4e3a3c-1b2d-4c5e-8f90-123456789abc",
        )
        owner_arn = arn.replace(":111111111111:", f":{ACCOUNT}:")
        export(seeder, arn, name="mine")
        export(owner, owner_arn, name="theirs")
        with pytest.raises(seeder.exceptions.ResourceNotFoundException):
            export(seeder, owner_arn)
        assert [e["name"] for e in exports(seeder)] == ["mine"]
        assert [e["name"] for e in exports(owner)] == ["theirs"]
        assert exports(seeder)[0]["outputLocation"].startswith(OUTPUT_S3)
        seeder.delete_audience_generation_job(audienceGenerationJobArn=arn)
        assert exports(owner) == [] and exports(seeder) == []
