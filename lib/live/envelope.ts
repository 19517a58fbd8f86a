/**
 * live/envelope.ts — one websocket frame to one validated message, and payloads to data.
 *
 * With `envelope_format=msgpack` (the default here, as in tiled's Python client) each message is a
 * binary frame holding one msgpack map whose `payload` is raw bytes: Arrow IPC file bytes for
 * table-data, C-order array bytes for array-data. With `json` each message is a text frame and
 * the server has already turned payloads into JSON (columns, nested lists): lossy for int64 and
 * NaN, and decoded by the server once per subscriber, which is why msgpack is the default.
 *
 * @example
 * import { decodeFrame, tableOf } from "./lib/live/envelope.js";
 * const msg = decodeFrame(frameBytes, "msgpack");
 * if (msg.type === "table-data") console.log(tableOf(msg, ["seq_num", "time"]).numRows);   // or invalid-response
 * if (msg.type === "array-data") console.log(arrayOf(msg, dtype).data.length);
 */
import { decode } from "@msgpack/msgpack";
import { Table, vectorFromArray } from "apache-arrow";
import type { Schema } from "apache-arrow";
import { arrowTable } from "../arrow-ipc.js";
import { arrayData, checkDecodable, decodeArray, isBuiltinDtype, numpyName, numpyStr } from "../dtype.js";
import type { ArrayData, TypedArray } from "../dtype.js";
import { TiledError } from "../errors.js";
import type { BuiltinDtype, StructDtype } from "../schemas/structures.js";
import { LiveMessage } from "./schemas.js";
import type { ArrayDataMessage, TableDataMessage, TableSchemaMessage } from "./schemas.js";

/** The two envelopes tiled offers; any other value is refused at the handshake (HTTP 403). */
export type Envelope = "msgpack" | "json";

/** Decode and validate one frame. A frame that is not a known message is an invalid-response error. */
export function decodeFrame(frame: Uint8Array | string, envelope: Envelope, url?: string): LiveMessage {
  let raw: unknown;
  try {
    if (typeof frame === "string") raw = JSON.parse(frame);
    else if (envelope === "json") raw = JSON.parse(new TextDecoder().decode(frame));
    else raw = decode(frame);
  } catch (cause) {
    throw new TiledError("invalid-response", `A live update frame is not ${typeof frame === "string" ? "JSON" : envelope}.`, { url, cause });
  }
  const parsed = LiveMessage.safeParse(raw);
  if (!parsed.success) {
    const type = raw !== null && typeof raw === "object" && "type" in raw ? String((raw as { type: unknown }).type) : "(no type)";
    const issue = parsed.error.issues[0];
    throw new TiledError("invalid-response", `Unexpected live update message of type ${JSON.stringify(type)}: at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`, {
      url,
      cause: parsed.error,
    });
  }
  return parsed.data;
}

function bytesOf(payload: unknown): Uint8Array | undefined {
  return payload instanceof Uint8Array ? payload : undefined;
}

/**
 * The rows of a table-data message as an Arrow Table: parsed from the IPC bytes (msgpack), or
 * built from the `{column: values}` JSON (types inferred, so int64 columns come back as Float64).
 * A payload that is no Arrow table (empty, zeros, a lone end-of-stream marker, garbage), JSON
 * that is not columns of one length, or rows that lack a column of the connection's schema
 * (`expected`) is invalid-response, never an empty table.
 */
export function tableOf(msg: TableDataMessage, expected: readonly string[] = [], url?: string): Table {
  const what = `The payload of live table-data message ${msg.sequence}`;
  const bytes = bytesOf(msg.payload);
  if (bytes) return arrowTable(bytes, { what, url, expected });
  const payload: unknown = msg.payload;
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new TiledError("invalid-response", `${what} is ${payload === null ? "null" : Array.isArray(payload) ? "a list" : typeof payload}, not Arrow bytes nor {column: values}.`, { url });
  }
  const columns = Object.entries(payload as Record<string, unknown>);
  const lengths = new Set(columns.map(([, values]) => (Array.isArray(values) ? values.length : -1)));
  const missing = expected.filter((name) => !(name in payload));
  if (columns.length === 0 || lengths.has(-1) || lengths.size > 1 || missing.length > 0) {
    throw new TiledError(
      "invalid-response",
      columns.length === 0
        ? `${what} holds no columns.`
        : missing.length > 0
          ? `${what} lacks column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of the table's schema.`
          : `${what} is not columns of one length (${columns.map(([k, v]) => `${k}: ${Array.isArray(v) ? v.length : typeof v}`).join(", ")}).`,
      { url },
    );
  }
  return new Table(Object.fromEntries(columns.map(([name, values]) => [name, vectorFromArray(values as unknown[])])));
}

