"""Server-side validation details that the round trips do not reach."""

from __future__ import annotations

from typing import Any

import pytest

from cleanroomsml_mock.errors import ValidationException
from cleanroomsml_mock.model import operation_specs
from cleanroomsml_mock.validation import compile_pattern, validate


def test_pattern_classes_are_ascii_like_the_service() -> None:
    assert compile_pattern("[0-9]{12}").fullmatch("123456789012")
    assert compile_pattern("[\\d]{3}").fullmatch("\u0661\u0662\u0663") is None  # Arabic-Indic
    assert compile_pattern("[\\w]+").fullmatch("\u00e9") is None


def test_astral_characters_are_allowed_where_surrogates_are() -> None:
    name = compile_pattern(
        operation_specs()["CreateTrainingDataset"].input_shape.members["name"].metadata["pattern"]
    )
    assert name.fullmatch("emoji \U0001f600")
    assert name.fullmatch("   ") is None  # whitespace only
    assert name.fullmatch("line\nbreak") is None


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"maxResults": 101}, "less than or equal to 100"),
        ({"maxResults": True}, "be an integer"),
        ({"nextToken": ""}, "greater than or equal to 1"),
    ],
)
def test_list_parameters(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationException) as exc:
        validate(operation_specs()["ListTrainingDatasets"].input_shape, params)
    assert fragment in exc.value.message
