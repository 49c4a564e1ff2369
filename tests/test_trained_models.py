from __future__ import annotations

from typing import Any

import boto3
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml, quotas

from .builders import (
    ACCOUNT,
    MEMBERSHIP,
    REGION,
    make_algorithm,
    make_association,
    make_channel,
    make_trained_model,
    new_version,
    put_ml_configuration,
)


def get(client: Any, arn: str, version: str | None = None) -> Any:
    kwargs = {"versionIdentifier": version} if version else {}
    return client.get_trained_model(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn, **kwargs)


def test_create_get_round_trips_everything(client: Any) -> None:
    put_ml_configuration(client)
    model = make_trained_model(
        client,
        hyperparameters={"eta": "0.1"},
        environment={"MODE": "train"},
        stoppingCondition={"maxRuntimeInSeconds": 3600},
        trainingInputMode="File",
        description="first",
        kmsKeyArn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        tags={"t": "1"},
        mlModelTrainingPayerAccountId=ACCOUNT,
    )
    arn = model["trainedModelArn"]
    assert f":membership/{MEMBERSHIP}/trained-model/" in arn
    assert "versionIdentifier" not in model  # the base version has none
    got = get(client, arn)
    assert got["name"] == "model"
    assert got["status"] == "ACTIVE"
    assert got["hyperparameters"] == {"eta": "0.1"}
    assert got["environment"] == {"MODE": "train"}
    assert got["dataChannels"] == [{"mlInputChannelArn": model["channel"], "channelName": "train"}]
    assert got["configuredModelAlgorithmAssociationArn"] == model["association"]
    assert got["mlModelTrainingPayerAccountId"] == ACCOUNT
    assert got["tags"] == {"t": "1"}
    assert got["trainingContainerImageDigest"].startswith("sha256:")
    assert got["metricsStatus"] == got["logsStatus"] == "PUBLISH_SUCCEEDED"
    assert "versionIdentifier" not in got and "creatorAccountId" not in got


def test_metrics_publication_fails_without_ml_configuration(client: Any) -> None:
    got = get(client, make_trained_model(client)["trainedModelArn"])
    assert got["metricsStatus"] == "PUBLISH_FAILED"
    assert "ML configuration" in got["metricsStatusDetails"]


def test_incremental_training_creates_a_version_under_the_same_arn(client: Any) -> None:
    base = make_trained_model(client)
    v2 = new_version(client, base, hyperparameters={"eta": "0.2"})
    assert v2["trainedModelArn"] == base["trainedModelArn"]
    assert len(v2["versionIdentifier"]) == 36
    latest = get(client, base["trainedModelArn"])
    assert latest["versionIdentifier"] == v2["versionIdentifier"]
    assert latest["incrementalTrainingDataChannels"] == [
        {"channelName": "base", "modelName": "model"}
    ]
    assert latest["hyperparameters"] == {"eta": "0.2"}
    v3 = new_version(client, base, channel={"versionIdentifier": v2["versionIdentifier"]})
    got = get(client, base["trainedModelArn"], v3["versionIdentifier"])
    assert got["incrementalTrainingDataChannels"][0]["versionIdentifier"] == v2["versionIdentifier"]
    base_view = get(client, base["trainedModelArn"], v2["versionIdentifier"])
    assert base_view["hyperparameters"] == {"eta": "0.2"}
    listed = client.list_trained_models(membershipIdentifier=MEMBERSHIP)["trainedModels"]
    assert len(listed) == 1 and listed[0]["versionIdentifier"] == v3["versionIdentifier"]


def test_incremental_training_under_a_new_name_makes_a_new_model(client: Any) -> None:
    base = make_trained_model(client)
    other = new_version(client, base, name="derived")
    assert other["trainedModelArn"] != base["trainedModelArn"]
    assert "versionIdentifier" not in other
    got = get(client, other["trainedModelArn"])
    assert got["incrementalTrainingDataChannels"] == [{"channelName": "base", "modelName": "model"}]


def test_list_versions_filters_and_pages_by_ten(client: Any) -> None:
    base = make_trained_model(client)
    for _ in range(11):
        new_version(client, base)
    arn = base["trainedModelArn"]
    first = client.list_trained_model_versions(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn)
    assert len(first["trainedModels"]) == 10
    rest = client.list_trained_model_versions(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=arn, nextToken=first["nextToken"]
    )
    assert len(rest["trainedModels"]) == 2 and "nextToken" not in rest
    ids = [v.get("versionIdentifier") for v in first["trainedModels"] + rest["trainedModels"]]
    assert ids[0] is None and len(set(ids)) == 12
    client.delete_trained_model_output(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn)
    inactive = client.list_trained_model_versions(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=arn, status="INACTIVE"
    )["trainedModels"]
    assert [v.get("versionIdentifier") for v in inactive] == [None]


def test_list_versions_of_unknown_model_is_not_found(client: Any) -> None:
    arn = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:membership/{MEMBERSHIP}/trained-model/x"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_trained_model_versions(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn)


def test_unknown_version_is_not_found(client: Any) -> None:
    arn = make_trained_model(client)["trainedModelArn"]
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        get(client, arn, missing)
    assert missing in str(exc.value)


