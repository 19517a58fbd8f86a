// Where the two layouts differ, and what this client does about each (the "say where the layouts
// differ" part of issue 19, and item 4): the searches of tiled's Python client's query matrix
// (server/oracle/query_matrix.py, 70 of 149 disagreeing between the layouts in Python) asked again
// through this client, on both replicas. Each case is one of:
//   agree   both layouts give the same count and the same first and last three runs, and that
//           answer is the one tiled's Python client gets from the SQL catalog (`oracle: "sql"`),
//           or from both when they agree;
//   refuse  the layout(s) named answer wrongly (or fail), so the client refuses with a TiledError
//           before anything is sent;
//   differ  the two engines legitimately mean different things (FullText): each layout's count is
//           the one tiled's Python client gets from it, except that this client sends SQL words FTS5
//           would take for syntax quoted (where Python gets a 500).
// Python's answers come from running the matrix's cases now (about 20 s).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PartialUID, ScanID, ScanIDRange, TimeRange } from "../bluesky-queries";
import type { CatalogOfBlueskyRuns } from "../client/catalog";
import { fromUri } from "../client/from-uri";
import { TiledError } from "../errors";
import { fulltextQuote } from "../loose";
import { Comparison, Contains, Eq, FullText, In, Key, KeyPresent, Like, NotEq, NotIn, Regex } from "../queries";
import { PROJECT_ROOT, replicas } from "./replicas";

const [SQL, LEGACY] = replicas();
const B = "bdp2022";
const U = "20idb_usaxs";
const LAST_PUSH = "ae762f9c";
const LAST_M9 = "a1233634";

interface Answer {
  count: number;
  first: string[];
  last: string[];
}
type Outcome = Answer | { error: string; code?: string };

type Expect =
  | { agree: true; oracle: "sql" | "both" | "mongo" }
  | { refuse: { sql?: string; legacy?: string } }
  | { differ: true };

interface Case {
  /** The query_matrix case this one asks again (its id), if any. */
  py?: string;
  catalog: string;
  label: string;
  run: (c: CatalogOfBlueskyRuns) => CatalogOfBlueskyRuns | Promise<Answer>;
  expect: Expect;
}

const lookup = (fn: (c: CatalogOfBlueskyRuns) => Promise<{ uid: string }>) => async (c: CatalogOfBlueskyRuns): Promise<Answer> => {
  const run = await fn(c);
  return { count: 1, first: [run.uid], last: [run.uid] };
};
const SQL_ORACLE: Expect = { agree: true, oracle: "sql" };
const BOTH: Expect = { agree: true, oracle: "both" };

