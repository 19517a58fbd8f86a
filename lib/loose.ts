/**
 * loose.ts — loose matches: what each kind of query matches, and the two helpers they need.
 *
 * The demo left "What about loose matches?" open. On tiled 0.2 with an SQLite catalog (the replica):
 *
 * | query | matches | case |
 * |---|---|---|
 * | `Like(key, "abc%")` | SQL LIKE on a string value: `%` any run of characters, `_` any one character (no escape: a literal `%` or `_` cannot be matched exactly) | ASCII case-insensitive on SQLite (`"PUSH%"` matches "push_images"); case-sensitive on PostgreSQL |
 * | `FullText(text)` | FTS5 word tokens anywhere in the metadata JSON, keys included (`"plan_name"` matches every run); `pow*` is a prefix search; several words must all occur | case-insensitive (Unicode letters too) |
 * | `In` / `NotIn` | exact membership: the value is (not) one of a list | exact |
 * | `Contains(key, text)` | SQL `LIKE '%text%'` on the value's text: a substring, with `%` and `_` active as wildcards; on a list it searches the list's JSON text, so `Contains("start.detectors", "I0")` matches `["I0_USAXS"]` | ASCII case-insensitive on SQLite (measured on the replica: `"TAKE"`, `"take"`, `"t_ke"` and `"take_image"` each match the 159 take_image runs); case-sensitive on PostgreSQL |
 * | `Eq` / `NotEq` / `Comparison` | exact equality, or lt/le/gt/ge ranges on numbers (or strings, lexicographically) | exact |
 * | `Regex(key, pattern, caseSensitive)` | a regular expression searched (not anchored) in a string value | as asked (default sensitive) |
 *
 * Regex is registered by tiled but the SQL catalog answers 400 "not supported on this node". The
 * client then filters on its side: the other queries in the chain narrow the search on the server,
 * and the pattern is applied to each result's metadata with RE2 (re2js), whose matching time is
 * linear in the text: no pattern can freeze the notebook. RE2 takes Python's syntax, `(?P<name>…)`
 * included, except backreferences and lookaround (refused as bad-input). Narrow first: a regex
 * alone downloads the whole container's metadata.
 *
 * FTS5 reads some text as syntax: `-`, `.`, `:`, `"`, `(`, and the words AND, OR, NOT, NEAR.
 * Sent as is, tiled 0.2.20 answers *500 Internal Server Error*. `fulltextQuote` quotes every such
 * word as a phrase, so the server only ever sees words, phrases and `word*` prefixes. A databroker
 * catalog searches with MongoDB's text index instead (any word matches, in the start document's
 * text values only): it is sent the text as written, as tiled's Python client sends it
 * (client/databroker-queries.ts; the differences are in layout-differences.ts).
 *
 * On databroker the other loose matches are sent as MongoDB regular expressions that answer as the
 * SQL catalog does (`likeToRegex`), and `KeyPresent`, `NotEq` and `NotIn` are checked here too
 * (`matchesOnClient`).
 *
 * @example
 * fulltextQuote("M9 dev-run");                   // 'M9 "dev-run"'
 * fulltextQuote("M9 AND");                       // 'M9 "AND"'  (a word, not an operator)
 * fulltextQuote("pow*");                         // 'pow*'  (prefix search kept)
 * getPath({ start: { plan_name: "scan" } }, "start.plan_name");   // "scan"
 * regexMatches({ start: { plan_name: "scan" } }, Regex("start.plan_name", "^sc"));  // true
 */
import { RE2JS } from "re2js";
import { badInput } from "./errors.js";
import type { KeyPresentQuery, NotEqQuery, NotInQuery, RegexQuery } from "./queries.js";

/** Rules per query kind, for display in a notebook (same content as the table above). */
export const LOOSE_MATCH_RULES: readonly { query: string; matches: string; caseRule: string }[] = [
  { query: "like", matches: "SQL LIKE pattern on a string value (% = any run, _ = any one char)", caseRule: "ASCII case-insensitive on SQLite" },
  { query: "fulltext", matches: "word tokens anywhere in the metadata, keys included; word* = prefix", caseRule: "case-insensitive" },
  { query: "in / notin", matches: "value is (not) one of a list", caseRule: "exact" },
  { query: "contains", matches: "SQL LIKE '%text%' on the value's text (a substring; % and _ are wildcards; a list is searched as its JSON text)", caseRule: "ASCII case-insensitive on SQLite" },
  { query: "eq / noteq", matches: "value equals (or not) exactly", caseRule: "exact" },
  { query: "comparison", matches: "lt / le / gt / ge range", caseRule: "exact (numbers; strings compare lexicographically)" },
  { query: "regex", matches: "RE2 search in a string value, on the client after the other queries narrow the search", caseRule: "case-sensitive unless caseSensitive: false" },
];