def test_same_name_without_incremental_channel_conflicts(client: Any) -> None:
    base = make_trained_model(client)
    with pytest.raises(client.exceptions.ConflictException) as exc:
        make_trained_model(client, association=base["association"], channel=base["channel"])
    assert "model" in str(exc.value)


def test_channel_names_must_be_unique(client: Any) -> None:
    base = make_trained_model(client)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        new_version(client, base, channel={"channelName": "train"})
    assert "train" in str(exc.value)


def test_at_most_twenty_channels_in_total(client: Any) -> None:
    base = make_trained_model(client)
    channels = [{"mlInputChannelArn": base["channel"], "channelName": f"c{i}"} for i in range(20)]
    with pytest.raises(client.exceptions.ValidationException) as exc:
        new_version(client, base, dataChannels=channels)
    assert "20" in str(exc.value)
    with pytest.raises(client.exceptions.ValidationException):
        make_trained_model(
            client,
            name="too-many",
            association=base["association"],
            dataChannels=[*channels, {"mlInputChannelArn": base["channel"], "channelName": "x"}],
        )


def test_channel_name_pattern(client: Any) -> None:
    association = make_association(client)
    channel = make_channel(client, association=association)
    with pytest.raises(client.exceptions.ValidationException):
        make_trained_model(
            client,
            association=association,
            dataChannels=[{"mlInputChannelArn": channel, "channelName": "no spaces"}],
        )


def test_algorithm_without_training_container_is_refused(client: Any) -> None:
    algorithm = make_algorithm(client, trainingContainerConfig=None)
    association = make_association(client, algorithm=algorithm)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_trained_model(client, association=association)
    assert "trainingContainerConfig" in str(exc.value)


def test_instance_count_limit(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException):
        make_trained_model(
            client,
            resourceConfig={
                "instanceType": "ml.m5.xlarge",
                "instanceCount": 6,
                "volumeSizeInGB": 1,
            },
        )