const CASES: Case[] = [
  { py: "all", catalog: B, label: "every run", run: (c) => c, expect: BOTH },
  // NotEq / NotIn on a key some runs lack: SQL leaves those runs out; so does this client on databroker.
  { py: "noteq-sample", catalog: B, label: 'NotEq("sample", "kapton film #2")', run: (c) => c.search(NotEq("sample", "kapton film #2")), expect: SQL_ORACLE },
  { py: "noteq-session", catalog: B, label: 'NotEq("session", "M9 demo")', run: (c) => c.search(NotEq("session", "M9 demo")), expect: SQL_ORACLE },
  { py: "noteq-title", catalog: U, label: 'NotEq("title", "x")', run: (c) => c.search(NotEq("title", "x")), expect: SQL_ORACLE },
  { py: "noteq-bool", catalog: U, label: 'NotEq("useSBUSAXS", true)', run: (c) => c.search(NotEq("useSBUSAXS", true)), expect: SQL_ORACLE },
  { py: "noteq-plan", catalog: B, label: 'NotEq("plan_name", "push_images")', run: (c) => c.search(NotEq("plan_name", "push_images")), expect: BOTH },
  { py: "notin-sample", catalog: B, label: 'NotIn("sample", ["kapton film #2"])', run: (c) => c.search(NotIn("sample", ["kapton film #2"])), expect: SQL_ORACLE },
  { py: "notin-session", catalog: B, label: 'NotIn("session", ["M9 demo"])', run: (c) => c.search(NotIn("session", ["M9 demo"])), expect: SQL_ORACLE },
  { py: "notin-method", catalog: U, label: 'NotIn("method", ["areaDetectorAcquire"])', run: (c) => c.search(NotIn("method", ["areaDetectorAcquire"])), expect: SQL_ORACLE },
  // stop-document keys: databroker searches the start document only.
  { py: "eq-stop-exit", catalog: B, label: 'Key("stop.exit_status").eq("abort")', run: (c) => c.search(Key("stop.exit_status").eq("abort")), expect: { refuse: { legacy: "unsupported-query" } } },
  { py: "noteq-stop-success", catalog: B, label: 'Key("stop.exit_status").noteq("success")', run: (c) => c.search(Key("stop.exit_status").noteq("success")), expect: { refuse: { legacy: "unsupported-query" } } },
  { py: "gt-stop-time", catalog: B, label: 'Key("stop.time").gt(1667278800)', run: (c) => c.search(Key("stop.time").gt(1667278800)), expect: { refuse: { legacy: "unsupported-query" } } },
  // Contains: a substring on SQL; sent to databroker as a regex.
  { py: "contains-substring", catalog: B, label: 'Contains("plan_name", "push")', run: (c) => c.search(Contains("plan_name", "push")), expect: SQL_ORACLE },
  { py: "contains-prefix-of-item", catalog: U, label: 'Contains("detectors", "I0")', run: (c) => c.search(Contains("detectors", "I0")), expect: SQL_ORACLE },
  { py: "contains-detectors", catalog: B, label: 'Contains("detectors", "adsimdet")', run: (c) => c.search(Contains("detectors", "adsimdet")), expect: BOTH },
  { catalog: B, label: 'Contains("scan_id", 19)', run: (c) => c.search(Contains("scan_id", 19)), expect: { refuse: { legacy: "unsupported-query" } } },
  // Eq with a list: a 500 on SQL, array equality on databroker: refused on both (In is the query).
  { py: "eq-hints-list", catalog: B, label: 'Eq("detectors", ["adsimdet"])', run: (c) => c.search(Eq("detectors", ["adsimdet"] as unknown as string)), expect: { refuse: { sql: "bad-input", legacy: "bad-input" } } },
  // A comparison on a key whose values are lists: SQL compares the list's JSON text (Eq finds
  // nothing, NotEq everything), MongoDB asks whether the list holds the value: refused on SQL.
  { catalog: B, label: 'Eq("detectors", "adsimdet") (a list-valued key)', run: (c) => c.search(Eq("detectors", "adsimdet")), expect: { refuse: { sql: "unsupported-query" } } },
  { catalog: B, label: 'NotIn("detectors", ["adsimdet"])', run: (c) => c.search(NotIn("detectors", ["adsimdet"])), expect: { refuse: { sql: "unsupported-query" } } },
  // Registered on one layout only.
  { py: "like-plan", catalog: B, label: 'Like("plan_name", "push%")', run: (c) => c.search(Like("plan_name", "push%")), expect: SQL_ORACLE },
  { py: "like-uid", catalog: B, label: `Like("uid", "${LAST_PUSH}%")`, run: (c) => c.search(Like("uid", `${LAST_PUSH}%`)), expect: SQL_ORACLE },
  { catalog: B, label: 'Like("plan_name", "PUSH_IMAGES") (case, _)', run: (c) => c.search(Like("plan_name", "PUSH_IMAGES")), expect: BOTH },
  { py: "keypresent-sample", catalog: B, label: 'KeyPresent("sample")', run: (c) => c.search(KeyPresent("sample")), expect: SQL_ORACLE },
  { py: "keyabsent-sample", catalog: B, label: 'KeyPresent("sample", false)', run: (c) => c.search(KeyPresent("sample", false)), expect: SQL_ORACLE },
  { py: "keypresent-title", catalog: U, label: 'KeyPresent("title")', run: (c) => c.search(KeyPresent("title")), expect: SQL_ORACLE },
  { py: "regex-plan", catalog: B, label: 'Regex("plan_name", "^push")', run: (c) => c.search(Regex("plan_name", "^push")), expect: { agree: true, oracle: "mongo" } },
  { py: "regex-ci", catalog: U, label: 'Regex("principal_user", "raman", false)', run: (c) => c.search(Regex("principal_user", "raman", false)), expect: { agree: true, oracle: "mongo" } },
  // Bluesky queries.
  { py: "scanid-dup", catalog: B, label: "ScanID(1595) (two runs)", run: (c) => c.search(ScanID(1595)), expect: BOTH },
  { py: "scanidrange-dups", catalog: B, label: "ScanIDRange(1700, 1800) (duplicates)", run: (c) => c.search(ScanIDRange(1700, 1800)), expect: BOTH },
  { py: "timerange", catalog: B, label: "TimeRange(2022-05-01, 2022-11-01, Chicago)", run: (c) => c.search(TimeRange({ since: "2022-05-01", until: "2022-11-01", timezone: "America/Chicago" })), expect: BOTH },
  { py: "partialuid", catalog: B, label: `PartialUID("${LAST_PUSH}")`, run: (c) => c.search(PartialUID(LAST_PUSH)), expect: BOTH },
  { py: "partialuid-short", catalog: B, label: 'PartialUID("ae76")', run: (c) => c.search(PartialUID("ae76")), expect: SQL_ORACLE },
  { catalog: B, label: 'PartialUID("a") (several runs)', run: (c) => c.search(PartialUID("a")), expect: BOTH },
  { py: "lookup-scan-dup", catalog: B, label: "catalog.scanId(1595) (the latest)", run: lookup((c) => c.scanId(1595)), expect: BOTH },
  { py: "lookup-partial", catalog: B, label: `catalog.partialUid("${LAST_M9}")`, run: lookup((c) => c.partialUid(LAST_M9)), expect: BOTH },
  { catalog: B, label: 'catalog.partialUid("ae76") (too short)', run: lookup((c) => c.partialUid("ae76")), expect: { refuse: { sql: "bad-input", legacy: "bad-input" } } },
  // Sorting.
  { py: "sort[start.time,1]", catalog: B, label: 'sort("start.time")', run: (c) => c.sort("start.time"), expect: SQL_ORACLE },
  { py: "sort[start.time,-1]", catalog: B, label: 'sort("-start.time")', run: (c) => c.sort("-start.time"), expect: SQL_ORACLE },
  { py: "sort[time,-1]", catalog: B, label: 'sort("-time") (a bare key)', run: (c) => c.sort("-time"), expect: { agree: true, oracle: "mongo" } },
  { py: "sort-usaxs[start.time,-1]", catalog: U, label: 'sort("-start.time")', run: (c) => c.sort("-start.time"), expect: SQL_ORACLE },
  { py: "sort[start.uid,1]", catalog: B, label: 'sort("start.uid")', run: (c) => c.sort("start.uid"), expect: SQL_ORACLE },
  { py: "sort-fulltext", catalog: B, label: 'search(FullText("M9")).sort("-start.time")', run: (c) => c.search(FullText("M9")).sort("-start.time"), expect: SQL_ORACLE },
  { py: "sort[start.scan_id,1]", catalog: B, label: 'sort("start.scan_id")', run: (c) => c.sort("start.scan_id"), expect: { refuse: { sql: "unsupported-query" } } },
  { py: "sort-push-scan", catalog: B, label: 'search(plan_name == "push_images").sort("start.scan_id")', run: (c) => c.search(Key("plan_name").eq("push_images")).sort("start.scan_id"), expect: { refuse: { sql: "unsupported-query" } } },
  { py: "sort[stop.time,1]", catalog: B, label: 'sort("stop.time")', run: (c) => c.sort("stop.time"), expect: { refuse: { legacy: "bad-input" } } },
  { py: "sort-two-keys-start", catalog: B, label: 'sort("start.plan_name", "-start.time")', run: (c) => c.sort("start.plan_name", "-start.time"), expect: { refuse: { legacy: "bad-input" } } },
  // Comparisons agree already; one as a control.
  { py: "range-scan", catalog: B, label: "1596 <= scan_id < 1700", run: (c) => c.search(Comparison("ge", "scan_id", 1596)).search(Comparison("lt", "scan_id", 1700)), expect: BOTH },
  { py: "in-plan", catalog: B, label: 'In("plan_name", ["push_images", "m9_push_images"])', run: (c) => c.search(In("plan_name", ["push_images", "m9_push_images"])), expect: BOTH },
];

