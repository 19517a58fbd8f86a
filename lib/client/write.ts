/**
 * client/write.ts — new nodes and their data: containers, arrays, tables, appendable tables, as
 * tiled's Python `create_container`, `write_array`, `write_table`, `create_appendable_table` and
 * `append_partition` send them (docs/tiled-write-contract.md, "What tiled's Python client sends").
 *
 * Writes need credentials (an API key, or login tokens: the context's). Everything checkable is
 * checked before the first request: the key, metadata (plain JSON, json-check.ts), specs, and an
 * array's length, shape and dtype (array-encode.ts). A refusal names what to do: 401/403 (log in,
 * or a key with write scopes), 405 (this catalog stores no data: a read-only server), 409 (the
 * name is taken: another key, or delete the node first).
 *
 * Tables are sent as Arrow IPC files; for write_table with pandas metadata for integer columns that
 * hold nulls (pandas-metadata.ts: otherwise tiled's pandas step stores them as double). Appended
 * partitions (SQL storage) come back double whatever is sent: a tiled 0.2.20 quirk, in the tests.
 *
 * Arrays up to `blockBytes` (100 MB, the Python client's threshold) go in one `PUT /array/full`;
 * larger ones are created with chunks along their first axes, each chunk a contiguous stretch of
 * the C-ordered bytes (no copy), and sent one `PUT /array/block` at a time, two in flight — under
 * tiled's request limits, with memory no larger than the caller's array.
 *
 * @example
 * const run = await root.createContainer("scan_1", { metadata: { sample: "Ni" }, specs: ["RoundTrip"] });
 * const image = await run.writeArray("image", new Uint16Array(512 * 512), { shape: [512, 512], dims: ["y", "x"] });
 * const table = await run.writeTable("peaks", tableFromArrays({ x: new Float64Array([1, 2]), y: new Float64Array([3, 4]) }));
 */
import { Schema, tableToIPC, Table } from "apache-arrow";
import { z } from "zod";
import { mapLimit } from "../concurrency.js";
import { TiledError, badInput, isTiledError } from "../errors.js";
import { checkPathSegments, withParams } from "../urls.js";
import { MetadataResponse } from "../schemas/node.js";
import type { NodeResource, Spec } from "../schemas/node.js";
import type { RequestOptions } from "../http/types.js";
import type { TypedArray } from "../dtype.js";
import { progressBar } from "../progress.js";
import type { ProgressCallback } from "../progress.js";
import { checkJsonObject } from "./json-check.js";
import { encodeArray } from "./array-encode.js";
import { withNullableIntegers } from "./pandas-metadata.js";
import type { NodeRef } from "./export.js";

/** Arrays larger than this are written in blocks (the Python client's 100 MB). */
export const DEFAULT_BLOCK_BYTES = 100_000_000;

/** A spec by name ("BlueskyRun") or with a version ({ name: "BlueskyRun", version: "3.0" }). */
export type SpecInput = string | Spec;

export interface NodeOptions extends Omit<RequestOptions, "onProgress"> {
  metadata?: Record<string, unknown>;
  specs?: readonly SpecInput[];
}

export interface WriteArrayOptions extends NodeOptions {
  /** The shape; default: one dimension of the array's length. */
  shape?: readonly number[];
  /** A numpy dtype the TypedArray holds exactly (see array-encode.ts); default: the TypedArray's own. */
  dtype?: string;
  /** Names of the dimensions, one per axis. */
  dims?: readonly string[];
  /** Arrays larger than this go in blocks. Default 100 MB. */
  blockBytes?: number;
  /** Blocks in flight at once (default 2; 1 keeps requests in order, as a snapshot recording needs). */
  concurrency?: number;
  /** Told the bytes sent so far and the total. */
  onProgress?: ProgressCallback;
  progress?: boolean | "auto";
}

export interface AppendableTableOptions extends NodeOptions {
  /** Partitions (default 1); rows are appended to one with appendPartition(n, table). */
  npartitions?: number;
  /** The SQL table to store it in (default: chosen by the server from the schema). */
  tableName?: string;
}

