"""Memberships created through moto's ``cleanrooms`` mock are honoured by the ML mock."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from cleanroomsml_mock import mock_cleanroomsml

from .builders import REGION, make_association, make_trained_model

moto = pytest.importorskip("moto")


def collaboration_with_membership(abilities: list[str]) -> tuple[str, str]:
    cleanrooms = boto3.client("cleanrooms", region_name=REGION)
    collaboration = cleanrooms.create_collaboration(
        name="collab",
        description="d",
        creatorDisplayName="me",
        creatorMemberAbilities=abilities,
        members=[],
        queryLogStatus="DISABLED",
    )["collaboration"]
    membership = cleanrooms.create_membership(
        collaborationIdentifier=collaboration["id"], queryLogStatus="DISABLED"
    )["membership"]
    return str(collaboration["id"]), str(membership["id"])


@pytest.mark.parametrize("moto_first", [True, False])
def test_moto_membership_is_used(moto_first: bool) -> None:
    outer: Any = moto.mock_aws() if moto_first else mock_cleanroomsml(strict_memberships=True)
    inner: Any = mock_cleanroomsml(strict_memberships=True) if moto_first else moto.mock_aws()
    with outer, inner:
        collaboration, membership = collaboration_with_membership(
            ["CAN_QUERY", "CAN_RECEIVE_RESULTS"]
        )
        client = boto3.client("cleanroomsml", region_name=REGION)
        association = make_association(client, membership)
        got = client.get_configured_model_algorithm_association(
            membershipIdentifier=membership, configuredModelAlgorithmAssociationArn=association
        )
        assert got["collaborationIdentifier"] == collaboration
        listed = client.list_collaboration_configured_model_algorithm_associations(
            collaborationIdentifier=collaboration
        )["collaborationConfiguredModelAlgorithmAssociations"]
        assert [a["configuredModelAlgorithmAssociationArn"] for a in listed] == [association]


def test_moto_member_abilities_are_honoured() -> None:
    with moto.mock_aws(), mock_cleanroomsml(strict_memberships=True):
        _, membership = collaboration_with_membership(["CAN_RECEIVE_RESULTS"])
        client = boto3.client("cleanroomsml", region_name=REGION)
        association = make_association(client, membership)
        with pytest.raises(client.exceptions.AccessDeniedException) as exc:
            make_trained_model(client, membership, association)
        assert "CAN_QUERY" in str(exc.value)


def test_moto_memberships_are_ignored_once_moto_stops() -> None:
    with moto.mock_aws():
        _, membership = collaboration_with_membership(["CAN_QUERY"])
    with mock_cleanroomsml(strict_memberships=True):
        client = boto3.client("cleanroomsml", region_name=REGION)
        with pytest.raises(client.exceptions.AccessDeniedException):
            client.list_trained_models(membershipIdentifier=membership)
