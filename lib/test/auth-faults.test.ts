// Logging in when things go wrong, against a small stand-in server (fake-auth-server.ts) that can be
// made to do what a real tiled server will not on cue: issue 18's faults 6-10 (a token endpoint
// answering HTML or garbage; cache files too open, garbage or another server's; a server clock
// hours off; a password over plain http; no secret anywhere), an identity provider's slow_down, and
// the pure pieces (choosing a provider, durations, the expiry estimate, the device-code display).
// The same faults against the real servers are in auth-*.live.test.ts.
import * as dns from "node:dns/promises";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { parseDuration } from "../auth/account";
import { checkPasswordTransport, chooseProvider, deviceCodeLogin, isLoopbackHost, showDeviceCode } from "../auth/login";
import { TokenCache } from "../auth/token-cache";
import { expiryOf } from "../auth/tokens";
import { fromUri } from "../client/from-uri";
import { Context } from "../context";
import type { AuthProvider } from "../schemas/auth";
import { listSnapshots, snapshotHttp } from "../testing/snapshots";
import { caught, thrown } from "./caught";
import { PROJECT_ROOT } from "./replicas";
import { startFakeAuthServer } from "./fake-auth-server";
import type { FakeAuthOptions, FakeAuthServer } from "./fake-auth-server";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function fake(options: FakeAuthOptions = {}): Promise<FakeAuthServer> {
  const server = await startFakeAuthServer(options);
  cleanups.push(() => server.close());
  return server;
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auth-faults-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every text an error shows: its message, its inspection (causes included), JSON, detail. */
function everythingShown(err: unknown): string {
  return [err instanceof Error ? err.message : String(err), inspect(err, { depth: 10 }), JSON.stringify(err), String((err as { detail?: unknown }).detail)].join("\n");
}

const internal: AuthProvider = { provider: "replica", mode: "internal", links: { auth_endpoint: "/api/v1/auth/provider/replica/token" } };
const orcid: AuthProvider = { provider: "orcid", mode: "external", links: { auth_endpoint: "/api/v1/auth/provider/orcid/authorize" } };

describe("choosing a provider, durations, the expiry estimate", () => {
  it("chooseProvider: the only one; the one named; bad-input naming them all otherwise", async () => {
    expect(chooseProvider([internal], undefined, "http://s")).toBe(internal);
    expect(chooseProvider([internal, orcid], "orcid", "http://s")).toBe(orcid);
    const several = await thrown(() => chooseProvider([internal, orcid], undefined, "http://s"));
    expect(several.code).toBe("bad-input");
    expect(several.message).toContain("replica (password), orcid (device code)");
    expect((await thrown(() => chooseProvider([], undefined, "http://s"))).message).toContain("API key");
  });

  it("parseDuration reads tiled's units; anything else is bad-input saying how to write one", async () => {
    expect([parseDuration("30s"), parseDuration("5m"), parseDuration("1h"), parseDuration("7d"), parseDuration("1y"), parseDuration(600)]).toEqual([30, 300, 3600, 604_800, 31_536_000, 600]);
    for (const bad of ["1 week", "h", "-1h", "1.5h", 0, -5, 1.5]) expect((await thrown(() => parseDuration(bad))).code).toBe("bad-input");
  });

  it("expiryOf: expires_in counts on this machine's clock; the JWT's exp-iat when there is none; exp alone last", () => {
    const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.x`;
    const now = 1_700_000_000;
    const hoursOff = now - 3 * 3600;
    // expires_in: the server's clock does not matter.
    expect(expiryOf(jwt({ exp: hoursOff + 900 }), now, 900)).toEqual({ atS: now + 900, marginS: 30 });
    // iat and exp, no expires_in: the lifetime from the server's two claims.
    expect(expiryOf(jwt({ iat: hoursOff, exp: hoursOff + 10 }), now)).toEqual({ atS: now + 10, marginS: 2 });
    // A server that agrees with us: its exact exp wins over a rounded expires_in.
    expect(expiryOf(jwt({ exp: now + 4 }), now + 0.9, 4)?.atS).toBe(now + 4);
    // exp alone: taken as it is.
    expect(expiryOf(jwt({ exp: now + 600 }), now)).toEqual({ atS: now + 600, marginS: 30 });
    expect(expiryOf("not-a-jwt", now)).toBeUndefined();
  });
});

describe("the device code, shown", () => {
  it("outside a notebook: one line with the link, the code and the time left (never the device code)", () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => lines.push(args.join(" "));
    try {
      showDeviceCode({ verificationUri: "http://idp/device?user_code=ABCD-EFGH", userCode: "ABCD-EFGH", expiresInS: 600, provider: "orcid" });
    } finally {
      console.log = log;
    }
    expect(lines.join("\n")).toBe("To log in to orcid, open http://idp/device?user_code=ABCD-EFGH and enter the code ABCD-EFGH within 10 minutes.");
  });
});

describe("the device code, in a notebook", () => {
  it("notebook 07's committed output shows it as a clickable link with the code (text/html), and a text twin", () => {
    const notebook = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "notebooks", "07_logging_in.ipynb"), "utf8")) as { cells: { outputs?: { data?: Record<string, string | string[]> }[] }[] };
    const shown = notebook.cells.flatMap((c) => c.outputs ?? []).map((o) => o.data ?? {}).find((d) => String(d["text/plain"] ?? "").includes("enter the code"));
    expect(shown, "no device-code output in notebooks/07_logging_in.ipynb: run it (scripts/refresh_notebooks.sh)").toBeDefined();
    const html = [shown?.["text/html"] ?? ""].flat().join("");
    const code = /enter the code (\S+) within/.exec([shown?.["text/plain"] ?? ""].flat().join(""))?.[1] ?? "";
    expect(code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(html).toMatch(new RegExp(`<a href="http://[^"]+/device\\?user_code=${code}" target="_blank" rel="noopener">`));
    expect(html).toContain(`<code style="font-size:1.2em">${code}</code>`);
  });
});

