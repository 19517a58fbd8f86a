"""bin/replica: generate the replica catalogs and run the tiled server that serves them.

    bin/replica generate [--force] [--catalog NAME ...]
    bin/replica ensure
    bin/replica start [--layout sql|mongo | --writable] [--port N]
    bin/replica stop [--layout sql|mongo | --writable | --all] | status | url [--layout sql|mongo | --writable]
    bin/replica start --auth password|oidc|proxied-oidc [--port N] [--access-token-seconds S]
                      [--refresh-token-seconds S] [--session-seconds S] [--oidc-issuer URL]
    bin/replica stop --auth MODE | url --auth MODE | auth-users --auth MODE [--path]
    bin/replica idp start [--port N] [...] | idp stop | idp url
    bin/replica live [--plan uascan|saxs] [--seconds S] [--events N] [--rate HZ] [--url URL] [--auth MODE]
"""

from __future__ import annotations

import argparse
import json
import sys

from . import config
from .auth import AUTH_MODES
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
    stop.add_argument("--all", action="store_true", dest="all_servers",
                      help="stop every server of this var/replica: both replicas, the writable one, "
                           "the authenticated ones and the identity provider")
    commands.add_parser("status", help="server and catalog state, as JSON")
    url = commands.add_parser("url", help="print the running server's URL")
    for sub in (start, stop, url):
        # sql: tiled's SQL catalog (the default). mongo: the legacy replica, databroker's MongoDB
        # layout on mongomock (replica/legacy/), a second server with its own port and state.
        sub.add_argument("--layout", choices=config.LAYOUTS, default=None,
                         help="which replica server: sql (default) or mongo (legacy databroker layout)")
        # writable: a further server, an empty SQL catalog to upload into (replica/writable.py),
        # wiped at every start; the demo catalogs are not in it.
        sub.add_argument("--writable", action="store_true",
                         help="the writable server: an empty catalog (wiped at each start) with raw files under /raw")
        # The SQL layout behind a login (replica/auth.py): one server per mode, own port and state.
        sub.add_argument("--auth", choices=AUTH_MODES, default=None,
                         help="the authenticated server: password (default port 8002), oidc (8003), "
                              "proxied-oidc (8004)")
    start.add_argument("--access-token-seconds", type=float, default=None, metavar="S",
                       help="--auth: tiled's access token lifetime (default $REPLICA_ACCESS_TOKEN_SECONDS or 900)")
    start.add_argument("--refresh-token-seconds", type=float, default=None, metavar="S",
                       help="--auth: refresh token lifetime (default $REPLICA_REFRESH_TOKEN_SECONDS or 7 days)")
    start.add_argument("--session-seconds", type=float, default=None, metavar="S",
                       help="--auth: session lifetime, refreshes included (default $REPLICA_SESSION_SECONDS or 365 days)")
    start.add_argument("--oidc-issuer", default=None, metavar="URL",
                       help="--auth oidc|proxied-oidc: the OpenID provider (default: `bin/replica idp start`'s)")
    users = commands.add_parser("auth-users", help="where the users and passwords of an --auth server are")
    users.add_argument("--auth", choices=AUTH_MODES, required=True)
    users.add_argument("--path", action="store_true",
                       help="print the JSON file's path ({\"users\": [{\"username\", \"password\", ...}]}, mode 600)")
    idp_cmd = commands.add_parser("idp", help="the replica's OpenID provider (server/oidc/provider.mjs)")
    idp_sub = idp_cmd.add_subparsers(dest="idp_command", required=True, metavar="ACTION")
    idp_start = idp_sub.add_parser("start", help="start it in the background; prints the issuer URL")
    idp_start.add_argument("--port", type=int, default=None, help="default $REPLICA_IDP_PORT or 8005")
    idp_start.add_argument("--access-token-seconds", type=float, default=3600, metavar="S")
    idp_start.add_argument("--refresh-token-seconds", type=float, default=14 * 24 * 3600, metavar="S")
    idp_start.add_argument("--device-code-seconds", type=float, default=600, metavar="S",
                           help="how long a device code (user code) may wait for approval")
    idp_start.add_argument("--interval", type=float, default=5, metavar="S",
                           help="the polling interval announced with a device code (default 5)")
    idp_start.add_argument("--no-interval", action="store_true",
                           help="announce no interval (oidc-provider's own behaviour; RFC 8628 default 5 s)")
    idp_start.add_argument("--strict-client-auth", action="store_true",
                           help="refuse a client secret sent twice (Basic and form), as RFC 6749 2.3 says: "
                                "tiled's OIDCAuthenticator then cannot log anyone in")
    idp_start.add_argument("--no-refresh-rotation", action="store_true",
                           help="keep one refresh token per grant (default: rotate on every use)")
    idp_sub.add_parser("stop", help="stop the provider `idp start` started")
    idp_sub.add_parser("url", help="print the running provider's issuer URL")
    # Options are parsed by replica.live itself (bin/replica live --help).
    commands.add_parser("live", help="write a run into /live as it happens (see bin/replica live --help)",
                        add_help=False)
    return parser


