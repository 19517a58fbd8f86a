/**
 * columns.ts — a column of an Arrow table as numbers, or a clear error.
 *
 * `table.getChild(name)` returns null for a name the table lacks, and `toArray()` gives a
 * BigInt64Array for int64 columns (seq_num): both push a notebook toward `!` and casts. Here a
 * missing column is "not-found" naming the columns there are, text is "bad-input", and 64-bit
 * integers become a Float64Array (exact below 2^53).
 *
 * @example
 * const seq = columnNumbers(table, "seq_num");         // Float64Array [1, 2, 3, …]
 * const pva = columnNumbers(table, "adpvadet_pva1_execution_time");   // Float64Array
 */
import type { Table, Vector } from "apache-arrow";
import { toNumbers } from "./dtype.js";
import type { NumberArray } from "./dtype.js";
import { TiledError, badInput } from "./errors.js";

/** An Arrow vector's values as numbers (booleans as 0/1); text or nested values are bad-input. */
export function vectorNumbers(vector: Vector, name: string): NumberArray {
  const values: unknown = vector.toArray();
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) {
    if (values instanceof BigInt64Array || values instanceof BigUint64Array) return toNumbers(values);
    if (values instanceof Float64Array || values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint32Array) return values;
    if (values instanceof Int16Array || values instanceof Uint16Array || values instanceof Int8Array || values instanceof Uint8Array) return values;
  }
  if (Array.isArray(values) && values.every((v) => typeof v === "number" || typeof v === "boolean" || typeof v === "bigint")) {
    return Float64Array.from(values, (v) => Number(v));
  }
  throw badInput(`Column ${JSON.stringify(name)} holds ${String(vector.type)} values, not numbers.`);
}

/** A table's column as numbers; a name the table lacks is "not-found", naming the columns it has. */
export function columnNumbers(table: Table, name: string): NumberArray {
  const vector = table.getChild(name);
  if (vector === null) {
    const names = table.schema.fields.map((f) => f.name);
    throw new TiledError("not-found", `No column ${JSON.stringify(name)}; the table has ${names.join(", ")}.`);
  }
  return vectorNumbers(vector, name);
}
