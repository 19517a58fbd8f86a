// bluesky-queries.ts: TimeRange, ScanID, ScanIDRange and PartialUID, rewritten on the client for
// catalogs that do not run them and sent in databroker's accepted forms to those that do. An invalid
// Date guards against hostile input (issue 10, item 2).
import { describe, expect, it } from "vitest";
import { PartialUID, ScanID, ScanIDRange, TimeRange, rewriteBlueskyQuery } from "../bluesky-queries";
import { withStartPrefix } from "../client/catalog";
import { fromUri } from "../client/from-uri";
import { Comparison, Eq, FullText, Like, queriesToParams } from "../queries";
import { thrown } from "./caught";
import { localServers, sendJson } from "./local-server";

const serve = localServers();
const ROOT_NODE = { data: { id: "", attributes: { ancestors: [], structure_family: "container", specs: [], metadata: {} } } };

describe("2. TimeRange with an invalid Date", () => {
  it("is bad-input, not a dropped bound", async () => {
    for (const bound of [{ since: new Date(Number.NaN) }, { until: new Date("not a date") }]) {
      const err = await thrown(() => TimeRange({ ...bound, timezone: "US/Central" }));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain("invalid Date");
    }
  });
  it("an epoch of 0 is a bound, not dropped", async () => {
    const server = await serve((req, res) =>
      req.url?.startsWith("/api/v1/search")
        ? sendJson(res, 200, { data: [], links: { next: null }, meta: { count: 0 } })
        : req.url === "/api/v1/"
          ? sendJson(res, 200, { api_version: 0, library_version: "0.2.20", formats: {}, aliases: {}, queries: ["comparison"], authentication: { required: false, providers: [] } })
          : sendJson(res, 200, ROOT_NODE),
    );
    const root = await fromUri(server.url);
    await root.search(TimeRange({ since: 0, until: 10, timezone: "UTC" })).count();
    const search = server.requests.find((r) => r.url.startsWith("/api/v1/search"));
    expect(new URL(search?.url ?? "", "http://x").searchParams.getAll("filter[comparison][condition][operator]")).toEqual(["ge", "lt"]);
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
