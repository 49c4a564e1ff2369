"""The call log: what a recorded call gives back (read from the request and the bytes
sent), calls that are the same share their request and response, and ``max_calls``
keeps the latest calls only."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from cleanroomsml_mock import mock_cleanroomsml

from .builders import REGION, ROLE, make_training_dataset, training_data


def test_a_call_gives_back_its_params_and_the_response_sent(client: Any, mock: Any) -> None:
    arn = make_training_dataset(client, name="td")
    got = client.get_training_dataset(trainingDatasetArn=arn)
    call = mock.calls.last
    assert call.operation == "GetTrainingDataset"
    assert call.params == {"trainingDatasetArn": arn}
    assert call.response["trainingDatasetArn"] == arn
    assert call.response["name"] == got["name"] == "td"
    create = mock.calls[0]
    assert create.params["name"] == "td"
    assert create.params["trainingData"] == training_data()
    assert create.response == {"trainingDatasetArn": arn}


def test_a_refused_call_keeps_the_params_it_was_refused_with(client: Any, mock: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException):
        client.create_training_dataset(
            name="td", roleArn=ROLE, trainingData=training_data(), tags={"aws:owner": "me"}
        )
    call = mock.calls.last
    assert call.status == 400 and call.response is None and not call.succeeded
    assert call.params["tags"] == {"aws:owner": "me"}


def test_the_same_call_again_shares_what_the_first_recorded(client: Any, mock: Any) -> None:
    arn = make_training_dataset(client)
    client.get_training_dataset(trainingDatasetArn=arn)
    client.get_training_dataset(trainingDatasetArn=arn)
    first, second = mock.calls[-2:]
    assert first == second
    assert first._body is second._body and first._raw is second._raw


def test_max_calls_keeps_the_latest_calls() -> None:
    with mock_cleanroomsml(max_calls=3) as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        arns = [
            client.create_training_dataset(
                name=f"td{i}", roleArn=ROLE, trainingData=training_data()
            )["trainingDatasetArn"]
            for i in range(5)
        ]
        assert len(m.calls) == 3
        assert [c.response["trainingDatasetArn"] for c in m.calls] == arns[2:]


@pytest.mark.parametrize("value", [-1, True])
def test_max_calls_must_be_a_count(value: Any) -> None:
    with pytest.raises(ValueError, match="max_calls"):
        mock_cleanroomsml(max_calls=value)
