"""Server with ``--state-file``: CreateTrainingDataset requests per second from 4 client
threads, on an empty state against a state of 10,000 training datasets.

    python benchmarks/bench_server_state.py [--quick] [--seconds S] [--stored N]

Two ``cleanroomsml-mock serve --port 0 --quiet --state-file PATH`` processes on
127.0.0.1 (processes of their own, so the client threads do not share their GIL): one
starts from a missing file (empty), the other from a state file of N training datasets
saved by an in-process mock (``m.save_state``), which it loads at start. The clients send
unsigned JSON requests over ``http.client`` connections kept alive (the server accepts
unsigned requests; the account is then its default one). Each round lasts ``--seconds``:
every thread sends creates until the time is up (at least one each), then the rate is
the creates answered over the time until the last answer. The servers are measured one at
a time in alternating rounds; the empty one is reset (``POST /_mock/reset``) before each
of its rounds, the other keeps what the rounds add. The figure is the best round of each.

Target (issue "Flat cost at any scale", item 6): the rate at 10,000 stored >= 0.8x the
rate on an empty state. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as common

THREADS = 4
MAX_PER_THREAD = 100_000  # a bound on every loop, whatever the clock does


class Server:
    def __init__(self, state_file: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cleanroomsml_mock", "serve", "--host", "127.0.0.1",
             "--port", "0", "--quiet", "--state-file", state_file],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()  # "cleanroomsml-mock serving on URL"
        if not line:
            self.stop()
            raise RuntimeError(f"the server did not start: {self.process.stderr.read()}")  # type: ignore[union-attr]
        parts = urlsplit(line.rsplit(" ", 1)[-1])
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    def control(self, method: str, path: str) -> Any:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
        try:
            connection.request(method, path, b"{}" if method == "POST" else None,
                               {"Content-Type": "application/json"})  # fmt: skip
            response = connection.getresponse()
            return json.loads(response.read() or b"null")
        finally:
            connection.close()

    def resources(self) -> int:
        return int(self.control("GET", "/_mock/health")["resources"])

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: the server saves once more and stops
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


_names = itertools.count()


def creates_per_second(server: Server, seconds: float) -> tuple[float, int, int]:
    """Creates answered per second by ``THREADS`` threads; also how many were sent and
    how many were not answered 200."""
    counts = [0] * THREADS
    failures = [0] * THREADS
    ready = threading.Barrier(THREADS + 1)
    deadline = [0.0]
    finished = [0.0] * THREADS
    lock = threading.Lock()

    def work(i: int) -> None:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=600)
        ready.wait()
        try:
            while counts[i] < MAX_PER_THREAD and (
                counts[i] == 0 or time.perf_counter() < deadline[0]
            ):
                with lock:
                    name = f"srv-{next(_names)}"
                body = json.dumps({"name": name, "roleArn": common.ROLE,
                                   "trainingData": common.DATA})  # fmt: skip
                connection.request("POST", "/training-dataset", body,
                                   {"Content-Type": "application/json"})  # fmt: skip
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failures[i] += 1
                counts[i] += 1
                if response.will_close:
                    connection.close()
                    connection = http.client.HTTPConnection(server.host, server.port, timeout=600)
        finally:
            connection.close()
            finished[i] = time.perf_counter()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + seconds
    ready.wait()
    for thread in threads:
        thread.join()
    elapsed = max(finished) - began
    return sum(counts) / elapsed, sum(counts), sum(failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1 s")
    parser.add_argument("--seconds", type=float, default=None, help="per round (2; 1)")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (3; 2)")
    parser.add_argument("--stored", type=int, default=10_000, help="stored (10,000)")
    args = parser.parse_args()
    seconds = args.seconds or (1.0 if args.quick else 2.0)
    rounds = args.rounds or (2 if args.quick else 3)
    from cleanroomsml_mock import mock_cleanroomsml

    print(
        f"python {sys.version.split()[0]}, {THREADS} client threads, {rounds} rounds of "
        f"{seconds:g} s",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-server-state-") as workdir:
        full_path = os.path.join(workdir, "full.json")
        start = time.perf_counter()
        with mock_cleanroomsml() as m:
            c = common.client()
            for i in range(args.stored):
                common.make_training_dataset(c)
                if i % 1000 == 999:
                    m.calls.clear()
            m.save_state(full_path)
        print(
            f"saved {args.stored:,} training datasets ({os.path.getsize(full_path) / 1e6:.1f} MB)"
            f" in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        servers: dict[str, Server] = {}
        try:
            servers["empty"] = Server(os.path.join(workdir, "empty.json"))
            start = time.perf_counter()
            servers["full"] = Server(full_path)
            print(
                f"server started on the {args.stored:,} in {time.perf_counter() - start:.1f} s "
                f"({servers['full'].resources():,} resources)",
                flush=True,
            )
            best = {"empty": 0.0, "full": 0.0}
            for r in range(rounds):
                order = ["empty", "full"] if r % 2 == 0 else ["full", "empty"]
                for kind in order:
                    server = servers[kind]
                    if kind == "empty":
                        server.control("POST", "/_mock/reset")
                    at = server.resources()
                    rate, sent, failed = creates_per_second(server, seconds)
                    print(
                        f"  round {r + 1}: {kind:<5} from {at:,} stored: {sent:,} creates, "
                        f"{rate:,.1f}/s" + (f", {failed} not 200" if failed else ""),
                        flush=True,
                    )
                    best[kind] = max(best[kind], rate)
        finally:
            for server in servers.values():
                server.stop()
    ratio = best["full"] / best["empty"]
    common.report(
        f"server --state-file: creates/s at {args.stored:,} vs empty",
        f"{best['full']:,.1f}/{best['empty']:,.1f} = {ratio:.3f}x",
        ">= 0.8x",
        ratio >= 0.8,
    )
    common.summary()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
