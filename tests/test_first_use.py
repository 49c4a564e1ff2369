"""First use builds only what the called operation needs, and reuses the service model the
calling botocore client has already loaded (docs/usage.md, "Cost at scale").

Each check runs in a fresh Python process: in this one, other tests have already built
every operation.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest


def _fresh(code: str) -> Any:
    """Run ``code`` in a fresh interpreter; it prints one JSON document as its last line."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_first_call_builds_its_operation_only_from_the_clients_model() -> None:
    got = _fresh(
        """
        import json
        import boto3
        from cleanroomsml_mock import mock_cleanroomsml, model

        with mock_cleanroomsml():
            client = boto3.client("cleanroomsml", region_name="us-east-1")
            listed = client.list_training_datasets()["trainingDatasets"]
            print(json.dumps({
                "listed": listed,
                "built": sorted(model._specs),
                "same_model": model.service_model() is client.meta.service_model,
            }))
        """
    )
    assert got == {"listed": [], "built": ["ListTrainingDatasets"], "same_model": True}


def test_raw_http_routes_without_a_client_and_builds_what_it_reaches() -> None:
    got = _fresh(
        """
        import json
        from cleanroomsml_mock import model
        from cleanroomsml_mock.routing import router

        spec, labels = router().match(
            "GET", "/training-dataset/arn%3Aaws%3Acleanrooms-ml%3Aus-east-1%3A"
            "123456789012%3Atraining-dataset%2Fabc"
        )
        print(json.dumps({"operation": spec.name, "labels": labels, "built": sorted(model._specs)}))
        """
    )
    assert got["operation"] == "GetTrainingDataset"
    assert got["labels"] == {
        "trainingDatasetArn": "arn:aws:cleanrooms-ml:us-east-1:123456789012:training-dataset/abc"
    }
    # the operations whose routes share the method and first segment, not every one
    assert "GetTrainingDataset" in got["built"]
    assert len(got["built"]) <= 3


@pytest.mark.parametrize("operation", ["NoSuchOperation", ""])
def test_inject_error_on_an_unknown_operation_is_refused(operation: str) -> None:
    from cleanroomsml_mock import mock_cleanroomsml

    with mock_cleanroomsml() as m, pytest.raises(ValueError, match="not an operation"):
        m.inject_error(operation)


def test_importing_the_package_and_decorating_a_class_does_not_import_unittest() -> None:
    """``unittest`` (and the argparse, difflib, pprint... it imports) is looked at only when
    a class is decorated, and only if the program imported it already."""
    got = _fresh(
        """
        import json, sys
        import boto3
        from cleanroomsml_mock import mock_cleanroomsml

        @mock_cleanroomsml
        class TestPlain:
            def test_list(self):
                client = boto3.client("cleanroomsml", region_name="us-east-1")
                return client.list_training_datasets()["trainingDatasets"]

        imported = sorted({"unittest", "argparse"} & set(sys.modules))
        print(json.dumps([imported, TestPlain().test_list()]))
        """
    )
    assert got == [[], []]
