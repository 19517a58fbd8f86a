/**
 * Inline plotly.js plots for the notebooks: line plots of scalar columns and heatmaps of frames.
 *
 * A plot is displayed as the `application/vnd.plotly.v1+json` MIME type plus a one-line
 * text/plain summary. JupyterLab draws that type with the jupyterlab-plotly renderer (shipped by
 * the `plotly` Python package in the project venv), which is marked safe, so plots draw in a
 * reopened, untrusted notebook too. The project's HTML export draws the same JSON with plotly.js
 * inlined once per page. No plotly.js is stored in the notebooks themselves.
 *
 * Numbers travel as plotly's typed-array spec (`{dtype, bdata}`: base64 of the raw bytes), which
 * is 3-4x smaller than JSON numbers and keeps committed notebooks reviewable.
 *
 * @example
 * import { linePlot, heatmap } from "./lib/notebook/plot.js";
 * linePlot({ title: "tune_mr", x: { label: "m_stage_r", values: xs },
 *            series: [{ name: "I0_USAXS", values: ys }] });
 * heatmap({ title: "SAXS frame 0", frame: { data, shape: [195, 487] }, log: true });
 */
import { displayBundle } from "./display.js";

/** A plotly trace or layout: plain JSON, as plotly.js takes it. */
export type PlotlyJson = Record<string, unknown>;
export interface PlotlyFigure {
  data: PlotlyJson[];
  layout: PlotlyJson;
}

/** Anything index-able holding numbers: number[], any TypedArray, BigInt64Array, Arrow vectors' toArray(). */
export type Numbers = ArrayLike<number> | ArrayLike<bigint>;

/** plotly.js's typed-array spec: base64 of little-endian bytes, with the element type. */
export interface TypedArraySpec {
  dtype: "f8" | "f4";
  bdata: string;
  shape?: string;
}

/** Copy into a Float32Array (bigints and integers included), so every column encodes one way. */
export function toFloat32(values: Numbers): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  return out;
}

/** Encode as plotly's `{dtype, bdata}`. Float32 is plenty for display and halves the size. */
export function encodeTyped(values: Numbers, shape?: readonly number[]): TypedArraySpec {
  const f32 = values instanceof Float32Array ? values : toFloat32(values);
  const bytes = Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
  const spec: TypedArraySpec = { dtype: "f4", bdata: bytes.toString("base64") };
  if (shape !== undefined) spec.shape = shape.join(",");
  return spec;
}

/** Display a figure. `summary` is the text/plain twin that consoles, diffs and tests read. */
export function showFigure(figure: PlotlyFigure, summary: string): void {
  displayBundle({ "application/vnd.plotly.v1+json": figure, "text/plain": summary });
}

export interface Series {
  name: string;
  values: Numbers;
  /** The data key's units (`units` in the descriptor's data_keys), shown in the axis title; none: nothing shown. */
  units?: string;
}
export interface LinePlotOptions {
  title: string;
  x: { label: string; values: Numbers; units?: string };
  series: Series[];
  /** The y axis title; default: the series' name (one series) and its units. */
  yLabel?: string;
  logX?: boolean;
  logY?: boolean;
  /** Markers show individual points: useful for step scans with tens of points (ignored above MARKER_LIMIT points). */
  markers?: boolean;
  /** Plot each series on its own y axis, stacked, when their scales differ. */
  stacked?: boolean;
  /** Most points drawn per series; longer series are decimated keeping each bucket's minimum and maximum (peaks survive). Default 4000. */
  maxPoints?: number;
}

/** Above this many points a line is drawn without markers: 10,000 markers read as a block, not a line. */
export const MARKER_LIMIT = 500;

/** Dash patterns for overlaid series, so traces that coincide stay distinguishable. */
const DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];

/** `label (units)`, or the label alone when the data key has no units (nothing is guessed). */
export function axisTitle(label: string, units: string | undefined): string {
  const u = units?.trim();
  return u ? `${label} (${u})` : label;
}

