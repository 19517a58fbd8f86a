// Data written by tiled's Python client into a throwaway tiled server (started here from the
// project's .venv, hence .live: it needs no replica, but a real tiled server) and read back by this
// library: arrays of every dtype in both byte orders as TypedArrays, slices, split reads and blocks
// (client/array.ts, dtype.ts), a table as Arrow (client/table.ts), and a run in the older layout
// with its streams under a `streams` child (client/run.ts).
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import { columnNumbers } from "../columns";
import type { Container } from "../client/container";
import { slice } from "../slice";
import { PROJECT_ROOT } from "./replicas";
import { runPython, startThrowawayServer } from "./throwaway-server";
import type { ThrowawayServer } from "./throwaway-server";

let server: ThrowawayServer;
let dtypes: Container;

beforeAll(async () => {
  server = await startThrowawayServer();
  runPython(path.join(PROJECT_ROOT, "lib", "test", "fixtures", "write_dtype_arrays.py"), [server.url, server.apiKey]);
  dtypes = await (await fromUri(server.url)).get("dtypes", { kind: "container" });
});
afterAll(async () => {
  await server?.stop();
});

describe("every dtype decodes to the values numpy wrote", () => {
  it("covers both byte orders of every kind and itemsize", async () => {
    const keys = await dtypes.keys().toArray();
    const arrays = keys.filter((k) => k.startsWith("le_") || k.startsWith("be_"));
    expect(arrays.length).toBe(21);
    for (const key of arrays) {
      const node = await dtypes.get(key, { kind: "array" });
      const { data, shape, dtype } = await node.read();
      expect(shape, key).toEqual([2, 3, 4]);
      const expected = node.metadata.expected as string[];
      const isFloat = dtype.startsWith("float");
      // Python wrote repr() of each value: compare floats as numbers, the rest as text.
      const got = Array.from(data as ArrayLike<number | bigint>, (x) => (isFloat ? Number(x) : dtype === "bool" ? (x ? "True" : "False") : String(x)));
      const want = expected.map((s) => (isFloat ? Number(s) : s));
      expect(got, `${key} (${node.metadata.dtype})`).toEqual(want);
      if (key.startsWith("be_") && node.structure.data_type.itemsize > 1) {
        expect("endianness" in node.structure.data_type && node.structure.data_type.endianness, key).toBe("big");
      }
    }
  });
  it("64-bit integers beyond 2^53 stay exact (BigInt64Array / BigUint64Array)", async () => {
    const i8 = await (await dtypes.get("be_i8", { kind: "array" })).read();
    expect(i8.data).toBeInstanceOf(BigInt64Array);
    expect((i8.data as BigInt64Array)[23]).toBe(-23n * 2n ** 50n - 3n);
    const u8 = await (await dtypes.get("le_u8", { kind: "array" })).read();
    expect(u8.data).toBeInstanceOf(BigUint64Array);
    expect((u8.data as BigUint64Array)[23]).toBe(23n * 2n ** 59n + 1n);
  });
});

describe("slices and large-array splitting", () => {
  it("a slice reads the selected part", async () => {
    const big = await dtypes.get("big", { kind: "array" });
    const { data, shape } = await big.read({ slice: [3, slice(10, 20, 3), -1] });
    expect(shape).toEqual([4]);
    expect(Array.from(data as Float64Array)).toEqual([10, 13, 16, 19].map((j) => 3 * 3000 + j * 60 + 59));
  });
  it("a read over the limit is split into pieces yet returns the same array", async () => {
    const big = await dtypes.get("big", { kind: "array" });
    const whole = await big.read();
    expect(big.fetchCount({ responseBytesizeLimit: 50_000 })).toBeGreaterThan(1);
    const split = await big.read({ responseBytesizeLimit: 50_000 });
    expect(split.shape).toEqual([40, 50, 60]);
    expect(Buffer.compare(Buffer.from((split.data as Float64Array).buffer), Buffer.from((whole.data as Float64Array).buffer))).toBe(0);
    // A row (50*60*8 = 24 kB) bigger than the limit forces splitting the second axis too.
    const tiny = await big.read({ slice: [slice(1, 40, 7)], responseBytesizeLimit: 10_000 });
    const expected = [1, 8, 15, 22, 29, 36].flatMap((i) => Array.from({ length: 3000 }, (_, k) => i * 3000 + k));
    expect(Array.from(tiny.data as Float64Array)).toEqual(expected);
  });
  it("reads a block", async () => {
    const big = await dtypes.get("big", { kind: "array" });
    const block = await big.readBlock(big.chunks.map(() => 0));
    expect(block.shape).toEqual(big.chunks.map((c) => c[0]));
    expect((block.data as Float64Array)[0]).toBe(0);
    await expect(big.readBlock([99, 0, 0])).rejects.toThrow(/out of range/);
  });
});

describe("tables as Arrow", () => {
  it("reads all columns or some", async () => {
    const table = await dtypes.get("table", { kind: "table" });
    const all = await table.read();
    expect(all.numRows).toBe(5);
    expect(Array.from(all.getChild("y")?.toArray() as Float64Array)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    const some = await table.read({ columns: ["label"] });
    expect(some.schema.fields.map((f) => f.name).filter((n) => !n.startsWith("__"))).toEqual(["label"]);
    expect(some.getChild("label")?.toArray()).toEqual(["a", "b", "c", "d", "e"]);
    await expect(table.read({ columns: ["nope"] })).rejects.toThrow(/No column "nope"/);
  });
});

describe("19.3 nulls in a table tiled's Python client wrote", () => {
  it("19.3 every numeric column reads as numbers with NaN at the null row (or the caller's fill); text is refused", async () => {
    const node = await dtypes.get("nulls", { kind: "table" });
    const table = await node.read();
    const expected = node.metadata.expected as Record<string, (number | null)[] | null>;
    expect(Object.keys(expected).length).toBe(10);
    for (const [name, values] of Object.entries(expected)) {
      const type = String(table.getChild(name)?.type);
      if (values === null) {
        await expect(async () => columnNumbers(table, name), `${name} (${type})`).rejects.toThrow(/holds text/);
        continue;
      }
      expect(Array.from(columnNumbers(table, name)), `${name} (${type})`).toEqual(values.map((v) => v ?? Number.NaN));
      expect(Array.from(columnNumbers(table, name, { nulls: -7 })), `${name} (${type})`).toEqual(values.map((v) => v ?? -7));
      await expect(async () => columnNumbers(table, name, { nulls: "error" })).rejects.toThrow(/has 1 null \(row 1\)/);
    }
  });
});

describe("a run in the older layout (streams under a `streams` child)", () => {
  it("is detected; stream names and get('primary') work as in the new layout", async () => {
    const runs = await (await fromUri(server.url)).get("old_layout_runs", { kind: "container" });
    const run = await runs.values({ kind: "run" }).first();
    expect(await run.hasStreamsNamespace()).toBe(true);
    expect(await run.streamNames()).toEqual(["primary"]);
    const primary = await run.stream("primary");
    expect(primary.path).toEqual(["old_layout_runs", run.uid, "streams", "primary"]);
    const { columns, arrays } = await primary.read();
    expect(Array.from(columns.I0.toArray() as Float64Array)).toEqual([0.5, 1.5, 2.5]);
    expect(Object.keys(columns).sort()).toEqual(["I0", "time"]);
    expect(arrays).toEqual({});
    expect((await run.get("streams/primary")).path).toEqual(primary.path);
  });
});
