// Device-code login, both kinds, against a real OpenID provider (npm oidc-provider, server/oidc)
// this file starts with two tiled servers in front of it: tiled's own device flow
// (OIDCAuthenticator: tiled polls its own route, the provider does the login) and proxied OIDC
// (ProxiedOIDCAuthenticator: this client runs RFC 8628 with the provider itself). The user is played
// by server/oidc/approve.mjs (a login form and a consent form over HTTP). The provider announces a
// 1 s interval, lets a code wait 10 s, and issues 3 s access tokens with rotating refresh tokens.
// Issue 18's faults 4 (two processes refreshing at once) and 5 (a code that expires) are here.
import * as fs from "node:fs";
import * as path from "node:path";
import * as util from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveDevice } from "../../server/oidc/approve.mjs";
import type { DevicePrompt } from "../auth/login";
import { fromUri } from "../client/from-uri";
import { Context } from "../context";
import { fetchHttp } from "../http/node-fetch";
import { caught } from "./caught";
import { countingHttp } from "./auth-http";
import { AuthGroup, ensureBuiltLib, runChild, tokenFiles } from "./auth-servers";
import type { Passwords } from "./auth-servers";

const CODE_S = 10;
const IDP_ACCESS_S = 3;
const group = new AuthGroup("device");
let issuer = "";
let oidcUrl = "";
let proxiedUrl = "";
let users: Passwords;

beforeAll(async () => {
  issuer = await group.startIdp("--interval", "1", "--device-code-seconds", String(CODE_S), "--access-token-seconds", String(IDP_ACCESS_S));
  [oidcUrl, proxiedUrl] = await Promise.all([group.start("oidc"), group.start("proxied-oidc")]);
  users = await group.users("proxied-oidc");
  await ensureBuiltLib();
}, 300_000);

