"""What a job writes into moto's S3 when it becomes ``ACTIVE``: the files (synthetic,
bounded, deterministic) and how they are written or make the job fail (docs/moto.md,
"Outputs the mock writes (layout)" and "What is synthetic").

The content of every file is drawn from a ``random.Random`` seeded with the job's own key
(its ARN, or the key the mock files it under), never from global random state: the same
job writes the same bytes, and since ``m.seed(n)`` makes the ids repeatable, the same
test writes the same bytes run after run. Sizes are capped: an export of 20,000,000 users
writes a sample of ``AUDIENCE_ROW_CAP`` rows and a manifest stating what was asked for.

Nothing here knows moto: the writes go through ``MotoLink`` (moto_link.py).
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from .moto_link import MissingInput, split_s3_uri
from .records import Host, Record

WRITER = "cleanroomsml-mock"
# at most this many audience rows, whatever the size asked for (docs/moto.md)
AUDIENCE_ROW_CAP = 1_000
# at most this many inference result records, whatever the input channel holds
INFERENCE_RECORD_CAP = 1_000
AUDIENCE_FILE = "audience.csv"
AUDIENCE_COLUMNS = ("user_id", "score")
MANIFEST_FILE = "_manifest.json"  # a leading "_": Glue crawlers, Athena and Spark skip it
INFERENCE_FILE = "results.out"
DEFAULT_ACCEPT = "text/csv"
# an exported model's files, by the trainedModelExports policy's filesToExport value
ARCHIVES = {"MODEL": "model.tar.gz", "OUTPUT": "output.tar.gz"}
ARCHIVE_MTIME = 0  # every member of an archive, and the gzip header: same bytes every time


class OutputFile(NamedTuple):
    name: str  # the key under the destination's prefix
    body: bytes
    content_type: str


class Destination(NamedTuple):
    """Where a job writes: an S3 prefix, the role the service writes it with (checked in
    moto's IAM), and the files (built only once the destination is known to be usable)."""

    uri: str
    role_arn: str | None
    role_field: str  # how a missing role is named in statusDetails
    files: Callable[[], list[OutputFile]]


def rng_for(key: str) -> random.Random:
    """The generator of one job's content (a string seed: the same on every platform and
    Python run, unlike ``hash``)."""
    return random.Random(f"{WRITER} outputs {key}")


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def _scores(rng: random.Random, count: int) -> list[float]:
    """``count`` scores in (0, 1], highest first, rounded to 6 places."""
    return sorted((round(1 - rng.random(), 6) for _ in range(count)), reverse=True)


# ---------------------------------------------------------------- audience export


def audience_files(
    key: str,
    *,
    generation_job_arn: str,
    name: str,
    audience_size: dict[str, Any],
    include_seed: bool,
) -> list[OutputFile]:
    """An exported audience: ``audience.csv`` (header ``user_id,score``, best match
    first, at most ``AUDIENCE_ROW_CAP`` rows) and ``_manifest.json``. An ABSOLUTE size asks
    for that many users; a PERCENTAGE one for a share of a population the mock does not
    have, so it gets the cap."""
    size_type, value = audience_size["type"], int(audience_size["value"])
    requested = value if size_type == "ABSOLUTE" else None
    rows = min(requested, AUDIENCE_ROW_CAP) if requested is not None else AUDIENCE_ROW_CAP
    rng = rng_for(key)
    users = rng.sample(range(2**62), rows)  # distinct ids, without building the range
    scores = _scores(rng, rows)
    lines = [",".join(AUDIENCE_COLUMNS)]
    lines += [f"{user:016x},{score:.6f}" for user, score in zip(users, scores, strict=True)]
    manifest = {
        "synthetic": True,
        "writer": WRITER,
        "audienceGenerationJobArn": generation_job_arn,
        "audienceExportJobName": name,
        "audienceSize": {"type": size_type, "value": value},
        "requestedUsers": requested,
        "rowsWritten": rows,
        "rowCap": AUDIENCE_ROW_CAP,
        "includeSeedInOutput": include_seed,
        "files": [AUDIENCE_FILE],
        "columns": list(AUDIENCE_COLUMNS),
        "contentType": "text/csv",
    }
    return [
        OutputFile(AUDIENCE_FILE, ("\n".join(lines) + "\n").encode(), "text/csv"),
        OutputFile(MANIFEST_FILE, _json(manifest), "application/json"),
    ]


# ---------------------------------------------------------------- trained model export


def tar_gz(members: Iterable[tuple[str, bytes]]) -> bytes:
    """A gzip-compressed tar archive of ``members`` (name, bytes), built in memory, the
    same bytes every time: fixed mtimes, owners and modes, no name in the gzip header."""
    import gzip  # imported when an archive is written, not with the mock
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, body in members:
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mtime = ARCHIVE_MTIME
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            archive.addfile(info, io.BytesIO(body))
    return gzip.compress(buffer.getvalue(), mtime=ARCHIVE_MTIME)


def model_files(
    key: str,
    *,
    trained_model_arn: str,
    version_id: str | None,
    files_to_export: Iterable[str],
) -> list[OutputFile]:
    """The exported artifacts: ``model.tar.gz`` (MODEL: what the training container left
    in /opt/ml/model, here ``model.json``) and ``output.tar.gz`` (OUTPUT: /opt/ml/output/
    data, here ``output.json``), each as the policy's ``filesToExport`` asks."""
    rng = rng_for(key)
    about = {
        "synthetic": True,
        "writer": WRITER,
        "trainedModelArn": trained_model_arn,
        "trainedModelVersionIdentifier": version_id,
    }
    contents = {
        "MODEL": (
            "model.json",
            {**about, "weights": [round(rng.uniform(-1, 1), 6) for _ in range(8)]},
        ),
        "OUTPUT": (
            "output.json",
            {**about, "metrics": {"loss": round(rng.uniform(0.05, 0.5), 6)}},
        ),
    }
    out = []
    for wanted in ("MODEL", "OUTPUT"):  # the same order whatever the policy's order
        if wanted in files_to_export:
            member, body = contents[wanted]
            archive = tar_gz([(member, _json(body))])
            out.append(OutputFile(ARCHIVES[wanted], archive, "application/gzip"))
    return out


# ---------------------------------------------------------------- inference


def inference_files(
    key: str, *, job_arn: str, accept: str | None, input_records: int | None
) -> list[OutputFile]:
    """Inference results: ``results.out``, one line per input record (Clean Rooms ML adds a
    newline after every transformed record), at most ``INFERENCE_RECORD_CAP``, in the
    ``accept`` type: JSON Lines (``{"score": s}``) when it names JSON, else CSV (``s``);
    and ``_manifest.json``."""
    content_type = accept or DEFAULT_ACCEPT
    records = (
        min(input_records, INFERENCE_RECORD_CAP)
        if input_records is not None
        else INFERENCE_RECORD_CAP
    )
    rng = rng_for(key)
    scores = [round(rng.random(), 6) for _ in range(records)]
    as_json = "json" in content_type.lower()
    lines = [json.dumps({"score": s}) if as_json else f"{s:.6f}" for s in scores]
    manifest = {
        "synthetic": True,
        "writer": WRITER,
        "trainedModelInferenceJobArn": job_arn,
        "accept": content_type,
        "inputRecords": input_records,
        "recordsWritten": records,
        "recordCap": INFERENCE_RECORD_CAP,
        "files": [INFERENCE_FILE],
    }
    return [
        OutputFile(INFERENCE_FILE, "".join(line + "\n" for line in lines).encode(), content_type),
        OutputFile(MANIFEST_FILE, _json(manifest), "application/json"),
    ]


# ---------------------------------------------------------------- writing


def prefix_of(uri: str) -> tuple[str, str]:
    """(bucket, key prefix ending in "/" or empty) of an S3 location."""
    bucket, key = split_s3_uri(uri)
    return bucket, (key.rstrip("/") + "/") if key.strip("/") else ""


def write(
    record: Record,
    host: Host,
    account_id: str,
    destinations: list[Destination | MissingInput],
    *,
    forced: bool,
) -> None:
    """Write ``record``'s outputs into moto's S3, when the mock consults moto.

    By its lifecycle (``forced`` False) every destination is checked first (its role in
    moto's IAM, its bucket; a ``MissingInput`` in ``destinations`` is a destination that
    cannot even be named): the first problem fails the job with ``statusDetails`` naming
    it, and nothing is written. Under ``m.set_status(..., "ACTIVE")`` (``forced``) the test
    says the job succeeded: roles are not checked, and each destination whose bucket
    exists is written; the others are skipped (docs/moto.md)."""
    link = host.moto()
    if link is None:
        return
    usable: list[Destination] = []
    for destination in destinations:
        try:
            if isinstance(destination, MissingInput):
                raise destination
            if not forced and destination.role_arn:
                link.check_role(destination.role_arn, destination.role_field)
            link.check_bucket(account_id, prefix_of(destination.uri)[0])
        except MissingInput as missing:
            if forced:
                continue
            record.fail(host, missing.status_details)
            return
        usable.append(destination)
    for destination in usable:
        bucket, prefix = prefix_of(destination.uri)
        for file in destination.files():
            link.put_object(account_id, bucket, prefix + file.name, file.body, file.content_type)
