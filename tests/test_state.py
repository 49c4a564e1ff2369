"""Saved state: ``m.save_state`` / ``m.load_state`` round-trip every resource."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from cleanroomsml_mock import mock_cleanroomsml
from cleanroomsml_mock.lifecycle import CREATE_PATH, Lifecycle
from cleanroomsml_mock.state import VERSION, StateFileError, dump_world

from .builders import (
    REGION,
    RESOURCE_CONFIG,
    client_for,
    make_association,
    make_channel,
    make_trained_model,
    make_training_dataset,
)

MEMBERSHIP = "0f5e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"
COLLABORATION = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
OTHER = "210987654321"


def populate(m: Any) -> dict[str, Any]:
    mine = client_for("123456789012")
    theirs = client_for(OTHER, "eu-west-1")
    arn = make_training_dataset(mine, name="mine", tags={"k": "v"}, description="d")
    other_arn = make_training_dataset(
        theirs, name="theirs", roleArn=f"arn:aws:iam::{OTHER}:role/cleanrooms-ml"
    )
    m.add_membership(account_id=OTHER, membership_id=MEMBERSHIP, collaboration_id=COLLABORATION)
    m.set_quota("Pending or in-progress audience models per account", 9)
    backend = m._world.backend("123456789012", REGION)
    pending = backend.new_record(
        "audience-model",
        backend.new_arn("audience-model/pending"),
        {"name": "pending", "when": dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)},
        path=CREATE_PATH,
    )
    return {"arn": arn, "other_arn": other_arn, "pending": pending.arn, "client": mine}


def test_save_and_load_round_trip_every_resource(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with mock_cleanroomsml(lifecycle="manual") as m:
        made = populate(m)
        before = made["client"].get_training_dataset(trainingDatasetArn=made["arn"])
        saved = dump_world(m._world)
        m.save_state(path)
    document = json.loads(path.read_text())
    assert document["version"] == VERSION

    with mock_cleanroomsml() as m:
        m.load_state(path)
        again = dump_world(m._world)
        assert again["backends"] == saved["backends"] and again["world"] == saved["world"]
        assert m.config.lifecycle is Lifecycle.MANUAL  # the options come back too
        after = made["client"].get_training_dataset(trainingDatasetArn=made["arn"])
        for key in ("name", "description", "tags", "createTime", "updateTime", "trainingData"):
            assert after[key] == before[key]
        theirs = client_for(OTHER, "eu-west-1")
        assert theirs.get_training_dataset(trainingDatasetArn=made["other_arn"])["name"] == "theirs"
        backend = m._world.backend("123456789012", REGION)
        # a pending lifecycle carries on where it stopped
        pending = backend.records[made["pending"]]
        assert pending.data["when"] == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
        assert pending.status == "CREATE_PENDING"
        m.advance(made["pending"])
        assert pending.status == "CREATE_IN_PROGRESS"
        membership = m._world.memberships.get(MEMBERSHIP)
        assert membership is not None and membership.collaboration_id == COLLABORATION
        quota = "Pending or in-progress audience models per account"
        assert m.config.quotas[quota] == 9
        # aliases made in a family's __init__ still point at the loaded tables
        assert backend.training_datasets is backend.tables["training-dataset"]
        assert made["arn"] in backend.training_datasets


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"format": "cleanroomsml-mock-state", "version": 3}', "version 3"),
        ("{broken", "not valid JSON"),
        ("[]", "not a cleanroomsml_mock state file"),
        (
            '{"format": "cleanroomsml-mock-state", "version": 1, "records": [{"type": "Nope",'
            ' "fields": {}}], "backends": [{"account": "1", "region": "r", "attributes":'
            ' {"x": {"__ref__": 0}}}]}',
            "'Nope' is unknown",
        ),
        (
            '{"format": "cleanroomsml-mock-state", "version": 1, "backends": [{"account": "1"}]}',
            "corrupt",
        ),
        (
            '{"format": "cleanroomsml-mock-state", "version": 1, "backends": [{"account":'
            ' "123456789012", "region": "us-east-1", "attributes": {"tables": []}}]}',
            "tables",
        ),
        ('{"format": "cleanroomsml-mock-state", "version": 1, "world": {"config": 5}}', "config"),
        ('{"format": "cleanroomsml-mock-state", "version": 1, "world": {"calls": [1]}}', "calls"),
        (
            '{"format": "cleanroomsml-mock-state", "version": 1, "backends": [{"account":'
            ' "123456789012", "region": "us-east-1", "attributes": {"world": null}}]}',
            "world",
        ),
        (
            '{"format": "cleanroomsml-mock-state", "version": 1, "backends": [{"account":'
            ' "123456789012", "region": "us-east-1", "attributes": {"records": "x"}}]}',
            "records",
        ),
        ('{"format": "cleanroomsml-mock-state", "version": 1, "records": ' + DEEP + "}", "corrupt"),
    ],
)
def test_a_bad_file_is_refused_and_the_state_kept(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with mock_cleanroomsml() as m:
        arn = make_training_dataset(client_for("123456789012"))
        with pytest.raises(StateFileError, match=expected):
            m.load_state(path)
        assert client_for("123456789012").get_training_dataset(trainingDatasetArn=arn)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with mock_cleanroomsml() as m, pytest.raises(StateFileError, match="cannot read"):
        m.load_state(tmp_path / "nothing.json")


def test_classes_outside_the_package_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(
        json.dumps(
            {
                "format": "cleanroomsml-mock-state",
                "version": 1,
                "world": {"x": {"__dataclass__": "os:stat_result", "fields": {}}},
            }
        )
    )
    with mock_cleanroomsml() as m, pytest.raises(StateFileError, match="not a class of"):
        m.load_state(path)


def test_trained_model_versions_survive_a_save_and_load(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    trainer, member = "111111111111", "222222222222"
    with mock_cleanroomsml(lifecycle="manual") as m:
        m.add_membership(
            account_id=trainer, collaboration_id=COLLABORATION, membership_id=MEMBERSHIP
        )
        m.add_membership(account_id=member, collaboration_id=COLLABORATION)
        client = client_for(trainer)
        association = make_association(client, MEMBERSHIP)
        channel = make_channel(client, MEMBERSHIP, association)
        m.set_status(channel, "ACTIVE")
        base = make_trained_model(client, MEMBERSHIP, association, channel, name="model")
        arn = base["trainedModelArn"]
        m.set_status(arn, "ACTIVE")
        version = client.create_trained_model(
            membershipIdentifier=MEMBERSHIP,
            name="model",
            configuredModelAlgorithmAssociationArn=base["association"],
            resourceConfig=RESOURCE_CONFIG,
            dataChannels=[{"mlInputChannelArn": base["channel"], "channelName": "train"}],
            incrementalTrainingDataChannels=[{"trainedModelArn": arn, "channelName": "base"}],
        )["versionIdentifier"]
        client.delete_trained_model_output(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn)
        m.save_state(path)

    with mock_cleanroomsml(lifecycle="manual") as m:
        m.load_state(path)
        client = client_for(trainer)
        versions = client.list_trained_model_versions(
            membershipIdentifier=MEMBERSHIP, trainedModelArn=arn
        )["trainedModels"]
        assert [(v.get("versionIdentifier"), v["status"]) for v in versions] == [
            (None, "DELETE_PENDING"),
            (version, "CREATE_PENDING"),
        ]
        m.advance(arn)
        m.advance(arn)
        got = client.get_trained_model(membershipIdentifier=MEMBERSHIP, trainedModelArn=arn)
        assert got["versionIdentifier"] == version and got["status"] == "ACTIVE"
        assert got["incrementalTrainingDataChannels"] == [
            {"channelName": "base", "modelName": "model"}
        ]
        # the base version's output delete completes after the load too
        base_now = client.list_trained_model_versions(
            membershipIdentifier=MEMBERSHIP, trainedModelArn=arn, status="INACTIVE"
        )["trainedModels"]
        assert [v.get("versionIdentifier") for v in base_now] == [None]
        # the name stays taken in the collaboration, and other members still see the model
        with pytest.raises(client.exceptions.ConflictException):
            make_trained_model(
                client, MEMBERSHIP, base["association"], base["channel"], name="model"
            )
        seen = client_for(member).get_collaboration_trained_model(
            collaborationIdentifier=COLLABORATION, trainedModelArn=arn
        )
        assert seen["versionIdentifier"] == version and seen["creatorAccountId"] == trainer


def test_a_loaded_state_is_collected_once_it_is_dropped(tmp_path: Path) -> None:
    """What a load keeps goes to the collector's oldest generation: nothing is frozen, the
    collector's switch is as it was, and a loaded state that is dropped is freed."""
    import gc
    import weakref

    path = tmp_path / "state.json"
    with mock_cleanroomsml() as m:
        populate(m)
        m.save_state(path)
        frozen = gc.get_freeze_count()
        m.load_state(path)
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
        world = m._require_world()
        records = [r for b in world.backends.values() for r in b.records.values()]
        oldest = {id(o) for o in gc.get_objects(generation=2)}
        assert records and all(id(r) in oldest for r in records)
        del oldest
        refs = [weakref.ref(r) for r in records]
        del records
        m.reset()
        gc.collect()
        assert [r for r in refs if r() is not None] == []


