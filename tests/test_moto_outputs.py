"""Outputs written into moto's S3 when a job becomes ACTIVE (docs/moto.md, "Outputs the
mock writes (layout)"): audience exports, trained model exports, inference results; their
layout in both nesting orders and every lifecycle mode, determinism under ``m.seed``, and
the failures (missing bucket, missing role) that end a job in CREATE_FAILED."""

from __future__ import annotations

import csv
import io
import json
import tarfile
from typing import Any

import boto3
import pytest

from cleanroomsml_mock import CleanRoomsMLMock, mock_cleanroomsml

from .builders import (
    ACCOUNT,
    MEMBERSHIP,
    OUTPUT_S3,
    REGION,
    ROLE,
    SEED_S3,
    make_association,
    make_audience_model,
    make_channel,
    make_configured_audience_model,
    make_generation_job,
    make_trained_model,
    privacy,
    start_inference,
)
from .moto_builders import beside_moto, make_bucket, make_glue_table, make_role, upload_seed

moto = pytest.importorskip("moto")

ROLE_NAME = ROLE.rsplit("/", 1)[-1]
OUTPUT_BUCKET = OUTPUT_S3.removeprefix("s3://").split("/")[0]
SEED_BUCKET = SEED_S3.removeprefix("s3://").split("/")[0]
ML_BUCKET = "ml-outputs"
ML_S3 = f"s3://{ML_BUCKET}/results"
MODES = ("immediate", "progressive", "manual", "timed")


# ---------------------------------------------------------------- helpers (moto side)


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def aws_inputs(*, buckets: tuple[str, ...] = (OUTPUT_BUCKET, SEED_BUCKET, ML_BUCKET)) -> None:
    """What the jobs read in moto (docs/moto.md, "Inputs the mock reads"): the role, the
    Glue table of builders.training_data, a seed of 1,000 users; and the buckets."""
    make_role()
    make_glue_table()
    for bucket in buckets:
        make_bucket(bucket)
    if SEED_BUCKET in buckets:
        upload_seed(1000)


def objects_under(uri: str) -> dict[str, bytes]:
    """Every object under ``uri``, by key relative to it."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    listed = s3().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {
        o["Key"][len(prefix) :]: s3().get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
        for o in listed
    }


def bucket_keys(bucket: str) -> list[str]:
    return [o["Key"] for o in s3().list_objects_v2(Bucket=bucket).get("Contents", [])]


# ---------------------------------------------------------------- helpers (Clean Rooms ML)


def client() -> Any:
    return boto3.client("cleanroomsml", region_name=REGION)


def settle(m: CleanRoomsMLMock, arn: str) -> None:
    """A prerequisite forced ACTIVE (outside immediate mode it would still be pending; a
    forced ACTIVE reads no inputs, and changes nothing on a record already ACTIVE)."""
    m.set_status(arn, "ACTIVE")


def generation_job(m: CleanRoomsMLMock, c: Any, *, role: str = ROLE, **configured: Any) -> str:
    audience_model = make_audience_model(c)
    settle(m, audience_model)
    cam = make_configured_audience_model(c, audience_model, role=role, **configured)
    job = make_generation_job(c, cam)
    settle(m, job)
    return job


def export(c: Any, job: str, name: str = "top", value: int = 10000) -> None:
    c.start_audience_export_job(
        name=name, audienceGenerationJobArn=job, audienceSize={"type": "ABSOLUTE", "value": value}
    )


def export_summary(c: Any, job: str, name: str = "top") -> dict[str, Any]:
    jobs = c.list_audience_export_jobs(audienceGenerationJobArn=job)["audienceExportJobs"]
    (found,) = [j for j in jobs if j["name"] == name]
    return dict(found)


def exported_audience(m: CleanRoomsMLMock, **configured: Any) -> tuple[str, dict[str, bytes]]:
    """A lookalike run to an ACTIVE export of 10,000 users; its location and objects."""
    c = client()
    job = generation_job(m, c, **configured)
    export(c, job)
    summary = export_summary(c, job)
    assert summary["status"] == "ACTIVE", summary
    return summary["outputLocation"], objects_under(summary["outputLocation"])


def put_ml_configuration(c: Any, *, role: str = ROLE, uri: str = ML_S3) -> None:
    c.put_ml_configuration(
        membershipIdentifier=MEMBERSHIP,
        defaultOutputLocation={"destination": {"s3Destination": {"s3Uri": uri}}, "roleArn": role},
    )


def model_export(c: Any, files: tuple[str, ...] = ("MODEL",)) -> tuple[dict[str, Any], str]:
    """A trained model (files to export: ``files``) exported to the caller; the model and
    the export job's summary status."""
    association = make_association(
        c,
        privacyConfiguration=privacy(
            trainedModelExports={
                "maxSize": {"unit": "GB", "value": 5.0},
                "filesToExport": list(files),
            }
        ),
    )
    model = make_trained_model(c, association=association, name="churn")
    c.start_trained_model_export_job(
        name="to-me",
        trainedModelArn=model["trainedModelArn"],
        membershipIdentifier=MEMBERSHIP,
        outputConfiguration={"members": [{"accountId": ACCOUNT}]},
    )
    collaboration = c.get_trained_model(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=model["trainedModelArn"]
    )["collaborationIdentifier"]
    model["collaboration"] = collaboration
    return model, collaboration


