from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml

from .builders import (
    ACCOUNT,
    REGION,
    client_for,
    make_audience_model,
    make_configured_audience_model,
    make_generation_job,
    s3_seed,
    start_policy,
)

pytestmark = pytest.mark.usefixtures("only_declared_errors")

SEED_ACCOUNT = "111111111111"
SEED_ROLE = f"arn:aws:iam::{SEED_ACCOUNT}:role/seed-reader"
COLLABORATION = "0f4e3a3c-1b2d-4c5e-8f90-123456789abc"
SQL_SEED = {
    "roleArn": f"arn:aws:iam::{ACCOUNT}:role/cleanrooms-ml",
    "sqlParameters": {"queryString": "SELECT user_id FROM seeds"},
    "sqlComputeConfiguration": {"worker": {"type": "CR.4X", "number": 4}},
}


@pytest.fixture
def manual() -> Iterator[CleanRoomsMLMock]:
    with mock_cleanroomsml(lifecycle="manual") as handle:
        yield handle


def active_configured_model(client: Any, mock: CleanRoomsMLMock, **overrides: Any) -> str:
    """A configured audience model in a manual-lifecycle mock (its audience model set ACTIVE)."""
    model = make_audience_model(client, name=f"am-{overrides.get('name', 'cam')}")
    mock.set_status(model, "ACTIVE")
    return make_configured_audience_model(client, model, **overrides)


# ---------------------------------------------------------------- one account


def test_start_get_round_trips_everything(client: Any) -> None:
    configured = make_configured_audience_model(client)
    arn = make_generation_job(
        client,
        configured,
        name="segment",
        description="d",
        includeSeedInOutput=True,
        collaborationId=COLLABORATION,
        tags={"k": "v"},
    )
    assert re.fullmatch(
        rf"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:audience-generation-job/[A-Za-z0-9]{{22}}",
        arn,
    )
    got = client.get_audience_generation_job(audienceGenerationJobArn=arn)
    assert got["name"] == "segment"
    assert got["description"] == "d"
    assert got["status"] == "ACTIVE"
    assert got["configuredAudienceModelArn"] == configured
    assert got["seedAudience"] == s3_seed()
    assert got["includeSeedInOutput"] is True
    assert got["collaborationId"] == COLLABORATION
    assert got["startedBy"] == ACCOUNT
    assert got["tags"] == {"k": "v"}
    assert "protectedQueryIdentifier" not in got


def test_include_seed_in_output_defaults_to_false(client: Any) -> None:
    arn = make_generation_job(client, make_configured_audience_model(client))
    assert (
        client.get_audience_generation_job(audienceGenerationJobArn=arn)["includeSeedInOutput"]
        is False
    )


def test_metrics_one_relevance_entry_per_bin(client: Any) -> None:
    configured = make_configured_audience_model(client)
    arn = make_generation_job(client, configured)
    metrics = client.get_audience_generation_job(audienceGenerationJobArn=arn)["metrics"]
    sizes = [m["audienceSize"] for m in metrics["relevanceMetrics"]]
    assert sizes == [{"type": "ABSOLUTE", "value": v} for v in (1000, 5000, 10000)]
    scores = [m["score"] for m in metrics["relevanceMetrics"]]
    assert all(0 <= s <= 1 for s in scores)
    assert scores == sorted(scores, reverse=True)  # relevance falls as the audience grows
    assert 0 <= metrics["recallMetric"] <= 1


def test_metrics_appear_only_once_active(client: Any, manual: CleanRoomsMLMock) -> None:
    configured = active_configured_model(client, manual)
    arn = make_generation_job(client, configured)
    got = client.get_audience_generation_job(audienceGenerationJobArn=arn)
    assert got["status"] == "CREATE_PENDING" and "metrics" not in got
    manual.advance(arn)
    assert "metrics" not in client.get_audience_generation_job(audienceGenerationJobArn=arn)
    manual.advance(arn)
    got = client.get_audience_generation_job(audienceGenerationJobArn=arn)
    assert got["status"] == "ACTIVE" and len(got["metrics"]["relevanceMetrics"]) == 3


