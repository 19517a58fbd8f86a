// notebook/plot.ts: the plotly figures the notebooks draw (typed-array encoding, binned frames,
// stacked axes). No kernel needed.
import { describe, expect, it } from "vitest";
import { binFrame, encodeTyped, heatmapFigure, lineFigure } from "../notebook/plot";

function decodeF32(spec: { dtype: string; bdata: string }): number[] {
  expect(spec.dtype).toBe("f4");
  const bytes = Buffer.from(spec.bdata, "base64");
  return [...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)];
}

describe("plot", () => {
  it("encodes numbers, bigints included, as plotly's little-endian float32 typed-array spec", () => {
    expect(decodeF32(encodeTyped([1, 2.5, -3]))).toEqual([1, 2.5, -3]);
    expect(decodeF32(encodeTyped(new BigInt64Array([5n, 7n])))).toEqual([5, 7]);
    expect(encodeTyped([1, 2, 3, 4], [2, 2]).shape).toBe("2,2");
  });
  it("bins a frame by averaging square blocks, edges over what is there", () => {
    // 3x3 frame, factor 2 -> 2x2: [[mean(1,2,4,5), mean(3,6)], [mean(7,8), 9]]
    const binned = binFrame({ data: [1, 2, 3, 4, 5, 6, 7, 8, 9], shape: [3, 3] }, 2);
    expect(binned.shape).toEqual([2, 2]);
    expect([...binned.data]).toEqual([3, 4.5, 7.5, 9]);
  });
  it("keeps a heatmap's longest side within maxSide and its axes in detector pixels", () => {
    const data = new Uint16Array(1024 * 512).fill(9);
    const { figure, factor } = heatmapFigure({ title: "t", frame: { data, shape: [1024, 512] }, maxSide: 256 });
    expect(factor).toBe(4);
    const trace = figure.data[0] as { z: { shape: string }; dx: number };
    expect(trace.z.shape).toBe("256,128");
    expect(trace.dx).toBe(4);
  });
  it("refuses a frame that is not 2-D, saying how to pick one", () => {
    expect(() => heatmapFigure({ title: "t", frame: { data: new Uint8Array(8), shape: [2, 2, 2] } })).toThrow(/select one frame first/);
  });
  it("stacks series of different units on their own y axes", () => {
    const fig = lineFigure({ title: "t", x: { label: "x", values: [0, 1] }, series: [{ name: "a", values: [1, 2] }, { name: "b", values: [3, 4] }], stacked: true });
    expect((fig.data[1] as { yaxis: string }).yaxis).toBe("y2");
    expect(fig.layout.yaxis2).toBeDefined();
  });
});
