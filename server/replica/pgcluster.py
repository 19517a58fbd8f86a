"""A throwaway PostgreSQL cluster in a folder of its own, always stopped by the postmaster's own PID.

Used by the tests (server/tests/postgres_cluster.py: the replica generated into PostgreSQL) and by
the bench (var/bench/pg: made once by bench/generate.py, started and stopped by bench/bench.py).
Debian's server binaries (/usr/lib/postgresql/<v>/bin, installed by scripts/setup.sh): initdb with
trust authentication for one user, the postmaster on 127.0.0.1 at a free port with its socket
directory inside the cluster's folder, and, when this runs as root (PostgreSQL refuses root), as
the package's `postgres` account.

    cluster = PgCluster(BENCH / "pg", user="bench", database="bench")
    uri = cluster.init()                # a new cluster, started: postgresql://bench@127.0.0.1:<port>/bench
    cluster.stop()
    uri = cluster.start()               # again, later (a new free port)
    ...
    cluster.stop()                      # SIGINT to the postmaster's PID (a "fast" shutdown)

A postmaster left running by a run that was killed outright is found through data/postmaster.pid
(PostgreSQL writes it) and stopped, by that PID, before the next start.
"""
from __future__ import annotations

import glob
import os
import pwd
import signal
import socket
import subprocess
import time
from pathlib import Path


def postgres_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return os.path.dirname(found[-1]) if found else None


def _as_user() -> dict:
    """subprocess arguments that drop root to the `postgres` account (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam("postgres")
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, base: Path, user: str, database: str):
        self.base = base
        self.user = user
        self.database = database
        self.data = base / "data"
        self.sockets = base / "sockets"
        self.log_path = base / "postgres.log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.bindir = postgres_bin()

    @property
    def uri(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _need_bin(self) -> str:
        if not self.bindir:
            raise RuntimeError("PostgreSQL server binaries are missing: run `bash scripts/setup.sh` (it installs Debian's postgresql)")
        return self.bindir

    def init(self) -> str:
        """A new, empty cluster, left running, with the database owned by the user (trust auth, loopback only); its URI."""
        bindir = self._need_bin()
        self.base.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        user = _as_user()
        if user:
            for path in (self.base, self.sockets):
                os.chown(path, user["user"], user["group"])
        init = subprocess.run([f"{bindir}/initdb", "-D", str(self.data), "-U", self.user, "--auth=trust", "-E", "UTF8",
                               "--no-sync", "--no-instructions"], capture_output=True, text=True, **user)
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
        self.start(fast_writes=True)
        try:
            created = subprocess.run([f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, self.database],
                                     capture_output=True, text=True)
            if created.returncode != 0:
                raise RuntimeError(f"createdb failed: {created.stderr.strip()}")
        except BaseException:
            self.stop()
            raise
        return self.uri

    def stale(self) -> int | None:
        """Stop a postmaster of this cluster left over from a run killed outright; its PID, or None."""
        pidfile = self.data / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (ValueError, OSError, IndexError):
            return None
        if "postgres" not in cmdline or str(self.data) not in cmdline:
            return None
        os.kill(pid, signal.SIGINT)
        for _ in range(150):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)
        return pid

    def start(self, fast_writes: bool = False) -> str:
        """Start the postmaster on a free loopback port and wait until it accepts connections."""
        bindir = self._need_bin()
        self.stale()
        self.port = free_port()
        # A throwaway cluster: fsync off makes generation faster (the bench times only reads).
        settings = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] if fast_writes else ["-c", "fsync=off"]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [f"{bindir}/postgres", "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.sockets), *settings],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, **_as_user())
        deadline = time.monotonic() + 60
        while subprocess.run([f"{bindir}/pg_isready", "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("PostgreSQL did not start: " + self.log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.2)
        return self.uri

    def psql(self, sql: str) -> str:
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", self.database, "-At", "-c", sql],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed: {out.stderr.strip()}")
        return out.stdout.strip()

    def stop(self) -> None:
        """SIGINT to the postmaster's PID: PostgreSQL's "fast" shutdown of this cluster only."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
