"""The same searches through tiled's Python client on both layouts: where do they disagree, and why.

    PYTHONPATH=server .venv/bin/python -m oracle.query_matrix \\
        --sql http://127.0.0.1:8000 --mongo http://127.0.0.1:8001 --out var/oracle/query-matrix.json

Each case is a search a Python user writes (``catalog.search(...)``, ``catalog.sort(...)``, a
lookup such as ``catalog[1595]``), run on the SQL replica (tiled's SQL catalog on SQLite) and on
the legacy replica (databroker's MongoAdapter on mongomock). For each: count, the first and last
three uids in the result's order (``keys()[:3]``, ``keys()[-3:]``: the last three are fetched with
the reversed sort, as the client does) or the error. tiled's client retries an HTTP 5xx for up to 10
attempts (TILED_RETRY_ATTEMPTS; about 25 s) before raising it; run_matrix asks once
(``retry_attempts=1``) while it runs: the answer is the same error, 25 s sooner. Cases marked ``raw`` bypass
bluesky-tiled-plugins' CatalogOfBlueskyRuns.search, which (since 2.0) rewrites ScanID, ScanIDRange,
TimeRange and PartialUID into generic Eq/Comparison/Like queries on the client; raw sends the
registered query type itself, as an HTTP client (or an old Python client) does.

Output (``--out``): {"sql": url, "mongo": url, "cases": [{id, catalog, topic, python, sql: result,
mongo: result, agree}]}, result = {count, first, last, seconds} or {error, seconds}.
A table of the disagreements is printed, each with the cause of its topic (``CAUSES``); exit
status 1 when a disagreement's topic has no known cause.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from typing import Callable

import tiled.client.utils
from bluesky_tiled_plugins.queries import PartialUID, ScanID, ScanIDRange, TimeRange
from tiled.client import from_uri
from tiled.client.container import Container
from tiled.queries import Comparison, Contains, FullText, In, Key, KeyPresent, Like, NotIn, Regex

CHICAGO = "America/Chicago"
# Fixed uids of the replica's facts (server/README.md): the demo's last push_images and last M9 run.
LAST_PUSH = "ae762f9c"
LAST_M9 = "a1233634"


@dataclass(frozen=True)
class Case:
    id: str
    catalog: str
    topic: str
    python: str  # the Python a user writes, for the table
    run: Callable  # catalog client -> a node (count/first/last) or a lookup's uid


def raw(catalog, query):
    """The registered query type sent as is (CatalogOfBlueskyRuns.search would rewrite it)."""
    return Container.search(catalog, query)


def lookup(fn):
    """A case that returns one run: recorded as count 1 and its uid."""
    return lambda c: ("lookup", fn(c).metadata["start"]["uid"])


def _cases() -> list[Case]:
    cases: list[Case] = []

    def add(id_, catalog, topic, python, fn):
        cases.append(Case(id_, catalog, topic, python, fn))

    B, U = "bdp2022", "20idb_usaxs"
    # --- Key == / != ----------------------------------------------------------------------
    add("all", B, "baseline", "catalog", lambda c: c)
    add("all-usaxs", U, "baseline", "catalog", lambda c: c)
    add("eq-plan", B, "eq", 'Key("plan_name") == "push_images"', lambda c: c.search(Key("plan_name") == "push_images"))
    add("eq-plan-start", B, "eq", 'Key("start.plan_name") == "push_images"',
        lambda c: c.search(Key("start.plan_name") == "push_images"))
    add("eq-plan-take", B, "eq", 'Key("plan_name") == "take_image"', lambda c: c.search(Key("plan_name") == "take_image"))
    add("eq-plan-none", B, "eq", 'Key("plan_name") == "no_such_plan"', lambda c: c.search(Key("plan_name") == "no_such_plan"))
    add("eq-scan-int", B, "eq", 'Key("scan_id") == 1960', lambda c: c.search(Key("scan_id") == 1960))
    add("eq-scan-float", B, "eq-types", 'Key("scan_id") == 1960.0', lambda c: c.search(Key("scan_id") == 1960.0))
    add("eq-scan-str", B, "eq-types", 'Key("scan_id") == "1960"', lambda c: c.search(Key("scan_id") == "1960"))
    add("eq-scan-dup", B, "eq", 'Key("scan_id") == 1595 (two runs)', lambda c: c.search(Key("scan_id") == 1595))
    add("eq-frame-int", B, "eq-types", 'Key("frame_rate") == 20 (stored 20 and 20.0)', lambda c: c.search(Key("frame_rate") == 20))
    add("eq-frame-float", B, "eq-types", 'Key("frame_rate") == 20.0', lambda c: c.search(Key("frame_rate") == 20.0))
    add("eq-bool", U, "eq", 'Key("useSBUSAXS") == False', lambda c: c.search(Key("useSBUSAXS") == False))  # noqa: E712
    add("eq-bool-true", U, "eq", 'Key("useDynamicTime") == True', lambda c: c.search(Key("useDynamicTime") == True))  # noqa: E712
    add("eq-nested", B, "eq", 'Key("versions.bluesky") == "1.8.3"', lambda c: c.search(Key("versions.bluesky") == "1.8.3"))
    add("eq-hints-list", B, "eq-list", 'Key("detectors") == ["adsimdet"]', lambda c: c.search(Key("detectors") == ["adsimdet"]))
    add("eq-list-key", B, "list-values", 'Key("detectors") == "adsimdet" (detectors is a list)',
        lambda c: c.search(Key("detectors") == "adsimdet"))
    add("noteq-list-key", B, "list-values", 'Key("detectors") != "adsimdet" (detectors is a list)',
        lambda c: c.search(Key("detectors") != "adsimdet"))
    add("eq-stop-exit", B, "stop-keys", 'Key("stop.exit_status") == "abort"', lambda c: c.search(Key("stop.exit_status") == "abort"))
    add("eq-stop-success", B, "stop-keys", 'Key("stop.exit_status") == "success"',
        lambda c: c.search(Key("stop.exit_status") == "success"))
    add("noteq-stop-success", B, "stop-keys", 'Key("stop.exit_status") != "success"',
        lambda c: c.search(Key("stop.exit_status") != "success"))
    add("eq-usaxs-plan", U, "eq", 'Key("plan_name") == "Flyscan"', lambda c: c.search(Key("plan_name") == "Flyscan"))
    add("eq-usaxs-esaf", U, "eq", 'Key("esaf_id") == "261203"', lambda c: c.search(Key("esaf_id") == "261203"))
    add("eq-usaxs-start-key", U, "eq", 'Key("start.start") == 8.84187 (a start key named "start")',
        lambda c: c.search(Key("start.start") == 8.84187))
    add("noteq-plan", B, "noteq", 'Key("plan_name") != "push_images"', lambda c: c.search(Key("plan_name") != "push_images"))
    add("noteq-sample", B, "noteq-missing", 'Key("sample") != "kapton film #2" (120 runs have sample)',
        lambda c: c.search(Key("sample") != "kapton film #2"))
    add("noteq-session", B, "noteq-missing", 'Key("session") != "M9 demo" (200 have session)',
        lambda c: c.search(Key("session") != "M9 demo"))
    add("noteq-title", U, "noteq-missing", 'Key("title") != "x" (164 of 222 have title)', lambda c: c.search(Key("title") != "x"))
    add("noteq-scan", U, "noteq", 'Key("scan_id") != 183', lambda c: c.search(Key("scan_id") != 183))
    add("noteq-bool", U, "noteq-missing", 'Key("useSBUSAXS") != True', lambda c: c.search(Key("useSBUSAXS") != True))  # noqa: E712
    # --- comparisons ------------------------------------------------------------------------
    add("gt-scan", B, "comparison", 'Key("scan_id") > 2000', lambda c: c.search(Key("scan_id") > 2000))
    add("ge-scan", B, "comparison", 'Key("scan_id") >= 1960', lambda c: c.search(Key("scan_id") >= 1960))
    add("lt-scan", B, "comparison", 'Key("scan_id") < 100', lambda c: c.search(Key("scan_id") < 100))
    add("le-scan", B, "comparison", 'Key("scan_id") <= 1585', lambda c: c.search(Key("scan_id") <= 1585))
    add("range-scan", B, "comparison", '1596 <= scan_id < 1700', lambda c: c.search(Key("scan_id") >= 1596).search(Key("scan_id") < 1700))
    add("ge-time", B, "comparison", 'Key("time") >= 1651381200', lambda c: c.search(Key("time") >= 1651381200))
    add("demo-time", B, "comparison", "the demo's time window (ge, lt on start.time)",
        lambda c: c.search(Comparison("ge", "start.time", 1651381200.0)).search(Comparison("lt", "start.time", 1667278800.0)))
    add("gt-plan-text", B, "comparison", 'Key("plan_name") > "p"', lambda c: c.search(Key("plan_name") > "p"))
    add("lt-frame", B, "comparison", 'Key("frame_rate") < 20.5', lambda c: c.search(Key("frame_rate") < 20.5))
    add("gt-num-images", B, "comparison", 'Key("num_images") > 999', lambda c: c.search(Key("num_images") > 999))
    add("gt-fly-time", U, "comparison", 'Key("fly_scan_time") > 60', lambda c: c.search(Key("fly_scan_time") > 60))
    add("lt-thickness", U, "comparison", 'Key("sample_thickness_mm") < 1.5', lambda c: c.search(Key("sample_thickness_mm") < 1.5))
    add("gt-scan-usaxs", U, "comparison", 'Key("scan_id") > 300', lambda c: c.search(Key("scan_id") > 300))
    add("gt-stop-time", B, "stop-keys", 'Key("stop.time") > 1667278800', lambda c: c.search(Key("stop.time") > 1667278800))
    # --- In / NotIn -------------------------------------------------------------------------
    add("in-plan", B, "in", 'In("plan_name", ["push_images", "m9_push_images"])',
        lambda c: c.search(In("plan_name", ["push_images", "m9_push_images"])))
    add("in-scan", B, "in", 'In("scan_id", [1595, 1960, 2035])', lambda c: c.search(In("scan_id", [1595, 1960, 2035])))
    add("in-empty", B, "in", 'In("plan_name", [])', lambda c: c.search(In("plan_name", [])))
    add("in-usaxs-plan", U, "in", 'In("plan_name", ["SAXS", "WAXS"])', lambda c: c.search(In("plan_name", ["SAXS", "WAXS"])))
    add("in-mixed", B, "in", 'In("frame_rate", [20, 10.0])', lambda c: c.search(In("frame_rate", [20, 10.0])))
    add("notin-plan", B, "notin", 'NotIn("plan_name", ["push_images", "take_image"])',
        lambda c: c.search(NotIn("plan_name", ["push_images", "take_image"])))
    add("notin-sample", B, "notin-missing", 'NotIn("sample", ["kapton film #2"])',
        lambda c: c.search(NotIn("sample", ["kapton film #2"])))
    add("notin-session", B, "notin-missing", 'NotIn("session", ["M9 demo"])', lambda c: c.search(NotIn("session", ["M9 demo"])))
    add("notin-empty", B, "notin", 'NotIn("plan_name", [])', lambda c: c.search(NotIn("plan_name", [])))
    add("notin-method", U, "notin-missing", 'NotIn("method", ["areaDetectorAcquire"])',
        lambda c: c.search(NotIn("method", ["areaDetectorAcquire"])))
    # --- Contains ---------------------------------------------------------------------------
    add("contains-detectors", B, "contains", 'Contains("detectors", "adsimdet")', lambda c: c.search(Contains("detectors", "adsimdet")))
    add("contains-motors", B, "contains", 'Contains("motors", "fine_x")', lambda c: c.search(Contains("motors", "fine_x")))
    add("contains-substring", B, "contains", 'Contains("plan_name", "push")', lambda c: c.search(Contains("plan_name", "push")))
    add("contains-usaxs-det", U, "contains", 'Contains("detectors", "I0_USAXS")', lambda c: c.search(Contains("detectors", "I0_USAXS")))
    add("contains-prefix-of-item", U, "contains", 'Contains("detectors", "I0")', lambda c: c.search(Contains("detectors", "I0")))
    # --- Like, KeyPresent, Regex (each registered on one layout only) ------------------------
    add("like-plan", B, "registered", 'Like("plan_name", "push%")', lambda c: c.search(Like("plan_name", "push%")))
    add("like-uid", B, "registered", f'Like("uid", "{LAST_PUSH}%")', lambda c: c.search(Like("uid", f"{LAST_PUSH}%")))
    add("keypresent-sample", B, "registered", 'KeyPresent("sample")', lambda c: c.search(KeyPresent("sample")))
    add("keyabsent-sample", B, "registered", 'KeyPresent("sample", exists=False)', lambda c: c.search(KeyPresent("sample", False)))
    add("keypresent-title", U, "registered", 'KeyPresent("title")', lambda c: c.search(KeyPresent("title")))
    add("regex-plan", B, "registered", 'Regex("plan_name", "^push")', lambda c: c.search(Regex("plan_name", "^push")))
    add("regex-ci", U, "registered", 'Regex("principal_user", "raman", case_sensitive=False)',
        lambda c: c.search(Regex("principal_user", "raman", case_sensitive=False)))
    # --- FullText ---------------------------------------------------------------------------
    texts = [
        ("M9", B), ("m9", B), ("BDP-M9", B), ("M9 AND", B), ("M9 demo", B), ('"M9 demo"', B), ('"BDP M9"', B),
        ("M9 OR M4", B), ("M9 NOT demo", B), ("M9 -demo", B), ("push*", B), ("push", B), ("images", B), ("image", B),
        ("m9_push_images", B), ("kapton", B), ("kapton film", B), ('"kapton film"', B), ("milestone", B),
        ("plan_name", B), ("success", B), ("abort", B), ("bdp", B), ("BDP", B), ("2022", B), ("1960", B),
        ("Raman", U), ("raman", U), ("zirconia", U), ("ZrO2", U), ("tune", U), ("tune_ar", U), ("9-ID-C", U),
        ("USAXS", U), ("ESAF", U), ("2022-3", U), ("Flyscan", U), ("flyscan AND saxs", U), ("Lindqvist", U),
    ]
    for text, cat in texts:
        add(f"fulltext[{text}]", cat, "fulltext", f"FullText({text!r})", lambda c, t=text: c.search(FullText(t)))
    # --- bluesky-tiled-plugins' queries (rewritten by CatalogOfBlueskyRuns.search) ----------
    add("scanid-one", B, "bluesky-client", "ScanID(1960)", lambda c: c.search(ScanID(1960)))
    add("scanid-dup", B, "bluesky-client", "ScanID(1595) (two runs)", lambda c: c.search(ScanID(1595)))
    add("scanid-dup-all", B, "bluesky-client", 'ScanID(1595, duplicates="all")', lambda c: c.search(ScanID(1595, duplicates="all")))
    add("scanid-two", B, "bluesky-client", "ScanID(1596, 1960)", lambda c: c.search(ScanID(1596, 1960)))
    add("scanidrange", B, "bluesky-client", "ScanIDRange(1590, 1600)", lambda c: c.search(ScanIDRange(1590, 1600)))
    add("scanidrange-dups", B, "bluesky-client", "ScanIDRange(1700, 1800)", lambda c: c.search(ScanIDRange(1700, 1800)))
    add("timerange", B, "bluesky-client", 'TimeRange(since="2022-05-01", until="2022-11-01", timezone=Chicago)',
        lambda c: c.search(TimeRange(since="2022-05-01", until="2022-11-01", timezone=CHICAGO)))
    add("timerange-since", U, "bluesky-client", 'TimeRange(since="2022-11-15", timezone=Chicago)',
        lambda c: c.search(TimeRange(since="2022-11-15", timezone=CHICAGO)))
    add("timerange-until", B, "bluesky-client", 'TimeRange(until="2022-05-01", timezone=Chicago)',
        lambda c: c.search(TimeRange(until="2022-05-01", timezone=CHICAGO)))
    add("partialuid", B, "bluesky-client", f"PartialUID({LAST_PUSH!r})", lambda c: c.search(PartialUID(LAST_PUSH)))
    add("partialuid-short", B, "bluesky-client", 'PartialUID("ae76")', lambda c: c.search(PartialUID("ae76")))
    # The same query types sent to the server as registered (no client-side rewrite).
    add("raw-scanid-dup", B, "raw-scan-id", "ScanID(1595) sent as scan_id", lambda c: raw(c, ScanID(1595)))
    add("raw-scanid-dup-all", B, "raw-scan-id", 'ScanID(1595, duplicates="all") sent as scan_id',
        lambda c: raw(c, ScanID(1595, duplicates="all")))
    add("raw-scanid-two", B, "raw-scan-id", "ScanID(1596, 1960) sent as scan_id", lambda c: raw(c, ScanID(1596, 1960)))
    add("raw-scanidrange", B, "raw-scan-id", "ScanIDRange(1700, 1800) sent as scan_id_range",
        lambda c: raw(c, ScanIDRange(1700, 1800)))
    add("raw-timerange", B, "raw-registered", "TimeRange(...) sent as time_range",
        lambda c: raw(c, TimeRange(since="2022-05-01", until="2022-11-01", timezone=CHICAGO)))
    add("raw-partialuid", B, "raw-registered", f"PartialUID({LAST_PUSH!r}) sent as partial_uid",
        lambda c: raw(c, PartialUID(LAST_PUSH)))
    # --- lookups ----------------------------------------------------------------------------
    add("lookup-scan", B, "lookup", "catalog[1960]", lookup(lambda c: c[1960]))
    add("lookup-scan-dup", B, "lookup", "catalog[1595] (two runs: 'the latest')", lookup(lambda c: c[1595]))
    add("lookup-scan-dup2", B, "lookup", "catalog[1902] (two runs)", lookup(lambda c: c[1902]))
    add("lookup-partial", B, "lookup", f"catalog[{LAST_M9!r}]", lookup(lambda c: c[LAST_M9]))
    add("lookup-last", B, "lookup", "catalog[-1]", lookup(lambda c: c[-1]))
    add("lookup-last-usaxs", U, "lookup", "catalog[-1]", lookup(lambda c: c[-1]))
    add("lookup-first", B, "lookup", "catalog.values().first()", lookup(lambda c: c.values().first()))
    # --- sorting ----------------------------------------------------------------------------
    sorts = [
        ("start.scan_id", 1), ("start.scan_id", -1), ("start.time", 1), ("start.time", -1),
        ("scan_id", 1), ("scan_id", -1), ("time", 1), ("time", -1), ("start.plan_name", 1), ("plan_name", 1),
        ("start.uid", 1), ("stop.time", 1),
    ]
    for key, direction in sorts:
        add(f"sort[{key},{direction}]", B, "sort", f"catalog.sort(({key!r}, {direction}))",
            lambda c, k=key, d=direction: c.sort((k, d)))
    for key, direction in [("start.scan_id", 1), ("scan_id", 1), ("start.time", -1), ("time", -1)]:
        add(f"sort-usaxs[{key},{direction}]", U, "sort", f"catalog.sort(({key!r}, {direction}))",
            lambda c, k=key, d=direction: c.sort((k, d)))
    add("sort-push-scan", B, "sort", 'search(plan_name == "push_images").sort(("start.scan_id", 1))',
        lambda c: c.search(Key("plan_name") == "push_images").sort(("start.scan_id", 1)))
    add("sort-push-scan-bare", B, "sort", 'search(plan_name == "push_images").sort(("scan_id", 1))',
        lambda c: c.search(Key("plan_name") == "push_images").sort(("scan_id", 1)))
    add("sort-two-keys", B, "sort", 'sort(("plan_name", 1), ("time", -1))', lambda c: c.sort(("plan_name", 1), ("time", -1)))
    add("sort-two-keys-start", B, "sort", 'sort(("start.plan_name", 1), ("start.time", -1))',
        lambda c: c.sort(("start.plan_name", 1), ("start.time", -1)))
    add("sort-fulltext", B, "sort", 'search(FullText("M9")).sort(("start.time", -1))',
        lambda c: c.search(FullText("M9")).sort(("start.time", -1)))
    add("sort-fulltext-bare", B, "sort", 'search(FullText("M9")).sort(("time", -1))',
        lambda c: c.search(FullText("M9")).sort(("time", -1)))
    return cases


CASES = _cases()

# Why a topic's answers may differ between the layouts (tiled 0.2.20 SQL adapter on SQLite vs
# databroker 2.0.2 mongo_normalized/query_impl on mongomock + the replica's $text emulation).
CAUSES = {
    "fulltext": (
        "SQL: SQLite FTS5 MATCH over the run node's whole metadata JSON text: start AND stop "
        "documents, keys as well as values, numbers too (tokenizer unicode61: '_' and '-' split "
        "words, so 'm9_push_images' holds 'push' and 'images', 'esaf_id' holds 'esaf'); the text "
        "is FTS5 query syntax: words are AND'ed, AND/OR/NOT are operators (a trailing 'AND' is "
        "'fts5: syntax error near \"\"'), 'x-y' reads '-y' as a column filter ('no such column: "
        "M9' / 'ID' / '3'), prefix* and \"phrases\" work; a syntax error is an HTTP 500, which "
        "tiled's client retries 10 times (~25 s) before raising. Mongo (databroker's $text over "
        "suitcase's '$**' index, emulated by replica/legacy/fulltext.py): only the start "
        "document's string values; words are OR'ed, '_' joins words ('tune_ar' is one word, "
        "'tune' does not match it), '-word' excludes, \"phrases\" are required, AND/OR/NOT "
        "are plain words, no prefix*; real MongoDB would also stem ('images' ~ 'image')."),
    "noteq-missing": (
        "a key that some runs lack: SQL compares json_extract(...) with the value and gets NULL "
        "for those runs, which is not true, so they are left out; MongoDB's $ne matches "
        "documents without the field, so they are included."),
    "notin-missing": "as noteq-missing: SQL's NOT IN leaves out runs without the key, MongoDB's $nin includes them.",
    "stop-keys": (
        "SQL run metadata holds {start, stop, ...}: stop.* keys work. databroker strips a 'start.' "
        "prefix and queries only the run_start collection, so 'stop.exit_status' is a missing "
        "field there: == and > find nothing, != finds every run."),
    "eq-list": (
        "Eq with a list value: tiled's SQLite binary_op casts json_extract by the value's Python "
        "type (as_integer/as_float/as_string/as_boolean) and has no cast for list or dict: "
        "KeyError -> HTTP 500. MongoDB equality with an array matches the array."),
    "list-values": (
        "a comparison with a key whose values are lists: tiled's SQLite binary_op casts "
        "json_extract(...) by the value's type, so a list is compared as its JSON text: "
        "'[\"adsimdet\"]' is never 'adsimdet' (== finds nothing, != every run with the key); "
        "MongoDB matches a value against an array's elements (== means 'holds it')."),
    "contains": (
        "SQL Contains is LIKE '%value%' on the JSON text of the value (a substring of a string, "
        "or of the list's JSON: 'I0' matches ['I0_USAXS']); Mongo Contains is equality, which "
        "for an array means 'has the element' and for a string means the whole string."),
    "registered": (
        "query types registered on one layout only: Like and KeyPresent on SQL (databroker's "
        "MongoAdapter: 400 'The query type ... is not supported'), Regex on Mongo (SQL: 400)."),
    "raw-scan-id": (
        "scan_id/scan_id_range are registered on the Mongo server only (SQL: 400). databroker's "
        "duplicates='latest' (the default) keeps one run per scan_id, the last in the result "
        "order (time), in an in-memory node. The Python client (bluesky-tiled-plugins 2.0) never "
        "sends them: CatalogOfBlueskyRuns.search turns ScanID into Eq and ScanIDRange into two "
        "Comparisons, which return every duplicate on both layouts; only catalog[scan_id] "
        "picks the latest."),
    "raw-registered": "time_range/partial_uid: registered by databroker only; SQL answers 400.",
    "bluesky-client": (
        "rewritten on the client into Eq/Comparison (PartialUID into Like 'x%' on SQL, but sent "
        "as partial_uid on Mongo, whose server refuses fewer than 5 characters with 400; "
        "the SQL path has no such check); ScanID with several ids is refused by the client."),
    "lookup": (
        "catalog[scan_id] is search(Eq) then values().last() in the node's default order: SQL "
        "by insertion id, Mongo by start time; the replica inserted runs in time order, so the "
        "two agree here (a catalog filled out of order would not)."),
    "sort": (
        "SQL sorts by the JSON text of the path (SQLAlchemy's JSON_QUOTE(JSON_EXTRACT(...))): "
        "numbers sort as text (start.scan_id ascending 1, 103, 1059, 107, ...; descending 991, "
        "97, 931, ...), ties broken by ascending node id even in descending sorts; a key the "
        "metadata lacks (bare 'time', 'scan_id', 'plan_name') ties every run, so the order is "
        "insertion order in both directions. databroker sorts the start documents by the bare "
        "key (numbers as numbers); 'start.*'/'stop.*' keys and any two-key sort make its paging "
        "code (MongoAdapter._chunked_find) raise KeyError -> 500 when listing (the count, "
        "fields=count, still answers 200)."),
}


def result_of(fn, catalog) -> dict:
    started = time.monotonic()
    try:
        node = fn(catalog)
        if isinstance(node, tuple) and node[0] == "lookup":
            out = {"count": 1, "first": [node[1]], "last": [node[1]]}
        else:
            count = len(node)
            # A negative slice must step -1 (tiled's views): it asks for the reversed sort.
            out = {"count": count, "first": list(node.keys()[:3]),
                   "last": list(reversed(node.keys()[-1:-4:-1])) if count else []}
    except Exception as exc:  # noqa: BLE001 - an error is an answer of the matrix
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        out = {"error": message[:400]}
    out["seconds"] = round(time.monotonic() - started, 3)
    return out


def agree(a: dict, b: dict) -> bool:
    if "error" in a or "error" in b:
        return ("error" in a) == ("error" in b)
    return all(a[k] == b[k] for k in ("count", "first", "last"))


def run_matrix(sql_url: str, mongo_url: str, cases=CASES, log=lambda m: None,
               retry_attempts: int = 1) -> list[dict]:
    saved = tiled.client.utils.TILED_RETRY_ATTEMPTS  # read by retry_context at each request
    tiled.client.utils.TILED_RETRY_ATTEMPTS = retry_attempts
    try:
        return _run_matrix(sql_url, mongo_url, cases, log)
    finally:
        tiled.client.utils.TILED_RETRY_ATTEMPTS = saved


def _run_matrix(sql_url: str, mongo_url: str, cases, log) -> list[dict]:
    rows = []
    roots = {"sql": from_uri(sql_url), "mongo": from_uri(mongo_url)}
    for i, case in enumerate(cases):
        row = {"id": case.id, "catalog": case.catalog, "topic": case.topic, "python": case.python}
        for layout, root in roots.items():
            try:
                catalog = root[case.catalog]
            except Exception:  # noqa: BLE001 - a dropped connection after a 500: reconnect once
                root = roots[layout] = from_uri(sql_url if layout == "sql" else mongo_url)
                catalog = root[case.catalog]
            row[layout] = result_of(case.run, catalog)
        row["agree"] = agree(row["sql"], row["mongo"])
        rows.append(row)
        if (i + 1) % 20 == 0:
            log(f"  {i + 1}/{len(cases)} cases")
    return rows


def short(result: dict) -> str:
    if "error" in result:
        return "ERR " + result["error"][:60]
    first = ",".join(u[:8] for u in result["first"])
    return f"{result['count']:>4} [{first}]"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sql", required=True, help="the SQL replica's URL")
    parser.add_argument("--mongo", required=True, help="the legacy (Mongo) replica's URL")
    parser.add_argument("--out", required=True, help="the matrix as JSON")
    parser.add_argument("--case", action="append", help="only the cases with this id (repeatable)")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.case or c.id in args.case]
    started = time.monotonic()
    rows = run_matrix(args.sql, args.mongo, cases, log=lambda m: print(m, file=sys.stderr))
    seconds = time.monotonic() - started
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"sql": args.sql, "mongo": args.mongo, "seconds": round(seconds, 1), "cases": rows},
                  f, indent=1, ensure_ascii=False)
    differ = [r for r in rows if not r["agree"]]
    print(f"{'case':34} {'catalog':11} {'sql':46} mongo")
    for r in differ:
        print(f"{r['id'][:34]:34} {r['catalog'][:11]:11} {short(r['sql'])[:46]:46} {short(r['mongo'])[:60]}")
    print()
    for topic in sorted({r["topic"] for r in differ}):
        print(f"{topic}: {CAUSES.get(topic, 'UNEXPLAINED')}\n")
    unexplained = sorted({r["topic"] for r in differ} - set(CAUSES))
    print(f"{len(rows)} cases, {len(differ)} disagree, {seconds:.1f} s -> {args.out}")
    if unexplained:
        print(f"disagreements without a known cause (topics {unexplained}): read the sources, add to CAUSES")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
