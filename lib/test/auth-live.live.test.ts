// Live runs on a server that requires a login: lib/live with the logged-in client's context
// (tokens go in the websocket's first message; tiled refuses a Bearer header there), 5 s access
// tokens over a 60 s run written by `bin/replica live --auth password`, with a read over HTTP every
// 2 s as a notebook's other cells would make: the refreshes counted, and no event lost. And a bad
// credential on a websocket is a clear error, not a hang. The password server is this file's own.
import { spawn } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenCache } from "../auth/token-cache";
import { TokenCredentials } from "../auth/tokens";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import { Context } from "../context";
import { followRun, nextRun, subscribe, subscribeCatalog } from "../live/index";
import { caught } from "./caught";
import { AuthGroup } from "./auth-servers";
import { PROJECT_ROOT } from "./replicas";

const ACCESS_S = 5;
const RUN_S = 60;
const group = new AuthGroup("live");
let url = "";
let password = "";

beforeAll(async () => {
  url = await group.start("password", "--access-token-seconds", String(ACCESS_S));
  password = (await group.users("password")).of("alice");
}, 240_000);

afterAll(async () => {
  await group.stop();
});

/** `bin/replica live --auth password` in this file's group; resolves with its exit code and stderr. */
function writeRun(...args: string[]): { exit: Promise<{ code: number; stderr: string }> } {
  const child = spawn(path.join(PROJECT_ROOT, "bin", "replica"), ["live", "--auth", "password", ...args], { env: group.env, cwd: PROJECT_ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return { exit: new Promise((resolve) => child.on("exit", (code) => resolve({ code: code ?? -1, stderr }))) };
}

describe("a live run on a protected server", () => {
  it(`followed for ${RUN_S} s with ${ACCESS_S} s access tokens: every event arrives, refreshed as the tokens expire`, async () => {
    const client: Container = await fromUri(url, { cacheDir: group.cacheDir(), login: { username: "alice", password } });
    const credentials = client.context.credentials;
    expect(credentials).toBeInstanceOf(TokenCredentials);
    const catalog = subscribeCatalog("live", { context: client.context });
    await catalog.connected;
    const writer = writeRun("--plan", "uascan", "--seconds", String(RUN_S));
    const run = await nextRun(catalog);
    // A notebook's other cells keep reading over HTTP meanwhile.
    let reads = 0;
    const reading = setInterval(() => {
      void client.get(`live/${run.key}`).then(() => reads++);
    }, 2_000);
    let rows = 0;
    let gaps = 0;
    let stopEvents: number | undefined;
    const started = Date.now();
    try {
      for await (const ev of followRun(`live/${run.key}`, { context: client.context })) {
        if (ev.kind === "rows") rows += ev.table.numRows;
        else if (ev.kind === "gap") gaps++;
        else if (ev.kind === "stop") stopEvents = ev.stop.num_events?.primary;
      }
    } finally {
      clearInterval(reading);
      catalog.close();
    }
    const written = await writer.exit;
    expect(written.code, written.stderr).toBe(0);
    const stored = await (await client.get(`live/${run.key}/primary/internal`, { kind: "table" })).read();
    const refreshes = (credentials as TokenCredentials).refreshes;
    console.log(`live run on the protected server: ${((Date.now() - started) / 1000).toFixed(0)} s, ${ACCESS_S} s tokens, ${refreshes} refreshes, ${reads} HTTP reads alongside, rows received ${rows} of ${stopEvents} (stored ${stored.numRows}), gaps ${gaps}`);
    expect(stopEvents).toBeGreaterThan(200);
    expect(rows).toBe(stopEvents);
    expect(stored.numRows).toBe(stopEvents);
    expect(gaps).toBe(0);
    expect(reads).toBeGreaterThanOrEqual(RUN_S / 2 - 3);
    expect(refreshes).toBeGreaterThanOrEqual(Math.floor(RUN_S / ACCESS_S) - 2);
    expect(refreshes).toBeLessThanOrEqual(2 * Math.ceil(RUN_S / ACCESS_S)); // about one per token, not one per read
  }, (RUN_S + 90) * 1000);

  it("a subscription opened with an expired token recovers once (the first message is refused with 4003; refreshed; reconnected)", async () => {
    const client = await fromUri(url, { cacheDir: group.cacheDir(), login: { username: "alice", password } });
    const credentials = client.context.credentials as TokenCredentials;
    await new Promise((resolve) => setTimeout(resolve, (ACCESS_S + 1) * 1000)); // no request meanwhile: the token expires
    const before = credentials.refreshes;
    const sub = subscribe("live", { context: client.context }).start();
    const schema = await sub.schema;
    expect(schema.type).toBeDefined();
    expect(sub.stats.connections).toBe(2);
    expect(credentials.refreshes).toBe(before + 1);
    sub.close();
  }, 60_000);
});

describe("bad credentials on a websocket: a clear error, not a hang", () => {
  it("a login token the server does not know, and no refresh token: 'unauthorized', log in again", async () => {
    const context = new Context({ baseUrl: url, cacheDir: group.cacheDir() });
    const about = await context.about();
    const bogus = new TokenCredentials({
      serverUrl: url,
      cache: new TokenCache(path.join(context.tokenDirectory)),
      refresh: { kind: "tiled", url: about.authentication.links?.refresh_session ?? "" },
      post: (u, body, contentType) => context.transport.send({ method: "POST", url: u, accept: "application/json", body, contentType, anonymous: true }),
      loginHint: "context.login()",
    });
    bogus.set({ access_token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJub2JvZHkifQ.bogus-signature" }, Date.now() / 1000, false);
    context.setCredentials(bogus);
    const sub = subscribe("live", { context, signal: AbortSignal.timeout(20_000) });
    const err = await caught((async () => {
      for await (const _ of sub) {
        /* nothing should arrive */
      }
    })());
    expect(err.code).toBe("unauthorized");
    expect(err.message).toContain("Log in again");
    expect(err.message).not.toContain("bogus-signature");
  });

  it("an API key the server does not know: 'unauthorized' saying what to check", async () => {
    const context = new Context({ baseUrl: url, apiKey: "0123456789abcdef0123456789abcdef" });
    const sub = subscribe("live", { context, signal: AbortSignal.timeout(20_000) });
    const err = await caught((async () => {
      for await (const _ of sub) {
        /* nothing should arrive */
      }
    })());
    expect(err.code).toBe("unauthorized");
    expect(err.status).toBe(401);
    expect(err.message).toContain("Invalid API key");
    expect(err.message).toContain("Check the API key");
    expect(err.message).not.toContain("0123456789abcdef0123456789abcdef");
  });
});
