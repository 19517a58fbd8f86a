/**
 * client/stream-data.ts — what `stream.read()` returns, on either server layout.
 *
 * The events' scalar data keys as one Arrow table (and its columns by name), the external arrays
 * (detector frames, spectra) by data key, and `numbers(name)`: any of them as numbers, for
 * arithmetic and plots, with a not-found error that lists the names there are.
 *
 * @example
 * const data = await primary.read();
 * data.table?.numRows;                       // events
 * data.columns.I0_USAXS.toArray();           // an Arrow column
 * data.numbers("seq_num");                   // Float64Array [1, 2, …] (also table-only columns)
 * data.numbers("adsimdet_image");            // the frames, as numbers (first axis = event)
 */
import type { Table, Vector } from "apache-arrow";
import { vectorNumbers } from "../columns.js";
import { firstValues, firstVectorValues } from "../describe.js";
import type { NumbersOptions } from "../columns.js";
import type { ArrayData, NumberArray } from "../dtype.js";
import { TiledError } from "../errors.js";

export interface StreamData {
  /** The events as one Arrow table (seq_num, time, data columns, ts_<key>), or null if the stream has none. */
  table: Table | null;
  /** Columns by name: "time" and each scalar data key (not seq_num, not ts_*). */
  columns: Record<string, Vector>;
  /** External arrays (e.g. detector frames) by data key, first axis = event. */
  arrays: Record<string, ArrayData>;
  /**
   * A column (including seq_num and ts_*) or an array, as numbers; an unknown name is "not-found".
   * A null in a column becomes NaN, unless `options.nulls` says "error" or gives a number.
   */
  numbers(name: string, options?: NumbersOptions): NumberArray;
  /** Events, then each column and array with its type and first values (also what console.log prints). */
  toString(): string;
}

/** The short form of a StreamData: one line per column and array, at most `most` of them. */
function describeStreamData(table: Table | null, columns: Record<string, Vector>, arrays: Record<string, ArrayData>, most = 20): string {
  const events = table?.numRows ?? Object.values(columns)[0]?.length ?? 0;
  const entries: [string, string][] = [
    ...Object.entries(columns).map(([name, v]): [string, string] => [name, `${String(v.type)}: ${firstVectorValues(v)}`]),
    ...Object.entries(arrays).map(([name, a]): [string, string] => [name, `${a.dtype} [${a.shape.join(", ")}]: ${firstValues(a.data)}`]),
  ];
  const width = Math.max(0, ...entries.slice(0, most).map(([name]) => name.length));
  const lines = [`StreamData: ${events} event${events === 1 ? "" : "s"}, ${Object.keys(columns).length} column${Object.keys(columns).length === 1 ? "" : "s"}, ${Object.keys(arrays).length} array${Object.keys(arrays).length === 1 ? "" : "s"}`];
  for (const [name, text] of entries.slice(0, most)) lines.push(`  ${name.padEnd(width)}  ${text}`);
  if (entries.length > most) lines.push(`  … and ${entries.length - most} more: ${entries.slice(most).map(([n]) => n).join(", ")}`);
  return lines.join("\n");
}

/** Assemble a StreamData; `table` also answers `numbers()` for the columns `columns` leaves out. */
export function streamData(table: Table | null, columns: Record<string, Vector>, arrays: Record<string, ArrayData>): StreamData {
  const text = () => describeStreamData(table, columns, arrays);
  return {
    table,
    columns,
    arrays,
    toString: text,
    // What console.log and a notebook print: the short form, not Arrow's internals.
    [Symbol.for("nodejs.util.inspect.custom")]: text,
    numbers(name: string, options: NumbersOptions = {}): NumberArray {
      const column = columns[name] ?? table?.getChild(name) ?? null;
      if (column !== null) return vectorNumbers(column, name, options);
      const array = arrays[name];
      if (array !== undefined) return array.numbers;
      const names = [...(table?.schema.fields.map((f) => f.name) ?? Object.keys(columns)), ...Object.keys(arrays)];
      throw new TiledError("not-found", `No column or array ${JSON.stringify(name)} in this stream's data; it has ${names.join(", ")}.`);
    },
  };
}
