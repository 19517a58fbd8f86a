/**
 * client/databroker-stream.ts — read a stream served by databroker's MongoAdapter into the same
 * `StreamData` a TiledWriter stream gives.
 *
 * databroker serves a stream as four containers of arrays (xarray datasets): `data` (one array per
 * data key, plus the `time` coordinate), `timestamps` (one float64 array per data key),
 * `config` and `config_timestamps`. Today's layout keeps the scalar columns in one Arrow table
 * instead. Here the 1-D arrays become Arrow vectors, assembled into a table in TiledWriter's
 * column order (`seq_num`, `time`, the data keys, `ts_<key>`), and the N-D arrays (detector
 * frames) are returned as arrays, so one `read()` works on both servers.
 *
 * The 1-D arrays of a dataset are fetched together, as tiled's Python `DatasetClient.read()` does
 * ("wide table optimization"): one `GET /container/full/<dataset>?format=<arrow>&field=…` answers
 * every column as one Arrow table, text included (a USAXS baseline stream has ~60 keys: 2 requests
 * instead of ~120). Fields are split over several requests when the URL would pass 2,000
 * characters (Python switches to a POST there; a GET keeps the read side read-only). A server that
 * refuses the route (an HTTP error) is read array by array instead, every array as binary: text as
 * numpy's fixed-width "U" bytes, whose width databroker leaves out (`<U0`) and this client derives
 * from the byte count (dtype.ts textWidth).
 *
 * @example
 * const data = await stream.get("data", { kind: "container" });
 * const timestamps = await stream.get("timestamps", { kind: "container" });
 * const { data: events } = await readDatabrokerStream(data, timestamps, undefined, {});
 * events.table?.numRows;            // the number of events
 */
import { Table, Utf8, makeVector, vectorFromArray } from "apache-arrow";
import type { Vector } from "apache-arrow";
import { arrowTable } from "../arrow-ipc.js";
import { mapLimit } from "../concurrency.js";
import { decodeArray, isTextDtype } from "../dtype.js";
import type { ArrayData } from "../dtype.js";
import { TiledError, isTiledError } from "../errors.js";
import type { RequestOptions } from "../http/types.js";
import { withParams } from "../urls.js";
import { ArrayClient } from "./array.js";
import { streamData } from "./stream-data.js";
import type { StreamData } from "./stream-data.js";
import type { Container } from "./container.js";
import { ARROW_MIME_TYPE } from "./table.js";

/** Columns at most this long are fetched together (tiled's LENGTH_LIMIT_FOR_WIDE_TABLE_OPTIMIZATION). */
export const WIDE_TABLE_LENGTH_LIMIT = 1_000_000;
/** Longest URL a column fetch builds (tiled's client's URL_CHARACTER_LIMIT; proxies such as nginx refuse longer ones). */
export const URL_CHARACTER_LIMIT = 2_000;
/** Arrays of one stream read at once on the array-by-array path. */
const ARRAY_CONCURRENCY = 4;

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

