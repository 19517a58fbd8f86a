// slice.ts: numpy-style selections, written in tiled's wire syntax and checked against the shape
// before anything is sent.
import { describe, expect, it } from "vitest";
import { TiledError } from "../errors";
import { normalizeSlice, paramsFromSlice, parseSlice, resultShape, slice, sliceToString } from "../slice";

describe("paramsFromSlice (tiled's params_from_slice)", () => {
  it("writes the wire syntax", () => {
    expect(paramsFromSlice(undefined)).toEqual({});
    expect(paramsFromSlice(3)).toEqual({ slice: "3" });
    expect(paramsFromSlice([slice(0, 5), slice(null, null, 2)])).toEqual({ slice: "0:5,::2" });
    expect(paramsFromSlice([slice(10), slice()])).toEqual({ slice: "10:,:" });
    expect(paramsFromSlice("0:5, ::2")).toEqual({ slice: "0:5,::2" });
    expect(paramsFromSlice(["...", 0])).toEqual({ slice: "...,0" });
  });
  it("parses numpy text", () => {
    expect(parseSlice("(1:3, 4, 1:5:2, ...)")).toEqual([slice(1, 3), 4, slice(1, 5, 2), "..."]);
    expect(() => parseSlice("a:b")).toThrow(TiledError);
  });
});

describe("normalizeSlice checks against the shape before sending", () => {
  const shape = [10, 4, 6];
  it("resolves negatives, ellipsis and missing axes", () => {
    const axes = normalizeSlice([-1, slice(0, 2)], shape);
    expect(sliceToString(axes)).toBe("9,0:2,0:6");
    expect(resultShape(axes)).toEqual([2, 6]);
    expect(resultShape(normalizeSlice(["...", 0], shape))).toEqual([10, 4]);
    expect(resultShape(normalizeSlice(slice(null, null, 3), shape))).toEqual([4, 4, 6]);
    expect(resultShape(normalizeSlice(slice(5, 2), shape))).toEqual([0, 4, 6]);
  });
  it("refuses an out-of-range index or bound, a bad step, too many indices", () => {
    const cases: [Parameters<typeof normalizeSlice>[0], RegExp][] = [
      [10, /Index 10 is out of range for axis 0 of length 10/],
      [-11, /Index -11 is out of range/],
      [[0, 4], /Index 4 is out of range for axis 1 of length 4/],
      [slice(0, 11), /Slice stop 11 is out of range for axis 0/],
      [slice(-12), /Slice start -12 is out of range/],
      [slice(0, 5, 0), /step 0/],
      [slice(5, 0, -1), /negative steps are not supported/],
      [[0, 0, 0, 0], /has 4 indices but the array has 3 dimensions/],
      [["...", "..."], /at most one "..."/],
      [1.5, /not an integer/],
    ];
    for (const [spec, message] of cases) {
      let error: unknown;
      try {
        normalizeSlice(spec, shape);
      } catch (err) {
        error = err;
      }
      expect(error, String(message)).toBeInstanceOf(TiledError);
      expect((error as TiledError).code).toBe("bad-input");
      expect((error as TiledError).message).toMatch(message);
    }
  });
});
