"""bdp2022: the APS-U Beamline Data Pipelines project's 2022 runs (take_image, new_sample,
push_images, m9_push_images), laid out so that every query of the 2022 demo returns what it printed.

How the synthetic timeline maps onto shared/reference/replica-facts.md:

| phase | when (Chicago) | runs | scan_id |
|---|---|---|---|
| M4 commissioning | April 2022 | 6 take_image | ..1595 |
| M4 | 2022-05-03 08:37:21.510276 .. July 13 | 140 take_image (first = the demo's first) + 120 new_sample | 1596.. |
| M6 | 2022-07-15 23:14:54.974411 .. 2022-09-08 13:54:25.178280 | 125 push_images + 12 take_image | 1..1960 (counter reset) |
| (gap) | Sept 8 .. Nov 11 | none: the demo's range ends at the last push_images run | |
| M9 | 2022-11-11 01:34:27.938719 .. 2022-11-23 11:17:32.495794 | 75 m9_push_images | 1961..2035 |
| after | 2022-12-01 | 1 take_image, still running (no stop) | 2036 |

May 1 .. Nov 1 therefore holds 260 + 137 = 397 runs. new_sample runs (start and stop, no
streams) cost a third of a take_image's requests, which keeps generation within its budget. Only the M9 runs carry the token "m9"
(milestone "BDP M9 demo", session "M9 demo", plan m9_push_images), so full-text M9 finds 75.
The scan_id gaps after the July reset are runs the queueserver wrote to other catalogs.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import numpy as np
from event_model import compose_run

from .common import Ids, epoch, local, local_string, session_times, write_frames

NAME = "bdp2022"

# --- the fixed points from replica-facts.md ---------------------------------------------------
FIRST_IN_RANGE = epoch("2022-05-03T08:37:21.510276")  # take_image, scan_id 1596
FIRST_PUSH = epoch("2022-07-15T23:14:54.974411")  # push_images, scan_id 1
LAST_PUSH_TIME = 1662663265.17828  # 2022-09-08T13:54:25.178280, scan_id 1960
LAST_PUSH_UID = "ae762f9c-4933-4aa4-a720-147f4aaab6fd"
FIRST_M9 = epoch("2022-11-11T01:34:27.938719")  # scan_id 1961
LAST_M9_TIME = epoch("2022-11-23T11:17:32.495794")  # scan_id 2035
LAST_M9_UID = "a1233634-1259-438f-b9f0-f77c26f48f54"
LAST_M9_DESCRIPTOR_UID = "43eb9fb2-7900-47aa-96a6-face7e7f5fca"
LAST_M9_DESCRIPTOR_TIME = 1669223872.8681245
LAST_M9_CONFIG_TIMESTAMPS = (1669223852.4870157, 1669223852.4887526, 1669223852.4916937)
# The 2022 server's error message named this Resource (a take_image frame it could not read).
DEMO_RESOURCE_UID = "c89a0a1b-7195-46fd-8d27-64f7d94e3cf7"

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

ADSIMDET_SHAPE = (1, 1024, 1024)

# Of the 260 M4 runs from May 3 to July 13, how many are new_sample (the rest take_image).
N_NEW_SAMPLE = 120


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


def m4_start_header(versions: dict, pid: int, scan_id: int, plan_name: str) -> dict:
    """The start-document keys every M4 run shares, in the order the instrument wrote them."""
    return {
        "versions": versions,
        **COMMON,
        "login_id": "bdp@terrier.xray.aps.anl.gov",
        "milestone": "BDP M4 demo",
        "pid": pid,
        "scan_id": scan_id,
        "plan_type": "generator",
        "plan_name": plan_name,
    }


def take_image(ids: Ids, rng: random.Random, t0: float, scan_id: int, pid: int, versions: dict,
               frame_counter: int, exit_status: str, detectors: Path, running: bool = False,
               resource_uid: str | None = None, stages: dict | None = None):
    """bp.count([adsimdet]) with M4 metadata: one event, one AD_HDF5 frame.

    `stages`: the coarse/fine positions new_sample last moved to (else drawn at random)."""
    peaks = frame_counter % 3 == 0
    stages = stages or random_stages(rng)
    md = {
        **m4_start_header(versions, pid, scan_id, "take_image"),
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
    run = compose_run(uid=ids.uid(), time=t0, metadata=md)
    yield "start", run.start_doc

    day = local(t0)
    file_uid = ids.uid()
    resource_path = f"adsimdet/{day:%Y/%m/%d}/{file_uid}_000.h5"
    write_frames(detectors / resource_path, adsimdet_frames(frame_counter, peaks))
    res = run.compose_resource(
        spec="AD_HDF5",
        root=str(detectors),
        resource_path=resource_path,
        resource_kwargs={"frame_per_point": 1},
        uid=resource_uid or ids.uid(),
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
        "adsimdet_cam_array_counter": (frame_counter, {"dtype": "integer"}),
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
    desc = run.compose_descriptor(
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
    if running:
        return
    reason = {"abort": "RunEngine aborted by user (qserver: re_abort)",
              "fail": "TimeoutError: adsimdet_cam_acquire did not finish in 10 s"}.get(exit_status, "")
    yield "stop", run.compose_stop(
        exit_status=exit_status, reason=reason, time=t_event + rng.uniform(0.05, 0.3), uid=ids.uid()
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


# Simulated specimens of the M4 demos (the detector is a simulator: the "sample" only names
# the frames that follow). No name may hold the token m9: full-text M9 must find the M9 runs only.
SAMPLE_NAMES = ("glassy carbon", "silver behenate", "kapton film", "lupolen", "Au grid",
                "Si wafer", "alumina powder", "CeO2 standard", "mesh 200", "pinhole 50um")


def new_sample(ids: Ids, rng: random.Random, t0: float, scan_id: int, pid: int, versions: dict,
               sample: str, stages: dict, previous: dict):
    """M4: new_sample(name, x, y): drive the coarse and fine stages to a newly mounted sample
    and record it. The plan is open_run / mv / close_run: the run holds the sample's name and
    positions in its start document and a stop document; it reads no detector, so it has no
    streams (stop.num_events {})."""
    md = {
        **m4_start_header(versions, pid, scan_id, "new_sample"),
        "plan_args": {"sample": sample, "x": stages["coarse_x"], "y": stages["coarse_y"],
                      "fine_x": stages["fine_x"], "fine_y": stages["fine_y"]},
        "motors": list(STAGE_UNITS),
        "sample": sample,
        **stage_metadata(stages),
        "purpose": "mount a new sample: move the stages to it",
        "bdp_demo": "new_sample: record the sample the next take_image frames show",
    }
    run = compose_run(uid=ids.uid(), time=t0, metadata=md)
    yield "start", run.start_doc
    # The coarse stages move at 1 mm/s, then settle.
    travel = max(abs(stages[a] - previous[a]) for a in ("coarse_x", "coarse_y"))
    yield "stop", run.compose_stop(exit_status="success", reason="",
                                   time=round(t0 + travel + rng.uniform(0.6, 1.4), 6), uid=ids.uid())


def push_images(ids: Ids, rng: random.Random, t0: float, scan_id: int, pid: int,
                num_images: int, frame_rate: float, run_time: float, n_events: int,
                exit_status: str, uid: str | None = None):
    """M6: push TIFF frames to a PVaccess PV; one event per frame, scalar detector timings."""
    md = {
        "versions": VERSIONS_2022_SUMMER,
        "databroker_catalog": "bdp2022",
        "login_id": "bdp@terrier.xray.aps.anl.gov",
        "beamline_id": "BDP",
        "instrument_name": "APS-U Beamline Data Pipelines project in 2022",
        "proposal_id": "bdp2022",
        "milestone": "BDP M6 demo",
        "pid": pid,
        "scan_id": scan_id,
        "plan_type": "generator",
        "plan_name": "push_images",
        "purpose": "push TIFF files to PVaccess PV",
        "num_images": num_images,
        "frame_rate": frame_rate,
        "run_time": run_time,
        # The queueserver client stamps its own wall clock just before submitting the plan.
        "datetime": local_string(t0 - 0.375324),
        "client": "DM/workflows/example-05/qserver_client.py",
        "session": "M6 demo",
    }
    run = compose_run(uid=uid or ids.uid(), time=t0, metadata=md)
    yield "start", run.start_doc
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
    desc = run.compose_descriptor(
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
    dt = 1.0 / frame_rate
    times = t0 + 1.2 + np.arange(n_events) * dt + nrng.normal(0, dt / 20, n_events)
    rate = frame_rate * (1 + nrng.normal(0, 0.004, n_events))
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
    t_stop = max(t0 + run_time + 0.5, float(times[-1]) + 0.2) if n_events else t0 + 1
    reason = "RunEngine aborted by user (qserver: re_abort)" if exit_status == "abort" else ""
    yield "stop", run.compose_stop(exit_status=exit_status, reason=reason,
                                   time=round(t_stop, 6), uid=ids.uid())


def m9_push_images(ids: Ids, rng: random.Random, t0: float, scan_id: int, pid: int,
                   num_images: int, frame_rate: int, chunk: int, exit_status: str,
                   uid: str | None = None, descriptor_uid: str | None = None,
                   descriptor_time: float | None = None, config_timestamps=None,
                   duration: float | None = None):
    """M9: bp.fly([m9_flyer]). The flyer publishes frames over PVaccess; the run records one
    event with no data keys, and the flyer's settings in the descriptor's configuration."""
    md = {
        "versions": VERSIONS_2022_NOVEMBER,
        **COMMON,
        "login_id": "bdp@mona3.xray.aps.anl.gov",
        "milestone": "BDP M9 demo",
        "pid": pid,
        "scan_id": scan_id,
        "plan_type": "generator",
        "plan_name": "m9_push_images",
        "detectors": ["m9_flyer"],
        "plan_args": {"flyers": ["M9_Flyer(prefix='', name='m9_flyer')"]},
        "hints": {},
        "purpose": "publish image frames via PVaccess",
        "num_images": num_images,
        "frame_rate": frame_rate,
        "position_chunk_size": chunk,
        "datetime": local_string(t0 - rng.uniform(0.2, 0.5)),
        "client": "/clhome/BDP/DM/workflows/example-06/qserver_client.py",
        "session": "M9 demo",
    }
    run = compose_run(uid=uid or ids.uid(), time=t0, metadata=md)
    yield "start", run.start_doc
    if duration is None:
        duration = round(num_images / frame_rate + rng.uniform(7.5, 9.5), 1)
    if config_timestamps is None:
        base = t0 - rng.uniform(0.005, 0.012)
        config_timestamps = (base, base + 0.0017, base + 0.0047)
    if descriptor_time is None:
        descriptor_time = t0 + duration - rng.uniform(0.02, 0.05)
    fields = ("m9_flyer_frame_rate", "m9_flyer_num_images", "m9_flyer_position_chunk_size")
    configuration = {
        "m9_flyer": {
            "data": dict(zip(fields, (float(frame_rate), num_images, chunk))),
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
    desc = run.compose_descriptor(
        name="primary",
        data_keys={},
        configuration=configuration,
        hints={"m9_flyer": {"fields": []}},
        object_keys={"m9_flyer": []},
        time=descriptor_time,
        uid=descriptor_uid or ids.uid(),
    )
    yield "descriptor", desc.descriptor_doc
    # A fly scan's collect() yields one event; this flyer reports nothing in it.
    yield "event", desc.compose_event(
        data={}, timestamps={}, seq_num=1, time=descriptor_time + 0.0052, uid=ids.uid()
    )
    reason = "RuntimeError: PVA server did not acknowledge frame 1 in 5 s" if exit_status == "fail" else ""
    yield "stop", run.compose_stop(exit_status=exit_status, reason=reason,
                                   time=round(t0 + duration, 6), uid=ids.uid())


# --- the timeline ------------------------------------------------------------------------------


def runs(detectors: Path):
    """Yield (description, documents, options) per run, oldest first."""
    ids = Ids(f"{NAME}-uids")
    rng = random.Random(f"{NAME}-values")
    frame_counter = 1

    # April: M4 commissioning, before the demo's range. One aborted run.
    april = session_times(rng, epoch("2022-04-19T00:00"), epoch("2022-04-29T23:00"), 6)
    scan_ids = sorted(rng.sample(range(1585, 1595), 5)) + [1595]
    for i, (t, sid) in enumerate(zip(april, scan_ids)):
        status = "abort" if i == 3 else "success"
        yield "take_image", take_image(ids, rng, t, sid, 8231 + i // 10, VERSIONS_2022_SPRING,
                                       frame_counter, status, detectors), {}
        frame_counter += 1

    # May 3 .. July 13: M4. The first is the demo's first run in range.
    may = [FIRST_IN_RANGE] + session_times(
        rng, FIRST_IN_RANGE + 60, epoch("2022-07-13T23:00"), 259)
    sid = 1596
    # Between frames the operators mounted specimens with new_sample; the take_image runs that
    # follow record that sample's stage positions. The slot numbers below are take_image runs
    # the tests and facts rely on (first in range, failed/aborted ones, the demo's Resource).
    keep_take = {0, 57, 140, 201, 233}
    sample_slots = set(rng.sample([i for i in range(1, len(may)) if i not in keep_take],
                                  N_NEW_SAMPLE))
    stages = random_stages(rng)
    for i, t in enumerate(may):
        pid = 9012 + i // 25
        versions = VERSIONS_2022_SPRING if i < 120 else VERSIONS_2022_SUMMER
        if i in sample_slots:
            previous, stages = stages, random_stages(rng)
            sample = f"{rng.choice(SAMPLE_NAMES)} #{rng.randint(1, 40)}"
            yield "new_sample", new_sample(ids, rng, t, sid, pid, versions, sample, stages,
                                           previous), {}
        else:
            status = {57: "fail", 140: "abort", 201: "abort"}.get(i, "success")
            yield "take_image", take_image(
                ids, rng, t, sid, pid, versions, frame_counter, status, detectors,
                resource_uid=DEMO_RESOURCE_UID if i == 233 else None, stages=stages), {}
            frame_counter += 1
        sid += 1 if rng.random() < 0.85 else rng.randint(2, 3)

    # July 15 .. Sept 8: M6. The scan_id counter was reset; 125 push_images + 12 take_image.
    middle = session_times(rng, FIRST_PUSH + 60, LAST_PUSH_TIME - 60, 135)
    times = [FIRST_PUSH] + middle + [LAST_PUSH_TIME]
    sids = [1] + sorted(rng.sample(range(2, 1960), 135)) + [1960]
    take_slots = set(rng.sample(range(1, 136), 12))
    for i, (t, sid) in enumerate(zip(times, sids)):
        pid = 13229 if i == len(times) - 1 else 11800 + i // 9
        if i in take_slots:
            yield "take_image", take_image(ids, rng, t, sid, pid, VERSIONS_2022_SUMMER,
                                           frame_counter, "success", detectors), {}
            frame_counter += 1
            continue
        if i == len(times) - 1:
            # The demo's run: 10000 frames at 200 Hz; the real one recorded 10261 events.
            params = dict(num_images=10000, frame_rate=200.0, run_time=60.0, n_events=10261,
                          uid=LAST_PUSH_UID)
        else:
            # Most runs during development pushed a few dozen to a few hundred frames; keeping them short
            # keeps generation within its budget while each still has one event per frame.
            n = rng.choices([50, 100, 200, 500, 1000], weights=[25, 35, 25, 12, 3])[0]
            rate = rng.choice([10.0, 20.0, 50.0, 100.0, 200.0])
            params = dict(num_images=n, frame_rate=rate, run_time=round(n / rate * 1.2, 1),
                          n_events=n + int(n * rng.uniform(0, 0.03)))
        status = "abort" if i == 77 else "success"
        yield "push_images", push_images(ids, rng, t, sid, pid, exit_status=status, **params), {}

    # Nov 11 .. Nov 23: M9, 75 consecutive scan_ids.
    m9_times = [FIRST_M9] + session_times(rng, FIRST_M9 + 60, LAST_M9_TIME - 60, 73) + [LAST_M9_TIME]
    for i, t in enumerate(m9_times):
        sid = 1961 + i
        if i == len(m9_times) - 1:
            params = dict(num_images=12000, frame_rate=1000, chunk=100, uid=LAST_M9_UID,
                          descriptor_uid=LAST_M9_DESCRIPTOR_UID,
                          descriptor_time=LAST_M9_DESCRIPTOR_TIME,
                          config_timestamps=LAST_M9_CONFIG_TIMESTAMPS, duration=20.4)
        else:
            params = dict(num_images=rng.choice([1200, 6000, 12000, 24000]),
                          frame_rate=rng.choice([100, 500, 1000, 2000]),
                          chunk=rng.choice([10, 50, 100]))
        status = "fail" if i == 23 else "success"
        yield "m9_push_images", m9_push_images(ids, rng, t, sid, 27400 + i // 12,
                                               exit_status=status, **params), {}

    # December: a detector check still running when the catalog was copied (no stop document).
    # Written with batch_size=1 so its event is in the table, as a live run's would be.
    yield "take_image (running)", take_image(
        ids, rng, epoch("2022-12-01T10:02:13.441207"), 2036, 31010, VERSIONS_2022_NOVEMBER,
        frame_counter, "success", detectors, running=True), {"batch_size": 1}
