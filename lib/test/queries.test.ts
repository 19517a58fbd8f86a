// queries.ts: every query tiled registers, encoded as tiled.queries does, checked when made and
// against what the server registered. Bad query values guard against hostile input (issue 10,
// items 5 and 6).
import { describe, expect, it } from "vitest";
import { PartialUID, ScanID, ScanIDRange, TimeRange } from "../bluesky-queries";
import { TiledError } from "../errors";
import {
  BLUESKY_QUERY_NAMES, Comparison, Contains, Eq, FullText, In, Key, KeyLookup, KeyPresent, KeysFilter, Like, NotEq, NotIn, Regex, SpecQuery, SpecsQuery,
  StructureFamilyQuery, assertQueriesSupported, filterNamesInParams, queriesToParams,
} from "../queries";
import { thrown } from "./caught";

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
  it("a Bluesky query the server lacks points to Container.search, which rewrites it; another query does not", () => {
    expect([TimeRange({ since: 0, timezone: "UTC" }), ScanID(1), ScanIDRange(1, 2), PartialUID("ae76")].map((q) => q.name).sort()).toEqual([...BLUESKY_QUERY_NAMES].sort());
    let bluesky: unknown;
    try {
      assertQueriesSupported(["time_range"], ["eq"]);
    } catch (err) {
      bluesky = err;
    }
    expect(bluesky).toBeInstanceOf(TiledError);
    expect((bluesky as TiledError).message).toContain("rewritten on the client: use them through Container.search");
    expect(() => assertQueriesSupported(["regex"], ["eq"])).toThrow(/does not support the query "regex"/);
    expect(() => assertQueriesSupported(["regex"], ["eq"])).not.toThrow(/rewritten on the client/);
  });
});

describe("5. query values are checked when the query is made", () => {
  it("NaN, undefined, BigInt, null, objects and lists are bad-input naming the key", async () => {
    const bad: unknown[] = [Number.NaN, Number.POSITIVE_INFINITY, undefined, BigInt(3), null, { a: 1 }, [1, 2], "a\u0000b"];
    for (const value of bad) {
      for (const make of [
        () => Eq("start.scan_id", value as number),
        () => NotEq("start.scan_id", value as number),
        () => Comparison("ge", "start.scan_id", value as number),
        () => Contains("start.scan_id", value as number),
        () => In("start.scan_id", [1, value as number]),
      ]) {
        const err = await thrown(make);
        expect(err.code).toBe("bad-input");
        expect(err.message).toContain('"start.scan_id"');
      }
    }
  });
  it("null points to KeyPresent, BigInt to Number()", async () => {
    expect((await thrown(() => Eq("start.x", null as unknown as string))).message).toContain('KeyPresent("start.x", false)');
    expect((await thrown(() => Eq("start.x", BigInt(1) as unknown as number))).message).toContain("Number(");
  });
});

describe("6. full text never reaches the server as FTS5 syntax", () => {
  it("NUL is bad-input", async () => {
    expect((await thrown(() => FullText("M9\u0000"))).code).toBe("bad-input");
  });
});
