"""Shared test set-up: no test may reach the network, every response the mock serves is
checked against the model, hypothesis is deterministic, and a few fixtures."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from cleanroomsml_mock import CleanRoomsMLMock
from cleanroomsml_mock.calls import Call, CallList
from cleanroomsml_mock.errors import MockBugError

from .shapes import assert_declared_error, assert_valid_output

pytest_plugins = ["pytester"]

# No test may pass or fail by luck: hypothesis draws the same examples on every run and
# keeps no example database (a database replays whatever an earlier run happened to
# find). HYPOTHESIS_PROFILE=explore draws fresh random examples, to hunt for new bugs.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (
        host.startswith("127.") or host in ("localhost", "::1") or self.family == socket.AF_UNIX
    ):
        return _real_connect(self, address)
    raise RuntimeError(f"test tried to reach the network: {address!r}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def served_responses_conform(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[list[Call]]:
    """Every call any mock serves during a test is checked against the model afterwards:
    a success must validate against the operation's output shape, an error must be one
    the operation declares (or the 501 of an unimplemented operation). A bug of the mock
    fails the test unless it is marked ``mock_bug`` (it provokes one on purpose)."""
    bugs_expected = request.node.get_closest_marker("mock_bug") is not None
    served: list[Call] = []
    original = CallList.record

    def record(self: CallList, call: Call) -> None:
        served.append(call)
        original(self, call)

    monkeypatch.setattr(CallList, "record", record)
    yield served
    for call in served:
        if isinstance(call.error, MockBugError):
            assert bugs_expected, f"the mock hit a bug: {call.error}"
            continue
        if call.operation == "Unknown":  # matched no route: no operation to check against
            continue
        if call.error is None:
            if call.response is not None:
                assert_valid_output(call.operation, call.response)
        else:
            assert_declared_error(call.operation, call.error.code)


# The suite's short names for the plugin's own fixtures (the tests use what users get).
@pytest.fixture
def mock(cleanroomsml_mock: CleanRoomsMLMock) -> CleanRoomsMLMock:
    return cleanroomsml_mock


@pytest.fixture
def client(cleanroomsml_client: Any) -> Any:
    return cleanroomsml_client


@pytest.fixture
def only_declared_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a test if the mock answers any call with an error its operation does not
    declare in the model (boto3 users would get an unmodelled ``ClientError``)."""
    from cleanroomsml_mock.calls import CallList
    from cleanroomsml_mock.model import operation_specs

    original = CallList.record

    def record(self: CallList, call: Call) -> None:
        if call.error is not None:
            declared = operation_specs()[call.operation].error_codes
            assert call.error.code in declared, (
                f"{call.operation} answered {call.error.code}, which it does not declare: "
                f"{call.error.message}"
            )
        original(self, call)

    monkeypatch.setattr(CallList, "record", record)
