"""The legacy replica (bin/replica start --layout mongo): the same catalogs in databroker's
MongoDB layout (tiled 0.2.20 + databroker 2.0.2 MongoAdapter on mongomock), asked the 2022
demo's own URIs verbatim, and every server quirk confirmed, each with the status it really gives.

The session server (conftest.legacy_url) loads the generated catalogs' documents.jsonl.gz; writes
go to a throwaway legacy server over a one-run catalog, so the demo catalogs never change.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

from conftest import (LEGACY_READY_SECONDS, ROOT, free_port, launch_legacy_server,
                      stop_server)

REPLICA = str(ROOT / "bin" / "replica")
LAST_PUSH = "ae762f9c-4933-4aa4-a720-147f4aaab6fd"
LAST_M9 = "a1233634-1259-438f-b9f0-f77c26f48f54"

# The demo's three searches, character for character as its requests_tiled() built them
# (isotime_to_timestamp("2022-05-01") on the APS server, tz "US/Central").
DEMO_TIME_RANGE = (
    "/api/v1/search/bdp2022?page[limit]=0"
    "&filter[time_range][condition][since]=1651381200.0"
    "&filter[time_range][condition][until]=1667278800.0"
    "&filter[time_range][condition][timezone]=US/Central"
    "&sort=time"
)
DEMO_PUSH_IMAGES = (
    "/api/v1/search/bdp2022?page[limit]=0"
    "&filter[eq][condition][key]=plan_name"
    '&filter[eq][condition][value]="push_images"'
    "&sort=time"
)
DEMO_FULLTEXT = (
    "/api/v1/search/bdp2022?page[limit]=0"
    "&filter[fulltext][condition][text]=M9"
    "&filter[fulltext][condition][case_sensitive]=true"
    "&sort=time"
)


def demo_get(base: str, uri: str) -> dict:
    """requests_tiled(): GET the URI as a string, JSON back."""
    r = httpx.get(base + uri, timeout=120)
    assert r.status_code == 200, (uri, r.status_code, r.text[:300])
    return r.json()


def first_last(body: dict) -> list[tuple]:
    """The demo's summary lines: (started, scan_id, plan_name) of the first and last run."""
    out = []
    for run in (body["data"][0], body["data"][-1]):
        s = run["attributes"]["metadata"]["summary"]
        out.append((s["datetime"], s["scan_id"], s["plan_name"]))
    return out


def status_of(http: httpx.Client, path: str, params=None) -> int:
    return http.get(path, params=params).status_code


def count(http: httpx.Client, catalog: str = "bdp2022", params=None) -> int:
    r = http.get(f"/search/{catalog}", params=list(params or []) + [("fields", ""), ("page[limit]", "1")])
    r.raise_for_status()
    return r.json()["meta"]["count"]


def test_start_up_within_budget(legacy_url):
    """Both catalogs loaded and ready in at most 60 s on this 2-core machine (printed at the end
    of the pytest run by conftest.pytest_terminal_summary)."""
    assert LEGACY_READY_SECONDS and LEGACY_READY_SECONDS[0] <= 60, LEGACY_READY_SECONDS
    print(f"legacy replica ready in {LEGACY_READY_SECONDS[0]:.1f} s")


# --- the demo's figures, verbatim ---------------------------------------------------------------


def test_demo_time_range(legacy_url):
    body = demo_get(legacy_url, DEMO_TIME_RANGE)
    assert len(body["data"]) == 397 and body["meta"]["count"] == 397
    assert first_last(body) == [("2022-05-03T08:37:21.510276", 1596, "take_image"),
                                ("2022-09-08T13:54:25.178280", 1960, "push_images")]


def test_demo_plan_name(legacy_url):
    body = demo_get(legacy_url, DEMO_PUSH_IMAGES)
    assert len(body["data"]) == 125
    assert first_last(body) == [("2022-07-15T23:14:54.974411", 1, "push_images"),
                                ("2022-09-08T13:54:25.178280", 1960, "push_images")]
    # The run the demo printed, start document key for key.
    start = body["data"][-1]["attributes"]["metadata"]["start"]
    assert start["uid"] == LAST_PUSH and start["time"] == 1662663265.17828
    assert start["datetime"] == "2022-09-08 13:54:24.802956" and start["session"] == "M6 demo"


def test_demo_fulltext(legacy_url):
    """The demo's extra case_sensitive field is not a FullText parameter in tiled 0.2.20: the
    server ignores it (200), and M9 matches case-insensitively, as the 2022 MongoDB $text did."""
    body = demo_get(legacy_url, DEMO_FULLTEXT)
    assert len(body["data"]) == 75
    assert first_last(body) == [("2022-11-11T01:34:27.938719", 1961, "m9_push_images"),
                                ("2022-11-23T11:17:32.495794", 2035, "m9_push_images")]
    stop = body["data"][-1]["attributes"]["metadata"]["stop"]
    assert stop["run_start"] == LAST_M9 and list(stop["num_events"]) == ["primary"]


