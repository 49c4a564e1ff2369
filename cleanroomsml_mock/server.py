"""Server mode: the mock over HTTP, for the AWS CLI, other SDKs and other processes.

A threaded werkzeug server in front of the very same ``dispatch()`` the in-process mock
uses, speaking the service's real wire protocol (rest-json). It routes on the raw,
still-encoded request path (``RAW_URI``), so ARN labels with ``%2F`` stay one segment.

Control endpoints (JSON in, JSON out), mirroring the handle:

=======  =======================  ==================================================
GET      ``/_mock/health``        ``{"status": "ok", ...}``
POST     ``/_mock/reset``         forget every resource, membership and call
POST     ``/_mock/status``        ``{"arn", "status", "statusCode"?, "message"?, "version"?}``
POST     ``/_mock/advance``       ``{"arn"?}``: one lifecycle step (one or every resource)
POST     ``/_mock/memberships``   ``{"accountId"?, "collaborationId"?, "membershipId"?,
                                  "abilities"?, "paysFor"?}``
POST     ``/_mock/quotas``        ``{"name", "value"}``
POST     ``/_mock/seed``          ``{"value"}``: repeatable ids from here on (null: random)
GET      ``/_mock/state``         the saved-state document of everything (see state.py)
GET      ``/_mock/calls``         the calls served: operation, account, region, status
=======  =======================  ==================================================

Bad input never stops the server: malformed JSON, a content type other than JSON, a body
over ``MAX_BODY_BYTES`` (413), unknown paths and methods a route does not take all get a
JSON 4xx. With a state file, state is saved (atomically) after every successful call that
is not a GET, so a restart loses nothing that was acknowledged.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import (
    BaseWSGIServer,
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)

from . import __version__
from .config import DEFAULT_ACCOUNT_ID, MockConfig
from .controls import WorldControls
from .dispatch import dispatch
from .errors import MockBugError
from .ids import request_id
from .lifecycle import Lifecycle
from .protocol import WireRequest, WireResponse
from .state import StateFileError, dump_world
from .state import load as load_state
from .state import save as save_state
from .world import World

MAX_BODY_BYTES = 8 * 1024 * 1024
"""The largest request body served; a larger one is refused with 413."""

MAX_CALLS = 10_000
"""How many of the latest calls a server keeps for ``GET /_mock/calls``."""

_DRAIN_LIMIT = 4 * MAX_BODY_BYTES
KEEP_ALIVE = "cleanroomsml_mock.keep_alive"  # environ key: the request was read whole
_JSON_TYPES = frozenset(
    {"application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1", "text/json"}
)
_StartResponse = Callable[[str, list[tuple[str, str]]], Any]

logger = logging.getLogger("cleanroomsml_mock.server")
"""Where the server logs the traceback of a bug of the mock (its 500 answer has none)."""


def _json(status: int, document: Any, headers: dict[str, str] | None = None) -> WireResponse:
    out = {"Content-Type": "application/json"}
    out.update(headers or {})
    return WireResponse(status, json.dumps(document).encode(), out)


def _error(status: int, code: str, message: str, **headers: str) -> WireResponse:
    return _json(status, {"code": code, "message": message}, {"x-amzn-ErrorType": code, **headers})


def _mock_bug(exc: BaseException, where: str, request: str) -> WireResponse:
    """The 500 answer to a bug of the mock: an ``InternalServiceException`` (the modelled
    500, so SDKs map it) that says it is a mock bug, with no file paths; the traceback goes
    to the server's log, under the answer's request id."""
    rid = request_id()
    cause = exc.__cause__ if isinstance(exc, MockBugError) and exc.__cause__ else exc
    logger.error(
        "cleanroomsml-mock bug while serving %s (%s, request %s)",
        where,
        request,
        rid,
        exc_info=cause,
    )
    return _error(
        500,
        "InternalServiceException",
        f"cleanroomsml-mock bug while serving {where}: {type(cause).__name__}. This is a bug "
        f"of the mock, not an answer of the service; the traceback is in the server's log "
        f"(request {rid}).",
        **{"x-amzn-RequestId": rid},
    )


class _BadRequest(Exception):
    def __init__(self, response: WireResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _fields(body: bytes, spec: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """The JSON object of a control request, with each known field of the right type."""
    if not body.strip():
        document: Any = {}
    else:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _BadRequest(
                _error(400, "ValidationException", f"The request body is not valid JSON: {exc}")
            ) from None
    if not isinstance(document, dict):
        raise _BadRequest(_error(400, "ValidationException", "The request body must be an object"))
    unknown = sorted(set(document) - set(spec))
    if unknown:
        raise _BadRequest(
            _error(400, "ValidationException", f"Unknown fields {unknown}; known: {sorted(spec)}")
        )
    for name, types in spec.items():
        value = document.get(name)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            expected = " or ".join(t.__name__ for t in types)
            raise _BadRequest(
                _error(400, "ValidationException", f"Field {name!r} must be a {expected}")
            )
    return document


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
    ) -> None:
        self.world = world
        self.controls = WorldControls(world)
        self.max_calls = max_calls
        self.state_file = Path(state_file) if state_file is not None else None
        self.max_body_bytes = max_body_bytes
        self._controls: dict[str, dict[str, Callable[[bytes], WireResponse]]] = {
            "/_mock/health": {"GET": self._health},
            "/_mock/reset": {"POST": self._reset},
            "/_mock/status": {"POST": self._set_status},
            "/_mock/advance": {"POST": self._advance},
            "/_mock/memberships": {"POST": self._add_membership},
            "/_mock/quotas": {"POST": self._set_quota},
            "/_mock/seed": {"POST": self._seed},
            "/_mock/errors": {"POST": self._inject_error, "DELETE": self._clear_errors},
            "/_mock/state": {"GET": self._state},
            "/_mock/calls": {"GET": self._calls},
        }

    # ------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        try:
            response = self.handle(environ)
        except Exception as exc:  # a bug of the mock; say so, keep serving
            request = f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '/')}"
            response = _mock_bug(exc, "a request", request)
        reason = HTTP_STATUS_CODES.get(response.status, "Unknown")
        headers = list(response.headers.items())
        headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {reason}", headers)
        return [response.body]

    def handle(self, environ: dict[str, Any]) -> WireResponse:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        raw_uri = self._raw_uri(environ)
        path = raw_uri.split("?", 1)[0]
        try:
            body = self._read_body(environ)
            self._check_content_type(environ, body)
        except _BadRequest as bad:
            return bad.response
        if path == "/_mock" or path.startswith("/_mock/"):
            return self._control(method, path.rstrip("/"), body)
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
            response = _mock_bug(bug, bug.operation, f"{method} {raw_uri.split('?', 1)[0]}")
        if method != "GET" and response.status < 300:
            self.save()
        calls = self.world.calls
        if len(calls) > self.max_calls:  # a long-running server keeps the latest calls only
            del calls[: len(calls) - self.max_calls]
        return response

    @staticmethod
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

    def _read_body(self, environ: dict[str, Any]) -> bytes:
        stream = environ["wsgi.input"]
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text:
            try:
                length = int(length_text)
                if length < 0:
                    raise ValueError
            except ValueError:
                raise _BadRequest(
                    _error(400, "ValidationException", f"Bad Content-Length {length_text!r}")
                ) from None
            if length > self.max_body_bytes:
                self._drain(stream, length)
                raise _BadRequest(self._too_large(length))
            try:
                body = bytes(stream.read(length)) if length else b""
            except OSError:  # the client stalled (timeout) or went away
                body = b""
            if len(body) != length:
                raise _BadRequest(
                    _error(
                        400,
                        "ValidationException",
                        f"The request body ended after {len(body)} of the {length} bytes "
                        "its Content-Length announced",
                        Connection="close",
                    )
                )
            environ[KEEP_ALIVE] = True  # read whole: the next request line comes next
            return body
        if environ.get("wsgi.input_terminated"):  # chunked: read up to one byte past the limit
            try:
                data = bytes(stream.read(self.max_body_bytes + 1))
            except (OSError, ValueError, OverflowError) as exc:  # a broken chunk encoding
                raise _BadRequest(
                    _error(400, "ValidationException", f"Bad chunked request body: {exc}")
                ) from None
            if len(data) > self.max_body_bytes:
                self._drain(stream, _DRAIN_LIMIT)
                raise _BadRequest(self._too_large(None))
            return data
        environ[KEEP_ALIVE] = True
        return b""

    def _too_large(self, length: int | None) -> WireResponse:
        size = f" of {length} bytes" if length is not None else ""
        return _error(
            413,
            "RequestEntityTooLargeException",
            f"The request body{size} is over the limit of {self.max_body_bytes} bytes",
            Connection="close",
        )

    @staticmethod
    def _drain(stream: Any, length: int) -> None:
        """Read (and drop) an oversized body, so the client gets to read our answer."""
        left = min(length, _DRAIN_LIMIT)
        while left > 0:
            chunk = stream.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)

    @staticmethod
    def _check_content_type(environ: dict[str, Any], body: bytes) -> None:
        if not body:
            return
        content_type = str(environ.get("CONTENT_TYPE") or "").split(";", 1)[0].strip().lower()
        if content_type and content_type not in _JSON_TYPES:
            raise _BadRequest(
                _error(
                    415,
                    "UnsupportedMediaTypeException",
                    f"Content-Type {content_type!r} is not supported; send application/json",
                )
            )

    def save(self) -> None:
        """Save the state (if a state file is set); atomic, under the world's lock."""
        if self.state_file is not None:
            save_state(self.world, self.state_file)

    # ------------------------------------------------------------ control endpoints

    def _control(self, method: str, path: str, body: bytes) -> WireResponse:
        routes = self._controls.get(path)
        if routes is None:
            return _error(
                404,
                "NotFound",
                f"No control endpoint {path}; there are: {', '.join(sorted(self._controls))}",
            )
        handler = routes.get(method)
        if handler is None:
            allowed = ", ".join(sorted(routes))
            return _error(
                405, "MethodNotAllowed", f"{path} takes {allowed}, not {method}", Allow=allowed
            )
        try:
            response = handler(body)
        except _BadRequest as bad:
            return bad.response
        except ValueError as exc:  # the world refused the values (an id's format...)
            return _error(400, "ValidationException", str(exc))
        if method != "GET" and response.status < 300:
            self.save()
        return response

    def _health(self, body: bytes) -> WireResponse:
        with self.world.lock:
            resources = sum(len(b.records) for b in self.world.backends.values())
        return _json(
            200,
            {
                "status": "ok",
                "service": "cleanroomsml",
                "version": __version__,
                "resources": resources,
                "stateFile": str(self.state_file) if self.state_file else None,
            },
        )

    def _reset(self, body: bytes) -> WireResponse:
        self.controls.reset()
        return _json(200, {"reset": True})

    def _set_status(self, body: bytes) -> WireResponse:
        fields = _fields(
            body,
            {"arn": (str,), "status": (str,), "statusCode": (str,), "message": (str,),
             "version": (str,)},
        )  # fmt: skip
        if not fields.get("arn") or not fields.get("status"):
            return _error(400, "ValidationException", "Fields 'arn' and 'status' are required")
        try:
            self.controls.set_status(
                fields["arn"],
                fields["status"],
                status_code=fields.get("statusCode"),
                message=fields.get("message"),
                version=fields.get("version"),
            )
        except KeyError as exc:
            return _error(404, "ResourceNotFoundException", str(exc.args[0] if exc.args else exc))
        except ValueError as exc:
            return _error(400, "ValidationException", str(exc))
        return _json(200, {"arn": fields["arn"], "status": fields["status"]})

    def _advance(self, body: bytes) -> WireResponse:
        fields = _fields(body, {"arn": (str,)})
        try:
            self.controls.advance(fields.get("arn"))
        except KeyError as exc:
            return _error(404, "ResourceNotFoundException", str(exc.args[0] if exc.args else exc))
        return _json(200, {"advanced": fields.get("arn") or "all"})

    def _add_membership(self, body: bytes) -> WireResponse:
        fields = _fields(
            body,
            {"accountId": (str,), "collaborationId": (str,), "membershipId": (str,),
             "abilities": (list,), "paysFor": (list,)},
        )  # fmt: skip
        account = fields.get("accountId")
        if account is not None and not (len(account) == 12 and account.isdigit()):
            return _error(400, "ValidationException", "accountId must be 12 digits")
        membership_id = self.controls.add_membership(
            account_id=account,
            collaboration_id=fields.get("collaborationId"),
            membership_id=fields.get("membershipId"),
            abilities=fields.get("abilities"),
            pays_for=fields.get("paysFor"),
        )
        membership = self.world.memberships.get(membership_id)
        return _json(
            200,
            {
                "membershipId": membership_id,
                "accountId": membership.account_id if membership else account,
                "collaborationId": membership.collaboration_id if membership else None,
            },
        )

    def _set_quota(self, body: bytes) -> WireResponse:
        fields = _fields(body, {"name": (str,), "value": (int, float)})
        if fields.get("name") is None or fields.get("value") is None:
            return _error(400, "ValidationException", "Fields 'name' and 'value' are required")
        try:
            self.controls.set_quota(fields["name"], float(fields["value"]))
        except KeyError as exc:
            return _error(400, "ValidationException", str(exc.args[0] if exc.args else exc))
        return _json(200, {"name": fields["name"], "value": float(fields["value"])})

    def _inject_error(self, body: bytes) -> WireResponse:
        fields = _fields(
            body,
            {"operation": (str,), "code": (str,), "message": (str,), "count": (int,),
             "quotaName": (str,), "quotaValue": (int, float)},
        )  # fmt: skip
        if not fields.get("operation"):
            return _error(400, "ValidationException", "Field 'operation' is required")
        extra = {k: fields[k] for k in ("quotaName", "quotaValue") if fields.get(k) is not None}
        self.controls.inject_error(
            fields["operation"],
            fields.get("code") or None,
            message=fields.get("message"),
            count=fields["count"] if "count" in fields else 1,  # null: every call
            **extra,
        )
        return _json(200, {"operation": fields["operation"], "injected": True})

    def _seed(self, body: bytes) -> WireResponse:
        fields = _fields(body, {"value": (int,)})
        self.controls.seed(fields.get("value"))
        return _json(200, {"seed": fields.get("value")})

    def _clear_errors(self, body: bytes) -> WireResponse:
        fields = _fields(body, {"operation": (str,)})
        self.controls.clear_errors(fields.get("operation"))
        return _json(200, {"cleared": fields.get("operation") or "all"})

    def _state(self, body: bytes) -> WireResponse:
        return _json(200, dump_world(self.world))

    def _calls(self, body: bytes) -> WireResponse:
        calls = [
            {
                "operation": c.operation,
                "account": c.account,
                "region": c.region,
                "status": c.status,
                "error": getattr(c.error, "code", None),
            }
            for c in list(self.controls.calls)
        ]
        return _json(200, {"calls": calls})


