// testing/snapshots.ts: record and replay of responses, plugged into a context as its http option
// (snapshotHttp). Keys (method, path, sorted query, Accept, writes before), errors and binary bodies
// replayed as recorded; secrets never written: credentials sent in headers, JSON fields that carry
// secrets, request bodies. Issue 10's item 13 (a server that echoes the key) is a hostile case.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Context } from "../context";
import type { ContextOptions } from "../context";
import { SECRET_PLACEHOLDER, listSnapshots, snapshotFileStem, snapshotHttp, snapshotKey } from "../testing/snapshots";
import { caught } from "./caught";
import type { TiledError } from "../errors";
import { FAST_RETRY, localServers, sendJson } from "./local-server";
import { snapshotDir } from "./replicas";

const serve = localServers();
const fast = FAST_RETRY;
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));

/** A transport that records what the server at `baseUrl` answers into `dir`. */
const recorder = (baseUrl: string, dir: string, options: ContextOptions = {}) => new Context({ baseUrl, http: snapshotHttp({ mode: "record", dir, baseUrl }), ...options }).transport;
/** A transport that answers from `dir`, for a server said to be at `baseUrl` (never contacted). */
const replayer = (baseUrl: string, dir: string, options: ContextOptions = {}) => new Context({ baseUrl, http: snapshotHttp({ mode: "replay", dir, baseUrl }), ...options }).transport;

/** Every file under `dir`, as text (latin1, so binary bodies are searchable too). */
function filesIn(dir: string): { file: string; text: string }[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).isFile())
    .map((file) => ({ file, text: fs.readFileSync(file).toString("latin1") }));
}

describe("API key", () => {
  const KEY = "secret-api-key-5f3a9c";
  it("is never written into snapshots, even when the server echoes it", async () => {
    const server = await serve((req, res) => sendJson(res, 200, { echoed: req.headers.authorization, url: `http://${req.headers.host}${req.url}` }));
    const dir = tempDir();
    await recorder(server.url, dir, { apiKey: KEY, ...fast }).getJson(`${server.url}/api/v1/search/x?api_key=${KEY}&page[limit]=1`, z.unknown());
    const files = filesIn(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const { text } of files) expect(text).not.toContain(KEY);
    const [entry] = listSnapshots(dir);
    expect(entry.request.query).toEqual([["page[limit]", "1"]]);
    // Replay without a key gives the recorded (redacted) body back, base URL substituted.
    const body = await replayer("http://127.0.0.1:9", dir).getJson("http://127.0.0.1:9/api/v1/search/x?page[limit]=1", z.object({ echoed: z.string(), url: z.string() }));
    expect(body.echoed).toBe(`Apikey ${SECRET_PLACEHOLDER}`);
    expect(body.url.startsWith("http://127.0.0.1:9/api/v1/search/x")).toBe(true);
  });
});

describe("snapshots", () => {
  it("replay miss is snapshot-missing and says how to record", async () => {
    const err = await caught(replayer("http://127.0.0.1:9", tempDir()).getJson("http://127.0.0.1:9/api/v1/metadata/bdp2022", z.unknown()));
    expect(err.code).toBe("snapshot-missing");
    expect(err.message).toContain("npm run snapshots:record");
    expect(err.message).toContain("GET /api/v1/metadata/bdp2022");
  });
  it("a miss is not retried and opens no socket", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, {}));
    const err = await caught(replayer(server.url, tempDir(), fast).getJson(`${server.url}/api/v1/metadata/x`, z.unknown()));
    expect(err.code).toBe("snapshot-missing");
    expect(server.requests).toHaveLength(0);
  });
  it("keys ignore host and parameter order across names, but keep the order of repeated names", async () => {
    const server = await serve((req, res) => sendJson(res, 200, { url: req.url }));
    const dir = tempDir();
    await recorder(server.url, dir).getJson(`${server.url}/api/v1/search/c?sort=b&page[limit]=5&sort=a`, z.unknown());
    const replay = replayer("http://localhost:1", dir);
    await expect(replay.getJson("http://localhost:1/api/v1/search/c?page[limit]=5&sort=b&sort=a", z.unknown())).resolves.toBeTruthy();
    expect((await caught(replay.getJson("http://localhost:1/api/v1/search/c?page[limit]=5&sort=a&sort=b", z.unknown()))).code).toBe("snapshot-missing");
  });
  it("a server mounted under a path: keys are relative to it, so the recording replays under another mount", async () => {
    const server = await serve((req, res) => sendJson(res, 200, { url: req.url }));
    const dir = tempDir();
    await recorder(`${server.url}/tiled`, dir).getJson(`${server.url}/tiled/api/v1/metadata/a`, z.unknown());
    expect(listSnapshots(dir)[0].request.path).toBe("/api/v1/metadata/a");
    await expect(replayer("http://h:1/other", dir).getJson("http://h:1/other/api/v1/metadata/a", z.object({ url: z.string() }))).resolves.toEqual({ url: "/tiled/api/v1/metadata/a" });
  });
  it("records errors too, and replays them as the same TiledError", async () => {
    const server = await serve((_req, res) => sendJson(res, 404, { detail: "No such entry: ['nope']" }));
    const dir = tempDir();
    await caught(recorder(server.url, dir).getJson(`${server.url}/api/v1/metadata/nope`, z.unknown()));
    const err = await caught(replayer("http://h:1", dir).getJson("http://h:1/api/v1/metadata/nope", z.unknown()));
    expect(err).toMatchObject({ code: "not-found", status: 404, detail: "No such entry: ['nope']" });
  });
  it("binary bodies go to a .bin file and replay byte for byte, into the caller's buffer", async () => {
    const bytes = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(bytes);
    });
    const dir = tempDir();
    await recorder(server.url, dir).getBytes(`${server.url}/api/v1/array/full/a`, { accept: "application/octet-stream", expectedBytes: 8 });
    const [entry] = listSnapshots(dir);
    expect(entry.bodyFile).toMatch(/\.bin$/);
    const into = new Uint8Array(8);
    const got = await replayer("http://h:1", dir).getBytes("http://h:1/api/v1/array/full/a", { accept: "application/octet-stream", expectedBytes: 8, into });
    expect(got).toBe(into);
    expect(Array.from(into)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
  it("a replayed body is held to the caps a live one is (maxJsonBytes)", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { data: "x".repeat(5000) }));
    const dir = tempDir();
    await recorder(server.url, dir).getJson(`${server.url}/api/v1/metadata/a`, z.unknown());
    const err = await caught(replayer("http://h:1", dir, { maxJsonBytes: 1000 }).getJson("http://h:1/api/v1/metadata/a", z.unknown()));
    expect(err.code).toBe("too-large");
  });
});