/** The server's answer to a create. */
const CreateResponse = z.looseObject({ id: z.string(), links: z.record(z.string(), z.string().nullable()).nullable().optional() });

function describe(path: readonly string[]): string {
  return `/${path.join("/")}`;
}

/** Specs as the server takes them: [{name, version}], checked (tiled refuses duplicates and more than 20 with a 422). */
export function normalizeSpecs(specs: readonly SpecInput[] | undefined): Spec[] {
  const out = (specs ?? []).map((s) => {
    const spec = typeof s === "string" ? { name: s, version: null } : { name: s?.name, version: s?.version ?? null };
    if (typeof spec.name !== "string" || spec.name === "") throw badInput(`A spec is a name or { name, version }, not ${JSON.stringify(s)}.`);
    return spec;
  });
  const names = out.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw badInput(`Spec ${JSON.stringify(dup)} is given twice; a node lists each spec once.`);
  if (out.length > 20) throw badInput(`A node has at most 20 specs (${out.length} given).`);
  return out;
}

/** Check a new node's key: one path segment (tiled stores a key with "/" but can never reach it again). */
function checkKey(key: string | undefined): void {
  if (key === undefined) return;
  if (typeof key !== "string") throw badInput(`A key is a string, not ${JSON.stringify(key)}.`);
  checkPathSegments([key]);
  if (key.includes("/")) throw badInput(`The key ${JSON.stringify(key)} contains "/": tiled would store it but the node could never be addressed. Create the containers one by one.`);
}

/** A write refusal made clear: what the status means here, and what to do. */
export function explainWrite(err: unknown, what: string): unknown {
  if (!(err instanceof TiledError) || err.status === undefined) return err;
  const again = (message: string) => new TiledError(err.code, `${err.message}\n  ${message}`, { status: err.status, url: err.url, detail: err.detail, requestId: err.requestId, cause: err });
  switch (err.status) {
    case 401:
      return again(`Writing ${what} needs credentials with write access: give an API key (apiKey, or TILED_API_KEY) or log in (context.login()).`);
    case 403:
      return again(`These credentials may not write ${what}: use a key or an account with write scopes.`);
    case 405:
      return again(`This server stores no data at that path (a read-only catalog): write ${what} to a writable tiled server.`);
    case 409:
      return again(`${what} exists already: choose another key, or delete the existing node first (node.delete()).`);
    default:
      return err;
  }
}

/** POST /metadata/{parent}: create a node; then its description, as every client is built from one. */
async function createNode(parent: NodeRef, key: string | undefined, family: string, options: NodeOptions, dataSources: unknown[]): Promise<NodeResource> {
  checkKey(key);
  const metadata = checkJsonObject(options.metadata ?? {}, "metadata");
  const specs = normalizeSpecs(options.specs);
  const body = { id: key ?? null, structure_family: family, metadata, specs, data_sources: dataSources, access_tags: null };
  const what = key === undefined ? `a new ${family} under ${describe(parent.path)}` : describe([...parent.path, key]);
  const transport = parent.context.transport;
  let created: z.infer<typeof CreateResponse>;
  try {
    created = await transport.sendJson("POST", parent.context.apiUrl("metadata", parent.path), body, CreateResponse, requestOptions(options));
  } catch (err) {
    throw explainWrite(err, what);
  }
  const path = [...parent.path, created.id];
  const response = await transport.getJson(parent.context.apiUrl("metadata", path), MetadataResponse, requestOptions(options));
  return response.data;
}

function requestOptions(options: Omit<RequestOptions, "onProgress">): RequestOptions {
  return { signal: options.signal, timeoutMs: options.timeoutMs, deadlineMs: options.deadlineMs };
}

/** A data source for data the server stores itself (the Python client's DataSource with management "writable"). */
function writableSource(family: string, structure: unknown, mimetype: string | null = null, parameters: Record<string, unknown> = {}): unknown {
  return { id: null, structure_family: family, structure, mimetype, parameters, properties: {}, assets: [], management: "writable" };
}

