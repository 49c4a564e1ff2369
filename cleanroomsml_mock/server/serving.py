"""Serving the app: a threaded werkzeug server with HTTP/1.1 keep-alive, bound by us so
that an address in use is an ``OSError``; ``ThreadedServer`` (a server in a background
thread, with the test controls) and ``run`` (``cleanroomsml-mock serve``).
"""

from __future__ import annotations

import io
import math
import os
import re
import socket
import sys
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import (
    BaseWSGIServer,
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)

from ..config import DEFAULT_ACCOUNT_ID, MockConfig
from ..controls import Controls
from ..lifecycle import Lifecycle, check_durations
from ..moto_link import moto_active, require_active
from ..protocol import WireResponse
from ..quotas import quota_value
from ..state import StateFileError
from ..types import LifecycleName
from ..world import World
from .answers import mock_bug_answer, refusal
from .app import KEEP_ALIVE, MockServerApp

if TYPE_CHECKING:
    from ..mock import CleanRoomsMLMock


REQUEST_TIMEOUT = 5.0
"""Seconds a client has to send a whole request (request line, headers and body) once its
first byte arrived, and to send the first request on a new connection: a request still
incomplete then is answered 408 and its connection closed (docs/server.md, "Limits")."""

KEEP_ALIVE_TIMEOUT = 60.0
"""Seconds an idle keep-alive connection waits for its next request before it is closed."""

_MAX_REQUEST_LINE = 65536  # as http.server: a longer request line is a 414
_LINGER_SECONDS = 2.0  # see _Handler._linger_close
_LINGER_BYTES = 4 * 1024 * 1024
_VERSION = re.compile(r"HTTP/([0-9]+)\.([0-9]+)")