describe("a text export that names files by absolute path", () => {
  it("is recorded with the project's path as a placeholder, replayed with the clone's own, and hashed the same way", async () => {
    const recordedRoot = "/work/main";
    const body = `{"name": "start"}\n{"name": "resource", "root": "${recordedRoot}/var/replica/detectors"}\n`;
    const server = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json-seq" });
      res.end(body);
    });
    const dir = tempDir();
    const url = `${server.url}/api/v1/container/full/run?format=application%2Fjson-seq`;
    const rec = new Context({ baseUrl: server.url, http: snapshotHttp({ mode: "record", dir, baseUrl: server.url, projectRoot: recordedRoot }) });
    await rec.transport.getBytes(url, { accept: "application/json-seq" });
    const [entry] = listSnapshots(dir);
    expect(entry.rootPlaceholder).toBe(true);
    expect(fs.readFileSync(path.join(path.dirname(entry.file), entry.bodyFile ?? ""), "utf8")).toContain("{{PROJECT_ROOT}}/var/replica");
    const clone = "/tmp/ci-clone";
    const replay = new Context({ baseUrl: "http://127.0.0.1:9", http: snapshotHttp({ mode: "replay", dir, baseUrl: "http://127.0.0.1:9", projectRoot: clone }) });
    const replayed = new TextDecoder().decode(await replay.transport.getBytes(`http://127.0.0.1:9/api/v1/container/full/run?format=application%2Fjson-seq`, { accept: "application/json-seq" }));
    expect(replayed).toBe(body.replace(recordedRoot, clone));
  });
});

