// client/array.ts: how a read bigger than the server's response limit is split into pieces, each a
// contiguous run of the result (planPieces). Reading the pieces into one buffer: transport.test.ts.
import { describe, expect, it } from "vitest";
import { planPieces } from "../client/array";
import { normalizeSlice, slice, sliceToString } from "../slice";

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