class _Input(io.RawIOBase):
    """The socket as the handler reads it, with a deadline: a read past ``deadline`` (a
    ``time.monotonic()`` value) raises ``TimeoutError``, so a client that trickles a
    request in byte by byte cannot hold a thread longer than one deadline. The socket's
    own timeout (``timeout``) bounds each wait; it is shortened near the deadline only."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        super().__init__()
        self.sock = sock
        self.timeout = timeout
        self.deadline = math.inf
        self._shortened = False
        sock.settimeout(timeout)

    def readable(self) -> bool:
        return True

    def expect(self, seconds: float) -> None:
        """Reads from now on must be done within ``seconds`` (``math.inf``: no deadline)."""
        self.deadline = time.monotonic() + seconds
        if self._shortened:
            self._shortened = False
            self.sock.settimeout(self.timeout)

    def readinto(self, buffer: Any) -> int:
        while True:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request did not arrive in time")
            if left < self.timeout:
                self._shortened = True
                self.sock.settimeout(left)
            try:
                return self.sock.recv_into(buffer)
            except TimeoutError:  # one wait ran out; the deadline decides (above)
                continue


class _Handler(WSGIRequestHandler):
    """werkzeug's request handler with HTTP/1.1 keep-alive, request deadlines and an HTTP
    answer to every request, for ``MockServerApp`` only.

    werkzeug closes every connection (``http.server`` cannot skip an unread request body
    before the next request line) and drains the socket after each response. This app
    reads every request body whole, or refuses it with ``Connection: close``, and says so
    in the environ (``KEEP_ALIVE``); the connection then stays open for the client's next
    request, which saves a TCP handshake and a thread per request. The environ is still
    werkzeug's (``RAW_URI`` and all). Open connections are tracked so that stopping the
    server closes them too.

    Hostile input (docs/server.md, "Bad input" and "Limits"): a request must arrive whole
    within ``REQUEST_TIMEOUT`` seconds of its first byte (else 408, then the connection is
    closed); a connection idle for ``KEEP_ALIVE_TIMEOUT`` seconds (``REQUEST_TIMEOUT``
    before its first request) is closed without an answer. ``http.server`` answers a
    request line without an HTTP version (HTTP/0.9) with no status line, and refusals
    before the version is known likewise: here every refusal has an ``HTTP/1.1`` status
    line, and only HTTP/1.0 and 1.1 are served (else 505). The access log shows the
    query string with the values of signatures, credentials and tokens replaced by ``***``.

    ``run_wsgi`` (which werkzeug's ``__getattr__`` answers every ``do_<METHOD>`` with) and
    ``make_environ`` are werkzeug internals, so pyproject.toml bounds werkzeug to the
    releases this is tested on, and tests/test_server.py fails loudly when they change.
    """

    verbose = False
    timeout = None  # the socket's timeout is set by _Input
    request_timeout: float  # REQUEST_TIMEOUT and KEEP_ALIVE_TIMEOUT when the connection
    keep_alive_timeout: float  # opened, so that a change to them applies to new ones

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, Nagle's algorithm holds the
        # body back until the client's delayed ACK of the headers
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request_timeout = REQUEST_TIMEOUT
        self.keep_alive_timeout = KEEP_ALIVE_TIMEOUT
        self.rfile.close()  # the socket's file, replaced by one that keeps the deadline
        self._input = _Input(self.connection, self.request_timeout)
        self._reader = io.BufferedReader(self._input)
        self.rfile = self._reader
        self._served = 0
        _connections(self.server).add(self.connection)

    def finish(self) -> None:
        _connections(self.server).discard(self.connection)
        if self._linger:
            self._linger_close()
        super().finish()

    _linger = False  # set when a refusal closes a connection whose input may be unread

    def _linger_close(self) -> None:
        """Before closing a connection with input still unread: send the end of the
        answer (``SHUT_WR``), then read and drop what the client still sends, until it
        closes its side, ``_LINGER_SECONDS`` pass or ``_LINGER_BYTES`` arrived. Closing a
        socket with unread input makes the kernel reset the connection, and the client
        may then lose the answer it was sent."""
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self._input.expect(_LINGER_SECONDS)
            scratch = bytearray(1 << 16)
            left = _LINGER_BYTES
            while left > 0:
                got = self._input.readinto(scratch)
                if not got:
                    break
                left -= got
        except OSError:  # timed out or reset: either way, done
            pass

    def handle_one_request(self) -> None:
        """``http.server``'s, with the deadlines: an idle connection that sends nothing
        is closed silently, a request that does not arrive whole in time gets a 408."""
        self.close_connection = True
        self.request_version = self.protocol_version  # until the request line says
        self.command = ""
        self.requestline = ""
        idle = self.keep_alive_timeout if self._served else self.request_timeout
        self._input.expect(idle)
        try:
            if not self._reader.peek(1):
                return  # the client closed the connection
        except (TimeoutError, ConnectionError):
            return
        self._input.expect(self.request_timeout)
        try:
            self.raw_requestline = self.rfile.readline(_MAX_REQUEST_LINE + 1)
            if len(self.raw_requestline) > _MAX_REQUEST_LINE:
                self.send_error(414, "The request line is over 65536 bytes")
                return
            if not self.parse_request():
                return  # refused (send_error)
            self._served += 1
            getattr(self, "do_" + self.command)()  # run_wsgi, whatever the method
        except TimeoutError:
            if not self._answering:
                self.send_error(
                    408,
                    f"The request did not arrive whole within {self.request_timeout:g} "
                    "seconds; the connection is closed",
                )
            self.close_connection = True
        except ConnectionError:
            raise  # the client went away: werkzeug's handle() drops the connection
        except Exception as exc:  # a bug of the mock: a 500 that says so, as the app's
            if not self._answering:
                words = self.requestline.split()[:2]
                request = " ".join([*words[:1], *map(redact_target, words[1:])])
                self._send(mock_bug_answer(exc, "a request", request))
            self.close_connection = True

    _answering = False

    def parse_request(self) -> bool:
        """``http.server``'s, after a check of the request line that it leaves to the
        reading of the headers or lets through: ``METHOD target HTTP/1.x`` only."""
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = line
        words = line.split()
        if not words:
            self.send_error(400, "The request line is empty")
            return False
        if len(words) == 2 and not words[1].startswith("HTTP/"):
            self.send_error(505, "HTTP/0.9 is not supported: send HTTP/1.1")
            return False
        if len(words) != 3:
            self.send_error(400, "The request line is malformed: expected 'METHOD target HTTP/1.1'")
            return False
        version = _VERSION.fullmatch(words[2])
        if version is None:
            self.send_error(
                400, "The request line is malformed: its HTTP version is not HTTP/<n>.<n>"
            )
            return False
        if version.group(1).lstrip("0") != "1":
            self.send_error(505, f"{words[2][:24]} is not supported: send HTTP/1.1")
            return False
        return bool(super().parse_request())

    def run_wsgi(self) -> None:
        try:
            self.environ = environ = self.make_environ()
        except ValueError:  # urlsplit refused the request target
            self.send_error(400, "The request target is malformed")
            return
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
            started[:] = [status, headers]
            return None

        body = b"".join(self.server.app(environ, start_response))
        status, headers = started
        code, _, reason = status.partition(" ")
        keep_alive = bool(environ.get(KEEP_ALIVE)) and not self.close_connection
        self._linger = not environ.get(KEEP_ALIVE)  # the body may be partly unread
        self._answering = True
        self._input.expect(math.inf)  # the socket's timeout bounds the writes
        try:
            self.send_response(int(code), reason)
            for name, value in headers:
                self.send_header(name, value)
            if not keep_alive and ("Connection", "close") not in headers:  # as app.py says it
                self.send_header("Connection", "close")
            self.end_headers()
            if environ["REQUEST_METHOD"] != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        finally:
            self._answering = False

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """``http.server``'s own refusals (a malformed request line, a URI or header too
        long...) and the handler's (408, 505) in JSON like every other answer, instead of
        its HTML page, always with a status line, and the connection is closed."""
        self._send(refusal(code, explain or message or HTTP_STATUS_CODES.get(code, "Error")))

    def _send(self, answer: WireResponse) -> None:
        """Send ``answer`` with a status line, whatever the request line said, and close."""
        code = answer.status
        reason = HTTP_STATUS_CODES.get(code, "Error")
        if self.request_version[:7] != "HTTP/1.":  # no status line would be sent
            self.request_version = self.protocol_version
        self.close_connection = True
        self._linger = True
        self._answering = True
        self._input.expect(math.inf)
        try:
            self.send_response(code, reason)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
            self.wfile.flush()
        except (ConnectionError, TimeoutError):
            pass
        finally:
            self._answering = False

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """The access log line (verbose servers only), without secrets in the query."""
        if not self.verbose:
            return
        if self.command and getattr(self, "path", None) and self.requestline:
            line = f"{self.command} {redact_target(self.path)} {self.request_version}"
        else:
            words = self.requestline.split()
            if len(words) >= 2:
                words[1] = redact_target(words[1])
            line = " ".join(words)
        self.log("info", '"%s" %s %s', line.translate(_CONTROL_CHARACTERS), code, size)

    def log_error(self, format: str, *args: Any) -> None:
        if self.verbose:
            super().log_error(format, *args)


_CONTROL_CHARACTERS = str.maketrans(
    {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]} | {ord("\\"): "\\\\"}
)
_SECRET_WORDS = ("credential", "signature", "token", "security", "secret", "password")


def redact_target(target: str) -> str:
    """A request target fit for a log: the value of every query parameter whose name says
    it is a credential, a signature or a token (``X-Amz-Signature``,
    ``X-Amz-Security-Token``, ``X-Amz-Credential``, ``Signature``, ``AWSAccessKeyId``...)
    replaced by ``***``; the path and every other parameter as sent."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    kept = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        plain = unquote_plus(name).lower()
        if equals and (any(word in plain for word in _SECRET_WORDS) or plain == "awsaccesskeyid"):
            pair = f"{name}=***"
        kept.append(pair)
    return f"{path}?{'&'.join(kept)}"


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


