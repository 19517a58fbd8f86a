/**
 * describe.ts — short readable forms of what `read()` returns, for `console.log` and notebooks.
 *
 * Printed as they are, an Arrow table or vector shows apache-arrow's internals (buffers, offsets,
 * type ids) and a TypedArray of a million pixels prints a hundred of them. These say what a person
 * wants first: the shape, the type, and the first values. `StreamData` and `ArrayData` use them for
 * `toString()` and for Node's `util.inspect` (what `console.log` and tslab print); an Arrow table
 * gets `describeTable(table)`.
 *
 * @example
 * describeTable(table);
 * // Arrow table: 10 rows × 4 columns
 * //   seq_num  Int64    1, 2, 3, …
 * //   time     Float64  1655154368.162, 1655154369.16, …
 * console.log(await primary.read());
 * // StreamData: 10 events; columns time (Float64), I0 (Float64); arrays adsimdet_image (uint8 [10, 1, 1024, 1024])
 */
import type { Table, Vector } from "apache-arrow";

/** How many values the short forms show. */
export const FIRST_VALUES = 3;

/**
 * One value, short: a fraction to 6 significant digits, or 3 decimals past its integer part (an
 * epoch time keeps its milliseconds); text quoted and cut at 24 characters.
 */
export function shortValue(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number") {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    const integerDigits = Math.abs(value) >= 1 ? Math.floor(Math.log10(Math.abs(value))) + 1 : 0;
    return String(Number(value.toPrecision(Math.min(17, Math.max(6, integerDigits + 3)))));
  }
  if (typeof value === "bigint") return String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 24 ? `${value.slice(0, 23)}…` : value);
  if (typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  return Object.prototype.toString.call(value);
}

/** The first values of an array-like, and "…" when there are more. */
export function firstValues(values: { readonly length: number; [index: number]: unknown }, n = FIRST_VALUES): string {
  const shown: string[] = [];
  for (let i = 0; i < Math.min(n, values.length); i++) shown.push(shortValue(values[i]));
  return `${shown.join(", ")}${values.length > n ? ", …" : ""}`;
}

/** The first values of an Arrow vector (get(i): nulls as null, text as text). */
export function firstVectorValues(vector: Vector, n = FIRST_VALUES): string {
  const shown: unknown[] = [];
  for (let i = 0; i < Math.min(n, vector.length); i++) shown.push(vector.get(i));
  return `${shown.map(shortValue).join(", ")}${vector.length > n ? ", …" : ""}`;
}

/** An Arrow table in a few lines: rows × columns, then each column's type and first values. */
export function describeTable(table: Table, options: { values?: number; columns?: number } = {}): string {
  const fields = table.schema.fields;
  const most = options.columns ?? 20;
  const width = Math.max(0, ...fields.slice(0, most).map((f) => f.name.length));
  const typeWidth = Math.max(0, ...fields.slice(0, most).map((f) => String(f.type).length));
  const lines = [`Arrow table: ${table.numRows} row${table.numRows === 1 ? "" : "s"} × ${fields.length} column${fields.length === 1 ? "" : "s"}`];
  for (const field of fields.slice(0, most)) {
    const vector = table.getChild(field.name);
    lines.push(`  ${field.name.padEnd(width)}  ${String(field.type).padEnd(typeWidth)}  ${vector ? firstVectorValues(vector, options.values) : ""}`);
  }
  if (fields.length > most) lines.push(`  … and ${fields.length - most} more columns: ${fields.slice(most).map((f) => f.name).join(", ")}`);
  return lines.join("\n");
}
