/**
 * client/databroker-queries.ts — what each query becomes on a databroker (MongoAdapter) catalog of
 * runs, so that it answers as on tiled's SQL catalog, or is refused where it cannot.
 *
 * The same Python search gives different answers on the two layouts (server/oracle/query_matrix.py
 * found 70 of 149 disagreeing). This client sends databroker the query that means what the SQL
 * catalog means, using what databroker runs (its own queries and MongoDB regular expressions):
 *
 * | query | SQL catalog | sent to databroker as | so |
 * |---|---|---|---|
 * | `ScanID`, `ScanIDRange` | rewritten into `eq` / `comparison`: every run with the id | `scan_id` / `scan_id_range` with `duplicates: "all"` (its default "latest" keeps one run per id) | agree |
 * | `PartialUID("ae76")` | `like "ae76%"`, any length, every match | a case-insensitive regex `^ae76` (its `partial_uid` refuses < 5 characters and several matches) | agree |
 * | `Like(key, "push%")` | SQL LIKE (`%`, `_`, ASCII case-insensitive) | the same pattern as a case-insensitive anchored regex (databroker has no `like`) | agree on text values |
 * | `Contains(key, "push")` | LIKE `%push%` on the value's text (a substring; on a list, of its JSON text) | a case-insensitive regex for the substring (its `contains` is equality) | agree on text and lists of text |
 * | `NotEq`, `NotIn` | runs that have the key (NULL is neither equal nor not) | sent, then runs without the key are dropped here (MongoDB's `$ne` keeps them) | agree |
 * | `KeyPresent` | registered | not registered: checked here on each run's metadata | agree |
 * | `FullText` | FTS5 syntax, quoted by the client | as written (MongoDB `$text` syntax), as Python sends it | differ: see FullText |
 * | a `stop.` key | the stop document | refused: databroker searches the start document only (it would match nothing, or everything for noteq) | refused |
 *
 * A query checked here makes `count()` walk the results with their metadata, as a client-side regex
 * does on SQL: narrow the search with server-side queries first on a large catalog.
 *
 * @example
 * databrokerQuery(ScanIDRange(1700, 1800), url);        // [{ name: "scan_id_range", …, duplicates: "all" }]
 * databrokerQuery(Like("start.plan_name", "push%"), url); // [Regex("start.plan_name", "^push[\s\S]*$", false)]
 * databrokerPlacement(NotEq("start.sample", "x"));      // "both": sent, and checked again here
 */
import { TiledError, badInput } from "../errors.js";
import { escapeRegex, likeToRegex } from "../loose.js";
import { Regex, hasKey } from "../queries.js";
import type { Query } from "../queries.js";

/** True for a key of the stop document ("stop.exit_status"). */
export function isStopKey(query: Query): boolean {
  return hasKey(query) && query.key.startsWith("stop.");
}

/**
 * The queries sent for `query` (its key already under `start.`). Refuses a stop-document key, and
 * Contains with a value that is not text (databroker's regex matches text only).
 */
export function databrokerQuery(query: Query, url: string): Query[] {
  if (isStopKey(query)) {
    throw new TiledError(
      "unsupported-query",
      `${query.name} on a stop-document key: this catalog (databroker's MongoAdapter) searches the start document only, ` +
        "so the server would silently match nothing (or everything, for noteq). Filter on start keys, or check run.stop yourself.",
      { url },
    );
  }
  switch (query.name) {
    case "fulltext":
      return [{ ...query, raw: true }];
    case "scan_id":
    case "scan_id_range":
      return [{ ...query, duplicates: "all" }];
    case "partial_uid":
      if (query.partial_uids.length > 1) throw badInput("Search on multiple PartialUIDs in one query is no longer supported.");
      return [Regex("start.uid", `^${escapeRegex(query.partial_uids[0])}`, false)];
    case "like":
      return [Regex(query.key, likeToRegex(query.pattern), false)];
    case "contains":
      if (typeof query.value !== "string") {
        throw new TiledError(
          "unsupported-query",
          `Contains(${JSON.stringify(query.key)}, ${String(query.value)}): on this catalog (databroker) Contains can match text only; ` +
            "use Eq or In for a number or a boolean.",
          { url },
        );
      }
      // LIKE '%value%': `%` and `_` in the value are wildcards there too.
      return [Regex(query.key, likeToRegex(`%${query.value}%`), false)];
    default:
      return [query];
  }
}

/** Where a query (as databrokerQuery returned it) runs on a databroker catalog; see Container.queryPlacement. */
export function databrokerPlacement(query: Query): "server" | "client" | "both" {
  if (query.name === "keypresent") return "client";
  if (query.name === "noteq" || query.name === "notin") return "both";
  return "server";
}
