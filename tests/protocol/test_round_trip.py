"""Protocol round trips for every operation of the model, implemented or not.

Requests: hypothesis generates shape-valid parameters; botocore's own rest-json
serialiser turns them into an HTTP request; our router and parser must give back exactly
the parameters, and our validator must accept them.

Responses: hypothesis generates shape-valid output documents; our serialiser
(``protocol.to_wire`` + JSON) renders them; botocore's own parser must read back exactly
the document (timestamps as aware datetimes).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from botocore.awsrequest import HeadersDict, prepare_request_dict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroomsml_mock.dispatch import _error_shape
from cleanroomsml_mock.errors import MODELLED_ERRORS
from cleanroomsml_mock.model import operation_specs
from cleanroomsml_mock.protocol import parse_request, serialize_error, to_wire
from cleanroomsml_mock.routing import router
from cleanroomsml_mock.validation import validate

from ..shapes import assert_valid_output, value_strategy

OPERATIONS = sorted(operation_specs())
ENDPOINT = "https://cleanrooms-ml.us-east-1.amazonaws.com"
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_the_model_has_59_operations() -> None:
    assert len(OPERATIONS) == 59


def _request_url(operation: str, params: dict[str, Any]) -> tuple[str, str, bytes]:
    spec = operation_specs()[operation]
    serialized = create_serializer("rest-json").serialize_to_request(params, spec.model)
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    body = serialized["body"]
    if isinstance(body, str):
        body = body.encode()
    return serialized["method"], serialized["url"], body or b""


def _normalise(value: Any) -> Any:
    """Timestamps compared as instants; everything else as is."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


@pytest.mark.parametrize("operation", OPERATIONS)
def test_request_round_trip(operation: str) -> None:
    spec = operation_specs()[operation]
    strategy = value_strategy(spec.input_shape) if spec.input_shape is not None else st.just({})
    query_lists = {m for _, m, shape in spec.query_members if shape.type_name == "list"}
    required = set(spec.input_shape.required_members) if spec.input_shape else set()

    @SETTINGS
    @given(params=strategy)
    def run(params: dict[str, Any]) -> None:
        method, url, body = _request_url(operation, params)
        path = url.split(ENDPOINT, 1)[1]
        raw_path, _, query = path.partition("?")
        matched, labels = router().match(method, raw_path)
        assert matched.name == operation
        parsed = parse_request(matched, labels, query, body)
        # an empty list in the query string has no wire form: botocore sends nothing,
        # and the parser reads an absent required list as empty
        expected = {
            k: v
            for k, v in params.items()
            if not (k in query_lists and v == [] and k not in required)
        }
        assert _normalise(parsed) == _normalise(expected)
        validate(matched.input_shape, parsed)  # model-valid input is never refused

    run()


@pytest.mark.parametrize("operation", OPERATIONS)
def test_response_round_trip(operation: str) -> None:
    spec = operation_specs()[operation]
    parser = create_parser("rest-json")
    if spec.output_shape is None:
        parsed = parser.parse({"status_code": 200, "headers": {}, "body": b""}, None)
        assert set(parsed) <= {"ResponseMetadata"}
        return

    @SETTINGS
    @given(document=value_strategy(spec.output_shape, precision="ms"))
    def run(document: dict[str, Any]) -> None:
        wire = to_wire(spec.output_shape, document)
        assert_valid_output(operation, wire)
        body = json.dumps(wire).encode()
        parsed = parser.parse({"status_code": 200, "headers": {}, "body": body}, spec.output_shape)
        parsed.pop("ResponseMetadata", None)
        assert _normalise(parsed) == _normalise(document)

    run()


@pytest.mark.parametrize("code", sorted(MODELLED_ERRORS))
def test_error_round_trip(code: str) -> None:
    cls = MODELLED_ERRORS[code]
    if code == "ServiceQuotaExceededException":
        error = cls("too many", quota_name="Some quota", quota_value=5)  # type: ignore[call-arg]
    else:
        error = cls("something about arn:aws:x")
    wire = serialize_error(error, _error_shape(code))
    spec = operation_specs()["CreateTrainedModel"]  # declares every modelled error
    parsed = create_parser("rest-json").parse(
        {"status_code": wire.status, "headers": HeadersDict(wire.headers), "body": wire.body},
        spec.output_shape,
    )
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == error.message
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == cls.status
    # botocore's client reads the error shape's extra members the same way
    modelled = create_parser("rest-json").parse(
        {"status_code": wire.status, "headers": HeadersDict(wire.headers), "body": wire.body},
        _error_shape(code),
    )
    assert modelled["message"] == error.message
    if code == "ServiceQuotaExceededException":
        assert modelled["quotaName"] == "Some quota"
        assert modelled["quotaValue"] == 5.0


@pytest.mark.parametrize("operation", OPERATIONS)
def test_valid_requests_get_a_modelled_answer(operation: str) -> None:
    """Shape-valid input through the whole pipeline (route, parse, validate, backend,
    serialise): a success that validates against the output shape, or an error the
    operation declares (or the 501 of an operation not implemented yet), never a 500."""
    from cleanroomsml_mock.dispatch import dispatch
    from cleanroomsml_mock.protocol import WireRequest
    from cleanroomsml_mock.world import World

    from ..shapes import assert_declared_error

    spec = operation_specs()[operation]
    strategy = value_strategy(spec.input_shape) if spec.input_shape is not None else st.just({})

    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(params=strategy)
    def run(params: dict[str, Any]) -> None:
        method, url, body = _request_url(operation, params)
        world = World()
        response = dispatch(world, WireRequest(method, url, {}, body))
        call = world.calls[-1]
        assert call.operation == operation
        if response.status >= 300:
            assert response.status != 500, response.body
            assert_declared_error(operation, call.error.code)
        elif response.body:
            assert_valid_output(operation, json.loads(response.body))

    run()
