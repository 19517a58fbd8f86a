// Round trips with tiled's Python client (the oracle), both ways, on the writable server
// (TILED_WRITABLE_URL, `bin/replica start --writable`), compared through the canonical digest
// `tiled-roundtrip-digest/1` (roundtrip-digest.ts here, server/roundtrip/digest.py there):
//   TypeScript writes (roundtrip-dataset.ts) → Python's py_read.py digest = the digest of the inputs;
//   Python writes (py_write.py, dataset.py)  → this library's digest = py_read.py's digest.
// Every numeric dtype in both byte orders, datetime64/timedelta64, 0-d, empty, 1-d, 4-d and
// blocked arrays, tables with nulls, an appendable table, nested unicode metadata and specs.
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Float64, Table, vectorFromArray } from "apache-arrow";
import { beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import type { Container } from "../client/container";
import { encodeArray } from "../client/array-encode";
import { PROJECT_ROOT, writableReplica } from "./replicas";
import { FORMAT, arrayEntry, readDigest, tableEntry } from "./roundtrip-digest";
import type { DigestDocument, DigestEntry } from "./roundtrip-digest";
import { ROOT_METADATA, ROOT_SPECS, appendableAppends, appendableSchema, arrayCases, nullsTable } from "./roundtrip-dataset";

const WRITABLE = writableReplica();
const PYTHON = path.join(PROJECT_ROOT, ".venv", "bin", "python");
/** A fresh place per run: the server keeps what earlier runs wrote until it is restarted. */
const STAMP = `${Date.now().toString(36)}${process.pid}`;

/** Run one of server/roundtrip's scripts with the key in the environment (never on the command line); its one JSON line. */
export function roundtripScript(script: string, args: string[]): unknown {
  const result = spawnSync(PYTHON, [path.join(PROJECT_ROOT, "server", "roundtrip", script), ...args], {
    encoding: "utf8",
    env: { ...process.env, TILED_API_KEY: WRITABLE.apiKey() },
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`${script} ${args.join(" ")} failed (${result.status}):\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

let root: Container;
let roundtrip: Container;

beforeAll(async () => {
  await WRITABLE.requireServer();
  root = await fromUri(WRITABLE.url, { apiKey: WRITABLE.apiKey() });
  roundtrip = await root.createContainer(`roundtrip-${STAMP}`, { metadata: { purpose: "lib/test/roundtrip.live.test.ts" } });
});

describe("TypeScript writes, tiled's Python client reads back the same", () => {
  const expected: Record<string, DigestEntry> = {};
  let pyDigest: DigestDocument;

  beforeAll(async () => {
    const ts = await roundtrip.createContainer("ts", { metadata: ROOT_METADATA, specs: ROOT_SPECS });
    expected[""] = { family: "container", specs: ROOT_SPECS, metadata: ROOT_METADATA };
    const arrays = await ts.createContainer("arrays", { metadata: { count: arrayCases().length } });
    expected.arrays = { family: "container", specs: [], metadata: { count: arrayCases().length } };
    for (const c of arrayCases()) {
      await arrays.writeArray(c.key, c.data, { shape: c.shape, dtype: c.dtype, metadata: c.metadata, specs: c.specs, blockBytes: c.blockBytes });
      const written = encodeArray(c.data, c.shape, c.dtype).dataType;
      expected[`arrays/${c.key}`] = arrayEntry(encodeArray(c.data, c.shape, c.canonical).bytes, written, c.shape, c.specs, c.metadata);
    }
    const tables = await ts.createContainer("tables");
    expected.tables = { family: "container", specs: [], metadata: {} };
    const nullsMeta = { note: "nullable columns", rows: 5 };
    const nulls = nullsTable();
    await tables.writeTable("nulls", nulls, { metadata: nullsMeta, specs: [{ name: "NullsTable", version: "0.1" }] });
    expected["tables/nulls"] = tableEntry(nulls, nulls.schema.fields.map((f) => f.name), [{ name: "NullsTable", version: "0.1" }], nullsMeta);
    const appendable = await tables.createAppendableTable("appendable", appendableSchema(), { npartitions: 2, metadata: { note: "appended in 3 calls" } });
    for (const [partition, rows] of appendableAppends()) await appendable.appendPartition(partition, rows);
    pyDigest = roundtripScript("py_read.py", [WRITABLE.url, ts.path.join("/")]) as DigestDocument;
  }, 180_000);

  it("gives the digest format and root Python uses", () => {
    expect(pyDigest.format).toBe(FORMAT);
    expect(pyDigest.root).toBe(`roundtrip-${STAMP}/ts`);
  });

  it("the container's nested, unicode metadata and specs", () => {
    expect(pyDigest.nodes[""]).toEqual(expected[""]);
    expect(pyDigest.nodes.arrays).toEqual(expected.arrays);
  });

  it.each(arrayCases().map((c) => [c.key, c] as const))("array %s: dtype, shape, bytes, metadata, specs", (key) => {
    expect(pyDigest.nodes[`arrays/${key}`]).toEqual(expected[`arrays/${key}`]);
  });

  it("a table with nulls in int64, float64, string and bool columns, int8/uint64 extremes, float32", () => {
    expect(pyDigest.nodes["tables/nulls"]).toEqual(expected["tables/nulls"]);
  });

  it("the appendable table: every appended row, partition 0's then partition 1's (int with a null served as double)", () => {
    const appends = appendableAppends();
    const ordered = [0, 1].flatMap((p) => appends.filter(([part]) => part === p).map(([, rows]) => rows));
    const all = ordered.slice(1).reduce((acc, t) => acc.concat(t), ordered[0]);
    // Quirk (tiled 0.2.20, SQL storage): an int64 column holding a null is served as double, to
    // Python and to this client alike (test_roundtrip.py); the values are otherwise exact.
    const i = all.getChild("i");
    const doubles = Array.from({ length: all.numRows }, (_, r): number | null => {
      const v: unknown = i?.get(r);
      return v === null || v === undefined ? null : Number(v);
    });
    const asDouble = new Table({ i: vectorFromArray(doubles, new Float64()), x: all.getChild("x")!, s: all.getChild("s")!, b: all.getChild("b")! });
    expect(pyDigest.nodes["tables/appendable"]).toEqual(tableEntry(asDouble, ["i", "x", "s", "b"], [], { note: "appended in 3 calls" }));
  });

  it("every node is there, and nothing else", () => {
    expect(Object.keys(pyDigest.nodes).sort()).toEqual([...Object.keys(expected), "tables/appendable"].sort());
    expect(Object.keys(pyDigest.nodes).filter((k) => k.startsWith("arrays/")).length).toBe(arrayCases().length);
  });
});

describe("tiled's Python client writes, TypeScript reads the same", () => {
  let pyDigest: DigestDocument;
  let tsDigest: DigestDocument;

  beforeAll(async () => {
    const written = roundtripScript("py_write.py", [WRITABLE.url, `roundtrip-${STAMP}/py`]) as { nodes: string[] };
    expect(written.nodes.length).toBeGreaterThan(30);
    pyDigest = roundtripScript("py_read.py", [WRITABLE.url, `roundtrip-${STAMP}/py`]) as DigestDocument;
    tsDigest = await readDigest(await roundtrip.get("py"));
  }, 180_000);

  it("reads every node Python wrote", () => {
    expect(Object.keys(tsDigest.nodes).sort()).toEqual(Object.keys(pyDigest.nodes).sort());
    expect(tsDigest.root).toBe(pyDigest.root);
  });

  it("arrays: every dtype and byte order, 0-d, empty, 1-d, 4-d and blocked, identical", () => {
    const arrays = Object.keys(pyDigest.nodes).filter((k) => k.startsWith("arrays/"));
    expect(arrays.length).toBe(35);
    for (const key of arrays) expect(tsDigest.nodes[key], key).toEqual(pyDigest.nodes[key]);
  });

  it("tables (Parquet with nulls, appendable SQL) and containers, identical", () => {
    for (const key of ["", "arrays", "tables", "tables/nulls", "tables/appendable"]) expect(tsDigest.nodes[key], key).toEqual(pyDigest.nodes[key]);
  });
});
