/**
 * queries.ts — typed builders for every query tiled registers, and their URL encoding.
 *
 * Names and fields mirror `tiled.queries`: Eq, NotEq, Comparison, Contains, In, NotIn, Like,
 * FullText, KeyPresent, SpecsQuery, StructureFamilyQuery, Regex, KeysFilter, KeyLookup, and `Key`
 * for `Key("start.plan_name").eq("scan")`. A query is plain data with a `name`; `queriesToParams`
 * writes the `filter[<name>][condition][<field>]=…` parameters the server reads (values JSON-encoded
 * where tiled's `encode()` does). Loose-match rules: see loose.ts. Bluesky conveniences: bluesky-queries.ts.
 *
 * @example
 * const q = Key("start.plan_name").eq("push_images");        // Eq("start.plan_name", "push_images")
 * queriesToParams([q, Comparison("ge", "start.time", 1651381200)]);
 * // [["filter[eq][condition][key]", "start.plan_name"], ["filter[eq][condition][value]", '"push_images"'],
 * //  ["filter[comparison][condition][operator]", "ge"], …]
 * await catalog.search(q).count();
 */
import { badInput, TiledError } from "./errors.js";
import { fulltextQuote } from "./loose.js";
import type { BlueskyQuery } from "./bluesky-queries.js";
import type { StructureFamily } from "./schemas/structures.js";

/** A JSON value, as metadata values are. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type Operator = "lt" | "le" | "gt" | "ge";

export interface EqQuery { readonly name: "eq"; readonly key: string; readonly value: ScalarValue }
export interface NotEqQuery { readonly name: "noteq"; readonly key: string; readonly value: ScalarValue }
export interface ComparisonQuery { readonly name: "comparison"; readonly operator: Operator; readonly key: string; readonly value: ScalarValue }
export interface ContainsQuery { readonly name: "contains"; readonly key: string; readonly value: ScalarValue }
export interface InQuery { readonly name: "in"; readonly key: string; readonly value: readonly ScalarValue[] }
export interface NotInQuery { readonly name: "notin"; readonly key: string; readonly value: readonly ScalarValue[] }
export interface LikeQuery { readonly name: "like"; readonly key: string; readonly pattern: string }
/**
 * `text` as the caller wrote it; `raw`: send it as it is. Otherwise it is quoted for SQLite FTS5 when
 * sent (loose.ts fulltextQuote), except to a databroker catalog, whose MongoDB text search takes the
 * text as written (client/databroker-queries.ts sets `raw`).
 */
export interface FullTextQuery { readonly name: "fulltext"; readonly text: string; readonly raw: boolean }
export interface KeyPresentQuery { readonly name: "keypresent"; readonly key: string; readonly exists: boolean }
export interface SpecsQuery { readonly name: "specs"; readonly include: readonly string[]; readonly exclude: readonly string[] }
export interface StructureFamilyQuery { readonly name: "structure_family"; readonly value: StructureFamily }
export interface RegexQuery { readonly name: "regex"; readonly key: string; readonly pattern: string; readonly case_sensitive: boolean }
export interface KeysFilterQuery { readonly name: "keys_filter"; readonly keys: readonly string[] }
export interface KeyLookupQuery { readonly name: "lookup"; readonly key: string }

/**
 * Any query tiled registers. The Bluesky ones (TimeRange, ScanID, ScanIDRange, PartialUID) are sent
 * as such only to a catalog that runs them itself (databroker's MongoAdapter); an SQL catalog gets
 * them rewritten on the client (bluesky-queries.ts).
 */
export type Query =
  | BlueskyQuery
  | EqQuery
  | NotEqQuery
  | ComparisonQuery
  | ContainsQuery
  | InQuery
  | NotInQuery
  | LikeQuery
  | FullTextQuery
  | KeyPresentQuery
  | SpecsQuery
  | StructureFamilyQuery
  | RegexQuery
  | KeysFilterQuery
  | KeyLookupQuery;

/** The names of the Bluesky queries, which the client rewrites for catalogs that do not run them. */
export const BLUESKY_QUERY_NAMES: ReadonlySet<string> = new Set<BlueskyQuery["name"]>(["time_range", "scan_id", "scan_id_range", "partial_uid"]);

export function isBlueskyQuery(query: Query): query is BlueskyQuery {
  return BLUESKY_QUERY_NAMES.has(query.name);
}