def test_failed_job_shows_status_details_and_no_metrics(
    client: Any, manual: CleanRoomsMLMock
) -> None:
    arn = make_generation_job(client, active_configured_model(client, manual))
    manual.set_status(
        arn, "CREATE_FAILED", status_code="SEED_TOO_SMALL", message="too few seed users matched"
    )
    got = client.get_audience_generation_job(audienceGenerationJobArn=arn)
    assert got["status"] == "CREATE_FAILED"
    assert got["statusDetails"] == {
        "statusCode": "SEED_TOO_SMALL",
        "message": "too few seed users matched",
    }
    assert "metrics" not in got


def test_sql_seed(client: Any) -> None:
    arn = make_generation_job(client, make_configured_audience_model(client), seedAudience=SQL_SEED)
    got = client.get_audience_generation_job(audienceGenerationJobArn=arn)
    assert got["seedAudience"] == SQL_SEED
    assert re.fullmatch(r"[0-9a-f-]{36}", got["protectedQueryIdentifier"])


@pytest.mark.parametrize(
    ("seed", "needle"),
    [
        ({"roleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}, "neither"),
        ({**SQL_SEED, "dataSource": {"s3Uri": "s3://b/k"}}, "both"),
        (
            {**s3_seed(), "sqlComputeConfiguration": {"worker": {"type": "CR.1X", "number": 2}}},
            "sqlComputeConfiguration",
        ),
        ({**SQL_SEED, "sqlParameters": {}}, "queryString"),
    ],
)
def test_seed_is_s3_or_sql(client: Any, seed: dict[str, Any], needle: str) -> None:
    configured = make_configured_audience_model(client)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_generation_job(client, configured, seedAudience=seed)
    assert needle in str(exc.value)


def test_configured_model_must_exist(client: Any) -> None:
    missing = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:configured-audience-model/nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        make_generation_job(client, missing)
    assert missing in str(exc.value)


def test_seed_role_of_another_account_is_denied(client: Any) -> None:
    configured = make_configured_audience_model(client)
    with pytest.raises(client.exceptions.AccessDeniedException) as exc:
        make_generation_job(client, configured, role="arn:aws:iam::999999999999:role/r")
    assert "seedAudience.roleArn" in str(exc.value)


def test_duplicate_name_conflicts(client: Any) -> None:
    configured = make_configured_audience_model(client)
    make_generation_job(client, configured, name="same")
    with pytest.raises(client.exceptions.ConflictException):
        make_generation_job(client, configured, name="same")


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (None, {"job": "tag"}),
        ("NONE", {"job": "tag"}),
        ("FROM_PARENT_RESOURCE", {"parent": "p", "shared": "job", "job": "tag"}),
    ],
)
def test_tags_follow_child_resource_tag_on_create_policy(
    client: Any, policy: str | None, expected: dict[str, str]
) -> None:
    extra = {} if policy is None else {"childResourceTagOnCreatePolicy": policy}
    configured = make_configured_audience_model(
        client, tags={"parent": "p", "shared": "parent"}, **extra
    )
    job_tags = (
        {"job": "tag"} if policy != "FROM_PARENT_RESOURCE" else {"shared": "job", "job": "tag"}
    )
    arn = make_generation_job(client, configured, tags=job_tags)
    assert client.get_audience_generation_job(audienceGenerationJobArn=arn)["tags"] == expected
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == expected


def test_list_filters_and_paginates(client: Any) -> None:
    first = make_configured_audience_model(client, name="first")
    second = make_configured_audience_model(client, name="second")
    on_first = [make_generation_job(client, first, name=f"a{i}") for i in range(3)]
    in_collab = make_generation_job(client, second, name="b", collaborationId=COLLABORATION)
    listed = client.list_audience_generation_jobs()["audienceGenerationJobs"]
    assert [j["audienceGenerationJobArn"] for j in listed] == [*on_first, in_collab]
    assert set(listed[0]) == {
        "createTime",
        "updateTime",
        "audienceGenerationJobArn",
        "name",
        "status",
        "configuredAudienceModelArn",
        "startedBy",
    }
    by_model = client.list_audience_generation_jobs(configuredAudienceModelArn=first)
    assert [j["audienceGenerationJobArn"] for j in by_model["audienceGenerationJobs"]] == on_first
    by_collab = client.list_audience_generation_jobs(collaborationId=COLLABORATION)
    assert [j["audienceGenerationJobArn"] for j in by_collab["audienceGenerationJobs"]] == [
        in_collab
    ]
    pages = client.get_paginator("list_audience_generation_jobs").paginate(
        configuredAudienceModelArn=first, PaginationConfig={"PageSize": 2}
    )
    assert [len(p["audienceGenerationJobs"]) for p in pages] == [2, 1]


