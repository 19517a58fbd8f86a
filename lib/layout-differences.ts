/**
 * layout-differences.ts — where tiled's SQL catalog (TiledWriter's layout) and databroker's
 * MongoAdapter answer the same search differently, and what this client does about each.
 *
 * Found by asking both with tiled's Python client (server/oracle/query_matrix.py: 70 of 149 searches
 * disagree there) and pinned by lib/test/layouts.live.test.ts (this client on both replicas, against
 * Python) and server/tests/test_query_matrix.py (the servers themselves). Three outcomes:
 *
 * - `agree`: the client sends each server what gives the SQL catalog's answer (the layout of today's
 *   Bluesky), so the same code gets the same runs on both;
 * - `refuse`: where one layout would answer wrongly (or fail), a TiledError before anything is sent;
 * - `differ`: the engines legitimately mean different things (full-text search); documented here and
 *   at `FullText`, not hidden.
 *
 * @example
 * import { LAYOUT_DIFFERENCES } from "tiled-client";
 * for (const d of LAYOUT_DIFFERENCES) console.log(d.topic, d.client);
 */

export interface LayoutDifference {
  topic: string;
  /** What tiled's SQL catalog does with it. */
  sql: string;
  /** What databroker's MongoAdapter does with it. */
  databroker: string;
  /** What the client does: answers that agree, a refusal, or a documented difference. */
  client: "agree" | "refuse" | "differ";
  /** How. */
  how: string;
}

export const LAYOUT_DIFFERENCES: readonly LayoutDifference[] = [
  {
    topic: "FullText",
    sql: "SQLite FTS5 over the start and stop documents, keys too; every word required; `pow*` a prefix; `-`, `.`, AND/OR/NOT are syntax",
    databroker: "MongoDB text search over the start document's text values; any word matches, a \"phrase\" is required, `-word` excludes",
    client: "differ",
    how: "each engine gets the text in its own syntax: quoted for FTS5 (its operators become words, never a 500), as written to MongoDB (as Python sends it). One word of the start document answers alike",
  },
  {
    topic: "NotEq / NotIn on a key some runs lack",
    sql: "runs without the key are left out (NULL is neither equal nor not)",
    databroker: "runs without the key are included (`$ne`, `$nin`)",
    client: "agree",
    how: "sent to databroker, whose answer is checked again here: runs without the key are dropped",
  },
  {
    topic: "a stop-document key (stop.exit_status)",
    sql: "searches the stop document",
    databroker: "searches the start document only: matches nothing (everything for NotEq)",
    client: "refuse",
    how: "unsupported-query on databroker; check run.stop yourself",
  },
  {
    topic: "Contains",
    sql: "LIKE '%text%' on the value's text: a case-insensitive substring (of a list's JSON text)",
    databroker: "equality (for a list: has the element)",
    client: "agree",
    how: "sent to databroker as a case-insensitive regex for the substring; a number or boolean is refused there (use Eq or In)",
  },
  {
    topic: "Eq with a list",
    sql: "HTTP 500 (no SQL cast for a list)",
    databroker: "array equality",
    client: "refuse",
    how: "bad-input on both before sending: use In",
  },
  {
    topic: "Eq, NotEq, In, NotIn, Comparison on a list-valued key (detectors)",
    sql: "compares the list's JSON text: Eq(\"detectors\", \"adsimdet\") finds nothing, NotEq every run",
    databroker: "asks whether the list holds the value",
    client: "refuse",
    how: "unsupported-query on SQL (the first run with the key tells its values are lists): use Contains, which agrees on both",
  },
  {
    topic: "Like, KeyPresent (SQL only), Regex (databroker only)",
    sql: "Like and KeyPresent run; Regex is a 400",
    databroker: "Regex runs; Like and KeyPresent are a 400",
    client: "agree",
    how: "Like as a case-insensitive anchored regex on databroker; KeyPresent checked here on databroker; Regex checked here (RE2) on SQL",
  },
  {
    topic: "PartialUID",
    sql: "rewritten to LIKE 'abc%': any length, every match",
    databroker: "partial_uid: 400 under 5 characters or for several matches",
    client: "agree",
    how: "sent to databroker as a case-insensitive regex ^abc; catalog.partialUid() wants 5 characters and one match on both",
  },
  {
    topic: "ScanID / ScanIDRange with duplicate scan ids",
    sql: "rewritten to eq / comparison: every run with the id",
    databroker: "duplicates \"latest\" by default: one run per id (88 runs where there are 95)",
    client: "agree",
    how: "databroker is asked for duplicates \"all\"; catalog.scanId(n) picks the latest on both",
  },
  {
    topic: "sort by a number (start.scan_id)",
    sql: "sorts the JSON text: 1, 103, 1059, 107, …, 97, 971",
    databroker: "sorts numbers as numbers",
    client: "refuse",
    how: "unsupported-query on SQL for a key whose values are numbers (start.time and stop.time excepted: epoch seconds sort right as text)",
  },
  {
    topic: "sort keys: start.time vs time",
    sql: "dotted keys; a bare key is missing, so nothing is sorted (insertion order)",
    databroker: "bare start-document keys; start.time is a 500",
    client: "agree",
    how: "a bare key means start.<key> on SQL; start.<key> is sent bare to databroker",
  },
  {
    topic: "sort by two keys, or by a stop key",
    sql: "sorts",
    databroker: "HTTP 500",
    client: "refuse",
    how: "bad-input on databroker",
  },
];
