// Logging in with a password (tiled's DictionaryAuthenticator), against the authenticated replica
// this file starts (bin/replica start --auth password, 4 s access tokens, so refreshes happen inside
// the tests) and a second one whose refresh tokens die after 3 s unused: discovery, login, whoami,
// API keys, logout, fromUri with and without a login, refresh (shared, early, refused), and issue 18's
// faults 1-3. Token caches are throwaway folders (cacheDir), never the user's.
import * as fs from "node:fs";
import * as path from "node:path";
import * as util from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import { Context } from "../context";
import { TokenCache } from "../auth/token-cache";
import { TokenCredentials } from "../auth/tokens";
import { caught } from "./caught";
import { countingHttp } from "./auth-http";
import { AuthGroup, ensureBuiltLib, promptedLogin, run, tokenFiles } from "./auth-servers";
import type { Passwords } from "./auth-servers";

const ACCESS_S = 4;
const group = new AuthGroup("password");
const shortGroup = new AuthGroup("password-short");
let url = "";
let shortUrl = "";
let passwords: Passwords;
let shortPasswords: Passwords;

beforeAll(async () => {
  // Both at once: each takes 10-30 s to start, mostly waiting.
  [url, shortUrl] = await Promise.all([
    group.start("password", "--access-token-seconds", String(ACCESS_S)),
    shortGroup.start("password", "--access-token-seconds", "2", "--refresh-token-seconds", "3"),
  ]);
  passwords = await group.users("password");
  shortPasswords = await shortGroup.users("password");
  await ensureBuiltLib();
}, 300_000);

afterAll(async () => {
  await Promise.all([group.stop(), shortGroup.stop()]);
});

/** A context on the main server with its own empty token cache. */
function freshContext(options: { http?: ReturnType<typeof countingHttp>["http"]; baseUrl?: string } = {}): Context {
  return new Context({ baseUrl: options.baseUrl ?? url, cacheDir: group.cacheDir(), http: options.http, retry: { attempts: 1 } });
}

async function loggedIn(user = "alice", options: { http?: ReturnType<typeof countingHttp>["http"] } = {}): Promise<Context> {
  const context = freshContext(options);
  await context.login({ username: user, password: passwords.of(user) });
  return context;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server's own answer to a refresh with this refresh token (fetch: not the library). */
async function rawRefresh(baseUrl: string, refreshToken: string): Promise<number> {
  const response = await fetch(`${baseUrl}/api/v1/auth/session/refresh`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refresh_token: refreshToken }) });
  await response.arrayBuffer();
  return response.status;
}

describe("discovery", () => {
  it("about().authentication is the server's own block: login required, one password provider, the account routes", async () => {
    const raw = (await (await fetch(`${url}/api/v1/`)).json()) as { authentication: unknown };
    const { authentication } = await freshContext().about();
    expect(authentication).toEqual(raw.authentication);
    expect(authentication.required).toBe(true);
    expect(authentication.providers.map((p) => [p.provider, p.mode])).toEqual([["replica", "internal"]]);
    expect(authentication.links?.whoami).toBe(`${url}/api/v1/auth/whoami`);
  });
});

