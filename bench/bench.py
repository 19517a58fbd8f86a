"""The benchmark: the library's reads against curl and tiled's Python client, side by side.

Run through `bash bench/run.sh` (which generates the data once and compiles the drivers first).
This script starts its own `tiled serve` on a free 127.0.0.1 port over var/bench/catalog.db,
times each case with several repetitions (one process per repetition, clients interleaved so
the machine's noise falls on all of them alike), prints medians, throughputs and ratios against
the targets, investigates any missed target, and stops the server by its PID at the end, also
on failure or Ctrl-C.

Cases (--cases, default all):
  a     (a) array   big/stack, uint16 128x2048x2048 (1.07 GB)      lib | curl | python (| curl into RAM, node's floor)
  b     (b) table   big/primary/internal, 1,000,000 rows (Arrow)   lib | curl | python (| curl into RAM, node's floor)
  c     (c) listing every run under runs/ with start.plan_name == "scan", page by page, on SQLite
              (items: key + metadata, and keys only)         lib | python (| curl, same pages); cursor vs offset paging
  cpg   (c) the same on the 100,000-run PostgreSQL catalog (a cluster under var/bench/pg and a second
              tiled server, both started here and stopped by PID)
  e     (e) 20 small TiledWriter runs, one after another: open the run, its primary stream, read it
  (d) peak RSS of each lib process against the bytes it read, and of idle node processes
  (live)    a run written by `bin/replica live` (TiledWriter, batch_size=1, >= 1000 events) into a
              replica-style /live catalog with a memory streaming cache; the lib (lib/live) and tiled's
              Python subscription follow it at the same time: latency from the event's table-append
              request to the subscriber having the row (median, p99), rows/s live and replayed

"curl" issues exactly the data requests the library issued (captured by a recording proxy in one
untimed pass), with the library's concurrency, writing to /dev/null; "curl keeping the bytes" does
the same into files in /dev/shm (RAM). It runs twice when they
differ: with the library's own request headers, and with none (`identity`, curl's default),
which is the limit the server sets.

  io        a 1.07 GB float64 array exported (to a file) and uploaded (writeArray) on a writable
              server of its own: lib | tiled's Python client | curl sending the same requests (bench/io_case.py)

  nb    a notebook's first cell under tslab (importing tiled-client) against the kernel's floor
              (a first cell importing only apache-arrow): bench/first_cell.py

Usage: python bench/bench.py [--reps N] [--diag-reps N] [--pg-reps N] [--cases a,b,c,cpg,e,live,io,auth,nb] [--live-events N] [--io-reps N]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proxy import RecordingProxy  # noqa: E402
import io_case  # noqa: E402
from procutil import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
BUILD = BENCH / "build" / "bench"
RUN_DIR = BENCH / "run"
LOG_DIR = BENCH / "logs"
RESULTS = BENCH / "results"
PYTHON = sys.executable
NODE = shutil.which("node") or "node"
CURL = shutil.which("curl") or "curl"
MB = 1e6

# --------------------------------------------------------------------------------------------
# small helpers


def say(msg: str = "") -> None:
    print(msg, flush=True)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def fmt_s(xs: list[float]) -> str:
    if not xs:
        return "-"
    if len(xs) == 1:
        return f"{xs[0]:.3f}"
    return f"{median(xs):.3f} [{min(xs):.2f}-{max(xs):.2f}]"


def fmt_bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n:.0f} B"


def command_output(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError as err:
        return f"unavailable ({err})"



def run_json(cmd: list[str], env: dict | None = None, timeout: float = 900) -> dict:
    """Run a driver; its last stdout line is a JSON object. stderr goes to the run log."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    with open(LOG_DIR / "drivers.log", "a") as log:
        log.write(f"$ {' '.join(cmd)}\n{proc.stderr}")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{' '.join(cmd[:4])}… printed no result:\n{proc.stdout[-1000:]}")
    return json.loads(lines[-1])


# --------------------------------------------------------------------------------------------
# the server