/**
 * The data of a node just created could not be written: remove the node, so that the same key can
 * be used again, and say what happened. For a table whose Parquet file was never written tiled
 * 0.2.20 answers the DELETE with 500 (FileNotFoundError) after removing the node from its catalog,
 * so a refused DELETE is followed by a look: only a node still there is reported as left.
 */
async function failedData(parent: NodeRef, path: string[], err: unknown): Promise<unknown> {
  const explained = explainWrite(err, describe(path));
  if (!(explained instanceof TiledError)) return explained;
  const url = withParams(parent.context.apiUrl("metadata", path), [["recursive", "true"], ["external_only", "false"]]);
  let outcome: string;
  try {
    await parent.context.transport.send({ method: "DELETE", url, accept: "application/json" }, {}, { maxBytes: parent.context.config.maxJsonBytes });
    outcome = `The node ${describe(path)} created for it was deleted again.`;
  } catch {
    let gone = false;
    try {
      await parent.context.transport.getJson(parent.context.apiUrl("metadata", path), MetadataResponse);
    } catch (err2) {
      gone = isTiledError(err2, "not-found");
    }
    outcome = gone
      ? `The node ${describe(path)} created for it was deleted again.`
      : `The node ${describe(path)} was created but holds no data, and the server would not delete it: delete it later, or use another key.`;
  }
  return new TiledError(explained.code, `${explained.message}\n  ${outcome}`, { status: explained.status, url: explained.url, detail: explained.detail, requestId: explained.requestId, cause: err });
}

/** `create_container`: a new container, returned as its description. */
export function createContainerNode(parent: NodeRef, key: string | undefined, options: NodeOptions = {}): Promise<NodeResource> {
  return createNode(parent, key, "container", options, []);
}

/**
 * Chunks so that each block is at most `limit` bytes and a contiguous stretch of the C-ordered
 * bytes: axes before the split axis in blocks of 1, the split axis in runs, the later axes whole.
 */
export function planChunks(shape: readonly number[], itemsize: number, limit: number): number[][] {
  const total = shape.reduce((a, b) => a * b, 1) * itemsize;
  if (total <= limit || shape.length === 0) return shape.map((n) => [n]);
  let d = 0;
  while (d < shape.length - 1 && shape.slice(d + 1).reduce((a, b) => a * b, 1) * itemsize > limit) d++;
  const rowBytes = shape.slice(d + 1).reduce((a, b) => a * b, 1) * itemsize;
  const run = Math.max(1, Math.floor(limit / rowBytes));
  return shape.map((n, axis) => {
    if (axis < d) return Array.from({ length: n }, () => 1);
    if (axis > d) return [n];
    const out: number[] = [];
    for (let at = 0; at < n; at += run) out.push(Math.min(run, n - at));
    return out.length ? out : [0];
  });
}

/** Every block index of `chunks`, in C order, with its byte range (blocks are contiguous by construction). */
function blocks(chunks: readonly number[][], shape: readonly number[], itemsize: number): { index: number[]; start: number; end: number }[] {
  const out: { index: number[]; start: number; end: number }[] = [];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1) * itemsize);
  const offsets = chunks.map((c) => c.reduce<number[]>((acc, n) => [...acc, acc[acc.length - 1] + n], [0]));
  const visit = (axis: number, index: number[], start: number) => {
    if (axis === chunks.length) {
      const size = index.reduce((a, b, i) => a * chunks[i][b], 1) * itemsize;
      out.push({ index, start, end: start + size });
      return;
    }
    for (let b = 0; b < chunks[axis].length; b++) visit(axis + 1, [...index, b], start + offsets[axis][b] * strides[axis]);
  };
  visit(0, [], 0);
  return out;
}

