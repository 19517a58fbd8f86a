"""20idb_usaxs's runs, one builder per plan: the USAXS/SAXS/WAXS instrument at APS 20-ID-B in
late 2022 (run cycle 2022-3), each run composed with event_model from one small description.

    run = Flyscan(scan_id=190, start_time=t, pid=2103419, esaf=esaf, title="IN625_AB", data_dir=d)
    for name, doc in flyscan(ctx, run):   # start, baseline, mca stream, stop
        ...

Modelled on the public APS-USAXS/usaxs-bluesky instrument of November 2022: Flyscan (USAXS,
struck mca spectra), SAXS and WAXS (Pilatus frames in AD_HDF5 files), uascan (step-scanned
USAXS), the tune_* alignment scans and documentation_run. Every run has a baseline stream.
Which runs the catalog holds, and when, is usaxs_timeline.py.

Quirks kept on purpose, as in the real catalog: the metadata still says "APS 9-ID-C USAXS"
(the instrument moved from 9-ID-C), PVs use the 9idcLAX: prefix, the undulator is ID20ds:.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from event_model import compose_run

from .common import RunContext, epoch, local, write_frames

VERSIONS = {
    "apstools": "1.6.9",
    "area_detector_handlers": "0.0.10",
    "bluesky": "1.10.0",
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


@dataclass(frozen=True)
class Esaf:
    """One user group's Experiment Safety Approval Form (apsbss keys). Names and titles are invented."""

    esaf_id: str
    proposal_id: str
    principal_user: str
    esaf_title: str
    proposal_title: str
    short: str  # the principal user's name in data directories and run titles
    samples: tuple[str, ...]  # measured in this order


@dataclass(frozen=True, kw_only=True)
class UsaxsRun:
    """What every 20idb_usaxs run's start and stop documents need."""

    plan_name: str
    scan_id: int
    start_time: float  # epoch seconds
    pid: int  # the bluesky session's process
    esaf: Esaf
    exit_status: str = "success"  # or "abort", "fail"


@dataclass(frozen=True, kw_only=True)
class DocumentationRun(UsaxsRun):
    plan_name: str = "documentation_run"
    text: str  # what the beamline staff typed about the beamtime


@dataclass(frozen=True, kw_only=True)
class Tune(UsaxsRun):
    """plan_name: one of TUNES (the axis it scans)."""


@dataclass(frozen=True, kw_only=True)
class SampleRun(UsaxsRun):
    """A measurement of one sample."""

    title: str  # the sample's name
    data_dir: str  # where the instrument writes the run's files (start key hdf5_path)


@dataclass(frozen=True, kw_only=True)
class Flyscan(SampleRun):
    plan_name: str = "Flyscan"
    running: bool = False  # the catalog was copied before its stop document


@dataclass(frozen=True, kw_only=True)
class AreaDetectorRun(SampleRun):
    """plan_name: "SAXS" or "WAXS", which Pilatus takes the frame."""


@dataclass(frozen=True, kw_only=True)
class Uascan(SampleRun):
    plan_name: str = "uascan"


# --- detector data, recomputable by the tests -------------------------------------------------

FLY_CHANNELS = 7999  # the struck 3820's mca length in Flyscan mode


def flyscan_spectra(scan_id: int) -> dict[str, np.ndarray]:
    """The three struck mca spectra of one Flyscan, uint32 arrays of 7999 channels.

    mca1 counts the 50 MHz clock per channel (the time base), mca2 the upstream photodiode
    (USAXS intensity: the rocking-curve peak, then the sample's power-law tail), mca3 the I0
    monitor. Deterministic in scan_id.
    """
    rng = np.random.default_rng(scan_id)
    channel = np.arange(FLY_CHANNELS)
    dwell = 90.0 / FLY_CHANNELS  # fly_scan_time spread over the channels
    clock = np.full(FLY_CHANNELS, int(50e6 * dwell)) + rng.integers(-3, 4, FLY_CHANNELS)
    q = 1e-4 * np.exp(channel / FLY_CHANNELS * np.log(1e4))  # log-spaced, 1e-4 .. 1 1/A
    slope = rng.uniform(3.2, 4.0)
    rocking = np.exp(-((channel - 310) / 38.0) ** 2)
    intensity = 4.0e6 * rocking + 2.0e3 * (q / 1e-3) ** -slope + 25
    intensity = rng.poisson(np.clip(intensity * dwell * 10, 0, 4e9))
    monitor = rng.poisson(np.full(FLY_CHANNELS, 1.2e5 * dwell * 10))
    return {
        "struck_mca1_spectrum": clock.astype(np.uint32),
        "struck_mca2_spectrum": intensity.astype(np.uint32),
        "struck_mca3_spectrum": monitor.astype(np.uint32),
    }


