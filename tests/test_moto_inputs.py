"""Inputs read from moto (docs/moto.md, "Inputs the mock reads" and "Roles"): a resource
whose Glue table, seed audience or role is missing ends CREATE_FAILED with
``statusDetails`` naming it, when it would have become ACTIVE, in every lifecycle mode;
and the ``use_moto`` option that decides whether moto is consulted at all."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml
from cleanroomsml_mock.cli import main
from cleanroomsml_mock.server import ThreadedServer

from .builders import (
    MEMBERSHIP,
    REGION,
    ROLE,
    SEED_S3,
    client_for,
    make_algorithm,
    make_association,
    make_channel,
    make_generation_job,
    make_trained_model,
    start_policy,
    training_data,
    wait_for,
)
from .moto_builders import (
    as_account,
    beside_moto,
    configure,
    make_bucket,
    make_glue_table,
    make_inputs,
    make_role,
    seed_body,
    start_generation,
    train_on_table,
    upload,
)

moto = pytest.importorskip("moto")

MODES = ("immediate", "progressive", "manual", "timed")
MONTH = 30 * 24 * 3600


def client() -> Any:
    return boto3.client("cleanroomsml", region_name=REGION)


def finish(
    m: CleanRoomsMLMock | None, mode: str, arn: str, get: Callable[[], Any]
) -> dict[str, Any]:
    """Let a resource run to the end of its create path, as each lifecycle mode does (``m``
    is needed in manual and timed mode)."""
    if mode == "progressive":
        return wait_for(get)
    if m is None:
        assert mode == "immediate"
    elif mode == "manual":
        for _ in range(3):
            m.advance(arn)
    elif mode == "timed":
        m.advance_time(MONTH)
    return dict(get())


def audience_model(c: Any, arn: str) -> Callable[[], Any]:
    return lambda: c.get_audience_model(audienceModelArn=arn)


def generation_job(c: Any, arn: str) -> Callable[[], Any]:
    return lambda: c.get_audience_generation_job(audienceGenerationJobArn=arn)


def failed(got: dict[str, Any], code: str, *words: str) -> None:
    """``got`` is CREATE_FAILED with ``statusDetails`` of ``code`` naming ``words``."""
    assert got["status"] == "CREATE_FAILED", got
    details = got["statusDetails"]
    assert details["statusCode"] == code, details
    for word in words:
        assert word in details["message"], details


def trained(c: Any, m: CleanRoomsMLMock | None = None, mode: str = "immediate") -> dict[str, Any]:
    """An audience model on db.events, run to its end."""
    arn = train_on_table(c)
    return finish(m, mode, arn, audience_model(c, arn))


def configured(
    m: CleanRoomsMLMock | None, c: Any, mode: str = "immediate", **overrides: Any
) -> str:
    """A configured audience model on an audience model trained (ACTIVE) on db.events."""
    got = trained(c, m, mode)
    assert got["status"] == "ACTIVE", got
    return configure(c, got["audienceModelArn"], **overrides)


# ---------------------------------------------------------------- use_moto


def test_importing_the_package_never_imports_moto() -> None:
    code = (
        "import sys, boto3, cleanroomsml_mock\n"
        "from cleanroomsml_mock import mock_cleanroomsml\n"
        "with mock_cleanroomsml():\n"
        "    c = boto3.client('cleanroomsml', region_name='us-east-1')\n"
        "    c.list_training_datasets()\n"
        "assert not [n for n in sys.modules if n == 'moto' or n.startswith('moto.')]\n"
        "print('no moto')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "no moto"


@pytest.mark.parametrize("moto_first", [True, False], ids=["moto-outside", "moto-inside"])
def test_none_consults_moto_in_either_nesting_order(moto_first: bool) -> None:
    with beside_moto(moto_first):
        c = client()
        failed(trained(c), "RoleNotFound", ROLE)
        make_inputs()
        assert trained(c)["status"] == "ACTIVE"


def test_none_consults_moto_started_after_the_resource() -> None:
    with mock_cleanroomsml(lifecycle="manual") as m:
        c = client()
        arn = train_on_table(c)
        with moto.mock_aws():
            # read when it would become ACTIVE: moto is active by then, the table is not
            failed(finish(m, "manual", arn, audience_model(c, arn)), "RoleNotFound")


def test_none_without_moto_active_reads_nothing() -> None:
    with moto.mock_aws():
        pass  # moto imported and stopped
    with mock_cleanroomsml():
        assert trained(client())["status"] == "ACTIVE"


@pytest.mark.parametrize("moto_first", [True, False], ids=["moto-outside", "moto-inside"])
def test_false_never_consults_moto(moto_first: bool) -> None:
    with beside_moto(moto_first, use_moto=False):
        c = client()
        got = trained(c)  # no role, no Glue table, no seed in moto
        assert got["status"] == "ACTIVE" and "statusDetails" not in got
        job = start_generation(c, configure(c, got["audienceModelArn"]))
        assert generation_job(c, job)()["status"] == "ACTIVE"
        made = make_trained_model(c)
        assert (
            c.get_trained_model(
                trainedModelArn=made["trainedModelArn"], membershipIdentifier=MEMBERSHIP
            )["status"]
            == "ACTIVE"
        )


def test_true_requires_moto_at_start() -> None:
    handle = mock_cleanroomsml(use_moto=True)
    with pytest.raises(RuntimeError, match="mock_aws"):
        handle.start()
    assert not handle.active
    with moto.mock_aws(), mock_cleanroomsml(use_moto=True):
        failed(trained(client()), "RoleNotFound")


def test_true_refuses_moto_started_inside() -> None:
    with pytest.raises(RuntimeError, match="use_moto=True"):
        with mock_cleanroomsml(use_moto=True), moto.mock_aws():
            pass


def test_use_moto_is_none_true_or_false() -> None:
    with pytest.raises(ValueError, match="use_moto"):
        mock_cleanroomsml(use_moto="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="use_moto"):
        mock_cleanroomsml(use_moto=1)  # type: ignore[arg-type]


# ---------------------------------------------------------------- training data (Glue)


def test_no_database() -> None:
    with beside_moto():
        make_role()
        failed(
            trained(client()),
            "GlueDatabaseNotFound",
            "Glue database db",
            "123456789012",
            REGION,
        )


def test_no_table() -> None:
    with beside_moto():
        make_role()
        make_glue_table(table="other")
        failed(
            trained(client()),
            "GlueTableNotFound",
            "db.events",
        )


def test_missing_column() -> None:
    with beside_moto():
        make_role()
        make_glue_table(columns=["user_id", "item_id"])
        failed(
            trained(client()),
            "GlueColumnNotFound",
            "db.events",
            "event_time",
            "trainingData.1.inputConfig.schema",
        )


def test_columns_match_case_insensitively_and_partition_keys_count() -> None:
    with beside_moto():
        make_role()
        make_glue_table(columns=["USER_ID", "Item_Id"], partition_keys=["event_time"])
        assert trained(client())["status"] == "ACTIVE"


def test_table_is_read_in_the_catalog_the_dataset_names() -> None:
    other = "210987654321"
    with beside_moto():
        make_role()
        with as_account(other):
            make_glue_table()  # in the Data Catalog of another account
        c = client()
        failed(trained(c), "GlueDatabaseNotFound", "catalog 123456789012")
        data = training_data()
        data[0]["inputConfig"]["dataSource"]["glueDataSource"]["catalogId"] = other
        arn = train_on_table(c, data)
        assert c.get_audience_model(audienceModelArn=arn)["status"] == "ACTIVE"


def test_table_is_read_in_the_region_of_the_dataset() -> None:
    with beside_moto():
        make_role()
        glue = boto3.client("glue", region_name="eu-west-1")
        glue.create_database(DatabaseInput={"Name": "db"})
        failed(trained(client()), "GlueDatabaseNotFound", REGION)


def test_training_dataset_role_missing() -> None:
    with beside_moto():
        make_glue_table()
        failed(
            trained(client()),
            "RoleNotFound",
            "Training dataset",
            "roleArn",
            ROLE,
        )


# ---------------------------------------------------------------- seed audience (S3)


def seeded(m: CleanRoomsMLMock | None, uri: str = SEED_S3, **overrides: Any) -> dict[str, Any]:
    """A generation job on the seed at ``uri``, as it ends (immediate mode)."""
    c = client()
    job = start_generation(c, configured(m, c, **overrides), uri)
    return dict(generation_job(c, job)())


def test_seed_succeeds() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=500)
        got = seeded(m)
        assert got["status"] == "ACTIVE" and "statusDetails" not in got


def test_no_seed_object() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=None)
        failed(seeded(m), "S3ObjectNotFound", SEED_S3)


def test_no_seed_bucket() -> None:
    with beside_moto() as m:
        make_inputs()
        failed(seeded(m, "s3://no-such-bucket/seed.jsonl"), "S3BucketNotFound", "no-such-bucket")


def test_empty_prefix() -> None:
    with beside_moto() as m:
        make_inputs()
        failed(seeded(m, "s3://seeds/parts/"), "S3ObjectNotFound", "s3://seeds/parts/")


def test_every_object_under_a_prefix_is_read() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=None)
        upload("s3://seeds/parts/a.jsonl", seed_body(300))
        upload("s3://seeds/parts/b.jsonl", seed_body(300, first=300))
        assert seeded(m, "s3://seeds/parts/")["status"] == "ACTIVE"  # 600 >= 500
        upload("s3://seeds/few/a.jsonl", seed_body(300))
        upload("s3://seeds/few/b.jsonl", seed_body(300))  # the same 300 users again
        failed(
            seeded(m, "s3://seeds/few/"),
            "SeedAudienceTooSmall",
            "300 unique user IDs",
        )


def test_too_few_rows() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=24)
        failed(
            seeded(m, minMatchingSeedSize=25),
            "SeedAudienceTooSmall",
            "24 unique user IDs",
            "at least 25",
        )


def test_twenty_five_rows_are_enough() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=25)
        assert seeded(m, minMatchingSeedSize=25)["status"] == "ACTIVE"


def test_below_min_matching_seed_size() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=499)  # minMatchingSeedSize defaults to 500
        failed(seeded(m), "SeedAudienceTooSmall", "499", "at least 500", "minMatchingSeedSize")


def test_duplicates_count_once() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=None)
        upload(SEED_S3, seed_body(20) * 3)
        failed(seeded(m, minMatchingSeedSize=25), "SeedAudienceTooSmall", "20 unique")


def test_too_many_rows_stops_reading_at_the_500001st_user() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=None)
        # 500,001 unique users, then a line that would fail if it were read
        upload(SEED_S3, seed_body(500_001) + b"not json\n")
        failed(seeded(m), "SeedAudienceTooLarge", "more than 500,000")


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (b"not json", "is not JSON"),
        (b'{"user_id": 7}', 'no "user_id" string'),
        (b'{"id": "u"}', 'no "user_id" string'),
        (b'["u"]', 'no "user_id" string'),
        (b"", "is empty"),
        (b"\xff\xfe", "is not JSON"),
        (b'{"user_id": "\xff"}', "is not JSON (not UTF-8)"),
        (b'{"user_id": ""}', 'no "user_id" string'),
    ],
)
def test_a_line_that_is_not_a_user_row(line: bytes, what: str) -> None:
    with beside_moto() as m:
        make_inputs(seed_users=None)
        upload(SEED_S3, seed_body(10) + line + b"\n" + seed_body(600, first=10))
        failed(seeded(m), "InvalidSeedData", "line 11", SEED_S3, what)


def test_rows_with_escapes_and_spaces_are_json() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=None)
        # "u\u0030" is "u0", already in the seed: 500 unique users, not 501
        body = seed_body(500) + b' { "user_id" : "u\\u0030", "extra": 1 }\r\n'
        upload(SEED_S3, body)
        assert seeded(m)["status"] == "ACTIVE"
        upload("s3://seeds/short.jsonl", seed_body(499) + b'{"user_id": "u\\u0030"}\n')
        failed(seeded(m, "s3://seeds/short.jsonl"), "SeedAudienceTooSmall", "499")


def test_seed_role_missing() -> None:
    with beside_moto() as m:
        make_inputs()
        c = client()
        cam = configured(m, c)
        other = "arn:aws:iam::123456789012:role/not-there"
        job = start_generation(c, cam, role=other)
        failed(dict(generation_job(c, job)()), "RoleNotFound", "seedAudience.roleArn", other)


def test_sql_seed_is_not_read_but_its_role_is() -> None:
    with beside_moto() as m:
        make_inputs(seed_users=None)
        c = client()
        cam = configured(m, c)
        sql = {"sqlParameters": {"queryString": "SELECT user_id FROM t"}}
        job = make_generation_job(c, cam, seedAudience={**sql, "roleArn": ROLE})
        assert generation_job(c, job)()["status"] == "ACTIVE"
        other = "arn:aws:iam::123456789012:role/not-there"
        job = make_generation_job(c, cam, name="j2", seedAudience={**sql, "roleArn": other})
        failed(dict(generation_job(c, job)()), "RoleNotFound", other)


@pytest.mark.parametrize("mode", ["immediate", "progressive"])
def test_cross_account_job_reads_the_starters_seed_once(mode: str) -> None:
    starter = "222222222222"
    with beside_moto(lifecycle=mode) as m:
        make_inputs(seed_users=None)
        with as_account(starter):
            seed_role = make_role()
            make_bucket("starter-seeds")
            upload("s3://starter-seeds/seed.jsonl", seed_body(100))  # below 500
        c = client()
        cam = configured(m, c, mode)
        c.put_configured_audience_model_policy(
            configuredAudienceModelArn=cam,
            configuredAudienceModelPolicy=start_policy(starter, cam),
        )
        theirs = client_for(starter)
        job = start_generation(
            theirs,
            cam,
            "s3://starter-seeds/seed.jsonl",
            role=seed_role,
            collaborationId="22222222-2222-4222-8222-222222222222",
        )
        owner_arn = job.replace(starter, "123456789012")
        # read through the owner's ARN: the one job reads the starter's seed
        got = wait_for(generation_job(c, owner_arn))
        failed(got, "SeedAudienceTooSmall", "s3://starter-seeds/seed.jsonl", "100 unique")
        assert generation_job(theirs, job)()["statusDetails"] == got["statusDetails"]


# ---------------------------------------------------------------- custom models: roles


def test_configured_model_algorithm_role_missing() -> None:
    with beside_moto():
        c = client()
        algorithm = make_algorithm(c)
        made = make_trained_model(c, association=make_association(c, algorithm=algorithm))
        got = c.get_trained_model(
            trainedModelArn=made["trainedModelArn"], membershipIdentifier=MEMBERSHIP
        )
        failed(got, "RoleNotFound", "Configured model algorithm", algorithm, ROLE)


def test_configured_model_algorithm_role_present() -> None:
    with beside_moto():
        make_role()
        c = client()
        made = make_trained_model(c)
        got = c.get_trained_model(
            trainedModelArn=made["trainedModelArn"], membershipIdentifier=MEMBERSHIP
        )
        assert got["status"] == "ACTIVE" and "statusDetails" not in got


# ---------------------------------------------------------------- every lifecycle mode


@pytest.mark.parametrize("mode", MODES)
def test_missing_table_fails_in_every_mode(mode: str) -> None:
    with beside_moto(lifecycle=mode) as m:
        make_role()
        c = client()
        arn = train_on_table(c)
        if mode in ("manual", "timed"):
            assert audience_model(c, arn)()["status"] == "CREATE_PENDING"
        failed(finish(m, mode, arn, audience_model(c, arn)), "GlueDatabaseNotFound")
        # it stays failed: reads, steps and time move it no further
        m.advance(arn)
        m.advance_time(MONTH)
        assert audience_model(c, arn)()["status"] == "CREATE_FAILED"


@pytest.mark.parametrize("mode", MODES)
def test_seeded_generation_succeeds_in_every_mode(mode: str) -> None:
    with beside_moto(lifecycle=mode) as m:
        make_inputs()
        c = client()
        job = start_generation(c, configured(m, c, mode))
        got = finish(m, mode, job, generation_job(c, job))
        assert got["status"] == "ACTIVE" and "statusDetails" not in got


@pytest.mark.parametrize("mode", MODES)
def test_short_seed_fails_in_every_mode(mode: str) -> None:
    with beside_moto(lifecycle=mode) as m:
        make_inputs(seed_users=30)
        c = client()
        job = start_generation(c, configured(m, c, mode))
        failed(finish(m, mode, job, generation_job(c, job)), "SeedAudienceTooSmall", "30")


@pytest.mark.parametrize("mode", MODES)
def test_trained_model_role_in_every_mode(mode: str) -> None:
    with beside_moto(lifecycle=mode) as m:
        c = client()
        channel = make_channel(c)
        m.set_status(channel, "ACTIVE")
        made = make_trained_model(c, channel=channel)
        arn = made["trainedModelArn"]

        def get() -> Any:
            return c.get_trained_model(trainedModelArn=arn, membershipIdentifier=MEMBERSHIP)

        failed(finish(m, mode, arn, get), "RoleNotFound", "Configured model algorithm")


# ---------------------------------------------------------------- forcing ACTIVE


def test_set_status_active_forces_active_without_reading() -> None:
    with beside_moto(lifecycle="manual") as m:
        c = client()  # nothing in moto at all
        arn = train_on_table(c)
        m.set_status(arn, "ACTIVE")
        got = audience_model(c, arn)()
        assert got["status"] == "ACTIVE" and "statusDetails" not in got
        cam = configure(c, arn)
        job = start_generation(c, cam)
        m.set_status(job, "ACTIVE")
        assert generation_job(c, job)()["status"] == "ACTIVE"


# ---------------------------------------------------------------- server mode


def served_client(server: ThreadedServer) -> Any:
    return boto3.client("cleanroomsml", region_name=REGION, endpoint_url=server.endpoint_url)


@pytest.mark.parametrize("use_moto", [None, True])
def test_threaded_server_in_the_process_of_moto_reads_its_inputs(use_moto: bool | None) -> None:
    with moto.mock_aws(), ThreadedServer(use_moto=use_moto) as server:
        c = served_client(server)
        failed(trained(c), "RoleNotFound", ROLE)
        make_inputs()
        assert trained(c)["status"] == "ACTIVE"


def test_threaded_server_serving_a_mock_takes_its_use_moto() -> None:
    with moto.mock_aws(), mock_cleanroomsml(use_moto=False) as m, ThreadedServer(mock=m) as server:
        assert trained(served_client(server))["status"] == "ACTIVE"  # moto not consulted
    with pytest.raises(TypeError, match="use_moto"):
        ThreadedServer(mock=m, use_moto=True)


def test_threaded_server_use_moto_true_without_moto_refuses_to_start() -> None:
    server = ThreadedServer(use_moto=True)
    with pytest.raises(RuntimeError, match=r"ThreadedServer\(use_moto=True\).*mock_aws"):
        server.start()
    with pytest.raises(RuntimeError, match="not running"):
        server.endpoint_url  # noqa: B018
    with pytest.raises(ValueError, match="use_moto"):
        ThreadedServer(use_moto=1)  # type: ignore[arg-type]


def test_serve_use_moto_without_moto_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--use-moto", "--port", "0", "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("cleanroomsml-mock: not starting: --use-moto needs moto's mock_aws")


def test_serve_use_moto_is_accepted_where_moto_is_active(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as holder:  # a busy port: the server stops at listening
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with moto.mock_aws():
            assert main(["serve", "--use-moto", "--port", str(port), "--quiet"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"cannot listen on 127.0.0.1:{port}" in line  # past the --use-moto check


def test_serve_use_moto_in_its_own_process_is_refused() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "cleanroomsml_mock", "serve", "--use-moto", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 2
    assert finished.stdout == ""
    [line] = finished.stderr.splitlines()
    assert "--use-moto" in line and "another process" in line


@pytest.mark.cleanroomsml(use_moto=False)
def test_the_pytest_marker_takes_use_moto(cleanroomsml_mock: CleanRoomsMLMock) -> None:
    with moto.mock_aws():
        assert trained(client())["status"] == "ACTIVE"
