/**
 * client/pieces.ts — split a selection of an array into requests under the server's answer limit.
 *
 * Each piece is a contiguous run of the C-ordered result, so pieces received one after another
 * (a split read into one buffer, a split export appended to one file) make exactly the whole.
 *
 * @example
 * planPieces(normalizeSlice(undefined, [4000, 1000, 100]), 8, 300_000_000);   // 11 pieces of ≤ 375 rows
 */
import type { Axis } from "../slice.js";

/** One request of a split read: the selection and where its bytes land in the result. */
export interface ReadPiece {
  axes: Axis[];
  /** Byte offset of this piece in the result. */
  offset: number;
  bytes: number;
}

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * Split a selection into pieces of at most `limitBytes`, each a contiguous run of the C-ordered
 * result: split the first axis into runs of rows when a row fits, else fix each index of the first
 * axis and split the next one. Pieces are returned in order; offsets are byte offsets.
 */
export function planPieces(axes: readonly Axis[], itemsize: number, limitBytes: number): ReadPiece[] {
  const pieces: ReadPiece[] = [];
  const total = product(axes.map((a) => a.count)) * itemsize;
  if (total === 0) return pieces;
  let offset = 0;
  const visit = (fixed: Axis[], d: number) => {
    const restAxes = axes.slice(d);
    const bytes = product(restAxes.map((a) => a.count)) * itemsize;
    if (bytes <= limitBytes || d === axes.length) {
      pieces.push({ axes: [...fixed, ...restAxes], offset, bytes });
      offset += bytes;
      return;
    }
    const axis = axes[d];
    const rowBytes = product(axes.slice(d + 1).map((a) => a.count)) * itemsize;
    if (rowBytes <= limitBytes) {
      const rowsPerPiece = Math.max(1, Math.floor(limitBytes / rowBytes));
      for (let k = 0; k < axis.count; k += rowsPerPiece) {
        const n = Math.min(rowsPerPiece, axis.count - k);
        const start = axis.start + k * axis.step;
        const piece: Axis = axis.index
          ? axis
          : { start, stop: start + (n - 1) * axis.step + 1, step: axis.step, count: n, index: false };
        const restBytes = n * rowBytes;
        pieces.push({ axes: [...fixed, piece, ...axes.slice(d + 1)], offset, bytes: restBytes });
        offset += restBytes;
      }
      return;
    }
    // Even one row is too big: fix each index of this axis and split the next axis.
    for (let k = 0; k < axis.count; k++) {
      const i = axis.start + k * axis.step;
      visit([...fixed, { start: i, stop: i + 1, step: 1, count: 1, index: axis.index }], d + 1);
    }
  };
  visit([], 0);
  return pieces;
}

