/**
 * loose.ts — loose matches: what each kind of query matches, and the two helpers they need.
 *
 * The demo left "What about loose matches?" open. On tiled 0.2 with an SQLite catalog (the replica):
 *
 * | query | matches | case |
 * |---|---|---|
 * | `Like(key, "abc%")` | SQL LIKE on a string value: `%` any run of characters, `_` any one character (no escape: a literal `%` or `_` cannot be matched exactly) | ASCII case-insensitive on SQLite (`"PUSH%"` matches "push_images"); case-sensitive on PostgreSQL |
 * | `FullText(text)` | FTS5 word tokens anywhere in the metadata JSON, keys included (`"plan_name"` matches every run); `pow*` is a prefix search; several words must all occur | case-insensitive (Unicode letters too) |
 * | `In` / `NotIn` / `Contains` | exact membership: value in a list / list contains value | exact |
 * | `Eq` / `NotEq` / `Comparison` | exact equality, or lt/le/gt/ge ranges on numbers (or strings, lexicographically) | exact |
 * | `Regex(key, pattern, caseSensitive)` | a regular expression searched (not anchored) in a string value | as asked (default sensitive) |
 *
 * Regex is registered by tiled but the SQL catalog answers 400 "not supported on this node". The
 * client then filters on its side: the other queries in the chain narrow the search on the server,
 * and the pattern is applied with JavaScript's RegExp to each result's metadata. JavaScript and
 * Python regex syntax agree on the common subset (classes, anchors, groups, quantifiers); Python-only
 * syntax such as `(?P<name>…)` is rejected. Narrow first: a regex alone downloads the whole container's metadata.
 *
 * FTS5 rejects text with characters outside its bare-word set (`-`, `.`, `:`, `/`, …): unquoted
 * `M9-x` is a *500 Internal Server Error* on tiled 0.2.20. `fulltextQuote` quotes such words as phrases.
 *
 * @example
 * fulltextQuote("M9 dev-run");                   // 'M9 "dev-run"'
 * fulltextQuote("pow*");                         // 'pow*'  (prefix search kept)
 * getPath({ start: { plan_name: "scan" } }, "start.plan_name");   // "scan"
 * regexMatches({ start: { plan_name: "scan" } }, Regex("start.plan_name", "^sc"));  // true
 */
import { badInput } from "./errors";
import type { RegexQuery } from "./queries";

/** Rules per query kind, for display in a notebook (same content as the table above). */
export const LOOSE_MATCH_RULES: readonly { query: string; matches: string; caseRule: string }[] = [
  { query: "like", matches: "SQL LIKE pattern on a string value (% = any run, _ = any one char)", caseRule: "ASCII case-insensitive on SQLite" },
  { query: "fulltext", matches: "word tokens anywhere in the metadata, keys included; word* = prefix", caseRule: "case-insensitive" },
  { query: "in / notin", matches: "value is (not) one of a list", caseRule: "exact" },
  { query: "contains", matches: "a list value contains the value", caseRule: "exact" },
  { query: "eq / noteq", matches: "value equals (or not) exactly", caseRule: "exact" },
  { query: "comparison", matches: "lt / le / gt / ge range", caseRule: "exact (numbers; strings compare lexicographically)" },
  { query: "regex", matches: "RegExp search in a string value, on the client after the other queries narrow the search", caseRule: "case-sensitive unless caseSensitive: false" },
];

// FTS5 bare words: ASCII letters, digits, underscore, and any non-ASCII character.
const FTS5_BAREWORD = /^[A-Za-z0-9_\u0080-\uFFFF]+$/;
const FTS5_OPERATORS = new Set(["AND", "OR", "NOT", "NEAR"]);

/**
 * Make text safe for SQLite FTS5: every whitespace-separated word that is not a bare word is quoted
 * as a phrase (`"dev-run"`), keeping a trailing `*` outside the quotes as a prefix search.
 * Text that already contains `"` is returned unchanged (the caller wrote FTS5 syntax).
 */
export function fulltextQuote(text: string): string {
  if (text.includes('"')) return text;
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      if (FTS5_OPERATORS.has(word)) return word;
      const prefix = word.endsWith("*") && word.length > 1;
      const core = prefix ? word.slice(0, -1) : word;
      if (FTS5_BAREWORD.test(core)) return word;
      return `"${core}"${prefix ? "*" : ""}`;
    })
    .join(" ");
}

/** Follow a dotted key ("start.plan_name") into a metadata object; undefined if absent. */
export function getPath(metadata: unknown, dottedKey: string): unknown {
  let value: unknown = metadata;
  for (const part of dottedKey.split(".")) {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Compile a Regex query's pattern as JavaScript RegExp; bad syntax → bad-input naming the pattern. */
export function compileRegex(query: RegexQuery): RegExp {
  try {
    return new RegExp(query.pattern, query.case_sensitive ? "u" : "iu");
  } catch (err) {
    throw badInput(`Regex pattern ${JSON.stringify(query.pattern)} is not valid JavaScript RegExp syntax: ${(err as Error).message}`);
  }
}

/** The client-side Regex: like tiled's in-memory `regex`, search (not anchored) in a string value. */
export function regexMatches(metadata: unknown, query: RegexQuery, compiled: RegExp = compileRegex(query)): boolean {
  const value = getPath(metadata, query.key);
  return typeof value === "string" && compiled.test(value);
}
