"""Command line (also ``python -m cleanroomsml_mock``):

- ``cleanroomsml-mock --version``: ``cleanroomsml-mock <version>``;
- ``cleanroomsml-mock demo``: run the whole workflow against the mock and narrate it;
- ``cleanroomsml-mock serve [--host 127.0.0.1] [--port 5000] [--state-file PATH]
  [--cors-origins ORIGINS] [--use-moto]``: the
  mock as an HTTP server for the AWS CLI, other SDKs and other processes. A port in use
  (or an address that cannot be bound) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from .config import DEFAULT_ACCOUNT_ID
from .version import installed_version


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cleanroomsml-mock", description="In-process mock of AWS Clean Rooms ML"
    )
    parser.add_argument(
        "--version", action="version", version=f"cleanroomsml-mock {installed_version()}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the whole workflow against the mock and narrate it")
    serve = commands.add_parser(
        "serve",
        help="serve the mock over HTTP (AWS CLI, other SDKs, other processes)",
        description="Serve the Clean Rooms ML API, plus control endpoints under /_mock/.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: loopback only)"
    )
    serve.add_argument(
        "--port", type=int, default=5000, help="port to listen on; 0 picks a free one (5000)"
    )
    serve.add_argument(
        "--state-file",
        metavar="PATH",
        help="load state from PATH at start (refused if not valid) and journal every change "
        "next to it (PATH.journal), folded into PATH at stop",
    )
    serve.add_argument(
        "--account-id",
        default=DEFAULT_ACCOUNT_ID,
        help="account of callers whose access key id is not a 12-digit number",
    )
    serve.add_argument(
        "--lifecycle",
        choices=("immediate", "progressive", "manual", "timed"),
        default="immediate",
        help="how resource statuses move (default immediate)",
    )
    serve.add_argument(
        "--durations",
        metavar="JSON",
        help="timed mode's step durations in seconds, e.g. '{\"trained-model\": 60}'",
    )
    serve.add_argument(
        "--strict-memberships",
        action="store_true",
        help="refuse unregistered membership ids instead of registering them",
    )
    serve.add_argument(
        "--cors-origins",
        default="*",
        metavar="ORIGINS",
        help="origins whose web pages may call the server, comma-separated "
        "(e.g. http://localhost:3000), or * for any (default *); '' for none",
    )
    serve.add_argument(
        "--use-moto",
        action="store_true",
        help="read inputs from and write outputs to moto's mock_aws, which must be active in "
        "this same process (a server started from Python under mock_aws); refused otherwise",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run

        run()
        return 0
    if args.command == "serve":
        from .config import MockConfig
        from .lifecycle import Lifecycle, check_durations
        from .server import run as run_server

        if not (len(args.account_id) == 12 and args.account_id.isdigit()):
            parser.error(f"--account-id must be 12 digits, got {args.account_id!r}")
        if not 0 <= args.port <= 65535:
            parser.error(f"--port must be 0-65535, got {args.port}")
        from .server.cors import parse_origins

        try:
            parse_origins(args.cors_origins)
        except ValueError as exc:
            parser.error(f"--cors-origins: {exc}")
        durations: Any = {}
        if args.durations is not None:
            try:
                durations = json.loads(args.durations)
            except ValueError as exc:
                parser.error(f"--durations is not valid JSON: {exc}")
            if not isinstance(durations, dict):
                parser.error("--durations must be a JSON object of seconds by key")
        try:
            checked = check_durations(durations)
        except ValueError as exc:
            parser.error(f"--{exc}")
        config = MockConfig(
            account_id=args.account_id,
            lifecycle=Lifecycle(args.lifecycle),
            strict_memberships=args.strict_memberships,
            durations=checked,
            # without --use-moto: None, moto consulted whenever active (as in process)
            use_moto=True if args.use_moto else None,
        )
        return run_server(
            args.host,
            args.port,
            state_file=args.state_file,
            config=config,
            verbose=not args.quiet,
            cors_origins=args.cors_origins,
        )
    return 2