/** The queries that compare a metadata key (those that get `start.` put in front on a catalog of runs). */
export type KeyedQuery = Extract<Query, { readonly key: string }>;

/** True for a query on a metadata key (KeyLookup's key is a child's name, not metadata). */
export function hasKey(query: Query): query is KeyedQuery {
  return "key" in query && query.name !== "lookup";
}

function checkKey(key: string, what: string): string {
  if (typeof key !== "string" || key === "") throw badInput(`${what}: the key must be a non-empty dotted path such as "start.plan_name".`);
  if (key.includes("\u0000")) throw badInput(`${what}: the key ${JSON.stringify(key)} contains a NUL character.`);
  return key;
}

/** A value a metadata comparison can take: text, a finite number or a boolean. */
export type ScalarValue = string | number | boolean;

function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `the BigInt ${value}n`;
  if (typeof value === "number") return String(value);
  if (typeof value === "function") return "a function";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return JSON.stringify(value);
}

/**
 * Check a comparison value before anything is sent. tiled compares a metadata value with text, a
 * number or a boolean; the SQL catalog answers 500 for null, a list or an object (it has no
 * conversion for them), JSON has no NaN, Infinity, undefined or BigInt, and text with NUL breaks
 * the database's string handling. Each is bad-input naming the query and the key.
 */
export function checkScalar(value: unknown, what: string, key: string): ScalarValue {
  const ok =
    (typeof value === "string" && !value.includes("\u0000")) ||
    (typeof value === "number" && Number.isFinite(value)) ||
    typeof value === "boolean";
  if (ok) return value as ScalarValue;
  const hint =
    value === null || value === undefined
      ? ` To find nodes without ${key}, use KeyPresent(${JSON.stringify(key)}, false).`
      : typeof value === "bigint"
        ? " Convert it with Number(…) if it is a safe integer."
        : Array.isArray(value) && (what === "Eq" || what === "NotEq")
          ? " To match any of several values, use In."
          : "";
  throw badInput(`${what} on ${JSON.stringify(key)}: the value must be text, a finite number or true/false, not ${describeValue(value)}.${hint}`);
}

function checkScalars(values: unknown, what: string, key: string): ScalarValue[] {
  if (!Array.isArray(values)) throw badInput(`${what} on ${JSON.stringify(key)}: the values must be an array, not ${describeValue(values)}.`);
  return values.map((v) => checkScalar(v, what, key));
}

function checkText(text: unknown, what: string, field: string): string {
  if (typeof text !== "string") throw badInput(`${what}: the ${field} must be text, not ${describeValue(text)}.`);
  if (text.includes("\u0000")) throw badInput(`${what}: the ${field} ${JSON.stringify(text)} contains a NUL character.`);
  return text;
}

/** `key == value` (value is compared as JSON: "scan" and 1 differ from "1"). */
export function Eq(key: string, value: ScalarValue): EqQuery {
  return { name: "eq", key: checkKey(key, "Eq"), value: checkScalar(value, "Eq", key) };
}
/** `key != value`. */
export function NotEq(key: string, value: ScalarValue): NotEqQuery {
  return { name: "noteq", key: checkKey(key, "NotEq"), value: checkScalar(value, "NotEq", key) };
}
/** `key <op> value` with op one of lt, le, gt, ge. */
export function Comparison(operator: Operator, key: string, value: ScalarValue): ComparisonQuery {
  if (!["lt", "le", "gt", "ge"].includes(operator)) throw badInput(`Comparison: operator ${JSON.stringify(operator)} is not one of lt, le, gt, ge.`);
  return { name: "comparison", operator, key: checkKey(key, "Comparison"), value: checkScalar(value, "Comparison", key) };
}
/**
 * The value's text contains `value`. On tiled's SQL catalog this is SQL `LIKE '%value%'` on the
 * metadata value's text: a substring match, ASCII case-insensitive on SQLite, with `%` and `_`
 * acting as wildcards; on a list it searches the list's JSON text. See loose.ts for measurements.
 */
