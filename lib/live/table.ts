/**
 * live/table.ts — a stream table's rows as they are appended (one table-data message per event
 * with TiledWriter's `batch_size=1`).
 *
 * Each update is decoded into an Arrow Table (msgpack: the Arrow IPC bytes as sent; json: built
 * from the columns). A payload that is not a table holding the schema's columns ends the
 * iteration with invalid-response: an empty or broken payload is never a table of no rows. The rows are the server's, published *before* it stores them: a `read()`
 * over HTTP may not have them yet (and SQLite answers 500 "database is locked" to reads that
 * overlap an append), so read the whole table only after the run's stop document.
 *
 * @example
 * import { subscribeTable } from "./lib/live/table.js";
 * const rows = subscribeTable("live/<uid>/primary/internal", { start: 1 });
 * for await (const ev of rows) if (ev.kind === "rows") console.log(ev.sequence, ev.table.numRows, ev.table.getChild("seq_num")?.get(0));
 * console.log((await rows.arrowSchema).fields.map((f) => f.name));
 */
import type { Schema, Table } from "apache-arrow";
import { TiledError } from "../errors.js";
import { schemaOf, tableOf } from "./envelope.js";
import { SubscriptionView } from "./subscription.js";
import type { LiveEvent, SubscribeOptions } from "./subscription.js";

export type TableEvent =
  | { kind: "rows"; sequence: number; table: Table; partition: number | null; timestamp?: string }
  | Exclude<LiveEvent, { kind: "update" }>;

export class TableSubscription extends SubscriptionView implements AsyncIterable<TableEvent> {
  /** The table's Arrow schema, from the connection's table-schema message. */
  readonly arrowSchema: Promise<Schema>;

  constructor(path: string, options: SubscribeOptions = {}) {
    super(path, options);
    this.arrowSchema = this.subscription.schema.then((s) => {
      if (s.type !== "table-schema") throw new TiledError("bad-input", `${path} is not a table (its stream sends ${s.type}).`);
      return schemaOf(s);
    });
    this.arrowSchema.catch(() => undefined);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TableEvent> {
    for await (const ev of this.subscription) {
      if (ev.kind !== "update") yield ev;
      else if (ev.message.type === "table-data") {
        const m = ev.message;
        // The rows must hold the columns the connection's schema announced (and be a table at all).
        const columns = (await this.arrowSchema).fields.map((f) => f.name);
        yield { kind: "rows", sequence: m.sequence, table: tableOf(m, columns, this.subscription.path), partition: m.partition ?? null, timestamp: m.timestamp };
      }
    }
  }
}

/** Subscribe to a table node's appended rows. */
export function subscribeTable(path: string, options: SubscribeOptions = {}): TableSubscription {
  return new TableSubscription(path, options);
}
