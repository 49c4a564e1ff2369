"""Server throughput: requests per second against ``cleanroomsml-mock serve``, side by side
with moto's server (``moto.server.ThreadedMotoServer``) on its ``cleanrooms`` API when moto
is installed.

    python benchmarks/server_throughput.py [--seconds 2] [--items 20]

Each server runs in its own process (so the client threads here do not share its GIL).
Operations: get and list of training datasets (ours), of collaborations (moto's nearest
equivalent: its cleanroomsml has no backend). Requests are signed once with botocore and
replayed with ``http.client`` over persistent connections where the server allows them
(a thin client, so the figure measures the server, not boto3). Both servers are
werkzeug-based; ours keeps HTTP/1.1 connections alive (as boto3's connection pool
expects), moto's closes the connection after each response.

Never asserted in tests: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bench"
TRAINING_DATA = [
    {
        "type": "INTERACTIONS",
        "inputConfig": {
            "schema": [
                {"columnName": "user_id", "columnTypes": ["USER_ID"]},
                {"columnName": "item_id", "columnTypes": ["ITEM_ID"]},
                {"columnName": "event_time", "columnTypes": ["TIMESTAMP"]},
            ],
            "dataSource": {"glueDataSource": {"databaseName": "db", "tableName": "events"}},
        },
    }
]

MOTO_SERVER = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
print(f"http://{host}:{port}", flush=True)
sys.stdin.read()
server.stop()
"""


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None


def start_process(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line:
        raise RuntimeError(f"server did not start: {command}")
    return process, line.rsplit(" ", 1)[-1]


def stop_process(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def capture(client: Any, operation: str, **params: Any) -> Request:
    """Make one real call, keeping the signed request to replay it."""
    seen: list[Any] = []

    def keep(request: Any, **_: Any) -> None:
        seen.append(request)

    client.meta.events.register("before-send", keep)
    getattr(client, operation)(**params)
    client.meta.events.unregister("before-send", keep)
    prepared = seen[-1]
    parts = urlsplit(prepared.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    body = prepared.body if isinstance(prepared.body, bytes) else None
    return Request(prepared.method, path, dict(prepared.headers), body)


def hammer(url: str, request: Request, threads: int, seconds: float) -> tuple[float, int]:
    """Requests per second from ``threads`` client threads; also the count of non-200s."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    counts = [0] * threads
    failures = [0] * threads
    start = threading.Barrier(threads + 1)
    stop_at = [0.0]

    def work(i: int) -> None:
        start.wait()
        connection: http.client.HTTPConnection | None = None
        while time.perf_counter() < stop_at[0]:
            if connection is None:
                connection = http.client.HTTPConnection(host, port, timeout=30)
            connection.request(request.method, request.path, request.body, request.headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures[i] += 1
            counts[i] += 1
            if response.will_close:
                connection.close()
                connection = None
        if connection is not None:
            connection.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    return sum(counts) / elapsed, sum(failures)


def client(service: str, url: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="AKIDBENCH",
        aws_secret_access_key="secret",
    )


def ours_requests(url: str, items: int) -> dict[str, Request]:
    c = client("cleanroomsml", url)
    arns = [
        c.create_training_dataset(name=f"ds-{i}", roleArn=ROLE, trainingData=TRAINING_DATA)[
            "trainingDatasetArn"
        ]
        for i in range(items)
    ]
    return {
        "get": capture(c, "get_training_dataset", trainingDatasetArn=arns[0]),
        "list": capture(c, "list_training_datasets"),
    }


def moto_requests(url: str, items: int) -> dict[str, Request]:
    c = client("cleanrooms", url)
    ids = [
        c.create_collaboration(
            name=f"collab-{i}",
            description="bench",
            members=[],
            creatorMemberAbilities=["CAN_QUERY"],
            creatorDisplayName="me",
            queryLogStatus="DISABLED",
        )["collaboration"]["id"]
        for i in range(items)
    ]
    return {
        "get": capture(c, "get_collaboration", collaborationIdentifier=ids[0]),
        "list": capture(c, "list_collaborations"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement (2)")
    parser.add_argument("--items", type=int, default=20, help="resources created first (20)")
    parser.add_argument(
        "--close",
        action="store_true",
        help="send 'Connection: close' (a new connection per request, like-for-like with moto)",
    )
    args = parser.parse_args()

    servers: dict[str, tuple[list[str], Any]] = {
        "cleanroomsml-mock": (
            [sys.executable, "-m", "cleanroomsml_mock", "serve", "--port", "0", "--quiet"],
            ours_requests,
        )
    }
    try:
        import moto.server  # noqa: F401

        servers["moto (cleanrooms)"] = ([sys.executable, "-c", MOTO_SERVER], moto_requests)
    except ImportError:
        print("moto is not installed: measuring cleanroomsml-mock alone\n")

    results: dict[tuple[str, str, int], float] = {}
    for name, (command, prepare) in servers.items():
        process, url = start_process(command)
        try:
            requests = prepare(url, args.items)
            for operation, request in requests.items():
                if args.close:
                    request.headers["Connection"] = "close"
                for threads in (1, 8):
                    hammer(url, request, threads, min(0.3, args.seconds))  # warm up
                    rate, failures = hammer(url, request, threads, args.seconds)
                    if failures:
                        print(f"warning: {name} {operation}: {failures} non-200 answers")
                    results[(name, operation, threads)] = rate
        finally:
            stop_process(process)

    header = f"{'operation':<10}{'threads':>8}"
    for name in servers:
        header += f"{name + ' req/s':>26}"
    if len(servers) > 1:
        header += f"{'ratio':>8}"
    print(header)
    print("-" * len(header))
    for operation in ("get", "list"):
        for threads in (1, 8):
            line = f"{operation:<10}{threads:>8}"
            rates = [results[(name, operation, threads)] for name in servers]
            for rate in rates:
                line += f"{rate:>26.0f}"
            if len(rates) > 1:
                line += f"{rates[0] / rates[1]:>7.1f}x"
            print(line)
    python = sys.version.split()[0]
    reuse = "a new connection per request" if args.close else "connections kept where allowed"
    print(f"\n{args.items} resources each; {args.seconds:g} s per figure; {reuse}; python {python}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