afterAll(async () => {
  await group.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A context with its own empty token cache. */
function freshContext(baseUrl: string, http?: ReturnType<typeof countingHttp>["http"]): Context {
  return new Context({ baseUrl, cacheDir: group.cacheDir(), http });
}

/** An onDeviceCode that approves (or denies) as the user would; done() is that approval, once the code was shown. */
function approver(options: { deny?: boolean; user?: string } = {}): { onDeviceCode: (p: DevicePrompt) => void; prompts: DevicePrompt[]; done: () => Promise<unknown> } {
  const prompts: DevicePrompt[] = [];
  let shown: (approval: Promise<unknown>) => void = () => undefined;
  const approval = new Promise<Promise<unknown>>((resolve) => (shown = resolve));
  return {
    prompts,
    onDeviceCode: (prompt) => {
      prompts.push(prompt);
      const user = options.user ?? "alice";
      const p = approveDevice({ url: prompt.verificationUri, userCode: prompt.userCode, username: user, password: users.of(user), deny: options.deny });
      p.catch(() => undefined); // reported by done()
      shown(p);
    },
    done: async () => approval.then((p) => p),
  };
}

/** The provider's own answer to a refresh with this refresh token (fetch: not the library). */
async function rawIdpRefresh(refreshToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${issuer}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: "tiled-device" }).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("discovery", () => {
  it("tiled's own device flow and proxied OIDC are told apart by what the server's provider links hold", async () => {
    const own = (await freshContext(oidcUrl).about()).authentication.providers;
    const proxied = (await freshContext(proxiedUrl).about()).authentication.providers;
    expect(own.map((p) => p.mode)).toEqual(["external"]);
    expect(own[0].links.client_id).toBeUndefined();
    expect(proxied.map((p) => p.mode)).toEqual(["external"]);
    expect(proxied[0].links).toMatchObject({ client_id: "tiled-device", token_endpoint: `${issuer}/token` });
  });
});

describe("tiled's own device flow (OIDCAuthenticator)", () => {
  it("shows the provider's login page and the code; once approved there, tiled hands over its own tokens", async () => {
    const context = freshContext(oidcUrl);
    const user = approver();
    const me = await context.login({ onDeviceCode: user.onDeviceCode });
    expect(await user.done()).toMatchObject({ outcome: "approved" });
    expect(user.prompts).toHaveLength(1);
    expect(user.prompts[0].verificationUri.startsWith(`${issuer}/`)).toBe(true); // the page is the provider's
    expect(user.prompts[0].expiresInS).toBe(900); // tiled's fixed 15 minutes
    expect(me.identities[0].provider).toBe((await context.about()).authentication.providers[0].provider);
    expect(tokenFiles(context.tokenDirectory)).toEqual({ access_token: "600", refresh_token: "600" });
    const client = await fromUri(oidcUrl, { cacheDir: context.config.cacheDir });
    expect(await client.keys().toArray()).toContain("bdp2022");
  });

  it("a denial at the provider leaves tiled's code pending (a tiled quirk): the AbortSignal ends the wait", async () => {
    const context = freshContext(oidcUrl);
    const user = approver({ deny: true });
    const controller = new AbortController();
    const login = context.login({ onDeviceCode: user.onDeviceCode, signal: controller.signal });
    login.catch(() => undefined);
    expect(await user.done()).toMatchObject({ outcome: "denied" });
    await sleep(6_000); // at least one poll after the denial: still pending
    const aborted = Date.now();
    controller.abort();
    const err = await caught(login);
    expect(err.code).toBe("aborted");
    expect(Date.now() - aborted).toBeLessThan(1_000);
    expect(context.authenticated).toBe(false);
  });
});

describe("proxied OIDC (RFC 8628 with the identity provider)", () => {
  it("polls the provider (interval 1 s) until approved; the provider's tokens (with an id_token) are cached and serve reads", async () => {
    const counter = countingHttp();
    const context = freshContext(proxiedUrl, counter.http);
    const user = approver();
    const started = Date.now();
    const me = await context.login({ onDeviceCode: user.onDeviceCode });
    expect(await user.done()).toMatchObject({ outcome: "approved" });
    expect(me.type).toBe("user");
    // The link carries the code (verification_uri_complete), so the user only confirms.
    expect(user.prompts[0].verificationUri).toContain(encodeURIComponent(user.prompts[0].userCode).replace(/%2D/g, "-"));
    expect(user.prompts[0].expiresInS).toBe(CODE_S);
    expect(tokenFiles(context.tokenDirectory)).toEqual({ access_token: "600", refresh_token: "600", id_token: "600" });
    const polls = counter.count("/token");
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(polls).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000) + 1); // no faster than the interval
  });

  it(`refreshes at the provider (${IDP_ACCESS_S} s access tokens, rotating refresh tokens): reads keep working`, async () => {
    const counter = countingHttp();
    const context = freshContext(proxiedUrl, counter.http);
    const user = approver();
    await context.login({ onDeviceCode: user.onDeviceCode });
    const client = await fromUri(proxiedUrl, { cacheDir: context.config.cacheDir, http: counter.http });
    const before = counter.count("/token");
    const started = Date.now();
    while (Date.now() - started < 3 * IDP_ACCESS_S * 1000) {
      expect(await client.keys().toArray()).toContain("bdp2022");
      await sleep(300);
    }
    const refreshes = counter.count("/token", 200) - before;
    expect(refreshes).toBeGreaterThanOrEqual(2);
    expect(counter.exchanges.filter((e) => e.status === 401 || e.status >= 500)).toEqual([]);
  });

  it("logout revokes the refresh token at the provider (Python only opens the end-session page): a refresh with it is refused", async () => {
    const context = freshContext(proxiedUrl);
    await context.login({ onDeviceCode: approver().onDeviceCode });
    const refreshToken = fs.readFileSync(path.join(context.tokenDirectory, "refresh_token"), "utf8");
    await context.logout();
    expect(tokenFiles(context.tokenDirectory)).toEqual({});
    const refused = await rawIdpRefresh(refreshToken);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_grant");
  });

  it("a denial at the provider: login-failed, 'refused' (the provider answers access_denied)", async () => {
    const context = freshContext(proxiedUrl);
    const user = approver({ deny: true });
    const err = await caught(context.login({ onDeviceCode: user.onDeviceCode }));
    expect(await user.done()).toMatchObject({ outcome: "denied" });
    expect(err.code).toBe("login-failed");
    expect(err.message).toContain("refused");
    expect(context.authenticated).toBe(false);
  });

  it("an AbortSignal stops the polling at once; nothing is cached", async () => {
    const context = freshContext(proxiedUrl);
    const controller = new AbortController();
    const prompts: DevicePrompt[] = [];
    const login = context.login({ onDeviceCode: (p) => prompts.push(p), signal: controller.signal });
    login.catch(() => undefined);
    await sleep(2_500);
    const aborted = Date.now();
    controller.abort();
    const err = await caught(login);
    expect(err.code).toBe("aborted");
    expect(Date.now() - aborted).toBeLessThan(500);
    expect(prompts).toHaveLength(1);
    expect(tokenFiles(context.tokenDirectory)).toEqual({});
  });
});

