from __future__ import annotations

from typing import Any

import boto3
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml, quotas

from .builders import (
    ACCOUNT,
    MEMBERSHIP,
    REGION,
    make_algorithm,
    make_association,
    make_channel,
    make_trained_model,
    new_version,
    start_inference,
)


def get(client: Any, arn: str) -> Any:
    return client.get_trained_model_inference_job(
        membershipIdentifier=MEMBERSHIP, trainedModelInferenceJobArn=arn
    )


def test_start_get_round_trips_everything(client: Any) -> None:
    model = make_trained_model(client)
    arn = start_inference(
        client,
        model,
        description="d",
        containerExecutionParameters={"maxPayloadInMB": 6},
        environment={"A": "b"},
        tags={"t": "1"},
        mlModelInferencePayerAccountId=ACCOUNT,
        outputConfiguration={"accept": "text/csv", "members": [{"accountId": ACCOUNT}]},
    )
    assert f":membership/{MEMBERSHIP}/trained-model-inference-job/" in arn
    got = get(client, arn)
    assert got["status"] == "ACTIVE"
    assert got["trainedModelArn"] == model["trainedModelArn"]
    assert "trainedModelVersionIdentifier" not in got
    assert got["configuredModelAlgorithmAssociationArn"] == model["association"]
    assert got["dataSource"] == {"mlInputChannelArn": model["channel"]}
    assert got["environment"] == {"A": "b"}
    assert got["mlModelInferencePayerAccountId"] == ACCOUNT
    assert got["outputConfiguration"]["accept"] == "text/csv"
    assert got["inferenceContainerImageDigest"].startswith("sha256:")
    assert got["tags"] == {"t": "1"}


def test_latest_version_is_used_by_default(client: Any) -> None:
    model = make_trained_model(client)
    v2 = new_version(client, model)
    arn = start_inference(client, model)
    assert get(client, arn)["trainedModelVersionIdentifier"] == v2["versionIdentifier"]


def test_list_filters(client: Any) -> None:
    model = make_trained_model(client)
    other = make_trained_model(
        client, name="other", association=model["association"], channel=model["channel"]
    )
    first = start_inference(client, model, name="one")
    start_inference(client, other, name="two")
    listed = client.list_trained_model_inference_jobs(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=model["trainedModelArn"]
    )["trainedModelInferenceJobs"]
    assert [j["trainedModelInferenceJobArn"] for j in listed] == [first]
    assert "creatorAccountId" not in listed[0]
    everything = client.list_trained_model_inference_jobs(membershipIdentifier=MEMBERSHIP)
    assert len(everything["trainedModelInferenceJobs"]) == 2
    by_version = client.list_trained_model_inference_jobs(
        membershipIdentifier=MEMBERSHIP,
        trainedModelVersionIdentifier="00000000-0000-4000-8000-000000000000",
    )
    assert by_version["trainedModelInferenceJobs"] == []


def test_model_must_exist(client: Any) -> None:
    model = make_trained_model(client)
    model["trainedModelArn"] += "x"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        start_inference(client, model)


def test_unknown_version_is_not_found(client: Any) -> None:
    model = make_trained_model(client)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        start_inference(
            client, model, trainedModelVersionIdentifier="00000000-0000-4000-8000-000000000000"
        )


def test_model_version_must_be_active(client: Any, mock: CleanRoomsMLMock) -> None:
    model = make_trained_model(client)
    mock.set_status(model["trainedModelArn"], "CREATE_FAILED")
    with pytest.raises(client.exceptions.ConflictException) as exc:
        start_inference(client, model)
    assert "CREATE_FAILED" in str(exc.value)


def test_channel_must_be_active(client: Any, mock: CleanRoomsMLMock) -> None:
    model = make_trained_model(client)
    client.delete_ml_input_channel_data(
        membershipIdentifier=MEMBERSHIP, mlInputChannelArn=model["channel"]
    )
    with pytest.raises(client.exceptions.ConflictException) as exc:
        start_inference(client, model)
    assert "dataSource.mlInputChannelArn" in str(exc.value)


def test_algorithm_needs_an_inference_container(client: Any) -> None:
    algorithm = make_algorithm(client, inferenceContainerConfig=None)
    association = make_association(client, algorithm=algorithm)
    model = make_trained_model(client, association=association)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        start_inference(client, model)
    assert "inferenceContainerConfig" in str(exc.value)


