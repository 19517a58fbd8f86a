// Writes, metadata changes, revisions, deletes, deep search, data sources and raw files on the
// writable server (TILED_WRITABLE_URL, `bin/replica start --writable`; fails, not skips, when it is
// down), with the server's own answers and quirks (docs/tiled-write-contract.md), and raw files
// compared with the files on disk and with tiled's Python client's raw_export.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Float64, Table, vectorFromArray } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import { DELETE_KEY, MERGE_PATCH } from "../client/metadata-update";
import { arrowSchemaUri } from "../client/write";
import { z } from "zod";
import { Key } from "../queries";
import { TiledError } from "../errors";
import { PROJECT_ROOT, replicas, writableReplica } from "./replicas";
import { caught } from "./caught";

const WRITABLE = writableReplica();
const STAMP = `${Date.now().toString(36)}${process.pid}`;
const RAW_DIR = path.join(process.env.REPLICA_VAR || path.join(PROJECT_ROOT, "var", "replica"), "writable", "raw");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiled-writable-"));

let root: Container;
let base: Container;

beforeAll(async () => {
  await WRITABLE.requireServer();
  root = await fromUri(WRITABLE.url, { apiKey: WRITABLE.apiKey() });
  base = await root.createContainer(`writable-${STAMP}`, { metadata: { purpose: "lib/test/writable.live.test.ts" } });
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("refused writes", () => {
  it("without credentials: 401, with what to do", async () => {
    const anonymous = await fromUri(WRITABLE.url);
    expect(anonymous.context.authenticated).toBe(false);
    const err = await caught(anonymous.createContainer(`nope-${STAMP}`));
    expect(err.code).toBe("unauthorized");
    expect(err.message).toMatch(/Not enough permissions/);
    expect(err.message).toMatch(/give an API key \(apiKey, or TILED_API_KEY\) or log in/);
  });

  it("a wrong key: 401 Invalid API key, the key never shown", async () => {
    const wrong = "not-the-key-0123456789";
    const err = await caught(fromUri(WRITABLE.url, { apiKey: wrong }).then((c) => c.createContainer("x")));
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/Invalid API key/);
    expect(`${err.message} ${String(err.url)}`).not.toContain(wrong);
  });

  it("a name taken: 409, choose another key or delete", async () => {
    await base.createContainer("taken");
    const err = await caught(base.createContainer("taken"));
    expect(err.status).toBe(409);
    expect(err.message).toMatch(/exists already: choose another key, or delete the existing node first/);
  });

  it("appending to a table that is not appendable (Parquet): the server's 500, explained; the next write still goes through", async () => {
    const t = await base.writeTable("parquet", new Table({ x: vectorFromArray([1, 2], new Float64()) }));
    const err = await caught(t.appendPartition(0, new Table({ x: vectorFromArray([3], new Float64()) })));
    expect(err.status).toBe(500);
    expect(err.message).toMatch(/only tables made with createAppendableTable take appendPartition/);
    // tiled closes the connection after a 500: a write must not be sent on it (node-fetch.ts).
    await base.createContainer("after-a-500");
  });
});

describe("metadata: update, patch, replace, revisions", () => {
  it("updateMetadata merges like dict.update (nested objects merged, DELETE_KEY removes, null kept), keeping a revision", async () => {
    const node = await base.createContainer("md", { metadata: { a: 1, nested: { x: 1, y: 2 }, gone: true }, specs: ["First"] });
    const updated = await node.updateMetadata({ a: 2, nested: { y: 3, z: null }, gone: DELETE_KEY, added: ["µ", 1] }, { specs: ["First", { name: "Second", version: "2" }] });
    const expected = { a: 2, nested: { x: 1, y: 3, z: null }, added: ["µ", 1] };
    expect(updated.metadata).toEqual(expected);
    expect(updated.specs).toEqual([{ name: "First", version: null }, { name: "Second", version: "2" }]);
    expect((await node.refresh()).metadata).toEqual(expected);
    const revisions = await updated.metadataRevisions();
    // Revision n is the state before the n-th change.
    expect(revisions.map((r) => [r.revisionNumber, r.metadata, r.specs.map((s) => s.name)])).toEqual([[1, { a: 1, nested: { x: 1, y: 2 }, gone: true }, ["First"]]]);
    expect(revisions[0].timeUpdated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  });

  it("a merge patch (null deletes), a replace, dropRevision, and revisions deleted one by one", async () => {
    const node = await base.createContainer("md2", { metadata: { keep: 1, drop: 2 } });
    const merged = await node.patchMetadata({ metadataPatch: { drop: null, new: "n" }, contentType: MERGE_PATCH });
    expect(merged.metadata).toEqual({ keep: 1, new: "n" });
    const replaced = await merged.replaceMetadata({ only: "this" }, { specs: ["Replaced"] });
    expect(replaced.metadata).toEqual({ only: "this" });
    expect(replaced.specs.map((s) => s.name)).toEqual(["Replaced"]);
    await replaced.updateMetadata({ silent: true }, { dropRevision: true });
    const revisions = await replaced.metadataRevisions();
    expect(revisions.map((r) => r.metadata)).toEqual([{ keep: 1, drop: 2 }, { keep: 1, new: "n" }]);
    await replaced.deleteRevision(1);
    expect((await replaced.metadataRevisions()).map((r) => r.revisionNumber)).toEqual([2]);
    const again = await caught(replaced.deleteRevision(1));
    expect(again.code).toBe("not-found");
    expect(again.message).toMatch(/No revision 1/);
  });

  it("a JSON patch that does not apply is the server's 500 (tiled 0.2.20), and changes nothing", async () => {
    const node = await base.createContainer("md3", { metadata: { a: 1 } });
    const err = await caught(node.patchMetadata({ metadataPatch: [{ op: "remove", path: "/missing" }] }));
    expect(err.status).toBe(500);
    expect((await node.refresh()).metadata).toEqual({ a: 1 });
  });
});

describe("delete", () => {
  it("a non-empty container without recursive: 409 with the server's advice; recursive + externalOnly: false removes it and its files", async () => {
    const box = await base.createContainer("box");
    const arr = await box.writeArray("a", new Float32Array([1, 2, 3]));
    const zarr = (await arr.dataSources())[0].assets[0].dataUri.replace("file://localhost", "");
    expect(fs.existsSync(zarr)).toBe(true);
    const notEmpty = await caught(box.delete());
    expect(notEmpty.status).toBe(409);
    expect(notEmpty.message).toMatch(/Cannot delete a node that is not empty.*recursive=True/);
    const managed = await caught(arr.delete());
    expect(managed.status).toBe(409);
    expect(managed.message).toMatch(/external_only=False/);
    await box.delete({ recursive: true, externalOnly: false });
    expect((await caught(base.get("box"))).code).toBe("not-found");
    expect(fs.existsSync(zarr)).toBe(false);
  });
});

describe("deep search", () => {
  it("finds matching nodes at any depth, with their full paths; maxDepth limits it", async () => {
    const deep = await base.createContainer("deep", { metadata: { sample: "Ni" } });
    const level1 = await deep.createContainer("l1", { metadata: { sample: "Cu" } });
    const level2 = await level1.createContainer("l2", { metadata: { sample: "Ni" } });
    await level2.writeArray("data", new Int8Array([1]), { metadata: { sample: "Ni" } });
    const hits = await base.searchDeep([Key("sample").eq("Ni")]);
    expect(hits.map((h) => h.path.join("/")).sort()).toEqual([`${base.key}/deep`, `${base.key}/deep/l1/l2`, `${base.key}/deep/l1/l2/data`]);
    expect(hits.find((h) => h.key === "data")?.structureFamily).toBe("array");
    const shallow = await base.searchDeep([Key("sample").eq("Ni")], { maxDepth: 1 });
    expect(shallow.map((h) => h.key)).toEqual(["deep"]);
  });

  it("on the legacy replica (databroker's MongoAdapter, which lists the link): unsupported-query, said plainly", async () => {
    const [, legacy] = replicas();
    await legacy.requireServer();
    const catalog = await fromUri(`${legacy.url}/bdp2022`);
    expect(catalog.item.links?.search_deep).toBeTruthy();
    const err = await caught(catalog.searchDeep([Key("plan_name").eq("scan")]));
    expect(err.code).toBe("unsupported-query");
    expect(err.message).toMatch(/does not support deep search.*Search each container with search\(\) instead/);
  });

  it("inside a registered HDF5 file: refused by the server, said plainly", async () => {
    const scan = await root.get(["raw", "scan"], { kind: "container" });
    const err = await caught(scan.searchDeep([Key("a").eq(1)]));
    expect(err.code).toBe("unsupported-query");
    expect(err.message).toMatch(/Deep search is not supported inside data-source-backed nodes/);
  });
});

describe("data sources and raw files", () => {
  it("a registered TIFF sequence: one asset per file with its size; rawExport copies them byte for byte, laid out as Python's raw_export", async () => {
    const stack = await root.get(["raw", "image_stack"]);
    const [source] = await stack.dataSources();
    expect(source.mimetype).toBe("multipart/related;type=image/tiff");
    expect(source.management).toBe("external");
    const files = fs.readdirSync(RAW_DIR).filter((f) => f.endsWith(".tiff")).sort();
    expect(source.assets.map((a) => path.basename(a.dataUri))).toEqual(files);
    expect(source.assets.map((a) => a.size)).toEqual(files.map((f) => fs.statSync(path.join(RAW_DIR, f)).size));
    expect(source.assets.map((a) => a.num)).toEqual(files.map((_, i) => i));
    const mine = path.join(tmp, "stack-ts");
    const written = await stack.rawExport(mine);
    expect(written).toEqual(source.assets.map((a) => path.join(mine, String(a.id), path.basename(a.dataUri))));
    for (const [i, file] of written.entries()) expect(fs.readFileSync(file).equals(fs.readFileSync(path.join(RAW_DIR, files[i])))).toBe(true);
    // tiled's Python client, same node: the same files at the same relative paths.
    const theirs = path.join(tmp, "stack-py");
    const result = spawnSync(path.join(PROJECT_ROOT, ".venv", "bin", "python"), ["-c", "import sys; from tiled.client import from_uri; from_uri(sys.argv[1])['raw']['image_stack'].raw_export(sys.argv[2])", WRITABLE.url, theirs], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name])).sort();
    expect(walk(mine)).toEqual(walk(theirs));
    for (const f of walk(theirs)) expect(fs.readFileSync(path.join(mine, f)).equals(fs.readFileSync(path.join(theirs, f)))).toBe(true);
  });

  it("a registered HDF5 file (one asset, data_uri parameter) and CSV", async () => {
    const scan = await root.get(["raw", "scan"]);
    const [source] = await scan.dataSources();
    expect(source).toMatchObject({ mimetype: "application/x-hdf5", structureFamily: "container" });
    expect(source.assets).toHaveLength(1);
    expect(source.assets[0]).toMatchObject({ parameter: "data_uri", num: null, isDirectory: false });
    const [file] = await scan.rawExport(path.join(tmp, "scan"));
    expect(file).toBe(path.join(tmp, "scan", "scan.h5"));
    expect(fs.readFileSync(file).equals(fs.readFileSync(path.join(RAW_DIR, "scan.h5")))).toBe(true);
    const table = await root.get(["raw", "table"]);
    expect((await table.dataSources())[0].mimetype).toBe("text/csv");
  });

  it("an uploaded array (a zarr directory): every file of its manifest, at its relative path (Python's raw_export fails here)", async () => {
    const arr = await base.writeArray("zarr", new Float64Array([1, 2, 3, 4]), { shape: [2, 2] });
    const [source] = await arr.dataSources();
    expect(source).toMatchObject({ mimetype: "application/x-zarr", management: "writable" });
    expect(source.assets[0]).toMatchObject({ isDirectory: true, size: null });
    const serverDir = source.assets[0].dataUri.replace("file://localhost", "");
    const written = await arr.rawExport(path.join(tmp, "zarr"));
    expect(written.length).toBeGreaterThanOrEqual(2);
    for (const file of written) {
      const rel = path.relative(path.join(tmp, "zarr", "zarr"), file);
      expect(fs.readFileSync(file).equals(fs.readFileSync(path.join(serverDir, rel))), rel).toBe(true);
    }
  });

  it("an appendable table lives in SQL: dataSources says so, rawExport refuses and points at export", async () => {
    const schema = new Table({ x: vectorFromArray([1], new Float64()) }).schema;
    const t = await base.createAppendableTable("sql", schema);
    const [source] = await t.dataSources();
    expect(source.mimetype).toBe("application/x-tiled-sql-table");
    expect(source.assets[0].dataUri).toMatch(/^sqlite:/);
    const err = await caught(t.rawExport(path.join(tmp, "sql")));
    expect(err.message).toMatch(/export it instead/);
  });
});

