import { describe, expect, it } from "vitest";
import { PartialUID, ScanID, ScanIDRange, TimeRange, rewriteBlueskyQuery, withStartPrefix } from "../bluesky-queries";
import { TiledError } from "../errors";
import { fulltextQuote, getPath, regexMatches } from "../loose";
import {
  Comparison, Contains, Eq, FullText, In, Key, KeyLookup, KeyPresent, KeysFilter, Like, NotEq, NotIn, Regex, SpecQuery, SpecsQuery,
  StructureFamilyQuery, assertQueriesSupported, filterNamesInParams, queriesToParams,
} from "../queries";
import { searchSuffix } from "../requests";

describe("query encoding mirrors tiled.queries encode()", () => {
  it("encodes every registered query", () => {
    expect(queriesToParams([Eq("start.plan_name", "push_images")])).toEqual([
      ["filter[eq][condition][key]", "start.plan_name"],
      ["filter[eq][condition][value]", '"push_images"'],
    ]);
    expect(queriesToParams([NotEq("a", 1)])).toEqual([["filter[noteq][condition][key]", "a"], ["filter[noteq][condition][value]", "1"]]);
    expect(queriesToParams([Comparison("ge", "start.time", 1651381200)])).toEqual([
      ["filter[comparison][condition][operator]", "ge"],
      ["filter[comparison][condition][key]", "start.time"],
      ["filter[comparison][condition][value]", "1651381200"],
    ]);
    expect(queriesToParams([Contains("detectors", "ccd")])[1]).toEqual(["filter[contains][condition][value]", '"ccd"']);
    expect(queriesToParams([In("color", ["red", "blue"])])[1]).toEqual(["filter[in][condition][value]", '["red","blue"]']);
    expect(queriesToParams([NotIn("color", ["red"])])[1]).toEqual(["filter[notin][condition][value]", '["red"]']);
    expect(queriesToParams([Like("start.uid", "ae76%")])[1]).toEqual(["filter[like][condition][pattern]", '"ae76%"']);
    expect(queriesToParams([FullText("M9")])).toEqual([["filter[fulltext][condition][text]", "M9"]]);
    expect(queriesToParams([KeyPresent("stop", false)])[1]).toEqual(["filter[keypresent][condition][exists]", "false"]);
    expect(queriesToParams([SpecsQuery(["BlueskyRun"], ["x"])])).toEqual([
      ["filter[specs][condition][include]", '["BlueskyRun"]'],
      ["filter[specs][condition][exclude]", '["x"]'],
    ]);
    expect(SpecQuery("BlueskyRun")).toEqual(SpecsQuery(["BlueskyRun"]));
    expect(queriesToParams([StructureFamilyQuery("array")])).toEqual([["filter[structure_family][condition][value]", "array"]]);
    expect(queriesToParams([Regex("start.plan_name", "^push", false)])).toEqual([
      ["filter[regex][condition][key]", "start.plan_name"],
      ["filter[regex][condition][pattern]", "^push"],
      ["filter[regex][condition][case_sensitive]", "false"],
    ]);
    expect(queriesToParams([KeysFilter(["a", "b"])])).toEqual([["filter[keys_filter][condition][keys]", '["a","b"]']]);
    expect(queriesToParams([KeyLookup("primary")])).toEqual([["filter[lookup][condition][key]", "primary"]]);
  });
  it("Key() builds the same queries as Python's operators", () => {
    const k = Key("start.scan_id");
    expect(k.eq(5)).toEqual(Eq("start.scan_id", 5));
    expect(k.noteq(5)).toEqual(NotEq("start.scan_id", 5));
    expect(k.lt(5)).toEqual(Comparison("lt", "start.scan_id", 5));
    expect(k.le(5)).toEqual(Comparison("le", "start.scan_id", 5));
    expect(k.gt(5)).toEqual(Comparison("gt", "start.scan_id", 5));
    expect(k.ge(5)).toEqual(Comparison("ge", "start.scan_id", 5));
  });
  it("rejects bad builder input before anything is sent", () => {
    expect(() => Eq("", 1)).toThrow(TiledError);
    // @ts-expect-error an operator tiled does not know
    expect(() => Comparison("eq", "a", 1)).toThrow(/not one of lt, le, gt, ge/);
    expect(() => FullText("  ")).toThrow(/must not be empty/);
  });
  it("a readable suffix keeps brackets and encodes values", () => {
    expect(searchSuffix({ queries: [Eq("start.plan_name", "push_images")], sort: ["start.time"], limit: 300 })).toBe(
      "?page[limit]=300&filter[eq][condition][key]=start.plan_name&filter[eq][condition][value]=%22push_images%22&sort=start.time",
    );
  });
});

describe("supported-query check", () => {
  it("names the unsupported query and lists what the server has", () => {
    expect(() => assertQueriesSupported(["time_range"], ["eq", "comparison"])).toThrow(/does not support the query "time_range"[\s\S]*eq, comparison/);
    try {
      assertQueriesSupported(["time_range"], ["eq"]);
    } catch (err) {
      expect((err as TiledError).code).toBe("unsupported-query");
    }
    expect(() => assertQueriesSupported(["eq"], ["eq"])).not.toThrow();
    expect(filterNamesInParams([["filter[time_range][condition][since]", "1"], ["sort", "x"], ["filter[eq][condition][key]", "k"]])).toEqual(["time_range", "eq"]);
  });
});

