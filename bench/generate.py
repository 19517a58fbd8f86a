"""Generate the benchmark data into var/bench (once; reused while the manifest matches).

What it writes, all under var/bench/:
  data/stack.h5          an image stack, uint16 (FRAMES, 2048, 2048), HDF5 dataset /entry/data/data,
                         chunked one frame per chunk, uncompressed (the server reads it without
                         decompressing and the page cache holds it after the first pass)
  data/internal.parquet  a Bluesky-like `internal` stream table: seq_num, time, one float64 column
                         per data key and a ts_<key> timestamp column for each
  catalog.db             tiled's SQL catalog (SQLite) registering all of it:
                           /big/stack              the stack (external HDF5, like TiledWriter's detector arrays)
                           /big/primary/internal   the table (external Parquet)
                           /runs/<uid>             RUNS BlueskyRun containers with {start, stop} metadata
                           /small/<uid>            SMALL_RUNS runs written by TiledWriter itself (case e):
                                                   BlueskyRun 3.0 + a `primary` stream (BlueskyEventStream 3.0,
                                                   composite) holding an `internal` table of SMALL_ROWS rows
  tabular.db             the SQL tabular storage TiledWriter appends the small runs' tables to
  manifest.json          written last: what was generated, the filter's expected count, timings.
                         Its presence (with the same GENERATOR_VERSION and sizes) means "done".
  pg/                    a throwaway PostgreSQL cluster (data/, initdb as the `postgres` account when
                         run as root) holding a second catalog: /runs with PG_RUNS runs of the same shape
                         (case c on PostgreSQL). pg/manifest.json says it is done; it is reused on its
                         own, so changing the SQLite part does not rebuild it (nor the other way round).

The data nodes are registered in-process through tiled's catalog adapter (the `create_node` the
server calls); the runs are inserted as the same ORM rows in one transaction (the catalog's own
triggers fill the closure table, and on SQLite the FTS5 index). The small runs go through
TiledWriter (bluesky-tiled-plugins) into tiled's app in this process, as the replica's generator
writes its catalogs, so their layout is exactly what TiledWriter writes. No server is involved.

Usage: python bench/generate.py [--force] [--force-pg] [--no-pg]
       (sizes: BENCH_FRAMES, BENCH_TABLE_ROWS, BENCH_RUNS, BENCH_PG_RUNS, BENCH_SMALL_RUNS, BENCH_SMALL_ROWS)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

GENERATOR_VERSION = 2
PG_GENERATOR_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DATA_DIR = BENCH_DIR / "data"
CATALOG = BENCH_DIR / "catalog.db"
TABULAR = BENCH_DIR / "tabular.db"
MANIFEST = BENCH_DIR / "manifest.json"
PG_DIR = BENCH_DIR / "pg"
PG_MANIFEST = PG_DIR / "manifest.json"

FRAMES = int(os.environ.get("BENCH_FRAMES", "128"))
HEIGHT = WIDTH = 2048
TABLE_ROWS = int(os.environ.get("BENCH_TABLE_ROWS", "1000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "10000"))
PG_RUNS = int(os.environ.get("BENCH_PG_RUNS", "100000"))
SMALL_RUNS = int(os.environ.get("BENCH_SMALL_RUNS", "20"))
SMALL_ROWS = int(os.environ.get("BENCH_SMALL_ROWS", "300"))
DATA_KEYS = ["I0", "I", "diode", "mono_energy", "sample_x", "sample_y"]
# Every 4th run is a "scan", so the benchmark filter start.plan_name == "scan" matches RUNS/4 runs.
OTHER_PLANS = ["count", "rel_scan", "grid_scan"]
RUN_EPOCH0 = 1672531200.0  # 2023-01-01T00:00:00Z; one run every 10 minutes from there


def plan_name(i: int) -> str:
    return "scan" if i % 4 == 0 else OTHER_PLANS[i % 3]


def expected_matches(runs: int) -> int:
    return sum(1 for i in range(runs) if plan_name(i) == "scan")


def log(msg: str) -> None:
    print(f"[bench/generate] {msg}", flush=True)


def write_stack(path: Path) -> None:
    """Detector-like frames: a Poisson background plus a bright spot that drifts frame to frame.
    Real detector data is mostly low counts, hence compressible; that matters for content
    negotiation (gzip/blosc2) and is why the frames are not uniform random."""
    rng = np.random.default_rng(20240601)
    background = rng.poisson(20, size=(HEIGHT, WIDTH)).astype(np.uint16)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    tmp = path.with_suffix(".h5.tmp")
    with h5py.File(tmp, "w") as f:
        ds = f.create_dataset(
            "/entry/data/data",
            shape=(FRAMES, HEIGHT, WIDTH),
            dtype="uint16",
            chunks=(1, HEIGHT, WIDTH),
        )
        for i in range(FRAMES):
            cy, cx = 1024 + 400 * np.sin(i / 10), 1024 + 400 * np.cos(i / 10)
            spot = (3000 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 30.0**2))).astype(np.uint16)
            # Cheap per-frame noise: roll the background rather than drawing 4M Poisson samples.
            ds[i] = np.roll(background, shift=(i * 7, i * 13), axis=(0, 1)) + spot
    tmp.rename(path)


def write_table(path: Path) -> None:
    rng = np.random.default_rng(7)
    n = TABLE_ROWS
    t0 = RUN_EPOCH0
    times = t0 + np.arange(n, dtype=np.float64) * 0.01 + rng.uniform(0, 1e-3, n)
    columns: dict[str, np.ndarray] = {"seq_num": np.arange(1, n + 1, dtype=np.int64), "time": times}
    for j, key in enumerate(DATA_KEYS):
        columns[key] = np.cumsum(rng.normal(0, 1, n)) + 100.0 * (j + 1)
    for key in DATA_KEYS:
        columns[f"ts_{key}"] = times - rng.uniform(0, 5e-3, n)
    table = pa.table(columns)
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, row_group_size=250_000)
    tmp.rename(path)


def run_metadata(i: int) -> tuple[str, dict]:
    uid = str(uuid.UUID(int=(0xBE7C4 << 96) + i))  # deterministic, unique
    t = RUN_EPOCH0 + 600.0 * i
    name = plan_name(i)
    start = {
        "uid": uid,
        "time": t,
        "scan_id": i + 1,
        "plan_name": name,
        "plan_type": "generator",
        "beamline_id": "BENCH",
        "proposal_id": f"GUP-{70000 + i // 100}",
        "sample": f"sample-{i % 37}",
        "detectors": ["I0", "diode"],
        "motors": ["sample_x"] if name != "count" else [],
        "num_points": 11 + i % 90,
        "hints": {"dimensions": [[["sample_x"], "primary"]]},
        "versions": {"bluesky": "1.13.0", "ophyd": "1.9.0"},
    }
    stop = {
        "uid": str(uuid.UUID(int=(0x5709 << 96) + i)),
        "run_start": uid,
        "time": t + 30.0 + i % 60,
        "exit_status": "success",
        "reason": "",
        "num_events": {"primary": start["num_points"]},
    }
    return uid, {"start": start, "stop": stop}


async def insert_runs(catalog, count: int, batch: int = 10_000) -> None:
    """/runs with `count` BlueskyRun containers holding {start, stop}, inserted as ORM rows in one
    transaction. create_node commits (and SQLite syncs) once per node, about 75 runs/s here, so
    10,000 runs would take minutes; the same rows in one session take seconds. The catalog's own
    triggers still run for every row: the closure table on both databases, the FTS5 index on SQLite."""
    from sqlalchemy import insert

    from tiled.catalog import orm
    from tiled.structures.core import StructureFamily

    runs = await catalog.create_node(
        StructureFamily.container, {"description": f"{count} Bluesky-like runs"}, key="runs"
    )
    spec = [{"name": "BlueskyRun", "version": "3.0"}]
    async with catalog.context.session() as db:
        for first in range(0, count, batch):
            rows = []
            for i in range(first, min(count, first + batch)):
                uid, md = run_metadata(i)
                rows.append({"key": uid, "parent": runs.node.id, "metadata_": md,
                             "structure_family": StructureFamily.container, "specs": spec})
            await db.execute(insert(orm.Node), rows)
        await db.commit()


async def register(stack: Path, table: Path) -> dict:
    from tiled.adapters.hdf5 import HDF5ArrayAdapter
    from tiled.adapters.parquet import ParquetDatasetAdapter
    from tiled.catalog import from_uri
    from tiled.structures.core import Spec, StructureFamily
    from tiled.structures.data_source import Asset, DataSource, Management
    from tiled.utils import ensure_uri

    catalog = from_uri(
        f"sqlite:///{CATALOG}",
        init_if_not_exists=True,
        readable_storage=[str(DATA_DIR)],
    )
    await catalog.startup()
    timings = {}
    try:
        t = time.perf_counter()
        big = await catalog.create_node(
            StructureFamily.container,
            {"description": "benchmark: one run holding the large arrays"},
            key="big",
            specs=[Spec("BlueskyRun", version="3.0")],
        )
        # The data source TiledWriter writes for an area detector's HDF5 file (external, managed
        # by the detector), with the structure read from the file by tiled's own adapter.
        stack_adapter = HDF5ArrayAdapter.from_uris(ensure_uri(str(stack)), dataset="/entry/data/data")
        stack_sources = [
            DataSource(
                structure_family=StructureFamily.array,
                mimetype="application/x-hdf5",
                structure=stack_adapter.structure(),
                parameters={"dataset": "/entry/data/data", "swmr": True},
                management=Management.external,
                assets=[
                    Asset(
                        data_uri=ensure_uri(str(stack)),
                        is_directory=False,
                        parameter="data_uris",
                        num=0,
                        size=stack.stat().st_size,
                    )
                ],
            )
        ]
        await big.create_node(StructureFamily.array, {}, key="stack", data_sources=stack_sources)
        primary = await big.create_node(
            StructureFamily.container,
            {"data_keys": {k: {"dtype": "number", "shape": [], "source": f"PV:{k}"} for k in DATA_KEYS}},
            key="primary",
            specs=[Spec("BlueskyEventStream", version="3.0"), Spec("composite")],
        )
        table_adapter = ParquetDatasetAdapter.from_uris(ensure_uri(str(table)))
        table_sources = table_adapter.generate_data_sources(
            "application/x-parquet", ensure_uri(str(table)), False, table.stat().st_size
        )
        await primary.create_node(StructureFamily.table, {}, key="internal", data_sources=table_sources)
        timings["register_big_s"] = round(time.perf_counter() - t, 2)

        t = time.perf_counter()
        await insert_runs(catalog, RUNS)
        timings["register_runs_s"] = round(time.perf_counter() - t, 2)
    finally:
        await catalog.shutdown()
    return timings


def small_run_documents(i: int):
    """One small run as the RunEngine would emit it (event_model): start, the `primary`
    descriptor, one event page of SMALL_ROWS rows, stop."""
    from event_model import compose_run

    rng = np.random.default_rng(1000 + i)
    uid = str(uuid.UUID(int=(0x5A11 << 96) + i))
    t0 = RUN_EPOCH0 + 86400.0 + 900.0 * i
    bundle = compose_run(uid=uid, time=t0, metadata={
        "plan_name": "scan", "plan_type": "generator", "scan_id": 100_000 + i, "beamline_id": "BENCH",
        "detectors": ["I0", "I", "diode"], "motors": ["sample_x"], "num_points": SMALL_ROWS,
        "sample": f"sample-{i % 7}", "hints": {"dimensions": [[["sample_x"], "primary"]]},
    })
    yield "start", bundle.start_doc
    data_keys = {k: {"dtype": "number", "shape": [], "source": f"PV:BENCH:{k}", "object_name": k, "precision": 4}
                 for k in DATA_KEYS}
    desc = bundle.compose_descriptor(
        name="primary", data_keys=data_keys, time=t0 + 0.5,
        object_keys={k: [k] for k in DATA_KEYS},
        configuration={k: {"data": {}, "timestamps": {}, "data_keys": {}} for k in DATA_KEYS},
        hints={"sample_x": {"fields": ["sample_x"]}, "I0": {"fields": ["I0"]}},
    )
    yield "descriptor", desc.descriptor_doc
    times = (t0 + 1.0 + np.arange(SMALL_ROWS) * 0.1).tolist()
    data = {k: (np.cumsum(rng.normal(0, 1, SMALL_ROWS)) + 100.0 * (j + 1)).tolist() for j, k in enumerate(DATA_KEYS)}
    yield "event_page", desc.compose_event_page(
        data=data, timestamps={k: times for k in DATA_KEYS}, seq_num=list(range(1, SMALL_ROWS + 1)), time=times,
    )
    yield "stop", bundle.compose_stop(exit_status="success", time=t0 + 2.0 + SMALL_ROWS * 0.1)


def write_small_runs() -> list[str]:
    """SMALL_RUNS runs under /small, written by TiledWriter into tiled's app in this process
    (the routes a server runs, over tiled's in-process transport), its tables into tabular.db.
    The layout is TiledWriter's own: a BlueskyRun 3.0 container holding {start, stop}, a `primary`
    container (BlueskyEventStream 3.0, composite) whose metadata is the descriptor, and in it an
    `internal` table (seq_num, time, one column per data key, ts_<key>) in SQL storage."""
    import warnings

    from bluesky_tiled_plugins import TiledWriter
    from tiled.client import Context, from_context
    from tiled.server.app import build_app_from_config
    from tiled.structures.core import Spec

    key = uuid.uuid4().hex
    config = {
        "authentication": {"single_user_api_key": key},
        "trees": [{"path": "/", "tree": "catalog", "args": {
            "uri": f"sqlite:///{CATALOG}",
            "writable_storage": [f"sqlite:///{TABULAR}"],
            "readable_storage": [str(DATA_DIR)],
        }}],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's TestClient warns about httpx
        app = build_app_from_config(config)
        context = Context.from_app(app, api_key=key)
    uids = []
    with context:
        client = from_context(context)
        small = client.create_container(
            "small", metadata={"description": f"{SMALL_RUNS} small runs written by TiledWriter"},
            specs=[Spec("CatalogOfBlueskyRuns", version="3.0")],
        )
        writer = TiledWriter(small)
        for i in range(SMALL_RUNS):
            for name, doc in small_run_documents(i):
                writer(name, doc)
                if name == "start":
                    uids.append(doc["uid"])
    return uids


def pg_manifest_matches() -> bool:
    if not PG_MANIFEST.exists():
        return False
    try:
        m = json.loads(PG_MANIFEST.read_text())
    except ValueError:
        return False
    return m.get("generator_version") == PG_GENERATOR_VERSION and m.get("runs", {}).get("count") == PG_RUNS and (PG_DIR / "data" / "PG_VERSION").exists()


def generate_pg() -> dict:
    """A throwaway PostgreSQL cluster in var/bench/pg and a tiled catalog in it: /runs holding
    PG_RUNS runs of the same shape as the SQLite catalog's (a quarter are "scan"s), then
    VACUUM ANALYZE, as autovacuum would have done on a facility's server (tiled's approximate
    counts read pg_stats). The cluster is stopped at the end; bench.py starts it again."""
    import shutil

    from tiled.catalog import from_uri

    PG_MANIFEST.unlink(missing_ok=True)
    shutil.rmtree(PG_DIR, ignore_errors=True)
    sys.path.insert(0, str(ROOT / "server"))
    from replica.pgcluster import PgCluster

    cluster = PgCluster(PG_DIR, user="bench", database="bench")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    t = time.perf_counter()
    cluster.init()
    timings["initdb_s"] = round(time.perf_counter() - t, 2)
    try:
        async def fill() -> None:
            catalog = from_uri(cluster.uri, init_if_not_exists=True)
            await catalog.startup()
            try:
                await insert_runs(catalog, PG_RUNS)
            finally:
                await catalog.shutdown()

        log(f"inserting {PG_RUNS:,} runs into PostgreSQL ({cluster.uri})")
        t = time.perf_counter()
        asyncio.run(fill())
        timings["insert_runs_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        cluster.psql("VACUUM ANALYZE")
        timings["vacuum_analyze_s"] = round(time.perf_counter() - t, 2)
        size = cluster.psql("SELECT pg_database_size('bench')")
    finally:
        cluster.stop()
    timings["total_s"] = round(time.perf_counter() - started, 2)
    manifest = {
        "generator_version": PG_GENERATOR_VERSION,
        "postgres_bin": cluster.bindir,
        "database_bytes": int(size),
        "runs": {
            "path": "runs",
            "count": PG_RUNS,
            "filter": {"key": "start.plan_name", "value": "scan"},
            "expected_matches": expected_matches(PG_RUNS),
        },
        "timings": timings,
    }
    PG_MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def manifest_matches() -> bool:
    if not MANIFEST.exists():
        return False
    try:
        m = json.loads(MANIFEST.read_text())
    except ValueError:
        return False
    return (
        m.get("generator_version") == GENERATOR_VERSION
        and m.get("stack", {}).get("shape") == [FRAMES, HEIGHT, WIDTH]
        and m.get("table", {}).get("rows") == TABLE_ROWS
        and m.get("runs", {}).get("count") == RUNS
        and m.get("small", {}).get("count") == SMALL_RUNS
        and m.get("small", {}).get("rows") == SMALL_ROWS
        and CATALOG.exists()
        and TABULAR.exists()
    )


def generate_sqlite(force: bool) -> None:
    started = time.perf_counter()
    MANIFEST.unlink(missing_ok=True)
    # The catalog is cheap to rebuild and must match the data; the data files are reused if their
    # sizes still match (the stack takes the longest to write).
    CATALOG.unlink(missing_ok=True)
    TABULAR.unlink(missing_ok=True)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    stack = DATA_DIR / "stack.h5"
    reuse_stack = False
    if stack.exists() and not force:
        with h5py.File(stack, "r") as f:
            reuse_stack = f["/entry/data/data"].shape == (FRAMES, HEIGHT, WIDTH)
    if not reuse_stack:
        log(f"writing {stack.relative_to(ROOT)}: uint16 {FRAMES}x{HEIGHT}x{WIDTH} = {FRAMES * HEIGHT * WIDTH * 2 / 1e9:.2f} GB")
        t = time.perf_counter()
        write_stack(stack)
        timings["write_stack_s"] = round(time.perf_counter() - t, 2)

    table = DATA_DIR / "internal.parquet"
    if force or not table.exists() or pq.ParquetFile(table).metadata.num_rows != TABLE_ROWS:
        log(f"writing {table.relative_to(ROOT)}: {TABLE_ROWS} rows")
        t = time.perf_counter()
        write_table(table)
        timings["write_table_s"] = round(time.perf_counter() - t, 2)

    log(f"registering in {CATALOG.relative_to(ROOT)}: /big/stack, /big/primary/internal and {RUNS} runs under /runs")
    timings.update(asyncio.run(register(stack, table)))
    log(f"writing {SMALL_RUNS} small runs ({SMALL_ROWS} rows each) under /small with TiledWriter")
    t = time.perf_counter()
    small_uids = write_small_runs()
    timings["write_small_runs_s"] = round(time.perf_counter() - t, 2)
    timings["total_s"] = round(time.perf_counter() - started, 2)

    schema = pq.ParquetFile(table).schema_arrow
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "stack": {
            "path": "big/stack",
            "shape": [FRAMES, HEIGHT, WIDTH],
            "dtype": "uint16",
            "chunks": "one frame per chunk",
            "nbytes": FRAMES * HEIGHT * WIDTH * 2,
        },
        "table": {
            "path": "big/primary/internal",
            "rows": TABLE_ROWS,
            "columns": schema.names,
            # Bytes of the column data as it lands in memory (every column is 8 bytes wide).
            "nbytes": TABLE_ROWS * 8 * len(schema.names),
        },
        "runs": {
            "path": "runs",
            "count": RUNS,
            "filter": {"key": "start.plan_name", "value": "scan"},
            "expected_matches": expected_matches(RUNS),
        },
        "small": {
            "path": "small",
            "count": SMALL_RUNS,
            "rows": SMALL_ROWS,
            "stream": "primary",
            "columns": ["seq_num", "time", *DATA_KEYS, *(f"ts_{k}" for k in DATA_KEYS)],
            "uids": small_uids,
        },
        "timings": timings,
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"done in {timings['total_s']:.0f} s: {json.dumps(timings)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--force", action="store_true", help="regenerate everything, even if var/bench has it")
    parser.add_argument("--force-pg", action="store_true", help="regenerate the PostgreSQL catalog only")
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL catalog (case c on PostgreSQL cannot run then)")
    args = parser.parse_args()
    if manifest_matches() and not args.force:
        log(f"reusing the data in {BENCH_DIR.relative_to(ROOT)} (manifest matches; --force regenerates)")
    else:
        generate_sqlite(args.force)
    if args.no_pg:
        return 0
    if pg_manifest_matches() and not (args.force or args.force_pg):
        log(f"reusing the PostgreSQL catalog in {PG_DIR.relative_to(ROOT)} (pg/manifest.json matches; --force-pg regenerates)")
    else:
        log(f"making a PostgreSQL cluster in {PG_DIR.relative_to(ROOT)} with {PG_RUNS:,} runs")
        m = generate_pg()
        log(f"PostgreSQL catalog done in {m['timings']['total_s']:.0f} s: {json.dumps(m['timings'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
