"""Run tiled's server for a config file: `python -m replica.serve_app CONFIG --port N`.

This does what `tiled serve config CONFIG --host 127.0.0.1 --port N` does (tiled's
parse_configs, build_app_from_config, uvicorn.run with tiled's logging config) minus one thing:
tiled's banner prints a `?api_key=...` URL to the log, and the replica's key must never
reach a log; and one thing more: a filter (log_redact.py) masks credentials in logged query
strings. Everything that answers requests is tiled's own app.
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="replica.serve_app")
    parser.add_argument("config")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

    import uvicorn
    from tiled.commandline._serve import _setup_log_config
    from tiled.config import parse_configs
    from tiled.server.app import build_app_from_config

    from .config import HOST
    from .log_redact import add_to

    parsed = parse_configs(args.config)
    app = build_app_from_config(parsed)
    print(f"replica: tiled serving {args.config} at http://{HOST}:{args.port}", file=sys.stderr, flush=True)
    # Credentials in query strings (?api_key=, a websocket's ?access_token=) are redacted.
    uvicorn.run(app, host=HOST, port=args.port, log_config=add_to(_setup_log_config(None, True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
