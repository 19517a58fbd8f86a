"""Authenticated replica servers and the OpenID provider for the test_auth*.py tests, started with
the real CLI (`bin/replica start --auth MODE`, `bin/replica idp start`) on free ports, each group
with its own throwaway REPLICA_AUTH_DIR (users, keys, sessions) over the generated catalogs of
var/replica. Everything is stopped by the CLI, which ends only the PIDs it recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from conftest import ROOT, free_port

BIN_REPLICA = ROOT / "bin" / "replica"
HARNESS = ROOT / "server" / "auth_harness"
APPROVE = ROOT / "server" / "oidc" / "approve.mjs"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class Passwords(dict):
    """username -> password, whose repr (in a failing test's report) names the users only."""

    def __repr__(self) -> str:
        return f"<passwords of {', '.join(self)}>"


class AuthGroup:
    """One REPLICA_AUTH_DIR: an identity provider and/or authenticated servers that share it."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.env = dict(os.environ, REPLICA_AUTH_DIR=str(directory), PYTHONPATH=str(ROOT / "server"))
        for name in ("REPLICA_ACCESS_TOKEN_SECONDS", "REPLICA_REFRESH_TOKEN_SECONDS", "REPLICA_SESSION_SECONDS",
                     "TILED_API_KEY", "REPLICA_OIDC_CLIENT_SECRET"):
            self.env.pop(name, None)
        self.modes: list[str] = []
        self.idp_issuer: str | None = None

    def cli(self, *args: str, check: bool = True, timeout: float = 240) -> subprocess.CompletedProcess:
        done = subprocess.run([str(BIN_REPLICA), *args], env=self.env, capture_output=True, text=True,
                              cwd=ROOT, timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"bin/replica {' '.join(args)} failed: {done.stderr.strip()[-1500:]}")
        return done

    def start_idp(self, *options: str) -> str:
        self.idp_issuer = self.cli("idp", "start", "--port", str(free_port()), *options).stdout.strip()
        return self.idp_issuer

    def start(self, mode: str, *options: str) -> str:
        url = self.cli("start", "--auth", mode, "--port", str(free_port()), *options).stdout.strip()
        self.modes.append(mode)
        return url

    def stop(self) -> None:
        for mode in self.modes:
            self.cli("stop", "--auth", mode, check=False)
        if self.idp_issuer:
            self.cli("idp", "stop", check=False)

    def users(self, mode: str) -> dict[str, dict]:
        path = Path(self.cli("auth-users", "--auth", mode, "--path").stdout.strip())
        assert format(path.stat().st_mode & 0o777, "o") == "600"
        return {u["username"]: u for u in json.loads(path.read_text())["users"]}

    def writer_key(self, mode: str) -> str:
        return (self.dir / mode / "writer-api-key").read_text().strip()


def password_login(api: str, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{api}/auth/provider/replica/token", data={"username": username, "password": password})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def apikey(key: str) -> dict:
    return {"Authorization": f"Apikey {key}"}


def approve(url: str, username: str | None, password: str | None, *, user_code: str | None = None,
            deny: bool = False, deny_at: str = "consent") -> subprocess.CompletedProcess:
    """server/oidc/approve.mjs as a user would click through; the password goes by environment."""
    args = ["node", str(APPROVE), url]
    if user_code:
        args += ["--user-code", user_code]
    if username:
        args += ["--user", username]
    if deny:
        args += ["--deny", "--deny-at", deny_at]
    env = dict(os.environ, APPROVE_PASSWORD=password or "")
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


def harness(script: str, *args: str, cache: Path, password: str | None = None,
            timeout: float = 180) -> tuple[int, list[dict]]:
    """Run a server/auth_harness script with the venv's Python; returns (exit, JSON lines)."""
    env = dict(os.environ, TILED_CACHE_DIR=str(cache))
    env.pop("TILED_API_KEY", None)
    if password is not None:
        env["HARNESS_PASSWORD"] = password
    done = subprocess.run([sys.executable, str(HARNESS / script), *args], env=env, capture_output=True,
                          text=True, timeout=timeout)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{script} printed no JSON (exit {done.returncode}): {done.stderr.strip()[-1500:]}")
    return done.returncode, lines
