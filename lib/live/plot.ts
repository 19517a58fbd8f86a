/**
 * live/plot.ts — a plotly line plot in a notebook cell that grows in place as rows arrive.
 *
 * The figure is displayed once with a Jupyter `display_id`; each redraw is sent as
 * `update_display_data` for that id, so the cell keeps one output (no output per row) and an
 * executed (or HTML-exported) notebook shows the final state: nbclient writes each update back
 * into that output.
 *
 * JupyterLab needs more than that. Its OutputArea, given an update, calls `renderModel` on the
 * renderer already drawn, unless the preferred MIME type (or the `isolated` flag) changed, in
 * which case it builds a new renderer (`_setOutput` in @jupyterlab/outputarea). jupyterlab-plotly's
 * `renderModel` returns at once when a graph is drawn, so plain updates would leave the first
 * (empty) figure on screen. Each redraw is therefore two updates for the same id, sent back to
 * back: a placeholder without the plotly type (an empty `text/html` box of the figure's height, so
 * nothing below moves), then the figure, whose MIME type differs from the placeholder's and so
 * gets a fresh plotly renderer. nbclient and other frontends just apply both; the figure comes
 * last, so a saved notebook holds only the figure (no plotly.js: the renderer supplies it). The
 * cost: the browser may paint a frame between the two messages (they arrive a few ms apart), a
 * one-frame blink on about a third of the redraws (scripts/check_jupyterlab.mjs counts them:
 * the plot was missing from 2-3 % of the frames of notebook 05's run).
 *
 * tslab's public `display` has no update, so this sends through the kernel's display writer
 * (notebook/display.ts finds it), captured when the plot is shown: later cells replace that global. Redraws are throttled: at most one per `intervalMs`
 * (250 ms: four a second), and less often for large figures (each redraw ships and redraws every
 * point: at least 1 ms per 20 points, at most 5 s apart). Outside a kernel only the text/plain
 * twin is printed, at `show()` and `finish()`.
 *
 * @example
 * import { LivePlot } from "./lib/live/plot.js";
 * const plot = new LivePlot({ title: "uascan 12", x: "a_stage_r", series: ["PD_USAXS"], logY: true }).show();
 * plot.append([8.84], { PD_USAXS: [1.2e5] });                // redrawn at most every intervalMs
 * plot.finish("exit_status success, 150 points");           // the final figure and title
 */
import { randomUUID } from "node:crypto";
import { lineFigure } from "../notebook/plot.js";
import type { PlotlyFigure } from "../notebook/plot.js";

import { kernelWriter } from "../notebook/display.js";
import type { DisplayWriter } from "../notebook/display.js";

const PLOTLY_MIME = "application/vnd.plotly.v1+json";

export interface LivePlotOptions {
  title: string;
  /** The x column's name (axis label). */
  x: string;
  /** The y columns, one trace each. */
  series: string[];
  /** Units of the columns, by name (the descriptor's data_keys `units`), shown in the axis titles. */
  units?: Record<string, string | undefined>;
  yLabel?: string;
  logY?: boolean;
  markers?: boolean;
  /** Least time between two redraws (default 250 ms, raised for large figures: see `intervalMs`);
   *  `flush()` and `finish()` redraw at once. */
  intervalMs?: number;
  /** For tests: where display messages go (default: the tslab kernel, if any). */
  writer?: DisplayWriter | null;
}

export class LivePlot {
  readonly displayId = `live-${randomUUID()}`;
  #options: LivePlotOptions;
  readonly #x: number[] = [];
  readonly #y: Map<string, number[]>;
  #writer: DisplayWriter | null = null;
  #shown = false;
  #dirty = false;
  #lastDraw = 0;
  #timer: NodeJS.Timeout | undefined;
  #status = "waiting for data";
  /** How many redraws were sent after the first display (each is two update_display_data
   *  messages: placeholder, figure); tests and the notebook's summary read it. */
  updates = 0;

  constructor(options: LivePlotOptions) {
    this.#options = { ...options };
    this.#y = new Map(options.series.map((s) => [s, []]));
  }

  /** The least time between two redraws now: `intervalMs`, longer for large figures (each
   *  redraw sends every point and the browser redraws them all): 1 ms per 20 points, at most 5 s. */
  get intervalMs(): number {
    return Math.max(this.#options.intervalMs ?? 250, Math.min(5000, this.points / 20));
  }

  /** Set the columns' units (from a descriptor that arrived after the plot was shown); the next redraw shows them. */
  setUnits(units: Record<string, string | undefined>): void {
    this.#options.units = { ...this.#options.units, ...units };
    this.#dirty = true;
  }

  /** Points plotted so far. */
  get points(): number {
    return this.#x.length;
  }

  /** The figure as it stands (also what the HTML export draws). */
  figure(): PlotlyFigure {
    const o = this.#options;
    const fig = lineFigure({
      title: `${o.title} — ${this.points} points, ${this.#status}`,
      x: { label: o.x, values: this.#x, units: o.units?.[o.x] },
      series: o.series.map((name) => ({ name, values: this.#y.get(name) ?? [], units: o.units?.[name] })),
      yLabel: o.yLabel,
      logY: o.logY,
      markers: o.markers,
    });
    return fig;
  }

  #text(): string {
    return `[live plot] ${this.#options.title}: ${this.#options.series.join(", ")} vs ${this.#options.x} (${this.points} points, ${this.#status})`;
  }

  #send(update: boolean): void {
    this.#dirty = false;
    this.#lastDraw = Date.now();
    if (this.#writer === null) return;
    const figure = this.figure();
    const text = this.#text();
    const transient = { display_id: this.displayId };
    if (update) {
      // The placeholder makes JupyterLab build a new plotly renderer for the figure that follows
      // (see the header); same height, so the page does not jump if a frame is painted between.
      const height = Number(figure.layout.height ?? 380);
      this.#writer({ data: { "text/html": `<div class="live-plot-placeholder" style="height:${height}px"></div>`, "text/plain": text }, metadata: {}, transient }, true);
    }
    this.#writer({ data: { [PLOTLY_MIME]: figure, "text/plain": text }, metadata: {}, transient }, update);
    if (update) this.updates++;
  }

  /** Display the (empty) figure in the current cell. */
  show(): this {
    this.#writer = this.#options.writer === undefined ? kernelWriter() : this.#options.writer;
    this.#shown = true;
    if (this.#writer === null) console.log(this.#text());
    this.#send(false);
    return this;
  }

  /** Add points: `x` values and, for each series, as many y values. */
  append(x: ArrayLike<number>, ys: Record<string, ArrayLike<number>>): void {
    for (let i = 0; i < x.length; i++) this.#x.push(Number(x[i]));
    for (const [name, values] of this.#y) {
      const add = ys[name];
      for (let i = 0; i < x.length; i++) values.push(add === undefined ? Number.NaN : Number(add[i]));
    }
    this.#status = "running";
    this.#dirty = true;
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#shown || this.#timer) return;
    const wait = Math.max(0, this.intervalMs - (Date.now() - this.#lastDraw));
    if (wait === 0) {
      this.#send(true);
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#dirty) this.#send(true);
    }, wait);
  }

  /** Redraw now with what has arrived. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#shown) this.#send(true);
  }

  /** The last redraw, with a final status in the title (e.g. the stop document's exit status). */
  finish(status = "finished"): void {
    this.#status = status;
    this.flush();
    if (this.#writer === null) console.log(this.#text());
  }
}
