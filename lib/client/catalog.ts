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
import { badInput, TiledError } from "../errors.js";
import { Eq, KeyPresent, hasKey, isBlueskyQuery, queriesToParams } from "../queries.js";
import type { Query } from "../queries.js";
import { SearchPage } from "../schemas/node.js";
import type { DistinctResponse } from "../schemas/node.js";
import type { RequestOptions } from "../http/types.js";
import { withParams } from "../urls.js";
import { getPath } from "../loose.js";
import { Container } from "./container.js";
import { databrokerPlacement, databrokerQuery, isStopKey } from "./databroker-queries.js";
import { catalogLayout } from "./kinds.js";
import type { BlueskyLayout } from "./kinds.js";
import type { BlueskyRun } from "./run.js";

export { isStopKey };

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
    // databroker runs the Bluesky queries itself, strips `start.` from keys itself, and is sent
    // what answers as the SQL catalog would (client/databroker-queries.ts).
    return databrokerQuery(isBlueskyQuery(query) ? query : withStartPrefix(query), this.searchUrl);
  }

  protected override queryPlacement(query: Query): "server" | "client" | "both" {
    return this.layout === "databroker" ? databrokerPlacement(query) : "server";
  }

  /**
   * A sort key as both layouts understand it. On the SQL catalog a bare key is a start-document key
   * (`time` → `start.time`), as on databroker, which sorts by bare start-document keys and answers
   * 500 for `start.time`, for stop keys and for more than one key; its keys are mapped
   * (`start.time` → `time`) and the rest refused here.
   */
  override sortParams(direction: 1 | -1 = 1): string[] {
    const params = super.sortParams(direction);
    if (this.layout === "tiledwriter") {
      return params.map((p) => {
        const sign = p.startsWith("-") ? "-" : "";
        const key = p.slice(sign.length);
        return key === "" || key.startsWith("start.") || key.startsWith("stop.") ? p : `${sign}start.${key}`;
      });
    }
    const mapped = params.filter((p) => p.replace(/^-/, "") !== "").map((p) => p.replace(/^(-?)start\./, "$1"));
    const bad = mapped.find((p) => /^-?(stop|summary)\./.test(p));
    if (bad) throw badInput(`Sorting by ${bad.replace(/^-/, "")}: this catalog (databroker) sorts by start-document keys only.`);
    if (mapped.length > 1) throw badInput(`Sorting by ${mapped.length} keys: this catalog (databroker) sorts by one key only (its server fails on more).`);
    return mapped;
  }

  /**
   * The kind of value the first run that has `key` holds ("number", "string", "boolean", "list",
   * "object", "null", or "absent"), asked once per catalog and key (a KeyPresent search, one run).
   */
  protected async valueKind(key: string, options: RequestOptions): Promise<string> {
    const cacheKey = `${this.path.join("/")}\u0000${key}`;
    const known = this.context.valueKinds.get(cacheKey);
    if (known !== undefined) return known;
    const url = withParams(this.searchUrl, [...queriesToParams([KeyPresent(key)]), ["fields", "metadata"], ["page[limit]", "1"]]);
    const page = await this.context.transport.getJson(url, SearchPage, options);
    const value = page.data.length ? getPath(page.data[0].attributes.metadata, key) : undefined;
    const kind = value === undefined ? "absent" : value === null ? "null" : Array.isArray(value) ? "list" : typeof value;
    this.context.valueKinds.set(cacheKey, kind);
    return kind;
  }

  /**
   * tiled's SQL catalog sorts by a key's JSON text, so numbers sort as text (scan_id 1, 103, 1059,
   * 107, …): a sort by a key whose values are numbers is refused, rather than answered in a wrong
   * order. Times (`start.time`, `stop.time`) are let through: epoch seconds of 2001-2286 have ten
   * integer digits, so their text order is their order.
   */
  protected override async checkSorting(options: RequestOptions): Promise<void> {
    if (this.layout !== "tiledwriter") return;
    for (const param of this.sortParams()) {
      const key = param.replace(/^-/, "");
      if (key === "" || /^(start|stop)\.time$/.test(key)) continue;
      if ((await this.valueKind(key, options)) === "number") {
        throw new TiledError(
          "unsupported-query",
          `Sorting by ${key}: tiled's SQL catalog sorts a key by its JSON text, so numbers would come in text order (1, 103, 1059, 107, …, 97, 971), not by value. ` +
            "Sort by start.time (scan ids grow with time), or sort the runs yourself after reading them.",
          { url: this.searchUrl },
        );
      }
    }
  }

  /**
   * tiled's SQL catalog compares a list (`detectors: ["adsimdet"]`) as its JSON text: Eq("detectors",
   * "adsimdet") finds nothing, NotEq finds every run, where databroker (MongoDB) asks whether the
   * list holds the value. Such a comparison on a key whose values are lists is refused on SQL.
   */
  protected override async checkServerQueries(queries: readonly Query[], options: RequestOptions): Promise<void> {
    if (this.layout !== "tiledwriter") return;
    for (const query of queries) {
      if (!["eq", "noteq", "in", "notin", "comparison"].includes(query.name) || !hasKey(query)) continue;
      const kind = await this.valueKind(query.key, options);
      if (kind === "list" || kind === "object") {
        throw new TiledError(
          "unsupported-query",
          `${query.name} on ${query.key}: its values are ${kind === "list" ? "lists" : "objects"}, which tiled's SQL catalog compares as JSON text, so the answer would be wrong ` +
            `(databroker asks whether the list holds the value). Use Contains(${JSON.stringify(query.key)}, …): a substring of the list's text, on both layouts.`,
          { url: this.searchUrl },
        );
      }
    }
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
    // Rewritten for each layout by search(): a LIKE prefix on SQL, a regex on databroker.
    const matches = await this.search(PartialUID(partial)).values({ ...options, kind: "run" }).head(2);
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