def test_payer_must_be_a_candidate(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_trained_model(client, mlModelTrainingPayerAccountId="999999999999")
    assert "mlModelTrainingPayerAccountId" in str(exc.value)


def manual_client() -> Any:
    return boto3.client("cleanroomsml", region_name=REGION)


def test_channels_and_base_versions_must_be_active() -> None:
    with mock_cleanroomsml(lifecycle="manual") as mock:
        client = manual_client()
        association = make_association(client)
        channel = make_channel(client, association=association)
        with pytest.raises(client.exceptions.ConflictException) as exc:
            make_trained_model(client, association=association, channel=channel)
        assert "CREATE_PENDING" in str(exc.value)
        mock.set_status(channel, "ACTIVE")
        base = make_trained_model(client, association=association, channel=channel)
        with pytest.raises(client.exceptions.ConflictException):
            new_version(client, base)


def test_cancel_and_its_conflicts() -> None:
    with mock_cleanroomsml(lifecycle="manual") as mock:
        client = manual_client()
        association = make_association(client)
        channel = make_channel(client, association=association)
        mock.set_status(channel, "ACTIVE")
        model = make_trained_model(client, association=association, channel=channel)
        arn = model["trainedModelArn"]
        assert get(client, arn)["status"] == "CREATE_PENDING"
        with pytest.raises(client.exceptions.ConflictException):
            client.delete_trained_model_output(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn)
        client.cancel_trained_model(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn)
        assert get(client, arn)["status"] == "CANCEL_PENDING"
        mock.advance(arn)
        assert get(client, arn)["status"] == "CANCEL_IN_PROGRESS"
        mock.advance(arn)
        assert get(client, arn)["status"] == "INACTIVE"
        assert "trainingContainerImageDigest" not in get(client, arn)
        with pytest.raises(client.exceptions.ConflictException):
            client.cancel_trained_model(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn)


def test_set_status_per_version() -> None:
    with mock_cleanroomsml() as mock:
        client = manual_client()
        base = make_trained_model(client)
        v2 = new_version(client, base)
        arn = base["trainedModelArn"]
        mock.set_status(arn, "CREATE_FAILED", message="OOM", version=v2["versionIdentifier"])
        assert get(client, arn)["statusDetails"] == {"message": "OOM"}
        assert get(client, arn, v2["versionIdentifier"])["status"] == "CREATE_FAILED"
        versions = client.list_trained_model_versions(
            membershipIdentifier=MEMBERSHIP, trainedModelArn=arn
        )["trainedModels"]
        assert [v["status"] for v in versions] == ["ACTIVE", "CREATE_FAILED"]
        with pytest.raises(ValueError):
            mock.set_status(arn, "ACTIVE", version="00000000-0000-4000-8000-000000000000")


def test_delete_output_per_version(client: Any) -> None:
    base = make_trained_model(client)
    v2 = new_version(client, base)
    arn = base["trainedModelArn"]
    version = v2["versionIdentifier"]
    client.delete_trained_model_output(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=arn, versionIdentifier=version
    )
    assert get(client, arn)["status"] == "INACTIVE"
    assert get(client, arn, version)["trainingContainerImageDigest"].startswith("sha256:")
    versions = client.list_trained_model_versions(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=arn
    )["trainedModels"]
    assert [v["status"] for v in versions] == ["ACTIVE", "INACTIVE"]


def test_cancel_active_model_conflicts(client: Any) -> None:
    arn = make_trained_model(client)["trainedModelArn"]
    with pytest.raises(client.exceptions.ConflictException) as exc:
        client.cancel_trained_model(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn)
    assert "ACTIVE" in str(exc.value)


def test_progressive_versions_advance_on_read() -> None:
    with mock_cleanroomsml(lifecycle="progressive"):
        client = manual_client()
        association = make_association(client)
        channel = make_channel(client, association=association)
        for _ in range(2):
            client.get_ml_input_channel(membershipIdentifier=MEMBERSHIP, mlInputChannelArn=channel)
        model = make_trained_model(client, association=association, channel=channel)
        arn = model["trainedModelArn"]
        statuses = [get(client, arn)["status"] for _ in range(3)]
        assert statuses == ["CREATE_IN_PROGRESS", "ACTIVE", "ACTIVE"]


def test_training_quotas(mock: CleanRoomsMLMock) -> None:
    mock.reset()
    with mock_cleanroomsml(lifecycle="manual") as manual:
        client = manual_client()
        manual.set_quota(quotas.PENDING_TRAINING_JOBS_PER_MEMBERSHIP, 1)
        association = make_association(client)
        channel = make_channel(client, association=association)
        manual.set_status(channel, "ACTIVE")
        first = make_trained_model(client, association=association, channel=channel, name="a")
        with pytest.raises(client.exceptions.ServiceQuotaExceededException) as exc:
            make_trained_model(client, association=association, channel=channel, name="b")
        assert exc.value.response["quotaName"] == quotas.PENDING_TRAINING_JOBS_PER_MEMBERSHIP
        manual.set_status(first["trainedModelArn"], "ACTIVE")
        make_trained_model(client, association=association, channel=channel, name="b")
        manual.set_quota(quotas.PENDING_TRAINING_JOBS_PER_MEMBERSHIP, 5)
        manual.set_quota(quotas.PENDING_TRAINING_JOBS_PER_ACCOUNT, 1)
        other = "66666666-6666-4666-8666-666666666666"
        association2 = make_association(client, other)
        channel2 = make_channel(client, other, association2)
        manual.set_status(channel2, "ACTIVE")
        with pytest.raises(client.exceptions.ServiceQuotaExceededException) as exc:
            make_trained_model(client, other, association=association2, channel=channel2)
        assert exc.value.response["quotaName"] == quotas.PENDING_TRAINING_JOBS_PER_ACCOUNT


def test_tags_on_model(client: Any) -> None:
    base = make_trained_model(client, tags={"a": "1"})
    new_version(client, base, tags={"b": "2"})
    arn = base["trainedModelArn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    client.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert get(client, arn)["tags"] == {"b": "2"}


def test_incremental_channel_rules(client: Any) -> None:
    base = make_trained_model(client)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        new_version(
            client, base, channel={"versionIdentifier": "00000000-0000-4000-8000-000000000000"}
        )
    assert "incrementalTrainingDataChannels.1" in str(exc.value)
    elsewhere = make_trained_model(client, "99999999-9999-4999-8999-999999999999")
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_trained_model(
            client,
            name="mixed",
            association=base["association"],
            channel=base["channel"],
            incrementalTrainingDataChannels=[
                {"trainedModelArn": elsewhere["trainedModelArn"], "channelName": "base"}
            ],
        )
    assert "incrementalTrainingDataChannels.1.trainedModelArn" in str(exc.value)


def test_channel_of_another_collaboration_is_refused(client: Any) -> None:
    base = make_trained_model(client)
    other = make_channel(client, "99999999-9999-4999-8999-999999999999")
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_trained_model(client, name="x", association=base["association"], channel=other)
    assert "dataChannels.1.mlInputChannelArn" in str(exc.value)


def test_wrong_arn_type_is_a_validation_error(client: Any) -> None:
    channel = make_trained_model(client)["channel"]
    with pytest.raises(client.exceptions.ValidationException):
        get(client, channel)


def test_progressive_status_filter_matches_what_the_page_shows() -> None:
    with mock_cleanroomsml(lifecycle="progressive"):
        client = manual_client()
        association = make_association(client)
        channel = make_channel(client, association=association)
        for _ in range(2):
            client.get_ml_input_channel(membershipIdentifier=MEMBERSHIP, mlInputChannelArn=channel)
        model = make_trained_model(client, association=association, channel=channel)
        arn = model["trainedModelArn"]
        shown = []
        for status in ("CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE"):
            page = client.list_trained_model_versions(
                membershipIdentifier=MEMBERSHIP, trainedModelArn=arn, status=status
            )["trainedModels"]
            assert all(v["status"] == status for v in page)
            shown += [v["status"] for v in page]
        # each filtered read advanced the version one step, as a Get would
        assert shown == ["ACTIVE"]
