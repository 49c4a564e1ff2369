"""Hostile input in server mode: every request gets a well-formed HTTP answer with a JSON
error body, or a clean close when no request arrives; nothing but a bug of the mock is a
500; nothing ties a thread up for long; logs and answers carry no secrets or paths
(docs/server.md, "Bad input" and "Limits"). Raw sockets, since clients never send this."""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroomsml_mock.backend.training_datasets import TrainingDatasets
from cleanroomsml_mock.controls import WorldControls
from cleanroomsml_mock.server import ThreadedServer, app, serving

from .builders import REGION

QUICK = 1.0
"""The request deadline of the ``quick`` server: a stalled request is answered after it."""

STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([1-5][0-9][0-9]) [^\r\n]*")


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer() as running:
        yield running


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadedServer]:
    """A server with a request deadline and keep-alive wait of ``QUICK`` seconds."""
    monkeypatch.setattr(serving, "REQUEST_TIMEOUT", QUICK)
    monkeypatch.setattr(serving, "KEEP_ALIVE_TIMEOUT", QUICK)
    with ThreadedServer() as running:
        yield running


# ---------------------------------------------------------------- raw exchanges


class Answer:
    """One HTTP response read off the wire."""

    def __init__(self, status: int, head: bytes, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.head = head
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def parse_answers(data: bytes, *, head_only: bool = False) -> list[Answer]:
    """Every response in ``data`` (a connection's whole output), checked to be well formed:
    a status line, headers, a Content-Length and that many bytes of JSON (for a 4xx/5xx, a
    JSON object with a message and the ``x-amzn-ErrorType`` header)."""
    answers: list[Answer] = []
    while data:
        head, blank, data = data.partition(b"\r\n\r\n")
        assert blank, f"an answer without the end of its headers: {head[:200]!r}"
        status_line, *header_lines = head.split(b"\r\n")
        matched = STATUS_LINE.fullmatch(status_line)
        assert matched, f"not a status line: {status_line[:200]!r}"
        headers: dict[str, str] = {}
        for line in header_lines:
            name, colon, value = line.decode("latin-1").partition(":")
            assert colon and name and name == name.strip(), f"not a header: {line!r}"
            headers[name.lower()] = value.strip()
        status = int(matched.group(1))
        if status < 200:  # 100 Continue: no body, the answer follows
            continue
        length = int(headers["content-length"])
        body = b"" if head_only else data[:length]
        assert len(body) == (0 if head_only else length), "a body shorter than announced"
        data = data[len(body) :]
        answer = Answer(status, head, headers, body)
        if body:
            assert headers["content-type"] == "application/json"
            document = answer.json()
            if status >= 400:
                assert isinstance(document, dict) and document.get("message"), document
                assert headers["x-amzn-errortype"], headers
                assert (
                    document.get("code", headers["x-amzn-errortype"])
                    == (headers["x-amzn-errortype"])
                )
        answers.append(answer)
    return answers


def exchange(server: ThreadedServer, sent: bytes, *, close_write: bool = True) -> bytes:
    """Everything the server sends back on a connection that sent ``sent``, until it
    closes the connection. With ``close_write``, the client closes its side after
    sending; without, it waits (so the server's deadlines decide)."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        try:
            if sent:
                sock.sendall(sent)
            if close_write:
                sock.shutdown(socket.SHUT_WR)
        except OSError:  # refused and closed before it was all sent: read what came
            pass
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:  # possible only if the client sent over 4 MiB more
            pass
    return received


def only_answer(server: ThreadedServer, sent: bytes, **options: Any) -> Answer:
    [answer] = parse_answers(exchange(server, sent, **options))
    return answer


def boto3_works(server: ThreadedServer) -> None:
    client = boto3.client(
        "cleanroomsml",
        region_name=REGION,
        endpoint_url=server.endpoint_url,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )
    assert client.list_training_datasets()["trainingDatasets"] == []


def open_connections(server: ThreadedServer) -> int:
    """How many connections the server still serves, once the ones it is done with have
    been closed (they are, right after the answer; this waits for that)."""
    assert server._server is not None
    connections = serving._connections(server._server)
    for _ in range(100):
        if not connections:
            break
        time.sleep(0.05)
    return len(connections)


def post(path: str, body: bytes, **headers: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: x",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# ---------------------------------------------------------------- deeply nested JSON

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    "path",
    [
        "/_mock/status",
        "/_mock/advance",
        "/_mock/memberships",
        "/_mock/quotas",
        "/_mock/seed",
        "/_mock/errors",
        "/training-dataset",
    ],
)
def test_deeply_nested_json_is_a_400(server: ThreadedServer, path: str) -> None:
    answer = only_answer(server, post(path, DEEP))
    assert answer.status == 400
    assert answer.headers["x-amzn-errortype"] == "ValidationException"
    assert "nested too deeply" in answer.json()["message"]


def test_deeply_nested_json_to_delete_errors_is_a_400(server: ThreadedServer) -> None:
    sent = post("/_mock/errors", DEEP).replace(b"POST", b"DELETE", 1)
    assert only_answer(server, sent).status == 400
    boto3_works(server)


# ---------------------------------------------------------------- bodies that do not arrive


def test_a_large_body_that_never_arrives_is_a_413_and_frees_the_thread(
    quick: ThreadedServer,
) -> None:
    sent = (
        b"POST /training-dataset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 9437184\r\n\r\n"
    )
    answer = only_answer(quick, sent, close_write=False)
    assert answer.status == 413
    assert answer.headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert answer.headers["connection"] == "close"
    assert open_connections(quick) == 0
    boto3_works(quick)


def test_a_stalled_body_is_a_408(quick: ThreadedServer) -> None:
    sent = post("/training-dataset", b"{}").replace(b"Length: 2", b"Length: 100")
    answer = only_answer(quick, sent, close_write=False)
    assert answer.status == 408
    assert answer.headers["x-amzn-errortype"] == "RequestTimeoutException"
    assert answer.json()["code"] == "RequestTimeoutException"
    assert open_connections(quick) == 0


def test_a_body_cut_short_is_a_400(server: ThreadedServer) -> None:
    sent = post("/training-dataset", b"{}").replace(b"Length: 2", b"Length: 100")
    answer = only_answer(server, sent)
    assert answer.status == 400 and "2 of the 100 bytes" in answer.json()["message"]


def test_a_stalled_chunked_body_is_a_408(quick: ThreadedServer) -> None:
    sent = (
        b"POST /training-dataset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n10\r\n{}"
    )
    assert only_answer(quick, sent, close_write=False).status == 408


# ---------------------------------------------------------------- malformed requests


@pytest.mark.parametrize(
    ("sent", "status", "code"),
    [
        (b"garbage\r\n\r\n", 400, "ValidationException"),
        (b"\r\n", 400, "ValidationException"),
        (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", 505, "HTTPVersionNotSupportedException"),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTPVersionNotSupportedException"),
        (b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505, "HTTPVersionNotSupportedException"),
        (b"GET / HTTP/x.y\r\nHost: x\r\n\r\n", 400, "ValidationException"),
        (b"GET / FTP/1.1\r\nHost: x\r\n\r\n", 400, "ValidationException"),
        (b"GET / HTTP/\xb2.1\r\nHost: x\r\n\r\n", 400, "ValidationException"),
        (b"GET / HTTP/" + b"1" * 5000 + b".1\r\n\r\n", 505, "HTTPVersionNotSupportedException"),
        (b"GET / HTTP/1." + b"1" * 5000 + b"\r\n\r\n", 400, "ValidationException"),
        (b"GET HTTP/1.1\r\nHost: x\r\n\r\n", 400, "ValidationException"),
        (b"GET http://[::1/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "ValidationException"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, "RequestURITooLongException"),
        (
            b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(200)) + b"\r\n",
            431,
            "RequestHeaderFieldsTooLargeException",
        ),
    ],
    ids=[
        "garbage",
        "empty-line",
        "http-9.9",
        "http-2",
        "http-0.9-spelled",
        "version-not-numbers",
        "not-http",
        "not-ascii-digits",
        "huge-major-version",
        "huge-minor-version",
        "no-target",
        "bad-absolute-uri",
        "uri-too-long",
        "too-many-headers",
    ],
)
def test_a_malformed_request_gets_a_json_answer_with_a_status_line(
    server: ThreadedServer, sent: bytes, status: int, code: str
) -> None:
    answer = only_answer(server, sent)
    assert answer.status == status
    assert answer.headers["x-amzn-errortype"] == code == answer.json()["code"]
    assert answer.headers["connection"] == "close"
    boto3_works(server)


def test_an_http_0_9_request_gets_an_http_1_1_505_at_once(server: ThreadedServer) -> None:
    # HTTP/0.9 has no headers: the answer does not wait for any (nor for a deadline)
    answer = only_answer(server, b"GET /\r\n", close_write=False)
    assert answer.head.startswith(b"HTTP/1.1 505 ")
    assert "HTTP/0.9" in answer.json()["message"]


@pytest.mark.parametrize(
    "sent",
    [b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n", b"GET /_mock/hea", b"G"],
    ids=["headers-without-blank-line", "half-a-request-line", "one-byte"],
)
def test_a_request_that_stops_halfway_is_a_408(quick: ThreadedServer, sent: bytes) -> None:
    answer = only_answer(quick, sent, close_write=False)
    assert answer.status == 408
    assert answer.headers["x-amzn-errortype"] == "RequestTimeoutException"
    assert open_connections(quick) == 0


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(
    quick: ThreadedServer,
) -> None:
    assert exchange(quick, b"", close_write=False) == b""
    assert open_connections(quick) == 0


def test_an_idle_keep_alive_connection_is_closed_without_an_answer(
    quick: ThreadedServer,
) -> None:
    received = exchange(quick, b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n\r\n", close_write=False)
    [answer] = parse_answers(received)  # the answer, then a silent close
    assert answer.status == 200 and "connection" not in answer.headers


@pytest.mark.parametrize("close_write", [True, False])
def test_a_refused_client_still_sending_reads_its_answer(
    server: ThreadedServer, close_write: bool
) -> None:
    # the server reads (and drops) what follows a refusal before it closes: closing with
    # input unread would reset the connection, and the client could lose the answer
    sent = b"BROKEN REQUEST LINE\r\nHost: x\r\n\r\n" + b"x" * 1_000_000
    answer = only_answer(server, sent, close_write=close_write)
    assert answer.status == 400


def test_requests_on_one_connection_each_get_their_answer(server: ThreadedServer) -> None:
    health = b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n\r\n"
    sent = health + post("/_mock/seed", b'{"value": 3}') + b"BROKEN\r\n\r\n" + health
    statuses = [answer.status for answer in parse_answers(exchange(server, sent))]
    assert statuses == [200, 200, 400]  # the connection closes after the refusal


# ---------------------------------------------------------------- what logs and answers show

SECRETS = ("SIGNATURE0123", "TOKEN4567", "AKIDCREDENTIAL89")
PRESIGNED = (
    "/training-dataset?X-Amz-Algorithm=AWS4-HMAC-SHA256"
    f"&X-Amz-Credential={SECRETS[2]}%2F20260101%2Fus-east-1%2Fcleanrooms-ml%2Faws4_request"
    "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300"
    f"&X-Amz-Security-Token={SECRETS[1]}&X-Amz-SignedHeaders=host"
    f"&X-Amz-Signature={SECRETS[0]}&maxResults=5"
)


def test_the_access_log_hides_signatures_credentials_and_tokens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    with ThreadedServer(verbose=True) as server:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        try:
            connection.request("GET", PRESIGNED)
            assert connection.getresponse().read()
        finally:
            connection.close()
        exchange(server, f"GET {PRESIGNED} HTTP/7.0\r\n\r\n".encode())
        exchange(server, f"GET {PRESIGNED}\r\n".encode())
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert len(lines) == 3, lines
    for line in lines:
        assert "X-Amz-Signature=***" in line and "X-Amz-Security-Token=***" in line
        assert "X-Amz-Credential=***" in line and "maxResults=5" in line
        for secret in SECRETS:
            assert secret not in line, line


def test_error_answers_do_not_echo_the_request_line(server: ThreadedServer) -> None:
    for sent in (f"GET {PRESIGNED} HTTP/7.0\r\n\r\n", f"GET {PRESIGNED} x HTTP/1.1\r\n\r\n"):
        answer = only_answer(server, sent.encode())
        for secret in SECRETS:
            assert secret.encode() not in answer.body


@pytest.mark.mock_bug
def test_every_500_is_path_free(
    server: ThreadedServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in an operation, in the app around it (the WSGI catch-all), in a control
    endpoint and in the request handler: each a 500 ``InternalServiceException`` naming
    the exception's type only."""
    caplog.set_level(logging.CRITICAL, logger="cleanroomsml_mock.server")

    def broken(*_: Any, **__: Any) -> Any:
        raise OSError(2, "No such file", "/home/someone/secret/path.py")

    handle = app.MockServerApp.handle

    def broken_app(self: app.MockServerApp, environ: dict[str, Any]) -> Any:
        if environ["PATH_INFO"] == "/boom":
            broken()
        return handle(self, environ)

    monkeypatch.setattr(TrainingDatasets, "list_training_datasets", broken)
    monkeypatch.setattr(app.MockServerApp, "handle", broken_app)
    monkeypatch.setattr(WorldControls, "advance", broken)
    make_environ = serving._Handler.make_environ

    def broken_handler(self: serving._Handler) -> Any:
        if self.path == "/handler-boom":
            broken()
        return make_environ(self)

    monkeypatch.setattr(serving._Handler, "make_environ", broken_handler)
    for sent in (
        b"GET /training-dataset HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n",
        post("/_mock/advance", b"{}"),
        b"GET /handler-boom HTTP/1.1\r\nHost: x\r\n\r\n",
    ):
        answer = only_answer(server, sent)
        assert answer.status == 500
        assert answer.headers["x-amzn-errortype"] == "InternalServiceException"
        message = answer.json()["message"]
        assert "FileNotFoundError" in message and "bug of the mock" in message
        for leak in (b".py", b"line ", b"/home", b"secret", b"Traceback", b"No such file"):
            assert leak not in answer.body, (leak, answer.body)


# ---------------------------------------------------------------- the fuzzer

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "get", "GE T"]
TARGETS = [
    "/training-dataset",
    "/training-dataset?maxResults=2&nextToken=x",
    "/_mock/health",
    "/_mock/seed",
    "/_mock/errors",
    "/tags/arn%3Aaws%3Acleanrooms-ml%3Aus-east-1%3A123456789012%3Atraining-dataset%2Fx",
    "*",
    "http://x/training-dataset",
    "//x",
    "/%zz",
    "/\x00",
    "",
]
VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/0.9", "HTTP/2.0", "HTTP/1.1 extra", "http/1.1", ""]
HEADER_NAMES = [
    "Host",
    "Content-Type",
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Expect",
    "Authorization",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "Bad Name",
    "Under_score",
    "",
]
HEADER_VALUES = [
    "application/json",
    "text/plain",
    "chunked",
    "close",
    "keep-alive",
    "100-continue",
    "0",
    "-1",
    "12",
    "99999999999999999999",
    "AWS4-HMAC-SHA256 Credential=111122223333/20260101/us-east-1/cleanrooms-ml/aws4_request, "
    "SignedHeaders=host, Signature=abc",
    "",
]
BODIES = [
    b"",
    b"{}",
    b'{"value": 1}',
    b'{"name": "x"}',
    b"{not json",
    b"[" * 5000 + b"]" * 5000,
    b'{"a": ' * 3000 + b"1" + b"}" * 3000,
    b"\xff\xfe\x00",
    b"0\r\n\r\n",
    b"5\r\n{}{}{\r\n0\r\n\r\n",
    b"zz\r\n",
]

text = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=30)
request_lines = st.one_of(
    st.tuples(
        st.sampled_from(METHODS) | text,
        st.sampled_from(TARGETS) | text,
        st.sampled_from(VERSIONS) | text,
    ).map(lambda words: " ".join(words).encode("latin-1")),
    st.binary(max_size=60),
)
headers = st.lists(
    st.tuples(st.sampled_from(HEADER_NAMES) | text, st.sampled_from(HEADER_VALUES) | text).map(
        lambda pair: f"{pair[0]}: {pair[1]}".encode("latin-1")
    )
    | st.binary(max_size=40),
    max_size=6,
)
framings = st.sampled_from(["exact", "none", "short", "long", "chunked", "raw"])
line_ends = st.sampled_from([b"\r\n", b"\n"])


@st.composite
def raw_requests(draw: st.DrawFn) -> bytes:
    end = draw(line_ends)
    lines = [draw(request_lines), *draw(headers)]
    body = draw(st.sampled_from(BODIES) | st.binary(max_size=64))
    framing = draw(framings)
    if framing == "exact":
        lines.append(b"Content-Length: %d" % len(body))
    elif framing == "short":
        lines.append(b"Content-Length: %d" % (len(body) + 10))
    elif framing == "long":
        lines.append(b"Content-Length: %d" % max(len(body) - 1, 0))
    elif framing == "chunked":
        lines.append(b"Transfer-Encoding: chunked")
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if draw(st.booleans()) else body
    head = end.join(lines) + end
    if draw(st.booleans()):  # most requests end their headers; some never do
        head += end
    return head + body + draw(st.sampled_from([b"", b"GET /_mock/health HTTP/1.1\r\n\r\n"]))


def test_fuzzed_requests_get_well_formed_answers_and_the_server_lives(
    quick: ThreadedServer,
) -> None:
    seen: set[int] = set()

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(sent=raw_requests(), close_write=st.booleans())
    def check(sent: bytes, close_write: bool) -> None:
        for answer in parse_answers(exchange(quick, sent, close_write=close_write)):
            seen.add(answer.status)
            assert answer.status != 500, answer.body

    check()
    assert {400, 408} <= seen  # the fuzzer reached refusals of both kinds
    assert open_connections(quick) == 0
    boto3_works(quick)
