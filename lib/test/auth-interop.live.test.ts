// The token cache shared with tiled's Python client, both directions, with the real `tiled` CLI and
// client from .venv (server/auth_harness): `tiled login` in a terminal (a pty) makes fromUri(uri)
// logged in here; a login here makes Python's from_uri(uri) logged in; and a refresh by either is
// used by the other, which matters most with an identity provider that rotates refresh tokens
// (reusing the old one would revoke the grant). Servers: a password replica (8 s access tokens) and
// a proxied-OIDC replica in front of the OpenID provider (8 s access tokens, rotation on).
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveDevice } from "../../server/oidc/approve.mjs";
import { fromUri } from "../client/from-uri";
import { Context } from "../context";
import { countingHttp } from "./auth-http";
import { AuthGroup, harness, tokenFiles } from "./auth-servers";
import type { Passwords } from "./auth-servers";

const ACCESS_S = 8;
const IDP_ACCESS_S = 8;
const group = new AuthGroup("interop");
let url = "";
let proxiedUrl = "";
let passwords: Passwords;
let idpUsers: Passwords;

beforeAll(async () => {
  await group.startIdp("--interval", "1", "--access-token-seconds", String(IDP_ACCESS_S));
  [url, proxiedUrl] = await Promise.all([group.start("password", "--access-token-seconds", String(ACCESS_S)), group.start("proxied-oidc")]);
  passwords = await group.users("password");
  idpUsers = await group.users("proxied-oidc");
}, 300_000);

afterAll(async () => {
  await group.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), "utf8");

/** whoami.py: Python's from_uri(uri) from the cache alone. */
async function pythonWhoami(uri: string, cache: string, ...extra: string[]): Promise<{ code: number; whoami?: { uuid: string; identities: { id: string }[] }; error?: string; children?: string[] }> {
  const done = await harness("whoami.py", [uri, ...extra], { cache });
  return { code: done.code, ...(done.last as { whoami?: { uuid: string; identities: { id: string }[] }; error?: string; children?: string[] }) };
}

/** A TS device-code login on the proxied server, approved by approve.mjs as alice. */
async function tsDeviceLogin(cacheDir: string, http?: ReturnType<typeof countingHttp>["http"]): Promise<Context> {
  const context = new Context({ baseUrl: proxiedUrl, cacheDir, http });
  await context.login({ onDeviceCode: (p) => void approveDevice({ url: p.verificationUri, userCode: p.userCode, username: "alice", password: idpUsers.of("alice") }).catch(() => undefined) });
  return context;
}

describe("password server: Python login → TypeScript, TypeScript login → Python", () => {
  it("`tiled login` (Python's CLI on a pty) → fromUri(uri) here is logged in, from the same folder", async () => {
    const cache = group.cacheDir();
    const login = await harness("tiled_login.py", [url, "--username", "bob"], { cache, password: passwords.of("bob") });
    expect(login.last).toMatchObject({ ok: true, token_files: { access_token: "600", refresh_token: "600" } });
    const client = await fromUri(url, { cacheDir: cache });
    expect(client.context.tokenDirectory).toBe(login.last.token_dir);
    expect((await client.context.whoami())?.identities[0].id).toBe("bob");
    expect(await client.keys().toArray()).toContain("bdp2022");
  });

  it("a login here → Python's from_uri(uri) is logged in (whoami.py), and reads", async () => {
    const cache = group.cacheDir();
    const context = new Context({ baseUrl: url, cacheDir: cache });
    const me = await context.login({ username: "alice", password: passwords.of("alice") });
    const py = await pythonWhoami(url, cache, "--read", "bdp2022");
    expect(py.code).toBe(0);
    expect(py.whoami?.uuid).toBe(me.uuid);
    expect(py.children).toEqual(expect.arrayContaining(["bdp2022", "20idb_usaxs"]));
  });

  it("Python refreshes → this client, holding the old tokens, takes the new ones from the cache instead of refreshing", async () => {
    const cache = group.cacheDir();
    const counter = countingHttp();
    const context = new Context({ baseUrl: url, cacheDir: cache, http: counter.http });
    const loggedInAt = Date.now();
    await context.login({ username: "alice", password: passwords.of("alice") });
    const before = read(context.tokenDirectory, "access_token");
    await sleep(1_100); // tiled's JWTs differ only by their exp, in whole seconds
    expect((await pythonWhoami(url, cache, "--refresh")).code).toBe(0);
    const pythons = read(context.tokenDirectory, "access_token");
    expect(pythons).not.toBe(before);
    // Our token is now due for refresh (past four fifths of its life); Python's, newer, is not.
    await sleep(loggedInAt + 0.85 * ACCESS_S * 1000 - Date.now());
    expect((await context.whoami())?.identities[0].id).toBe("alice");
    expect(counter.count("/auth/session/refresh")).toBe(0);
    expect(context.credentials.headersFor(url).Authorization).toBe(`Bearer ${pythons}`);
  });

  it("this client refreshes → Python uses the new tokens as they are (no refresh of its own)", async () => {
    const cache = group.cacheDir();
    const context = new Context({ baseUrl: url, cacheDir: cache });
    await context.login({ username: "alice", password: passwords.of("alice") });
    const first = read(context.tokenDirectory, "access_token");
    await sleep(ACCESS_S * 1000 + 500);
    expect((await context.whoami())?.identities[0].id).toBe("alice"); // refreshes
    const ours = read(context.tokenDirectory, "access_token");
    expect(ours).not.toBe(first);
    const py = await pythonWhoami(url, cache);
    expect(py.code).toBe(0);
    expect(py.whoami?.identities[0].id).toBe("alice");
    expect(read(context.tokenDirectory, "access_token")).toBe(ours); // Python wrote nothing: it used ours
  });

  it("a logout here → Python finds no login (CannotPrompt); `tiled logout` from Python → this client is logged out at its next refresh", async () => {
    const cache = group.cacheDir();
    const context = new Context({ baseUrl: url, cacheDir: cache });
    await context.login({ username: "alice", password: passwords.of("alice") });
    await context.logout();
    expect(await pythonWhoami(url, cache)).toMatchObject({ code: 1, error: "CannotPrompt" });

    const other = group.cacheDir();
    const ours = new Context({ baseUrl: url, cacheDir: other });
    await ours.login({ username: "alice", password: passwords.of("alice") });
    const out = await harness("tiled_cmd.py", [url, "logout"], { cache: other });
    expect(out.last).toMatchObject({ exit_status: 0 });
    expect(tokenFiles(ours.tokenDirectory)).toEqual({});
    await sleep(ACCESS_S * 1000 + 500);
    const err = await ours.whoami().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "unauthorized" });
  });
});

