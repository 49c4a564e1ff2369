"""Service quotas of the lookalike half (docs/lifecycle.md, "Quotas"): 402 with quotaName
and quotaValue, counting only resources in the states each quota names, values changeable
per mock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml, quotas

from .builders import (
    REGION,
    client_for,
    make_audience_model,
    make_configured_audience_model,
    make_generation_job,
    make_training_dataset,
    start_policy,
)

pytestmark = pytest.mark.usefixtures("only_declared_errors")

SIZE = {"type": "ABSOLUTE", "value": 1000}


@pytest.fixture
def manual() -> Iterator[CleanRoomsMLMock]:
    with mock_cleanroomsml(lifecycle="manual") as handle:
        yield handle


@pytest.fixture
def mclient(manual: CleanRoomsMLMock) -> Any:
    return boto3.client("cleanroomsml", region_name=REGION)


def assert_quota(exc: pytest.ExceptionInfo[ClientError], name: str, value: float) -> None:
    response = exc.value.response
    assert response["Error"]["Code"] == "ServiceQuotaExceededException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert response["quotaName"] == name
    assert response["quotaValue"] == value
    assert name in response["Error"]["Message"]


def test_two_pending_audience_models_per_account(mclient: Any, manual: CleanRoomsMLMock) -> None:
    dataset = make_training_dataset(mclient)
    first = make_audience_model(mclient, dataset, name="a")
    make_audience_model(mclient, dataset, name="b")
    with pytest.raises(mclient.exceptions.ServiceQuotaExceededException) as exc:
        make_audience_model(mclient, dataset, name="c")
    assert_quota(exc, quotas.PENDING_AUDIENCE_MODELS, 2)
    manual.set_status(first, "ACTIVE")  # no longer pending: frees a slot
    make_audience_model(mclient, dataset, name="c")


def test_finished_models_do_not_count(client: Any) -> None:
    dataset = make_training_dataset(client)
    for i in range(5):
        make_audience_model(client, dataset, name=f"m{i}")


def test_quota_can_be_raised_per_mock(mclient: Any, manual: CleanRoomsMLMock) -> None:
    manual.set_quota(quotas.PENDING_AUDIENCE_MODELS, 4)
    dataset = make_training_dataset(mclient)
    for i in range(4):
        make_audience_model(mclient, dataset, name=f"m{i}")
    with pytest.raises(mclient.exceptions.ServiceQuotaExceededException) as exc:
        make_audience_model(mclient, dataset, name="m4")
    assert_quota(exc, quotas.PENDING_AUDIENCE_MODELS, 4)


def test_quota_can_be_lowered_at_construction() -> None:
    with mock_cleanroomsml(
        lifecycle="manual", quotas={quotas.PENDING_AUDIENCE_GENERATION_JOBS: 1}
    ) as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        model = make_audience_model(client)
        m.set_status(model, "ACTIVE")
        configured = make_configured_audience_model(client, model)
        make_generation_job(client, configured, name="a")
        with pytest.raises(client.exceptions.ServiceQuotaExceededException) as exc:
            make_generation_job(client, configured, name="b")
        assert_quota(exc, quotas.PENDING_AUDIENCE_GENERATION_JOBS, 1)


def test_unknown_quota_names_are_refused() -> None:
    with pytest.raises(KeyError, match="no such quota"):
        mock_cleanroomsml(quotas={"no such quota": 1})
    with mock_cleanroomsml() as m, pytest.raises(KeyError):
        m.set_quota("no such quota", 1)


def test_ten_pending_generation_jobs_per_account(mclient: Any, manual: CleanRoomsMLMock) -> None:
    model = make_audience_model(mclient)
    manual.set_status(model, "ACTIVE")
    configured = make_configured_audience_model(mclient, model)
    jobs = [make_generation_job(mclient, configured, name=f"j{i}") for i in range(10)]
    with pytest.raises(mclient.exceptions.ServiceQuotaExceededException) as exc:
        make_generation_job(mclient, configured, name="j10")
    assert_quota(exc, quotas.PENDING_AUDIENCE_GENERATION_JOBS, 10)
    manual.set_status(jobs[0], "CREATE_FAILED")
    make_generation_job(mclient, configured, name="j10")


def test_jobs_started_by_another_account_count_against_the_starter(
    manual: CleanRoomsMLMock,
) -> None:
    manual.set_quota(quotas.PENDING_AUDIENCE_GENERATION_JOBS, 1)
    owner = boto3.client("cleanroomsml", region_name=REGION)
    seeder = client_for("111111111111")
    model = make_audience_model(owner)
    manual.set_status(model, "ACTIVE")
    configured = make_configured_audience_model(owner, model)
    owner.put_configured_audience_model_policy(
        configuredAudienceModelArn=configured,
        configuredAudienceModelPolicy=start_policy("111111111111", configured),
    )
    make_generation_job(
        seeder,
        configured,
        role="arn:aws:iam::111111111111:role/r",
        collaborationId="0f4e3a3c-1b2d-4c5e-8f90-123456789abc",
    )
    make_generation_job(owner, configured, name="owner's own")  # the owner still has room
    with pytest.raises(seeder.exceptions.ServiceQuotaExceededException):
        make_generation_job(
            seeder,
            configured,
            name="second",
            role="arn:aws:iam::111111111111:role/r",
            collaborationId="0f4e3a3c-1b2d-4c5e-8f90-123456789abc",
        )


def active_job(client: Any, mock: CleanRoomsMLMock, name: str = "job") -> str:
    model = make_audience_model(client, name=f"am-{name}")
    mock.set_status(model, "ACTIVE")
    configured = make_configured_audience_model(client, model, name=f"cam-{name}")
    job = make_generation_job(client, configured, name=name)
    mock.set_status(job, "ACTIVE")
    return job


def test_pending_export_jobs_per_account(mclient: Any, manual: CleanRoomsMLMock) -> None:
    manual.set_quota(quotas.PENDING_AUDIENCE_EXPORT_JOBS, 2)
    job = active_job(mclient, manual)
    for name in ("a", "b"):
        mclient.start_audience_export_job(
            name=name, audienceGenerationJobArn=job, audienceSize=SIZE
        )
    with pytest.raises(mclient.exceptions.ServiceQuotaExceededException) as exc:
        mclient.start_audience_export_job(name="c", audienceGenerationJobArn=job, audienceSize=SIZE)
    assert_quota(exc, quotas.PENDING_AUDIENCE_EXPORT_JOBS, 2)
    manual.set_status(manual.audience_export_job_arn(job, "a"), "ACTIVE")
    mclient.start_audience_export_job(name="c", audienceGenerationJobArn=job, audienceSize=SIZE)


def test_export_jobs_per_generation_job_defaults_to_25(client: Any) -> None:
    job = make_generation_job(client, make_configured_audience_model(client))
    for i in range(25):
        client.start_audience_export_job(
            name=f"e{i}", audienceGenerationJobArn=job, audienceSize=SIZE
        )
    with pytest.raises(client.exceptions.ServiceQuotaExceededException) as exc:
        client.start_audience_export_job(
            name="e25", audienceGenerationJobArn=job, audienceSize=SIZE
        )
    assert_quota(exc, quotas.AUDIENCE_EXPORT_JOBS_PER_GENERATION_JOB, 25)
    other = make_generation_job(
        client, make_configured_audience_model(client, name="other"), name="other"
    )
    client.start_audience_export_job(name="e0", audienceGenerationJobArn=other, audienceSize=SIZE)


def test_failed_exports_do_not_count_per_generation_job(
    mclient: Any, manual: CleanRoomsMLMock
) -> None:
    manual.set_quota(quotas.AUDIENCE_EXPORT_JOBS_PER_GENERATION_JOB, 1)
    job = active_job(mclient, manual)
    mclient.start_audience_export_job(name="a", audienceGenerationJobArn=job, audienceSize=SIZE)
    manual.set_status(manual.audience_export_job_arn(job, "a"), "ACTIVE")
    with pytest.raises(mclient.exceptions.ServiceQuotaExceededException):
        mclient.start_audience_export_job(name="b", audienceGenerationJobArn=job, audienceSize=SIZE)
    manual.set_status(manual.audience_export_job_arn(job, "a"), "CREATE_FAILED")
    mclient.start_audience_export_job(name="b", audienceGenerationJobArn=job, audienceSize=SIZE)
