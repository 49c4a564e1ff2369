"""An audience export of 20,000,000 users under moto's ``mock_aws``: the mock's work when
the export job becomes ACTIVE (checking the output role and bucket, building the capped
sample and its manifest, writing them into moto's S3), and the bytes it writes.

    python benchmarks/bench_moto_export.py [--quick] [--repeats N]

The mock runs in ``manual`` lifecycle beside ``mock_aws``. Each repeat starts an export
job of 20,000,000 users (ABSOLUTE) on one ACTIVE generation job, takes it to
CREATE_IN_PROGRESS with ``m.advance``, then times the last ``m.advance``: the step that
ends in ACTIVE, where the outputs are written (no botocore on the timed path). The same
step with ``use_moto=False`` (nothing checked or written) is timed for comparison; the
difference is the cost of the outputs. Bytes: the sizes of the objects under the export's
``outputLocation``, read back through boto3's S3 client.

Target (issue 13, "Outputs"): well under a second of mock work, a bounded number of bytes
(docs/moto.md, "What is synthetic": 1,000 rows and a manifest). Printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as common

USERS = 20_000_000
BUCKET = "bench-audiences"


def make_inputs() -> None:
    """The role, the Glue table and the buckets the lookalike jobs read and write."""
    import boto3

    boto3.client("iam", region_name=common.REGION).create_role(
        RoleName=common.ROLE.rsplit("/", 1)[1], AssumeRolePolicyDocument=json.dumps({})
    )
    glue = boto3.client("glue", region_name=common.REGION)
    glue.create_database(DatabaseInput={"Name": "db"})
    columns = [{"Name": c, "Type": "string"} for c in ("user_id", "item_id", "ts")]
    glue.create_table(
        DatabaseName="db", TableInput={"Name": "t", "StorageDescriptor": {"Columns": columns}}
    )
    s3 = boto3.client("s3", region_name=common.REGION)
    for bucket in (BUCKET, "bench-seeds"):
        s3.create_bucket(Bucket=bucket)
    seed = b"".join(b'{"user_id": "u%d"}\n' % i for i in range(1000))
    s3.put_object(Bucket="bench-seeds", Key="seed.jsonl", Body=seed)


def generation_job(m: Any, c: Any) -> str:
    """An ACTIVE generation job whose configured audience model offers 20,000,000 users."""
    set_status = m.set_status
    dataset = common.make_training_dataset(c)
    model = common.make_audience_model(c, dataset)
    set_status(model, "ACTIVE")
    configured = c.create_configured_audience_model(
        name=common.unique("cam"),
        audienceModelArn=model,
        outputConfig={
            "destination": {"s3Destination": {"s3Uri": f"s3://{BUCKET}/lookalike/"}},
            "roleArn": common.ROLE,
        },
        sharedAudienceMetrics=["ALL"],
        audienceSizeConfig={"audienceSizeType": "ABSOLUTE", "audienceSizeBins": [USERS]},
    )["configuredAudienceModelArn"]
    job: str = c.start_audience_generation_job(
        name=common.unique("job"),
        configuredAudienceModelArn=configured,
        seedAudience={
            "dataSource": {"s3Uri": "s3://bench-seeds/seed.jsonl"},
            "roleArn": common.ROLE,
        },
    )["audienceGenerationJobArn"]
    set_status(job, "ACTIVE")
    return job


def measure(use_moto: bool, repeats: int) -> tuple[list[float], list[int]]:
    """Seconds of the ACTIVE step of each export, and the bytes each wrote."""
    import boto3
    from moto import mock_aws

    from cleanroomsml_mock import mock_cleanroomsml

    seconds: list[float] = []
    written: list[int] = []
    with mock_aws(), mock_cleanroomsml(lifecycle="manual", use_moto=use_moto) as m:
        make_inputs()
        c = common.client()
        s3 = boto3.client("s3", region_name=common.REGION)
        job = generation_job(m, c)
        for i in range(repeats):
            name = f"export-{i}"
            c.start_audience_export_job(
                name=name,
                audienceGenerationJobArn=job,
                audienceSize={"type": "ABSOLUTE", "value": USERS},
            )
            pseudo = m.audience_export_job_arn(job, name)
            m.advance(pseudo)  # CREATE_PENDING -> CREATE_IN_PROGRESS
            start = time.perf_counter()
            m.advance(pseudo)  # -> ACTIVE: the outputs are written here
            seconds.append(time.perf_counter() - start)
            export = next(
                e
                for e in c.list_audience_export_jobs(audienceGenerationJobArn=job)[
                    "audienceExportJobs"
                ]
                if e["name"] == name
            )
            if export["status"] != "ACTIVE":  # printed, not asserted: the figure is void
                print(f"export {name} is {export['status']}: {export.get('statusDetails')}")
                continue
            prefix = export["outputLocation"].removeprefix(f"s3://{BUCKET}/")
            listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
            written.append(sum(o["Size"] for o in listed))
    return seconds, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 20")
    parser.add_argument("--repeats", type=int, default=None, help="exports timed per run")
    args = parser.parse_args()
    repeats = args.repeats or (3 if args.quick else 20)
    repeats = min(repeats, 20)  # the service's 20 pending exports per account, 25 per job
    with_moto, written = measure(True, repeats)
    without, _ = measure(False, repeats)
    best, median = common.best_median(with_moto)
    base_best, base_median = common.best_median(without)
    common.report(
        f"ACTIVE step of a {USERS:,}-user export, writing to moto",
        f"best {best * 1e3:.2f} ms, median {median * 1e3:.2f} ms",
        "well under 1 s",
        median < 1.0,
    )
    common.report(
        "the same step with use_moto=False (nothing written)",
        f"best {base_best * 1e3:.2f} ms, median {base_median * 1e3:.2f} ms",
        "-",
        None,
    )
    common.report(
        "outputs' share of the step",
        f"{(median - base_median) * 1e3:.2f} ms (median - median)",
        "-",
        None,
    )
    common.report(
        "bytes written per export (audience.csv + _manifest.json)",
        f"{max(written):,} B (min {min(written):,})",
        "bounded (1,000 rows)",
        max(written) < 64 * 1024,
    )
    common.summary()


if __name__ == "__main__":
    main()
