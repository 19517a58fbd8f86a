"""Case (io): export and upload of a 1.07 GB array — the library vs tiled's Python client vs curl.

    python bench/bench.py --cases io [--io-reps N]      (after `bash bench/run.sh` compiled the drivers,
                                                       or `npx tsc -p bench/tsconfig.json`)

Data: float64, 128 x 1024 x 1024 (1,073,741,824 bytes), deterministic, written once to
var/bench/io/array.bin. Server: a writable replica of its own (`bin/replica start --writable` on a
free port with REPLICA_VAR=var/bench/io/replica: an empty catalog wiped at start, zarr storage),
stopped at the end (`bin/replica stop --writable`, by the PID it recorded).

Export (the array uploaded once, untimed, as io/source): the library's `node.export(file, {format:
"application/octet-stream"})`, which splits the array under tiled's 300 MB answer limit and streams
each answer into one temporary file renamed at the end; tiled's Python client `node.export(f,
slice=…)` for the same slices appended to one file (its export of the whole array is a 400); curl
sending exactly the requests the library sent (read back from the server's access log) one after
another into one file. The three files must equal array.bin (SHA-256).

Upload: the library's `container.writeArray(key, Float64Array, {shape})` (a POST, then 100 MB blocks
by `PUT /array/block`, two in flight); tiled's Python client `write_array` (its own ~100 MB blocks,
in parallel); curl sending the library's requests: the same POST body, then the same blocks (cut
from array.bin beforehand, untimed) with `-T`, two in flight. Each upload is deleted afterwards.

Each client runs in its own process; the timed section excludes start-up and loading the input.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from procutil import free_port

ROOT = Path(__file__).resolve().parent.parent
IO = ROOT / "var" / "bench" / "io"
BUILD = ROOT / "var" / "bench" / "build" / "bench"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
NODE = shutil.which("node") or "node"
CURL = shutil.which("curl") or "curl"
SHAPE = (128, 1024, 1024)
ITEMSIZE = 8
NBYTES = SHAPE[0] * SHAPE[1] * SHAPE[2] * ITEMSIZE
ROW = SHAPE[1] * SHAPE[2] * ITEMSIZE
# The library's plans (client/pieces.ts, client/write.ts): rows per export answer under 300 MB, per upload block under 100 MB.
EXPORT_ROWS = 300_000_000 // ROW
BLOCK_ROWS = 100_000_000 // ROW


def say(msg: str = "") -> None:
    print(msg, flush=True)



def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 24), b""):
            h.update(chunk)
    return h.hexdigest()


def make_array() -> Path:
    """array.bin: the float64 values i * 0.25 (mod 4096), written in 8 MB rows (numpy, never whole in memory)."""
    import numpy

    path = IO / "array.bin"
    if path.exists() and path.stat().st_size == NBYTES:
        return path
    IO.mkdir(parents=True, exist_ok=True)
    per_row = SHAPE[1] * SHAPE[2]
    with open(path, "wb") as f:
        for r in range(SHAPE[0]):
            ((numpy.arange(r * per_row, (r + 1) * per_row, dtype=numpy.float64) * 0.25) % 4096).astype("<f8").tofile(f)
    return path


def cut_blocks(source: Path) -> list[Path]:
    """array.bin cut into the library's upload blocks (contiguous runs of BLOCK_ROWS rows), for curl."""
    folder = IO / "blocks"
    folder.mkdir(exist_ok=True)
    out = []
    with open(source, "rb") as f:
        for i, start in enumerate(range(0, SHAPE[0], BLOCK_ROWS)):
            rows = min(BLOCK_ROWS, SHAPE[0] - start)
            path = folder / f"block-{i:03d}.bin"
            if not (path.exists() and path.stat().st_size == rows * ROW):
                f.seek(start * ROW)
                path.write_bytes(f.read(rows * ROW))
            out.append(path)
    return out


