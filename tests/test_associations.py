from __future__ import annotations

from typing import Any

import pytest

from cleanroomsml_mock import CleanRoomsMLMock, quotas

from .builders import (
    ACCOUNT,
    MEMBERSHIP,
    client_for,
    make_algorithm,
    make_association,
    make_channel,
    make_trained_model,
    privacy,
)

OTHER_MEMBERSHIP = "22222222-2222-4222-8222-222222222222"


def logs(**overrides: Any) -> dict[str, Any]:
    policy: dict[str, Any] = {"allowedAccountIds": [ACCOUNT], "logType": "ALL"}
    policy.update(overrides)
    return policy


def with_logs(policy: dict[str, Any]) -> dict[str, Any]:
    return privacy(trainedModels={"containerLogs": [policy]})


def test_create_get_round_trips_everything(client: Any) -> None:
    algorithm = make_algorithm(client)
    config = privacy(
        trainedModels={
            "containerLogs": [logs()],
            "containerMetrics": {"noiseLevel": "HIGH"},
            "maxArtifactSize": {"unit": "GB", "value": 10.0},
        }
    )
    arn = make_association(
        client, algorithm=algorithm, privacyConfiguration=config, tags={"a": "b"}, description="d"
    )
    assert arn.startswith(
        f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:membership/{MEMBERSHIP}/"
        "configured-model-algorithm-association/"
    )
    got = client.get_configured_model_algorithm_association(
        membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=arn
    )
    assert got["configuredModelAlgorithmArn"] == algorithm
    assert got["privacyConfiguration"] == config
    assert got["tags"] == {"a": "b"}
    assert got["membershipIdentifier"] == MEMBERSHIP
    assert "creatorAccountId" not in got


def test_list_is_per_membership(client: Any) -> None:
    algorithm = make_algorithm(client)
    make_association(client, algorithm=algorithm, name="one")
    make_association(client, OTHER_MEMBERSHIP, algorithm=algorithm, name="one")
    listed = client.list_configured_model_algorithm_associations(membershipIdentifier=MEMBERSHIP)
    items = listed["configuredModelAlgorithmAssociations"]
    assert [a["membershipIdentifier"] for a in items] == [MEMBERSHIP]
    assert "privacyConfiguration" not in items[0]


def test_algorithm_must_exist(client: Any) -> None:
    missing = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:configured-model-algorithm/nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        make_association(client, algorithm=missing)
    assert missing in str(exc.value)


def test_wrong_arn_type_is_a_validation_error(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException):
        make_association(
            client, algorithm=f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:training-dataset/x"
        )


def test_another_accounts_algorithm_is_denied(mock: CleanRoomsMLMock, client: Any) -> None:
    foreign = make_algorithm(client_for("333333333333"))
    with pytest.raises(client.exceptions.AccessDeniedException) as exc:
        make_association(client, algorithm=foreign)
    assert "333333333333" in str(exc.value)


def test_custom_redaction_needs_custom_entity_config(client: Any) -> None:
    bad = logs(logRedactionConfiguration={"entitiesToRedact": ["CUSTOM"]})
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_association(client, privacyConfiguration=with_logs(bad))
    assert "customEntityConfig" in str(exc.value)
    bad = logs(
        logRedactionConfiguration={
            "entitiesToRedact": ["NUMBERS"],
            "customEntityConfig": {"customDataIdentifiers": ["x"]},
        }
    )
    with pytest.raises(client.exceptions.ValidationException):
        make_association(
            client, privacyConfiguration=privacy(trainedModelInferenceJobs={"containerLogs": [bad]})
        )
    good = logs(
        logRedactionConfiguration={
            "entitiesToRedact": ["CUSTOM"],
            "customEntityConfig": {"customDataIdentifiers": ["x"]},
        }
    )
    make_association(client, privacyConfiguration=privacy(trainedModels={"containerLogs": [good]}))


def test_allowed_accounts_must_be_members(client: Any) -> None:
    bad = logs(allowedAccountIds=["999999999999"])
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_association(client, privacyConfiguration=with_logs(bad))
    assert "999999999999" in str(exc.value)
    bad = logs(allowedAccountIds=["not-an-account"])
    with pytest.raises(client.exceptions.ValidationException):
        make_association(client, privacyConfiguration=with_logs(bad))


def test_export_limits(client: Any) -> None:
    too_big = {"maxSize": {"unit": "GB", "value": 51.0}, "filesToExport": ["MODEL"]}
    with pytest.raises(client.exceptions.ValidationException):
        make_association(client, privacyConfiguration=privacy(trainedModelExports=too_big))
    twice = {"maxSize": {"unit": "GB", "value": 1.0}, "filesToExport": ["MODEL", "MODEL"]}
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_association(client, privacyConfiguration=privacy(trainedModelExports=twice))
    assert "filesToExport" in str(exc.value)


def test_duplicate_name_in_membership_conflicts(client: Any) -> None:
    algorithm = make_algorithm(client)
    make_association(client, algorithm=algorithm, name="same")
    with pytest.raises(client.exceptions.ConflictException):
        make_association(client, algorithm=algorithm, name="same")


