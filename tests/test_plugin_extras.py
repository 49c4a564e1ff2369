"""The server fixture of the pytest plugin, the package-level ThreadedServer, the deprecated
package-level audience_export_job_arn, and repeatable ids through ``m.seed``."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

import cleanroomsml_mock
from cleanroomsml_mock import mock_cleanroomsml

from .builders import make_training_dataset


def test_server_fixture_serves_boto3(cleanroomsml_server: Any) -> None:
    client = boto3.client(
        "cleanroomsml",
        region_name="us-east-1",
        endpoint_url=cleanroomsml_server.endpoint_url,
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )
    arn = make_training_dataset(client)
    assert client.get_training_dataset(trainingDatasetArn=arn)["status"] == "ACTIVE"
    assert cleanroomsml_server.endpoint_url.startswith("http://127.0.0.1:")


def test_threaded_server_is_exported() -> None:
    from cleanroomsml_mock.server import ThreadedServer

    assert cleanroomsml_mock.ThreadedServer is ThreadedServer


def test_seed_makes_ids_repeatable() -> None:
    def two_arns() -> list[str]:
        with mock_cleanroomsml() as m:
            m.seed(42)
            client = boto3.client("cleanroomsml", region_name="us-east-1")
            first = [make_training_dataset(client, name=f"ds-{i}") for i in range(2)]
            m.seed(None)
            return first

    assert two_arns() == two_arns()
    with mock_cleanroomsml() as m:
        m.seed(None)
        client = boto3.client("cleanroomsml", region_name="us-east-1")
        assert make_training_dataset(client) not in two_arns()


def test_audience_export_job_arn_from_the_package_root_is_deprecated() -> None:
    from cleanroomsml_mock.backend.audience_jobs import audience_export_job_arn
    from cleanroomsml_mock.controls import Controls

    job = "arn:aws:cleanrooms-ml:us-east-1:123456789012:audience-generation-job/j"
    with pytest.warns(DeprecationWarning, match=r"m\.audience_export_job_arn"):
        from_root = cleanroomsml_mock.audience_export_job_arn
    assert from_root is audience_export_job_arn
    assert Controls.audience_export_job_arn(job, "e") == audience_export_job_arn(job, "e")
    assert "audience_export_job_arn" not in cleanroomsml_mock.__all__
    with pytest.warns(DeprecationWarning):  # every use warns, not just the first
        cleanroomsml_mock.audience_export_job_arn  # noqa: B018
