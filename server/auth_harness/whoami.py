"""Open a server with tiled's Python client from the token cache alone, as a user's second
program would after a login (by `tiled login`, by another Python process, or by our TypeScript
client writing the same files), and say who it is logged in as.

    TILED_CACHE_DIR=DIR python server/auth_harness/whoami.py URI [--read PATH] [--refresh]

stdout: one JSON line {"whoami": <GET /auth/whoami as tiled's client returns it>, "children":
[top-level names], "read": {path, structure_family, metadata_keys} (with --read),
"refreshed": bool (--refresh: ask for new tokens first, as a refresh would), "token_files"}.
Exit 1 with {"error": class name, "message"} when the cache does not log in: the client never
prompts (stdin is not a terminal, so tiled raises CannotPrompt instead).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from common import HarnessError, cache_dir, run, say, token_files


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("uri")
    p.add_argument("--read", metavar="PATH", help="also read this node's metadata (e.g. bdp2022)")
    p.add_argument("--refresh", action="store_true", help="refresh the tokens first (writes the cache)")
    args = p.parse_args()
    cache_dir()  # fail early without TILED_CACHE_DIR
    os.environ.pop("TILED_API_KEY", None)  # tiled's client would use it instead of the cache
    os.environ["TILED_SHOW_PROGRESS"] = "0"
    from tiled.client import from_uri

    try:
        client = from_uri(args.uri)
        refreshed = False
        if args.refresh:
            client.context.force_auth_refresh()
            refreshed = True
        out = {"whoami": client.context.whoami(), "children": list(client), "refreshed": refreshed}
        if args.read:
            node = client[args.read]
            out["read"] = {"path": args.read, "structure_family": str(node.structure_family.value),
                           "metadata_keys": sorted(node.metadata)}
    except Exception as err:  # report what tiled's client raised, as data for the caller
        say({"error": type(err).__name__, "message": str(err).strip().splitlines()[0] if str(err).strip() else "",
             "token_files": token_files(args.uri)})
        return 1
    out["token_files"] = token_files(args.uri)
    print(json.dumps(out, default=str), flush=True)
    return 0


if __name__ == "__main__":
    run(main)