# ---------------------------------------------------------------- running it


class _Handler(WSGIRequestHandler):
    """werkzeug's request handler with HTTP/1.1 keep-alive, for ``MockServerApp`` only.

    werkzeug closes every connection (``http.server`` cannot skip an unread request body
    before the next request line) and drains the socket after each response. This app
    reads every request body whole, or refuses it with ``Connection: close``, and says so
    in the environ (``KEEP_ALIVE``); the connection then stays open for the client's next
    request, which saves a TCP handshake and a thread per request. The environ is still
    werkzeug's (``RAW_URI`` and all). Open connections are tracked so that stopping the
    server closes them too.
    """

    verbose = False
    timeout = 60  # an idle keep-alive connection is closed after this many seconds

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, Nagle's algorithm holds the
        # body back until the client's delayed ACK of the headers (~40 ms per request)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _connections(self.server).add(self.connection)

    def finish(self) -> None:
        _connections(self.server).discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        self.environ = environ = self.make_environ()
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
            started[:] = [status, headers]
            return None

        body = b"".join(self.server.app(environ, start_response))
        status, headers = started
        code, _, reason = status.partition(" ")
        keep_alive = bool(environ.get(KEEP_ALIVE)) and not self.close_connection
        try:
            self.send_response(int(code), reason)
            for name, value in headers:
                self.send_header(name, value)
            if not keep_alive:
                self.send_header("Connection", "close")
            self.end_headers()
            if environ["REQUEST_METHOD"] != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """``http.server``'s own refusals (a malformed request line, a URI or header too
        long...) in JSON like every other answer, instead of its HTML page."""
        self.log_error("code %d, message %s", code, message)
        reason = HTTP_STATUS_CODES.get(code, "Error")
        body = json.dumps(
            {"code": reason.replace(" ", ""), "message": message or explain or reason}
        ).encode()
        self.send_response(code, reason)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", "") != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.verbose:
            super().log_request(code, size)


