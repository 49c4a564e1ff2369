"""``python -m cleanroomsml_mock demo``: the main workflow, driven through boto3 against
the mock, printing what it does."""

from __future__ import annotations

from typing import Any

ROLE = "arn:aws:iam::123456789012:role/cleanrooms-ml-demo"


def _say(step: str, detail: Any = "") -> None:
    print(f"  - {step}{': ' if detail != '' else ''}{detail}")


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
    )
    arn = dataset["trainingDatasetArn"]
    _say("created training dataset", arn)
    got = client.get_training_dataset(trainingDatasetArn=arn)
    _say("status", got["status"])
    client.tag_resource(resourceArn=arn, tags={"stage": "demo"})
    _say("tags", client.list_tags_for_resource(resourceArn=arn)["tags"])
    listed = client.list_training_datasets()["trainingDatasets"]
    _say("training datasets listed", len(listed))
    client.delete_training_dataset(trainingDatasetArn=arn)
    try:
        client.get_training_dataset(trainingDatasetArn=arn)
    except client.exceptions.ResourceNotFoundException as exc:
        _say("deleted; a get now raises", exc.response["Error"]["Code"])


def run() -> None:
    import boto3

    from .mock import mock_cleanroomsml

    with mock_cleanroomsml() as mock:
        client = boto3.client("cleanroomsml", region_name="us-east-1")
        lookalike(client)
        print(f"{len(mock.calls)} calls served in-process, none sent to AWS.")