/** `write_array`: a new array node holding `data`, returned as its description. */
export async function writeArrayNode(parent: NodeRef, key: string | undefined, data: TypedArray, options: WriteArrayOptions = {}): Promise<NodeResource> {
  const encoded = encodeArray(data, options.shape, options.dtype);
  const { dataType, shape, bytes } = encoded;
  if (options.dims !== undefined && (options.dims.length !== shape.length || options.dims.some((d) => typeof d !== "string"))) {
    throw badInput(`dims names each of the ${shape.length} axes: give ${shape.length} strings, not ${JSON.stringify(options.dims)}.`);
  }
  const limit = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
  if (!Number.isSafeInteger(limit) || limit < dataType.itemsize) throw badInput(`blockBytes ${limit} must be an integer of at least one element (${dataType.itemsize} bytes).`);
  const chunks = planChunks(shape, dataType.itemsize, limit);
  const structure = { data_type: dataType, chunks, shape, dims: options.dims ? [...options.dims] : null, resizable: false };
  const item = await createNode(parent, key, "array", options, [writableSource("array", structure)]);
  const path = [...parent.path, item.id];
  const what = describe(path);
  const bar = progressBar(`upload ${what}`, bytes.byteLength, options.onProgress, options.progress ?? "auto");
  const transport = parent.context.transport;
  const put = (url: string, body: Uint8Array, signal?: AbortSignal) =>
    transport.send({ method: "PUT", url, accept: "application/json", body, contentType: "application/octet-stream" }, { ...requestOptions(options), signal: signal ?? options.signal }, { maxBytes: parent.context.config.maxJsonBytes });
  try {
    const list = blocks(chunks, shape, dataType.itemsize);
    if (list.length <= 1) {
      await put(parent.context.apiUrl("array/full", path), bytes);
      bar.step(bytes.byteLength);
    } else {
      let sent = 0;
      await mapLimit(
        list,
        options.concurrency ?? 2,
        async (block, signal) => {
          const url = withParams(parent.context.apiUrl("array/block", path), [["block", block.index.join(",")]]);
          await put(url, bytes.subarray(block.start, block.end), signal);
          sent += block.end - block.start;
          bar.step(sent);
        },
        options.signal,
      );
    }
  } catch (err) {
    bar.fail();
    throw await failedData(parent, path, err);
  }
  bar.done();
  return item;
}

/** The Arrow IPC schema message of `schema` (what pyarrow's `schema.serialize()` gives), as tiled's data: URI. */
export function arrowSchemaUri(schema: Schema): string {
  const stream = tableToIPC(new Table(schema), "stream");
  // The stream starts with the schema message: 0xFFFFFFFF, a 4-byte metadata length, the metadata.
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const continuation = view.getUint32(0, true) === 0xffffffff;
  const length = view.getInt32(continuation ? 4 : 0, true);
  const message = stream.subarray(0, (continuation ? 8 : 4) + length);
  return `data:application/vnd.apache.arrow.file;base64,${Buffer.from(message).toString("base64")}`;
}

function tableStructure(schema: Schema, npartitions: number): unknown {
  return { arrow_schema: arrowSchemaUri(schema), npartitions, columns: schema.fields.map((f) => f.name), resizable: false };
}