describe("quirks of tiled 0.2.20 met by writes", () => {
  it("a NaN in a float column of a written table comes back null (the server's pandas step)", async () => {
    const t = await base.writeTable("nan", new Table({ x: vectorFromArray([1, NaN, 3], new Float64()) }));
    const back = await t.read();
    expect(back.getChild("x")?.nullCount).toBe(1);
    expect(back.getChild("x")?.get(1)).toBeNull();
  });

  it("a written table reads back with pandas' __index_level_0__ column, outside the structure's columns", async () => {
    const t = await base.writeTable("index", new Table({ x: vectorFromArray([1, 2], new Float64()) }));
    expect(t.columns).toEqual(["x"]);
    const response = await t.context.transport.getBytes(t.context.apiUrl("table/full", t.path), { accept: "application/vnd.apache.arrow.file" });
    const { tableFromIPC } = await import("apache-arrow");
    expect(tableFromIPC(response).schema.fields.map((f) => f.name)).toEqual(["x", "__index_level_0__"]);
  });

  it("a big-endian array is stored and served big-endian, and read as the same values", async () => {
    const arr = await base.writeArray("be", new Float64Array([1.5, -2]), { dtype: ">f8" });
    expect(arr.structure.data_type.endianness).toBe("big");
    expect(Array.from((await arr.read()).data)).toEqual([1.5, -2]);
  });

  it("an array written in blocks has the chunks planned here, each block one PUT", async () => {
    const data = Int32Array.from({ length: 60 }, (_, i) => i);
    const arr = await base.writeArray("blocks", data, { shape: [3, 4, 5], blockBytes: 40 });
    expect(arr.chunks).toEqual([[1, 1, 1], [2, 2], [5]]);
    expect(Array.from((await arr.read()).data)).toEqual(Array.from(data));
  });

  it("deleting a table node whose data was never written: 500 (its Parquet file is missing), yet the node is gone", async () => {
    const schema = new Table({ x: vectorFromArray([1], new Float64()) }).schema;
    const structure = { arrow_schema: arrowSchemaUri(schema), npartitions: 1, columns: ["x"], resizable: false };
    const source = { id: null, structure_family: "table", structure, mimetype: null, parameters: {}, properties: {}, assets: [], management: "writable" };
    await base.context.transport.sendJson("POST", base.context.apiUrl("metadata", base.path), { id: "never-written", structure_family: "table", metadata: {}, specs: [], data_sources: [source] }, z.unknown());
    const node = await base.get("never-written");
    const err = await caught(node.delete({ recursive: true, externalOnly: false }));
    expect(err.status).toBe(500);
    expect((await caught(base.get("never-written"))).code).toBe("not-found");
  });

  it("TiledError for every refusal, never a plain Error", async () => {
    const err = await caught(base.get("no-such-node"));
    expect(err).toBeInstanceOf(TiledError);
  });
});
