"""Where the replica keeps its files, which database it uses, and the tiled config it serves.

One function, `tiled_config()`, builds the configuration dict that both the generator (in-process)
and the server (`var/replica/config.yml`) use, so the runs are written into exactly the storage
the server later reads.

    from replica import config
    cfg = config.tiled_config(api_key="...", catalogs=["bdp2022"])
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# The repository root: server/replica/config.py -> parents[2].
ROOT = Path(__file__).resolve().parents[2]

# The catalogs this replica serves, in the order they are generated and mounted.
CATALOG_NAMES = ("bdp2022", "20idb_usaxs")

# The spec of each catalog's top-level node.
CATALOG_SPEC = {"name": "CatalogOfBlueskyRuns", "version": "3.0"}

DEFAULT_PORT = 8000  # the 2022 demo's port
# The server layouts: "sql" (tiled's SQL catalog, the default) and "mongo" (the legacy replica:
# databroker's MongoDB layout on mongomock, replica/legacy/), each with its own port and state.
LAYOUTS = ("sql", "mongo")
LEGACY_DEFAULT_PORT = 8001
# The writable replica (bin/replica start --writable, replica/writable.py): an empty catalog to upload into.
WRITABLE_DEFAULT_PORT = 8006  # 8002-8005: the authenticated replicas and their identity provider
HOST = "127.0.0.1"  # never bind to other interfaces: the server holds a write key


class ReplicaError(Exception):
    """An error the CLI reports as one line (no traceback): it says what to do."""


def var_dir() -> Path:
    # REPLICA_VAR lets the tests build throwaway replicas (PostgreSQL, bad input) without
    # touching the shared var/replica the other engineers' server uses.
    return Path(os.environ.get("REPLICA_VAR", ROOT / "var" / "replica")).resolve()


def detectors_dir() -> Path:
    return var_dir() / "detectors"


def catalog_dir(name: str) -> Path:
    return var_dir() / "catalogs" / name


def stamp_path(name: str) -> Path:
    return catalog_dir(name) / "generated.json"


def postgres_uri() -> str | None:
    uri = os.environ.get("REPLICA_DATABASE_URI", "").strip()
    if not uri:
        return None
    if not uri.startswith(("postgresql://", "postgres://")):
        raise ReplicaError(
            f"REPLICA_DATABASE_URI must be a postgresql://user@host:port/dbname URI "
            f"(got scheme {uri.split(':', 1)[0]!r}); unset it to use the embedded SQLite catalog"
        )
    return uri


def redact(uri: str) -> str:
    """The URI without its password, for messages and stamps."""
    parts = urlsplit(uri)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def backend() -> str:
    return "postgresql" if postgres_uri() else "sqlite"


def storage_uris(name: str) -> dict:
    """The catalog database, tabular storage and array (zarr) storage of one catalog.

    SQLite gets one file per catalog, so the two catalogs can be generated in parallel
    processes without fighting over a database lock. PostgreSQL holds both catalogs in one
    database, each under its own top-level node (`mount_node`).
    """
    directory = catalog_dir(name)
    pg = postgres_uri()
    if pg:
        catalog = tabular = pg
    else:
        catalog = f"sqlite:///{directory / 'catalog.db'}"
        tabular = f"sqlite:///{directory / 'tabular.db'}"
    return {
        "catalog": catalog,
        "tabular": tabular,
        # Internal arrays larger than TiledWriter's MAX_ARRAY_SIZE (the Flyscan spectra) are
        # written as zarr, which needs a writable directory.
        "files": f"file://localhost{directory / 'data'}",
    }


def tiled_config(api_key: str, catalogs=CATALOG_NAMES, *, for_writing: bool = False) -> dict:
    """The tiled server configuration (the `tiled serve config` YAML, as a dict)."""
    trees = []
    for name in catalogs:
        uris = storage_uris(name)
        trees.append(
            {
                "path": f"/{name}",
                "tree": "catalog",
                "args": {
                    "uri": uris["catalog"],
                    "writable_storage": [uris["files"], uris["tabular"]],
                    # tiled refuses to serve files outside readable_storage: the detector
                    # HDF5 files referenced by AD_HDF5 resources all live here.
                    "readable_storage": [str(detectors_dir())],
                    "mount_node": name,
                    # As databroker 2 serves its catalogs. The mount node is created with
                    # this spec, and the server reports it from here. bluesky-tiled-plugins'
                    # client registry (entry point tiled.special_client) maps the name to
                    # its CatalogOfBlueskyRuns class; "3.x" marks an SQL catalog (`.v3`).
                    "specs": [CATALOG_SPEC],
                },
            }
        )
    config = {
        "authentication": {
            "single_user_api_key": api_key,
            "allow_anonymous_access": True,
        },
        "trees": trees,
        # run.documents() in tiled's Python client asks for application/json-seq.
        "media_types": {
            "BlueskyRun": {
                "application/json-seq": "bluesky_tiled_plugins.exporters:json_seq_exporter"
            }
        },
        "uvicorn": {"host": HOST},
    }
    if for_writing:
        # The generator creates the top-level node (e.g. /bdp2022) on first write.
        config["create_mount_nodes_if_not_exist"] = True
    return config


def serve_config_yaml(catalogs=CATALOG_NAMES) -> str:
    """The YAML written to var/replica/config.yml. Secrets are not in it: the server process
    gets the API key and a PostgreSQL URI (which may hold a password) from its environment,
    and tiled expands the $VARS when it reads the file."""
    import yaml

    cfg = tiled_config(api_key="${REPLICA_SERVER_API_KEY}", catalogs=catalogs)
    refer_to_postgres_uri(cfg)
    add_live(cfg)  # after the PostgreSQL rewrite: /live stays SQLite in every layout
    return yaml.safe_dump(cfg, sort_keys=False)


def refer_to_postgres_uri(cfg: dict) -> dict:
    """Replace the PostgreSQL URI (which may hold a password) in the trees by ${REPLICA_DATABASE_URI},
    which tiled expands from the server's environment (in place)."""
    pg = postgres_uri()
    if pg:
        for tree in cfg["trees"]:
            args = tree["args"]
            args["uri"] = "${REPLICA_DATABASE_URI}"
            args["writable_storage"] = [
                "${REPLICA_DATABASE_URI}" if s == pg else s for s in args["writable_storage"]
            ]
    return cfg