def test_fulltext_is_mongo_text_like(legacy_http):
    """Case-insensitive words over the start document, OR'd; phrases; -negation; `_` joins words."""
    def n(text):
        return count(legacy_http, params=[("filter[fulltext][condition][text]", text)])

    assert n("M9") == n("m9") == 75
    assert n('"M9 demo"') == 75
    assert n("M9 M6") == 75 + n("M6")
    assert n("demo -m9") == n("demo") - 75
    assert n("m9_push_images") == 75  # one word: "_" is not a delimiter
    assert n("m9_push") == 0  # words match whole, no prefixes
    assert n("-m9") == 0  # MongoDB: negations alone match nothing
    # It stays a Mongo query: sort, paging and page[limit]=0 work after it.
    body = legacy_http.get("/search/bdp2022", params={
        "filter[fulltext][condition][text]": "M9", "sort": "-time", "page[limit]": "0"}).json()
    assert len(body["data"]) == 75
    assert body["data"][0]["attributes"]["metadata"]["summary"]["scan_id"] == 2035


def test_node_routes(legacy_http):
    """The demo's /api/v1/node/search and /node/metadata are gone in tiled 0.2.20: 404.
    /api/v1/metadata and /search exist; /node/full is still an alias of the full routes."""
    assert status_of(legacy_http, f"/node/metadata/bdp2022/{LAST_M9}/primary") == 404
    assert status_of(legacy_http, "/node/search/bdp2022", {"page[limit]": "1"}) == 404
    assert status_of(legacy_http, f"/metadata/bdp2022/{LAST_M9}/primary") == 200
    assert status_of(legacy_http, f"/node/full/bdp2022/{LAST_M9}/primary/data", {"format": "json"}) == 200


def test_demo_stream_metadata(legacy_http):
    """The last M9 run's primary stream carries the demo's descriptor."""
    node = legacy_http.get(f"/metadata/bdp2022/{LAST_M9}/primary").json()["data"]
    assert node["attributes"]["specs"] == [{"name": "BlueskyEventStream", "version": "1"}]
    (descriptor,) = node["attributes"]["metadata"]["descriptors"]
    assert descriptor["uid"] == "43eb9fb2-7900-47aa-96a6-face7e7f5fca"
    assert descriptor["run_start"] == LAST_M9 and descriptor["time"] == 1669223872.8681245
    assert descriptor["data_keys"] == {} and descriptor["name"] == "primary"
    flyer = descriptor["configuration"]["m9_flyer"]
    assert flyer["data"] == {"m9_flyer_frame_rate": 1000.0, "m9_flyer_num_images": 12000,
                             "m9_flyer_position_chunk_size": 100}
    assert flyer["timestamps"] == {"m9_flyer_frame_rate": 1669223852.4870157,
                                   "m9_flyer_num_images": 1669223852.4887526,
                                   "m9_flyer_position_chunk_size": 1669223852.4916937}
    assert flyer["data_keys"]["m9_flyer_frame_rate"] == {
        "source": "PV:bdpgp:gp:float3", "dtype": "number", "shape": [], "units": "",
        "lower_ctrl_limit": 0.0, "upper_ctrl_limit": 0.0, "precision": 4}
    assert flyer["data_keys"]["m9_flyer_position_chunk_size"]["source"].startswith("PV:bdpgp:gp:int")
    # The stream's four children, as the 2022 layout listed them.
    children = legacy_http.get(f"/search/bdp2022/{LAST_M9}/primary").json()["data"]
    assert [c["id"] for c in children] == ["data", "timestamps", "config", "config_timestamps"]
    assert children[0]["attributes"]["metadata"]["descriptors"][0]["uid"] == descriptor["uid"]
    # one event, no data keys: data holds only the time coordinate
    summary = legacy_http.get(f"/metadata/bdp2022/{LAST_M9}").json()["data"]["attributes"]["metadata"]["summary"]
    assert summary["stream_names"] == ["primary"] and abs(summary["duration"] - 20.4) < 1e-6


def test_catalog_nodes(legacy_http):
    for name, runs in (("bdp2022", 479), ("20idb_usaxs", 222)):
        attrs = legacy_http.get(f"/metadata/{name}").json()["data"]["attributes"]
        assert attrs["specs"] == [{"name": "CatalogOfBlueskyRuns", "version": "1"}]
        assert attrs["structure"]["count"] == runs
        assert attrs["sorting"] == [{"key": "time", "direction": 1}]


# --- area-detector frames (the demo's failure in 2022) ---------------------------------------------


def documents_of(legacy_http, uid: str) -> list[tuple[str, dict]]:
    r = legacy_http.get(f"/documents/bdp2022/{uid}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json-seq")
    return [(d["name"], d["doc"]) for d in map(json.loads, r.text.splitlines())]


