"""A bug of the mock itself (any exception that is not a modelled service error).

In-process it is a ``MockBugError`` raised to the caller once, chained to the original
exception, never retried; in server mode a 500 that says so, with the traceback in the
server's log only. The bug is provoked by replacing a backend method with one that
raises ``KeyError``.
"""

from __future__ import annotations

import http.client
import importlib
import importlib.util
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

import cleanroomsml_mock
from cleanroomsml_mock import MockBugError, interceptor, mock_cleanroomsml
from cleanroomsml_mock.backend.training_datasets import TrainingDatasets
from cleanroomsml_mock.server import ThreadedServer
from cleanroomsml_mock.world import World

from .builders import REGION

pytestmark = pytest.mark.mock_bug
ENDPOINT = f"https://cleanrooms-ml.{REGION}.amazonaws.com"


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``ListTrainingDatasets`` has a bug; the list counts how often it ran."""
    ran: list[int] = []

    def broken(self: TrainingDatasets, **_: Any) -> Any:
        ran.append(1)
        raise KeyError("bug")

    monkeypatch.setattr(TrainingDatasets, "list_training_datasets", broken)
    return ran


def check_raised_once(bug: MockBugError, runs: list[int], mock: Any) -> None:
    assert isinstance(bug.__cause__, KeyError)
    assert bug.__cause__.__traceback__ is not None  # the whole traceback, on the cause
    assert "ListTrainingDatasets" in str(bug) and "KeyError" in str(bug)
    assert runs == [1]  # ran once: not retried
    assert len(mock.calls) == 1
    call = mock.calls.last
    assert call.operation == "ListTrainingDatasets"
    assert call.status == 500 and not call.succeeded
    assert call.error is bug and call.error.code == "MockBugError"


def test_the_package_exports_mock_bug_error() -> None:
    from cleanroomsml_mock.errors import MockBugError as defined

    assert cleanroomsml_mock.MockBugError is defined
    assert "MockBugError" in cleanroomsml_mock.__all__
    assert not issubclass(defined, cleanroomsml_mock.ServiceError)


@pytest.mark.parametrize("mode", ["legacy", "standard", "adaptive"])
def test_boto3_gets_the_bug_once_in_every_retry_mode(runs: list[int], mode: str) -> None:
    with mock_cleanroomsml() as m:
        client = boto3.client(
            "cleanroomsml", region_name=REGION, config=Config(retries={"mode": mode})
        )
        with pytest.raises(MockBugError) as raised:
            client.list_training_datasets()
        check_raised_once(raised.value, runs, m)
        # the mock keeps serving
        assert client.list_configured_audience_models()["configuredAudienceModels"] == []


def test_a_client_served_through_the_patched_endpoint_gets_the_bug_once(
    runs: list[int],
) -> None:
    with mock_cleanroomsml() as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        # a Session made before the package was imported has no handlers: Endpoint._send
        for event, handler in interceptor._HANDLERS:
            client.meta.events.unregister(event, handler)
        with pytest.raises(MockBugError) as raised:
            client.list_training_datasets()
        check_raised_once(raised.value, runs, m)


def test_raw_requests_get_the_bug_once(runs: list[int]) -> None:
    with mock_cleanroomsml() as m:
        with pytest.raises(MockBugError) as raised:
            requests.get(f"{ENDPOINT}/training-dataset", timeout=5)
        check_raised_once(raised.value, runs, m)


def test_dispatch_records_the_bug_once_and_raises_it(runs: list[int]) -> None:
    from cleanroomsml_mock.dispatch import dispatch
    from cleanroomsml_mock.protocol import WireRequest

    world = World()
    with pytest.raises(MockBugError):
        dispatch(world, WireRequest("GET", f"{ENDPOINT}/training-dataset", {}, b""))
    assert [call.status for call in world.calls] == [500]


needs_aiobotocore = pytest.mark.skipif(
    importlib.util.find_spec("aiobotocore") is None, reason="aiobotocore not installed"
)


@needs_aiobotocore
@pytest.mark.parametrize("path", ["handler", "patched endpoint"])
async def test_aiobotocore_gets_the_bug_once(runs: list[int], path: str) -> None:
    session = importlib.import_module("aiobotocore.session").get_session()
    async with session.create_client(
        "cleanroomsml", region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b"
    ) as client:
        if path == "patched endpoint":
            for event, handler in interceptor._HANDLERS:
                client.meta.events.unregister(event, handler)
        with mock_cleanroomsml() as m:
            with pytest.raises(MockBugError) as raised:
                await client.list_training_datasets()
            check_raised_once(raised.value, runs, m)


# ---------------------------------------------------------------- server mode


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer() as running:
        yield running


def raw_get(server: ThreadedServer, path: str, method: str = "GET") -> tuple[int, Any, Any]:
    parts = urlsplit(server.endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.headers, json.loads(response.read())
    finally:
        connection.close()


def check_bug_answer(status: int, headers: Any, document: Any) -> None:
    assert status == 500
    assert headers["x-amzn-ErrorType"] == "InternalServiceException"
    assert headers["x-amzn-RequestId"]
    assert set(document) == {"code", "message"}
    assert document["code"] == "InternalServiceException"
    message = document["message"]
    assert "bug of the mock" in message and "server's log" in message
    for leak in (".py", "line ", "/", "\\", "Traceback"):
        assert leak not in message, (leak, message)


def logged_bugs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "cleanroomsml_mock.server" and record.levelno == logging.ERROR
    ]


def test_server_answers_a_bug_with_a_500_and_logs_the_traceback(
    server: ThreadedServer, runs: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="cleanroomsml_mock.server")
    status, headers, document = raw_get(server, "/training-dataset")
    check_bug_answer(status, headers, document)
    assert "ListTrainingDatasets" in document["message"] and "KeyError" in document["message"]
    assert runs == [1]
    assert [(c.operation, c.status) for c in server.world.calls] == [("ListTrainingDatasets", 500)]
    [record] = logged_bugs(caplog)
    assert record.exc_info is not None and record.exc_info[0] is KeyError
    assert headers["x-amzn-RequestId"] in record.getMessage()
    assert "Traceback" in caplog.text and "training_datasets" not in document["message"]
    # and the server keeps serving
    assert raw_get(server, "/_mock/health")[0] == 200


def test_server_bug_reaches_boto3_as_the_modelled_500(
    server: ThreadedServer, runs: list[int]
) -> None:
    client = boto3.client(
        "cleanroomsml",
        region_name=REGION,
        endpoint_url=server.endpoint_url,
        aws_access_key_id="AKID",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ClientError) as raised:
        client.list_training_datasets()
    error = raised.value.response["Error"]
    assert error["Code"] == "InternalServiceException"
    assert "bug of the mock" in error["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert runs == [1]


def test_a_bug_outside_the_api_is_a_500_without_paths(
    server: ThreadedServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="cleanroomsml_mock.server")

    def broken(self: World) -> None:
        raise RuntimeError("reset broke at /some/where.py:12")

    monkeypatch.setattr(World, "reset", broken)
    status, headers, document = raw_get(server, "/_mock/reset", "POST")
    check_bug_answer(status, headers, document)
    assert "RuntimeError" in document["message"]
    [record] = logged_bugs(caplog)
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert "/_mock/reset" in record.getMessage()
    assert raw_get(server, "/_mock/health")[0] == 200
