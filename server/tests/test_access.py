"""Access: anonymous reads work, anonymous writes are refused; tiled's Python client replays runs."""

from __future__ import annotations

import json

import httpx


def test_anonymous_read_allowed(http):
    about = http.get("/").json()
    assert about["library_version"].startswith("0.2.")
    assert http.get("/search/bdp2022", params={"page[limit]": "1"}).status_code == 200


def test_anonymous_write_refused(http):
    body = {"data": {"structure_family": "container", "metadata": {"intruder": True}, "specs": [],
                     "data_sources": []}}
    r = http.post("/metadata/bdp2022", content=json.dumps(body),
                  headers={"Content-Type": "application/json"})
    assert r.status_code in (401, 403), r.text
    r = http.put("/metadata/bdp2022/ae762f9c-4933-4aa4-a720-147f4aaab6fd",
                 content=json.dumps({"metadata": {"start": {}}}))
    assert r.status_code in (401, 403, 405), r.text


def test_wrong_api_key_refused(server_url):
    r = httpx.post(f"{server_url}/api/v1/metadata/bdp2022", headers={"Authorization": "Apikey not-the-key"},
                   json={"data": {"structure_family": "container", "metadata": {}, "specs": []}})
    assert r.status_code in (401, 403)


def test_documents_through_tiled_client(server_url):
    from tiled.client import from_uri

    client = from_uri(server_url)
    run = client["bdp2022"]["a1233634-1259-438f-b9f0-f77c26f48f54"]
    names = [name for name, _ in run.documents()]
    docs = list(run.documents())
    assert names[0] == "start" and names[-1] == "stop"
    assert "descriptor" in names and "event" in names
    assert docs[0][1]["uid"] == "a1233634-1259-438f-b9f0-f77c26f48f54"
    (descriptor,) = [d for n, d in docs if n == "descriptor"]
    assert descriptor["uid"] == "43eb9fb2-7900-47aa-96a6-face7e7f5fca"
    assert descriptor["data_keys"] == {}

    # a run with an external AD_HDF5 frame replays its stream_resource/stream_datum too
    take = client["bdp2022"].search(__import__("tiled.queries", fromlist=["Key"]).Key("start.plan_name") == "take_image")
    names = [name for name, _ in take.values().first().documents()]
    assert "stream_resource" in names and "stream_datum" in names


def test_run_reads_as_xarray(server_url):
    from tiled.client import from_uri

    client = from_uri(server_url)
    ds = client["bdp2022"]["ae762f9c-4933-4aa4-a720-147f4aaab6fd"]["primary"].read()
    assert ds["adpvadet_cam_array_counter"].shape == (10261,)
    assert int(ds["adpvadet_cam_array_counter"][-1]) == 10261


def test_catalogs_carry_the_catalog_spec(http, server_url):
    """Both catalog nodes say what they are, as databroker-served catalogs do; tiled's client
    then hands out bluesky-tiled-plugins' CatalogOfBlueskyRuns (scan_id lookup, .v3)."""
    from bluesky_tiled_plugins import CatalogOfBlueskyRuns
    from tiled.client import from_uri

    client = from_uri(server_url)
    for name in ("bdp2022", "20idb_usaxs"):
        specs = http.get(f"/metadata/{name}").json()["data"]["attributes"]["specs"]
        assert specs == [{"name": "CatalogOfBlueskyRuns", "version": "3.0"}]
        assert isinstance(client[name], CatalogOfBlueskyRuns)
    catalog = client["bdp2022"]
    assert catalog.is_sql
    assert catalog[1960].metadata["start"]["uid"] == "ae762f9c-4933-4aa4-a720-147f4aaab6fd"