/** The FullText cases: every text of the Python matrix. */
const TEXTS: [string, string][] = [
  ["M9", B], ["m9", B], ["BDP-M9", B], ["M9 AND", B], ["M9 demo", B], ['"M9 demo"', B], ['"BDP M9"', B], ["M9 OR M4", B], ["M9 NOT demo", B],
  ["M9 -demo", B], ["push*", B], ["push", B], ["images", B], ["image", B], ["m9_push_images", B], ["kapton", B], ["kapton film", B],
  ['"kapton film"', B], ["milestone", B], ["plan_name", B], ["success", B], ["abort", B], ["bdp", B], ["BDP", B], ["2022", B], ["1960", B],
  ["Raman", U], ["raman", U], ["zirconia", U], ["ZrO2", U], ["tune", U], ["tune_ar", U], ["9-ID-C", U], ["USAXS", U], ["ESAF", U],
  ["2022-3", U], ["Flyscan", U], ["flyscan AND saxs", U], ["Lindqvist", U],
];

async function answer(c: CatalogOfBlueskyRuns, run: Case["run"]): Promise<Outcome> {
  try {
    const node = await run(c);
    if ("count" in node && typeof node.count === "number") return node;
    const view = node as CatalogOfBlueskyRuns;
    const count = await view.count();
    return { count, first: await view.keys().head(3), last: count ? await view.keys().tail(3) : [] };
  } catch (err) {
    if (!(err instanceof TiledError)) throw err;
    return { error: err.message.split("\n")[0], code: err.code };
  }
}

