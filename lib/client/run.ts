/**
 * client/run.ts — a Bluesky run (spec BlueskyRun): its start and stop documents and its streams.
 *
 * TiledWriter stores a run as a container keyed by the start uid, with metadata `{start, stop}`
 * and one child container per stream. An older layout put the streams under a `streams` child;
 * `get("primary")` and `streamNames()` handle both, as bluesky-tiled-plugins does.
 *
 * @example
 * const run = await catalog.get("ae762f9c-4933-4aa4-a720-147f4aaab6fd", { kind: "run" });
 * run.start.plan_name;              // "push_images"
 * run.stop?.exit_status;            // "success"
 * await run.streamNames();          // ["primary"]
 * const primary = await run.stream("primary");
 */
import { TiledError, isTiledError } from "../errors.js";
import { RunStart, RunStop } from "../schemas/bluesky.js";
import { parseWith } from "../parse.js";
import type { Parser } from "../parse.js";
import type { RequestOptions } from "../http/types.js";
import type { BaseClient } from "./base.js";
import { Container } from "./container.js";
import type { BlueskyEventStream } from "./stream.js";

export class BlueskyRun extends Container {
  #layout: Promise<{ namespace: boolean; names: string[] }> | undefined;

  /** The run start document (Python: `run.start`). */
  get start(): RunStart {
    return parseWith(RunStart, this.metadata.start, this.uri);
  }

  /**
   * The start document with a facility's own keys typed as well (they are `unknown` in `start`).
   * A key of the wrong type is "invalid-response", naming it.
   *
   * @example
   * const start = run.startWith({ title: z.string(), sample_thickness_mm: z.number().optional() });
   * start.title;   // string
   */
  startWith<S extends Record<string, Parser<unknown>>>(shape: S): RunStart & { [K in keyof S]: S[K] extends Parser<infer T> ? T : never } {
    const start = this.start;
    const out: Record<string, unknown> = { ...start };
    for (const [key, schema] of Object.entries(shape)) {
      const result = schema.safeParse(start[key]);
      if (!result.success) {
        const why = result.error.issues.map((issue) => issue.message).join("; ");
        throw new TiledError("invalid-response", `The run's start document does not match the schema given to startWith at ${key}: ${why}.`, { url: this.uri });
      }
      out[key] = result.data;
    }
    // Each key was checked by its own schema just above; the object's type says what they gave.
    return out as RunStart & { [K in keyof S]: S[K] extends Parser<infer T> ? T : never };
  }

  /** The run stop document, or null while the run has not ended (Python: `run.stop`). */
  get stop(): RunStop | null {
    const stop = this.metadata.stop;
    return stop === undefined || stop === null ? null : parseWith(RunStop, stop, this.uri);
  }

  /** The run's uid (its key in the catalog). */
  get uid(): string {
    return this.start.uid;
  }

  async #readLayout(options: RequestOptions): Promise<{ namespace: boolean; names: string[] }> {
    const keys: string[] = [];
    for await (const key of this.keys(options)) keys.push(key);
    if (!keys.includes("streams")) return { namespace: false, names: keys };
    const streams = await super.lookup(["streams"], options);
    if (streams.specs.some((s) => s.name === "BlueskyEventStream")) return { namespace: false, names: keys };
    const names: string[] = [];
    if (streams instanceof Container) for await (const key of streams.keys(options)) names.push(key);
    return { namespace: true, names };
  }

  #getLayout(options: RequestOptions = {}): Promise<{ namespace: boolean; names: string[] }> {
    if (!this.#layout) {
      this.#layout = this.#readLayout(options);
      this.#layout.catch(() => {
        this.#layout = undefined;
      });
    }
    return this.#layout;
  }

  /** True when the streams sit under a `streams` child (the older TiledWriter layout). */
  async hasStreamsNamespace(options: RequestOptions = {}): Promise<boolean> {
    return (await this.#getLayout(options)).namespace;
  }

  /** The names of the run's streams ("primary", "baseline", …), in either layout. */
  async streamNames(options: RequestOptions = {}): Promise<string[]> {
    return [...(await this.#getLayout(options)).names];
  }

  /** A stream by name (Python: `run["primary"]`); a name the run lacks is not-found, listing the streams it has. */
  async stream(name: string, options: RequestOptions = {}): Promise<BlueskyEventStream> {
    try {
      return await this.get(name, { ...options, kind: "stream" });
    } catch (err) {
      if (!isTiledError(err, "not-found")) throw err;
      const names = await this.streamNames(options);
      if (names.includes(name)) throw err;
      throw new TiledError(
        "not-found",
        `Run ${this.key} has no stream ${JSON.stringify(name)}; it has ${names.length ? names.map((n) => JSON.stringify(n)).join(", ") : "no streams"}.`,
        { url: err.url, status: 404, cause: err },
      );
    }
  }

  protected override async lookup(keys: readonly string[], options: RequestOptions = {}): Promise<BaseClient> {
    try {
      return await super.lookup(keys, options);
    } catch (err) {
      // Not found: the key may be written for the other layout ("streams/primary" or "primary").
      if (!isTiledError(err, "not-found")) throw err;
      const layout = await this.#getLayout(options);
      if (layout.namespace && keys[0] !== "streams") return super.lookup(["streams", ...keys], options);
      if (!layout.namespace && keys[0] === "streams" && keys.length > 1) return super.lookup(keys.slice(1), options);
      if (!layout.namespace && keys[0] === "streams") {
        throw new TiledError("not-found", `This run has no "streams" namespace (the current layout): use the stream names directly, e.g. run.get("primary").`, { url: err.url, status: 404 });
      }
      throw err;
    }
  }
}

