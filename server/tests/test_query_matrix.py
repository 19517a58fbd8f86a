"""Where tiled's Python client gets different answers from the two layouts (oracle/query_matrix.py):
each disagreement below is a server behaviour the TypeScript client must refuse, warn about, or
reconcile. Expected counts come from the generated documents (documents.jsonl.gz), not from a
server, so each assertion says what the layout does with the runs that exist.
"""

from __future__ import annotations

import gzip
import json
import re

import pytest

from oracle import query_matrix
from replica import config


@pytest.fixture(scope="module")
def bdp_docs(replica_ready):
    starts, stops = [], {}
    with gzip.open(config.catalog_dir("bdp2022") / "documents.jsonl.gz", "rt") as f:
        for line in f:
            item = json.loads(line)
            if item["name"] == "start":
                starts.append(item["doc"])
            elif item["name"] == "stop":
                stops[item["doc"]["run_start"]] = item["doc"]
    return starts, stops


@pytest.fixture(scope="module")
def matrix(server_url, legacy_url):
    ids = ["noteq-sample", "notin-sample", "eq-stop-exit", "noteq-stop-success", "contains-substring",
           "fulltext[BDP-M9]", "fulltext[M9 AND]", "fulltext[M9 demo]", "fulltext[M9]", "raw-scanid-dup",
           "scanid-dup", "sort[start.scan_id,1]", "eq-hints-list", "like-plan", "regex-plan",
           "sort[stop.time,1]", "sort-two-keys", "eq-list-key", "noteq-list-key"]
    cases = [c for c in query_matrix.CASES if c.id in ids]
    assert len(cases) == len(ids)
    return {row["id"]: row for row in query_matrix.run_matrix(server_url, legacy_url, cases)}


def test_noteq_and_notin_on_a_key_some_runs_lack(matrix, bdp_docs):
    starts, _ = bdp_docs
    having = [s for s in starts if "sample" in s]
    equal = sum(s["sample"] == "kapton film #2" for s in having)
    assert 0 < len(having) < len(starts) and equal > 0
    for case in ("noteq-sample", "notin-sample"):
        assert matrix[case]["sql"]["count"] == len(having) - equal  # runs without the key: left out
        assert matrix[case]["mongo"]["count"] == len(starts) - equal  # ... included


def test_stop_keys_are_queried_on_sql_only(matrix, bdp_docs):
    starts, stops = bdp_docs
    aborted = sum(s.get("exit_status") == "abort" for s in stops.values())
    assert aborted > 0
    assert matrix["eq-stop-exit"]["sql"]["count"] == aborted
    assert matrix["eq-stop-exit"]["mongo"]["count"] == 0
    not_success = sum(s.get("exit_status") != "success" for s in stops.values())  # the running run has no stop
    assert matrix["noteq-stop-success"]["sql"]["count"] == not_success
    assert matrix["noteq-stop-success"]["mongo"]["count"] == len(starts)


def test_contains_is_a_substring_on_sql_and_equality_on_mongo(matrix, bdp_docs):
    starts, _ = bdp_docs
    assert matrix["contains-substring"]["sql"]["count"] == sum("push" in s["plan_name"] for s in starts)
    assert matrix["contains-substring"]["mongo"]["count"] == 0


def test_fulltext_fts5_syntax_versus_mongo_words(matrix, bdp_docs):
    starts, _ = bdp_docs

    def words(doc):
        out = set()
        stack = [doc]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                out.update(w.lower() for w in re.findall(r"\w+", v))
            elif isinstance(v, dict):
                stack.extend(v.values())
            elif isinstance(v, list):
                stack.extend(v)
        return out

    runs_words = [words(s) for s in starts]
    m9 = sum("m9" in w for w in runs_words)
    either = sum(bool({"bdp", "m9"} & w) for w in runs_words)
    assert 0 < m9 < either
    # '-' starts an FTS5 column filter ("no such column: M9") and a trailing AND is a syntax
    # error: HTTP 500 on SQL. On Mongo the words are OR'ed.
    assert "500" in matrix["fulltext[BDP-M9]"]["sql"]["error"]
    assert matrix["fulltext[BDP-M9]"]["mongo"]["count"] == either
    assert "500" in matrix["fulltext[M9 AND]"]["sql"]["error"]
    assert matrix["fulltext[M9 AND]"]["mongo"]["count"] == m9
    # FTS5 ANDs words, Mongo ORs them ("demo" is in every milestone).
    both = sum({"m9", "demo"} <= w for w in runs_words)
    any_ = sum(bool({"m9", "demo"} & w) for w in runs_words)
    assert (matrix["fulltext[M9 demo]"]["sql"]["count"], matrix["fulltext[M9 demo]"]["mongo"]["count"]) == (both, any_)
    assert matrix["fulltext[M9]"]["sql"]["count"] == matrix["fulltext[M9]"]["mongo"]["count"] == m9


def test_scan_id_duplicates(matrix, bdp_docs):
    starts, _ = bdp_docs
    dup = sorted((s for s in starts if s["scan_id"] == 1595), key=lambda s: s["time"])
    assert len(dup) == 2
    # The Python client rewrites ScanID into Eq: both runs on both layouts.
    assert matrix["scanid-dup"]["sql"]["count"] == matrix["scanid-dup"]["mongo"]["count"] == 2
    # Sent as databroker's scan_id query: the Mongo server keeps the latest; SQL does not know it.
    assert matrix["raw-scanid-dup"]["mongo"]["first"] == [dup[-1]["uid"]]
    assert "400" in matrix["raw-scanid-dup"]["sql"]["error"]


