/**
 * client/stream.ts — a Bluesky event stream (spec BlueskyEventStream): its descriptor and its data.
 *
 * The stream's metadata is its event descriptor (data_keys, configuration, hints, time, uid).
 * Its data is the `internal` table (seq_num, time, one column per scalar data key and ts_<key>)
 * plus one array node per external data key (area-detector frames). `read()` returns both, like
 * the Python client's `run["primary"].read()`: the data columns (not seq_num, not ts_*) and the arrays.
 *
 * @example
 * const primary = await run.stream("primary");
 * Object.keys(primary.dataKeys);                  // ["I0", "adsimdet_image"]
 * primary.configuration.m9_flyer?.data;           // { m9_flyer_frame_rate: 1000, … }
 * const { columns, arrays } = await primary.read();
 * columns.time.toArray(); arrays.adsimdet_image.shape;
 */
import type { Table, Vector } from "apache-arrow";
import { badInput } from "../errors";
import type { ArrayData } from "../dtype";
import { StreamMetadata } from "../schemas/bluesky";
import type { ConfigurationEntry, DataKey } from "../schemas/bluesky";
import { parseWith } from "../transport";
import type { RequestOptions } from "../transport";
import { ArrayClient } from "./array";
import { Container } from "./container";
import { registerSpecClient } from "./registry";
import { TableClient } from "./table";

export interface StreamReadOptions extends RequestOptions {
  /** Only these data keys (and "time"); default: all. Use it to skip large detector arrays. */
  variables?: readonly string[];
}

export interface StreamData {
  /** The `internal` table as read (seq_num, time, data columns, ts_<key>), or null if the stream has none. */
  table: Table | null;
  /** Columns by name: "time" and each scalar data key (not seq_num, not ts_*). */
  columns: Record<string, Vector>;
  /** External arrays (e.g. detector frames) by data key, first axis = event. */
  arrays: Record<string, ArrayData>;
}

export class BlueskyEventStream extends Container {
  /** The event descriptor as stored in the stream's metadata. */
  get descriptor(): StreamMetadata {
    return parseWith(StreamMetadata, this.metadata, this.uri);
  }

  /** The stream's name ("primary"): its key, unless the metadata names it. */
  get streamName(): string {
    const named = this.metadata.stream_name;
    return typeof named === "string" ? named : this.key;
  }

  /** What each data key is: dtype, shape, source, external, units, … */
  get dataKeys(): Record<string, DataKey> {
    return this.descriptor.data_keys;
  }

  /** Device configuration readings: {device: {data, timestamps, data_keys}}. */
  get configuration(): Record<string, ConfigurationEntry> {
    return this.descriptor.configuration ?? {};
  }

  /** Read the stream's data: the table's columns plus the external arrays. */
  async read(options: StreamReadOptions = {}): Promise<StreamData> {
    const wanted = options.variables ? new Set(["time", ...options.variables]) : undefined;
    const result: StreamData = { table: null, columns: {}, arrays: {} };
    const known = new Set<string>();
    for await (const [key, child] of this.items(options)) {
      if (child instanceof TableClient) {
        const columns = wanted ? child.columns.filter((c) => wanted.has(c) || c === "seq_num") : undefined;
        const table = await child.read({ ...options, columns });
        result.table ??= table;
        for (const name of table.schema.fields.map((f) => f.name)) {
          if (!name.startsWith("__")) known.add(name);
          // seq_num and ts_* are bookkeeping; __index_level_0__ is a pandas index written along.
          if (name === "seq_num" || name.startsWith("ts_") || name.startsWith("__")) continue;
          const vector = table.getChild(name);
          if (vector) result.columns[name] = vector;
        }
      } else if (child instanceof ArrayClient) {
        known.add(key);
        if (wanted && !wanted.has(key)) continue;
        result.arrays[key] = await child.read(options);
      }
    }
    if (options.variables) {
      const missing = options.variables.filter((v) => !known.has(v));
      if (missing.length) throw badInput(`Stream ${this.streamName} has no variable${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; it has ${[...known].filter((k) => k !== "seq_num" && !k.startsWith("ts_")).join(", ")}.`);
    }
    return result;
  }
}

registerSpecClient("BlueskyEventStream", BlueskyEventStream);
