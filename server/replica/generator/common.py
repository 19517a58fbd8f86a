"""Shared pieces of the generator: deterministic ids and times, the in-process TiledWriter,
and detector frames in real HDF5 files.

    ctx = RunContext(Ids("bdp2022-uids"), random.Random("bdp2022-values"), detectors)
    with CatalogWriter("bdp2022", api_key) as out:
        out.write(documents)          # (name, doc) pairs composed with event_model
"""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import h5py
import numpy as np

# The APS server's local zone: the demo's dates and `datetime` strings are in it.
CHICAGO = ZoneInfo("America/Chicago")


class Ids:
    """Seeded uuid4s: the same catalog name always yields the same uids in the same order."""

    def __init__(self, seed: str):
        self.rng = random.Random(seed)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


@dataclass(frozen=True)
class RunContext:
    """What every run builder of one catalog draws from.

    One seeded stream of uids and one of values serve the whole catalog, in run order: a run
    that draws one value more or less shifts every later run, so the order of draws is part of
    the catalog's content (the recorded snapshots and the freshness check compare it byte for byte).
    """

    ids: Ids
    rng: random.Random
    detectors: Path  # this catalog's directory of detector HDF5 files (tiled's readable_storage)


def epoch(local_iso: str) -> float:
    """'2022-05-03T08:37:21.510276' in Chicago time -> epoch seconds."""
    return dt.datetime.fromisoformat(local_iso).replace(tzinfo=CHICAGO).timestamp()


def local(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, CHICAGO)


def local_string(ts: float) -> str:
    """The 'datetime' start key the BDP queueserver client wrote: '2022-09-08 13:54:24.802956'."""
    return local(ts).strftime("%Y-%m-%d %H:%M:%S.%f")


def session_times(rng: random.Random, first: float, last: float, n: int) -> list[float]:
    """`n` sorted start times between `first` and `last` (exclusive), in working-day sessions.

    Beamline work comes in bursts: a few sessions a week, runs a minute or two apart.
    """
    day0 = local(first).date()
    days = (local(last).date() - day0).days
    weekdays = [day0 + dt.timedelta(d) for d in range(days + 1)]
    weekdays = [d for d in weekdays if d.weekday() < 5]
    times: set[float] = set()
    while len(times) < n:
        day = rng.choice(weekdays)
        t = dt.datetime(day.year, day.month, day.day, tzinfo=CHICAGO).timestamp()
        t += rng.uniform(8.5, 17.5) * 3600
        burst = rng.randint(1, 6)
        for _ in range(burst):
            t += rng.uniform(45, 400)
            # Microsecond resolution, as the RunEngine's time.time() printed.
            t = round(t, 6)
            if first < t < last and len(times) < n:
                times.add(t)
    return sorted(times)


