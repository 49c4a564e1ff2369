"""``python -m cleanroomsml_mock demo``: the main workflow, driven through boto3 against
the mock, printing what it does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ROLE = "arn:aws:iam::123456789012:role/cleanrooms-ml-demo"
OUTPUT = "s3://demo-audiences/lookalike/"


def _say(step: str, detail: Any = "") -> None:
    print(f"  - {step}{': ' if detail != '' else ''}{detail}")


def _wait(read: Callable[[], Any], done: str = "ACTIVE", tries: int = 20) -> Any:
    """Poll as code written against the real service does (works in every lifecycle mode
    that moves on reads; a manual-mode mock needs ``m.set_status``/``m.advance``)."""
    for _ in range(tries):
        got = read()
        if got["status"] == done or got["status"].endswith("_FAILED"):
            return got
    raise RuntimeError(f"still {got['status']} after {tries} reads")


def lookalike(client: Any) -> None:
    print("Lookalike workflow")
    dataset = client.create_training_dataset(
        name="demo-interactions",
        roleArn=ROLE,
        trainingData=[
            {
                "type": "INTERACTIONS",
                "inputConfig": {
                    "schema": [
                        {"columnName": "user_id", "columnTypes": ["USER_ID"]},
                        {"columnName": "item_id", "columnTypes": ["ITEM_ID"]},
                        {"columnName": "ts", "columnTypes": ["TIMESTAMP"]},
                    ],
                    "dataSource": {
                        "glueDataSource": {"databaseName": "demo_db", "tableName": "events"}
                    },
                },
            }
        ],
        tags={"team": "data-eng"},
    )["trainingDatasetArn"]
    _say("created training dataset", dataset)
    client.tag_resource(resourceArn=dataset, tags={"stage": "demo"})
    _say("tags", client.list_tags_for_resource(resourceArn=dataset)["tags"])

    model = client.create_audience_model(name="demo-model", trainingDatasetArn=dataset)[
        "audienceModelArn"
    ]
    _say(
        "audience model trained",
        _wait(lambda: client.get_audience_model(audienceModelArn=model))["status"],
    )

    configured = client.create_configured_audience_model(
        name="demo-configured",
        audienceModelArn=model,
        outputConfig={"destination": {"s3Destination": {"s3Uri": OUTPUT}}, "roleArn": ROLE},
        sharedAudienceMetrics=["ALL"],
        audienceSizeConfig={"audienceSizeType": "ABSOLUTE", "audienceSizeBins": [10000, 50000]},
    )["configuredAudienceModelArn"]
    _say("configured audience model", configured)

    job = client.start_audience_generation_job(
        name="demo-segment",
        configuredAudienceModelArn=configured,
        seedAudience={"dataSource": {"s3Uri": "s3://demo-seeds/seed.jsonl"}, "roleArn": ROLE},
    )["audienceGenerationJobArn"]
    got = _wait(lambda: client.get_audience_generation_job(audienceGenerationJobArn=job))
    scores = [m["score"] for m in got["metrics"]["relevanceMetrics"]]
    _say("audience generated; relevance per size", scores)

    client.start_audience_export_job(
        name="top-10k",
        audienceGenerationJobArn=job,
        audienceSize={"type": "ABSOLUTE", "value": 10000},
    )
    exported = _wait(
        lambda: client.list_audience_export_jobs(audienceGenerationJobArn=job)[
            "audienceExportJobs"
        ][0]
    )
    _say("audience exported to", exported["outputLocation"])

    client.delete_audience_generation_job(audienceGenerationJobArn=job)
    client.delete_configured_audience_model(configuredAudienceModelArn=configured)
    client.delete_audience_model(audienceModelArn=model)
    for _ in range(10):  # deletion goes DELETE_PENDING -> DELETE_IN_PROGRESS -> gone
        if not client.list_audience_models()["audienceModels"]:
            break
    client.delete_training_dataset(trainingDatasetArn=dataset)
    try:
        client.get_training_dataset(trainingDatasetArn=dataset)
    except client.exceptions.ResourceNotFoundException as exc:
        _say("cleaned up; a get now raises", exc.response["Error"]["Code"])


def run() -> None:
    import boto3

    from .mock import mock_cleanroomsml

    with mock_cleanroomsml() as mock:
        client = boto3.client("cleanroomsml", region_name="us-east-1")
        lookalike(client)
        print(f"{len(mock.calls)} calls served in-process, none sent to AWS.")