describe("password login", () => {
  it("logs in; whoami names the user; the tokens are in tiled's cache folder, mode 600, and serve reads", async () => {
    const context = freshContext();
    const me = await context.login({ username: "alice", password: passwords.of("alice") });
    expect(me.identities).toEqual([expect.objectContaining({ id: "alice", provider: "replica" })]);
    expect(context.authenticated).toBe(true);
    // Python's folder name: quote_plus of the API URI (the interop suite checks it against tiled itself).
    expect(path.basename(context.tokenDirectory)).toBe(encodeURIComponent(`${url}/api/v1/`));
    expect(tokenFiles(context.tokenDirectory)).toEqual({ access_token: "600", refresh_token: "600" });
    const catalogs = await (await fromUri(url, { cacheDir: context.config.cacheDir })).keys().toArray();
    expect(catalogs).toEqual(expect.arrayContaining(["bdp2022", "20idb_usaxs"]));
  });

  it("whoami is what the server answers a raw request carrying the same token", async () => {
    const context = await loggedIn("bob");
    const token = fs.readFileSync(path.join(context.tokenDirectory, "access_token"), "utf8");
    const raw = (await (await fetch(`${url}/api/v1/auth/whoami`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { uuid: string; identities: unknown[] };
    const me = await context.whoami();
    expect(me?.uuid).toBe(raw.uuid);
    expect(me?.identities).toEqual(raw.identities);
  });

  it("without credentials whoami is null, as tiled answers (Python returns None)", async () => {
    expect(await freshContext().whoami()).toBeNull();
  });

  it("the same login serves requestsTiled-style hand-built requests through the context", async () => {
    const context = await loggedIn();
    const { requestsTiled } = await import("../requests");
    const { hostname, port } = new URL(url);
    const answer = await requestsTiled(hostname, "bdp2022", { api: "/api/v1/metadata", port: Number(port), context });
    expect(answer.data.id).toBe("bdp2022");
  });
});

describe("asking for the password (a terminal; a kernel cannot)", () => {
  it("at a terminal: a user name, then a hidden password prompt; a wrong one is asked again (3 tries, as in Python)", async () => {
    const cache = group.cacheDir();
    const typed = await promptedLogin(url, cache, "alice", passwords.of("alice"), { wrong: 2 });
    expect(typed.result).toEqual({ user: "alice" });
    expect(typed.prompts).toBe(3);
    expect(typed.retries).toBe(2);
    expect(typed.echoed).toBe(false); // nothing typed showed on the terminal
    expect(tokenFiles(new Context({ baseUrl: url, cacheDir: cache }).tokenDirectory)).toEqual({ access_token: "600", refresh_token: "600" });
  });

  it("three wrong passwords: login-failed '(3 tries)'; Enter at the prompt cancels", async () => {
    const three = await promptedLogin(url, group.cacheDir(), "alice", passwords.of("alice"), { giveUp: true });
    expect(three.prompts).toBe(3);
    expect(three.result).toMatchObject({ code: "login-failed" });
    expect(three.result?.message).toContain("(3 tries)");
    expect(three.result?.message).not.toContain(passwords.of("alice"));
    const cancelled = await promptedLogin(url, group.cacheDir(), "alice", passwords.of("alice"), { empty: true });
    expect(cancelled.result).toEqual({ code: "login-failed", message: "No password given: login cancelled." });
  });

  it("where nothing can prompt (a kernel, a pipe) and no password is given: the error says what to do instead", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TILED_CACHE_DIR: group.cacheDir() };
    delete env.TILED_PASSWORD;
    delete env.TILED_USERNAME;
    const done = await run(process.execPath, [path.join(__dirname, "fixtures", "auth-prompt.mjs"), url], { env });
    const result = JSON.parse(done.stdout.trim().split("\n").pop() ?? "{}") as { code?: string; message?: string };
    expect(result.code).toBe("login-failed");
    for (const text of ["cannot ask for your", "TILED_PASSWORD", `tiled login ${url}`, "TILED_API_KEY"]) expect(result.message).toContain(text);
  });
});

describe("API keys", () => {
  it("createApiKey (scopes, expiry 1h, note); whichApiKey with that key; revokeApiKey: the key is refused afterwards", async () => {
    const context = await loggedIn();
    const before = Date.now();
    const key = await context.createApiKey({ scopes: ["read:metadata"], expiresIn: "1h", note: "issue 18 test key" });
    expect(key.secret).toMatch(/^[0-9a-f]{72}$/);
    expect(key.first_eight).toBe(key.secret.slice(0, 8));
    expect(key.note).toBe("issue 18 test key");
    expect(key.scopes).toEqual(["read:metadata"]);
    // tiled writes UTC without a zone.
    const stamp = key.expiration_time ?? "";
    const expires = Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(stamp) ? stamp : `${stamp}Z`);
    expect(Math.abs(expires - (before + 3600_000)), `expiration_time ${stamp}`).toBeLessThan(120_000);

    const withKey = new Context({ baseUrl: url, apiKey: key.secret, cacheDir: group.cacheDir() });
    const which = await withKey.whichApiKey();
    expect(which).toMatchObject({ first_eight: key.first_eight, note: "issue 18 test key", scopes: ["read:metadata"] });
    expect("secret" in which).toBe(false);
    // read:metadata only: metadata yes, data no.
    const keyClient = await fromUri(url, { apiKey: key.secret, cacheDir: group.cacheDir() });
    expect(await keyClient.keys().toArray()).toContain("bdp2022");
    expect((await context.whoami())?.api_keys.map((k) => k.first_eight)).toContain(key.first_eight);

    await context.revokeApiKey(key.first_eight);
    const refused = await caught(withKey.whichApiKey());
    expect(refused.code).toBe("unauthorized");
    expect(refused.message).toContain("Invalid API key");
    expect(util.inspect(refused)).not.toContain(key.secret);
    expect((await context.whoami())?.api_keys.map((k) => k.first_eight)).not.toContain(key.first_eight);
  });
});

