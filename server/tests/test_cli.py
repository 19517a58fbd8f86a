"""bin/replica's refusals: each is one clear line, exit status 1, and changes nothing."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
from pathlib import Path

from conftest import ROOT

REPLICA = str(ROOT / "bin" / "replica")


def run_replica(*args, env=None):
    return subprocess.run([REPLICA, *args], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=120)


def fingerprint(var_dir: Path) -> dict:
    """Size, mtime and content hash of every file under the catalogs (what a change would touch)."""
    out = {}
    for path in sorted((var_dir / "catalogs").rglob("*")):
        if path.is_file():
            st = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if st.st_size < 50e6 else ""
            out[str(path)] = (st.st_size, st.st_mtime_ns, digest)
    return out


def test_generate_refuses_a_catalog_that_holds_runs(replica_ready):
    before = fingerprint(replica_ready)
    result = run_replica("generate", "--catalog", "bdp2022")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "bdp2022 already holds" in lines[0] and "--force" in lines[0]
    assert fingerprint(replica_ready) == before


def test_generate_refuses_an_unknown_catalog(replica_ready):
    before = fingerprint(replica_ready)
    result = run_replica("generate", "--force", "--catalog", "bdp2023")
    assert result.returncode == 1
    line = result.stderr.strip()
    assert "unknown catalog 'bdp2023'" in line and "bdp2022" in line and "20idb_usaxs" in line
    assert fingerprint(replica_ready) == before


def test_start_on_a_taken_port(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = run_replica("start", "--port", str(port), env={"REPLICA_VAR": str(tmp_path)})
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "already in use" in result.stderr
    assert "--port" in result.stderr  # says what to do
    assert not (tmp_path / "server.json").exists()


def test_url_when_not_running(tmp_path):
    result = run_replica("url", env={"REPLICA_VAR": str(tmp_path)})
    assert result.returncode == 1 and "bin/replica start" in result.stderr


def test_missing_venv_message(tmp_path):
    # A copy of the wrapper in a tree without .venv: the message must name the setup script.
    (tmp_path / "bin").mkdir()
    wrapper = tmp_path / "bin" / "replica"
    wrapper.write_text((ROOT / "bin" / "replica").read_text())
    wrapper.chmod(0o755)
    result = subprocess.run([str(wrapper), "status"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "bash scripts/setup.sh" in result.stderr


def test_api_key_file_is_private(replica_ready):
    if os.environ.get("TILED_API_KEY"):
        return
    key_file = replica_ready / "api-key"
    assert key_file.exists()
    assert (key_file.stat().st_mode & 0o777) == 0o600
    key = key_file.read_text().strip()
    for log in replica_ready.glob("*.log"):
        assert key not in log.read_text(errors="replace"), log
    assert key not in (replica_ready / "config.yml").read_text()
