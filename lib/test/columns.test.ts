// columns.ts: a column of an Arrow table as numbers, or an error that says why not: 64-bit integers
// (seq_num) become a Float64Array, exact below 2^53; number columns come back as they are; text is
// bad-input; a name the table lacks is not-found, listing the columns it has.
import { Bool, tableFromArrays, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { columnNumbers, vectorNumbers } from "../columns";
import { thrown } from "./caught";

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