def export_job_status(c: Any, model: dict[str, Any]) -> dict[str, Any]:
    jobs = c.list_collaboration_trained_model_export_jobs(
        collaborationIdentifier=model["collaboration"], trainedModelArn=model["trainedModelArn"]
    )["collaborationTrainedModelExportJobs"]
    return dict(jobs[0])


# ---------------------------------------------------------------- audience export


@pytest.mark.parametrize("moto_first", [True, False], ids=["moto-first", "mock-first"])
def test_audience_export_layout(moto_first: bool) -> None:
    with beside_moto(moto_first) as m:
        aws_inputs()
        location, objects = exported_audience(m)
        assert location.startswith(OUTPUT_S3)
        assert sorted(objects) == ["_manifest.json", "audience.csv"]
        rows = list(csv.DictReader(io.StringIO(objects["audience.csv"].decode())))
        assert len(rows) == 1000  # capped: 10,000 users were asked for
        assert list(rows[0]) == ["user_id", "score"]
        assert len({row["user_id"] for row in rows}) == 1000
        scores = [float(row["score"]) for row in rows]
        assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] <= 1
        manifest = json.loads(objects["_manifest.json"])
        assert manifest["synthetic"] is True
        assert manifest["audienceSize"] == {"type": "ABSOLUTE", "value": 10000}
        assert manifest["requestedUsers"] == 10000
        assert manifest["rowsWritten"] == 1000
        assert manifest["files"] == ["audience.csv"]
        assert manifest["columns"] == ["user_id", "score"]
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        head = s3().head_object(Bucket=bucket, Key=prefix + "audience.csv")
        assert head["ContentType"] == "text/csv"


def test_small_audience_is_written_whole() -> None:
    with beside_moto() as m:
        aws_inputs()
        c = client()
        job = generation_job(
            m, c, audienceSizeConfig={"audienceSizeType": "ABSOLUTE", "audienceSizeBins": [300]}
        )
        export(c, job, value=300)
        objects = objects_under(export_summary(c, job)["outputLocation"])
        assert objects["audience.csv"].count(b"\n") == 301  # header + every user
        assert json.loads(objects["_manifest.json"])["rowsWritten"] == 300


def test_percentage_audience_gets_the_cap() -> None:
    with beside_moto() as m:
        aws_inputs()
        c = client()
        job = generation_job(
            m, c, audienceSizeConfig={"audienceSizeType": "PERCENTAGE", "audienceSizeBins": [5]}
        )
        c.start_audience_export_job(
            name="five",
            audienceGenerationJobArn=job,
            audienceSize={"type": "PERCENTAGE", "value": 5},
        )
        summary = export_summary(c, job, "five")
        assert summary["outputLocation"].endswith("/five/percentage-5/")
        manifest = json.loads(objects_under(summary["outputLocation"])["_manifest.json"])
        assert manifest["requestedUsers"] is None
        assert manifest["rowsWritten"] == 1000


