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
    for _ in range(10):  # a configured audience model cannot go while a job uses it
        if not client.list_audience_generation_jobs()["audienceGenerationJobs"]:
            break
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
