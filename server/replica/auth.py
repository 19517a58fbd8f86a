"""The authenticated replica: the same catalogs behind a login (bin/replica start --auth MODE).

    password       tiled's DictionaryAuthenticator ("internal" mode: POST .../provider/replica/token)
    oidc           tiled's OIDCAuthenticator: tiled's own device flow, the user signs in at an
                   OpenID provider (server/oidc/provider.mjs, `bin/replica idp start`)
    proxied-oidc   tiled's ProxiedOIDCAuthenticator: the client does RFC 8628 with the provider
                   itself; tiled only validates the provider's JWT access tokens (audience, issuer)

Every mode refuses anonymous requests (`authentication.required` is true in GET /api/v1/), serves
/bdp2022 and /20idb_usaxs read-only to users and a /live catalog that `bin/replica live` writes with
the API key of a service principal (`writer-api-key`). Each mode keeps its state in
$REPLICA_AUTH_DIR/<mode>/ (default var/replica/auth/<mode>/):

    users.json        password mode: the users and their passwords (mode 600, created once)
    secret-key        the key tiled signs its tokens with (mode 600, created once)
    authn.db          tiled's authentication database (principals, sessions, API keys)
    writer-api-key    the live writer's API key (mode 600)
    config.yml        the tiled config; secrets in it are ${VARS} the server gets from its environment
    server.json, server.log, live/ (the /live catalog)

Secrets are never printed; a test reads users.json (`bin/replica auth-users --auth MODE --path`).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import config
from .config import ReplicaError

AUTH_MODES = ("password", "oidc", "proxied-oidc")
DEFAULT_PORTS = {"password": 8002, "oidc": 8003, "proxied-oidc": 8004}
PORT_ENV = {"password": "REPLICA_AUTH_PORT", "oidc": "REPLICA_OIDC_PORT", "proxied-oidc": "REPLICA_PROXIED_OIDC_PORT"}
# The provider's name in tiled's URLs (/api/v1/auth/provider/<name>/...).
PROVIDER = {"password": "replica", "oidc": "oidc", "proxied-oidc": "oidc"}
USERNAMES = ("alice", "bob")

# What a logged-in user may do on every mode: read, and manage their own API keys. tiled's default
# "user" role also writes and deletes; the replica's catalogs are acceptance figures.
READ_ONLY_USER_SCOPES = ["read:metadata", "read:data", "create:apikeys", "revoke:apikeys"]
WRITER_ROLE = "replica-writer"
WRITER_NOTE = "bin/replica live writer"

LIFETIME_ENV = {
    "access": "REPLICA_ACCESS_TOKEN_SECONDS",
    "refresh": "REPLICA_REFRESH_TOKEN_SECONDS",
    "session": "REPLICA_SESSION_SECONDS",
}


def check_mode(mode: str) -> str:
    if mode not in AUTH_MODES:
        raise ReplicaError(f"unknown --auth mode {mode!r}: one of {', '.join(AUTH_MODES)}")
    return mode


def auth_root() -> Path:
    # REPLICA_AUTH_DIR lets a test keep throwaway users, sessions and keys while serving the
    # generated catalogs of var/replica.
    raw = os.environ.get("REPLICA_AUTH_DIR", "").strip()
    return Path(raw).resolve() if raw else config.var_dir() / "auth"


def mode_dir(mode: str) -> Path:
    return auth_root() / check_mode(mode)


def users_path(mode: str) -> Path:
    """Where a test finds the users and passwords: users.json (password mode), the identity
    provider's users.json (oidc modes); both are {"users": [{"username", "password", ...}]}."""
    if check_mode(mode) == "password":
        return mode_dir(mode) / "users.json"
    from . import idp

    return idp.users_path()


def writer_key_path(mode: str) -> Path:
    return mode_dir(mode) / "writer-api-key"


