/**
 * arrow-ipc.ts — Arrow IPC bytes (a file or a stream) into a Table, or `invalid-response`.
 *
 * apache-arrow's `tableFromIPC` returns a table of no rows and no columns for an empty body, a body
 * of zeros or a lone end-of-stream marker, and throws a bare TypeError or RangeError for other
 * garbage: neither may reach a caller as data. Every Arrow body the client decodes (a table read, a
 * databroker dataset's columns, a live table-data payload) comes through here, so each is checked
 * alike: it must parse, hold a schema, and hold the columns the caller expects.
 *
 * @example
 * const table = arrowTable(bytes, { url, expected: ["seq_num", "time"] });   // or invalid-response
 */
import { tableFromIPC } from "apache-arrow";
import type { Table } from "apache-arrow";
import { TiledError } from "./errors.js";

export interface ArrowTableOptions {
  /** Where the bytes came from, for the error (a URL, or "live table-data message 3"). */
  url?: string;
  /** What the bytes are, for the error message (default "The server's answer"). */
  what?: string;
  /** Columns the table must hold (others may come along). */
  expected?: readonly string[];
}

/** Decode Arrow IPC bytes; anything that is not a table with a schema (and the expected columns) is invalid-response. */
export function arrowTable(bytes: Uint8Array, options: ArrowTableOptions = {}): Table {
  const what = options.what ?? "The server's answer";
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (cause) {
    throw new TiledError("invalid-response", `${what} (${bytes.byteLength} bytes) is not an Arrow table: ${(cause as Error).message}`, { url: options.url, cause });
  }
  const names = table.schema.fields.map((f) => f.name);
  const expected = options.expected ?? [];
  const missing = expected.filter((c) => !names.includes(c));
  if (names.length === 0) {
    throw new TiledError(
      "invalid-response",
      `${what} (${bytes.byteLength} bytes) holds no Arrow schema: it is not a table${expected.length ? ` (expected columns ${expected.join(", ")})` : ""}.`,
      { url: options.url },
    );
  }
  if (missing.length > 0) {
    const whose = options.what === undefined ? "The server's table" : `The table in ${options.what.replace(/^The /, "the ")}`;
    throw new TiledError("invalid-response", `${whose} lacks column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (it has ${names.join(", ")}).`, { url: options.url });
  }
  return table;
}
