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
 * if (msg.type === "table-data") console.log(tableOf(msg).numRows);
 * if (msg.type === "array-data") console.log(arrayOf(msg, dtype).data.length);
 */
import { decode } from "@msgpack/msgpack";
import { tableFromIPC, tableFromJSON } from "apache-arrow";
import type { Schema, Table } from "apache-arrow";
import { arrayData, checkDecodable, decodeArray } from "../dtype.js";
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
 */
export function tableOf(msg: TableDataMessage): Table {
  const bytes = bytesOf(msg.payload);
  if (bytes) return tableFromIPC(bytes);
  if (msg.payload !== null && typeof msg.payload === "object") {
    const columns = msg.payload as Record<string, unknown>;
    const names = Object.keys(columns);
    const n = names.length ? (Array.isArray(columns[names[0]]) ? (columns[names[0]] as unknown[]).length : 0) : 0;
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const row: Record<string, unknown> = {};
      for (const name of names) row[name] = (columns[name] as unknown[])[i];
      rows.push(row);
    }
    return tableFromJSON(rows);
  }
  throw new TiledError("invalid-response", `table-data message ${msg.sequence} has no payload.`);
}

/** The Arrow schema announced by a table-schema message (a 0-row table's schema). */
export function schemaOf(msg: TableSchemaMessage): Schema {
  const comma = msg.arrow_schema.indexOf(",");
  if (!msg.arrow_schema.startsWith("data:") || comma < 0) throw new TiledError("invalid-response", "table-schema's arrow_schema is not a data: URI.");
  return tableFromIPC(Buffer.from(msg.arrow_schema.slice(comma + 1), "base64")).schema;
}

/** Flatten a nested JSON list (the json envelope's array payload) in C order. */
function flatten(value: unknown, out: number[]): void {
  if (Array.isArray(value)) for (const v of value) flatten(v, out);
  else out.push(value === null ? Number.NaN : Number(value));
}

/**
 * The values of an array-data message, decoded with the element type from the connection's
 * array-schema. msgpack bytes are copied first: decodeArray may swap bytes in place and needs an
 * aligned offset, and the frame's buffer belongs to the socket.
 */
export function arrayOf(msg: ArrayDataMessage, dataType: BuiltinDtype | StructDtype): ArrayData {
  const bytes = bytesOf(msg.payload);
  let data: TypedArray;
  if (bytes) data = decodeArray(bytes.slice(), dataType);
  else {
    const flat: number[] = [];
    flatten(msg.payload, flat);
    data = Float64Array.from(flat);
  }
  // A JSON payload was read as float64 numbers, whatever the node's type.
  const dt: BuiltinDtype = bytes ? checkDecodable(dataType) : { kind: "f", itemsize: 8, endianness: "little" };
  return arrayData(data, msg.shape, dt);
}
