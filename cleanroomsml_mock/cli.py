"""Command line: ``cleanroomsml-mock demo`` (and ``python -m cleanroomsml_mock demo``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cleanroomsml-mock", description="In-process mock of AWS Clean Rooms ML"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the whole workflow against the mock and narrate it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from .demo import run

        run()
        return 0
    return 2
