from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3
import pytest
from botocore.config import Config

from cleanroomsml_mock import mock_cleanroomsml

from .builders import (
    ACCOUNT,
    OUTPUT_S3,
    REGION,
    ROLE,
    make_audience_model,
    make_configured_audience_model,
    make_generation_job,
    start_policy,
)

pytestmark = pytest.mark.usefixtures("only_declared_errors")

# a policy the mock can evaluate (an empty Statement list is refused: docs/lookalike.md)
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "111111111111"},
                "Action": "cleanrooms-ml:StartAudienceGenerationJob",
                "Resource": "*",
            }
        ],
    }
)


def test_create_get_round_trips_and_defaults(client: Any) -> None:
    model = make_audience_model(client)
    arn = make_configured_audience_model(client, model, description="d", tags={"k": "v"})
    got = client.get_configured_audience_model(configuredAudienceModelArn=arn)
    assert got["configuredAudienceModelArn"] == arn
    assert got["audienceModelArn"] == model
    assert got["outputConfig"]["destination"]["s3Destination"]["s3Uri"] == OUTPUT_S3
    assert got["sharedAudienceMetrics"] == ["ALL"]
    assert got["minMatchingSeedSize"] == 500  # the documented default
    assert got["audienceSizeConfig"]["audienceSizeBins"] == [1000, 5000, 10000]
    assert got["status"] == "ACTIVE"
    assert got["tags"] == {"k": "v"}
    assert "childResourceTagOnCreatePolicy" not in got  # returned only when set
    listed = client.list_configured_audience_models()["configuredAudienceModels"]
    assert [c["configuredAudienceModelArn"] for c in listed] == [arn]
    assert "minMatchingSeedSize" not in listed[0] and "tags" not in listed[0]


def test_optional_members_are_kept(client: Any) -> None:
    arn = make_configured_audience_model(
        client,
        minMatchingSeedSize=25,
        sharedAudienceMetrics=["NONE"],
        childResourceTagOnCreatePolicy="FROM_PARENT_RESOURCE",
        audienceSizeConfig={"audienceSizeType": "PERCENTAGE", "audienceSizeBins": [5, 100]},
    )
    got = client.get_configured_audience_model(configuredAudienceModelArn=arn)
    assert got["minMatchingSeedSize"] == 25
    assert got["sharedAudienceMetrics"] == ["NONE"]
    assert got["childResourceTagOnCreatePolicy"] == "FROM_PARENT_RESOURCE"
    assert got["audienceSizeConfig"]["audienceSizeType"] == "PERCENTAGE"


@pytest.mark.parametrize("size", [24, 500_001])
def test_min_matching_seed_size_range(client: Any, size: int) -> None:
    model = make_audience_model(client)
    raw = boto3.client(
        "cleanroomsml",
        region_name=REGION,
        config=Config(parameter_validation=False),
    )
    with pytest.raises(raw.exceptions.ValidationException) as exc:
        make_configured_audience_model(raw, model, minMatchingSeedSize=size)
    assert "minMatchingSeedSize" in str(exc.value)


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ({"audienceSizeType": "PERCENTAGE", "audienceSizeBins": [10, 101]}, "PERCENTAGE"),
        ({"audienceSizeType": "ABSOLUTE", "audienceSizeBins": [10, 10]}, "duplicate"),
        ({"audienceSizeType": "ABSOLUTE", "audienceSizeBins": [20_000_001]}, "audienceSizeBins"),
        ({"audienceSizeType": "ABSOLUTE", "audienceSizeBins": list(range(1, 27))}, "Bins"),
        ({"audienceSizeType": "BOGUS", "audienceSizeBins": [10]}, "audienceSizeType"),
    ],
)
def test_audience_size_bins_are_checked(client: Any, config: dict[str, Any], needle: str) -> None:
    model = make_audience_model(client)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        make_configured_audience_model(client, model, audienceSizeConfig=config)
    assert needle in str(exc.value)


def test_shared_audience_metrics_takes_exactly_one_known_value(client: Any) -> None:
    model = make_audience_model(client)
    with pytest.raises(client.exceptions.ValidationException):
        make_configured_audience_model(client, model, sharedAudienceMetrics=["ALL", "NONE"])
    with pytest.raises(client.exceptions.ValidationException):
        make_configured_audience_model(client, model, sharedAudienceMetrics=["SOME"])


