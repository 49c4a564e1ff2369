"""Safety: while a mock is active nothing for cleanroomsml reaches the network, whatever
the operation or region; unmatched requests get a clear error; other services are left
alone (so moto can serve them beside us)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from hypothesis import find, settings

from cleanroomsml_mock import CleanRoomsMLMock, interceptor, mock_cleanroomsml
from cleanroomsml_mock.backend import CleanRoomsMLBackend
from cleanroomsml_mock.model import operation_specs

from .builders import make_training_dataset
from .shapes import value_strategy

OPERATIONS = sorted(operation_specs())
REGIONS = ["us-east-1", "cn-north-1", "us-gov-west-1", "ap-southeast-7"]


def minimal_params(operation: str) -> dict[str, Any]:
    """A simple model-valid input of an operation: required members only, each at its
    smallest (strings matching a pattern are hypothesis' minimal match)."""
    shape = operation_specs()[operation].input_shape
    return {} if shape is None else dict(_minimal(shape))


def _minimal(shape: Any) -> Any:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if getattr(shape, "is_tagged_union", False):
            name, member = next(iter(shape.members.items()))
            return {name: _minimal(member)}
        return {n: _minimal(shape.members[n]) for n in shape.required_members}
    if kind == "list":
        return [_minimal(shape.member) for _ in range(meta.get("min", 0))]
    if kind == "map":
        return {}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        if meta.get("pattern"):
            return _minimal_match(shape.name)
        return "x" * max(meta.get("min", 0), 1)
    if kind in ("integer", "long"):
        return int(meta.get("min", 1))
    if kind in ("double", "float"):
        return float(meta.get("min", 0))
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    raise AssertionError(kind)


UUID = "00000000-0000-4000-8000-000000000000"
ML = "arn:aws:cleanrooms-ml:us-east-1:123456789012"
# Samples for the patterned shapes of today's model (checked against their patterns);
# a shape added later falls back to hypothesis' minimal match, which is slower.
SAMPLES = {
    "UUID": UUID,
    "AccountId": "123456789012",
    "IamRoleArn": "arn:aws:iam::123456789012:role/r",
    "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
    "S3Path": "s3://bucket/key",
    "Hash": "0" * 64,
    "NameString": "n",
    "ResourceDescription": "d",
    "ColumnName": "c",
    "GlueTableName": "t",
    "GlueDatabaseName": "d",
    "SyntheticDataColumnName": "c",
    "ParameterName": "p",
    "MetricName": "m",
    "MetricRegex": "r",
    "AlgorithmImage": "image",
    "TrainingDatasetArn": f"{ML}:training-dataset/x",
    "AudienceModelArn": f"{ML}:audience-model/x",
    "ConfiguredAudienceModelArn": f"{ML}:configured-audience-model/x",
    "AudienceGenerationJobArn": f"{ML}:audience-generation-job/x",
    "ConfiguredModelAlgorithmArn": f"{ML}:configured-model-algorithm/x",
    "TaggableArn": f"{ML}:training-dataset/x",
    "TrainedModelArn": f"{ML}:membership/{UUID}/trained-model/x",
    "TrainedModelInferenceJobArn": f"{ML}:membership/{UUID}/trained-model-inference-job/x",
    "MLInputChannelArn": f"{ML}:membership/{UUID}/ml-input-channel/x",
    "ConfiguredModelAlgorithmAssociationArn": (
        f"{ML}:membership/{UUID}/configured-model-algorithm-association/x"
    ),
}


@functools.cache
def _minimal_match(shape_name: str) -> str:
    from cleanroomsml_mock.model import service_model
    from cleanroomsml_mock.validation import compile_pattern

    shape = service_model().shape_for(shape_name)
    sample = SAMPLES.get(shape_name)
    if sample is None:
        sample = find(value_strategy(shape), lambda _: True, settings=settings(database=None))
    assert compile_pattern(shape.metadata["pattern"]).fullmatch(sample), shape_name
    assert shape.metadata.get("min", 0) <= len(sample), shape_name
    return sample


@pytest.fixture(scope="module")
def params() -> dict[str, dict[str, Any]]:
    return {op: minimal_params(op) for op in OPERATIONS}


@pytest.mark.parametrize("region", REGIONS)
def test_every_operation_is_answered_in_process(
    region: str, params: dict[str, dict[str, Any]], mock: CleanRoomsMLMock
) -> None:
    client = boto3.client("cleanroomsml", region_name=region)
    for operation in OPERATIONS:
        method = getattr(client, xform_name(operation))
        try:
            method(**params[operation])
        except ClientError as exc:
            error = exc.response["Error"]
            if hasattr(CleanRoomsMLBackend, xform_name(operation)):
                assert error["Code"] != "NotImplementedError"
            else:
                assert error["Code"] == "NotImplementedError"
                assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 501
                assert operation in error["Message"]
        call = mock.calls.last
        assert (call.operation, call.region) == (operation, region)
    assert len(mock.calls) == len(OPERATIONS)


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("eu-west-1", "aws"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
        ("us-isof-south-1", "aws-iso-f"),
        ("eusc-de-east-1", "aws-eusc"),
    ],
)
def test_arns_follow_the_partition_of_the_region(
    region: str, partition: str, mock: CleanRoomsMLMock
) -> None:
    client = boto3.client("cleanroomsml", region_name=region)
    role = f"arn:{partition}:iam::123456789012:role/r"
    arn = make_training_dataset(client, roleArn=role)
    assert arn.startswith(f"arn:{partition}:cleanrooms-ml:{region}:123456789012:")
    assert client.get_training_dataset(trainingDatasetArn=arn)["trainingDatasetArn"] == arn


