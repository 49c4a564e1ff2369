from __future__ import annotations

import re
from typing import Any

import pytest

from cleanroomsml_mock import CleanRoomsMLMock, quotas

from .builders import ACCOUNT, IMAGE, INFERENCE_IMAGE, ROLE, make_algorithm, make_association


def test_create_get_round_trips_everything(client: Any) -> None:
    arn = make_algorithm(
        client,
        name="algorithm",
        description="xgboost",
        tags={"team": "ml"},
        kmsKeyArn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc",
    )
    assert re.fullmatch(
        rf"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:configured-model-algorithm/[A-Za-z0-9]{{22}}",
        arn,
    )
    got = client.get_configured_model_algorithm(configuredModelAlgorithmArn=arn)
    assert got["name"] == "algorithm"
    assert got["roleArn"] == ROLE
    assert got["trainingContainerConfig"] == {
        "imageUri": IMAGE,
        "entrypoint": ["python", "train.py"],
    }
    assert got["inferenceContainerConfig"] == {"imageUri": INFERENCE_IMAGE}
    assert got["tags"] == {"team": "ml"}
    assert got["kmsKeyArn"].endswith("key/abc")
    assert "status" not in got


def test_list_shows_summaries_and_paginates(client: Any) -> None:
    for i in range(3):
        make_algorithm(client, name=f"a{i}", description="d")
    listed = client.list_configured_model_algorithms()["configuredModelAlgorithms"]
    assert [a["name"] for a in listed] == ["a0", "a1", "a2"]
    assert set(listed[0]) == {
        "createTime",
        "updateTime",
        "configuredModelAlgorithmArn",
        "name",
        "description",
    }
    page = client.list_configured_model_algorithms(maxResults=2)
    assert len(page["configuredModelAlgorithms"]) == 2 and "nextToken" in page


def test_only_inference_container_is_enough(client: Any) -> None:
    arn = make_algorithm(client, trainingContainerConfig=None)
    got = client.get_configured_model_algorithm(configuredModelAlgorithmArn=arn)
    assert "trainingContainerConfig" not in got


def test_a_container_config_is_required(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.create_configured_model_algorithm(name="a", roleArn=ROLE)
    assert "trainingContainerConfig" in str(exc.value)


def test_digest_image_uris_are_refused(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException) as exc:
        digest = f"repo/train@sha256:{'a' * 64}"
        make_algorithm(client, trainingContainerConfig={"imageUri": digest})
    assert "trainingContainerConfig.imageUri" in str(exc.value)


def test_image_uri_longer_than_255_is_refused(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_algorithm(client, inferenceContainerConfig={"imageUri": "r/" + "x" * 300})
    assert "imageUri" in str(exc.value)


def test_cross_account_role_is_denied(client: Any) -> None:
    with pytest.raises(client.exceptions.AccessDeniedException) as exc:
        make_algorithm(client, roleArn="arn:aws:iam::999999999999:role/ecr")
    assert "999999999999" in str(exc.value)


def test_duplicate_name_conflicts(client: Any) -> None:
    make_algorithm(client, name="same")
    with pytest.raises(client.exceptions.ConflictException) as exc:
        make_algorithm(client, name="same")
    assert "same" in str(exc.value)


def test_quota(mock: CleanRoomsMLMock, client: Any) -> None:
    mock.set_quota(quotas.CONFIGURED_MODEL_ALGORITHMS, 1)
    make_algorithm(client, name="one")
    with pytest.raises(client.exceptions.ServiceQuotaExceededException) as exc:
        make_algorithm(client, name="two")
    assert exc.value.response["quotaName"] == quotas.CONFIGURED_MODEL_ALGORITHMS


def test_delete_refused_while_associated_then_allowed(client: Any) -> None:
    algorithm = make_algorithm(client)
    association = make_association(client, algorithm=algorithm)
    with pytest.raises(client.exceptions.ConflictException) as exc:
        client.delete_configured_model_algorithm(configuredModelAlgorithmArn=algorithm)
    assert association in str(exc.value)
    client.delete_configured_model_algorithm_association(
        membershipIdentifier=association.split("/")[1],
        configuredModelAlgorithmAssociationArn=association,
    )
    client.delete_configured_model_algorithm(configuredModelAlgorithmArn=algorithm)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_configured_model_algorithm(configuredModelAlgorithmArn=algorithm)


def test_tagging(client: Any) -> None:
    arn = make_algorithm(client)
    client.tag_resource(resourceArn=arn, tags={"k": "v"})
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"k": "v"}