def drive_export(m: CleanRoomsMLMock, c: Any, job: str, mode: str) -> dict[str, Any]:
    """An export job taken to its end the way each lifecycle mode moves it."""
    export(c, job)
    pseudo = m.audience_export_job_arn(job, "top")
    for _ in range(5):
        summary = export_summary(c, job)  # progressive: every read takes a step
        if summary["status"] in ("ACTIVE", "CREATE_FAILED"):
            return summary
        if mode == "manual":
            m.advance(pseudo)
        elif mode == "timed":
            m.advance_time(24 * 3600)
    raise AssertionError(f"the export job is still {summary['status']}")


@pytest.mark.parametrize("mode", MODES)
def test_audience_export_in_every_lifecycle_mode(mode: str) -> None:
    with beside_moto(lifecycle=mode) as m:
        aws_inputs()
        c = client()
        job = generation_job(m, c)
        if mode != "immediate":
            export(c, job, name="early")  # nothing is written before the job is ACTIVE
            assert bucket_keys(OUTPUT_BUCKET) == []
        summary = drive_export(m, c, job, mode)
        assert summary["status"] == "ACTIVE"
        assert sorted(objects_under(summary["outputLocation"])) == [
            "_manifest.json",
            "audience.csv",
        ]


def test_layout_and_bytes_are_the_same_in_every_mode() -> None:
    seen = set()
    for mode in MODES:
        with beside_moto(lifecycle=mode) as m:
            m.seed(11)
            aws_inputs()
            c = client()
            summary = drive_export(m, c, generation_job(m, c), mode)
            assert summary["status"] == "ACTIVE"
            objects = objects_under(summary["outputLocation"])
            seen.add((summary["outputLocation"], tuple(sorted(objects.items()))))
    assert len(seen) == 1


def test_set_status_active_writes_outputs() -> None:
    with beside_moto(lifecycle="manual") as m:
        aws_inputs()
        c = client()
        job = generation_job(m, c)
        export(c, job)
        assert bucket_keys(OUTPUT_BUCKET) == []
        m.set_status(m.audience_export_job_arn(job, "top"), "ACTIVE")
        summary = export_summary(c, job)
        assert summary["status"] == "ACTIVE"
        assert sorted(objects_under(summary["outputLocation"])) == [
            "_manifest.json",
            "audience.csv",
        ]


def test_set_status_active_skips_what_cannot_be_written() -> None:
    """A forced ACTIVE says the job succeeded: no role is checked, a missing bucket is
    skipped, and the job stays ACTIVE."""
    with beside_moto(lifecycle="manual") as m:
        aws_inputs(buckets=(SEED_BUCKET,))
        c = client()
        missing_role = f"arn:aws:iam::{ACCOUNT}:role/not-there"
        job = generation_job(m, c, role=missing_role)
        export(c, job)
        m.set_status(m.audience_export_job_arn(job, "top"), "ACTIVE")
        assert export_summary(c, job)["status"] == "ACTIVE"
        s3().create_bucket(Bucket=OUTPUT_BUCKET)
        export(c, job, name="second")
        m.set_status(m.audience_export_job_arn(job, "second"), "ACTIVE")
        assert any(
            key.endswith("/second/absolute-10000/audience.csv")
            for key in bucket_keys(OUTPUT_BUCKET)
        )


def test_use_moto_false_writes_nothing() -> None:
    with beside_moto(use_moto=False) as m:
        aws_inputs()
        c = client()
        job = generation_job(m, c)
        export(c, job)
        assert export_summary(c, job)["status"] == "ACTIVE"
        assert bucket_keys(OUTPUT_BUCKET) == []


def test_without_moto_nothing_is_consulted() -> None:
    with mock_cleanroomsml() as m:
        c = client()
        job = generation_job(m, c)
        export(c, job)
        assert export_summary(c, job)["status"] == "ACTIVE"


def seeded_export(seed: int) -> tuple[str, dict[str, bytes]]:
    with beside_moto() as m:
        m.seed(seed)
        aws_inputs()
        return exported_audience(m)


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first, second, other = seeded_export(3), seeded_export(3), seeded_export(4)
    assert first == second
    assert other[0] != first[0]
    assert other[1]["audience.csv"] != first[1]["audience.csv"]


def test_missing_output_bucket_fails_the_export() -> None:
    with beside_moto() as m:
        aws_inputs(buckets=(SEED_BUCKET,))
        c = client()
        job = generation_job(m, c)
        export(c, job)
        summary = export_summary(c, job)
        assert summary["status"] == "CREATE_FAILED"
        assert "outputLocation" not in summary
        assert summary["statusDetails"]["statusCode"] == "S3BucketNotFound"
        assert OUTPUT_BUCKET in summary["statusDetails"]["message"]