def test_quota(mock: CleanRoomsMLMock, client: Any) -> None:
    mock.set_quota(quotas.ASSOCIATIONS_PER_MEMBERSHIP, 1)
    algorithm = make_algorithm(client)
    make_association(client, algorithm=algorithm, name="one")
    with pytest.raises(client.exceptions.ServiceQuotaExceededException):
        make_association(client, algorithm=algorithm, name="two")
    make_association(client, OTHER_MEMBERSHIP, algorithm=algorithm, name="two")


def test_delete_refused_while_in_use(client: Any) -> None:
    model = make_trained_model(client)
    association = model["association"]

    def delete() -> None:
        client.delete_configured_model_algorithm_association(
            membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=association
        )

    with pytest.raises(client.exceptions.ConflictException) as exc:
        delete()
    assert model["channel"] in str(exc.value)
    assert model["trainedModelArn"] in str(exc.value)
    client.delete_trained_model_output(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=model["trainedModelArn"]
    )
    client.delete_ml_input_channel_data(
        membershipIdentifier=MEMBERSHIP, mlInputChannelArn=model["channel"]
    )
    delete()
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_configured_model_algorithm_association(
            membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=association
        )


def test_get_through_another_membership_is_not_found(client: Any) -> None:
    arn = make_association(client)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_configured_model_algorithm_association(
            membershipIdentifier=OTHER_MEMBERSHIP, configuredModelAlgorithmAssociationArn=arn
        )


def test_collaboration_get_and_list(client: Any) -> None:
    arn = make_association(client, tags={"secret": "x"})
    collaboration = client.get_configured_model_algorithm_association(
        membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=arn
    )["collaborationIdentifier"]
    got = client.get_collaboration_configured_model_algorithm_association(
        collaborationIdentifier=collaboration, configuredModelAlgorithmAssociationArn=arn
    )
    assert got["creatorAccountId"] == ACCOUNT
    assert "tags" not in got
    assert got["privacyConfiguration"] == privacy()
    listed = client.list_collaboration_configured_model_algorithm_associations(
        collaborationIdentifier=collaboration
    )["collaborationConfiguredModelAlgorithmAssociations"]
    assert [a["configuredModelAlgorithmAssociationArn"] for a in listed] == [arn]
    assert listed[0]["creatorAccountId"] == ACCOUNT


def test_tagging(client: Any) -> None:
    arn = make_association(client)
    client.tag_resource(resourceArn=arn, tags={"k": "v"})
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"k": "v"}


def test_channel_on_deleted_association_is_not_found(client: Any) -> None:
    arn = make_association(client)
    client.delete_configured_model_algorithm_association(
        membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=arn
    )
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        make_channel(client, association=arn)


def test_delete_refused_while_an_inference_job_runs() -> None:
    import boto3

    from cleanroomsml_mock import mock_cleanroomsml

    from .builders import REGION, start_inference

    with mock_cleanroomsml(lifecycle="manual") as mock:
        client = boto3.client("cleanroomsml", region_name=REGION)
        association = make_association(client)
        channel = make_channel(client, association=association)
        mock.set_status(channel, "ACTIVE")
        model = make_trained_model(client, association=association, channel=channel)
        mock.set_status(model["trainedModelArn"], "ACTIVE")
        job = start_inference(client, model)
        client.delete_trained_model_output(
            membershipIdentifier=MEMBERSHIP, trainedModelArn=model["trainedModelArn"]
        )
        mock.set_status(model["trainedModelArn"], "INACTIVE")
        client.delete_ml_input_channel_data(
            membershipIdentifier=MEMBERSHIP, mlInputChannelArn=channel
        )
        mock.set_status(channel, "INACTIVE")
        with pytest.raises(client.exceptions.ConflictException) as exc:
            client.delete_configured_model_algorithm_association(
                membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=association
            )
        assert job in str(exc.value)
        mock.set_status(job, "ACTIVE")
        client.delete_configured_model_algorithm_association(
            membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=association
        )


def test_delete_refused_while_a_later_model_version_uses_it(client: Any) -> None:
    model = make_trained_model(client)
    arn = model["trainedModelArn"]
    other = make_association(client)
    channel = make_channel(client, association=other)
    client.create_trained_model(
        membershipIdentifier=MEMBERSHIP,
        name="model",
        configuredModelAlgorithmAssociationArn=other,
        resourceConfig={"instanceType": "ml.m5.xlarge", "volumeSizeInGB": 10},
        dataChannels=[{"mlInputChannelArn": channel, "channelName": "train"}],
        incrementalTrainingDataChannels=[{"trainedModelArn": arn, "channelName": "base"}],
    )
    client.delete_ml_input_channel_data(membershipIdentifier=MEMBERSHIP, mlInputChannelArn=channel)
    with pytest.raises(client.exceptions.ConflictException) as exc:
        client.delete_configured_model_algorithm_association(
            membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=other
        )
    assert arn in str(exc.value)
