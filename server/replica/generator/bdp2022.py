"""bdp2022's runs, one builder per plan: take_image, new_sample (M4), push_images (M6) and
m9_push_images (M9), each composed with event_model from one small description of the run.

    run = TakeImage(scan_id=1596, start_time=t, pid=9012, versions=VERSIONS_2022_SPRING, frame_counter=7)
    for name, doc in take_image(ctx, run):      # start, resource, datum, descriptor, event, stop
        ...

Which runs the catalog holds, and when, is bdp2022_timeline.py.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import numpy as np
from event_model import compose_run

from .common import RunContext, local, local_string, write_frames

# --- start metadata ------------------------------------------------------------------------------

COMMON = {
    "databroker_catalog": "bdp2022",
    "beamline_id": "BDP",
    "instrument_name": "APS-U Beamline Data Pipelines project in 2022",
    "proposal_id": "bdp2022",
}

VERSIONS_2022_SUMMER = {
    "apstools": "1.6.2",
    "bluesky": "1.8.3",
    "bluesky_queueserver": "0.0.15",
    "databroker": "1.2.5",
    "epics": "3.5.0",
    "h5py": "3.7.0",
    "matplotlib": "3.5.2",
    "numpy": "1.20.3",
    "ophyd": "1.6.4",
    "pyRestTable": "2020.0.3",
    "spec2nexus": "2021.2.1",
}
VERSIONS_2022_SPRING = {**VERSIONS_2022_SUMMER, "apstools": "1.6.1", "bluesky_queueserver": "0.0.14"}
VERSIONS_2022_NOVEMBER = {
    "apstools": "1.6.9.dev89",
    "bluesky": "1.10.0",
    "bluesky_queueserver": "0.0.17",
    "databroker": "1.2.5",
    "epics": "3.5.0",
    "h5py": "3.7.0",
    "matplotlib": "3.6.2",
    "numpy": "1.23.4",
    "ophyd": "1.7.0",
    "pyRestTable": "2020.0.7",
    "spec2nexus": "2021.2.4",
}

# --- what one run is: the arguments of each plan's builder ---------------------------------------


@dataclass(frozen=True, kw_only=True)
class BdpRun:
    """What every bdp2022 run's start and stop documents need."""

    scan_id: int
    start_time: float  # epoch seconds, as the RunEngine's time.time() wrote them
    pid: int  # the queueserver's RunEngine worker process
    exit_status: str = "success"  # or "abort", "fail"


@dataclass(frozen=True, kw_only=True)
class TakeImage(BdpRun):
    versions: dict
    frame_counter: int  # the simulator's ArrayCounter: decides the frame (adsimdet_frames)
    stages: dict | None = None  # where new_sample last moved the stages; None: drawn at random
    resource_uid: str | None = None  # None: a fresh uid
    running: bool = False  # the catalog was copied before its stop document


@dataclass(frozen=True, kw_only=True)
class NewSample(BdpRun):
    versions: dict
    sample: str
    stages: dict  # coarse_x/y (mm), fine_x/y (um) the plan moves to
    previous_stages: dict  # where they were: the move's length decides the run's duration


@dataclass(frozen=True, kw_only=True)
class PushImages(BdpRun):
    num_images: int
    frame_rate: float
    run_time: float
    n_events: int  # one event per frame pushed; may exceed num_images, as in the demo's run
    uid: str | None = None  # None: a fresh uid


@dataclass(frozen=True, kw_only=True)
class M9PushImages(BdpRun):
    num_images: int
    frame_rate: int
    position_chunk_size: int
    # The demo printed these of its last M9 run; None: drawn at random.
    uid: str | None = None
    descriptor_uid: str | None = None
    descriptor_time: float | None = None
    config_timestamps: tuple[float, float, float] | None = None
    duration: float | None = None


# --- detector data, recomputable by the tests ----------------------------------------------------

ADSIMDET_SHAPE = (1, 1024, 1024)


