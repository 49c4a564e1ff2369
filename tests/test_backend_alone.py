"""A backend built alone: no ``World``, no boto3 client, only a stub ``WorldView``
(backend/_view.py) holding the options, the memberships and the other backends."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from cleanroomsml_mock import quotas
from cleanroomsml_mock.backend import CleanRoomsMLBackend
from cleanroomsml_mock.clock import Clock
from cleanroomsml_mock.config import MockConfig
from cleanroomsml_mock.errors import (
    AccessDeniedException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)
from cleanroomsml_mock.lifecycle import Lifecycle
from cleanroomsml_mock.memberships import MembershipRegistry
from cleanroomsml_mock.pagination import page

ACCOUNT = "123456789012"
OTHER = "111111111111"
REGION = "us-east-1"
MEMBERSHIP = "5a1e2d3c-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
COLLABORATION = "0f4e3a3c-1b2d-4c5e-8f90-123456789abc"


@dataclass
class StubView:
    """Everything a backend may see of the rest of the mock, as plain attributes."""

    config: MockConfig = field(default_factory=MockConfig)
    memberships: MembershipRegistry = field(default_factory=MembershipRegistry)
    backends: dict[tuple[str, str], CleanRoomsMLBackend] = field(default_factory=dict)

    def now(self) -> _dt.datetime:
        return Clock().now()

    def backend_for(self, account_id: str, region: str) -> CleanRoomsMLBackend | None:
        return self.backends.get((account_id, region))

    def backends_in(self, region: str) -> list[CleanRoomsMLBackend]:
        return [b for (_, r), b in self.backends.items() if r == region]

    def build(self, account_id: str = ACCOUNT, region: str = REGION) -> CleanRoomsMLBackend:
        backend = CleanRoomsMLBackend(self, account_id, region)
        self.backends[(account_id, region)] = backend
        return backend


def role(account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/cleanrooms-ml"


def training_dataset(backend: CleanRoomsMLBackend, name: str = "interactions") -> str:
    schema = [
        {"columnName": "user_id", "columnTypes": ["USER_ID"]},
        {"columnName": "item_id", "columnTypes": ["ITEM_ID"]},
        {"columnName": "event_time", "columnTypes": ["TIMESTAMP"]},
    ]
    source = {"glueDataSource": {"databaseName": "db", "tableName": "events"}}
    made = backend.create_training_dataset(
        name=name,
        role_arn=role(backend.account_id),
        training_data=[
            {"type": "INTERACTIONS", "inputConfig": {"schema": schema, "dataSource": source}}
        ],
    )
    return str(made["trainingDatasetArn"])


def audience_model(backend: CleanRoomsMLBackend, name: str = "am") -> str:
    dataset = training_dataset(backend, f"td-{name}")
    made = backend.create_audience_model(name=name, training_dataset_arn=dataset)
    return str(made["audienceModelArn"])


def test_a_backend_needs_no_world() -> None:
    view = StubView()
    backend = view.build()
    assert not hasattr(backend, "world")
    arn = training_dataset(backend)
    got = backend.get_training_dataset(training_dataset_arn=arn)
    assert got.pick("status") == "ACTIVE"
    assert got.pick("name") == "interactions"
    listed = backend.list_training_datasets()["trainingDatasets"]
    assert [r.arn for r in listed] == [arn]
    backend.delete_training_dataset(training_dataset_arn=arn)
    with pytest.raises(ResourceNotFoundException):
        backend.get_training_dataset(training_dataset_arn=arn)


def test_the_lifecycle_mode_is_read_from_the_view_at_each_use() -> None:
    view = StubView(MockConfig(lifecycle=Lifecycle.PROGRESSIVE))
    backend = view.build()
    arn = audience_model(backend)
    seen = [backend.get_audience_model(audience_model_arn=arn).status for _ in range(2)]
    assert seen == ["CREATE_IN_PROGRESS", "ACTIVE"]
    view.config = MockConfig(lifecycle=Lifecycle.MANUAL)  # a nested mock swaps the options
    backend.delete_audience_model(audience_model_arn=arn)
    for _ in range(2):
        assert backend.get_audience_model(audience_model_arn=arn).status == "DELETE_PENDING"


def test_a_page_reads_the_records_on_it_and_only_those() -> None:
    view = StubView(
        MockConfig(lifecycle=Lifecycle.PROGRESSIVE, quotas={quotas.PENDING_AUDIENCE_MODELS: 3})
    )
    backend = view.build()
    arns = [audience_model(backend, f"am{i}") for i in range(3)]
    listing = backend.list_audience_models()["audienceModels"]
    # looking (length, indexing, iterating) moves nothing
    assert len(listing) == 3 and listing[2].arn == arns[2]
    assert [r.status for r in listing] == ["CREATE_PENDING"] * 3
    chunk, token = page("ListAudienceModels", {}, listing, None, 2)
    assert token is not None
    assert [r.status for r in chunk] == ["CREATE_IN_PROGRESS"] * 2
    assert backend.records[arns[2]].status == "CREATE_PENDING"


def test_a_record_that_goes_while_read_on_a_page_is_left_out() -> None:
    view = StubView(MockConfig(lifecycle=Lifecycle.PROGRESSIVE))
    backend = view.build()
    keep, drop = audience_model(backend, "keep"), audience_model(backend, "drop")
    for arn in (keep, drop):
        backend.set_record_status(backend.records[arn], "ACTIVE", None)
    backend.delete_audience_model(audience_model_arn=drop)  # DELETE_PENDING
    backend.list_audience_models()["audienceModels"][0:2]  # DELETE_IN_PROGRESS
    shown = backend.list_audience_models()["audienceModels"][0:2]
    assert [r.arn for r in shown] == [keep]
    assert drop not in backend.records


def test_set_status_and_advance_go_through_the_record() -> None:
    view = StubView(MockConfig(lifecycle=Lifecycle.MANUAL))
    backend = view.build()
    model = backend.records[audience_model(backend)]
    backend.set_record_status(model, "CREATE_IN_PROGRESS", None)
    assert model.track is not None and model.track.pending == ["ACTIVE"]  # it resumes
    backend.step_record(model)
    assert model.status == "ACTIVE"
    dataset = backend.records[training_dataset(backend, "plain")]
    with pytest.raises(ValueError, match="no versions"):
        backend.set_record_status(dataset, "ACTIVE", None, version="v1")


def test_quotas_and_memberships_come_from_the_view() -> None:
    view = StubView(
        MockConfig(
            lifecycle=Lifecycle.MANUAL,
            strict_memberships=True,
            quotas={quotas.PENDING_AUDIENCE_MODELS: 1},
        )
    )
    backend = view.build()
    audience_model(backend, "first")
    with pytest.raises(ServiceQuotaExceededException):
        audience_model(backend, "second")

    algorithm = backend.create_configured_model_algorithm(
        name="algo",
        role_arn=role(),
        training_container_config={"imageUri": "123456789012.dkr.ecr.x/algo:1"},
    )["configuredModelAlgorithmArn"]

    def associate() -> Any:
        return backend.create_configured_model_algorithm_association(
            membership_identifier=MEMBERSHIP,
            configured_model_algorithm_arn=algorithm,
            name="association",
        )

    with pytest.raises(ResourceNotFoundException, match="not a registered"):
        associate()
    view.memberships.add(
        account_id=ACCOUNT, membership_id=MEMBERSHIP, collaboration_id=COLLABORATION
    )
    arn = associate()["configuredModelAlgorithmAssociationArn"]
    listed = backend.list_collaboration_configured_model_algorithm_associations(
        collaboration_identifier=COLLABORATION
    )["collaborationConfiguredModelAlgorithmAssociations"]
    assert [r.arn for r in listed] == [arn]


def test_a_cross_account_job_between_two_backends_of_the_view() -> None:
    view = StubView(MockConfig(lifecycle=Lifecycle.MANUAL))
    owner, starter = view.build(), view.build(OTHER)
    model = owner.records[audience_model(owner)]
    owner.set_record_status(model, "ACTIVE", None)
    configured = owner.create_configured_audience_model(
        name="cam",
        audience_model_arn=model.arn,
        output_config={
            "destination": {"s3Destination": {"s3Uri": "s3://audiences/"}},
            "roleArn": role(),
        },
        shared_audience_metrics=["ALL"],
    )["configuredAudienceModelArn"]

    def start() -> str:
        made = starter.start_audience_generation_job(
            name="job",
            configured_audience_model_arn=configured,
            seed_audience={
                "dataSource": {"s3Uri": "s3://seeds/seed.jsonl"},
                "roleArn": role(OTHER),
            },
            collaboration_id=COLLABORATION,
        )
        return str(made["audienceGenerationJobArn"])

    with pytest.raises(AccessDeniedException):
        start()
    owner_jobs = configured.split(":configured-audience-model/")[0]
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": OTHER},
                "Action": "cleanrooms-ml:StartAudienceGenerationJob",
                "Resource": [configured, f"{owner_jobs}:audience-generation-job/*"],
            }
        ]
    }
    owner.put_configured_audience_model_policy(
        configured_audience_model_arn=configured,
        configured_audience_model_policy=json.dumps(policy),
    )
    job = starter.records[start()]
    copy_arn = job.arn.replace(OTHER, ACCOUNT)
    copy = owner.records[copy_arn]
    assert copy.name == f"{OTHER}-job"
    owner.step_record(copy)  # one job: either ARN moves it
    assert (job.status, copy.status) == ("CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS")
    assert job.update_time == copy.update_time
    starter.set_record_status(job, "ACTIVE", None)
    owner.delete_audience_generation_job(audience_generation_job_arn=copy_arn)
    owner.step_record(copy)
    owner.step_record(copy)  # DELETE_IN_PROGRESS -> removed, under both ARNs
    assert job.arn not in starter.records and copy_arn not in owner.records
