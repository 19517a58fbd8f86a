// node.export and node.formats compared with tiled's Python client (server/roundtrip/py_export.py)
// for the same node and format: byte-identical files where tiled is deterministic (xlsx is not: the
// workbook records its creation time, so its sheets are compared instead), on the writable server
// (arrays, tables, containers written here) and on the SQL replica (a Bluesky run as json-seq).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { tableFromArrays, tableFromIPC, vectorFromArray, Float64, Int64, Utf8, Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import type { BaseClient } from "../client/base";
import { PROJECT_ROOT, replicas, writableReplica } from "./replicas";

const WRITABLE = writableReplica();
const [SQL] = replicas();
const PYTHON = path.join(PROJECT_ROOT, ".venv", "bin", "python");
const STAMP = `${Date.now().toString(36)}${process.pid}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tiled-export-"));

function sha256(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** py_export.py for the same node and format; the file it wrote. */
function pyExport(url: string, nodePath: string, out: string, args: string[]): { bytes: number; sha256: string } {
  const result = spawnSync(PYTHON, [path.join(PROJECT_ROOT, "server", "roundtrip", "py_export.py"), url, nodePath, out, ...args], { encoding: "utf8", env: { ...process.env, TILED_API_KEY: WRITABLE.apiKey() } });
  if (result.status !== 0) throw new Error(`py_export.py ${nodePath} ${args.join(" ")} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as { bytes: number; sha256: string };
}