def test_unmatched_request_gets_a_clear_error(mock: CleanRoomsMLMock) -> None:
    client = boto3.client("cleanroomsml", region_name="us-east-1")

    def reroute(request: Any, **_: Any) -> None:
        request.url = request.url.replace("/training-dataset", "/no-such-thing")

    client.meta.events.register("before-sign.cleanroomsml.ListTrainingDatasets", reroute)
    with pytest.raises(ClientError) as exc:
        client.list_training_datasets()
    message = exc.value.response["Error"]["Message"]
    assert "GET /no-such-thing" in message
    assert "nearest routes" in message
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_wrong_method_on_a_known_path_says_which_methods_it_accepts(
    mock: CleanRoomsMLMock,
) -> None:
    client = boto3.client("cleanroomsml", region_name="us-east-1")

    def to_put(request: Any, **_: Any) -> None:
        request.method = "PUT"

    client.meta.events.register("before-sign.cleanroomsml.ListTrainingDatasets", to_put)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.list_training_datasets()
    assert "PUT" in str(exc.value) and "GET, POST" in str(exc.value)


def test_other_services_are_not_intercepted(
    mock: CleanRoomsMLMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[str] = []
    real_answer = interceptor.answer

    def spy(world: Any, request: Any) -> Any:
        answered.append(request.url)
        return real_answer(world, request)

    monkeypatch.setattr(interceptor, "answer", spy)
    s3 = boto3.client("s3", region_name="us-east-1")
    # our handler is service-specific: an s3 request never reaches it
    assert interceptor.on_before_send(request=None) is None

    def canned(request: Any, **_: Any) -> AWSResponse:
        body = b"<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>"
        return AWSResponse(request.url, 200, {}, _Raw(body))

    s3.meta.events.register("before-send.s3.ListBuckets", canned)
    assert s3.list_buckets()["Buckets"] == []
    # without a canned answer the request goes on towards the network (closed here)
    with pytest.raises(Exception) as exc:
        s3.list_objects_v2(Bucket="bucket")
    assert not isinstance(exc.value, ClientError)
    assert answered == []
    make_training_dataset(boto3.client("cleanroomsml", region_name="us-east-1"))
    assert len(answered) == 1


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body

    def read(self, *_: Any) -> bytes:
        return self._body


def test_nothing_is_intercepted_after_stop() -> None:
    with mock_cleanroomsml():
        pass
    from botocore.endpoint import Endpoint

    assert Endpoint._send is not interceptor._patched_send
    assert interceptor.on_before_send(request=object()) is None


moto = pytest.importorskip("moto")


def _exercise_both(bucket: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    ml = boto3.client("cleanroomsml", region_name="us-east-1")
    arn = make_training_dataset(ml, name=bucket)
    assert ml.get_training_dataset(trainingDatasetArn=arn)["name"] == bucket


def test_beside_moto_moto_outside() -> None:
    with moto.mock_aws():
        with mock_cleanroomsml() as m:
            _exercise_both("outside")
        # our stop leaves moto's state alone
        s3 = boto3.client("s3", region_name="us-east-1")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["outside"]
    assert [c.operation for c in m.calls] == ["CreateTrainingDataset", "GetTrainingDataset"]


def test_beside_moto_moto_inside() -> None:
    with mock_cleanroomsml() as m:
        with moto.mock_aws():
            _exercise_both("inside")
        ml = boto3.client("cleanroomsml", region_name="us-east-1")
        assert [d["name"] for d in ml.list_training_datasets()["trainingDatasets"]] == ["inside"]
    assert len(m.calls) == 3


@moto.mock_aws
@mock_cleanroomsml
def test_beside_moto_as_stacked_decorators() -> None:
    _exercise_both("stacked")


def test_a_client_whose_session_predates_the_package_is_still_served(
    mock: CleanRoomsMLMock,
) -> None:
    client = boto3.client("cleanroomsml", region_name="us-east-1")
    # what a Session created before ``import cleanroomsml_mock`` looks like: no handlers
    for event, handler in interceptor._HANDLERS:
        client.meta.events.unregister(event, handler)
    arn = make_training_dataset(client, name="old-session")
    assert client.get_training_dataset(trainingDatasetArn=arn)["name"] == "old-session"
    assert mock.calls.last.operation == "GetTrainingDataset"


def test_server_side_validation_without_client_validation(mock: CleanRoomsMLMock) -> None:
    from botocore.config import Config

    client = boto3.client(
        "cleanroomsml", region_name="us-east-1", config=Config(parameter_validation=False)
    )
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.create_training_dataset(name="", roleArn="not-an-arn")
    message = str(exc.value)
    assert "at 'trainingData'" in message and "at 'roleArn'" in message
    with pytest.raises(client.exceptions.ValidationException):
        client.list_training_datasets(maxResults=1000)
    with pytest.raises(client.exceptions.ValidationException):
        client.list_training_datasets(maxResults="ten")


def test_a_stubber_on_a_client_wins_over_the_mock(mock: CleanRoomsMLMock) -> None:
    from botocore.stub import Stubber

    client = boto3.client("cleanroomsml", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_client_error("list_training_datasets", "ThrottlingException", http_status_code=429)
        with pytest.raises(client.exceptions.ThrottlingException):
            client.list_training_datasets()
    assert client.list_training_datasets()["trainingDatasets"] == []
    assert [c.operation for c in mock.calls] == ["ListTrainingDatasets"]
