"""The authenticated replica, password mode (`bin/replica start --auth password`): tiled's
DictionaryAuthenticator over the generated catalogs, driven over HTTP and with tiled's own CLI
and Python client (the oracle). Each quirk of tiled 0.2.20 found here has its test.

Two servers: `server` (access tokens live 3 s, so refresh happens inside a test) and `short`
(access 2 s, refresh token 5 s, session 9 s) for expiry.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import time

import httpx
import jwt
import pytest

from auth_servers import AuthGroup, Passwords, apikey, bearer, harness, password_login


@pytest.fixture(scope="module")
def group(replica_ready, tmp_path_factory):
    g = AuthGroup(tmp_path_factory.mktemp("auth-password"))
    try:
        g.url = g.start("password", "--access-token-seconds", "3")
        g.api = f"{g.url}/api/v1"
        yield g
    finally:
        g.stop()


@pytest.fixture(scope="module")
def short(replica_ready, tmp_path_factory):
    g = AuthGroup(tmp_path_factory.mktemp("auth-password-short"))
    try:
        g.url = g.start("password", "--access-token-seconds", "2", "--refresh-token-seconds", "5",
                        "--session-seconds", "9")
        g.api = f"{g.url}/api/v1"
        yield g
    finally:
        g.stop()


@pytest.fixture(scope="module")
def pw(group):
    return Passwords({name: u["password"] for name, u in group.users("password").items()})


def login(group, pw, user="alice") -> dict:
    r = password_login(group.api, user, pw[user])
    assert r.status_code == 200, r.text
    return r.json()


# --- discovery and anonymous access -------------------------------------------------------------


def test_discovery_says_login_is_required(group):
    about = httpx.get(f"{group.api}/").json()["authentication"]
    assert about["required"] is True
    (provider,) = about["providers"]
    assert provider["provider"] == "replica" and provider["mode"] == "internal"
    assert provider["links"] == {"auth_endpoint": f"{group.api}/auth/provider/replica/token"}
    assert "{id}" in provider["confirmation_message"]
    assert about["links"] == {
        "whoami": f"{group.api}/auth/whoami",
        "apikey": f"{group.api}/auth/apikey",
        "refresh_session": f"{group.api}/auth/session/refresh",
        "revoke_session": f"{group.api}/auth/session/revoke/{{session_id}}",
        "logout": f"{group.api}/auth/logout",
    }


def test_anonymous_requests_are_refused(group):
    for path in ("/metadata/bdp2022", "/search/", "/search/bdp2022"):
        r = httpx.get(f"{group.api}{path}")
        # Quirk: a missing login is 401 "Not enough permissions" (a scope check), with the API root.
        assert r.status_code == 401, path
        assert r.json()["detail"].startswith("Not enough permissions. Requires scopes ['read:metadata']")
        assert r.headers["www-authenticate"] == 'Bearer scope="read:metadata"'
        assert r.headers["x-tiled-root"] == group.api


def test_anonymous_whoami_is_200_null(group):
    # Quirk: whoami without credentials is not 401 but 200 with a JSON null.
    r = httpx.get(f"{group.api}/auth/whoami")
    assert r.status_code == 200 and r.json() is None


def test_every_answer_sets_the_csrf_cookie(group):
    r = httpx.get(f"{group.api}/")
    (cookie,) = r.headers.get_list("set-cookie")
    name, _, attrs = cookie.partition("=")
    assert name == "tiled_csrf"
    assert {a.strip().lower() for a in attrs.split(";")[1:]} == {"httponly", "path=/", "samesite=lax"}
    # ... only while the request lacks it.
    again = httpx.get(f"{group.api}/", cookies={"tiled_csrf": r.cookies["tiled_csrf"]})
    assert "set-cookie" not in again.headers


# --- password login -------------------------------------------------------------------------------


def test_password_login_answers_tokens_and_identity(group, pw):
    r = password_login(group.api, "alice", pw["alice"])
    assert r.status_code == 200
    tokens = r.json()
    assert set(tokens) == {"access_token", "expires_in", "refresh_token", "refresh_token_expires_in",
                           "token_type", "identity", "principal"}
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3.0  # the --access-token-seconds we gave
    assert tokens["refresh_token_expires_in"] == 7 * 24 * 3600  # tiled's default
    assert tokens["identity"] == {"id": "alice", "provider": "replica"}
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["type"] == "access" and claims["sub"] == tokens["principal"]
    assert claims["ids"] == [{"id": "alice", "idp": "replica"}]
    assert sorted(claims["scp"]) == ["create:apikeys", "read:data", "read:metadata", "revoke:apikeys"]
    assert claims["exp"] - time.time() <= 3
    read = httpx.get(f"{group.api}/metadata/bdp2022", headers=bearer(tokens["access_token"]))
    assert read.status_code == 200
    assert read.json()["data"]["attributes"]["specs"] == [{"name": "CatalogOfBlueskyRuns", "version": "3.0"}]


def test_wrong_password_and_unknown_user_look_alike(group, pw):
    wrong = password_login(group.api, "alice", pw["bob"])
    unknown = password_login(group.api, "mallory", pw["alice"])
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert r.json() == {"detail": "Incorrect username or password"}
        assert r.headers["www-authenticate"] == "Bearer"


def test_token_route_takes_a_form_not_json(group, pw):
    # OAuth2 password grant: form fields; a JSON body is 422 (fields "missing"), and any
    # grant_type other than "password" is 422 too (grant_type itself may be left out).
    r = httpx.post(f"{group.api}/auth/provider/replica/token", json={"username": "alice", "password": pw["alice"]})
    assert r.status_code == 422
    assert {e["loc"][-1] for e in r.json()["detail"]} == {"username", "password"}
    r = httpx.post(f"{group.api}/auth/provider/replica/token",
                   data={"username": "alice", "password": pw["alice"], "grant_type": "client_credentials"})
    assert r.status_code == 422
    r = httpx.post(f"{group.api}/auth/provider/replica/token",
                   data={"username": "alice", "password": pw["alice"], "grant_type": "password"})
    assert r.status_code == 200


def test_users_read_but_do_not_write(group, pw):
    token = login(group, pw)["access_token"]
    body = {"data": {"type": "node", "attributes": {"structure_family": "container", "metadata": {}, "specs": []}}}
    r = httpx.post(f"{group.api}/metadata/live", headers=bearer(token), json=body)
    # Quirk: a missing scope is 401, not 403.
    assert r.status_code == 401
    assert "Requires scopes ['write:metadata', 'create:node']" in r.json()["detail"]
    r = httpx.patch(f"{group.api}/metadata/bdp2022", headers=bearer(token), json={"metadata": {"x": 1}})
    assert r.status_code == 401


def test_whoami_shows_the_user_and_sessions(group, pw):
    tokens = login(group, pw, "bob")
    me = httpx.get(f"{group.api}/auth/whoami", headers=bearer(tokens["access_token"])).json()
    assert me["type"] == "user" and me["uuid"].replace("-", "") == tokens["principal"]
    assert [(i["id"], i["provider"]) for i in me["identities"]] == [("bob", "replica")]
    assert me["roles"] == [{"name": "user", "scopes": ["read:metadata", "read:data", "create:apikeys", "revoke:apikeys"]}]
    sid = jwt.decode(tokens["refresh_token"], options={"verify_signature": False})["sid"]
    assert sid in {s["uuid"].replace("-", "") for s in me["sessions"]}
    # Quirk: JSON datetimes carry no time zone (they are UTC).
    assert "T" in me["identities"][0]["latest_login"] and "+" not in me["identities"][0]["latest_login"]


# --- refresh ---------------------------------------------------------------------------------------


def test_expired_access_token_then_refresh(group, pw):
    tokens = login(group, pw)
    time.sleep(4)
    r = httpx.get(f"{group.api}/metadata/bdp2022", headers=bearer(tokens["access_token"]))
    assert r.status_code == 401
    assert r.json() == {"detail": "Access token has expired. Refresh token."}
    # (no scope in this challenge, unlike the anonymous one)
    assert r.headers["www-authenticate"] == "Bearer"
    r = httpx.post(f"{group.api}/auth/session/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    fresh = r.json()
    # Quirk: a refresh answers no identity and no principal (only the login does).
    assert set(fresh) == {"access_token", "expires_in", "refresh_token", "refresh_token_expires_in", "token_type"}
    answer = httpx.get(f"{group.api}/metadata/bdp2022", headers=bearer(fresh["access_token"]))
    assert answer.status_code == 200
    # Same session: the new refresh token carries the old one's session id.
    sid = lambda t: jwt.decode(t, options={"verify_signature": False})["sid"]  # noqa: E731
    assert sid(fresh["refresh_token"]) == sid(tokens["refresh_token"])
    # Quirk: refresh tokens are not rotated: the old one still refreshes (the session decides).
    again = httpx.post(f"{group.api}/auth/session/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 200


def test_refresh_takes_json_not_a_form(group, pw):
    tokens = login(group, pw)
    r = httpx.post(f"{group.api}/auth/session/refresh",
                   data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert r.status_code == 422


def test_concurrent_refreshes_of_one_session_all_succeed(group, pw):
    tokens = login(group, pw)

    def refresh(_):
        return httpx.post(f"{group.api}/auth/session/refresh", json={"refresh_token": tokens["refresh_token"]})

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(refresh, range(4)))
    assert [r.status_code for r in answers] == [200] * 4
    for r in answers:
        answer = httpx.get(f"{group.api}/metadata/bdp2022", headers=bearer(r.json()["access_token"]))
        assert answer.status_code == 200


def test_garbage_refresh_token_is_401(group):
    r = httpx.post(f"{group.api}/auth/session/refresh", json={"refresh_token": "garbage"})
    assert r.status_code == 401
    assert r.json()["detail"] == "Could not validate credentials"


def test_revoked_session_cannot_refresh_but_its_access_token_lives_on(group, pw):
    tokens = login(group, pw)
    r = httpx.post(f"{group.api}/auth/session/revoke", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 204
    r = httpx.post(f"{group.api}/auth/session/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401
    assert r.json() == {"detail": "Session has expired. Please re-authenticate."}
    # A JWT access token cannot be revoked: it works until it expires.
    answer = httpx.get(f"{group.api}/metadata/bdp2022", headers=bearer(tokens["access_token"]))
    assert answer.status_code == 200
    # Revoking again is 204 again (the 409 "No session" branch is for sessions that are gone).
    r = httpx.post(f"{group.api}/auth/session/revoke", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 204
    r = httpx.post(f"{group.api}/auth/session/revoke", json={"refresh_token": "garbage"})
    assert r.status_code == 401 and r.json()["detail"] == "Could not validate credentials"


def test_revoke_session_by_id(group, pw):
    alice = login(group, pw, "alice")
    bob = login(group, pw, "bob")
    sid = jwt.decode(alice["refresh_token"], options={"verify_signature": False})["sid"]
    # Someone else's session: 404, as if it did not exist.
    r = httpx.delete(f"{group.api}/auth/session/revoke/{sid}", headers=bearer(bob["access_token"]))
    assert r.status_code == 404
    r = httpx.delete(f"{group.api}/auth/session/revoke/{sid}", headers=bearer(alice["access_token"]))
    assert r.status_code == 204
    answer = httpx.post(f"{group.api}/auth/session/refresh",
                      json={"refresh_token": alice["refresh_token"]})
    assert answer.status_code == 401


def test_refresh_token_and_session_expire(short):
    pw = Passwords({name: u["password"] for name, u in short.users("password").items()})
    first = password_login(short.api, "alice", pw["alice"]).json()
    assert first["expires_in"] == 2.0 and first["refresh_token_expires_in"] == 5.0
    # Refresh token lifetime: an unused refresh token dies after 5 s.
    time.sleep(6)
    r = httpx.post(f"{short.api}/auth/session/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401 and r.json() == {"detail": "Session has expired. Please re-authenticate."}
    # Session lifetime: refreshing every few seconds keeps the refresh token fresh, but the
    # session ends 9 s after the login all the same.
    tokens = password_login(short.api, "alice", pw["alice"]).json()
    started = time.monotonic()
    statuses = []
    while time.monotonic() - started < 12:
        time.sleep(3)
        r = httpx.post(f"{short.api}/auth/session/refresh", json={"refresh_token": tokens["refresh_token"]})
        statuses.append((round(time.monotonic() - started), r.status_code))
        if r.status_code != 200:
            break
        tokens = r.json()
    assert statuses[0][1] == 200, statuses
    assert statuses[-1][1] == 401 and statuses[-1][0] >= 9, statuses


# --- API keys ---------------------------------------------------------------------------------


def test_apikey_create_use_list_revoke(group, pw):
    token = login(group, pw)["access_token"]
    r = httpx.post(f"{group.api}/auth/apikey", headers=bearer(token),
                   json={"scopes": None, "expires_in": 600, "note": "notebook 07"})
    assert r.status_code == 200
    made = r.json()
    assert set(made) == {"first_eight", "expiration_time", "note", "scopes", "access_tags", "latest_activity", "secret"}
    assert made["scopes"] == ["inherit"] and made["note"] == "notebook 07"
    assert made["secret"][:8] == made["first_eight"] and len(made["secret"]) == 72  # 36 bytes, hex
    key = made["secret"]
    answer = httpx.get(f"{group.api}/metadata/bdp2022", headers=apikey(key))
    assert answer.status_code == 200
    answer = httpx.get(f"{group.api}/metadata/bdp2022", params={"api_key": key})
    assert answer.status_code == 200
    # GET /auth/apikey: what the key in use is (whichApiKey).
    info = httpx.get(f"{group.api}/auth/apikey", headers=apikey(key)).json()
    assert info["first_eight"] == made["first_eight"] and "secret" not in info
    me = httpx.get(f"{group.api}/auth/whoami", headers=apikey(key)).json()
    assert made["first_eight"] in {k["first_eight"] for k in me["api_keys"]}
    r = httpx.delete(f"{group.api}/auth/apikey", params={"first_eight": made["first_eight"]}, headers=bearer(token))
    assert r.status_code == 204
    r = httpx.get(f"{group.api}/metadata/bdp2022", headers=apikey(key))
    assert r.status_code == 401 and r.json()["detail"] == "Invalid API key"


def test_apikey_request_needs_scopes_and_expires_in(group, pw):
    token = login(group, pw)["access_token"]
    # Quirk: both fields are required, though either may be null.
    r = httpx.post(f"{group.api}/auth/apikey", headers=bearer(token), json={"note": "x"})
    assert r.status_code == 422
    assert {e["loc"][-1] for e in r.json()["detail"]} == {"scopes", "expires_in"}


def test_apikey_scopes_are_limited_to_the_users(group, pw):
    token = login(group, pw)["access_token"]
    r = httpx.post(f"{group.api}/auth/apikey", headers=bearer(token),
                   json={"scopes": ["write:data"], "expires_in": 60})
    assert r.status_code == 403 and "must be a subset" in r.json()["detail"]
    r = httpx.post(f"{group.api}/auth/apikey", headers=bearer(token),
                   json={"scopes": ["read:metadata"], "expires_in": 60})
    key = r.json()["secret"]
    answer = httpx.get(f"{group.api}/metadata/bdp2022", headers=apikey(key))
    assert answer.status_code == 200
    # read:data is missing from this key
    r = httpx.get(f"{group.api}/table/full/bdp2022", headers=apikey(key))
    assert r.status_code == 401


def test_apikey_of_someone_else_cannot_be_revoked(group, pw):
    alice = login(group, pw, "alice")["access_token"]
    bob = login(group, pw, "bob")["access_token"]
    made = httpx.post(f"{group.api}/auth/apikey", headers=bearer(alice), json={"scopes": None, "expires_in": 60}).json()
    r = httpx.delete(f"{group.api}/auth/apikey", params={"first_eight": made["first_eight"]}, headers=bearer(bob))
    assert r.status_code == 404
    answer = httpx.get(f"{group.api}/metadata/bdp2022", headers=apikey(made["secret"]))
    assert answer.status_code == 200


def test_apikey_expires(group, pw):
    token = login(group, pw)["access_token"]
    key = httpx.post(f"{group.api}/auth/apikey", headers=bearer(token), json={"scopes": None, "expires_in": 1}).json()
    time.sleep(2.2)
    r = httpx.get(f"{group.api}/metadata/bdp2022", headers=apikey(key["secret"]))
    assert r.status_code == 401 and r.json()["detail"] == "Invalid API key"


def test_malformed_authorization_headers(group):
    # Quirk: an unknown scheme is 400, not 401.
    r = httpx.get(f"{group.api}/metadata/bdp2022", headers={"Authorization": "Token abc"})
    assert r.status_code == 400 and "Authorization header must include the authorization type" in r.json()["detail"]
    r = httpx.get(f"{group.api}/metadata/bdp2022", headers=bearer("garbage"))
    assert r.status_code == 401 and r.json()["detail"] == "Could not validate credentials"
    r = httpx.get(f"{group.api}/metadata/bdp2022", headers=apikey("not-hex"))
    assert r.status_code == 401 and r.json()["detail"] == "Invalid API key"


def test_csrf_is_enforced_only_with_the_api_key_cookie(group, pw):
    token = login(group, pw)["access_token"]
    key = httpx.post(f"{group.api}/auth/apikey", headers=bearer(token), json={"scopes": None, "expires_in": 600}).json()
    with httpx.Client() as browser:
        # ?api_key= moves the key into an HttpOnly cookie, as for a browser.
        r = browser.get(f"{group.api}/metadata/bdp2022", params={"api_key": key["secret"]})
        assert r.status_code == 200
        assert {c.split("=")[0] for c in r.headers.get_list("set-cookie")} == {"tiled_api_key", "tiled_csrf"}
        # Now any unsafe request needs the CSRF token, header x-csrf = cookie tiled_csrf.
        body = {"scopes": None, "expires_in": 60}
        r = browser.post(f"{group.api}/auth/apikey", json=body)
        assert r.status_code == 403 and r.text == "Expected csrf query parameter or x-csrf header"
        r = browser.post(f"{group.api}/auth/apikey", json=body, headers={"x-csrf": "wrong"})
        assert r.status_code == 403 and r.text == "Double-submit CSRF tokens do not match"
        r = browser.post(f"{group.api}/auth/apikey", json=body, headers={"x-csrf": browser.cookies["tiled_csrf"]})
        assert r.status_code == 200
        # The refresh route too, even though its proof is the body.
        r = browser.post(f"{group.api}/auth/session/refresh", json={"refresh_token": "x"})
        assert r.status_code == 403
    # Without that cookie, no CSRF check (what a program sends).
    answer = httpx.post(f"{group.api}/auth/apikey", headers=bearer(token), json={"scopes": None, "expires_in": 60})
    assert answer.status_code == 200


# --- tiled's own CLI and Python client (the oracle) --------------------------------------------


def test_tiled_login_leaves_tokens_python_reuses(group, pw, tmp_path):
    code, lines = harness("tiled_login.py", group.url, "--username", "alice", cache=tmp_path, password=pw["alice"])
    result = lines[-1]
    assert code == 0 and result["ok"], result
    assert result["token_files"] == {"access_token": "600", "refresh_token": "600"}
    assert result["confirmation"] == "You have logged in to the replica as alice."
    assert result["token_dir"].endswith("/tokens/http%3A%2F%2F127.0.0.1%3A" + group.url.rsplit(":", 1)[1] + "%2Fapi%2Fv1%2F")
    code, (who,) = harness("whoami.py", group.url, "--read", "bdp2022", cache=tmp_path)
    assert code == 0, who
    assert [i["id"] for i in who["whoami"]["identities"]] == ["alice"]
    assert who["children"][:2] == ["bdp2022", "20idb_usaxs"] and "live" in who["children"]
    assert who["read"]["structure_family"] == "container"


def test_python_client_refreshes_from_the_cache(group, pw, tmp_path):
    code, _ = harness("tiled_login.py", group.url, "--username", "bob", cache=tmp_path, password=pw["bob"])
    assert code == 0
    token_dir = next((tmp_path / "tokens").iterdir())
    digest = lambda: hashlib.sha256((token_dir / "access_token").read_bytes()).hexdigest()  # noqa: E731
    before = digest()
    time.sleep(4)  # the access token (3 s) expired in the cache
    code, (who,) = harness("whoami.py", group.url, cache=tmp_path)
    assert code == 0 and [i["id"] for i in who["whoami"]["identities"]] == ["bob"]
    assert digest() != before  # Python refreshed and wrote the new access token back
    assert format((token_dir / "access_token").stat().st_mode & 0o777, "o") == "600"


def test_python_gives_up_after_a_revoked_session_and_clears_the_cache(group, pw, tmp_path):
    code, _ = harness("tiled_login.py", group.url, "--username", "alice", cache=tmp_path, password=pw["alice"])
    assert code == 0
    token_dir = next((tmp_path / "tokens").iterdir())
    refresh_token = (token_dir / "refresh_token").read_text()
    answer = httpx.post(f"{group.api}/auth/session/revoke", json={"refresh_token": refresh_token})
    assert answer.status_code == 204
    time.sleep(4)
    code, (out,) = harness("whoami.py", group.url, cache=tmp_path)
    # The refused refresh clears both tokens; with no terminal, tiled's client cannot prompt.
    assert code == 1 and out["error"] == "CannotPrompt"
    assert out["token_files"] == {}


def test_tiled_login_three_wrong_passwords(group, pw, tmp_path):
    code, lines = harness("tiled_login.py", group.url, "--username", "alice", "--wrong-first", "3",
                          cache=tmp_path, password=pw["alice"])
    # Three tries, then tiled gives up (PasswordRejected) and caches nothing.
    assert code == 1 and lines[-1]["exit_status"] != 0
    assert lines[-1]["token_files"] == {}


def test_tiled_login_second_try_succeeds(group, pw, tmp_path):
    code, lines = harness("tiled_login.py", group.url, "--username", "alice", "--wrong-first", "2",
                          cache=tmp_path, password=pw["alice"])
    assert code == 0 and lines[-1]["ok"]


def test_tiled_logout_revokes_and_clears(group, pw, tmp_path):
    assert harness("tiled_login.py", group.url, "--username", "bob", cache=tmp_path, password=pw["bob"])[0] == 0
    token_dir = next((tmp_path / "tokens").iterdir())
    refresh_token = (token_dir / "refresh_token").read_text()
    code, (out,) = harness("tiled_cmd.py", group.url, "logout", cache=tmp_path)
    assert code == 0 and out["token_files"] == {}
    r = httpx.post(f"{group.api}/auth/session/refresh", json={"refresh_token": refresh_token})
    assert r.status_code == 401


# --- the live writer ---------------------------------------------------------------------------


def test_live_writer_writes_users_read(group, pw):
    # --url of a server this replica started: bin/replica live finds its writer key by itself.
    done = group.cli("live", "--url", group.url, "--events", "3", "--rate", "0")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    started, summary = lines[0], lines[-1]
    assert summary["done"] and summary["events"] == 3 and summary["exit_status"] == "success"
    token = login(group, pw)["access_token"]
    r = httpx.get(f"{group.api}/metadata/{started['path']}", headers=bearer(token))
    assert r.status_code == 200
    assert r.json()["data"]["attributes"]["metadata"]["start"]["uid"] == started["uid"]
    # The writer is a service principal with the single-user key's scopes, not a user.
    me = httpx.get(f"{group.api}/auth/whoami", headers=apikey(group.writer_key("password"))).json()
    assert me["type"] == "service" and me["identities"] == []
    assert [r["name"] for r in me["roles"]] == ["replica-writer"]


# --- no secret in the server's files (runs last: the log holds every request above) ----------


def test_no_secret_in_config_or_log(group, pw):
    directory = group.dir / "password"
    config_text = (directory / "config.yml").read_text()
    log = (directory / "server.log").read_text(errors="replace")
    secrets = [*pw.values(), (directory / "secret-key").read_text().strip(), group.writer_key("password")]
    for text in (config_text, log):
        assert not any(s in text for s in secrets)
    assert "${REPLICA_AUTH_PASSWORD_0}" in config_text and "${REPLICA_AUTH_SECRET_KEY}" in config_text
    # tiled logs request lines with their query: the replica's filter masks ?api_key= values.
    assert "?api_key=***" in log
    assert "api_key=" not in log.replace("api_key=***", "")
    for name in ("users.json", "secret-key", "writer-api-key", "config.yml", "authn.db"):
        assert format((directory / name).stat().st_mode & 0o777, "o") == "600", name
