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
           "scanid-dup", "sort[start.scan_id,1]", "eq-hints-list", "like-plan", "regex-plan"]
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