def test_missing_output_role_fails_the_export() -> None:
    with beside_moto() as m:
        aws_inputs()
        c = client()
        missing_role = f"arn:aws:iam::{ACCOUNT}:role/not-there"
        job = generation_job(m, c, role=missing_role)
        export(c, job)
        summary = export_summary(c, job)
        assert summary["status"] == "CREATE_FAILED"
        assert summary["statusDetails"]["statusCode"] == "RoleNotFound"
        assert missing_role in summary["statusDetails"]["message"]
        assert "outputConfig.roleArn" in summary["statusDetails"]["message"]
        assert bucket_keys(OUTPUT_BUCKET) == []


# ---------------------------------------------------------------- trained model export


@pytest.mark.parametrize("moto_first", [True, False], ids=["moto-first", "mock-first"])
def test_trained_model_export_layout(moto_first: bool) -> None:
    with beside_moto(moto_first):
        aws_inputs()
        c = client()
        put_ml_configuration(c)
        model, collaboration = model_export(c, files=("OUTPUT", "MODEL"))
        assert export_job_status(c, model)["status"] == "ACTIVE"
        location = f"{ML_S3}/{collaboration}/churn/{ACCOUNT}/to-me/"
        objects = objects_under(location)
        assert sorted(objects) == ["model.tar.gz", "output.tar.gz"]
        with tarfile.open(fileobj=io.BytesIO(objects["model.tar.gz"]), mode="r:gz") as archive:
            assert archive.getnames() == ["model.json"]
            member = archive.getmember("model.json")
            assert member.mtime == 0
            body = archive.extractfile(member)
            assert body is not None
            described = json.loads(body.read())
        assert described["synthetic"] is True
        assert described["trainedModelArn"] == model["trainedModelArn"]
        with tarfile.open(fileobj=io.BytesIO(objects["output.tar.gz"]), mode="r:gz") as archive:
            assert archive.getnames() == ["output.json"]


def test_trained_model_export_writes_only_the_files_the_policy_names() -> None:
    with beside_moto():
        aws_inputs()
        c = client()
        put_ml_configuration(c)
        _, collaboration = model_export(c, files=("MODEL",))
        location = f"{ML_S3}/{collaboration}/churn/{ACCOUNT}/to-me/"
        assert sorted(objects_under(location)) == ["model.tar.gz"]


def test_trained_model_export_is_deterministic() -> None:
    archives = []
    for seed in (5, 5, 6):
        with beside_moto() as m:
            m.seed(seed)
            aws_inputs()
            c = client()
            put_ml_configuration(c)
            model_export(c)
            (key,) = bucket_keys(ML_BUCKET)
            archives.append(s3().get_object(Bucket=ML_BUCKET, Key=key)["Body"].read())
    assert archives[0] == archives[1] != archives[2]


def test_trained_model_export_fails_without_bucket_or_role() -> None:
    with beside_moto():
        aws_inputs(buckets=(SEED_BUCKET,))
        c = client()
        put_ml_configuration(c)
        model, _ = model_export(c)
        status = export_job_status(c, model)
        assert status["status"] == "CREATE_FAILED"
        assert status["statusDetails"]["statusCode"] == "S3BucketNotFound"
        assert ML_BUCKET in status["statusDetails"]["message"]
    with beside_moto():
        aws_inputs()
        c = client()
        missing_role = f"arn:aws:iam::{ACCOUNT}:role/not-there"
        put_ml_configuration(c, role=missing_role)
        model, _ = model_export(c)
        status = export_job_status(c, model)
        assert status["status"] == "CREATE_FAILED"
        assert status["statusDetails"]["statusCode"] == "RoleNotFound"
        assert missing_role in status["statusDetails"]["message"]
        assert bucket_keys(ML_BUCKET) == []


# ---------------------------------------------------------------- inference


