/**
 * client/databroker-stream.ts — read a stream served by databroker's MongoAdapter into the same
 * `StreamData` a TiledWriter stream gives.
 *
 * databroker serves a stream as four containers of arrays (xarray datasets): `data` (one array per
 * data key, plus the `time` coordinate), `timestamps` (one float64 array per data key),
 * `config` and `config_timestamps`. Today's layout keeps the scalar columns in one Arrow table
 * instead. Here the 1-D arrays become Arrow vectors, assembled into a table in TiledWriter's
 * column order (`seq_num`, `time`, the data keys, `ts_<key>`), and the N-D arrays (detector
 * frames) are returned as arrays, so one `read()` works on both servers. Every array is read as
 * binary (text arrays as numpy's fixed-width "U" bytes), never as JSON.
 *
 * @example
 * const data = await stream.get("data", { kind: "container" });
 * const timestamps = await stream.get("timestamps", { kind: "container" });
 * const { data: events } = await readDatabrokerStream(data, timestamps, undefined, {});
 * events.table?.numRows;            // the number of events
 */
import { Table, Utf8, makeVector, vectorFromArray } from "apache-arrow";
import type { Vector } from "apache-arrow";
import { decodeArray, isTextDtype } from "../dtype.js";
import type { ArrayData } from "../dtype.js";
import type { RequestOptions } from "../http/types.js";
import { ArrayClient } from "./array.js";
import { streamData } from "./stream-data.js";
import type { StreamData } from "./stream-data.js";
import type { Container } from "./container.js";


/** A 1-D array as an Arrow vector; an empty one is made without a request (databroker answers 500 for it). */
async function readColumn(node: ArrayClient, options: RequestOptions): Promise<Vector> {
  const dataType = node.structure.data_type;
  if (isTextDtype(dataType)) {
    const strings = node.shape[0] === 0 ? [] : (await node.readText(options)).data;
    return vectorFromArray(strings, new Utf8());
  }
  const data = node.shape[0] === 0 ? decodeArray(new Uint8Array(0), dataType) : (await node.read(options)).data;
  return makeVector(data);
}

/**
 * The stream's data from databroker's `data` and `timestamps` containers. `wanted` limits the
 * data keys read ("time" is always read); the caller checks that every wanted key exists.
 */
export async function readDatabrokerStream(
  data: Container,
  timestamps: Container | null,
  wanted: ReadonlySet<string> | undefined,
  options: RequestOptions,
): Promise<{ data: StreamData; known: string[] }> {
  const columns: Record<string, Vector> = {};
  const arrays: Record<string, ArrayData> = {};
  const known: string[] = [];
  const ordered: [string, Vector][] = [];
  let events = 0;
  for await (const [key, child] of data.items(options)) {
    if (!(child instanceof ArrayClient)) continue;
    known.push(key);
    if (key !== "time" && wanted && !wanted.has(key)) continue;
    if (child.ndim === 1) {
      const vector = await readColumn(child, options);
      if (key === "time") events = vector.length;
      ordered.push([key, vector]);
      columns[key] = vector;
    } else {
      arrays[key] = await child.read(options);
    }
  }
  const ts: [string, Vector][] = [];
  if (timestamps) {
    for await (const [key, child] of timestamps.items(options)) {
      if (!(child instanceof ArrayClient) || child.ndim !== 1 || key === "time" || !(key in columns)) continue;
      ts.push([`ts_${key}`, await readColumn(child, options)]);
    }
  }
  // databroker does not serve seq_num; its events are ordered by it, numbered from 1.
  const seq = makeVector(BigInt64Array.from({ length: events }, (_, i) => BigInt(i + 1)));
  const time = ordered.filter(([k]) => k === "time");
  const rest = ordered.filter(([k]) => k !== "time");
  const table = new Table(Object.fromEntries([["seq_num", seq], ...time, ...rest, ...ts]));
  return { data: streamData(table, columns, arrays), known };
}
