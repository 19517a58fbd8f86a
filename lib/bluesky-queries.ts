/**
 * bluesky-queries.ts — TimeRange, ScanID, ScanIDRange and PartialUID, rewritten on the client.
 *
 * bluesky-tiled-plugins registers these names, but the SQL catalog implements none of them; its
 * Python client (`CatalogOfBlueskyRuns.search`) rewrites each into standard queries, and so does
 * this module: TimeRange → Comparison ge/lt on `start.time` (dates read in the given IANA zone),
 * ScanID → Eq on `start.scan_id`, ScanIDRange → Comparison ge/lt on `start.scan_id`, PartialUID →
 * Like `"abc%"` on `start.uid`. On a catalog of runs a bare key gets `start.` put in front.
 *
 * @example
 * const q = TimeRange({ since: "2022-05-01", until: "2022-11-01", timezone: "US/Central" });
 * rewriteBlueskyQuery(q);
 * // [Comparison("ge", "start.time", 1651381200), Comparison("lt", "start.time", 1667278800)]
 * const runs = catalog.search(q).search(ScanID(1960));
 * withStartPrefix(Eq("plan_name", "scan"));                 // Eq("start.plan_name", "scan")
 */
import { badInput } from "./errors.js";
import { Comparison, Eq, Like } from "./queries.js";
import type { Query } from "./queries.js";
import { checkZone, isotimeToTimestamp } from "./time.js";

export type Duplicates = "latest" | "all" | "error";

export interface TimeRangeQuery {
  readonly name: "time_range";
  readonly timezone: string;
  /** Epoch seconds, inclusive. */
  readonly since?: number;
  /** Epoch seconds, exclusive. */
  readonly until?: number;
}
export interface ScanIDQuery { readonly name: "scan_id"; readonly scan_ids: readonly number[]; readonly duplicates: Duplicates }
export interface ScanIDRangeQuery { readonly name: "scan_id_range"; readonly start_id: number; readonly end_id: number; readonly duplicates: Duplicates }
export interface PartialUIDQuery { readonly name: "partial_uid"; readonly partial_uids: readonly string[] }

/** A Bluesky convenience query: never sent as such, always rewritten. */
export type BlueskyQuery = TimeRangeQuery | ScanIDQuery | ScanIDRangeQuery | PartialUIDQuery;


function toEpoch(value: string | number | Date, timezone: string, what: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw badInput(`TimeRange: ${what} must be a finite epoch, not ${value}.`);
    return value;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw badInput(`TimeRange: ${what} is an invalid Date (new Date(…) could not parse its input). Give a valid Date, an ISO-8601 string or epoch seconds.`);
    return ms / 1000;
  }
  if (typeof value !== "string") throw badInput(`TimeRange: ${what} must be an ISO-8601 string, epoch seconds or a Date, not ${typeof value}.`);
  return isotimeToTimestamp(value, timezone);
}

/**
 * Runs whose `start.time` is in [since, until). Dates are ISO-8601 strings read in `timezone`
 * (an IANA name: "US/Central"), epoch seconds, or Date objects.
 */
export function TimeRange(options: { since?: string | number | Date; until?: string | number | Date; timezone: string }): TimeRangeQuery {
  checkZone(options.timezone);
  const since = options.since === undefined ? undefined : toEpoch(options.since, options.timezone, "since");
  const until = options.until === undefined ? undefined : toEpoch(options.until, options.timezone, "until");
  if (since !== undefined && until !== undefined && since > until) {
    throw badInput(`TimeRange: since (${String(options.since)}) must not be later than until (${String(options.until)}).`);
  }
  return { name: "time_range", timezone: options.timezone, since, until };
}

/** Runs with this scan_id. (Several ids in one query are no longer supported, as in Python.) */
export function ScanID(...scanIds: number[]): ScanIDQuery {
  if (scanIds.length === 0) throw badInput("ScanID: give at least one scan_id.");
  for (const id of scanIds) if (!Number.isInteger(id)) throw badInput(`ScanID: ${id} is not an integer.`);
  return { name: "scan_id", scan_ids: scanIds, duplicates: "latest" };
}

/** Runs with startId <= scan_id < endId. */
export function ScanIDRange(startId: number, endId: number): ScanIDRangeQuery {
  if (!Number.isInteger(startId) || !Number.isInteger(endId)) throw badInput(`ScanIDRange: ${startId} and ${endId} must be integers.`);
  return { name: "scan_id_range", start_id: startId, end_id: endId, duplicates: "latest" };
}

/** Runs whose uid starts with this text. */
export function PartialUID(...partialUids: string[]): PartialUIDQuery {
  if (partialUids.length === 0) throw badInput("PartialUID: give at least one partial uid.");
  return { name: "partial_uid", partial_uids: partialUids };
}

/** Rewrite a Bluesky query into standard tiled queries (chained: all must match). */
export function rewriteBlueskyQuery(query: BlueskyQuery): Exclude<Query, BlueskyQuery>[] {
  switch (query.name) {
    case "time_range": {
      const out: Exclude<Query, BlueskyQuery>[] = [];
      // Python skips a falsy bound (`if query.since:`), which would drop an epoch of 0 without a word.
      if (query.since !== undefined) out.push(Comparison("ge", "start.time", query.since));
      if (query.until !== undefined) out.push(Comparison("lt", "start.time", query.until));
      return out;
    }
    case "scan_id":
      if (query.scan_ids.length > 1) throw badInput("Search on multiple ScanIDs in one query is no longer supported.");
      return [Eq("start.scan_id", query.scan_ids[0])];
    case "scan_id_range":
      return [Comparison("ge", "start.scan_id", query.start_id), Comparison("lt", "start.scan_id", query.end_id)];
    case "partial_uid":
      if (query.partial_uids.length > 1) throw badInput("Search on multiple PartialUIDs in one query is no longer supported.");
      return [Like("start.uid", `${query.partial_uids[0]}%`)];
  }
}
