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


MEMBERSHIP = "11111111-1111-4111-8111-111111111111"


def custom_model(client: Any) -> None:
    print("Custom-model workflow (one membership; ids are registered on first use)")
    m = MEMBERSHIP
    client.put_ml_configuration(
        membershipIdentifier=m,
        defaultOutputLocation={
            "destination": {"s3Destination": {"s3Uri": "s3://demo-bucket/ml"}},
            "roleArn": ROLE,
        },
    )
    _say("ML configuration put for membership", m)
    algorithm = client.create_configured_model_algorithm(
        name="demo-xgboost",
        roleArn=ROLE,
        trainingContainerConfig={"imageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"},
        inferenceContainerConfig={"imageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/y:1"},
    )["configuredModelAlgorithmArn"]
    _say("configured model algorithm", algorithm)
    association = client.create_configured_model_algorithm_association(
        membershipIdentifier=m,
        configuredModelAlgorithmArn=algorithm,
        name="demo-association",
        privacyConfiguration={
            "policies": {
                "trainedModelExports": {
                    "maxSize": {"unit": "GB", "value": 5.0},
                    "filesToExport": ["MODEL"],
                }
            }
        },
    )["configuredModelAlgorithmAssociationArn"]
    _say("associated with the collaboration", association)
    channel = client.create_ml_input_channel(
        membershipIdentifier=m,
        name="demo-channel",
        configuredModelAlgorithmAssociations=[association],
        inputChannel={
            "dataSource": {
                "protectedQueryInputParameters": {
                    "sqlParameters": {"queryString": "SELECT * FROM events"},
                    "resultFormat": "PARQUET",
                }
            },
            "roleArn": ROLE,
        },
        retentionInDays=7,
    )["mlInputChannelArn"]
    got = client.get_ml_input_channel(membershipIdentifier=m, mlInputChannelArn=channel)
    _say("ML input channel", f"{got['status']}, {got['numberOfRecords']} records")
    model = client.create_trained_model(
        membershipIdentifier=m,
        name="demo-model",
        configuredModelAlgorithmAssociationArn=association,
        resourceConfig={"instanceType": "ml.m5.xlarge", "volumeSizeInGB": 10},
        dataChannels=[{"mlInputChannelArn": channel, "channelName": "train"}],
    )["trainedModelArn"]
    got = client.get_trained_model(membershipIdentifier=m, trainedModelArn=model)
    _say("trained model", got["status"])
    version = client.create_trained_model(
        membershipIdentifier=m,
        name="demo-model",
        configuredModelAlgorithmAssociationArn=association,
        resourceConfig={"instanceType": "ml.m5.xlarge", "volumeSizeInGB": 10},
        dataChannels=[{"mlInputChannelArn": channel, "channelName": "train"}],
        incrementalTrainingDataChannels=[{"trainedModelArn": model, "channelName": "base"}],
    )["versionIdentifier"]
    versions = client.list_trained_model_versions(membershipIdentifier=m, trainedModelArn=model)
    _say("incremental training added version", version)
    _say("versions of the model", len(versions["trainedModels"]))
    job = client.start_trained_model_inference_job(
        membershipIdentifier=m,
        name="demo-inference",
        trainedModelArn=model,
        resourceConfig={"instanceType": "ml.m5.xlarge"},
        outputConfiguration={"members": [{"accountId": "123456789012"}]},
        dataSource={"mlInputChannelArn": channel},
    )["trainedModelInferenceJobArn"]
    got = client.get_trained_model_inference_job(
        membershipIdentifier=m, trainedModelInferenceJobArn=job
    )
    _say("inference job on the latest version", got["status"])
    client.start_trained_model_export_job(
        membershipIdentifier=m,
        trainedModelArn=model,
        name="demo-export",
        outputConfiguration={"members": [{"accountId": "123456789012"}]},
    )
    collaboration = client.get_trained_model(membershipIdentifier=m, trainedModelArn=model)[
        "collaborationIdentifier"
    ]
    exports = client.list_collaboration_trained_model_export_jobs(
        collaborationIdentifier=collaboration, trainedModelArn=model
    )["collaborationTrainedModelExportJobs"]
    _say("export jobs seen by the collaboration", [e["name"] for e in exports])
    client.delete_trained_model_output(membershipIdentifier=m, trainedModelArn=model)
    client.delete_ml_input_channel_data(membershipIdentifier=m, mlInputChannelArn=channel)
    got = client.get_ml_input_channel(membershipIdentifier=m, mlInputChannelArn=channel)
    _say("channel data deleted; the record stays", got["status"])


def run() -> None:
    import boto3

    from .mock import mock_cleanroomsml

    with mock_cleanroomsml() as mock:
        client = boto3.client("cleanroomsml", region_name="us-east-1")
        lookalike(client)
        custom_model(client)
        print(f"{len(mock.calls)} calls served in-process, none sent to AWS.")
