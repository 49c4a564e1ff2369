"""The mock's clock, the timed lifecycle and the time rules (docs/lifecycle.md, "The clock"
and "Timed mode"; docs/custom-models.md, "Data retention" and "Training time limit").

Every test that looks at a boundary freezes the wall clock with time-machine, so the only
time that passes is the time the test adds: nothing depends on how fast the suite runs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import time_machine

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml
from cleanroomsml_mock.cli import main as cli_main
from cleanroomsml_mock.lifecycle import DEFAULT_DURATIONS, STEP_DEFAULTS, step_seconds
from cleanroomsml_mock.server import ThreadedServer

from .builders import (
    MEMBERSHIP,
    REGION,
    make_audience_model,
    make_channel,
    make_configured_audience_model,
    make_generation_job,
    make_trained_model,
    put_ml_configuration,
    start_inference,
)

pytestmark = pytest.mark.usefixtures("only_declared_errors")

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
SIZE = {"type": "ABSOLUTE", "value": 1000}


@pytest.fixture
def frozen() -> Iterator[Any]:
    """The wall clock stands still at START (time-machine) for the whole test."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def timed_mock(**durations: float) -> CleanRoomsMLMock:
    return mock_cleanroomsml(lifecycle="timed", durations=durations or None)


@pytest.fixture
def timed(frozen: Any) -> Iterator[CleanRoomsMLMock]:
    with timed_mock() as m:
        yield m


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Overrides conftest's: a client served by whichever mock the test starts."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client("cleanroomsml", region_name=REGION)


def walk(
    m: CleanRoomsMLMock, get: Callable[[], dict[str, Any]], kind: str, steps: list[str]
) -> None:
    """Each status of ``steps`` shows until its default duration has passed (one second
    short of it, it still shows), then the next one."""
    for status, following in itertools.pairwise(steps):
        seconds = step_seconds(kind, status, {})
        assert get()["status"] == status
        m.advance_time(seconds - 1)
        assert get()["status"] == status
        m.advance_time(1)
        assert get()["status"] == following


