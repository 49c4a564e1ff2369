"""``m.inject_error``: modelled errors on the next calls of an operation, in-process and
through the server's ``/_mock/errors`` endpoint."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config

from cleanroomsml_mock import CleanRoomsMLMock, ThreadedServer

from .builders import MEMBERSHIP, make_algorithm, make_trained_model, make_training_dataset

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def test_next_call_fails_then_the_service_recovers(mock: CleanRoomsMLMock) -> None:
    client = boto3.client("cleanroomsml", region_name="us-east-1", config=NO_RETRIES)
    model = make_trained_model(client)
    mock.inject_error("GetTrainedModel", "ThrottlingException", message="slow down")
    get = {"trainedModelArn": model["trainedModelArn"], "membershipIdentifier": MEMBERSHIP}
    with pytest.raises(client.exceptions.ThrottlingException) as exc:
        client.get_trained_model(**get)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert "slow down" in str(exc.value)
    assert client.get_trained_model(**get)["status"] == "ACTIVE"


def test_the_default_error_is_one_the_operation_declares(mock: CleanRoomsMLMock) -> None:
    """Without a code, the injected error follows the installed model: a throttle where
    the operation declares one (GetTrainingDataset does from botocore 1.44 on), else the
    first of InternalServiceException and AccessDeniedException it declares."""
    client = boto3.client("cleanroomsml", region_name="us-east-1", config=NO_RETRIES)
    arn = make_training_dataset(client)
    declared = client.meta.service_model.operation_model("GetTrainingDataset").error_shapes
    codes = {shape.name for shape in declared}
    expected = next(
        code
        for code in ("ThrottlingException", "InternalServiceException", "AccessDeniedException")
        if code in codes
    )
    mock.inject_error("GetTrainingDataset")
    with pytest.raises(getattr(client.exceptions, expected)):
        client.get_training_dataset(trainingDatasetArn=arn)
    assert client.get_training_dataset(trainingDatasetArn=arn)["trainingDatasetArn"] == arn


def test_injected_error_has_no_effect_and_counts_down(mock: CleanRoomsMLMock) -> None:
    client = boto3.client("cleanroomsml", region_name="us-east-1", config=NO_RETRIES)
    mock.inject_error("CreateConfiguredModelAlgorithm", "ServiceQuotaExceededException", count=2)
    for _ in range(2):
        with pytest.raises(client.exceptions.ServiceQuotaExceededException) as exc:
            make_algorithm(client)
        assert exc.value.response["quotaName"] == "Injected quota"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 402
    assert client.list_configured_model_algorithms()["configuredModelAlgorithms"] == []
    make_algorithm(client)
    assert len(client.list_configured_model_algorithms()["configuredModelAlgorithms"]) == 1


def test_every_call_until_cleared(mock: CleanRoomsMLMock) -> None:
    client = boto3.client("cleanroomsml", region_name="us-east-1", config=NO_RETRIES)
    mock.inject_error("ListTrainingDatasets", "AccessDeniedException", count=None)
    for _ in range(3):
        with pytest.raises(client.exceptions.AccessDeniedException):
            client.list_training_datasets()
    mock.clear_errors("ListTrainingDatasets")
    assert client.list_training_datasets()["trainingDatasets"] == []


def test_botocore_retries_a_throttle_and_succeeds(mock: CleanRoomsMLMock) -> None:
    client = boto3.client(
        "cleanroomsml",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )
    mock.inject_error("ListTrainedModels", "ThrottlingException", count=1)
    assert client.list_trained_models(membershipIdentifier=MEMBERSHIP)["trainedModels"] == []
    assert [c.status for c in mock.calls.of("ListTrainedModels")] == [429, 200]


def test_only_declared_errors_can_be_injected(mock: CleanRoomsMLMock) -> None:
    with pytest.raises(ValueError, match="does not declare"):
        mock.inject_error("CreateTrainingDataset", "ResourceNotFoundException")
    with pytest.raises(ValueError, match="not an operation"):
        mock.inject_error("NoSuchOperation")


def test_validation_still_comes_first(mock: CleanRoomsMLMock) -> None:
    client = boto3.client("cleanroomsml", region_name="us-east-1", config=NO_RETRIES)
    mock.inject_error("CreateTrainingDataset", "ConflictException")
    with pytest.raises(client.exceptions.ValidationException):
        make_training_dataset(client, name="x" * 64)
    with pytest.raises(client.exceptions.ConflictException):
        make_training_dataset(client)


def test_reset_drops_injected_errors(mock: CleanRoomsMLMock) -> None:
    client = boto3.client("cleanroomsml", region_name="us-east-1", config=NO_RETRIES)
    mock.inject_error("ListTrainingDatasets", "AccessDeniedException", count=None)
    mock.reset()
    assert client.list_training_datasets()["trainingDatasets"] == []


def _post(url: str, document: Any, method: str = "POST") -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(document).encode(), method=method,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_server_error_endpoint() -> None:
    with ThreadedServer() as server:
        client = boto3.client(
            "cleanroomsml",
            region_name="us-east-1",
            endpoint_url=server.endpoint_url,
            aws_access_key_id="k",
            aws_secret_access_key="s",
            config=NO_RETRIES,
        )
        status, _ = _post(
            f"{server.endpoint_url}/_mock/errors",
            {"operation": "ListTrainedModels", "code": "ThrottlingException"},
        )
        assert status == 200
        with pytest.raises(client.exceptions.ThrottlingException):
            client.list_trained_models(membershipIdentifier=MEMBERSHIP)
        assert client.list_trained_models(membershipIdentifier=MEMBERSHIP)["trainedModels"] == []
        status, body = _post(
            f"{server.endpoint_url}/_mock/errors",
            {"operation": "ListTrainingDatasets", "code": "ResourceNotFoundException"},
        )
        assert status == 400 and "does not declare" in body["message"]
        _post(f"{server.endpoint_url}/_mock/errors", {"operation": "GetTrainingDataset",
              "count": None})  # fmt: skip
        status, _ = _post(f"{server.endpoint_url}/_mock/errors", {}, method="DELETE")
        assert status == 200
        assert server.world.faults == {}
