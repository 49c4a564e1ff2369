"""The state file: save and load of 10,000 resources, and creates per second against a
server with ``state_file`` on an empty state and on 10,000 stored resources.

    python benchmarks/state_file.py [--count 10000] [--seconds 4] [--threads 4]

Targets (docs/server.md, "State files"): ``m.save_state`` and ``m.load_state`` of 10,000
training datasets take at most 300 ms each; with a state file, creates per second at
10,000 stored resources are at least 0.8x those on an empty state.

Never asserted in tests: timings depend on the machine (and on the disk: every
acknowledged change is fsynced).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from _common import ACCOUNT, DATA, REGION, ROLE

from cleanroomsml_mock import ThreadedServer, mock_cleanroomsml


def fill(m: Any, count: int) -> None:
    backend = m._world.backend(ACCOUNT, REGION)
    for i in range(count):
        backend.create_training_dataset(name=f"ds-{i:05d}", role_arn=ROLE, training_data=DATA)


def best(fn: Any, runs: int = 3) -> tuple[float, float]:
    """The best wall-clock time and the best CPU time of this process, of ``runs`` runs
    (on a busy machine the CPU time is the steadier figure)."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def bench_save_load(directory: Path, count: int) -> Path:
    path = directory / "big.json"
    with mock_cleanroomsml() as m:
        fill(m, count)
        save = best(lambda: m.save_state(path))
    size = os.path.getsize(path)
    with mock_cleanroomsml() as m:
        load = best(lambda: m.load_state(path))
        assert len(m._world.backend(ACCOUNT, REGION).records) == count
    print(f"save_state of {count}: {save[0] * 1000:.0f} ms ({save[1] * 1000:.0f} ms CPU)")
    print(f"load_state of {count}: {load[0] * 1000:.0f} ms ({load[1] * 1000:.0f} ms CPU)")
    print(f"file size: {size / 1e6:.1f} MB")
    return path


def creates_per_second(state_file: Path, seconds: float, threads: int) -> float:
    with ThreadedServer(state_file=state_file) as server:
        done = [0] * threads
        clients = [
            boto3.client(
                "cleanroomsml",
                region_name=REGION,
                endpoint_url=server.endpoint_url,
                aws_access_key_id="AKID",
                aws_secret_access_key="secret",
            )
            for _ in range(threads)
        ]
        for client in clients:  # connections open, botocore warm: the loop times creates
            client.list_training_datasets(maxResults=1)
        stop = time.perf_counter() + seconds

        def work(slot: int) -> None:
            client = clients[slot]
            i = 0
            while time.perf_counter() < stop:
                client.create_training_dataset(name=f"t{slot}-{i}", roleArn=ROLE, trainingData=DATA)
                i += 1
                done[slot] += 1

        workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - start
    return sum(done) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        big = bench_save_load(directory, args.count)
        empty = creates_per_second(directory / "empty.json", args.seconds, args.threads)
        full = creates_per_second(big, args.seconds, args.threads)
    print(f"creates/s, {args.threads} threads, empty state: {empty:.0f}")
    print(f"creates/s, {args.threads} threads, {args.count} stored: {full:.0f}")
    print(f"ratio: {full / empty:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