/**
 * At most `maxPoints` points of (x, y), keeping the shape a reader needs: the points are split
 * into buckets of consecutive indices and each bucket keeps its minimum and its maximum (in index
 * order), so a narrow peak of a 100,000-point scan is still drawn at its full height.
 */
export function decimateMinMax(x: Numbers, y: Numbers, maxPoints: number): { x: Float64Array; y: Float64Array } {
  const n = Math.min(x.length, y.length);
  if (n <= maxPoints || maxPoints < 4) {
    return { x: Float64Array.from({ length: n }, (_, i) => Number(x[i])), y: Float64Array.from({ length: n }, (_, i) => Number(y[i])) };
  }
  const buckets = Math.floor(maxPoints / 2);
  const outX: number[] = [];
  const outY: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = start;
    let hi = start;
    for (let i = start; i < end; i++) {
      const v = Number(y[i]);
      if (v < Number(y[lo]) || Number.isNaN(Number(y[lo]))) lo = i;
      if (v > Number(y[hi]) || Number.isNaN(Number(y[hi]))) hi = i;
    }
    for (const i of lo <= hi ? (lo === hi ? [lo] : [lo, hi]) : [hi, lo]) {
      outX.push(Number(x[i]));
      outY.push(Number(y[i]));
    }
  }
  return { x: Float64Array.from(outX), y: Float64Array.from(outY) };
}

/** Build (without displaying) a line-plot figure. */
export function lineFigure(options: LinePlotOptions): PlotlyFigure {
  const stacked = options.stacked === true && options.series.length > 1;
  const n = options.series.length;
  const maxPoints = options.maxPoints ?? 4000;
  const data = options.series.map((s, i) => {
    const line = decimateMinMax(options.x.values, s.values, maxPoints);
    const markers = options.markers === true && line.x.length <= MARKER_LIMIT;
    return {
      type: "scatter",
      mode: markers ? "lines+markers" : "lines",
      name: axisTitle(s.name, s.units),
      x: encodeTyped(line.x),
      y: encodeTyped(line.y),
      // Overlaid traces get different dashes (and widths), so identical data still shows both.
      line: stacked || n === 1 ? { width: 1.5 } : { width: 2.5 - Math.min(i, 3) * 0.5, dash: DASHES[i % DASHES.length] },
      ...(stacked ? { yaxis: i === 0 ? "y" : `y${i + 1}` } : {}),
    };
  });
  const sharedUnits = new Set(options.series.map((s) => s.units?.trim() ?? ""));
  const defaultY = n === 1 ? axisTitle(options.series[0].name, options.series[0].units) : sharedUnits.size === 1 ? [...sharedUnits][0] : "";
  const layout: PlotlyJson = {
    title: { text: options.title },
    xaxis: { title: { text: axisTitle(options.x.label, options.x.units) }, type: options.logX === true ? "log" : "linear" },
    yaxis: { title: { text: options.yLabel ?? defaultY }, type: options.logY === true ? "log" : "linear" },
    height: stacked ? 220 + 160 * n : 380,
    margin: { t: 50, r: 20, b: 50, l: 70 },
    showlegend: n > 1,
  };
  if (stacked) {
    // One row per series, sharing the x axis: scalars of different units stay readable.
    layout.grid = { rows: n, columns: 1, pattern: "coupled" };
    options.series.forEach((s, i) => {
      layout[i === 0 ? "yaxis" : `yaxis${i + 1}`] = {
        title: { text: axisTitle(s.name, s.units) },
        type: options.logY === true ? "log" : "linear",
      };
    });
  }
  return { data, layout };
}