def test_delete_removes_the_job(client: Any) -> None:
    arn = make_generation_job(client, make_configured_audience_model(client))
    client.delete_audience_generation_job(audienceGenerationJobArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_audience_generation_job(audienceGenerationJobArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_audience_generation_job(audienceGenerationJobArn=arn)


def test_delete_while_running_conflicts(client: Any, manual: CleanRoomsMLMock) -> None:
    arn = make_generation_job(client, active_configured_model(client, manual))
    with pytest.raises(client.exceptions.ConflictException) as exc:
        client.delete_audience_generation_job(audienceGenerationJobArn=arn)
    assert "CREATE_PENDING" in str(exc.value)
    manual.set_status(arn, "CREATE_FAILED")
    client.delete_audience_generation_job(audienceGenerationJobArn=arn)
    assert client.get_audience_generation_job(audienceGenerationJobArn=arn)["status"] == (
        "DELETE_PENDING"
    )


def test_delete_failure_can_be_injected(client: Any, manual: CleanRoomsMLMock) -> None:
    arn = make_generation_job(client, active_configured_model(client, manual))
    manual.set_status(arn, "ACTIVE")
    client.delete_audience_generation_job(audienceGenerationJobArn=arn)
    manual.set_status(arn, "DELETE_FAILED", status_code="S3_ACCESS", message="denied")
    got = client.get_audience_generation_job(audienceGenerationJobArn=arn)
    assert got["status"] == "DELETE_FAILED"
    assert got["statusDetails"]["statusCode"] == "S3_ACCESS"
    client.delete_audience_generation_job(audienceGenerationJobArn=arn)  # retry
    manual.advance(arn)
    manual.advance(arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_audience_generation_job(audienceGenerationJobArn=arn)


def test_running_jobs_keep_the_configuration_they_started_with(client: Any) -> None:
    configured = make_configured_audience_model(client)
    arn = make_generation_job(client, configured)
    client.update_configured_audience_model(
        configuredAudienceModelArn=configured,
        audienceSizeConfig={"audienceSizeType": "PERCENTAGE", "audienceSizeBins": [10]},
    )
    metrics = client.get_audience_generation_job(audienceGenerationJobArn=arn)["metrics"]
    assert len(metrics["relevanceMetrics"]) == 3
    later = make_generation_job(client, configured, name="later")
    metrics = client.get_audience_generation_job(audienceGenerationJobArn=later)["metrics"]
    assert metrics["relevanceMetrics"] == [
        {
            "audienceSize": {"type": "PERCENTAGE", "value": 10},
            "score": pytest.approx(metrics["relevanceMetrics"][0]["score"]),
        }
    ]


# ---------------------------------------------------------------- two accounts


@pytest.fixture
def owner(mock: CleanRoomsMLMock) -> Any:
    """The model owner's client (the mock's default account)."""
    return boto3.client("cleanroomsml", region_name=REGION)


@pytest.fixture
def seeder(mock: CleanRoomsMLMock) -> Any:
    """The seed provider's client, in another account."""
    return client_for(SEED_ACCOUNT)


def shared_model(owner: Any, *, grant: str | None = SEED_ACCOUNT, **overrides: Any) -> str:
    configured = make_configured_audience_model(owner, **overrides)
    if grant is not None:
        owner.put_configured_audience_model_policy(
            configuredAudienceModelArn=configured,
            configuredAudienceModelPolicy=start_policy(grant, configured),
        )
    return configured


def start_cross_account(seeder: Any, configured: str, **overrides: Any) -> str:
    kwargs: dict[str, Any] = {"collaborationId": COLLABORATION, "role": SEED_ROLE}
    kwargs.update(overrides)
    return make_generation_job(seeder, configured, **kwargs)


def owner_arn_of(job_arn: str) -> str:
    return job_arn.replace(f":{SEED_ACCOUNT}:", f":{ACCOUNT}:")


def test_cross_account_needs_a_policy_grant(owner: Any, seeder: Any) -> None:
    configured = shared_model(owner, grant=None)
    with pytest.raises(seeder.exceptions.AccessDeniedException) as exc:
        start_cross_account(seeder, configured)
    assert SEED_ACCOUNT in str(exc.value) and configured in str(exc.value)
    owner.put_configured_audience_model_policy(
        configuredAudienceModelArn=configured,
        configuredAudienceModelPolicy=start_policy("222222222222", configured),
    )
    with pytest.raises(seeder.exceptions.AccessDeniedException):
        start_cross_account(seeder, configured)
    owner.put_configured_audience_model_policy(
        configuredAudienceModelArn=configured,
        configuredAudienceModelPolicy=start_policy(SEED_ACCOUNT, configured),
    )
    start_cross_account(seeder, configured)


def test_cross_account_policy_must_cover_the_job_resource_and_deny_wins(
    owner: Any, seeder: Any
) -> None:
    configured = shared_model(owner, grant=None)
    only_model = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{SEED_ACCOUNT}:root"},
                "Action": ["cleanrooms-ml:*"],
                "Resource": configured,
            }
        ]
    }
    owner.put_configured_audience_model_policy(
        configuredAudienceModelArn=configured, configuredAudienceModelPolicy=json.dumps(only_model)
    )
    with pytest.raises(seeder.exceptions.AccessDeniedException) as exc:
        start_cross_account(seeder, configured)
    assert "audience-generation-job/" in str(exc.value)
    granted = json.loads(start_policy(SEED_ACCOUNT, configured))
    granted["Statement"].append({**granted["Statement"][0], "Sid": "deny", "Effect": "Deny"})
    owner.put_configured_audience_model_policy(
        configuredAudienceModelArn=configured, configuredAudienceModelPolicy=json.dumps(granted)
    )
    with pytest.raises(seeder.exceptions.AccessDeniedException):
        start_cross_account(seeder, configured)


