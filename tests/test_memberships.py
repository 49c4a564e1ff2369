from __future__ import annotations

import re
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml

from .builders import (
    ACCOUNT,
    MEMBERSHIP,
    REGION,
    client_for,
    make_association,
    make_trained_model,
    put_ml_configuration,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OTHER = "222222222222"


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_add_membership_generates_lower_case_uuids(mock: CleanRoomsMLMock) -> None:
    membership = mock.add_membership()
    assert UUID.fullmatch(membership)
    registered = mock._require_world().memberships.get(membership)
    assert registered is not None
    assert registered.account_id == ACCOUNT
    assert UUID.fullmatch(registered.collaboration_id)


def test_add_membership_keeps_given_ids(mock: CleanRoomsMLMock, client: Any) -> None:
    collaboration = "99999999-9999-4999-8999-999999999999"
    membership = mock.add_membership(collaboration_id=collaboration, membership_id=MEMBERSHIP)
    assert membership == MEMBERSHIP
    association = make_association(client)
    got = client.get_configured_model_algorithm_association(
        membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=association
    )
    assert got["collaborationIdentifier"] == collaboration


@pytest.mark.parametrize(
    "kwargs",
    [
        {"account_id": "123"},
        {"membership_id": "NOT-A-UUID"},
        {"collaboration_id": "AAAAAAAA-1111-4111-8111-111111111111"},
        {"abilities": ["CAN_FLY"]},
        {"pays_for": ["lunch"]},
    ],
)
def test_add_membership_rejects_bad_arguments(mock: CleanRoomsMLMock, kwargs: Any) -> None:
    with pytest.raises(ValueError):
        mock.add_membership(**kwargs)


def test_unknown_membership_is_registered_to_the_caller(
    mock: CleanRoomsMLMock, client: Any
) -> None:
    make_association(client)
    registered = mock._require_world().memberships.get(MEMBERSHIP)
    assert registered is not None and registered.account_id == ACCOUNT
    # the other account now meets a membership that is not its own
    other = client_for(OTHER)
    with pytest.raises(ClientError) as exc:
        other.list_configured_model_algorithm_associations(membershipIdentifier=MEMBERSHIP)
    assert code(exc) == "AccessDeniedException"
    assert ACCOUNT in str(exc.value)


def test_foreign_membership_is_not_found_where_declared(
    mock: CleanRoomsMLMock, client: Any
) -> None:
    association = make_association(client)
    other = client_for(OTHER)
    with pytest.raises(other.exceptions.ResourceNotFoundException) as exc:
        other.get_configured_model_algorithm_association(
            membershipIdentifier=MEMBERSHIP, configuredModelAlgorithmAssociationArn=association
        )
    assert MEMBERSHIP in str(exc.value)
    with pytest.raises(other.exceptions.AccessDeniedException):
        put_ml_configuration(other)


def test_strict_memberships_refuse_unknown_ids() -> None:
    with mock_cleanroomsml(strict_memberships=True) as mock:
        client = boto3.client("cleanroomsml", region_name=REGION)
        with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
            client.get_ml_configuration(membershipIdentifier=MEMBERSHIP)
        assert MEMBERSHIP in str(exc.value)
        with pytest.raises(client.exceptions.AccessDeniedException):
            client.list_ml_input_channels(membershipIdentifier=MEMBERSHIP)
        with pytest.raises(client.exceptions.AccessDeniedException):
            client.list_collaboration_trained_models(
                collaborationIdentifier="99999999-9999-4999-8999-999999999999"
            )
        mock.add_membership(membership_id=MEMBERSHIP)
        assert (
            client.list_ml_input_channels(membershipIdentifier=MEMBERSHIP)["mlInputChannelsList"]
            == []
        )


def test_member_without_can_query_cannot_train(mock: CleanRoomsMLMock, client: Any) -> None:
    mock.add_membership(membership_id=MEMBERSHIP, abilities=["CAN_RECEIVE_RESULTS"])
    association = make_association(client)
    with pytest.raises(client.exceptions.AccessDeniedException) as exc:
        make_trained_model(client, association=association)
    assert "CAN_QUERY" in str(exc.value)


def test_reset_forgets_memberships(mock: CleanRoomsMLMock) -> None:
    membership = mock.add_membership()
    mock.reset()
    assert mock._require_world().memberships.get(membership) is None


def test_the_members_of_a_collaboration_are_filed_by_collaboration(tmp_path: Any) -> None:
    """Look-ups by collaboration read the collaboration's own members (an index kept as
    memberships are added, replaced or loaded), not every membership the mock knows."""
    from cleanroomsml_mock.memberships import MembershipRegistry

    first = "11111111-1111-4111-8111-111111111111"
    second = "22222222-2222-4222-8222-222222222222"
    with mock_cleanroomsml() as m:
        kept = [m.add_membership(account_id=f"{i:012d}", collaboration_id=first) for i in range(3)]
        for i in range(50):  # memberships of other collaborations
            m.add_membership(account_id=f"{i:012d}")
        moved = m.add_membership(account_id=OTHER, collaboration_id=first)
        m.add_membership(account_id=OTHER, collaboration_id=second, membership_id=moved)
        registry = m._require_world().memberships
        assert [x.membership_id for x in registry.members_of(first)] == kept
        assert [x.membership_id for x in registry.members_of(second)] == [moved]
        found = registry.membership_of(f"{1:012d}", first)
        assert found is not None and found.membership_id == kept[1]
        assert registry.membership_of(OTHER, first) is None
        m.save_state(tmp_path / "state.json")
    with mock_cleanroomsml() as m:
        m.load_state(tmp_path / "state.json")
        loaded = m._require_world().memberships
        assert isinstance(loaded, MembershipRegistry)
        assert [x.membership_id for x in loaded.members_of(first)] == kept
        assert [x.membership_id for x in loaded.members_of(second)] == [moved]
