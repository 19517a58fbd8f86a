"""Start, stop and inspect the replica's tiled servers (one of each layout per var/replica).

    from replica import service
    url = service.start(port=8000)   # returns once GET /api/v1/ answers
    service.stop()
    url = service.start(layout="mongo")   # the legacy replica (replica/legacy/), port 8001
    service.stop(layout="mongo")
    url = service.start(layout="writable")   # an empty catalog to upload into (replica/writable.py), port 8006

The server is tiled's own app, built from var/replica/config.yml and run by uvicorn in a
background process (see serve_app.py). Its PID and port are recorded in var/replica/server.json;
`stop` ends only that PID, and only if it is still our server. The legacy server ("mongo" layout)
has its own files: legacy-config.yml, legacy-server.json, legacy-server.log. The authenticated
servers (`layout="auth-password"`, "auth-oidc", "auth-proxied-oidc"; replica/auth.py) keep theirs
in $REPLICA_AUTH_DIR/<mode>/ (server.json, server.log, config.yml). So has the writable server
("writable": writable/config.yml, writable-server.json, writable-server.log); its catalog under
var/replica/writable is wiped at every start.
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

# layout -> (state file, log file, config file, port variable) under var/replica
_LAYOUT_FILES = {
    "sql": ("server.json", "server.log", "config.yml", "REPLICA_PORT"),
    "mongo": ("legacy-server.json", "legacy-server.log", "legacy-config.yml", "REPLICA_LEGACY_PORT"),
    "writable": ("writable-server.json", "writable-server.log", "writable/config.yml", "REPLICA_WRITABLE_PORT"),
}
# The default port of each server when its variable is unset.
_DEFAULT_PORTS = {"sql": config.DEFAULT_PORT, "mongo": config.LEGACY_DEFAULT_PORT, "writable": config.WRITABLE_DEFAULT_PORT}
# The authenticated servers (replica/auth.py): the SQL layout behind a login, one per mode.
AUTH_PREFIX = "auth-"


def auth_layout(mode: str) -> str:
    from .auth import check_mode

    return AUTH_PREFIX + check_mode(mode)


def auth_mode(layout: str) -> str | None:
    return layout[len(AUTH_PREFIX):] if layout.startswith(AUTH_PREFIX) else None


def check_layout(layout: str) -> str:
    mode = auth_mode(layout)
    if mode is not None:
        from .auth import check_mode

        check_mode(mode)
        return layout
    if layout not in _LAYOUT_FILES:
        raise ReplicaError(f"unknown layout {layout!r}: one of {', '.join(config.LAYOUTS)}, or writable")
    return layout


def _what(layout: str) -> str:
    mode = auth_mode(layout)
    if mode:
        return f"the authenticated ({mode}) replica server"
    return {"sql": "the replica server", "mongo": "the legacy (mongo layout) replica server", "writable": "the writable replica server"}[layout]


def _flag(layout: str) -> str:
    mode = auth_mode(layout)
    if mode:
        return f" --auth {mode}"
    return {"sql": "", "mongo": " --layout mongo", "writable": " --writable"}[layout]


def _file(layout: str, index: int) -> Path:
    mode = auth_mode(check_layout(layout))
    if mode:
        from .auth import mode_dir

        return mode_dir(mode) / ("server.json", "server.log", "config.yml")[index]
    return config.var_dir() / _LAYOUT_FILES[layout][index]


def state_path(layout: str = "sql") -> Path:
    return _file(layout, 0)


def log_path(layout: str = "sql") -> Path:
    return _file(layout, 1)


def config_path(layout: str = "sql") -> Path:
    return _file(layout, 2)


def _port_variable(layout: str) -> str:
    mode = auth_mode(check_layout(layout))
    if mode:
        from .auth import PORT_ENV

        return PORT_ENV[mode]
    return _LAYOUT_FILES[layout][3]


def default_port(layout: str = "sql") -> int:
    variable = _port_variable(layout)
    raw = os.environ.get(variable, "").strip()
    if not raw:
        mode = auth_mode(layout)
        if mode:
            from .auth import DEFAULT_PORTS

            return DEFAULT_PORTS[mode]
        return _DEFAULT_PORTS[layout]
    try:
        return int(raw)
    except ValueError:
        raise ReplicaError(f"{variable} must be a port number, got {raw!r}") from None


def url_for(port: int) -> str:
    return f"http://{config.HOST}:{port}"


def _read_state(layout: str = "sql") -> dict | None:
    try:
        return json.loads(state_path(layout).read_text())
    except (OSError, ValueError):
        return None


def _pid_is_ours(state: dict, layout: str = "sql") -> bool:
    """True if the recorded PID is alive and is still the server we started (not a reused PID)."""
    pid = state.get("pid")
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"replica.serve_app" in cmdline and str(config_path(layout)).encode() in cmdline


def answers(url: str, timeout: float = 2.0) -> bool:
    """GET /api/v1/ answers 200 (the authenticated servers answer it too: discovery is public)."""
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


def running(layout: str = "sql") -> dict | None:
    state = _read_state(layout)
    if state and _pid_is_ours(state, layout):
        return state
    return None


def _refuse_generation_under_sql_server() -> None:
    """The legacy server needs current catalogs (their documents files come from generation);
    generating them would rewrite the files a running SQL server serves."""
    from .generator import is_current

    stale = [n for n in config.CATALOG_NAMES if not is_current(n)]
    sql = running("sql")
    if stale and sql:
        raise ReplicaError(
            f"catalog(s) {', '.join(stale)} must be generated first (missing, or made by other generator "
            f"sources), but the SQL replica server is running from {config.var_dir()} (pid {sql['pid']}) "
            "and generation rewrites the files it serves; nothing was changed. Stop it with "
            "`bin/replica stop`, run `bin/replica start --layout mongo` (it generates), then `bin/replica start`"
        )


def start(port: int | None = None, log=print, layout: str = "sql", *, lifetimes=None,
          oidc_issuer: str | None = None) -> str:
    """Start one server in the background; returns its URL once GET /api/v1/ answers.

    `lifetimes` (auth.Lifetimes) and `oidc_issuer` apply to the authenticated layouts only."""
    check_layout(layout)
    mode = auth_mode(layout)
    port = default_port(layout) if port is None else port
    current = running(layout)
    if current:
        if current["port"] == port:
            log(f"already running (pid {current['pid']})")
            return current["url"]
        raise ReplicaError(
            f"{_what(layout)} is already running on port {current['port']} (pid {current['pid']}); "
            f"run `bin/replica stop{_flag(layout)}` first to move it to port {port}"
        )
    if port_taken(port):
        raise ReplicaError(
            f"port {port} on {config.HOST} is already in use by another program; "
            f"choose another with `bin/replica start{_flag(layout)} --port N` or "
            f"{_port_variable(layout)}=N"
        )

    from .generator import ensure

    if layout == "writable":
        from . import writable

        # Wiped and recreated: every start begins from the same empty catalog and raw files.
        # (A running writable server was refused above, so nothing serves these files now.)
        writable.prepare()
    if layout == "mongo":
        import importlib.util

        missing = [m for m in ("databroker", "mongomock", "suitcase.mongo_normalized", "area_detector_handlers")
                   if importlib.util.find_spec(m.split(".")[0]) is None]
        if missing:
            raise ReplicaError(f"Python packages missing from .venv ({' '.join(missing)}); "
                               "run `bash scripts/setup.sh`")
        _refuse_generation_under_sql_server()
    if mode:
        from . import auth

        lifetimes = lifetimes or auth.Lifetimes.resolve()
        provider = auth.check_provider(mode, oidc_issuer)  # before generating anything
        _refuse_generation_under_sql_server()
    if layout != "writable":
        ensure(log=log)

    env = dict(os.environ)
    if mode:
        # Users, keys, tiled's authentication database and config.yml; the secrets the config
        # refers to (${...}) reach the server through its environment only.
        env.update(auth.prepare(mode, lifetimes, provider))
    elif layout == "sql":
        config.write_serve_config(served_catalogs())
    elif layout == "mongo":
        from . import legacy

        legacy.write_serve_config(legacy.served_catalogs())
        # databroker's summary.datetime is the server process's local time: the 2022 server's.
        env["TZ"] = legacy.TIME_ZONE
    # The key reaches the server only through its environment ($REPLICA_SERVER_API_KEY in
    # config.yml): never on a command line (visible in ps) nor in a file other than api-key.
    if not mode:  # the authenticated servers have no single-user key
        api_key = config.api_key()
        env["REPLICA_SERVER_API_KEY"] = api_key
    # tiled's SQL table adapter picks requested columns with set(...).intersection(fields)
    # (tiled/adapters/sql.py), so their order in the Arrow body follows Python's string hashing. A
    # fixed seed makes every start of the replica answer byte for byte the same, as the recorded
    # snapshots and their freshness check need; the client puts columns back in the order asked.
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(config.ROOT / "server")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    with open(log_path(layout), "ab") as logfile:
        process = subprocess.Popen(
            [sys.executable, "-m", "replica.serve_app", str(config_path(layout)), "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=config_path(layout).parent,
            start_new_session=True,  # survives the shell that ran `bin/replica start`
        )
    url = url_for(port)
    state = {"pid": process.pid, "port": port, "url": url, "started": time.time()}
    if layout != "sql":
        state["layout"] = layout
    if mode:
        state["auth"] = mode
        state["provider"] = auth.PROVIDER[mode]
    state_path(layout).write_text(json.dumps(state) + "\n")

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            state_path(layout).unlink(missing_ok=True)
            tail = log_path(layout).read_text(errors="replace").strip().splitlines()[-5:]
            raise ReplicaError(
                f"the tiled server exited with status {process.returncode} while starting; "
                f"see {log_path(layout)} (last line: {tail[-1] if tail else 'empty log'})"
            )
        if answers(url, timeout=1.0):
            if layout == "writable":
                try:
                    _register_raw_files(url, api_key, log)
                except Exception as err:  # the server is of no use without /raw: do not leave it running
                    process.terminate()
                    process.wait(timeout=15)
                    state_path(layout).unlink(missing_ok=True)
                    raise ReplicaError(
                        f"registering the raw files failed ({type(err).__name__}: {err}); "
                        f"the writable server was stopped; see {log_path(layout)}"
                    ) from None
            if layout != "sql":
                state["ready_seconds"] = round(time.time() - state["started"], 1)
                state_path(layout).write_text(json.dumps(state) + "\n")
            return url
        time.sleep(0.25)
    process.terminate()
    state_path(layout).unlink(missing_ok=True)
    raise ReplicaError(f"the tiled server did not answer within {START_TIMEOUT:.0f} s; see {log_path(layout)}")


def _register_raw_files(url: str, api_key: str, log) -> None:
    """Register the writable server's raw files under /raw (tiled's `register`, over HTTP)."""
    from . import writable
    from .rawfiles import register_raw_files

    log(f"registering the raw files of {writable.raw_dir()} under /{writable.RAW_NODE}")
    register_raw_files(url, api_key, writable.raw_dir(), node=writable.RAW_NODE)


def stop(log=print, layout: str = "sql") -> bool:
    state = _read_state(layout)
    if not state:
        log("not running")
        return False
    if not _pid_is_ours(state, layout):
        # The recorded process is gone (or its PID now belongs to something else): never kill it.
        state_path(layout).unlink(missing_ok=True)
        log("not running (removed a stale record)")
        return False
    pid = state["pid"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _pid_is_ours(state, layout):
        time.sleep(0.1)
    if _pid_is_ours(state, layout):
        os.kill(pid, signal.SIGKILL)
    state_path(layout).unlink(missing_ok=True)
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
    legacy = running("mongo")
    upload = running("writable")
    from . import auth, idp

    authenticated = {}
    for mode in auth.AUTH_MODES:
        server = running(auth_layout(mode))
        authenticated[mode] = {
            "running": bool(server),
            "url": server["url"] if server else None,
            "pid": server["pid"] if server else None,
            "answers": answers(server["url"]) if server else False,
            "users": str(auth.users_path(mode)),
        }
    provider = idp.running()
    return {
        "running": bool(state),
        "url": state["url"] if state else None,
        "pid": state["pid"] if state else None,
        "answers": answers(state["url"]) if state else False,
        "backend": config.backend(),
        "var": str(config.var_dir()),
        "catalogs": catalogs,
        # The legacy replica (`bin/replica start --layout mongo`): databroker's MongoDB layout.
        "legacy": {
            "layout": "mongo",
            "running": bool(legacy),
            "url": legacy["url"] if legacy else None,
            "pid": legacy["pid"] if legacy else None,
            "answers": answers(legacy["url"]) if legacy else False,
            "ready_seconds": legacy.get("ready_seconds") if legacy else None,
        },
        # The writable replica (`bin/replica start --writable`): an empty catalog to upload into.
        "writable": {
            "running": bool(upload),
            "url": upload["url"] if upload else None,
            "pid": upload["pid"] if upload else None,
            "answers": answers(upload["url"]) if upload else False,
            "ready_seconds": upload.get("ready_seconds") if upload else None,
        },
        # The authenticated servers (`bin/replica start --auth MODE`) and their identity provider.
        "auth": authenticated,
        "idp": {
            "running": bool(provider),
            "issuer": provider["issuer"] if provider else None,
            "pid": provider["pid"] if provider else None,
        },
    }
