"""bin/replica: generate the replica catalogs and run the tiled server that serves them.

    bin/replica generate [--force] [--catalog NAME ...]
    bin/replica ensure
    bin/replica start [--layout sql|mongo | --writable] [--port N]
    bin/replica stop [--layout sql|mongo | --writable] | status | url [--layout sql|mongo | --writable]
    bin/replica live [--plan uascan|saxs] [--seconds S] [--events N] [--rate HZ] [--url URL]
"""

from __future__ import annotations

import argparse
import json
import sys

from . import config
from .config import ReplicaError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bin/replica",
        description="The replica tiled server: synthetic bdp2022 and 20idb_usaxs catalogs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    gen = commands.add_parser("generate", help="build the catalogs from nothing")
    gen.add_argument("--force", action="store_true", help="rebuild catalogs that already hold runs")
    gen.add_argument(
        "--catalog", action="append", default=[], metavar="NAME",
        help=f"only this catalog (repeatable); one of {', '.join(config.CATALOG_NAMES)}",
    )
    commands.add_parser("ensure", help="generate only what is missing or out of date")
    start = commands.add_parser("start", help="ensure, then start the server in the background")
    start.add_argument("--port", type=int, default=None,
                       help=f"port on {config.HOST} (default $REPLICA_PORT or {config.DEFAULT_PORT}; "
                            f"--layout mongo: $REPLICA_LEGACY_PORT or {config.LEGACY_DEFAULT_PORT}; "
                            f"--writable: $REPLICA_WRITABLE_PORT or {config.WRITABLE_DEFAULT_PORT})")
    stop = commands.add_parser("stop", help="stop the server that `start` started")
    commands.add_parser("status", help="server and catalog state, as JSON")
    url = commands.add_parser("url", help="print the running server's URL")
    for sub in (start, stop, url):
        # sql: tiled's SQL catalog (the default). mongo: the legacy replica, databroker's MongoDB
        # layout on mongomock (replica/legacy/), a second server with its own port and state.
        sub.add_argument("--layout", choices=config.LAYOUTS, default=None,
                         help="which replica server: sql (default) or mongo (legacy databroker layout)")
        # writable: a third server, an empty SQL catalog to upload into (replica/writable.py),
        # wiped at every start; the demo catalogs are not in it.
        sub.add_argument("--writable", action="store_true",
                         help="the writable server: an empty catalog (wiped at each start) with raw files under /raw")
    # Options are parsed by replica.live itself (bin/replica live --help).
    commands.add_parser("live", help="write a run into /live as it happens (see bin/replica live --help)",
                        add_help=False)
    return parser


def _server(args) -> str:
    """The server a start/stop/url command is about: sql, mongo or writable."""
    if getattr(args, "writable", False):
        if args.layout is not None:
            raise ReplicaError("--writable and --layout name different servers; give one of them")
        return "writable"
    return getattr(args, "layout", None) or "sql"


def main(argv=None) -> int:
    args, rest = _parser().parse_known_args(argv)
    if rest and args.command != "live":
        _parser().parse_args(argv)  # the usual "unrecognized arguments" error
    try:
        if args.command in ("start", "stop", "url"):
            args.layout = _server(args)
        if args.command == "generate":
            from .generator import generate

            generate(args.catalog, force=args.force)
        elif args.command == "ensure":
            from .generator import ensure

            if not ensure():
                print("catalogs are up to date")
        elif args.command == "start":
            from . import service

            # Progress goes to stderr so that stdout is the URL alone: `url=$(bin/replica start)`.
            url = service.start(args.port, log=lambda msg: print(msg, file=sys.stderr),
                                layout=args.layout)
            print(url)
        elif args.command == "stop":
            from . import service

            service.stop(layout=args.layout)
        elif args.command == "status":
            from . import service

            print(json.dumps(service.status(), indent=2))
        elif args.command == "live":
            from . import live

            return live.main(rest)
        elif args.command == "url":
            from . import service

            state = service.running(args.layout)
            if not state:
                raise ReplicaError({
                    "sql": "the replica server is not running; start it with `bin/replica start`",
                    "mongo": "the legacy (mongo layout) replica server is not running; "
                             "start it with `bin/replica start --layout mongo`",
                    "writable": "the writable replica server is not running; "
                                "start it with `bin/replica start --writable`",
                }[args.layout])
            print(state["url"])
    except ReplicaError as err:
        print(f"replica: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("replica: interrupted", file=sys.stderr)
        return 130
    return 0
