"""The mock against the botocore model, for every operation of the model (so operations
added later are covered with no edits here).

The check of every *served* response against its output shape lives in
``conftest.served_responses_conform`` (autouse), using ``shapes.assert_valid_output``.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name

from cleanroomsml_mock import coverage
from cleanroomsml_mock.backend import CleanRoomsMLBackend
from cleanroomsml_mock.errors import MODELLED_ERRORS, NotImplementedYet
from cleanroomsml_mock.lifecycle import STATUS_ENUM_SHAPE
from cleanroomsml_mock.model import error_shapes, operation_specs, service_model

from .shapes import assert_valid_output, output_problems

OPERATIONS = sorted(operation_specs())
IMPLEMENTED = [op for op in OPERATIONS if hasattr(CleanRoomsMLBackend, xform_name(op))]


def test_operations_come_from_the_model() -> None:
    assert set(OPERATIONS) == set(service_model().operation_names)
    assert len(OPERATIONS) == 59
    assert IMPLEMENTED, "no operation is implemented"


@pytest.mark.parametrize("operation", IMPLEMENTED)
def test_backend_signature_matches_the_input_shape(operation: str) -> None:
    spec = operation_specs()[operation]
    method = getattr(CleanRoomsMLBackend, spec.method_name)
    members = list(spec.input_shape.members) if spec.input_shape is not None else []
    required = set(spec.input_shape.required_members) if spec.input_shape is not None else set()
    if spec.paginator is not None:  # the dispatcher owns paging
        paging = (spec.paginator.input_token, spec.paginator.limit_key)
        members = [m for m in members if m not in paging]
    parameters = list(inspect.signature(method).parameters.values())[1:]  # drop self
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters), (
        f"{spec.method_name} must take keyword-only parameters"
    )
    assert {p.name for p in parameters} == {xform_name(m) for m in members}
    for p in parameters:
        member = next(m for m in members if xform_name(m) == p.name)
        if member in required:
            assert p.default is inspect.Parameter.empty, f"{p.name} is required by the model"
        else:
            assert p.default is None, f"{p.name} is optional in the model: default it to None"


def test_error_classes_match_the_model() -> None:
    shapes = error_shapes()
    assert set(shapes) == set(MODELLED_ERRORS)
    for code, cls in MODELLED_ERRORS.items():
        error = shapes[code].metadata["error"]
        assert cls.code == code
        assert cls.status == error["httpStatusCode"], code
        assert cls.sender_fault == bool(error.get("senderFault", False)), code
        assert "message" in shapes[code].members
    assert NotImplementedYet.status == 501
    assert NotImplementedYet.code not in shapes


def test_status_enums_exist_in_the_model() -> None:
    for kind, shape_name in STATUS_ENUM_SHAPE.items():
        assert service_model().shape_for(shape_name).enum, kind


# ---------------------------------------------------------------- the output checker itself

GOOD = {
    "createTime": "2026-01-01T00:00:00.000Z",
    "updateTime": "2026-01-01T00:00:00.000Z",
    "trainingDatasetArn": "arn:aws:cleanrooms-ml:us-east-1:123456789012:training-dataset/x",
    "name": "n",
    "trainingData": [
        {
            "type": "INTERACTIONS",
            "inputConfig": {
                "schema": [{"columnName": "c", "columnTypes": ["USER_ID"]}],
                "dataSource": {"glueDataSource": {"tableName": "t", "databaseName": "d"}},
            },
        }
    ],
    "status": "ACTIVE",
    "roleArn": "arn:aws:iam::123456789012:role/r",
}


def test_output_checker_accepts_a_valid_response() -> None:
    assert_valid_output("GetTrainingDataset", GOOD)
    assert_valid_output("DeleteTrainingDataset", None)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"status": None}, "required member missing"),
        ({"status": "DONE"}, "not in the enum"),
        ({"trainingDatasetArn": "arn:aws:s3:::b"}, "does not match"),
        ({"name": "n" * 64}, "length 64 > max 63"),
        ({"createTime": "yesterday"}, "not an iso8601 timestamp"),
        ({"createTime": 1767225600}, "not an iso8601 timestamp"),
        ({"trainingData": "x"}, "expected a list"),
        ({"surprise": 1}, "not a member"),
        ({"tags": {"k": 5}}, "expected a string"),
    ],
)
def test_output_checker_finds_problems(change: dict[str, Any], problem: str) -> None:
    document = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    found = output_problems("GetTrainingDataset", document)
    assert any(problem in p for p in found), found


# ---------------------------------------------------------------- docs/coverage.md


def test_coverage_table_covers_every_operation() -> None:
    rows = coverage.operation_statuses()
    assert [r.name for r in rows] == OPERATIONS
    assert {r.name for r in rows if r.implemented} == set(IMPLEMENTED)


def test_docs_coverage_is_up_to_date() -> None:
    path = Path(__file__).resolve().parents[1] / "docs" / "coverage.md"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    assert current == coverage.render(), (
        f"docs/coverage.md is out of date with the code; regenerate it with: {coverage.COMMAND}"
    )
