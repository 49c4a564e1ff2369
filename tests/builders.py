"""Builders shared by the tests (moto style: ``make_<resource>(client, **overrides)``)."""

from __future__ import annotations

from typing import Any

import boto3

ACCOUNT = "123456789012"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/cleanrooms-ml"


def client_for(account: str, region: str = REGION) -> Any:
    """A client acting as ``account`` (a 12-digit access key id selects the account)."""
    return boto3.client(
        "cleanroomsml",
        region_name=region,
        aws_access_key_id=account,
        aws_secret_access_key="secret",
    )


def training_data(**overrides: Any) -> list[dict[str, Any]]:
    dataset: dict[str, Any] = {
        "type": "INTERACTIONS",
        "inputConfig": {
            "schema": [
                {"columnName": "user_id", "columnTypes": ["USER_ID"]},
                {"columnName": "item_id", "columnTypes": ["ITEM_ID"]},
                {"columnName": "event_time", "columnTypes": ["TIMESTAMP"]},
            ],
            "dataSource": {"glueDataSource": {"databaseName": "db", "tableName": "events"}},
        },
    }
    dataset.update(overrides)
    return [dataset]


def make_training_dataset(client: Any, **overrides: Any) -> str:
    kwargs: dict[str, Any] = {
        "name": "interactions",
        "roleArn": ROLE,
        "trainingData": training_data(),
    }
    kwargs.update(overrides)
    return str(client.create_training_dataset(**kwargs)["trainingDatasetArn"])
