// loose.ts: the rules of loose matches. Full text quoted so FTS5 syntax never reaches the server, and
// regex run on the client in linear time (RE2); both guard against hostile input (issue 10, items 6 and 10).
import { describe, expect, it } from "vitest";
import { fulltextQuote, getPath, regexMatches } from "../loose";
import { FullText, Regex, queriesToParams } from "../queries";
import { thrown } from "./caught";

describe("loose matches", () => {
  it("quotes words SQLite FTS5 would reject", () => {
    expect(fulltextQuote("M9")).toBe("M9");
    expect(fulltextQuote("M9 dev-run")).toBe('M9 "dev-run"');
    expect(fulltextQuote("pow*")).toBe("pow*");
    expect(fulltextQuote("bdp@terrier.xray")).toBe('"bdp@terrier.xray"');
    expect(fulltextQuote("a-b*")).toBe('"a-b"*');
    expect(fulltextQuote('"already quoted"')).toBe('"""already" "quoted"""');
    // The query keeps the text as written; it is quoted when sent (to SQL; databroker gets it as written).
    expect(FullText("M9-x").text).toBe("M9-x");
    expect(queriesToParams([FullText("M9-x")])).toEqual([["filter[fulltext][condition][text]", '"M9-x"']]);
    expect(queriesToParams([FullText("M9-x", { raw: true })])).toEqual([["filter[fulltext][condition][text]", "M9-x"]]);
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

describe("6. full text never reaches the server as FTS5 syntax", () => {
  it("quotes operators, quote characters and punctuation", () => {
    expect(fulltextQuote("M9 AND")).toBe('M9 "AND"');
    expect(fulltextQuote("AND")).toBe('"AND"');
    expect(fulltextQuote("OR NOT NEAR")).toBe('"OR" "NOT" "NEAR"');
    expect(fulltextQuote('"')).toBe('""""');
    expect(fulltextQuote('say "hi"')).toBe('say """hi"""');
    expect(fulltextQuote("(x)")).toBe('"(x)"');
    expect(fulltextQuote("pow*")).toBe("pow*");
    expect(fulltextQuote("and")).toBe("and"); // lower case is a word to FTS5
  });
});

describe("10. client-side regex runs in linear time", () => {
  it("a catastrophic pattern answers at once (JavaScript's RegExp needs ~10 s here, and hours at uid length)", () => {
    const started = Date.now();
    const md = { start: { uid: `${"0".repeat(26)}-` } };
    expect(regexMatches(md, Regex("start.uid", "^([0-9a-f]|[0-9a-f-])+X$"))).toBe(false);
    // A hang guard, not a benchmark: linear time is microseconds; backtracking is seconds to hours.
    expect(Date.now() - started).toBeLessThan(2_000);
  });
  it("Python's named groups work; lookaround is refused clearly", async () => {
    expect(regexMatches({ start: { plan_name: "xa" } }, Regex("start.plan_name", "(?P<x>a)"))).toBe(true);
    const err = await thrown(() => regexMatches({ start: { plan_name: "a" } }, Regex("start.plan_name", "(?=a)")));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("lookaround");
  });
});