interface PyResult {
  count?: number;
  first?: string[];
  last?: string[];
  error?: string;
}
let python: Map<string, { sql: PyResult; mongo: PyResult }>;
const catalogs: Record<"SQL" | "legacy", Record<string, CatalogOfBlueskyRuns>> = { SQL: {}, legacy: {} };

beforeAll(async () => {
  await SQL.requireServer();
  await LEGACY.requireServer();
  for (const replica of [SQL, LEGACY]) {
    const root = await fromUri(replica.url, replica.options);
    for (const name of [B, U]) catalogs[replica.name][name] = await root.get(name, { kind: "catalog" });
  }
  const ids = [...CASES.flatMap((c) => (c.py ? [c.py] : [])), ...TEXTS.map(([t]) => `fulltext[${t}]`)];
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "matrix-")), "matrix.json");
  const result = spawnSync(
    path.join(PROJECT_ROOT, ".venv", "bin", "python"),
    ["-m", "oracle.query_matrix", "--sql", SQL.url, "--mongo", LEGACY.url, "--out", out, ...ids.flatMap((id) => ["--case", id])],
    { cwd: PROJECT_ROOT, env: { ...process.env, PYTHONPATH: path.join(PROJECT_ROOT, "server") }, encoding: "utf8", maxBuffer: 16 << 20 },
  );
  if (!fs.existsSync(out)) throw new Error(`oracle.query_matrix wrote nothing:\n${result.stdout}\n${result.stderr}`);
  const matrix = JSON.parse(fs.readFileSync(out, "utf8")) as { cases: { id: string; sql: PyResult; mongo: PyResult }[] };
  python = new Map(matrix.cases.map((c) => [c.id, { sql: c.sql, mongo: c.mongo }]));
  expect(python.size).toBe(new Set(ids).size);
}, 180_000);