describe("proxied OIDC (rotating refresh tokens): device login and refresh, both directions", () => {
  it("`tiled login` with a device code (approved at the provider) → fromUri(uri) here is logged in", async () => {
    const cache = group.cacheDir();
    const login = await harness("tiled_login.py", [proxiedUrl, "--device", "--approve-user", "alice"], { cache, password: idpUsers.of("alice") });
    expect(login.last).toMatchObject({ ok: true });
    expect(login.last.token_files).toMatchObject({ access_token: "600", refresh_token: "600" });
    const client = await fromUri(proxiedUrl, { cacheDir: cache });
    expect((await client.context.whoami())?.type).toBe("user");
    expect(await client.keys().toArray()).toContain("bdp2022");
  });

  it("a device login here → Python's from_uri(uri) is logged in, with the same principal", async () => {
    const cache = group.cacheDir();
    const context = await tsDeviceLogin(cache);
    const me = await context.whoami();
    const py = await pythonWhoami(proxiedUrl, cache, "--read", "bdp2022");
    expect(py.code).toBe(0);
    expect(py.whoami?.uuid).toBe(me?.uuid);
  });

  it("Python refreshes (rotating the refresh token) → this client takes the new tokens from disk; reusing its old refresh token would have revoked the grant", async () => {
    const cache = group.cacheDir();
    const counter = countingHttp();
    const context = await tsDeviceLogin(cache, counter.http);
    const loggedInAt = Date.now();
    const oldRefresh = read(context.tokenDirectory, "refresh_token");
    expect((await pythonWhoami(proxiedUrl, cache, "--refresh")).code).toBe(0);
    expect(read(context.tokenDirectory, "refresh_token")).not.toBe(oldRefresh); // rotated
    const polls = counter.count("/token");
    // Our token is now due for refresh; Python's, newer, is not.
    await sleep(loggedInAt + 0.85 * IDP_ACCESS_S * 1000 - Date.now());
    expect((await context.whoami())?.type).toBe("user");
    expect(counter.count("/token")).toBe(polls); // no refresh of its own
    expect(context.credentials.headersFor(proxiedUrl).Authorization).toBe(`Bearer ${read(context.tokenDirectory, "access_token")}`);
    // And the grant is alive for Python too.
    expect((await pythonWhoami(proxiedUrl, cache)).code).toBe(0);
  });

  it("this client refreshes (rotating) → Python continues with the new refresh token", async () => {
    const cache = group.cacheDir();
    const context = await tsDeviceLogin(cache);
    const oldRefresh = read(context.tokenDirectory, "refresh_token");
    await sleep(IDP_ACCESS_S * 1000 + 500);
    expect((await context.whoami())?.type).toBe("user"); // refreshes at the provider
    expect(read(context.tokenDirectory, "refresh_token")).not.toBe(oldRefresh);
    await sleep(IDP_ACCESS_S * 1000 + 500); // Python must refresh too, with our new refresh token
    const py = await pythonWhoami(proxiedUrl, cache);
    expect(py.code).toBe(0);
    expect(py.whoami?.uuid).toBe((await context.whoami())?.uuid);
  });
});
