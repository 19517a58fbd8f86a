/**
 * notebook/index.ts — the notebook display helpers (`tiled-client/notebook`): HTML tables, plotly
 * plots with units, and the one hook that sends rich output to the tslab kernel. Outside a kernel
 * each prints its plain-text twin, so nothing is silently lost.
 *
 * @example
 * import { showTable, linePlot } from "tiled-client/notebook";
 * showTable([{ scan_id: 1, plan_name: "scan" }], { caption: "runs" });
 */
export { showTable, showRecord } from "./html-table.js";
export type { TableOptions, Row } from "./html-table.js";
export { linePlot, heatmap, showFigure, encodeTyped } from "./plot.js";
export type { PlotlyFigure, Series, LinePlotOptions, HeatmapOptions } from "./plot.js";
export { displayBundle, displayHtml, displayUpdatable, inKernel } from "./display.js";
export type { MimeBundle, UpdatableDisplay } from "./display.js";
export { LivePlot } from "../live/plot.js";
export type { LivePlotOptions } from "../live/plot.js";
