"""The same replica in PostgreSQL: bdp2022 generated into a throwaway Debian PostgreSQL cluster
via REPLICA_DATABASE_URI (see postgres_cluster.py; started in the background by conftest),
served by tiled, and the demo's three searches asked over HTTP."""

from __future__ import annotations

import httpx
import pytest

from conftest import free_port, launch_server, search_all, stop_server
from test_figures import FULLTEXT_M9, PUSH_IMAGES, TIME_RANGE


def test_bdp2022_in_postgresql(request):
    cluster = request.config._replica_postgres
    problem = cluster.wait_generated()
    if problem:
        pytest.fail(problem)
    assert not (cluster.var_dir / "catalogs" / "bdp2022" / "catalog.db").exists()  # nothing in SQLite

    port = free_port()
    server = launch_server(cluster.var_dir, port, {"REPLICA_DATABASE_URI": cluster.uri})
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=60) as http:
            in_range = search_all(http, "bdp2022", TIME_RANGE)
            assert len(in_range) == 397
            assert in_range[0]["attributes"]["metadata"]["start"]["scan_id"] == 1596
            assert in_range[0]["attributes"]["metadata"]["start"]["time"] == 1651585041.510276
            assert in_range[-1]["id"] == "ae762f9c-4933-4aa4-a720-147f4aaab6fd"

            push = search_all(http, "bdp2022", PUSH_IMAGES)
            assert len(push) == 125
            assert push[0]["attributes"]["metadata"]["start"]["time"] == 1657944894.974411
            assert push[-1]["id"] == "ae762f9c-4933-4aa4-a720-147f4aaab6fd"

            # PostgreSQL's full text is a tsvector over string values ("M9 demo", "m9_push_images")
            m9 = search_all(http, "bdp2022", FULLTEXT_M9)
            assert len(m9) == 75
            assert m9[0]["attributes"]["metadata"]["start"]["scan_id"] == 1961
            assert m9[-1]["id"] == "a1233634-1259-438f-b9f0-f77c26f48f54"

            # an AD_HDF5 frame reads back from a PostgreSQL-catalogued run too
            uid = in_range[0]["id"]
            frame = http.get(f"/array/full/bdp2022/{uid}/primary/adsimdet_image",
                             params={"slice": "0,0,0:2,0:3", "format": "json"})
            assert frame.status_code == 200 and len(frame.json()) == 2
    finally:
        stop_server(server)