// FTS5 bare words: ASCII letters, digits, underscore, and any non-ASCII character.
const FTS5_BAREWORD = /^[A-Za-z0-9_\u0080-\uFFFF]+$/;
// Bare words FTS5 reads as operators (only in upper case).
const FTS5_OPERATORS = new Set(["AND", "OR", "NOT", "NEAR"]);

/**
 * Make text safe for SQLite FTS5 so the server never sees FTS5 syntax: every whitespace-separated
 * word that is not a plain bare word — an operator (AND, OR, NOT, NEAR), or a word with `-`, `.`,
 * `:`, `"`, `(`, … — is quoted as a phrase, a `"` inside it doubled (`"say ""hi"""`). A trailing
 * `*` stays outside the quotes: `pow*` is a prefix search. Words are all required (implicit AND).
 */
export function fulltextQuote(text: string): string {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const prefix = word.endsWith("*") && word.length > 1 && !word.endsWith("**");
      const core = prefix ? word.slice(0, -1) : word;
      if (FTS5_BAREWORD.test(core) && !FTS5_OPERATORS.has(core)) return word;
      return `"${core.replace(/"/g, '""')}"${prefix ? "*" : ""}`;
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

/** A Regex query's pattern, compiled for the linear-time RE2 engine. */
export type CompiledRegex = RE2JS;

/**
 * Compile a Regex query's pattern with RE2 (re2js): matching takes time linear in the text, so no
 * pattern can freeze the process (JavaScript's own RegExp backtracks: `^([0-9a-f]|[0-9a-f-])+X$`
 * on a 40-character uid would run for hours, with no timer or abort able to interrupt it). RE2
 * syntax is Python's for everything but backreferences and lookaround, which it refuses.
 */
export function compileRegex(query: RegexQuery): CompiledRegex {
  try {
    return RE2JS.compile(query.pattern, query.case_sensitive ? 0 : RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw badInput(
      `Regex pattern ${JSON.stringify(query.pattern)} is not valid RE2 syntax (${why}). ` +
        "RE2 takes Python's syntax except backreferences and lookaround.",
    );
  }
}

/** The client-side Regex: like tiled's in-memory `regex`, search (not anchored) in a string value. */
export function regexMatches(metadata: unknown, query: RegexQuery, compiled: CompiledRegex = compileRegex(query)): boolean {
  const value = getPath(metadata, query.key);
  return typeof value === "string" && compiled.matcher(value).find();
}

/** Regular-expression metacharacters, escaped so a text matches itself (in PCRE, MongoDB's engine, and RE2). */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

/**
 * A SQL LIKE pattern as an anchored regular expression: `%` any run of characters, `_` any one
 * (newlines included, as in SQLite), everything else literal. Used to send `Like`, `Contains` and
 * `PartialUID` to databroker, which has no LIKE but runs regular expressions (with "i": LIKE is
 * case-insensitive on SQLite).
 */
export function likeToRegex(pattern: string): string {
  let out = "^";
  for (const c of pattern) out += c === "%" ? "[\\s\\S]*" : c === "_" ? "[\\s\\S]" : escapeRegex(c);
  return `${out}$`;
}

/** The queries the client can check itself against a listed node's metadata. */
export type ClientQuery = RegexQuery | KeyPresentQuery | NotEqQuery | NotInQuery;

/** True for a query `matchesOnClient` can check. */
export function isClientQuery(query: { readonly name: string }): query is ClientQuery {
  return query.name === "regex" || query.name === "keypresent" || query.name === "noteq" || query.name === "notin";
}

/**
 * Does this node's metadata match the query, with the SQL catalog's meaning? Regex as tiled's own
 * (search, not anchored, in a string value); KeyPresent: the key is there (a JSON null counts, as
 * SQLite's `->` has it); NotEq / NotIn: the key is there, not null, and differs from the value(s),
 * as SQL compares (a run without the key is not "not equal": SQL's NULL is neither).
 */
export function matchesOnClient(metadata: unknown, query: ClientQuery, compiled?: CompiledRegex): boolean {
  const value = getPath(metadata, query.key);
  switch (query.name) {
    case "regex":
      return regexMatches(metadata, query, compiled);
    case "keypresent":
      return (value !== undefined) === query.exists;
    case "noteq":
      return value !== undefined && value !== null && value !== query.value;
    case "notin":
      return value !== undefined && value !== null && !query.value.some((v) => v === value);
  }
}
