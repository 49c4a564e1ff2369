"""Server mode for browsers, over raw HTTP: CORS answers and preflights (docs/server.md,
"Browsers and CORS"). tests/test_server_ui_browser.py does the same from a real browser."""

from __future__ import annotations

import http.client
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from cleanroomsml_mock.cli import main
from cleanroomsml_mock.server import ThreadedServer
from cleanroomsml_mock.server.control import PATHS
from cleanroomsml_mock.server.cors import (
    ALLOWED_HEADERS,
    MAX_REQUESTED_HEADERS,
    Cors,
    parse_origins,
)

from .builders import ROLE, training_data

PAGE = "http://localhost:3000"
SIGNED_HEADERS = ", ".join(ALLOWED_HEADERS)


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer() as running:
        yield running


def preflight(
    url: str, method: str = "POST", origin: str = PAGE, headers: str = SIGNED_HEADERS
) -> requests.Response:
    return requests.options(
        url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
        timeout=10,
    )


def allowed(response: requests.Response, name: str) -> set[str]:
    return {part.strip() for part in response.headers.get(name, "").split(",") if part.strip()}


API_PATHS = [
    ("POST", "/training-dataset"),
    ("GET", "/training-dataset"),
    ("GET", "/training-dataset/arn%3Aaws%3Acleanrooms-ml%3Aus-east-1%3A1%3Atraining-dataset%2Fx"),
    ("DELETE", "/audience-model/arn%3Aaws%3Acleanrooms-ml%3Aus-east-1%3A1%3Aaudience-model%2Fx"),
    ("PATCH", "/memberships/m/trained-models/x"),
    ("POST", "/tags/arn%3Aaws%3Acleanrooms-ml%3Aus-east-1%3A1%3Atraining-dataset%2Fx"),
]


@pytest.mark.parametrize(("method", "path"), API_PATHS + [("POST", p) for p in PATHS])
def test_every_api_path_and_control_endpoint_answers_the_preflight(
    server: ThreadedServer, method: str, path: str
) -> None:
    response = preflight(server.endpoint_url + path, method)
    assert response.status_code == 200, response.text
    assert response.content == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert method in allowed(response, "Access-Control-Allow-Methods")
    assert set(ALLOWED_HEADERS) <= allowed(response, "Access-Control-Allow-Headers")
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in response.headers  # no cookies involved


def test_the_preflight_of_the_issue_is_no_longer_a_400(server: ThreadedServer) -> None:
    """The issue: `OPTIONS /training-dataset` got 400 'Method OPTIONS is not allowed'."""
    response = requests.options(server.endpoint_url + "/training-dataset", timeout=10)
    assert response.status_code == 200
    assert "OPTIONS" in allowed(response, "Allow")
    assert not server.calls  # a preflight is not a call of the service


def test_requested_headers_are_allowed_when_they_are_header_names(server: ThreadedServer) -> None:
    response = preflight(
        server.endpoint_url + "/training-dataset",
        headers="X-Amz-Date, X-Custom-Trace, amz-sdk-request, not a header, x\u00e9",
    )
    names = allowed(response, "Access-Control-Allow-Headers")
    assert {"x-amz-date", "x-custom-trace", "amz-sdk-request"} <= names
    assert "not a header" not in names and "x\u00e9" not in names
    many = ", ".join(f"x-extra-{i}" for i in range(MAX_REQUESTED_HEADERS + 10))
    names = allowed(
        preflight(server.endpoint_url + "/", headers=many), "Access-Control-Allow-Headers"
    )
    assert len(names) == len(set(ALLOWED_HEADERS)) + MAX_REQUESTED_HEADERS