def test_audience_model_must_exist_and_be_active(client: Any) -> None:
    missing = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:audience-model/nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        make_configured_audience_model(client, missing)
    assert missing in str(exc.value)
    with mock_cleanroomsml(lifecycle="manual") as m:
        manual = boto3.client("cleanroomsml", region_name=REGION)
        model = make_audience_model(manual)
        with pytest.raises(manual.exceptions.ConflictException) as conflict:
            make_configured_audience_model(manual, model)
        assert "CREATE_PENDING" in str(conflict.value)
        m.set_status(model, "ACTIVE")
        make_configured_audience_model(manual, model)


def test_role_of_another_account_is_denied(client: Any) -> None:
    with pytest.raises(client.exceptions.AccessDeniedException) as exc:
        make_configured_audience_model(client, role="arn:aws:iam::999999999999:role/r")
    assert "outputConfig.roleArn" in str(exc.value)


def test_duplicate_name_conflicts(client: Any) -> None:
    model = make_audience_model(client)
    make_configured_audience_model(client, model, name="same")
    with pytest.raises(client.exceptions.ConflictException):
        make_configured_audience_model(client, model, name="same")


def test_update_changes_only_given_members(client: Any) -> None:
    model = make_audience_model(client)
    arn = make_configured_audience_model(client, model, description="before", tags={"k": "v"})
    before = client.get_configured_audience_model(configuredAudienceModelArn=arn)
    out = client.update_configured_audience_model(
        configuredAudienceModelArn=arn, minMatchingSeedSize=1000
    )
    assert out["configuredAudienceModelArn"] == arn
    after = client.get_configured_audience_model(configuredAudienceModelArn=arn)
    assert after["minMatchingSeedSize"] == 1000
    for key in ("description", "outputConfig", "audienceSizeConfig", "tags", "name"):
        assert after[key] == before[key]
    assert after["createTime"] == before["createTime"]
    assert after["updateTime"] >= before["updateTime"]


def test_update_every_member(client: Any) -> None:
    arn = make_configured_audience_model(client)
    other_model = make_audience_model(client, name="other")
    new_output = {
        "destination": {"s3Destination": {"s3Uri": "s3://elsewhere/"}},
        "roleArn": ROLE,
    }
    client.update_configured_audience_model(
        configuredAudienceModelArn=arn,
        outputConfig=new_output,
        audienceModelArn=other_model,
        sharedAudienceMetrics=["NONE"],
        audienceSizeConfig={"audienceSizeType": "PERCENTAGE", "audienceSizeBins": [10]},
        description="after",
    )
    got = client.get_configured_audience_model(configuredAudienceModelArn=arn)
    assert got["outputConfig"] == new_output
    assert got["audienceModelArn"] == other_model
    assert got["sharedAudienceMetrics"] == ["NONE"]
    assert got["audienceSizeConfig"]["audienceSizeBins"] == [10]
    assert got["description"] == "after"


def test_update_checks_references_and_bins(client: Any) -> None:
    arn = make_configured_audience_model(client)
    missing = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:audience-model/nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.update_configured_audience_model(
            configuredAudienceModelArn=arn, audienceModelArn=missing
        )
    with pytest.raises(client.exceptions.ValidationException):
        client.update_configured_audience_model(
            configuredAudienceModelArn=arn,
            audienceSizeConfig={"audienceSizeType": "PERCENTAGE", "audienceSizeBins": [200]},
        )
    unknown = arn[:-3] + "xyz"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.update_configured_audience_model(configuredAudienceModelArn=unknown)


