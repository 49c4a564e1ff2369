from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .builders import ACCOUNT, ROLE, client_for, make_training_dataset, training_data


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_create_get_round_trips_everything(client: Any) -> None:
    arn = make_training_dataset(client, name="ds", description="my data", tags={"team": "a"})
    assert re.fullmatch(
        rf"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:training-dataset/[A-Za-z0-9]{{22}}", arn
    )
    got = client.get_training_dataset(trainingDatasetArn=arn)
    assert got["name"] == "ds"
    assert got["description"] == "my data"
    assert got["roleArn"] == ROLE
    assert got["trainingData"] == training_data()
    assert got["status"] == "ACTIVE"
    assert got["tags"] == {"team": "a"}
    assert isinstance(got["createTime"], dt.datetime)
    assert got["createTime"].tzinfo is not None
    assert got["createTime"] == got["updateTime"]


def test_list_shows_summaries(client: Any) -> None:
    arns = [make_training_dataset(client, name=f"ds-{i}") for i in range(3)]
    listed = client.list_training_datasets()["trainingDatasets"]
    assert [d["trainingDatasetArn"] for d in listed] == arns
    assert set(listed[0]) == {"createTime", "updateTime", "trainingDatasetArn", "name", "status"}


def test_list_paginates(client: Any) -> None:
    for i in range(5):
        make_training_dataset(client, name=f"ds-{i}")
    first = client.list_training_datasets(maxResults=2)
    assert len(first["trainingDatasets"]) == 2
    assert "nextToken" in first
    pages = client.get_paginator("list_training_datasets").paginate(
        PaginationConfig={"PageSize": 2}
    )
    names = [d["name"] for p in pages for d in p["trainingDatasets"]]
    assert names == [f"ds-{i}" for i in range(5)]


def test_foreign_next_token_is_refused(client: Any) -> None:
    for i in range(3):
        make_training_dataset(client, name=f"ds-{i}")
    with pytest.raises(ClientError) as exc:
        client.list_training_datasets(nextToken="not-a-token")
    assert error_code(exc) == "ValidationException"


def test_duplicate_name_conflicts(client: Any) -> None:
    make_training_dataset(client, name="same")
    with pytest.raises(client.exceptions.ConflictException) as exc:
        make_training_dataset(client, name="same")
    assert "same" in str(exc.value)


def test_role_from_another_account_is_denied(client: Any) -> None:
    with pytest.raises(client.exceptions.AccessDeniedException) as exc:
        make_training_dataset(client, roleArn="arn:aws:iam::999999999999:role/x")
    assert "999999999999" in str(exc.value)


def test_schema_needs_user_item_and_timestamp(client: Any) -> None:
    data = training_data()
    data[0]["inputConfig"]["schema"] = data[0]["inputConfig"]["schema"][:2]
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_training_dataset(client, trainingData=data)
    assert "TIMESTAMP" in str(exc.value)


def test_name_too_long_is_a_validation_error(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_training_dataset(client, name="x" * 64)
    assert "at 'name'" in str(exc.value)
    assert "less than or equal to 63" in str(exc.value)


def test_get_unknown_is_not_found(client: Any) -> None:
    arn = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:training-dataset/nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        client.get_training_dataset(trainingDatasetArn=arn)
    assert arn in str(exc.value)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_delete_removes(client: Any) -> None:
    arn = make_training_dataset(client)
    assert (
        client.delete_training_dataset(trainingDatasetArn=arn)["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )
    assert client.list_training_datasets()["trainingDatasets"] == []
    make_training_dataset(client)  # the name is free again


def test_accounts_and_regions_are_isolated(mock: Any) -> None:
    a = client_for("111111111111")
    b = client_for("222222222222")
    west = client_for("111111111111", region="eu-west-1")
    arn = make_training_dataset(a, roleArn="arn:aws:iam::111111111111:role/r")
    assert ":111111111111:" in arn
    assert b.list_training_datasets()["trainingDatasets"] == []
    assert west.list_training_datasets()["trainingDatasets"] == []
    with pytest.raises(b.exceptions.ResourceNotFoundException):
        b.get_training_dataset(trainingDatasetArn=arn)


def test_names_stay_unique_across_deletes_and_saved_state(mock: Any, tmp_path: Any) -> None:
    client = client_for(ACCOUNT)
    arns = [make_training_dataset(client, name=f"ds-{i}") for i in range(50)]
    client.delete_training_dataset(trainingDatasetArn=arns[7])
    make_training_dataset(client, name="ds-7")  # freed by the delete
    with pytest.raises(client.exceptions.ConflictException):
        make_training_dataset(client, name="ds-8")
    path = tmp_path / "state.json"
    mock.save_state(path)
    mock.reset()
    make_training_dataset(client, name="ds-8")  # a fresh world knows no names
    mock.load_state(path)
    with pytest.raises(client.exceptions.ConflictException):
        make_training_dataset(client, name="ds-8")  # the loaded world does
    assert len(client.list_training_datasets()["trainingDatasets"]) == 50
