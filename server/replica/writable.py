"""The writable replica: an empty tiled catalog to upload into, as `tiled serve catalog --temp` makes.

    bin/replica start --writable [--port N]     # default $REPLICA_WRITABLE_PORT or 8006
    bin/replica url --writable | stop --writable

The demo catalogs (bdp2022, 20idb_usaxs) stay read-only in spirit and unchanged: this is a third
server with its own SQL catalog under var/replica/writable, wiped and recreated at every start,
so each start begins from the same state. It differs from `tiled serve catalog --temp` in what the
project needs:

* storage: arrays go to zarr under writable/data, appendable tables to SQLite (writable/tabular.db),
  as in the demo catalogs (--temp would use DuckDB);
* authentication: the replica's single-user API key (var/replica/api-key or $TILED_API_KEY),
  anonymous reads allowed, writes need the key; the key reaches the server only through its
  environment, never a file other than api-key (see service.py);
* raw files: writable/raw holds an HDF5 file, a TIFF stack and a CSV file (rawfiles.py), which
  `start` registers under /raw, so `data_sources` and `/asset/bytes` serve real files;
* the same BlueskyRun json-seq exporter as the SQL replica, and a streaming cache (websockets).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from . import config

LAYOUT = "writable"
DEFAULT_PORT = config.WRITABLE_DEFAULT_PORT  # or $REPLICA_WRITABLE_PORT (service.py)
RAW_NODE = "raw"  # the container the raw files are registered under


def directory() -> Path:
    return config.var_dir() / "writable"


def config_path() -> Path:
    return directory() / "config.yml"


def raw_dir() -> Path:
    return directory() / "raw"


def tiled_config(api_key: str) -> dict:
    """The server's tiled configuration (the `tiled serve config` YAML, as a dict)."""
    root = directory()
    return {
        "authentication": {
            "single_user_api_key": api_key,
            "allow_anonymous_access": True,
        },
        "trees": [
            {
                "path": "/",
                "tree": "catalog",
                "args": {
                    "uri": f"sqlite:///{root / 'catalog.db'}",
                    "init_if_not_exists": True,
                    # The first storage an adapter supports is used: zarr arrays and parquet
                    # tables in the directory, appendable (application/x-tiled-sql-table)
                    # tables in SQLite.
                    "writable_storage": [f"file://localhost{root / 'data'}", f"sqlite:///{root / 'tabular.db'}"],
                    # Registration (POST /register) may only point at files under these.
                    "readable_storage": [str(raw_dir())],
                },
            }
        ],
        "media_types": {
            "BlueskyRun": {"application/json-seq": "bluesky_tiled_plugins.exporters:json_seq_exporter"}
        },
        # Websocket subscriptions (`subscribe()`) need a streaming cache, as --temp sets up.
        "streaming_cache": {"uri": "memory", "data_ttl": 3600},
        "uvicorn": {"host": config.HOST},
    }


def prepare() -> Path:
    """Wipe var/replica/writable and create it afresh: storage folders, raw files, config.yml.

    The caller must make sure no writable server runs from this directory (service.start does).
    Returns the config path. The key is not in the file: tiled expands ${REPLICA_SERVER_API_KEY}
    from the server's environment."""
    import yaml

    from .rawfiles import write_raw_files

    root = directory()
    if root.exists():
        shutil.rmtree(root)
    (root / "data").mkdir(parents=True)
    write_raw_files(raw_dir())
    path = config_path()
    path.write_text(yaml.safe_dump(tiled_config("${REPLICA_SERVER_API_KEY}"), sort_keys=False))
    path.chmod(0o600)
    return path
