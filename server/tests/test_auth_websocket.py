"""Websocket subscriptions (/api/v1/stream/single/...) on the password-mode server: how a client
may present its credential, and what tiled 0.2.20 answers when it is missing or bad.

Found here: the handshake takes `Authorization: Apikey` or `?access_token=` (a Bearer header is a
400 handshake refusal); without credentials the server accepts the socket and waits for a first
message {"type": "auth", "access_token" | "api_key": ...}; a first message that is not JSON or not
of type "auth" closes with 4001, bad credentials in it with 4003; `?api_key=` is ignored (the
server then waits for the first message).
"""

from __future__ import annotations

import json
import subprocess
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from auth_servers import AuthGroup, BIN_REPLICA, Passwords, bearer, password_login

SCHEMA = {"type": "container-schema", "version": 1}


@pytest.fixture(scope="module")
def server(replica_ready, tmp_path_factory):
    g = AuthGroup(tmp_path_factory.mktemp("auth-ws"))
    try:
        g.url = g.start("password", "--access-token-seconds", "3")
        g.api = f"{g.url}/api/v1"
        g.ws = g.url.replace("http://", "ws://") + "/api/v1/stream/single/live"
        pw = Passwords({n: u["password"] for n, u in g.users("password").items()})
        g.tokens = password_login(g.api, "alice", pw["alice"]).json()
        g.key = httpx.post(f"{g.api}/auth/apikey", headers=bearer(g.tokens["access_token"]),
                           json={"scopes": None, "expires_in": 3600, "note": "ws"}).json()["secret"]
        g.pw = pw
        yield g
    finally:
        g.stop()


def first_answer(url: str, headers: dict | None = None, send: str | None = None, wait: float = 3.0):
    """("message", json) | ("closed", code, reason) | ("refused", http status, detail) | ("silent",)."""
    try:
        with connect(url, additional_headers=headers or {}, open_timeout=10) as ws:
            if send is not None:
                ws.send(send)
            try:
                return ("message", json.loads(ws.recv(timeout=wait)))
            except TimeoutError:
                return ("silent",)
    except InvalidStatus as err:
        return ("refused", err.response.status_code, json.loads(bytes(err.response.body))["detail"])
    except ConnectionClosed as err:
        return ("closed", err.rcvd.code, err.rcvd.reason)


def auth_message(**credential) -> str:
    return json.dumps({"type": "auth", **credential})


def fresh_token(server) -> str:
    return password_login(server.api, "alice", server.pw["alice"]).json()["access_token"]


def test_apikey_header(server):
    answer = first_answer(server.ws, {"Authorization": f"Apikey {server.key}"})
    assert answer == ("message", SCHEMA)


def test_bearer_header_is_refused_at_the_handshake(server):
    answer = first_answer(server.ws, bearer(fresh_token(server)))
    assert answer == (
        "refused", 400, "Authorization header must be formatted like 'Apikey SECRET'")


def test_access_token_query_parameter(server):
    answer = first_answer(f"{server.ws}?access_token={fresh_token(server)}")
    assert answer == ("message", SCHEMA)


def test_bad_credentials_in_the_handshake(server):
    answer = first_answer(server.ws, {"Authorization": "Apikey " + "00" * 36})
    assert answer == ("refused", 401, "Invalid API key")
    answer = first_answer(f"{server.ws}?access_token=garbage")
    assert answer == ("refused", 401, "Could not validate credentials")


def test_expired_access_token_in_the_query(server):
    token = fresh_token(server)
    time.sleep(4)
    answer = first_answer(f"{server.ws}?access_token={token}")
    assert answer == (
        "refused", 401, "Access token has expired. Refresh token.")


def test_without_credentials_the_server_waits_for_a_first_message(server):
    answer = first_answer(server.ws, wait=2)
    assert answer == ("silent",)
    answer = first_answer(server.ws, send=auth_message(access_token=fresh_token(server)))
    assert answer == ("message", SCHEMA)
    answer = first_answer(server.ws, send=auth_message(api_key=server.key))
    assert answer == ("message", SCHEMA)


def test_api_key_query_parameter_is_ignored_by_websockets(server):
    # HTTP routes take ?api_key=; the websocket route does not: it waits for the first message.
    url = f"{server.ws}?api_key={server.key}"
    answer = first_answer(url, wait=2)
    assert answer == ("silent",)
    answer = first_answer(url, send=auth_message(api_key=server.key))
    assert answer == ("message", SCHEMA)


def test_bad_first_messages_close_4001_or_4003(server):
    answer = first_answer(server.ws, send="hello")
    assert answer == ("closed", 4001, "Expected JSON auth message")
    answer = first_answer(server.ws, send=json.dumps({"type": "hello"}))
    assert answer == ("closed", 4001, 'Expected {"type": "auth", ...}')
    answer = first_answer(server.ws, send=json.dumps(["auth"]))
    assert answer == ("closed", 4001, 'Expected {"type": "auth", ...}')
    answer = first_answer(server.ws, send=auth_message())
    assert answer == ("closed", 4003, "Authentication failed")
    answer = first_answer(server.ws, send=auth_message(access_token="garbage"))
    assert answer == ("closed", 4003, "Authentication failed")
    answer = first_answer(server.ws, send=auth_message(api_key="00" * 36))
    assert answer == ("closed", 4003, "Authentication failed")


def test_expired_access_token_in_the_first_message_is_4003(server):
    token = fresh_token(server)
    time.sleep(4)
    answer = first_answer(server.ws, send=auth_message(access_token=token))
    assert answer == ("closed", 4003, "Authentication failed")


def test_a_key_without_read_scopes_still_subscribes(server):
    # Quirk: the websocket route checks the credential, not its scopes.
    key = httpx.post(f"{server.api}/auth/apikey", headers=bearer(fresh_token(server)),
                     json={"scopes": [], "expires_in": 600}).json()["secret"]
    answer = httpx.get(f"{server.api}/metadata/live", headers={"Authorization": f"Apikey {key}"})
    assert answer.status_code == 401
    answer = first_answer(server.ws, send=auth_message(api_key=key))
    assert answer == ("message", SCHEMA)


def test_first_message_subscription_follows_a_live_run(server):
    messages = []
    with connect(server.ws, open_timeout=10) as ws:
        ws.send(auth_message(access_token=fresh_token(server)))
        messages.append(json.loads(ws.recv(timeout=5)))
        writer = subprocess.Popen([str(BIN_REPLICA), "live", "--auth", "password", "--events", "2", "--rate", "0"],
                                  env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                messages.append(json.loads(ws.recv(timeout=2)))
            except TimeoutError:
                if writer.poll() is not None:
                    break
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err[-1500:]
    uid = json.loads(out.splitlines()[0])["uid"]
    assert messages[0] == SCHEMA
    created = [m for m in messages if m.get("type") == "container-child-created"]
    assert [m["key"] for m in created] == [uid]
    assert created[0]["metadata"]["start"]["uid"] == uid


def test_no_token_in_the_log(server):
    # (runs last) tiled logs websocket request lines with their query; the replica masks them.
    log = (server.dir / "password" / "server.log").read_text(errors="replace")
    assert "?access_token=***" in log
    assert "access_token=" not in log.replace("access_token=***", "")
    assert server.key not in log
