"""What the benchmark scripts share: fake credentials, valid inputs, the canned-bytes floor
client, the capture of the bytes the mock sends, builders for each resource family, and the
printing of figures beside their targets.

Only the public surface of cleanroomsml-mock is used here (boto3 clients while
``mock_cleanroomsml`` is active, the handle's ``calls``/``reset``/``save_state``/
``load_state``), so the benchmarks keep working when the package's internals move.
Importing this module does not import cleanroomsml_mock (the floor must run without it).
"""

from __future__ import annotations

import itertools
import os
import re
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3
from botocore.awsrequest import AWSResponse

ACCOUNT = "123456789012"  # the mock's default account: callers whose key is not 12 digits
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bench"
DATA = [
    {
        "type": "INTERACTIONS",
        "inputConfig": {
            "schema": [
                {"columnName": "user_id", "columnTypes": ["USER_ID"]},
                {"columnName": "item_id", "columnTypes": ["ITEM_ID"]},
                {"columnName": "ts", "columnTypes": ["TIMESTAMP"]},
            ],
            "dataSource": {"glueDataSource": {"databaseName": "db", "tableName": "t"}},
        },
    }
]
MEMBERSHIP = "11111111-1111-4111-8111-111111111111"  # any id will do without strict memberships
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/train:latest"
INFERENCE_IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/infer:latest"

# Quotas raised where a benchmark stores more of a kind than the service allows by default
# (names as in the service's quota list; ``mock_cleanroomsml(quotas=...)``). In the default
# ``immediate`` lifecycle nothing stays pending, so the pending-job quotas never bite.
RAISED_QUOTAS = {
    "Active ML input channels per membership": 1e9,  # default 100
    "Active configured model algorithm associations per membership": 1e9,  # default 1000
    "Active configured model algorithms per account": 1e9,  # default 1000
}


def client() -> Any:
    return boto3.client("cleanroomsml", region_name=REGION)


# ---------------------------------------------------------------- printing


results: list[tuple[str, str, str, bool | None]] = []


def report(name: str, value: str, target: str, ok: bool | None) -> None:
    results.append((name, value, target, ok))
    mark = "" if ok is None else ("ok" if ok else "MISSED")
    print(f"{name:<58} {value:>24}   {target:<12} {mark}", flush=True)


def summary() -> None:
    checked = [r for r in results if r[3] is not None]
    missed = [r[0] for r in checked if r[3] is False]
    if not missed:
        print(f"all {len(checked)} targets met", flush=True)
    elif len(missed) <= 3:
        print(f"missed {len(missed)} of {len(checked)} targets: {'; '.join(missed)}", flush=True)
    else:
        print(f"missed {len(missed)} of {len(checked)} targets (MISSED above)", flush=True)