def adsimdet_frames(frame_counter: int, peaks: bool) -> np.ndarray:
    """The simulator's image for one take_image run, as uint8 (1, 1024, 1024).

    ADSimDetector's "linear ramp" mode (x + y + frame counter, wrapping at 8 bits) or its
    "peaks" mode (a grid of Gaussian spots). Deterministic: tests recompute it from the
    frame counter recorded in the run's `adsimdet_cam_array_counter` configuration.
    """
    if peaks:
        return _peaks(6 + frame_counter % 5).reshape(ADSIMDET_SHAPE)
    ramp = (_RAMP + np.uint16(frame_counter % 256)) % 256
    return ramp.astype(np.uint8).reshape(ADSIMDET_SHAPE)


_RAMP = np.add.outer(np.arange(1024, dtype=np.uint16), np.arange(1024, dtype=np.uint16))


@functools.cache
def _peaks(sigma: int) -> np.ndarray:
    centre = (np.arange(1024) % 128) - 64
    spot = np.exp(-(centre[:, None] ** 2 + centre[None, :] ** 2) / (2 * sigma**2))
    image = (20 + 200 * spot).astype(np.uint8)
    image.flags.writeable = False  # cached: shared between runs
    return image


# --- one run per plan ---------------------------------------------------------------------------
# Builders are generators: their random draws happen as the writer consumes the documents,
# after the timeline's draws for the same run and before those for the next.


def m4_start_header(run: TakeImage | NewSample, plan_name: str) -> dict:
    """The start-document keys every M4 run shares, in the order the instrument wrote them."""
    return {
        "versions": run.versions,
        **COMMON,
        "login_id": "bdp@terrier.xray.aps.anl.gov",
        "milestone": "BDP M4 demo",
        "pid": run.pid,
        "scan_id": run.scan_id,
        "plan_type": "generator",
        "plan_name": plan_name,
    }


def take_image(ctx: RunContext, run: TakeImage):
    """bp.count([adsimdet]) with M4 metadata: one event, one AD_HDF5 frame."""
    ids, rng, t0 = ctx.ids, ctx.rng, run.start_time
    peaks = run.frame_counter % 3 == 0
    stages = run.stages or random_stages(rng)
    md = {
        **m4_start_header(run, "take_image"),
        "detectors": ["adsimdet"],
        "num_points": 1,
        "num_intervals": 0,
        "plan_args": {
            "detectors": ["MySimDetector(prefix='bdpSimExample:', name='adsimdet')"],
            "num": 1,
        },
        "hints": {"dimensions": [[["time"], "primary"]]},
        "incident_beam": round(rng.uniform(0.8, 1.2), 4),
        "incident_beam_units": "simulation",
        **stage_metadata(stages),
        "acquire_time": 0.25,
        "acquire_period": 0.251,
        "frames_per_image": 1,
        "HDF5_compression": "zlib",
        "shutter": "simulated",
        "bdp_demo": "take_image: count one simulated area detector frame",
        "image_mode": "Peaks" if peaks else "LinearRamp",
    }
    bundle = compose_run(uid=ids.uid(), time=t0, metadata=md)
    yield "start", bundle.start_doc

    day = local(t0)
    file_uid = ids.uid()
    resource_path = f"adsimdet/{day:%Y/%m/%d}/{file_uid}_000.h5"
    write_frames(ctx.detectors / resource_path, adsimdet_frames(run.frame_counter, peaks))
    res = bundle.compose_resource(
        spec="AD_HDF5",
        root=str(ctx.detectors),
        resource_path=resource_path,
        resource_kwargs={"frame_per_point": 1},
        uid=run.resource_uid or ids.uid(),
    )
    yield "resource", res.resource_doc
    datum = res.compose_datum(datum_kwargs={"point_number": 0})
    yield "datum", datum

    t_conf = t0 - rng.uniform(0.5, 3)
    cam = {
        "adsimdet_cam_acquire_time": (0.25, {"dtype": "number", "precision": 3, "units": ""}),
        "adsimdet_cam_acquire_period": (0.251, {"dtype": "number", "precision": 3, "units": ""}),
        "adsimdet_cam_manufacturer": ("Simulated detector", {"dtype": "string"}),
        "adsimdet_cam_model": ("Basic simulator", {"dtype": "string"}),
        "adsimdet_cam_array_counter": (run.frame_counter, {"dtype": "integer"}),
        "adsimdet_hdf1_file_name": (file_uid, {"dtype": "string"}),
    }
    suffix = {
        "adsimdet_cam_acquire_time": "cam1:AcquireTime_RBV",
        "adsimdet_cam_acquire_period": "cam1:AcquirePeriod_RBV",
        "adsimdet_cam_manufacturer": "cam1:Manufacturer_RBV",
        "adsimdet_cam_model": "cam1:Model_RBV",
        "adsimdet_cam_array_counter": "cam1:ArrayCounter_RBV",
        "adsimdet_hdf1_file_name": "HDF1:FileName_RBV",
    }
    configuration = {
        "adsimdet": {
            "data": {k: v for k, (v, _) in cam.items()},
            "timestamps": {k: t_conf for k in cam},
            "data_keys": {
                k: {"source": f"PV:bdpSimExample:{suffix[k]}", "shape": [], **spec}
                for k, (_, spec) in cam.items()
            },
        }
    }
    desc = bundle.compose_descriptor(
        name="primary",
        data_keys={
            "adsimdet_image": {
                "source": "PV:bdpSimExample:",
                "dtype": "array",
                "dtype_numpy": "|u1",
                "shape": list(ADSIMDET_SHAPE),
                "external": "FILESTORE:",
                "object_name": "adsimdet",
            }
        },
        configuration=configuration,
        hints={"adsimdet": {"fields": ["adsimdet_image"]}},
        object_keys={"adsimdet": ["adsimdet_image"]},
        time=t0 + 0.05,
        uid=ids.uid(),
    )
    yield "descriptor", desc.descriptor_doc
    t_event = t0 + 0.3 + rng.uniform(0, 0.1)
    yield "event", desc.compose_event(
        data={"adsimdet_image": datum["datum_id"]},
        timestamps={"adsimdet_image": t_event - 0.01},
        filled={"adsimdet_image": False},
        seq_num=1,
        time=t_event,
        uid=ids.uid(),
    )
    if run.running:
        return
    reason = {"abort": "RunEngine aborted by user (qserver: re_abort)",
              "fail": "TimeoutError: adsimdet_cam_acquire did not finish in 10 s"}.get(run.exit_status, "")
    yield "stop", bundle.compose_stop(
        exit_status=run.exit_status, reason=reason, time=t_event + rng.uniform(0.05, 0.3), uid=ids.uid()
    )