export function Contains(key: string, value: ScalarValue): ContainsQuery {
  return { name: "contains", key: checkKey(key, "Contains"), value: checkScalar(value, "Contains", key) };
}
/** `key` is one of `values`. */
export function In(key: string, values: readonly ScalarValue[]): InQuery {
  return { name: "in", key: checkKey(key, "In"), value: checkScalars(values, "In", key) };
}
/** `key` is none of `values`. */
export function NotIn(key: string, values: readonly ScalarValue[]): NotInQuery {
  return { name: "notin", key: checkKey(key, "NotIn"), value: checkScalars(values, "NotIn", key) };
}
/** SQL LIKE: `"Ni%"` starts with Ni, `"%image"` ends with image. ASCII case-insensitive on SQLite. */
export function Like(key: string, pattern: string): LikeQuery {
  return { name: "like", key: checkKey(key, "Like"), pattern: checkText(pattern, "Like", "pattern") };
}
/**
 * Word search over all metadata, case-insensitive. Each engine gets the text in its own syntax: for
 * tiled's SQL catalog (SQLite FTS5) words FTS5 would read as syntax (containing `-`, `.`, …, or the
 * words AND, OR, NOT, NEAR) are quoted as phrases, unless `raw` is set; to a databroker catalog
 * (MongoDB's text search) the text is sent as written, as tiled's Python client sends it.
 *
 * The two engines do not mean the same by it (notebook 06, LAYOUT_DIFFERENCES): FTS5 requires every
 * word and searches the start and stop documents, keys included, `pow*` being a prefix; MongoDB
 * requires any one word (a `"phrase"` must appear, a `-word` must not) in the start document's text
 * values only. One word that appears in the start document answers alike on both.
 */
export function FullText(text: string, options: { raw?: boolean } = {}): FullTextQuery {
  if (typeof text !== "string" || text.trim() === "") throw badInput("FullText: the text must not be empty.");
  checkText(text, "FullText", "text");
  return { name: "fulltext", text, raw: options.raw === true };
}
/** Nodes that have (or, with exists=false, lack) `key`. */
export function KeyPresent(key: string, exists = true): KeyPresentQuery {
  return { name: "keypresent", key: checkKey(key, "KeyPresent"), exists };
}
/** Nodes whose specs include all of `include` and none of `exclude`. */
export function SpecsQuery(include: readonly string[], exclude: readonly string[] = []): SpecsQuery {
  if (typeof include === "string" || typeof exclude === "string") throw badInput("SpecsQuery: include and exclude must be arrays, not strings.");
  return { name: "specs", include: [...include], exclude: [...exclude] };
}
/** Shorthand for SpecsQuery([spec]). */
export function SpecQuery(spec: string): SpecsQuery {
  return SpecsQuery([spec]);
}
/** Nodes of one structure family ("container", "array", "table", …). */
export function StructureFamilyQuery(value: StructureFamily): StructureFamilyQuery {
  return { name: "structure_family", value };
}
/** Regular-expression search in a string value (client-side on SQL catalogs; see loose.ts). */
export function Regex(key: string, pattern: string, caseSensitive = true): RegexQuery {
  return { name: "regex", key: checkKey(key, "Regex"), pattern: checkText(pattern, "Regex", "pattern"), case_sensitive: caseSensitive === true };
}
/** Only the children with these keys. */
export function KeysFilter(keys: readonly string[]): KeysFilterQuery {
  return { name: "keys_filter", keys: [...keys] };
}
/** One child by key, within a search (used by Container.get on a searched container). */
export function KeyLookup(key: string): KeyLookupQuery {
  return { name: "lookup", key };
}

/** `Key("start.plan_name").eq("scan")`: tiled's `Key`, with methods for Python's operators. */
export class KeyBuilder {
  constructor(readonly key: string) {
    checkKey(key, "Key");
  }
  /** Python `Key(k) == v`. */
  eq(value: ScalarValue): EqQuery { return Eq(this.key, value); }
  /** Python `Key(k) != v`. */
  noteq(value: ScalarValue): NotEqQuery { return NotEq(this.key, value); }
  /** Python `Key(k) < v`. */
  lt(value: ScalarValue): ComparisonQuery { return Comparison("lt", this.key, value); }
  /** Python `Key(k) <= v`. */
  le(value: ScalarValue): ComparisonQuery { return Comparison("le", this.key, value); }
  /** Python `Key(k) > v`. */
  gt(value: ScalarValue): ComparisonQuery { return Comparison("gt", this.key, value); }
  /** Python `Key(k) >= v`. */
  ge(value: ScalarValue): ComparisonQuery { return Comparison("ge", this.key, value); }
  in(values: readonly ScalarValue[]): InQuery { return In(this.key, values); }
  notin(values: readonly ScalarValue[]): NotInQuery { return NotIn(this.key, values); }
  contains(value: ScalarValue): ContainsQuery { return Contains(this.key, value); }
  like(pattern: string): LikeQuery { return Like(this.key, pattern); }
  regex(pattern: string, caseSensitive = true): RegexQuery { return Regex(this.key, pattern, caseSensitive); }
  present(exists = true): KeyPresentQuery { return KeyPresent(this.key, exists); }
}

