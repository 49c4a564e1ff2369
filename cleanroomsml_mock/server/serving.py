"""Serving the app: a threaded werkzeug server with HTTP/1.1 keep-alive, bound by us so
that an address in use is an ``OSError``; ``ThreadedServer`` (a server in a background
thread, with the test controls) and ``run`` (``cleanroomsml-mock serve``).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import warnings
from types import TracebackType
from typing import TYPE_CHECKING, Any

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
from ..lifecycle import Lifecycle
from ..quotas import quota_value
from ..state import StateFileError
from ..world import World
from .app import KEEP_ALIVE, MockServerApp

if TYPE_CHECKING:
    from ..mock import CleanRoomsMLMock


class _Handler(WSGIRequestHandler):
    """werkzeug's request handler with HTTP/1.1 keep-alive, for ``MockServerApp`` only.

    werkzeug closes every connection (``http.server`` cannot skip an unread request body
    before the next request line) and drains the socket after each response. This app
    reads every request body whole, or refuses it with ``Connection: close``, and says so
    in the environ (``KEEP_ALIVE``); the connection then stays open for the client's next
    request, which saves a TCP handshake and a thread per request. The environ is still
    werkzeug's (``RAW_URI`` and all). Open connections are tracked so that stopping the
    server closes them too.

    ``run_wsgi`` (which werkzeug's ``__getattr__`` answers every ``do_<METHOD>`` with) and
    ``make_environ`` are werkzeug internals, so pyproject.toml bounds werkzeug to the
    releases this is tested on, and tests/test_server.py fails loudly when they change.
    """

    verbose = False
    timeout = 60  # an idle keep-alive connection is closed after this many seconds

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, Nagle's algorithm holds the
        # body back until the client's delayed ACK of the headers
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


class ThreadedServer(Controls):
    """The server in a background thread, for tests (any language) and notebooks.

    >>> with ThreadedServer() as server:          # port 0: a free port
    ...     client = boto3.client("cleanroomsml", endpoint_url=server.endpoint_url)

    By default the server has a state of its own, made with the options ``account_id``,
    ``lifecycle``, ``strict_memberships`` and ``quotas`` (as ``mock_cleanroomsml``'s).
    ``mock=m`` serves the state of the started handle ``m`` instead, with its options. The
    server has the handle's test controls (``server.reset()``, ``server.set_status(...)``,
    ``server.calls``...), which act on its state.

    With ``state_file``, state is loaded at start if the file exists (validated completely
    first: a file that is not a valid state file is a ``StateFileError`` and is left as it
    was), else written then (a path that cannot be written is a ``StateFileError``). Every
    acknowledged change is journaled next to it (``PATH.journal``), and the journal is
    folded into the file at stop (docs/server.md, "State files"). ``start()`` on an address
    in use, or one that cannot be bound, raises ``OSError`` naming ``host:port``.
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
        lifecycle: str | Lifecycle | None = None,
        strict_memberships: bool | None = None,
        quotas: dict[str, float] | None = None,
        verbose: bool = False,
    ) -> None:
        if mock is not None:
            if world is not None:
                raise TypeError("ThreadedServer takes mock= or world=, not both")
            options = {
                "account_id": account_id,
                "lifecycle": lifecycle,
                "strict_memberships": strict_memberships,
                "quotas": quotas,
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
        if world is None:
            config = MockConfig(
                account_id=DEFAULT_ACCOUNT_ID if account_id is None else account_id,
                lifecycle=Lifecycle(Lifecycle.IMMEDIATE if lifecycle is None else lifecycle),
                strict_memberships=bool(strict_memberships),
                quotas=dict(quotas or {}),
            )
            for name in config.quotas:
                quota_value({}, name)  # unknown quota names fail here, not at first use
            world = World(config)
        self.world = world
        self.app = MockServerApp(self.world, state_file=state_file)
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
) -> int:
    """Serve until interrupted or terminated (``cleanroomsml-mock serve``); the exit status.

    The server loop runs in a background thread while the main thread waits for a signal:
    in CPython that serves about twice as many requests per second as running the loop in
    the main thread.
    """
    import signal

    config = config or MockConfig()
    server = ThreadedServer(
        host,
        port,
        state_file=state_file,
        account_id=config.account_id,
        lifecycle=config.lifecycle,
        strict_memberships=config.strict_memberships,
        quotas=config.quotas,
        verbose=verbose,
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
