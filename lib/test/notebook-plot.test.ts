// notebook/plot.ts: the plotly figures the notebooks draw (typed-array encoding, binned frames,
// stacked axes). No kernel needed.
import { describe, expect, it } from "vitest";
import { binFrame, encodeTyped, heatmapFigure, lineFigure, axisTitle, decimateMinMax } from "../notebook/plot";

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

describe("plots a scientist trusts (issue 22)", () => {
  it("axis titles carry the data key's units, and say nothing when it has none", () => {
    const fig = lineFigure({
      title: "tune",
      x: { label: "a_stage_r", values: [1, 2, 3], units: "deg" },
      series: [{ name: "PD_USAXS", values: [4, 5, 6], units: "" }],
    });
    expect((fig.layout.xaxis as { title: { text: string } }).title.text).toBe("a_stage_r (deg)");
    expect((fig.layout.yaxis as { title: { text: string } }).title.text).toBe("PD_USAXS");
    expect(axisTitle("I0", "  ")).toBe("I0");
    expect(axisTitle("I0", undefined)).toBe("I0");
  });

  it("10,000 points are drawn as a line of at most maxPoints, keeping every peak; markers only on short scans", () => {
    const n = 10_000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => (i === 7_777 ? 1000 : i === 2_222 ? -1000 : Math.sin(i / 100)));
    const line = decimateMinMax(x, y, 4000);
    expect(line.x.length).toBeLessThanOrEqual(4000);
    expect(Math.max(...line.y)).toBe(1000);
    expect(Math.min(...line.y)).toBe(-1000);
    expect([...line.x].every((v, i) => i === 0 || v > line.x[i - 1])).toBe(true); // still in x order
    const fig = lineFigure({ title: "t", x: { label: "i", values: x }, series: [{ name: "y", values: y }], markers: true });
    expect((fig.data[0] as { mode: string }).mode).toBe("lines");
    const short = lineFigure({ title: "t", x: { label: "i", values: [1, 2] }, series: [{ name: "y", values: [1, 2] }], markers: true });
    expect((short.data[0] as { mode: string }).mode).toBe("lines+markers");
  });

  it("overlaid series that coincide stay distinguishable: each has its own dash and width", () => {
    const same = [1, 2, 3];
    const fig = lineFigure({ title: "t", x: { label: "i", values: same }, series: [{ name: "SQL", values: same }, { name: "Mongo", values: same }] });
    const lines = fig.data.map((d) => (d as { line: { dash: string; width: number } }).line);
    expect(lines[0].dash).not.toBe(lines[1].dash);
    expect(lines[0].width).toBeGreaterThan(lines[1].width);
  });
});
