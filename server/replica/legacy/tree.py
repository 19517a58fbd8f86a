"""The legacy replica's tiled tree: one catalog in databroker's MongoDB layout, on mongomock.

Used from the legacy server's config (see `replica.legacy.serve_config`):

    trees:
      - path: /bdp2022
        tree: replica.legacy.tree:catalog
        args: {name: bdp2022, documents: .../catalogs/bdp2022/documents.jsonl.gz}

`catalog()` builds `databroker.mongo_normalized.MongoAdapter.from_mongomock(...)` (handlers
discovered from the `databroker.handlers` entry points, so AD_HDF5 frames are read by
area-detector-handlers from the generator's HDF5 files), with

* mongomock sped up without changing any result (`fastmock`),
* FullText answered as a MongoDB `$text` index would (`fulltext`), on this class only,
* every document of the catalog's `documents.jsonl.gz` (written by the generator, in order)
  inserted through the adapter's own suitcase-mongo Serializer, in this process, before the
  server answers: the same inserts `POST /api/v1/documents/<catalog>` makes, without HTTP and
  without the route's per-document schema validation (event_model validated every document
  when the generator composed it).

The store is in memory: every start loads the documents again.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import sys
import time
from pathlib import Path

from databroker.mongo_normalized import MongoAdapter
from tiled.queries import FullText
from tiled.query_registration import QueryTranslationRegistry

from . import fastmock
from .fulltext import text_search

# The 2022 server ran in Chicago: `summary.datetime` is datetime.fromtimestamp(start.time), the
# server process's local time. The demo's first run in range must read as it printed.
LOCAL_ZONE = "America/Chicago"
_LOCAL_TIME_PROBE = (1651585041.510276, "2022-05-03T08:37:21.510276")


class LegacyMongoAdapter(MongoAdapter):
    """databroker's MongoAdapter with its own query registry, in which FullText is a MongoDB-like
    `$text` search (databroker's registry, used by any other MongoAdapter, is left alone)."""

    query_registry = QueryTranslationRegistry()
    query_registry._lookup.update(MongoAdapter.query_registry._lookup)
    query_registry._lazy.update(MongoAdapter.query_registry._lazy)
    query_registry.register(FullText, text_search)
    register_query = query_registry.register
    register_query_lazy = query_registry.register_lazy


def ensure_local_time() -> None:
    """Make this process's local time America/Chicago (the server is started with TZ set; this
    also covers a system without /usr/share/zoneinfo, through the tzdata package's files)."""
    stamp, expected = _LOCAL_TIME_PROBE
    if dt.datetime.fromtimestamp(stamp).isoformat() == expected:
        return
    candidates = [LOCAL_ZONE]
    try:
        import tzdata

        candidates.append(":" + str(Path(tzdata.__file__).parent / "zoneinfo" / LOCAL_ZONE))
    except ImportError:
        pass
    for tz in candidates:
        os.environ["TZ"] = tz
        time.tzset()
        if dt.datetime.fromtimestamp(stamp).isoformat() == expected:
            return
    raise RuntimeError(f"cannot set the local time zone to {LOCAL_ZONE}: summary.datetime would be wrong")


def read_documents(path: Path):
    """(name, doc) pairs from a documents.jsonl.gz, in order."""
    import orjson

    with gzip.open(path, "rb") as f:
        for line in f:
            record = orjson.loads(line)
            yield record["name"], record["doc"]


def load(adapter: MongoAdapter, path: Path) -> int:
    """Insert every document of `path` through the adapter's Serializer; return how many."""
    serializer = adapter.get_serializer()
    count = 0
    for name, doc in read_documents(path):
        serializer(name, doc)
        count += 1
    return count


def catalog(*, name: str, documents: str, root_map: dict | None = None,
            metadata: dict | None = None) -> LegacyMongoAdapter:
    """The tree factory: a mongomock-backed MongoAdapter holding the catalog's runs."""
    started = time.monotonic()
    ensure_local_time()
    fastmock.patch()
    path = Path(documents)
    if not path.exists():
        raise RuntimeError(
            f"{path} is missing: the generator writes it (`bin/replica generate --force --catalog {name}`)"
        )
    adapter = LegacyMongoAdapter.from_mongomock(root_map=root_map or {}, metadata=metadata or {})
    if "AD_HDF5" not in adapter.handler_registry:
        raise RuntimeError("no AD_HDF5 handler among the databroker.handlers entry points: "
                           "install area-detector-handlers (bash scripts/setup.sh)")
    count = load(adapter, path)
    print(f"replica.legacy: {name}: {len(adapter)} runs ({count} documents) loaded in "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return adapter
