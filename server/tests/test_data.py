"""Detector data read back over HTTP: AD_HDF5 frames and Flyscan spectra, compared with what
the generator wrote (the HDF5 file itself, and the generator's deterministic functions)."""

from __future__ import annotations

from urllib.parse import urlparse

import h5py
import numpy as np

from replica.generator.bdp2022 import adsimdet_frames
from replica.generator.usaxs import flyscan_spectra, pilatus_frame


def read_array(http, path: str) -> np.ndarray:
    """GET /array/full as raw bytes, shaped and typed from the node's structure."""
    node = http.get(f"/metadata/{path}").json()["data"]["attributes"]
    structure = node["structure"]
    kind = structure["data_type"]
    dtype = np.dtype(f"{'<' if kind['endianness'] in ('little', 'not_applicable') else '>'}"
                     f"{kind['kind']}{kind['itemsize']}")
    response = http.get(f"/array/full/{path}", headers={"Accept": "application/octet-stream"})
    response.raise_for_status()
    return np.frombuffer(response.content, dtype=dtype).reshape(structure["shape"])


def first_run(http, catalog: str, plan: str) -> dict:
    runs = http.get(f"/search/{catalog}", params={
        "filter[eq][condition][key]": "start.plan_name",
        "filter[eq][condition][value]": f'"{plan}"',
        "filter[keypresent][condition][key]": "stop",
        "filter[keypresent][condition][exists]": "true",
        "sort": "start.time", "page[limit]": "1"}).json()["data"]
    assert runs, f"no {plan} run in {catalog}"
    return runs[0]


def hdf5_file_of(http, path: str) -> str:
    node = http.get(f"/metadata/{path}", params={"include_data_sources": "true"}).json()["data"]
    (source,) = node["attributes"]["data_sources"]
    assert source["mimetype"] == "application/x-hdf5"
    assert source["parameters"]["dataset"] == "/entry/data/data"
    uri = source["assets"][0]["data_uri"]
    return urlparse(uri).path


def test_ad_hdf5_frame_reads_back(http):
    run = first_run(http, "bdp2022", "take_image")
    uid = run["id"]
    path = f"bdp2022/{uid}/primary/adsimdet_image"
    frame = read_array(http, path)
    assert frame.dtype == np.uint8
    assert frame.shape[-2:] == (1024, 1024)

    with h5py.File(hdf5_file_of(http, path), "r") as f:
        on_disk = f["/entry/data/data"][()]
    assert on_disk.shape == (1, 1024, 1024)
    assert np.array_equal(frame.reshape(on_disk.shape), on_disk)

    # ...and it is the simulator image the generator meant to write
    desc = http.get(f"/metadata/bdp2022/{uid}/primary").json()["data"]["attributes"]["metadata"]
    counter = desc["configuration"]["adsimdet"]["data"]["adsimdet_cam_array_counter"]
    peaks = run["attributes"]["metadata"]["start"]["image_mode"] == "Peaks"
    assert np.array_equal(frame.reshape(on_disk.shape), adsimdet_frames(counter, peaks))


def test_ad_hdf5_slice(http):
    uid = first_run(http, "bdp2022", "take_image")["id"]
    path = f"bdp2022/{uid}/primary/adsimdet_image"
    full = read_array(http, path)
    ndim = full.ndim
    sl = ",".join(["0"] * (ndim - 2) + ["10:12", "0:4"])
    r = http.get(f"/array/full/{path}", params={"slice": sl, "format": "json"})
    r.raise_for_status()
    assert np.array_equal(np.array(r.json()), full[(0,) * (ndim - 2) + (slice(10, 12), slice(0, 4))])


def test_saxs_frame(http):
    run = first_run(http, "20idb_usaxs", "SAXS")
    path = f"20idb_usaxs/{run['id']}/primary/saxs_det_image"
    frame = read_array(http, path)
    assert frame.dtype == np.int32
    expected = pilatus_frame("SAXS", run["attributes"]["metadata"]["start"]["scan_id"])
    assert np.array_equal(frame.reshape(expected.shape), expected)


def test_flyscan_spectrum(http):
    run = first_run(http, "20idb_usaxs", "Flyscan")
    uid = run["id"]
    streams = [s["id"] for s in http.get(f"/search/20idb_usaxs/{uid}").json()["data"]]
    assert sorted(streams) == ["baseline", "mca"]  # Flyscan has no primary stream
    expected = flyscan_spectra(run["attributes"]["metadata"]["start"]["scan_id"])
    for key, values in expected.items():
        spectrum = read_array(http, f"20idb_usaxs/{uid}/mca/{key}")
        assert spectrum.shape == (1, 7999)
        assert np.array_equal(spectrum[0], values)
    table = http.get(f"/table/full/20idb_usaxs/{uid}/mca/internal", params={"format": "json"}).json()
    assert table["struck_mca1_preset_real_time"] == [90.0]


def test_tune_has_a_peak(http):
    run = first_run(http, "20idb_usaxs", "tune_ar")
    table = http.get(f"/table/full/20idb_usaxs/{run['id']}/primary/internal", params={"format": "json"}).json()
    counts = np.array(table["I0_USAXS"])
    assert len(counts) == 35
    assert 3 < counts.argmax() < 31 and counts.max() > 20 * np.median(counts[:3])


def test_baseline_has_two_readings(http):
    run = first_run(http, "20idb_usaxs", "uascan")
    table = http.get(f"/table/full/20idb_usaxs/{run['id']}/baseline/internal", params={"format": "json"}).json()
    assert table["seq_num"] == [1, 2]
    start = run["attributes"]["metadata"]["start"]
    assert start["beamline_id"] == "APS 9-ID-C USAXS"
    assert start["bss_aps_cycle"] == "2022-3"