def stop_process(proc: subprocess.Popen | None) -> None:
    """SIGTERM to a server this script started (by its PID), SIGKILL if it has not ended in 15 s."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class BenchServer:
    """`tiled serve catalog <database>` with anonymous reads, on a free 127.0.0.1 port.

    The SQLite one serves var/bench/catalog.db (its files under data/, its TiledWriter tables in
    tabular.db); the PostgreSQL one serves the 100,000-run catalog in the cluster under pg/."""

    def __init__(self, database: str, read: list[str] = (), name: str = "server") -> None:
        self.database = database
        self.read = list(read)
        self.name = name
        self.PID_FILE = BENCH / f"{name}.pid"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = LOG_DIR / f"{name}.log"

    def _stale(self) -> None:
        """A server this script started in an earlier run that was killed hard: stop it by its PID."""
        if not self.PID_FILE.exists():
            return
        try:
            pid = int(self.PID_FILE.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (ValueError, OSError):
            self.PID_FILE.unlink(missing_ok=True)
            return
        ours = str(BENCH / "catalog.db") if self.database.endswith("catalog.db") else "postgresql://"
        if "tiled" in cmdline and ours in cmdline:
            say(f"[bench] stopping a benchmark server left over from an earlier run (pid {pid})")
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.1)
        self.PID_FILE.unlink(missing_ok=True)

    def start(self) -> None:
        self._stale()
        tiled = Path(PYTHON).parent / "tiled"
        cmd = [str(tiled), "serve", "catalog", self.database]
        for location in self.read:
            cmd += ["-r", location]
        cmd += [
            "--public", "--host", "127.0.0.1", "--port", str(self.port),
            # Writes need the key; nobody writes. A fixed random key keeps the log free of it.
            "--api-key", os.urandom(16).hex(),
        ]
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
        self.PID_FILE.write_text(f"{self.proc.pid}\n")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tiled serve exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/", timeout=2) as r:
                    self.about = json.load(r)
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"tiled serve did not answer /api/v1/ within 90 s; see {self.log_path}")

    def stop(self) -> None:
        stop_process(self.proc)
        self.PID_FILE.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# the clients


class Clients:
    def __init__(self, server: BenchServer, manifest: dict):
        self.server = server
        self.manifest = manifest
        # Generous timeouts: a noisy machine must not turn a slow read into a failed benchmark.
        self.node_env = {k: v for k, v in os.environ.items() if not k.startswith("TILED_")}
        self.node_env.update({"TILED_TIMEOUT": "600", "NODE_NO_WARNINGS": "1"})

    def lib(self, args: list[str], url: str | None = None) -> dict:
        return run_json([NODE, str(BUILD / "lib_driver.js"), "--url", url or self.server.url, *args], env=self.node_env)

    def python(self, args: list[str], url: str | None = None) -> dict:
        env = {**os.environ, "TILED_CACHE_DIR": str(BENCH / "py-cache")}
        return run_json([PYTHON, str(ROOT / "bench" / "py_client.py"), "--url", url or self.server.url, *args], env=env)

    def node_raw(self, requests_file: Path, mode: str, concurrency: int) -> dict:
        return run_json(
            [NODE, str(BUILD / "node_raw.js"), "--requests", str(requests_file), "--mode", mode, "--concurrency", str(concurrency)],
            env=self.node_env,
        )

    def node_idle(self) -> dict:
        out = subprocess.run(
            # VmHWM, the process's own peak (getrusage's maxRSS starts at this Python process's).
            [NODE, "-e", "process.stdout.write(String(Number(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]) * 1024))"],
            capture_output=True, text=True, check=True,
        ).stdout
        return {"seconds": 0.0, "bytes": 0, "maxRssBytes": int(out)}

    def curl(self, requests: list[dict], headers: dict | None, concurrency: int, tag: str, keep: bool = False, per_request: bool = False) -> dict:
        """The given requests, `concurrency` at a time (curl --parallel), bodies to /dev/null, or
        with `keep` into files in /dev/shm (tmpfs: RAM), deleted after the timed section.
        `headers` go with every request; None sends each request's own `headers`.
        Also collects each response's Server-Timing (the server's own account of its time)."""
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        config = RUN_DIR / f"curl-{tag}.cfg"
        outputs = [Path(f"/dev/shm/tiled-bench-{os.getpid()}-{tag}-{i}.bin") if keep else Path("/dev/null") for i in range(len(requests))]
        with open(config, "w") as f:
            for i, req in enumerate(requests):
                if i:
                    f.write("next\n")
                f.write(f'url = "{req["url"]}"\noutput = "{outputs[i]}"\ngloboff\nfail\n')
                # One line per transfer: size, then the response's Server-Timing and Content-Encoding.
                f.write('write-out = "%{size_download}\\t%header{server-timing}\\t%header{content-encoding}\\n"\n')
                for name, value in (headers if headers is not None else req.get("headers", {})).items():
                    f.write(f'header = "{name}: {value}"\n')
        cmd = [CURL, "-s", "-S", "-K", str(config)]
        if concurrency > 1:
            cmd += ["--parallel", "--parallel-max", str(concurrency)]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        if keep:
            for out in outputs:
                out.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise RuntimeError(f"curl failed ({proc.returncode}): {proc.stderr[-500:]}")
        sizes = []
        timing: dict[str, float] = {}
        app_each: list[float] = []
        encodings = set()
        for line in proc.stdout.splitlines():
            size, server_timing, encoding = (line.split("\t") + ["", ""])[:3]
            sizes.append(int(size))
            app_each.append(0.0)
            for part in server_timing.split(","):
                m = re.match(r"\s*(\w+);dur=([\d.]+)", part)
                if m:
                    timing[m.group(1)] = timing.get(m.group(1), 0.0) + float(m.group(2)) / 1000
                    if m.group(1) == "app":
                        app_each[-1] = float(m.group(2)) / 1000
            if encoding.strip():
                encodings.add(encoding.strip())
        extra = {"appEach": app_each} if per_request else {}
        return {
            **extra,
            "seconds": seconds,
            "cpuSeconds": cpu,
            "bytes": sum(sizes),
            "server": timing,
            "encoding": ",".join(sorted(encodings)) or "identity",
            "requests": len(requests),
        }


# --------------------------------------------------------------------------------------------
# capturing what the library asks for


def capture_lib_requests(clients: Clients, lib_args: list[str], route: str, who: str = "lib", server: "BenchServer | None" = None,
                         mixed_headers: bool = False) -> dict:
    """One untimed pass of the lib (or the Python client) through the recording proxy: its
    requests on `route`, their headers and its concurrency. With `mixed_headers` each request
    keeps its own Accept (case e reads JSON and Arrow); otherwise they must all be alike."""
    server = server or clients.server
    with RecordingProxy(server.port) as proxy:
        run = clients.lib if who == "lib" else clients.python
        result = run(lib_args, url=f"http://127.0.0.1:{proxy.port}")
        recorded = list(proxy.requests)
        peak = proxy.concurrency(route)
        connections = len({r["conn"] for r in recorded})
    data = [r for r in recorded if r["target"].startswith(route)]
    if not data:
        raise RuntimeError(f"the {who} made no request on {route}: {[r['target'] for r in recorded]}")
    keep = ("accept", "accept-encoding")
    headers = {k: v for k, v in data[0]["headers"].items() if k in keep}
    for r in data:
        if {k: v for k, v in r["headers"].items() if k in keep} != headers and not mixed_headers:
            raise RuntimeError(f"the {who}'s data requests differ in their headers; the curl replay assumes they do not")
    return {
        "requests": [{"url": f"{server.url}{r['target']}", "headers": {k: v for k, v in r["headers"].items() if k in keep}} for r in data],
        "headers": headers,
        "concurrency": peak,
        "connections": connections,
        "all_requests": [r["target"] for r in recorded],
        "result": result,
    }


# --------------------------------------------------------------------------------------------
# the cases


# The rows of a data case, in the order printed: key -> label. {alt} is the other concurrency
# (2 when the lib reads one piece at a time, else 1).
DATA_ROWS = [
    ("lib", "lib"),
    ("curl", "curl: lib's {nreq} request(s), {conc} at a time, identity, to /dev/null"),
    ("python", "python tiled client .read()"),
    ("curl_shm", "curl keeping the bytes: same requests into /dev/shm (RAM)"),
    ("node_net_direct", "diag: raw socket, reads land in the result (node's floor)"),
    ("lib_fetch", "diag: lib with bulkReader \"fetch\" (node-fetch)"),
    ("curl_lib_headers", "diag: curl, same + lib's Accept-Encoding ({enc})"),
    ("lib_identity", "diag: lib with Accept-Encoding forced to identity"),
    ("curl_alt", "diag: curl, lib's requests {alt} at a time, to /dev/null"),
    ("curl_shm_alt", "diag: curl into /dev/shm, {alt} at a time"),
    ("node_net_direct_alt", "diag: raw socket into the result, {alt} at a time"),
    ("node_discard", "diag: node:http, same URLs, identity, bytes dropped"),
    ("node_net_into", "diag: raw socket via 1 MiB scratch, copied into 1 buffer"),
    ("node_stream", "diag: node-fetch, for-await into 1 buffer"),
    ("node_fetch", "diag: node-fetch arrayBuffer()"),
    ("node_arrow", "diag: node-fetch into 1 buffer + tableFromIPC"),
    ("node_net_direct_arrow", "diag: raw socket into the result + tableFromIPC"),
]


def time_data_case(clients: Clients, name: str, lib_args: list[str], py_args: list[str], route: str, reps: int, diag_reps: int, arrow: bool,
                   parallel_info: bool = False, bulk_reader: bool = False) -> dict:
    say(f"\n[bench] {name}: capturing the lib's requests (one untimed pass through a recording proxy)")
    cap = capture_lib_requests(clients, lib_args, route)
    requests, headers, conc = cap["requests"], cap["headers"], cap["concurrency"]
    lib_encoding = headers.get("accept-encoding", "(none)")
    say(f"[bench]   {len(requests)} data request(s), concurrency {conc}, Accept-Encoding: {lib_encoding}; "
        f"{len(cap['all_requests'])} requests in all over {cap['connections']} TCP connection(s)")
    for r in requests[:6]:
        say(f"[bench]     GET {r['url'].split('/api/v1', 1)[1]}")
    identity_headers = {k: v for k, v in headers.items() if k != "accept-encoding"}
    identity_headers["accept-encoding"] = "identity"
    # The node diagnostics read the lib's URLs uncompressed: node's own floor for these requests.
    req_file = RUN_DIR / f"{name}.requests.json"
    req_file.write_text(json.dumps([{**r, "headers": identity_headers} for r in requests], indent=1))
    same_is_identity = headers.get("accept-encoding", "identity") in ("identity", "")
    alt = 2 if conc == 1 else 1

    # Warm the page cache and the server (not timed).
    clients.curl(requests, identity_headers, conc, f"{name}-warm")

    samples: dict[str, list[dict]] = {k: [] for k, _ in DATA_ROWS}
    for rep in range(reps):
        say(f"[bench]   rep {rep + 1}/{reps}")
        # The measured clients, every repetition, and the two references for a client that keeps
        # the bytes (curl into RAM, node's floor): the targets' verdicts rest on them.
        samples["lib"].append(clients.lib(lib_args))
        samples["curl"].append(clients.curl(requests, identity_headers, conc, name))
        samples["python"].append(clients.python(py_args))
        samples["curl_shm"].append(clients.curl(requests, identity_headers, conc, f"{name}-shm", keep=True))
        samples["node_net_direct"].append(clients.node_raw(req_file, "net-direct", conc))
        if rep >= diag_reps:
            continue
        # Diagnostics, the first diag_reps repetitions: where does the lib's time go?
        if bulk_reader:
            samples["lib_fetch"].append(clients.lib([*lib_args, "--bulk-reader", "fetch"]))
        if not same_is_identity:
            samples["curl_lib_headers"].append(clients.curl(requests, headers, conc, f"{name}-libhdr"))
            samples["lib_identity"].append(clients.lib([*lib_args, "--force-identity"]))
        if parallel_info and len(requests) > 1:
            # Would another number of pieces in flight help? curl, curl into RAM, and node's floor.
            samples["curl_alt"].append(clients.curl(requests, identity_headers, alt, f"{name}-alt"))
            samples["curl_shm_alt"].append(clients.curl(requests, identity_headers, alt, f"{name}-shm-alt", keep=True))
            samples["node_net_direct_alt"].append(clients.node_raw(req_file, "net-direct", alt))
        # arrayBuffer() is how node-fetch receives a body of unknown size: only for tables.
        for mode in ("discard", "net-into", "stream") + (("fetch", "arrow", "net-direct-arrow") if arrow else ()):
            key = "node_" + mode.replace("-", "_")
            samples[key].append(clients.node_raw(req_file, mode, conc))
    return {"capture": {k: v for k, v in cap.items() if k != "requests"}, "samples": samples, "payload_bytes": samples["curl"][0]["bytes"],
            "requests": requests, "alt_concurrency": alt}


def time_list_case(clients: Clients, name: str, lib_args: list[str], py_args: list[str], route: str, reps: int, curl_reps: int,
                   identity_reps: int, server: "BenchServer | None" = None) -> dict:
    """The lib and Python each listing every match (`reps` times, interleaved); curl replaying
    each one's captured pages in sequence (the first `curl_reps` repetitions); with compression
    negotiated, curl and the lib with identity (the first `identity_reps`). The capture passes
    warm the server and the database's cache before anything is timed."""
    server = server or clients.server
    say(f"\n[bench] {name}: capturing the lib's requests (one untimed pass through a recording proxy)")
    cap = capture_lib_requests(clients, lib_args, route, server=server)
    requests, headers = cap["requests"], cap["headers"]
    say(f"[bench]   {len(requests)} page request(s), Accept: {headers.get('accept')}, Accept-Encoding: {headers.get('accept-encoding', '(none)')}")
    for r in requests[:2]:
        say(f"[bench]     GET {r['url'].split('/api/v1', 1)[1]}")
    identity_headers = {**{k: v for k, v in headers.items() if k != "accept-encoding"}, "accept-encoding": "identity"}
    compressed = headers.get("accept-encoding", "identity") not in ("identity", "")
    # Python's own pages too, to compare what each client's requests cost the server.
    py_cap = capture_lib_requests(clients, py_args, route, who="python", server=server)
    say(f"[bench]   python: {len(py_cap['requests'])} page request(s), Accept: {py_cap['headers'].get('accept')}, "
        f"Accept-Encoding: {py_cap['headers'].get('accept-encoding', '(none)')}")
    samples: dict[str, list[dict]] = {"lib": [], "python": [], "curl_lib_headers": [], "curl_identity": [], "lib_identity": [], "curl_python": []}
    for rep in range(reps):
        say(f"[bench]   rep {rep + 1}/{reps}")
        samples["lib"].append(clients.lib(lib_args, url=server.url))
        samples["python"].append(clients.python(py_args, url=server.url))
        if rep < curl_reps:
            # The same pages, one after another (each cursor comes from the page before).
            samples["curl_lib_headers"].append(clients.curl(requests, headers, 1, name, per_request=True))
            samples["curl_python"].append(clients.curl(py_cap["requests"], py_cap["headers"], 1, f"{name}-py", per_request=True))
        if compressed and rep < identity_reps:
            samples["curl_identity"].append(clients.curl(requests, identity_headers, 1, f"{name}-id"))
            samples["lib_identity"].append(clients.lib([*lib_args, "--force-identity"], url=server.url))
    return {"capture": {k: v for k, v in cap.items() if k != "requests"}, "python_capture": {k: v for k, v in py_cap.items() if k != "requests"},
            "samples": samples, "requests": requests, "python_requests": py_cap["requests"]}