def test_ad_hdf5_frame_of_first_take_image(legacy_url, legacy_http):
    body = demo_get(legacy_url, DEMO_TIME_RANGE)
    uid = body["data"][0]["id"]
    assert body["data"][0]["attributes"]["metadata"]["summary"]["plan_name"] == "take_image"
    path = f"bdp2022/{uid}/primary/data/adsimdet_image"
    structure = legacy_http.get(f"/metadata/{path}").json()["data"]["attributes"]["structure"]
    assert structure["shape"] == [1, 1, 1024, 1024]  # (events, frame_per_point, H, W)
    assert structure["data_type"]["kind"] == "u" and structure["data_type"]["itemsize"] == 1
    r = legacy_http.get(f"/array/full/{path}", params={"slice": "0"},
                        headers={"Accept": "application/octet-stream"})
    assert r.status_code == 200
    frame = np.frombuffer(r.content, dtype="u1").reshape(1, 1024, 1024)
    assert int(frame.sum(dtype=np.int64)) > 0
    # The same bytes as the generator's HDF5 file, found through the run's Resource and Datum.
    docs = documents_of(legacy_http, uid)
    (resource,) = [d for n, d in docs if n == "resource"]
    assert resource["spec"] == "AD_HDF5" and resource["resource_kwargs"] == {"frame_per_point": 1}
    (datum,) = [d for n, d in docs if n in ("datum", "datum_page")]
    point = datum["datum_kwargs"]["point_number"]
    point = point[0] if isinstance(point, list) else point
    import h5py

    with h5py.File(Path(resource["root"]) / resource["resource_path"], "r") as f:
        expected = f["/entry/data/data"][point:point + 1]
    assert np.array_equal(frame, expected)


def test_saxs_frame(legacy_http):
    runs = legacy_http.get("/search/20idb_usaxs", params={
        "filter[eq][condition][key]": "plan_name", "filter[eq][condition][value]": '"SAXS"',
        "sort": "time", "page[limit]": "1"}).json()["data"]
    path = f"20idb_usaxs/{runs[0]['id']}/primary/data/saxs_det_image"
    structure = legacy_http.get(f"/metadata/{path}").json()["data"]["attributes"]["structure"]
    assert structure["shape"] == [1, 1, 195, 487]
    r = legacy_http.get(f"/array/full/{path}", params={"slice": "0,0"},
                        headers={"Accept": "application/octet-stream"})
    assert r.status_code == 200
    frame = np.frombuffer(r.content, dtype="<i4").reshape(195, 487)
    assert frame.sum() > 0


def test_long_run_reads_fast(legacy_http):
    """mongomock sped up (replica.legacy.fastmock): the 10,261-event run's column in seconds."""
    started = time.monotonic()
    r = legacy_http.get(f"/array/full/bdp2022/{LAST_PUSH}/primary/data/adpvadet_cam_array_counter",
                        params={"format": "json"})
    assert r.status_code == 200
    values = r.json()
    assert len(values) == 10261 and values[-1] == 10261
    assert time.monotonic() - started < 10


def test_documents_replay(legacy_http):
    """GET /api/v1/documents/<run>: json-seq lines (no RS byte), events batched into event_page."""
    names = [n for n, _ in documents_of(legacy_http, LAST_M9)]
    assert names[0] == "start" and names[-1] == "stop" and "descriptor" in names
    assert status_of(legacy_http, f"/documents/bdp2022/{LAST_M9}", {"fill": "true"}) == 500
    assert legacy_http.get(f"/documents/bdp2022/{LAST_M9}",
                           headers={"Accept": "text/plain"}).status_code == 406
    assert status_of(legacy_http, "/documents/bdp2022") == 404  # "This is not a BlueskyRun."


# --- writes: refused anonymously; accepted with the key (on a throwaway server) -----------------


def start_doc(uid: str, t: float, scan_id: int) -> dict:
    return {"uid": uid, "time": t, "scan_id": scan_id, "plan_name": "count",
            "versions": {"bluesky": "1.8.3"}}


def test_anonymous_post_refused(legacy_url, legacy_http):
    before = count(legacy_http)
    uid = "00000000-dead-4bee-8000-00000000a001"
    body = {"name": "start", "doc": start_doc(uid, 1651590000.0, 99999)}
    r = httpx.post(f"{legacy_url}/api/v1/documents/bdp2022", json=body)
    assert r.status_code == 401 and "write:data" in r.text
    r = httpx.post(f"{legacy_url}/api/v1/documents/bdp2022", json=body,
                   headers={"Authorization": "Apikey notthekey"})
    assert r.status_code == 401 and "Invalid API key" in r.text
    assert count(legacy_http) == before
    assert status_of(legacy_http, f"/metadata/bdp2022/{uid}") == 404