describe("a provider that says verification_url (Microsoft Entra's spelling), and slow_down", () => {
  it("Entra's verification_url is the page shown when there is no verification_uri", async () => {
    const idp = http.createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/device/auth") res.end(JSON.stringify({ device_code: "dc-0123456789", user_code: "ENTR-A123", verification_url: "https://microsoft.com/devicelogin", expires_in: 60, interval: 1 }));
      else res.end(JSON.stringify({ access_token: "at", expires_in: 60 }));
    });
    await new Promise<void>((resolve) => idp.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => idp.close(() => resolve())));
    const base = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const provider: AuthProvider = { provider: "entra", mode: "external", links: { auth_endpoint: `${base}/device/auth`, client_id: "c", token_endpoint: `${base}/token` } };
    const context = new Context({ baseUrl: base });
    const post = (url: string, body: Uint8Array, contentType: string) => context.transport.send({ method: "POST", url, accept: "application/json", body, contentType, anonymous: true });
    const shown: string[] = [];
    await deviceCodeLogin(provider, base, post, { onDeviceCode: (p) => shown.push(p.verificationUri) });
    expect(shown).toEqual(["https://microsoft.com/devicelogin"]);
  });

  // oidc-provider 9.13 (the project's provider) defines slow_down but never sends it: a fake one does.
  it("the next poll waits the interval plus 5 s; then the tokens come", async () => {
    const polls: number[] = [];
    const idp = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        if (req.url === "/device/auth") {
          res.end(JSON.stringify({ device_code: "dc-secret-0123456789", user_code: "WXYZ-1234", verification_uri: "http://idp/device", verification_uri_complete: "http://idp/device?user_code=WXYZ-1234", expires_in: 60, interval: 1 }));
        } else {
          polls.push(Date.now());
          expect(new URLSearchParams(body).get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:device_code");
          if (polls.length === 1) {
            res.statusCode = 400;
            res.end(JSON.stringify({ error: "slow_down" }));
          } else res.end(JSON.stringify({ access_token: "at", refresh_token: "rt", expires_in: 60, token_type: "Bearer" }));
        }
      });
    });
    await new Promise<void>((resolve) => idp.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => idp.close(() => resolve())));
    const base = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    const provider: AuthProvider = { provider: "idp", mode: "external", links: { auth_endpoint: `${base}/device/auth`, client_id: "c", token_endpoint: `${base}/token` } };
    const context = new Context({ baseUrl: base });
    const post = (url: string, body: Uint8Array, contentType: string) => context.transport.send({ method: "POST", url, accept: "application/json", body, contentType, anonymous: true });
    const started = Date.now();
    const result = await deviceCodeLogin(provider, base, post, { onDeviceCode: () => undefined });
    expect(result.tokens.access_token).toBe("at");
    expect(polls).toHaveLength(2);
    expect(polls[0] - started).toBeGreaterThanOrEqual(950); // the announced interval, 1 s
    expect(polls[1] - polls[0]).toBeGreaterThanOrEqual(5_950); // 1 + 5 s after slow_down
  }, 20_000);
});

