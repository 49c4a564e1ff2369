from __future__ import annotations

from typing import Any

import pytest

from .builders import MEMBERSHIP, put_ml_configuration


def test_put_get_delete(client: Any) -> None:
    put_ml_configuration(client)
    got = client.get_ml_configuration(membershipIdentifier=MEMBERSHIP)
    assert got["membershipIdentifier"] == MEMBERSHIP
    assert got["defaultOutputLocation"]["destination"]["s3Destination"]["s3Uri"] == (
        "s3://bucket/prefix"
    )
    client.delete_ml_configuration(membershipIdentifier=MEMBERSHIP)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        client.get_ml_configuration(membershipIdentifier=MEMBERSHIP)
    assert MEMBERSHIP in str(exc.value)


def test_put_is_an_upsert_keeping_create_time(client: Any) -> None:
    put_ml_configuration(client)
    first = client.get_ml_configuration(membershipIdentifier=MEMBERSHIP)
    client.put_ml_configuration(
        membershipIdentifier=MEMBERSHIP,
        defaultOutputLocation={"roleArn": first["defaultOutputLocation"]["roleArn"]},
    )
    second = client.get_ml_configuration(membershipIdentifier=MEMBERSHIP)
    assert "destination" not in second["defaultOutputLocation"]
    assert second["createTime"] == first["createTime"]
    assert second["updateTime"] >= first["updateTime"]


def test_delete_without_configuration_is_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_ml_configuration(membershipIdentifier=MEMBERSHIP)


def test_cross_account_role_is_denied(client: Any) -> None:
    with pytest.raises(client.exceptions.AccessDeniedException) as exc:
        client.put_ml_configuration(
            membershipIdentifier=MEMBERSHIP,
            defaultOutputLocation={"roleArn": "arn:aws:iam::999999999999:role/x"},
        )
    assert "defaultOutputLocation.roleArn" in str(exc.value)


def test_bad_s3_uri_is_refused(client: Any) -> None:
    with pytest.raises(client.exceptions.ValidationException):
        client.put_ml_configuration(
            membershipIdentifier=MEMBERSHIP,
            defaultOutputLocation={
                "destination": {"s3Destination": {"s3Uri": "https://bucket"}},
                "roleArn": "arn:aws:iam::123456789012:role/x",
            },
        )
