"""Memory per recorded call: what ``m.calls`` keeps for each call it records.

    python benchmarks/bench_call_memory.py [--quick] [--calls N]

With one training dataset stored, N GetTrainingDataset calls are made (after 50 warm-up
calls and ``m.calls.clear()``); tracemalloc then measures how much ``m.calls.clear()``
frees. That is exactly what the recorded calls hold (their params, responses and whatever
else only they keep alive), whoever allocated it; it does not count botocore's caches or
the mock's state. The same for ListTrainingDatasets (10 items) and CreateTrainingDataset,
for comparison (the create's stored dataset is not freed by the clear, so not counted).

Target (issue "Flat cost at any scale", item 6): <= 300 bytes per recorded Get call.
Printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as common


def held_by_calls(m: Any, call: Callable[[], Any], n: int) -> tuple[float, int]:
    """Bytes freed by ``m.calls.clear()`` after ``n`` calls, per call; and how many
    calls were recorded."""
    for _ in range(50):
        call()
    m.calls.clear()
    gc.collect()
    tracemalloc.start()
    for _ in range(n):
        call()
    recorded = len(m.calls)
    gc.collect()
    with_calls = tracemalloc.get_traced_memory()[0]
    m.calls.clear()
    gc.collect()
    without = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (with_calls - without) / n, recorded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 calls instead of 10,000")
    parser.add_argument("--calls", type=int, default=None, help="calls recorded")
    args = parser.parse_args()
    n = args.calls or (2000 if args.quick else 10_000)
    from cleanroomsml_mock import mock_cleanroomsml

    print(f"python {sys.version.split()[0]}, {n:,} calls recorded each", flush=True)
    with mock_cleanroomsml() as m:
        c = common.client()
        arns = [common.make_training_dataset(c) for _ in range(10)]
        for name, call, target in (
            ("GetTrainingDataset", lambda: c.get_training_dataset(trainingDatasetArn=arns[0]), 300),
            ("ListTrainingDatasets (10 items)", lambda: c.list_training_datasets(), None),
            ("CreateTrainingDataset", lambda: common.make_training_dataset(c), None),
        ):
            per, recorded = held_by_calls(m, call, n)
            if recorded != n:
                print(f"  warning: {recorded:,} of {n:,} {name} calls were recorded")
            common.report(
                f"m.calls: bytes per recorded {name}",
                f"{per:,.0f} B",
                f"<= {target} B" if target else "(comparison)",
                per <= target if target else None,
            )
    common.summary()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
