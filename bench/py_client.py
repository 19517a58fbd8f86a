"""tiled's Python client doing what the library's bench drivers do, as a user would write it.

One case per process (bench.py starts one per repetition); the timed section excludes the
interpreter start-up, the imports and `from_uri` (the library's drivers likewise time after
`fromUri`). Prints one JSON line: seconds, bytes, count, maxRssBytes.

    python bench/py_client.py --url http://127.0.0.1:8123 --case array --path big/stack
    python bench/py_client.py --url … --case table --path big/primary/internal
    python bench/py_client.py --url … --case list-items --path runs --key start.plan_name --value scan
    python bench/py_client.py --url … --case list-keys  --path runs --key start.plan_name --value scan
    python bench/py_client.py --url … --case streams --path small --keys uid1,uid2,… --stream primary

Case `streams` (e) opens the catalog while connecting (the lib's driver does the same), then, timed,
`catalog[uid][stream].read()` for each uid: bluesky-tiled-plugins' BlueskyRunV3 and
BlueskyEventStreamV3 (registered with tiled's client for the specs), whose read() returns an
xarray.Dataset of the stream's data columns.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from procutil import peak_rss_bytes



def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--case", required=True, choices=["array", "table", "list-items", "list-keys", "streams", "idle"])
    parser.add_argument("--path")
    parser.add_argument("--key")
    parser.add_argument("--value")
    parser.add_argument("--keys")
    parser.add_argument("--stream", default="primary")
    args = parser.parse_args()

    from tiled.client import from_uri
    from tiled.queries import Eq

    connect0 = time.perf_counter()
    client = from_uri(args.url)
    catalog = client[args.path] if args.case == "streams" else None
    connect_seconds = time.perf_counter() - connect0
    out: dict = {}
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    if args.case == "array":
        array = client[args.path].read()
        seconds = time.perf_counter() - t0
        out = {"bytes": int(array.nbytes), "shape": list(array.shape), "dtype": str(array.dtype)}
    elif args.case == "table":
        frame = client[args.path].read()
        seconds = time.perf_counter() - t0
        out = {"bytes": int(frame.memory_usage(index=False, deep=False).sum()), "rows": len(frame), "columns": len(frame.columns)}
    elif args.case in ("list-items", "list-keys"):
        results = client[args.path].search(Eq(args.key, args.value))
        listed = list(results.items()) if args.case == "list-items" else list(results.keys())
        seconds = time.perf_counter() - t0
        out = {"bytes": 0, "count": len(listed)}
    elif args.case == "streams":
        per_read, rows, nbytes, columns = [], 0, 0, 0
        for key in args.keys.split(","):
            t1 = time.perf_counter()
            dataset = catalog[key][args.stream].read()
            per_read.append(time.perf_counter() - t1)
            rows += dataset.sizes.get("time", 0)
            columns = len(dataset.data_vars) + len(dataset.coords)
            nbytes += sum(v.nbytes for v in dataset.data_vars.values()) + sum(v.nbytes for v in dataset.coords.values())
        seconds = time.perf_counter() - t0
        out = {"bytes": nbytes, "reads": len(per_read), "rows": rows, "columns": columns, "perRead": per_read}
    else:
        seconds = 0.0
        out = {"bytes": 0}
    out["seconds"] = seconds
    out["cpuSeconds"] = time.process_time() - cpu0
    out["connectSeconds"] = connect_seconds
    out["maxRssBytes"] = peak_rss_bytes()
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
