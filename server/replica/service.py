"""Start, stop and inspect the replica's tiled server (one per var/replica).

    from replica import service
    url = service.start(port=8000)   # returns once GET /api/v1/ answers
    service.stop()

The server is tiled's own app, built from var/replica/config.yml and run by uvicorn in a
background process (see serve_app.py). Its PID and port are recorded in var/replica/server.json;
`stop` ends only that PID, and only if it is still our server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import config
from .config import ReplicaError

START_TIMEOUT = 90.0  # seconds; tiled imports and opens both catalogs in a few seconds


def state_path() -> Path:
    return config.var_dir() / "server.json"


def log_path() -> Path:
    return config.var_dir() / "server.log"


def config_path() -> Path:
    return config.var_dir() / "config.yml"


def default_port() -> int:
    raw = os.environ.get("REPLICA_PORT", "").strip()
    if not raw:
        return config.DEFAULT_PORT
    try:
        return int(raw)
    except ValueError:
        raise ReplicaError(f"REPLICA_PORT must be a port number, got {raw!r}") from None


def url_for(port: int) -> str:
    return f"http://{config.HOST}:{port}"


def _read_state() -> dict | None:
    try:
        return json.loads(state_path().read_text())
    except (OSError, ValueError):
        return None


def _pid_is_ours(state: dict) -> bool:
    """True if the recorded PID is alive and is still the server we started (not a reused PID)."""
    pid = state.get("pid")
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"replica.serve_app" in cmdline and str(config_path()).encode() in cmdline


def answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((config.HOST, port))
        except OSError:
            return True
    return False


def served_catalogs() -> list[str]:
    """The complete catalogs (stamped by the generator). A PostgreSQL test replica may hold
    only bdp2022; serving a catalog that was never generated would stop tiled at startup."""
    from .generator import read_stamp

    names = [n for n in config.CATALOG_NAMES if read_stamp(n)]
    if not names:
        raise ReplicaError("no generated catalog to serve; run `bin/replica generate`")
    return names


def running() -> dict | None:
    state = _read_state()
    if state and _pid_is_ours(state):
        return state
    return None


def start(port: int | None = None, log=print) -> str:
    port = default_port() if port is None else port
    current = running()
    if current:
        if current["port"] == port:
            log(f"already running (pid {current['pid']})")
            return current["url"]
        raise ReplicaError(
            f"the replica server is already running on port {current['port']} (pid {current['pid']}); "
            f"run `bin/replica stop` first to move it to port {port}"
        )
    if port_taken(port):
        raise ReplicaError(
            f"port {port} on {config.HOST} is already in use by another program; "
            f"choose another with `bin/replica start --port N` or REPLICA_PORT=N"
        )

    from .generator import ensure

    ensure(log=log)

    api_key = config.api_key()
    config.write_serve_config(served_catalogs())
    env = dict(os.environ)
    # The key reaches the server only through its environment ($REPLICA_SERVER_API_KEY in
    # config.yml): never on a command line (visible in ps) nor in a file other than api-key.
    env["REPLICA_SERVER_API_KEY"] = api_key
    env["PYTHONPATH"] = os.pathsep.join(
        [str(config.ROOT / "server")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    with open(log_path(), "ab") as logfile:
        process = subprocess.Popen(
            [sys.executable, "-m", "replica.serve_app", str(config_path()), "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=config.var_dir(),
            start_new_session=True,  # survives the shell that ran `bin/replica start`
        )
    url = url_for(port)
    state = {"pid": process.pid, "port": port, "url": url, "started": time.time()}
    state_path().write_text(json.dumps(state) + "\n")

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            state_path().unlink(missing_ok=True)
            tail = log_path().read_text(errors="replace").strip().splitlines()[-5:]
            raise ReplicaError(
                f"the tiled server exited with status {process.returncode} while starting; "
                f"see {log_path()} (last line: {tail[-1] if tail else 'empty log'})"
            )
        if answers(url, timeout=1.0):
            return url
        time.sleep(0.25)
    process.terminate()
    state_path().unlink(missing_ok=True)
    raise ReplicaError(f"the tiled server did not answer within {START_TIMEOUT:.0f} s; see {log_path()}")


def stop(log=print) -> bool:
    state = _read_state()
    if not state:
        log("not running")
        return False
    if not _pid_is_ours(state):
        # The recorded process is gone (or its PID now belongs to something else): never kill it.
        state_path().unlink(missing_ok=True)
        log("not running (removed a stale record)")
        return False
    pid = state["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _pid_is_ours(state):
        time.sleep(0.1)
    if _pid_is_ours(state):
        os.kill(pid, signal.SIGKILL)
    state_path().unlink(missing_ok=True)
    log(f"stopped (pid {pid})")
    return True


def status() -> dict:
    from .generator import read_stamp, is_current

    state = running()
    catalogs = {}
    for name in config.CATALOG_NAMES:
        stamp = read_stamp(name)
        catalogs[name] = (
            {"runs": stamp["runs"], "current": is_current(name), "generated": stamp["generated"]}
            if stamp
            else None
        )
    return {
        "running": bool(state),
        "url": state["url"] if state else None,
        "pid": state["pid"] if state else None,
        "answers": answers(state["url"]) if state else False,
        "backend": config.backend(),
        "var": str(config.var_dir()),
        "catalogs": catalogs,
    }
