from __future__ import annotations

from typing import Any

import boto3
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml, quotas

from .builders import (
    ACCOUNT,
    MEMBERSHIP,
    REGION,
    ROLE,
    input_channel,
    make_association,
    make_channel,
)

TEMPLATE = f"arn:aws:cleanrooms:us-east-1:{ACCOUNT}:membership/{MEMBERSHIP}/analysistemplate/t1"


def get(client: Any, arn: str) -> Any:
    return client.get_ml_input_channel(membershipIdentifier=MEMBERSHIP, mlInputChannelArn=arn)


def test_create_get_round_trips_everything(client: Any) -> None:
    association = make_association(client)
    channel = input_channel(
        computeConfiguration={
            "worker": {
                "type": "CR.4X",  # CR.8X is only in models from botocore 1.44 on
                "number": 16,
                "properties": {"spark": {"spark.executor.memory": "8g"}},
            }
        },
        resultFormat="PARQUET",
    )
    arn = make_channel(
        client,
        association=association,
        inputChannel=channel,
        description="d",
        kmsKeyArn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        tags={"t": "1"},
        payerConfiguration={"computePayerAccountId": ACCOUNT},
    )
    assert f":membership/{MEMBERSHIP}/ml-input-channel/" in arn
    got = get(client, arn)
    assert got["inputChannel"] == channel
    assert got["configuredModelAlgorithmAssociations"] == [association]
    assert got["retentionInDays"] == 7
    assert got["status"] == "ACTIVE"
    assert got["payerConfiguration"] == {"computePayerAccountId": ACCOUNT}
    assert got["tags"] == {"t": "1"}
    assert got["numberOfRecords"] > 0 and got["sizeInGb"] > 0 and got["numberOfFiles"] > 0
    assert len(got["protectedQueryIdentifier"]) == 36
    assert "creatorAccountId" not in got


def test_result_format_defaults_to_csv(client: Any) -> None:
    arn = make_channel(client)
    params = get(client, arn)["inputChannel"]["dataSource"]["protectedQueryInputParameters"]
    assert params["resultFormat"] == "CSV"


@pytest.mark.parametrize(
    "bad",
    [
        {"resultFormat": "JSON"},
        {"computeConfiguration": {"worker": {"type": "CR.16X", "number": 4}}},
        {"computeConfiguration": {"worker": {"type": "CR.1X", "number": 1025}}},
        {
            "computeConfiguration": {
                "worker": {
                    "type": "CR.1X",
                    "number": 2,
                    "properties": {"spark": {f"k{i}": "v" for i in range(51)}},
                }
            }
        },
    ],
)
def test_model_constraints_are_enforced(client: Any, bad: dict[str, Any]) -> None:
    with pytest.raises(client.exceptions.ValidationException):
        make_channel(client, inputChannel=input_channel(**bad))


@pytest.mark.parametrize("days", [0, 31])
def test_retention_range(client: Any, days: int) -> None:
    association = make_association(client)
    with pytest.raises(Exception) as exc:
        make_channel(client, association=association, retentionInDays=days)
    assert "retentionInDays" in str(exc.value)


def test_query_xor_template(client: Any) -> None:
    both = {"sqlParameters": {"queryString": "SELECT 1", "analysisTemplateArn": TEMPLATE}}
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_channel(client, inputChannel=input_channel(**both))
    assert "queryString" in str(exc.value)
    make_channel(
        client,
        name="templated",
        inputChannel=input_channel(
            sqlParameters={"analysisTemplateArn": TEMPLATE, "parameters": {"p": "1"}}
        ),
    )


def test_parameters_need_a_template(client: Any) -> None:
    params = {"sqlParameters": {"queryString": "SELECT 1", "parameters": {"p": "1"}}}
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_channel(client, inputChannel=input_channel(**params))
    assert "parameters" in str(exc.value)


def test_association_must_exist(client: Any) -> None:
    missing = (
        f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:membership/{MEMBERSHIP}/"
        "configured-model-algorithm-association/nope"
    )
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        make_channel(client, association=missing)
    assert missing in str(exc.value)


def test_association_of_another_collaboration_is_refused(client: Any) -> None:
    other = make_association(client, "33333333-3333-4333-8333-333333333333")
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_channel(client, association=other)
    assert "configuredModelAlgorithmAssociations" in str(exc.value)


def test_cross_account_role_is_denied(client: Any) -> None:
    channel = input_channel()
    channel["roleArn"] = "arn:aws:iam::999999999999:role/x"
    with pytest.raises(client.exceptions.AccessDeniedException) as exc:
        make_channel(client, inputChannel=channel)
    assert "inputChannel.roleArn" in str(exc.value)


