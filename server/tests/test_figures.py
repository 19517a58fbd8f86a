"""Every figure of shared/reference/replica-facts.md, asked over HTTP as today's tiled spells it."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest

from conftest import search_all

CHICAGO = ZoneInfo("America/Chicago")

# The demo's three searches, as today's query parameters.
TIME_RANGE = [
    ("filter[comparison][condition][operator]", "ge"),
    ("filter[comparison][condition][key]", "start.time"),
    ("filter[comparison][condition][value]", "1651381200.0"),
    ("filter[comparison][condition][operator]", "lt"),
    ("filter[comparison][condition][key]", "start.time"),
    ("filter[comparison][condition][value]", "1667278800.0"),
    ("sort", "start.time"),
]
PUSH_IMAGES = [
    ("filter[eq][condition][key]", "start.plan_name"),
    ("filter[eq][condition][value]", '"push_images"'),
    ("sort", "start.time"),
]
FULLTEXT_M9 = [("filter[fulltext][condition][text]", "M9"), ("sort", "start.time")]


def summary(run: dict) -> tuple:
    start = run["attributes"]["metadata"]["start"]
    started = dt.datetime.fromtimestamp(start["time"], CHICAGO).replace(tzinfo=None).isoformat()
    return started, start["time"], start["scan_id"], start["plan_name"]


@pytest.fixture(scope="module")
def in_range(http):
    return search_all(http, "bdp2022", TIME_RANGE)


def test_time_range_search(in_range, http):
    assert len(in_range) == 397
    assert summary(in_range[0]) == ("2022-05-03T08:37:21.510276", 1651585041.510276, 1596, "take_image")
    assert summary(in_range[-1]) == ("2022-09-08T13:54:25.178280", 1662663265.17828, 1960, "push_images")
    # meta.count agrees with what paging delivered
    page = http.get("/search/bdp2022", params=TIME_RANGE + [("page[limit]", "1")]).json()
    assert page["meta"]["count"] == 397


def test_no_run_between_last_push_and_november(http):
    gap = [
        ("filter[comparison][condition][operator]", "gt"),
        ("filter[comparison][condition][key]", "start.time"),
        ("filter[comparison][condition][value]", "1662663265.17828"),
        ("filter[comparison][condition][operator]", "lt"),
        ("filter[comparison][condition][key]", "start.time"),
        ("filter[comparison][condition][value]", "1667278800.0"),
    ]
    assert http.get("/search/bdp2022", params=gap).json()["meta"]["count"] == 0


def test_plan_name_search(http):
    runs = search_all(http, "bdp2022", PUSH_IMAGES)
    assert len(runs) == 125
    assert summary(runs[0]) == ("2022-07-15T23:14:54.974411", 1657944894.974411, 1, "push_images")
    assert summary(runs[-1])[1:] == (1662663265.17828, 1960, "push_images")
    assert runs[-1]["id"] == "ae762f9c-4933-4aa4-a720-147f4aaab6fd"


def test_fulltext_m9(http):
    runs = search_all(http, "bdp2022", FULLTEXT_M9)
    assert len(runs) == 75
    assert summary(runs[0]) == ("2022-11-11T01:34:27.938719", 1668152067.938719, 1961, "m9_push_images")
    assert summary(runs[-1]) == ("2022-11-23T11:17:32.495794", 1669223852.495794, 2035, "m9_push_images")
    assert runs[-1]["id"] == "a1233634-1259-438f-b9f0-f77c26f48f54"
    # lower case finds the same runs: FullText is case-insensitive today
    lower = search_all(http, "bdp2022", [("filter[fulltext][condition][text]", "m9")])
    assert {r["id"] for r in lower} == {r["id"] for r in runs}


def test_only_m9_runs_hold_the_token_m9(http):
    everything = search_all(http, "bdp2022", [("sort", "start.time")])
    assert len(everything) > 472
    holders = []
    for run in everything:
        text = json.dumps(run["attributes"]["metadata"]).lower()
        # FTS tokens: runs of letters and digits
        if "m9" in re.findall(r"[a-z0-9]+", text):
            holders.append(run["attributes"]["metadata"]["start"]["plan_name"])
    assert holders == ["m9_push_images"] * 75


LAST_PUSH_START = {
    "uid": "ae762f9c-4933-4aa4-a720-147f4aaab6fd",
    "time": 1662663265.17828,
    "versions": {
        "apstools": "1.6.2", "bluesky": "1.8.3", "bluesky_queueserver": "0.0.15",
        "databroker": "1.2.5", "epics": "3.5.0", "h5py": "3.7.0", "matplotlib": "3.5.2",
        "numpy": "1.20.3", "ophyd": "1.6.4", "pyRestTable": "2020.0.3", "spec2nexus": "2021.2.1",
    },
    "databroker_catalog": "bdp2022",
    "login_id": "bdp@terrier.xray.aps.anl.gov",
    "beamline_id": "BDP",
    "instrument_name": "APS-U Beamline Data Pipelines project in 2022",
    "proposal_id": "bdp2022",
    "milestone": "BDP M6 demo",
    "pid": 13229,
    "scan_id": 1960,
    "plan_type": "generator",
    "plan_name": "push_images",
    "purpose": "push TIFF files to PVaccess PV",
    "num_images": 10000,
    "frame_rate": 200.0,
    "run_time": 60.0,
    "datetime": "2022-09-08 13:54:24.802956",
    "client": "DM/workflows/example-05/qserver_client.py",
    "session": "M6 demo",
}


def test_last_push_images_run_documents(http):
    md = http.get("/metadata/bdp2022/ae762f9c-4933-4aa4-a720-147f4aaab6fd").json()["data"]["attributes"]["metadata"]
    assert md["start"] == LAST_PUSH_START
    assert list(md["start"]) == list(LAST_PUSH_START)  # and in the printed order
    assert md["stop"]["run_start"] == LAST_PUSH_START["uid"]
    assert md["stop"]["exit_status"] == "success"
    assert md["stop"]["num_events"] == {"primary": 10261}


def test_last_m9_run(http):
    uid = "a1233634-1259-438f-b9f0-f77c26f48f54"
    md = http.get(f"/metadata/bdp2022/{uid}").json()["data"]["attributes"]["metadata"]
    start, stop = md["start"], md["stop"]
    assert start["versions"]["apstools"] == "1.6.9.dev89"
    assert start["versions"]["bluesky"] == "1.10.0"
    assert start["versions"]["databroker"] == "1.2.5"
    assert start["versions"]["ophyd"] == "1.7.0"
    assert start["login_id"] == "bdp@mona3.xray.aps.anl.gov"
    assert start["client"] == "/clhome/BDP/DM/workflows/example-06/qserver_client.py"
    assert start["session"] == "M9 demo"
    assert start["purpose"] == "publish image frames via PVaccess"
    assert (start["num_images"], start["frame_rate"], start["plan_type"]) == (12000, 1000, "generator")
    assert stop["run_start"] == uid
    assert stop["exit_status"] == "success"
    assert stop["num_events"] == {"primary": 1}
    assert round(stop["time"] - start["time"], 1) == 20.4

    streams = http.get(f"/search/bdp2022/{uid}").json()["data"]
    assert [s["id"] for s in streams] == ["primary"]
    desc = http.get(f"/metadata/bdp2022/{uid}/primary").json()["data"]["attributes"]["metadata"]
    assert desc["uid"] == "43eb9fb2-7900-47aa-96a6-face7e7f5fca"
    assert desc["time"] == 1669223872.8681245
    assert desc["data_keys"] == {}
    flyer = desc["configuration"]["m9_flyer"]
    assert flyer["data"] == {
        "m9_flyer_frame_rate": 1000.0, "m9_flyer_num_images": 12000, "m9_flyer_position_chunk_size": 100,
    }
    assert list(flyer["timestamps"].values()) == [1669223852.4870157, 1669223852.4887526, 1669223852.4916937]
    keys = flyer["data_keys"]
    assert {k: keys["m9_flyer_frame_rate"][k] for k in
            ("source", "dtype", "shape", "units", "lower_ctrl_limit", "upper_ctrl_limit", "precision")} == {
        "source": "PV:bdpgp:gp:float3", "dtype": "number", "shape": [], "units": "",
        "lower_ctrl_limit": 0.0, "upper_ctrl_limit": 0.0, "precision": 4}
    assert {k: keys["m9_flyer_num_images"][k] for k in
            ("source", "dtype", "shape", "units", "lower_ctrl_limit", "upper_ctrl_limit")} == {
        "source": "PV:bdpgp:gp:int3", "dtype": "integer", "shape": [], "units": "",
        "lower_ctrl_limit": 0, "upper_ctrl_limit": 0}
    assert keys["m9_flyer_position_chunk_size"]["source"].startswith("PV:bdpgp:gp:in")
    # the fly scan's single event exists, with no data columns
    table = http.get(f"/table/full/bdp2022/{uid}/primary/internal", params={"format": "json"}).json()
    assert table["seq_num"] == [1]


def test_failed_aborted_and_running_runs_exist(http):
    for catalog in ("bdp2022", "20idb_usaxs"):
        statuses = http.get(f"/distinct/{catalog}", params={"metadata": "stop.exit_status", "counts": "true"})
        values = {v["value"] for v in statuses.json()["metadata"]["stop.exit_status"]}
        assert {"success", "abort", "fail"} <= values
        no_stop = http.get(f"/search/{catalog}", params={
            "filter[keypresent][condition][key]": "stop", "filter[keypresent][condition][exists]": "false"})
        assert no_stop.json()["meta"]["count"] == 1, catalog
