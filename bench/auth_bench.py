"""The benchmark's case (auth): logging in, the lib against tiled's Python client.

    .venv/bin/python bench/auth_bench.py [--reps N] [--live-seconds S]     (or: bash bench/run.sh --cases auth)

What it measures, on servers of its own (bin/replica, in a throwaway REPLICA_AUTH_DIR under
var/bench/auth, on free ports, of REPLICA_TEST_PORTS when set):

- login-to-first-byte, password: the authenticated replica (tiled's DictionaryAuthenticator). Each
  repetition is a fresh process per client with an empty token cache; timed from just before the
  client is made to the first key of the root in hand (the login, and what the client asks before
  and after it, included; process start and imports not).
- login-to-first-byte, device code: the proxied-OIDC replica and the project's OpenID provider,
  which announces a 1 s polling interval (so the clients' own costs show; at the RFC's default 5 s
  both would wait about 5 s more). The user is server/oidc/approve.mjs, started by each client when
  it shows the link (the lib's onDeviceCode; Python's webbrowser.open).
- a live run followed for --live-seconds (60) on the password server with 5 s access tokens, with
  an HTTP read every 2 s alongside: refreshes counted by the lib and, independently, in the
  server's log; rows received against the run's stop document and the stored table (events lost
  must be 0). The lib only: issue 18 asks for the lib's refreshes and losses (tiled's Python
  client would put its token in the websocket's URL, `?access_token=`, which the server logs).

Clients take turns within each repetition (the order alternates), so a busy machine weighs on both.
The report prints medians [min-max] side by side; results also go to var/bench/results/auth-<stamp>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from procutil import free_port

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
BUILD = BENCH / "build" / "bench"
PY = ROOT / ".venv" / "bin" / "python"
STATE = BENCH / "auth"
RESULTS = BENCH / "results"
ACCESS_S = 5


def say(text: str) -> None:
    print(text, flush=True)



class Servers:
    """The provider and the two authenticated servers, started and stopped with bin/replica."""

    def __init__(self) -> None:
        shutil.rmtree(STATE, ignore_errors=True)
        STATE.mkdir(parents=True)
        self.env = dict(os.environ, REPLICA_AUTH_DIR=str(STATE))
        for name in ("REPLICA_ACCESS_TOKEN_SECONDS", "REPLICA_REFRESH_TOKEN_SECONDS", "REPLICA_SESSION_SECONDS", "TILED_API_KEY"):
            self.env.pop(name, None)
        self.started: list[list[str]] = []

    def cli(self, *args: str) -> str:
        done = subprocess.run([str(ROOT / "bin" / "replica"), *args], env=self.env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise SystemExit(f"bin/replica {' '.join(args)} failed: {done.stderr.strip()[-800:]}")
        return done.stdout.strip()

    def start(self) -> None:
        self.idp = self.cli("idp", "start", "--port", str(free_port()), "--interval", "1")
        self.started.append(["idp", "stop"])
        self.password_url = self.cli("start", "--auth", "password", "--port", str(free_port()), "--access-token-seconds", str(ACCESS_S))
        self.started.append(["stop", "--auth", "password"])
        self.device_url = self.cli("start", "--auth", "proxied-oidc", "--port", str(free_port()))
        self.started.append(["stop", "--auth", "proxied-oidc"])

    def stop(self) -> None:
        for args in reversed(self.started):
            subprocess.run([str(ROOT / "bin" / "replica"), *args], env=self.env, capture_output=True, timeout=60)
        self.started = []

    def password(self, mode: str, user: str = "alice") -> str:
        path = Path(self.cli("auth-users", "--auth", mode, "--path"))
        return next(u["password"] for u in json.loads(path.read_text())["users"] if u["username"] == user)


def last_json(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError("no JSON line")
    return json.loads(lines[-1])


def run_client(who: str, case: str, url: str, env: dict, rep: int) -> dict:
    cache = STATE / "caches" / f"{who}-{case}-{rep}"
    cache.mkdir(parents=True)
    env = dict(env, TILED_CACHE_DIR=str(cache))
    cmd = ["node", str(BUILD / "auth_driver.js")] if who == "lib" else [str(PY), str(ROOT / "bench" / "py_auth.py")]
    t0 = time.perf_counter()
    done = subprocess.run([*cmd, "--case", case, "--url", url, "--user", "alice"], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    process_s = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{who} {case} failed (exit {done.returncode}): {done.stderr.strip()[-1500:]}")
    out = last_json(done.stdout)
    out["process_s"] = process_s
    return out


def med(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} [{min(values):.2f}-{max(values):.2f}]"


def live_case(servers: Servers, seconds: int) -> dict:
    env = dict(os.environ, BENCH_PASSWORD=servers.password("password"), TILED_CACHE_DIR=str(STATE / "caches" / "live"))
    env.pop("TILED_API_KEY", None)
    ready = STATE / "live.ready"
    log = STATE / "password" / "server.log"
    refreshes_before = log.read_text(errors="replace").count("/api/v1/auth/session/refresh")
    driver = subprocess.Popen(["node", str(BUILD / "auth_driver.js"), "--case", "live", "--url", servers.password_url, "--ready", str(ready)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.time() + 60
    while not ready.exists():
        if driver.poll() is not None or time.time() > deadline:
            raise SystemExit(f"the live driver did not get ready: {driver.stderr.read()[-1500:] if driver.stderr else ''}")
        time.sleep(0.1)
    writer = subprocess.run([str(ROOT / "bin" / "replica"), "live", "--url", servers.password_url, "--plan", "uascan", "--seconds", str(seconds)],
                            env=servers.env, capture_output=True, text=True, timeout=seconds + 120)
    if writer.returncode != 0:
        driver.kill()
        raise SystemExit(f"bin/replica live failed: {writer.stderr.strip()[-800:]}")
    stdout, stderr = driver.communicate(timeout=120)
    if driver.returncode != 0:
        raise SystemExit(f"the live driver failed: {stderr.strip()[-1500:]}")
    out = last_json(stdout)
    out["server_refreshes"] = log.read_text(errors="replace").count("/api/v1/auth/session/refresh") - refreshes_before
    out["run_seconds"] = seconds
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--live-seconds", type=int, default=60)
    p.add_argument("--no-live", action="store_true")
    args = p.parse_args(argv)
    if not (BUILD / "auth_driver.js").exists():
        raise SystemExit("var/bench/build/bench/auth_driver.js is missing: run `bash bench/run.sh --cases auth` (it compiles the drivers)")
    servers = Servers()
    say(f"[bench auth] starting the OpenID provider and two authenticated replicas in {STATE.relative_to(ROOT)}")
    results: dict = {"reps": args.reps, "samples": {}}
    try:
        servers.start()
        say(f"[bench auth] password server {servers.password_url} ({ACCESS_S} s access tokens), proxied-OIDC {servers.device_url}, provider {servers.idp} (interval 1 s)")
        base = dict(os.environ)
        base.pop("TILED_API_KEY", None)
        envs = {
            "password": dict(base, BENCH_PASSWORD=servers.password("password")),
            "device": dict(base, APPROVE_PASSWORD=servers.password("proxied-oidc")),
        }
        urls = {"password": servers.password_url, "device": servers.device_url}
        for case in ("password", "device"):
            for who in ("lib", "python"):
                results["samples"][f"{case}/{who}"] = []
            for rep in range(args.reps):
                order = ("lib", "python") if rep % 2 == 0 else ("python", "lib")
                for who in order:
                    results["samples"][f"{case}/{who}"].append(run_client(who, case, urls[case], envs[case], rep))
                say(f"[bench auth] {case}: repetition {rep + 1}/{args.reps} done")
        if not args.no_live:
            say(f"[bench auth] live: a {args.live_seconds} s run followed on the password server ({ACCESS_S} s access tokens)")
            results["live"] = live_case(servers, args.live_seconds)
    finally:
        servers.stop()
        say("[bench auth] servers stopped")
    report(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"auth-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(results, indent=1))
    return 0


def report(results: dict) -> None:
    s = results["samples"]
    say("")
    say(f"Login to first byte (n = {results['reps']} fresh processes per client; median [min-max] seconds; the timed section excludes process start and imports)")
    rows = [("case", "client", "login to first byte s", "client CPU s", "process wall s", "first key")]
    for case, label in (("password", "password (tiled's internal provider)"), ("device", "device code (proxied OIDC, interval 1 s, approved by approve.mjs)")):
        for who, name in (("lib", "lib (TypeScript)"), ("python", "python tiled client")):
            xs = s[f"{case}/{who}"]
            rows.append((label if who == "lib" else "", name, med([x["seconds"] for x in xs]), med([x["cpuSeconds"] for x in xs]),
                         med([x["process_s"] for x in xs]), str(xs[0].get("first"))))
        lib = statistics.median([x["seconds"] for x in s[f"{case}/lib"]])
        py = statistics.median([x["seconds"] for x in s[f"{case}/python"]])
        rows.append(("", f"lib vs python: {py / lib:.2f}x python's speed", "", "", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        say("  ".join(c.ljust(widths[j]) for j, c in enumerate(r)).rstrip())
        if i == 0:
            say("  ".join("-" * w for w in widths))
    live = results.get("live")
    if live:
        lost = (live.get("numEvents") or 0) - live["rows"]
        say("")
        say(f"Live run on the protected server: {live['run_seconds']} s uascan, {ACCESS_S} s access tokens, an HTTP read every 2 s alongside (lib only)")
        say(f"  refreshes: {live['refreshes']} counted by the lib, {live['server_refreshes']} in the server's log; HTTP reads alongside: {live['reads']}")
        say(f"  events: {live['numEvents']} in the stop document, {live['rows']} received live, {live['stored']} stored; lost: {lost}; gaps reported: {live['gaps']}")
        say(f"  followed for {live['seconds']:.1f} s, client CPU {live['cpuSeconds']:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
