/**
 * live/catalog.ts — a catalog's new runs, and their stop documents, as they happen.
 *
 * A run appears as `container-child-created` (its metadata holds the start document). Its stop
 * document arrives here too, as `container-child-metadata-updated` with the run's whole metadata:
 * tiled publishes metadata changes on the *parent* of the changed node, so the run's own
 * connection never sees its stop. A catalog connection is never closed by the server.
 *
 * @example
 * import { subscribeCatalog } from "./lib/live/catalog.js";
 * const cat = subscribeCatalog("live", { signal: AbortSignal.timeout(120_000) });
 * for await (const ev of cat) {
 *   if (ev.kind === "run") console.log("started", ev.key, ev.start.plan_name);
 *   if (ev.kind === "stop") { console.log("stopped", ev.key, ev.stop.exit_status); break; }
 * }
 */
import { TiledError } from "../errors.js";
import { RunStart, RunStop } from "../schemas/bluesky.js";
import { SubscriptionView } from "./subscription.js";
import type { LiveEvent, SubscribeOptions } from "./subscription.js";

type Doc = Record<string, unknown>;

export type CatalogEvent =
  /** A new run (a child with the BlueskyRun spec): `start` is its start document. */
  | { kind: "run"; key: string; start: RunStart; metadata: Doc; sequence: number }
  /** A run's metadata gained a stop document. */
  | { kind: "stop"; key: string; stop: RunStop; metadata: Doc; sequence: number }
  /** Another child was created, or a child's metadata changed otherwise. */
  | { kind: "child"; key: string; structureFamily: string; metadata: Doc; sequence: number }
  | { kind: "metadata"; key: string; metadata: Doc; sequence: number }
  | Exclude<LiveEvent, { kind: "update" }>;

export class CatalogSubscription extends SubscriptionView implements AsyncIterable<CatalogEvent> {
  /** Resolves once connected: subscribe first, then start the run you want to see. */
  get connected(): Promise<void> {
    this.subscription.start();
    return this.subscription.schema.then(() => undefined);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CatalogEvent> {
    for await (const ev of this.subscription) {
      if (ev.kind !== "update") {
        yield ev;
        continue;
      }
      const m = ev.message;
      if (m.type === "container-child-created") {
        const isRun = m.specs.some((s) => s.name === "BlueskyRun");
        const start = RunStart.safeParse(m.metadata.start);
        if (isRun && start.success) yield { kind: "run", key: m.key, start: start.data, metadata: m.metadata, sequence: m.sequence };
        else yield { kind: "child", key: m.key, structureFamily: m.structure_family, metadata: m.metadata, sequence: m.sequence };
      } else if (m.type === "container-child-metadata-updated") {
        const stop = RunStop.safeParse(m.metadata.stop);
        if (stop.success) yield { kind: "stop", key: m.key, stop: stop.data, metadata: m.metadata, sequence: m.sequence };
        else yield { kind: "metadata", key: m.key, metadata: m.metadata, sequence: m.sequence };
      }
    }
  }
}

/** Subscribe to a catalog's new runs and stop documents (live only unless `start` is given). */
export function subscribeCatalog(path: string, options: SubscribeOptions = {}): CatalogSubscription {
  return new CatalogSubscription(path, options);
}

/** Wait for the next run created in a catalog; resolves with its key and start document. */
export async function nextRun(catalog: CatalogSubscription): Promise<Extract<CatalogEvent, { kind: "run" }>> {
  for await (const ev of catalog) if (ev.kind === "run") return ev;
  throw new TiledError("aborted", "The catalog subscription ended before a new run was created.");
}
