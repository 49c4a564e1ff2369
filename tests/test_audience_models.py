from __future__ import annotations

import datetime as dt
import re
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cleanroomsml_mock import mock_cleanroomsml

from .builders import (
    ACCOUNT,
    REGION,
    client_for,
    make_audience_model,
    make_configured_audience_model,
    make_training_dataset,
)

pytestmark = pytest.mark.usefixtures("only_declared_errors")

KMS = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc"


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_create_get_round_trips_everything(client: Any) -> None:
    dataset = make_training_dataset(client)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(2024, 6, 30, tzinfo=dt.timezone.utc)
    arn = make_audience_model(
        client,
        dataset,
        name="lookalike",
        trainingDataStartTime=start,
        trainingDataEndTime=end,
        kmsKeyArn=KMS,
        description="d",
        tags={"team": "ads"},
    )
    assert re.fullmatch(
        rf"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:audience-model/[A-Za-z0-9]{{22}}", arn
    )
    got = client.get_audience_model(audienceModelArn=arn)
    assert got["name"] == "lookalike"
    assert got["trainingDatasetArn"] == dataset
    assert got["trainingDataStartTime"] == start
    assert got["trainingDataEndTime"] == end
    assert got["kmsKeyArn"] == KMS
    assert got["description"] == "d"
    assert got["tags"] == {"team": "ads"}
    assert got["status"] == "ACTIVE"
    assert "statusDetails" not in got


def test_list_shows_summaries_and_paginates(client: Any) -> None:
    dataset = make_training_dataset(client)
    arns = [make_audience_model(client, dataset, name=f"am-{i}") for i in range(5)]
    listed = client.list_audience_models()["audienceModels"]
    assert [m["audienceModelArn"] for m in listed] == arns
    assert set(listed[0]) == {
        "createTime",
        "updateTime",
        "audienceModelArn",
        "name",
        "trainingDatasetArn",
        "status",
    }
    first = client.list_audience_models(maxResults=2)
    assert len(first["audienceModels"]) == 2 and "nextToken" in first
    pages = client.get_paginator("list_audience_models").paginate(PaginationConfig={"PageSize": 2})
    assert [m["audienceModelArn"] for p in pages for m in p["audienceModels"]] == arns


def test_training_dataset_must_exist(client: Any) -> None:
    missing = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:training-dataset/nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        make_audience_model(client, missing)
    assert missing in str(exc.value)


def test_training_window_must_be_ordered(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_audience_model(
            client,
            trainingDataStartTime=dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc),
            trainingDataEndTime=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
        )
    assert "trainingDataStartTime" in str(exc.value)


def test_duplicate_name_conflicts(client: Any) -> None:
    dataset = make_training_dataset(client)
    make_audience_model(client, dataset, name="same")
    with pytest.raises(client.exceptions.ConflictException) as exc:
        make_audience_model(client, dataset, name="same")
    assert "same" in str(exc.value)


def test_reserved_tag_key_is_refused(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException):
        make_audience_model(client, tags={"aws:x": "y"})


def test_name_too_long_is_refused_server_side(mock: Any) -> None:
    client = boto3.client("cleanroomsml", region_name=REGION)
    dataset = make_training_dataset(client)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_audience_model(client, dataset, name="x" * 64)
    assert "name" in str(exc.value)


def test_delete_removes_the_model(client: Any) -> None:
    arn = make_audience_model(client)
    client.delete_audience_model(audienceModelArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_audience_model(audienceModelArn=arn)
    assert client.list_audience_models()["audienceModels"] == []


def test_delete_unknown_is_not_found(client: Any) -> None:
    arn = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:audience-model/nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_audience_model(audienceModelArn=arn)


def test_delete_while_used_by_configured_model_conflicts(client: Any) -> None:
    model = make_audience_model(client)
    configured = make_configured_audience_model(client, model)
    with pytest.raises(client.exceptions.ConflictException) as exc:
        client.delete_audience_model(audienceModelArn=model)
    assert configured in str(exc.value)
    client.delete_configured_audience_model(configuredAudienceModelArn=configured)
    client.delete_audience_model(audienceModelArn=model)


def test_deleting_a_training_dataset_in_use_conflicts(client: Any) -> None:
    dataset = make_training_dataset(client)
    model = make_audience_model(client, dataset)
    with pytest.raises(client.exceptions.ConflictException) as exc:
        client.delete_training_dataset(trainingDatasetArn=dataset)
    assert model in str(exc.value)
    client.delete_audience_model(audienceModelArn=model)
    client.delete_training_dataset(trainingDatasetArn=dataset)


def test_delete_while_training_conflicts_and_delete_is_idempotent() -> None:
    with mock_cleanroomsml(lifecycle="manual") as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        arn = make_audience_model(client)
        assert client.get_audience_model(audienceModelArn=arn)["status"] == "CREATE_PENDING"
        with pytest.raises(client.exceptions.ConflictException) as exc:
            client.delete_audience_model(audienceModelArn=arn)
        assert "CREATE_PENDING" in str(exc.value)
        m.set_status(arn, "ACTIVE")
        client.delete_audience_model(audienceModelArn=arn)
        client.delete_audience_model(audienceModelArn=arn)  # again: no change, no error
        assert client.get_audience_model(audienceModelArn=arn)["status"] == "DELETE_PENDING"
        m.advance(arn)
        assert client.get_audience_model(audienceModelArn=arn)["status"] == "DELETE_IN_PROGRESS"
        m.advance(arn)
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_audience_model(audienceModelArn=arn)


def test_models_are_isolated_per_account(client: Any) -> None:
    arn = make_audience_model(client)
    other = client_for("111111111111")
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.get_audience_model(audienceModelArn=arn)
    assert other.list_audience_models()["audienceModels"] == []


def test_tagging_an_audience_model(client: Any) -> None:
    arn = make_audience_model(client, tags={"a": "1"})
    client.tag_resource(resourceArn=arn, tags={"b": "2"})
    client.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
