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
import { mapLimit } from "../concurrency.js";
import { badInput, isTiledError, TiledError } from "../errors.js";
import { StreamMetadata } from "../schemas/bluesky.js";
import type { ConfigurationEntry, DataKey } from "../schemas/bluesky.js";
import { parseWith } from "../parse.js";
import type { RequestOptions } from "../http/types.js";
import { ArrayClient } from "./array.js";
import type { BaseClient } from "./base.js";
import { Container } from "./container.js";
import { readDatabrokerStream } from "./databroker-stream.js";
import { streamData } from "./stream-data.js";
import type { StreamData } from "./stream-data.js";
import type { Table, Vector } from "apache-arrow";
import type { ArrayData } from "../dtype.js";
import { isDatabrokerSpec, specVersion } from "./kinds.js";
import type { BlueskyLayout } from "./kinds.js";
import { TableClient } from "./table.js";

/** A stream's children (its table and arrays) read at once by `read()`. */
export const STREAM_READ_CONCURRENCY = 4;

export interface StreamReadOptions extends RequestOptions {
  /** Only these data keys (and "time"); default: all. Use it to skip large detector arrays. */
  variables?: readonly string[];
}

/** How a stream keeps its data: TiledWriter's table + arrays, databroker's datasets, or nothing yet. */
export type StreamLayout = BlueskyLayout | "empty";

export class BlueskyEventStream extends Container {
  #layout: Promise<StreamLayout> | undefined;

  /**
   * The stream's event descriptors. TiledWriter stores one, as the stream's metadata; databroker
   * lists every descriptor of the stream under `descriptors`.
   */
  get descriptors(): StreamMetadata[] {
    const listed = this.metadata.descriptors;
    if (Array.isArray(listed)) return listed.map((d) => parseWith(StreamMetadata, d, this.uri));
    return [parseWith(StreamMetadata, this.metadata, this.uri)];
  }

  /** The (first) event descriptor: data_keys, configuration, hints, time, uid. */
  get descriptor(): StreamMetadata {
    const [first] = this.descriptors;
    if (!first) throw new TiledError("invalid-response", `Stream /${this.path.join("/")} lists no descriptor.`, { url: this.uri });
    return first;
  }

  /**
   * Where the data lives, from the specs (BlueskyEventStream 1.x is databroker's) and then the
   * children: an `internal` table or arrays (TiledWriter), or `data` + `timestamps` datasets
   * (databroker). Anything else is "unsupported-layout": listed and readable as plain
   * containers, but not read as a Bluesky stream.
   */
  layout(options: RequestOptions = {}): Promise<StreamLayout> {
    if (!this.#layout) {
      this.#layout = this.#detectLayout(options);
      this.#layout.catch(() => {
        this.#layout = undefined;
      });
    }
    return this.#layout;
  }

  async #detectLayout(options: RequestOptions): Promise<StreamLayout> {
    if (isDatabrokerSpec(this.specs, "BlueskyEventStream")) return "databroker";
    if (Number.parseInt(specVersion(this.specs, "BlueskyEventStream") ?? "", 10) >= 3) return "tiledwriter";
    const children: [string, BaseClient][] = [];
    for await (const entry of this.items(options)) children.push(entry);
    if (children.length === 0) return "empty";
    if (children.some(([, c]) => c instanceof TableClient || c instanceof ArrayClient)) return "tiledwriter";
    const data = children.find(([k]) => k === "data")?.[1];
    if (data && data.specs.some((s) => s.name === "xarray_dataset")) return "databroker";
    throw new TiledError(
      "unsupported-layout",
      `Stream /${this.path.join("/")} holds ${children.map(([k, c]) => `${k} (${c.structureFamily})`).join(", ")}: neither TiledWriter's ` +
        "table and arrays nor databroker's data/timestamps datasets. Its children can still be listed and read one by one with get().",
      { url: this.uri },
    );
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

  /** Read the stream's data: the table's columns plus the external arrays, from either layout. */
  async read(options: StreamReadOptions = {}): Promise<StreamData> {
    const wanted = options.variables ? new Set(["time", ...options.variables]) : undefined;
    if ((await this.layout(options)) === "databroker") {
      const data = await super.lookup(["data"], options);
      const timestamps = await super.lookup(["timestamps"], options).catch((err: unknown) => {
        if (isTiledError(err, "not-found")) return null;
        throw err;
      });
      if (!(data instanceof Container)) throw new TiledError("invalid-response", `/${data.path.join("/")} is not a container.`, { url: data.uri });
      const read = await readDatabrokerStream(data, timestamps instanceof Container ? timestamps : null, wanted, options);
      this.#checkVariables(options.variables, new Set(read.known));
      return read.data;
    }
    const children: [string, BaseClient][] = [];
    for await (const entry of this.items(options)) children.push(entry);
    // The children (the table, each detector's array) are read a few at a time: small runs are
    // latency-bound, and the server can read one while the client receives another.
    const reads = await mapLimit(children, STREAM_READ_CONCURRENCY, async ([key, child], signal) => {
      if (child instanceof TableClient) {
        const only = wanted ? child.columns.filter((c) => wanted.has(c) || c === "seq_num") : undefined;
        return { key, table: await child.read({ ...options, signal, columns: only }) };
      }
      if (child instanceof ArrayClient && (!wanted || wanted.has(key))) return { key, array: await child.read({ ...options, signal }) };
      return { key };
    }, options.signal);
    let first: Table | null = null;
    const columns: Record<string, Vector> = {};
    const arrays: Record<string, ArrayData> = {};
    const known = new Set<string>();
    for (const [i, read] of reads.entries()) {
      const child = children[i][1];
      if (read.table) {
        first ??= read.table;
        for (const name of read.table.schema.fields.map((f) => f.name)) {
          if (!name.startsWith("__")) known.add(name);
          // seq_num and ts_* are bookkeeping; __index_level_0__ is a pandas index written along.
          if (name === "seq_num" || name.startsWith("ts_") || name.startsWith("__")) continue;
          const vector = read.table.getChild(name);
          if (vector) columns[name] = vector;
        }
      } else if (child instanceof ArrayClient) {
        known.add(read.key);
        if (read.array) arrays[read.key] = read.array;
      }
    }
    this.#checkVariables(options.variables, known);
    return streamData(first, columns, arrays);
  }

  #checkVariables(variables: readonly string[] | undefined, known: ReadonlySet<string>): void {
    if (!variables) return;
    const missing = variables.filter((v) => !known.has(v));
    if (missing.length) throw badInput(`Stream ${this.streamName} has no variable${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; it has ${[...known].filter((k) => k !== "seq_num" && !k.startsWith("ts_")).join(", ")}.`);
  }

  /** A data key's array by name on either layout: databroker keeps it under `data/`. */
  protected override async lookup(keys: readonly string[], options: RequestOptions = {}): Promise<BaseClient> {
    try {
      return await super.lookup(keys, options);
    } catch (err) {
      if (!isTiledError(err, "not-found") || keys[0] === "data") throw err;
      if ((await this.layout(options)) !== "databroker") throw err;
      return super.lookup(["data", ...keys], options);
    }
  }
}


