"""First call in a fresh process: how much longer the first ListTrainingDatasets (and the
first GetTrainingDataset) after ``mock_cleanroomsml().start()`` takes than the same call
once warm.

    python benchmarks/bench_first_call.py [--quick] [--runs N]

Each run is a fresh ``python`` process (this script with ``--driver``): it imports boto3
and cleanroomsml_mock, starts a mock, makes a client, then times its first call, then
the steady per-call cost (best of 5 batches of 40 calls after 10 warm-up calls). The
figure is first - steady, best and median of the runs.

- ``list``: the first call is ListTrainingDatasets on an empty state;
- ``get``: the process first loads a state file holding one training dataset
  (``m.load_state``), then its first call is GetTrainingDataset of it.

The package's bytecode is compiled first (``compileall``), as ``pip install`` of the wheel
does and as any second run of an editable install finds it; botocore's was compiled when it
was installed. ``--cold-bytecode`` measures instead with no bytecode for anything (every
module compiled from source in each process, botocore's too: an empty
``PYTHONPYCACHEPREFIX``), as in a fresh editable install under
``PYTHONDONTWRITEBYTECODE=1``.

For comparison the same is done with the canned-bytes floor (a plain boto3 client whose
``before-send`` answers with the bytes the mock sent, cleanroomsml_mock not imported):
what botocore's own first call costs. Mock and floor runs alternate.

Target (issue "Flat cost at any scale", item 6): the mock's first call <= 15 ms over its
steady cost. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as common

OPERATIONS = {"list": "ListTrainingDatasets", "get": "GetTrainingDataset"}


def prepare(workdir: str) -> str:
    """A state file with one training dataset, and the bytes the mock sends for the list
    on an empty state and for the get of that dataset."""
    from cleanroomsml_mock import mock_cleanroomsml

    state = os.path.join(workdir, "one.json")
    with mock_cleanroomsml() as m:
        c = common.client()
        wire = common.WireCapture(c)
        c.list_training_datasets()
        listed = wire.as_json()
        arn = common.make_training_dataset(c)
        m.save_state(state)
        c.get_training_dataset(trainingDatasetArn=arn)
        got = wire.as_json()
    canned = os.path.join(workdir, "canned.json")
    with open(canned, "w") as f:
        json.dump(
            {"arn": arn, "state": state, "ListTrainingDatasets": listed, "GetTrainingDataset": got},
            f,
        )
    return canned


def drive(kind: str, op: str, canned_path: str) -> None:
    with open(canned_path) as f:
        canned = json.load(f)
    arn = canned["arn"]
    if kind == "mock":
        from cleanroomsml_mock import mock_cleanroomsml

        m = mock_cleanroomsml()
        m.start()
        if op == "get":
            m.load_state(canned["state"])
        c = common.client()
    else:
        name = OPERATIONS[op]
        answer = canned[name]
        c = common.canned_client(
            {name: (answer["status"], answer["headers"], answer["body"].encode())}
        )

    def call() -> None:
        if op == "list":
            c.list_training_datasets()
        else:
            c.get_training_dataset(trainingDatasetArn=arn)

    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    for _ in range(10):
        call()
    steady = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(40):
            call()
        steady = min(steady, (time.perf_counter() - start) / 40)
    print(json.dumps({"first": first, "steady": steady}), flush=True)


def run(kind: str, op: str, canned: str, env: dict[str, str] | None) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--driver", kind, "--op", op,
         "--canned", canned],
        check=True, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 runs instead of 11")
    parser.add_argument("--runs", type=int, default=None, help="fresh processes per figure")
    parser.add_argument(
        "--cold-bytecode", action="store_true", help="no cached bytecode for any module"
    )
    parser.add_argument("--driver", choices=("mock", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--op", choices=sorted(OPERATIONS), default="list", help=argparse.SUPPRESS)
    parser.add_argument("--canned", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver:
        drive(args.driver, args.op, args.canned)
        return 0
    runs = args.runs or (5 if args.quick else 11)
    bytecode = "none (--cold-bytecode)" if args.cold_bytecode else "compiled"
    print(
        f"python {sys.version.split()[0]}, {runs} fresh processes per figure, bytecode: {bytecode}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-first-call-") as workdir:
        env: dict[str, str] | None = None
        if args.cold_bytecode:
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
            env["PYTHONPYCACHEPREFIX"] = os.path.join(workdir, "no-bytecode")
        else:
            import cleanroomsml_mock

            compileall.compile_dir(os.path.dirname(cleanroomsml_mock.__file__), quiet=1)
        canned = prepare(workdir)
        for op in ("list", "get"):
            extra: dict[str, list[float]] = {"mock": [], "floor": []}
            steady: dict[str, list[float]] = {"mock": [], "floor": []}
            for _ in range(runs):
                for kind in ("mock", "floor"):
                    got = run(kind, op, canned, env)
                    extra[kind].append(got["first"] - got["steady"])
                    steady[kind].append(got["steady"])
            name = OPERATIONS[op] + (" (after load_state)" if op == "get" else "")
            best, median = common.best_median(extra["mock"])
            common.report(
                f"first {name} over steady",
                f"best {best * 1e3:.1f} / median {median * 1e3:.1f} ms",
                "<= 15 ms",
                median <= 0.015,
            )
            floor_best, floor_median = common.best_median(extra["floor"])
            common.report(
                "  ... the floor's (botocore alone)",
                f"best {floor_best * 1e3:.1f} / median {floor_median * 1e3:.1f} ms",
                "(comparison)",
                None,
            )
            common.report(
                "  ... steady per call, mock / floor",
                f"{statistics.median(steady['mock']) * 1e3:.2f} / "
                f"{statistics.median(steady['floor']) * 1e3:.2f} ms",
                "(median)",
                None,
            )
    common.summary()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