PILATUS = {"SAXS": (195, 487), "WAXS": (407, 487)}


def pilatus_frame(method: str, scan_id: int) -> np.ndarray:
    """One Pilatus frame (1, H, W) int32: rings around the beam stop plus Poisson noise."""
    h, w = PILATUS[method]
    rng = np.random.default_rng(scan_id * 7 + (1 if method == "WAXS" else 0))
    y, x = np.ogrid[0:h, 0:w]
    if method == "SAXS":
        cy, cx = 100.0, 240.0
        r = np.hypot(y - cy, x - cx) + 3
        image = 5e4 * r ** -rng.uniform(2.5, 3.5) * 1e3 + 2
        image[(np.abs(y - cy) < 6) & (np.abs(x - cx) < 6)] = 0  # beam stop
    else:
        cy, cx = -350.0, 240.0  # WAXS detector sits off-axis: arcs of the diffraction rings
        r = np.hypot(y - cy, x - cx)
        image = 3 + sum(a * np.exp(-((r - r0) / 3.0) ** 2) for a, r0 in
                        ((400, 380 + rng.uniform(-5, 5)), (150, 520), (90, 640)))
    frame = rng.poisson(np.clip(image, 0, 1e7)).astype(np.int32)
    frame[:, 243:249] = -1  # the module gap Pilatus reports as -1
    return frame.reshape(1, h, w)


# --- common pieces ----------------------------------------------------------------------------

SCALER = "9idcLAX:vsc:c0"


def baseline_keys():
    """(data key, PV, units, dtype) of the baseline stream: what the instrument records before
    and after every run."""
    keys = [
        ("aps_current", "S:SRcurrentAI", "mA", "number"),
        ("aps_fill_number", "S:FillNumber", "", "integer"),
        ("aps_global_feedback", "SRFB:GBL:LoopStatusBI", "", "string"),
        ("undulator_downstream_energy", "ID20ds:Energy", "keV", "number"),
        ("undulator_downstream_gap", "ID20ds:Gap", "mm", "number"),
        ("undulator_downstream_harmonic_value", "ID20ds:HarmonicValue", "", "integer"),
        ("monochromator_dcm_energy", "9ida:BraggERdbkAO", "keV", "number"),
        ("monochromator_dcm_wavelength", "9ida:BraggLambdaRdbkAO", "A", "number"),
        ("monochromator_dcm_theta", "9ida:BraggThetaRdbkAO", "deg", "number"),
        ("monochromator_feedback_on", "9idcLAX:fbe:omega:on", "", "integer"),
        ("guard_slit_h_size", "9idcLAX:GSlit1H:size.RBV", "mm", "number"),
        ("guard_slit_v_size", "9idcLAX:GSlit1V:size.RBV", "mm", "number"),
        ("usaxs_slit_h_size", "9idcLAX:m58:c2:m8.RBV", "mm", "number"),
        ("usaxs_slit_v_size", "9idcLAX:m58:c2:m7.RBV", "mm", "number"),
        ("m_stage_r", "9idcLAX:aero:c0:m1.RBV", "deg", "number"),
        ("m_stage_x", "9idcLAX:m58:c0:m2.RBV", "mm", "number"),
        ("m_stage_y", "9idcLAX:m58:c0:m3.RBV", "mm", "number"),
        ("a_stage_r", "9idcLAX:aero:c0:m2.RBV", "deg", "number"),
        ("a_stage_x", "9idcLAX:m58:c1:m2.RBV", "mm", "number"),
        ("a_stage_y", "9idcLAX:m58:c1:m3.RBV", "mm", "number"),
        ("s_stage_x", "9idcLAX:m58:c2:m1.RBV", "mm", "number"),
        ("s_stage_y", "9idcLAX:m58:c2:m2.RBV", "mm", "number"),
        ("d_stage_x", "9idcLAX:m58:c1:m6.RBV", "mm", "number"),
        ("d_stage_y", "9idcLAX:m58:c1:m7.RBV", "mm", "number"),
        ("saxs_stage_x", "9idcLAX:mxv:c0:m1.RBV", "mm", "number"),
        ("saxs_stage_y", "9idcLAX:mxv:c0:m8.RBV", "mm", "number"),
        ("saxs_stage_z", "9idcLAX:mxv:c0:m2.RBV", "mm", "number"),
        ("waxsx", "9idcLAX:m58:c0:m4.RBV", "mm", "number"),
        ("upd_gain", "9idcLAX:fem01:seq01:gain", "", "integer"),
        ("upd_reqrange", "9idcLAX:pd01:seq01:reqrange", "", "integer"),
        ("I0_gain", "9idcLAX:fem02:seq01:gain", "", "integer"),
        ("I00_gain", "9idcLAX:fem03:seq01:gain", "", "integer"),
        ("trd_gain", "9idcLAX:fem05:seq02:gain", "", "integer"),
        ("scaler0_time", f"{SCALER}.TP", "s", "number"),
        ("ti_filter_shutter_open", "9idcLAX:pi:Filter:Ti:state", "", "integer"),
        ("Al_filter", "9idcLAX:pi:Filter:Al:Thick", "mm", "number"),
        ("Ti_filter", "9idcLAX:pi:Filter:Ti:Thick", "mm", "number"),
        ("mono_shutter", "PA:09ID:STA_A_FES_OPEN_PL", "", "string"),
        ("usaxs_shutter", "9idcLAX:userTran3.A", "", "string"),
        ("linkam_ci94_temperature", "9idcLAX:ci94:temp", "C", "number"),
        ("sample_thickness", "9idcLAX:sampleThickness", "mm", "number"),
        ("SDD", "9idcLAX:SDD", "mm", "number"),
        ("SAD", "9idcLAX:SAD", "mm", "number"),
        ("terms_USAXS_center_AR", "9idcLAX:USAXS:ARcenter", "deg", "number"),
        ("terms_USAXS_center_MR", "9idcLAX:USAXS:MRcenter", "deg", "number"),
        ("terms_USAXS_DX0", "9idcLAX:USAXS:DX0", "mm", "number"),
        ("terms_SAXS_z_in", "9idcLAX:SAXS_z_in", "mm", "number"),
        ("terms_WAXS_x_in", "9idcLAX:WAXS_x_in", "mm", "number"),
        ("user_data_sample_title", "9idcLAX:USAXS:sampleTitle", "", "string"),
        ("user_data_state", "9idcLAX:state", "", "string"),
    ]
    return keys


