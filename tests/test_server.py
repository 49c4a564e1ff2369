"""Server mode: boto3, the AWS CLI and raw HTTP against a real server on a free port."""

from __future__ import annotations

import http.client
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from cleanroomsml_mock import mock_cleanroomsml
from cleanroomsml_mock.server import MAX_BODY_BYTES, ThreadedServer, serve_in_thread
from cleanroomsml_mock.state import StateFileError

from .builders import ACCOUNT, REGION, ROLE, training_data

MEMBERSHIP = "0f5e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"
COLLABORATION = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
OTHER_ACCOUNT = "210987654321"


def server_client(
    server: ThreadedServer, account: str = "AKIDEXAMPLE", region: str = REGION
) -> Any:
    return boto3.client(
        "cleanroomsml",
        region_name=region,
        endpoint_url=server.endpoint_url,
        aws_access_key_id=account,
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1}),
    )


def create(client: Any, name: str, **extra: Any) -> str:
    arn = client.create_training_dataset(
        name=name, roleArn=ROLE.replace(ACCOUNT, _account_of(client)), trainingData=training_data(),
        **extra,
    )["trainingDatasetArn"]  # fmt: skip
    return str(arn)


def _account_of(client: Any) -> str:
    key = client._request_signer._credentials.access_key
    return key if len(key) == 12 and key.isdigit() else ACCOUNT


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer() as running:
        yield running


def post(server: ThreadedServer, path: str, document: Any = None) -> requests.Response:
    return requests.post(server.endpoint_url + path, json=document, timeout=5)


# ---------------------------------------------------------------- boto3 and the helper