def best_median(values: Sequence[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


# ---------------------------------------------------------------- instruction counts

VALGRIND_MISSING = (
    "valgrind not found: skipped. valgrind is a Debian package: apt-get install valgrind"
)


def callgrind(script: str, args: Sequence[str], out: str) -> int:
    """The instructions ``python script *args`` executes under valgrind's callgrind (its
    profile written to ``out``); PYTHONHASHSEED=0 keeps the count repeatable."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(
        [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, os.path.abspath(script), *args,
        ],
        check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with open(out) as f:
        for line in f:
            found = re.match(r"(?:summary|totals):\s*(\d+)", line)
            if found:
                return int(found.group(1))
    raise RuntimeError(f"no instruction total in {out}")


# ---------------------------------------------------------------- the floor


class RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body

    def read(self, *_: Any) -> bytes:
        return self._body


def floor_client(
    operation: str, status: int, body: bytes, headers: dict[str, str] | None = None
) -> Any:
    """A plain client whose ``before-send`` for ``operation`` answers with canned bytes:
    the whole botocore pipeline (validation, serialisation, signing, parsing), no service.
    Use it while no mock is active (see ``canned_client``)."""
    return canned_client({operation: (status, headers, body)})


def canned_client(answers: dict[str, tuple[int, dict[str, str] | None, bytes]]) -> Any:
    """A plain client answering each operation named in ``answers`` with its canned
    ``(status, headers, body)``. Use it while no mock is active (or in a process that never
    imports cleanroomsml_mock): an active mock's ``before-send`` handler answers first."""
    c = client()
    for operation, (status, headers, body) in answers.items():
        head = dict(headers or {"Content-Type": "application/json"})

        def canned(
            request: Any, _status: int = status, _head: dict[str, str] = head,
            _body: bytes = body, **_: Any,
        ) -> AWSResponse:  # fmt: skip
            return AWSResponse(request.url, _status, _head, RawBody(_body))

        c.meta.events.register(f"before-send.cleanroomsml.{operation}", canned)
    return c


def served_body(m: Any) -> bytes:
    """The body of the last answer, re-encoded from ``m.calls.last.response``."""
    import json

    return json.dumps(m.calls.last.response, separators=(",", ":")).encode()


class WireCapture:
    """The status, headers and body of the last answer a client received, as botocore
    saw them before parsing (the ``before-parse`` event): the exact bytes the mock sent."""

    def __init__(self, c: Any) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        c.meta.events.register("before-parse.cleanroomsml", self._keep)

    def _keep(self, response_dict: Any = None, **_: Any) -> None:
        self.status = response_dict["status_code"]
        self.headers = dict(response_dict["headers"])
        self.body = bytes(response_dict["body"])

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "headers": self.headers, "body": self.body.decode()}


# ---------------------------------------------------------------- families


_names = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def make_training_dataset(c: Any) -> str:
    return str(
        c.create_training_dataset(name=unique("td"), roleArn=ROLE, trainingData=DATA)[
            "trainingDatasetArn"
        ]
    )


def make_audience_model(c: Any, training_dataset: str) -> str:
    return str(
        c.create_audience_model(name=unique("am"), trainingDatasetArn=training_dataset)[
            "audienceModelArn"
        ]
    )


def make_configured_audience_model(c: Any, audience_model: str) -> str:
    return str(
        c.create_configured_audience_model(
            name=unique("cam"),
            audienceModelArn=audience_model,
            outputConfig={
                "destination": {"s3Destination": {"s3Uri": "s3://audiences/out/"}},
                "roleArn": ROLE,
            },
            sharedAudienceMetrics=["ALL"],
            audienceSizeConfig={
                "audienceSizeType": "ABSOLUTE",
                "audienceSizeBins": [1000, 5000, 10000],
            },
        )["configuredAudienceModelArn"]
    )


def start_generation_job(c: Any, configured_audience_model: str) -> str:
    return str(
        c.start_audience_generation_job(
            name=unique("job"),
            configuredAudienceModelArn=configured_audience_model,
            seedAudience={"dataSource": {"s3Uri": "s3://seeds/seed.jsonl"}, "roleArn": ROLE},
        )["audienceGenerationJobArn"]
    )


def make_algorithm(c: Any) -> str:
    return str(
        c.create_configured_model_algorithm(
            name=unique("algorithm"),
            roleArn=ROLE,
            trainingContainerConfig={"imageUri": IMAGE, "entrypoint": ["python", "train.py"]},
            inferenceContainerConfig={"imageUri": INFERENCE_IMAGE},
        )["configuredModelAlgorithmArn"]
    )


PRIVACY = {
    "policies": {
        "trainedModels": {"containerMetrics": {"noiseLevel": "LOW"}},
        "trainedModelExports": {
            "maxSize": {"unit": "GB", "value": 5.0},
            "filesToExport": ["MODEL"],
        },
    }
}


def make_association(c: Any, algorithm: str, membership: str = MEMBERSHIP) -> str:
    return str(
        c.create_configured_model_algorithm_association(
            membershipIdentifier=membership,
            configuredModelAlgorithmArn=algorithm,
            name=unique("association"),
            privacyConfiguration=PRIVACY,
        )["configuredModelAlgorithmAssociationArn"]
    )


def make_channel(c: Any, association: str, membership: str = MEMBERSHIP) -> str:
    return str(
        c.create_ml_input_channel(
            membershipIdentifier=membership,
            configuredModelAlgorithmAssociations=[association],
            inputChannel={
                "dataSource": {
                    "protectedQueryInputParameters": {
                        "sqlParameters": {"queryString": "SELECT * FROM t"}
                    }
                },
                "roleArn": ROLE,
            },
            name=unique("channel"),
            retentionInDays=7,
        )["mlInputChannelArn"]
    )


def make_trained_model(c: Any, association: str, channel: str, membership: str = MEMBERSHIP) -> str:
    return str(
        c.create_trained_model(
            membershipIdentifier=membership,
            name=unique("model"),
            configuredModelAlgorithmAssociationArn=association,
            resourceConfig={
                "instanceType": "ml.m5.xlarge",
                "instanceCount": 1,
                "volumeSizeInGB": 10,
            },
            dataChannels=[{"mlInputChannelArn": channel, "channelName": "train"}],
        )["trainedModelArn"]
    )


def start_inference_job(
    c: Any, trained_model: str, channel: str, membership: str = MEMBERSHIP
) -> str:
    return str(
        c.start_trained_model_inference_job(
            membershipIdentifier=membership,
            name=unique("inference"),
            trainedModelArn=trained_model,
            resourceConfig={"instanceType": "ml.m5.xlarge", "instanceCount": 1},
            outputConfiguration={"members": [{"accountId": ACCOUNT}]},
            dataSource={"mlInputChannelArn": channel},
        )["trainedModelInferenceJobArn"]
    )


@dataclass
class Family:
    """One kind of resource: how to make its parents, one more of it, and a page of it."""

    name: str
    create_op: str
    list_op: str
    parents: Callable[[Any], dict[str, str]]
    create: Callable[[Any, dict[str, str]], str]
    list_page: Callable[[Any, dict[str, str], int], Any]


def _trained_model_parents(c: Any) -> dict[str, str]:
    association = make_association(c, make_algorithm(c))
    return {"association": association, "channel": make_channel(c, association)}


def _inference_parents(c: Any) -> dict[str, str]:
    parents = _trained_model_parents(c)
    parents["model"] = make_trained_model(c, parents["association"], parents["channel"])
    return parents


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family(
            "training-datasets",
            "CreateTrainingDataset",
            "ListTrainingDatasets",
            lambda c: {},
            lambda c, p: make_training_dataset(c),
            lambda c, p, n: c.list_training_datasets(maxResults=n),
        ),
        Family(
            "audience-models",
            "CreateAudienceModel",
            "ListAudienceModels",
            lambda c: {"dataset": make_training_dataset(c)},
            lambda c, p: make_audience_model(c, p["dataset"]),
            lambda c, p, n: c.list_audience_models(maxResults=n),
        ),
        Family(
            "generation-jobs",
            "StartAudienceGenerationJob",
            "ListAudienceGenerationJobs",
            lambda c: {
                "cam": make_configured_audience_model(
                    c, make_audience_model(c, make_training_dataset(c))
                )
            },
            lambda c, p: start_generation_job(c, p["cam"]),
            lambda c, p, n: c.list_audience_generation_jobs(maxResults=n),
        ),
        Family(
            "ml-input-channels",
            "CreateMLInputChannel",
            "ListMLInputChannels",
            lambda c: {"association": make_association(c, make_algorithm(c))},
            lambda c, p: make_channel(c, p["association"]),
            lambda c, p, n: c.list_ml_input_channels(membershipIdentifier=MEMBERSHIP, maxResults=n),
        ),
        Family(
            "trained-models",
            "CreateTrainedModel",
            "ListTrainedModels",
            _trained_model_parents,
            lambda c, p: make_trained_model(c, p["association"], p["channel"]),
            lambda c, p, n: c.list_trained_models(membershipIdentifier=MEMBERSHIP, maxResults=n),
        ),
        Family(
            "inference-jobs",
            "StartTrainedModelInferenceJob",
            "ListTrainedModelInferenceJobs",
            _inference_parents,
            lambda c, p: start_inference_job(c, p["model"], p["channel"]),
            lambda c, p, n: c.list_trained_model_inference_jobs(
                membershipIdentifier=MEMBERSHIP, maxResults=n
            ),
        ),
    )
}


def fill_mixed(c: Any, count: int) -> dict[str, int]:
    """About ``count`` resources of nine kinds (a training dataset, audience model,
    configured audience model, generation job, algorithm, association, channel, trained
    model and inference job per cycle, plus a second training dataset): returns how many
    of each kind were made. Needs ``RAISED_QUOTAS``."""
    made = dict.fromkeys(
        ("training datasets", "audience models", "configured audience models",
         "generation jobs", "algorithms", "associations", "channels", "trained models",
         "inference jobs"),
        0,
    )  # fmt: skip
    for _ in range(max(1, count // 10)):
        dataset = make_training_dataset(c)
        make_training_dataset(c)
        cam = make_configured_audience_model(c, make_audience_model(c, dataset))
        start_generation_job(c, cam)
        association = make_association(c, make_algorithm(c))
        channel = make_channel(c, association)
        start_inference_job(c, make_trained_model(c, association, channel), channel)
        for kind in made:
            made[kind] += 2 if kind == "training datasets" else 1
    return made
