/**
 * client/catalog.ts — a catalog of Bluesky runs (spec CatalogOfBlueskyRuns): search in run terms.
 *
 * As bluesky-tiled-plugins' `CatalogOfBlueskyRuns`: a key without `start.` or `stop.` gets
 * `start.` put in front (`Eq("plan_name", …)` searches `start.plan_name`), Bluesky queries are
 * rewritten, and runs can be looked up by scan_id (the latest match) or by a partial uid.
 * A plain container of runs (without that spec) can be viewed as one with `asCatalogOfRuns`.
 *
 * @example
 * const bdp = asCatalogOfRuns(await client.get("bdp2022", { kind: "container" }));
 * const run = await bdp.scanId(1960);                  // latest run with start.scan_id == 1960
 * const same = await bdp.partialUid("ae762f9c");       // unique uid prefix (≥ 5 characters)
 * await bdp.search(Eq("plan_name", "push_images")).count();   // searches start.plan_name
 */
import type { BlueskyQuery } from "../bluesky-queries";
import { isBlueskyQuery, rewriteBlueskyQuery, withStartPrefix } from "../bluesky-queries";
import { badInput, TiledError } from "../errors";
import { Eq, Like } from "../queries";
import type { Query } from "../queries";
import type { RequestOptions } from "../transport";
import { Container } from "./container";
import { registerSpecClient } from "./registry";
import type { BlueskyRun } from "./run";

export class CatalogOfBlueskyRuns extends Container {
  protected override prepareQuery(query: Query | BlueskyQuery): Query[] {
    return isBlueskyQuery(query) ? rewriteBlueskyQuery(query) : [withStartPrefix(query)];
  }

  /** The latest run (in this catalog's order) with this scan_id; "not-found" if none. */
  async scanId(scanId: number, options: RequestOptions = {}): Promise<BlueskyRun> {
    if (!Number.isInteger(scanId)) throw badInput(`scan_id ${scanId} is not an integer.`);
    const results = this.search(Eq("start.scan_id", scanId));
    try {
      return await results.values({ ...options, kind: "run" }).last();
    } catch (err) {
      if (err instanceof TiledError && err.code === "not-found") throw new TiledError("not-found", `No run with scan_id ${scanId} in /${this.path.join("/")}.`, { status: 404 });
      throw err;
    }
  }

  /** The one run whose uid starts with `partial` (at least 5 characters); bad-input if several match. */
  async partialUid(partial: string, options: RequestOptions = {}): Promise<BlueskyRun> {
    if (partial.length < 5) throw badInput(`Partial uid ${JSON.stringify(partial)} is too short. It must include at least 5 characters.`);
    const matches = await this.search(Like("start.uid", `${partial}%`)).values({ ...options, kind: "run" }).head(2);
    if (matches.length > 1) throw badInput(`Partial uid ${partial} has multiple matches. Include more characters to get a unique match.`);
    if (matches.length === 0) throw new TiledError("not-found", `No run whose uid starts with ${partial} in /${this.path.join("/")}.`, { status: 404 });
    return matches[0];
  }
}

/** View any container of runs as a CatalogOfBlueskyRuns (start. prefixing, scanId, partialUid). */
export function asCatalogOfRuns(container: Container): CatalogOfBlueskyRuns {
  if (container instanceof CatalogOfBlueskyRuns) return container;
  return new CatalogOfBlueskyRuns(container.context, container.item, container.path, container.state);
}

registerSpecClient("CatalogOfBlueskyRuns", CatalogOfBlueskyRuns);
