"""tiled's Python client exporting or uploading the large array of bench/io_case.py, one operation
per process; prints one JSON line (seconds of the timed section, bytes, peak RSS).

    .venv/bin/python bench/py_io.py export URL PATH OUT ROWS_PER_PIECE
    .venv/bin/python bench/py_io.py upload URL PARENT KEY INPUT 128,1024,1024
    BENCH_API_KEY=... (the server's key, from the environment)

Export: tiled refuses answers over 300 MB, so `node.export(file)` of the whole 1.07 GB array
fails (400); the Python client is given the same slices the TypeScript client sends, appended to
one open file (`export` takes a writable buffer). Upload: `write_array` as a user calls it (it
splits the array into ~100 MB blocks itself and sends them in parallel).
"""

from __future__ import annotations

import json
import os
import sys
import time
from procutil import peak_rss_bytes



def main(argv: list[str]) -> int:
    import numpy
    from tiled.client import from_uri

    op, url = argv[0], argv[1]
    client = from_uri(url, api_key=os.environ.get("BENCH_API_KEY") or None)
    if op == "export":
        path, out, rows = argv[2], argv[3], int(argv[4])
        node = client[path]
        n = node.shape[0]
        t0 = time.perf_counter()
        with open(out, "wb") as f:
            for start in range(0, n, rows):
                node.export(f, format="application/octet-stream", slice=(slice(start, min(n, start + rows)),))
        seconds = time.perf_counter() - t0
        nbytes = os.path.getsize(out)
    elif op == "upload":
        parent, key, source, shape = argv[2], argv[3], argv[4], tuple(int(x) for x in argv[5].split(","))
        data = numpy.fromfile(source, dtype="<f8").reshape(shape)
        node = client[parent]
        t0 = time.perf_counter()
        node.write_array(data, key=key)
        seconds = time.perf_counter() - t0
        nbytes = data.nbytes
    else:
        raise SystemExit(f"unknown operation {op}")
    print(json.dumps({"seconds": seconds, "bytes": nbytes, "maxRssBytes": peak_rss_bytes()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