describe("issue 18: bad input and faults", () => {
  it("18.6 a token endpoint that answers an HTML sign-in page (200): invalid-response saying so, without the page (which echoes the password)", async () => {
    const server = await fake({ tokenAnswer: (_kind, sent) => ({ status: 200, type: "text/html; charset=utf-8", body: `<html><title>Sign in</title><input value="${sent.password}"></html>` }) });
    const context = new Context({ baseUrl: server.url, cacheDir: tempDir() });
    const err = await caught(context.login({ username: server.username, password: server.password }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("an HTML page");
    expect(err.message).toContain("text/html");
    expect(err.message).toContain("tiled login");
    expect(everythingShown(err)).not.toContain(server.password);
    expect(everythingShown(err)).not.toContain("<input");
    expect(context.authenticated).toBe(false);
  });

  it("18.6 a token endpoint that answers garbage, or JSON without an access token: invalid-response naming what came (never the values)", async () => {
    const answers = [
      { status: 200, type: "application/json", body: "\u0000\u0001{{{ not json" },
      { status: 200, type: "application/json", body: JSON.stringify({ refresh_token: "rt-should-not-show-0123", token_type: "bearer" }) },
      { status: 200, type: "application/json", body: JSON.stringify(["a", "b"]) },
    ];
    let i = 0;
    const server = await fake({ tokenAnswer: () => answers[i] });
    const context = new Context({ baseUrl: server.url, cacheDir: tempDir() });
    for (i = 0; i < answers.length; i++) {
      const err = await caught(context.login({ username: server.username, password: server.password }));
      expect(err.code).toBe("invalid-response");
      expect(err.message, `answer ${i}`).toMatch([/not JSON/, /holds no access token \(keys: refresh_token, token_type\)/, /holds no access token \(an array\)/][i]);
      expect(everythingShown(err)).not.toContain("rt-should-not-show-0123");
      expect(everythingShown(err)).not.toContain(server.password);
    }
  });

  it("18.6 a refresh endpoint that starts answering HTML mid-session: the request fails saying so; the cache is kept (a proxy's page is not a refused session)", async () => {
    const server = await fake({ accessSeconds: 2 });
    const context = new Context({ baseUrl: server.url, cacheDir: tempDir() });
    await context.login({ username: server.username, password: server.password });
    server.options.tokenAnswer = (kind) => (kind === "refresh" ? { status: 200, type: "text/html", body: "<html>Single sign-on</html>" } : undefined);
    await sleep(2_200);
    const err = await caught(context.whoami());
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("token refresh endpoint");
    expect(err.message).toContain("an HTML page");
    expect(fs.readdirSync(context.tokenDirectory).sort()).toEqual(["access_token", "refresh_token"]);
    for (const token of server.issued) expect(everythingShown(err)).not.toContain(token);
    // The proxy recovers: the next request refreshes and works.
    server.options.tokenAnswer = undefined;
    expect((await context.whoami())?.identities[0].id).toBe("alice");
  });

  it("18.7 cache files readable by other users are not used: the error says which and how to fix it (the files are left alone)", async () => {
    const server = await fake();
    const cacheDir = tempDir();
    const first = new Context({ baseUrl: server.url, cacheDir });
    await first.login({ username: server.username, password: server.password });
    server.log.length = 0;
    for (const name of ["access_token", "refresh_token"]) fs.chmodSync(path.join(first.tokenDirectory, name), 0o644);
    const err = await caught(fromUri(server.url, { cacheDir }));
    expect(err.code).toBe("unauthorized");
    expect(err.message).toContain("Cached tokens were found but not used");
    expect(err.message).toContain(`${path.join(first.tokenDirectory, "access_token")} is readable by other users (mode 644)`);
    expect(err.message).toContain("chmod 600");
    expect(fs.readdirSync(first.tokenDirectory).sort()).toEqual(["access_token", "refresh_token"]);
    expect(server.log.filter((e) => e.authorized)).toEqual([]); // nothing was sent with them
    for (const token of server.issued) expect(everythingShown(err)).not.toContain(token);
  });

  it("18.7 cache files holding garbage are not used, and named", async () => {
    const server = await fake();
    const cacheDir = tempDir();
    const dir = new Context({ baseUrl: server.url, cacheDir }).tokenDirectory;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, "access_token"), "two words\u0000\u0007", { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "refresh_token"), Buffer.from([0xff, 0xfe, 0x00, 0x41]), { mode: 0o600 });
    const err = await caught(fromUri(server.url, { cacheDir }));
    expect(err.code).toBe("unauthorized");
    expect(err.message).toContain(`${path.join(dir, "access_token")} does not hold a token`);
    expect(err.message).toContain(`${path.join(dir, "refresh_token")} does not hold a token`);
    expect(server.log.filter((e) => e.authorized)).toEqual([]);
  });

  it("18.7 another server's tokens: never sent elsewhere (one folder per server); copied into this server's folder, refused, cleared, and a login asked for", async () => {
    const a = await fake();
    const b = await fake();
    const cacheDir = tempDir();
    const onA = new Context({ baseUrl: a.url, cacheDir });
    await onA.login({ username: a.username, password: a.password });
    // b's folder is empty: fromUri(b) sends nothing of a's.
    expect((await caught(fromUri(b.url, { cacheDir }))).code).toBe("unauthorized");
    expect(b.log.filter((e) => e.authorized)).toEqual([]);
    // Someone copies a's tokens into b's folder: b refuses them, the copies are cleared.
    const bDir = new Context({ baseUrl: b.url, cacheDir }).tokenDirectory;
    new TokenCache(bDir).write(new TokenCache(onA.tokenDirectory).read().tokens);
    const err = await caught(fromUri(b.url, { cacheDir }));
    expect(err.code).toBe("unauthorized");
    expect(err.message).toContain("requires you to log in");
    expect(b.count("/auth/session/refresh", 401)).toBe(1);
    expect(fs.readdirSync(bDir)).toEqual([]);
    // a's own folder and session are untouched.
    expect((await (await fromUri(a.url, { cacheDir })).context.whoami())?.identities[0].id).toBe("alice");
  });

  describe("18.8 a server whose clock is off by hours: requests keep working, one refresh per token lifetime, never one per request", () => {
    const cases: [string, FakeAuthOptions][] = [
      ["3 h ahead, expires_in sent (tiled's answers)", { clockOffsetS: 3 * 3600 }],
      ["3 h behind, expires_in sent", { clockOffsetS: -3 * 3600 }],
      ["3 h behind, no expires_in, JWTs with iat", { clockOffsetS: -3 * 3600, expiresIn: false, iat: true }],
      ["3 h behind, no expires_in, no iat: every token looks expired on arrival (early refresh stops, 401s drive it)", { clockOffsetS: -3 * 3600, expiresIn: false }],
      ["3 h ahead, no expires_in, no iat: every token looks hours long (401s drive it)", { clockOffsetS: 3 * 3600, expiresIn: false }],
    ];
    for (const [name, options] of cases) {
      it(name, async () => {
        const server = await fake({ accessSeconds: 2, ...options });
        const context = new Context({ baseUrl: server.url, cacheDir: tempDir() });
        await context.login({ username: server.username, password: server.password });
        const started = Date.now();
        let requests = 0;
        // Several token lifetimes, and enough requests that one refresh per request would show
        // (a loaded machine takes longer, not fewer requests).
        while (Date.now() - started < 7_000 || requests <= 50) {
          expect((await context.whoami())?.identities[0].id).toBe("alice");
          requests++;
          await sleep(50);
        }
        const refreshes = server.count("/auth/session/refresh");
        const elapsedS = (Date.now() - started) / 1000;
        expect(refreshes).toBeGreaterThanOrEqual(2);
        expect(refreshes).toBeLessThanOrEqual(Math.ceil(elapsedS / 2) + 2); // about one per 2 s token (6 in 7 s)
        expect(server.count("/auth/whoami", 401)).toBeLessThanOrEqual(refreshes);
      }, 20_000);
    }
  });

  it("18.9 the decision: a password goes over plain http only to this machine by name (localhost, 127/8, ::1), or with allowInsecure", async () => {
    for (const host of ["localhost", "LOCALHOST", "tiled.localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1"]) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["vm", "localhost.example.org", "127.0.0.1.nip.io", "128.0.0.1", "10.0.0.1", "192.0.2.2", "::2", "my-localhost", "127.256.0.1"]) expect(isLoopbackHost(host), host).toBe(false);
    expect(() => checkPasswordTransport(new URL("http://127.0.0.1:8000/token"), false)).not.toThrow();
    expect(() => checkPasswordTransport(new URL("https://tiled.example.org/token"), false)).not.toThrow();
    expect(() => checkPasswordTransport(new URL("http://tiled.example.org/token"), true)).not.toThrow();
    const err = await thrown(() => checkPasswordTransport(new URL("http://tiled.example.org/token"), undefined));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("would travel in clear");
    expect(err.message).toContain("https://");
    expect(err.message).toContain("allowInsecure: true");
  });

  it("18.9 a server reached by a name that is not a loopback name (this machine's host name, or its network address): refused before the password is sent; allowInsecure lets it through", async () => {
    const server = await fake({ host: "0.0.0.0" });
    const names: string[] = [];
    try {
      await dns.lookup(os.hostname());
      names.push(os.hostname());
    } catch {
      /* a host name that does not resolve here: the address below still makes the case */
    }
    const address = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address;
    if (address) names.push(address);
    expect(names.length, "neither a resolvable host name nor a network address: nothing to reach the server by but loopback").toBeGreaterThan(0);
    for (const name of names) {
      server.log.length = 0;
      const baseUrl = `http://${name}:${server.port}`;
      const err = await caught(new Context({ baseUrl, cacheDir: tempDir() }).login({ username: server.username, password: server.password }));
      expect(err.code, name).toBe("bad-input");
      expect(err.message).toContain(`http://${name}:${server.port} asks for a password over plain http: it would travel in clear`);
      expect(everythingShown(err)).not.toContain(server.password);
      expect(server.count("/token")).toBe(0);
      const me = await new Context({ baseUrl, cacheDir: tempDir() }).login({ username: server.username, password: server.password, allowInsecure: true });
      expect(me.identities[0].id).toBe("alice");
    }
  });

  it("18.10 no password, token or key in any error, cause or recording, even from a server that echoes every credential it is sent", async () => {
    const server = await fake({ echo: true, accessSeconds: 2 });
    const dir = tempDir();
    const context = new Context({ baseUrl: server.url, cacheDir: tempDir(), http: snapshotHttp({ mode: "record", dir, baseUrl: server.url }), retry: { attempts: 1 } });
    const wrong = `${server.password}-wrong`;
    const errors: unknown[] = [];
    errors.push(await caught(context.login({ username: server.username, password: wrong })));
    await context.login({ username: server.username, password: server.password });
    await context.whoami();
    await sleep(2_300);
    await context.whoami(); // a refresh, recorded
    // The session is revoked by someone else; the next refresh is refused with the echo.
    server.options.tokenAnswer = (kind, sent) => (kind === "refresh" ? { status: 401, type: "application/json", body: JSON.stringify({ detail: `Session has expired (you sent ${sent.refreshToken})` }) } : undefined);
    await sleep(2_300);
    errors.push(await caught(context.whoami()));
    // A request with a token the server does not know (echoed back in the 401).
    context.setCredentials({ kind: "tokens", headersFor: () => ({ Authorization: `Bearer ${server.issued[0]}` }), secrets: () => [server.issued[0]] });
    errors.push(await caught(fromUri(server.url, { cacheDir: tempDir(), http: snapshotHttp({ mode: "record", dir, baseUrl: server.url }) })));
    const secrets = [server.password, wrong, ...server.issued];
    expect(server.issued.length).toBeGreaterThanOrEqual(4);
    for (const err of errors) for (const secret of secrets) expect(everythingShown(err)).not.toContain(secret);
    const files = listSnapshots(dir);
    expect(files.length).toBeGreaterThan(3);
    for (const file of fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile())) {
      const text = fs.readFileSync(path.join(file.parentPath, file.name), "utf8");
      for (const secret of secrets) expect(text, file.name).not.toContain(secret);
    }
  }, 20_000);
});
