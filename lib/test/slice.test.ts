import { describe, expect, it } from "vitest";
import { TiledError } from "../errors";
import { normalizeSlice, paramsFromSlice, parseSlice, resultShape, slice, sliceToString } from "../slice";
import { planPieces } from "../client/array";

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

describe("planPieces splits large reads into contiguous pieces", () => {
  const total = (pieces: ReturnType<typeof planPieces>) => pieces.reduce((a, p) => a + p.bytes, 0);
  it("one piece when it fits", () => {
    const axes = normalizeSlice(undefined, [10, 4, 6]);
    expect(planPieces(axes, 2, 1000)).toHaveLength(1);
  });
  it("runs of rows along the first axis, offsets contiguous, every piece under the limit", () => {
    const axes = normalizeSlice(undefined, [10, 4, 6]); // 480 bytes at itemsize 2, 48 per row
    const pieces = planPieces(axes, 2, 100);
    expect(pieces.map((p) => sliceToString(p.axes))).toEqual(["0:2,0:4,0:6", "2:4,0:4,0:6", "4:6,0:4,0:6", "6:8,0:4,0:6", "8:10,0:4,0:6"]);
    expect(total(pieces)).toBe(480);
    let offset = 0;
    for (const p of pieces) {
      expect(p.offset).toBe(offset);
      expect(p.bytes).toBeLessThanOrEqual(100);
      offset += p.bytes;
    }
  });
  it("fixes leading indices when one row is too big, respecting steps", () => {
    const axes = normalizeSlice([slice(1, 10, 4), slice(), slice()], [10, 4, 6]); // rows 1, 5, 9
    const pieces = planPieces(axes, 8, 100); // a row is 4*6*8 = 192 bytes > 100
    expect(pieces[0].axes[0]).toMatchObject({ start: 1, count: 1 });
    expect(pieces.every((p) => p.bytes <= 100)).toBe(true);
    expect(total(pieces)).toBe(3 * 192);
    expect(pieces.map((p) => p.offset)).toEqual(pieces.map((_, i) => pieces.slice(0, i).reduce((a, q) => a + q.bytes, 0)));
  });
  it("nothing to read for an empty selection", () => {
    expect(planPieces(normalizeSlice(slice(3, 3), [10]), 1, 1)).toEqual([]);
  });
});
