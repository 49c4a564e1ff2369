"""The whole custom-model workflow through boto3, as a user's polling code drives it, in
each lifecycle mode."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml

from .builders import (
    ACCOUNT,
    MEMBERSHIP,
    REGION,
    make_algorithm,
    make_association,
    make_channel,
    put_ml_configuration,
)

FINAL = {"ACTIVE", "CREATE_FAILED", "INACTIVE", "DELETE_FAILED", "CANCEL_FAILED"}


def wait(mock: CleanRoomsMLMock, arn: str, read: Callable[[], Any]) -> Any:
    """Poll until a final status; in manual mode the test lets the resource move on."""
    seen = []
    for _ in range(10):
        got = read()
        seen.append(got["status"])
        if got["status"] in FINAL:
            return got
        if mock.config.lifecycle.value == "manual":
            mock.advance(arn)
    raise AssertionError(f"{arn} never settled: {seen}")


@pytest.mark.parametrize("lifecycle", ["immediate", "progressive", "manual"])
def test_custom_model_workflow(lifecycle: str) -> None:
    with mock_cleanroomsml(lifecycle=lifecycle) as mock:
        client = boto3.client("cleanroomsml", region_name=REGION)
        m = MEMBERSHIP
        put_ml_configuration(client)
        algorithm = make_algorithm(client)
        association = make_association(client, algorithm=algorithm)
        channel = make_channel(client, association=association)
        got = wait(
            mock,
            channel,
            lambda: client.get_ml_input_channel(membershipIdentifier=m, mlInputChannelArn=channel),
        )
        assert got["status"] == "ACTIVE"

        created = client.create_trained_model(
            membershipIdentifier=m,
            name="churn",
            configuredModelAlgorithmAssociationArn=association,
            resourceConfig={"instanceType": "ml.m5.xlarge", "volumeSizeInGB": 10},
            dataChannels=[{"mlInputChannelArn": channel, "channelName": "train"}],
        )
        model = created["trainedModelArn"]
        got = wait(
            mock,
            model,
            lambda: client.get_trained_model(membershipIdentifier=m, trainedModelArn=model),
        )
        assert got["status"] == "ACTIVE"
        assert got["metricsStatus"] == "PUBLISH_SUCCEEDED"

        v2 = client.create_trained_model(
            membershipIdentifier=m,
            name="churn",
            configuredModelAlgorithmAssociationArn=association,
            resourceConfig={"instanceType": "ml.m5.xlarge", "volumeSizeInGB": 10},
            dataChannels=[{"mlInputChannelArn": channel, "channelName": "train"}],
            incrementalTrainingDataChannels=[{"trainedModelArn": model, "channelName": "base"}],
        )["versionIdentifier"]
        got = wait(
            mock,
            model,
            lambda: client.get_trained_model(
                membershipIdentifier=m, trainedModelArn=model, versionIdentifier=v2
            ),
        )
        assert got["status"] == "ACTIVE" and got["versionIdentifier"] == v2

        job = client.start_trained_model_inference_job(
            membershipIdentifier=m,
            name="score",
            trainedModelArn=model,
            trainedModelVersionIdentifier=v2,
            resourceConfig={"instanceType": "ml.m5.xlarge"},
            outputConfiguration={"members": [{"accountId": ACCOUNT}]},
            dataSource={"mlInputChannelArn": channel},
        )["trainedModelInferenceJobArn"]
        got = wait(
            mock,
            job,
            lambda: client.get_trained_model_inference_job(
                membershipIdentifier=m, trainedModelInferenceJobArn=job
            ),
        )
        assert got["status"] == "ACTIVE"

        client.start_trained_model_export_job(
            membershipIdentifier=m,
            trainedModelArn=model,
            trainedModelVersionIdentifier=v2,
            name="artifacts",
            outputConfiguration={"members": [{"accountId": ACCOUNT}]},
        )
        collaboration = client.get_trained_model(membershipIdentifier=m, trainedModelArn=model)[
            "collaborationIdentifier"
        ]
        exports = client.list_collaboration_trained_model_export_jobs(
            collaborationIdentifier=collaboration, trainedModelArn=model
        )["collaborationTrainedModelExportJobs"]
        assert [e["name"] for e in exports] == ["artifacts"]

        # teardown in the order the real samples use
        def versions() -> dict[str, Any]:
            listed = client.list_trained_model_versions(
                membershipIdentifier=m, trainedModelArn=model
            )
            statuses = [v["status"] for v in listed["trainedModels"]]
            pending = [s for s in statuses if s != "INACTIVE"]
            return {"status": pending[0] if pending else "INACTIVE"}

        client.delete_trained_model_output(membershipIdentifier=m, trainedModelArn=model)
        client.delete_trained_model_output(
            membershipIdentifier=m, trainedModelArn=model, versionIdentifier=v2
        )
        assert wait(mock, model, versions)["status"] == "INACTIVE"
        client.delete_ml_input_channel_data(membershipIdentifier=m, mlInputChannelArn=channel)
        got = wait(
            mock,
            channel,
            lambda: client.get_ml_input_channel(membershipIdentifier=m, mlInputChannelArn=channel),
        )
        assert got["status"] == "INACTIVE"
        client.delete_configured_model_algorithm_association(
            membershipIdentifier=m, configuredModelAlgorithmAssociationArn=association
        )
        client.delete_configured_model_algorithm(configuredModelAlgorithmArn=algorithm)
        client.delete_ml_configuration(membershipIdentifier=m)
        assert client.list_configured_model_algorithms()["configuredModelAlgorithms"] == []


def test_demo_custom_model_runs(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from cleanroomsml_mock.demo import custom_model

    custom_model(client)
    out = capsys.readouterr().out
    assert "versions of the model: 2" in out
    assert "the record stays: INACTIVE" in out


def _plain(value: Any, path: str) -> None:
    """Saved state must be plain data: scalars, lists, dicts, datetimes, status tracks and
    registered record dataclasses (the generic save/load relies on it)."""
    import dataclasses
    import datetime as dt

    from cleanroomsml_mock.lifecycle import StatusTrack
    from cleanroomsml_mock.records import RECORD_TYPES

    if value is None or isinstance(value, (str, int, float, bool, dt.datetime)):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _plain(item, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), path
            _plain(item, f"{path}.{key}")
        return
    if isinstance(value, StatusTrack):
        _plain(dataclasses.asdict(value), path)
        return
    assert dataclasses.is_dataclass(value), f"{path}: {type(value).__name__}"
    assert RECORD_TYPES.get(type(value).__name__) is type(value), f"{path}: unregistered"
    for f in dataclasses.fields(value):
        _plain(getattr(value, f.name), f"{path}.{f.name}")


def test_state_is_plain_data(mock: CleanRoomsMLMock, client: Any) -> None:
    from cleanroomsml_mock.demo import custom_model

    custom_model(client)
    world = mock._require_world()
    for (account, region), backend in world.backends.items():
        for arn, record in backend.records.items():
            _plain(record, f"{account}/{region}/{arn}")
    import dataclasses

    for membership in world.memberships.by_id.values():
        _plain(dataclasses.asdict(membership), membership.membership_id)
