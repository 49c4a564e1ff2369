"""pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:
- ``cleanroomsml_mock``: an active mock with fresh state for the test; yields the handle.
  ``@pytest.mark.cleanroomsml(**options)`` on a test (or its class or module) gives the
  mock the options of ``mock_cleanroomsml`` (``lifecycle="manual"``, ``account_id=``...).
- ``cleanroomsml_client``: a boto3 ``cleanroomsml`` client (us-east-1) served by it.
- ``cleanroomsml_server``: a server-mode mock on a free loopback port, with fresh state,
  stopped after the test (``.endpoint_url`` for any SDK, the AWS CLI or raw HTTP).

ini option ``cleanroomsml_autouse = true``: every test runs inside a fresh mock (the
``cleanroomsml_mock`` fixture, with the test's marker options), without asking for it.

Everything is imported when a fixture runs, so the plugin costs nothing in projects whose
tests do not use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mypy_boto3_cleanroomsml import CleanRoomsMLClient

    from .mock import CleanRoomsMLMock
    from .server import ThreadedServer

MARKER = "cleanroomsml"
AUTOUSE_INI = "cleanroomsml_autouse"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        AUTOUSE_INI,
        type="bool",
        default=False,
        help="cleanroomsml-mock: run every test inside a fresh mock (the cleanroomsml_mock "
        "fixture)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): the options of this test's cleanroomsml_mock fixture (the "
        "keyword arguments of mock_cleanroomsml: account_id, lifecycle, "
        "strict_memberships, quotas...)",
    )


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return {}
    if marker.args:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER} takes keyword options only (those of mock_cleanroomsml), "
            f"got positional {marker.args!r}"
        )
    return dict(marker.kwargs)


@pytest.fixture
def cleanroomsml_mock(request: pytest.FixtureRequest) -> Iterator[CleanRoomsMLMock]:
    """An active Clean Rooms ML mock with fresh state for this test; the handle
    (``calls``, ``reset()``, ``set_status(...)``...). Options come from
    ``@pytest.mark.cleanroomsml(...)``."""
    from .mock import mock_cleanroomsml

    with mock_cleanroomsml(**_marker_options(request)) as handle:
        yield handle


@pytest.fixture
def cleanroomsml_client(cleanroomsml_mock: CleanRoomsMLMock) -> CleanRoomsMLClient:
    """A boto3 ``cleanroomsml`` client (region us-east-1) served by this test's
    ``cleanroomsml_mock``."""
    import boto3

    client: CleanRoomsMLClient = boto3.client("cleanroomsml", region_name="us-east-1")
    return client


@pytest.fixture
def cleanroomsml_server() -> Iterator[ThreadedServer]:
    """A server-mode mock with fresh state on a free loopback port, stopped after the test;
    its ``.endpoint_url`` serves any SDK, the AWS CLI or raw HTTP."""
    from .server import ThreadedServer

    with ThreadedServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _cleanroomsml_autouse(request: pytest.FixtureRequest) -> None:
    """With ``cleanroomsml_autouse = true`` in the pytest ini file, every test runs inside
    a fresh mock."""
    if request.config.getini(AUTOUSE_INI):
        request.getfixturevalue("cleanroomsml_mock")
