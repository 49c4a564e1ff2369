"""The command line: ``--version``, and a port in use (or an address that cannot be
bound) as one line and exit status 2; ``ThreadedServer`` raises ``OSError`` for it."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

import cleanroomsml_mock
from cleanroomsml_mock.cli import main
from cleanroomsml_mock.server import ThreadedServer

# TEST-NET-3 (RFC 5737): a documentation address, assigned to no interface
UNASSIGNED = "203.0.113.9"


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port another socket is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"cleanroomsml-mock {cleanroomsml_mock.__version__}\n"


def test_threaded_server_on_a_busy_port_raises_os_error_naming_it(
    busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    server = ThreadedServer(port=busy_port)
    with pytest.raises(OSError, match=f"127.0.0.1:{busy_port}") as raised:
        server.start()
    assert raised.value.errno == errno.EADDRINUSE
    assert capsys.readouterr() == ("", "")  # nothing printed: the caller decides
    with pytest.raises(RuntimeError, match="not running"):
        server.endpoint_url  # noqa: B018


def test_threaded_server_on_an_address_it_cannot_bind_raises_os_error() -> None:
    with pytest.raises(OSError, match=f"{UNASSIGNED}:0"):
        ThreadedServer(host=UNASSIGNED).start()


def test_threaded_server_still_binds_a_free_port_and_serves() -> None:
    import requests

    with ThreadedServer() as server:
        assert server.port > 0
        assert server.endpoint_url == f"http://127.0.0.1:{server.port}"
        health = requests.get(f"{server.endpoint_url}/_mock/health", timeout=5)
        assert health.json()["status"] == "ok"


@pytest.mark.parametrize("where", ["busy", "unassigned"])
def test_serve_that_cannot_listen_is_one_line_and_exit_2(
    busy_port: int, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    host, port = ("127.0.0.1", busy_port) if where == "busy" else (UNASSIGNED, 0)
    assert main(["serve", "--host", host, "--port", str(port), "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("cleanroomsml-mock: ") and f"{host}:{port}" in line


def test_serve_on_a_busy_port_from_the_command_line(busy_port: int) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "cleanroomsml_mock", "serve", "--port", str(busy_port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert finished.stdout == ""
    [line] = finished.stderr.splitlines()
    assert line == (
        f"cleanroomsml-mock: not starting: cannot listen on 127.0.0.1:{busy_port}: "
        f"{os.strerror(errno.EADDRINUSE)}"
    )