describe("writes: the method and the writes before a request are part of its key", () => {
  it("a GET after a PUT is recorded apart from the same GET before it, and each replays its own answer", async () => {
    let title = "old";
    const server = await serve((req, res) => {
      if (req.method === "PUT") {
        let body = "";
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => {
          title = (JSON.parse(body) as { title: string }).title;
          sendJson(res, 200, { ok: true });
        });
      } else sendJson(res, 200, { title });
    });
    const dir = tempDir();
    const Title = z.object({ title: z.string() });
    const url = (base: string) => `${base}/api/v1/metadata/a`;
    const rec = recorder(server.url, dir);
    expect(await rec.getJson(url(server.url), Title)).toEqual({ title: "old" });
    await rec.sendJson("PUT", url(server.url), { title: "new", note: "put-body-only-7f3" }, z.unknown());
    expect(await rec.getJson(url(server.url), Title)).toEqual({ title: "new" });
    const keys = listSnapshots(dir).map((e) => [e.request.method, e.request.writes ?? 0]);
    expect(keys.sort()).toEqual([["GET", 0], ["GET", 1], ["PUT", 0]]);
    // The request body (it could be a password) is not stored.
    for (const { text } of filesIn(dir)) expect(text).not.toContain("put-body-only-7f3");

    const replay = replayer("http://h:1", dir);
    expect(await replay.getJson(url("http://h:1"), Title)).toEqual({ title: "old" });
    await replay.sendJson("PUT", url("http://h:1"), { title: "new" }, z.unknown());
    expect(await replay.getJson(url("http://h:1"), Title)).toEqual({ title: "new" });
    // A fresh replayer (a new session) starts again before any write.
    expect(await replayer("http://h:1", dir).getJson(url("http://h:1"), Title)).toEqual({ title: "old" });
  });

  it("a refused write and the next write to the same URL are keyed apart, and each replays its own answer", async () => {
    const taken = new Set<string>();
    const server = await serve((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        if (req.method !== "POST") return sendJson(res, 200, { keys: [...taken] });
        const { id } = JSON.parse(body) as { id: string };
        if (taken.has(id)) return sendJson(res, 409, { detail: `/${id}` });
        taken.add(id);
        sendJson(res, 200, { id });
      });
    });
    const dir = tempDir();
    const Id = z.object({ id: z.string() });
    const run = async (http: ReturnType<typeof recorder>, base: string) => {
      const url = `${base}/api/v1/metadata/`;
      const first = await http.sendJson("POST", url, { id: "a" }, Id);
      const refused = await http.sendJson("POST", url, { id: "a" }, Id).catch((err: TiledError) => err.status);
      const second = await http.sendJson("POST", url, { id: "b" }, Id);
      return [first.id, refused, second.id];
    };
    expect(await run(recorder(server.url, dir), server.url)).toEqual(["a", 409, "b"]);
    expect(listSnapshots(dir).map((e) => [e.request.writes ?? 0, e.status]).sort()).toEqual([[0, 200], [1, 409], [2, 200]]);
    expect(await run(replayer("http://h:1", dir), "http://h:1")).toEqual(["a", 409, "b"]);
  });

  it("a read-only session's keys are those of before the change: the recorded replicas keep their file names", () => {
    // Every recording in data-snapshots/ was made by GETs only: its file is where its key says.
    let checked = 0;
    for (const name of ["SQL", "legacy"] as const) {
      const dir = snapshotDir(name);
      for (const entry of listSnapshots(dir)) {
        expect(entry.request.method).toBe("GET");
        expect(entry.request.writes).toBeUndefined();
        expect(path.relative(dir, entry.file)).toBe(`${snapshotFileStem(entry.request)}.json`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    // And a key is computed from a request the same way: method, path under the base, sorted query without api_key, Accept.
    const key = snapshotKey({ method: "GET", url: "http://h:1/tiled/api/v1/search/c?sort=b&api_key=k&page[limit]=5", headers: { Accept: "application/json" } }, "http://h:1/tiled");
    expect(key).toEqual({ method: "GET", path: "/api/v1/search/c", query: [["page[limit]", "5"], ["sort", "b"]], accept: "application/json" });
  });
});

describe("secrets in answers", () => {
  it("tokens and other secret JSON fields are replaced; a bearer token sent in a header is removed from bodies", async () => {
    const TOKEN = "eyJhbGciOiJIUzI1NiJ9.secretpayload.sig";
    const server = await serve((req, res) =>
      sendJson(res, 200, { access_token: "fresh-access-123", refresh_token: "fresh-refresh-456", nested: { api_key: "k-789", secret: "s-000" }, token_type: "bearer", seen: req.headers.authorization }),
    );
    const dir = tempDir();
    const context = new Context({ baseUrl: server.url, http: snapshotHttp({ mode: "record", dir, baseUrl: server.url }) });
    context.setCredentials({ kind: "tokens", headersFor: () => ({ Authorization: `Bearer ${TOKEN}` }), secrets: () => [TOKEN] });
    const answer = await context.transport.sendJson("POST", `${server.url}/api/v1/auth/session/refresh`, { refresh_token: "old-refresh" }, z.record(z.string(), z.unknown()));
    expect(answer.access_token).toBe("fresh-access-123"); // the caller gets the real answer
    for (const { text } of filesIn(dir)) {
      for (const secret of [TOKEN, "fresh-access-123", "fresh-refresh-456", "k-789", "s-000", "old-refresh"]) expect(text).not.toContain(secret);
    }
    const [entry] = listSnapshots(dir);
    expect(entry.body).toMatchObject({ access_token: SECRET_PLACEHOLDER, refresh_token: SECRET_PLACEHOLDER, nested: { api_key: SECRET_PLACEHOLDER, secret: SECRET_PLACEHOLDER }, token_type: "bearer", seen: `Bearer ${SECRET_PLACEHOLDER}` });
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
    const dir = tempDir();
    const transport = recorder(server.url, dir, { apiKey: KEY, ...fast });
    const body = await transport.getBytes(`${server.url}/api/v1/bytes`, { accept: "application/octet-stream" });
    expect(Buffer.from(body).toString()).toContain(KEY); // the caller gets what the server sent
    const err = await caught(transport.getJson(`${server.url}/api/v1/metadata/x`, z.unknown()));
    for (const text of [err.message, String(err.detail), inspect(err, { depth: 10 })]) expect(text).not.toContain(KEY);
    const files = filesIn(dir);
    expect(files.some(({ file }) => file.endsWith(".bin"))).toBe(true);
    for (const { text } of files) expect(text).not.toContain(KEY);
  });
});