def test_delete_removes_model_and_policy(client: Any) -> None:
    arn = make_configured_audience_model(client)
    client.put_configured_audience_model_policy(
        configuredAudienceModelArn=arn, configuredAudienceModelPolicy=POLICY
    )
    client.delete_configured_audience_model(configuredAudienceModelArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_configured_audience_model(configuredAudienceModelArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_configured_audience_model_policy(configuredAudienceModelArn=arn)


def test_delete_while_a_generation_job_runs_conflicts() -> None:
    with mock_cleanroomsml(lifecycle="manual") as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        model = make_audience_model(client)
        m.set_status(model, "ACTIVE")
        arn = make_configured_audience_model(client, model)
        job = make_generation_job(client, arn)
        with pytest.raises(client.exceptions.ConflictException) as exc:
            client.delete_configured_audience_model(configuredAudienceModelArn=arn)
        assert job in str(exc.value)
        # the stricter reading: a job that exists uses the model, running or not
        m.set_status(job, "ACTIVE")
        with pytest.raises(client.exceptions.ConflictException):
            client.delete_configured_audience_model(configuredAudienceModelArn=arn)
        client.delete_audience_generation_job(audienceGenerationJobArn=job)
        m.advance(job)
        m.advance(job)
        client.delete_configured_audience_model(configuredAudienceModelArn=arn)


# ---------------------------------------------------------------- resource policy


def test_policy_put_get_delete(client: Any) -> None:
    arn = make_configured_audience_model(client)
    put = client.put_configured_audience_model_policy(
        configuredAudienceModelArn=arn, configuredAudienceModelPolicy=POLICY
    )
    assert put["configuredAudienceModelPolicy"] == POLICY
    assert put["policyHash"] == hashlib.sha256(POLICY.encode()).hexdigest()
    got = client.get_configured_audience_model_policy(configuredAudienceModelArn=arn)
    assert got["configuredAudienceModelArn"] == arn
    assert got["configuredAudienceModelPolicy"] == POLICY
    assert got["policyHash"] == put["policyHash"]
    client.delete_configured_audience_model_policy(configuredAudienceModelArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_configured_audience_model_policy(configuredAudienceModelArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_configured_audience_model_policy(configuredAudienceModelArn=arn)


def test_policy_hash_is_deterministic(client: Any) -> None:
    first = make_configured_audience_model(client, name="a")
    second = make_configured_audience_model(client, name="b")
    hashes = {
        client.put_configured_audience_model_policy(
            configuredAudienceModelArn=arn, configuredAudienceModelPolicy=POLICY
        )["policyHash"]
        for arn in (first, second, first)
    }
    assert len(hashes) == 1


def test_policy_must_be_json(client: Any) -> None:
    arn = make_configured_audience_model(client)
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.put_configured_audience_model_policy(
            configuredAudienceModelArn=arn, configuredAudienceModelPolicy="{not json"
        )
    assert "configuredAudienceModelPolicy" in str(exc.value)


def test_policy_existence_conditions(client: Any) -> None:
    arn = make_configured_audience_model(client)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.put_configured_audience_model_policy(
            configuredAudienceModelArn=arn,
            configuredAudienceModelPolicy=POLICY,
            policyExistenceCondition="POLICY_MUST_EXIST",
        )
    client.put_configured_audience_model_policy(
        configuredAudienceModelArn=arn,
        configuredAudienceModelPolicy=POLICY,
        policyExistenceCondition="POLICY_MUST_NOT_EXIST",
    )
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.put_configured_audience_model_policy(
            configuredAudienceModelArn=arn,
            configuredAudienceModelPolicy=POLICY,
            policyExistenceCondition="POLICY_MUST_NOT_EXIST",
        )
    assert "POLICY_MUST_NOT_EXIST" in str(exc.value)
    client.put_configured_audience_model_policy(
        configuredAudienceModelArn=arn,
        configuredAudienceModelPolicy=POLICY,
        policyExistenceCondition="POLICY_MUST_EXIST",
    )


def test_previous_policy_hash_guards_concurrent_updates(client: Any) -> None:
    arn = make_configured_audience_model(client)
    first = client.put_configured_audience_model_policy(
        configuredAudienceModelArn=arn, configuredAudienceModelPolicy=POLICY
    )["policyHash"]
    newer = start_policy("111111111111", arn)
    second = client.put_configured_audience_model_policy(
        configuredAudienceModelArn=arn,
        configuredAudienceModelPolicy=newer,
        previousPolicyHash=first,
    )["policyHash"]
    assert second != first
    with pytest.raises(client.exceptions.ValidationException) as exc:
        client.put_configured_audience_model_policy(
            configuredAudienceModelArn=arn,
            configuredAudienceModelPolicy=POLICY,
            previousPolicyHash=first,  # stale
        )
    assert "previousPolicyHash" in str(exc.value)
    got = client.get_configured_audience_model_policy(configuredAudienceModelArn=arn)
    assert got["configuredAudienceModelPolicy"] == newer


def test_policy_of_unknown_model_is_not_found(client: Any) -> None:
    arn = f"arn:aws:cleanrooms-ml:us-east-1:{ACCOUNT}:configured-audience-model/nope"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as exc:
        client.put_configured_audience_model_policy(
            configuredAudienceModelArn=arn, configuredAudienceModelPolicy=POLICY
        )
    assert arn in str(exc.value)


def test_list_paginates(client: Any) -> None:
    model = make_audience_model(client)
    arns = [make_configured_audience_model(client, model, name=f"c{i}") for i in range(5)]
    pages = client.get_paginator("list_configured_audience_models").paginate(
        PaginationConfig={"PageSize": 2}
    )
    listed = [
        [c["configuredAudienceModelArn"] for c in p["configuredAudienceModels"]] for p in pages
    ]
    assert listed == [arns[:2], arns[2:4], arns[4:]]