describe("issue 18: bad input and faults", () => {
  it("18.4 control: the provider rotates refresh tokens, and a reused one revokes the whole grant (two processes refreshing at once without taking turns both lose)", async () => {
    const context = freshContext(proxiedUrl);
    await context.login({ onDeviceCode: approver().onDeviceCode });
    const refreshToken = fs.readFileSync(path.join(context.tokenDirectory, "refresh_token"), "utf8");
    const first = await rawIdpRefresh(refreshToken);
    expect(first.status).toBe(200);
    const second = await rawIdpRefresh(refreshToken); // the other process, with the same old token
    expect(second.status).toBe(400);
    const afterwards = await rawIdpRefresh(String(first.body.refresh_token)); // the first one's new token: revoked too
    expect(afterwards.status).toBe(400);
  });

  it("18.4 two processes refreshing at once on one cache (proxied, rotation): the lock file makes them take turns, and both stay logged in", async () => {
    const context = freshContext(proxiedUrl);
    await context.login({ onDeviceCode: approver().onDeviceCode });
    const cache = context.config.cacheDir ?? "";
    // Both start when the access token has just expired, and read for three more lifetimes.
    const startAt = Date.now() + (IDP_ACCESS_S + 1) * 1000;
    const [a, b] = await Promise.all([runChild(proxiedUrl, cache, 3 * IDP_ACCESS_S, startAt), runChild(proxiedUrl, cache, 3 * IDP_ACCESS_S, startAt)]);
    for (const child of [a, b]) {
      expect(child.error).toBeUndefined();
      expect(child.failures).toBe(0); // of at least 11 reads each (auth-child.mjs)
      expect(child.users).toHaveLength(1);
    }
    expect(a.users).toEqual(b.users);
    // Between them they refreshed, each token once (the other took it from the cache).
    expect(a.refreshes + b.refreshes).toBeGreaterThanOrEqual(2);
    // And the cache they leave still logs in.
    expect((await freshWhoami(cache))?.uuid).toBe(a.users[0]);
  });

  it(`18.5 a provider that never confirms: the code expires (${CODE_S} s) → login-failed 'expired', nothing cached, no device code in the error`, async () => {
    // See the device code the provider sends (the test's own eyes on the wire), to look for it afterwards.
    const deviceCodes: string[] = [];
    const counter = countingHttp(async (request, sinkFor) => {
      const response = await fetchHttp(request, sinkFor);
      if (request.url.endsWith("/device/auth")) deviceCodes.push(String((JSON.parse(new TextDecoder().decode(response.body)) as { device_code: unknown }).device_code));
      return response;
    });
    const context = freshContext(proxiedUrl, counter.http);
    const prompts: DevicePrompt[] = [];
    const started = Date.now();
    const err = await caught(context.login({ onDeviceCode: (p) => prompts.push(p) }));
    expect(err.code).toBe("login-failed");
    expect(err.message).toContain("expired");
    expect(err.message).toContain("Log in again");
    // The provider keeps time in whole seconds (exp = floor(issued) + CODE_S): the code can expire
    // up to a second before CODE_S has passed on this clock.
    expect(Date.now() - started).toBeGreaterThanOrEqual((CODE_S - 1) * 1000);
    expect(Date.now() - started).toBeLessThan((CODE_S + 5) * 1000);
    expect(tokenFiles(context.tokenDirectory)).toEqual({});
    expect(counter.count("/token")).toBeGreaterThanOrEqual(CODE_S / 2); // it kept polling, about once a second (fewer when each poll is slow)
    expect(deviceCodes).toHaveLength(1);
    expect(deviceCodes[0].length).toBeGreaterThan(10);
    for (const text of [err.message, util.inspect(err, { depth: 10 }), JSON.stringify(err)]) expect(text).not.toContain(deviceCodes[0]);
  });
});

/** whoami from a cache folder alone, in this process (a third reader of what the children left). */
async function freshWhoami(cacheDir: string): Promise<{ uuid: string } | null> {
  const client = await fromUri(proxiedUrl, { cacheDir });
  return client.context.whoami();
}