def random_stages(rng: random.Random) -> dict:
    return {
        "coarse_x": round(rng.uniform(-5, 5), 3),
        "coarse_y": round(rng.uniform(-5, 5), 3),
        "fine_x": round(rng.uniform(-50, 50), 2),
        "fine_y": round(rng.uniform(-50, 50), 2),
    }


STAGE_UNITS = {"coarse_x": "mm", "coarse_y": "mm", "fine_x": "um", "fine_y": "um"}


def stage_metadata(stages: dict) -> dict:
    md = {}
    for axis, value in stages.items():
        md[axis] = value
        md[f"{axis}_units"] = STAGE_UNITS[axis]
    return md


def new_sample(ctx: RunContext, run: NewSample):
    """M4: new_sample(name, x, y): drive the coarse and fine stages to a newly mounted sample
    and record it. The plan is open_run / mv / close_run: the run holds the sample's name and
    positions in its start document and a stop document; it reads no detector, so it has no
    streams (stop.num_events {})."""
    stages, t0 = run.stages, run.start_time
    md = {
        **m4_start_header(run, "new_sample"),
        "plan_args": {"sample": run.sample, "x": stages["coarse_x"], "y": stages["coarse_y"],
                      "fine_x": stages["fine_x"], "fine_y": stages["fine_y"]},
        "motors": list(STAGE_UNITS),
        "sample": run.sample,
        **stage_metadata(stages),
        "purpose": "mount a new sample: move the stages to it",
        "bdp_demo": "new_sample: record the sample the next take_image frames show",
    }
    bundle = compose_run(uid=ctx.ids.uid(), time=t0, metadata=md)
    yield "start", bundle.start_doc
    # The coarse stages move at 1 mm/s, then settle.
    travel = max(abs(stages[a] - run.previous_stages[a]) for a in ("coarse_x", "coarse_y"))
    yield "stop", bundle.compose_stop(exit_status=run.exit_status, reason="",
                                      time=round(t0 + travel + ctx.rng.uniform(0.6, 1.4), 6),
                                      uid=ctx.ids.uid())