class WritableServer:
    """bin/replica start --writable on a free port, with a var folder of its own."""

    def __init__(self) -> None:
        self.var = IO / "replica"
        # BENCH_IO_PORT picks the port (on a shared machine, one's assigned range); else a free one.
        self.port = int(os.environ.get("BENCH_IO_PORT") or free_port())
        self.env = {**os.environ, "REPLICA_VAR": str(self.var)}
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        subprocess.run([str(ROOT / "bin" / "replica"), "start", "--writable", "--port", str(self.port)], env=self.env, check=True, capture_output=True, text=True)
        self.key = (self.var / "api-key").read_text().strip()

    def stop(self) -> None:
        subprocess.run([str(ROOT / "bin" / "replica"), "stop", "--writable"], env=self.env, capture_output=True, text=True)

    @property
    def log(self) -> Path:
        return self.var / "writable-server.log"


def run_json(cmd: list[str], env: dict) -> dict:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} … failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def curl(args: list[str], key: str) -> None:
    subprocess.run([CURL, "-sS", "--fail-with-body", "-H", f"Authorization: Apikey {key}", *args], check=True, capture_output=True)


def delete(server: WritableServer, path: str) -> None:
    curl(["-X", "DELETE", f"{server.url}/api/v1/metadata/{path}?recursive=true&external_only=false", "-o", "/dev/null"], server.key)


def lib_export_urls(server: WritableServer, since: int) -> list[str]:
    """The export requests the library just sent, as the server logged them (path and query, in order)."""
    text = server.log.read_bytes()[since:].decode("utf-8", "replace")
    return re.findall(r'"(?:\x1b\[1m)?GET (/api/v1/array/full/io/source\?[^ ]+) HTTP', text)


def run(reps: int = 1) -> dict:
    say("\n[bench] case io: export and upload of a 1.07 GB float64 array (128 x 1024 x 1024)")
    source = make_array()
    blocks = cut_blocks(source)
    expected = sha256(source)
    server = WritableServer()
    say(f"[bench] io: starting a writable tiled server on {server.url} (REPLICA_VAR={server.var.relative_to(ROOT)})")
    server.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILED_")}
    env.update({"BENCH_API_KEY": server.key, "TILED_TIMEOUT": "600", "NODE_NO_WARNINGS": "1"})
    samples: dict[str, list[dict]] = {f"{op}_{who}": [] for op in ("export", "upload") for who in ("lib", "python", "curl")}
    try:
        curl(["-X", "POST", "-H", "Content-Type: application/json", "--data", json.dumps({"id": "io", "structure_family": "container", "metadata": {}, "specs": [], "data_sources": []}), f"{server.url}/api/v1/metadata/", "-o", "/dev/null"], server.key)
        say("[bench] io: uploading the export source once (untimed), with the library")
        run_json([NODE, str(BUILD / "io_driver.js"), "--url", server.url, "--case", "upload", "--parent", "io", "--key", "source", "--input", str(source), "--shape", ",".join(map(str, SHAPE))], env)
        for rep in range(reps):
            # --- export ---
            out = {who: IO / f"export-{who}.bin" for who in ("lib", "python", "curl")}
            since = server.log.stat().st_size
            lib = run_json([NODE, str(BUILD / "io_driver.js"), "--url", server.url, "--case", "export", "--path", "io/source", "--out", str(out["lib"])], env)
            urls = lib_export_urls(server, since)
            if len(urls) != lib["requests"]:
                raise RuntimeError(f"found {len(urls)} export requests of the library in the server log, expected {lib['requests']}")
            samples["export_lib"].append(lib)
            samples["export_python"].append(run_json([PYTHON, str(ROOT / "bench" / "py_io.py"), "export", server.url, "io/source", str(out["python"]), str(EXPORT_ROWS)], env))
            t0 = time.perf_counter()
            with open(out["curl"], "wb") as f:
                for u in urls:
                    subprocess.run([CURL, "-sS", "--fail", "-H", "Accept: application/octet-stream", "-H", "Accept-Encoding: identity", f"{server.url}{u}"], stdout=f, check=True)
            samples["export_curl"].append({"seconds": time.perf_counter() - t0, "bytes": out["curl"].stat().st_size, "requests": len(urls)})
            for who, path in out.items():
                digest = sha256(path)
                if digest != expected:
                    raise RuntimeError(f"the {who} export differs from array.bin ({digest} != {expected})")
                path.unlink()
            say(f"[bench] io rep {rep + 1}: export  lib {samples['export_lib'][-1]['seconds']:.2f} s, python {samples['export_python'][-1]['seconds']:.2f} s, curl {samples['export_curl'][-1]['seconds']:.2f} s (files equal array.bin)")
            # --- upload ---
            samples["upload_lib"].append(run_json([NODE, str(BUILD / "io_driver.js"), "--url", server.url, "--case", "upload", "--parent", "io", "--key", f"lib{rep}", "--input", str(source), "--shape", ",".join(map(str, SHAPE))], env))
            delete(server, f"io/lib{rep}")
            samples["upload_python"].append(run_json([PYTHON, str(ROOT / "bench" / "py_io.py"), "upload", server.url, "io", f"py{rep}", str(source), ",".join(map(str, SHAPE))], env))
            delete(server, f"io/py{rep}")
            chunks = [[min(BLOCK_ROWS, SHAPE[0] - s) for s in range(0, SHAPE[0], BLOCK_ROWS)], [SHAPE[1]], [SHAPE[2]]]
            structure = {"data_type": {"endianness": "little", "kind": "f", "itemsize": 8, "dt_units": None}, "chunks": chunks, "shape": list(SHAPE), "dims": None, "resizable": False}
            body = {"id": f"curl{rep}", "structure_family": "array", "metadata": {}, "specs": [], "data_sources": [{"id": None, "structure_family": "array", "structure": structure, "mimetype": None, "parameters": {}, "properties": {}, "assets": [], "management": "writable"}], "access_tags": None}
            puts: list[str] = []
            for i, b in enumerate(blocks):
                puts += ["--next", "-sS", "--fail", "-H", f"Authorization: Apikey {server.key}", "-H", "Content-Type: application/octet-stream", "-T", str(b), "-o", "/dev/null", f"{server.url}/api/v1/array/block/io/curl{rep}?block={i},0,0"]
            t0 = time.perf_counter()
            curl(["-X", "POST", "-H", "Content-Type: application/json", "--data", json.dumps(body), f"{server.url}/api/v1/metadata/io", "-o", "/dev/null"], server.key)
            subprocess.run([CURL, "--parallel", "--parallel-max", "2", *puts[1:]], check=True, capture_output=True)
            samples["upload_curl"].append({"seconds": time.perf_counter() - t0, "bytes": NBYTES, "requests": 1 + len(blocks)})
            delete(server, f"io/curl{rep}")
            say(f"[bench] io rep {rep + 1}: upload  lib {samples['upload_lib'][-1]['seconds']:.2f} s, python {samples['upload_python'][-1]['seconds']:.2f} s, curl {samples['upload_curl'][-1]['seconds']:.2f} s")
    finally:
        server.stop()
        say("[bench] io: writable server stopped")
    return {"reps": reps, "bytes": NBYTES, "export_requests": samples["export_lib"][0]["requests"], "upload_blocks": len(blocks), "samples": samples}


