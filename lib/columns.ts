/**
 * columns.ts — a column of an Arrow table as numbers, or a clear error.
 *
 * `table.getChild(name)` returns null for a name the table lacks, and `toArray()` is no help for
 * numbers: it gives a BigInt64Array for int64 columns (seq_num), the raw bits of float16 columns
 * (a Uint16Array: 1.5 reads as 15872), an array holding `null` for booleans, and, for every type,
 * whatever the buffer holds at a null slot (0 for pyarrow's integers): a plausible number where
 * there is no value. Here:
 *
 * - a missing column is "not-found" naming the columns there are;
 * - nulls become NaN by default; `{ nulls: "error" }` refuses a column that holds any, and
 *   `{ nulls: -1 }` (any number) fills them with that number;
 * - integers (8 to 64 bits, signed or not), floats (16, 32, 64), booleans (0/1), timestamps and
 *   durations (the count in the column's own unit, as numpy's `astype(float64)` of a datetime64),
 *   dates (days for date32, milliseconds for date64) and dictionary-encoded numbers are numbers;
 *   64-bit values are exact below 2^53;
 * - text (utf8, large utf8, a dictionary of strings) and nested types are "bad-input" saying how
 *   to read them instead.
 *
 * A column without nulls whose values already are a number TypedArray (float32/64, int8 to int32,
 * uint8 to uint32) is returned as is, not copied; anything else is a new Float64Array (or
 * Float32Array for float16, Uint8Array for booleans).
 *
 * @example
 * const seq = columnNumbers(table, "seq_num");         // Float64Array [1, 2, 3, …]
 * columnNumbers(table, "counts");                      // Float64Array [3, NaN, 5]: row 1 is null
 * columnNumbers(table, "counts", { nulls: 0 });        // Float64Array [3, 0, 5]: your choice
 * columnNumbers(table, "counts", { nulls: "error" });  // bad-input: 1 null (row 1)
 */
import { DataType, DateUnit, Precision } from "apache-arrow";
import type { Data, Table, Vector } from "apache-arrow";
import { halfToFloat, toNumbers } from "./dtype.js";
import type { NumberArray } from "./dtype.js";
import { TiledError, badInput } from "./errors.js";

/** What a null becomes: NaN (the default), an error, or a number of the caller's choosing. */
export type NullPolicy = "nan" | "error" | number;

export interface NumbersOptions {
  /** What a null becomes (default "nan"). */
  nulls?: NullPolicy;
}

function checkPolicy(nulls: unknown): NullPolicy {
  if (nulls === undefined) return "nan";
  if (nulls === "nan" || nulls === "error" || typeof nulls === "number") return nulls;
  throw badInput(`nulls must be "nan", "error" or a number, not ${JSON.stringify(nulls)}.`);
}

/** The rows (indices into the whole vector) whose value is null. */
function nullRows(vector: Vector): number[] {
  const rows: number[] = [];
  let base = 0;
  for (const chunk of vector.data as readonly Data[]) {
    if (chunk.nullCount > 0) {
      const bitmap = chunk.nullBitmap;
      for (let i = 0; i < chunk.length; i++) {
        // No bitmap with nulls present: a Null-typed chunk, every row null.
        const bit = chunk.offset + i;
        if (!bitmap || bitmap.length === 0 || ((bitmap[bit >> 3] >> (bit & 7)) & 1) === 0) rows.push(base + i);
      }
    }
    base += chunk.length;
  }
  return rows;
}

/** Every element of an array-like (toArray's plain arrays hold null at null rows) as a number, NaN for anything else. */
function floats(values: ArrayLike<unknown>, scale = 1): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === "number" ? v / scale : typeof v === "bigint" ? Number(v) / scale : typeof v === "boolean" ? Number(v) : Number.NaN;
  }
  return out;
}

