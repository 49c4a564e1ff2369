"""Validators, converters and serialisers are built lazily, on first use, possibly by
many threads at once: none may ever see one half-built."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from cleanroomsml_mock import protocol, validation
from cleanroomsml_mock.model import ShapeCache, operation_specs

PARAMS = {
    "name": "n",
    "roleArn": "arn:aws:iam::123456789012:role/r",
    "trainingData": [
        {
            "type": "INTERACTIONS",
            "inputConfig": {
                "schema": [{"columnName": "c", "columnTypes": ["USER_ID"]}],
                "dataSource": {"glueDataSource": {"tableName": "t", "databaseName": "d"}},
            },
        }
    ],
}


@pytest.fixture(autouse=True)
def eager_thread_switches() -> Any:
    """Switch threads very often, so that a window between two steps gets hit."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def _race(work: Callable[[], Any], threads: int = 16) -> list[BaseException]:
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:
            failures.append(exc)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return failures


def _empty(module: Any, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the module's cache by an empty one that builds the same way."""
    cache = getattr(module, name)
    monkeypatch.setattr(module, name, ShapeCache(cache.build, cache.placeholder))


@pytest.mark.parametrize("attempt", range(5))
def test_validators_built_concurrently(attempt: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _empty(validation, "_validators", monkeypatch)
    shape = operation_specs()["CreateTrainingDataset"].input_shape

    shapes = [s.input_shape for s in operation_specs().values() if s.input_shape is not None]

    def work() -> None:
        for other in shapes:
            validation._validators.get(other)({})
        assert validation._validators.get(shape)(dict(PARAMS)) is None

    assert _race(work) == []


@pytest.mark.parametrize("attempt", range(5))
def test_serialisers_and_converters_built_concurrently(
    attempt: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    _empty(protocol, "_writers", monkeypatch)
    _empty(protocol, "_converters", monkeypatch)
    get = operation_specs()["GetTrainingDataset"]
    create = operation_specs()["CreateAudienceModel"]
    t = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    document = {**PARAMS, "createTime": t, "updateTime": t, "status": "ACTIVE"}
    body = (
        b'{"name": "m", "trainingDatasetArn": "x", "trainingDataStartTime": "2026-01-01T00:00:00Z"}'
    )

    def work() -> None:
        wire = protocol.to_wire(get.output_shape, document)
        assert wire["createTime"] == "2026-01-01T00:00:00.000Z"
        parsed = protocol.parse_request(create, {}, "", body)
        assert parsed["trainingDataStartTime"] == t

    assert _race(work) == []