def report_lines(case: dict) -> list[str]:
    """The side-by-side table: median seconds, MB/s, each client against curl, peak RSS."""
    mb = case["bytes"] / 1e6
    lines = ["", f"(io) a 1.07 GB float64 array, {case['reps']} repetition(s), medians; MB/s = {mb:.0f} MB / time",
             f"     export: {case['export_requests']} answers under tiled's 300 MB limit, into one file; upload: POST + {case['upload_blocks']} blocks of <= 100 MB",
             f"  {'':8} {'client':8} {'seconds':>8} {'MB/s':>7} {'vs curl':>8} {'peak RSS':>9}"]
    for op in ("export", "upload"):
        curl_s = statistics.median(s["seconds"] for s in case["samples"][f"{op}_curl"])
        for who in ("curl", "lib", "python"):
            xs = case["samples"][f"{op}_{who}"]
            t = statistics.median(s["seconds"] for s in xs)
            rss = max((s.get("maxRssBytes") or 0) for s in xs)
            lines.append(f"  {op:8} {who:8} {t:8.2f} {mb / t:7.0f} {curl_s / t:7.2f}x {(f'{rss / 1e6:.0f} MB' if rss else '-'):>9}")
    lines.append("  vs curl: curl's time / the client's (1.00x = as fast as curl; below 1, slower).")
    return lines


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    result = run(reps)
    print("\n".join(report_lines(result)))
