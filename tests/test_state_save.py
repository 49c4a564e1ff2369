"""Saving state writes the same bytes as the plain encoding: every record's fields as they
are, each datetime by its ``isoformat()``, the document through ``json.dumps`` (compact,
ASCII, no NaN). The save takes shortcuts (strings escaped once, times of equal datetimes
shared, no copies under the lock); these tests hold them to those bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroomsml_mock import mock_cleanroomsml
from cleanroomsml_mock.demo import custom_model, lookalike
from cleanroomsml_mock.lifecycle import CREATE_PATH
from cleanroomsml_mock.records import Record
from cleanroomsml_mock.state import _iso, dump_world, serialise

from .builders import REGION, client_for, make_training_dataset
from .test_audience_generation_jobs import (
    COLLABORATION,
    SEED_ACCOUNT,
    shared_model,
    start_cross_account,
)

ACCOUNT = "123456789012"
MEMBERSHIP = "0f5e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"
UTC = dt.timezone.utc
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))
BASE_FIELDS = {"kind", "arn", "data", "create_time", "update_time", "track", "tags", "taggable"}


def plain_record(record: Record) -> dict[str, Any]:
    """A record as the plain encoding writes it (no shortcut taken)."""
    data = dict(record.data)
    times = [key for key, value in data.items() if isinstance(value, dt.datetime)]
    for key in times:
        data[key] = data[key].isoformat()
    track = record.track
    out: dict[str, Any] = {
        "type": type(record).__name__,
        "kind": record.kind,
        "arn": record.arn,
        "data": data,
        "create_time": record.create_time.isoformat(),
        "update_time": record.update_time.isoformat(),
        "track": None
        if track is None
        else {
            "status": track.status,
            "pending": list(track.pending),
            "details": track.details,
            "since": None if track.since is None else track.since.isoformat(),
        },
        "tags": dict(record.tags),
        "taggable": record.taggable,
    }
    if times:
        out["data_times"] = times
    for field in dataclasses.fields(record):
        if field.name in BASE_FIELDS:
            continue
        value = getattr(record, field.name)
        if isinstance(value, Record):
            value = value.arn
        elif isinstance(value, list):
            value = [plain_record(item) for item in value]
        out[field.name] = value
    return out


def plain_bytes(m: Any, journal: dict[str, Any]) -> bytes:
    """The state of ``m`` through ``json.dumps``, with the records encoded plainly."""
    document = dump_world(m._world, journal)
    for section, backend in zip(document["backends"], m._world.backends.values(), strict=True):
        section["records"] = [plain_record(r) for r in backend.records.values()]
    return json.dumps(document, separators=(",", ":"), allow_nan=False).encode()


def journal_of(raw: bytes) -> dict[str, Any]:
    journal: dict[str, Any] = json.loads(raw)["journal"]
    return journal


def tricky_world(m: Any) -> list[str]:
    """Every family, a cross-account job (a reference), a trained model with versions,
    tags, a lone surrogate, and records whose times are equal but distinct, equal
    instants in other zones, datetimes in data; returns the ARNs of the odd records."""
    owner = client_for(ACCOUNT)
    lookalike(owner)
    custom_model(owner)
    m.add_membership(
        account_id=SEED_ACCOUNT, membership_id=MEMBERSHIP, collaboration_id=COLLABORATION
    )
    start_cross_account(client_for(SEED_ACCOUNT), shared_model(owner))
    make_training_dataset(owner, name="tagged", tags={"team": "x", "note": "caf\u00e9 \ud800"})
    backend = m._world.backend(ACCOUNT, REGION)
    odd = []
    moment = dt.datetime(2024, 5, 6, 7, 8, 9, 120000, tzinfo=UTC)
    cases = [
        # equal but distinct objects, microseconds 0 and not
        (moment, moment.replace(), moment.replace()),
        (moment.replace(microsecond=0), moment.replace(microsecond=0), None),
        # the same instant in another zone: another text
        (moment, moment.astimezone(PLUS_TWO), moment.astimezone(PLUS_TWO)),
        (moment.astimezone(PLUS_TWO), moment, moment.astimezone(PLUS_TWO).replace()),
        # a year before 1000, and the last microsecond of a day
        (
            dt.datetime(999, 1, 2, tzinfo=UTC),
            dt.datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            moment,
        ),
    ]
    for i, (create, update, since) in enumerate(cases):
        record = backend.new_record(
            "audience-model",
            backend.new_arn(f"audience-model/odd-{i}"),
            {
                "name": f"odd-{i}",
                "when": moment.replace(),
                "there": moment.astimezone(PLUS_TWO),
                "nested": {"at": "2024", "n": [1, 2.5, None, True]},
            },
            path=CREATE_PATH,
        )
        record.create_time, record.update_time = create, update
        assert record.track is not None
        record.track.since = since
        odd.append(record.arn)
    return odd


def test_the_saved_bytes_are_those_of_the_plain_encoding(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with mock_cleanroomsml() as m:
        odd = tricky_world(m)
        m.save_state(path)
        raw = path.read_bytes()
        assert raw == plain_bytes(m, journal_of(raw))
        assert raw.isascii() and b"\\ud800" in raw
        saved = {r["arn"]: r for b in json.loads(raw)["backends"] for r in b["records"]}
        assert saved[odd[2]]["update_time"] == "2024-05-06T09:08:09.120000+02:00"
        assert saved[odd[3]]["update_time"] == "2024-05-06T07:08:09.120000+00:00"
        assert saved[odd[4]]["create_time"] == "0999-01-02T00:00:00+00:00"
        assert saved[odd[0]]["data_times"] == ["when", "there"]
        assert any(r.get("versions") for r in saved.values())


def test_save_load_save_gives_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    with mock_cleanroomsml() as m:
        tricky_world(m)
        m.save_state(first)
    with mock_cleanroomsml() as m:
        m.load_state(first)
        m.save_state(second)
        # the loaded world holds equal times as distinct objects: the same bytes still
        assert second.read_bytes() == plain_bytes(m, journal_of(second.read_bytes()))

    def without_journal(raw: bytes) -> bytes:
        return re.sub(rb'"journal":\{[^}]*\}', b"", raw, count=1)

    assert without_journal(first.read_bytes()) == without_journal(second.read_bytes())


def test_the_state_a_server_returns_is_a_snapshot() -> None:
    """GET /_mock/state answers ``dump_world``'s document after the lock is released:
    later calls do not change it."""
    with mock_cleanroomsml() as m:
        client = client_for(ACCOUNT)
        arn = make_training_dataset(client, name="one", tags={"k": "v"})
        document = dump_world(m._world)
        before = json.dumps(document)
        client.tag_resource(resourceArn=arn, tags={"more": "tags"})
        client.untag_resource(resourceArn=arn, tagKeys=["k"])
        record = m._world.backend(ACCOUNT, REGION).records[arn]
        record.data["name"] = "renamed"
        record.data["when"] = dt.datetime(2024, 1, 1, tzinfo=UTC)
        assert json.dumps(document) == before


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=()), max_size=6)
    | st.sampled_from(["ACTIVE", "name", "arn:aws:iam::123456789012:role/r"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(st.characters(blacklist_categories=()), max_size=4)
            | st.sampled_from(["a", "b"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES)
def test_serialise_writes_the_bytes_of_json_dumps(value: Any) -> None:
    document = {"value": value, "again": value}  # every string met twice
    expected = json.dumps(document, separators=(",", ":"), allow_nan=False).encode()
    assert serialise(document) == expected
    assert serialise(document, repeats=True) == expected


@pytest.mark.parametrize("repeats", [False, True])
def test_serialise_refuses_what_is_not_json(repeats: bool) -> None:
    with pytest.raises(TypeError, match="cannot save the state: Out of range float"):
        serialise({"x": [math.nan]}, repeats=repeats)
    with pytest.raises(TypeError, match="cannot save the state: Object of type set is not"):
        serialise({"x": {1}}, repeats=repeats)
    looped: dict[str, Any] = {}
    looped["self"] = looped  # never in a state document; refused, not a RecursionError
    with pytest.raises(TypeError, match="cannot save the state: nested too deeply"):
        serialise(looped, repeats=repeats)


@settings(max_examples=300, deadline=None)
@given(
    value=st.datetimes(
        min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59, 999999)
    ),
    zone=st.sampled_from([UTC, PLUS_TWO, dt.timezone(dt.timedelta(0), "Z")]),
    fold=st.sampled_from([0, 1]),
)
def test_a_time_is_saved_as_its_isoformat(value: dt.datetime, zone: dt.tzinfo, fold: int) -> None:
    aware = value.replace(tzinfo=zone, fold=fold)
    assert _iso(aware, "x") == aware.isoformat()


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(TypeError, match=r"cannot save r\.create_time: not a datetime with a time"):
        _iso(dt.datetime(2024, 1, 1), "r", ".create_time")
