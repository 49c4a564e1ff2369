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


def test_error_paths_name_nested_members_the_aws_way() -> None:
    shape = operation_specs()["CreateTrainingDataset"].input_shape
    params: dict[str, Any] = {
        "name": "n",
        "roleArn": "arn:aws:iam::123456789012:role/r",
        "trainingData": [
            {
                "type": "INTERACTIONS",
                "inputConfig": {
                    "schema": [{"columnName": "c", "columnTypes": "USER_ID"}],
                    "dataSource": {"glueDataSource": {"tableName": "t", "databaseName": "d"}},
                },
            }
        ],
        "tags": {"k" * 129: "v"},
    }
    with pytest.raises(ValidationException) as exc:
        validate(shape, params)
    message = exc.value.message
    assert message.startswith("2 validation errors detected: ")
    assert "at 'trainingData.1.member.inputConfig.schema.1.member.columnTypes'" in message
    assert "at 'tags.key' failed to satisfy constraint: Member must have length less" in message


def test_undeclared_and_null_nested_members_are_dropped_not_echoed() -> None:
    import json
    from urllib.parse import quote

    from cleanroomsml_mock.dispatch import dispatch
    from cleanroomsml_mock.protocol import WireRequest
    from cleanroomsml_mock.world import World

    host = "https://cleanrooms-ml.us-east-1.amazonaws.com"
    glue = {"tableName": "t", "databaseName": "d", "catalogId": None, "bogus": 1}
    body = {
        "name": "n",
        "roleArn": "arn:aws:iam::123456789012:role/r",
        "trainingData": [
            {
                "type": "INTERACTIONS",
                "extra": {"deep": True},
                "inputConfig": {
                    "schema": [
                        {"columnName": c, "columnTypes": [t], "x": None}
                        for c, t in (("u", "USER_ID"), ("i", "ITEM_ID"), ("t", "TIMESTAMP"))
                    ],
                    "dataSource": {"glueDataSource": glue},
                },
            }
        ],
    }
    world = World()
    payload = json.dumps(body).encode()
    created = dispatch(world, WireRequest("POST", host + "/training-dataset", {}, payload))
    assert created.status == 200, created.body
    arn = json.loads(created.body)["trainingDatasetArn"]
    url = f"{host}/training-dataset/{quote(arn, safe='')}"
    got = dispatch(world, WireRequest("GET", url, {}, b""))
    dataset = json.loads(got.body)["trainingData"][0]
    assert "extra" not in dataset
    assert dataset["inputConfig"]["dataSource"]["glueDataSource"] == {
        "tableName": "t",
        "databaseName": "d",
    }
    assert all(set(c) == {"columnName", "columnTypes"} for c in dataset["inputConfig"]["schema"])


_INPUT_SHAPES = sorted(
    (s.input_shape for s in operation_specs().values() if s.input_shape is not None),
    key=lambda shape: shape.name,
)


def _same(a: Any, b: Any) -> bool:
    """Deep equality in which NaN equals NaN: junk may hold NaN (JSON parsers accept it),
    and ``nan == nan`` is False, so plain ``==`` would call an untouched value changed."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_same_treats_nan_as_equal_to_itself() -> None:
    nan = float("nan")
    assert _same({"a": [nan, 1.0]}, {"a": [nan, 1.0]})
    assert not _same({"a": [nan]}, {"a": [1.0]})
    assert not _same([1], [1.0]) and not _same({"a": 1}, {"b": 1})


def _junk() -> Any:
    from hypothesis import strategies as st

    leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=12,
    )


@pytest.mark.parametrize("shape", _INPUT_SHAPES, ids=lambda shape: shape.name)
def test_the_validator_accepts_valid_values_untouched_and_cleans_the_rest(shape: Any) -> None:
    """Every valid, clean value is accepted and left as it is. Anything else is left clean:
    validating it again changes nothing more and finds the same failures."""
    import copy

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from cleanroomsml_mock.validation import _validators

    from ..shapes import value_strategy

    validator = _validators.get(shape)

    def messages(value: Any) -> list[str] | None:
        found = validator(value)
        return None if found is None else [failure.message() for failure in found]

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(value_strategy(shape, "ms"), _junk()), st.data())
    def run(value: Any, data: Any) -> None:
        if isinstance(value, dict) and data.draw(st.booleans()):
            value = {**value, **data.draw(st.dictionaries(st.text(max_size=12), _junk()))}
        first = messages(value)
        cleaned = copy.deepcopy(value)
        assert messages(value) == first
        assert _same(value, cleaned)

    run()

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(value_strategy(shape, "ms"))
    def valid(value: Any) -> None:
        before = copy.deepcopy(value)
        assert validator(value) is None
        assert _same(value, before)

    valid()


@pytest.mark.parametrize("shape", _INPUT_SHAPES, ids=lambda shape: shape.name)
def test_the_fast_path_accepts_only_what_the_validator_accepts_untouched(shape: Any) -> None:
    """The generated predicate (validation.py, "the fast path") answers True for every
    valid, clean value, and only where the validator finds nothing and drops nothing."""
    import copy

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from cleanroomsml_mock.validation import _fast, _validators

    from ..shapes import value_strategy

    fast = _fast.get(shape)
    validator = _validators.get(shape)

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(value_strategy(shape, "ms"), _junk()), st.data())
    def run(value: Any, data: Any) -> None:
        if isinstance(value, dict) and data.draw(st.booleans()):
            value = {**value, **data.draw(st.dictionaries(st.text(max_size=12), _junk()))}
        if fast(value):
            before = copy.deepcopy(value)
            assert validator(value) is None
            assert _same(value, before)

    run()

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(value_strategy(shape, "ms"))
    def valid(value: Any) -> None:
        assert fast(value)

    valid()
