"""Configured-audience-model resource policies as the service applies them
(docs/lookalike.md, "Resource policy"): PutConfiguredAudienceModelPolicy refuses what the
mock cannot evaluate, StartAudienceGenerationJob from another account is decided by IAM's
evaluation of the owner's policy over the keys the request carries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cleanroomsml_mock import CleanRoomsMLMock

from .builders import (
    ACCOUNT,
    client_for,
    make_configured_audience_model,
    make_generation_job,
)

pytestmark = pytest.mark.usefixtures("only_declared_errors")

SEED_ACCOUNT = "111111111111"
SEED_ROLE = f"arn:aws:iam::{SEED_ACCOUNT}:role/seed-reader"
COLLABORATION = "0f4e3a3c-1b2d-4c5e-8f90-123456789abc"
OTHER_COLLABORATION = "00000000-1111-4222-8333-444444444444"


@pytest.fixture
def owner(mock: CleanRoomsMLMock) -> Any:
    return client_for(ACCOUNT)


@pytest.fixture
def seeder(mock: CleanRoomsMLMock) -> Any:
    return client_for(SEED_ACCOUNT)


def guide_policy(configured: str, **condition: Any) -> dict[str, Any]:
    """The cross-account policy of the user guide ("IAM behaviors for AWS Clean Rooms ML",
    https://docs.aws.amazon.com/clean-rooms/latest/userguide/ml-behaviors.html), with its
    placeholders filled in; ``condition`` replaces its Condition block."""
    jobs = configured.split(":configured-audience-model/")[0] + ":audience-generation-job/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Clean-Rooms-CAMA-ID",
                "Effect": "Allow",
                "Principal": {"AWS": [SEED_ACCOUNT]},
                "Action": ["cleanrooms-ml:StartAudienceGenerationJob"],
                "Resource": [configured, jobs],
                "Condition": condition
                or {"StringEquals": {"cleanrooms-ml:CollaborationId": COLLABORATION}},
            }
        ],
    }


def put(owner: Any, configured: str, policy: dict[str, Any]) -> None:
    owner.put_configured_audience_model_policy(
        configuredAudienceModelArn=configured, configuredAudienceModelPolicy=json.dumps(policy)
    )


def start(seeder: Any, configured: str, collaboration: str, **overrides: Any) -> str:
    return make_generation_job(
        seeder, configured, role=SEED_ROLE, collaborationId=collaboration, **overrides
    )


def test_the_guide_example_allows_its_collaboration_only(owner: Any, seeder: Any) -> None:
    configured = make_configured_audience_model(owner)
    put(owner, configured, guide_policy(configured))
    with pytest.raises(seeder.exceptions.AccessDeniedException) as exc:
        start(seeder, configured, OTHER_COLLABORATION, name="elsewhere")
    assert SEED_ACCOUNT in str(exc.value) and configured in str(exc.value)
    arn = start(seeder, configured, COLLABORATION, name="here")
    assert seeder.get_audience_generation_job(audienceGenerationJobArn=arn)["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("statement_change", "part"),
    [
        ({"Condition": {"StringEqualz": {"aws:PrincipalAccount": SEED_ACCOUNT}}}, "StringEqualz"),
        ({"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}, "IpAddress"),
        ({"Effect": "Maybe"}, "Statement[0].Effect"),
        ({"Actions": ["cleanrooms-ml:*"]}, "Statement[0].Actions"),
        (
            {"Condition": {"StringEquals": {"cleanrooms-ml:CollaborationID2": COLLABORATION}}},
            "cleanrooms-ml:CollaborationID2",
        ),
    ],
)
def test_put_refuses_what_cannot_be_evaluated_naming_the_part(
    owner: Any, statement_change: dict[str, Any], part: str
) -> None:
    configured = make_configured_audience_model(owner)
    policy = guide_policy(configured)
    policy["Statement"] = [{**policy["Statement"][0], **statement_change}]
    with pytest.raises(owner.exceptions.ValidationException) as exc:
        put(owner, configured, policy)
    assert part in str(exc.value)
    with pytest.raises(owner.exceptions.ResourceNotFoundException):
        owner.get_configured_audience_model_policy(configuredAudienceModelArn=configured)


def test_request_and_resource_tags_are_condition_keys(owner: Any, seeder: Any) -> None:
    configured = make_configured_audience_model(owner, tags={"team": "ads"})
    put(
        owner,
        configured,
        guide_policy(
            configured,
            StringEquals={"aws:ResourceTag/team": "ads", "aws:RequestTag/purpose": "test"},
        ),
    )
    with pytest.raises(seeder.exceptions.AccessDeniedException):
        start(seeder, configured, COLLABORATION, name="untagged")
    start(seeder, configured, COLLABORATION, name="tagged", tags={"purpose": "test"})


def test_time_conditions_read_the_mock_clock(
    mock: CleanRoomsMLMock, owner: Any, seeder: Any
) -> None:
    configured = make_configured_audience_model(owner)
    until = mock.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    put(owner, configured, guide_policy(configured, DateLessThan={"aws:CurrentTime": until}))
    mock.advance_time(3600)
    with pytest.raises(seeder.exceptions.AccessDeniedException):
        start(seeder, configured, COLLABORATION)


def test_deny_by_collaboration_wins(owner: Any, seeder: Any) -> None:
    configured = make_configured_audience_model(owner)
    policy = guide_policy(configured, Null={"cleanrooms-ml:CollaborationId": "false"})
    deny = {
        **policy["Statement"][0],
        "Sid": "not-there",
        "Effect": "Deny",
        "Condition": {"StringEquals": {"cleanrooms-ml:CollaborationId": OTHER_COLLABORATION}},
    }
    policy["Statement"].append(deny)
    put(owner, configured, policy)
    start(seeder, configured, COLLABORATION, name="allowed")
    with pytest.raises(seeder.exceptions.AccessDeniedException):
        start(seeder, configured, OTHER_COLLABORATION, name="denied")


def test_delete_configured_model_refused_while_any_job_uses_it(owner: Any, seeder: Any) -> None:
    configured = make_configured_audience_model(owner)
    put(owner, configured, guide_policy(configured))
    own = make_generation_job(owner, configured, name="own")
    theirs = start(seeder, configured, COLLABORATION, name="theirs")
    for job in (own, theirs):
        client = owner if job == own else seeder
        assert client.get_audience_generation_job(audienceGenerationJobArn=job)["status"] == (
            "ACTIVE"
        )
    with pytest.raises(owner.exceptions.ConflictException) as exc:
        owner.delete_configured_audience_model(configuredAudienceModelArn=configured)
    assert "audience-generation-job/" in str(exc.value)
    owner.delete_audience_generation_job(audienceGenerationJobArn=own)
    with pytest.raises(owner.exceptions.ConflictException):
        owner.delete_configured_audience_model(configuredAudienceModelArn=configured)
    seeder.delete_audience_generation_job(audienceGenerationJobArn=theirs)
    owner.delete_configured_audience_model(configuredAudienceModelArn=configured)
    with pytest.raises(owner.exceptions.ResourceNotFoundException):
        owner.get_configured_audience_model(configuredAudienceModelArn=configured)