def get_json(url: str, headers: dict) -> dict:
    hdrs = {**headers, "accept": "application/json", "accept-encoding": "identity"}
    with urllib.request.urlopen(urllib.request.Request(url, headers=hdrs), timeout=600) as r:
        return json.load(r)


# The fields of an items page without `structure` (tiled counts every child container's children
# for it) and without `count` (exact count of the matches): what a run listing needs to show runs.
LEAN_FIELDS = ("metadata", "specs", "structure_family", "sorting")
MAX_PAGE_LIMIT = 300  # tiled's largest page[limit]


def time_paging(clients: Clients, name: str, lib_requests: list[dict], reps: int, server: "BenchServer", big_pages: bool = True) -> dict:
    """Cursor paging against offset paging, over the same matches, with the lib's own parameters.

    tiled 0.2.20 (server/core.py construct_entries_response, catalog/adapter.py): under the default
    sort, `page[cursor]=<id of the last node read>` is `WHERE id > cursor ORDER BY id LIMIT n+1`, and
    `links.next` of every page is a cursor link. `page[offset]=k` is turned into a cursor first
    (cursor_for_offset: the same query with OFFSET k-1 LIMIT 1), so it also pays to skip k matches.
    Under an explicit sort there is no cursor: offset only, and `links.next` comes from the count.
    Both walks here take the lib's first page's parameters (filter, fields), so they differ only in
    the page parameters: the cursor walk is the chain of links.next, the offset walk page[offset] =
    0, n, 2n, …; curl fetches each list in sequence, and Server-Timing gives the server's own time."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    first = lib_requests[0]
    parts = urlsplit(first["url"])
    fixed = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("page[")]
    limit = int(dict(parse_qsl(parts.query)).get("page[limit]", "100"))
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    headers = first["headers"]

    def url(page: list[tuple[str, str]]) -> str:
        return f"{base}?{urlencode(page + fixed)}"


    # The cursor chain, and the keys both ways (untimed): the two walks must list the same matches.
    cursor_urls, cursor_keys = [url([("page[limit]", str(limit))])], []
    while True:
        page = get_json(cursor_urls[-1], headers)
        cursor_keys += [d["id"] for d in page["data"]]
        nxt = page["links"].get("next")
        if not nxt or not page["data"]:
            break
        cursor_urls.append(url([(k, v) for k, v in parse_qsl(urlsplit(nxt).query) if k.startswith("page[")]))
    offset_urls = [url([("page[offset]", str(k)), ("page[limit]", str(limit))]) for k in range(0, max(len(cursor_keys), 1), limit)]
    offset_keys = []
    for u in offset_urls:
        offset_keys += [d["id"] for d in get_json(u, headers)["data"]]
    same = cursor_keys == offset_keys
    say(f"[bench]   paging {name}: {len(cursor_keys)} matches, {len(cursor_urls)} cursor pages, {len(offset_urls)} offset pages; "
        f"same keys in the same order: {same}")
    reqs = {"cursor": [{"url": u} for u in cursor_urls], "offset": [{"url": u} for u in offset_urls]}
    # Items pages carry every field by default (the lib's and Python's items()). `structure` is the
    # costly one for containers: tiled counts each child run's own children for it. The same cursor
    # walk without it (nor the exact count) shows what a leaner items page would cost the server.
    if not any(k == "fields" for k, _ in fixed):
        lean = [("fields", f) for f in LEAN_FIELDS]
        reqs["cursor_lean"] = [
            {"url": url([(k, v) for k, v in parse_qsl(urlsplit(u).query) if k.startswith("page[")] + lean)} for u in cursor_urls
        ]
    if big_pages and limit != MAX_PAGE_LIMIT:
        # The same cursor walk with the server's largest page: a third of the requests.
        chain, u = [], url([("page[limit]", str(MAX_PAGE_LIMIT))])
        while u:
            chain.append({"url": u})
            page = get_json(u, headers)
            nxt = page["links"].get("next")
            u = url([(k, v) for k, v in parse_qsl(urlsplit(nxt).query) if k.startswith("page[")]) if nxt and page["data"] else None
        reqs["cursor_max"] = chain
    samples: dict[str, list[dict]] = {how: [] for how in reqs}
    for rep in range(reps):
        order = list(reqs) if rep % 2 == 0 else list(reversed(reqs))
        for how in order:
            samples[how].append(clients.curl(reqs[how], headers, 1, f"{name}-{how}", per_request=True))
    return {"samples": samples, "matches": len(cursor_keys), "same": same, "limit": limit, "fixed": [f"{k}={v}" for k, v in fixed],
            "pages": {how: len(r) for how, r in reqs.items()},
            "example": {"cursor": cursor_urls[1].split("/api/v1", 1)[1] if len(cursor_urls) > 1 else "",
                        "offset": offset_urls[1].split("/api/v1", 1)[1] if len(offset_urls) > 1 else ""}}


def time_streams_case(clients: Clients, manifest: dict, reps: int) -> dict:
    """Case (e): SMALL_RUNS runs, one after another: open the run, open its stream, read it."""
    small = manifest["small"]
    args = ["--case", "streams", "--path", small["path"], "--keys", ",".join(small["uids"]), "--stream", small["stream"]]
    say(f"\n[bench] e: capturing the lib's and python's requests (one untimed pass each through a recording proxy)")
    cap = capture_lib_requests(clients, args, "/api/v1/", mixed_headers=True)
    py_cap = capture_lib_requests(clients, args, "/api/v1/", who="python", mixed_headers=True)
    # Only what each does inside its timer: the requests after connecting (catalog included).
    def timed_part(c: dict) -> list[dict]:
        reqs = c["requests"]
        first = next(i for i, r in enumerate(reqs) if small["uids"][0] in r["url"])
        return reqs[first:]
    lib_reqs, py_reqs = timed_part(cap), timed_part(py_cap)
    say(f"[bench]   lib: {len(lib_reqs)} requests for {small['count']} reads; python: {len(py_reqs)}")
    for r in lib_reqs[: len(lib_reqs) // small["count"] + 1]:
        say(f"[bench]     lib GET {r['url'].split('/api/v1', 1)[1][:150]}")
    samples: dict[str, list[dict]] = {"lib": [], "python": [], "curl_lib": [], "curl_python": []}
    clients.python(args)  # warm-up
    for rep in range(reps):
        say(f"[bench]   rep {rep + 1}/{reps}")
        samples["lib"].append(clients.lib(args))
        samples["python"].append(clients.python(args))
        samples["curl_lib"].append(clients.curl(lib_reqs, None, 1, "e-lib", per_request=True))
        samples["curl_python"].append(clients.curl(py_reqs, None, 1, "e-py", per_request=True))
    return {"samples": samples, "lib_requests": lib_reqs, "python_requests": py_reqs,
            "capture": {k: v for k, v in cap.items() if k != "requests"}, "python_capture": {k: v for k, v in py_cap.items() if k != "requests"}}


# --------------------------------------------------------------------------------------------
# the report


class LiveServer:
    """A replica-style tiled server for case (live): only the /live catalog (server/replica/config.py's
    live_tree), a memory streaming cache, a write key; under var/bench/live, wiped each run."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.var = BENCH / "live"
        self.key = os.urandom(16).hex()
        self.proc: subprocess.Popen | None = None
        self.log_path = LOG_DIR / "live-server.log"
        self.env = {**os.environ, "REPLICA_VAR": str(self.var), "PYTHONPATH": str(ROOT / "server"),
                    "TILED_API_KEY": self.key, "REPLICA_SERVER_API_KEY": self.key}
        self.env.pop("REPLICA_STREAMING_CACHE", None)

    def start(self) -> None:
        shutil.rmtree(self.var, ignore_errors=True)
        self.var.mkdir(parents=True)
        code = (
            "import yaml; from replica import config; "
            "cfg = {'authentication': {'single_user_api_key': '${REPLICA_SERVER_API_KEY}', 'allow_anonymous_access': True}, "
            "'trees': [], 'uvicorn': {'host': config.HOST}}; config.add_live(cfg); "
            f"open({str(self.var / 'config.yml')!r}, 'w').write(yaml.safe_dump(cfg, sort_keys=False))"
        )
        subprocess.run([PYTHON, "-c", code], env=self.env, check=True)
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen([PYTHON, "-m", "replica.serve_app", str(self.var / "config.yml"), "--port", str(self.port)],
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.var, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the live server exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/metadata/live", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the live server did not answer within 90 s; see {self.log_path}")

    def stop(self) -> None:
        stop_process(self.proc)


def percentile(xs: list[float], q: float) -> float:
    ys = sorted(xs)
    return ys[min(len(ys) - 1, max(0, round(q * (len(ys) - 1))))]


