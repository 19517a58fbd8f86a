"""Builds the replica catalogs: synthetic 2022 Bluesky runs written through TiledWriter.

    from replica.generator import generate
    generate(["bdp2022"], force=True)

Per catalog, two modules: `bdp2022_timeline.py` / `usaxs_timeline.py` say which runs it holds
and when, with a plan table naming the runs the demo's figures and the tests need; `bdp2022.py`
/ `usaxs.py` compose each plan's documents from one small frozen dataclass describing the run.
`common.py` has what both share, and the writer.

Each catalog is built in its own process (SQLite: its own database files), so the two run in
parallel on a 2-core machine. A catalog counts as complete only once its stamp
(`var/replica/catalogs/<name>/generated.json`) is written, after the last run; `ensure`
regenerates a catalog whose stamp is missing or was made by other generator sources.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from .. import config
from ..config import CATALOG_NAMES, ReplicaError

GENERATOR_DIR = Path(__file__).resolve().parent


def _timelines():
    """Each catalog's timeline module: its runs(detectors) yields the catalog's runs, oldest first."""
    from . import bdp2022_timeline, usaxs_timeline

    return {"bdp2022": bdp2022_timeline, "20idb_usaxs": usaxs_timeline}


def sources_hash() -> str:
    """Hash of everything that decides the catalogs' content: the generator's sources, the
    storage layout (config.py) and the pinned versions of the packages that write the runs."""
    import inspect

    h = hashlib.sha256()
    for path in sorted(GENERATOR_DIR.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    # Of config.py, only what decides where and how runs are stored.
    for function in (config.storage_uris, config.tiled_config):
        h.update(inspect.getsource(function).encode())
    requirements = config.ROOT / "requirements.txt"
    if requirements.exists():
        for line in requirements.read_text().splitlines():
            if line.lower().startswith(("tiled==", "bluesky-tiled-plugins==", "event-model==", "h5py==")):
                h.update(line.encode())
    return h.hexdigest()


def check_names(names) -> list[str]:
    unknown = [n for n in names if n not in CATALOG_NAMES]
    if unknown:
        raise ReplicaError(
            f"unknown catalog {', '.join(map(repr, unknown))}: the known catalogs are "
            f"{', '.join(CATALOG_NAMES)}"
        )
    return list(dict.fromkeys(names)) or list(CATALOG_NAMES)


def documents_path(name: str) -> Path:
    """Every document of the catalog, in order, one JSON line each (see common.DocumentLog)."""
    return config.catalog_dir(name) / "documents.jsonl.gz"


def read_stamp(name: str) -> dict | None:
    try:
        return json.loads(config.stamp_path(name).read_text())
    except (OSError, ValueError):
        return None


def _database_location() -> str:
    pg = config.postgres_uri()
    return config.redact(pg) if pg else "sqlite"


def is_current(name: str) -> bool:
    stamp = read_stamp(name)
    return bool(
        stamp
        and stamp.get("sources") == sources_hash()
        and stamp.get("database") == _database_location()
        and documents_path(name).exists()
    )


def count_runs(name: str) -> int:
    """How many runs the catalog's database holds now, complete or not (0 if none)."""
    import sqlalchemy

    uri = config.storage_uris(name)["catalog"]
    if uri.startswith("sqlite:///"):
        if not Path(uri[len("sqlite:///"):]).exists():
            return 0
    elif uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://"):]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://"):]
    engine = sqlalchemy.create_engine(uri)
    try:
        with engine.connect() as conn:
            if not sqlalchemy.inspect(conn).has_table("nodes"):
                return 0
            # The catalog's top-level node hangs off the root (the node without a parent).
            return conn.execute(
                sqlalchemy.text(
                    "SELECT count(*) FROM nodes AS child JOIN nodes AS top ON child.parent = top.id "
                    "WHERE top.key = :name AND top.parent IN (SELECT id FROM nodes WHERE parent IS NULL)"
                ),
                {"name": name},
            ).scalar_one()
    finally:
        engine.dispose()