@pytest.fixture(scope="module")
def throwaway(tmp_path_factory):
    """A legacy server over a one-run bdp2022, for write tests: (url, key)."""
    from event_model import compose_run
    from replica.generator.common import DocumentLog

    var = tmp_path_factory.mktemp("legacy-var")
    run = compose_run(uid="11111111-1111-4111-8111-111111111111", time=1651590000.0,
                      metadata={"scan_id": 1, "plan_name": "count"})
    desc = run.compose_descriptor(name="primary", data_keys={
        "det": {"source": "sim", "dtype": "number", "shape": [], "object_name": "det"}},
        object_keys={"det": ["det"]}, configuration={"det": {"data": {}, "timestamps": {}, "data_keys": {}}},
        time=1651590001.0)
    docs = [("start", run.start_doc), ("descriptor", desc.descriptor_doc),
            ("event", desc.compose_event(data={"det": 1.5}, timestamps={"det": 1651590002.0},
                                         seq_num=1, time=1651590002.0)),
            ("stop", run.compose_stop(time=1651590003.0))]
    (var / "catalogs" / "bdp2022").mkdir(parents=True)
    with DocumentLog(var / "catalogs" / "bdp2022" / "documents.jsonl.gz") as log:
        list(log.tee(docs))
        log.commit()
    port = free_port()
    process = launch_legacy_server(var, port, catalogs=["bdp2022"])
    try:
        key = os.environ.get("TILED_API_KEY", "").strip() or (var / "api-key").read_text().strip()
        yield f"http://127.0.0.1:{port}", key
    finally:
        stop_server(process)


def test_about_formats_grow_as_the_server_serves_new_specs(throwaway):
    """Quirk: a fresh legacy server's GET /api/v1/ lists formats for `xarray_dataset` but not for
    `xarray_coord` (nor `xarray_data_var`); serving a node of that spec adds it. So "about" depends on
    the server's history, and the snapshots' freshness check leaves those two keys out (freshness.ts)."""
    url, _key = throwaway
    uid = "11111111-1111-4111-8111-111111111111"
    with httpx.Client(base_url=f"{url}/api/v1", timeout=60) as http:
        before = http.get("/").json()
        assert "xarray_coord" not in before["formats"] and "xarray_coord" not in before["aliases"]
        assert http.get(f"/array/full/bdp2022/{uid}/primary/data/time").status_code == 200
        after = http.get("/").json()
        assert "xarray_coord" in after["formats"] and "xarray_coord" in after["aliases"]


def test_post_with_key_accepted(throwaway):
    url, key = throwaway
    auth = {"Authorization": f"Apikey {key}"}
    with httpx.Client(base_url=f"{url}/api/v1", timeout=60) as http:
        assert count(http) == 1
        uid = "22222222-2222-4222-8222-222222222222"
        body = {"name": "start", "doc": start_doc(uid, 1651600000.0, 2)}
        r = http.post("/documents/bdp2022", json=body)
        assert r.status_code == 401 and count(http) == 1
        r = http.post("/documents/bdp2022", json=body, headers=auth)
        assert r.status_code == 200, r.text
        assert count(http) == 2
        summary = http.get(f"/metadata/bdp2022/{uid}").json()["data"]["attributes"]["metadata"]["summary"]
        assert summary["scan_id"] == 2 and summary["duration"] is None and summary["stream_names"] == []
        # ?api_key= works as well as the header
        stop = {"uid": "33333333-3333-4333-8333-333333333333", "time": 1651600010.0, "run_start": uid,
                "exit_status": "success", "reason": "", "num_events": {}}
        assert http.post("/documents/bdp2022", json={"name": "stop", "doc": stop},
                         params={"api_key": key}).status_code == 200
        # A run without a stop is cached for 2 s (databroker's cache_ttl_partial): the stop shows
        # once that has passed.
        deadline = time.monotonic() + 10
        while True:
            summary = http.get(f"/metadata/bdp2022/{uid}").json()["data"]["attributes"]["metadata"]["summary"]
            if summary["duration"] is not None or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert summary["duration"] == 10.0


def test_post_quirks(throwaway):
    url, key = throwaway
    auth = {"Authorization": f"Apikey {key}"}
    with httpx.Client(base_url=f"{url}/api/v1", timeout=60, headers=auth) as http:
        before = count(http)
        body = {"name": "start", "doc": start_doc("44444444-4444-4444-8444-444444444444", 1651700000.0, 3)}
        # No unique index (suitcase's create_indexes is never called): the same start twice -> 2 runs.
        assert http.post("/documents/bdp2022", json=body).status_code == 200
        assert http.post("/documents/bdp2022", json=body).status_code == 200
        assert count(http) == before + 2
        # There is no /documents/raw: the path is the catalog's.
        assert http.post("/documents/raw", json=body).status_code == 404
        assert http.post("/documents", json=body).status_code == 422
        assert http.post("/documents/", json=body).status_code == 404  # the root is not a catalog
        # event-model's schema is checked; the names are DocumentNames
        assert http.post("/documents/bdp2022", json={"name": "start", "doc": {"time": 1}}).status_code == 400
        assert http.post("/documents/bdp2022", json={"name": "nonsense", "doc": {}}).status_code == 422
        assert http.post("/documents/bdp2022", json=[body]).status_code == 422
        assert http.post("/documents/bdp2022", json=body, headers={"Authorization": f"Bearer {key}"}).status_code == 401


# --- quirks of tiled 0.2.20 + databroker 2.0.2 on this layout, each with its real status --------

