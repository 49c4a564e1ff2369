"""Pagination (docs/usage.md, "Pagination") through boto3, and the token rules of ``pagination``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroomsml_mock.errors import ValidationException
from cleanroomsml_mock.pagination import decode_token, encode_token, page

from .builders import make_training_dataset


@pytest.mark.parametrize("size", [1, 2, 3, 7, 100])
def test_pages_cover_every_item_once(client: Any, size: int) -> None:
    arns = [make_training_dataset(client, name=f"ds-{i}") for i in range(7)]
    seen: list[str] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"maxResults": size}
        if token:
            kwargs["nextToken"] = token
        response = client.list_training_datasets(**kwargs)
        batch = [d["trainingDatasetArn"] for d in response["trainingDatasets"]]
        assert len(batch) <= size
        seen += batch
        token = response.get("nextToken")
        if token is None:
            break
        assert len(batch) == size  # a token only when the page is full and more follow
    assert seen == arns


def test_the_paginator_walks_everything(client: Any) -> None:
    for i in range(5):
        make_training_dataset(client, name=f"ds-{i}")
    pages = list(
        client.get_paginator("list_training_datasets").paginate(PaginationConfig={"PageSize": 2})
    )
    assert [len(p["trainingDatasets"]) for p in pages] == [2, 2, 1]
    assert "nextToken" not in pages[-1]


def test_page_size_may_change_between_pages(client: Any) -> None:
    for i in range(5):
        make_training_dataset(client, name=f"ds-{i}")
    first = client.list_training_datasets(maxResults=2)
    rest = client.list_training_datasets(maxResults=10, nextToken=first["nextToken"])
    assert [d["name"] for d in rest["trainingDatasets"]] == ["ds-2", "ds-3", "ds-4"]


def test_max_results_bounds(client: Any) -> None:
    from botocore.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        client.list_training_datasets(maxResults=0)  # botocore checks the minimum
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.list_training_datasets(maxResults=101)  # the server checks the maximum
    assert "maxResults" in str(exc.value)


def test_tokens_belong_to_one_operation_and_parameters() -> None:
    token = encode_token("ListTrainingDatasets", {}, 2)
    assert decode_token("ListTrainingDatasets", {}, token) == 2
    with pytest.raises(ValidationException):
        decode_token("ListAudienceModels", {}, token)
    with pytest.raises(ValidationException):
        decode_token("ListTrainingDatasets", {"status": "ACTIVE"}, token)


@settings(max_examples=50, deadline=None)
@given(token=st.text(max_size=40))
def test_any_garbage_token_is_a_validation_error(token: str) -> None:
    if not token:
        return
    with pytest.raises(ValidationException):
        page("ListTrainingDatasets", {}, list(range(10)), token, 2)


@pytest.mark.parametrize("deleted", [0, 1, 2, 3])
def test_a_delete_between_pages_skips_and_repeats_nothing(client: Any, deleted: int) -> None:
    arns = [make_training_dataset(client, name=f"ds-{i}") for i in range(6)]
    first = client.list_training_datasets(maxResults=2)
    seen = [d["name"] for d in first["trainingDatasets"]]
    client.delete_training_dataset(trainingDatasetArn=arns[deleted])
    token = first["nextToken"]
    while token:
        response = client.list_training_datasets(maxResults=2, nextToken=token)
        seen += [d["name"] for d in response["trainingDatasets"]]
        token = response.get("nextToken")
    expected = ["ds-0", "ds-1"] + [f"ds-{i}" for i in range(2, 6) if i != deleted]
    assert seen == expected


def test_a_create_between_pages_shows_up_once(client: Any) -> None:
    for i in range(3):
        make_training_dataset(client, name=f"ds-{i}")
    first = client.list_training_datasets(maxResults=2)
    make_training_dataset(client, name="ds-3")
    rest = client.list_training_datasets(maxResults=10, nextToken=first["nextToken"])
    assert [d["name"] for d in rest["trainingDatasets"]] == ["ds-2", "ds-3"]


def test_a_token_belongs_to_the_account_and_region_it_was_issued_to(client: Any) -> None:
    from .builders import client_for

    for i in range(3):
        make_training_dataset(client, name=f"ds-{i}")
    token = client.list_training_datasets(maxResults=1)["nextToken"]
    other = client_for("111111111111")
    make_training_dataset(other, name="mine", roleArn="arn:aws:iam::111111111111:role/r")
    with pytest.raises(other.exceptions.ValidationException):
        other.list_training_datasets(nextToken=token)
    elsewhere = client_for("123456789012", "eu-west-1")
    with pytest.raises(elsewhere.exceptions.ValidationException):
        elsewhere.list_training_datasets(nextToken=token)