def push_images(ctx: RunContext, run: PushImages):
    """M6: push TIFF frames to a PVaccess PV; one event per frame, scalar detector timings."""
    ids, rng, t0, n_events = ctx.ids, ctx.rng, run.start_time, run.n_events
    md = {
        "versions": VERSIONS_2022_SUMMER,
        "databroker_catalog": "bdp2022",
        "login_id": "bdp@terrier.xray.aps.anl.gov",
        "beamline_id": "BDP",
        "instrument_name": "APS-U Beamline Data Pipelines project in 2022",
        "proposal_id": "bdp2022",
        "milestone": "BDP M6 demo",
        "pid": run.pid,
        "scan_id": run.scan_id,
        "plan_type": "generator",
        "plan_name": "push_images",
        "purpose": "push TIFF files to PVaccess PV",
        "num_images": run.num_images,
        "frame_rate": run.frame_rate,
        "run_time": run.run_time,
        # The queueserver client stamps its own wall clock just before submitting the plan.
        "datetime": local_string(t0 - 0.375324),
        "client": "DM/workflows/example-05/qserver_client.py",
        "session": "M6 demo",
    }
    bundle = compose_run(uid=run.uid or ids.uid(), time=t0, metadata=md)
    yield "start", bundle.start_doc
    keys = {
        "adpvadet_cam_array_counter": ("cam1:ArrayCounter_RBV", "integer", "<i8", ""),
        "adpvadet_cam_array_rate": ("cam1:ArrayRate_RBV", "number", "<f8", "Hz"),
        "adpvadet_pva1_execution_time": ("Pva1:ExecutionTime_RBV", "number", "<f8", "ms"),
        "adpvadet_tiff1_execution_time": ("TIFF1:ExecutionTime_RBV", "number", "<f8", "ms"),
    }
    data_keys = {
        k: {"source": f"PV:bdpad:{pv}", "dtype": dtype, "dtype_numpy": npdt, "shape": [],
            "units": units, "lower_ctrl_limit": 0, "upper_ctrl_limit": 0,
            "object_name": "adpvadet", **({"precision": 3} if dtype == "number" else {})}
        for k, (pv, dtype, npdt, units) in keys.items()
    }
    desc = bundle.compose_descriptor(
        name="primary",
        data_keys=data_keys,
        configuration={},
        hints={"adpvadet": {"fields": ["adpvadet_cam_array_counter"]}},
        object_keys={"adpvadet": list(keys)},
        time=t0 + 0.02,
        uid=ids.uid(),
    )
    yield "descriptor", desc.descriptor_doc

    # Vectorised draws, then one Event per frame as the RunEngine emitted them.
    nrng = np.random.default_rng(rng.getrandbits(32))
    dt = 1.0 / run.frame_rate
    times = t0 + 1.2 + np.arange(n_events) * dt + nrng.normal(0, dt / 20, n_events)
    rate = run.frame_rate * (1 + nrng.normal(0, 0.004, n_events))
    pva = np.clip(nrng.lognormal(np.log(0.45), 0.45, n_events), 0.213, 2.02)
    tiff = np.clip(nrng.lognormal(np.log(0.9), 0.35, n_events), 0.3, 4.5)
    uids = [ids.uid() for _ in range(n_events)]
    for i in range(n_events):
        t = round(float(times[i]), 6)
        data = {
            "adpvadet_cam_array_counter": i + 1,
            "adpvadet_cam_array_rate": round(float(rate[i]), 3),
            "adpvadet_pva1_execution_time": round(float(pva[i]), 3),
            "adpvadet_tiff1_execution_time": round(float(tiff[i]), 3),
        }
        # validate=False: TiledWriter validates every Event itself; doing it twice doubles
        # the generator's most expensive step.
        yield "event", desc.compose_event(
            data=data, timestamps={k: t for k in data}, seq_num=i + 1, time=t, uid=uids[i],
            validate=False,
        )
    t_stop = max(t0 + run.run_time + 0.5, float(times[-1]) + 0.2) if n_events else t0 + 1
    reason = "RunEngine aborted by user (qserver: re_abort)" if run.exit_status == "abort" else ""
    yield "stop", bundle.compose_stop(exit_status=run.exit_status, reason=reason,
                                      time=round(t_stop, 6), uid=ids.uid())