def gone(call: Callable[[], Any], client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        call()


def read_channel(client: Any, channel: str) -> dict[str, Any]:
    """GetMLInputChannel of ``channel`` (in ``MEMBERSHIP``)."""
    return dict(
        client.get_ml_input_channel(mlInputChannelArn=channel, membershipIdentifier=MEMBERSHIP)
    )


# ---------------------------------------------------------------------------- the clock


def test_now_is_aware_utc_and_advances(frozen: Any) -> None:
    with mock_cleanroomsml() as m:
        assert m.now() == START
        assert m.now().tzinfo is not None and m.now().utcoffset() == dt.timedelta(0)
        m.advance_time(90.5)
        assert m.now() == START + dt.timedelta(seconds=90.5)
        m.advance_time(0)
        assert m.now() == START + dt.timedelta(seconds=90.5)


@pytest.mark.parametrize("bad", [-1, -0.001, float("nan"), float("inf"), "60", True, None])
def test_advance_time_refuses_going_back_and_non_numbers(bad: Any) -> None:
    with mock_cleanroomsml() as m:
        before = m.now()
        with pytest.raises(ValueError):
            m.advance_time(bad)
        assert m.now() >= before


def test_timestamps_come_from_the_clock(frozen: Any, client: Any) -> None:
    with mock_cleanroomsml() as m:
        m.advance_time(3600)
        arn = make_audience_model(client)
        got = client.get_audience_model(audienceModelArn=arn)
        assert got["createTime"] == START + dt.timedelta(hours=1)
        m.advance_time(60)
        cam = make_configured_audience_model(client, arn)
        assert client.get_configured_audience_model(configuredAudienceModelArn=cam)[
            "createTime"
        ] == START + dt.timedelta(hours=1, minutes=1)


def test_reset_puts_the_clock_back(frozen: Any) -> None:
    with mock_cleanroomsml() as m:
        m.advance_time(86400)
        m.reset()
        assert m.now() == START


def test_time_machine_moves_the_clock_and_the_statuses(client: Any) -> None:
    with time_machine.travel(START, tick=False) as traveller, timed_mock() as m:
        arn = make_audience_model(client)
        assert client.get_audience_model(audienceModelArn=arn)["status"] == "CREATE_PENDING"
        traveller.shift(dt.timedelta(hours=4))
        assert m.now() == START + dt.timedelta(hours=4)
        got = client.get_audience_model(audienceModelArn=arn)
        assert got["status"] == "ACTIVE"
        # the step happened when it fell due, not when it was read
        pending = DEFAULT_DURATIONS.get("audience-model:CREATE_PENDING", 60)
        training = DEFAULT_DURATIONS["audience-model:CREATE_IN_PROGRESS"]
        assert got["updateTime"] == START + dt.timedelta(seconds=pending + training)


# ---------------------------------------------------------------------------- timed mode


def test_audience_model_create_and_delete(timed: CleanRoomsMLMock, client: Any) -> None:
    arn = make_audience_model(client)
    get = lambda: client.get_audience_model(audienceModelArn=arn)  # noqa: E731
    walk(timed, get, "audience-model", ["CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE"])
    client.delete_audience_model(audienceModelArn=arn)
    walk(timed, get, "audience-model", ["DELETE_PENDING", "DELETE_IN_PROGRESS"])
    timed.advance_time(step_seconds("audience-model", "DELETE_IN_PROGRESS", {}))
    gone(get, client)
    assert client.list_audience_models()["audienceModels"] == []


def test_generation_and_export_jobs(timed: CleanRoomsMLMock, client: Any) -> None:
    model = make_audience_model(client)
    timed.advance_time(4 * 3600)
    cam = make_configured_audience_model(client, model)
    job = make_generation_job(client, cam)
    get = lambda: client.get_audience_generation_job(audienceGenerationJobArn=job)  # noqa: E731
    walk(
        timed,
        get,
        "audience-generation-job",
        ["CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE"],
    )
    client.start_audience_export_job(name="export", audienceGenerationJobArn=job, audienceSize=SIZE)

    def export() -> dict[str, Any]:
        jobs = client.list_audience_export_jobs(audienceGenerationJobArn=job)
        return dict(jobs["audienceExportJobs"][0])

    walk(timed, export, "audience-export-job", ["CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE"])
    client.delete_audience_generation_job(audienceGenerationJobArn=job)
    walk(timed, get, "audience-generation-job", ["DELETE_PENDING", "DELETE_IN_PROGRESS"])
    timed.advance_time(step_seconds("audience-generation-job", "DELETE_IN_PROGRESS", {}))
    gone(get, client)


def test_channel_model_inference_and_export(timed: CleanRoomsMLMock, client: Any) -> None:
    put_ml_configuration(client)
    channel = make_channel(client, retentionInDays=30)

    def get_channel() -> dict[str, Any]:
        return read_channel(client, channel)

    walk(timed, get_channel, "ml-input-channel", ["CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE"])
    model = make_trained_model(client, channel=channel)
    arn = model["trainedModelArn"]

    def get_model() -> dict[str, Any]:
        return dict(client.get_trained_model(trainedModelArn=arn, membershipIdentifier=MEMBERSHIP))

    walk(timed, get_model, "trained-model", ["CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE"])
    inference = start_inference(client, model)

    def get_inference() -> dict[str, Any]:
        return dict(
            client.get_trained_model_inference_job(
                trainedModelInferenceJobArn=inference, membershipIdentifier=MEMBERSHIP
            )
        )

    walk(
        timed,
        get_inference,
        "trained-model-inference-job",
        ["CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE"],
    )
    client.delete_trained_model_output(trainedModelArn=arn, membershipIdentifier=MEMBERSHIP)
    walk(timed, get_model, "trained-model", ["DELETE_PENDING", "DELETE_IN_PROGRESS", "INACTIVE"])
    client.delete_ml_input_channel_data(mlInputChannelArn=channel, membershipIdentifier=MEMBERSHIP)
    walk(
        timed, get_channel, "ml-input-channel", ["DELETE_PENDING", "DELETE_IN_PROGRESS", "INACTIVE"]
    )


def test_cancels(timed: CleanRoomsMLMock, client: Any) -> None:
    channel = make_channel(client)
    timed.set_status(channel, "ACTIVE")  # no waiting for the channel: set it ACTIVE
    model = make_trained_model(client, channel=channel)
    arn = model["trainedModelArn"]
    client.cancel_trained_model(trainedModelArn=arn, membershipIdentifier=MEMBERSHIP)

    def get_model() -> dict[str, Any]:
        return dict(client.get_trained_model(trainedModelArn=arn, membershipIdentifier=MEMBERSHIP))

    walk(timed, get_model, "trained-model", ["CANCEL_PENDING", "CANCEL_IN_PROGRESS", "INACTIVE"])


def test_set_status_and_advance_work_in_timed_mode(timed: CleanRoomsMLMock, client: Any) -> None:
    arn = make_audience_model(client)
    get = lambda: client.get_audience_model(audienceModelArn=arn)  # noqa: E731
    timed.advance(arn)
    assert get()["status"] == "CREATE_IN_PROGRESS"
    # the step's time counts from when advance took it
    timed.advance_time(step_seconds("audience-model", "CREATE_IN_PROGRESS", {}))
    assert get()["status"] == "ACTIVE"
    timed.set_status(arn, "CREATE_FAILED", status_code="BOOM", message="injected")
    timed.advance_time(10**6)
    got = get()
    assert got["status"] == "CREATE_FAILED"
    assert got["statusDetails"] == {"statusCode": "BOOM", "message": "injected"}


def test_set_status_resumes_timing_from_that_moment(timed: CleanRoomsMLMock, client: Any) -> None:
    model = make_audience_model(client)
    timed.advance_time(4 * 3600)
    job = make_generation_job(client, make_configured_audience_model(client, model))
    timed.advance_time(3600)
    timed.set_status(job, "CREATE_IN_PROGRESS")
    get = lambda: client.get_audience_generation_job(audienceGenerationJobArn=job)  # noqa: E731
    walk(timed, get, "audience-generation-job", ["CREATE_IN_PROGRESS", "ACTIVE"])


def test_a_delete_refused_until_time_has_made_the_job_active(
    timed: CleanRoomsMLMock, client: Any
) -> None:
    model = make_audience_model(client)
    timed.advance_time(4 * 3600)
    job = make_generation_job(client, make_configured_audience_model(client, model))
    with pytest.raises(client.exceptions.ConflictException):
        client.delete_audience_generation_job(audienceGenerationJobArn=job)
    timed.advance_time(3600)
    # no read in between: the status is the time's, not the last read's
    client.delete_audience_generation_job(audienceGenerationJobArn=job)


# ---------------------------------------------------------------------------- durations


def test_durations_override_a_type_and_a_step(frozen: Any, client: Any) -> None:
    with timed_mock(**{"audience-model": 10, "audience-model:CREATE_IN_PROGRESS": 100}) as m:
        arn = make_audience_model(client)
        get = lambda: client.get_audience_model(audienceModelArn=arn)  # noqa: E731
        m.advance_time(9)
        assert get()["status"] == "CREATE_PENDING"
        m.advance_time(1)
        assert get()["status"] == "CREATE_IN_PROGRESS"
        m.advance_time(99)
        assert get()["status"] == "CREATE_IN_PROGRESS"
        m.advance_time(1)
        assert get()["status"] == "ACTIVE"
        client.delete_audience_model(audienceModelArn=arn)
        m.advance_time(20)  # DELETE_PENDING and DELETE_IN_PROGRESS: 10 s each
        gone(get, client)


def test_zero_durations_finish_on_the_next_read(frozen: Any, client: Any) -> None:
    with timed_mock(**{"audience-model": 0}):
        arn = make_audience_model(client)
        assert client.get_audience_model(audienceModelArn=arn)["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("durations", "needle"),
    [
        ({"audience-modle": 1}, "audience-modle"),
        ({"configured-audience-model": 1}, "configured-audience-model"),
        ({"audience-model:ACTIVE": 1}, "audience-model:ACTIVE"),
        ({"audience-model:CREATE_RUNNING": 1}, "audience-model:CREATE_RUNNING"),
        ({"trained-model": -1}, "trained-model"),
        ({"trained-model": "60"}, "trained-model"),
        ({"trained-model": float("nan")}, "trained-model"),
    ],
)
def test_bad_durations_are_refused_at_construction(durations: Any, needle: str) -> None:
    with pytest.raises(ValueError) as exc:
        mock_cleanroomsml(lifecycle="timed", durations=durations)
    assert needle in str(exc.value)


def test_defaults_are_realistic() -> None:
    assert step_seconds("trained-model", "CREATE_IN_PROGRESS", {}) >= 3600
    assert step_seconds("audience-model", "CREATE_IN_PROGRESS", {}) >= 3600
    for kind in ("audience-generation-job", "ml-input-channel", "trained-model-inference-job"):
        assert 60 <= step_seconds(kind, "CREATE_IN_PROGRESS", {}) < 3600
    assert all(0 < seconds <= 600 for seconds in STEP_DEFAULTS.values())


# ---------------------------------------------------------------------------- time rules


@pytest.mark.parametrize("lifecycle", ["immediate", "progressive", "manual", "timed"])
def test_channel_data_expires_after_retention(frozen: Any, client: Any, lifecycle: str) -> None:
    with mock_cleanroomsml(lifecycle=lifecycle) as m:
        channel = make_channel(client, retentionInDays=7)
        m.set_status(channel, "ACTIVE")
        became_active = m.now()

        def get() -> dict[str, Any]:
            return read_channel(client, channel)

        m.advance_time(7 * 86400 - 1)
        assert get()["status"] == "ACTIVE"
        m.advance_time(1)
        got = get()
        assert got["status"] == "INACTIVE"
        assert got["statusDetails"]["statusCode"] == "RETENTION_PERIOD_EXPIRED"
        assert "7 days" in got["statusDetails"]["message"]
        assert got["updateTime"] == became_active + dt.timedelta(days=7)
        with pytest.raises(client.exceptions.ConflictException) as exc:
            make_trained_model(client, channel=channel)
        assert "INACTIVE" in str(exc.value)


def test_expiry_counts_from_when_the_channel_became_active(frozen: Any, client: Any) -> None:
    with timed_mock() as m:
        channel = make_channel(client, retentionInDays=1)
        created = m.now()
        m.advance_time(86400)  # a day after creation, less than a day after ACTIVE
        got = read_channel(client, channel)
        assert got["status"] == "ACTIVE"
        m.advance_time(3600)
        got = read_channel(client, channel)
        assert got["status"] == "INACTIVE"
        became_active = created + dt.timedelta(
            seconds=sum(
                step_seconds("ml-input-channel", s, {})
                for s in ("CREATE_PENDING", "CREATE_IN_PROGRESS")
            )
        )
        assert got["updateTime"] == became_active + dt.timedelta(days=1)


def test_training_past_max_runtime_fails_in_timed_mode(frozen: Any, client: Any) -> None:
    with timed_mock(**{"ml-input-channel": 0}) as m:
        limit = 1800  # shorter than the default two hours of training
        model = make_trained_model(client, stoppingCondition={"maxRuntimeInSeconds": limit})
        arn = model["trainedModelArn"]
        created = m.now()
        pending = step_seconds("trained-model", "CREATE_PENDING", {})
        m.advance_time(pending + limit - 1)
        got = client.get_trained_model(trainedModelArn=arn, membershipIdentifier=MEMBERSHIP)
        assert got["status"] == "CREATE_IN_PROGRESS"
        m.advance_time(10 * 3600)
        got = client.get_trained_model(trainedModelArn=arn, membershipIdentifier=MEMBERSHIP)
        assert got["status"] == "CREATE_FAILED"
        assert got["statusDetails"]["statusCode"] == "MAX_RUNTIME_EXCEEDED"
        assert str(limit) in got["statusDetails"]["message"]
        assert got["updateTime"] == created + dt.timedelta(seconds=pending + limit)


def test_training_within_max_runtime_completes(frozen: Any, client: Any) -> None:
    with timed_mock(**{"ml-input-channel": 0}) as m:
        training = step_seconds("trained-model", "CREATE_IN_PROGRESS", {})
        model = make_trained_model(client, stoppingCondition={"maxRuntimeInSeconds": int(training)})
        m.advance_time(10 * 3600)
        got = client.get_trained_model(
            trainedModelArn=model["trainedModelArn"], membershipIdentifier=MEMBERSHIP
        )
        assert got["status"] == "ACTIVE"


@pytest.mark.parametrize("lifecycle", ["immediate", "progressive", "manual"])
def test_max_runtime_holds_in_every_mode(frozen: Any, client: Any, lifecycle: str) -> None:
    with mock_cleanroomsml(lifecycle=lifecycle) as m:
        channel = make_channel(client)
        m.set_status(channel, "ACTIVE")
        model = make_trained_model(
            client, channel=channel, stoppingCondition={"maxRuntimeInSeconds": 600}
        )
        arn = model["trainedModelArn"]
        m.set_status(arn, "CREATE_IN_PROGRESS")
        m.advance_time(599)
        got = client.get_trained_model(trainedModelArn=arn, membershipIdentifier=MEMBERSHIP)
        assert got["status"] == "CREATE_IN_PROGRESS"
        m.advance_time(1)
        versions = client.list_trained_model_versions(
            trainedModelArn=arn, membershipIdentifier=MEMBERSHIP
        )["trainedModels"]
        assert [v["status"] for v in versions] == ["CREATE_FAILED"]


# ---------------------------------------------------------------------------- server


def _http(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method="POST" if data else "GET",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_server_clock_endpoints_and_timed_lifecycle() -> None:
    with ThreadedServer(lifecycle="timed", durations={"audience-model": 3600}) as server:
        base = f"{server.endpoint_url}/_mock/clock"
        status, body = _http(base)
        assert status == 200
        before = dt.datetime.fromisoformat(body["now"])
        assert before.tzinfo is not None
        client = boto3.client("cleanroomsml", region_name=REGION, endpoint_url=server.endpoint_url)
        arn = make_audience_model(client)
        assert client.get_audience_model(audienceModelArn=arn)["status"] == "CREATE_PENDING"
        status, body = _http(base, {"advanceSeconds": 2 * 3600})
        assert status == 200
        assert dt.datetime.fromisoformat(body["now"]) >= before + dt.timedelta(hours=2)
        assert client.get_audience_model(audienceModelArn=arn)["status"] == "ACTIVE"
        for bad in ({"advanceSeconds": -5}, {"advanceSeconds": "5"}, {}, {"seconds": 5}):
            status, body = _http(base, bad)
            assert status == 400, bad


def test_cli_refuses_bad_durations(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, needle in (
        (["serve", "--lifecycle", "timed", "--durations", "{nope"], "not valid JSON"),
        (["serve", "--lifecycle", "timed", "--durations", "[1]"], "JSON object"),
        (["serve", "--durations", '{"audience-modle": 1}'], "audience-modle"),
    ):
        with pytest.raises(SystemExit) as exc:
            cli_main(argv)
        assert exc.value.code == 2
        assert needle in capsys.readouterr().err


def test_the_clock_offset_is_saved_with_the_state(frozen: Any, tmp_path: Any) -> None:
    path = tmp_path / "state.json"
    with timed_mock() as m:
        m.advance_time(5000)
        m.save_state(path)
    with timed_mock() as m:
        m.load_state(path)
        assert m.now() == START + dt.timedelta(seconds=5000)


def test_time_rules_act_after_a_load_and_the_replaced_state_is_let_go(
    frozen: Any, client: Any, tmp_path: Any
) -> None:
    """A load gives the clock the loaded records at once (the next call does not go
    through them all): a channel's retention still expires when its time comes, and the
    records of the state the load replaced are not kept for the clock."""
    import gc
    import weakref

    path = tmp_path / "state.json"
    with mock_cleanroomsml() as m:
        channel = make_channel(client, retentionInDays=7)
        m.save_state(path)
        m.advance_time(86400)
        replaced = make_channel(client, retentionInDays=7, name="replaced")  # a due time
        backend = next(iter(m._require_world().backends.values()))
        gone_later = weakref.ref(backend.records[replaced])
        del backend
        m.load_state(path)
        gc.collect()
        assert gone_later() is None
        m.advance_time(7 * 86400 - 1)  # (the load put the clock back where it was saved)
        got = read_channel(client, channel)
        assert got["status"] == "ACTIVE"
        m.advance_time(1)
        got = read_channel(client, channel)
        assert got["status"] == "INACTIVE"
        assert got["statusDetails"]["statusCode"] == "RETENTION_PERIOD_EXPIRED"
