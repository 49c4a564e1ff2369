"""The WSGI application of server mode: control endpoints under ``/_mock/`` (control.py),
everything else is the Clean Rooms ML API answered by the very same ``dispatch()`` the
in-process mock uses. It routes on the raw, still-encoded request path (``RAW_URI``), so
ARN labels with ``%2F`` stay one segment.

Bad input never stops the server: malformed JSON, a content type other than JSON, a body
over ``MAX_BODY_BYTES`` (413), a body that does not arrive within the request deadline of
serving.py (408), unknown paths and methods a route does not take all get a JSON 4xx
(docs/server.md, "Bad input" and "Limits"). With a state file, what each call changed is
appended to its journal and fsynced before the answer is sent (journal.py), so a restart
loses nothing that was acknowledged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from werkzeug.http import HTTP_STATUS_CODES

from ..controls import WorldControls
from ..dispatch import dispatch
from ..errors import MockBugError
from ..journal import Journal
from ..protocol import WireRequest, WireResponse
from ..world import World
from .answers import Refused, invalid, mock_bug_answer, refusal
from .control import ControlEndpoints
from .cors import Cors

MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest request body served; a larger one is refused with 413."""

MAX_CALLS = 10_000
"""How many of the latest calls a server keeps for ``GET /_mock/calls``."""

KEEP_ALIVE = "cleanroomsml_mock.keep_alive"
"""Environ key the app sets when it read the request body whole: the next request on the
connection starts right after it, so the connection may stay open (serving.py)."""

_DRAIN_LIMIT = 4 * MAX_BODY_BYTES
_JSON_TYPES = frozenset(
    {"application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1", "text/json"}
)
_StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class MockServerApp:
    """The WSGI application: control endpoints under ``/_mock/``, everything else is the
    Clean Rooms ML API answered by ``dispatch(world, ...)``."""

    def __init__(
        self,
        world: World,
        *,
        state_file: str | os.PathLike[str] | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_calls: int = MAX_CALLS,
        cors_origins: str | Sequence[str] | None = "*",
    ) -> None:
        self.world = world
        self.controls = WorldControls(world)
        self.max_calls = max_calls
        world.calls.limit = max_calls  # a long-running server keeps the latest calls only
        self.state_file = Path(state_file) if state_file is not None else None
        self.max_body_bytes = max_body_bytes
        self.endpoints = ControlEndpoints(self.controls, state_file=self.state_file)
        self.cors = Cors(cors_origins, keep_alive=KEEP_ALIVE)  # cors.py
        # opened by ThreadedServer.start (the file is loaded then), closed by stop
        self.journal = Journal(world, self.state_file) if self.state_file is not None else None

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        start_response, preflight = self.cors.enter(environ, start_response)  # CORS (cors.py)
        if preflight is not None:
            return preflight
        try:
            response = self.handle(environ)
        except Exception as exc:  # a bug of the mock; say so, keep serving
            request = f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '/')}"
            response = mock_bug_answer(exc, "a request", request)
        reason = HTTP_STATUS_CODES.get(response.status, "Unknown")
        headers = list(response.headers.items())
        headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {reason}", headers)
        return [response.body]

    def handle(self, environ: dict[str, Any]) -> WireResponse:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        raw_uri = _raw_uri(environ)
        path = raw_uri.split("?", 1)[0]
        try:
            body = read_body(environ, self.max_body_bytes)
            _check_content_type(environ, body)
        except Refused as refused:
            return refused.response
        if path == "/_mock" or path.startswith("/_mock/"):
            response = self.endpoints.answer(method, path, body)
            if method != "GET" and response.status < 300:
                self.save(control=True)
            return response
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "localhost")
        url = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{raw_uri}"
        try:
            response = dispatch(self.world, WireRequest(method, url, headers, body))
        except MockBugError as bug:  # recorded once by dispatch; a 500, never a traceback
            response = mock_bug_answer(bug, bug.operation, f"{method} {path}")
        self.save()  # a read may move a status too (progressive mode); nothing: no write
        return response

    def save(self, *, control: bool = False) -> None:
        """Journal what changed (if a state file is set and open); durable once it returns.
        ``control``: a test control ran (the options and memberships are saved too)."""
        if self.journal is not None:
            self.journal.commit(control=control)