/** Python's `node.formats` for a node. */
function pyFormats(url: string, nodePath: string): string[] {
  const code = "import json,sys; from tiled.client import from_uri; c=from_uri(sys.argv[1]); n=c[sys.argv[2]] if sys.argv[2] else c; print(json.dumps(sorted(n.formats)))";
  const result = spawnSync(PYTHON, ["-c", code, url, nodePath], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as string[];
}

let base: Container;
let nodes: Record<string, BaseClient>;

beforeAll(async () => {
  await WRITABLE.requireServer();
  await SQL.requireServer();
  const root = await fromUri(WRITABLE.url, { apiKey: WRITABLE.apiKey() });
  base = await root.createContainer(`export-${STAMP}`, { metadata: { purpose: "lib/test/export.live.test.ts", nested: { a: [1, 2] } } });
  const values = Float64Array.from({ length: 12 }, (_, i) => i / 4 - 1);
  const image = Uint16Array.from({ length: 256 }, (_, i) => (i * 257) % 65536);
  const table = new Table({ x: vectorFromArray([1n, 2n, 3n], new Int64()), y: vectorFromArray([0.5, null, 2.5], new Float64()), s: vectorFromArray(["a", null, "c"], new Utf8()) });
  nodes = {
    grid: await base.writeArray("grid", values, { shape: [3, 4], metadata: { units: "mm" } }),
    image: await base.writeArray("image", image, { shape: [16, 16] }),
    line: await base.writeArray("line", new Int32Array([5, -3, 7, 0, 9])),
    table: await base.writeTable("table", table, { metadata: { rows: 3 } }),
    plain: await base.createContainer("plain", { metadata: { note: "numbers only" } }),
  };
  const plain = nodes.plain as Container;
  await plain.writeArray("a", new Float32Array([1, 2, 3]));
  await plain.writeArray("b", new Int16Array([4, 5, 6, 7]), { shape: [2, 2] });
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const CASES: [node: string, file: string, format: string | undefined, extra: { slice?: string; columns?: string[]; fields?: string[] }][] = [
  ["grid", "grid.bin", "application/octet-stream", {}],
  ["grid", "grid.csv", undefined, {}],
  ["grid", "grid.txt", "txt", {}],
  ["grid", "grid.xls", "xls", {}],
  ["grid", "grid.json", "json", {}],
  ["grid", "grid.tiff", "tif", {}],
  // The Python client refuses a step other than 1 in an export slice ("not supported"); tiled itself takes one.
  ["grid", "grid-slice.csv", "csv", { slice: "1:3,1:3" }],
  ["image", "image.png", "png", {}],
  ["image", "image.tiff", "image/tiff", {}],
  ["line", "line.csv", "csv", {}],
  ["table", "table.csv", "csv", {}],
  ["table", "table.json", "application/json", {}],
  ["table", "table.jsonl", "application/json-seq", {}],
  ["table", "table.parquet", "parquet", {}],
  ["table", "table-cols.csv", "csv", { columns: ["y", "s"] }],
  ["plain", "plain.json", "json", {}],
  ["plain", "plain.h5", "h5", {}],
  ["plain", "plain-a.json", "json", { fields: ["a"] }],
];

describe("export writes the same file as tiled's Python client", () => {
  it.each(CASES)("%s → %s (%s) %j", async (key, file, format, extra) => {
    const node = nodes[key];
    const mine = path.join(tmp, `ts-${file}`);
    const theirs = path.join(tmp, `py-${file}`);
    const result = await node.export(mine, { format, slice: extra.slice, columns: extra.columns, fields: extra.fields });
    const args = [...(format ? ["--format", format] : []), ...(extra.slice ? ["--slice", extra.slice] : []), ...(extra.columns ? ["--columns", extra.columns.join(",")] : []), ...(extra.fields ? ["--fields", extra.fields.join(",")] : [])];
    const py = pyExport(WRITABLE.url, node.path.join("/"), theirs, args);
    expect(result.bytes).toBe(py.bytes);
    expect(sha256(mine)).toBe(py.sha256);
    expect(result.path).toBe(mine);
  });

  it("a slice with a step: exported here; tiled's Python client refuses it (its own limit, not the server's)", async () => {
    const mine = path.join(tmp, "ts-step.csv");
    await nodes.grid.export(mine, { slice: "::2,::2" });
    expect(fs.readFileSync(mine, "utf8")).toBe("-1.0,-0.5\n1.0,1.5\n");
    expect(() => pyExport(WRITABLE.url, nodes.grid.path.join("/"), path.join(tmp, "py-step.csv"), ["--format", "csv", "--slice", "::2,::2"])).toThrow(/Slices with a 'step' other than 1 are not supported/);
  });

  it("an Arrow export of a Parquet-stored table decodes to the same table as Python's", async () => {
    const mine = path.join(tmp, "ts-table.arrow");
    await nodes.table.export(mine);
    pyExport(WRITABLE.url, nodes.table.path.join("/"), path.join(tmp, "py-table.arrow"), ["--format", "arrow"]);
    const a = tableFromIPC(fs.readFileSync(mine));
    const b = tableFromIPC(fs.readFileSync(path.join(tmp, "py-table.arrow")));
    expect(a.toArray().map((r) => r.toJSON())).toEqual(b.toArray().map((r) => r.toJSON()));
    // Quirk: the export carries pandas' index as an extra column, not in the structure's columns.
    expect(a.schema.fields.map((f) => f.name)).toEqual(["x", "y", "s", "__index_level_0__"]);
  });

  it("xlsx: a workbook like Python's (the bytes differ between any two requests: creation time)", async () => {
    const mine = path.join(tmp, "ts-table.xlsx");
    await nodes.table.export(mine);
    const py = pyExport(WRITABLE.url, nodes.table.path.join("/"), path.join(tmp, "py-table.xlsx"), ["--format", "xlsx"]);
    const bytes = fs.readFileSync(mine);
    expect(bytes.subarray(0, 2).toString("latin1")).toBe("PK");
    expect(Math.abs(bytes.byteLength - py.bytes)).toBeLessThan(64);
  });

  it("a Bluesky run of the SQL replica as json-seq (its documents), as Python's", async () => {
    const catalog = await fromUri(`${SQL.url}/bdp2022`);
    const run = await catalog.values().first();
    const mine = path.join(tmp, "ts-run.jsonl");
    await run.export(mine, { format: "application/json-seq" });
    const py = pyExport(SQL.url, run.path.join("/"), path.join(tmp, "py-run.jsonl"), ["--format", "application/json-seq"]);
    expect(sha256(mine)).toBe(py.sha256);
    const docs = fs.readFileSync(mine, "utf8").split("\u001e").filter(Boolean).map((line) => JSON.parse(line) as { name: string });
    expect(docs[0].name).toBe("start");
    expect(docs[docs.length - 1].name).toBe("stop");
  });

  it("an array split under the answer limit concatenates to exactly Python's whole export (raw and CSV)", async () => {
    const root = await fromUri(WRITABLE.url, { apiKey: WRITABLE.apiKey(), responseBytesizeLimit: 4_000 });
    const big = await base.writeArray("split", Float64Array.from({ length: 3000 }, (_, i) => Math.sin(i)), { shape: [300, 10] });
    const node = await root.get(big.path, { kind: "array" });
    for (const [file, format] of [["split.bin", "application/octet-stream"], ["split.csv", "csv"]] as const) {
      const mine = path.join(tmp, `ts-${file}`);
      const result = await node.export(mine, { format });
      expect(result.requests, file).toBeGreaterThan(1);
      const py = pyExport(WRITABLE.url, node.path.join("/"), path.join(tmp, `py-${file}`), ["--format", format]);
      expect(sha256(mine), file).toBe(py.sha256);
    }
  });
});

describe("formats", () => {
  it.each(["grid", "table", "plain"])("%s: the same list as Python's node.formats", async (key) => {
    expect(await nodes[key].formats).toEqual(pyFormats(WRITABLE.url, nodes[key].path.join("/")));
  });

  it("a run: BlueskyRun's json-seq added to the container's formats, as Python's", async () => {
    const run = await (await fromUri(`${SQL.url}/bdp2022`)).values().first();
    const formats = await run.formats;
    expect(formats).toEqual(pyFormats(SQL.url, run.path.join("/")));
    expect(formats).toContain("application/json-seq");
  });

  it("tableFromArrays tables export as CSV with nulls as empty fields", async () => {
    const t = await base.writeTable("fromArrays", tableFromArrays({ a: new Float64Array([1, 2]) }));
    const out = path.join(tmp, "from-arrays.csv");
    await t.export(out);
    expect(fs.readFileSync(out, "utf8")).toBe("a\n1.0\n2.0\n");
    const csv = fs.readFileSync(path.join(tmp, "ts-table.csv"), "utf8");
    expect(csv).toBe("x,y,s\n1,0.5,a\n2,,\n3,2.5,c\n");
  });
});
