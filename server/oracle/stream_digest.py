"""Every stream of every run, read by tiled's Python client and digested: the oracle's answer.

    PYTHONPATH=server .venv/bin/python -m oracle.stream_digest --url http://127.0.0.1:8000 \\
        --out var/oracle/sql.jsonl [--catalog bdp2022] [--limit N] [--uid UID ...] [--workers 2]

Works on both layouts: the SQL replica (catalog spec CatalogOfBlueskyRuns 3.x, runs read as
bluesky-tiled-plugins' BlueskyRunV3) and the legacy Mongo replica (spec version 1, BlueskyRunV2Mongo).
Each stream is read as a Python user does, ``run[stream].read()`` (an xarray Dataset); when that
raises, each variable is read on its own with ``run[stream].read(variables=[key])`` and both
errors are kept. Nothing is dropped: a run or stream that fails is a record with its error.

Output: JSON lines, sorted (runs by catalog then uid, streams by name, variables by name), so two
files diff cleanly. The values' digests use the canonical encoding of ``oracle/canonical.py``
(format ``oracle-canonical/1``: numbers as float64 LE with one NaN pattern, text as u32-LE
length-prefixed UTF-8 with 0xFFFFFFFF for missing); read its docstring to reproduce them.

Records (``kind``):

``header``   format, url, layout ("sql" | "mongo", from the catalog spec), catalogs walked,
             package versions, options.
``run``      catalog, uid, scan_id, plan_name, streams (sorted names), error (listing failed).
``stream``   catalog, uid, stream,
             read: "dataset" (``read()`` worked) | "per-variable" (it raised; see error; the
                 variables were read one by one, each with its own error) | "failed" (the
                 stream could not be opened, or its keys not listed),
             error: the ``read()`` (or opening) error or null,
             data_keys_error: present only when the descriptors could not be read,
             data_keys: the descriptors' data_keys, per key {dtype, dtype_numpy, shape, units,
                 source} (later descriptors of the same stream fill in keys the first lacks),
             attrs: the Dataset's attrs (Mongo: {"stream_name": ...}; SQL: {}),
             variable_order: the Dataset's variable order as Python returned it (SQL: a set's
                 order, so it changes with PYTHONHASHSEED; Mongo: the descriptor's key order),
             variables: every variable of the Dataset ``read()`` returned: its data variables
                 (the data keys; on the Mongo layout only those the server serves) and its
                 coordinates (``time`` on both layouts), each
                 {name, role ("data_var" | "coord"), dims, dtype (numpy ``.values.dtype.str``),
                  xarray_dtype (``str(variable.dtype)``: ``str`` for a pandas string array),
                  shape, encoding ("numeric" | "text"), sha256, first (first 3 values),
                  units (data_keys' units or null), attrs (the variable's xarray attrs: on Mongo
                  databroker's {"object", "units_string"}; on SQL {}),
                  error (null, or why it has no digest)}.
``summary``  counts and seconds (the same numbers as printed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy

from . import canonical

CATALOGS = ("bdp2022", "20idb_usaxs")
CACHE_DIR = Path(__file__).resolve().parents[2] / "var" / "oracle"
_ERROR_CHARS = 600  # an error message is for reading, not a dump of the server's traceback


def error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= _ERROR_CHARS else text[:_ERROR_CHARS] + " …"


def layout_of(catalog_client) -> str:
    """"sql" for CatalogOfBlueskyRuns 3.x (tiled's SQL catalog), "mongo" otherwise (databroker)."""
    for spec in catalog_client.specs:
        if spec.name == "CatalogOfBlueskyRuns":
            return "sql" if (spec.version or "").startswith("3.") else "mongo"
    raise ValueError(f"{catalog_client.uri} is not a CatalogOfBlueskyRuns (specs {list(catalog_client.specs)})")


def json_safe(value):
    """attrs as JSON: numpy values become plain ones, non-finite floats the strings of first_values."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist"):
        return json_safe(value.tolist())
    return canonical.json_value(value)


def describe_variable(name: str, variable, role: str, units) -> dict:
    record = {"name": name, "role": role, "dims": list(variable.dims), "dtype": None,
              "xarray_dtype": str(variable.dtype), "shape": list(variable.shape), "encoding": None,
              "sha256": None, "first": None, "units": units, "attrs": json_safe(dict(variable.attrs)),
              "error": None}
    try:
        values = numpy.asarray(variable.values)
        record["dtype"] = values.dtype.str
        record["encoding"] = canonical.encoding_of(values)
        record["sha256"] = canonical.digest(values)
        record["first"] = canonical.first_values(values)
    except Exception as exc:  # noqa: BLE001 - an undigestable variable is a finding, not a crash
        record["error"] = error_text(exc)
    return record


def data_keys_of(stream) -> tuple[dict, str | None]:
    """Each data key's descriptor facts; the descriptors of one stream may be several."""
    keys: dict[str, dict] = {}
    try:
        descriptors = stream.descriptors
    except Exception as exc:  # noqa: BLE001
        return keys, error_text(exc)
    for descriptor in descriptors:
        for key, info in (descriptor.get("data_keys") or {}).items():
            keys.setdefault(key, {
                "dtype": info.get("dtype"), "dtype_numpy": info.get("dtype_numpy"),
                "shape": info.get("shape"), "units": info.get("units"), "source": info.get("source"),
            })
    return dict(sorted(keys.items())), None


def variable_keys(stream) -> list[str]:
    """The keys ``read()`` would ask for, to read them one by one after it failed."""
    if "data" in stream and hasattr(stream["data"], "read"):  # the Mongo layout: data/timestamps/config
        return sorted(stream["data"])
    # The SQL layout: BlueskyEventStreamV3 reads every key but seq_num and the ts_* timestamps.
    return sorted(k for k in stream if k != "seq_num" and not k.startswith("ts_"))


def digest_stream(catalog: str, uid: str, run, name: str) -> dict:
    record = {"kind": "stream", "catalog": catalog, "uid": uid, "stream": name, "read": "dataset",
              "error": None, "data_keys": {}, "attrs": None, "variable_order": None, "variables": []}
    try:
        stream = run[name]
    except Exception as exc:  # noqa: BLE001
        record.update(read="failed", error=error_text(exc))
        return record
    record["data_keys"], keys_error = data_keys_of(stream)
    if keys_error:
        record["data_keys_error"] = keys_error
    units = {k: v.get("units") for k, v in record["data_keys"].items()}
    variables: dict[str, dict] = {}
    try:
        dataset = stream.read()
        record["attrs"] = json_safe(dict(dataset.attrs))
        record["variable_order"] = list(dataset.variables)
        for var_name, variable in dataset.variables.items():
            role = "coord" if var_name in dataset.coords else "data_var"
            variables[var_name] = describe_variable(var_name, variable, role, units.get(var_name))
    except Exception as exc:  # noqa: BLE001
        record.update(read="per-variable", error=error_text(exc))
        try:
            keys = variable_keys(stream)
        except Exception as keys_exc:  # noqa: BLE001
            record["read"] = "failed"
            record["error"] += f"; listing its keys: {error_text(keys_exc)}"
            keys = []
        for key in keys:
            try:
                part = stream.read(variables=[key])
                for var_name, variable in part.variables.items():
                    if var_name not in variables:
                        role = "coord" if var_name in part.coords else "data_var"
                        variables[var_name] = describe_variable(var_name, variable, role, units.get(var_name))
            except Exception as var_exc:  # noqa: BLE001
                variables[key] = {"name": key, "role": None, "dims": None, "dtype": None,
                                  "xarray_dtype": None, "shape": None, "encoding": None,
                                  "sha256": None, "first": None, "units": units.get(key),
                                  "attrs": None, "error": error_text(var_exc)}
    record["variables"] = [variables[k] for k in sorted(variables)]
    return record


def digest_run(catalog: str, uid: str, run) -> list[dict]:
    start = run.metadata.get("start", {})
    record = {"kind": "run", "catalog": catalog, "uid": uid, "scan_id": start.get("scan_id"),
              "plan_name": start.get("plan_name"), "streams": [], "error": None}
    try:
        record["streams"] = sorted(run)
    except Exception as exc:  # noqa: BLE001
        record["error"] = error_text(exc)
        return [record]
    return [record] + [digest_stream(catalog, uid, run, name) for name in record["streams"]]


def walk(url: str, catalogs=CATALOGS, limit: int | None = None, uids=(), workers: int = 2,
         log=lambda msg: None) -> list[dict]:
    """Every record (header first, no summary) for the server at `url`."""
    from tiled.client import from_uri

    root = from_uri(url)
    layouts = {name: layout_of(root[name]) for name in catalogs}
    header = {"kind": "header", "format": canonical.FORMAT, "url": url,
              "layout": sorted(set(layouts.values()))[0] if len(set(layouts.values())) == 1 else layouts,
              "catalogs": list(catalogs), "limit": limit, "uids": sorted(uids) or None,
              "packages": {p: importlib_metadata.version(p) for p in
                           ("tiled", "bluesky-tiled-plugins", "numpy", "xarray", "pandas", "pyarrow")}}
    jobs = []
    for name in catalogs:
        node = root[name]
        if uids:
            found = [(u, node[u]) for u in uids if u in node]
        else:
            found = list(node.items()[:limit] if limit else node.items())
        log(f"{name}: {len(found)} runs")
        jobs.extend((name, uid, run) for uid, run in found)
    records: list[dict] = []
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for result in pool.map(lambda job: digest_run(*job), jobs):
            records.extend(result)
            done += 1
            if done % 50 == 0:
                log(f"  {done}/{len(jobs)} runs")
    order = {name: i for i, name in enumerate(catalogs)}
    records.sort(key=lambda r: (order[r["catalog"]], r["uid"], r["kind"] != "run", r.get("stream") or ""))
    return [header] + records


def summarize(records: list[dict], seconds: float) -> dict:
    summary = {"kind": "summary", "seconds": round(seconds, 1), "catalogs": {}}
    for r in records:
        if r["kind"] not in ("run", "stream"):
            continue
        c = summary["catalogs"].setdefault(r["catalog"], {
            "runs": 0, "run_errors": 0, "streams": 0, "streams_read_whole": 0,
            "streams_failed_whole_read": 0, "variables": 0, "variable_errors": 0,
            "failed_streams_by_name": {}})
        if r["kind"] == "run":
            c["runs"] += 1
            c["run_errors"] += r["error"] is not None
            continue
        c["streams"] += 1
        if r["read"] == "dataset":
            c["streams_read_whole"] += 1
        else:
            c["streams_failed_whole_read"] += 1
            by_name = c["failed_streams_by_name"]
            by_name[r["stream"]] = by_name.get(r["stream"], 0) + 1
        c["variables"] += len(r["variables"])
        c["variable_errors"] += sum(v["error"] is not None for v in r["variables"])
    return summary


def write_jsonl(path: str, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")


def cache_path(url: str, catalogs=CATALOGS, limit: int | None = None, uids=()) -> Path:
    """Where the walk of this server's catalogs is cached: keyed by the catalogs' stamps
    (generated.json: source hash and generation time), the layout, the options, and the code
    that digests (this file and canonical.py). Raises ValueError when the server does not serve
    the stamped catalogs (another replica, or regenerated since): a cache must not lie."""
    from tiled.client import from_uri

    from replica import config  # the stamps of the replica this worktree generated

    root = from_uri(url)
    stamps = {}
    for name in catalogs:
        stamp_file = config.stamp_path(name)
        if not stamp_file.exists():
            raise ValueError(f"no stamp {stamp_file}: cannot key a cache (run `bin/replica ensure`)")
        stamps[name] = json.loads(stamp_file.read_text())
        served = len(root[name])
        if served != stamps[name]["runs"]:
            raise ValueError(f"{url}/{name} serves {served} runs, the stamp {stamp_file} says "
                             f"{stamps[name]['runs']}: not this replica's catalogs; walk without --cache")
    layouts = sorted({layout_of(root[name]) for name in catalogs})
    code = b"".join((Path(__file__).parent / f).read_bytes() for f in ("stream_digest.py", "canonical.py"))
    key = hashlib.sha256(json.dumps({
        "format": canonical.FORMAT, "code": hashlib.sha256(code).hexdigest(), "stamps": stamps,
        "var": str(config.var_dir()), "layouts": layouts, "catalogs": list(catalogs),
        "limit": limit, "uids": sorted(uids)}, sort_keys=True).encode()).hexdigest()
    return CACHE_DIR / f"digest-{'-'.join(layouts)}-{key[:16]}.jsonl"


def read_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def cached_walk(url: str, catalogs=CATALOGS, limit: int | None = None, uids=(), workers: int = 2,
                log=lambda msg: None) -> tuple[list[dict], bool]:
    """The records with the summary last, from the cache when it holds this walk; else walked
    and cached. Returns (records, whether they came from the cache)."""
    path = cache_path(url, catalogs, limit, uids)
    if path.exists():
        log(f"cached: {path}")
        records = read_jsonl(path)
        records[0]["url"] = url  # the same catalogs, perhaps another port
        return records, True
    started = time.monotonic()
    records = walk(url, catalogs, limit, uids, workers, log)
    records.append(summarize(records, time.monotonic() - started))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    write_jsonl(partial, records)
    partial.replace(path)  # whole or absent: an interrupted walk never looks cached
    return records, False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the tiled server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", required=True, help="the JSON-lines file to write")
    parser.add_argument("--catalog", action="append", choices=CATALOGS,
                        help="walk only this catalog (repeatable; default both)")
    parser.add_argument("--limit", type=int, help="at most N runs per catalog (the catalog's order)")
    parser.add_argument("--uid", action="append", default=[], help="only this run (repeatable)")
    parser.add_argument("--workers", type=int, default=2, help="runs read at once (default 2)")
    parser.add_argument("--cache", action="store_true",
                        help=f"reuse (or save) the walk in {CACHE_DIR}, keyed by the catalogs' stamps")
    parser.add_argument("--debug", action="store_true", help="print the traceback of a failure")
    args = parser.parse_args(argv)
    started = time.monotonic()
    options = (args.url, tuple(args.catalog or CATALOGS), args.limit, tuple(args.uid), args.workers)
    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    try:
        if args.cache:
            records, hit = cached_walk(*options, log=log)
            summary = records[-1]
            if hit:
                print(f"from the cache (the walk took {summary['seconds']} s; "
                      f"read in {time.monotonic() - started:.1f} s)")
        else:
            records = walk(*options, log=log)
            summary = summarize(records, time.monotonic() - started)
            records.append(summary)
    except Exception as exc:  # noqa: BLE001 - one line that says what to check
        print(f"stream_digest: cannot walk {args.url}: {error_text(exc)} "
              f"(is the server running? `bin/replica status`)", file=sys.stderr)
        if args.debug:
            traceback.print_exc()
        return 1
    write_jsonl(args.out, records)
    for name, c in summary["catalogs"].items():
        print(f"{name}: {c['runs']} runs, {c['streams']} streams ({c['streams_failed_whole_read']} "
              f"failed read(): {c['failed_streams_by_name'] or 'none'}), {c['variables']} variables "
              f"({c['variable_errors']} without a digest), {c['run_errors']} runs failed to list")
    print(f"{summary['seconds']} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
