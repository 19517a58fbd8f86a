// columns.ts: a column of an Arrow table as numbers, or an error that says why not: 64-bit integers
// (seq_num) become a Float64Array, exact below 2^53; number columns come back as they are; text is
// bad-input; a name the table lacks is not-found, listing the columns it has.
import * as path from "node:path";
import { Bool, tableFromArrays, tableFromIPC, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { streamData } from "../client/stream-data";
import { columnNumbers, vectorNumbers } from "../columns";
import { thrown } from "./caught";
import { PROJECT_ROOT } from "./replicas";
import { runPythonOutput } from "./throwaway-server";

const table = tableFromArrays({
  seq_num: new BigInt64Array([1n, 2n, 2n ** 53n, -5n]),
  I0: new Float64Array([0.5, 1.5, -2.25, 1e300]),
  counts: new Int32Array([3, -4, 5, 6]),
  label: ["a", "b", "c", "d"],
});

describe("columnNumbers", () => {
  it("int64 becomes a Float64Array with the exact values (below 2^53)", () => {
    const seq = columnNumbers(table, "seq_num");
    expect(seq).toBeInstanceOf(Float64Array);
    expect(Array.from(seq)).toEqual([1, 2, 9007199254740992, -5]);
  });

  it("float64 and int32 columns come back as they are: their own TypedArray, not a copy", () => {
    const i0 = columnNumbers(table, "I0");
    expect(i0).toBeInstanceOf(Float64Array);
    expect(Array.from(i0)).toEqual([0.5, 1.5, -2.25, 1e300]);
    expect(i0.buffer).toBe(table.getChild("I0")?.data[0].values.buffer);
    const counts = columnNumbers(table, "counts");
    expect(counts).toBeInstanceOf(Int32Array);
    expect(Array.from(counts)).toEqual([3, -4, 5, 6]);
  });

  it("a text column is bad-input naming it and its type", async () => {
    const err = await thrown(() => columnNumbers(table, "label"));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain('Column "label" holds');
    expect(err.message).toContain("Utf8");
    expect(err.message).toContain("not numbers");
  });

  it("a missing column is not-found listing the columns there are", async () => {
    const err = await thrown(() => columnNumbers(table, "I1"));
    expect(err.code).toBe("not-found");
    expect(err.message).toContain('No column "I1"');
    expect(err.message).toContain("seq_num, I0, counts, label");
  });
});

describe("vectorNumbers", () => {
  it("booleans are 0 and 1", () => {
    const flags = vectorNumbers(vectorFromArray([true, false, true], new Bool()), "flags");
    expect(Array.from(flags)).toEqual([1, 0, 1]);
  });
});

describe("19.3 nulls become NaN (or what the caller chooses), never a plausible number, in every numeric Arrow type", () => {
  // Made by pyarrow, with pyarrow's own reading of each column as float64 (null where null): the oracle.
  const fixture = JSON.parse(runPythonOutput(path.join(PROJECT_ROOT, "lib", "test", "fixtures", "arrow_nulls.py"))) as {
    arrow: string;
    expected: Record<string, (number | string | null)[] | null>;
    types: Record<string, string>;
  };
  const nulls = tableFromIPC(Buffer.from(fixture.arrow, "base64"));
  const expected = (name: string, fill: number) =>
    (fixture.expected[name] ?? []).map((v) => (v === null ? fill : typeof v === "string" ? Number(v.replace("inf", "Infinity").replace("nan", "NaN")) : v));
  const numeric = Object.keys(fixture.expected).filter((name) => fixture.expected[name] !== null);
  const text = Object.keys(fixture.expected).filter((name) => fixture.expected[name] === null);

  it("19.3 the fixture covers ints 8-64 signed and unsigned, floats 16/32/64, bool, timestamps, durations, dates, dictionaries, null and text", () => {
    expect(numeric).toEqual(expect.arrayContaining(["int8", "int64", "uint64", "float16", "float32", "bool", "timestamp_ns", "timestamp_us_utc", "dictionary_int64", "null"]));
    expect(text).toEqual(["utf8", "large_utf8", "dictionary_utf8"]);
    for (const name of numeric.filter((n) => n !== "null")) expect(nulls.getChild(name)?.nullCount, name).toBe(1);
  });

  it.each(numeric)("19.3 %s: the values pyarrow reads, NaN at the null row", (name) => {
    const values = columnNumbers(nulls, name);
    expect(Array.from(values), `${name} (${fixture.types[name]})`).toEqual(expected(name, Number.NaN));
  });

  it("19.3 { nulls: <number> } fills with that number; { nulls: 'error' } refuses, naming the column and the row", async () => {
    for (const name of numeric) {
      expect(Array.from(columnNumbers(nulls, name, { nulls: -1 })), name).toEqual(expected(name, -1));
      const err = await thrown(() => columnNumbers(nulls, name, { nulls: "error" }));
      expect(err.code, name).toBe("bad-input");
      expect(err.message, name).toContain(`Column "${name}" has`);
      expect(err.message, name).toMatch(/rows? (0, )?1\b/);
    }
    // A column without nulls is not refused by "error".
    expect(Array.from(columnNumbers(table, "counts", { nulls: "error" }))).toEqual([3, -4, 5, 6]);
    const bad = await thrown(() => columnNumbers(nulls, "int8", { nulls: "zero" as unknown as number }));
    expect(bad.code).toBe("bad-input");
  });

  it.each(["utf8", "large_utf8", "dictionary_utf8"])("19.3 %s is refused as text, saying how to get the strings", async (name) => {
    const err = await thrown(() => columnNumbers(nulls, name));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain(`Column "${name}" holds text`);
    expect(err.message).toContain("toArray()");
  });

  it("19.3 slices and several chunks keep each null at its row", () => {
    const int32 = nulls.getChild("int32");
    if (!int32) throw new Error("fixture has no int32");
    expect(Array.from(vectorNumbers(int32.slice(1), "int32"))).toEqual([Number.NaN, -3, 2147483647]);
    expect(Array.from(vectorNumbers(int32.concat(int32.slice(1)), "int32"))).toEqual([-2147483648, Number.NaN, -3, 2147483647, Number.NaN, -3, 2147483647]);
  });

  it("19.3 StreamData.numbers takes the same option", async () => {
    const data = streamData(nulls, { uint16: nulls.getChild("uint16") ?? vectorFromArray([]) }, {});
    expect(Array.from(data.numbers("uint16"))).toEqual([0, Number.NaN, 3, 65535]);
    expect(Array.from(data.numbers("int64", { nulls: 0 }))).toEqual(expected("int64", 0));
    expect((await thrown(() => data.numbers("uint16", { nulls: "error" }))).code).toBe("bad-input");
  });
});