def m9_push_images(ctx: RunContext, run: M9PushImages):
    """M9: bp.fly([m9_flyer]). The flyer publishes frames over PVaccess; the run records one
    event with no data keys, and the flyer's settings in the descriptor's configuration."""
    ids, rng, t0 = ctx.ids, ctx.rng, run.start_time
    md = {
        "versions": VERSIONS_2022_NOVEMBER,
        **COMMON,
        "login_id": "bdp@mona3.xray.aps.anl.gov",
        "milestone": "BDP M9 demo",
        "pid": run.pid,
        "scan_id": run.scan_id,
        "plan_type": "generator",
        "plan_name": "m9_push_images",
        "detectors": ["m9_flyer"],
        "plan_args": {"flyers": ["M9_Flyer(prefix='', name='m9_flyer')"]},
        "hints": {},
        "purpose": "publish image frames via PVaccess",
        "num_images": run.num_images,
        "frame_rate": run.frame_rate,
        "position_chunk_size": run.position_chunk_size,
        "datetime": local_string(t0 - rng.uniform(0.2, 0.5)),
        "client": "/clhome/BDP/DM/workflows/example-06/qserver_client.py",
        "session": "M9 demo",
    }
    bundle = compose_run(uid=run.uid or ids.uid(), time=t0, metadata=md)
    yield "start", bundle.start_doc
    duration = run.duration
    if duration is None:
        duration = round(run.num_images / run.frame_rate + rng.uniform(7.5, 9.5), 1)
    config_timestamps = run.config_timestamps
    if config_timestamps is None:
        base = t0 - rng.uniform(0.005, 0.012)
        config_timestamps = (base, base + 0.0017, base + 0.0047)
    descriptor_time = run.descriptor_time
    if descriptor_time is None:
        descriptor_time = t0 + duration - rng.uniform(0.02, 0.05)
    fields = ("m9_flyer_frame_rate", "m9_flyer_num_images", "m9_flyer_position_chunk_size")
    configuration = {
        "m9_flyer": {
            "data": dict(zip(fields, (float(run.frame_rate), run.num_images, run.position_chunk_size))),
            "timestamps": dict(zip(fields, config_timestamps)),
            "data_keys": {
                "m9_flyer_frame_rate": {
                    "source": "PV:bdpgp:gp:float3", "dtype": "number", "shape": [], "units": "",
                    "lower_ctrl_limit": 0.0, "upper_ctrl_limit": 0.0, "precision": 4,
                },
                "m9_flyer_num_images": {
                    "source": "PV:bdpgp:gp:int3", "dtype": "integer", "shape": [], "units": "",
                    "lower_ctrl_limit": 0, "upper_ctrl_limit": 0,
                },
                # The demo's printout is cut off after "PV:bdpgp:gp:in"; int4 is the next gp record.
                "m9_flyer_position_chunk_size": {
                    "source": "PV:bdpgp:gp:int4", "dtype": "integer", "shape": [], "units": "",
                    "lower_ctrl_limit": 0, "upper_ctrl_limit": 0,
                },
            },
        }
    }
    desc = bundle.compose_descriptor(
        name="primary",
        data_keys={},
        configuration=configuration,
        hints={"m9_flyer": {"fields": []}},
        object_keys={"m9_flyer": []},
        time=descriptor_time,
        uid=run.descriptor_uid or ids.uid(),
    )
    yield "descriptor", desc.descriptor_doc
    # A fly scan's collect() yields one event; this flyer reports nothing in it.
    yield "event", desc.compose_event(
        data={}, timestamps={}, seq_num=1, time=descriptor_time + 0.0052, uid=ids.uid()
    )
    reason = "RuntimeError: PVA server did not acknowledge frame 1 in 5 s" if run.exit_status == "fail" else ""
    yield "stop", bundle.compose_stop(exit_status=run.exit_status, reason=reason,
                                      time=round(t0 + duration, 6), uid=ids.uid())
