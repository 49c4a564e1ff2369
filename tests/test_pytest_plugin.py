"""The pytest plugin as a user's test suite meets it: the marker, the autouse ini option,
fixture docstrings, and pytest-xdist. Each case runs a small test suite with pytester."""

from __future__ import annotations

import pytest

SUITE = """
import boto3
import pytest

ROLE = "arn:aws:iam::{account}:role/ml"
DATA = [{{
    "type": "INTERACTIONS",
    "inputConfig": {{
        "schema": [{{"columnName": "user_id", "columnTypes": ["USER_ID"]}},
                   {{"columnName": "item_id", "columnTypes": ["ITEM_ID"]}},
                   {{"columnName": "ts", "columnTypes": ["TIMESTAMP"]}}],
        "dataSource": {{"glueDataSource": {{"databaseName": "db", "tableName": "t"}}}},
    }},
}}]
"""


def test_marker_gives_the_fixture_its_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        SUITE.format(account="111122223333")
        + """
@pytest.mark.cleanroomsml(lifecycle="manual", account_id="111122223333")
def test_manual(cleanroomsml_mock, cleanroomsml_client):
    arn = cleanroomsml_client.create_training_dataset(
        name="d", roleArn=ROLE, trainingData=DATA)["trainingDatasetArn"]
    assert ":111122223333:" in arn
    assert cleanroomsml_mock.config.lifecycle.value == "manual"

@pytest.mark.cleanroomsml(lifecycle="progressive")
class TestClassLevel:
    def test_progressive(self, cleanroomsml_mock):
        assert cleanroomsml_mock.config.lifecycle.value == "progressive"

def test_default(cleanroomsml_mock):
    assert cleanroomsml_mock.config.lifecycle.value == "immediate"
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_marker_refuses_positional_and_unknown_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.cleanroomsml("manual")
def test_positional(cleanroomsml_mock):
    pass

@pytest.mark.cleanroomsml(lifecycel="manual")
def test_misspelt(cleanroomsml_mock):
    pass
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*keyword options only*", "*lifecycel*"])


def test_autouse_ini_runs_every_test_in_a_fresh_mock(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncleanroomsml_autouse = true\n")
    pytester.makepyfile(
        SUITE.format(account="123456789012")
        + """
def test_first():
    client = boto3.client("cleanroomsml", region_name="us-east-1")
    client.create_training_dataset(name="d", roleArn=ROLE, trainingData=DATA)
    assert len(client.list_training_datasets()["trainingDatasets"]) == 1

def test_second_starts_empty():
    client = boto3.client("cleanroomsml", region_name="us-east-1")
    assert client.list_training_datasets()["trainingDatasets"] == []

@pytest.mark.cleanroomsml(lifecycle="manual")
def test_marker_applies(cleanroomsml_mock):
    assert cleanroomsml_mock.config.lifecycle.value == "manual"
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_without_the_ini_option_no_mock_is_started(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
from cleanroomsml_mock import active

def test_nothing_active():
    assert active.world() is None
"""
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_every_fixture_has_a_docstring(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass\n")
    result = pytester.runpytest_inprocess("--fixtures", "-p", "no:cacheprovider")
    text = result.stdout.str()
    for name in ("cleanroomsml_mock", "cleanroomsml_client", "cleanroomsml_server"):
        assert name in text
    plugin_part = text[text.index("cleanroomsml_mock") :]
    assert "no docstring available" not in plugin_part.split("\n\n--")[0]
    result.stdout.fnmatch_lines(["*@pytest.mark.cleanroomsml*"])


def test_works_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist", reason="pytest-xdist is not installed")
    tests = "\n".join(
        f"""
def test_{i}(cleanroomsml_client):
    cleanroomsml_client.create_training_dataset(name="d{i}", roleArn=ROLE, trainingData=DATA)
    assert len(cleanroomsml_client.list_training_datasets()["trainingDatasets"]) == 1
"""
        for i in range(6)
    )
    pytester.makepyfile(SUITE.format(account="123456789012") + tests)
    result = pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