def _write_secret(path: Path, text: str) -> None:
    """Create a file readable by its owner only, from the start (O_EXCL: never overwrite)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def read_secret_file(path: Path) -> str:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ReplicaError(f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`")
    return path.read_text()


def ensure_users(mode: str = "password") -> list[dict]:
    """The password mode's users, generated once: [{"username", "password"}]."""
    path = users_path(mode)
    if not path.exists():
        users = [{"username": name, "password": secrets.token_urlsafe(18)} for name in USERNAMES]
        _write_secret(path, json.dumps({"provider": PROVIDER[mode], "users": users}, indent=2) + "\n")
    try:
        users = json.loads(read_secret_file(path))["users"]
    except (ValueError, KeyError) as err:
        raise ReplicaError(f"{path} is not a users file ({err}); delete it to generate new users") from None
    for user in users:
        if not (isinstance(user.get("username"), str) and isinstance(user.get("password"), str)):
            raise ReplicaError(f"{path}: every user needs a username and a password; delete it to regenerate")
    return users


def secret_key(mode: str) -> str:
    path = mode_dir(mode) / "secret-key"
    if not path.exists():
        _write_secret(path, secrets.token_hex(32) + "\n")
    return read_secret_file(path).strip()


@dataclass(frozen=True)
class Lifetimes:
    """tiled's token lifetimes in seconds (None: tiled's default: 15 min, 7 days, 365 days).

    config keys authentication.access_token_max_age / refresh_token_max_age / session_max_age."""

    access: float | None = None
    refresh: float | None = None
    session: float | None = None

    @classmethod
    def resolve(cls, access=None, refresh=None, session=None) -> "Lifetimes":
        """Options first, else $REPLICA_ACCESS_TOKEN_SECONDS / _REFRESH_ / $REPLICA_SESSION_SECONDS."""
        values = {}
        for name, given in (("access", access), ("refresh", refresh), ("session", session)):
            if given is None:
                raw = os.environ.get(LIFETIME_ENV[name], "").strip()
                if raw:
                    try:
                        given = float(raw)
                    except ValueError:
                        raise ReplicaError(f"{LIFETIME_ENV[name]} must be a number of seconds, got {raw!r}") from None
            if given is not None and given <= 0:
                raise ReplicaError(f"the {name} token lifetime must be > 0 seconds, got {given}")
            values[name] = given
        return cls(**values)

    def config(self) -> dict:
        out = {}
        for name, key in (("access", "access_token_max_age"), ("refresh", "refresh_token_max_age"),
                          ("session", "session_max_age")):
            if getattr(self, name) is not None:
                out[key] = getattr(self, name)
        return out


# --- tiled's authentication database ------------------------------------------------------------


def db_path(mode: str) -> Path:
    return mode_dir(mode) / "authn.db"


