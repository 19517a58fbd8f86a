/**
 * client/table.ts — read a table node as an Apache Arrow table.
 *
 * Tables come as `application/vnd.apache.arrow.file` and are decoded by apache-arrow's
 * `tableFromIPC`; choose columns with `columns` (sent as repeated `column=` parameters). A table
 * too big for one response (400 "Response would exceed …") is read partition by partition.
 *
 * @example
 * const internal = await stream.get("internal", { kind: "table" });
 * internal.columns;                                   // ["seq_num", "time", "I0", "ts_I0"]
 * const table = await internal.read({ columns: ["time", "I0"] });
 * table.getChild("I0")?.toArray();                    // Float64Array
 * table.numRows;
 */
import type { Table } from "apache-arrow";
import { arrowTable } from "../arrow-ipc.js";
import { isTiledError } from "../errors.js";
import { withParams } from "../urls.js";
import type { NodeResource } from "../schemas/node.js";
import { TableStructure } from "../schemas/structures.js";
import { parseWith } from "../parse.js";
import type { RequestOptions } from "../http/types.js";
import { badInput } from "../errors.js";
import { BaseClient } from "./base.js";
import type { Context } from "../context.js";

export const ARROW_MIME_TYPE = "application/vnd.apache.arrow.file";

export interface TableReadOptions extends RequestOptions {
  /** Only these columns (default: all). */
  columns?: readonly string[];
}

export class TableClient extends BaseClient {
  readonly structure: TableStructure;

  constructor(context: Context, item: NodeResource, path: readonly string[]) {
    super(context, item, path);
    this.structure = parseWith(TableStructure, item.attributes.structure, context.apiUrl("metadata", path));
  }

  get columns(): string[] {
    return [...this.structure.columns];
  }
  get npartitions(): number {
    return this.structure.npartitions;
  }

  #columnParams(columns: readonly string[] | undefined): [string, string][] {
    if (!columns) return [];
    const unknown = columns.filter((c) => !this.structure.columns.includes(c));
    if (unknown.length) {
      throw badInput(`No column${unknown.length > 1 ? "s" : ""} ${unknown.map((c) => JSON.stringify(c)).join(", ")} in /${this.path.join("/")}; it has ${this.structure.columns.join(", ")}.`);
    }
    return columns.map((c): [string, string] => ["column", c]);
  }

  /**
   * The columns in the order asked for. tiled's SQL adapter selects requested columns with
   * `set(names).intersection(fields)` (tiled/adapters/sql.py), so the server's order follows Python's
   * string hashing and changes from one server process to the next.
   */
  #ordered(table: Table, columns: readonly string[] | undefined): Table {
    if (!columns) return table;
    const names = table.schema.fields.map((f) => f.name);
    return names.join("\u0000") === columns.join("\u0000") ? table : table.select(columns.filter((c) => names.includes(c)));
  }

  /**
   * Decode an Arrow IPC body into the columns asked for: a body that is not an Arrow table, or a
   * table that lacks a column it should hold, is invalid-response (arrow-ipc.ts).
   */
  #decode(bytes: Uint8Array, url: string, columns: readonly string[] | undefined): Table {
    return this.#ordered(arrowTable(bytes, { url, expected: columns ?? this.structure.columns }), columns);
  }

  /** Append rows to partition `partition` of an appendable table (Python's `append_partition`); not idempotent. */
  async appendPartition(partition: number, table: Table, options: RequestOptions = {}): Promise<void> {
    const { appendPartitionTo } = await import("./write.js");
    return appendPartitionTo(this, this.structure.columns, this.npartitions, partition, table, options);
  }

  /** The whole table (or some columns, in that order) as Arrow; falls back to partitions if the server refuses the size. */
  async read(options: TableReadOptions = {}): Promise<Table> {
    const url = withParams(this.context.apiUrl("table/full", this.path), this.#columnParams(options.columns));
    try {
      const bytes = await this.context.transport.getBytes(url, { ...options, accept: ARROW_MIME_TYPE });
      return this.#decode(bytes, url, options.columns);
    } catch (err) {
      if (this.npartitions > 1 && isTiledError(err, "http") && err.status === 400 && /exceed/i.test(String(err.detail))) {
        const parts: Table[] = [];
        for (let i = 0; i < this.npartitions; i++) parts.push(await this.readPartition(i, options));
        return parts[0].concat(...parts.slice(1));
      }
      throw err;
    }
  }

  /** One partition (`/table/partition?partition=N`). */
  async readPartition(partition: number, options: TableReadOptions = {}): Promise<Table> {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.npartitions) {
      throw badInput(`Partition ${partition} is out of range: /${this.path.join("/")} has ${this.npartitions} partition(s).`);
    }
    const url = withParams(this.context.apiUrl("table/partition", this.path), [["partition", String(partition)], ...this.#columnParams(options.columns)]);
    const bytes = await this.context.transport.getBytes(url, { ...options, accept: ARROW_MIME_TYPE });
    return this.#decode(bytes, url, options.columns);
  }

  override toString(): string {
    return `<TableClient /${this.path.join("/")} columns=[${this.columns.join(", ")}]>`;
  }
}

