"""The same replica in PostgreSQL: a throwaway Debian PostgreSQL cluster (initdb in a temp dir,
127.0.0.1 on a free port), bdp2022 generated into it via REPLICA_DATABASE_URI, served by
tiled, and the demo's three searches asked over HTTP.

The cluster is started and stopped by this test, by the PID of its postmaster.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, free_port, launch_server, search_all, stop_server
from test_figures import FULLTEXT_M9, PUSH_IMAGES, TIME_RANGE


def postgres_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return os.path.dirname(found[-1]) if found else None


def as_user():
    """PostgreSQL refuses to run as root: use the Debian package's `postgres` account then."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam("postgres")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


@pytest.fixture(scope="module")
def postgres_cluster():
    bindir = postgres_bin()
    if not bindir:
        pytest.fail("PostgreSQL server binaries are missing: run `bash scripts/setup.sh` "
                    "(it installs Debian's postgresql)")
    # Directly under /tmp: pytest's own temp tree is private to root, and the cluster may run
    # as the postgres account.
    base = Path(tempfile.mkdtemp(prefix="replica-pg-"))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    user = as_user()
    if user:
        for path in (base, sockets):
            os.chown(path, user["user"], user["group"])
    init = subprocess.run([f"{bindir}/initdb", "-D", str(data), "-U", "replica", "--auth=trust",
                           "-E", "UTF8", "--no-sync", "--no-instructions"],
                          capture_output=True, text=True, **user)
    assert init.returncode == 0, init.stderr
    port = free_port()
    log = open(base / "postgres.log", "wb")
    postmaster = subprocess.Popen(
        [f"{bindir}/postgres", "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
         "-k", str(sockets), "-c", "fsync=off", "-c", "synchronous_commit=off",
         "-c", "full_page_writes=off"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **user)
    try:
        deadline = time.monotonic() + 30
        while subprocess.run([f"{bindir}/pg_isready", "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            assert postmaster.poll() is None, (base / "postgres.log").read_text()
            assert time.monotonic() < deadline, "PostgreSQL did not start in 30 s"
            time.sleep(0.2)
        subprocess.run([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "replica",
                        "replica"], check=True, capture_output=True)
        yield f"postgresql://replica@127.0.0.1:{port}/replica"
    finally:
        postmaster.terminate()  # SIGTERM: PostgreSQL's "smart" shutdown of this PID only
        try:
            postmaster.wait(timeout=30)
        except subprocess.TimeoutExpired:
            postmaster.kill()
            postmaster.wait()
        shutil.rmtree(base, ignore_errors=True)


def test_bdp2022_in_postgresql(postgres_cluster, tmp_path):
    var_dir = tmp_path / "var"
    env = dict(os.environ, REPLICA_VAR=str(var_dir), REPLICA_DATABASE_URI=postgres_cluster)
    result = subprocess.run([str(ROOT / "bin" / "replica"), "generate", "--catalog", "bdp2022"],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (var_dir / "catalogs" / "bdp2022" / "catalog.db").exists()  # nothing went to SQLite

    port = free_port()
    server = launch_server(var_dir, port, {"REPLICA_DATABASE_URI": postgres_cluster})
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=60) as http:
            in_range = search_all(http, "bdp2022", TIME_RANGE)
            assert len(in_range) == 397
            assert in_range[0]["attributes"]["metadata"]["start"]["scan_id"] == 1596
            assert in_range[-1]["id"] == "ae762f9c-4933-4aa4-a720-147f4aaab6fd"

            push = search_all(http, "bdp2022", PUSH_IMAGES)
            assert len(push) == 125
            assert push[0]["attributes"]["metadata"]["start"]["time"] == 1657944894.974411
            assert push[-1]["id"] == "ae762f9c-4933-4aa4-a720-147f4aaab6fd"

            # PostgreSQL's full text is a tsvector over string values: "M9 demo", "m9_push_images"
            m9 = search_all(http, "bdp2022", FULLTEXT_M9)
            assert len(m9) == 75
            assert m9[0]["attributes"]["metadata"]["start"]["scan_id"] == 1961
            assert m9[-1]["id"] == "a1233634-1259-438f-b9f0-f77c26f48f54"
    finally:
        stop_server(server)