class _VerboseHandler(_Handler):
    verbose = True


def _connections(server: Any) -> set[Any]:
    found: set[Any] | None = getattr(server, "_open_connections", None)
    if found is None:
        found = server._open_connections = set()
    return found


def _close_connections(server: Any) -> None:
    for connection in list(_connections(server)):
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening, or an ``OSError`` naming the address.

    Bound here rather than by werkzeug, which prints its own text and calls
    ``sys.exit(1)`` when the address is busy or cannot be assigned. The address family and
    address are werkzeug's (``select_address_family``/``get_sockaddr``), as is the queue
    size; ``SO_REUSEADDR`` as ``http.server`` sets it (not on Windows, where it would let
    two servers share a port).
    """
    family = select_address_family(host, port)
    shown = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
    sock: socket.socket | None = None
    try:
        address = get_sockaddr(host, port, family)
        sock = socket.socket(family, socket.SOCK_STREAM)
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BaseWSGIServer.request_queue_size)
    except OSError as exc:
        if sock is not None:
            sock.close()
        message = f"cannot listen on {shown}: {exc.strerror or exc}"
        if exc.errno is None:
            raise OSError(message) from exc
        raise OSError(exc.errno, message) from exc
    return sock


def build_server(
    app: MockServerApp, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False
) -> BaseWSGIServer:
    """A threaded werkzeug server for ``app``, bound (port 0 picks a free port).

    An address in use or that cannot be bound is an ``OSError`` naming ``host:port``.
    """
    handler = _VerboseHandler if verbose else _Handler
    with _listen(host, port) as sock:  # werkzeug serves a duplicate of it
        server = make_server(
            host, port, app, threaded=True, request_handler=handler, fd=sock.fileno()
        )
    # what http.server's own bind would have set
    server.server_name = host
    server.server_port = server.port
    _connections(server)
    return server


class ThreadedServer:
    """The server in a background thread, for tests (any language) and notebooks.

    >>> with ThreadedServer() as server:          # port 0: a free port
    ...     client = boto3.client("cleanroomsml", endpoint_url=server.endpoint_url)

    ``world`` lets the server share state with an in-process mock (``m._world``); by
    default it has its own. With ``state_file``, state is loaded at start (if the file
    exists) and saved at start (a path that cannot be written is a ``StateFileError``),
    after every acknowledged change and at stop. ``start()`` on an address in use, or one
    that cannot be bound, raises ``OSError`` naming ``host:port``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        state_file: str | os.PathLike[str] | None = None,
        world: World | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        lifecycle: str | Lifecycle = Lifecycle.IMMEDIATE,
        strict_memberships: bool = False,
        verbose: bool = False,
    ) -> None:
        self.world = world or World(
            MockConfig(
                account_id=account_id,
                lifecycle=Lifecycle(lifecycle),
                strict_memberships=strict_memberships,
            )
        )
        self.app = MockServerApp(self.world, state_file=state_file)
        self._host = host
        self._port = port
        self._verbose = verbose
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ThreadedServer:
        if self._server is not None:
            return self
        state_file = self.app.state_file
        if state_file is not None:
            if state_file.exists():
                load_state(self.world, state_file)
            try:  # a path that cannot be written fails now, not as a 500 after each change
                save_state(self.world, state_file)
            except OSError as exc:
                raise StateFileError(
                    f"cannot write state file {state_file}: {exc.strerror or exc}"
                ) from None
        self._server = build_server(self.app, self._host, self._port, verbose=self._verbose)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"cleanroomsml-mock-server:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        _close_connections(server)
        if thread is not None:
            thread.join(timeout=5)
        self.app.save()

    @property
    def host(self) -> str:
        if self._server is None:
            return self._host
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        if self._server is None:
            return self._port
        return int(self._server.port)

    @property
    def endpoint_url(self) -> str:
        """``http://host:port`` of the running server (the bound port, even for port 0)."""
        if self._server is None:
            raise RuntimeError("the server is not running; call start() first")
        return f"http://{_url_host(self.host)}:{self.port}"

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(host: str = "127.0.0.1", port: int = 0, **options: Any) -> ThreadedServer:
    """Start a ``ThreadedServer`` and return it (stop it with ``.stop()`` or ``with``)."""
    return ThreadedServer(host, port, **options).start()