const same = (a: Outcome, b: PyResult | Outcome) => "count" in a && !("error" in b) && a.count === b.count && a.first.join() === (b.first ?? []).join() && a.last.join() === (b.last ?? []).join();

describe("where the layouts differ: this client on both replicas, against tiled's Python client", () => {
  it.each(CASES.map((c) => [c.label, c] as const))("%s", async (_label, c) => {
    const sql = await answer(catalogs.SQL[c.catalog], c.run);
    const legacy = await answer(catalogs.legacy[c.catalog], c.run);
    const where = `${c.catalog}: SQL ${JSON.stringify(sql)}; legacy ${JSON.stringify(legacy)}`;
    if ("refuse" in c.expect) {
      for (const [name, got] of [["sql", sql], ["legacy", legacy]] as const) {
        const code = c.expect.refuse[name];
        if (code) expect("code" in got ? got.code : "answered", `${name}: ${where}`).toBe(code);
        else expect("count" in got, `${name} answers: ${where}`).toBe(true);
      }
      return;
    }
    expect("count" in sql && "count" in legacy, where).toBe(true);
    expect(same(sql, legacy), `the layouts agree: ${where}`).toBe(true);
    if ("agree" in c.expect && c.py) {
      const py = python.get(c.py);
      if (!py) throw new Error(`no Python answer for ${c.py}`);
      const oracles = c.expect.oracle === "both" ? [py.sql, py.mongo] : [c.expect.oracle === "sql" ? py.sql : py.mongo];
      for (const o of oracles) expect(same(sql, o), `Python's answer ${JSON.stringify(o)}: ${where}`).toBe(true);
    }
  });
});

describe("19.4 FullText: each engine gets its own syntax; the counts are Python's on each layout", () => {
  it.each(TEXTS)("19.4 FullText(%j) on %s", async (text, catalog) => {
    const py = python.get(`fulltext[${text}]`);
    if (!py) throw new Error(`no Python answer for ${text}`);
    const sql = await catalogs.SQL[catalog].search(FullText(text)).count();
    const legacy = await catalogs.legacy[catalog].search(FullText(text)).count();
    // databroker: the text as Python sends it, so the same runs.
    expect(legacy, `legacy: Python ${JSON.stringify(py.mongo)}`).toBe(py.mongo.count);
    // SQL: a text of plain words reaches FTS5 as Python sends it, so the same count. A text FTS5
    // would read as syntax (-, ., AND/OR/NOT) is quoted, so its operators are words: an answer where
    // Python gets a 500 ("M9 AND"), or another question than Python's ("M9 OR M4" asks for "or").
    if (fulltextQuote(text) === text) expect(sql, `SQL: Python ${JSON.stringify(py.sql)}`).toBe(py.sql.count);
    else expect(Number.isInteger(sql), `SQL answers: Python ${JSON.stringify(py.sql)}`).toBe(true);
  });

  it("19.4 the issue's figures: BDP-M9 finds 479 runs and 'M9 AND' 75 on databroker (quoted for FTS5, 0 and 0 before)", async () => {
    expect(await catalogs.legacy[B].search(FullText("BDP-M9")).count()).toBe(479);
    expect(await catalogs.legacy[B].search(FullText("M9 AND")).count()).toBe(75);
    // On SQL the same texts are quoted: "BDP-M9" becomes the FTS5 phrase Python asks as '"BDP M9"',
    // and "M9 AND" the words M9 and "AND": answers, where Python's unquoted texts are 500s.
    expect(await catalogs.SQL[B].search(FullText("BDP-M9")).count()).toBe(python.get('fulltext["BDP M9"]')?.sql.count);
    expect(typeof (await catalogs.SQL[B].search(FullText("M9 AND")).count())).toBe("number");
  });
});
