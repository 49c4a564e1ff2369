"""Tagging (TagResource, UntagResource, ListTagsForResource) on training datasets, through boto3."""

from __future__ import annotations

from typing import Any

import pytest

from .builders import ACCOUNT, make_training_dataset

UUID = "00000000-0000-4000-8000-000000000000"
ML = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}"


def tags_of(client: Any, arn: str) -> dict[str, str]:
    return dict(client.list_tags_for_resource(resourceArn=arn)["tags"])


def test_tag_list_untag(client: Any) -> None:
    arn = make_training_dataset(client)
    assert tags_of(client, arn) == {}
    assert set(client.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})) == {
        "ResponseMetadata"
    }
    assert tags_of(client, arn) == {"a": "1", "b": "2"}
    client.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert tags_of(client, arn) == {"b": "2"}


def test_create_tags_show_inline_on_get_but_not_in_list(client: Any) -> None:
    arn = make_training_dataset(client, tags={"team": "ml"})
    assert client.get_training_dataset(trainingDatasetArn=arn)["tags"] == {"team": "ml"}
    client.tag_resource(resourceArn=arn, tags={"stage": "dev"})
    assert client.get_training_dataset(trainingDatasetArn=arn)["tags"] == {
        "team": "ml",
        "stage": "dev",
    }
    listed = client.list_training_datasets()["trainingDatasets"][0]
    assert "tags" not in listed


def test_tag_resource_merges_and_overwrites(client: Any) -> None:
    arn = make_training_dataset(client, tags={"a": "1", "b": "2"})
    client.tag_resource(resourceArn=arn, tags={"b": "new", "c": "3"})
    assert tags_of(client, arn) == {"a": "1", "b": "new", "c": "3"}


def test_untag_of_absent_keys_is_ignored(client: Any) -> None:
    arn = make_training_dataset(client, tags={"a": "1"})
    client.untag_resource(resourceArn=arn, tagKeys=["nope", "a", "also-nope"])
    assert tags_of(client, arn) == {}
    client.untag_resource(resourceArn=arn, tagKeys=[])  # nothing to remove: fine
    assert tags_of(client, arn) == {}


def test_values_may_start_with_aws_and_tags_are_case_sensitive(client: Any) -> None:
    arn = make_training_dataset(client, tags={"Key": "aws:value", "key": "x"})
    assert tags_of(client, arn) == {"Key": "aws:value", "key": "x"}


def test_at_most_50_tags(client: Any) -> None:
    fifty = {f"k{i}": "v" for i in range(50)}
    arn = make_training_dataset(client, tags=fifty)
    client.tag_resource(resourceArn=arn, tags={"k0": "overwrite"})  # still 50
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.tag_resource(resourceArn=arn, tags={"one-more": "v"})
    assert "50" in str(exc.value)
    assert len(tags_of(client, arn)) == 50
    with pytest.raises(client.exceptions.ValidationException):
        make_training_dataset(client, name="too-many", tags={f"k{i}": "v" for i in range(51)})


@pytest.mark.parametrize("key", ["aws:owner", "AWS:owner", "Aws:owner", "aWs:x"])
def test_aws_prefixed_keys_are_refused_in_any_case(client: Any, key: str) -> None:
    arn = make_training_dataset(client)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.tag_resource(resourceArn=arn, tags={key: "v"})
    assert key in str(exc.value)
    with pytest.raises(client.exceptions.ValidationException):
        client.untag_resource(resourceArn=arn, tagKeys=[key])
    with pytest.raises(client.exceptions.ValidationException):
        make_training_dataset(client, name="other", tags={key: "v"})
    assert tags_of(client, arn) == {}


@pytest.mark.parametrize(
    "arn",
    [
        f"{ML}:training-dataset/doesnotexist",
        f"{ML}:audience-model/doesnotexist",
        f"{ML}:membership/{UUID}/trained-model/doesnotexist",
        f"arn:aws:cleanrooms-ml:eu-west-1:{ACCOUNT}:configured-model-algorithm/x",
    ],
)
def test_unknown_arn_of_a_taggable_kind_is_not_found(client: Any, arn: str) -> None:
    for call in (
        lambda: client.list_tags_for_resource(resourceArn=arn),
        lambda: client.tag_resource(resourceArn=arn, tags={"a": "b"}),
        lambda: client.untag_resource(resourceArn=arn, tagKeys=["a"]),
    ):
        with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
            call()
        assert arn in str(exc.value)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/not-cleanrooms-ml",
        f"{ML}:audience-export-job/x",
        f"{ML}:membership/{UUID}/trained-model-export-job/x",
        f"{ML}:training-dataset/has:colon",
        "arn:aws:cleanrooms-ml:us-east-1:12345:training-dataset/short-account",
    ],
)
def test_arn_that_cannot_be_tagged_is_a_validation_error(client: Any, arn: str) -> None:
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.tag_resource(resourceArn=arn, tags={"a": "b"})
    assert "resourceArn" in str(exc.value)


def test_deleted_resource_has_no_tags(client: Any) -> None:
    arn = make_training_dataset(client, tags={"a": "1"})
    client.delete_training_dataset(trainingDatasetArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_tags_for_resource(resourceArn=arn)


def test_tags_are_per_account(client: Any) -> None:
    from .builders import client_for

    arn = make_training_dataset(client, tags={"a": "1"})
    other = client_for("999999999999")
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.tag_resource(resourceArn=arn, tags={"b": "2"})
    assert tags_of(client, arn) == {"a": "1"}
