"""bin/replica's authenticated-server commands refuse bad input with one clear line (exit 1),
and start/url/status/stop work for --auth as for the other layouts."""

from __future__ import annotations

import json

import httpx

from auth_servers import AuthGroup
from conftest import free_port


def refusal(group: AuthGroup, *args: str) -> str:
    done = group.cli(*args, check=False)
    assert done.returncode == 1, (args, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("replica: ")
    return lines[0]


def test_refusals(tmp_path):
    g = AuthGroup(tmp_path)
    assert "add --auth MODE" in refusal(g, "start", "--access-token-seconds", "5")
    assert "drop --layout mongo" in refusal(g, "start", "--auth", "password", "--layout", "mongo")
    assert "must be > 0 seconds" in refusal(g, "start", "--auth", "password", "--refresh-token-seconds", "0")
    assert "`bin/replica start --auth password`" in refusal(g, "url", "--auth", "password")
    assert "start the server once" in refusal(g, "auth-users", "--auth", "password")
    assert "bin/replica idp start" in refusal(g, "start", "--auth", "oidc", "--port", str(free_port()))
    assert "does not answer" in refusal(g, "start", "--auth", "proxied-oidc", "--port", str(free_port()),
                                        "--oidc-issuer", f"http://127.0.0.1:{free_port()}")
    assert "not running" in refusal(g, "idp", "url")
    assert "`bin/replica start --auth password`" in refusal(g, "live", "--auth", "password")
    g.env["REPLICA_ACCESS_TOKEN_SECONDS"] = "soon"
    assert "REPLICA_ACCESS_TOKEN_SECONDS must be a number" in refusal(g, "start", "--auth", "password")
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_start_url_status_stop(replica_ready, tmp_path):
    g = AuthGroup(tmp_path)
    g.env["REPLICA_ACCESS_TOKEN_SECONDS"] = "7"  # the variable, when no option is given
    port = free_port()
    try:
        url = g.cli("start", "--auth", "password", "--port", str(port)).stdout.strip()
        assert url == f"http://127.0.0.1:{port}"
        assert g.cli("url", "--auth", "password").stdout.strip() == url
        again = g.cli("start", "--auth", "password", "--port", str(port))
        assert again.stdout.strip() == url and "already running" in again.stderr
        status = json.loads(g.cli("status").stdout)
        assert status["auth"]["password"]["running"] and status["auth"]["password"]["answers"]
        assert status["auth"]["password"]["url"] == url
        assert status["auth"]["password"]["users"] == str(tmp_path / "password" / "users.json")
        assert g.cli("auth-users", "--auth", "password").stdout.split() == ["alice", "bob"]
        users = g.users("password")
        r = httpx.post(f"{url}/api/v1/auth/provider/replica/token",
                       data={"username": "bob", "password": users["bob"]["password"]})
        assert r.status_code == 200 and r.json()["expires_in"] == 7.0
    finally:
        stopped = g.cli("stop", "--auth", "password")
    assert "stopped (pid" in stopped.stdout
    assert not json.loads(g.cli("status").stdout)["auth"]["password"]["running"]
    assert "not running" in g.cli("stop", "--auth", "password").stdout
