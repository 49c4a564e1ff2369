"""The indexes a backend keeps beside its tables (quota counts, per-parent lists, names)
always agree with a scan of the tables, whatever sequence of operations and test
controls led there; and a List paged from an ordered index neither skips nor repeats an
item when resources come and go between pages."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml, quotas
from cleanroomsml_mock.backend._index import COUNTS, LISTED, PARENTS, Indexes

from .builders import (
    MEMBERSHIP,
    REGION,
    make_association,
    make_audience_model,
    make_channel,
    make_configured_audience_model,
    make_generation_job,
    make_trained_model,
    make_training_dataset,
    start_inference,
)

STATUSES = ["CREATE_PENDING", "CREATE_IN_PROGRESS", "ACTIVE", "CREATE_FAILED", "INACTIVE"]


def scope_values(spec: Any, part: Any, record: Any) -> list[Any]:
    """The scopes a part is counted under, as the count's declaration says (a list value:
    each of its items)."""
    value = part.data.get(spec.scope)
    if value is None:
        value = record.data.get(spec.scope)
    return list(value) if isinstance(value, list) else [value]


def brute_force(backend: Any, name: str, scope: str | None) -> int:
    spec = COUNTS[name]
    return sum(
        1
        for record in backend.tables.get(spec.kind, {}).values()
        if spec.accept(record)
        for part in spec.parts(record)
        if (scope is None or scope in scope_values(spec, part, record))
        and spec.counts(part.status)
        and not part.removed
    )


def check_indexes(handle: CleanRoomsMLMock) -> None:
    world = handle._require_world()
    for backend in world.backends.values():
        for name, spec in COUNTS.items():
            scopes: set[str | None] = {None}
            if spec.scope is not None:
                scopes |= {
                    value
                    for r in backend.tables.get(spec.kind, {}).values()
                    for part in spec.parts(r)
                    for value in scope_values(spec, part, r)
                }
            for scope in scopes:
                assert backend.count_status(name, scope) == brute_force(backend, name, scope), (
                    name,
                    scope,
                )
        for kind, table in backend.tables.items():
            assert list(backend.indexes().ordered(kind).items) == list(table.values())
            for member in PARENTS:
                for value in {r.data.get(member) for r in table.values()} - {None}:
                    # (a record that names itself, e.g. by trainedModelArn, is no child)
                    expected = [
                        r for r in table.values() if r.data.get(member) == value and r.arn != value
                    ]
                    assert backend.children(kind, member, value) == expected
            for members in LISTED.get(kind, ()):
                combos = {tuple(r.data.get(m) for m in members) for r in table.values()}
                for values in combos:
                    if not all(isinstance(v, str) for v in values):
                        continue
                    filters = dict(zip(members, values, strict=True))
                    expected = [
                        r
                        for r in table.values()
                        if all(r.data.get(m) == v for m, v in filters.items())
                    ]
                    assert list(backend.indexes().ordered_by(kind, filters).items) == expected
            for record in table.values():
                if "name" in record.data:
                    assert record in backend.named(kind, record.name)
        # m.advance() moves the records with a step pending, in the order they were filed
        assert backend.advancing() == [r for r in backend.records.values() if r.can_advance()]
        check_bulk_filing(backend)
        # the "in use" check of an association names what a scan finds
        for association in backend.tables.get("configured-model-algorithm-association", {}):
            assert backend._users(association) == users_by_scan(world, backend, association)


def shape(indexes: Indexes) -> dict[str, Any]:
    """What an Indexes holds, its sequence numbers read as an order (they are drawn from
    one counter of the process: two builds of the same records number them apart)."""
    for ordered in indexes.lists.values():
        assert ordered.seqs == sorted(set(ordered.seqs))
        assert len(ordered.seqs) == len(ordered.items)
    return {
        "names": {kind: names for kind, names in indexes.names.items() if names},
        "order": sorted(indexes.seqs, key=indexes.seqs.__getitem__),
        "lists": {key: ordered.items for key, ordered in indexes.lists.items()},
        "counted": indexes.counted,
        "waiting": indexes.advancing(),
    }


def check_bulk_filing(backend: Any) -> None:
    """A state's records filed at once (``Indexes.build``, as a load files them) give the
    indexes filing them one at a time (as Creates do) gives; and every record is in the
    ordered lists ``_keys`` names (those ``discard`` takes it out of), and in no other."""
    records = list(backend.records.values())
    one_at_a_time = Indexes()
    for record in records:
        one_at_a_time.add(record)
    assert shape(Indexes.build(records)) == shape(one_at_a_time)
    # the indexes kept as records came, moved and went are those filing them now gives
    live = backend.indexes()
    assert shape(live) == shape(one_at_a_time)
    lists_of: dict[int, set[tuple[Any, ...]]] = {}
    for key, ordered in live.lists.items():
        for item in ordered.items:
            lists_of.setdefault(id(item), set()).add(key)
    for record in records:
        assert lists_of.get(id(record), set()) == set(Indexes._keys(record)), record.arn


def users_by_scan(world: Any, backend: Any, association: str) -> list[str]:
    released = {"INACTIVE", "CREATE_FAILED"}
    done = {"ACTIVE", "CREATE_FAILED", "INACTIVE", "CANCEL_FAILED"}
    region = [b for (_, r), b in world.backends.items() if r == backend.region]
    users: list[str] = []
    for b in region:
        for channel in b.tables.get("ml-input-channel", {}).values():
            if (
                association in channel.data.get("configuredModelAlgorithmAssociations", [])
                and channel.status not in released
            ):
                users.append(channel.arn)
    for b in region:
        for model in b.tables.get("trained-model", {}).values():
            if any(
                v.data.get("configuredModelAlgorithmAssociationArn") == association
                and v.status not in released
                for v in model.versions
            ):
                users.append(model.arn)
    for b in region:
        for job in b.tables.get("trained-model-inference-job", {}).values():
            if (
                job.data.get("configuredModelAlgorithmAssociationArn") == association
                and job.status not in done
            ):
                users.append(job.arn)
    return users


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "channel",
                "model",
                "inference",
                "job",
                "export",
                "set",
                "advance",
                "get",
                "delete",
                "reload",
                "tick",
            ]
        ),
        st.integers(0, 50),
        st.sampled_from(STATUSES),
    ),
    min_size=1,
    max_size=14,
)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(lifecycle=st.sampled_from(["immediate", "progressive", "manual", "timed"]), actions=ACTIONS)
@example("immediate", [("job", 0, "ACTIVE"), ("set", 2, "CREATE_PENDING")])
@example("manual", [("model", 0, "ACTIVE"), ("set", 2, "CREATE_IN_PROGRESS")])
@example("progressive", [("channel", 0, "ACTIVE"), ("set", 2, "INACTIVE"), ("set", 2, "ACTIVE")])
@example("manual", [("job", 0, "ACTIVE"), ("export", 0, "ACTIVE"), ("set", 3, "CREATE_PENDING")])
def test_counts_lists_and_names_agree_with_a_scan(lifecycle: str, actions: list[Any]) -> None:
    limits = {name: 1000 for name in quotas.DEFAULT_QUOTAS}
    with mock_cleanroomsml(lifecycle=lifecycle, quotas=limits) as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        association = make_association(client)
        channel = make_channel(client, association=association)
        m.set_status(channel, "ACTIVE")
        base = make_trained_model(client, association=association, channel=channel)
        m.set_status(base["trainedModelArn"], "ACTIVE")
        audience_model = make_audience_model(client)
        m.set_status(audience_model, "ACTIVE")
        configured = make_configured_audience_model(client, audience_model)
        arns: list[str] = [base["trainedModelArn"], base["channel"]]
        jobs: list[str] = []
        for n, (action, pick, status) in enumerate(actions):
            try:
                if action == "channel":
                    arns.append(make_channel(client, association=base["association"]))
                elif action == "model":
                    model = make_trained_model(
                        client, association=base["association"], channel=base["channel"]
                    )
                    arns.append(model["trainedModelArn"])
                elif action == "inference":
                    arns.append(start_inference(client, base, name=f"i{n}"))
                elif action == "job":
                    jobs.append(make_generation_job(client, configured, name=f"j{n}"))
                    arns.append(jobs[-1])
                elif action == "export" and jobs:
                    job = jobs[pick % len(jobs)]
                    m.set_status(job, "ACTIVE")
                    client.start_audience_export_job(
                        name=f"e{n}",
                        audienceGenerationJobArn=job,
                        audienceSize={"type": "ABSOLUTE", "value": 1000},
                    )
                    arns.append(m.audience_export_job_arn(job, f"e{n}"))
                elif action == "set":
                    m.set_status(arns[pick % len(arns)], status)
                elif action == "advance":
                    m.advance(arns[pick % len(arns)] if pick % 2 else None)
                elif action == "get" and jobs:
                    client.get_audience_generation_job(
                        audienceGenerationJobArn=jobs[pick % len(jobs)]
                    )
                elif action == "delete" and jobs:
                    client.delete_audience_generation_job(
                        audienceGenerationJobArn=jobs[pick % len(jobs)]
                    )
                elif action == "tick":  # timed mode's steps and the time rules fall due
                    m.advance_time(pick * 600)
                    client.list_training_datasets()
                elif action == "reload":
                    with tempfile.TemporaryDirectory() as tmp:
                        m.save_state(Path(tmp) / "state.json")
                        m.load_state(Path(tmp) / "state.json")
            except (ClientError, KeyError, ValueError):
                pass  # a refused operation or control changes nothing
            check_indexes(m)
        with tempfile.TemporaryDirectory() as tmp:
            m.save_state(Path(tmp) / "state.json")
            m.load_state(Path(tmp) / "state.json")
        check_indexes(m)
        m.reset()
        check_indexes(m)
        association = make_association(client)
        make_channel(client, association=association)
        check_indexes(m)


@pytest.fixture
def client() -> Any:
    with mock_cleanroomsml():
        yield boto3.client("cleanroomsml", region_name=REGION)


def test_pages_neither_skip_nor_repeat_when_items_come_and_go(client: Any) -> None:
    arns = [make_training_dataset(client, name=f"td{i}") for i in range(25)]
    first = client.list_training_datasets(maxResults=10)
    assert [d["trainingDatasetArn"] for d in first["trainingDatasets"]] == arns[:10]
    # the last item returned and the one after it go; a new one comes at the end
    client.delete_training_dataset(trainingDatasetArn=arns[9])
    client.delete_training_dataset(trainingDatasetArn=arns[10])
    arns.append(make_training_dataset(client, name="td-late"))
    seen = [d["trainingDatasetArn"] for d in first["trainingDatasets"]]
    token = first["nextToken"]
    while token:
        page = client.list_training_datasets(maxResults=10, nextToken=token)
        seen += [d["trainingDatasetArn"] for d in page["trainingDatasets"]]
        token = page.get("nextToken")
    assert seen == arns[:10] + arns[11:]


def test_a_collaboration_view_pages_across_member_accounts(client: Any) -> None:
    channels = [make_channel(client, MEMBERSHIP) for _ in range(5)]
    collaboration = client.get_ml_input_channel(
        mlInputChannelArn=channels[0], membershipIdentifier=MEMBERSHIP
    )["collaborationIdentifier"]
    seen: list[str] = []
    kwargs: dict[str, Any] = {"collaborationIdentifier": collaboration, "maxResults": 2}
    while True:
        page = client.list_collaboration_ml_input_channels(**kwargs)
        seen += [c["mlInputChannelArn"] for c in page["collaborationMLInputChannelsList"]]
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    assert seen == channels


@pytest.mark.parametrize("key", ['"x"', "true", "[1]", "[1, [2]]", "{}"])
def test_a_forged_key_in_a_token_is_a_validation_error(client: Any, key: str) -> None:
    import base64
    import json

    from cleanroomsml_mock.pagination import _checksum

    for i in range(3):
        make_training_dataset(client, name=f"td{i}")
    scope = {"@caller": ["123456789012", REGION]}
    payload = {"o": 1, "c": _checksum("ListTrainingDatasets", scope), "k": json.loads(key)}
    token = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    with pytest.raises(client.exceptions.ValidationException):
        client.list_training_datasets(maxResults=1, nextToken=token)


def test_a_loaded_state_is_indexed_as_its_records_one_at_a_time(tmp_path: Path) -> None:
    """Loading files a backend's records at once; its indexes are those filing them one at
    a time gives, for every kind of record, counted or not, named or not."""
    with mock_cleanroomsml(lifecycle="manual") as m:
        client = boto3.client("cleanroomsml", region_name=REGION)
        association = make_association(client)
        channel = make_channel(client, association=association)
        m.set_status(channel, "ACTIVE")
        model = make_trained_model(client, association=association, channel=channel)
        m.set_status(model["trainedModelArn"], "ACTIVE")
        start_inference(client, model, name="i0")
        make_trained_model(client, association=association, channel=channel, name="m2")  # pending
        audience_model = make_audience_model(client)
        m.set_status(audience_model, "ACTIVE")
        configured = make_configured_audience_model(client, audience_model)
        make_generation_job(client, configured, name="j0")
        make_audience_model(client, name="pending")
        make_training_dataset(client, name="td")
        # a name two records share (in two memberships)
        make_channel(client, association=association, name="shared")
        make_channel(client, "22222222-2222-4222-8222-222222222222", name="shared")
        m.save_state(tmp_path / "state.json")
        m.load_state(tmp_path / "state.json")
        world = m._require_world()
        for backend in world.backends.values():
            assert backend.records
            check_bulk_filing(backend)
            assert shape(backend.indexes()) == shape(Indexes.build(backend.records.values()))
        (backend,) = world.backends.values()
        indexes = backend.indexes()
        # the paths the test means to take: a shared name, counted records, steps pending
        assert indexes.named("ml-input-channel", "shared")[1:]
        assert indexes.count(quotas.PENDING_TRAINING_JOBS_PER_MEMBERSHIP, MEMBERSHIP) == 1
        assert indexes.waiting
        check_indexes(m)


def test_a_kind_whose_records_all_went_is_listed_again(client: Any) -> None:
    """When the last record of a kind goes, so does the kind's ordered list; the next
    record of that kind starts a new one (filing keeps no stale list at hand)."""
    gone = make_training_dataset(client, name="gone")
    client.delete_training_dataset(trainingDatasetArn=gone)
    assert client.list_training_datasets()["trainingDatasets"] == []
    again = make_training_dataset(client, name="again")
    listed = client.list_training_datasets()["trainingDatasets"]
    assert [d["trainingDatasetArn"] for d in listed] == [again]