def write_frames(path: Path, frames: np.ndarray) -> None:
    """Write an area-detector HDF5 file the way AD's HDF5 plugin lays it out: /entry/data/data.

    gzip: the simulated frames are smooth ramps and peaks, so the catalogs stay small on disk.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset(
            "/entry/data/data",
            data=frames,
            chunks=(1, *frames.shape[1:]),
            compression="gzip",
            compression_opts=1,
        )


def _memoise_fastapi_dependency_overrides() -> None:
    """Make FastAPI analyse each dependency once, not on every request.

    tiled's app sets `app.dependency_overrides` (for get_settings). With any override present,
    FastAPI's solve_dependencies rebuilds every sub-dependency's Dependant (signature
    inspection, parameter analysis) on every request, ~150 get_dependant calls each: about a
    quarter of the generator's CPU. get_dependant is a pure function of its arguments, so the
    same arguments may share one Dependant across requests, as routes without overrides do.
    Only in the generator's process: the server is left as it is.
    """
    import fastapi.dependencies.utils as fastapi_utils

    original = fastapi_utils.get_dependant
    if getattr(original, "_replica_memoised", False):
        return
    cache: dict = {}

    def scopes(value):
        return None if value is None else tuple(value)

    def get_dependant(*, path, call, name=None, own_oauth_scopes=None, parent_oauth_scopes=None,
                      use_cache=True, scope=None, concurrency=None):
        kwargs = dict(path=path, call=call, name=name, own_oauth_scopes=own_oauth_scopes,
                      parent_oauth_scopes=parent_oauth_scopes, use_cache=use_cache, scope=scope,
                      concurrency=concurrency)
        key = (path, call, name, scopes(own_oauth_scopes), scopes(parent_oauth_scopes),
               use_cache, scope, concurrency)
        try:
            return cache[key]
        except TypeError:  # an unhashable callable: analyse it every time, as FastAPI does
            return original(**kwargs)
        except KeyError:
            dependant = cache[key] = original(**kwargs)
            return dependant

    get_dependant._replica_memoised = True
    fastapi_utils.get_dependant = get_dependant


def _context_on_uvloop(Context, app, api_key):
    """Context.from_app, with the in-process transport's event loop on uvloop (pinned in
    requirements.txt; uvicorn serves the real server on it too).

    starlette's TestClient hops between the writer's thread and the app's event loop several
    times per request, and tiled's aiosqlite hops to a thread per SQL statement; uvloop makes
    those hops cheaper (measured: about 8% less CPU for the generator). Nothing stored changes.
    """
    import starlette.testclient

    try:
        import uvloop  # noqa: F401
    except ImportError:
        return Context.from_app(app, api_key=api_key)
    original = starlette.testclient.TestClient.__init__

    def init(self, *args, **kwargs):
        kwargs.setdefault("backend_options", {"use_uvloop": True})
        original(self, *args, **kwargs)

    starlette.testclient.TestClient.__init__ = init
    try:
        return Context.from_app(app, api_key=api_key)
    finally:
        starlette.testclient.TestClient.__init__ = original


class DocumentLog:
    """Every document of a catalog, in the order it was written: `documents.jsonl.gz`.

    One JSON line `{"name": ..., "doc": ...}` per document, as composed (serialised before
    TiledWriter sees it). The legacy (databroker MongoDB layout) server loads the catalog from
    this file. Written to a temporary file and renamed into place only by `commit()`, so a
    partial file never takes the final name.

        with DocumentLog(path) as log:
            out.write(log.tee(documents))
            log.commit()
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.count = 0

    def __enter__(self):
        import gzip

        import orjson

        self._dumps = orjson.dumps
        self._option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # mtime=0: no generation time in the file. Level 1: the events compress well
        # enough, and generation stays fast.
        self._raw = open(self.tmp, "wb")
        self._file = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, compresslevel=1, mtime=0)
        return self

    def tee(self, documents):
        """Yield the (name, doc) pairs unchanged, after logging each one."""
        write, dumps, option = self._file.write, self._dumps, self._option
        for name, doc in documents:
            write(dumps({"name": name, "doc": doc}, option=option))
            self.count += 1
            yield name, doc

    def commit(self) -> None:
        self._file.close()
        self._raw.close()
        os.replace(self.tmp, self.path)

    def __exit__(self, *exc):
        if not self._file.closed:
            self._file.close()
        if not self._raw.closed:
            self._raw.close()
        self.tmp.unlink(missing_ok=True)


class CatalogWriter:
    """TiledWriter writing into one catalog through tiled's own app, in this process.

    The app is built from the same configuration the server serves (config.tiled_config), and
    the client talks to it over tiled's in-process ASGI transport. Every request goes through
    the real routes, so the layout is exactly what TiledWriter produces against a server; only
    the socket is skipped, which keeps generation inside its time budget.
    """

    def __init__(self, catalog: str, api_key: str):
        self.catalog = catalog
        self.api_key = api_key

    def __enter__(self):
        # Imported here: the CLI's fast paths (status, url, stop) should not pay for tiled.
        from bluesky_tiled_plugins.writing import tiled_writer
        from tiled.client import Context, from_context
        from tiled.server.app import build_app_from_config

        from ..config import tiled_config

        # close_stream only notifies websocket subscribers and webhooks (catalog adapter:
        # `if self.context.streaming_cache ... if self.context.webhook_dispatcher`). This app
        # configures neither, so the calls store nothing; skipping them saves 3-4 of the ~10
        # requests each run costs.
        tiled_writer._RunWriter._close_stream_tree = lambda self: None
        _memoise_fastapi_dependency_overrides()

        with warnings.catch_warnings():
            # starlette's TestClient warns about httpx; it is tiled's own in-process transport.
            warnings.simplefilter("ignore")
            app = build_app_from_config(
                tiled_config(self.api_key, [self.catalog], for_writing=True)
            )
            self._context = _context_on_uvloop(Context, app, self.api_key)
        self._context.__enter__()
        client = from_context(self._context)
        self.node = client[self.catalog]
        self._tiled_writer_module = tiled_writer
        self._writers = {}
        return self

    def writer(self, batch_size: int | None = None):
        # One TiledWriter serves every run (its RunRouter starts a fresh run writer per start
        # document), as in a beamline session; building one per run would cost a request each.
        if batch_size not in self._writers:
            kwargs = {} if batch_size is None else {"batch_size": batch_size}
            self._writers[batch_size] = self._tiled_writer_module.TiledWriter(self.node, **kwargs)
        return self._writers[batch_size]

    def write(self, documents, batch_size: int | None = None) -> None:
        """Feed one run's (name, doc) pairs to TiledWriter."""
        tw = self.writer(batch_size)
        for name, doc in documents:
            tw(name, doc)

    def __exit__(self, *exc):
        self._context.__exit__(*exc)
