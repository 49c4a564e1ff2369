"""Other in-process clients: raw ``requests`` (through ``responses``) and aiobotocore,
alone and beside moto's ``mock_aws`` in both nesting orders."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
import responses
from requests.adapters import HTTPAdapter

from cleanroomsml_mock import mock_cleanroomsml
from cleanroomsml_mock.server import ThreadedServer

from .builders import REGION, ROLE, make_training_dataset, training_data

ENDPOINT = f"https://cleanrooms-ml.{REGION}.amazonaws.com"


def raw_create(name: str, endpoint: str = ENDPOINT) -> requests.Response:
    body = {"name": name, "roleArn": ROLE, "trainingData": training_data()}
    return requests.post(f"{endpoint}/training-dataset", json=body, timeout=5)


# ---------------------------------------------------------------- requests


def test_raw_requests_are_served_by_the_active_mock() -> None:
    original_send = HTTPAdapter.send
    with mock_cleanroomsml() as m:
        created = raw_create("raw")
        assert created.status_code == 200, created.text
        arn = created.json()["trainingDatasetArn"]
        client = boto3.client("cleanroomsml", region_name=REGION)
        assert client.get_training_dataset(trainingDatasetArn=arn)["name"] == "raw"
        listed = requests.get(f"{ENDPOINT}/training-dataset", timeout=5).json()
        assert [d["name"] for d in listed["trainingDatasets"]] == ["raw"]
        missing = requests.get(f"{ENDPOINT}/training-dataset/{arn}x", timeout=5)
        assert missing.status_code == 404
        assert missing.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
        unknown = requests.get(f"{ENDPOINT}/nowhere", timeout=5)
        assert unknown.status_code == 404 and "nowhere" in unknown.json()["message"]
        # the region comes from the host, including dual-stack endpoints
        dual = raw_create("dual", "https://cleanrooms-ml.eu-west-2.api.aws")
        assert ":eu-west-2:" in dual.json()["trainingDatasetArn"]
        assert [c.operation for c in m.calls][:2] == ["CreateTrainingDataset", "GetTrainingDataset"]
    assert HTTPAdapter.send is original_send


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://cleanrooms-ml.cn-north-1.amazonaws.com.cn",
        "https://cleanrooms-ml-fips.us-gov-west-1.amazonaws.com",
        "https://cleanrooms-ml.us-iso-east-1.c2s.ic.gov",
        "https://cleanrooms-ml.us-isob-east-1.sc2s.sgov.gov",
        "https://cleanrooms-ml.eu-isoe-west-1.cloud.adc-e.uk",
        "https://cleanrooms-ml.us-isof-south-1.csp.hci.ic.gov",
        "https://cleanrooms-ml.eusc-de-east-1.amazonaws.eu",
    ],
)
def test_raw_requests_to_every_partitions_endpoint_are_served(endpoint: str) -> None:
    # botocore's endpoints for the region: never the network
    region = endpoint.split(".")[1]
    with mock_cleanroomsml():
        listed = requests.get(f"{endpoint}/training-dataset", timeout=5)
        assert listed.status_code == 200, listed.text
        assert listed.json() == {"trainingDatasets": []}
        made = raw_create("x", endpoint)
        assert f":{region}:" in made.json()["trainingDatasetArn"]


def test_other_urls_pass_through_to_the_network() -> None:
    with ThreadedServer() as other_service, mock_cleanroomsml():
        health = requests.get(other_service.endpoint_url + "/_mock/health", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "ok"


def test_a_users_responses_mock_keeps_working_around_it() -> None:
    with responses.RequestsMock() as user_mock:
        user_mock.add(responses.GET, "https://example.com/api", json={"from": "user"})
        with mock_cleanroomsml():
            assert requests.get("https://example.com/api", timeout=5).json() == {"from": "user"}
            assert raw_create("mine").status_code == 200
        # after the mock stops, the user's mock is the one installed again
        assert requests.get("https://example.com/api", timeout=5).json() == {"from": "user"}


# ---------------------------------------------------------------- aiobotocore

needs_aiobotocore = pytest.mark.skipif(
    importlib.util.find_spec("aiobotocore") is None, reason="aiobotocore not installed"
)
needs_moto = pytest.mark.skipif(
    importlib.util.find_spec("moto") is None, reason="moto not installed"
)


def aio_session() -> Any:
    return importlib.import_module("aiobotocore.session").get_session()


async def aio_round_trip(arn: str) -> tuple[str, str]:
    async with aio_session().create_client("cleanroomsml", region_name=REGION) as client:
        got = await client.get_training_dataset(trainingDatasetArn=arn)
        created = await client.create_training_dataset(
            name="from-aio", roleArn=ROLE, trainingData=training_data()
        )
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            await client.get_training_dataset(trainingDatasetArn=arn + "x")
        pages = client.get_paginator("list_training_datasets").paginate(
            PaginationConfig={"PageSize": 1}
        )
        names = [d["name"] async for page in pages for d in page["trainingDatasets"]]
        assert names == [got["name"], "from-aio"]
        return str(got["name"]), str(created["trainingDatasetArn"])


@needs_aiobotocore
async def test_aiobotocore_shares_state_with_boto3() -> None:
    async with mock_cleanroomsml():
        client = boto3.client("cleanroomsml", region_name=REGION)
        arn = make_training_dataset(client, name="sync")
        name, aio_arn = await aio_round_trip(arn)
        assert name == "sync"
        assert client.get_training_dataset(trainingDatasetArn=aio_arn)["name"] == "from-aio"


@needs_aiobotocore
async def test_aiobotocore_client_created_before_start() -> None:
    from cleanroomsml_mock import interceptor

    async with aio_session().create_client(
        "cleanroomsml", region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b"
    ) as client:
        with mock_cleanroomsml():
            listed = await client.list_training_datasets()
            assert listed["trainingDatasets"] == []
            # a session that predates the package lacks the handler: AioEndpoint._send net
            client.meta.events.unregister("before-send.cleanroomsml", interceptor.on_before_send)
            with pytest.raises(client.exceptions.ResourceNotFoundException):
                await client.get_training_dataset(
                    trainingDatasetArn=f"arn:aws:cleanrooms-ml:{REGION}:123456789012:"
                    "training-dataset/nope"
                )


# ---------------------------------------------------------------- beside moto


@contextlib.contextmanager
def both(order: str) -> Iterator[None]:
    from moto import mock_aws

    if order == "moto-outside":
        with mock_aws(), mock_cleanroomsml():
            yield
    else:
        with mock_cleanroomsml(), mock_aws():
            yield


def s3_round_trip() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="beside-the-mock")
    s3.put_object(Bucket="beside-the-mock", Key="k", Body=b"v")
    assert s3.get_object(Bucket="beside-the-mock", Key="k")["Body"].read() == b"v"


@needs_moto
@needs_aiobotocore
@pytest.mark.parametrize("order", ["moto-outside", "moto-inside"])
async def test_aiobotocore_beside_moto(order: str) -> None:
    with both(order):
        s3_round_trip()
        client = boto3.client("cleanroomsml", region_name=REGION)
        arn = make_training_dataset(client, name="sync")
        name, _ = await aio_round_trip(arn)
        assert name == "sync"


@needs_moto
@pytest.mark.parametrize("order", ["moto-outside", "moto-inside"])
def test_requests_beside_moto(order: str) -> None:
    with both(order):
        s3_round_trip()
        created = raw_create("raw")
        if order == "moto-outside":
            assert created.status_code == 200
            arn = created.json()["trainingDatasetArn"]
            client = boto3.client("cleanroomsml", region_name=REGION)
            assert client.get_training_dataset(trainingDatasetArn=arn)["name"] == "raw"
            # moto still answers raw requests for the services it mocks
            assert requests.get(f"https://s3.{REGION}.amazonaws.com/", timeout=5).status_code == 200
        else:
            # documented: moto started inside answers every *.amazonaws.com raw request
            assert created.status_code == 400
    if order == "moto-inside":
        with mock_cleanroomsml():
            assert raw_create("after").status_code == 200


@needs_moto
def test_raw_requests_after_moto_stops_inside() -> None:
    from moto import mock_aws

    with mock_cleanroomsml():
        with mock_aws():
            s3_round_trip()
        created = raw_create("again")
        assert created.status_code == 200, created.text
        assert json.loads(created.text)["trainingDatasetArn"]
