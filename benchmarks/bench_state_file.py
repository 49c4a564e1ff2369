"""``m.save_state(path)`` and ``m.load_state(path)`` with 10,000 stored resources.

    python benchmarks/bench_state_file.py [--quick] [--resources N] [--training-datasets]
                                          [--instructions]

The state is made through boto3 while ``mock_cleanroomsml`` is active. By default it
mixes nine kinds, per cycle of ten: two training datasets, an audience model, a
configured audience model, an audience generation job, a configured model algorithm, an
association, an ML input channel, a trained model and an inference job (the
per-membership and per-account quotas on channels, associations and algorithms are raised
with ``mock_cleanroomsml(quotas=...)``). ``--training-datasets``: training datasets only.
Saves and loads alternate (the load replaces the state by what was saved, an equal
state: the figure against the target); then, as many times, the mock is reset and the
file loaded into the empty mock (printed beside: what a test that loads a saved state
into a fresh mock sees). The figures are the best and median of the repeats, with the
file's size, and how much longer the first call after each load takes than the next one
(what a load leaves for the first call: none of it should grow with the state).

``--instructions`` also counts the instructions of one save and one load of the same file
with valgrind's callgrind, which machine load does not move (valgrind is a Debian package:
``apt-get install valgrind``; without it that part says so and is skipped). A driver (this
script with ``--driver``) runs three times: start-up, the mock started with the same
quotas, the file loaded once and ``gc.collect()``, then nothing (``base``), a second
``load_state`` of the file (replacing the equal state, as the timed loads do) or one
``save_state``, then ``os._exit``. Each figure is its run minus ``base``.

Targets (issue "Flat cost at any scale", item 6): save <= 300 ms, load <= 300 ms.
Printed, never asserted (they are times: the machine's load moves them).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as common


def drive(step: str, path: str) -> None:
    """What runs under callgrind (``--instructions``)."""
    from cleanroomsml_mock import mock_cleanroomsml

    m = mock_cleanroomsml(quotas=common.RAISED_QUOTAS)
    m.start()
    m.load_state(path)
    gc.collect()
    if step == "load":
        m.load_state(path)
    elif step == "save":
        m.save_state(path + ".again")
    sys.stdout.flush()
    os._exit(0)  # no interpreter teardown: it would grow with the state


def count_instructions(path: str, workdir: str) -> None:
    if shutil.which("valgrind") is None:
        print(common.VALGRIND_MISSING, flush=True)
        return
    steps = ("base", "load", "save")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            step: pool.submit(
                common.callgrind,
                __file__,
                ["--driver", step, path],
                os.path.join(workdir, f"callgrind.{step}"),
            )
            for step in steps
        }
        counts = {step: future.result() for step, future in futures.items()}
    for step in ("save", "load"):
        common.report(
            f"m.{step}_state instructions (callgrind)",
            f"{(counts[step] - counts['base']) / 1e6:,.0f}M",
            "",
            None,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 repeats instead of 5")
    parser.add_argument("--resources", type=int, default=10_000, help="resources (10,000)")
    parser.add_argument(
        "--training-datasets", action="store_true", help="training datasets only, not mixed"
    )
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--instructions", action="store_true", help="also count instructions (callgrind)"
    )
    parser.add_argument("--driver", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.driver:
        drive(*args.driver)
        return 0
    repeats = args.repeats or (2 if args.quick else 5)
    from cleanroomsml_mock import mock_cleanroomsml

    print(f"python {sys.version.split()[0]}, {repeats} saves and loads", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="bench-state-") as workdir,
        mock_cleanroomsml(quotas=common.RAISED_QUOTAS) as m,
    ):
        c = common.client()
        start = time.perf_counter()
        if args.training_datasets:
            for i in range(args.resources):
                common.make_training_dataset(c)
                if i % 1000 == 999:
                    m.calls.clear()
            kinds = f"{args.resources:,} training datasets"
        else:
            made = common.fill_mixed(c, args.resources)
            kinds = (
                f"{sum(made.values()):,} resources of {len(made)} kinds ("
                + ", ".join(f"{n:,} {kind}" for kind, n in made.items())
                + ")"
            )
        m.calls.clear()
        print(f"made {kinds} in {time.perf_counter() - start:.0f} s", flush=True)
        probe = common.make_training_dataset(c)
        path = os.path.join(workdir, "state.json")
        saves: list[float] = []
        loads: list[float] = []
        firsts: list[float] = []  # the first call after a load, over the next one
        fresh: list[float] = []  # a load into a mock just reset (nothing to replace)
        for _ in range(repeats):
            gc.collect()
            start = time.perf_counter()
            m.save_state(path)
            saves.append(time.perf_counter() - start)
            gc.collect()
            start = time.perf_counter()
            m.load_state(path)
            loads.append(time.perf_counter() - start)
            start = time.perf_counter()
            c.get_training_dataset(trainingDatasetArn=probe)  # the loaded state serves
            first = time.perf_counter() - start
            start = time.perf_counter()
            c.get_training_dataset(trainingDatasetArn=probe)
            firsts.append(first - (time.perf_counter() - start))
        for _ in range(repeats):  # after the figures above: they start from their own heap
            m.reset()
            gc.collect()
            start = time.perf_counter()
            m.load_state(path)
            fresh.append(time.perf_counter() - start)
        size = os.path.getsize(path)
        if args.instructions:
            count_instructions(path, workdir)
    label = "training datasets" if args.training_datasets else "mixed resources"
    count = f"{args.resources:,}"
    for name, times in (("save_state", saves), ("load_state", loads)):
        best, median = common.best_median(times)
        common.report(
            f"m.{name}: {count} {label}",
            f"best {best * 1e3:,.0f} / median {median * 1e3:,.0f} ms",
            "<= 300 ms",
            median <= 0.3,
        )
    best, median = common.best_median(fresh)
    common.report(
        "  ... m.load_state into a mock just reset",
        f"best {best * 1e3:,.0f} / median {median * 1e3:,.0f} ms",
        "",
        None,
    )
    best, median = common.best_median(firsts)
    common.report(
        "  ... first GetTrainingDataset after a load, over the next",
        f"best {best * 1e3:,.1f} / median {median * 1e3:,.1f} ms",
        "",
        None,
    )
    common.report("  ... state file size", f"{size / 1e6:.1f} MB", "", None)
    common.summary()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
