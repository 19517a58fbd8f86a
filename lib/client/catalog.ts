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
import { PartialUID, rewriteBlueskyQuery } from "../bluesky-queries.js";
import { badInput, isTiledError, TiledError } from "../errors.js";
import { Eq, Like, hasKey, isBlueskyQuery } from "../queries.js";
import type { Query } from "../queries.js";
import type { DistinctResponse } from "../schemas/node.js";
import type { RequestOptions } from "../http/types.js";
import { Container } from "./container.js";
import { catalogLayout } from "./kinds.js";
import type { BlueskyLayout } from "./kinds.js";
import type { BlueskyRun } from "./run.js";

/** True for a key of the stop document ("stop.exit_status"). */
export function isStopKey(query: Query): boolean {
  return hasKey(query) && query.key.startsWith("stop.");
}

/** Put `start.` in front of a key that starts with neither `start.` nor `stop.` (catalogs of runs). */
export function withStartPrefix(query: Query): Query {
  if (!hasKey(query)) return query;
  if (query.key.startsWith("start.") || query.key.startsWith("stop.")) return query;
  return { ...query, key: `start.${query.key}` };
}

/** What a listing of runs asks for: everything a BlueskyRun client uses, without structure and count. */
export const RUN_LISTING_FIELDS: readonly string[] = ["metadata", "specs", "structure_family", "sorting"];

export class CatalogOfBlueskyRuns extends Container {
  protected override listingFields(): readonly string[] {
    return RUN_LISTING_FIELDS;
  }

  /** How the server lays out runs ("tiledwriter": SQL catalog; "databroker": MongoAdapter), from the spec's version. */
  get layout(): BlueskyLayout {
    return catalogLayout(this.specs);
  }

  protected override prepareQuery(query: Query): Query[] {
    if (this.layout === "tiledwriter") return isBlueskyQuery(query) ? rewriteBlueskyQuery(query) : [withStartPrefix(query)];
    // databroker runs the Bluesky queries itself, and strips `start.` from keys itself.
    if (isStopKey(query)) {
      throw new TiledError(
        "unsupported-query",
        `${query.name} on a stop-document key: this catalog (databroker's MongoAdapter) searches the start document only, ` +
          "so the server would silently match nothing (or everything, for noteq). Filter on start keys, or check run.stop yourself.",
        { url: this.searchUrl },
      );
    }
    return [isBlueskyQuery(query) ? query : withStartPrefix(query)];
  }

  /**
   * databroker sorts by bare start-document keys and answers 500 for `start.time`, for stop keys and
   * for more than one key; the keys are mapped (`start.time` → `time`) and the rest refused here.
   */
  override sortParams(direction: 1 | -1 = 1): string[] {
    const params = super.sortParams(direction);
    if (this.layout === "tiledwriter") return params;
    const mapped = params.filter((p) => p.replace(/^-/, "") !== "").map((p) => p.replace(/^(-?)start\./, "$1"));
    const bad = mapped.find((p) => /^-?(stop|summary)\./.test(p));
    if (bad) throw badInput(`Sorting by ${bad.replace(/^-/, "")}: this catalog (databroker) sorts by start-document keys only.`);
    if (mapped.length > 1) throw badInput(`Sorting by ${mapped.length} keys: this catalog (databroker) sorts by one key only (its server fails on more).`);
    return mapped;
  }

  override async distinct(metadataKeys: readonly string[], options: RequestOptions & { counts?: boolean } = {}): Promise<DistinctResponse> {
    // databroker takes bare keys and reports them back as start.<key> / stop.<key>.
    const keys = this.layout === "databroker" ? metadataKeys.map((k) => k.replace(/^(start|stop)\./, "")) : metadataKeys;
    return super.distinct(keys, options);
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
    if (typeof partial !== "string" || partial.length < 5) throw badInput(`Partial uid ${JSON.stringify(partial)} is too short. It must include at least 5 characters.`);
    if (!/^[0-9a-fA-F-]+$/.test(partial)) throw badInput(`Partial uid ${JSON.stringify(partial)} may hold only hexadecimal digits and dashes.`);
    // databroker has no Like; it runs PartialUID itself (and refuses several matches with a 400).
    const query = this.layout === "databroker" ? PartialUID(partial) : Like("start.uid", `${partial}%`);
    let matches: BlueskyRun[];
    try {
      matches = await this.search(query).values({ ...options, kind: "run" }).head(2);
    } catch (err) {
      if (isTiledError(err, "http") && err.status === 400 && /multiple matches/i.test(String(err.detail))) {
        throw badInput(`Partial uid ${partial} has multiple matches. Include more characters to get a unique match.`);
      }
      throw err;
    }
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