def test_receiver_must_be_able_to_receive(client: Any, mock: CleanRoomsMLMock) -> None:
    collaboration = "77777777-7777-4777-8777-777777777777"
    mock.add_membership(membership_id=MEMBERSHIP, collaboration_id=collaboration)
    mock.add_membership(
        account_id="888888888888", collaboration_id=collaboration, abilities=["CAN_RECEIVE_RESULTS"]
    )
    model = make_trained_model(client)
    for account in ("888888888888", "999999999999"):
        with pytest.raises(client.exceptions.ValidationException) as exc:
            receivers = {"members": [{"accountId": account}]}
            start_inference(client, model, outputConfiguration=receivers)
        assert account in str(exc.value)


def test_payer_must_be_a_candidate(client: Any) -> None:
    model = make_trained_model(client)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        start_inference(client, model, mlModelInferencePayerAccountId="999999999999")
    assert "mlModelInferencePayerAccountId" in str(exc.value)


def test_duplicate_name_conflicts(client: Any) -> None:
    model = make_trained_model(client)
    start_inference(client, model, name="same")
    with pytest.raises(client.exceptions.ConflictException):
        start_inference(client, model, name="same")


def test_instance_count_limit(client: Any) -> None:
    model = make_trained_model(client)
    with pytest.raises(client.exceptions.ValidationException):
        start_inference(
            client, model, resourceConfig={"instanceType": "ml.m5.xlarge", "instanceCount": 11}
        )


def test_cancel_and_quotas() -> None:
    with mock_cleanroomsml(lifecycle="manual") as mock:
        client = boto3.client("cleanroomsml", region_name=REGION)
        association = make_association(client)
        channel = make_channel(client, association=association)
        mock.set_status(channel, "ACTIVE")
        model = make_trained_model(client, association=association, channel=channel)
        mock.set_status(model["trainedModelArn"], "ACTIVE")
        mock.set_quota(quotas.PENDING_INFERENCE_JOBS_PER_MEMBERSHIP, 1)
        job = start_inference(client, model, name="one")
        assert get(client, job)["status"] == "CREATE_PENDING"
        assert "inferenceContainerImageDigest" not in get(client, job)
        with pytest.raises(client.exceptions.ServiceQuotaExceededException) as exc:
            start_inference(client, model, name="two")
        assert exc.value.response["quotaName"] == quotas.PENDING_INFERENCE_JOBS_PER_MEMBERSHIP
        client.cancel_trained_model_inference_job(
            membershipIdentifier=MEMBERSHIP, trainedModelInferenceJobArn=job
        )
        assert get(client, job)["status"] == "CANCEL_PENDING"
        mock.set_status(job, "INACTIVE")
        with pytest.raises(client.exceptions.ConflictException):
            client.cancel_trained_model_inference_job(
                membershipIdentifier=MEMBERSHIP, trainedModelInferenceJobArn=job
            )
        start_inference(client, model, name="two")
        mock.set_quota(quotas.PENDING_INFERENCE_JOBS_PER_MEMBERSHIP, 5)
        mock.set_quota(quotas.PENDING_INFERENCE_JOBS_PER_ACCOUNT, 1)
        with pytest.raises(client.exceptions.ServiceQuotaExceededException) as exc:
            start_inference(client, model, name="three")
        assert exc.value.response["quotaName"] == quotas.PENDING_INFERENCE_JOBS_PER_ACCOUNT


def test_cancel_finished_job_conflicts(client: Any) -> None:
    job = start_inference(client, make_trained_model(client))
    with pytest.raises(client.exceptions.ConflictException):
        client.cancel_trained_model_inference_job(
            membershipIdentifier=MEMBERSHIP, trainedModelInferenceJobArn=job
        )


def test_collaboration_list(client: Any) -> None:
    model = make_trained_model(client)
    job = start_inference(client, model)
    collaboration = client.get_trained_model(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=model["trainedModelArn"]
    )["collaborationIdentifier"]
    listed = client.list_collaboration_trained_model_inference_jobs(
        collaborationIdentifier=collaboration, trainedModelArn=model["trainedModelArn"]
    )["collaborationTrainedModelInferenceJobs"]
    assert [j["trainedModelInferenceJobArn"] for j in listed] == [job]
    assert listed[0]["creatorAccountId"] == ACCOUNT
    assert "tags" not in listed[0] and "environment" not in listed[0]
