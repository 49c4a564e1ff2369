"""pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:
- ``cleanroomsml_mock``: an active mock with fresh state for the test; yields the handle.
- ``cleanroomsml_client``: a boto3 ``cleanroomsml`` client (us-east-1) served by it.
- ``cleanroomsml_server``: a server-mode mock on a free loopback port, with fresh state,
  stopped after the test (``.endpoint_url`` for any SDK, the AWS CLI or raw HTTP).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def cleanroomsml_mock() -> Iterator[Any]:
    from .mock import mock_cleanroomsml

    with mock_cleanroomsml() as handle:
        yield handle


@pytest.fixture
def cleanroomsml_client(cleanroomsml_mock: Any) -> Any:
    import boto3

    return boto3.client("cleanroomsml", region_name="us-east-1")


@pytest.fixture
def cleanroomsml_server() -> Iterator[Any]:
    from .server import ThreadedServer

    with ThreadedServer() as server:
        yield server