def test_a_load_keeps_its_document_until_the_state_is_replaced_or_reset(
    tmp_path: Path,
) -> None:
    """The parsed document stays with the state loaded from it (docs/usage.md, "Cost at
    scale"), and goes with it: loading again and again holds one document, not one per
    load, and a reset holds none."""
    import gc
    import sys

    path = tmp_path / "state.json"
    with mock_cleanroomsml() as m:
        populate(m)
        client = client_for("123456789012")
        for i in range(40):
            make_training_dataset(client, name=f"more-{i}")
        m.save_state(path)
        world = m._require_world()
        for _ in range(3):  # (the first loads fill the loader's caches)
            m.load_state(path)
        document, checked = world.loaded
        assert len(document["backends"][0]["records"]) > 40 and checked
        gc.collect()
        before = sys.getallocatedblocks()
        for _ in range(4):
            m.load_state(path)
        assert world.loaded[0] is not document
        del document, checked
        gc.collect()
        grown = sys.getallocatedblocks() - before
        m.reset()
        assert world.loaded is None
        gc.collect()
        one_state = before - sys.getallocatedblocks()
        # the state and its document are hundreds of blocks; four loads keep one of each
        assert one_state > 1000 and grown < one_state // 10, (one_state, grown)


def test_objects_the_program_froze_stay_frozen_across_a_load(tmp_path: Path) -> None:
    import gc

    path = tmp_path / "state.json"
    with mock_cleanroomsml() as m:
        populate(m)
        m.save_state(path)
        mine = [object()]  # a container the collector tracks
        gc.freeze()
        try:
            m.load_state(path)
            # frozen objects are left out of gc.get_objects()
            assert not any(o is mine for o in gc.get_objects())
        finally:
            gc.unfreeze()
        assert any(o is mine for o in gc.get_objects())


def test_a_data_time_named_twice_is_read_once_per_name(tmp_path: Path) -> None:
    """``data_times`` naming a member twice is redundant, not wrong: the member is read as
    a time (it once failed with a TypeError when the second read met the first's result)."""
    path = tmp_path / "state.json"
    with mock_cleanroomsml() as m:
        arn = make_training_dataset(client_for("123456789012"), name="timed")
        m.save_state(path)
    document = json.loads(path.read_text())
    record = document["backends"][0]["records"][0]
    record["data"]["when"] = "2024-05-06T07:08:09+00:00"
    record["data_times"] = ["when", "when"]
    path.write_text(json.dumps(document))
    with mock_cleanroomsml() as m:
        m.load_state(path)
        loaded = m._world.backend("123456789012", REGION).records[arn]
        assert loaded.data["when"] == dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
