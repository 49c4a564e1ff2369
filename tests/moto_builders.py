"""Builders for tests beside moto's ``mock_aws``: the moto side (an S3 bucket, a Glue
database and table, an IAM role, a seed audience uploaded as JSON Lines) and the Clean
Rooms ML side wired to it (a training dataset on that table, an audience model, a
configured audience model, a generation job). Call them while ``mock_aws`` is active."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

import boto3

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml

from .builders import (
    OUTPUT_S3,
    REGION,
    ROLE,
    SEED_S3,
    make_audience_model,
    make_configured_audience_model,
    make_generation_job,
    make_training_dataset,
    training_data,
)

_names = itertools.count(1)  # resource names unique across a test
ROLE_NAME = "cleanrooms-ml"  # builders.ROLE names this role
COLUMNS = ("user_id", "item_id", "event_time")  # builders.training_data's schema
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cleanrooms-ml.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@contextlib.contextmanager
def beside_moto(moto_first: bool = True, **options: Any) -> Iterator[CleanRoomsMLMock]:
    """moto's ``mock_aws`` and this mock (with ``options``), in either nesting order."""
    from moto import mock_aws

    if moto_first:
        with mock_aws(), mock_cleanroomsml(**options) as m:
            yield m
    else:
        with mock_cleanroomsml(**options) as m, mock_aws():
            yield m


@contextlib.contextmanager
def as_account(account: str) -> Iterator[None]:
    """moto's calls made inside act as ``account`` (moto's ``MOTO_ACCOUNT_ID``)."""
    before = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = account
    try:
        yield
    finally:
        if before is None:
            del os.environ["MOTO_ACCOUNT_ID"]
        else:
            os.environ["MOTO_ACCOUNT_ID"] = before


def make_role(name: str = ROLE_NAME) -> str:
    """An IAM role Clean Rooms ML may assume; its ARN."""
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    return str(role["Role"]["Arn"])


def make_bucket(name: str) -> str:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=name)
    return name


def make_glue_table(
    database: str = "db",
    table: str = "events",
    columns: Sequence[str] = COLUMNS,
    *,
    partition_keys: Sequence[str] = (),
    create_database: bool = True,
) -> None:
    """A Glue table (and its database, unless ``create_database`` is False), in the
    catalog of the account moto acts as (``as_account``)."""
    glue = boto3.client("glue", region_name=REGION)
    if create_database:
        glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": table,
            "StorageDescriptor": {"Columns": [{"Name": c, "Type": "string"} for c in columns]},
            "PartitionKeys": [{"Name": c, "Type": "string"} for c in partition_keys],
        },
    )


def seed_body(users: int, *, first: int = 0) -> bytes:
    """A seed audience as JSON Lines: ``users`` rows ``{"user_id": "u<n>"}``."""
    return b"".join(b'{"user_id": "u%d"}\n' % i for i in range(first, first + users))


def upload(uri: str, body: bytes) -> None:
    """Put ``body`` at ``s3://bucket/key`` (the bucket must exist)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    boto3.client("s3", region_name=REGION).put_object(Bucket=bucket, Key=key, Body=body)


def upload_seed(users: int = 1000, uri: str = SEED_S3) -> str:
    upload(uri, seed_body(users))
    return uri


def make_inputs(*, seed_users: int | None = 1000) -> str:
    """Everything the lookalike builders read, in moto: the role ``builders.ROLE``, the
    Glue table ``db.events`` with ``builders.training_data``'s columns, the seed and
    output buckets, and (unless ``seed_users`` is None) a seed of that many users at
    ``builders.SEED_S3`` (a configured audience model's ``minMatchingSeedSize`` is 500
    unless given). The role's ARN."""
    role = make_role()
    make_glue_table()
    make_bucket(SEED_S3.removeprefix("s3://").partition("/")[0])
    make_bucket(OUTPUT_S3.removeprefix("s3://").partition("/")[0])
    if seed_users is not None:
        upload_seed(seed_users)
    return role


def train_on_table(client: Any, training: list[dict[str, Any]] | None = None) -> str:
    """A training dataset on ``db.events`` (or on ``training``) and an audience model
    trained on it; the audience model's ARN (not waited for)."""
    n = next(_names)
    dataset = make_training_dataset(
        client, name=f"td-{n}", trainingData=training or training_data()
    )
    return make_audience_model(client, dataset, name=f"am-{n}")


def configure(client: Any, audience_model: str, **overrides: Any) -> str:
    """A configured audience model on an ACTIVE ``audience_model`` (``overrides``: e.g.
    ``minMatchingSeedSize``)."""
    overrides.setdefault("name", f"cam-{next(_names)}")
    return make_configured_audience_model(client, audience_model, **overrides)


def start_generation(
    client: Any,
    configured_audience_model: str,
    seed_uri: str = SEED_S3,
    *,
    role: str = ROLE,
    **overrides: Any,
) -> str:
    """A generation job on the seed at ``seed_uri``, read with ``role`` (``overrides``:
    other StartAudienceGenerationJob parameters)."""
    overrides.setdefault("name", f"job-{next(_names)}")
    return make_generation_job(
        client,
        configured_audience_model,
        seedAudience={"dataSource": {"s3Uri": seed_uri}, "roleArn": role},
        **overrides,
    )
