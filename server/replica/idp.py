"""bin/replica idp: the replica's OpenID provider (server/oidc/provider.mjs, npm oidc-provider) on
loopback, which the `--auth oidc` and `--auth proxied-oidc` servers trust.

    bin/replica idp start [--port N] [--access-token-seconds S] [--interval S] ...
    bin/replica idp stop | url

State in $REPLICA_AUTH_DIR/idp/ (default var/replica/auth/idp/):

    users.json     the users (username, password, sub: a UUID) and tiled's client secret (600, once)
    keys.json      the provider's signing key (600, once: a restart keeps the `kid` tiled cached)
    config.json    provider.mjs's config, rewritten at every start from users.json and the options (600)
    server.json, server.log
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from . import config
from .config import ReplicaError

DEFAULT_PORT = 8005
PORT_ENV = "REPLICA_IDP_PORT"
SERVER_CLIENT = "tiled-server"  # tiled's OIDCAuthenticator: confidential, authorization code
DEVICE_CLIENT = "tiled-device"  # RFC 8628 clients (tiled's Python client, ours): public
RESOURCE = "urn:replica:tiled"  # the audience of the JWT access tokens
RESOURCE_SCOPE = "tiled"
USERNAMES = ("alice", "bob")
PROVIDER_JS = config.ROOT / "server" / "oidc" / "provider.mjs"
START_TIMEOUT = 30.0


def idp_dir() -> Path:
    from .auth import auth_root

    return auth_root() / "idp"


def users_path() -> Path:
    return idp_dir() / "users.json"


def state_path() -> Path:
    return idp_dir() / "server.json"


def log_path() -> Path:
    return idp_dir() / "server.log"


def config_path() -> Path:
    return idp_dir() / "config.json"


def identity() -> dict:
    """{"users": [{"username", "password", "sub"}], "client_secret"}: created once, mode 600."""
    from .auth import _write_secret, read_secret_file

    path = users_path()
    if not path.exists():
        doc = {
            "users": [{"username": name, "password": secrets.token_urlsafe(18), "sub": uuid.uuid4().hex}
                      for name in USERNAMES],
            "client_secret": secrets.token_urlsafe(32),
        }
        _write_secret(path, json.dumps(doc, indent=2) + "\n")
    try:
        doc = json.loads(read_secret_file(path))
        doc["users"], doc["client_secret"]  # noqa: B018 (presence check)
    except (ValueError, KeyError) as err:
        raise ReplicaError(f"{path} is not the identity provider's users file ({err}); delete it to regenerate") from None
    return doc


@dataclass(frozen=True)
class IdpOptions:
    """Lifetimes (seconds) and behaviour of the provider. Defaults: oidc-provider's, except the
    device polling interval, which Keycloak and Entra send (5 s) and oidc-provider omits."""

    access_token_seconds: float = 3600
    refresh_token_seconds: float = 14 * 24 * 3600
    device_code_seconds: float = 600
    interval: float | None = 5  # None: leave `interval` out of the device authorization answer
    strict_client_auth: bool = False  # True: refuse tiled's doubled client authentication
    rotate_refresh_token: bool = True

    def check(self) -> "IdpOptions":
        for name in ("access_token_seconds", "refresh_token_seconds", "device_code_seconds"):
            if getattr(self, name) <= 0:
                raise ReplicaError(f"--{name.replace('_', '-')} must be > 0")
        if self.interval is not None and self.interval < 0:
            raise ReplicaError("--interval must be >= 0")
        return self


def provider_config(port: int, options: IdpOptions) -> dict:
    doc = identity()
    return {
        "port": port,
        "keys_file": str(idp_dir() / "keys.json"),
        "device_interval": options.interval,
        "rotate_refresh_token": options.rotate_refresh_token,
        "resource": {"indicator": RESOURCE, "audience": RESOURCE, "scope": RESOURCE_SCOPE},
        "ttl": {
            "AccessToken": int(options.access_token_seconds),
            "RefreshToken": int(options.refresh_token_seconds),
            "DeviceCode": int(options.device_code_seconds),
        },
        "clients": [
            {
                "client_id": DEVICE_CLIENT,
                "client_name": "tiled (device login)",
                "token_endpoint_auth_method": "none",
                "grant_types": ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"],
                "response_types": [],
                "redirect_uris": [],
            },
            {
                "client_id": SERVER_CLIENT,
                "client_name": "tiled server",
                "client_secret": doc["client_secret"],
                # "native": loopback redirect URIs match on any port (RFC 8252 section 7.3), so
                # the tiled server may run on whichever port a test picked.
                "application_type": "native",
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "redirect_uris": [f"http://{host}/api/v1/auth/provider/oidc/{path}"
                                  for host in ("127.0.0.1", "localhost") for path in ("device_code", "code")],
                "lenient_client_auth": not options.strict_client_auth,
            },
        ],
        "users": doc["users"],
    }


def _read_state() -> dict | None:
    try:
        return json.loads(state_path().read_text())
    except (OSError, ValueError):
        return None


def _pid_is_ours(state: dict) -> bool:
    try:
        cmdline = Path(f"/proc/{state['pid']}/cmdline").read_bytes().split(b"\0")
    except (OSError, KeyError):
        return False
    return str(PROVIDER_JS).encode() in cmdline and str(config_path()).encode() in cmdline


def running() -> dict | None:
    state = _read_state()
    return state if state and _pid_is_ours(state) else None


def answers(issuer: str) -> bool:
    try:
        with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2) as response:
            return json.loads(response.read()).get("issuer") == issuer
    except (urllib.error.URLError, OSError, ValueError):
        return False


def default_port() -> int:
    raw = os.environ.get(PORT_ENV, "").strip()
    try:
        return int(raw) if raw else DEFAULT_PORT
    except ValueError:
        raise ReplicaError(f"{PORT_ENV} must be a port number, got {raw!r}") from None


def start(port: int | None = None, options: IdpOptions = IdpOptions(), log=print) -> str:
    from .service import port_taken

    options.check()
    port = default_port() if port is None else port
    current = running()
    if current:
        if current["port"] == port:
            log(f"already running (pid {current['pid']})")
            return current["issuer"]
        raise ReplicaError(f"the identity provider is already running on port {current['port']} "
                           f"(pid {current['pid']}); run `bin/replica idp stop` first")
    node = shutil.which("node")
    if node is None:
        raise ReplicaError("Node.js (`node`) is not on PATH; install it (see README) to run the identity provider")
    if not (config.ROOT / "node_modules" / "oidc-provider").is_dir():
        raise ReplicaError("npm package oidc-provider is missing; run `npm ci`")
    if port_taken(port):
        raise ReplicaError(f"port {port} on {config.HOST} is already in use by another program; "
                           f"choose another with `bin/replica idp start --port N` or {PORT_ENV}=N")
    idp_dir().mkdir(parents=True, exist_ok=True)
    path = config_path()
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(provider_config(port, options), f, indent=2)
    issuer = f"http://{config.HOST}:{port}"
    with open(log_path(), "ab") as logfile:
        process = subprocess.Popen(
            [node, str(PROVIDER_JS), "--config", str(path)],
            stdin=subprocess.DEVNULL, stdout=logfile, stderr=subprocess.STDOUT,
            cwd=config.ROOT, start_new_session=True,
        )
    state = {"pid": process.pid, "port": port, "issuer": issuer, "started": time.time()}
    state_path().write_text(json.dumps(state) + "\n")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            state_path().unlink(missing_ok=True)
            tail = log_path().read_text(errors="replace").strip().splitlines()[-3:]
            raise ReplicaError(f"the identity provider exited with status {process.returncode}; "
                               f"see {log_path()} (last line: {tail[-1] if tail else 'empty log'})")
        if answers(issuer):
            return issuer
        time.sleep(0.2)
    process.terminate()
    state_path().unlink(missing_ok=True)
    raise ReplicaError(f"the identity provider did not answer within {START_TIMEOUT:.0f} s; see {log_path()}")


def stop(log=print) -> bool:
    state = _read_state()
    if not state:
        log("not running")
        return False
    if not _pid_is_ours(state):
        state_path().unlink(missing_ok=True)
        log("not running (removed a stale record)")
        return False
    os.kill(state["pid"], signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _pid_is_ours(state):
        time.sleep(0.1)
    if _pid_is_ours(state):
        os.kill(state["pid"], signal.SIGKILL)
    state_path().unlink(missing_ok=True)
    log(f"stopped (pid {state['pid']})")
    return True