/** The values with no regard to nulls (what sits at a null row is overwritten by the caller). */
function rawNumbers(vector: Vector, name: string): NumberArray {
  const type: DataType = vector.type;
  if (DataType.isInt(type) || DataType.isTimestamp(type)) {
    const values: unknown = vector.toArray();
    if (values instanceof BigInt64Array || values instanceof BigUint64Array) return toNumbers(values);
    if (values instanceof Int8Array || values instanceof Int16Array || values instanceof Int32Array) return values;
    if (values instanceof Uint8Array || values instanceof Uint16Array || values instanceof Uint32Array) return values;
    return floats(values as ArrayLike<unknown>);
  }
  if (DataType.isFloat(type)) {
    const values: unknown = vector.toArray();
    // apache-arrow hands out float16 as its raw bits.
    if (type.precision === Precision.HALF && values instanceof Uint16Array) return Float32Array.from(values, halfToFloat);
    if (values instanceof Float32Array || values instanceof Float64Array) return values;
    return floats(values as ArrayLike<unknown>);
  }
  if (DataType.isBool(type)) {
    const values = vector.toArray() as ArrayLike<unknown>;
    return Uint8Array.from({ length: values.length }, (_, i) => (values[i] === true ? 1 : 0));
  }
  if (DataType.isDuration(type)) return floats(vector.toArray() as ArrayLike<unknown>);
  // apache-arrow gives dates in milliseconds; date32's own unit is the day.
  if (DataType.isDate(type)) return floats(vector.toArray() as ArrayLike<unknown>, type.unit === DateUnit.DAY ? 86_400_000 : 1);
  if (DataType.isNull(type)) return new Float64Array(vector.length).fill(Number.NaN);
  if (DataType.isDictionary(type)) {
    const values: DataType = type.dictionary;
    if (DataType.isInt(values) || DataType.isFloat(values) || DataType.isBool(values) || DataType.isTimestamp(values) || DataType.isDuration(values)) {
      // Each row's index looked up in its chunk's dictionary, decoded as numbers once per chunk.
      const out = new Float64Array(vector.length);
      let at = 0;
      for (const chunk of vector.data as readonly Data[]) {
        const indices = chunk.values as ArrayLike<number | bigint>;
        const lookup = chunk.dictionary ? dictionaryNumbers(chunk.dictionary, name) : new Float64Array(0);
        for (let i = 0; i < chunk.length; i++) out[at++] = lookup[Number(indices[i])] ?? Number.NaN;
      }
      return out;
    }
  }
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || (DataType.isDictionary(type) && (DataType.isUtf8(type.dictionary) || DataType.isLargeUtf8(type.dictionary)))) {
    throw badInput(
      `Column ${JSON.stringify(name)} holds text (${String(type)}), not numbers: its strings are ` +
        `table.getChild(${JSON.stringify(name)}).toArray() (null where a row has none).`,
    );
  }
  throw badInput(`Column ${JSON.stringify(name)} holds ${String(type)} values, not numbers: read them with table.getChild(${JSON.stringify(name)}).toArray().`);
}

/** A dictionary's values as numbers (nulls in the dictionary itself become NaN). */
function dictionaryNumbers(vector: Vector, name: string): NumberArray {
  const values = rawNumbers(vector, name);
  const rows = nullRows(vector);
  if (rows.length === 0) return values;
  const out = Float64Array.from(values);
  for (const row of rows) out[row] = Number.NaN;
  return out;
}

function rowList(rows: readonly number[]): string {
  const shown = rows.slice(0, 5).join(", ");
  return rows.length > 5 ? `${shown}, …` : shown;
}

/**
 * An Arrow vector's values as numbers, nulls per `options.nulls` (default NaN). Text, nested and
 * other non-numeric types are bad-input.
 */
export function vectorNumbers(vector: Vector, name: string, options: NumbersOptions = {}): NumberArray {
  const policy = checkPolicy(options.nulls);
  const values = rawNumbers(vector, name);
  const rows = nullRows(vector);
  if (rows.length === 0) return values;
  if (policy === "error") {
    throw badInput(
      `Column ${JSON.stringify(name)} has ${rows.length} null${rows.length > 1 ? "s" : ""} (row${rows.length > 1 ? "s" : ""} ${rowList(rows)}) ` +
        'and nulls: "error" was asked. Pass { nulls: "nan" } (the default) or a number to fill them.',
    );
  }
  const fill = policy === "nan" ? Number.NaN : policy;
  const out = Float64Array.from(values);
  for (const row of rows) out[row] = fill;
  return out;
}

/**
 * A table's column as numbers, nulls per `options.nulls` (default NaN); a name the table lacks is
 * "not-found", naming the columns it has.
 */
export function columnNumbers(table: Table, name: string, options: NumbersOptions = {}): NumberArray {
  const vector = table.getChild(name);
  if (vector === null) {
    const names = table.schema.fields.map((f) => f.name);
    throw new TiledError("not-found", `No column ${JSON.stringify(name)}; the table has ${names.join(", ")}.`);
  }
  return vectorNumbers(vector, name, options);
}
