"""The lifecycle engine through the lookalike workflow: the three modes, polling loops,
``m.set_status`` / ``m.advance``, failure injection, and timestamps."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, demo, mock_cleanroomsml
from cleanroomsml_mock.backend import audience_jobs, audience_models, configured_audience_models
from cleanroomsml_mock.lifecycle import (
    ACTIVE_ONLY,
    CANCEL_PATH,
    CREATE_PATH,
    DELETE_AND_REMOVE_PATH,
    DELETE_DATA_PATH,
    REMOVED,
    status_enum,
)

from .builders import (
    REGION,
    make_audience_model,
    make_configured_audience_model,
    make_generation_job,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("only_declared_errors")

SIZE = {"type": "ABSOLUTE", "value": 1000}


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (kind, path)
        for module in (audience_models, configured_audience_models, audience_jobs)
        for kind, paths in module.LIFECYCLES.items()
        for path in paths
    ],
)
def test_every_status_used_is_in_the_model_enum(kind: str, path: tuple[str, ...]) -> None:
    allowed = status_enum(kind)
    assert allowed, f"no status enum known for {kind}"
    assert {s for s in path if s != REMOVED} <= set(allowed)


# docs/lifecycle.md: the paths every family with a status walks, from the engine's constants.
DOCUMENTED_PATHS = {
    "training-dataset": (ACTIVE_ONLY,),
    "configured-audience-model": (ACTIVE_ONLY,),
    "audience-model": (CREATE_PATH, DELETE_AND_REMOVE_PATH),
    "audience-generation-job": (CREATE_PATH, DELETE_AND_REMOVE_PATH),
    "audience-export-job": (CREATE_PATH,),
    "ml-input-channel": (CREATE_PATH, DELETE_DATA_PATH),
    "trained-model": (CREATE_PATH, DELETE_DATA_PATH, CANCEL_PATH),
    "trained-model-inference-job": (CREATE_PATH, CANCEL_PATH),
    "trained-model-export-job": (CREATE_PATH,),
}


@pytest.mark.parametrize("kind", sorted(DOCUMENTED_PATHS))
def test_engine_paths_fit_every_family_enum(kind: str) -> None:
    allowed = set(status_enum(kind))
    for path in DOCUMENTED_PATHS[kind]:
        assert {s for s in path if s != REMOVED} <= allowed, (kind, path)


def poll(read: Any, mock: CleanRoomsMLMock | None, target: str = "ACTIVE") -> dict[str, Any]:
    """The polling loop users write; in manual mode the test moves things on."""
    seen = []
    for _ in range(10):
        got = dict(read())
        seen.append(got["status"])
        if got["status"] == target:
            return got
        if mock is not None:
            mock.advance()
    raise AssertionError(f"never reached {target}: {seen}")


def poll_until_gone(read: Any, error: type[Exception], mock: CleanRoomsMLMock | None) -> list[str]:
    seen = []
    for _ in range(10):
        try:
            seen.append(read()["status"])
        except error:
            return seen
        if mock is not None:
            mock.advance()
    raise AssertionError(f"never went away: {seen}")


@pytest.mark.parametrize("mode", ["immediate", "progressive", "manual"])
def test_whole_workflow_with_polling_loops_in_every_mode(mode: str) -> None:
    with mock_cleanroomsml(lifecycle=mode) as m:
        step = m if mode == "manual" else None
        client = boto3.client("cleanroomsml", region_name=REGION)
        model = make_audience_model(client)
        poll(lambda: client.get_audience_model(audienceModelArn=model), step)
        configured = make_configured_audience_model(client, model)
        job = make_generation_job(client, configured)
        got = poll(lambda: client.get_audience_generation_job(audienceGenerationJobArn=job), step)
        assert len(got["metrics"]["relevanceMetrics"]) == 3
        client.start_audience_export_job(name="e", audienceGenerationJobArn=job, audienceSize=SIZE)
        exported = poll(lambda: client.list_audience_export_jobs()["audienceExportJobs"][0], step)
        assert exported["outputLocation"].startswith("s3://")

        client.delete_audience_generation_job(audienceGenerationJobArn=job)
        seen = poll_until_gone(
            lambda: client.get_audience_generation_job(audienceGenerationJobArn=job),
            client.exceptions.ResourceNotFoundException,
            step,
        )
        client.delete_configured_audience_model(configuredAudienceModelArn=configured)
        client.delete_audience_model(audienceModelArn=model)
        model_seen = poll_until_gone(
            lambda: client.get_audience_model(audienceModelArn=model),
            client.exceptions.ResourceNotFoundException,
            step,
        )
        if mode == "immediate":
            assert seen == [] and model_seen == []
        elif mode == "progressive":
            assert seen == ["DELETE_IN_PROGRESS"] and model_seen == ["DELETE_IN_PROGRESS"]
        else:
            assert seen == ["DELETE_PENDING", "DELETE_IN_PROGRESS"]


def test_progressive_mode_walks_the_real_statuses() -> None:
    with mock_cleanroomsml(lifecycle="progressive"):
        client = boto3.client("cleanroomsml", region_name=REGION)
        model = make_audience_model(client)
        statuses = [client.get_audience_model(audienceModelArn=model)["status"] for _ in range(3)]
        assert statuses == ["CREATE_IN_PROGRESS", "ACTIVE", "ACTIVE"]


def test_list_pages_advance_only_what_they_show() -> None:
    with mock_cleanroomsml(lifecycle="progressive"):
        client = boto3.client("cleanroomsml", region_name=REGION)
        dataset = make_audience_model(client, name="first")
        first_dataset = client.get_audience_model(audienceModelArn=dataset)["trainingDatasetArn"]
        second = make_audience_model(client, first_dataset, name="second")
        page = client.list_audience_models(maxResults=1)["audienceModels"]
        assert [m["status"] for m in page] == ["ACTIVE"]  # read twice now
        assert client.get_audience_model(audienceModelArn=second)["status"] == (
            "CREATE_IN_PROGRESS"
        )


def test_manual_mode_stays_until_told(mock: CleanRoomsMLMock) -> None:
    with mock_cleanroomsml(lifecycle="manual") as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        model = make_audience_model(client)
        for _ in range(3):
            assert client.get_audience_model(audienceModelArn=model)["status"] == "CREATE_PENDING"
        m.advance(model)
        assert client.get_audience_model(audienceModelArn=model)["status"] == "CREATE_IN_PROGRESS"
        m.set_status(model, "ACTIVE")
        assert client.get_audience_model(audienceModelArn=model)["status"] == "ACTIVE"
        m.advance(model)  # nothing pending: no change
        assert client.get_audience_model(audienceModelArn=model)["status"] == "ACTIVE"


def test_failure_injection_shows_status_details(client: Any, mock: CleanRoomsMLMock) -> None:
    model = make_audience_model(client)
    mock.set_status(model, "CREATE_FAILED", status_code="INSUFFICIENT_DATA", message="too few")
    got = client.get_audience_model(audienceModelArn=model)
    assert got["status"] == "CREATE_FAILED"
    assert got["statusDetails"] == {"statusCode": "INSUFFICIENT_DATA", "message": "too few"}
    # a polling loop sees the failure and stops
    assert wait_for(lambda: client.get_audience_model(audienceModelArn=model))["status"] == (
        "CREATE_FAILED"
    )
    # a failed model cannot back a configured model, and can be deleted
    with pytest.raises(client.exceptions.ConflictException):
        make_configured_audience_model(client, model)
    client.delete_audience_model(audienceModelArn=model)


def test_set_status_rejects_unknown_arns_and_statuses(client: Any, mock: CleanRoomsMLMock) -> None:
    model = make_audience_model(client)
    configured = make_configured_audience_model(client, model)
    with pytest.raises(KeyError, match="nope"):
        mock.set_status(model[:-4] + "nope", "ACTIVE")
    with pytest.raises(ValueError, match="BOGUS"):
        mock.set_status(model, "BOGUS")
    with pytest.raises(ValueError, match="INACTIVE"):
        mock.set_status(model, "INACTIVE")  # not an audience model status
    with pytest.raises(ValueError, match="CREATE_PENDING"):
        mock.set_status(configured, "CREATE_PENDING")  # configured models are only ACTIVE
    job = make_generation_job(client, configured)
    with pytest.raises(KeyError):
        mock.set_status(mock.audience_export_job_arn(job, "missing"), "ACTIVE")
    with pytest.raises(ValueError):
        mock.set_status(model, "ACTIVE", version="v1")


def test_update_time_moves_on_every_transition_and_create_time_never(
    mock: CleanRoomsMLMock,
) -> None:
    with mock_cleanroomsml(lifecycle="progressive") as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        model = make_audience_model(client)
        reads = [client.get_audience_model(audienceModelArn=model) for _ in range(2)]
        m.set_status(model, "CREATE_FAILED")
        reads.append(client.get_audience_model(audienceModelArn=model))
        client.delete_audience_model(audienceModelArn=model)
        reads.append(client.get_audience_model(audienceModelArn=model))
        assert [r["status"] for r in reads] == [
            "CREATE_IN_PROGRESS",
            "ACTIVE",
            "CREATE_FAILED",
            "DELETE_IN_PROGRESS",
        ]
        updates = [r["updateTime"] for r in reads]
        assert updates == sorted(updates) and len(set(updates)) == len(updates)
        assert len({r["createTime"] for r in reads}) == 1
        assert reads[0]["createTime"] < updates[0]

        second = make_audience_model(client, name="b")
        wait_for(lambda: client.get_audience_model(audienceModelArn=second))
        configured = make_configured_audience_model(client, second)
        before = client.get_configured_audience_model(configuredAudienceModelArn=configured)
        client.update_configured_audience_model(
            configuredAudienceModelArn=configured, description="x"
        )
        after = client.get_configured_audience_model(configuredAudienceModelArn=configured)
        assert after["updateTime"] > before["updateTime"]
        assert after["createTime"] == before["createTime"]


@pytest.mark.parametrize("mode", ["immediate", "progressive"])
def test_demo_lookalike_runs(mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    with mock_cleanroomsml(lifecycle=mode):
        demo.lookalike(boto3.client("cleanroomsml", region_name=REGION))
    out = capsys.readouterr().out
    assert "audience exported to: s3://" in out
    assert "ResourceNotFoundException" in out


def test_set_status_to_an_intermediate_status_carries_on_from_there() -> None:
    with mock_cleanroomsml(lifecycle="manual") as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        model = make_audience_model(client)
        m.set_status(model, "CREATE_IN_PROGRESS")
        m.advance(model)
        assert client.get_audience_model(audienceModelArn=model)["status"] == "ACTIVE"
        m.set_status(model, "DELETE_PENDING")
        m.advance()
        assert client.get_audience_model(audienceModelArn=model)["status"] == "DELETE_IN_PROGRESS"
        m.advance()
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_audience_model(audienceModelArn=model)
    with mock_cleanroomsml(lifecycle="progressive") as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        model = make_audience_model(client)
        m.set_status(model, "CREATE_PENDING")
        seen = [client.get_audience_model(audienceModelArn=model)["status"] for _ in range(2)]
        assert seen == ["CREATE_IN_PROGRESS", "ACTIVE"]


def test_set_status_parks_a_resource_in_immediate_mode(client: Any, mock: CleanRoomsMLMock) -> None:
    model = make_audience_model(client)
    mock.set_status(model, "CREATE_IN_PROGRESS")
    for _ in range(2):
        assert client.get_audience_model(audienceModelArn=model)["status"] == "CREATE_IN_PROGRESS"


def test_lookalike_records_hold_json_friendly_state(client: Any, mock: CleanRoomsMLMock) -> None:
    """Save/load round-trips records through JSON: every field must be plain data."""
    import dataclasses
    import datetime as dt
    import json

    from cleanroomsml_mock.active import world as active_world
    from cleanroomsml_mock.records import RECORD_TYPES

    from .builders import client_for, start_policy

    configured = make_configured_audience_model(client)
    client.put_configured_audience_model_policy(
        configuredAudienceModelArn=configured,
        configuredAudienceModelPolicy=start_policy("111111111111", configured),
    )
    job = make_generation_job(
        client_for("111111111111"),
        configured,
        role="arn:aws:iam::111111111111:role/r",
        collaborationId="0f4e3a3c-1b2d-4c5e-8f90-123456789abc",
    )
    client_for("111111111111").start_audience_export_job(
        name="e", audienceGenerationJobArn=job, audienceSize=SIZE
    )

    def plain(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.isoformat()
        raise TypeError(f"not plain data: {type(value).__name__}")

    world = active_world()
    assert world is not None
    kinds = set()
    for backend in world.backends.values():
        for record in backend.records.values():
            assert RECORD_TYPES[type(record).__name__] is type(record)
            kinds.add(record.kind)
            json.dumps(dataclasses.asdict(record), default=plain)
    assert {"audience-generation-job", "audience-export-job", "audience-model"} <= kinds
