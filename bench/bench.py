"""The benchmark: the library's reads against curl and tiled's Python client, side by side.

Run through `bash bench/run.sh` (which generates the data once and compiles the drivers first).
This script starts its own `tiled serve` on a free 127.0.0.1 port over var/bench/catalog.db,
times each case with several repetitions (one process per repetition, clients interleaved so
the machine's noise falls on all of them alike), prints medians, throughputs and ratios against
the targets, investigates any missed target, and stops the server by its PID at the end, also
on failure or Ctrl-C.

Cases:
  (a) array   big/stack, uint16 128x2048x2048 (1.07 GB)      lib | curl | python
  (b) table   big/primary/internal, 1,000,000 rows (Arrow)   lib | curl | python
  (c) listing every run under runs/ with start.plan_name == "scan", page by page
              (items: key + metadata, and keys only)         lib | python (| curl, same pages)
  (d) peak RSS of each lib process against the bytes it read, and of idle node processes
  (live)    a run written by `bin/replica live` (TiledWriter, batch_size=1, >= 1000 events) into a
              replica-style /live catalog with a memory streaming cache; the lib (lib/live) and tiled's
              Python subscription follow it at the same time: latency from the event's table-append
              request to the subscriber having the row (median, p99), rows/s live and replayed

"curl" issues exactly the data requests the library issued (captured by a recording proxy in one
untimed pass), with the library's concurrency, writing to /dev/null. It runs twice when they
differ: with the library's own request headers, and with none (`identity`, curl's default),
which is the limit the server sets.

Usage: python bench/bench.py [--reps N] [--cases a,b,c,live] [--live-events N]
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
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from proxy import RecordingProxy  # noqa: E402

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


class BenchServer:
    """`tiled serve catalog` over var/bench/catalog.db, anonymous reads, on a free port."""

    PID_FILE = BENCH / "server.pid"

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = LOG_DIR / "server.log"

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
        if "tiled" in cmdline and str(BENCH / "catalog.db") in cmdline:
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
        cmd = [
            str(tiled), "serve", "catalog", str(BENCH / "catalog.db"),
            "-r", str(BENCH / "data"),
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
        if self.proc is None or self.proc.poll() is not None:
            self.PID_FILE.unlink(missing_ok=True)
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
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
            [NODE, "-e", "process.stdout.write(String(process.resourceUsage().maxRSS * 1024))"],
            capture_output=True, text=True, check=True,
        ).stdout
        return {"seconds": 0.0, "bytes": 0, "maxRssBytes": int(out)}

    def curl(self, requests: list[dict], headers: dict, concurrency: int, tag: str) -> dict:
        """The given requests, `concurrency` at a time (curl --parallel), bodies to /dev/null.
        Also collects each response's Server-Timing (the server's own account of its time)."""
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        config = RUN_DIR / f"curl-{tag}.cfg"
        with open(config, "w") as f:
            for req in requests:
                f.write(f'url = "{req["url"]}"\noutput = "/dev/null"\n')
        # One line per transfer: size, then the response's Server-Timing and Content-Encoding.
        cmd = [CURL, "-s", "-S", "--fail", "-g", "-K", str(config),
               "-w", "%{size_download}\t%header{server-timing}\t%header{content-encoding}\n"]
        for name, value in headers.items():
            cmd += ["-H", f"{name}: {value}"]
        if concurrency > 1:
            cmd += ["--parallel", "--parallel-max", str(concurrency)]
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        if proc.returncode != 0:
            raise RuntimeError(f"curl failed ({proc.returncode}): {proc.stderr[-500:]}")
        sizes = []
        timing: dict[str, float] = {}
        encodings = set()
        for line in proc.stdout.splitlines():
            size, server_timing, encoding = (line.split("\t") + ["", ""])[:3]
            sizes.append(int(size))
            for part in server_timing.split(","):
                m = re.match(r"\s*(\w+);dur=([\d.]+)", part)
                if m:
                    timing[m.group(1)] = timing.get(m.group(1), 0.0) + float(m.group(2)) / 1000
            if encoding.strip():
                encodings.add(encoding.strip())
        return {
            "seconds": seconds,
            "cpuSeconds": cpu,
            "bytes": sum(sizes),
            "server": timing,
            "encoding": ",".join(sorted(encodings)) or "identity",
            "requests": len(requests),
        }


# --------------------------------------------------------------------------------------------
# capturing what the library asks for


def capture_lib_requests(clients: Clients, lib_args: list[str], route: str, who: str = "lib") -> dict:
    """One untimed pass of the lib (or the Python client) through the recording proxy: its
    requests on `route`, their headers and its concurrency."""
    with RecordingProxy(clients.server.port) as proxy:
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
        if {k: v for k, v in r["headers"].items() if k in keep} != headers:
            raise RuntimeError(f"the {who}'s data requests differ in their headers; the curl replay assumes they do not")
    return {
        "requests": [{"url": f"{clients.server.url}{r['target']}", "headers": headers} for r in data],
        "headers": headers,
        "concurrency": peak,
        "connections": connections,
        "all_requests": [r["target"] for r in recorded],
        "result": result,
    }


# --------------------------------------------------------------------------------------------
# the cases


# The rows of a data case, in the order printed: key -> label.
DATA_ROWS = [
    ("lib", "lib"),
    ("curl", "curl: lib's {nreq} request(s), {conc} at a time, identity"),
    ("python", "python tiled client .read()"),
    ("curl_lib_headers", "diag: curl, same + lib's Accept-Encoding ({enc})"),
    ("lib_identity", "diag: lib with Accept-Encoding forced to identity"),
    ("curl_parallel2", "diag: curl, lib's requests 2 at a time, identity"),
    ("node_discard", "diag: node:http, same URLs, identity, bytes dropped"),
    ("node_net_into", "diag: raw socket (net onread) into 1 buffer"),
    ("node_http_into", "diag: node:http into 1 preallocated buffer"),
    ("node_undici", "diag: node's fetch (undici), reader into 1 buffer"),
    ("node_stream", "diag: node-fetch, for-await into 1 buffer (lib's way)"),
    ("node_stream_par2", "diag: node-fetch into 1 buffer, 2 requests at a time"),
    ("node_fetch", "diag: node-fetch arrayBuffer()"),
    ("node_arrow", "diag: node-fetch into 1 buffer + tableFromIPC"),
]


def time_data_case(clients: Clients, name: str, lib_args: list[str], py_args: list[str], route: str, reps: int, diag_reps: int, arrow: bool, parallel_info: bool = False) -> dict:
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

    # Warm the page cache and the server (not timed).
    clients.curl(requests, identity_headers, conc, f"{name}-warm")

    samples: dict[str, list[dict]] = {k: [] for k, _ in DATA_ROWS}
    for rep in range(reps):
        say(f"[bench]   rep {rep + 1}/{reps}")
        # The measured clients, every repetition.
        samples["lib"].append(clients.lib(lib_args))
        samples["curl"].append(clients.curl(requests, identity_headers, conc, name))
        samples["python"].append(clients.python(py_args))
        if rep >= diag_reps:
            continue
        # Diagnostics, the first diag_reps repetitions: where does the lib's time go?
        if not same_is_identity:
            samples["curl_lib_headers"].append(clients.curl(requests, headers, conc, f"{name}-libhdr"))
            samples["lib_identity"].append(clients.lib([*lib_args, "--force-identity"]))
        if parallel_info and conc == 1 and len(requests) > 1:
            # Would reading two pieces at a time help? curl, and node receiving the lib's way.
            samples["curl_parallel2"].append(clients.curl(requests, identity_headers, 2, f"{name}-par2"))
            samples["node_stream_par2"].append(clients.node_raw(req_file, "stream", 2))
        # arrayBuffer() is how the lib receives tables (size unknown), not arrays: skip it for arrays.
        for mode in ("discard", "net-into", "http-into", "undici", "stream") + (("fetch",) if arrow else ()):
            samples[f"node_{mode.replace('-', '_')}"].append(clients.node_raw(req_file, mode, conc))
        if arrow:
            samples["node_arrow"].append(clients.node_raw(req_file, "arrow", conc))
    return {"capture": {k: v for k, v in cap.items() if k != "requests"}, "samples": samples, "payload_bytes": samples["curl"][0]["bytes"], "requests": requests}


def time_list_case(clients: Clients, name: str, lib_args: list[str], py_args: list[str], route: str, reps: int, diag_reps: int) -> dict:
    say(f"\n[bench] {name}: capturing the lib's requests (one untimed pass through a recording proxy)")
    cap = capture_lib_requests(clients, lib_args, route)
    requests, headers = cap["requests"], cap["headers"]
    say(f"[bench]   {len(requests)} page request(s), Accept: {headers.get('accept')}, Accept-Encoding: {headers.get('accept-encoding', '(none)')}")
    identity_headers = {**{k: v for k, v in headers.items() if k != "accept-encoding"}, "accept-encoding": "identity"}
    compressed = headers.get("accept-encoding", "identity") not in ("identity", "")
    # Python's own pages too, to compare what each client's requests cost the server.
    py_cap = capture_lib_requests(clients, py_args, route, who="python")
    say(f"[bench]   python: {len(py_cap['requests'])} page request(s), Accept: {py_cap['headers'].get('accept')}, "
        f"Accept-Encoding: {py_cap['headers'].get('accept-encoding', '(none)')}")
    samples: dict[str, list[dict]] = {"lib": [], "python": [], "curl_lib_headers": [], "curl_identity": [], "lib_identity": [], "curl_python": []}
    clients.python(py_args)  # warm-up (server caches, page cache)
    for rep in range(reps):
        say(f"[bench]   rep {rep + 1}/{reps}")
        samples["lib"].append(clients.lib(lib_args))
        samples["python"].append(clients.python(py_args))
        # The same pages, one after another (each cursor comes from the page before).
        samples["curl_lib_headers"].append(clients.curl(requests, headers, 1, name))
        samples["curl_python"].append(clients.curl(py_cap["requests"], py_cap["headers"], 1, f"{name}-py"))
        if compressed and rep < diag_reps:
            samples["curl_identity"].append(clients.curl(requests, identity_headers, 1, f"{name}-id"))
            samples["lib_identity"].append(clients.lib([*lib_args, "--force-identity"]))
    return {"capture": {k: v for k, v in cap.items() if k != "requests"}, "python_capture": {k: v for k, v in py_cap.items() if k != "requests"},
            "samples": samples, "requests": requests, "python_requests": py_cap["requests"]}


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
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


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

    lib_rev = command_output(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs", "--", "lib"])
    lib_dirty = command_output(["git", "-C", str(ROOT), "status", "--porcelain", "--", "lib"])
    return {
        "node": command_output([NODE, "--version"]),
        "python": platform.python_version(),
        "tiled": tiled.__version__,
        "curl": command_output([CURL, "--version"]).split("\n")[0].split(" (")[0],
        "apache-arrow (npm)": npm_version("apache-arrow"),
        "node-fetch": npm_version("node-fetch"),
        "lib": lib_rev + (" (+ uncommitted changes)" if lib_dirty else ""),
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


def verdict_data(case: dict, arrow: bool) -> list[str]:
    """Where the time goes when lib < 0.9x curl, and a verdict: server-, copy- or parser-bound.

    Evidence: the server's own Server-Timing; curl replaying the lib's exact requests with the
    lib's headers (what those requests cost the server); the lib itself with Accept-Encoding
    forced to identity (what asking for uncompressed bodies would give); node reading the same
    URLs without the library, from dropping the bytes to parsing Arrow (the client's floor)."""
    s = case["samples"]
    med = {k: median(secs(v)) for k, v in s.items() if v}
    t_lib, t_curl = med["lib"], med["curl"]
    out = []
    sid = s["curl"][0]["server"]
    out.append(
        f"lib {t_lib:.2f} s vs curl {t_curl:.2f} s (gap {t_lib - t_curl:.2f} s). The server's Server-Timing for curl's "
        f"requests: app {sid.get('app', 0):.2f} s (read {sid.get('read', 0):.2f} s, pack {sid.get('pack', 0):.2f} s), so curl "
        f"itself is {min(1.0, sid.get('app', 0) / t_curl):.0%} server-bound."
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
        out.append(
            f"the lib with Accept-Encoding forced to identity: {med['lib_identity']:.2f} s ({t_curl / med['lib_identity']:.2f}x curl): "
            f"{encoding_cost:.2f} s of the lib's time is the compression it negotiates (server deflating, node-fetch inflating)."
        )
    labels = dict(DATA_ROWS)
    for key in ("curl_parallel2", "node_discard", "node_net_into", "node_http_into", "node_undici", "node_stream", "node_stream_par2", "node_fetch", "node_arrow"):
        if key in med:
            out.append(f"{labels[key].replace('diag: ', '')}: {med[key]:.2f} s ({t_curl / med[key]:.2f}x curl)")
    parse = median(secs(s["node_arrow"], "parseSeconds")) if s["node_arrow"] else 0.0
    if s["node_arrow"]:
        out.append(f"  of which apache-arrow tableFromIPC: {parse:.3f} s")

    def cpu(key: str) -> float | None:
        values = [x["cpuSeconds"] for x in s.get(key, []) if "cpuSeconds" in x]
        return median(values) if values else None

    def classify(t_client: float, client_key: str) -> str:
        """Client-side (copy- or parser-bound) if the client burns CPU the gap can be blamed on;
        CPU time is measured per process, so it holds up on a busy machine where wall time does not."""
        gap_w = t_client - t_curl
        c_client, c_curl = cpu(client_key), cpu("curl")
        if c_client is None or c_curl is None:
            return "no CPU figures; see the rows above."
        excess = c_client - c_curl
        parts = [f"client CPU in the timed section: curl {c_curl:.2f} s, the lib {c_client:.2f} s"]
        for key, what in (("node_discard", "node:http dropping the bytes"), ("node_net_into", "a raw socket into one buffer"),
                          ("node_http_into", "node:http into one buffer"), ("node_stream", "node-fetch into one buffer (the lib's way)"),
                          ("node_fetch", "node-fetch arrayBuffer()"), ("node_arrow", "node-fetch into one buffer + tableFromIPC")):
            if cpu(key) is not None:
                parts.append(f"{what} {cpu(key):.2f} s")
        evidence = "; ".join(parts) + "."
        if excess < 0.3 * gap_w:
            return ("SERVER-BOUND: the lib's client CPU is close to curl's, so it spends the gap waiting on the server "
                    "(the server's Server-Timing above). " + evidence)
        if arrow and parse > 0.5 * excess:
            return "PARSER-BOUND: Arrow decoding is most of the client's extra CPU. " + evidence
        floor = cpu("node_discard")
        where = ""
        if floor is not None:
            share = (floor - c_curl) / excess if excess > 0 else 0
            where = (f" node:http alone, dropping the bytes, already burns {floor - c_curl:.2f} s more than curl "
                     f"({min(share, 1):.0%} of the lib's excess): the per-chunk Buffers and stream events of node's HTTP client.")
        if arrow and client_key == "lib":
            how = (" The rest is the body being gathered by node-fetch's arrayBuffer() (every chunk kept, concatenated, "
                   "then copied once more) before a tableFromIPC that costs almost nothing.")
        else:
            how = " The rest is copying each freshly allocated ~64 KiB chunk into the result's fresh pages"
            if cpu("node_http_into") is not None and cpu("node_stream") is not None:
                how += (f" (node:http into one buffer, without node-fetch, burns {cpu('node_http_into'):.2f} s; node-fetch's way "
                        f"{cpu('node_stream'):.2f} s: node-fetch itself adds little)")
            how += "."
        bound = ""
        if "node_net_into" in med:
            bound = (f" curl writes to /dev/null; a client that keeps the bytes also pays for fresh memory. The cheapest node "
                     f"client that keeps them, a raw socket into one buffer, reaches {t_curl / med['node_net_into']:.2f}x curl here")
            if "node_stream_par2" in med:
                bound += f", and the lib's way with two pieces in flight {t_curl / med['node_stream_par2']:.2f}x"
            bound += "."
        return f"COPY-BOUND on the client: it burns {excess:.2f} s more CPU than curl to receive the same bytes.{where}{how}{bound} " + evidence

    if t_lib > t_curl and encoding_cost >= 0.5 * (t_lib - t_curl):
        verdict = (
            f"VERDICT: SERVER-BOUND on the requests the lib sends: {encoding_cost:.2f} of the {t_lib - t_curl:.2f} s gap goes away "
            "when the lib asks for identity. The lib leaves Accept-Encoding to node-fetch, which advertises gzip; tiled then "
            "gzips every array and Arrow body (level 1; JSON at level 9) on its one event-loop core, and node-fetch inflates it."
        )
        if "lib_identity" in med and t_curl / med["lib_identity"] < 0.9:
            verdict += f" With identity the lib is still at {t_curl / med['lib_identity']:.2f}x curl: the rest is " + classify(med["lib_identity"], "lib_identity")
        out.append(verdict)
    else:
        out.append("VERDICT: " + classify(t_lib, "lib"))
    return out


def report(results: dict, reps: int, manifest: dict, info: dict, vers: dict, gen_timings: dict) -> Report:
    R = Report()
    R("")
    R("=" * 100)
    R("tiled TypeScript client benchmark")
    R(f"machine: nproc {info['nproc']}, memory {info['memory']}, {info['cpu']}, kernel {info['kernel']}")
    R(f"load average (1/5/15 min) at start {info['loadavg_at_start']}, at end {info.get('loadavg_at_end', '?')}: the machine is shared; compare ratios, not absolute times")
    R("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    if "stack" not in manifest:
        R("data: (cases a-d not run: only the live case, which writes its own runs)")
    else:
        R(f"data: {manifest['stack']['shape']} {manifest['stack']['dtype']} ({fmt_bytes(manifest['stack']['nbytes'])}, one frame per HDF5 chunk); "
          f"table {manifest['table']['rows']:,} rows x {len(manifest['table']['columns'])} columns (Parquet); "
          f"{manifest['runs']['count']:,} runs, filter start.plan_name == \"scan\" matches {manifest['runs']['expected_matches']:,}")
    R(f"generation (once, reused): {json.dumps(gen_timings)}")
    R(f"n = {reps} repetitions per client (one process each, clients interleaved); times are medians [min-max] in seconds; MB = 10^6 bytes")
    R("")

    targets: list[tuple[str, bool, str]] = []
    verdicts: list[str] = []
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
        first = True
        for row_key, label in DATA_ROWS:
            if not s.get(row_key):
                continue
            vs_curl = f"{t['curl'] / t['lib']:.2f}" if row_key == "lib" else ""
            vs_py = f"{t['python'] / t['lib']:.2f}" if row_key == "lib" else ""
            rows.append([
                title if first else "", label.format(nreq=nreq, conc=conc, enc=enc), fmt_s(secs(s[row_key])),
                f"{thr[row_key]:.0f}", f"{t['curl'] / t[row_key]:.2f}", vs_curl, vs_py, cpu_of(s[row_key]), f"{len(s[row_key])}",
            ])
            first = False
        ratio_curl = t["curl"] / t["lib"]
        ok_curl = ratio_curl >= 0.9
        ok_py = t["lib"] < t["python"]
        targets.append((f"{title}: lib >= 0.9x curl throughput", ok_curl, f"{ratio_curl:.2f}x"))
        targets.append((f"{title}: lib faster than python", ok_py, f"{t['python'] / t['lib']:.2f}x python's speed"))
        if not ok_curl:
            verdicts.append(f"{title}, lib at {ratio_curl:.2f}x curl:")
            verdicts += ["  " + v for v in verdict_data(case, arrow)]

    R("Throughput (MB/s = the identity-encoded response bytes curl downloads, divided by each client's median time)")
    R("  'x curl' = this row's throughput / curl's (identity); 'lib vs curl' and 'lib vs python' are the target ratios.")
    R("  Rows marked diag: are diagnostics for the investigation below, not clients under test.")
    R("  'client CPU s' = CPU time (user + system) of the client process in the timed section: less sensitive to a busy machine than wall time.")
    R.table(["case", "client", "median s [min-max]", "MB/s", "x curl", "lib vs curl", "lib vs python", "client CPU s", "n"], rows)

    list_rows = []
    for key, title in (("c", "(c) list matching runs, items"), ("c_keys", "(c) list matching runs, keys")):
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
        list_rows.append(["", f"curl, the lib's pages in sequence, its headers ({enc})", fmt_s(secs(s["curl_lib_headers"])), f"{count / t['curl_lib_headers']:.0f}", "", f"{pages}", "", cpu_of(s["curl_lib_headers"]), f"{len(s['curl_lib_headers'])}"])
        pyenc = case["python_capture"]["headers"]
        list_rows.append(["", f"curl, python's pages in sequence, its headers ({pyenc.get('accept', '').split('/')[-1]}, {pyenc.get('accept-encoding')})",
                          fmt_s(secs(s["curl_python"])), f"{count / t['curl_python']:.0f}", "", f"{len(case['python_requests'])}", "", cpu_of(s["curl_python"]), f"{len(s['curl_python'])}"])
        if s["curl_identity"]:
            list_rows.append(["", "diag: curl, the same pages, identity", fmt_s(secs(s["curl_identity"])), f"{count / t['curl_identity']:.0f}", "", f"{pages}", "", cpu_of(s["curl_identity"]), f"{len(s['curl_identity'])}"])
        if s["lib_identity"]:
            list_rows.append(["", "diag: lib with Accept-Encoding forced to identity", fmt_s(secs(s["lib_identity"])), f"{count / t['lib_identity']:.0f}", f"{s['lib_identity'][0]['count']}", "", "", cpu_of(s["lib_identity"]), f"{len(s['lib_identity'])}"])
        ok = t["lib"] < t["python"]
        targets.append((f"{title}: lib faster than python", ok, f"{t['python'] / t['lib']:.2f}x python's speed"))
        if s["lib"][0]["count"] != s["python"][0]["count"]:
            targets.append((f"{title}: lib and python list the same number of runs", False, f"{s['lib'][0]['count']} vs {s['python'][0]['count']}"))
        if not ok:
            t_curl = t["curl_lib_headers"]
            server = {k: median([x["server"].get(k, 0.0) for x in s["curl_lib_headers"]]) for k in ("app", "compress")}
            v = [f"{title}, lib {t['lib']:.2f} s vs python {t['python']:.2f} s:"]
            v.append(
                f"  curl fetching the lib's {pages} pages with its headers: {t_curl:.2f} s (the server's own app time "
                f"{server.get('app', 0):.2f} s, of it compressing {server.get('compress', 0):.2f} s). The lib's time also "
                "includes GET /api/v1/ (fetched at the first search; Python fetches it in from_uri, outside its timer) and "
                "the container's metadata."
            )
            if "lib_identity" in t:
                v.append(f"  the lib with Accept-Encoding forced to identity: {t['lib_identity']:.2f} s; curl, the same pages, identity: {t['curl_identity']:.2f} s.")
            after = t["lib"] - t_curl
            v.append(f"  curl fetching python's {len(case['python_requests'])} pages with python's headers (msgpack): {t['curl_python']:.2f} s.")
            lib_only, py_only = query_difference(case["requests"], case["python_requests"])
            if lib_only or py_only:
                v.append(f"  the lib's page URLs differ from Python's in: only the lib sends {sorted(lib_only) or 'nothing'}; only Python sends {sorted(py_only) or 'nothing'}.")
            if any(p.startswith("fields=count") for p in lib_only):
                v.append("  fields=count makes tiled count every match exactly (a scan of the JSON metadata on SQLite) for each page; "
                         "Python's keys() sends fields= and gets the cheap estimate.")
            if t_curl >= 0.8 * t["lib"]:
                v.append(
                    f"  VERDICT: SERVER-BOUND: the lib waits on the server for {t_curl:.2f} of its {t['lib']:.2f} s and spends "
                    f"{max(after, 0):.2f} s after the bytes arrive. Python's pages cost the server {t['curl_python']:.2f} s; "
                    + ("the lib's pages cost it more than Python's (see the parameters above; the format, JSON or msgpack, makes no difference here)." if t_curl > 1.1 * t["curl_python"] else
                       "about the same, so the difference is within this machine's noise plus the lib's one extra request (GET /api/v1/ at the first search).")
                )
            else:
                v.append(f"  VERDICT: PARSER-BOUND: {after:.2f} s of the lib's {t['lib']:.2f} s is spent after the bytes arrive (JSON parse, zod validation, client objects).")
            verdicts += v
    if list_rows:
        R("")
        R("Listing through pagination (runs/s = matching runs / median time; 'connect s' = fromUri / from_uri, not in the time)")
        R.table(["case", "client", "median s [min-max]", "runs/s", "runs", "pages x size", "connect s", "client CPU s", "n"], list_rows)

    # (d) memory
    mem_rows = []
    mem = results.get("memory", {})
    for label, sample in (("idle node (node -e)", mem.get("node_idle")), ("idle node + lib loaded, fromUri done", mem.get("lib_idle"))):
        if sample:
            mem_rows.append([label, fmt_bytes(sample["maxRssBytes"]), "", "", ""])
    base = mem.get("lib_idle", {}).get("maxRssBytes", 0)
    for key, title in (("a", "(a) lib reading the array"), ("b", "(b) lib reading the table"), ("c", "(c) lib listing (items)")):
        if key not in results:
            continue
        s = results[key]["samples"]
        peak = median(secs(s["lib"], "maxRssBytes"))
        data = s["lib"][0]["bytes"]
        pypeak = median(secs(s["python"], "maxRssBytes"))
        if data:
            mem_rows.append([title, fmt_bytes(peak), fmt_bytes(data), f"{peak / data:.2f}x ({(peak - base) / data:.2f}x above idle)", f"python {fmt_bytes(pypeak)}"])
        else:
            mem_rows.append([title, fmt_bytes(peak), "-", "-", f"python {fmt_bytes(pypeak)}"])
        if key == "a":
            ok = peak <= 1.5 * data
            targets.append(("(d) lib peak RSS <= 1.5x the array's bytes", ok, f"{peak / data:.2f}x"))
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
    parser.add_argument("--diag-reps", type=int, default=3, help="repetitions of the node diagnostics (default 3)")
    parser.add_argument("--cases", default="a,b,c,live", help="comma-separated subset of a,b,c,live (default all)")
    parser.add_argument("--live-events", type=int, default=1000, help="events per live run in case (live) (default 1000)")
    parser.add_argument("--live-reps", type=int, default=1, help="live runs in case (live) (default 1: a run of 1000 events takes about a minute)")
    parser.add_argument("--report-only", metavar="RESULTS_JSON", help="print the report of a saved run (var/bench/results/*.json) again")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    if args.report_only:
        saved = json.loads(Path(args.report_only).read_text())
        m = saved["manifest"]
        report(saved["results"], saved["reps"], m, saved["machine"], saved["versions"], m.get("timings", {}))
        return 0

    only_live = cases <= {"live"}
    # Case (live) writes its own runs: it needs neither the generated data nor the catalog server.
    manifest = {} if only_live else json.loads((BENCH / "manifest.json").read_text())
    for d in (RUN_DIR, LOG_DIR, RESULTS):
        d.mkdir(parents=True, exist_ok=True)
    (LOG_DIR / "drivers.log").write_text("")
    if not (BUILD / "lib_driver.js").exists():
        raise SystemExit("var/bench/build is missing: run `bash bench/run.sh` (it compiles the drivers)")

    info, vers = machine_info(), versions()
    server = BenchServer()

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
        if "a" in cases:
            results["a"] = time_data_case(
                clients, "a", ["--case", "array", "--path", m["stack"]["path"]],
                ["--case", "array", "--path", m["stack"]["path"]], "/api/v1/array/", args.reps, diag, arrow=False, parallel_info=True,
            )
        if "b" in cases:
            results["b"] = time_data_case(
                clients, "b", ["--case", "table", "--path", m["table"]["path"]],
                ["--case", "table", "--path", m["table"]["path"]], "/api/v1/table/", args.reps, diag, arrow=True,
            )
        if "c" in cases:
            f = m["runs"]["filter"]
            for key, mode in (("c", "list-items"), ("c_keys", "list-keys")):
                q = ["--path", m["runs"]["path"], "--key", f["key"], "--value", f["value"]]
                results[key] = time_list_case(clients, key, ["--case", mode, *q], ["--case", mode, *q], f"/api/v1/search/{m['runs']['path']}", args.reps, diag)
                got = results[key]["samples"]["lib"][0]["count"]
                if got != m["runs"]["expected_matches"]:
                    say(f"[bench] WARNING: the lib listed {got} runs, expected {m['runs']['expected_matches']}")
        if "live" in cases:
            results["live"] = time_live_case(args.live_reps, args.live_events)
        if not only_live:
            results["memory"] = {"node_idle": clients.node_idle(), "lib_idle": clients.lib(["--case", "idle"])}
        info["loadavg_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    finally:
        server.stop()
        say(f"[bench] server stopped ({time.perf_counter() - started:.0f} s of benchmarking)")

    rep = report(results, args.reps, manifest, info, vers, manifest.get("timings", {}))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"{stamp}.txt").write_text("\n".join(rep.lines) + "\n")
    (RESULTS / "latest.txt").write_text("\n".join(rep.lines) + "\n")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(
        {"machine": info, "versions": vers, "reps": args.reps, "manifest": manifest, "results": results}, indent=1, default=str))
    say(f"\n[bench] written to {(RESULTS / 'latest.txt').relative_to(ROOT)} and {stamp}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