QUIRKS = [
    # (why, query parameters, status)
    ("time_range with date strings: since/until are typed float",
     {"filter[time_range][condition][since]": "2022-05-01", "filter[time_range][condition][until]": "2022-11-01",
      "filter[time_range][condition][timezone]": "US/Central"}, 422),
    ("time_range without timezone: TimeRange.decode() needs it",
     {"filter[time_range][condition][since]": "1651381200.0",
      "filter[time_range][condition][until]": "1667278800.0"}, 500),
    ("time_range since > until",
     {"filter[time_range][condition][since]": "1667278800.0", "filter[time_range][condition][until]": "1651381200.0",
      "filter[time_range][condition][timezone]": "US/Central"}, 500),
    ("time_range with an unknown zone",
     {"filter[time_range][condition][since]": "1651381200.0", "filter[time_range][condition][until]": "1667278800.0",
      "filter[time_range][condition][timezone]": "Mars/Base"}, 500),
    ("scan_id as a JSON list", {"filter[scan_id][condition][scan_ids]": "[1596,1960]",
                                "filter[scan_id][condition][duplicates]": "latest"}, 500),
    ("scan_id as a comma list", {"filter[scan_id][condition][scan_ids]": "1596,1960",
                                 "filter[scan_id][condition][duplicates]": "latest"}, 200),
    ("scan_id without duplicates", {"filter[scan_id][condition][scan_ids]": "1596"}, 500),
    ("sort=start.time: sort keys are used raw on the start document", {"sort": "start.time"}, 500),
    ("sort=-start.time", {"sort": "-start.time"}, 500),
    ("sort=summary.datetime", {"sort": "summary.datetime"}, 500),
    ("sort=time", {"sort": "time"}, 200),
    ("sort=-time", {"sort": "-time"}, 200),
    ("sort on two keys", {"sort": ["plan_name", "-time"]}, 500),
    ("like is not translated for MongoAdapter",
     {"filter[like][condition][key]": "plan_name", "filter[like][condition][pattern]": '"push%"'}, 400),
    ("keypresent is not translated", {"filter[keypresent][condition][key]": "plan_name",
                                      "filter[keypresent][condition][exists]": "true"}, 400),
    ("keypresent without exists", {"filter[keypresent][condition][key]": "plan_name"}, 500),
    ("page[cursor]: MongoAdapter has no keys_page", {"page[cursor]": "0"}, 500),
    ("page[cursor] not an integer", {"page[cursor]": "abc"}, 422),
    ("page[limit] above 300", {"page[limit]": "301"}, 422),
    ("eq with a value that is not JSON",
     {"filter[eq][condition][key]": "plan_name", "filter[eq][condition][value]": "push_images"}, 500),
    ("comparison operator gte", {"filter[comparison][condition][operator]": "gte",
                                 "filter[comparison][condition][key]": "time",
                                 "filter[comparison][condition][value]": "1"}, 422),
    ("partial_uid shorter than 5", {"filter[partial_uid][condition][partial_uids]": "ae76"}, 400),
    # scan_id 1595 was used twice (April, and again by an M6 run after the counter reset)
    ("scan_id duplicates=error with duplicates", {"filter[scan_id][condition][scan_ids]": "1595",
                                                  "filter[scan_id][condition][duplicates]": "error"}, 400),
    ("scan_id duplicates=all", {"filter[scan_id][condition][scan_ids]": "1595",
                                "filter[scan_id][condition][duplicates]": "all"}, 200),
]


@pytest.mark.parametrize("why,params,expected", QUIRKS, ids=[q[0] for q in QUIRKS])
def test_quirk_status(legacy_http, why, params, expected):
    params = dict(params)
    params.setdefault("page[limit]", "2")
    params.setdefault("fields", "")
    assert legacy_http.get("/search/bdp2022", params=params).status_code == expected, why


