"""Instructions per call of the mock against the canned-bytes floor, for GetTrainingDataset
and CreateTrainingDataset, counted with valgrind's callgrind (immune to machine load).

    python benchmarks/bench_instructions.py [--quick] [--calls N]

valgrind is a Debian package (``apt-get install valgrind``); without it the benchmark
says so and is skipped.

The floor is a boto3 client whose ``before-send`` answers with the exact bytes the mock
sends for the same call (status, headers and body, captured from a mock run through
botocore's ``before-parse`` event): the whole botocore pipeline, no service behind it.

A small driver (this script with ``--driver``) runs under ``valgrind --tool=callgrind``:
start-up (imports, the mock started, a client, 10 training datasets stored), 20 warm-up
calls of each operation, ``gc.collect()`` + ``gc.freeze()`` (so that the collector's
passes in the window cost what the window made, not what start-up made), then the measured
calls, then ``os._exit`` (no teardown). It
runs six times: mock and floor, each with 0 calls, N Get calls and N Create calls. The
0-call run cancels start-up and warm-up:

    ratio = (mock_N - mock_0) / (floor_N - floor_0)

The mock's creates are stored (from 30 to 30 + N training datasets) and recorded in
``m.calls``, as in any test. PYTHONHASHSEED=0 and ``m.seed(1)`` keep the counts repeatable.

Targets (issue "Flat cost at any scale", item 6): Get <= 1.06, Create <= 1.10 the floor's
instructions per call. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as common

WARM_UP = 20
STORED = 10


def capture(path: str) -> None:
    """The bytes the mock sends for a Get and a Create, saved to ``path`` as JSON."""
    from cleanroomsml_mock import mock_cleanroomsml

    with mock_cleanroomsml() as m:
        c = common.client()
        wire = common.WireCapture(c)
        arns = [common.make_training_dataset(c) for _ in range(STORED)]
        c.get_training_dataset(trainingDatasetArn=arns[0])
        got = wire.as_json()
        common.make_training_dataset(c)
        created = wire.as_json()
        m.calls.clear()
    with open(path, "w") as f:
        json.dump({"arn": arns[0], "GetTrainingDataset": got, "CreateTrainingDataset": created}, f)


def drive(kind: str, gets: int, creates: int, canned_path: str) -> None:
    """What runs under callgrind."""
    with open(canned_path) as f:
        canned = json.load(f)
    if kind == "mock":
        from cleanroomsml_mock import mock_cleanroomsml

        m = mock_cleanroomsml()
        m.start()
        m.seed(1)
        c = common.client()
        arns = [common.make_training_dataset(c) for _ in range(STORED)]
        arn = arns[0]
    else:
        c = common.canned_client(
            {
                op: (canned[op]["status"], canned[op]["headers"], canned[op]["body"].encode())
                for op in ("GetTrainingDataset", "CreateTrainingDataset")
            }
        )
        arn = canned["arn"]
    for _ in range(WARM_UP):
        c.get_training_dataset(trainingDatasetArn=arn)
        common.make_training_dataset(c)
    # what start-up made is set aside from the cyclic collector, so that a full collection
    # falling inside the window (in one run and not the other) does not count start-up
    gc.collect()
    gc.freeze()
    for _ in range(gets):
        c.get_training_dataset(trainingDatasetArn=arn)
    for _ in range(creates):
        common.make_training_dataset(c)
    sys.stdout.flush()
    os._exit(0)  # no interpreter teardown: it would grow with what the calls stored


def instructions(kind: str, gets: int, creates: int, canned: str, workdir: str) -> int:
    return common.callgrind(
        __file__,
        ["--driver", kind, "--gets", str(gets), "--creates", str(creates), "--canned", canned],
        os.path.join(workdir, f"callgrind.{kind}.{gets}.{creates}"),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 calls instead of 300")
    parser.add_argument("--calls", type=int, default=None, help="measured calls per run")
    parser.add_argument("--jobs", type=int, default=2, help="callgrind runs at once (2)")
    parser.add_argument("--driver", choices=("mock", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--gets", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--creates", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--canned", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver:
        drive(args.driver, args.gets, args.creates, args.canned)
        return 0
    if shutil.which("valgrind") is None:
        print(common.VALGRIND_MISSING)
        return 0
    n = args.calls or (100 if args.quick else 300)
    print(f"python {sys.version.split()[0]}, {n} calls per run, callgrind", flush=True)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as workdir:
        canned = os.path.join(workdir, "canned.json")
        capture(canned)
        runs = [(kind, g, c) for kind in ("mock", "floor") for g, c in ((0, 0), (n, 0), (0, n))]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            counts: dict[tuple[str, int, int], Any] = {
                run: pool.submit(instructions, *run, canned, workdir) for run in runs
            }
            total = {run: future.result() for run, future in counts.items()}
    for kind in ("mock", "floor"):
        print(
            f"  {kind:<6} 0 calls: {total[(kind, 0, 0)]:,}; {n} gets: {total[(kind, n, 0)]:,}; "
            f"{n} creates: {total[(kind, 0, n)]:,} instructions"
        )
    for op, run, target in (
        ("GetTrainingDataset", (n, 0), 1.06),
        ("CreateTrainingDataset", (0, n), 1.10),
    ):
        mine = (total[("mock", *run)] - total[("mock", 0, 0)]) / n
        floor = (total[("floor", *run)] - total[("floor", 0, 0)]) / n
        ratio = mine / floor
        common.report(
            f"{op} instructions per call vs floor",
            f"{mine / 1e3:,.0f}k/{floor / 1e3:,.0f}k = {ratio:.3f}x",
            f"<= {target}x",
            ratio <= target,
        )
    print(f"{time.perf_counter() - began:.0f} s in all")
    common.summary()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