def baseline_values(rng: random.Random, t: float, title: str, state: str) -> dict:
    values = {
        "aps_current": round(rng.uniform(99.2, 102.1), 3),
        "aps_fill_number": 8400 + int((t - epoch("2022-11-01T00:00")) // 43200),
        "aps_global_feedback": "On",
        "undulator_downstream_energy": 21.235,
        "undulator_downstream_gap": 13.124,
        "undulator_downstream_harmonic_value": 1,
        "monochromator_dcm_energy": 21.0,
        "monochromator_dcm_wavelength": 0.59040,
        "monochromator_dcm_theta": 5.39412,
        "monochromator_feedback_on": 1,
        "guard_slit_h_size": 0.8,
        "guard_slit_v_size": 0.4,
        "usaxs_slit_h_size": 0.8,
        "usaxs_slit_v_size": 0.2,
        "m_stage_r": round(8.84021 + rng.uniform(-2e-4, 2e-4), 6),
        "m_stage_x": 0.0,
        "m_stage_y": 0.0,
        "a_stage_r": round(8.83987 + rng.uniform(-2e-4, 2e-4), 6),
        "a_stage_x": 0.0,
        "a_stage_y": 0.0,
        "s_stage_x": round(rng.uniform(-30, 30), 3),
        "s_stage_y": round(rng.uniform(-5, 5), 3),
        "d_stage_x": 0.0,
        "d_stage_y": 0.0,
        "saxs_stage_x": 0.0,
        "saxs_stage_y": 0.0,
        "saxs_stage_z": 0.0,
        "waxsx": 0.0,
        "upd_gain": rng.randint(1, 4),
        "upd_reqrange": rng.randint(0, 4),
        "I0_gain": 7,
        "I00_gain": 8,
        "trd_gain": 5,
        "scaler0_time": 1.0,
        "ti_filter_shutter_open": 1,
        "Al_filter": 0.0,
        "Ti_filter": 0.0,
        "mono_shutter": "open",
        "usaxs_shutter": "open",
        "linkam_ci94_temperature": round(rng.uniform(22.5, 24.5), 2),
        "sample_thickness": 1.0,
        "SDD": 547.2,
        "SAD": 530.0,
        "terms_USAXS_center_AR": 8.83987,
        "terms_USAXS_center_MR": 8.84021,
        "terms_USAXS_DX0": 1.042,
        "terms_SAXS_z_in": 0.0,
        "terms_WAXS_x_in": 0.0,
        "user_data_sample_title": title,
        "user_data_state": state,
    }
    return values


def baseline_stream(ctx: RunContext, bundle, t_start: float, t_end: float, title: str):
    """The baseline stream: one reading as the run starts, one as it ends."""
    ids, rng = ctx.ids, ctx.rng
    keys = baseline_keys()
    dtype_numpy = {"number": "<f8", "integer": "<i8", "string": "<U0"}
    data_keys = {
        k: {"source": f"PV:{pv}", "dtype": dt, "dtype_numpy": dtype_numpy[dt], "shape": [],
            "units": units, **({"precision": 4} if dt == "number" else {})}
        for k, pv, units, dt in keys
    }
    desc = bundle.compose_descriptor(name="baseline", data_keys=data_keys, time=t_start + 0.01,
                                     uid=ids.uid(), configuration={}, hints={})
    yield "descriptor", desc.descriptor_doc
    for seq, (t, state) in enumerate(((t_start + 0.02, f"starting {title}"),
                                       (t_end - 0.05, f"finished {title}")), start=1):
        values = baseline_values(rng, t, title, state)
        yield "event", desc.compose_event(data=values, timestamps={k: t - 0.5 for k in values},
                                          seq_num=seq, time=t, uid=ids.uid(), validate=False)


def start_metadata(run: UsaxsRun) -> dict:
    """The start-document keys every run shares, in the order the instrument wrote them."""
    return {
        "versions": VERSIONS,
        "login_id": "usaxs@usaxscontrol.xray.aps.anl.gov",
        "beamline_id": "APS 9-ID-C USAXS",
        "instrument_name": "APS 9-ID-C USAXS",
        "proposal_id": run.esaf.proposal_id,
        "pid": run.pid,
        "scan_id": run.scan_id,
        "plan_type": "generator",
        "plan_name": run.plan_name,
        "EPICS_HOST_ARCH": "linux-x86_64",
        "EPICS_CA_MAX_ARRAY_BYTES": "1280000",
        "databroker_catalog": "20idb_usaxs",
        **apsbss(run.esaf),
    }


def apsbss(esaf: Esaf) -> dict:
    return {
        "bss_aps_cycle": "2022-3",
        "bss_beamline_name": "20-ID-B,C",
        "esaf_id": esaf.esaf_id,
        "esaf_title": esaf.esaf_title,
        "mail_in_flag": "ON" if "mail-in" in esaf.esaf_title else "OFF",
        "principal_user": esaf.principal_user,
        "proposal_id": esaf.proposal_id,
        "proposal_title": esaf.proposal_title,
        "proprietary_flag": "OFF",
    }


def finish(ctx: RunContext, bundle, t_end: float, exit_status: str):
    reason = {
        "abort": "RunEngine abort: user pressed Ctrl-C twice",
        "fail": "FailedStatus: Status(obj=EpicsMotor(prefix='9idcLAX:aero:c0:m2', name='a_stage_r'), done=True, success=False)",
    }.get(exit_status, "")
    return "stop", bundle.compose_stop(exit_status=exit_status, reason=reason,
                                       time=round(t_end, 6), uid=ctx.ids.uid())


# --- one run per plan ---------------------------------------------------------------------------
# Builders are generators: their random draws happen as the writer consumes the documents, one
# run after another, after the timeline has drawn every beamtime's start times.


def flyscan(ctx: RunContext, run: Flyscan):
    ids, rng, t0, title, data_dir = ctx.ids, ctx.rng, run.start_time, run.title, run.data_dir
    fly_time = 90.0
    hdf5_file = f"{title}_{run.scan_id % 10000:04d}.h5"
    md = start_metadata(run)
    md.update({
        "plan_args": {"pos_X": round(rng.uniform(-30, 30), 2), "pos_Y": round(rng.uniform(-5, 5), 2),
                      "thickness": 1.0, "scan_title": title},
        "fly_scan_time": fly_time,
        "hdf5_path": f"{data_dir}/{data_dir.rsplit('/', 1)[-1]}_usaxs",
        "hdf5_file": hdf5_file,
        "title": title,
        "detectors": ["struck"],
        "hints": {"dimensions": [[["time"], "mca"]]},
    })
    bundle = compose_run(uid=ids.uid(), time=t0, metadata=md)
    yield "start", bundle.start_doc
    t_end = t0 + fly_time + rng.uniform(14, 22)
    yield from baseline_stream(ctx, bundle, t0, t_end, title)
    spectra = flyscan_spectra(run.scan_id)
    data_keys = {}
    for k in spectra:
        data_keys[k] = {"source": f"PV:9idcLAX:3820:{k.split('_')[1]}", "dtype": "array",
                        "dtype_numpy": "<u4", "shape": [FLY_CHANNELS], "units": "counts",
                        "object_name": "struck"}
    for i in (1, 2, 3):
        for which in ("preset_real_time", "elapsed_real_time"):
            data_keys[f"struck_mca{i}_{which}"] = {
                "source": f"PV:9idcLAX:3820:mca{i}.{'PRTM' if which.startswith('preset') else 'ERTM'}",
                "dtype": "number", "dtype_numpy": "<f8", "shape": [], "units": "s", "precision": 3,
                "object_name": "struck"}
    desc = bundle.compose_descriptor(name="mca", data_keys=data_keys, time=t0 + fly_time + 2,
                                     uid=ids.uid(), configuration={}, hints={"struck": {"fields": list(spectra)}},
                                     object_keys={"struck": list(data_keys)})
    yield "descriptor", desc.descriptor_doc
    t_ev = t0 + fly_time + 2.5
    data = {k: v.tolist() for k, v in spectra.items()}
    for i in (1, 2, 3):
        data[f"struck_mca{i}_preset_real_time"] = fly_time
        data[f"struck_mca{i}_elapsed_real_time"] = round(fly_time - rng.uniform(0, 0.01), 4)
    yield "event", desc.compose_event(data=data, timestamps={k: t_ev - 0.1 for k in data},
                                      seq_num=1, time=t_ev, uid=ids.uid())
    if not run.running:
        yield finish(ctx, bundle, t_end, run.exit_status)


def area_detector(ctx: RunContext, run: AreaDetectorRun):
    """SAXS or WAXS: one Pilatus exposure written by the AD HDF5 plugin."""
    ids, rng, t0, title, method = ctx.ids, ctx.rng, run.start_time, run.title, run.plan_name
    h, w = PILATUS[method]
    det = "saxs_det" if method == "SAXS" else "waxs_det"
    name = "Pilatus 100K" if method == "SAXS" else "Pilatus 200kw"
    hdf5_file = f"{title}_{run.scan_id % 10000:04d}.hdf"
    subdir = f"{run.data_dir.rsplit('/', 1)[-1]}_{method.lower()}"
    md = start_metadata(run)
    md.update({
        "title": title,
        "sample_thickness_mm": 1.0,
        "hdf5_path": f"{run.data_dir}/{subdir}",
        "hdf5_file": f"{title}_%04d.hdf",
        "method": "areaDetectorAcquire",
        "area_detector_name": det,
        "detectors": [det],
        "plan_args": {"pos_X": round(rng.uniform(-30, 30), 2), "pos_Y": round(rng.uniform(-5, 5), 2),
                      "thickness": 1.0, "scan_title": title},
        "hints": {"dimensions": [[["time"], "primary"]]},
    })
    bundle = compose_run(uid=ids.uid(), time=t0, metadata=md)
    yield "start", bundle.start_doc
    acquire = 20.0 if method == "SAXS" else 30.0
    t_end = t0 + acquire + rng.uniform(6, 12)
    yield from baseline_stream(ctx, bundle, t0, t_end, title)
    resource_path = f"{subdir}/{hdf5_file}"
    write_frames(ctx.detectors / resource_path, pilatus_frame(method, run.scan_id))
    res = bundle.compose_resource(spec="AD_HDF5", root=str(ctx.detectors), resource_path=resource_path,
                                  resource_kwargs={"frame_per_point": 1}, uid=ids.uid())
    yield "resource", res.resource_doc
    datum = res.compose_datum(datum_kwargs={"point_number": 0})
    yield "datum", datum
    image_key = f"{det}_image"
    conf = {
        f"{det}_cam_acquire_time": acquire, f"{det}_cam_acquire_period": acquire + 0.05,
        f"{det}_cam_model": name, f"{det}_cam_manufacturer": "Dectris",
        f"{det}_cam_num_images": 1,
    }
    desc = bundle.compose_descriptor(
        name="primary",
        data_keys={
            image_key: {"source": f"PV:{'usaxs_pilatus1' if method == 'SAXS' else 'usaxs_pilatus2'}:image1:ArrayData",
                        "dtype": "array", "dtype_numpy": "<i4", "shape": [1, h, w],
                        "external": "FILESTORE:", "object_name": det},
            f"{det}_stats1_total": {"source": f"PV:{det}:Stats1:Total_RBV", "dtype": "number",
                                    "dtype_numpy": "<f8", "shape": [], "object_name": det},
        },
        configuration={det: {
            "data": conf, "timestamps": {k: t0 - 1 for k in conf},
            "data_keys": {k: {"source": f"PV:{det}:cam1:{k.rsplit('_cam_', 1)[1]}", "shape": [],
                              "dtype": "string" if isinstance(v, str) else
                              ("integer" if isinstance(v, int) else "number")}
                          for k, v in conf.items()},
        }},
        hints={det: {"fields": [image_key]}},
        object_keys={det: [image_key, f"{det}_stats1_total"]},
        time=t0 + 0.5, uid=ids.uid(),
    )
    yield "descriptor", desc.descriptor_doc
    total = float(pilatus_frame(method, run.scan_id).clip(0).sum())
    t_ev = t0 + acquire + 1.2
    yield "event", desc.compose_event(
        data={image_key: datum["datum_id"], f"{det}_stats1_total": total},
        timestamps={image_key: t_ev - 0.1, f"{det}_stats1_total": t_ev - 0.1},
        filled={image_key: False}, seq_num=1, time=t_ev, uid=ids.uid())
    yield finish(ctx, bundle, t_end, run.exit_status)


TUNES = {  # plan: (axis, points, width, centre, readback PV)
    "tune_mr": ("m_stage_r", 31, 0.004, 8.84021, "9idcLAX:aero:c0:m1"),
    "tune_m2rp": ("m_stage_r2p", 21, 6.0, 48.2, "9idcLAX:pi:c0:m1"),
    "tune_ar": ("a_stage_r", 35, 0.004, 8.83987, "9idcLAX:aero:c0:m2"),
    "tune_a2rp": ("a_stage_r2p", 31, 6.0, 52.7, "9idcLAX:pi:c0:m2"),
    "tune_dx": ("d_stage_x", 31, 2.0, 1.042, "9idcLAX:m58:c1:m6"),
    "tune_dy": ("d_stage_y", 31, 0.8, 0.315, "9idcLAX:m58:c1:m7"),
}


def tune(ctx: RunContext, run: Tune):
    ids, rng, t0 = ctx.ids, ctx.rng, run.start_time
    axis, num, width, centre, pv = TUNES[run.plan_name]
    initial = round(centre + rng.uniform(-0.08, 0.08) * width, 6)
    md = start_metadata(run)
    md.update({
        "tune_md": {"width": width, "initial_position": initial,
                    "time_iso8601": local(t0).isoformat(timespec="microseconds")},
        "tune_parameters": {"num": num, "width": width, "initial_position": initial,
                            "peak_choice": "com", "x_axis": axis, "y_axis": "I0_USAXS"},
        "motors": [axis],
        "detectors": ["I0_USAXS"],
        "purpose": "tuner",
        "hints": {"dimensions": [[[axis], "primary"]]},
    })
    bundle = compose_run(uid=ids.uid(), time=t0, metadata=md)
    yield "start", bundle.start_doc
    t_end = t0 + num * 1.35 + 4
    yield from baseline_stream(ctx, bundle, t0, t_end, f"tune {axis}")
    data_keys = {
        "I0_USAXS": {"source": f"PV:{SCALER}.S2", "dtype": "number", "dtype_numpy": "<f8", "shape": [],
                     "units": "counts", "precision": 0, "object_name": "scaler0"},
        "scaler0_time": {"source": f"PV:{SCALER}.T", "dtype": "number", "dtype_numpy": "<f8", "shape": [],
                         "units": "s", "precision": 3, "object_name": "scaler0"},
        "scaler0_display_rate": {"source": f"PV:{SCALER}.RATE", "dtype": "number", "dtype_numpy": "<f8",
                                 "shape": [], "units": "Hz", "object_name": "scaler0"},
        axis: {"source": f"PV:{pv}.RBV", "dtype": "number", "dtype_numpy": "<f8", "shape": [],
               "units": "deg" if axis.endswith(("_r", "r2p")) else "mm", "precision": 6, "object_name": axis},
        f"{axis}_user_setpoint": {"source": f"PV:{pv}.VAL", "dtype": "number", "dtype_numpy": "<f8",
                                  "shape": [], "precision": 6, "object_name": axis},
    }
    desc = bundle.compose_descriptor(name="primary", data_keys=data_keys, time=t0 + 0.4, uid=ids.uid(),
                                     configuration={}, hints={"scaler0": {"fields": ["I0_USAXS"]},
                                                             axis: {"fields": [axis]}},
                                     object_keys={"scaler0": ["I0_USAXS", "scaler0_time", "scaler0_display_rate"],
                                                  axis: [axis, f"{axis}_user_setpoint"]})
    yield "descriptor", desc.descriptor_doc
    peak_at = initial + rng.uniform(-0.15, 0.15) * width
    fwhm = width / rng.uniform(5, 8)
    height = rng.uniform(2e5, 9e5)
    positions = np.linspace(initial - width / 2, initial + width / 2, num)
    for i, x in enumerate(positions, start=1):
        t = t0 + 0.5 + i * 1.35
        # A Lorentzian-ish crystal rocking curve over a small background.
        counts = height / (1 + ((x - peak_at) / (fwhm / 2)) ** 2) + rng.uniform(150, 400)
        data = {"I0_USAXS": float(round(counts)), "scaler0_time": 1.0, "scaler0_display_rate": 5.0,
                axis: round(float(x) + rng.uniform(-2e-6, 2e-6) * width, 7),
                f"{axis}_user_setpoint": round(float(x), 7)}
        yield "event", desc.compose_event(data=data, timestamps={k: t - 0.02 for k in data}, seq_num=i,
                                          time=t, uid=ids.uid(), validate=False)
    yield finish(ctx, bundle, t_end, run.exit_status)


# A uascan's path: `bin/replica live` writes its uascans with the same pieces.
UASCAN_CENTER_AR = 8.83987  # the analyser's rocking-curve peak (deg)


def uascan_path_metadata(num: int) -> dict:
    """The start keys that describe a uascan's a_stage_r path of `num` points."""
    return {"start": round(UASCAN_CENTER_AR + 0.002, 6), "center": UASCAN_CENTER_AR,
            "finish": round(UASCAN_CENTER_AR - 0.05, 6), "intervals": num - 1, "exponent": 1.2}


def uascan_positions(md: dict, num: int) -> np.ndarray:
    """a_stage_r at each point: USAXS steps grow geometrically away from the peak (exponent > 1)."""
    steps = np.linspace(0, 1, num) ** 1.2
    return md["start"] - steps * (md["start"] - md["finish"])


def uascan_point(rng: random.Random, a_stage_r, i: int, num: int, slope: float) -> dict:
    """The readings at point `i`: the photodiode sees the rocking curve, then the sample's
    power-law tail (`slope`); the amplifier gains up, and the dwell doubles, halfway out."""
    q = abs(a_stage_r - UASCAN_CENTER_AR) * 4 * np.pi / 0.5904 * np.pi / 180 + 1e-5
    gain = min(4, int(i / num * 5))
    pd = (8e5 / (1 + (q / 8e-5) ** 2) + 40 * (q / 1e-3) ** -slope) / 10 ** gain + rng.uniform(50, 70)
    secs = 1.0 if i < num // 2 else 2.0
    return {"m_stage_r": 8.84021, "a_stage_r": round(float(a_stage_r), 7), "a_stage_x": 0.0,
            "s_stage_y": 0.0, "d_stage_x": 1.042, "seconds": secs,
            "I0_USAXS": float(round(rng.uniform(1.1e5, 1.2e5) * secs)),
            "I00_USAXS": float(round(rng.uniform(8.0e4, 8.5e4) * secs)),
            "PD_USAXS": float(round(pd * secs)), "TR diode": float(round(rng.uniform(5e4, 5.2e4) * secs)),
            "I000": float(round(rng.uniform(2e3, 2.2e3) * secs)),
            "upd_gain": 10 ** (4 + gain), "upd_reqrange": gain}


def uascan_data_keys() -> dict:
    """The primary data keys of a step-scanned USAXS run (uascan): stage readbacks, scaler
    channels and the photodiode amplifier's gain."""
    readbacks = {"m_stage_r": "9idcLAX:aero:c0:m1", "a_stage_r": "9idcLAX:aero:c0:m2",
                 "a_stage_x": "9idcLAX:m58:c1:m2", "s_stage_y": "9idcLAX:m58:c2:m2",
                 "d_stage_x": "9idcLAX:m58:c1:m6"}
    scalers = {"seconds": ".T", "I0_USAXS": ".S2", "I00_USAXS": ".S3", "PD_USAXS": ".S4",
               "TR diode": ".S5", "I000": ".S6"}
    data_keys = {k: {"source": f"PV:{pv}.RBV", "dtype": "number", "dtype_numpy": "<f8", "shape": [],
                     "units": "deg" if k.endswith("_r") else "mm", "precision": 6, "object_name": k}
                 for k, pv in readbacks.items()}
    data_keys.update({k: {"source": f"PV:{SCALER}{ch}", "dtype": "number", "dtype_numpy": "<f8",
                          "shape": [], "units": "s" if k == "seconds" else "counts",
                          "object_name": "scaler0"} for k, ch in scalers.items()})
    data_keys["upd_gain"] = {"source": "PV:9idcLAX:fem01:seq01:gain", "dtype": "integer",
                             "dtype_numpy": "<i8", "shape": [], "object_name": "upd_controls"}
    data_keys["upd_reqrange"] = {"source": "PV:9idcLAX:pd01:seq01:reqrange", "dtype": "integer",
                                 "dtype_numpy": "<i8", "shape": [], "object_name": "upd_controls"}
    return data_keys


def uascan(ctx: RunContext, run: Uascan):
    ids, rng, t0, title = ctx.ids, ctx.rng, run.start_time, run.title
    num = rng.randint(100, 200)
    md = start_metadata(run)
    md.update({
        "title": title, "hdf5_path": f"{run.data_dir}", "hdf5_file": f"{title}_{run.scan_id % 10000:04d}.h5",
        "uascan_factor": 1.0, "uascan_direction": 1, "useSBUSAXS": False,
        **uascan_path_metadata(num), "minStep": 2e-5, "dx0": 1.042, "SDD_mm": 547.2,
        "ax0": 0.0, "SAD_mm": 530.0, "useDynamicTime": True,
        "motors": ["a_stage_r", "a_stage_x", "d_stage_x"],
        "detectors": ["I0_USAXS", "I00_USAXS", "PD_USAXS", "TR diode"],
        "hints": {"dimensions": [[["a_stage_r"], "primary"]]},
    })
    bundle = compose_run(uid=ids.uid(), time=t0, metadata=md)
    yield "start", bundle.start_doc
    t_end = t0 + num * 2.1 + 6
    yield from baseline_stream(ctx, bundle, t0, t_end, title)
    desc = bundle.compose_descriptor(name="primary", data_keys=uascan_data_keys(), time=t0 + 1, uid=ids.uid(),
                                     configuration={}, hints={"scaler0": {"fields": ["PD_USAXS"]}})
    yield "descriptor", desc.descriptor_doc
    ar = uascan_positions(md, num)
    slope = rng.uniform(3.3, 4.0)
    for i in range(num):
        t = t0 + 2 + i * 2.1
        data = uascan_point(rng, ar[i], i, num, slope)
        yield "event", desc.compose_event(data=data, timestamps={k: t - 0.05 for k in data},
                                          seq_num=i + 1, time=t, uid=ids.uid(), validate=False)
    yield finish(ctx, bundle, t_end, run.exit_status)


def documentation_run(ctx: RunContext, run: DocumentationRun):
    ids, t0 = ctx.ids, run.start_time
    md = start_metadata(run)
    md.update({"purpose": "save text as bluesky run", "title": f"Start of {run.esaf.short} session",
               "plan_args": {"text": run.text}})
    bundle = compose_run(uid=ids.uid(), time=t0, metadata=md)
    yield "start", bundle.start_doc
    yield from baseline_stream(ctx, bundle, t0, t0 + 1.5, "documentation")
    desc = bundle.compose_descriptor(
        name="primary",
        data_keys={"text": {"source": "text", "dtype": "string", "dtype_numpy": "<U0", "shape": [],
                            "object_name": "text"}},
        time=t0 + 0.6, uid=ids.uid(), configuration={}, hints={})
    yield "descriptor", desc.descriptor_doc
    yield "event", desc.compose_event(data={"text": run.text}, timestamps={"text": t0 + 0.6}, seq_num=1,
                                      time=t0 + 0.7, uid=ids.uid())
    yield finish(ctx, bundle, t0 + 1.5, run.exit_status)