def inference(c: Any, **output: Any) -> tuple[str, str]:
    """An inference job on a fresh trained model ("churn"); its ARN and its location."""
    model = make_trained_model(c, name="churn")
    arn = start_inference(
        c,
        model,
        name="scores",
        outputConfiguration={"members": [{"accountId": ACCOUNT}], **output},
    )
    collaboration = c.get_trained_model(
        membershipIdentifier=MEMBERSHIP, trainedModelArn=model["trainedModelArn"]
    )["collaborationIdentifier"]
    return arn, f"{ML_S3}/{collaboration}/churn/{ACCOUNT}/scores/"


def inference_job(c: Any, arn: str) -> dict[str, Any]:
    return dict(
        c.get_trained_model_inference_job(
            membershipIdentifier=MEMBERSHIP, trainedModelInferenceJobArn=arn
        )
    )


@pytest.mark.parametrize("moto_first", [True, False], ids=["moto-first", "mock-first"])
def test_inference_results_layout(moto_first: bool) -> None:
    with beside_moto(moto_first):
        aws_inputs()
        c = client()
        put_ml_configuration(c)
        arn, location = inference(c, accept="text/csv")
        assert inference_job(c, arn)["status"] == "ACTIVE"
        objects = objects_under(location)
        assert sorted(objects) == ["_manifest.json", "results.out"]
        lines = objects["results.out"].decode().splitlines()
        assert len(lines) == 1000  # the channel's 10,000 records, capped
        assert all(0 <= float(line) <= 1 for line in lines)
        assert objects["results.out"].endswith(b"\n")
        manifest = json.loads(objects["_manifest.json"])
        assert manifest["inputRecords"] == 10000
        assert manifest["recordsWritten"] == 1000
        assert manifest["accept"] == "text/csv"
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        assert s3().head_object(Bucket=bucket, Key=prefix + "results.out")["ContentType"] == (
            "text/csv"
        )


def test_inference_results_in_json_lines() -> None:
    with beside_moto():
        aws_inputs()
        c = client()
        put_ml_configuration(c)
        _, location = inference(c, accept="application/jsonlines")
        lines = objects_under(location)["results.out"].decode().splitlines()
        assert set(json.loads(lines[0])) == {"score"}


@pytest.mark.parametrize("mode", MODES)
def test_inference_results_in_every_lifecycle_mode(mode: str) -> None:
    with beside_moto(lifecycle=mode) as m:
        aws_inputs()
        c = client()
        put_ml_configuration(c)
        association = make_association(c)
        channel = make_channel(c, association=association)
        settle(m, channel)
        model = make_trained_model(c, association=association, channel=channel, name="churn")
        settle(m, model["trainedModelArn"])
        arn = start_inference(
            c, model, name="scores", outputConfiguration={"members": [{"accountId": ACCOUNT}]}
        )
        status = inference_job(c, arn)["status"]
        while status != "ACTIVE":
            if mode == "manual":
                m.advance(arn)
            elif mode == "timed":
                m.advance_time(24 * 3600)
            status = inference_job(c, arn)["status"]
        keys = bucket_keys(ML_BUCKET)
        assert sorted(key.rsplit("/", 1)[-1] for key in keys) == ["_manifest.json", "results.out"]
        assert all("/churn/" in key and key.split("/")[-2] == "scores" for key in keys)


def test_inference_fails_without_ml_configuration_bucket_or_role() -> None:
    with beside_moto():
        aws_inputs()
        c = client()
        arn, _ = inference(c)
        details = inference_job(c, arn)
        assert details["status"] == "CREATE_FAILED"
        assert details["statusDetails"]["statusCode"] == "MLConfigurationNotFound"
        assert ACCOUNT in details["statusDetails"]["message"]
    with beside_moto():
        aws_inputs(buckets=(SEED_BUCKET,))
        c = client()
        put_ml_configuration(c)
        arn, _ = inference(c)
        details = inference_job(c, arn)
        assert details["status"] == "CREATE_FAILED"
        assert details["statusDetails"]["statusCode"] == "S3BucketNotFound"
    with beside_moto():
        aws_inputs()
        c = client()
        put_ml_configuration(c, role=f"arn:aws:iam::{ACCOUNT}:role/not-there")
        arn, _ = inference(c)
        details = inference_job(c, arn)
        assert details["status"] == "CREATE_FAILED"
        assert details["statusDetails"]["statusCode"] == "RoleNotFound"
        assert bucket_keys(ML_BUCKET) == []
