"""tiled's Python client logging in, for the benchmark's case (auth) (the lib's is auth_driver.ts).

    BENCH_PASSWORD=... python bench/py_auth.py --case password --url URL --user alice
    APPROVE_PASSWORD=... python bench/py_auth.py --case device --url URL --user alice

A script cannot answer tiled's prompts, so it logs in the way tiled's own CannotPrompt message
tells programs to: `password_grant` / `device_code_grant` (tiled.client.context), then
`configure_auth(tokens)`, then `from_context` (tiled 0.2.20's from_uri would prompt). For the
device code, `webbrowser.open` (which tiled calls with the link) starts server/oidc/approve.mjs,
as the browser a user would click in. Timed from just before Context.from_any_uri to the first key
of the root; the token cache is the empty TILED_CACHE_DIR the bench gives. One JSON line on
stdout: {seconds, cpuSeconds, bytes, first} (never a secret).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import webbrowser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--case", required=True, choices=["password", "device"])
    p.add_argument("--url", required=True)
    p.add_argument("--user", default="alice")
    args = p.parse_args()
    os.environ.pop("TILED_API_KEY", None)
    from tiled.client.constructors import from_context
    from tiled.client.context import Context, device_code_grant, password_grant

    approvals: list[subprocess.Popen] = []

    def open_in_browser(url: str, *_args, **_kwargs) -> bool:
        # The link carries the code (verification_uri_complete): the user only signs in and confirms.
        approvals.append(subprocess.Popen(["node", str(ROOT / "server" / "oidc" / "approve.mjs"), url, "--user", args.user],
                                          stdout=subprocess.DEVNULL))
        return True

    webbrowser.open = open_in_browser
    wall0, cpu0 = time.perf_counter(), time.process_time()
    context, parts = Context.from_any_uri(args.url)
    spec = context.server_info.authentication.providers[0]
    if args.case == "password":
        tokens = password_grant(context.http_client, spec.links["auth_endpoint"], spec.provider, args.user,
                                os.environ["BENCH_PASSWORD"])
    else:
        scopes = " ".join(sorted({"openid", "offline_access"} | set(spec.extra_scopes or [])))
        tokens = device_code_grant(context.http_client, spec.links["auth_endpoint"], spec.links.get("client_id"),
                                   spec.links.get("token_endpoint"), scopes)
    context.configure_auth(tokens, remember_me=False)
    client = from_context(context, node_path_parts=parts, remember_me=False)
    first = next(iter(client))
    seconds, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    for proc in approvals:
        proc.wait(timeout=30)
    print(json.dumps({"seconds": seconds, "cpuSeconds": cpu, "bytes": 0, "first": first}), flush=True)


if __name__ == "__main__":
    main()