def test_payer_must_be_a_candidate(mock: CleanRoomsMLMock, client: Any) -> None:
    collaboration = "44444444-4444-4444-8444-444444444444"
    mock.add_membership(membership_id=MEMBERSHIP, collaboration_id=collaboration)
    mock.add_membership(
        account_id="555555555555",
        collaboration_id=collaboration,
        abilities=["CAN_RECEIVE_RESULTS"],
        pays_for=["syntheticDataGeneration"],
    )
    association = make_association(client)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_channel(
            client,
            association=association,
            payerConfiguration={"computePayerAccountId": "555555555555"},
        )
    assert "computePayerAccountId" in str(exc.value)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_channel(
            client,
            association=association,
            payerConfiguration={"syntheticDataPayerAccountId": ACCOUNT},
        )
    assert "syntheticDataPayerAccountId" in str(exc.value)
    make_channel(
        client,
        association=association,
        payerConfiguration={
            "computePayerAccountId": ACCOUNT,
            "syntheticDataPayerAccountId": "555555555555",
        },
    )


def test_payer_id_must_be_twelve_digits(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException):
        make_channel(client, payerConfiguration={"computePayerAccountId": "1234567890ab"})


def test_duplicate_name_conflicts(client: Any) -> None:
    association = make_association(client)
    make_channel(client, association=association, name="same")
    with pytest.raises(client.exceptions.ConflictException):
        make_channel(client, association=association, name="same")


def test_quota(mock: CleanRoomsMLMock, client: Any) -> None:
    mock.set_quota(quotas.ML_INPUT_CHANNELS_PER_MEMBERSHIP, 1)
    association = make_association(client)
    first = make_channel(client, association=association, name="one")
    with pytest.raises(client.exceptions.ServiceQuotaExceededException):
        make_channel(client, association=association, name="two")
    client.delete_ml_input_channel_data(membershipIdentifier=MEMBERSHIP, mlInputChannelArn=first)
    make_channel(client, association=association, name="two")


def test_list_and_paginate(client: Any) -> None:
    association = make_association(client)
    for i in range(3):
        make_channel(client, association=association, name=f"c{i}")
    listed = client.list_ml_input_channels(membershipIdentifier=MEMBERSHIP, maxResults=2)
    assert len(listed["mlInputChannelsList"]) == 2
    item = listed["mlInputChannelsList"][0]
    assert "protectedQueryIdentifier" in item and "inputChannel" not in item
    pages = client.get_paginator("list_ml_input_channels").paginate(
        membershipIdentifier=MEMBERSHIP, PaginationConfig={"PageSize": 2}
    )
    assert [c["name"] for p in pages for c in p["mlInputChannelsList"]] == ["c0", "c1", "c2"]


def test_delete_data_keeps_the_record_inactive(client: Any) -> None:
    arn = make_channel(client)
    client.delete_ml_input_channel_data(membershipIdentifier=MEMBERSHIP, mlInputChannelArn=arn)
    got = get(client, arn)
    assert got["status"] == "INACTIVE"
    assert got["name"].startswith("channel")
    with pytest.raises(client.exceptions.ConflictException) as exc:
        client.delete_ml_input_channel_data(membershipIdentifier=MEMBERSHIP, mlInputChannelArn=arn)
    assert "INACTIVE" in str(exc.value)
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {}


def test_progressive_lifecycle_and_results_only_once_active() -> None:
    with mock_cleanroomsml(lifecycle="progressive"):
        client = boto3.client("cleanroomsml", region_name=REGION)
        arn = make_channel(client)
        first = get(client, arn)
        assert first["status"] == "CREATE_IN_PROGRESS"
        assert "numberOfRecords" not in first and "protectedQueryIdentifier" not in first
        second = get(client, arn)
        assert second["status"] == "ACTIVE"
        assert "numberOfRecords" in second
        client.delete_ml_input_channel_data(membershipIdentifier=MEMBERSHIP, mlInputChannelArn=arn)
        assert [get(client, arn)["status"] for _ in range(3)] == [
            "DELETE_IN_PROGRESS",
            "INACTIVE",
            "INACTIVE",
        ]


def test_manual_lifecycle_and_failure_injection() -> None:
    with mock_cleanroomsml(lifecycle="manual") as mock:
        client = boto3.client("cleanroomsml", region_name=REGION)
        arn = make_channel(client)
        assert get(client, arn)["status"] == "CREATE_PENDING"
        with pytest.raises(client.exceptions.ConflictException):
            client.delete_ml_input_channel_data(
                membershipIdentifier=MEMBERSHIP, mlInputChannelArn=arn
            )
        mock.set_status(arn, "CREATE_FAILED", status_code="QUERY_FAILED", message="bad SQL")
        got = get(client, arn)
        assert got["status"] == "CREATE_FAILED"
        assert got["statusDetails"] == {"statusCode": "QUERY_FAILED", "message": "bad SQL"}


def test_role_in_builder_is_callers(client: Any) -> None:
    assert input_channel()["roleArn"] == ROLE