def test_boto3_against_the_server(server: ThreadedServer) -> None:
    client = server_client(server)
    arn = create(client, "ds", tags={"team": "a"})
    got = client.get_training_dataset(trainingDatasetArn=arn)
    assert got["name"] == "ds" and got["status"] == "ACTIVE"
    # an ARN in the path travels percent-encoded (%2F): routed on the raw path
    client.tag_resource(resourceArn=arn, tags={"env": "test"})
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "a", "env": "test"}
    assert [
        d["trainingDatasetArn"] for d in client.list_training_datasets()["trainingDatasets"]
    ] == [arn]
    client.delete_training_dataset(trainingDatasetArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        client.get_training_dataset(trainingDatasetArn=arn)
    assert arn in exc.value.response["Error"]["Message"]
    # the account comes from a 12-digit access key, the region from the SigV4 scope
    other = server_client(server, OTHER_ACCOUNT, "eu-west-1")
    other_arn = create(other, "theirs")
    assert other_arn.startswith(f"arn:aws:cleanrooms-ml:eu-west-1:{OTHER_ACCOUNT}:")
    assert client.list_training_datasets()["trainingDatasets"] == []


def test_the_service_specific_endpoint_variable_reaches_the_server(
    server: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLEANROOMSML", server.endpoint_url)
    client = boto3.client(
        "cleanroomsml", region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b"
    )
    arn = create(client, "via-env")
    assert server.world.find(arn) is not None


def test_serve_in_thread_binds_loopback_on_a_free_port_and_stops() -> None:
    server = serve_in_thread()
    try:
        parts = urlsplit(server.endpoint_url)
        assert parts.hostname == "127.0.0.1" and parts.port and parts.port > 0
        assert (
            requests.get(server.endpoint_url + "/_mock/health", timeout=5).json()["status"] == "ok"
        )
    finally:
        server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{parts.port}/_mock/health", timeout=2)
    server.stop()  # idempotent


# ---------------------------------------------------------------- the AWS CLI


@pytest.mark.skipif(importlib.util.find_spec("awscli") is None, reason="awscli not installed")
def test_aws_cli_create_list_delete(server: ThreadedServer, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": OTHER_ACCOUNT,
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_MAX_ATTEMPTS": "1",
    }

    def aws(*args: str) -> Any:
        done = subprocess.run(
            [sys.executable, "-m", "awscli", "cleanroomsml", *args,
             "--endpoint-url", server.endpoint_url, "--output", "json"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    role = ROLE.replace(ACCOUNT, OTHER_ACCOUNT)
    created = aws(
        "create-training-dataset", "--name", "from-cli", "--role-arn", role,
        "--training-data", json.dumps(training_data()),
    )  # fmt: skip
    arn = created["trainingDatasetArn"]
    assert arn.startswith(f"arn:aws:cleanrooms-ml:{REGION}:{OTHER_ACCOUNT}:training-dataset/")
    listed = aws("list-training-datasets")
    assert [d["name"] for d in listed["trainingDatasets"]] == ["from-cli"]
    aws("delete-training-dataset", "--training-dataset-arn", arn)
    client = server_client(server, OTHER_ACCOUNT)
    assert client.list_training_datasets()["trainingDatasets"] == []


# ---------------------------------------------------------------- control endpoints


def test_health_and_reset(server: ThreadedServer) -> None:
    client = server_client(server)
    create(client, "a")
    health = requests.get(server.endpoint_url + "/_mock/health", timeout=5)
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["resources"] == 1
    assert post(server, "/_mock/reset").status_code == 200
    assert client.list_training_datasets()["trainingDatasets"] == []
    assert requests.get(server.endpoint_url + "/_mock/health", timeout=5).json()["resources"] == 0


def test_status_and_advance_endpoints_call_the_world(server: ThreadedServer) -> None:
    client = server_client(server)
    arn = create(client, "a")
    ok = post(server, "/_mock/status", {"arn": arn, "status": "ACTIVE", "message": "forced"})
    assert ok.status_code == 200, ok.text
    bad_status = post(server, "/_mock/status", {"arn": arn, "status": "CREATE_FAILED"})
    assert bad_status.status_code == 400 and "ACTIVE" in bad_status.json()["message"]
    missing = post(server, "/_mock/status", {"arn": arn + "x", "status": "ACTIVE"})
    assert missing.status_code == 404 and arn + "x" in missing.json()["message"]
    assert post(server, "/_mock/status", {"arn": arn}).status_code == 400
    assert post(server, "/_mock/status", {"arn": 5, "status": "ACTIVE"}).status_code == 400
    assert post(server, "/_mock/advance", {"arn": arn}).status_code == 200
    assert post(server, "/_mock/advance").status_code == 200
    assert post(server, "/_mock/advance", {"arn": "arn:nope"}).status_code == 404


def test_failure_injection_through_the_status_endpoint(server: ThreadedServer) -> None:
    from cleanroomsml_mock.lifecycle import CREATE_PATH

    backend = server.world.backend(ACCOUNT, REGION)
    arn = f"arn:aws:cleanrooms-ml:{REGION}:{ACCOUNT}:audience-model/failing"
    record = backend.new_record("audience-model", arn, {"name": "m"}, path=CREATE_PATH)
    failed = post(
        server,
        "/_mock/status",
        {"arn": arn, "status": "CREATE_FAILED", "statusCode": "E42", "message": "no capacity"},
    )
    assert failed.status_code == 200, failed.text
    assert record.status == "CREATE_FAILED"
    assert record.track is not None
    assert record.track.details == {"statusCode": "E42", "message": "no capacity"}


def test_membership_and_quota_endpoints(server: ThreadedServer) -> None:
    made = post(server, "/_mock/memberships", {"accountId": OTHER_ACCOUNT})
    assert made.status_code == 200
    membership_id = made.json()["membershipId"]
    registered = server.world.memberships.get(membership_id)
    assert registered is not None and registered.account_id == OTHER_ACCOUNT
    chosen = post(
        server, "/_mock/memberships", {"membershipId": MEMBERSHIP, "collaborationId": COLLABORATION}
    ).json()
    assert chosen == {
        "membershipId": MEMBERSHIP,
        "accountId": ACCOUNT,
        "collaborationId": COLLABORATION,
    }
    assert post(server, "/_mock/memberships", {"accountId": "12"}).status_code == 400
    quota = "Pending or in-progress audience models per account"
    assert post(server, "/_mock/quotas", {"name": quota, "value": 7}).status_code == 200
    assert server.world.config.quotas[quota] == 7
    assert post(server, "/_mock/quotas", {"name": "nope", "value": 1}).status_code == 400
    calls = requests.get(server.endpoint_url + "/_mock/calls", timeout=5).json()["calls"]
    assert calls == []
    state = requests.get(server.endpoint_url + "/_mock/state", timeout=5).json()
    assert state["format"] == "cleanroomsml-mock-state"


def test_membership_endpoint_takes_abilities_and_payer_roles(server: ThreadedServer) -> None:
    made = post(
        server,
        "/_mock/memberships",
        {"accountId": OTHER_ACCOUNT, "abilities": ["CAN_QUERY", "CAN_RUN_JOB"],
         "paysFor": ["modelTraining"]},
    )  # fmt: skip
    assert made.status_code == 200, made.text
    registered = server.world.memberships.get(made.json()["membershipId"])
    assert registered is not None
    assert registered.abilities == ["CAN_QUERY", "CAN_RUN_JOB"]
    assert registered.pays_for == ["modelTraining"]
    for bad in ({"abilities": ["CAN_FLY"]}, {"paysFor": ["lunch"]}, {"abilities": "CAN_QUERY"}):
        assert post(server, "/_mock/memberships", bad).status_code == 400


def test_seed_endpoint_makes_ids_repeatable(server: ThreadedServer) -> None:
    client = server_client(server)
    made = []
    for _ in range(2):
        assert post(server, "/_mock/seed", {"value": 7}).status_code == 200
        made.append(create(client, f"seeded-{len(made)}"))
    assert made[0].rsplit("/", 1)[1] == made[1].rsplit("/", 1)[1]
    assert post(server, "/_mock/seed", {"value": None}).status_code == 200
    assert post(server, "/_mock/seed", {"value": "x"}).status_code == 400


def test_injected_quota_errors_carry_their_members(server: ThreadedServer) -> None:
    injected = post(
        server,
        "/_mock/errors",
        {"operation": "CreateAudienceModel", "code": "ServiceQuotaExceededException",
         "quotaName": "Audience models", "quotaValue": 2},
    )  # fmt: skip
    assert injected.status_code == 200, injected.text
    client = server_client(server)
    with pytest.raises(client.exceptions.ServiceQuotaExceededException) as exc:
        client.create_audience_model(name="m", trainingDatasetArn=create(client, "for-the-model"))
    assert exc.value.response["quotaName"] == "Audience models"
    assert exc.value.response["quotaValue"] == 2


# ---------------------------------------------------------------- the server's state


def test_the_server_has_the_handles_controls(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    quota = "Pending or in-progress audience models per account"
    with ThreadedServer(state_file=state_file, quotas={quota: 3}) as server:
        assert server.world.config.quotas[quota] == 3
        client = server_client(server)
        create(client, "a")
        assert [call.operation for call in server.calls] == ["CreateTrainingDataset"]
        server.add_membership(account_id=OTHER_ACCOUNT, membership_id=MEMBERSHIP)
        assert MEMBERSHIP in saved_text(state_file)  # a change by a control is saved at once
        server.reset()
        assert client.list_training_datasets()["trainingDatasets"] == []
        assert MEMBERSHIP not in saved_text(state_file)
    with pytest.raises(KeyError, match="nope"):
        ThreadedServer(quotas={"nope": 1})


def test_a_server_shares_the_state_of_a_started_mock() -> None:
    with mock_cleanroomsml() as m, ThreadedServer(mock=m) as server:
        # boto3 is answered in process while the mock is active; raw HTTP reaches the server
        arn = create(boto3.client("cleanroomsml", region_name=REGION), "shared")
        listed = requests.get(server.endpoint_url + "/training-dataset", timeout=5).json()
        assert [d["trainingDatasetArn"] for d in listed["trainingDatasets"]] == [arn]
        assert post(server, "/_mock/reset").status_code == 200
        assert m.calls == [] and server.calls == []
    with mock_cleanroomsml() as m:
        with pytest.raises(TypeError, match="lifecycle"):
            ThreadedServer(mock=m, lifecycle="manual")  # the mock's options apply
    with pytest.raises(RuntimeError, match="not been started"):
        ThreadedServer(mock=mock_cleanroomsml())


def test_world_is_deprecated_in_favour_of_mock() -> None:
    with mock_cleanroomsml() as m:
        world = m._require_world()
        with pytest.warns(DeprecationWarning, match="mock=m"):
            server = ThreadedServer(world=world)
        assert server.world is world
        with pytest.raises(TypeError, match="not both"):
            ThreadedServer(mock=m, world=world)


# ---------------------------------------------------------------- bad input


def raw_request(
    server: ThreadedServer, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, Any]:
    parts = urlsplit(server.endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        named = {name.replace("_", "-"): value for name, value in headers.items()}
        named.setdefault("Content-Length", str(len(body)))
        for name, value in named.items():
            connection.putheader(name, value)
        connection.endheaders(body or None)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status"),
    [
        ("POST", "/training-dataset", b"{not json", {"Content_Type": "application/json"}, 400),
        ("POST", "/training-dataset", b"[1, 2]", {"Content_Type": "application/json"}, 400),
        ("POST", "/training-dataset", b"\xff\xfe", {"Content_Type": "application/json"}, 400),
        ("POST", "/training-dataset", b"name=x", {"Content_Type": "text/plain"}, 415),
        ("POST", "/training-dataset", b"{}", {"Content_Type": "application/json"}, 400),
        ("GET", "/training-dataset", b"", {"Content_Length": "abc"}, 400),
        ("GET", "/no/such/route", b"", {}, 404),
        ("PUT", "/training-dataset", b"", {}, 400),
        ("GET", "/training-dataset?maxResults=lots", b"", {}, 400),
        ("GET", "/_mock/nothing", b"", {}, 404),
        ("GET", "/_mock/reset", b"", {}, 405),
        ("POST", "/_mock/status", b"{oops", {"Content_Type": "application/json"}, 400),
        ("POST", "/_mock/status", b"[]", {"Content_Type": "application/json"}, 400),
        ("POST", "/_mock/quotas", b'{"name": "x", "value": "y"}', {}, 400),
    ],
)
def test_bad_input_is_a_json_4xx_and_the_server_keeps_serving(
    server: ThreadedServer,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
) -> None:
    got, document = raw_request(server, method, path, body, **headers)
    assert got == status
    assert isinstance(document, dict) and document["message"]
    assert requests.get(server.endpoint_url + "/_mock/health", timeout=5).status_code == 200


@pytest.mark.parametrize(
    "sent",
    [
        b"GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n",  # malformed request line
        b"POST /training-dataset HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}",
    ],
    ids=["request-line", "short-body"],
)
def test_broken_http_gets_a_json_400(server: ThreadedServer, sent: bytes) -> None:
    import socket

    parts = urlsplit(server.endpoint_url)
    with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=5) as sock:
        sock.sendall(sent)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 400 " in head.split(b"\r\n")[0]
    assert json.loads(body)["message"]
    assert requests.get(server.endpoint_url + "/_mock/health", timeout=5).status_code == 200


def test_a_body_over_the_limit_is_413(server: ThreadedServer) -> None:
    big = b"x" * (MAX_BODY_BYTES + 1)
    url = server.endpoint_url + "/training-dataset"
    sized = requests.post(url, data=big, headers={"Content-Type": "application/json"}, timeout=10)
    assert sized.status_code == 413 and str(MAX_BODY_BYTES) in sized.json()["message"]
    chunked = requests.post(
        url, data=iter([big[: len(big) // 2], big[len(big) // 2 :]]), timeout=10,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert chunked.status_code == 413
    assert requests.get(server.endpoint_url + "/_mock/health", timeout=5).status_code == 200


# ---------------------------------------------------------------- concurrency


def test_eight_threads_of_mixed_calls_lose_nothing(server: ThreadedServer) -> None:
    per_thread = 12
    failures: list[str] = []
    kept: dict[int, set[str]] = {}

    def work(n: int) -> None:
        client = server_client(server)
        mine: set[str] = set()
        try:
            for i in range(per_thread):
                arn = create(client, f"t{n}-{i}", tags={"thread": str(n)})
                mine.add(arn)
                client.get_training_dataset(trainingDatasetArn=arn)
                client.tag_resource(resourceArn=arn, tags={"i": str(i)})
                client.list_training_datasets(maxResults=5)
                if i % 3 == 0:
                    client.delete_training_dataset(trainingDatasetArn=arn)
                    mine.discard(arn)
        except ClientError as exc:
            failures.append(repr(exc))
        kept[n] = mine

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    client = server_client(server)
    listed = {
        d["trainingDatasetArn"]
        for page in client.get_paginator("list_training_datasets").paginate()
        for d in page["trainingDatasets"]
    }
    assert listed == set().union(*kept.values())
    assert len(listed) == 8 * (per_thread - per_thread // 3)
    assert all(call.status < 500 for call in server.world.calls)


# ---------------------------------------------------------------- state files


def test_threaded_server_restart_keeps_every_resource(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with ThreadedServer(state_file=state_file) as first:
        client = server_client(first)
        arn = create(client, "kept", tags={"k": "v"}, description="d")
        other_arn = create(server_client(first, OTHER_ACCOUNT, "eu-west-1"), "other")
        post(first, "/_mock/memberships", {"membershipId": MEMBERSHIP, "accountId": OTHER_ACCOUNT})
        before = client.get_training_dataset(trainingDatasetArn=arn)
        # acknowledged means saved: the file is there before the server stops
        assert arn in saved_text(state_file)
    with ThreadedServer(state_file=state_file) as second:
        client = server_client(second)
        after = client.get_training_dataset(trainingDatasetArn=arn)
        for key in ("name", "description", "tags", "createTime", "updateTime", "trainingData"):
            assert after[key] == before[key]
        other = server_client(second, OTHER_ACCOUNT, "eu-west-1")
        assert other.get_training_dataset(trainingDatasetArn=other_arn)["name"] == "other"
        membership = second.world.memberships.get(MEMBERSHIP)
        assert membership is not None and membership.account_id == OTHER_ACCOUNT
    assert not [p for p in tmp_path.iterdir() if p.name != "state.json"]  # no temp files left


def saved_text(state_file: Path) -> str:
    """The state file and its journal (what a restart reads)."""
    journal = state_file.with_name(state_file.name + ".journal")
    return state_file.read_text() + (journal.read_text() if journal.exists() else "")


def serve_process(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cleanroomsml_mock", "serve", "--port", "0", "--quiet", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(timeout=10)
        return process, ""
    return process, line.strip().rsplit(" ", 1)[-1]


def test_cli_serve_restart_with_state_file(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    process, url = serve_process("--state-file", str(state_file))
    try:
        assert url.startswith("http://127.0.0.1:")
        client = boto3.client(
            "cleanroomsml", region_name=REGION, endpoint_url=url,
            aws_access_key_id="AKID", aws_secret_access_key="secret",
        )  # fmt: skip
        arn = create(client, "survives")
    finally:
        process.kill()  # not even a clean shutdown: what was acknowledged is on disk
        process.wait(timeout=10)
    process, url = serve_process("--state-file", str(state_file))
    try:
        client = boto3.client(
            "cleanroomsml", region_name=REGION, endpoint_url=url,
            aws_access_key_id="AKID", aws_secret_access_key="secret",
        )  # fmt: skip
        assert client.get_training_dataset(trainingDatasetArn=arn)["name"] == "survives"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"format": "cleanroomsml-mock-state", "version": 99}', "version 99"),
        ('{"format": "cleanroomsml-mock-state", "vers', "not valid JSON"),
        ('{"hello": "world"}', "not a cleanroomsml_mock state file"),
    ],
)
def test_a_bad_state_file_stops_the_server(tmp_path: Path, content: str, expected: str) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text(content)
    process, url = serve_process("--state-file", str(state_file))
    assert url == ""
    assert process.returncode == 2
    assert process.stderr is not None
    message = process.stderr.read()
    assert expected in message and "not starting" in message
    assert state_file.read_text() == content  # left as it was
    with pytest.raises(StateFileError, match=expected):
        ThreadedServer(state_file=state_file).start()


def test_a_state_file_that_cannot_be_written_stops_the_server(tmp_path: Path) -> None:
    state_file = tmp_path / "missing-directory" / "state.json"
    process, url = serve_process("--state-file", str(state_file))
    if url:  # it started: stop it before failing
        process.kill()
        process.wait(timeout=10)
    assert url == ""
    assert process.returncode == 2
    assert process.stderr is not None
    message = process.stderr.read()
    assert "not starting" in message and "missing-directory" in message
    with pytest.raises(StateFileError, match="cannot write"):
        ThreadedServer(state_file=state_file).start()


def test_unknown_routes_name_the_nearest_ones(server: ThreadedServer) -> None:
    status, document = raw_request(server, "GET", "/training-datasets/" + quote("a/b", safe=""))
    assert status == 404 and "training-dataset" in document["message"]


def test_control_endpoints_are_routed_by_a_werkzeug_map(server: ThreadedServer) -> None:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request("HEAD", "/_mock/health")  # a rule that takes GET takes HEAD
        head = connection.getresponse()
        assert head.status == 200 and head.read() == b""
        connection.request("POST", "/_mock/health")
        refused = connection.getresponse()
        assert refused.status == 405 and refused.getheader("Allow") == "GET, HEAD"
        assert json.loads(refused.read())["code"] == "MethodNotAllowed"
        connection.request("GET", "/_mock/health/")  # a trailing slash is no other path
        assert connection.getresponse().status == 200
    finally:
        connection.close()


# ---------------------------------------------------------------- keep-alive


def test_keep_alive_rests_on_werkzeug_internals_that_are_still_there(
    server: ThreadedServer,
) -> None:
    """server/serving.py's ``_Handler`` overrides werkzeug's ``run_wsgi`` (what its
    ``__getattr__`` answers every ``do_<METHOD>`` with) and calls ``make_environ`` and
    ``server.app``: none of them public. pyproject.toml bounds werkzeug to the releases
    where this test passes; before raising the bound, make it pass on the new release."""
    from werkzeug.serving import WSGIRequestHandler

    from cleanroomsml_mock.server.serving import _Handler

    version = importlib.metadata.version("werkzeug")
    for name in ("run_wsgi", "make_environ"):
        assert callable(getattr(WSGIRequestHandler, name, None)), (name, version)
    handler = object.__new__(_Handler)
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        assert getattr(handler, f"do_{method}") == handler.run_wsgi, (method, version)
    assert server._server is not None and server._server.app is server.app
    # and so the connection stays open from one request to the next
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        sockets = []
        for _ in range(3):
            connection.request("GET", "/_mock/health")
            response = connection.getresponse()
            assert response.status == 200 and response.getheader("Connection") is None
            response.read()
            sockets.append(connection.sock)
        assert sockets[0] is not None and sockets.count(sockets[0]) == 3
    finally:
        connection.close()
