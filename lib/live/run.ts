/**
 * live/run.ts — follow one Bluesky run while it is written: its streams, their rows (and frames),
 * and its stop document, merged into one async iteration that ends after the stop.
 *
 * tiled gives every node its own connection, so this opens several: the run (new streams), each
 * followed stream (its table and array children), each table (rows), optionally each array
 * (frames), and the parent catalog, because the stop document is published there, not on the
 * run. Children are subscribed with `start=1` the moment they are announced, so nothing written
 * between a node's creation and its subscription is lost; what was created before this call is
 * found over HTTP once the parent's connection is up. It ends when the stop has been seen and
 * every followed node was closed by the writer (1000), or `afterStopMs` after the stop.
 *
 * @example
 * import { followRun } from "./lib/live/run.js";
 * for await (const ev of followRun("live/<uid>", { streams: ["primary"] })) {
 *   if (ev.kind === "rows") console.log(ev.stream, ev.table.numRows);
 *   if (ev.kind === "stop") console.log(ev.stop.exit_status, ev.stop.num_events);
 * }
 */
import type { Table } from "apache-arrow";
import { TiledError, isTiledError } from "../errors.js";
import { RunStop } from "../schemas/bluesky.js";
import { MetadataResponse, SearchPage } from "../schemas/node.js";
import { Context } from "../context.js";
import { splitPath, withParams } from "../urls.js";
import { ArraySubscription } from "./array.js";
import type { ArrayEvent } from "./array.js";
import { CatalogSubscription } from "./catalog.js";
import { Channel } from "./channel.js";
import { DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_BUFFERED_MESSAGES, Subscription } from "./subscription.js";
import type { SubscribeOptions } from "./subscription.js";
import { TableSubscription } from "./table.js";

type Doc = Record<string, unknown>;

export type RunEvent =
  /** A followed stream exists (its descriptor is the stream's metadata). */
  | { kind: "stream"; stream: string; descriptor: Doc }
  /** Rows appended to a stream's table (`internal` for TiledWriter). */
  | { kind: "rows"; stream: string; key: string; sequence: number; table: Table }
  /** New data of a stream's array (with `arrays: true`): a frame reference, or inline values. */
  | { kind: "array"; stream: string; key: string; event: Extract<ArrayEvent, { kind: "data" | "ref" }> }
  | { kind: "stop"; stop: RunStop }
  /** Updates of `path` that were lost (evicted from the server's cache): read the node after the stop. */
  | { kind: "gap"; path: string; from: number; to: number }
  | { kind: "reset"; path: string; sequence: number };

export interface FollowRunOptions extends Omit<SubscribeOptions, "start"> {
  /** Streams to follow (default ["primary"]); `null` follows every stream. */
  streams?: string[] | null;
  /** Also follow array children (detector frames, spectra). Default false. */
  arrays?: boolean;
  /** After the stop, wait at most this long for the writer to close the nodes (default 10 s). */
  afterStopMs?: number;
}

/** Merged subscriptions of one run. Iterate once; `close()` or break stops them all. */
export class RunFollower implements AsyncIterable<RunEvent> {
  readonly path: string;
  readonly #options: FollowRunOptions;
  readonly #context: Context;
  readonly #channel: Channel<RunEvent>;
  readonly #subs = new Map<string, { close(): void }>();
  readonly #open = new Set<string>();
  readonly #followed = new Set<string>();
  #stop: RunStop | undefined;
  #stopTimer: NodeJS.Timeout | undefined;
  #started = false;

