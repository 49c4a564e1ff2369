"""Three accounts in one collaboration: A provides the algorithm, B runs queries and
trains, C receives inference output; D is outside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cleanroomsml_mock import CleanRoomsMLMock

from .builders import (
    client_for,
    make_algorithm,
    make_association,
    make_channel,
    make_trained_model,
    privacy,
    put_ml_configuration,
    start_inference,
)

A, B, C, D = "111111111111", "222222222222", "333333333333", "444444444444"
COLLABORATION = "c0000000-0000-4000-8000-000000000000"
M_A = "a0000000-0000-4000-8000-000000000000"
M_B = "b0000000-0000-4000-8000-000000000000"
M_C = "c0000000-0000-4000-8000-00000000000c"
M_D = "d0000000-0000-4000-8000-000000000000"


@dataclass
class World:
    a: Any
    b: Any
    c: Any
    d: Any
    association: str
    channel: str
    model: str
    job: str


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


@pytest.fixture
def world(mock: CleanRoomsMLMock) -> World:
    mock.add_membership(
        account_id=A,
        collaboration_id=COLLABORATION,
        membership_id=M_A,
        abilities=["CAN_RECEIVE_MODEL_OUTPUT"],
    )
    mock.add_membership(
        account_id=B,
        collaboration_id=COLLABORATION,
        membership_id=M_B,
        abilities=["CAN_QUERY", "CAN_RECEIVE_RESULTS"],
        pays_for=["modelTraining", "modelInference"],
    )
    mock.add_membership(
        account_id=C,
        collaboration_id=COLLABORATION,
        membership_id=M_C,
        abilities=["CAN_RECEIVE_INFERENCE_OUTPUT"],
    )
    mock.add_membership(account_id=D, membership_id=M_D)  # another collaboration
    a, b, c, d = (client_for(x) for x in (A, B, C, D))
    algorithm = make_algorithm(a)
    logs = {"containerLogs": [{"allowedAccountIds": [A, B]}]}
    association = make_association(
        a, M_A, algorithm, privacyConfiguration=privacy(trainedModels=logs), tags={"s": "1"}
    )
    put_ml_configuration(a, M_A)
    channel = make_channel(b, M_B, association, tags={"secret": "yes"})
    model = make_trained_model(
        b,
        M_B,
        association,
        channel,
        hyperparameters={"eta": "0.3"},
        environment={"K": "v"},
        kmsKeyArn=f"arn:aws:kms:us-east-1:{B}:key/k",
        mlModelTrainingPayerAccountId=B,
        tags={"secret": "yes"},
    )
    job = start_inference(
        b,
        model,
        M_B,
        outputConfiguration={"members": [{"accountId": C}]},
        mlModelInferencePayerAccountId=B,
    )
    return World(a, b, c, d, association, channel, model["trainedModelArn"], job)


def test_every_member_sees_every_members_resources(world: World) -> None:
    for client in (world.a, world.b, world.c):
        associations = client.list_collaboration_configured_model_algorithm_associations(
            collaborationIdentifier=COLLABORATION
        )["collaborationConfiguredModelAlgorithmAssociations"]
        assert [
            (x["configuredModelAlgorithmAssociationArn"], x["creatorAccountId"])
            for x in associations
        ] == [(world.association, A)]
        channels = client.list_collaboration_ml_input_channels(
            collaborationIdentifier=COLLABORATION
        )["collaborationMLInputChannelsList"]
        assert [(x["mlInputChannelArn"], x["creatorAccountId"]) for x in channels] == [
            (world.channel, B)
        ]
        models = client.list_collaboration_trained_models(collaborationIdentifier=COLLABORATION)[
            "collaborationTrainedModels"
        ]
        assert [(x["trainedModelArn"], x["creatorAccountId"]) for x in models] == [(world.model, B)]
        assert models[0]["mlModelTrainingPayerAccountId"] == B
        jobs = client.list_collaboration_trained_model_inference_jobs(
            collaborationIdentifier=COLLABORATION
        )["collaborationTrainedModelInferenceJobs"]
        assert [(x["trainedModelInferenceJobArn"], x["creatorAccountId"]) for x in jobs] == [
            (world.job, B)
        ]
        assert jobs[0]["mlModelInferencePayerAccountId"] == B


def test_collaboration_gets_hide_private_fields(world: World) -> None:
    channel = world.c.get_collaboration_ml_input_channel(
        collaborationIdentifier=COLLABORATION, mlInputChannelArn=world.channel
    )
    assert channel["creatorAccountId"] == B
    assert channel["membershipIdentifier"] == M_B
    assert channel["status"] == "ACTIVE" and channel["numberOfRecords"] > 0
    for private in (
        "inputChannel",
        "protectedQueryIdentifier",
        "numberOfFiles",
        "sizeInGb",
        "kmsKeyArn",
        "tags",
    ):
        assert private not in channel
    model = world.a.get_collaboration_trained_model(
        collaborationIdentifier=COLLABORATION, trainedModelArn=world.model
    )
    assert model["creatorAccountId"] == B and model["name"] == "model"
    for private in ("hyperparameters", "environment", "kmsKeyArn", "tags", "dataChannels"):
        assert private not in model
    association = world.b.get_collaboration_configured_model_algorithm_association(
        collaborationIdentifier=COLLABORATION,
        configuredModelAlgorithmAssociationArn=world.association,
    )
    assert association["creatorAccountId"] == A and "tags" not in association
    # the owner still sees everything
    own = world.b.get_trained_model(membershipIdentifier=M_B, trainedModelArn=world.model)
    assert own["hyperparameters"] == {"eta": "0.3"} and own["tags"] == {"secret": "yes"}


def test_outsider_is_refused(world: World) -> None:
    calls = [
        lambda: world.d.list_collaboration_trained_models(collaborationIdentifier=COLLABORATION),
        lambda: world.d.list_collaboration_ml_input_channels(collaborationIdentifier=COLLABORATION),
        lambda: world.d.list_collaboration_trained_model_inference_jobs(
            collaborationIdentifier=COLLABORATION
        ),
        lambda: world.d.list_collaboration_configured_model_algorithm_associations(
            collaborationIdentifier=COLLABORATION
        ),
        lambda: world.d.list_collaboration_trained_model_export_jobs(
            collaborationIdentifier=COLLABORATION, trainedModelArn=world.model
        ),
        lambda: world.d.get_collaboration_trained_model(
            collaborationIdentifier=COLLABORATION, trainedModelArn=world.model
        ),
        lambda: world.d.get_collaboration_ml_input_channel(
            collaborationIdentifier=COLLABORATION, mlInputChannelArn=world.channel
        ),
        lambda: world.d.delete_trained_model_output(
            membershipIdentifier=M_B, trainedModelArn=world.model
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == "AccessDeniedException"
        assert D in str(exc.value)


def test_resource_of_another_collaboration_is_not_found_through_a_view(world: World) -> None:
    other = make_association(world.d, M_D)
    with pytest.raises(world.a.exceptions.ResourceNotFoundException):
        world.a.get_collaboration_configured_model_algorithm_association(
            collaborationIdentifier=COLLABORATION, configuredModelAlgorithmAssociationArn=other
        )


def test_membership_scoped_operations_stay_private(world: World) -> None:
    with pytest.raises(world.a.exceptions.ResourceNotFoundException):
        world.a.get_trained_model(membershipIdentifier=M_B, trainedModelArn=world.model)
    with pytest.raises(world.a.exceptions.ResourceNotFoundException):
        world.a.get_trained_model(membershipIdentifier=M_A, trainedModelArn=world.model)
    with pytest.raises(world.a.exceptions.AccessDeniedException):
        world.a.list_trained_models(membershipIdentifier=M_B)
    with pytest.raises(world.b.exceptions.ResourceNotFoundException):
        world.b.get_configured_model_algorithm_association(
            membershipIdentifier=M_B, configuredModelAlgorithmAssociationArn=world.association
        )
    with pytest.raises(world.a.exceptions.ResourceNotFoundException):
        world.a.cancel_trained_model_inference_job(
            membershipIdentifier=M_A, trainedModelInferenceJobArn=world.job
        )


def test_only_members_who_can_query_train(world: World) -> None:
    with pytest.raises(world.a.exceptions.AccessDeniedException) as exc:
        make_trained_model(world.a, M_A, world.association, world.channel, name="by-a")
    assert "CAN_QUERY" in str(exc.value)


def test_any_member_may_delete_output_and_channel_data(world: World) -> None:
    world.a.delete_trained_model_output(membershipIdentifier=M_A, trainedModelArn=world.model)
    got = world.b.get_trained_model(membershipIdentifier=M_B, trainedModelArn=world.model)
    assert got["status"] == "INACTIVE"
    world.c.delete_ml_input_channel_data(membershipIdentifier=M_B, mlInputChannelArn=world.channel)
    got = world.b.get_ml_input_channel(membershipIdentifier=M_B, mlInputChannelArn=world.channel)
    assert got["status"] == "INACTIVE"


def test_association_in_use_by_another_member_cannot_be_deleted(world: World) -> None:
    with pytest.raises(world.a.exceptions.ConflictException) as exc:
        world.a.delete_configured_model_algorithm_association(
            membershipIdentifier=M_A, configuredModelAlgorithmAssociationArn=world.association
        )
    assert world.channel in str(exc.value)


def test_trainer_exports_to_the_model_provider(world: World) -> None:
    world.b.start_trained_model_export_job(
        membershipIdentifier=M_B,
        trainedModelArn=world.model,
        name="to-a",
        outputConfiguration={"members": [{"accountId": A}]},
    )
    for client in (world.a, world.b, world.c):
        jobs = client.list_collaboration_trained_model_export_jobs(
            collaborationIdentifier=COLLABORATION, trainedModelArn=world.model
        )["collaborationTrainedModelExportJobs"]
        assert [(j["name"], j["creatorAccountId"]) for j in jobs] == [("to-a", B)]
    # C cannot receive model output, and is neither trainer nor receiver of an export to A
    with pytest.raises(world.b.exceptions.ValidationException):
        world.b.start_trained_model_export_job(
            membershipIdentifier=M_B,
            trainedModelArn=world.model,
            name="to-c",
            outputConfiguration={"members": [{"accountId": C}]},
        )
    with pytest.raises(world.c.exceptions.AccessDeniedException):
        world.c.start_trained_model_export_job(
            membershipIdentifier=M_C,
            trainedModelArn=world.model,
            name="by-c",
            outputConfiguration={"members": [{"accountId": A}]},
        )


def test_trainer_may_name_the_receivers_membership(world: World) -> None:
    # the API reference: membershipIdentifier is "the member that is receiving the exported
    # trained model artifacts"; the user guide: the trainer starts the export
    world.b.start_trained_model_export_job(
        membershipIdentifier=M_A,
        trainedModelArn=world.model,
        name="to-a",
        outputConfiguration={"members": [{"accountId": A}]},
    )
    jobs = world.a.list_collaboration_trained_model_export_jobs(
        collaborationIdentifier=COLLABORATION, trainedModelArn=world.model
    )["collaborationTrainedModelExportJobs"]
    assert [(j["name"], j["membershipIdentifier"], j["creatorAccountId"]) for j in jobs] == [
        ("to-a", M_A, B)
    ]
    # another member's membership that is not the receiver's is still not the caller's
    with pytest.raises(world.b.exceptions.ResourceNotFoundException):
        world.b.start_trained_model_export_job(
            membershipIdentifier=M_C,
            trainedModelArn=world.model,
            name="via-c",
            outputConfiguration={"members": [{"accountId": A}]},
        )
    # an outsider cannot export through the receiver's membership
    with pytest.raises(world.d.exceptions.AccessDeniedException):
        world.d.start_trained_model_export_job(
            membershipIdentifier=M_A,
            trainedModelArn=world.model,
            name="by-d",
            outputConfiguration={"members": [{"accountId": A}]},
        )


def test_inference_output_receiver_rules(world: World) -> None:
    model = {"trainedModelArn": world.model, "channel": world.channel}
    with pytest.raises(world.b.exceptions.ValidationException) as exc:
        start_inference(
            world.b, model, M_B, name="to-a", outputConfiguration={"members": [{"accountId": A}]}
        )
    assert "CAN_RECEIVE_INFERENCE_OUTPUT" in str(exc.value)


def test_payer_candidates_follow_the_payment_configuration(world: World) -> None:
    with pytest.raises(world.b.exceptions.ValidationException):
        make_trained_model(
            world.b,
            M_B,
            world.association,
            world.channel,
            name="m2",
            mlModelTrainingPayerAccountId=A,
        )


def test_collaboration_lists_paginate_across_accounts(world: World) -> None:
    make_association(world.b, M_B, make_algorithm(world.b))
    pages = world.c.get_paginator(
        "list_collaboration_configured_model_algorithm_associations"
    ).paginate(collaborationIdentifier=COLLABORATION, PaginationConfig={"PageSize": 1})
    creators = [
        [x["creatorAccountId"] for x in p["collaborationConfiguredModelAlgorithmAssociations"]]
        for p in pages
    ]
    assert creators == [[A], [B]]
