/**
 * HTML tables for notebook outputs: rows of records shown as a table instead of a dict dump.
 *
 * Every cell is HTML-escaped (metadata is user-supplied text). Nested objects and arrays are shown
 * as compact JSON so nothing is silently dropped. A text/plain twin (aligned columns) goes along,
 * so the output still reads in a console, a diff or a text export.
 *
 * @example
 * import { showTable } from "./lib/notebook/html-table.js";
 * showTable([{ scan_id: 1960, plan_name: "push_images" }], { caption: "Last run" });
 * showTable(rows, { columns: ["scan_id", "plan_name"], caption: "Runs" });
 */
import { displayHtml } from "./display.js";

export type Row = Record<string, unknown>;
export interface TableOptions {
  /** Which keys to show, in order; by default the union of the rows' keys in first-seen order. */
  columns?: readonly string[];
  caption?: string;
  /** Rows beyond this are summarised in a final "… N more rows" line, never dropped silently. */
  maxRows?: number;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** How a value reads in a cell: strings as they are, numbers plainly, the rest as compact JSON. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

function columnsOf(rows: readonly Row[], options: TableOptions): string[] {
  if (options.columns !== undefined) return [...options.columns];
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/** Render rows as an HTML table string. */
export function htmlTable(rows: readonly Row[], options: TableOptions = {}): string {
  const columns = columnsOf(rows, options);
  const limit = options.maxRows ?? rows.length;
  const shown = rows.slice(0, limit);
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = shown
    .map((row) => `<tr>${columns.map((c) => `<td>${escapeHtml(cellText(row[c]))}</td>`).join("")}</tr>`)
    .join("\n");
  const more = rows.length > shown.length
    ? `\n<tr><td colspan="${columns.length}"><i>… ${rows.length - shown.length} more rows</i></td></tr>`
    : "";
  const caption = options.caption === undefined ? "" : `<caption>${escapeHtml(options.caption)}</caption>`;
  return `<table class="tiled-table">${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}${more}\n</tbody></table>`;
}

/** Render rows as aligned plain text (the text/plain twin of htmlTable). */
export function textTable(rows: readonly Row[], options: TableOptions = {}): string {
  const columns = columnsOf(rows, options);
  const limit = options.maxRows ?? rows.length;
  const cells = rows.slice(0, limit).map((row) => columns.map((c) => cellText(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]): string => values.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  const lines = [line(columns), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)];
  if (rows.length > limit) lines.push(`… ${rows.length - limit} more rows`);
  if (options.caption !== undefined) lines.unshift(options.caption);
  return lines.join("\n");
}

/** Display rows as an HTML table (with a text twin). */
export function showTable(rows: readonly Row[], options: TableOptions = {}): void {
  displayHtml(htmlTable(rows, options), textTable(rows, options));
}

/** Display one record as a two-column key/value table, like the demo's tables of keys. */
export function showRecord(record: Row, options: { caption?: string; keyHeader?: string; valueHeader?: string } = {}): void {
  const keyHeader = options.keyHeader ?? "key";
  const valueHeader = options.valueHeader ?? "value";
  const rows = Object.entries(record).map(([k, v]) => ({ [keyHeader]: k, [valueHeader]: v }));
  showTable(rows, { columns: [keyHeader, valueHeader], caption: options.caption });
}