/** The Arrow schema announced by a table-schema message (a 0-row table's schema). */
export function schemaOf(msg: TableSchemaMessage): Schema {
  const comma = msg.arrow_schema.indexOf(",");
  if (!msg.arrow_schema.startsWith("data:") || comma < 0) throw new TiledError("invalid-response", "table-schema's arrow_schema is not a data: URI.");
  return arrowTable(Buffer.from(msg.arrow_schema.slice(comma + 1), "base64"), { what: "table-schema's arrow_schema" }).schema;
}

/** Flatten a nested JSON list (the json envelope's array payload) in C order; anything but numbers, booleans and null is refused. */
function flatten(value: unknown, out: number[], what: string): void {
  if (Array.isArray(value)) for (const v of value) flatten(v, out, what);
  else if (value === null) out.push(Number.NaN);
  else if (typeof value === "number" || typeof value === "boolean") out.push(Number(value));
  else throw new TiledError("invalid-response", `${what} holds ${JSON.stringify(value)?.slice(0, 40) ?? typeof value}, not a number.`);
}

/** The fields that say how an element is stored, to compare two descriptions of a dtype. */
function dtypeKey(dt: BuiltinDtype | StructDtype): string {
  return isBuiltinDtype(dt) ? numpyStr(dt) : `struct(${dt.itemsize})`;
}

/**
 * The values of an array-data message, decoded with the element type from the connection's
 * array-schema. The payload must be exactly the declared `shape` of that type: raw bytes of
 * product(shape) × itemsize (msgpack), or a nested list of product(shape) numbers (json); a message
 * that names another data type than the schema's, or another mimetype than raw bytes, is refused.
 * msgpack bytes are copied first: decodeArray may swap bytes in place and needs an aligned offset,
 * and the frame's buffer belongs to the socket.
 */
export function arrayOf(msg: ArrayDataMessage, dataType: BuiltinDtype | StructDtype, url?: string): ArrayData {
  const what = `The payload of live array-data message ${msg.sequence}`;
  const count = msg.shape.reduce((a, b) => a * b, 1);
  if (msg.data_type !== undefined && dtypeKey(msg.data_type) !== dtypeKey(dataType)) {
    throw new TiledError("invalid-response", `Live array-data message ${msg.sequence} says its data type is ${dtypeKey(msg.data_type)}; the array's schema says ${dtypeKey(dataType)}.`, { url });
  }
  const bytes = bytesOf(msg.payload);
  let data: TypedArray;
  if (bytes) {
    if (msg.mimetype !== undefined && msg.mimetype !== "application/octet-stream") {
      throw new TiledError("invalid-response", `${what} is ${msg.mimetype}; this client decodes raw application/octet-stream payloads only.`, { url });
    }
    const checked = checkDecodable(dataType);
    const expectedBytes = count * checked.itemsize;
    if (bytes.byteLength !== expectedBytes) {
      throw new TiledError(
        "invalid-response",
        `${what} holds ${bytes.byteLength} bytes; shape [${msg.shape.join(", ")}] of ${numpyName(checked)} needs ${expectedBytes}.`,
        { url },
      );
    }
    data = decodeArray(bytes.slice(), checked);
  } else {
    const flat: number[] = [];
    flatten(msg.payload, flat, what);
    if (flat.length !== count) {
      throw new TiledError("invalid-response", `${what} holds ${flat.length} values; shape [${msg.shape.join(", ")}] needs ${count}.`, { url });
    }
    data = Float64Array.from(flat);
  }
  // A JSON payload was read as float64 numbers, whatever the node's type.
  const dt: BuiltinDtype = bytes ? checkDecodable(dataType) : { kind: "f", itemsize: 8, endianness: "little" };
  return arrayData(data, msg.shape, dt);
}
