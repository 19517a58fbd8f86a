"""Fixtures: the generated catalogs (via `ensure`) served by a real tiled server on a free port.

The server is started here, not by `bin/replica start`, so the tests never touch a server the
user (or another engineer) runs from the same var/replica; it is stopped by its PID at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "server"))

from replica import config  # noqa: E402
from replica.ports import free_port  # noqa: E402,F401  (the tests import it from here)


def launch_server(var_dir: Path, port: int, env_extra: dict | None = None, *,
                  catalogs: list[str] | None = None, ready_path: str = "/api/v1/") -> subprocess.Popen:
    """Start tiled on `port` for the replica in `var_dir`, the way `bin/replica start` does.

    `catalogs` overrides the generated catalogs served (`[]`: only /live, nothing to generate);
    the server counts as up once `ready_path` answers 200."""
    env = dict(os.environ, REPLICA_VAR=str(var_dir), **(env_extra or {}))
    env["PYTHONPATH"] = str(ROOT / "server")
    served = "service.served_catalogs()" if catalogs is None else repr(list(catalogs))
    code = (
        "from replica import config, service; "
        f"config.write_serve_config({served}); "
        "print(config.api_key())"
    )
    key = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    env["REPLICA_SERVER_API_KEY"] = key
    log = open(var_dir / "test-server.log", "wb")  # one file, overwritten: the last run's log
    process = subprocess.Popen(
        [sys.executable, "-m", "replica.serve_app", str(var_dir / "config.yml"), "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=var_dir,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tiled exited with {process.returncode}; see {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    process.terminate()
    raise RuntimeError(f"tiled did not answer {ready_path} on port {port} within 90 s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def replica_ready():
    """The catalogs in var/replica, generated if missing or stale (bin/replica ensure)."""
    from replica.generator import ensure

    ensure(log=lambda msg: print(msg, file=sys.stderr))
    return config.var_dir()


@pytest.fixture(scope="session")
def server_url(replica_ready):
    port = free_port()
    process = launch_server(replica_ready, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def http(server_url):
    with httpx.Client(base_url=f"{server_url}/api/v1", timeout=60) as client:
        yield client


def search_all(http: httpx.Client, path: str, params: list[tuple[str, str]]) -> list[dict]:
    """Every match of a search, following links.next (which drops the filters: add them back)."""
    results: list[dict] = []
    offset = 0
    while True:
        page = http.get(f"/search/{path}", params=params + [("page[offset]", str(offset)),
                                                            ("page[limit]", "300")])
        page.raise_for_status()
        body = page.json()
        results.extend(body["data"])
        offset += len(body["data"])
        if not body["data"] or offset >= body["meta"]["count"]:
            return results


# --- the PostgreSQL cluster: started once collection shows test_postgres will run -------------


def pytest_collection_modifyitems(session, config, items):
    if not config.option.collectonly and any(item.module.__name__ == "test_postgres" for item in items):
        from postgres_cluster import Cluster

        cluster = Cluster()
        config._replica_postgres = cluster
        # Generation into PostgreSQL takes minutes: start it now, so it overlaps the other tests.
        cluster.start()


def pytest_unconfigure(config):
    cluster = getattr(config, "_replica_postgres", None)
    if cluster:
        cluster.stop()


# --- the legacy replica (databroker's MongoDB layout on mongomock): test_legacy.py ----------------

LEGACY_READY_SECONDS: list[float] = []  # start-up to ready of each legacy server the tests started


def launch_legacy_server(var_dir: Path, port: int, catalogs=None) -> subprocess.Popen:
    """Start the legacy server on `port` for the replica in `var_dir`, the way
    `bin/replica start --layout mongo` does (key through the environment, TZ=America/Chicago).
    `catalogs`: the names to serve (default: every generated one)."""
    env = dict(os.environ, REPLICA_VAR=str(var_dir))
    env["PYTHONPATH"] = str(ROOT / "server")
    names = "None" if catalogs is None else repr(list(catalogs))
    code = (
        "from replica import config, legacy; "
        f"names = {names}; "
        "legacy.write_serve_config(legacy.served_catalogs() if names is None else names); "
        "print(config.api_key())"
    )
    key = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    env["REPLICA_SERVER_API_KEY"] = key
    env["TZ"] = "America/Chicago"
    log = open(var_dir / "test-legacy-server.log", "wb")
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "replica.serve_app", str(var_dir / "legacy-config.yml"), "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=var_dir,
    )
    deadline = started + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the legacy server exited with {process.returncode}; see {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/", timeout=1).status_code == 200:
                process.ready_seconds = time.monotonic() - started
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"the legacy server did not answer on port {port} within 90 s")


@pytest.fixture(scope="session")
def legacy_url(replica_ready):
    """The legacy server over the generated catalogs (their documents.jsonl.gz), on a free port."""
    port = free_port()
    process = launch_legacy_server(replica_ready, port)
    LEGACY_READY_SECONDS.append(process.ready_seconds)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def legacy_http(legacy_url):
    # A new connection per request: after a 500 the server drops the kept-alive connection, and
    # the next request on it would fail with "connection reset" (the quirk tests ask for 500s).
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=f"{legacy_url}/api/v1", timeout=120, limits=limits) as client:
        yield client


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if LEGACY_READY_SECONDS:
        terminalreporter.write_line(
            f"legacy replica (mongo layout, both catalogs): start-up to ready in "
            f"{LEGACY_READY_SECONDS[0]:.1f} s (os.cpu_count()={os.cpu_count()}, "
            f"load average {os.getloadavg()[0]:.1f})"
        )


# --- the writable replica (bin/replica start --writable): test_writable.py, test_roundtrip.py -------


class WritableServer:
    """A writable replica started by the tests in its own REPLICA_VAR (never var/replica/writable,
    which a user's `bin/replica start --writable` wipes and serves)."""

    def __init__(self, var_dir: Path, port: int):
        self.var_dir = var_dir
        self.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, REPLICA_VAR=str(var_dir), PYTHONPATH=str(ROOT / "server"))
        env.pop("TILED_API_KEY", None)  # a key of its own, in var_dir/api-key
        code = "from replica import config, writable; writable.prepare(); print(config.api_key())"
        self.api_key = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                      capture_output=True, text=True).stdout.strip()
        env["REPLICA_SERVER_API_KEY"] = self.api_key
        self.log = var_dir / "test-writable-server.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "replica.serve_app", str(var_dir / "writable" / "config.yml"),
                 "--port", str(port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=var_dir,
            )
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"tiled exited with {self.process.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.url}/api/v1/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                stop_server(self.process)
                raise RuntimeError(f"the writable server did not answer on port {port} within 90 s")
            time.sleep(0.25)
        from replica import writable
        from replica.rawfiles import register_raw_files

        self.raw_dir = var_dir / "writable" / "raw"
        register_raw_files(self.url, self.api_key, self.raw_dir, node=writable.RAW_NODE)

    def client(self, **kwargs):
        """tiled's Python client with the key."""
        from tiled.client import from_uri

        return from_uri(self.url, api_key=self.api_key, **kwargs)

    def stop(self):
        stop_server(self.process)


@pytest.fixture(scope="session")
def writable_server(tmp_path_factory):
    server = WritableServer(tmp_path_factory.mktemp("writable-var"), free_port())
    try:
        yield server
    finally:
        server.stop()
