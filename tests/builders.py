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


OUTPUT_S3 = "s3://audiences/lookalike/"
SEED_S3 = "s3://seeds/seed.jsonl"


def make_audience_model(
    client: Any, training_dataset_arn: str | None = None, **overrides: Any
) -> str:
    """An audience model (and, unless given, the training dataset it is trained on)."""
    if training_dataset_arn is None:
        training_dataset_arn = make_training_dataset(
            client, name=f"td-{overrides.get('name', 'am')}"
        )
    kwargs: dict[str, Any] = {"name": "am", "trainingDatasetArn": training_dataset_arn}
    kwargs.update(overrides)
    return str(client.create_audience_model(**kwargs)["audienceModelArn"])


def make_configured_audience_model(
    client: Any, audience_model_arn: str | None = None, *, role: str = ROLE, **overrides: Any
) -> str:
    """A configured audience model with size bins 1000/5000/10000 (ABSOLUTE)."""
    if audience_model_arn is None:
        audience_model_arn = make_audience_model(client, name=f"am-{overrides.get('name', 'cam')}")
    kwargs: dict[str, Any] = {
        "name": "cam",
        "audienceModelArn": audience_model_arn,
        "outputConfig": {"destination": {"s3Destination": {"s3Uri": OUTPUT_S3}}, "roleArn": role},
        "sharedAudienceMetrics": ["ALL"],
        "audienceSizeConfig": {
            "audienceSizeType": "ABSOLUTE",
            "audienceSizeBins": [1000, 5000, 10000],
        },
    }
    kwargs.update(overrides)
    return str(client.create_configured_audience_model(**kwargs)["configuredAudienceModelArn"])


def s3_seed(role: str = ROLE) -> dict[str, Any]:
    return {"dataSource": {"s3Uri": SEED_S3}, "roleArn": role}


def make_generation_job(
    client: Any, configured_audience_model_arn: str, *, role: str = ROLE, **overrides: Any
) -> str:
    kwargs: dict[str, Any] = {
        "name": "job",
        "configuredAudienceModelArn": configured_audience_model_arn,
        "seedAudience": s3_seed(role),
    }
    kwargs.update(overrides)
    return str(client.start_audience_generation_job(**kwargs)["audienceGenerationJobArn"])


def start_policy(account: str, configured_audience_model_arn: str) -> str:
    """The resource policy Clean Rooms writes to let ``account`` start generation jobs."""
    import json

    owner_jobs = configured_audience_model_arn.split(":configured-audience-model/")[0]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Clean-Rooms-test",
                    "Effect": "Allow",
                    "Principal": {"AWS": account},
                    "Action": "cleanrooms-ml:StartAudienceGenerationJob",
                    "Resource": [
                        configured_audience_model_arn,
                        f"{owner_jobs}:audience-generation-job/*",
                    ],
                }
            ],
        }
    )


def wait_for(
    get: Any, key: str = "status", *, done: tuple[str, ...] = ("ACTIVE",), tries: int = 20
) -> dict[str, Any]:
    """A polling loop as users write it against the real service."""
    for _ in range(tries):
        got = dict(get())
        if got[key] in done or got[key].endswith("_FAILED"):
            return got
    raise AssertionError(f"still {got[key]} after {tries} reads")