def live_latencies(timing: Path, recv: Path) -> dict:
    """Per event: receive time minus the start of its table-append request (the server publishes
    the row while handling that request, before storing it, so its end is not a fair origin)."""
    starts = {}
    for line in timing.read_text().splitlines():
        r = json.loads(line)
        starts[r["seq_num"]] = (r["t_append_start"], r["t_append_end"])
    seen: dict[int, float] = {}
    dup = 0
    for line in recv.read_text().splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if r["seq_num"] in seen:
            dup += 1
        seen.setdefault(r["seq_num"], r["t"])
    lat = [(t - starts[s][0]) * 1000 for s, t in seen.items() if s in starts]
    before_return = sum(1 for s, t in seen.items() if s in starts and t <= starts[s][1])
    times = sorted(seen.values())
    return {
        "events": len(starts), "received": len(seen), "duplicates": dup,
        "in_order": [s for s, _ in sorted(seen.items(), key=lambda kv: kv[1])] == sorted(seen),
        "median_ms": statistics.median(lat) if lat else None, "p99_ms": percentile(lat, 0.99) if lat else None,
        "before_return": before_return,
        "rows_per_s": (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else None,
    }


def time_live_case(reps: int, events: int) -> dict:
    """Case (live): per repetition one run of `events` events, followed by both clients at once."""
    server = LiveServer()
    samples: dict[str, list[dict]] = {"lib": [], "python": []}
    say(f"[bench] (live) live: starting a /live server on {server.url} (memory streaming cache)")
    server.start()
    try:
        node_env = {k: v for k, v in os.environ.items() if not k.startswith("TILED_")}
        for rep in range(reps):
            tag = f"e{rep}"
            files = {who: (RUN_DIR / f"{tag}-{who}.ready", RUN_DIR / f"{tag}-{who}-recv.jsonl") for who in ("lib", "python")}
            for ready, out in files.values():
                ready.unlink(missing_ok=True)
            procs = {
                "lib": subprocess.Popen([NODE, str(BUILD / "live_driver.js"), "--url", server.url, "--ready", str(files["lib"][0]), "--out", str(files["lib"][1])],
                                        stdout=subprocess.PIPE, stderr=open(LOG_DIR / "drivers.log", "a"), text=True, env=node_env),
                "python": subprocess.Popen([PYTHON, str(ROOT / "bench" / "py_live.py"), "--url", server.url, "--ready", str(files["python"][0]), "--out", str(files["python"][1])],
                                           stdout=subprocess.PIPE, stderr=open(LOG_DIR / "drivers.log", "a"), text=True),
            }
            deadline = time.monotonic() + 60
            while not all(f[0].exists() for f in files.values()):
                if time.monotonic() > deadline or any(p.poll() is not None for p in procs.values()):
                    raise RuntimeError("a live subscriber did not get ready; see var/bench/logs/drivers.log")
                time.sleep(0.2)
            timing = RUN_DIR / f"{tag}-timing.jsonl"
            say(f"[bench] (live) rep {rep + 1}/{reps}: writing {events} events as fast as the server takes them")
            subprocess.run([PYTHON, "-m", "replica", "live", "--url", server.url, "--plan", "uascan", "--events", str(events),
                            "--rate", "0", "--timing-out", str(timing)], env=server.env, check=True, stdout=subprocess.DEVNULL)
            for who, proc in procs.items():
                out, _ = proc.communicate(timeout=300)
                if proc.returncode != 0:
                    raise RuntimeError(f"the {who} live subscriber failed ({proc.returncode}); see var/bench/logs/drivers.log")
                result = json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
                result.update(live_latencies(timing, files[who][1]))
                samples[who].append(result)
    finally:
        server.stop()
    return {"samples": samples, "events": events}


def live_report(R, case: dict, targets: list) -> None:
    R("")
    R(f"Live updates (live): {case['events']} events per run, written by bin/replica live (TiledWriter, batch_size=1) into a memory streaming cache;")
    R("  latency = the subscriber having the row (after decoding) minus the start of the event's table-append request (same host clock).")
    R("  The server publishes each row while handling that request, before storing it: 'before return' counts rows received before the request returned.")
    R("  rows/s live is bounded by the writer (~20 events/s here); replay rows/s is the subscriber reading a finished table from start=1 (what the")
    R("  memory cache still holds: 1000 messages for the whole server).")
    rows = []
    for who, label in (("lib", "lib (lib/live, ws + msgpack + Arrow)"), ("python", "python tiled.client.stream")):
        s = case["samples"][who]
        med = median([x["median_ms"] for x in s])
        p99 = median([x["p99_ms"] for x in s])
        rate = median([x["rows_per_s"] for x in s])
        replay = median([x["replayRows"] / x["replaySeconds"] for x in s if x["replaySeconds"]])
        rows.append([label, f"{med:.1f}", f"{p99:.1f}", f"{median([x['received'] for x in s]):.0f}/{case['events']}",
                     str(sum(x["duplicates"] for x in s)), "yes" if all(x["in_order"] for x in s) else "NO",
                     f"{median([x['before_return'] for x in s]):.0f}", f"{rate:.1f}", f"{median([x['replayRows'] for x in s]):.0f}",
                     f"{replay:.0f}", f"{median([x['replayCpuSeconds'] for x in s]):.2f}", str(len(s))])
        case.setdefault("summary", {})[who] = {"median_ms": med, "p99_ms": p99, "rows_per_s": rate, "replay_rows_per_s": replay}
    R.table(["client", "latency median ms", "p99 ms", "received", "dups", "in order", "before return", "rows/s live", "replayed rows",
             "replay rows/s", "replay CPU s", "n"], rows)
    lib, py = case["summary"]["lib"], case["summary"]["python"]
    targets.append(("(live) lib live latency lower than Python's (median and p99)", lib["median_ms"] < py["median_ms"] and lib["p99_ms"] < py["p99_ms"],
                    f"median {lib['median_ms']:.1f} vs {py['median_ms']:.1f} ms, p99 {lib['p99_ms']:.1f} vs {py['p99_ms']:.1f} ms"))
    targets.append(("(live) lib sustained rows/s higher than Python's (replay of a finished table)", lib["replay_rows_per_s"] > py["replay_rows_per_s"],
                    f"{lib['replay_rows_per_s']:.0f} vs {py['replay_rows_per_s']:.0f} rows/s (live: {lib['rows_per_s']:.1f} vs {py['rows_per_s']:.1f}, writer-bound)"))


def secs(samples: list[dict], key: str = "seconds") -> list[float]:
    return [s[key] for s in samples]


def query_difference(a: list[dict], b: list[dict]) -> tuple[set[str], set[str]]:
    """The query parameters (other than page[...]) that only a's page URLs carry, and only b's."""
    from urllib.parse import parse_qsl, urlsplit

    def params(reqs: list[dict]) -> set[str]:
        # Only the page requests (those with page[...] parameters): Python's one count request is not a page.
        out = set()
        for r in reqs:
            query = parse_qsl(urlsplit(r["url"]).query, keep_blank_values=True)
            if any(k.startswith("page[") for k, _ in query):
                out |= {f"{k}={v}" for k, v in query if not k.startswith("page[")}
        return out

    pa, pb = params(a), params(b)
    return pa - pb, pb - pa


def cpu_of(samples: list[dict]) -> str:
    values = [s["cpuSeconds"] for s in samples if "cpuSeconds" in s]
    return f"{median(values):.2f}" if values else "-"


def machine_info() -> dict:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory": fmt_bytes(mem).replace(" GB", " GB") + f" ({mem / 2**30:.1f} GiB)",
        "cpu": cpu,
        "kernel": platform.release(),
        "loadavg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def versions() -> dict:
    import tiled

    def npm_version(pkg: str) -> str:
        try:
            return json.loads((ROOT / "node_modules" / pkg / "package.json").read_text())["version"]
        except OSError:
            return "?"

    head = command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    lib_rev = command_output(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs", "--", "lib"])
    lib_dirty = command_output(["git", "-C", str(ROOT), "status", "--short", "--", "lib"])
    lib_rev = f"HEAD {head} (last lib commit {lib_rev})"
    return {
        "node": command_output([NODE, "--version"]),
        "python": platform.python_version(),
        "tiled": tiled.__version__,
        "curl": command_output([CURL, "--version"]).split("\n")[0].split(" (")[0],
        "apache-arrow (npm)": npm_version("apache-arrow"),
        "node-fetch": npm_version("node-fetch"),
        "lib": lib_rev + (f" + {len(lib_dirty.splitlines())} uncommitted file(s) in lib/" if lib_dirty else ", lib/ clean"),
    }


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        self.lines.append(line)
        say(line)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        self("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
        self("  ".join("-" * w for w in widths))
        for row in rows:
            self("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


TARGET_VS_CURL = 0.95


def keep_reference(case: dict) -> tuple[str, float]:
    """The fastest client measured here that keeps the bytes in memory (curl into /dev/shm, or
    node's raw socket reading into the result), by median time: (row key, seconds)."""
    s = case["samples"]
    cands = [(k, median(secs(s[k]))) for k in ("curl_shm", "node_net_direct", "curl_shm_alt", "node_net_direct_alt") if s.get(k)]
    return min(cands, key=lambda kv: kv[1]) if cands else ("", float("nan"))


def verdict_data(case: dict, arrow: bool) -> list[str]:
    """Where the time goes when lib < 0.95x curl, and a verdict: server-, copy- or parser-bound.

    Evidence: the server's own Server-Timing; curl to /dev/null (the most the server delivers) and
    curl keeping the same bytes in RAM (/dev/shm); node's floor (a raw socket whose reads land in
    the result, no copy in JavaScript); the lib with bulkReader "fetch"; the other concurrency; node
    reading the same URLs in other ways; for tables, the Arrow parse alone."""
    s = case["samples"]
    med = {k: median(secs(v)) for k, v in s.items() if v}
    t_lib, t_curl = med["lib"], med["curl"]
    alt = case.get("alt_concurrency", 2)
    out = []
    sid = {k: median([x["server"].get(k, 0.0) for x in s["curl"]]) for k in ("app", "read", "pack", "compress")}
    out.append(
        f"lib {t_lib:.2f} s vs curl to /dev/null {t_curl:.2f} s (gap {t_lib - t_curl:.2f} s). The server's Server-Timing for curl's "
        f"requests: app {sid['app']:.2f} s (read {sid['read']:.2f} s, pack {sid['pack']:.2f} s), so curl itself is "
        f"{min(1.0, sid['app'] / t_curl):.0%} server-bound."
    )
    encoding_cost = 0.0
    if "curl_lib_headers" in med:
        enc = s["curl_lib_headers"][0]["encoding"]
        comp = median([x["server"].get("compress", 0.0) for x in s["curl_lib_headers"]])
        out.append(
            f"curl replaying the lib's requests with its headers (Accept-Encoding: {case['capture']['headers'].get('accept-encoding')}): "
            f"{med['curl_lib_headers']:.2f} s. The server answers Content-Encoding {enc} and spends {comp:.2f} s compressing."
        )
    if "lib_identity" in med:
        encoding_cost = t_lib - med["lib_identity"]
        out.append(f"the lib with Accept-Encoding forced to identity: {med['lib_identity']:.2f} s ({t_curl / med['lib_identity']:.2f}x curl).")
    labels = dict(DATA_ROWS)
    for key in ("curl_shm", "node_net_direct", "lib_fetch", "curl_alt", "curl_shm_alt", "node_net_direct_alt", "node_discard", "node_net_into",
                "node_stream", "node_fetch", "node_arrow", "node_net_direct_arrow"):
        if key in med:
            out.append(f"{labels[key].replace('diag: ', '').format(alt=alt)}: {med[key]:.2f} s ({t_curl / med[key]:.2f}x curl)")
    for key in ("node_arrow", "node_net_direct_arrow"):
        if s.get(key):
            out.append(f"  tableFromIPC in '{labels[key].replace('diag: ', '')}': {median(secs(s[key], 'parseSeconds')):.3f} s")

    def cpu(key: str) -> float | None:
        values = [x["cpuSeconds"] for x in s.get(key, []) if "cpuSeconds" in x]
        return median(values) if values else None

    lookups = [x["lookupSeconds"] for x in s["lib"] if "lookupSeconds" in x]
    if lookups:
        out.append(f"the lib's time includes {median(lookups):.3f} s looking the node up (GET metadata) before its data requests; curl is given the URLs.")
    cpus = "; ".join(f"{what} {cpu(k):.2f} s" for k, what in (
        ("curl", "curl to /dev/null"), ("curl_shm", "curl into RAM"), ("lib", "the lib"), ("node_net_direct", "node's floor"),
        ("lib_fetch", "the lib with node-fetch"), ("node_discard", "node:http dropping the bytes")) if cpu(k) is not None)
    out.append(f"client CPU in the timed section: {cpus}.")

    if t_lib > t_curl and encoding_cost >= 0.5 * (t_lib - t_curl):
        out.append(
            f"VERDICT: SERVER-BOUND on the requests the lib sends: {encoding_cost:.2f} of the {t_lib - t_curl:.2f} s gap goes away when "
            "the lib asks for identity (tiled compresses on its one event-loop core)."
        )
        return out
    ref_key, t_keep = keep_reference(case)
    ref_label = labels[ref_key].replace("diag: ", "").format(alt=alt)
    keep_vs_curl = t_curl / t_keep
    lib_vs_keep = t_keep / t_lib
    if lib_vs_keep >= TARGET_VS_CURL:
        out.append(
            f"VERDICT: COPY-BOUND, and no client that keeps the bytes does better here. Keeping {fmt_bytes(case['payload_bytes'])} in RAM "
            f"costs what writing to /dev/null does not: fresh pages, filled by the kernel's copy from the socket, on 2 cores shared with "
            f"the server. The fastest client measured that keeps the bytes ({ref_label}) reaches {keep_vs_curl:.2f}x curl-to-/dev/null; "
            f"the lib reaches {lib_vs_keep:.2f}x of that client ({t_curl / t_lib:.2f}x curl). The server itself is busy "
            f"{sid['app']:.2f} s of curl's {t_curl:.2f} s."
        )
        if keep_vs_curl < TARGET_VS_CURL:
            out.append(f"  So {keep_vs_curl:.2f}x curl is this machine's bar for a client that keeps these bytes.")
        return out
    c_lib, c_floor = cpu("lib"), cpu("node_net_direct")
    if arrow and s.get("node_net_direct_arrow"):
        parse = median(secs(s["node_net_direct_arrow"], "parseSeconds"))
        if parse > 0.5 * (t_lib - t_keep):
            out.append(f"VERDICT: PARSER-BOUND: tableFromIPC takes {parse:.2f} s of the lib's {t_lib - t_keep:.2f} s over the fastest "
                       "client that keeps the bytes.")
            return out
    if c_lib is not None and c_floor is not None and c_lib - c_floor > 0.3 * (t_lib - t_keep):
        out.append(
            f"VERDICT: COPY-BOUND in the lib: it is at {lib_vs_keep:.2f}x the fastest client that keeps the bytes ({ref_label}, "
            f"{keep_vs_curl:.2f}x curl) and burns {c_lib - c_floor:.2f} s more CPU than node's floor for the same bytes: the lib's "
            "receive path does work that a raw socket reading into the result does not."
        )
    else:
        lib_wall_excess = t_lib - t_keep
        out.append(
            f"VERDICT: WAITING in the lib: it is at {lib_vs_keep:.2f}x the fastest client that keeps the bytes ({ref_label}, {keep_vs_curl:.2f}x curl) "
            f"with about node's floor's CPU ({c_lib:.2f} s vs {c_floor:.2f} s), so its extra {lib_wall_excess:.2f} s is time spent neither "
            "computing nor receiving: between or before its requests (see the concurrency rows above)."
        )
    if keep_vs_curl < TARGET_VS_CURL:
        out.append(
            f"  No client measured here that keeps the bytes reaches {TARGET_VS_CURL}x curl-to-/dev/null: the fastest is at {keep_vs_curl:.2f}x "
            f"({ref_label}); curl itself, writing the same bytes into RAM, is at {t_curl / med['curl_shm']:.2f}x. "
            f"So {keep_vs_curl:.2f}x is this machine's bar for a client that keeps {fmt_bytes(case['payload_bytes'])}; the lib is at {t_curl / t_lib:.2f}x."
        )
    return out


def list_verdict(title: str, case: dict, t: dict, paging: dict | None = None) -> list[str]:
    """Why the lib is not faster than Python at listing: the server's cost of each one's pages."""
    s = case["samples"]
    pages = len(case["requests"])
    t_curl = t["curl_lib_headers"]
    server = {k: median([x["server"].get(k, 0.0) for x in s["curl_lib_headers"]]) for k in ("app", "compress")}
    v = [f"{title}, lib {t['lib']:.2f} s vs python {t['python']:.2f} s:"]
    v.append(f"  curl fetching the lib's {pages} pages with its headers: {t_curl:.2f} s (the server's own app time {server.get('app', 0):.2f} s, "
             f"of it compressing {server.get('compress', 0):.2f} s).")
    if "lib_identity" in t:
        v.append(f"  the lib with Accept-Encoding forced to identity: {t['lib_identity']:.2f} s; curl, the same pages, identity: {t['curl_identity']:.2f} s.")
    v.append(f"  curl fetching python's {len(case['python_requests'])} pages with python's headers (msgpack): {t['curl_python']:.2f} s.")
    lib_only, py_only = query_difference(case["requests"], case["python_requests"])
    if lib_only or py_only:
        v.append(f"  the lib's page URLs differ from Python's in: only the lib sends {sorted(lib_only) or 'nothing'}; only Python sends {sorted(py_only) or 'nothing'}.")
    after = t["lib"] - t_curl
    if t_curl >= 0.8 * t["lib"]:
        v.append(f"  VERDICT: SERVER-BOUND: the lib waits on the server for {t_curl:.2f} of its {t['lib']:.2f} s and spends {max(after, 0):.2f} s "
                 f"after the bytes arrive. Python's pages cost the server {t['curl_python']:.2f} s.")
    else:
        v.append(f"  VERDICT: PARSER-BOUND: {after:.2f} s of the lib's {t['lib']:.2f} s is spent after the bytes arrive (JSON parse, zod validation, client objects).")
    if paging and paging["samples"].get("cursor_max"):
        big = median(secs(paging["samples"]["cursor_max"]))
        v.append(f"  What the lib could do: the same cursor walk with page[limit]={MAX_PAGE_LIMIT} takes curl {big:.2f} s over "
                 f"{paging['pages']['cursor_max']} pages (the paging table), against {t['curl_python']:.2f} s for Python's pages of 100.")
    if paging and paging["samples"].get("cursor_lean"):
        lean = median(secs(paging["samples"]["cursor_lean"]))
        v.append(f"  What the lib could do: the same cursor walk without `structure` and `count` takes curl {lean:.2f} s (the paging table).")
    return v


def paging_report(R, results: dict) -> None:
    rows = []
    winners = []
    for key, title in (("paging_c_keys", "SQLite 10k, keys"), ("paging_c", "SQLite 10k, items"),
                       ("paging_c_pg_keys", "PostgreSQL 100k, keys"), ("paging_c_pg", "PostgreSQL 100k, items")):
        if key not in results:
            continue
        p = results[key]
        med = {}
        for how in [h for h in ("cursor", "offset", "cursor_max", "cursor_lean") if p["samples"].get(h)]:
            smp = p["samples"][how]
            med[how] = median(secs(smp))
            app = median([x["server"].get("app", 0.0) for x in smp])
            each = [x["appEach"] for x in smp]
            n = len(each[0])
            tenth = max(1, n // 10)
            first = median([median(e[:tenth]) for e in each]) * 1000
            last = median([median(e[-tenth:]) for e in each]) * 1000
            label = {"cursor_lean": "cursor, fields=" + ",".join(LEAN_FIELDS), "cursor_max": f"cursor, page[limit]={MAX_PAGE_LIMIT}"}.get(how, how)
            rows.append([title if how == "cursor" else "", label, f"{p['pages'][how]}", fmt_s(secs(smp)), f"{app:.2f}", f"{first:.1f}", f"{last:.1f}",
                         f"{p['matches'] / med[how]:.0f}", "yes" if p["same"] else "NO", str(len(smp))])
        win = "cursor" if med["cursor"] < med["offset"] else "offset"
        lose = "offset" if win == "cursor" else "cursor"
        winners.append(f"  {title}: {win.upper()} wins, {med[lose] / med[win]:.2f}x faster ({med[win]:.2f} s vs {med[lose]:.2f} s for "
                       f"{p['matches']:,} matches, parameters {' '.join(p['fixed'])})")
        if "cursor_max" in med:
            winners.append(f"    and the cursor walk with page[limit]={MAX_PAGE_LIMIT}: {med['cursor_max']:.2f} s, {med['cursor'] / med['cursor_max']:.2f}x "
                           f"faster than with {p['limit']} per page")
        if "cursor_lean" in med:
            winners.append(f"    and the same cursor walk without structure and count: {med['cursor_lean']:.2f} s, {med['cursor'] / med['cursor_lean']:.2f}x "
                           "faster than with every field")
    if not rows:
        return
    R("")
    R("Paging: the same matches walked with page[cursor] (the chain of links.next) and with page[offset] = 0, n, 2n, ... (curl, in sequence,")
    R("  the lib's own filter and fields; 'server app' = the sum of Server-Timing app over the walk; 'first/last 10%' = the median app time")
    R("  of a page among the first and the last tenth of the walk: offset paging makes the server skip `offset` matches on every page)")
    R.table(["catalog, fields", "paging", "pages", "median s [min-max]", "server app s", "first 10% ms/page", "last 10% ms/page", "runs/s", "same keys", "n"], rows)
    for key in ("paging_c_pg_keys", "paging_c_keys"):
        if key in results:
            R(f"  e.g. next page, cursor: {results[key]['example']['cursor']}")
            R(f"                  offset: {results[key]['example']['offset']}")
            break
    R("Which paging wins:")
    for w in winners:
        R(w)


def streams_report(R, case: dict, targets: list, verdicts: list) -> None:
    s = case["samples"]
    rows = []
    t = {}
    for key, label in (("lib", "lib: catalog.get(uid) -> run.stream('primary') -> read()"), ("python", "python: catalog[uid]['primary'].read() (xarray)"),
                       ("curl_lib", "curl: the lib's requests in sequence"), ("curl_python", "curl: python's requests in sequence")):
        smp = s.get(key) or []
        if not smp:
            continue
        t[key] = median(secs(smp))
        nreq = len(case["lib_requests"] if key in ("lib", "curl_lib") else case["python_requests"])
        reads = s["lib"][0]["reads"]
        if "perRead" in smp[0]:
            per = [x for sample in smp for x in sample["perRead"]]
            first = median([sample["perRead"][0] for sample in smp])
            per_s = f"{median(per) * 1000:.0f} [{min(per) * 1000:.0f}-{max(per) * 1000:.0f}]"
            first_s = f"{first * 1000:.0f}"
        elif "appEach" in smp[0]:
            per_s = f"{t[key] / reads * 1000:.0f} (total / {reads})"
            first_s = ""
        else:
            per_s = first_s = ""
        app = median([x["server"].get("app", 0.0) for x in smp]) if "server" in smp[0] else None
        rows.append([label, fmt_s(secs(smp)), per_s, first_s, f"{nreq}", f"{app:.2f}" if app is not None else "",
                     f"{median(secs(smp, 'connectSeconds')):.2f}" if "connectSeconds" in smp[0] else "", cpu_of(smp), str(len(smp))])
    lib0 = s["lib"][0]
    R("")
    R(f"Stream reads (e): {lib0['reads']} small runs one after another ({lib0['rows'] // lib0['reads']} rows x {lib0['columns']} data columns each, "
      "TiledWriter's layout), first byte to data;")
    R("  'per read' = the median [min-max] over every read of every repetition; 'connect s' (not in the time) = from_uri + the catalog node.")
    R.table(["client", "total s [min-max]", "per read ms", "first read ms", "requests", "server app s", "connect s", "client CPU s", "n"], rows)
    # Where the server's time goes within one read: the median app time of each request of a read.
    for key, reqs_key in (("curl_lib", "lib_requests"), ("curl_python", "python_requests")):
        smp = s.get(key) or []
        reqs = case[reqs_key]
        per = len(reqs) // lib0["reads"]
        if not smp or "appEach" not in smp[0] or per * lib0["reads"] != len(reqs):
            continue
        uid = reqs[0]["url"].split("/api/v1/", 1)[1].split("?")[0].split("/")[2]
        parts = []
        for i in range(per):
            app = median([x["appEach"][j] for x in smp for j in range(i, len(reqs), per)]) * 1000
            route = reqs[i]["url"].split("/api/v1/", 1)[1].split("?")[0]
            route = route.split("/", 1)[0] + " …" + route.split(uid, 1)[1] if uid in route else route
            parts.append(f"{route or '/'} {app:.0f}")
        R(f"  server app per read, request by request (ms), {key.replace('curl_', '')}: " + ", ".join(parts))
    ok = t["lib"] < t["python"]
    targets.append((f"(e) {lib0['reads']} stream reads: lib faster than python (first byte to data)", ok,
                    f"{t['python'] / t['lib']:.2f}x python's speed ({t['lib'] / lib0['reads'] * 1000:.0f} vs {t['python'] / lib0['reads'] * 1000:.0f} ms per read)"))
    if not ok:
        verdicts.append(f"(e) stream reads, lib {t['lib']:.2f} s vs python {t['python']:.2f} s: curl replaying the lib's {len(case['lib_requests'])} requests "
                        f"takes {t.get('curl_lib', float('nan')):.2f} s, python's {len(case['python_requests'])} requests {t.get('curl_python', float('nan')):.2f} s.")


def report(results: dict, reps: int, manifest: dict, info: dict, vers: dict, gen_timings: dict, pg_manifest: dict | None = None) -> Report:
    R = Report()
    R("")
    R("=" * 100)
    R("tiled TypeScript client benchmark")
    R(f"machine: nproc {info['nproc']}, memory {info['memory']}, {info['cpu']}, kernel {info['kernel']}")
    R(f"load average (1/5/15 min) at start {info['loadavg_at_start']}, at end {info.get('loadavg_at_end', '?')}: the machine is shared; compare ratios, not absolute times")
    R("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    if "stack" not in manifest:
        R("data: (cases a-e not run: only the live case, which writes its own runs)")
    else:
        R(f"data: {manifest['stack']['shape']} {manifest['stack']['dtype']} ({fmt_bytes(manifest['stack']['nbytes'])}, one frame per HDF5 chunk); "
          f"table {manifest['table']['rows']:,} rows x {len(manifest['table']['columns'])} columns (Parquet); "
          f"SQLite: {manifest['runs']['count']:,} runs, filter start.plan_name == \"scan\" matches {manifest['runs']['expected_matches']:,}")
        if pg_manifest:
            R(f"      PostgreSQL: {pg_manifest['runs']['count']:,} runs, the same filter matches {pg_manifest['runs']['expected_matches']:,} "
              f"(database {fmt_bytes(pg_manifest.get('database_bytes', 0))})")
        if "small" in manifest:
            sm = manifest["small"]
            R(f"      (e): {sm['count']} runs under /{sm['path']} written by TiledWriter, stream {sm['stream']}: {sm['rows']} rows x {len(sm['columns'])} columns")
    R(f"generation (once, reused): SQLite and files {json.dumps(gen_timings)}")
    if pg_manifest:
        R(f"                           PostgreSQL {pg_manifest['runs']['count']:,} runs {json.dumps(pg_manifest.get('timings', {}))}")
    R(f"n = {reps} repetitions per client (one process each, clients interleaved); times are medians [min-max] in seconds; MB = 10^6 bytes")
    R("")

    targets: list[tuple[str, bool, str]] = []
    verdicts: list[str] = []
    notes: list[str] = []
    rows = []

    for key, title, arrow in (("a", f"(a) array {fmt_bytes(manifest['stack']['nbytes']) if 'stack' in manifest else ''}", False), ("b", "(b) table (Arrow)", True)):
        if key not in results:
            continue
        case = results[key]
        s = case["samples"]
        payload = case["payload_bytes"]
        t = {k: median(secs(v)) for k, v in s.items() if v}
        conc = case["capture"]["concurrency"]
        nreq = len(case["requests"])
        thr = {k: payload / v / MB for k, v in t.items()}
        enc = case["capture"]["headers"].get("accept-encoding", "none")
        ref_key, t_keep = keep_reference(case)
        first = True
        for row_key, label in DATA_ROWS:
            if not s.get(row_key):
                continue
            vs_curl = f"{t['curl'] / t['lib']:.2f}" if row_key == "lib" else ""
            vs_py = f"{t['python'] / t['lib']:.2f}" if row_key == "lib" else ""
            rows.append([
                title if first else "", label.format(nreq=nreq, conc=conc, enc=enc, alt=case.get("alt_concurrency", 2)), fmt_s(secs(s[row_key])),
                f"{thr[row_key]:.0f}", f"{t['curl'] / t[row_key]:.2f}", f"{t_keep / t[row_key]:.2f}", vs_curl, vs_py, cpu_of(s[row_key]), f"{len(s[row_key])}",
            ])
            first = False
        if case.get("bulk_reader_note"):
            rows.append(["", f"(lib with bulkReader \"fetch\": {case['bulk_reader_note']})", "", "", "", "", "", "", "", ""])
        ratio_curl = t["curl"] / t["lib"]
        ok_curl = ratio_curl >= TARGET_VS_CURL
        ok_py = t["lib"] < t["python"]
        targets.append((f"{title}: lib >= {TARGET_VS_CURL}x curl throughput", ok_curl,
                        f"{ratio_curl:.2f}x (and {t_keep / t['lib']:.2f}x the fastest client that keeps the bytes, which is at {t['curl'] / t_keep:.2f}x curl)"))
        targets.append((f"{title}: lib faster than python", ok_py, f"{t['python'] / t['lib']:.2f}x python's speed"))
        if not ok_curl:
            verdicts.append(f"{title}, lib at {ratio_curl:.2f}x curl:")
            verdicts += ["  " + v for v in verdict_data(case, arrow)]

    if rows:
        R("Throughput (MB/s = the identity-encoded response bytes curl downloads, divided by each client's median time)")
        R("  'x curl' = this row's throughput / curl's to /dev/null; 'x keep' = / the fastest client here that keeps the bytes in memory")
        R("  (curl into /dev/shm, or node's raw socket reading into the result); 'lib vs curl' and 'lib vs python' are the target ratios.")
        R("  Rows marked diag: are diagnostics for the investigation below, not clients under test.")
        R("  'client CPU s' = CPU time (user + system) of the client process in the timed section: less sensitive to a busy machine than wall time.")
        R.table(["case", "client", "median s [min-max]", "MB/s", "x curl", "x keep", "lib vs curl", "lib vs python", "client CPU s", "n"], rows)

    list_rows = []
    list_notes: list[str] = []
    for key, title in (("c", "(c) SQLite 10k, items"), ("c_keys", "(c) SQLite 10k, keys"), ("c_pg", "(c) PostgreSQL 100k, items"), ("c_pg_keys", "(c) PostgreSQL 100k, keys")):
        if key not in results:
            continue
        case = results[key]
        s = case["samples"]
        count = s["lib"][0]["count"]
        t = {k: median(secs(v)) for k, v in s.items() if v}
        pages = len(case["requests"])
        list_rows.append([title, "lib", fmt_s(secs(s["lib"])), f"{count / t['lib']:.0f}", f"{count}", f"{pages} x {s['lib'][0].get('pageSize')}", f"{median(secs(s['lib'], 'connectSeconds')):.3f}", cpu_of(s["lib"]), f"{len(s['lib'])}"])
        list_rows.append(["", "python tiled client", fmt_s(secs(s["python"])), f"{count / t['python']:.0f}", f"{s['python'][0]['count']}", "(default: 100)", f"{median(secs(s['python'], 'connectSeconds')):.3f}", cpu_of(s["python"]), f"{len(s['python'])}"])
        enc = case["capture"]["headers"].get("accept-encoding", "none")
        app = median([x["server"].get("app", 0.0) for x in s["curl_lib_headers"]])
        list_rows.append(["", f"curl, the lib's pages in sequence, its headers ({enc}); server app {app:.2f} s", fmt_s(secs(s["curl_lib_headers"])), f"{count / t['curl_lib_headers']:.0f}", "", f"{pages}", "", cpu_of(s["curl_lib_headers"]), f"{len(s['curl_lib_headers'])}"])
        pyenc = case["python_capture"]["headers"]
        app = median([x["server"].get("app", 0.0) for x in s["curl_python"]])
        list_rows.append(["", f"curl, python's pages in sequence, its headers ({pyenc.get('accept', '').split('/')[-1]}); server app {app:.2f} s",
                          fmt_s(secs(s["curl_python"])), f"{count / t['curl_python']:.0f}", "", f"{len(case['python_requests'])}", "", cpu_of(s["curl_python"]), f"{len(s['curl_python'])}"])
        if s["curl_identity"]:
            list_rows.append(["", "diag: curl, the same pages, identity", fmt_s(secs(s["curl_identity"])), f"{count / t['curl_identity']:.0f}", "", f"{pages}", "", cpu_of(s["curl_identity"]), f"{len(s['curl_identity'])}"])
        if s["lib_identity"]:
            list_rows.append(["", "diag: lib with Accept-Encoding forced to identity", fmt_s(secs(s["lib_identity"])), f"{count / t['lib_identity']:.0f}", f"{s['lib_identity'][0]['count']}", "", "", cpu_of(s["lib_identity"]), f"{len(s['lib_identity'])}"])
        extra = [i for i, r in enumerate(case["requests"]) if "page%5Boffset%5D" in r["url"] or "page[offset]" in r["url"]]
        if extra and s["curl_lib_headers"] and "appEach" in s["curl_lib_headers"][0]:
            app_extra = median([sum(x["appEach"][i] for i in extra) for x in s["curl_lib_headers"]])
            chain = len(case["requests"]) - len(extra)
            list_notes.append(f"{title}: the lib's {chain} cursor pages are followed by {len(extra)} page(s) with page[offset] "
                              f"({case['requests'][extra[0]]['url'].split('?')[1].split('&')[0].replace('%5B', '[').replace('%5D', ']')}), "
                              f"asked after a full page came with no next link; the server spends {app_extra * 1000:.0f} ms on it to return no runs.")
        ok = t["lib"] < t["python"]
        targets.append((f"{title}: lib faster than python", ok, f"{t['python'] / t['lib']:.2f}x python's speed"))
        if s["lib"][0]["count"] != s["python"][0]["count"] or s["lib"][0]["count"] != case.get("expected", s["lib"][0]["count"]):
            targets.append((f"{title}: lib and python list every match", False,
                            f"lib {s['lib'][0]['count']}, python {s['python'][0]['count']}, expected {case.get('expected')}"))
        if not ok:
            verdicts += list_verdict(title, case, t, results.get(f"paging_{key}"))
    if list_rows:
        R("")
        R("Listing through pagination (runs/s = matching runs / median time; 'connect s' = fromUri / from_uri, not in the time)")
        R.table(["case", "client", "median s [min-max]", "runs/s", "runs", "pages x size", "connect s", "client CPU s", "n"], list_rows)
        for n in list_notes:
            R("  " + n)
    paging_report(R, results)

    if "e" in results:
        streams_report(R, results["e"], targets, verdicts)

    # (d) memory
    mem_rows = []
    mem = results.get("memory", {})
    for label, sample in (("idle node (node -e)", mem.get("node_idle")), ("idle node + lib loaded, fromUri done", mem.get("lib_idle"))):
        if sample:
            mem_rows.append([label, fmt_bytes(sample["maxRssBytes"]), "", "", ""])
    base = mem.get("lib_idle", {}).get("maxRssBytes", 0)
    node_base = mem.get("node_idle", {}).get("maxRssBytes", 0)
    for key, title, limit in (("a", "(a) lib reading the array", 1.1), ("b", "(b) lib reading the table", 1.5), ("c", "(c) lib listing (items)", None),
                              ("e", "(e) lib reading 20 streams", None)):
        if key not in results:
            continue
        s = results[key]["samples"]
        peak = median(secs(s["lib"], "maxRssBytes"))
        data = s["lib"][0]["bytes"]
        pypeak = median(secs(s["python"], "maxRssBytes"))
        if data and limit:
            mem_rows.append([title, fmt_bytes(peak), fmt_bytes(data), f"{peak / data:.2f}x ({(peak - base) / data:.2f}x above idle)", f"python {fmt_bytes(pypeak)}"])
            floor = s.get("node_net_direct") or []
            if floor:
                fpeak = median(secs(floor, "maxRssBytes"))
                fdata = floor[0]["bytes"]
                mem_rows.append(["  diag: node's floor, raw socket into the result, no lib", fmt_bytes(fpeak), fmt_bytes(fdata),
                                 f"{fpeak / data:.2f}x ({(fpeak - node_base) / fdata:.2f}x above idle node)", ""])
            ok = peak <= limit * data
            what = "array" if key == "a" else "table"
            targets.append((f"(d) lib peak RSS <= {limit}x the {what}'s bytes", ok, f"{peak / data:.2f}x"))
            if not ok:
                v = [f"(d) {what}: lib peak {fmt_bytes(peak)} = {peak / data:.2f}x the {fmt_bytes(data)} it holds:"]
                v.append(f"  the lib loaded and connected, reading nothing, already peaks at {fmt_bytes(base)} ({base / data:.2f}x these bytes; "
                         f"idle node {fmt_bytes(node_base)}); above that idle process the read costs {(peak - base) / data:.2f}x the bytes.")
                if floor:
                    v.append(f"  node without the lib, reading the same body straight into one buffer: {fmt_bytes(fpeak)} ({fpeak / data:.2f}x)"
                             + (f": no node process reading these bytes meets {limit}x here." if fpeak > limit * data else "."))
                floor_ratio = (base + data) / data
                if peak <= 1.05 * (base + data):
                    v.append(f"  VERDICT: at the floor: the idle lib process plus the bytes themselves is {floor_ratio:.2f}x; the read adds "
                             f"{fmt_bytes(peak - base - data)} beyond its result. Only a smaller process (fewer modules loaded) could do better.")
                else:
                    v.append(f"  VERDICT: the read holds {fmt_bytes(peak - base - data)} beyond its result (the floor, idle lib + bytes, is {floor_ratio:.2f}x).")
                verdicts += v
        else:
            mem_rows.append([title, fmt_bytes(peak), fmt_bytes(data) if data else "-", "-", f"python {fmt_bytes(pypeak)}"])
    if mem_rows:
        R("")
        R("Peak memory (d): maxRSS of each lib process (median over the repetitions)")
        R.table(["process", "peak RSS", "bytes read", "peak / bytes", "for comparison"], mem_rows)

    if "live" in results:
        live_report(R, results["live"], targets)
    R("")
    R("Targets")
    for name, ok, detail in targets:
        R(f"  [{'met' if ok else 'MISSED'}] {name}: {detail}")
    for n in notes:
        R("  " + n)
    if verdicts:
        R("")
        R("Investigation of the missed targets")
        for v in verdicts:
            R("  " + v)
    R("=" * 100)
    return R


# --------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5, help="repetitions per client and case (default 5)")
    parser.add_argument("--diag-reps", type=int, default=3, help="repetitions of the diagnostics (default 3)")
    parser.add_argument("--pg-reps", type=int, default=3, help="repetitions of case c on PostgreSQL, whose walks are 10x longer (default 3)")
    parser.add_argument("--cases", default="a,b,c,cpg,e,live,io,auth,nb", help="comma-separated subset of a,b,c,cpg,e,live,io,auth,nb (default all)")
    parser.add_argument("--io-reps", type=int, default=1, help="repetitions of case io (default 1: each moves 6 GB)")
    parser.add_argument("--live-events", type=int, default=1000, help="events per live run in case (live) (default 1000)")
    parser.add_argument("--live-reps", type=int, default=1, help="live runs in case (live) (default 1: a run of 1000 events takes about a minute)")
    parser.add_argument("--report-only", metavar="RESULTS_JSON", help="print the report of a saved run (var/bench/results/*.json) again")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    unknown = cases - {"a", "b", "c", "cpg", "e", "live", "io", "auth", "nb"}
    if unknown:
        parser.error(f"unknown case(s) {sorted(unknown)}")
    # Cases (nb) and (auth) have servers and reports of their own. Each runs in a child process:
    # imported here, jupyter_client and the auth harness would grow this process, and Linux starts
    # every later child's maxRSS at its parent's (the idle node rows read 157 MB instead of 43).
    side_status = 0
    for case, script, extra in (("nb", "first_cell.py", ["--reps", str(max(args.reps, 5))]),
                                ("auth", "auth_bench.py", ["--reps", str(args.reps)])):
        if case in cases and not args.report_only:
            cases.discard(case)
            side_status |= subprocess.run([PYTHON, str(ROOT / "bench" / script), *extra]).returncode
            if not cases:
                return side_status
    if args.report_only:
        saved = json.loads(Path(args.report_only).read_text())
        m = saved["manifest"]
        report(saved["results"], saved["reps"], m, saved["machine"], saved["versions"], m.get("timings", {}), saved.get("pg_manifest"))
        return 0

    only_live = cases <= {"live", "io"}
    # Cases (live) and (io) write their own data: they need neither the generated data nor the catalog server.
    manifest = {} if only_live else json.loads((BENCH / "manifest.json").read_text())
    pg_manifest = None
    if "cpg" in cases:
        pg_path = BENCH / "pg" / "manifest.json"
        if not pg_path.exists():
            raise SystemExit("var/bench/pg/manifest.json is missing: run `python bench/generate.py` (without --no-pg), or leave out case cpg")
        pg_manifest = json.loads(pg_path.read_text())
    for d in (RUN_DIR, LOG_DIR, RESULTS):
        d.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "drivers.log").write_text("")
    if not (BUILD / "lib_driver.js").exists():
        raise SystemExit("var/bench/build is missing: run `bash bench/run.sh` (it compiles the drivers)")

    info, vers = machine_info(), versions()
    server = BenchServer(str(BENCH / "catalog.db"), read=[str(BENCH / "data"), f"sqlite:///{BENCH / 'tabular.db'}"], name="server")
    sys.path.insert(0, str(ROOT / "server"))
    from replica.pgcluster import PgCluster

    cluster = PgCluster(BENCH / "pg", user="bench", database="bench")
    pg_server: BenchServer | None = None

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    results: dict = {}
    started = time.perf_counter()
    try:
        if not only_live:
            say(f"[bench] starting tiled serve on {server.url} (log: {server.log_path.relative_to(ROOT)})")
            server.start()
            say(f"[bench] server up: tiled {server.about.get('library_version')}, pid {server.proc.pid}")
        clients = Clients(server, manifest)
        diag = min(args.diag_reps, args.reps)
        m = manifest
        bulk = None
        if cases & {"a", "b"}:
            bulk = clients.lib(["--case", "probe-bulk-reader"]).get("bulkReader")
            say(f"[bench] the lib's fromUri accepts the bulkReader option: {bulk}")
        note = None if bulk == "yes" else "skipped: this lib's fromUri does not know the bulkReader option"
        if "a" in cases:
            results["a"] = time_data_case(
                clients, "a", ["--case", "array", "--path", m["stack"]["path"]],
                ["--case", "array", "--path", m["stack"]["path"]], "/api/v1/array/", args.reps, diag, arrow=False, parallel_info=True,
                bulk_reader=bulk == "yes",
            )
            results["a"]["bulk_reader_note"] = note
        if "b" in cases:
            results["b"] = time_data_case(
                clients, "b", ["--case", "table", "--path", m["table"]["path"]],
                ["--case", "table", "--path", m["table"]["path"]], "/api/v1/table/", args.reps, diag, arrow=True, bulk_reader=bulk == "yes",
            )
            results["b"]["bulk_reader_note"] = note
        # (prefix, server, runs, {suffix: (reps, curl_reps, identity_reps, paging_reps)})
        listing = []
        if "c" in cases:
            listing.append(("c", server, m["runs"], {"": (args.reps, args.reps, diag, diag), "_keys": (args.reps, args.reps, diag, diag)}))
        if "cpg" in cases:
            say(f"\n[bench] starting the PostgreSQL cluster in {cluster.base.relative_to(ROOT)}")
            cluster.start()
            say(f"[bench] PostgreSQL up on port {cluster.port}, pid {cluster.proc.pid}")
            pg_server = BenchServer(cluster.uri, name="server-pg")
            say(f"[bench] starting tiled serve catalog {cluster.uri} on {pg_server.url}")
            pg_server.start()
            # Every items walk here takes ~40 s (the server's time): the curl replays and the paging
            # walks run once, the identity diagnostics (measured on SQLite) not at all.
            pg_reps = min(args.pg_reps, args.reps)
            listing.append(("c_pg", pg_server, pg_manifest["runs"], {"": (pg_reps, 1, 0, 1), "_keys": (pg_reps, pg_reps, 0, min(diag, pg_reps))}))
        for prefix, srv, runs, plan in listing:
            f = runs["filter"]
            for suffix, mode in (("", "list-items"), ("_keys", "list-keys")):
                key = prefix + suffix
                reps, curl_reps, identity_reps, paging_reps = plan[suffix]
                q = ["--path", runs["path"], "--key", f["key"], "--value", f["value"]]
                results[key] = time_list_case(clients, key, ["--case", mode, *q], ["--case", mode, *q], f"/api/v1/search/{runs['path']}", reps,
                                              curl_reps, identity_reps, server=srv)
                results[key]["expected"] = runs["expected_matches"]
                got = results[key]["samples"]["lib"][0]["count"]
                if got != runs["expected_matches"]:
                    say(f"[bench] WARNING: the lib listed {got} runs, expected {runs['expected_matches']}")
                results[f"paging_{key}"] = time_paging(clients, key, results[key]["requests"], paging_reps, srv, big_pages=suffix == "_keys")
        if pg_server is not None:
            pg_server.stop()
            cluster.stop()
            say("[bench] PostgreSQL server and cluster stopped")
        if "e" in cases:
            results["e"] = time_streams_case(clients, m, args.reps)
        if "live" in cases:
            results["live"] = time_live_case(args.live_reps, args.live_events)
        if "io" in cases:
            results["io"] = io_case.run(args.io_reps)
        if not only_live:
            results["memory"] = {"node_idle": clients.node_idle(), "lib_idle": clients.lib(["--case", "idle"])}
        info["loadavg_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    finally:
        if pg_server is not None:
            pg_server.stop()
        cluster.stop()
        server.stop()
        say(f"[bench] servers stopped ({time.perf_counter() - started:.0f} s of benchmarking)")

    rep = report(results, args.reps, manifest, info, vers, manifest.get("timings", {}), pg_manifest)
    if "io" in results:
        extra = io_case.report_lines(results["io"])
        for line in extra:
            say(line)
        rep.lines += extra
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{stamp}.txt").write_text("\n".join(rep.lines) + "\n")
    (RESULTS / "latest.txt").write_text("\n".join(rep.lines) + "\n")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(
        {"machine": info, "versions": vers, "reps": args.reps, "manifest": manifest, "pg_manifest": pg_manifest, "results": results}, indent=1, default=str))
    say(f"\n[bench] written to {(RESULTS / 'latest.txt').relative_to(ROOT)} and {stamp}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