  constructor(path: string, options: FollowRunOptions = {}) {
    this.path = path.replace(/^\/+|\/+$/g, "");
    if (this.path.split("/").length < 2) throw new TiledError("bad-input", `followRun needs a run's path under its catalog ("live/<uid>"), not ${JSON.stringify(path)}.`);
    // One context for every subscription and look-up of the run, so one login serves them all.
    this.#context = options.context ?? new Context();
    this.#options = { ...options, context: this.#context };
    // The merged events are bounded like each subscription's: a pump waits for room before it
    // takes more from its subscription, whose socket then pauses in turn.
    this.#channel = new Channel<RunEvent>({
      maxBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      maxItems: options.maxBufferedMessages ?? DEFAULT_MAX_BUFFERED_MESSAGES,
      sizeOf: runEventBytes,
    });
  }

  /** The stop document, once seen. */
  get stop(): RunStop | undefined {
    return this.#stop;
  }

  close(): void {
    this.#end();
  }

  [Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    if (!this.#started) {
      this.#started = true;
      this.#begin();
    }
    return {
      next: () => this.#channel.next(),
      return: async () => {
        this.#end();
        return { value: undefined, done: true };
      },
    };
  }

  #url(path: string, kind: "metadata" | "search"): string {
    const url = this.#context.apiUrl(kind, splitPath(path));
    return kind === "search" ? withParams(url, [["page[limit]", "300"], ["fields", "structure_family"]]) : url;
  }

  #begin(): void {
    const parts = this.path.split("/");
    const runKey = parts[parts.length - 1];
    const catalog = new CatalogSubscription(parts.slice(0, -1).join("/"), { ...this.#options });
    // The catalog is a source of the stop only: it is not awaited for the end (the server never closes it).
    this.#run("catalog", catalog, async (ev) => {
      if (ev.kind === "stop" && ev.key === runKey) this.#sawStop(ev.stop);
      else if (ev.kind === "gap" || ev.kind === "reset") await this.#checkStopOverHttp();
    }, false);
    const run = new Subscription(this.path, { ...this.#options, start: 1 });
    this.#run(this.path, run, async (ev) => {
      if (ev.kind === "update" && ev.message.type === "container-child-created") this.#followStream(ev.message.key, ev.message.metadata);
      else if (ev.kind === "gap") this.#channel.push({ kind: "gap", path: this.path, from: ev.from, to: ev.to });
    });
    // What happened before the connections were up: the stop (a short run), the streams.
    void Promise.all([catalog.subscription.schema, run.schema]).then(
      async () => {
        await this.#checkStopOverHttp();
        for (const child of await this.#children(this.path)) this.#followStream(child.key, child.metadata ?? {});
      },
      () => undefined, // the subscriptions report their own errors
    ).catch((err: unknown) => this.#end(err));
  }

  async #checkStopOverHttp(): Promise<void> {
    const md = await this.#context.transport.getJson(this.#url(this.path, "metadata"), MetadataResponse);
    const stop = md.data.attributes.metadata?.stop;
    const parsed = RunStop.safeParse(stop);
    if (parsed.success) this.#sawStop(parsed.data);
  }

  async #children(path: string): Promise<{ key: string; family: string; metadata?: Doc }[]> {
    try {
      const page = await this.#context.transport.getJson(this.#url(path, "search"), SearchPage);
      return page.data.map((d) => ({ key: d.id, family: d.attributes.structure_family ?? "", metadata: d.attributes.metadata ?? undefined }));
    } catch (err) {
      if (isTiledError(err, "not-found")) return [];
      throw err;
    }
  }

  #wants(stream: string): boolean {
    const streams = this.#options.streams === undefined ? ["primary"] : this.#options.streams;
    return streams === null || streams.includes(stream);
  }

  #followStream(stream: string, descriptor: Doc): void {
    const path = `${this.path}/${stream}`;
    if (!this.#wants(stream) || this.#followed.has(path) || this.#channel.done) return;
    this.#followed.add(path);
    this.#channel.push({ kind: "stream", stream, descriptor });
    const sub = new Subscription(path, { ...this.#options, start: 1 });
    this.#run(path, sub, async (ev) => {
      if (ev.kind === "update" && ev.message.type === "container-child-created") this.#followLeaf(stream, ev.message.key, ev.message.structure_family);
      else if (ev.kind === "gap") this.#channel.push({ kind: "gap", path, from: ev.from, to: ev.to });
    });
    void sub.schema.then(
      async () => {
        for (const child of await this.#children(path)) this.#followLeaf(stream, child.key, child.family);
      },
      () => undefined,
    ).catch((err: unknown) => this.#end(err));
  }

  #followLeaf(stream: string, key: string, family: string): void {
    const path = `${this.path}/${stream}/${key}`;
    if (this.#followed.has(path) || this.#channel.done) return;
    if (family === "table") {
      this.#followed.add(path);
      this.#run(path, new TableSubscription(path, { ...this.#options, start: 1 }), async (ev) => {
        if (ev.kind === "rows") this.#channel.push({ kind: "rows", stream, key, sequence: ev.sequence, table: ev.table });
        else this.#channel.push({ ...ev, path });
      });
    } else if (family === "array" && this.#options.arrays) {
      this.#followed.add(path);
      this.#run(path, new ArraySubscription(path, { ...this.#options, start: 1 }), async (ev) => {
        if (ev.kind === "data" || ev.kind === "ref") this.#channel.push({ kind: "array", stream, key, event: ev });
        else this.#channel.push({ ...ev, path });
      });
    }
  }

  /** Drain one subscription into the channel; `awaited` ones must end before the follower does. */
  #run<E>(name: string, sub: AsyncIterable<E> & { close(): void }, each: (ev: E) => Promise<void>, awaited = true): void {
    this.#subs.set(name, sub);
    if (awaited) this.#open.add(name);
    void (async () => {
      for await (const ev of sub) {
        await this.#channel.room();
        await each(ev);
      }
    })().then(
      () => {
        this.#open.delete(name);
        this.#maybeEnd();
      },
      (err: unknown) => this.#end(err),
    );
  }

  #sawStop(stop: RunStop): void {
    if (this.#stop !== undefined) return;
    this.#stop = stop;
    this.#stopTimer = setTimeout(() => this.#end(), this.#options.afterStopMs ?? 10_000);
    this.#maybeEnd();
  }

  #maybeEnd(): void {
    if (this.#stop !== undefined && this.#open.size === 0) this.#end();
  }

  #end(error?: unknown): void {
    if (this.#channel.done) return;
    if (this.#stopTimer) clearTimeout(this.#stopTimer);
    for (const sub of this.#subs.values()) sub.close();
    // The stop is the last event, after every row the writer sent before it.
    if (error === undefined && this.#stop !== undefined) this.#channel.push({ kind: "stop", stop: this.#stop });
    this.#channel.end(error);
  }
}

/** About how much memory an event holds: its Arrow buffers or array bytes (small events count a little). */
function runEventBytes(ev: RunEvent): number {
  if (ev.kind === "rows") return ev.table.data.reduce((n, batch) => n + batch.byteLength, 0) + 256;
  if (ev.kind === "array" && ev.event.kind === "data") return ev.event.array.data.byteLength + 256;
  return 256;
}

/** Follow a run (path "catalog/<uid>") until its stop document. */
export function followRun(path: string, options: FollowRunOptions = {}): RunFollower {
  return new RunFollower(path, options);
}