describe("Bluesky conveniences, rewritten as bluesky-tiled-plugins does", () => {
  it("TimeRange → Comparison ge/lt on start.time, dates read in the zone", () => {
    const q = TimeRange({ since: "2022-05-01", until: "2022-11-01", timezone: "US/Central" });
    expect(rewriteBlueskyQuery(q)).toEqual([Comparison("ge", "start.time", 1651381200), Comparison("lt", "start.time", 1667278800)]);
    expect(rewriteBlueskyQuery(TimeRange({ until: 5, timezone: "UTC" }))).toEqual([Comparison("lt", "start.time", 5)]);
    expect(() => TimeRange({ since: "2022-11-01", until: "2022-05-01", timezone: "UTC" })).toThrow(/must not be later/);
    expect(() => TimeRange({ since: "2022-05-01", timezone: "Nowhere/Land" })).toThrow(/Unknown time zone/);
  });
  it("ScanID → Eq, ScanIDRange → ge/lt, PartialUID → Like prefix", () => {
    expect(rewriteBlueskyQuery(ScanID(1960))).toEqual([Eq("start.scan_id", 1960)]);
    expect(() => rewriteBlueskyQuery(ScanID(1, 2))).toThrow(/no longer supported/);
    expect(rewriteBlueskyQuery(ScanIDRange(10, 20))).toEqual([Comparison("ge", "start.scan_id", 10), Comparison("lt", "start.scan_id", 20)]);
    expect(rewriteBlueskyQuery(PartialUID("ae762f9c"))).toEqual([Like("start.uid", "ae762f9c%")]);
  });
  it("puts start. in front of bare keys only", () => {
    expect(withStartPrefix(Eq("plan_name", "x"))).toEqual(Eq("start.plan_name", "x"));
    expect(withStartPrefix(Eq("stop.exit_status", "success"))).toEqual(Eq("stop.exit_status", "success"));
    expect(withStartPrefix(Eq("start.scan_id", 1))).toEqual(Eq("start.scan_id", 1));
    expect(withStartPrefix(FullText("M9"))).toEqual(FullText("M9"));
  });
});

describe("loose matches", () => {
  it("quotes words SQLite FTS5 would reject", () => {
    expect(fulltextQuote("M9")).toBe("M9");
    expect(fulltextQuote("M9 dev-run")).toBe('M9 "dev-run"');
    expect(fulltextQuote("pow*")).toBe("pow*");
    expect(fulltextQuote("bdp@terrier.xray")).toBe('"bdp@terrier.xray"');
    expect(fulltextQuote("a-b*")).toBe('"a-b"*');
    expect(fulltextQuote('"already quoted"')).toBe('"""already" "quoted"""');
    expect(FullText("M9-x").text).toBe('"M9-x"');
    expect(FullText("M9-x", { raw: true }).text).toBe("M9-x");
  });
  it("client-side regex searches string values at a dotted key", () => {
    const md = { start: { plan_name: "push_images", scan_id: 3 } };
    expect(getPath(md, "start.plan_name")).toBe("push_images");
    expect(getPath(md, "start.nope.deeper")).toBeUndefined();
    expect(regexMatches(md, Regex("start.plan_name", "images$"))).toBe(true);
    expect(regexMatches(md, Regex("start.plan_name", "^PUSH"))).toBe(false);
    expect(regexMatches(md, Regex("start.plan_name", "^PUSH", false))).toBe(true);
    expect(regexMatches(md, Regex("start.scan_id", "3"))).toBe(false); // strings only, as tiled's in-memory regex
    expect(() => regexMatches(md, Regex("start.plan_name", "(a)\\1"))).toThrow(/not valid RE2 syntax/);
  });
});

describe("Bluesky queries sent to a server that runs them (databroker), in the forms it accepts", () => {
  it("time_range: epoch numbers and the zone always (dates give 422, no zone a 500)", () => {
    const q = TimeRange({ since: "2022-05-01", until: "2022-11-01", timezone: "US/Central" });
    expect(queriesToParams([q])).toEqual([
      ["filter[time_range][condition][since]", "1651381200"],
      ["filter[time_range][condition][until]", "1667278800"],
      ["filter[time_range][condition][timezone]", "US/Central"],
    ]);
    expect(queriesToParams([TimeRange({ until: 5, timezone: "UTC" })])).toEqual([
      ["filter[time_range][condition][until]", "5"],
      ["filter[time_range][condition][timezone]", "UTC"],
    ]);
  });
  it("scan_id: a comma list and duplicates (a JSON list, or no duplicates, is a 500)", () => {
    expect(queriesToParams([ScanID(1960, 2035)])).toEqual([
      ["filter[scan_id][condition][scan_ids]", "1960,2035"],
      ["filter[scan_id][condition][duplicates]", "latest"],
    ]);
    expect(queriesToParams([ScanIDRange(1, 10), PartialUID("ae762f9c", "a1233634")])).toEqual([
      ["filter[scan_id_range][condition][start_id]", "1"],
      ["filter[scan_id_range][condition][end_id]", "10"],
      ["filter[scan_id_range][condition][duplicates]", "latest"],
      ["filter[partial_uid][condition][partial_uids]", "ae762f9c,a1233634"],
    ]);
  });
});
