"""Flat cost at any scale: per-call cost of a create and a list of each resource family with
about 20 stored of its kind against the same after 2,000 and 20,000 more (same account,
membership and parent); one page of 100 training datasets at 100,000 stored against the
same page at 200.

    python benchmarks/bench_scaling.py [--quick] [--family NAME ...] [--no-page] [--page-only]

Each state lives in a worker process of its own (one per size), filled through boto3 while
``mock_cleanroomsml`` is active. The workers fill in parallel, then are measured one at a
time in alternating rounds (the order reversed every round), so that every size sees the
same machine load; the figure is the best round of each. Per round a worker times
``--lists`` list calls (``maxResults=10``: a full page at every size) and then
``--creates`` creates, one by one (their arguments are built outside the timing). The
~20 worker is reset and refilled before every round, so it stays at 20 (+ the creates of
the round); the larger ones keep what the rounds create (printed as a range).

Targets (issue "Flat cost at any scale", item 6): a create or a list <= 1.15x its cost at
~20; a page of 100 at 100,000 <= 1.2x the same page at 200. Printed, never asserted.
``--quick``: 2,000 more only, and the page at 10,000; fewer rounds.

Filling goes through boto3 too. Where a create's cost grows with what is stored, filling
20,000 would take hours, so each fill stops after ``--fill-budget`` seconds (60) and the
figure is then taken at the size reached, which the line says ("at 6,100 (not 20,020)");
the page figure's fill has a budget of its own (``--page-fill-budget``, 300 s).

Quotas: ``Active ML input channels per membership`` (default 100) and the association and
algorithm quotas are raised with ``mock_cleanroomsml(quotas=...)``; the pending-job quotas
never bite in the default ``immediate`` lifecycle (nothing stays pending).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as common

BASE = 20


def _fill(
    c: Any,
    family: common.Family,
    parents: dict[str, str],
    count: int,
    m: Any,
    budget: float = float("inf"),
) -> int:
    """Up to ``count`` more of ``family``, stopping early when ``budget`` seconds are
    spent (where creates grow with what is stored, a fill to 20,000 can take hours);
    returns how many were made."""
    deadline = time.perf_counter() + budget
    for i in range(count):
        family.create(c, parents)
        if i % 100 == 99:
            m.calls.clear()  # the call log is not what is measured here
            if time.perf_counter() > deadline:
                m.calls.clear()
                return i + 1
    m.calls.clear()
    return count


def worker(conn: Connection, size: int, refill: bool, budget: float) -> None:
    """Holds one state of ``size`` resources of a family; answers fill and measure
    requests from the parent until told to stop."""
    from cleanroomsml_mock import mock_cleanroomsml

    m = mock_cleanroomsml(quotas=common.RAISED_QUOTAS)
    m.start()
    c = common.client()
    family: common.Family | None = None
    parents: dict[str, str] = {}
    stored = 0
    token = ""
    try:
        while True:
            command, *args = conn.recv()
            if command == "stop":
                break
            if command == "fill":
                family = common.FAMILIES[args[0]]
                start = time.perf_counter()
                m.reset()
                parents = family.parents(c)
                stored = _fill(c, family, parents, size, m, budget)
                conn.send((stored, time.perf_counter() - start))
            elif command == "measure":
                assert family is not None
                creates, lists = args
                if refill:
                    m.reset()
                    parents = family.parents(c)
                    _fill(c, family, parents, size, m)
                    stored = size
                at = stored
                for _ in range(5):  # the first list of a family loads what it needs
                    family.list_page(c, parents, 10)
                m.calls.clear()
                gc.collect()
                start = time.perf_counter()
                for _ in range(lists):
                    family.list_page(c, parents, 10)
                list_time = (time.perf_counter() - start) / lists
                gc.collect()
                create_time = 0.0
                for _ in range(creates):
                    one = time.perf_counter()
                    family.create(c, parents)
                    create_time += time.perf_counter() - one
                stored += creates
                m.calls.clear()
                conn.send((at, create_time / creates, list_time))
            elif command == "page":
                # training datasets only: ``size`` of them, then the second page of 100
                if args[0] == "fill":
                    start = time.perf_counter()
                    m.reset()
                    family = common.FAMILIES["training-datasets"]
                    stored = _fill(c, family, {}, size, m, budget)
                    token = c.list_training_datasets(maxResults=100)["nextToken"]
                    conn.send((stored, time.perf_counter() - start))
                else:
                    calls = args[1]
                    for _ in range(3):
                        c.list_training_datasets(maxResults=100, nextToken=token)
                    m.calls.clear()
                    gc.collect()
                    start = time.perf_counter()
                    for _ in range(calls):
                        page = c.list_training_datasets(maxResults=100, nextToken=token)
                    assert len(page["trainingDatasets"]) == 100
                    elapsed = (time.perf_counter() - start) / calls
                    m.calls.clear()
                    conn.send((stored, elapsed))
    finally:
        m.stop()
        conn.close()


class Worker:
    def __init__(self, ctx: Any, size: int, budget: float, refill: bool = False) -> None:
        self.size = size
        self.conn, theirs = ctx.Pipe()
        self.process = ctx.Process(target=worker, args=(theirs, size, refill, budget), daemon=True)
        self.process.start()
        theirs.close()

    def ask(self, *command: Any) -> Any:
        self.conn.send(command)
        return self.recv()

    def recv(self) -> Any:
        if not self.conn.poll(1800):
            raise TimeoutError(f"worker of size {self.size} did not answer in 30 minutes")
        return self.conn.recv()

    def stop(self) -> None:
        try:
            self.conn.send(("stop",))
        except OSError:
            pass
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=10)


def in_parallel(workers: list[Worker], *command: Any) -> list[Any]:
    for w in workers:
        w.conn.send(command)
    return [w.recv() for w in workers]


def alternating(workers: list[Worker], rounds: int, *command: Any) -> list[list[Any]]:
    """``rounds`` answers of each worker to ``command``, one worker at a time."""
    answers: list[list[Any]] = [[] for _ in workers]
    for r in range(rounds):
        order = list(range(len(workers)))
        if r % 2:
            order.reverse()
        for i in order:
            answers[i].append(workers[i].ask(*command))
    return answers


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def fill_note(workers: list[Worker], filled: list[tuple[int, float]]) -> str:
    notes = []
    for w, (n, seconds) in zip(workers, filled, strict=True):
        short = f" of {w.size:,} (fill budget spent)" if n < w.size else ""
        notes.append(f"{n:,}{short} in {seconds:.0f} s")
    return "filled " + ", ".join(notes)


def bench_families(ctx: Any, names: list[str], sizes: list[int], args: Any) -> None:
    workers = [Worker(ctx, size, args.fill_budget, refill=size == BASE) for size in sizes]
    try:
        for name in names:
            family = common.FAMILIES[name]
            filled = in_parallel(workers, "fill", name)
            print(f"\n{name}: {fill_note(workers, filled)}", flush=True)
            answers = alternating(workers, args.rounds, "measure", args.creates, args.lists)
            best_create = [min(a[1] for a in answer) for answer in answers]
            best_list = [min(a[2] for a in answer) for answer in answers]
            for i, answer in enumerate(answers[1:], start=1):
                low = answer[0][0]
                high = max(a[0] for a in answer)
                stored = f"{low:,}" if low == high else f"{low:,}-{high:,}"
                if filled[i][0] < workers[i].size:
                    stored += f" (not {workers[i].size:,})"
                for op, best, target in (
                    (family.create_op, best_create, 1.15),
                    (f"{family.list_op} (10)", best_list, 1.15),
                ):
                    ratio = best[i] / best[0]
                    common.report(
                        f"{op} at {stored} vs {BASE}",
                        f"{ms(best[i])}/{ms(best[0])} ms = {ratio:.3f}x",
                        f"<= {target}x",
                        ratio <= target,
                    )
    finally:
        for w in workers:
            w.stop()


def bench_page(ctx: Any, big: int, args: Any) -> None:
    workers = [Worker(ctx, 200, args.page_fill_budget), Worker(ctx, big, args.page_fill_budget)]
    try:
        filled = in_parallel(workers, "page", "fill")
        print(f"\npage of 100: {fill_note(workers, filled)}", flush=True)
        big = filled[1][0]
        answers = alternating(workers, args.rounds, "page", "measure", args.lists)
        small, large = (min(a[1] for a in answer) for answer in answers)
        ratio = large / small
        common.report(
            f"ListTrainingDatasets page of 100 at {big:,} vs 200",
            f"{ms(large)}/{ms(small)} ms = {ratio:.3f}x",
            "<= 1.2x",
            ratio <= 1.2,
        )
    finally:
        for w in workers:
            w.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 more only; page at 10,000")
    parser.add_argument(
        "--family",
        action="append",
        choices=sorted(common.FAMILIES),
        help="only this family (repeatable); default: all six",
    )
    parser.add_argument("--no-page", action="store_true", help="skip the page-of-100 figure")
    parser.add_argument("--page-only", action="store_true", help="only the page-of-100 figure")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (5; 3)")
    parser.add_argument("--creates", type=int, default=30, help="creates per round (30)")
    parser.add_argument("--lists", type=int, default=30, help="list calls per round (30)")
    parser.add_argument(
        "--fill-budget",
        type=float,
        default=60.0,
        help="seconds a worker may spend filling one family (60); past it, the figure is "
        "taken at the size reached and says so",
    )
    parser.add_argument(
        "--page-fill-budget",
        type=float,
        default=300.0,
        help="the same for the 100,000 training datasets of the page figure (300)",
    )
    args = parser.parse_args()
    if args.rounds is None:
        args.rounds = 3 if args.quick else 5
    sizes = [BASE, BASE + 2000] if args.quick else [BASE, BASE + 2000, BASE + 20_000]
    names = args.family or list(common.FAMILIES)
    ctx = multiprocessing.get_context("spawn")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, sizes {sizes}, "
        f"{args.rounds} rounds of {args.lists} lists + {args.creates} creates",
        flush=True,
    )
    began = time.perf_counter()
    if not args.page_only:
        bench_families(ctx, names, sizes, args)
    if not args.no_page:
        bench_page(ctx, 10_000 if args.quick else 100_000, args)
    print(f"\n{time.perf_counter() - began:.0f} s in all")
    common.summary()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