def test_cross_account_needs_a_collaboration(owner: Any, seeder: Any) -> None:
    configured = shared_model(owner)
    with pytest.raises(seeder.exceptions.ValidationException) as exc:
        make_generation_job(seeder, configured, role=SEED_ROLE)
    assert "collaborationId" in str(exc.value)


def test_both_accounts_see_the_job_under_their_own_arn(owner: Any, seeder: Any) -> None:
    configured = shared_model(owner)
    arn = start_cross_account(seeder, configured, name="segment")
    assert f":{SEED_ACCOUNT}:audience-generation-job/" in arn
    mine = seeder.get_audience_generation_job(audienceGenerationJobArn=arn)
    assert mine["name"] == "segment"
    assert mine["startedBy"] == SEED_ACCOUNT
    assert mine["seedAudience"]["roleArn"] == SEED_ROLE
    theirs_arn = owner_arn_of(arn)
    theirs = owner.get_audience_generation_job(audienceGenerationJobArn=theirs_arn)
    assert theirs["name"] == f"{SEED_ACCOUNT}-segment"
    assert theirs["startedBy"] == SEED_ACCOUNT
    assert theirs["collaborationId"] == COLLABORATION
    assert theirs["configuredAudienceModelArn"] == configured
    assert "seedAudience" not in theirs  # the seed stays with the seed provider
    listed = owner.list_audience_generation_jobs(collaborationId=COLLABORATION)
    assert [j["audienceGenerationJobArn"] for j in listed["audienceGenerationJobs"]] == [theirs_arn]
    listed = seeder.list_audience_generation_jobs(configuredAudienceModelArn=configured)
    assert [j["audienceGenerationJobArn"] for j in listed["audienceGenerationJobs"]] == [arn]
    # the other account's ARN does not work
    with pytest.raises(seeder.exceptions.ResourceNotFoundException):
        seeder.get_audience_generation_job(audienceGenerationJobArn=theirs_arn)
    with pytest.raises(owner.exceptions.ResourceNotFoundException):
        owner.get_audience_generation_job(audienceGenerationJobArn=arn)


def test_owner_copy_name_is_unique_in_owner_account(owner: Any, seeder: Any) -> None:
    configured = shared_model(owner)
    make_generation_job(owner, configured, name=f"{SEED_ACCOUNT}-segment")
    with pytest.raises(seeder.exceptions.ConflictException):
        start_cross_account(seeder, configured, name="segment")