class ThreadedServer(Controls):
    """The server in a background thread, for tests (any language) and notebooks.

    >>> with ThreadedServer() as server:          # port 0: a free port
    ...     client = boto3.client("cleanroomsml", endpoint_url=server.endpoint_url)

    By default the server has a state of its own, made with the options ``account_id``,
    ``lifecycle``, ``strict_memberships``, ``quotas``, ``durations`` and ``use_moto`` (as
    ``mock_cleanroomsml``'s; ``use_moto=True`` makes ``start()`` raise ``RuntimeError``
    unless moto's ``mock_aws`` is active in this process: docs/moto.md, "Server mode").
    ``mock=m`` serves the state of the started handle ``m`` instead, with its options. The
    server has the handle's test controls (``server.reset()``, ``server.set_status(...)``,
    ``server.calls``...), which act on its state.

    With ``state_file``, state is loaded at start if the file exists (validated completely
    first: a file that is not a valid state file is a ``StateFileError`` and is left as it
    was), else written then (a path that cannot be written is a ``StateFileError``). Every
    acknowledged change is journaled next to it (``PATH.journal``), and the journal is
    folded into the file at stop (docs/server.md, "State files"). ``start()`` on an address
    in use, or one that cannot be bound, raises ``OSError`` naming ``host:port``.

    ``cors_origins`` are the origins whose pages may call the server from a browser:
    ``"*"`` (the default: any), a comma-separated string or a list of
    ``scheme://host[:port]``, or ``[]`` (none); see cors.py.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        state_file: str | os.PathLike[str] | None = None,
        mock: CleanRoomsMLMock | None = None,
        world: World | None = None,
        account_id: str | None = None,
        lifecycle: LifecycleName | Lifecycle | None = None,
        strict_memberships: bool | None = None,
        quotas: dict[str, float] | None = None,
        durations: Mapping[str, float] | None = None,
        use_moto: bool | None = None,
        verbose: bool = False,
        cors_origins: str | Sequence[str] | None = "*",
    ) -> None:
        if mock is not None:
            if world is not None:
                raise TypeError("ThreadedServer takes mock= or world=, not both")
            options = {
                "account_id": account_id,
                "lifecycle": lifecycle,
                "strict_memberships": strict_memberships,
                "quotas": quotas,
                "durations": durations,
                "use_moto": use_moto,
            }
            given = sorted(name for name, value in options.items() if value is not None)
            if given:
                raise TypeError(
                    "ThreadedServer(mock=...) serves the mock's state with the mock's options; "
                    f"{', '.join(given)} cannot be given too"
                )
            world = mock._require_world()
        elif world is not None:  # the options are ignored, as they always were with world=
            warnings.warn(
                "ThreadedServer(world=...) is deprecated: World is internal. Pass mock=m to "
                "serve the state of a started mock_cleanroomsml handle m",
                DeprecationWarning,
                stacklevel=2,
            )
        if use_moto is not None and not isinstance(use_moto, bool):
            raise ValueError(f"use_moto must be None, True or False, got {use_moto!r}")
        if world is None:
            config = MockConfig(
                account_id=DEFAULT_ACCOUNT_ID if account_id is None else account_id,
                lifecycle=Lifecycle(Lifecycle.IMMEDIATE if lifecycle is None else lifecycle),
                strict_memberships=bool(strict_memberships),
                quotas=dict(quotas or {}),
                durations=check_durations(durations),
                use_moto=use_moto,
            )
            for name in config.quotas:
                quota_value({}, name)  # unknown quota names fail here, not at first use
            world = World(config)
        self.world = world
        self.app = MockServerApp(self.world, state_file=state_file, cors_origins=cors_origins)
        self._host = host
        self._port = port
        self._verbose = verbose
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def _require_world(self) -> World:
        return self.world

    def _changed(self) -> None:
        if self._server is not None:  # before start(), the state file is still to be loaded
            self.app.save(control=True)

    def start(self) -> ThreadedServer:
        if self._server is not None:
            return self
        require_active(self.world.config.use_moto, "ThreadedServer(use_moto=True)")
        journal = self.app.journal
        if journal is not None:  # a path that cannot be written fails now, not as a 500 later
            journal.open()
        try:
            self._server = build_server(self.app, self._host, self._port, verbose=self._verbose)
        except BaseException:
            if journal is not None:
                journal.close()
            raise
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
        if self.app.journal is not None:
            self.app.journal.close()

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
    cors_origins: str | Sequence[str] | None = "*",
) -> int:
    """Serve until interrupted or terminated (``cleanroomsml-mock serve``); the exit status.

    The server loop runs in a background thread while the main thread waits for a signal:
    in CPython that serves about twice as many requests per second as running the loop in
    the main thread.
    """
    import signal

    config = config or MockConfig()
    if config.use_moto and not moto_active():
        print(
            "cleanroomsml-mock: not starting: --use-moto needs moto's mock_aws active in this "
            "process; a server process cannot see a moto of another process (docs/moto.md)",
            file=sys.stderr,
        )
        return 2
    server = ThreadedServer(
        host,
        port,
        state_file=state_file,
        account_id=config.account_id,
        lifecycle=config.lifecycle,
        strict_memberships=config.strict_memberships,
        quotas=config.quotas,
        durations=config.durations,
        use_moto=config.use_moto,
        verbose=verbose,
        cors_origins=cors_origins,
    )
    try:
        server.start()
    except StateFileError as exc:
        print(f"cleanroomsml-mock: not starting: {exc}", file=sys.stderr)
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