describe("logout", () => {
  it("revokes the session on the server (the old refresh token is refused), clears the cache, and goes back to anonymous", async () => {
    const context = await loggedIn();
    const refreshToken = fs.readFileSync(path.join(context.tokenDirectory, "refresh_token"), "utf8");
    expect(await rawRefresh(url, refreshToken)).toBe(200); // valid before
    await context.logout();
    expect(await rawRefresh(url, refreshToken)).toBe(401);
    expect(tokenFiles(context.tokenDirectory)).toEqual({});
    expect(context.authenticated).toBe(false);
    expect(await context.whoami()).toBeNull();
    await context.logout(); // nothing to do: no error
  });
});

describe("fromUri on a server that requires a login", () => {
  it("without credentials: 'unauthorized' naming the provider and every way to log in", async () => {
    const err = await caught(fromUri(url, { cacheDir: group.cacheDir() }));
    expect(err.code).toBe("unauthorized");
    for (const text of ["requires you to log in", "replica (password)", "login: true", "tiled login", "TILED_API_KEY"]) expect(err.message).toContain(text);
  });

  it("with `login`: logged in, the tokens cached; a second fromUri finds them (no second login)", async () => {
    const cacheDir = group.cacheDir();
    const counter = countingHttp();
    const client = await fromUri(url, { cacheDir, login: { username: "bob", password: passwords.of("bob") }, http: counter.http });
    expect((await client.context.whoami())?.identities[0].id).toBe("bob");
    expect(counter.count("/auth/provider/replica/token")).toBe(1);
    const again = countingHttp();
    const second = await fromUri(url, { cacheDir, http: again.http });
    expect((await second.context.whoami())?.identities[0].id).toBe("bob");
    expect(again.count("/auth/provider/replica/token")).toBe(0);
  });
});

describe("refresh", () => {
  it(`requests keep working across several ${ACCESS_S} s access tokens, refreshed shortly before they expire (no 401, no refresh per request)`, async () => {
    const counter = countingHttp();
    const context = await loggedIn("alice", { http: counter.http });
    const client = await fromUri(url, { cacheDir: context.config.cacheDir, http: counter.http });
    const started = Date.now();
    let reads = 0;
    // Three token lifetimes, and enough reads that one refresh per read would show (a loaded
    // machine takes longer, not fewer reads).
    while (Date.now() - started < 3 * ACCESS_S * 1000 || reads <= 20) {
      expect(await client.keys().toArray()).toContain("bdp2022");
      reads++;
      await sleep(250);
    }
    const refreshes = counter.count("/auth/session/refresh", 200);
    const elapsedS = (Date.now() - started) / 1000;
    expect(refreshes).toBeGreaterThanOrEqual(2);
    expect(refreshes).toBeLessThanOrEqual(Math.ceil(elapsedS / (ACCESS_S / 2)) + 1); // about one per token (7 in 12 s), not one per read
    expect(counter.exchanges.filter((e) => e.status === 401)).toEqual([]);
  });

  it("concurrent requests after expiry share ONE refresh (early refresh)", async () => {
    const counter = countingHttp();
    const context = await loggedIn("alice", { http: counter.http });
    await sleep(ACCESS_S * 1000 + 500);
    const answers = await Promise.all(Array.from({ length: 8 }, () => context.whoami()));
    expect(answers.map((a) => a?.identities[0].id)).toEqual(Array(8).fill("alice"));
    expect(counter.count("/auth/session/refresh")).toBe(1);
  });

  it("concurrent requests that hit 401 share ONE refresh, then are sent again", async () => {
    const counter = countingHttp();
    const context = await loggedIn("alice", { http: counter.http });
    const about = await context.about();
    // Python's behaviour (refresh only on 401), to exercise the 401 path.
    const lazy = new TokenCredentials({
      serverUrl: url,
      cache: new TokenCache(context.tokenDirectory),
      refresh: { kind: "tiled", url: about.authentication.links?.refresh_session ?? "" },
      post: (u, body, contentType) => context.transport.send({ method: "POST", url: u, accept: "application/json", body, contentType, anonymous: true }),
      loginHint: "context.login()",
      refreshEarly: false,
    });
    expect(lazy.loadFromCache()).toBe(true);
    context.setCredentials(lazy);
    await sleep(ACCESS_S * 1000 + 500);
    const answers = await Promise.all(Array.from({ length: 8 }, () => context.whoami()));
    expect(answers.map((a) => a?.identities[0].id)).toEqual(Array(8).fill("alice"));
    expect(counter.count("/auth/whoami", 401)).toBe(8);
    expect(counter.count("/auth/session/refresh")).toBe(1);
    expect(lazy.refreshes).toBe(1);
  });
});