@pytest.mark.parametrize(("shared", "visible"), [("ALL", True), ("NONE", False)])
def test_metrics_are_hidden_from_the_seed_provider_unless_shared(
    owner: Any, seeder: Any, shared: str, visible: bool
) -> None:
    configured = shared_model(owner, sharedAudienceMetrics=[shared])
    arn = start_cross_account(seeder, configured)
    assert ("metrics" in seeder.get_audience_generation_job(audienceGenerationJobArn=arn)) is (
        visible
    )
    theirs = owner.get_audience_generation_job(audienceGenerationJobArn=owner_arn_of(arn))
    assert "metrics" in theirs  # the model owner always sees them


def test_cross_account_tags_stay_in_their_account(owner: Any, seeder: Any) -> None:
    configured = shared_model(
        owner, tags={"owner": "tag"}, childResourceTagOnCreatePolicy="FROM_PARENT_RESOURCE"
    )
    arn = start_cross_account(seeder, configured, tags={"seeder": "tag"})
    assert seeder.list_tags_for_resource(resourceArn=arn)["tags"] == {"seeder": "tag"}
    assert owner.list_tags_for_resource(resourceArn=owner_arn_of(arn))["tags"] == {"owner": "tag"}


@pytest.mark.parametrize("deleter", ["owner", "seeder"])
def test_either_account_deletes_the_job_for_both(owner: Any, seeder: Any, deleter: str) -> None:
    configured = shared_model(owner)
    arn = start_cross_account(seeder, configured)
    if deleter == "owner":
        owner.delete_audience_generation_job(audienceGenerationJobArn=owner_arn_of(arn))
    else:
        seeder.delete_audience_generation_job(audienceGenerationJobArn=arn)
    with pytest.raises(seeder.exceptions.ResourceNotFoundException):
        seeder.get_audience_generation_job(audienceGenerationJobArn=arn)
    with pytest.raises(owner.exceptions.ResourceNotFoundException):
        owner.get_audience_generation_job(audienceGenerationJobArn=owner_arn_of(arn))
    assert owner.list_audience_generation_jobs()["audienceGenerationJobs"] == []


def test_cross_account_job_is_one_job_in_progressive_mode() -> None:
    with mock_cleanroomsml(lifecycle="progressive") as m:
        owner = boto3.client("cleanroomsml", region_name=REGION)
        seeder = client_for(SEED_ACCOUNT)
        model = make_audience_model(owner)
        while owner.get_audience_model(audienceModelArn=model)["status"] != "ACTIVE":
            pass
        configured = shared_model(owner, audience_model_arn=model)
        arn = start_cross_account(seeder, configured)
        theirs = owner_arn_of(arn)
        assert seeder.get_audience_generation_job(audienceGenerationJobArn=arn)["status"] == (
            "CREATE_IN_PROGRESS"
        )
        got = owner.get_audience_generation_job(audienceGenerationJobArn=theirs)
        assert got["status"] == "ACTIVE"
        assert seeder.get_audience_generation_job(audienceGenerationJobArn=arn)["status"] == (
            "ACTIVE"
        )
        m.set_status(theirs, "CREATE_FAILED", message="boom")
        mine = seeder.get_audience_generation_job(audienceGenerationJobArn=arn)
        assert mine["status"] == "CREATE_FAILED"
        assert mine["statusDetails"] == {"message": "boom"}
        assert (
            mine["updateTime"]
            == owner.get_audience_generation_job(audienceGenerationJobArn=theirs)["updateTime"]
        )


def test_advance_steps_a_cross_account_job_once() -> None:
    with mock_cleanroomsml(lifecycle="manual") as m:
        owner = boto3.client("cleanroomsml", region_name=REGION)
        seeder = client_for(SEED_ACCOUNT)
        model = make_audience_model(owner)
        m.set_status(model, "ACTIVE")
        configured = shared_model(owner, audience_model_arn=model)
        arn = start_cross_account(seeder, configured)
        m.advance()  # every resource, one step; the shared job only once
        assert seeder.get_audience_generation_job(audienceGenerationJobArn=arn)["status"] == (
            "CREATE_IN_PROGRESS"
        )
        m.advance(owner_arn_of(arn))
        assert seeder.get_audience_generation_job(audienceGenerationJobArn=arn)["status"] == (
            "ACTIVE"
        )