def _after_response(url: str, path: str) -> tuple[int, str]:
    """One HTTP/1.1 request on a raw socket: (status, what the connection does afterwards)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
        length = int(headers[b"content-length"])
        while len(body) < length:
            body += s.recv(65536)
        s.settimeout(2)
        try:
            after = "closed" if s.recv(1) == b"" else "data"
        except ConnectionResetError:
            after = "closed"
        except socket.timeout:
            after = "open"
        return int(head.split(b" ")[1]), after


def test_connection_dropped_after_500(legacy_url):
    """After a 500 the server closes the kept-alive connection (without `Connection: close`), so a
    client reusing it gets "connection reset" on its next request; 4xx and 200 keep it open."""
    assert _after_response(legacy_url, "/api/v1/search/bdp2022?sort=start.time&page[limit]=1") == (500, "closed")
    assert _after_response(legacy_url, "/api/v1/search/bdp2022?page[limit]=301") == (422, "open")
    assert _after_response(legacy_url, "/api/v1/search/bdp2022?page[limit]=1&fields=") == (200, "open")


def test_demo_form_of_the_sql_replica_searches(legacy_http):
    """The SQL replica's spelling of the demo (start.* keys, sort=start.time) fails here on the
    sort alone: start.* keys in filters work (databroker strips the prefix), sort needs `time`."""
    comparison = [
        ("filter[comparison][condition][operator]", "ge"), ("filter[comparison][condition][key]", "start.time"),
        ("filter[comparison][condition][value]", "1651381200.0"),
        ("filter[comparison][condition][operator]", "lt"), ("filter[comparison][condition][key]", "start.time"),
        ("filter[comparison][condition][value]", "1667278800.0"),
    ]
    eq = [("filter[eq][condition][key]", "start.plan_name"), ("filter[eq][condition][value]", '"push_images"')]
    fulltext = [("filter[fulltext][condition][text]", "M9")]
    for params, n in ((comparison, 397), (eq, 125), (fulltext, 75)):
        assert legacy_http.get("/search/bdp2022", params=params + [("sort", "start.time")]).status_code == 500
        assert count(legacy_http, params=params + [("sort", "time")]) == n


def test_scan_id_comma_list_and_sort_minus_time(legacy_http):
    body = legacy_http.get("/search/bdp2022", params={
        "filter[scan_id][condition][scan_ids]": "1596,1960", "filter[scan_id][condition][duplicates]": "all",
        "page[limit]": "10"}).json()
    assert {r["attributes"]["metadata"]["summary"]["scan_id"] for r in body["data"]} == {1596, 1960}
    newest = legacy_http.get("/search/bdp2022", params={"sort": "-time", "page[limit]": "1"}).json()["data"][0]
    assert newest["attributes"]["metadata"]["summary"]["scan_id"] == 2036  # the run still going in December


def test_page_limit_zero_returns_all_and_loops(legacy_http):
    """page[limit]=0 is Mongo's limit(0): every match (397 > the 300 page cap), and links.next
    is the same page again (offset 0, limit 0); links drop filters and sort."""
    body = legacy_http.get("/search/bdp2022", params={"page[limit]": "0", "fields": ""}).json()
    assert len(body["data"]) == 479
    assert body["links"]["next"].endswith("/api/v1/search/bdp2022?page[offset]=0&page[limit]=0")


def test_key_quirks(legacy_http):
    """start. is stripped from query keys (plan_name == start.plan_name); stop.* and summary.*
    keys query fields the start document does not have: eq matches nothing, noteq everything."""
    assert count(legacy_http, params=[("filter[eq][condition][key]", "start.plan_name"),
                                      ("filter[eq][condition][value]", '"push_images"')]) == 125
    assert count(legacy_http, params=[("filter[eq][condition][key]", "stop.exit_status"),
                                      ("filter[eq][condition][value]", '"success"')]) == 0
    assert count(legacy_http, params=[("filter[noteq][condition][key]", "stop.exit_status"),
                                      ("filter[noteq][condition][value]", '"success"')]) == 479


def test_distinct(legacy_http):
    """distinct takes bare keys and answers with start.-prefixed ones; start.* keys give nothing."""
    body = legacy_http.get("/distinct/bdp2022", params={"metadata": "plan_name", "counts": "true"}).json()
    counts = {d["value"]: d["count"] for d in body["metadata"]["start.plan_name"]}
    assert counts == {"take_image": 159, "new_sample": 120, "push_images": 125, "m9_push_images": 75}
    body = legacy_http.get("/distinct/bdp2022", params={"metadata": "start.plan_name"}).json()
    assert body["metadata"] == {}


def test_stream_data_routes(legacy_http):
    """No table nodes in this layout: /table/full -> 404; the stream's data is an xarray_dataset
    container whose JSON omits the time coordinate."""
    base = f"bdp2022/{LAST_PUSH}/primary/data"
    assert status_of(legacy_http, f"/table/full/{base}") == 404
    r = legacy_http.get(f"/container/full/{base}", params={"format": "json", "field": "adpvadet_cam_array_counter"})
    assert r.status_code == 200
    assert "time" not in r.json() and len(r.json()["adpvadet_cam_array_counter"]) == 10261


def test_config_of_objects_without_configuration(legacy_http):
    """databroker builds a stream's `config` from every object in the descriptor's object_keys and
    fails (KeyError) on one without a `configuration` entry: push_images' adpvadet, the tunes'
    motors and scaler0, Flyscan's struck. The SQL layout does not care; RunEngine descriptors
    always carry an entry (maybe empty) per object."""
    assert status_of(legacy_http, f"/search/bdp2022/{LAST_PUSH}/primary/config") == 500
    assert status_of(legacy_http, f"/metadata/bdp2022/{LAST_PUSH}/primary/config/adpvadet") == 404
    assert status_of(legacy_http, f"/container/full/bdp2022/{LAST_PUSH}", {"format": "json"}) == 500
    assert status_of(legacy_http, f"/container/full/bdp2022/{LAST_PUSH}/primary", {"format": "json"}) == 500
    # the stream itself, its data and timestamps read fine
    assert status_of(legacy_http, f"/search/bdp2022/{LAST_PUSH}/primary") == 200
    assert status_of(legacy_http, f"/container/full/bdp2022/{LAST_PUSH}/primary/timestamps",
                     {"format": "json"}) == 200
    # the demo's M9 descriptor has its m9_flyer configuration: config reads
    assert status_of(legacy_http, f"/container/full/bdp2022/{LAST_M9}/primary/config/m9_flyer",
                     {"format": "json"}) == 200


def test_timestamps_of_array_keys(legacy_http):
    """The timestamps of a 1-D array key (Flyscan's 7999-channel spectra) are checked against the
    data key's shape: 500 (BadShapeMetadata). The data read; so do an external frame's timestamps,
    but not the timestamps container of a stream with frames (dims mismatch)."""
    fly = legacy_http.get("/search/20idb_usaxs", params={
        "filter[eq][condition][key]": "plan_name", "filter[eq][condition][value]": '"Flyscan"',
        "sort": "time", "page[limit]": "1", "fields": ""}).json()["data"][0]["id"]
    base = f"/array/full/20idb_usaxs/{fly}/mca"
    r = legacy_http.get(f"{base}/data/struck_mca1_spectrum", params={"format": "json"})
    assert r.status_code == 200 and len(r.json()[0]) == 7999
    assert status_of(legacy_http, f"{base}/timestamps/struck_mca1_spectrum", {"format": "json"}) == 500
    assert status_of(legacy_http, f"/search/20idb_usaxs/{fly}/mca/config") == 500  # struck: no configuration
    take = legacy_http.get("/search/bdp2022", params={
        "filter[eq][condition][key]": "plan_name", "filter[eq][condition][value]": '"take_image"',
        "sort": "time", "page[limit]": "1", "fields": ""}).json()["data"][0]["id"]
    assert status_of(legacy_http, f"/array/full/bdp2022/{take}/primary/timestamps/adsimdet_image",
                     {"format": "json"}) == 200
    assert status_of(legacy_http, f"/container/full/bdp2022/{take}/primary/timestamps", {"format": "json"}) == 500
    assert status_of(legacy_http, f"/container/full/bdp2022/{take}/primary/data", {"format": "json"}) == 200


# --- the CLI's legacy layout ---------------------------------------------------------------------


def run_replica(*args, env):
    return subprocess.run([REPLICA, *args], capture_output=True, text=True, env=dict(os.environ, **env), timeout=120)


def fake_server(var: Path, config_name: str, state_name: str, port: int) -> subprocess.Popen:
    """A sleeping process whose command line looks like our server's, recorded as running."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "replica.serve_app",
                                str(var / config_name), "--port", str(port)])
    (var / state_name).write_text(json.dumps({"pid": process.pid, "port": port,
                                              "url": f"http://127.0.0.1:{port}", "started": time.time()}))
    return process


