"""A throwaway Debian PostgreSQL cluster for the PostgreSQL test, and bdp2022 generated into it.

initdb into a temp dir, the postmaster on 127.0.0.1 at a free port, started and stopped by its
PID. conftest starts it (and the generation, in the background) as soon as collection shows
that test_postgres will run, so the few minutes of generation overlap the other tests.
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

ROOT = Path(__file__).resolve().parents[2]


def postgres_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return os.path.dirname(found[-1]) if found else None


def _as_user() -> dict:
    """PostgreSQL refuses to run as root: use the Debian package's `postgres` account then."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam("postgres")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """The cluster plus a replica (REPLICA_VAR) whose bdp2022 is being generated into it."""

    def __init__(self):
        self.base: Path | None = None
        self.postmaster: subprocess.Popen | None = None
        self.generator: subprocess.Popen | None = None
        self.error: str | None = None
        self.uri = ""
        self.var_dir: Path | None = None

    def start(self) -> None:
        bindir = postgres_bin()
        if not bindir:
            self.error = ("PostgreSQL server binaries are missing: run `bash scripts/setup.sh` "
                          "(it installs Debian's postgresql)")
            return
        # Directly under /tmp: pytest's temp tree is private to root, and the cluster may run
        # as the postgres account.
        self.base = Path(tempfile.mkdtemp(prefix="replica-pg-"))
        data, sockets = self.base / "data", self.base / "sockets"
        sockets.mkdir()
        user = _as_user()
        if user:
            for path in (self.base, sockets):
                os.chown(path, user["user"], user["group"])
        init = subprocess.run([f"{bindir}/initdb", "-D", str(data), "-U", "replica", "--auth=trust",
                               "-E", "UTF8", "--no-sync", "--no-instructions"],
                              capture_output=True, text=True, **user)
        if init.returncode != 0:
            self.error = f"initdb failed: {init.stderr.strip()}"
            return
        port = _free_port()
        log = open(self.base / "postgres.log", "wb")
        self.postmaster = subprocess.Popen(
            [f"{bindir}/postgres", "-D", str(data), "-h", "127.0.0.1", "-p", str(port),
             "-k", str(sockets), "-c", "fsync=off", "-c", "synchronous_commit=off",
             "-c", "full_page_writes=off"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **user)
        deadline = time.monotonic() + 30
        while subprocess.run([f"{bindir}/pg_isready", "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            if self.postmaster.poll() is not None or time.monotonic() > deadline:
                self.error = "PostgreSQL did not start: " + (self.base / "postgres.log").read_text()[-2000:]
                return
            time.sleep(0.2)
        created = subprocess.run([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "replica",
                                  "replica"], capture_output=True, text=True)
        if created.returncode != 0:
            self.error = f"createdb failed: {created.stderr.strip()}"
            return
        self.uri = f"postgresql://replica@127.0.0.1:{port}/replica"
        self.var_dir = self.base / "var"
        self.var_dir.mkdir()
        env = dict(os.environ, REPLICA_VAR=str(self.var_dir), REPLICA_DATABASE_URI=self.uri)
        self.generator = subprocess.Popen(
            [str(ROOT / "bin" / "replica"), "generate", "--catalog", "bdp2022"],
            env=env, stdout=open(self.base / "generate.log", "wb"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)

    def wait_generated(self, timeout: float = 900) -> str | None:
        """None when bdp2022 is in PostgreSQL, else what went wrong."""
        if self.error:
            return self.error
        try:
            code = self.generator.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"generation did not finish in {timeout:.0f} s"
        if code != 0:
            return "generation failed: " + (self.base / "generate.log").read_text()[-3000:]
        return None

    def stop(self) -> None:
        if self.generator and self.generator.poll() is None:
            self.generator.terminate()
            self.generator.wait(timeout=30)
        if self.postmaster and self.postmaster.poll() is None:
            self.postmaster.terminate()  # SIGTERM: PostgreSQL's "smart" shutdown of this PID only
            try:
                self.postmaster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.postmaster.kill()
                self.postmaster.wait()
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