def test_every_answer_allows_any_origin_and_exposes_the_aws_headers(server: ThreadedServer) -> None:
    session = requests.Session()
    session.headers["Origin"] = PAGE
    answers = [
        session.get(server.endpoint_url + "/training-dataset", timeout=10),  # an API answer
        session.get(server.endpoint_url + "/training-dataset/nope", timeout=10),  # API error
        session.post(server.endpoint_url + "/training-dataset", json={}, timeout=10),
        session.get(server.endpoint_url + "/no/such/path", timeout=10),  # no route
        session.get(server.endpoint_url + "/_mock/health", timeout=10),
        session.post(server.endpoint_url + "/_mock/status", data=b"[", timeout=10),  # refused
        session.post(
            server.endpoint_url + "/_mock/seed",
            data=b"x",
            headers={"Content-Type": "text/plain"},
            timeout=10,
        ),  # 415
        session.get(server.endpoint_url + "/_mock/ui", timeout=10),
    ]
    # successes, the service's errors and the server's own refusals alike
    assert [a.status_code // 100 for a in answers] == [2, 4, 4, 4, 2, 4, 4, 2]
    for answer in answers:
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        exposed = {h.lower() for h in allowed(answer, "Access-Control-Expose-Headers")}
        assert {"x-amzn-requestid", "x-amzn-errortype"} <= exposed


def test_boto3_is_unaffected(server: ThreadedServer) -> None:
    client = boto3.client(
        "cleanroomsml",
        region_name="us-east-1",
        endpoint_url=server.endpoint_url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )
    arn = client.create_training_dataset(name="cors", roleArn=ROLE, trainingData=training_data())[
        "trainingDatasetArn"
    ]
    assert client.get_training_dataset(trainingDatasetArn=arn)["name"] == "cors"


def test_a_listed_origin_is_echoed_with_vary_and_another_gets_no_allow_header() -> None:
    with ThreadedServer(cors_origins=[PAGE, "http://127.0.0.1:8080"]) as server:
        url = server.endpoint_url + "/training-dataset"
        listed = preflight(url)
        assert listed.status_code == 200
        assert listed.headers["Access-Control-Allow-Origin"] == PAGE
        assert listed.headers["Vary"] == "Origin"
        assert "POST" in allowed(listed, "Access-Control-Allow-Methods")

        other = preflight(url, origin="http://evil.example")
        assert other.status_code == 200  # the browser refuses it: no Allow-Origin
        assert other.headers["Vary"] == "Origin"
        assert not [h for h in other.headers if h.lower().startswith("access-control-")]

        get = requests.get(url, headers={"Origin": "http://127.0.0.1:8080"}, timeout=10)
        assert get.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8080"
        assert get.headers["Vary"] == "Origin"
        refused = requests.get(url, headers={"Origin": "http://evil.example"}, timeout=10)
        assert refused.status_code == 200  # served (CORS is the browser's to enforce)...
        assert "Access-Control-Allow-Origin" not in refused.headers  # ...but not allowed
        assert refused.headers["Vary"] == "Origin"
        no_origin = requests.get(url, timeout=10)
        assert "Access-Control-Allow-Origin" not in no_origin.headers


def test_no_origin_at_all() -> None:
    with ThreadedServer(cors_origins=[]) as server:
        answer = preflight(server.endpoint_url + "/training-dataset")
        assert answer.status_code == 200
        assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize(
    ("given", "parsed"),
    [
        ("*", ("*",)),
        ("http://a:1, http://b:2/", ("http://a:1", "http://b:2")),
        ("HTTP://LocalHost:3000", ("http://localhost:3000",)),
        (["http://a:1", "*"], ("*",)),
        ("", ()),
        (None, ()),
        ([], ()),
        ("http://a:1,,http://a:1", ("http://a:1",)),
    ],
)
def test_parse_origins(given: Any, parsed: tuple[str, ...]) -> None:
    assert parse_origins(given) == parsed


@pytest.mark.parametrize("bad", ["localhost:3000", "http://a/path", "http://a?x", "null ", "a b"])
def test_a_value_that_is_not_an_origin_is_a_value_error_naming_it(bad: str) -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        Cors(bad)
    with pytest.raises(ValueError, match="is not an origin"):
        ThreadedServer(cors_origins=[bad])


def test_a_preflight_keeps_the_connection_open(server: ThreadedServer) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        for _ in range(2):
            connection.request(
                "OPTIONS",
                "/training-dataset",
                headers={"Origin": PAGE, "Access-Control-Request-Method": "POST"},
            )
            answer = connection.getresponse()
            assert answer.status == 200 and answer.read() == b""
            assert answer.getheader("Connection") != "close"
        connection.request("GET", "/_mock/health")
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def test_command_line_takes_cors_origins(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--cors-origins", "localhost:3000"])
    assert exited.value.code == 2
    assert "--cors-origins" in capsys.readouterr().err


def test_command_line_serves_the_listed_origin() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cleanroomsml_mock", "serve", "--port", "0", "--quiet",
         "--cors-origins", PAGE],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "cleanroomsml-mock serving on http://..."
        url = line.rsplit(" ", 1)[-1].strip()
        assert url.startswith("http://127.0.0.1:"), line
        answer = preflight(url + "/training-dataset")
        assert answer.headers["Access-Control-Allow-Origin"] == PAGE
        assert "Access-Control-Allow-Origin" not in preflight(url + "/", origin="http://x").headers
    finally:
        process.terminate()
        process.wait(timeout=20)