def _raw_uri(environ: dict[str, Any]) -> str:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        from urllib.parse import quote

        raw = quote(environ.get("PATH_INFO", "/"), safe="/:@!$&'()*+,;=-._~")
        if environ.get("QUERY_STRING"):
            raw += "?" + environ["QUERY_STRING"]
    raw = str(raw)
    if "://" in raw.split("?", 1)[0]:  # absolute-form request target
        rest = raw.split("://", 1)[1]
        slash = rest.find("/")
        raw = rest[slash:] if slash >= 0 else "/"
    return raw or "/"


# ---------------------------------------------------------------- the request body


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body, read whole, or ``Refused`` with the answer to send instead.

    Not werkzeug's ``Request(max_content_length=...)``, which does not keep three of the
    answers promised in docs/server.md ("Bad input"): it reads a chunked body over the
    limit as its first ``limit`` bytes instead of refusing it (413), a malformed or
    negative ``Content-Length`` as 0 instead of a 400, and it cannot say how much of a
    short body arrived. A body read whole (or none) is marked ``KEEP_ALIVE``; a refused
    sized body closes the connection, as the rest of it may still be on the way.
    """
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text:
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            raise Refused(invalid(f"Bad Content-Length {length_text!r}")) from None
        if length > limit:
            _drain(stream, length)
            raise Refused(_too_large(length, limit))
        try:
            body = bytes(stream.read(length)) if length else b""
        except TimeoutError:  # the client stalled: serving.py's request deadline passed
            raise Refused(_timed_out(f"of {length} bytes")) from None
        except OSError:  # the client went away
            body = b""
        if len(body) != length:
            raise Refused(
                invalid(
                    f"The request body ended after {len(body)} of the {length} bytes "
                    "its Content-Length announced",
                    Connection="close",
                )
            )
        environ[KEEP_ALIVE] = True  # read whole: the next request line comes next
        return body
    if environ.get("wsgi.input_terminated"):  # chunked: read up to one byte past the limit
        try:
            data = bytes(stream.read(limit + 1))
        except TimeoutError:
            raise Refused(_timed_out("(chunked)")) from None
        except (OSError, ValueError, OverflowError) as exc:  # a broken chunk encoding
            raise Refused(invalid(f"Bad chunked request body: {exc}", Connection="close")) from None
        if len(data) > limit:
            _drain(stream, _DRAIN_LIMIT)
            raise Refused(_too_large(None, limit))
        return data
    environ[KEEP_ALIVE] = True
    return b""


def _too_large(length: int | None, limit: int) -> WireResponse:
    size = f" of {length} bytes" if length is not None else ""
    return refusal(
        413,
        f"The request body{size} is over the limit of {limit} bytes",
        Connection="close",
    )


def _timed_out(what: str) -> WireResponse:
    return refusal(
        408,
        f"The request body {what} did not arrive in time; the connection is closed",
        Connection="close",
    )


def _drain(stream: Any, length: int) -> None:
    """Read (and drop) an oversized body, so the client gets to read our answer: until
    ``length`` (at most ``_DRAIN_LIMIT``) bytes, the end of the stream, or the request
    deadline (serving.py), whichever comes first."""
    left = min(length, _DRAIN_LIMIT)
    try:
        while left > 0:
            chunk = stream.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)
    except (OSError, ValueError):  # timed out, went away, or a broken chunk encoding
        pass


def _check_content_type(environ: dict[str, Any], body: bytes) -> None:
    if not body:
        return
    content_type = str(environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
    if content_type and content_type not in _JSON_TYPES:
        raise Refused(
            refusal(
                415,
                f"Content-Type {content_type!r} is not supported; send application/json",
            )
        )