def _init_database(uri: str) -> None:
    """Create tiled's catalog tables and stamp the alembic revision the server checks.

    The same steps as `tiled catalog init --if-not-exists URI`, in this process: the worker
    has imported tiled already, and a subprocess would spend seconds importing it again.
    """
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine
    from tiled.alembic_utils import UninitializedDatabase, check_database, stamp_head
    from tiled.catalog.alembic_constants import ALEMBIC_DIR, ALEMBIC_INI_TEMPLATE_PATH
    from tiled.catalog.core import ALL_REVISIONS, REQUIRED_REVISION, initialize_database
    from tiled.utils import ensure_specified_sql_driver

    uri = ensure_specified_sql_driver(uri)

    async def create_tables():
        engine = create_async_engine(uri)
        try:
            await check_database(engine, REQUIRED_REVISION, ALL_REVISIONS)
        except UninitializedDatabase:
            await initialize_database(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(create_tables())
        stamp_head(ALEMBIC_INI_TEMPLATE_PATH, ALEMBIC_DIR, uri)
    except Exception as err:  # a database that is unreachable or not ours
        raise ReplicaError(
            f"could not initialise the catalog database {config.redact(uri)}: "
            f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        ) from None


def _wipe(name: str) -> None:
    """Remove a catalog's runs, files and stamp so it can be rebuilt from nothing."""
    config.stamp_path(name).unlink(missing_ok=True)
    shutil.rmtree(config.detectors_dir() / name, ignore_errors=True)
    if config.postgres_uri():
        shutil.rmtree(config.catalog_dir(name) / "data", ignore_errors=True)
        _delete_postgres_node(name)
    else:
        shutil.rmtree(config.catalog_dir(name), ignore_errors=True)


def _delete_postgres_node(name: str) -> None:
    """Delete the catalog's top-level node (and, through the closure, its runs) in PostgreSQL.

    The tabular rows of the deleted runs stay in tiled's shared per-schema tables; they are
    unreachable and small. A clean slate needs a fresh database."""
    import sqlalchemy

    uri = "postgresql+psycopg://" + config.postgres_uri().split("://", 1)[1]
    engine = sqlalchemy.create_engine(uri)
    try:
        with engine.begin() as conn:
            if not sqlalchemy.inspect(conn).has_table("nodes"):
                return
            conn.execute(
                sqlalchemy.text(
                    "DELETE FROM nodes WHERE id IN (SELECT descendant FROM nodes_closure WHERE ancestor IN "
                    "(SELECT id FROM nodes WHERE key = :name AND parent IN "
                    "(SELECT id FROM nodes WHERE parent IS NULL)))"
                ),
                {"name": name},
            )
    finally:
        engine.dispose()


def _build_one(name: str, api_key: str, sources: str) -> dict:
    """Worker process: write every run of one catalog, then stamp it complete."""
    from .common import CatalogWriter, DocumentLog

    started = time.monotonic()
    timeline = _timelines()[name]
    uris = config.storage_uris(name)
    config.catalog_dir(name).mkdir(parents=True, exist_ok=True)
    (config.catalog_dir(name) / "data").mkdir(exist_ok=True)
    if not config.postgres_uri():
        _init_database(uris["catalog"])
    detectors = config.detectors_dir() / name
    counts: dict[str, int] = {}
    # Every document also goes, in order, to documents.jsonl.gz: the legacy (MongoDB layout)
    # server loads the same runs from it. Nothing the SQL catalog stores changes.
    with CatalogWriter(name, api_key) as out, DocumentLog(documents_path(name)) as log:
        for plan, documents, options in timeline.runs(detectors):
            out.write(log.tee(documents), **options)
            counts[plan] = counts.get(plan, 0) + 1
        log.commit()
    stamp = {
        "catalog": name,
        "sources": sources,
        "database": _database_location(),
        "runs": sum(counts.values()),
        "plans": counts,
        "documents": log.count,
        "seconds": round(time.monotonic() - started, 1),
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    # Written last, atomically: a catalog without this file is never taken as complete.
    tmp = config.stamp_path(name).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp, indent=2) + "\n")
    os.replace(tmp, config.stamp_path(name))
    return stamp


def generate(names, *, force: bool = False, log=print) -> list[dict]:
    """Build the named catalogs (all when empty). Without `force`, refuse to touch a catalog
    whose database already holds runs."""
    names = check_names(names)
    if not force:
        for name in names:
            held = count_runs(name)
            if held:
                raise ReplicaError(
                    f"catalog {name} already holds {held} runs; nothing was changed. "
                    f"Run `bin/replica generate --force --catalog {name}` to rebuild it"
                )

    from ..service import running

    server = running()
    if server:
        # Rebuilding deletes the database files the server has open.
        raise ReplicaError(
            f"the replica server is running from {config.var_dir()} (pid {server['pid']}); "
            "stop it first with `bin/replica stop`"
        )
    legacy = running("mongo")
    if legacy:
        # The legacy server holds the detector HDF5 files open: rewriting one truncates it.
        raise ReplicaError(
            f"the legacy (mongo layout) replica server is running from {config.var_dir()} "
            f"(pid {legacy['pid']}); stop it first with `bin/replica stop --layout mongo`"
        )
    api_key = config.api_key()
    sources = sources_hash()
    for name in names:
        _wipe(name)
    if config.postgres_uri():
        # One database holds both catalogs: initialise it once, before the workers race.
        _init_database(config.postgres_uri())
    log(f"generating {', '.join(names)} into {config.var_dir()} ({_database_location()}) ...")
    started = time.monotonic()
    stamps = []
    # TiledWriter orders an event's keys by iterating a set of strings, so the order in which it
    # creates a stream's array nodes depends on Python's per-process string hashing. A fixed seed,
    # inherited by the spawned workers, keeps the catalogs byte-for-byte reproducible (the
    # data-snapshots freshness test compares them).
    os.environ["PYTHONHASHSEED"] = "0"
    ctx = get_context("spawn")  # a clean interpreter per catalog: no state shared with the CLI
    with ProcessPoolExecutor(max_workers=len(names), mp_context=ctx) as pool:
        futures = {name: pool.submit(_build_one, name, api_key, sources) for name in names}
        for name, future in futures.items():
            stamp = future.result()
            stamps.append(stamp)
            log(f"  {name}: {stamp['runs']} runs in {stamp['seconds']} s ({stamp['plans']})")
    log(f"done in {time.monotonic() - started:.1f} s")
    return stamps


def ensure(log=print) -> list[str]:
    """Generate the catalogs that are missing or stale; return the names rebuilt."""
    stale = [n for n in CATALOG_NAMES if not is_current(n)]
    if stale:
        log(f"catalog(s) {', '.join(stale)} missing or made by other generator sources: rebuilding")
        generate(stale, force=True, log=log)
    return stale
