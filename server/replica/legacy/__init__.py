"""The legacy replica: the same two catalogs in databroker's MongoDB layout, as the 2022 server
served them (tiled + databroker's MongoAdapter), on mongomock.

    bin/replica start --layout mongo [--port N]     # default $REPLICA_LEGACY_PORT or 8001
    bin/replica url --layout mongo | stop --layout mongo

The runs are the SQL replica's: the generator writes every document it feeds TiledWriter to
`catalogs/<name>/documents.jsonl.gz`, and each catalog's tree (`replica.legacy.tree:catalog`)
loads that file into an in-memory MongoAdapter when the server starts. Area-detector frames are
read from the same HDF5 files (AD_HDF5 Resource documents, area-detector-handlers).

This module only builds the server's configuration; `tree` (imported by the server) holds the
adapter, `fastmock` the mongomock speed-up, `fulltext` the MongoDB-like `$text` search.
"""

from __future__ import annotations

from pathlib import Path

from .. import config

LAYOUT = "mongo"
# The server process's local time zone: databroker's summary.datetime is local time.
TIME_ZONE = "America/Chicago"


def config_path() -> Path:
    return config.var_dir() / "legacy-config.yml"


def serve_config(api_key: str, catalogs) -> dict:
    """The legacy server's tiled configuration. `catalogs`: names whose documents file exists."""
    from ..generator import documents_path

    return {
        "authentication": {
            "single_user_api_key": api_key,
            "allow_anonymous_access": True,
        },
        "trees": [
            {
                "path": f"/{name}",
                "tree": "replica.legacy.tree:catalog",
                "args": {"name": name, "documents": str(documents_path(name))},
            }
            for name in catalogs
        ],
        "uvicorn": {"host": config.HOST},
    }


def write_serve_config(catalogs) -> Path:
    """Write legacy-config.yml. The key is not in it: tiled expands ${REPLICA_SERVER_API_KEY}
    from the server's environment, as for the SQL server."""
    import yaml

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(serve_config("${REPLICA_SERVER_API_KEY}", catalogs), sort_keys=False)
    path.write_text(text)
    path.chmod(0o600)
    return path


def served_catalogs() -> list[str]:
    """The catalogs whose generation is complete and current, documents file included."""
    from ..config import ReplicaError
    from ..generator import documents_path, is_current

    names = [n for n in config.CATALOG_NAMES if is_current(n) and documents_path(n).exists()]
    if not names:
        raise ReplicaError("no generated catalog to serve; run `bin/replica generate`")
    return names