def test_cli_url_and_stop_when_not_running(tmp_path):
    env = {"REPLICA_VAR": str(tmp_path)}
    r = run_replica("url", "--layout", "mongo", env=env)
    assert r.returncode == 1 and "bin/replica start --layout mongo" in r.stderr
    r = run_replica("stop", "--layout", "mongo", env=env)
    assert r.returncode == 0 and "not running" in r.stdout
    r = run_replica("start", "--layout", "nosql", env=env)
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_cli_start_mongo_on_a_taken_port(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_replica("start", "--layout", "mongo", "--port", str(port), env={"REPLICA_VAR": str(tmp_path)})
    assert r.returncode == 1 and f"port {port}" in r.stderr and "--layout mongo --port N" in r.stderr
    assert "REPLICA_LEGACY_PORT" in r.stderr
    assert not (tmp_path / "legacy-server.json").exists()


def test_cli_start_mongo_refuses_generation_under_the_sql_server(tmp_path):
    """Nothing generated in tmp_path, and a (fake) SQL server runs from it: start --layout mongo
    would have to generate, which rewrites what the SQL server serves. One line, nothing changed."""
    sql = fake_server(tmp_path, "config.yml", "server.json", free_port())
    try:
        r = run_replica("start", "--layout", "mongo", "--port", str(free_port()), env={"REPLICA_VAR": str(tmp_path)})
        assert r.returncode == 1, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "SQL replica server is running" in lines[0] and "bin/replica stop" in lines[0]
        assert not (tmp_path / "catalogs").exists() and not (tmp_path / "legacy-server.json").exists()
        status = json.loads(run_replica("status", env={"REPLICA_VAR": str(tmp_path)}).stdout)
        assert status["running"] is True and status["legacy"]["running"] is False
    finally:
        os.kill(sql.pid, signal.SIGTERM)
        sql.wait()


def test_cli_generate_refused_while_legacy_server_runs(tmp_path):
    """The legacy server holds the HDF5 files open; generate (and so `ensure`) refuses, and
    `stop --layout mongo` ends only the recorded PID; `status` reports both servers."""
    legacy = fake_server(tmp_path, "legacy-config.yml", "legacy-server.json", free_port())
    try:
        env = {"REPLICA_VAR": str(tmp_path)}
        r = run_replica("generate", "--force", "--catalog", "bdp2022", env=env)
        assert r.returncode == 1 and "stop --layout mongo" in r.stderr
        assert not (tmp_path / "catalogs").exists()
        status = json.loads(run_replica("status", env=env).stdout)
        assert status["running"] is False
        assert status["legacy"]["running"] is True and status["legacy"]["pid"] == legacy.pid
        assert run_replica("stop", env=env).stdout.strip() == "not running"  # the SQL one: not ours to stop
        assert legacy.poll() is None
        r = run_replica("stop", "--layout", "mongo", env=env)
        assert r.returncode == 0 and f"stopped (pid {legacy.pid})" in r.stdout
        legacy.wait(timeout=20)
        assert not (tmp_path / "legacy-server.json").exists()
    finally:
        if legacy.poll() is None:
            os.kill(legacy.pid, signal.SIGTERM)
            legacy.wait()


# --- fastmock changes speed, not results ---------------------------------------------------------


def _sample_documents(path: Path, per_plan: int, plans=None) -> list[tuple[str, dict]]:
    """The documents of the first `per_plan` runs of every plan (or of `plans`); a run's
    documents are contiguous in the file."""
    from replica.legacy.tree import read_documents

    taken: dict[str, int] = {}
    out, keep = [], False
    for name, doc in read_documents(path):
        if name == "start":
            plan = doc.get("plan_name")
            keep = taken.get(plan, 0) < per_plan and (plans is None or plan in plans)
            taken[plan] = taken.get(plan, 0) + keep
        if keep:
            out.append((name, doc))
    return out


def _read_everything(adapter) -> dict:
    """Summary, documents, and every data, timestamps and configuration array of every run
    (or the error each read raises)."""
    def value(read):
        try:
            return np.asarray(read())
        except Exception as err:  # the quirks must be the same quirks
            return f"{type(err).__name__}: {err}"

    out = {}
    for uid in list(adapter.keys()):
        run = adapter[uid]
        out[uid] = run.metadata()["summary"]
        out[uid, "documents"] = [n for n, _ in run.documents(fill=False)]
        for stream_name in list(run.keys()):
            stream = run[stream_name]
            for part in ("data", "timestamps"):
                for key in list(stream[part].keys()):
                    out[uid, stream_name, part, key] = value(stream[part][key].read)
            for part in ("config", "config_timestamps"):
                try:
                    objects = list(stream[part].keys())
                    for obj in objects:
                        for key in list(stream[part][obj].keys()):
                            out[uid, stream_name, part, obj, key] = value(stream[part][obj][key].read)
                except Exception as err:
                    out[uid, stream_name, part] = f"{type(err).__name__}: {err}"
    return out


def test_fastmock_preserves_results(replica_ready):
    """The same reads with and without the mongomock speed-up give the same answers, in-process:
    two runs of every bdp2022 plan, one SAXS, tune_ar, Flyscan and uascan of 20idb_usaxs. (Plain
    mongomock is too slow for whole catalogs: measured 76 s vs 2.3 s for six runs read from the
    whole bdp2022, 18.5 min vs seconds for twelve runs of the whole 20idb_usaxs; no differences.)"""
    import warnings

    from replica.legacy import fastmock, tree

    def build(documents):
        adapter = tree.LegacyMongoAdapter.from_mongomock()
        serializer = adapter.get_serializer()
        for name, doc in documents:
            serializer(name, json.loads(json.dumps(doc)))  # each adapter its own copies
        return adapter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # databroker warns about '<U0' string dtypes
        for catalog, per_plan, plans in (("bdp2022", 2, None),
                                         ("20idb_usaxs", 1, {"SAXS", "tune_ar", "Flyscan", "uascan"})):
            path = replica_ready / "catalogs" / catalog / "documents.jsonl.gz"
            documents = _sample_documents(path, per_plan, plans)
            try:
                fastmock.patch()
                fast = _read_everything(build(documents))
            finally:
                fastmock.unpatch()
            plain = _read_everything(build(documents))
            assert fast.keys() == plain.keys()
            for key, expected in plain.items():
                got = fast[key]
                if isinstance(expected, np.ndarray):
                    assert isinstance(got, np.ndarray) and got.dtype == expected.dtype, key
                    assert np.array_equal(got, expected), key
                else:
                    assert got == expected, key
            assert len(plain) > 50


# --- the generator's document log -------------------------------------------------------------------


def test_documents_file_matches_the_catalog(replica_ready):
    """documents.jsonl.gz holds every document the SQL catalog was written from, in order."""
    from replica.generator import read_stamp

    for name, runs in (("bdp2022", 479), ("20idb_usaxs", 222)):
        path = replica_ready / "catalogs" / name / "documents.jsonl.gz"
        names = []
        with gzip.open(path, "rb") as f:
            for line in f:
                record = json.loads(line)
                assert set(record) == {"name", "doc"}
                names.append(record["name"])
        assert names.count("start") == runs and names[0] == "start" and names[-1] in ("event", "stop")
        assert len(names) == read_stamp(name)["documents"]
