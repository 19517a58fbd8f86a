"""A throwaway Debian PostgreSQL cluster for the PostgreSQL test, and bdp2022 generated into it.

The cluster is replica.pgcluster.PgCluster (initdb into a temp dir, the postmaster on 127.0.0.1 at
a free port, started and stopped by its PID). conftest starts it (and the generation, in the
background) as soon as collection shows that test_postgres will run, so the few minutes of
generation overlap the other tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "server"))
from replica.pgcluster import PgCluster  # noqa: E402


class Cluster:
    """The cluster plus a replica (REPLICA_VAR) whose bdp2022 is being generated into it."""

    def __init__(self):
        self.base: Path | None = None
        self.postgres: PgCluster | None = None
        self.generator: subprocess.Popen | None = None
        self.error: str | None = None
        self.uri = ""
        self.var_dir: Path | None = None

    def start(self) -> None:
        # Directly under /tmp: pytest's temp tree is private to root, and the cluster may run
        # as the postgres account.
        self.base = Path(tempfile.mkdtemp(prefix="replica-pg-"))
        self.postgres = PgCluster(self.base, user="replica", database="replica")
        try:
            self.uri = self.postgres.init()
        except RuntimeError as err:
            self.error = str(err)
            return
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
        if self.postgres:
            self.postgres.stop()
        if self.base:
            shutil.rmtree(self.base, ignore_errors=True)