def _layout(args) -> str:
    """--layout, --writable and --auth name one server; --auth is the SQL layout behind a login."""
    if getattr(args, "writable", False):
        if args.layout is not None or getattr(args, "auth", None):
            raise ReplicaError("--writable, --layout and --auth name different servers; give one of them")
        return "writable"
    if getattr(args, "auth", None):
        if args.layout not in (None, "sql"):
            raise ReplicaError("--auth serves the SQL layout; drop --layout mongo")
        from .service import auth_layout

        return auth_layout(args.auth)
    if args.command == "start" and any(
        getattr(args, name) is not None
        for name in ("access_token_seconds", "refresh_token_seconds", "session_seconds", "oidc_issuer")
    ):
        raise ReplicaError("token lifetimes and --oidc-issuer apply to an authenticated server: add --auth MODE")
    return args.layout or "sql"


def main(argv=None) -> int:
    args, rest = _parser().parse_known_args(argv)
    if rest and args.command != "live":
        _parser().parse_args(argv)  # the usual "unrecognized arguments" error
    try:
        if args.command == "generate":
            from .generator import generate

            generate(args.catalog, force=args.force)
        elif args.command == "ensure":
            from .generator import ensure

            if not ensure():
                print("catalogs are up to date")
        elif args.command == "start":
            from . import service

            layout = _layout(args)
            lifetimes = None
            if args.auth:
                from .auth import Lifetimes

                lifetimes = Lifetimes.resolve(args.access_token_seconds, args.refresh_token_seconds,
                                              args.session_seconds)
            # Progress goes to stderr so that stdout is the URL alone: `url=$(bin/replica start)`.
            url = service.start(args.port, log=lambda msg: print(msg, file=sys.stderr),
                                layout=layout, lifetimes=lifetimes, oidc_issuer=args.oidc_issuer)
            print(url)
        elif args.command == "stop":
            from . import service

            if args.all_servers:
                from . import auth, idp

                for layout in ("sql", "mongo", "writable", *(service.auth_layout(m) for m in auth.AUTH_MODES)):
                    if service.running(layout):
                        print(f"{service._what(layout)}: ", end="", file=sys.stderr)
                        service.stop(layout=layout, log=lambda msg: print(msg, file=sys.stderr))
                if idp.running():
                    print("the identity provider: ", end="", file=sys.stderr)
                    idp.stop()
            else:
                service.stop(layout=_layout(args))
        elif args.command == "auth-users":
            from . import auth

            path = auth.users_path(args.auth)
            if not path.exists():
                raise ReplicaError(f"no users yet for --auth {args.auth} ({path}); "
                                   + ("start the server once: `bin/replica start --auth password`"
                                      if args.auth == "password" else "start `bin/replica idp start` once"))
            if args.path:
                print(path)
            else:  # the names only: passwords stay in the file
                users = json.loads(auth.read_secret_file(path))["users"]
                print(" ".join(u["username"] for u in users))
        elif args.command == "idp":
            from . import idp

            if args.idp_command == "start":
                options = idp.IdpOptions(
                    access_token_seconds=args.access_token_seconds,
                    refresh_token_seconds=args.refresh_token_seconds,
                    device_code_seconds=args.device_code_seconds,
                    interval=None if args.no_interval else args.interval,
                    strict_client_auth=args.strict_client_auth,
                    rotate_refresh_token=not args.no_refresh_rotation,
                )
                print(idp.start(args.port, options, log=lambda msg: print(msg, file=sys.stderr)))
            elif args.idp_command == "stop":
                idp.stop()
            else:
                state = idp.running()
                if not state:
                    raise ReplicaError("the identity provider is not running; start it with `bin/replica idp start`")
                print(state["issuer"])
        elif args.command == "status":
            from . import service

            print(json.dumps(service.status(), indent=2))
        elif args.command == "live":
            from . import live

            return live.main(rest)
        elif args.command == "url":
            from . import service

            layout = _layout(args)
            state = service.running(layout)
            if not state:
                raise ReplicaError(
                    f"{service._what(layout)} is not running; start it with `bin/replica start{service._flag(layout)}`"
                )
            print(state["url"])
    except ReplicaError as err:
        print(f"replica: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("replica: interrupted", file=sys.stderr)
        return 130
    return 0