describe("issue 18: bad input and faults", () => {
  it("18.1 wrong password: login-failed, and the password appears nowhere (message, inspect, cause, server log)", async () => {
    const context = freshContext();
    const wrong = `${passwords.of("alice")}-not`;
    const err = await caught(context.login({ username: "alice", password: wrong }));
    expect(err.code).toBe("login-failed");
    expect(err.message).toContain("not recognized");
    expect(err.status).toBe(401);
    for (const text of [err.message, util.inspect(err, { depth: 10 }), JSON.stringify(err), String(err.detail)]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(passwords.of("alice"));
    }
    expect(context.authenticated).toBe(false);
    expect(tokenFiles(context.tokenDirectory)).toEqual({});
    // The server saw a form body; its log has request lines only.
    expect(group.serverLog("password")).not.toContain(wrong);
  });

  it("18.1 a user name that does not exist is the same error (the server does not say which was wrong)", async () => {
    const err = await caught(freshContext().login({ username: "mallory", password: passwords.of("alice") }));
    expect(err.code).toBe("login-failed");
    expect(util.inspect(err, { depth: 10 })).not.toContain(passwords.of("alice"));
  });

  it("18.2 unknown provider: bad-input naming the providers the server has; nothing is sent", async () => {
    const counter = countingHttp();
    const context = freshContext({ http: counter.http });
    const err = await caught(context.login({ provider: "orcid", username: "alice", password: passwords.of("alice") }));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain('no login provider "orcid"');
    expect(err.message).toContain("replica (password)");
    expect(counter.count("/token")).toBe(0);
  });

  it("18.3 a session revoked on the server mid-notebook: the next refresh is refused → 'unauthorized', log in again, the cache cleared", async () => {
    const context = await loggedIn();
    const client = await fromUri(url, { cacheDir: context.config.cacheDir });
    expect(await client.keys().toArray()).toContain("bdp2022");
    const refreshToken = fs.readFileSync(path.join(context.tokenDirectory, "refresh_token"), "utf8");
    const accessToken = fs.readFileSync(path.join(context.tokenDirectory, "access_token"), "utf8");
    // Another tab logs out (revokes this session) while the notebook keeps going.
    const revoked = await fetch(`${url}/api/v1/auth/session/revoke`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refresh_token: refreshToken }) });
    expect(revoked.status).toBe(204);
    await sleep(ACCESS_S * 1000 + 500);
    const err = await caught(client.keys().toArray());
    expect(err.code).toBe("unauthorized");
    expect(err.message).toMatch(/Logged out: the server refused to refresh the session.*Log in again/s);
    expect(err.message).toContain("tiled login");
    expect(tokenFiles(context.tokenDirectory)).toEqual({});
    for (const secret of [refreshToken, accessToken]) expect(util.inspect(err, { depth: 10 })).not.toContain(secret);
  });

  it("18.3 a refresh token that expired unused (server: 3 s): 'unauthorized', log in again, the cache cleared", async () => {
    const context = new Context({ baseUrl: shortUrl, cacheDir: shortGroup.cacheDir() });
    await context.login({ username: "alice", password: shortPasswords.of("alice") });
    await sleep(4_000);
    const err = await caught(context.whoami());
    expect(err.code).toBe("unauthorized");
    expect(err.message).toMatch(/Logged out: the server refused to refresh the session.*Log in again/s);
    expect(tokenFiles(context.tokenDirectory)).toEqual({});
  });
});