def prepare_database(mode: str) -> None:
    """Create tiled's authentication database once (tiled's own `tiled admin initialize-database`),
    then, every start: the "user" role reads only, and the live writer (a service principal with
    the single-user key's scopes) has a valid API key in writer-api-key."""
    path = db_path(mode)
    uri = f"sqlite:///{path}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "tiled", "admin", "initialize-database", uri],
                              capture_output=True, text=True)
        if done.returncode != 0:
            path.unlink(missing_ok=True)
            raise ReplicaError(f"tiled could not create its authentication database {path}: "
                               f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
        path.chmod(0o600)
    import asyncio

    asyncio.run(_prepare(uri, writer_key_path(mode)))


async def _prepare(uri: str, key_path: Path) -> None:
    import hashlib

    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
    from tiled.access_control.scopes import SINGLE_USER_SCOPES
    from tiled.authn_database import orm
    from tiled.authn_database.core import create_service, lookup_valid_api_key
    from tiled.utils import ensure_specified_sql_driver

    engine = create_async_engine(ensure_specified_sql_driver(uri))
    try:
        async with AsyncSession(engine, expire_on_commit=False) as db:
            user_role = (await db.execute(select(orm.Role).filter(orm.Role.name == "user"))).scalar()
            user_role.scopes = list(READ_ONLY_USER_SCOPES)
            writer_role = (await db.execute(select(orm.Role).filter(orm.Role.name == WRITER_ROLE))).scalar()
            if writer_role is None:
                db.add(orm.Role(name=WRITER_ROLE, description="bin/replica live: writes runs into /live",
                                scopes=sorted(str(s.value) for s in SINGLE_USER_SCOPES)))
            await db.commit()

            key = key_path.read_text().strip() if key_path.exists() else ""
            valid = False
            if key:
                try:
                    valid = await lookup_valid_api_key(db, bytes.fromhex(key)) is not None
                except ValueError:
                    valid = False
            if valid:
                return
            # A fresh key for the (one) writer service principal, made as tiled's POST
            # /auth/principal/{uuid}/apikey makes one: 36 random bytes, the SHA-256 stored.
            principal = (await db.execute(
                select(orm.Principal).join(orm.Principal.roles).filter(orm.Role.name == WRITER_ROLE)
            )).scalar()
            if principal is None:
                principal = await create_service(db, WRITER_ROLE)
            secret = secrets.token_bytes(4 + 32)
            db.add(orm.APIKey(principal_id=principal.id, expiration_time=None, note=WRITER_NOTE,
                              scopes=["inherit"], access_tags=None, first_eight=secret.hex()[:8],
                              hashed_secret=hashlib.sha256(secret).digest()))
            await db.commit()
            key_path.unlink(missing_ok=True)
            _write_secret(key_path, secret.hex() + "\n")
    finally:
        await engine.dispose()


def writer_key(mode: str) -> str:
    path = writer_key_path(mode)
    if not path.exists():
        raise ReplicaError(f"no live writer key for the {mode} server ({path}); "
                           f"start it once with `bin/replica start --auth {mode}`")
    return read_secret_file(path).strip()


# --- the tiled config ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OidcSettings:
    """How tiled reaches the OpenID provider (oidc and proxied-oidc modes)."""

    issuer: str
    client_id: str  # tiled's confidential client (OIDCAuthenticator's code exchange)
    device_client_id: str  # the public client RFC 8628 clients use (ProxiedOIDCAuthenticator)
    audience: str  # the `aud` of the provider's JWT access tokens
    resource_scope: str  # the provider's scope for that audience, mapped to tiled scopes


def oidc_settings(issuer: str | None) -> tuple[OidcSettings, str]:
    """The provider settings and the confidential client's secret: from the replica's identity
    provider (`bin/replica idp start`), or $REPLICA_OIDC_* for another provider."""
    from . import idp

    state = idp.running()
    if issuer is None:
        if not state:
            raise ReplicaError("no identity provider: start one with `bin/replica idp start`, "
                               "or give --oidc-issuer URL")
        issuer = state["issuer"]
    issuer = issuer.rstrip("/")
    ours = bool(state) and state["issuer"] == issuer
    identity = idp.identity() if ours or idp.users_path().exists() else {}
    secret = os.environ.get("REPLICA_OIDC_CLIENT_SECRET", "").strip() or identity.get("client_secret", "")
    settings = OidcSettings(
        issuer=issuer,
        client_id=os.environ.get("REPLICA_OIDC_CLIENT_ID", "").strip() or idp.SERVER_CLIENT,
        device_client_id=os.environ.get("REPLICA_OIDC_DEVICE_CLIENT_ID", "").strip() or idp.DEVICE_CLIENT,
        audience=os.environ.get("REPLICA_OIDC_AUDIENCE", "").strip() or idp.RESOURCE,
        resource_scope=idp.RESOURCE_SCOPE,
    )
    return settings, secret


def tiled_config(mode: str, lifetimes: Lifetimes, oidc: OidcSettings | None) -> dict:
    """The server config of one auth mode; secrets are ${VARS} (see server_env)."""
    from .service import served_catalogs

    # The same trees as the anonymous SQL server (config.tiled_config); its single-user key
    # section is replaced by the providers below.
    cfg = config.tiled_config(api_key="unused", catalogs=served_catalogs())
    del cfg["authentication"]
    config.refer_to_postgres_uri(cfg)
    config.add_live(cfg, directory=mode_dir(mode) / "live")

    provider = PROVIDER[mode]
    if mode == "password":
        users = ensure_users(mode)
        spec = {
            "provider": provider,
            "authenticator": "tiled.authenticators:DictionaryAuthenticator",
            "args": {
                "users_to_passwords": {u["username"]: "${" + _password_var(i) + "}" for i, u in enumerate(users)},
                "confirmation_message": "You have logged in to the replica as {id}.",
            },
        }
    elif mode == "oidc":
        spec = {
            "provider": provider,
            "authenticator": "tiled.authenticators:OIDCAuthenticator",
            "args": {
                # OIDCAuthenticator checks the *ID token*, whose audience is tiled's client id.
                "audience": oidc.client_id,
                "client_id": oidc.client_id,
                "client_secret": "${REPLICA_OIDC_CLIENT_SECRET}",
                "well_known_uri": f"{oidc.issuer}/.well-known/openid-configuration",
                "confirmation_message": "You have logged in with the replica's identity provider as {id}.",
            },
        }
    else:
        spec = {
            "provider": provider,
            "authenticator": "tiled.authenticators:ProxiedOIDCAuthenticator",
            "args": {
                "audience": oidc.audience,
                "client_id": oidc.device_client_id,
                "device_flow_client_id": oidc.device_client_id,
                "well_known_uri": f"{oidc.issuer}/.well-known/openid-configuration",
                # The provider's access tokens carry no `scp` claim, so tiled grants every scope
                # this map names: what a user may do is decided here, read-only.
                "scopes_map": {oidc.resource_scope: list(READ_ONLY_USER_SCOPES)},
                "confirmation_message": "You have logged in with the replica's identity provider.",
            },
        }
    cfg["authentication"] = {
        "providers": [spec],
        "secret_keys": ["${REPLICA_AUTH_SECRET_KEY}"],
        "allow_anonymous_access": False,
        **lifetimes.config(),
    }
    cfg["database"] = {"uri": f"sqlite:///{db_path(mode)}"}
    return cfg


def _password_var(index: int) -> str:
    return f"REPLICA_AUTH_PASSWORD_{index}"


def config_path(mode: str) -> Path:
    return mode_dir(mode) / "config.yml"


def write_config(mode: str, lifetimes: Lifetimes, oidc: OidcSettings | None) -> Path:
    import yaml

    path = config_path(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(tiled_config(mode, lifetimes, oidc), sort_keys=False))
    path.chmod(0o600)
    return path


def check_provider(mode: str, issuer: str | None = None) -> tuple[OidcSettings | None, str]:
    """Before anything is generated or written: the OpenID provider a mode needs answers, and
    tiled's client secret is known. Returns (settings, client secret); (None, "") for password."""
    check_mode(mode)
    if mode == "password":
        return None, ""
    oidc, client_secret = oidc_settings(issuer)
    if mode == "oidc" and not client_secret:
        raise ReplicaError("tiled's OIDCAuthenticator needs the client secret: set REPLICA_OIDC_CLIENT_SECRET "
                           "or use the replica's identity provider (`bin/replica idp start`)")
    _check_issuer(oidc.issuer)
    return oidc, client_secret


def prepare(mode: str, lifetimes: Lifetimes, provider: tuple[OidcSettings | None, str]) -> dict:
    """Everything before the server starts: users, keys, database, config. Returns the secrets
    the server needs in its environment (the ${VARS} of config.yml)."""
    oidc, client_secret = provider
    env = {"REPLICA_AUTH_SECRET_KEY": secret_key(mode)}
    if mode == "password":
        for i, user in enumerate(ensure_users(mode)):
            env[_password_var(i)] = user["password"]
    if mode == "oidc":
        env["REPLICA_OIDC_CLIENT_SECRET"] = client_secret
    write_config(mode, lifetimes, oidc)
    prepare_database(mode)
    return env


def _check_issuer(issuer: str) -> None:
    """tiled reads the provider's discovery document while it parses its config: fail here with a
    clear message rather than with tiled's traceback in the log."""
    import urllib.error
    import urllib.request

    url = f"{issuer}/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            doc = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise ReplicaError(f"the OpenID provider {issuer} does not answer {url} ({err}); "
                           "start it with `bin/replica idp start` or fix --oidc-issuer") from None
    if doc.get("issuer") != issuer:
        raise ReplicaError(f"{url} names the issuer {doc.get('issuer')!r}, not {issuer!r}: give --oidc-issuer exactly")
