"""Builders shared by the tests (moto style: ``make_<resource>(client, **overrides)``)."""

from __future__ import annotations

import itertools
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


# ---------------------------------------------------------------- custom models

MEMBERSHIP = "11111111-1111-4111-8111-111111111111"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/train:latest"
INFERENCE_IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/infer:latest"


_sequence = itertools.count(1)


def _clean(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Overrides set to None leave the parameter out."""
    return {k: v for k, v in kwargs.items() if v is not None}


def role_for(account: str) -> str:
    return f"arn:aws:iam::{account}:role/cleanrooms-ml"


def caller_account(client: Any) -> str:
    key = client._request_signer._credentials.access_key
    return key if len(key) == 12 and key.isdigit() else ACCOUNT


def make_algorithm(client: Any, **overrides: Any) -> str:
    account = caller_account(client)
    kwargs: dict[str, Any] = {
        "name": f"algorithm-{next(_sequence)}",
        "roleArn": role_for(account),
        "trainingContainerConfig": {"imageUri": IMAGE, "entrypoint": ["python", "train.py"]},
        "inferenceContainerConfig": {"imageUri": INFERENCE_IMAGE},
    }
    kwargs.update(overrides)
    kwargs = _clean(kwargs)
    return str(client.create_configured_model_algorithm(**kwargs)["configuredModelAlgorithmArn"])


def privacy(**policies: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "trainedModels": {"containerMetrics": {"noiseLevel": "LOW"}},
        "trainedModelExports": {
            "maxSize": {"unit": "GB", "value": 5.0},
            "filesToExport": ["MODEL"],
        },
    }
    base.update(policies)
    return {"policies": base}


def make_association(
    client: Any, membership: str = MEMBERSHIP, algorithm: str | None = None, **overrides: Any
) -> str:
    kwargs: dict[str, Any] = {
        "membershipIdentifier": membership,
        "configuredModelAlgorithmArn": algorithm or make_algorithm(client),
        "name": f"association-{next(_sequence)}",
        "privacyConfiguration": privacy(),
    }
    kwargs.update(overrides)
    kwargs = _clean(kwargs)
    return str(
        client.create_configured_model_algorithm_association(**kwargs)[
            "configuredModelAlgorithmAssociationArn"
        ]
    )


def input_channel(**params: Any) -> dict[str, Any]:
    query: dict[str, Any] = {"sqlParameters": {"queryString": "SELECT * FROM t"}}
    query.update(params)
    return {"dataSource": {"protectedQueryInputParameters": query}, "roleArn": ROLE}


def make_channel(
    client: Any, membership: str = MEMBERSHIP, association: str | None = None, **overrides: Any
) -> str:
    account = caller_account(client)
    channel = input_channel()
    channel["roleArn"] = role_for(account)
    kwargs: dict[str, Any] = {
        "membershipIdentifier": membership,
        "configuredModelAlgorithmAssociations": [
            association or make_association(client, membership)
        ],
        "inputChannel": channel,
        "name": f"channel-{next(_sequence)}",
        "retentionInDays": 7,
    }
    kwargs.update(overrides)
    kwargs = _clean(kwargs)
    return str(client.create_ml_input_channel(**kwargs)["mlInputChannelArn"])


RESOURCE_CONFIG = {"instanceType": "ml.m5.xlarge", "instanceCount": 1, "volumeSizeInGB": 10}


def make_trained_model(
    client: Any,
    membership: str = MEMBERSHIP,
    association: str | None = None,
    channel: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Creates association and channel when not given; returns the create response
    plus ``association`` and ``channel``."""
    association = association or make_association(client, membership)
    channel = channel or make_channel(client, membership, association)
    kwargs: dict[str, Any] = {
        "membershipIdentifier": membership,
        "name": "model",
        "configuredModelAlgorithmAssociationArn": association,
        "resourceConfig": RESOURCE_CONFIG,
        "dataChannels": [{"mlInputChannelArn": channel, "channelName": "train"}],
    }
    kwargs.update(overrides)
    kwargs = _clean(kwargs)
    response = dict(client.create_trained_model(**kwargs))
    response.pop("ResponseMetadata", None)
    response.update(association=association, channel=channel)
    return response


def new_version(client: Any, base: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A new version of the trained model ``base`` (a ``make_trained_model`` result),
    trained incrementally from it; ``channel=`` overrides fields of the incremental
    channel."""
    channel: dict[str, Any] = {"trainedModelArn": base["trainedModelArn"], "channelName": "base"}
    channel.update(overrides.pop("channel", {}))
    return make_trained_model(
        client,
        association=base["association"],
        channel=base["channel"],
        incrementalTrainingDataChannels=[channel],
        **overrides,
    )


def start_inference(
    client: Any, model: dict[str, Any], membership: str = MEMBERSHIP, **overrides: Any
) -> str:
    kwargs: dict[str, Any] = {
        "membershipIdentifier": membership,
        "name": "inference",
        "trainedModelArn": model["trainedModelArn"],
        "resourceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": 1},
        "outputConfiguration": {"members": [{"accountId": caller_account(client)}]},
        "dataSource": {"mlInputChannelArn": model["channel"]},
    }
    kwargs.update(overrides)
    kwargs = _clean(kwargs)
    return str(client.start_trained_model_inference_job(**kwargs)["trainedModelInferenceJobArn"])


def put_ml_configuration(client: Any, membership: str = MEMBERSHIP) -> None:
    client.put_ml_configuration(
        membershipIdentifier=membership,
        defaultOutputLocation={
            "destination": {"s3Destination": {"s3Uri": "s3://bucket/prefix"}},
            "roleArn": role_for(caller_account(client)),
        },
    )
