"""The timelines' plan tables (generator/*_timeline.py) hold in the generated catalogs: every
slot or exception a table names produced the run it names, and no other run failed or aborted.

Read from each catalog's document log (documents.jsonl.gz, every document in the order written),
so a slot can be checked by its place in its phase, which the server's search cannot give.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter

import pytest

from replica.generator import documents_path
from replica.generator import bdp2022_timeline as bdp
from replica.generator import usaxs_timeline as usaxs


def read_runs(catalog: str) -> list[dict]:
    """Each run's start and stop documents and its Resource uids, oldest first."""
    runs: dict[str, dict] = {}
    with gzip.open(documents_path(catalog), "rt") as f:
        for line in f:
            item = json.loads(line)
            name, doc = item["name"], item["doc"]
            if name == "start":
                runs[doc["uid"]] = {"start": doc, "stop": None, "resources": []}
            elif name == "stop":
                runs[doc["run_start"]]["stop"] = doc
            elif name == "resource":
                runs[doc["run_start"]]["resources"].append(doc["uid"])
    return list(runs.values())


def exit_status(run: dict) -> str | None:
    return run["stop"]["exit_status"] if run["stop"] else None


@pytest.fixture(scope="module")
def bdp_phases(replica_ready) -> dict[str, list[dict]]:
    runs = read_runs("bdp2022")
    t = [r["start"]["time"] for r in runs]
    assert t == sorted(t)
    return {
        "april": [r for r in runs if r["start"]["time"] < bdp.FIRST_IN_RANGE],
        "m4": [r for r in runs if bdp.FIRST_IN_RANGE <= r["start"]["time"] < bdp.FIRST_PUSH],
        "m6": [r for r in runs if bdp.FIRST_PUSH <= r["start"]["time"] <= bdp.LAST_PUSH_TIME],
        "m9": [r for r in runs if bdp.FIRST_M9 <= r["start"]["time"] <= bdp.LAST_M9_TIME],
        "all": runs,
    }


def test_bdp2022_phase_sizes(bdp_phases):
    assert [len(bdp_phases[p]) for p in ("april", "m4", "m6", "m9")] == [6, 260, 137, 75]


def test_bdp2022_unsuccessful_slots(bdp_phases):
    tables = {"april": bdp.APRIL_UNSUCCESSFUL, "m4": bdp.M4_UNSUCCESSFUL,
              "m6": bdp.M6_UNSUCCESSFUL, "m9": bdp.M9_UNSUCCESSFUL}
    named = []
    for phase, table in tables.items():
        for slot, status in table.items():
            run = bdp_phases[phase][slot]
            assert exit_status(run) == status, (phase, slot, run["start"]["plan_name"])
            named.append(run["start"]["uid"])
    others = [r for r in bdp_phases["all"] if r["start"]["uid"] not in named]
    # Every other run succeeded, but for the one still running (no stop document).
    assert Counter(exit_status(r) for r in others) == {"success": len(others) - 1, None: 1}


def test_bdp2022_figure_slots(bdp_phases):
    first = bdp_phases["m4"][bdp.M4_FIRST_IN_DEMO_RANGE]["start"]
    assert (first["time"], first["scan_id"], first["plan_name"]) == (bdp.FIRST_IN_RANGE, 1596, "take_image")
    demo = bdp_phases["m4"][bdp.M4_DEMO_RESOURCE]
    assert demo["start"]["plan_name"] == "take_image" and demo["resources"] == [bdp.DEMO_RESOURCE_UID]
    for slot in bdp.M4_TAKE_IMAGE_ONLY:
        assert bdp_phases["m4"][slot]["start"]["plan_name"] == "take_image", slot
    apstools = [r["start"]["versions"]["apstools"] for r in bdp_phases["m4"]]
    cut = bdp.M4_SUMMER_VERSIONS_FROM
    assert set(apstools[:cut]) == {"1.6.1"} and set(apstools[cut:]) == {"1.6.2"}

    m6 = bdp_phases["m6"]
    assert (m6[0]["start"]["plan_name"], m6[0]["start"]["scan_id"]) == ("push_images", 1)
    last_push = m6[-1]["start"]
    assert (last_push["uid"], last_push["pid"], last_push["scan_id"]) == (bdp.LAST_PUSH_UID, bdp.LAST_PUSH_PID, 1960)
    m9 = bdp_phases["m9"]
    assert (m9[0]["start"]["scan_id"], m9[-1]["start"]["scan_id"]) == (1961, 2035)
    assert m9[-1]["start"]["uid"] == bdp.LAST_M9_UID


def test_usaxs_plan_exceptions(replica_ready):
    runs = read_runs("20idb_usaxs")

    def find(esaf_id, title, plan):
        return [r for r in runs if (r["start"]["esaf_id"], r["start"].get("title"), r["start"]["plan_name"])
                == (esaf_id, title, plan)]

    aborted = find(*usaxs.ABORTED_FLYSCAN, "Flyscan")
    assert [exit_status(r) for r in aborted] == ["abort", "success"]  # measured again
    failed = find(*usaxs.FAILED_AREA_DETECTOR)
    assert [exit_status(r) for r in failed] == ["fail"]
    named = {r["start"]["uid"] for r in aborted[:1] + failed}
    others = [r for r in runs if r["start"]["uid"] not in named]
    assert Counter(exit_status(r) for r in others) == {"success": len(others) - 1, None: 1}

    # Per beamtime: a documentation_run, the alignment tunes in order, a uascan after the named samples.
    for beamtime in usaxs.BEAMTIMES:
        esaf = beamtime.esaf
        plans = [r["start"]["plan_name"] for r in runs if r["start"]["esaf_id"] == esaf.esaf_id]
        assert tuple(plans[:7]) == ("documentation_run", *usaxs.ALIGNMENT_TUNES), esaf.esaf_id
        uascans = [r["start"]["title"] for r in runs
                   if r["start"]["esaf_id"] == esaf.esaf_id and r["start"]["plan_name"] == "uascan"]
        assert uascans == [f"{esaf.samples[s]}_step" for s in usaxs.UASCAN_AFTER_SAMPLES]
    paths = {r["start"]["hdf5_path"] for r in runs if "hdf5_path" in r["start"]}
    assert all(p.startswith(usaxs.RECORDED_DATA_DIR) for p in paths), sorted(paths)[:3]
