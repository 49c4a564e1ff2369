from __future__ import annotations

from typing import Any

import pytest

from cleanroomsml_mock import CleanRoomsMLMock

from .builders import (
    ACCOUNT,
    MEMBERSHIP,
    make_association,
    make_trained_model,
    new_version,
    privacy,
    put_ml_configuration,
)

COLLABORATION = "12121212-1212-4212-8212-121212121212"


def export(client: Any, model: dict[str, Any], **overrides: Any) -> None:
    kwargs: dict[str, Any] = {
        "membershipIdentifier": MEMBERSHIP,
        "trainedModelArn": model["trainedModelArn"],
        "name": "export",
        "outputConfiguration": {"members": [{"accountId": ACCOUNT}]},
    }
    kwargs.update(overrides)
    client.start_trained_model_export_job(**kwargs)


def exports(client: Any, model: dict[str, Any], **filters: Any) -> list[dict[str, Any]]:
    return list(
        client.list_collaboration_trained_model_export_jobs(
            collaborationIdentifier=COLLABORATION,
            trainedModelArn=model["trainedModelArn"],
            **filters,
        )["collaborationTrainedModelExportJobs"]
    )


@pytest.fixture
def model(mock: CleanRoomsMLMock, client: Any) -> dict[str, Any]:
    mock.add_membership(membership_id=MEMBERSHIP, collaboration_id=COLLABORATION)
    put_ml_configuration(client)
    return make_trained_model(client)


def test_start_and_list(client: Any, model: dict[str, Any]) -> None:
    export(client, model, description="to me")
    listed = exports(client, model)
    assert len(listed) == 1
    job = listed[0]
    assert job["name"] == "export"
    assert job["status"] == "ACTIVE"
    assert job["creatorAccountId"] == ACCOUNT
    assert job["membershipIdentifier"] == MEMBERSHIP
    assert job["collaborationIdentifier"] == COLLABORATION
    assert job["description"] == "to me"
    assert "trainedModelVersionIdentifier" not in job


def test_version_filter(client: Any, model: dict[str, Any]) -> None:
    v2 = new_version(client, model)
    export(client, model, name="latest")
    latest = exports(client, model, trainedModelVersionIdentifier=v2["versionIdentifier"])
    assert [j["name"] for j in latest] == ["latest"]
    unknown = "00000000-0000-4000-8000-000000000000"
    assert exports(client, model, trainedModelVersionIdentifier=unknown) == []


def test_duplicate_name_conflicts(client: Any, model: dict[str, Any]) -> None:
    export(client, model)
    with pytest.raises(client.exceptions.ConflictException):
        export(client, model)


def test_receiver_needs_an_ml_configuration(client: Any, model: dict[str, Any]) -> None:
    client.delete_ml_configuration(membershipIdentifier=MEMBERSHIP)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        export(client, model)
    assert "ML configuration" in str(exc.value)


def test_receiver_must_be_a_member_able_to_receive(
    mock: CleanRoomsMLMock, client: Any, model: dict[str, Any]
) -> None:
    mock.add_membership(
        account_id="333333333333", collaboration_id=COLLABORATION, abilities=["CAN_QUERY"]
    )
    for account in ("333333333333", "444444444444"):
        with pytest.raises(client.exceptions.ValidationException) as exc:
            export(client, model, outputConfiguration={"members": [{"accountId": account}]})
        assert account in str(exc.value)


def test_association_must_allow_exports(client: Any, model: dict[str, Any]) -> None:
    no_exports = privacy()
    del no_exports["policies"]["trainedModelExports"]
    association = make_association(client, privacyConfiguration=no_exports)
    other = make_trained_model(client, name="private", association=association)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        export(client, other)
    assert "trainedModelExports" in str(exc.value)


def test_version_must_be_active(mock: CleanRoomsMLMock, client: Any, model: dict[str, Any]) -> None:
    client.delete_trained_model_output(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=model["trainedModelArn"]
    )
    with pytest.raises(client.exceptions.ConflictException) as exc:
        export(client, model)
    assert "INACTIVE" in str(exc.value)


def test_unknown_model_is_not_found(client: Any, model: dict[str, Any]) -> None:
    model = dict(model, trainedModelArn=model["trainedModelArn"] + "x")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        export(client, model)


def test_receiver_ml_configuration_needs_an_s3_destination(
    client: Any, model: dict[str, Any]
) -> None:
    # an ML configuration without a destination serves metrics and logs only: the
    # artifacts would have nowhere to go
    client.put_ml_configuration(
        membershipIdentifier=MEMBERSHIP,
        defaultOutputLocation={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/cleanrooms-ml"},
    )
    with pytest.raises(client.exceptions.ValidationException) as exc:
        export(client, model)
    assert "destination" in str(exc.value)
    assert exports(client, model) == []
