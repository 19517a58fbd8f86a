import { caught } from "./caught";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { TiledError, redactUrl } from "../errors";
import { fromUri } from "../client/from-uri";
import { checkPageSize, paginate, withCountField } from "../pagination";
import { Eq, queriesToParams } from "../queries";
import { requestsTiled, searchSuffix } from "../requests";
import { About } from "../schemas/about";
import { checkSnapshots, firstDifference, normalizeBody } from "../freshness";
import { listSnapshots } from "../snapshots";
import { Transport } from "../transport";
import { closedPort, sendJson, startLocalServer } from "./local-server";
import type { LocalServer } from "./local-server";

const servers: LocalServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()?.close();
});
async function serve(handler: Parameters<typeof startLocalServer>[0]): Promise<LocalServer> {
  const server = await startLocalServer(handler);
  servers.push(server);
  return server;
}
const fast = { retry: { attempts: 3, initialDelayMs: 5, totalTimeoutMs: 5_000 } };

describe("server down", () => {
  it("names the URL and says how to start the replica", async () => {
    const port = await closedPort();
    const err = await caught(fromUri(`http://127.0.0.1:${port}`, fast));
    expect(err.code).toBe("unreachable");
    expect(err.message).toContain(`http://127.0.0.1:${port}`);
    expect(err.message).toContain("bin/replica start");
    expect(err.message).toContain("scripts/setup.sh");
  });
  it("retries a refused connection a bounded number of times, within the time bound", async () => {
    const port = await closedPort();
    const started = Date.now();
    const transport = new Transport({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 4, initialDelayMs: 50, totalTimeoutMs: 120 } });
    await caught(transport.getJson(`http://127.0.0.1:${port}/api/v1/`, About));
    // 50 + 100 ms of waiting fits 120 ms only for the first retry: two attempts, well under a second.
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("retries: only transport errors and 5xx", () => {
  it("retries 503 until it succeeds", async () => {
    const server = await serve((_req, res, n) => (n < 3 ? sendJson(res, 503, { detail: "busy" }) : sendJson(res, 200, { ok: true })));
    const transport = new Transport({ baseUrl: server.url, ...fast });
    await expect(transport.getJson(`${server.url}/x`, z.object({ ok: z.boolean() }))).resolves.toEqual({ ok: true });
    expect(server.requests).toHaveLength(3);
  });
  it("gives up after the attempts and reports the last 503 with detail and request id", async () => {
    const server = await serve((_req, res) => sendJson(res, 503, { detail: "Service unavailable" }, { "x-tiled-request-id": "abc123" }));
    const transport = new Transport({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(server.requests).toHaveLength(3);
    expect(err).toMatchObject({ code: "http", status: 503, detail: "Service unavailable", requestId: "abc123" });
    expect(err.message).toContain("abc123");
  });
  it("never retries a 500: tiled answers 500 for a request it cannot handle, and the same request fails again", async () => {
    const server = await serve((_req, res) => sendJson(res, 500, { detail: "Internal server error" }, { "x-tiled-request-id": "abc123" }));
    const transport = new Transport({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: "http", status: 500, detail: "Internal server error", requestId: "abc123" });
  });
  it("never retries a 4xx", async () => {
    const server = await serve((req, res) =>
      sendJson(res, 400, { detail: req.url?.includes("regex") ? "The query type 'Regex' is not supported on this node." : "Response would exceed 300000000." }),
    );
    const transport = new Transport({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: "http", status: 400 });
    // The node refusing a registered query is reported as unsupported-query.
    const regex = await caught(transport.getJson(`${server.url}/regex`, z.unknown()));
    expect(regex).toMatchObject({ code: "unsupported-query", status: 400 });
    expect(server.requests).toHaveLength(2);
  });
  it("a 404 is code not-found; FastAPI's validation list is kept as detail", async () => {
    const server = await serve((req, res) =>
      req.url?.includes("limit")
        ? sendJson(res, 422, { detail: [{ type: "less_than_equal", loc: ["query", "page[limit]"], msg: "Input should be less than or equal to 300" }] })
        : sendJson(res, 404, { detail: "No such entry: ['nope']" }),
    );
    const transport = new Transport({ baseUrl: server.url, ...fast });
    expect(await caught(transport.getJson(`${server.url}/metadata/nope`, z.unknown()))).toMatchObject({ code: "not-found", status: 404, detail: "No such entry: ['nope']" });
    const e422 = await caught(transport.getJson(`${server.url}/search?page[limit]=301`, z.unknown()));
    expect(e422.message).toContain("query.page[limit]: Input should be less than or equal to 300");
  });
});

describe("timeouts through AbortSignal", () => {
  it("a slow answer becomes a timeout error after timeoutMs", async () => {
    const server = await serve((_req, res) => setTimeout(() => sendJson(res, 200, {}), 2_000));
    const transport = new Transport({ baseUrl: server.url, timeoutMs: 100, retry: { attempts: 1 } });
    const err = await caught(transport.getJson(`${server.url}/slow`, z.unknown()));
    expect(err.code).toBe("timeout");
    expect(err.message).toContain("100 ms");
  });
  it("the caller's signal cancels", async () => {
    const server = await serve((_req, res) => setTimeout(() => sendJson(res, 200, {}), 2_000));
    const transport = new Transport({ baseUrl: server.url, retry: { attempts: 3 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await caught(transport.getJson(`${server.url}/slow`, z.unknown(), { signal: controller.signal }));
    expect(err.code).toBe("aborted");
    expect(server.requests).toHaveLength(1);
  });
});

describe("compression", () => {
  it("asks for bulk data uncompressed by default, JSON compressed; compression: true lets the server choose", async () => {
    const server = await serve((req, res) => {
      if (req.url?.includes("bytes")) {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(Buffer.alloc(4));
      } else sendJson(res, 200, {});
    });
    await new Transport({ baseUrl: server.url }).getBytes(`${server.url}/bytes`, { accept: "application/octet-stream", expectedBytes: 4 });
    await new Transport({ baseUrl: server.url }).getJson(`${server.url}/json`, z.unknown());
    await new Transport({ baseUrl: server.url, compression: true }).getBytes(`${server.url}/bytes`, { accept: "application/octet-stream", expectedBytes: 4 });
    expect(server.requests.map((r) => r.headers["accept-encoding"])).toEqual(["identity", expect.stringContaining("gzip"), expect.stringContaining("gzip")]);
  });
});

describe("malformed responses", () => {
  it("bad JSON is invalid-response naming the URL", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"data": [1, 2');
    });
    const err = await caught(requestsTiled("127.0.0.1", "bdp2022", { port: Number(new URL(server.url).port), ...fast }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("not JSON");
    expect(err.url).toContain("/api/v1/search/bdp2022");
  });
  it("JSON of the wrong shape names the failing zod path and the URL", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { data: [{ id: "x", attributes: { ancestors: "oops" } }], links: {}, meta: {} }));
    const err = await caught(requestsTiled("127.0.0.1", "bdp2022", { port: Number(new URL(server.url).port), ...fast }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("data[0].attributes.ancestors");
    expect(err.message).toContain(`${server.url}/api/v1/search/bdp2022`);
  });
  it("a short binary body is invalid-response", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(Buffer.alloc(10));
    });
    const transport = new Transport({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getBytes(`${server.url}/bytes`, { accept: "application/octet-stream", expectedBytes: 16 }));
    expect(err.message).toContain("Expected 16 bytes but the server sent 10");
  });
});

describe("API key", () => {
  const KEY = "secret-api-key-5f3a9c";
  it("is sent as Authorization: Apikey and appears in no error, message, inspection or URL", async () => {
    const server = await serve((_req, res) => sendJson(res, 401, { detail: "Invalid API key" }));
    const transport = new Transport({ baseUrl: server.url, apiKey: KEY, ...fast });
    const err = await caught(transport.getJson(`${server.url}/api/v1/metadata/x?api_key=${KEY}`, z.unknown()));
    expect(server.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
    for (const text of [String(err), err.message, err.stack ?? "", JSON.stringify(err), inspect(err, { depth: 5 }), inspect(transport, { depth: 5, showHidden: true })]) {
      expect(text).not.toContain(KEY);
    }
    expect(err.url).toContain("api_key=REDACTED");
  });
  it("comes from TILED_API_KEY when not given", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    process.env.TILED_API_KEY = KEY;
    try {
      await new Transport({ baseUrl: server.url }).getJson(`${server.url}/x`, z.unknown());
    } finally {
      delete process.env.TILED_API_KEY;
    }
    expect(server.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
  });
  it("redactUrl strips keys and credentials", () => {
    expect(redactUrl(`http://u:p@h:1/a?api_key=${KEY}&x=1`)).toBe("http://h:1/a?api_key=REDACTED&x=1");
    expect(redactUrl(`/a?api_key=${KEY}`)).toBe("/a?api_key=REDACTED");
  });
  it("is never written into snapshots, even when the server echoes it", async () => {
    const server = await serve((req, res) => sendJson(res, 200, { echoed: req.headers.authorization, url: `http://${req.headers.host}${req.url}` }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    const transport = new Transport({ baseUrl: server.url, apiKey: KEY, snapshots: "record", snapshotDir: dir, ...fast });
    await transport.getJson(`${server.url}/api/v1/search/x?api_key=${KEY}&page[limit]=1`, z.unknown());
    const files = fs.readdirSync(dir, { recursive: true }).map(String);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const full = path.join(dir, file);
      if (fs.statSync(full).isFile()) expect(fs.readFileSync(full, "utf8")).not.toContain(KEY);
    }
    const [entry] = listSnapshots(dir);
    expect(entry.request.query).toEqual([["page[limit]", "1"]]);
    // Replay without a key gives the recorded (redacted) body back, base URL substituted.
    const replay = new Transport({ baseUrl: "http://127.0.0.1:9", snapshots: "replay", snapshotDir: dir });
    const body = await replay.getJson("http://127.0.0.1:9/api/v1/search/x?page[limit]=1", z.object({ echoed: z.string(), url: z.string() }));
    expect(body.echoed).toBe("Apikey {{REDACTED}}");
    expect(body.url.startsWith("http://127.0.0.1:9/api/v1/search/x")).toBe(true);
  });
});

describe("snapshots", () => {
  it("replay miss is snapshot-missing and says how to record", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    const transport = new Transport({ baseUrl: "http://127.0.0.1:9", snapshots: "replay", snapshotDir: dir });
    const err = await caught(transport.getJson("http://127.0.0.1:9/api/v1/metadata/bdp2022", z.unknown()));
    expect(err.code).toBe("snapshot-missing");
    expect(err.message).toContain("npm run snapshots:record");
    expect(err.message).toContain("/api/v1/metadata/bdp2022");
  });
  it("keys ignore host and parameter order across names, but keep the order of repeated names", async () => {
    const server = await serve((req, res) => sendJson(res, 200, { url: req.url }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    const rec = new Transport({ baseUrl: server.url, snapshots: "record", snapshotDir: dir });
    await rec.getJson(`${server.url}/api/v1/search/c?sort=b&page[limit]=5&sort=a`, z.unknown());
    const replay = new Transport({ baseUrl: "http://localhost:1", snapshots: "replay", snapshotDir: dir });
    await expect(replay.getJson("http://localhost:1/api/v1/search/c?page[limit]=5&sort=b&sort=a", z.unknown())).resolves.toBeTruthy();
    expect((await caught(replay.getJson("http://localhost:1/api/v1/search/c?page[limit]=5&sort=a&sort=b", z.unknown()))).code).toBe("snapshot-missing");
  });
  it("records errors too, and replays them as the same TiledError", async () => {
    const server = await serve((_req, res) => sendJson(res, 404, { detail: "No such entry: ['nope']" }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    await caught(new Transport({ baseUrl: server.url, snapshots: "record", snapshotDir: dir }).getJson(`${server.url}/api/v1/metadata/nope`, z.unknown()));
    const err = await caught(new Transport({ baseUrl: "http://h:1", snapshots: "replay", snapshotDir: dir }).getJson("http://h:1/api/v1/metadata/nope", z.unknown()));
    expect(err).toMatchObject({ code: "not-found", status: 404, detail: "No such entry: ['nope']" });
  });
  it("the freshness check reports a response that changed, and passes one that did not", async () => {
    let plan = "scan";
    const server = await serve((req, res) => sendJson(res, 200, { plan, self: `http://${req.headers.host}${req.url}` }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    const rec = new Transport({ baseUrl: server.url, snapshots: "record", snapshotDir: dir });
    await rec.getJson(`${server.url}/api/v1/metadata/a`, z.unknown());
    expect(await checkSnapshots({ baseUrl: server.url, dir })).toEqual({ checked: 1, stale: [] });
    plan = "count";
    const report = await checkSnapshots({ baseUrl: server.url, dir });
    expect(report.stale).toHaveLength(1);
    expect(report.stale[0].reason).toContain('$.plan: recorded "scan", now "count"');
    expect(normalizeBody({ b: 1, a: [{ d: 2, c: 3 }] }, ["d"])).toEqual({ a: [{ c: 3 }], b: 1 });
    expect(firstDifference({ a: [1, 2] }, { a: [1, 2, 3] })).toBe("$.a: 2 items recorded, 3 now");
  });
  it("binary bodies go to a .bin file and replay byte for byte", async () => {
    const bytes = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(bytes);
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    await new Transport({ baseUrl: server.url, snapshots: "record", snapshotDir: dir }).getBytes(`${server.url}/api/v1/array/full/a`, { accept: "application/octet-stream", expectedBytes: 8 });
    const [entry] = listSnapshots(dir);
    expect(entry.bodyFile).toMatch(/\.bin$/);
    const into = new Uint8Array(8);
    const got = await new Transport({ baseUrl: "http://h:1", snapshots: "replay", snapshotDir: dir }).getBytes("http://h:1/api/v1/array/full/a", { accept: "application/octet-stream", expectedBytes: 8, into });
    expect(got).toBe(into);
    expect(Array.from(into)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("pagination", () => {
  it("page size must be 1…300", () => {
    for (const bad of [0, -1, 301, 1.5, Number.NaN]) {
      expect(() => checkPageSize(bad)).toThrow(/must be an integer from 1 to 300/);
    }
    expect(checkPageSize(300)).toBe(300);
  });
  it("re-adds filters and sort to links.next (which carries only page parameters) and stops on an empty page", async () => {
    const server = await serve((req, res) => {
      const url = new URL(req.url ?? "", "http://x");
      const offset = Number(url.searchParams.get("page[offset]") ?? 0);
      const data = offset < 4 ? [{ id: `k${offset}`, attributes: { ancestors: [] } }, { id: `k${offset + 1}`, attributes: { ancestors: [] } }] : [];
      // Like tiled: next always set, even past the end.
      sendJson(res, 200, { data, links: { next: `http://${req.headers.host}/api/v1/search/c?page[offset]=${offset + 2}&page[limit]=2` }, meta: { count: 4 } });
    });
    const transport = new Transport({ baseUrl: server.url });
    const ids: string[] = [];
    const params = queriesToParams([Eq("start.plan_name", "scan")]);
    for await (const page of paginate(transport, `${server.url}/api/v1/search/c`, { params, sort: ["-start.time"], pageSize: 2 })) ids.push(...page.data.map((d) => d.id));
    expect(ids).toEqual(["k0", "k1", "k2", "k3"]);
    expect(server.requests).toHaveLength(3);
    for (const r of server.requests) {
      const url = new URL(r.url, "http://x");
      expect(url.searchParams.get("filter[eq][condition][key]")).toBe("start.plan_name");
      expect(url.searchParams.get("filter[eq][condition][value]")).toBe('"scan"');
      expect(url.searchParams.getAll("sort")).toEqual(["-start.time"]);
    }
  });
  it("a full page without a next link is followed at the next offset; a short page ends the walk", async () => {
    // tiled 0.2.20 under a sort, without `count` in fields: links.next is null too early.
    const items = ["a", "b", "c", "d", "e"];
    const server = await serve((req, res) => {
      const url = new URL(req.url ?? "", "http://x");
      const offset = Number(url.searchParams.get("page[offset]") ?? 0);
      const limit = Number(url.searchParams.get("page[limit]"));
      const data = items.slice(offset, offset + limit).map((id) => ({ id, attributes: { ancestors: [] } }));
      sendJson(res, 200, { data, links: { next: null }, meta: { count: 2 } });
    });
    const transport = new Transport({ baseUrl: server.url });
    const ids: string[] = [];
    for await (const page of paginate(transport, `${server.url}/api/v1/search/c`, { params: [["fields", ""]], sort: ["start.time"], pageSize: 2 })) {
      ids.push(...page.data.map((d) => d.id));
    }
    expect(ids).toEqual(items);
    expect(server.requests.map((r) => new URL(r.url, "http://x").searchParams.get("page[offset]"))).toEqual([null, "2", "4"]);
    // No exact count is asked for on each page: it makes the server count every match per page.
    for (const r of server.requests) expect(new URL(r.url, "http://x").searchParams.getAll("fields")).toEqual([""]);
  });
  it("a hand-built search suffix asks for an exact count whenever fields are chosen", async () => {
    expect(withCountField([["fields", ""]])).toEqual([["fields", "count"], ["fields", "structure_family"]]);
    expect(withCountField([["fields", "metadata"], ["x", "1"]])).toEqual([["fields", "metadata"], ["x", "1"], ["fields", "count"]]);
    expect(withCountField([["fields", "count"]])).toEqual([["fields", "count"]]);
    expect(withCountField([["sort", "a"]])).toEqual([["sort", "a"]]);
    expect(searchSuffix({ fields: [] })).toBe("?fields=count&fields=structure_family");
  });
  it("a next link pointing back to a page already read is an error, not a loop", async () => {
    const server = await serve((req, res) =>
      sendJson(res, 200, { data: [{ id: "a", attributes: { ancestors: [] } }], links: { next: `http://${req.headers.host}/api/v1/search/c?page[limit]=1` }, meta: { count: 1 } }),
    );
    const transport = new Transport({ baseUrl: server.url });
    const run = async () => {
      for await (const _page of paginate(transport, `${server.url}/api/v1/search/c`, { pageSize: 1 })) {
        /* read */
      }
    };
    await expect(run()).rejects.toThrow(/already read; stopping instead of looping/);
    expect(server.requests.length).toBeLessThanOrEqual(2);
  });
});