def write_serve_config(catalogs=CATALOG_NAMES) -> Path:
    path = var_dir() / "config.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(serve_config_yaml(catalogs))
    path.chmod(0o600)
    return path


API_KEY_PATTERN = re.compile(r"^[A-Za-z0-9]+$")


def api_key() -> str:
    """The single-user API key: $TILED_API_KEY, else var/replica/api-key (created once, mode 600)."""
    key = os.environ.get("TILED_API_KEY", "").strip()
    if key:
        if not API_KEY_PATTERN.match(key):
            raise ReplicaError(
                "TILED_API_KEY may hold only letters and digits (tiled's rule); "
                "choose another key or unset it to use var/replica/api-key"
            )
        return key
    path = var_dir() / "api-key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with 600 from the start: never a moment where the key is world-readable.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


# --- live runs (bin/replica live) ---------------------------------------------------------------
# A third catalog node, /live, takes runs written while they happen, so the demo catalogs (whose
# run counts are acceptance figures) never change. It is added to the served config only, not to
# tiled_config(): the generator's source hash covers tiled_config, and a live catalog must not
# make `ensure` regenerate the demo catalogs.

LIVE_CATALOG = "live"

STREAMING_CACHE_ENV = "REPLICA_STREAMING_CACHE"


def streaming_cache_uri() -> str:
    """`memory` (the default: one server process), or the redis:// URI in $REPLICA_STREAMING_CACHE."""
    uri = os.environ.get(STREAMING_CACHE_ENV, "").strip() or "memory"
    if uri != "memory" and not uri.startswith(("redis://", "rediss://")):
        raise ReplicaError(
            f"{STREAMING_CACHE_ENV} must be `memory` or a redis://host:port/db URI "
            f"(got scheme {uri.split(':', 1)[0]!r})"
        )
    return uri


def streaming_cache_config() -> dict:
    """tiled's `streaming_cache` section: websocket subscriptions (/api/v1/stream/single/...) need it.

    The memory cache keeps at most 1000 messages for the whole server (tiled 0.2.20 hard-codes
    the size and its config schema refuses `maxsize`), so replay (`start=N`) of long runs loses
    the oldest messages; Redis keeps every message for `data_ttl` seconds. A Redis URI may hold a
    password, so the YAML refers to the environment variable, which the server inherits.
    """
    uri = streaming_cache_uri()
    return {"uri": uri if uri == "memory" else "${" + STREAMING_CACHE_ENV + "}", "data_ttl": 3600}


def live_tree(directory: Path | None = None) -> dict:
    """The /live catalog: always SQLite under catalogs/live (or `directory`: each authenticated
    server has its own), created empty on first start."""
    directory = catalog_dir(LIVE_CATALOG) if directory is None else directory
    (directory / "data").mkdir(parents=True, exist_ok=True)
    (detectors_dir() / LIVE_CATALOG).mkdir(parents=True, exist_ok=True)
    return {
        "path": f"/{LIVE_CATALOG}",
        "tree": "catalog",
        "args": {
            "uri": f"sqlite:///{directory / 'catalog.db'}",
            "init_if_not_exists": True,
            "writable_storage": [f"file://localhost{directory / 'data'}", f"sqlite:///{directory / 'tabular.db'}"],
            "readable_storage": [str(detectors_dir())],
            "mount_node": LIVE_CATALOG,
            "specs": [dict(CATALOG_SPEC)],  # a copy: the YAML dump would otherwise use an &anchor
        },
    }


def add_live(cfg: dict, directory: Path | None = None) -> dict:
    """Add the /live catalog and the streaming cache to a server config (in place)."""
    cfg["trees"].append(live_tree(directory))
    cfg["streaming_cache"] = streaming_cache_config()
    # The mount node /live is created in the fresh database at startup; the demo catalogs'
    # nodes exist already, so this changes nothing for them.
    cfg["create_mount_nodes_if_not_exist"] = True
    return cfg