/** Display a line plot of one or more series against a shared x. */
export function linePlot(options: LinePlotOptions): void {
  const points = options.x.values.length;
  const names = options.series.map((s) => s.name).join(", ");
  const shown = Math.min(points, options.maxPoints ?? 4000);
  showFigure(lineFigure(options), `[plot] ${options.title}: ${names} vs ${axisTitle(options.x.label, options.x.units)} (${points} points${shown < points ? `, drawn as ${shown} keeping each stretch's minimum and maximum` : ""})`);
}

export interface Frame {
  data: Numbers;
  /** [rows, columns]: a 2-D frame in C order. */
  shape: readonly number[];
}
export interface HeatmapOptions {
  title: string;
  frame: Frame;
  /** Longest side shown; larger frames are averaged over square bins so the notebook stays small. */
  maxSide?: number;
  /** Show log10(1 + value): scattering images span decades. */
  log?: boolean;
  colorscale?: string;
}

/** Average a 2-D frame over `factor`×`factor` bins (edges averaged over what is there). */
export function binFrame(frame: Frame, factor: number): { data: Float32Array; shape: [number, number] } {
  const [rows, cols] = frame.shape;
  const outRows = Math.ceil(rows / factor);
  const outCols = Math.ceil(cols / factor);
  const sums = new Float64Array(outRows * outCols);
  const counts = new Uint32Array(outRows * outCols);
  for (let r = 0; r < rows; r++) {
    const orow = Math.floor(r / factor) * outCols;
    for (let c = 0; c < cols; c++) {
      const o = orow + Math.floor(c / factor);
      sums[o] += Number(frame.data[r * cols + c]);
      counts[o] += 1;
    }
  }
  const data = new Float32Array(sums.length);
  for (let i = 0; i < data.length; i++) data[i] = sums[i] / counts[i];
  return { data, shape: [outRows, outCols] };
}

/** Build (without displaying) a heatmap figure of a 2-D frame. */
export function heatmapFigure(options: HeatmapOptions): { figure: PlotlyFigure; factor: number } {
  if (options.frame.shape.length !== 2) {
    throw new Error(`heatmap needs a 2-D frame, got shape [${options.frame.shape.join(", ")}]; select one frame first, e.g. read({ slice: [0] })`);
  }
  const [rows, cols] = options.frame.shape;
  const maxSide = options.maxSide ?? 256;
  const factor = Math.max(1, Math.ceil(Math.max(rows, cols) / maxSide));
  const binned = binFrame(options.frame, factor);
  if (options.log === true) {
    for (let i = 0; i < binned.data.length; i++) binned.data[i] = Math.log10(1 + Math.max(0, binned.data[i]));
  }
  const z = encodeTyped(binned.data, binned.shape);
  const figure: PlotlyFigure = {
    data: [{
      type: "heatmap",
      z,
      // Pixel coordinates of the original frame, so axes read in detector pixels despite binning.
      x0: (factor - 1) / 2, dx: factor, y0: (factor - 1) / 2, dy: factor,
      colorscale: options.colorscale ?? "Viridis",
      colorbar: { title: { text: options.log === true ? "log10(1+counts)" : "counts" } },
    }],
    layout: {
      title: { text: options.title },
      xaxis: { title: { text: "column (pixel)" }, constrain: "domain" },
      yaxis: { title: { text: "row (pixel)" }, scaleanchor: "x", autorange: "reversed" },
      height: Math.min(620, Math.max(320, Math.round(120 + 600 * (rows / Math.max(rows, cols))))),
      margin: { t: 50, r: 20, b: 50, l: 70 },
    },
  };
  return { figure, factor };
}

/** Display a heatmap of a 2-D frame (area-detector image). */
export function heatmap(options: HeatmapOptions): void {
  const { figure, factor } = heatmapFigure(options);
  const [rows, cols] = options.frame.shape;
  const note = factor > 1 ? `, shown in ${factor}x${factor} bins` : "";
  showFigure(figure, `[plot] ${options.title}: ${rows}x${cols} frame${note}${options.log === true ? ", log scale" : ""}`);
}
