"""bin/replica live: write one Bluesky run into the running replica's /live catalog, as it happens.

    bin/replica live --plan uascan --seconds 30          # 150 points at 5 Hz, scalars only
    bin/replica live --plan saxs --seconds 20            # 40 points at 2 Hz, one Pilatus frame each
    bin/replica live --plan uascan --events 1000 --rate 0 --timing-out var/t.jsonl   # as fast as possible

The documents are composed with event_model and fed to bluesky-tiled-plugins' TiledWriter with
`batch_size=1`, over HTTP to the running server, so that each Event (one table append) and each
StreamDatum (one detector frame) reaches tiled, and its websocket subscribers, when it happens.
With TiledWriter's default batch size nothing streams until the stop document.

stdout gets one JSON line as soon as the start document is written ({"uid", "scan_id", "plan",
"path", "events", "rate"}: a notebook or test reads it to know what to subscribe to) and one when
the run ends ({"done": true, "uid", "events", "seconds", "exit_status"}). Runs go only into /live:
the demo catalogs' run counts are acceptance figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from dataclasses import dataclass

from . import config
from .config import ReplicaError

# Realistic step rates on this instrument, sped up for a demo: a real uascan dwells 1-2 s per
# point; the Pilatus exposes for a second or more. `--rate` overrides them.
DEFAULT_RATE = {"uascan": 5.0, "saxs": 2.0}
PLANS = tuple(DEFAULT_RATE)


@dataclass(frozen=True)
class LiveRun:
    """The run `bin/replica live` writes."""

    plan: str  # "uascan" (scalars only) or "saxs" (one Pilatus frame per point)
    events: int  # number of points
    rate: float  # points per second; 0: as fast as the server takes them
    stop: bool = True  # False: no stop document, like a crashed session


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bin/replica live", description=__doc__.split("\n\n")[0])
    p.add_argument("--plan", choices=PLANS, default="uascan")
    p.add_argument("--seconds", type=float, default=30.0, help="how long the run lasts (default 30)")
    p.add_argument("--events", type=int, default=None, help="number of points (default: seconds x rate)")
    p.add_argument("--rate", type=float, default=None, help="points per second; 0 = as fast as the server takes them")
    p.add_argument("--url", default=None, help="server (default: the running replica's URL)")
    p.add_argument("--auth", choices=("password", "oidc", "proxied-oidc"), default=None,
                   help="write into an authenticated server (bin/replica start --auth MODE) with its live "
                        "writer's API key; the default when --url is such a server's URL")
    p.add_argument("--no-stop", action="store_true", help="leave the run without a stop document, like a crashed session")
    p.add_argument("--timing-out", metavar="FILE", default=None,
                   help="JSON lines {seq_num, t_append_start, t_append_end}: each event's table-append request (epoch s)")
    return p


def _timed_appends(sink: dict) -> None:
    """Record when TiledWriter's table append (the one request per event that carries the row)
    starts and ends, by seq_num. The server publishes the row to subscribers while handling this
    request, before it stores it, so its start is the honest "written" moment for latency."""
    from tiled.client.dataframe import DataFrameClient

    original = DataFrameClient.append_partition

    def timed(self, partition, data, *args, **kwargs):
        t0 = time.time()
        out = original(self, partition, data, *args, **kwargs)
        t1 = time.time()
        try:
            for s in data["seq_num"].to_pylist():
                sink[int(s)] = (t0, t1)
        except (KeyError, AttributeError, TypeError):
            pass  # not an event table (e.g. a stream without seq_num): nothing to time
        return out

    DataFrameClient.append_partition = timed


def _say(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def run_live(run: LiveRun, url: str, api_key: str, *, timing_out: str | None = None, out=_say) -> dict:
    """Write one run; returns the final summary (also printed through `out`)."""
    import h5py
    import numpy as np
    from bluesky_tiled_plugins import TiledWriter
    from event_model import compose_run
    from event_model.documents.stream_datum import StreamRange
    from tiled.client import from_uri

    from .generator.common import Ids, RunContext
    from .generator.usaxs import (PILATUS, UsaxsRun, baseline_stream, pilatus_frame, start_metadata,
                                  uascan_data_keys, uascan_path_metadata, uascan_point, uascan_positions)
    from .generator.usaxs_timeline import BEAMTIMES

    appends: dict[int, tuple[float, float]] = {}
    if timing_out:
        _timed_appends(appends)
    client = from_uri(url, api_key=api_key)
    try:
        catalog = client[config.LIVE_CATALOG]
    except KeyError:
        raise ReplicaError(f"{url} has no /{config.LIVE_CATALOG} catalog: restart the replica "
                           "(`bin/replica stop; bin/replica start`) so it serves the live catalog") from None
    writer = TiledWriter(catalog, batch_size=1)
    plan, events = run.plan, run.events
    scan_id = 1 + len(catalog)
    rng = random.Random(f"live-{scan_id}-{time.time()}")
    ids = Ids(f"live-{scan_id}-{time.time_ns()}")
    ctx = RunContext(ids, rng, config.detectors_dir() / config.LIVE_CATALOG)
    period = 1.0 / run.rate if run.rate > 0 else 0.0
    t0 = time.time()
    title = f"IN625_HT870_live_{scan_id:04d}"
    # Live runs continue the demo catalog's last beamtime: its user group is still measuring.
    esaf = BEAMTIMES[-1].esaf
    md = start_metadata(UsaxsRun(plan_name=plan, scan_id=scan_id, start_time=t0, pid=os.getpid(), esaf=esaf))
    md["databroker_catalog"] = config.LIVE_CATALOG
    md.update({"title": title, "live": True, "num_points": events,
               "hints": {"dimensions": [[["a_stage_r" if plan == "uascan" else "time"], "primary"]]}})
    if plan == "uascan":
        md.update({**uascan_path_metadata(events), "motors": ["a_stage_r", "a_stage_x", "d_stage_x"],
                   "detectors": ["I0_USAXS", "I00_USAXS", "PD_USAXS", "TR diode"]})
    else:
        md.update({"area_detector_name": "saxs_det", "detectors": ["saxs_det"], "method": "areaDetectorAcquire"})
    bundle = compose_run(uid=ids.uid(), time=t0, metadata=md)
    uid = bundle.start_doc["uid"]
    writer("start", bundle.start_doc)
    out({"uid": uid, "scan_id": scan_id, "plan": plan, "path": f"{config.LIVE_CATALOG}/{uid}",
         "events": events, "rate": run.rate})

    planned_end = t0 + (events * period if period else events * 0.05) + 1.0
    baseline = list(baseline_stream(ctx, bundle, t0, planned_end, title))
    for name, doc in baseline[:2]:  # descriptor and the first reading now, the last one at the end
        writer(name, doc)

    frame_path = None
    if plan == "uascan":
        data_keys = uascan_data_keys()
        hints = {"scaler0": {"fields": ["PD_USAXS"]}}
        a_stage_r = uascan_positions(md, events)
        slope = rng.uniform(3.3, 4.0)
    else:
        h, w = PILATUS["SAXS"]
        data_keys = {
            "saxs_det_image": {"source": "PV:usaxs_pilatus1:image1:ArrayData", "dtype": "array", "dtype_numpy": "<i4",
                               "shape": [h, w], "external": "STREAM:", "object_name": "saxs_det"},
            "saxs_det_stats1_total": {"source": "PV:saxs_det:Stats1:Total_RBV", "dtype": "number", "dtype_numpy": "<f8",
                                      "shape": [], "object_name": "saxs_det"},
            "sample_temperature": {"source": "PV:9idcLAX:LINKAM:TEMP", "dtype": "number", "dtype_numpy": "<f8",
                                   "shape": [], "units": "C", "object_name": "linkam"},
        }
        hints = {"saxs_det": {"fields": ["saxs_det_image"]}}
        base = pilatus_frame("SAXS", scan_id)[0].astype(np.float64).clip(0)
    desc = bundle.compose_descriptor(name="primary", data_keys=data_keys, time=time.time(), uid=ids.uid(),
                                     configuration={}, hints=hints)
    writer("descriptor", desc.descriptor_doc)
    resource = None
    if plan == "saxs":
        # The AD HDF5 plugin's layout, one frame per point, appended as the run goes; tiled
        # reads it from readable_storage (detectors/), where the server can see it.
        frame_path = ctx.detectors / f"{uid}.h5"
        frame_path.parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(frame_path, "w") as f:
            f.create_dataset("/entry/data/data", shape=(0, h, w), maxshape=(None, h, w), dtype="<i4", chunks=(1, h, w))
        resource = bundle.compose_stream_resource(
            mimetype="application/x-hdf5", uri=f"file://localhost{frame_path}", data_key="saxs_det_image",
            parameters={"dataset": "/entry/data/data", "chunk_shape": [1, h, w], "swmr": False}, uid=ids.uid())
        writer("stream_resource", resource.stream_resource_doc)

    exit_status, reason = "success", ""
    written = 0
    started = time.monotonic()
    try:
        for i in range(events):
            if period:
                delay = started + i * period - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            seq_num = i + 1
            now = time.time()
            if plan == "uascan":
                data = uascan_point(rng, a_stage_r[i], i, events, slope)
            else:
                scale = 1.0 + 0.5 * np.sin(i / 7.0)
                frame = np.random.default_rng(scan_id * 1000 + i).poisson(base * scale).astype("<i4")
                frame[:, 243:249] = -1  # the Pilatus module gap
                with h5py.File(frame_path, "a") as f:
                    ds = f["/entry/data/data"]
                    ds.resize(i + 1, axis=0)
                    ds[i] = frame
                writer("stream_datum", resource.compose_stream_datum(
                    indices=StreamRange(start=i, stop=i + 1), seq_nums=StreamRange(start=seq_num, stop=seq_num + 1),
                    descriptor=desc.descriptor_doc))
                data = {"saxs_det_stats1_total": float(frame.clip(0).sum()),
                        "sample_temperature": round(25.0 + 0.5 * i + rng.uniform(-0.05, 0.05), 3)}
            writer("event", desc.compose_event(data=data, timestamps={k: now for k in data}, seq_num=seq_num,
                                               time=now, uid=ids.uid(), validate=False))
            written += 1
    except KeyboardInterrupt:
        exit_status, reason = "abort", "interrupted (Ctrl-C)"
    if run.stop:
        t_end = time.time()
        name, doc = baseline[2]  # the baseline's closing reading
        writer(name, doc)
        writer("stop", bundle.compose_stop(exit_status=exit_status, reason=reason, time=t_end, uid=ids.uid()))
    summary = {"done": True, "uid": uid, "events": written, "seconds": round(time.time() - t0, 3),
               "exit_status": exit_status if run.stop else None}
    if timing_out:
        with open(timing_out, "w") as f:
            for s in sorted(appends):
                f.write(json.dumps({"seq_num": s, "t_append_start": appends[s][0], "t_append_end": appends[s][1]}) + "\n")
    out(summary)
    return summary


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    rate = DEFAULT_RATE[args.plan] if args.rate is None else args.rate
    if rate < 0 or (args.events is not None and args.events < 1) or args.seconds <= 0:
        raise ReplicaError("--rate must be >= 0, --events >= 1 and --seconds > 0")
    events = args.events if args.events is not None else max(1, round(args.seconds * (rate or 20.0)))
    url, key = _server_and_key(args.url, args.auth)
    run_live(LiveRun(args.plan, events, rate, stop=not args.no_stop), url, key, timing_out=args.timing_out)
    return 0


def _server_and_key(url: str | None, mode: str | None) -> tuple[str, str]:
    """The server to write into and the key to write with: the anonymous replica's single-user
    key, or an authenticated server's live writer key (a service principal's API key)."""
    from . import auth, service

    if mode is None and url is not None:
        # --url of an authenticated server that this replica started: use its writer's key.
        for candidate in auth.AUTH_MODES:
            state = service.running(service.auth_layout(candidate))
            if state and state["url"].rstrip("/") == url.rstrip("/"):
                mode = candidate
    if mode is not None:
        if url is None:
            state = service.running(service.auth_layout(mode))
            if not state:
                raise ReplicaError(f"the authenticated ({mode}) replica server is not running; "
                                   f"start it with `bin/replica start --auth {mode}`, or give --url")
            url = state["url"]
        return url, auth.writer_key(mode)
    if url is None:
        state = service.running()
        if not state:
            raise ReplicaError("the replica server is not running; start it with `bin/replica start`, or give --url")
        url = state["url"]
    return url, config.api_key()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ReplicaError as err:
        print(f"replica: {err}", file=sys.stderr)
        sys.exit(1)
