// snapshots.ts: record and replay of responses. Keys, errors and binary bodies replayed as recorded;
// API keys never written, even when the server echoes them (issue 10's item 13 guards against
// that hostile case).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { listSnapshots } from "../snapshots";
import { Transport } from "../transport";
import { caught } from "./caught";
import { FAST_RETRY, localServers, sendJson } from "./local-server";

const serve = localServers();
const fast = FAST_RETRY;

describe("API key", () => {
  const KEY = "secret-api-key-5f3a9c";
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

describe("11-14. the API key goes only where it belongs", () => {
  const KEY = "hostilekey0123456789abcdef";
  it("13. recorded bodies and error messages never hold the key, even when the server echoes it", async () => {
    const server = await serve((req, res) => {
      if (req.url?.includes("bytes")) {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(Buffer.from(`head ${req.headers.authorization} tail`));
      } else sendJson(res, 401, { detail: `Invalid API key ${KEY}` });
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    const transport = new Transport({ baseUrl: server.url, apiKey: KEY, snapshots: "record", snapshotDir: dir, ...fast });
    const body = await transport.getBytes(`${server.url}/api/v1/bytes`, { accept: "application/octet-stream" });
    expect(Buffer.from(body).toString()).toContain(KEY); // the caller gets what the server sent
    const err = await caught(transport.getJson(`${server.url}/api/v1/metadata/x`, z.unknown()));
    for (const text of [err.message, String(err.detail), inspect(err, { depth: 10 })]) expect(text).not.toContain(KEY);
    const files = fs.readdirSync(dir, { recursive: true }).map(String).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
    expect(files.some((f) => f.endsWith(".bin"))).toBe(true);
    for (const file of files) expect(fs.readFileSync(file).toString("latin1")).not.toContain(KEY);
  });
});