/** tiled's `Key`: `Key("start.plan_name").eq("scan")`. */
export function Key(key: string): KeyBuilder {
  return new KeyBuilder(key);
}

/** The URL fields of one query, as tiled's `encode()` writes them (JSON where Python uses json.dumps). */
export function encodeQuery(query: Query): [string, string][] {
  const json = (v: unknown) => JSON.stringify(v);
  switch (query.name) {
    case "eq":
    case "noteq":
    case "contains":
    case "in":
    case "notin":
      return [["key", query.key], ["value", json(query.value)]];
    case "comparison":
      return [["operator", query.operator], ["key", query.key], ["value", json(query.value)]];
    case "like":
      return [["key", query.key], ["pattern", json(query.pattern)]];
    case "fulltext":
      return [["text", query.raw ? query.text : fulltextQuote(query.text)]];
    case "keypresent":
      return [["key", query.key], ["exists", String(query.exists)]];
    case "specs":
      return [["include", json(query.include)], ["exclude", json(query.exclude)]];
    case "structure_family":
      return [["value", query.value]];
    case "regex":
      return [["key", query.key], ["pattern", query.pattern], ["case_sensitive", json(query.case_sensitive)]];
    case "keys_filter":
      return [["keys", json(query.keys)]];
    case "lookup":
      return [["key", query.key]];
    // As bluesky-tiled-plugins' encode(): epochs as numbers, the zone always (the legacy server
    // answers 500 without it), several scan ids or uids as one comma-separated list (a JSON list is a 500).
    case "time_range": {
      const out: [string, string][] = [];
      if (query.since !== undefined) out.push(["since", String(query.since)]);
      if (query.until !== undefined) out.push(["until", String(query.until)]);
      out.push(["timezone", query.timezone]);
      return out;
    }
    case "scan_id":
      return [["scan_ids", query.scan_ids.join(",")], ["duplicates", query.duplicates]];
    case "scan_id_range":
      return [["start_id", String(query.start_id)], ["end_id", String(query.end_id)], ["duplicates", query.duplicates]];
    case "partial_uid":
      return [["partial_uids", query.partial_uids.join(",")]];
  }
}

/** `filter[<name>][condition][<field>]=<value>` pairs for a list of queries, in order. */
export function queriesToParams(queries: readonly Query[]): [string, string][] {
  const out: [string, string][] = [];
  for (const query of queries) {
    for (const [field, value] of encodeQuery(query)) out.push([`filter[${query.name}][condition][${field}]`, value]);
  }
  return out;
}

/** The filter names used in a query string (`filter[time_range][condition][since]` → time_range). */
export function filterNamesInParams(params: Iterable<[string, string]>): string[] {
  const names = new Set<string>();
  for (const [name] of params) {
    const match = /^filter\[([^\]]+)\]/.exec(name);
    if (match) names.add(match[1]);
  }
  return [...names];
}

/**
 * Throw "unsupported-query" unless every name is in the server's registered `queries` list:
 * tiled silently ignores a filter it does not know, so sending one would return unfiltered results.
 */
export function assertQueriesSupported(names: readonly string[], serverQueries: readonly string[], url?: string): void {
  const missing = names.filter((name) => !serverQueries.includes(name));
  if (missing.length === 0) return;
  throw new TiledError(
    "unsupported-query",
    `The server does not support the quer${missing.length > 1 ? "ies" : "y"} ${missing.map((m) => JSON.stringify(m)).join(", ")} ` +
      `(tiled would silently ignore ${missing.length > 1 ? "them" : "it"} and return unfiltered results).\n` +
      `  The server supports: ${serverQueries.join(", ")}.` +
      (missing.some((m) => BLUESKY_QUERY_NAMES.has(m))
        ? "\n  Bluesky queries (TimeRange, ScanID, ScanIDRange, PartialUID) are rewritten on the client: use them through Container.search."
        : ""),
    { url },
  );
}