function checkTable(table: unknown, what: string): Table {
  if (!(table instanceof Table)) throw badInput(`${what} takes an apache-arrow Table (tableFromArrays({...}), tableFromIPC(bytes)), not ${table === null ? "null" : typeof table}.`);
  // apache-arrow's Table passes `instanceof` across its CommonJS and ESM copies, but a table of the
  // other copy serializes to an Arrow file whose footer the server rejects (500). The package ships
  // both builds so each consumer shares its own copy (tslab: CommonJS; ESM scripts: ESM); a table
  // built by the other one still ends up here when a program mixes require and import.
  if (Object.getPrototypeOf(table) !== Table.prototype) {
    throw badInput(`${what}: this Table was built by another copy of apache-arrow (its CommonJS and ESM builds are two copies) and would be written corrupted. Build it with the copy tiled-client uses: import { arrow } from "tiled-client"; arrow.tableFromArrays({ … }).`);
  }
  const names = table.schema.fields.map((f) => f.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw badInput(`Column ${JSON.stringify(dup)} appears twice; tiled keys columns by name.`);
  return table;
}

/** `write_table`: a new table node (stored as Parquet) holding `table`, returned as its description. */
export async function writeTableNode(parent: NodeRef, key: string | undefined, table: Table, options: NodeOptions = {}): Promise<NodeResource> {
  checkTable(table, "writeTable");
  const item = await createNode(parent, key, "table", options, [writableSource("table", tableStructure(table.schema, 1))]);
  const path = [...parent.path, item.id];
  try {
    await parent.context.transport.send(
      { method: "PUT", url: parent.context.apiUrl("table/full", path), accept: "application/json", body: tableToIPC(withNullableIntegers(table), "file"), contentType: "application/vnd.apache.arrow.file" },
      requestOptions(options),
      { maxBytes: parent.context.config.maxJsonBytes },
    );
  } catch (err) {
    throw await failedData(parent, path, err);
  }
  return item;
}

/** `create_appendable_table`: an empty table stored in SQL, filled by appendPartition. */
export function createAppendableTableNode(parent: NodeRef, key: string | undefined, schema: Schema, options: AppendableTableOptions = {}): Promise<NodeResource> {
  const npartitions = options.npartitions ?? 1;
  if (!Number.isSafeInteger(npartitions) || npartitions < 1) throw badInput(`npartitions ${npartitions} must be a positive integer.`);
  if (!(schema instanceof Schema) || Object.getPrototypeOf(schema) !== Schema.prototype) {
    throw badInput(`createAppendableTable takes a Schema built by the copy of apache-arrow tiled-client uses: import { arrow } from "tiled-client"; new arrow.Schema([new arrow.Field("x", new arrow.Float64(), true)]).`);
  }
  if (schema.fields.length === 0) throw badInput("An appendable table needs at least one column in its schema.");
  const parameters = options.tableName === undefined ? {} : { table_name: options.tableName };
  return createNode(parent, key, "table", options, [writableSource("table", tableStructure(schema, npartitions), "application/x-tiled-sql-table", parameters)]);
}

/**
 * `append_partition`: add rows to partition `partition` of an appendable table. Not idempotent
 * (the transport never resends a PATCH). The table's columns must be the schema's, by name and
 * order: tiled refuses others with a 500, so they are checked here first.
 */
export async function appendPartitionTo(node: NodeRef, columns: readonly string[], npartitions: number, partition: number, table: Table, options: RequestOptions = {}): Promise<void> {
  checkTable(table, "appendPartition");
  if (!Number.isSafeInteger(partition) || partition < 0 || partition >= npartitions) throw badInput(`Partition ${partition} is out of range: ${describe(node.path)} has ${npartitions} (0…${npartitions - 1}).`);
  const names = table.schema.fields.map((f) => f.name);
  if (names.join("\u0000") !== columns.join("\u0000")) throw badInput(`The rows have columns ${names.join(", ")}; ${describe(node.path)} has ${columns.join(", ")} (same names, same order).`);
  const url = withParams(node.context.apiUrl("table/partition", node.path), [["partition", String(partition)]]);
  try {
    await node.context.transport.send({ method: "PATCH", url, accept: "application/json", body: tableToIPC(table, "file"), contentType: "application/vnd.apache.arrow.file" }, requestOptions(options), { maxBytes: node.context.config.maxJsonBytes });
  } catch (err) {
    if (isTiledError(err, "http") && err.status === 500) {
      throw new TiledError("http", `${err.message}\n  tiled 0.2.20 answers 500 when rows do not fit the stored schema (a type that differs, or a table that is not appendable: only tables made with createAppendableTable take appendPartition).`, { status: err.status, url: err.url, detail: err.detail, cause: err });
    }
    throw explainWrite(err, describe(node.path));
  }
}