/** Split keys into batches whose `&field=` parameters keep each URL under the limit. */
function fieldBatches(base: string, keys: readonly string[]): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let length = base.length;
  for (const key of keys) {
    const extra = "&field=".length + encodeURIComponent(key).length;
    if (batch.length > 0 && length + extra > URL_CHARACTER_LIMIT) {
      batches.push(batch);
      batch = [];
      length = base.length;
    }
    batch.push(key);
    length += extra;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

/**
 * The 1-D arrays of a dataset as vectors, several per request (`/container/full` as Arrow). Each
 * column must come back with the length its structure announced.
 */
async function readWide(dataset: Container, nodes: readonly [string, ArrayClient][], options: RequestOptions): Promise<Map<string, Vector>> {
  const out = new Map<string, Vector>();
  if (nodes.length === 0) return out;
  const base = withParams(dataset.context.apiUrl("container/full", dataset.path), [["format", ARROW_MIME_TYPE]]);
  const lengths = new Map(nodes.map(([key, node]) => [key, node.shape[0]]));
  const batches = fieldBatches(base, nodes.map(([key]) => key));
  const tables = await mapLimit(batches, 2, async (fields, signal) => {
    const url = withParams(base, fields.map((f): [string, string] => ["field", f]));
    return { url, fields, table: arrowTable(await dataset.context.transport.getBytes(url, { ...options, signal, accept: ARROW_MIME_TYPE }), { url, expected: fields }) };
  }, options.signal);
  for (const { url, fields, table } of tables) {
    for (const field of fields) {
      const vector = table.getChild(field);
      if (vector === null) continue; // arrowTable checked that it is there
      if (vector.length !== lengths.get(field)) {
        throw new TiledError("invalid-response", `Column ${field} of /${dataset.path.join("/")} has ${vector.length} rows; its structure says ${lengths.get(field)}.`, { url });
      }
      out.set(field, vector);
    }
  }
  return out;
}

/**
 * A dataset's 1-D arrays as vectors: together when they are short and of one length (as Python
 * does), else one by one; a server that answers the combined read with an HTTP error is read one
 * array at a time (slower, the same values).
 */
async function readColumns(dataset: Container, nodes: readonly [string, ArrayClient][], options: RequestOptions): Promise<Map<string, Vector>> {
  const lengths = new Set(nodes.map(([, n]) => n.shape[0]));
  const [length] = lengths;
  const together = lengths.size === 1 && length > 0 && length < WIDE_TABLE_LENGTH_LIMIT;
  if (together) {
    try {
      return await readWide(dataset, nodes, options);
    } catch (err) {
      if (!isTiledError(err, "http")) throw err;
    }
  }
  const vectors = await mapLimit(nodes, ARRAY_CONCURRENCY, ([, node], signal) => readColumn(node, { ...options, signal }), options.signal);
  return new Map(nodes.map(([key], i) => [key, vectors[i]]));
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
  const known: string[] = [];
  const oneD: [string, ArrayClient][] = [];
  const nD: [string, ArrayClient][] = [];
  for await (const [key, child] of data.items(options)) {
    if (!(child instanceof ArrayClient)) continue;
    known.push(key);
    if (key !== "time" && wanted && !wanted.has(key)) continue;
    (child.ndim === 1 ? oneD : nD).push([key, child]);
  }
  const tsNodes: [string, ArrayClient][] = [];
  if (timestamps) {
    const keys = new Set(oneD.map(([k]) => k));
    for await (const [key, child] of timestamps.items(options)) {
      if (child instanceof ArrayClient && child.ndim === 1 && key !== "time" && keys.has(key)) tsNodes.push([key, child]);
    }
  }
  const [vectors, tsVectors, frames] = await Promise.all([
    readColumns(data, oneD, options),
    timestamps ? readColumns(timestamps, tsNodes, options) : Promise.resolve(new Map<string, Vector>()),
    mapLimit(nD, 2, ([, node], signal) => node.read({ ...options, signal }), options.signal),
  ]);
  const columns: Record<string, Vector> = {};
  for (const [key] of oneD) {
    const vector = vectors.get(key);
    if (vector) columns[key] = vector;
  }
  const arrays: Record<string, ArrayData> = Object.fromEntries(nD.map(([key], i) => [key, frames[i]]));
  const events = columns.time?.length ?? 0;
  // databroker does not serve seq_num; its events are ordered by it, numbered from 1.
  const seq = makeVector(BigInt64Array.from({ length: events }, (_, i) => BigInt(i + 1)));
  const time = Object.entries(columns).filter(([k]) => k === "time");
  const rest = Object.entries(columns).filter(([k]) => k !== "time");
  const ts = tsNodes.flatMap(([key]): [string, Vector][] => {
    const vector = tsVectors.get(key);
    return vector ? [[`ts_${key}`, vector]] : [];
  });
  const table = new Table(Object.fromEntries([["seq_num", seq], ...time, ...rest, ...ts]));
  return { data: streamData(table, columns, arrays), known };
}