def test_sql_sorts_scan_id_as_text(matrix, bdp_docs, server_url):
    from tiled.client import from_uri

    starts, _ = bdp_docs
    assert "500" in matrix["sort[start.scan_id,1]"]["mongo"]["error"]  # start.* sort keys: KeyError
    ids = [s["scan_id"] for s in starts]
    first = [v.metadata["start"]["scan_id"]
             for v in from_uri(server_url)["bdp2022"].sort(("start.scan_id", 1)).values()[:8]]
    assert first == sorted(ids, key=str)[:8]
    assert first != sorted(ids)[:8]


def test_query_types_registered_on_one_layout(matrix):
    assert "500" in matrix["eq-hints-list"]["sql"]["error"]  # no SQLite cast for a list value
    assert matrix["eq-hints-list"]["mongo"]["count"] > 0
    assert "400" in matrix["like-plan"]["mongo"]["error"] and matrix["like-plan"]["sql"]["count"] > 0
    assert "400" in matrix["regex-plan"]["sql"]["error"] and matrix["regex-plan"]["mongo"]["count"] > 0


# What the TypeScript client sends databroker instead (lib/client/databroker-queries.ts), so that its
# answers agree with the SQL catalog's: each server behaviour it relies on, pinned here.


@pytest.fixture(scope="module")
def both(server_url, legacy_url):
    from tiled.client import from_uri

    return {"sql": from_uri(server_url), "mongo": from_uri(legacy_url)}


def test_databroker_duplicates_all_returns_every_run_as_the_sql_rewrite(both, bdp_docs):
    from bluesky_tiled_plugins.queries import ScanID, ScanIDRange
    from tiled.client.container import Container
    from tiled.queries import Comparison, Key

    starts, _ = bdp_docs
    in_range = sum(1700 <= s["scan_id"] < 1800 for s in starts)
    distinct = len({s["scan_id"] for s in starts if 1700 <= s["scan_id"] < 1800})
    assert in_range > distinct  # the range holds duplicates
    mongo, sql = both["mongo"]["bdp2022"], both["sql"]["bdp2022"]
    assert len(Container.search(mongo, ScanIDRange(1700, 1800))) == distinct  # "latest": one per id
    assert len(Container.search(mongo, ScanIDRange(1700, 1800, duplicates="all"))) == in_range
    assert len(sql.search(Comparison("ge", "start.scan_id", 1700)).search(Comparison("lt", "start.scan_id", 1800))) == in_range
    assert len(Container.search(mongo, ScanID(1595, duplicates="all"))) == len(sql.search(Key("start.scan_id") == 1595)) == 2


def test_databroker_regexes_answer_like_contains_and_partial_uid_as_sql(both, bdp_docs):
    from tiled.queries import Contains, Like, Regex

    mongo, sql = both["mongo"], both["sql"]
    any_ = r"[\s\S]*"
    # Like "push%" (ASCII case-insensitive on SQLite) == an anchored case-insensitive regex.
    assert len(mongo["bdp2022"].search(Regex("plan_name", f"^PUSH{any_}$", case_sensitive=False))) == \
        len(sql["bdp2022"].search(Like("start.plan_name", "PUSH%"))) == 125
    # Contains on a list: SQL searches its JSON text; MongoDB's regex searches each element.
    assert len(mongo["20idb_usaxs"].search(Regex("detectors", f"^{any_}I0{any_}$", case_sensitive=False))) == \
        len(sql["20idb_usaxs"].search(Contains("start.detectors", "I0"))) > 0
    # A uid prefix as a regex: any length, every match (partial_uid refuses < 5 characters, and several matches).
    starts, _ = bdp_docs
    assert len(mongo["bdp2022"].search(Regex("uid", "^ae76", case_sensitive=False))) == sum(s["uid"].startswith("ae76") for s in starts)
    assert len(mongo["bdp2022"].search(Regex("uid", "^a", case_sensitive=False))) == sum(s["uid"].startswith("a") for s in starts) > 1


def test_databroker_sort_failures_the_client_refuses(matrix):
    # Listing with a stop key or with two sort keys is a 500 on databroker (KeyError in
    # MongoAdapter._chunked_find); the client refuses both before sending.
    for case in ("sort[stop.time,1]", "sort-two-keys"):
        assert "500" in matrix[case]["mongo"]["error"]
        assert matrix[case]["sql"]["count"] == 479


def test_sql_bare_sort_keys_sort_nothing(both):
    # A key the run metadata lacks ties every run: SQL keeps insertion order in both directions,
    # so the client puts start. in front of a bare key (as databroker reads it).
    sql = both["sql"]["bdp2022"]
    assert list(sql.sort(("time", -1)).keys()[:3]) == list(sql.keys()[:3])
    assert list(sql.sort(("start.time", -1)).keys()[:3]) != list(sql.keys()[:3])


def test_comparisons_on_list_valued_keys(matrix, bdp_docs):
    # SQL compares a list as its JSON text; MongoDB matches its elements. The client refuses such
    # comparisons on SQL (Contains answers alike on both).
    starts, _ = bdp_docs
    holding = sum("adsimdet" in s.get("detectors", []) for s in starts)
    having = sum("detectors" in s for s in starts)
    assert 0 < holding < having
    assert matrix["eq-list-key"]["sql"]["count"] == 0
    assert matrix["eq-list-key"]["mongo"]["count"] == holding
    assert matrix["noteq-list-key"]["sql"]["count"] == having
    assert matrix["noteq-list-key"]["mongo"]["count"] == len(starts) - holding
