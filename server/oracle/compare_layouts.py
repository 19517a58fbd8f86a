"""Where the SQL and the legacy (Mongo) layouts differ, as tiled's Python client sees them.

    PYTHONPATH=server .venv/bin/python -m oracle.compare_layouts SQL.jsonl MONGO.jsonl [--out diff.json]

Both files are `oracle.stream_digest` outputs (the same catalogs on the two replicas). Every
difference is counted per (catalog, stream name, kind); each kind that the layouts are known to
produce carries its cause (read from databroker 2.0.2, bluesky-tiled-plugins and tiled 0.2.20);
any other kind is printed as UNEXPLAINED, so a new difference cannot hide among known ones.
Exit status 1 when values (sha256), shapes, or the set of runs/streams/variables differ, or a
difference is unexplained: those would be wrong answers, not presentation.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict

# Kinds of difference the two layouts are known to show, and why. Keys are `kind` below.
CAUSES = {
    "dtype:text": (
        "text columns: SQL gives numpy '<U{n}' (tiled's CompositeClient.read converts pandas' "
        "StringDtype columns with .astype('U')); Mongo gives an object array of str (the legacy "
        "Dataset is read by tiled's DatasetClient 'wide table' fetch: one Arrow request for all 1-D "
        "variables, whose pandas 'str' column xarray keeps as a pandas ArrowStringArray; .values is "
        "object). Values are equal. The descriptors say dtype_numpy '<U0' (ophyd's describe of a "
        "str), databroker trusts dtype_numpy before measuring the column, so the Mongo array "
        "structure has itemsize 0: ArrayClient.read() of such a column alone raises "
        "'itemsize cannot be zero in type' in Python too; only the Dataset read works."),
    "xarray_dtype:text": "the same columns: xarray reports the pandas string array as 'str' (see dtype:text)",
    "dims:external": (
        "external (AD HDF5) frames: SQL names dims '{key}_dim1..3' (tiled CompositeClient.read's "
        "default for arrays without dims); Mongo names them 'dim_{i}' from one counter per stream "
        "(databroker mongo_normalized.structure_from_descriptor, descriptors carry no 'dims')"),
    "dims:internal": (
        "array columns stored in the event table (Flyscan spectra): SQL 'dim_int_1', shared by every "
        "array of that length (TiledWriter._internal_dims); Mongo 'dim_0', 'dim_1', 'dim_2': one "
        "per key from databroker's per-stream counter, so the three 7999-channel spectra do not "
        "share a dimension on Mongo"),
    "attrs:dataset": "Mongo Datasets carry attrs {'stream_name': ...} (databroker's DatasetFromDocuments); SQL none",
    "attrs:variable": (
        "Mongo variables carry attrs {'object': device, 'units_string': units} from the descriptor "
        "(databroker structure_from_descriptor); SQL variables have none (units only in the "
        "stream metadata's data_keys)"),
    "order:variables": (
        "variable order: SQL is a Python set's order (tiled CompositeClient.read intersects the "
        "requested columns as a set, BlueskyEventStreamV3._var_keys is a set), so it changes with "
        "PYTHONHASHSEED; Mongo follows the descriptor's data_keys order, time last"),
}
# Kinds that would make the same question give different data: never explained away.
VALUE_KINDS = ("run missing", "stream missing", "variable missing", "sha256", "shape", "read", "encoding",
               "units", "data_keys", "scan_id", "plan_name", "streams")


def load(path: str):
    runs, streams = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["kind"] == "run":
                runs[(r["catalog"], r["uid"])] = r
            elif r["kind"] == "stream":
                streams[(r["catalog"], r["uid"], r["stream"])] = r
    return runs, streams


def _dims_kind(sql_dims: list, mongo_dims: list) -> str:
    if any(re.fullmatch(r"dim_int_\d+", d) for d in sql_dims):
        return "dims:internal"
    if any(re.fullmatch(r".+_dim\d+", d) for d in sql_dims):
        return "dims:external"
    return "dims:other"


def _dtype_kind(field: str, a, b) -> str:
    if str(a).startswith("<U") and b in ("|O", "str", "object"):
        return f"{field}:text"
    return f"{field}:{a} vs {b}"


def differences(sql_path: str, mongo_path: str) -> list[dict]:
    """One dict per difference: catalog, uid, stream, variable, kind, sql, mongo."""
    runs_s, streams_s = load(sql_path)
    runs_m, streams_m = load(mongo_path)
    out: list[dict] = []

    def add(key, variable, kind, a, b):
        catalog, uid, *stream = key
        out.append({"catalog": catalog, "uid": uid, "stream": stream[0] if stream else None,
                    "variable": variable, "kind": kind, "sql": a, "mongo": b})

    for key in sorted(set(runs_s) | set(runs_m)):
        a, b = runs_s.get(key), runs_m.get(key)
        if a is None or b is None:
            add(key, None, "run missing", a is not None, b is not None)
            continue
        for field in ("scan_id", "plan_name", "streams"):
            if a[field] != b[field]:
                add(key, None, field, a[field], b[field])
    for key in sorted(set(streams_s) | set(streams_m)):
        a, b = streams_s.get(key), streams_m.get(key)
        if a is None or b is None:
            add(key, None, "stream missing", a is not None, b is not None)
            continue
        if a["read"] != b["read"]:
            add(key, None, "read", a["error"] or a["read"], b["error"] or b["read"])
        if a["data_keys"] != b["data_keys"]:
            add(key, None, "data_keys", a["data_keys"], b["data_keys"])
        if (a.get("attrs") or {}) != (b.get("attrs") or {}):
            add(key, None, "attrs:dataset", a.get("attrs"), b.get("attrs"))
        va = {v["name"]: v for v in a["variables"]}
        vb = {v["name"]: v for v in b["variables"]}
        if a.get("variable_order") and b.get("variable_order") and a["variable_order"] != b["variable_order"]:
            add(key, None, "order:variables", a["variable_order"], b["variable_order"])
        for name in sorted(set(va) | set(vb)):
            x, y = va.get(name), vb.get(name)
            if x is None or y is None:
                add(key, name, "variable missing", x is not None, y is not None)
                continue
            for field in ("sha256", "shape", "encoding", "units"):
                if x[field] != y[field]:
                    add(key, name, field, x[field], y[field])
            for field in ("dtype", "xarray_dtype"):
                if x[field] != y[field]:
                    add(key, name, _dtype_kind(field, x[field], y[field]), x[field], y[field])
            if x["dims"] != y["dims"]:
                add(key, name, _dims_kind(x["dims"] or [], y["dims"] or []), x["dims"], y["dims"])
            if (x.get("attrs") or {}) != (y.get("attrs") or {}):
                add(key, name, "attrs:variable", x.get("attrs"), y.get("attrs"))
    return out


def table(diffs: list[dict]) -> list[dict]:
    """Counts per (catalog, stream, kind), with the streams and variables concerned and an example."""
    groups: dict[tuple, dict] = {}
    streams: dict[tuple, set] = defaultdict(set)
    for d in diffs:
        g = (d["catalog"], d["stream"], d["kind"])
        row = groups.setdefault(g, {"catalog": d["catalog"], "stream": d["stream"], "kind": d["kind"],
                                    "count": 0, "streams": 0, "variables": Counter(), "example": d})
        row["count"] += 1
        streams[g].add(d["uid"])
        if d["variable"]:
            row["variables"][d["variable"]] += 1
    for g, row in groups.items():
        row["streams"] = len(streams[g])
        row["variables"] = dict(row["variables"].most_common())
        row["cause"] = CAUSES.get(row["kind"], "UNEXPLAINED")
    return sorted(groups.values(), key=lambda r: (r["catalog"], r["stream"] or "", r["kind"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sql", help="stream_digest output from the SQL replica")
    parser.add_argument("mongo", help="stream_digest output from the legacy (Mongo) replica")
    parser.add_argument("--out", help="write the grouped table (with examples) as JSON")
    args = parser.parse_args(argv)
    diffs = differences(args.sql, args.mongo)
    rows = table(diffs)
    print(f"{'catalog':12} {'stream':9} {'kind':20} {'diffs':>6} {'streams':>7}  variables")
    for r in rows:
        names = ", ".join(list(r["variables"])[:4]) + (" …" if len(r["variables"]) > 4 else "")
        print(f"{r['catalog']:12} {r['stream'] or '-':9} {r['kind'][:20]:20} {r['count']:6} {r['streams']:7}  {names}")
    print()
    for kind in sorted({r["kind"] for r in rows}):
        print(f"{kind}: {CAUSES.get(kind, 'UNEXPLAINED')}\n")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(rows, f, indent=1, ensure_ascii=False)
    bad = [r for r in rows if r["kind"] in VALUE_KINDS or r["cause"] == "UNEXPLAINED"]
    print(f"{len(diffs)} differences in {len(rows)} groups; "
          f"{len(bad)} groups change values or are unexplained")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
