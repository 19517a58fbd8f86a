// describe.ts (issue 19, item 15): what printing a read() result shows — StreamData, ArrayData and
// an Arrow table in a few readable lines (shape, type, first values), through toString() and
// through util.inspect (what console.log and tslab print), never apache-arrow's internals.
import { inspect } from "node:util";
import { Utf8, tableFromArrays, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { streamData } from "../client/stream-data";
import { describeTable, shortValue } from "../describe";
import { arrayData } from "../dtype";

const table = tableFromArrays({
  seq_num: new BigInt64Array([1n, 2n, 3n, 4n]),
  time: new Float64Array([1655154368.162343, 1655154369.5, 1655154370.25, 1655154371]),
  I0: new Float64Array([0.1, Number.NaN, 1e-12, -2.5]),
  label: vectorFromArray(["open", null, "a very long label that goes on and on", "closed"], new Utf8()),
});
const frames = arrayData(Uint8Array.from({ length: 2 * 4 * 4 }, (_, i) => i), [2, 4, 4], { kind: "u", itemsize: 1, endianness: "not_applicable" });

describe("19.15 short readable forms", () => {
  it("19.15 an Arrow table: rows × columns, then each column's type and first values", () => {
    expect(describeTable(table)).toBe(
      [
        "Arrow table: 4 rows × 4 columns",
        "  seq_num  Int64    1, 2, 3, …",
        "  time     Float64  1655154368.162, 1655154369.5, 1655154370.25, …",
        '  label    Utf8     "open", null, "a very long label that …", …',
      ].join("\n").replace("  label", "  I0       Float64  0.1, NaN, 1e-12, …\n  label"),
    );
    expect(describeTable(table, { columns: 2 })).toContain("… and 2 more columns: I0, label");
  });

  it("19.15 ArrayData: dtype, shape and first values, for toString and util.inspect alike", () => {
    expect(String(frames)).toBe("ArrayData uint8 [2, 4, 4]: 0, 1, 2, …");
    expect(inspect(frames)).toBe("ArrayData uint8 [2, 4, 4]: 0, 1, 2, …");
    expect(inspect({ frames })).toContain("ArrayData uint8 [2, 4, 4]");
    const big = arrayData(new BigInt64Array([2n ** 60n]), [1], { kind: "i", itemsize: 8, endianness: "little" });
    expect(String(big)).toBe("ArrayData int64 [1]: 1152921504606846976");
  });

  it("19.15 StreamData: events, then one line per column and array; no Arrow internals", () => {
    const columns = { time: table.getChild("time") ?? vectorFromArray([]), label: table.getChild("label") ?? vectorFromArray([]) };
    const data = streamData(table, columns, { frames });
    const text = inspect(data);
    expect(text).toBe(
      [
        "StreamData: 4 events, 2 columns, 1 array",
        "  time    Float64: 1655154368.162, 1655154369.5, 1655154370.25, …",
        '  label   Utf8: "open", null, "a very long label that …", …',
        "  frames  uint8 [2, 4, 4]: 0, 1, 2, …",
      ].join("\n"),
    );
    expect(String(data)).toBe(text);
    expect(text).not.toMatch(/_offsets|valueOffsets|nullBitmap|typeId/);
    // Printing the raw table is what this replaces: Arrow's internals.
    expect(inspect(table, { depth: 4 })).toMatch(/_offsets|valueOffsets|nullBitmap|typeId|stride/);
  });

  it("19.15 shortValue: numbers to 6 significant digits, text quoted and cut, null", () => {
    expect([shortValue(1 / 3), shortValue(1655154368.162343), shortValue(12), shortValue(Number.NaN), shortValue(-Infinity), shortValue(null), shortValue(5n), shortValue("x".repeat(30))]).toEqual([
      "0.333333", "1655154368.162", "12", "NaN", "-Infinity", "null", "5", `"${"x".repeat(23)}…"`,
    ]);
  });
});
