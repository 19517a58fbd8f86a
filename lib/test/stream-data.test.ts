// client/stream-data.ts: what a stream's read() returns, and `numbers(name)`: a column (seq_num and
// ts_* included, which `columns` leaves out) or an external array, as numbers; an unknown name is
// not-found listing the names there are. Directly, and through BlueskyEventStream.read() on a local
// server serving a TiledWriter-layout stream (tiled-json.ts).
import { tableFromArrays, tableToIPC } from "apache-arrow";
import type { Table, Vector } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import { streamData } from "../client/stream-data";
import { arrayData } from "../dtype";
import { thrown } from "./caught";
import { localServers, sendBytes } from "./local-server";
import { nodeJson, treeHandler } from "./tiled-json";

const serve = localServers();

const INT64 = { kind: "i", itemsize: 8, endianness: "little" } as const;
const UINT16 = { kind: "u", itemsize: 2, endianness: "little" } as const;

function child(table: Table, name: string): Vector {
  const vector = table.getChild(name);
  if (vector === null) throw new Error(`no column ${name}`);
  return vector;
}

function sample() {
  const table = tableFromArrays({
    seq_num: new BigInt64Array([1n, 2n]),
    time: new Float64Array([1662663265.5, 1662663266.5]),
    I0: new Float64Array([0.25, 0.75]),
    ts_I0: new Float64Array([1662663265.25, 1662663266.25]),
    label: ["a", "b"],
  });
  const columns = { time: child(table, "time"), I0: child(table, "I0"), label: child(table, "label") };
  const frames = arrayData(new Uint16Array([1, 2, 3, 4, 5, 6, 7, 8]), [2, 2, 2], UINT16);
  const counter = arrayData(new BigInt64Array([2n ** 53n, -1n]), [2], INT64);
  return { table, columns, arrays: { frames, counter } };
}

describe("StreamData.numbers", () => {
  it("a data column, seq_num and ts_* (table-only columns) as numbers; int64 exact", () => {
    const { table, columns, arrays } = sample();
    const data = streamData(table, columns, arrays);
    expect(Object.keys(data.columns)).toEqual(["time", "I0", "label"]);
    expect(Array.from(data.numbers("I0"))).toEqual([0.25, 0.75]);
    const seq = data.numbers("seq_num");
    expect(seq).toBeInstanceOf(Float64Array);
    expect(Array.from(seq)).toEqual([1, 2]);
    expect(Array.from(data.numbers("ts_I0"))).toEqual([1662663265.25, 1662663266.25]);
  });

  it("an array by its data key: its own TypedArray when it holds numbers, a Float64Array for int64", () => {
    const { table, columns, arrays } = sample();
    const data = streamData(table, { I0: columns.I0 }, arrays);
    expect(data.numbers("frames")).toBe(arrays.frames.data);
    const counter = data.numbers("counter");
    expect(counter).toBeInstanceOf(Float64Array);
    expect(Array.from(counter)).toEqual([9007199254740992, -1]);
  });

  it("an unknown name is not-found listing the columns and arrays there are; text is bad-input", async () => {
    const { table, columns, arrays } = sample();
    const data = streamData(table, { I0: columns.I0, label: columns.label }, arrays);
    const err = await thrown(() => data.numbers("I1"));
    expect(err.code).toBe("not-found");
    expect(err.message).toContain('No column or array "I1"');
    expect(err.message).toContain("seq_num, time, I0, ts_I0, label, frames, counter");
    expect((await thrown(() => data.numbers("label"))).code).toBe("bad-input");
  });

  it("a stream without a table still answers for its arrays, and lists them when the name is unknown", async () => {
    const { arrays } = sample();
    const data = streamData(null, {}, arrays);
    expect(data.table).toBeNull();
    expect(data.numbers("frames")).toBe(arrays.frames.data);
    const err = await thrown(() => data.numbers("seq_num"));
    expect(err.code).toBe("not-found");
    expect(err.message).toContain("it has frames, counter");
  });
});

describe("BlueskyEventStream.read() then numbers()", () => {
  it("on a TiledWriter stream: the internal table's columns, seq_num included, and a detector's frames", async () => {
    const internal = tableFromArrays({ seq_num: new BigInt64Array([1n, 2n, 3n]), time: new Float64Array([10, 11, 12]), I0: new Float64Array([0.5, 1.5, 2.5]) });
    const frames = new Uint16Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const stream = ["cat", "run", "primary"];
    const server = await serve(
      treeHandler(
        [
          nodeJson([], "container"),
          nodeJson(stream, "container", {
            specs: [{ name: "BlueskyEventStream", version: "3.0" }],
            metadata: { data_keys: { I0: { dtype: "number", shape: [], source: "PV:I0" }, img: { dtype: "array", shape: [2, 2], source: "PV:img", external: "STREAM:" } } },
          }),
          nodeJson([...stream, "internal"], "table", {
            structure: { arrow_schema: "data:application/vnd.apache.arrow.file;base64,", npartitions: 1, columns: ["seq_num", "time", "I0"], resizable: false },
          }),
          nodeJson([...stream, "img"], "array", {
            structure: { data_type: UINT16, chunks: [[3], [2], [2]], shape: [3, 2, 2], dims: null, resizable: false },
          }),
        ],
        (_req, res, path) => {
          if (path === "/api/v1/table/full/cat/run/primary/internal") sendBytes(res, tableToIPC(internal, "file"), "application/vnd.apache.arrow.file");
          else if (path === "/api/v1/array/full/cat/run/primary/img") sendBytes(res, new Uint8Array(frames.buffer));
          else return false;
          return true;
        },
      ),
    );
    const primary = await (await fromUri(server.url)).get(stream, { kind: "stream" });
    const data = await primary.read();
    expect(Object.keys(data.columns).sort()).toEqual(["I0", "time"]);
    expect(Array.from(data.numbers("seq_num"))).toEqual([1, 2, 3]);
    expect(Array.from(data.numbers("I0"))).toEqual([0.5, 1.5, 2.5]);
    expect(Array.from(data.numbers("img"))).toEqual(Array.from(frames));
    expect(data.arrays.img.shape).toEqual([3, 2, 2]);
    expect((await thrown(() => data.numbers("I1"))).message).toContain("seq_num, time, I0, img");
  });
});
