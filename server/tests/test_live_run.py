"""`bin/replica live` with the default (memory) streaming cache: a uascan and a SAXS run written
into a throwaway replica that serves only /live (nothing to generate), then read back.

The uascan must follow the generator's own uascan path (usaxs.uascan_positions) and carry the
start keys of the demo catalog's last beamtime; the SAXS run one Pilatus frame per point.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess

import numpy as np
import pytest

from conftest import ROOT, free_port, launch_server, stop_server

BIN_REPLICA = ROOT / "bin" / "replica"


@pytest.fixture(scope="module")
def live_only(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("live") / "var"
    var_dir.mkdir()
    port = free_port()
    env_extra = {"TILED_API_KEY": secrets.token_hex(16)}
    process = launch_server(var_dir, port, env_extra, catalogs=[], ready_path="/api/v1/metadata/live")
    env = dict(os.environ, REPLICA_VAR=str(var_dir), PYTHONPATH=str(ROOT / "server"), **env_extra)
    env.pop("REPLICA_STREAMING_CACHE", None)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "env": env, "key": env_extra["TILED_API_KEY"]}
    finally:
        stop_server(process)


def write_live(live_only, *args) -> tuple[dict, dict]:
    result = subprocess.run([str(BIN_REPLICA), "live", *args, "--rate", "0", "--url", live_only["url"]],
                            env=live_only["env"], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return lines[0], lines[-1]


def test_live_uascan_follows_the_generator(live_only):
    from tiled.client import from_uri

    from replica.generator.usaxs import apsbss, uascan_path_metadata, uascan_positions
    from replica.generator.usaxs_timeline import BEAMTIMES

    events = 25
    started, summary = write_live(live_only, "--plan", "uascan", "--events", str(events))
    assert summary == {**summary, "done": True, "events": events, "exit_status": "success"}
    run = from_uri(live_only["url"], api_key=live_only["key"])["live"][started["uid"]]
    start = run.metadata["start"]
    assert start["plan_name"] == "uascan" and start["databroker_catalog"] == "live"
    assert {k: start[k] for k in apsbss(BEAMTIMES[-1].esaf)} == apsbss(BEAMTIMES[-1].esaf)
    assert {k: start[k] for k in uascan_path_metadata(events)} == uascan_path_metadata(events)
    table = run["primary"].read()
    expected = [round(float(x), 7) for x in uascan_positions(start, events)]
    assert np.asarray(table["a_stage_r"]).tolist() == expected
    assert run.metadata["stop"]["num_events"]["primary"] == events


def test_live_saxs_frames(live_only):
    from tiled.client import from_uri

    from replica.generator.usaxs import PILATUS

    started, summary = write_live(live_only, "--plan", "saxs", "--events", "3")
    assert summary["events"] == 3 and summary["exit_status"] == "success"
    run = from_uri(live_only["url"], api_key=live_only["key"])["live"][started["uid"]]
    frames = run["primary"]["saxs_det_image"].read()
    assert frames.shape == (3, *PILATUS["SAXS"])
    assert (np.asarray(frames)[:, :, 243:249] == -1).all()  # the Pilatus module gap
