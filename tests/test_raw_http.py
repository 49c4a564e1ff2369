"""Raw ``requests`` calls to a cleanrooms-ml endpoint are answered by the same backend;
every other URL is left alone."""

from __future__ import annotations

import json
from urllib.parse import quote

import boto3
import pytest

requests = pytest.importorskip("requests")

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml  # noqa: E402

from .builders import make_training_dataset  # noqa: E402

ENDPOINT = "https://cleanrooms-ml.eu-west-1.amazonaws.com"


def test_raw_requests_share_state_with_boto3(mock: CleanRoomsMLMock) -> None:
    client = boto3.client("cleanroomsml", region_name="eu-west-1")
    arn = make_training_dataset(client, name="raw")
    listed = requests.get(f"{ENDPOINT}/training-dataset", timeout=5)
    assert listed.status_code == 200
    assert [d["name"] for d in listed.json()["trainingDatasets"]] == ["raw"]
    got = requests.get(f"{ENDPOINT}/training-dataset/{quote(arn, safe='')}", timeout=5)
    assert got.json()["trainingDatasetArn"] == arn
    assert mock.calls.last.region == "eu-west-1"


def test_raw_requests_get_modelled_errors(mock: CleanRoomsMLMock) -> None:
    bad = requests.post(f"{ENDPOINT}/training-dataset", data=b"{not json", timeout=5)
    assert bad.status_code == 400
    assert bad.headers["x-amzn-ErrorType"] == "ValidationException"
    unknown = requests.get(f"{ENDPOINT}/nowhere", timeout=5)
    assert unknown.status_code == 404
    assert "GET /nowhere" in unknown.json()["message"]
    created = requests.post(
        f"{ENDPOINT}/training-dataset",
        data=json.dumps({"name": "x", "roleArn": "arn:aws:iam::123456789012:role/r"}),
        timeout=5,
    )
    assert created.status_code == 400  # trainingData is required, server side
    assert "trainingData" in created.json()["message"]


def test_other_urls_are_not_intercepted(mock: CleanRoomsMLMock) -> None:
    # the network is closed in these tests: reaching it proves we passed the call through
    with pytest.raises(Exception) as exc:
        requests.get("https://example.com/", timeout=5)
    assert "network" in str(exc.value) or "connect" in str(exc.value).lower()


def test_nothing_is_patched_after_stop() -> None:
    from requests.adapters import HTTPAdapter

    before = HTTPAdapter.send
    with mock_cleanroomsml():
        assert HTTPAdapter.send is not before
    assert HTTPAdapter.send is before


def test_an_outer_responses_mock_keeps_working() -> None:
    responses = pytest.importorskip("responses")
    with responses.RequestsMock() as outer:
        outer.add(responses.GET, "https://example.com/thing", json={"outer": True})
        with mock_cleanroomsml():
            assert requests.get("https://example.com/thing", timeout=5).json() == {"outer": True}
            ours = requests.get(f"{ENDPOINT}/training-dataset", timeout=5)
            assert ours.json() == {"trainingDatasets": []}
        assert requests.get("https://example.com/thing", timeout=5).json() == {"outer": True}