def run(
    host: str = "127.0.0.1",
    port: int = 5000,
    *,
    state_file: str | None = None,
    config: MockConfig | None = None,
    verbose: bool = True,
) -> int:
    """Serve until interrupted or terminated (``cleanroomsml-mock serve``); the exit status.

    The server loop runs in a background thread while the main thread waits for a signal:
    in CPython that serves about twice as many requests per second as running the loop in
    the main thread.
    """
    import signal

    server = ThreadedServer(host, port, state_file=state_file, world=World(config), verbose=verbose)
    try:
        server.start()
    except StateFileError as exc:
        print(f"cleanroomsml-mock: not starting: {exc}", file=sys.stderr)
        print(
            "cleanroomsml-mock: fix or move the file away (or pass another --state-file) "
            "to start with an empty state",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:  # the address is in use or cannot be bound: one line
        print(f"cleanroomsml-mock: not starting: {exc.strerror or exc}", file=sys.stderr)
        return 2

    def _terminate(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    print(f"cleanroomsml-mock serving on {server.endpoint_url}", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"cleanroomsml-mock: listening on {host}, reachable beyond this machine",
            file=sys.stderr,
        )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()  # saves the state a last time
    return 0


__all__ = [
    "MAX_BODY_BYTES",
    "MockServerApp",
    "StateFileError",
    "ThreadedServer",
    "build_server",
    "run",
    "serve_in_thread",
]
