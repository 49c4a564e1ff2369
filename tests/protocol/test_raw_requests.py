"""Raw, possibly malformed HTTP requests fed straight to ``dispatch``: whatever comes
in, the answer is a modelled 4xx (or the 501 of an operation not implemented yet, or a
200 when the request happens to be valid), never a 500 or a Python exception."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroomsml_mock.dispatch import dispatch
from cleanroomsml_mock.errors import MODELLED_ERRORS
from cleanroomsml_mock.model import operation_specs
from cleanroomsml_mock.protocol import WireRequest
from cleanroomsml_mock.world import World

from ..shapes import assert_declared_error

HOST = "https://cleanrooms-ml.us-east-1.amazonaws.com"
ALLOWED_CODES = set(MODELLED_ERRORS) - {"InternalServiceException"} | {"NotImplementedError"}
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))

METHODS = st.one_of(
    st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8),
)
LABEL_VALUES = st.one_of(
    st.sampled_from(
        [
            "arn%3Aaws%3Acleanrooms-ml%3Aus-east-1%3A123456789012%3Atraining-dataset%2Fabc",
            "00000000-0000-4000-8000-000000000000",
            "x",
            "%FF%FE",
            "%",
            "",
        ]
    ),
    st.text(max_size=30).map(lambda t: t.replace("/", "")),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


BODY_KEYS = [
    "name",
    "roleArn",
    "trainingData",
    "tags",
    "description",
    "maxResults",
    "trainingDataStartTime",
    "kmsKeyArn",
    "policy",
    "seedAudience",
]


@st.composite
def model_paths(draw: st.DrawFn) -> str:
    """A path from one of the model's routes, labels filled with anything."""
    spec = draw(st.sampled_from(sorted(operation_specs().values(), key=lambda s: s.name)))
    path = re.sub(r"\{[^}]+\}", lambda _: draw(LABEL_VALUES), spec.request_uri)
    if spec.query_members and draw(st.booleans()):
        pairs = [
            f"{key}={draw(st.sampled_from(['1', '0', '-5', '101', 'abc', 'true', '', 'x' * 300]))}"
            for key, _, _ in spec.query_members
            if draw(st.booleans())
        ]
        path += "?" + "&".join(pairs)
    return path


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["empty", "bytes", "json", "object", "oversize", "deep"]))
    if kind == "empty":
        return b""
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode()
    if kind == "deep":
        return b"[" * draw(st.integers(100, 5000)) + b"]" * draw(st.integers(0, 10))
    document: dict[str, Any] = draw(
        st.dictionaries(
            st.sampled_from(BODY_KEYS),
            JSON_VALUES,
            max_size=6,
        )
    )
    if kind == "oversize":
        document["name"] = "n" * draw(st.integers(64, 5000))
        document["tags"] = {f"k{i}": "v" for i in range(draw(st.integers(51, 250)))}
    return json.dumps(document).encode()


def _check(response: Any, world: World) -> None:
    assert response.status != 500, response.body
    if response.status >= 300:
        code = response.headers["x-amzn-ErrorType"]
        assert code in ALLOWED_CODES, (code, response.body)
        message = json.loads(response.body)["message"]
        assert isinstance(message, str) and message
        call = world.calls[-1]
        if call.operation != "Unknown":
            assert_declared_error(call.operation, code)


@SETTINGS
@given(method=METHODS, path=st.one_of(model_paths(), st.text(max_size=40)), body=bodies())
def test_any_request_gets_a_modelled_answer(method: str, path: str, body: bytes) -> None:
    world = World()
    url = HOST + ("" if path.startswith("/") else "/") + path
    response = dispatch(world, WireRequest(method, url, {}, body))
    _check(response, world)


@SETTINGS
@given(body=bodies())
def test_create_training_dataset_bodies(body: bytes) -> None:
    world = World()
    response = dispatch(world, WireRequest("POST", HOST + "/training-dataset", {}, body))
    _check(response, world)


@SETTINGS
@given(
    auth=st.one_of(
        st.text(max_size=60),
        st.just("AWS4-HMAC-SHA256 Credential=111111111111/20260101/eu-west-1/cleanrooms-ml/"),
        st.just("AWS4-HMAC-SHA256 Credential="),
        st.just("Credential=/"),
    ),
    host=st.sampled_from(["cleanrooms-ml.cn-north-1.amazonaws.com.cn", "localhost:5000", "x", ""]),
)
def test_odd_credentials_and_hosts(auth: str, host: str) -> None:
    world = World()
    request = WireRequest("GET", f"https://{host}/training-dataset", {"Authorization": auth}, b"")
    response = dispatch(world, request)
    _check(response, world)
