// time.ts: the demo's isotime_to_timestamp, ported, and its inverse. Local times a daylight-saving
// change makes ambiguous or impossible guard against careless input (issue 10, item 3).
import { describe, expect, it } from "vitest";
import { TimeRange } from "../bluesky-queries";
import { TiledError } from "../errors";
import { isotimeToTimestamp, timestampToIsotime } from "../time";
import { thrown } from "./caught";

describe("isotimeToTimestamp", () => {
  it("reads dates in the named zone (the demo's US/Central)", () => {
    expect(isotimeToTimestamp("2022-05-01", "US/Central")).toBe(1651381200);
    expect(isotimeToTimestamp("2022-11-01", "US/Central")).toBe(1667278800);
    expect(isotimeToTimestamp("2022-05-01", "America/Chicago")).toBe(1651381200);
    expect(isotimeToTimestamp("2022-05-01", "UTC")).toBe(1651363200);
  });
  it("keeps microseconds, accepts a space for T, and honours an explicit offset", () => {
    expect(isotimeToTimestamp("2022-09-08T13:54:25.178280", "US/Central")).toBe(1662663265.17828);
    expect(isotimeToTimestamp("2022-09-08 13:54:25.178280", "US/Central")).toBe(1662663265.17828);
    expect(isotimeToTimestamp("2022-09-08 13:54", "US/Central")).toBe(1662663240);
    expect(isotimeToTimestamp("2022-09-08T18:54:25Z", "US/Central")).toBe(1662663265);
    expect(isotimeToTimestamp("2022", "UTC")).toBe(1640995200);
  });
  it("rejects an invalid ISO date, naming it", () => {
    for (const bad of ["2022-13-01", "yesterday", "", "2022-02-30"]) {
      const call = () => isotimeToTimestamp(bad, "US/Central");
      expect(call).toThrow(TiledError);
      try {
        call();
      } catch (err) {
        expect((err as TiledError).code).toBe("bad-input");
        expect((err as TiledError).message).toContain(JSON.stringify(bad));
      }
    }
  });
  it("rejects an unknown zone, naming it", () => {
    expect(() => isotimeToTimestamp("2022-05-01", "Mars/Olympus_Mons")).toThrow(/Unknown time zone "Mars\/Olympus_Mons"/);
    expect(() => timestampToIsotime(0, "Central")).toThrow(/Unknown time zone "Central"/);
  });
});

describe("timestampToIsotime", () => {
  it("formats like the 2022 server's summary.datetime (microseconds, no offset)", () => {
    expect(timestampToIsotime(1662663265.17828, "US/Central")).toBe("2022-09-08T13:54:25.178280");
    expect(timestampToIsotime(1651585041.510276, "US/Central")).toBe("2022-05-03T08:37:21.510276");
    expect(timestampToIsotime(1668152067.938719, "US/Central")).toBe("2022-11-11T01:34:27.938719");
    expect(timestampToIsotime(1669223852.495794, "US/Central")).toBe("2022-11-23T11:17:32.495794");
  });
  it("omits zero microseconds like Python's isoformat, and adds the offset on request", () => {
    expect(timestampToIsotime(0, "UTC")).toBe("1970-01-01T00:00:00");
    expect(timestampToIsotime(1662663265.17828, "US/Central", { offset: true })).toBe("2022-09-08T13:54:25.178280-05:00");
  });
  it("round-trips", () => {
    for (const t of [1651585041.510276, 1657944894.974411, 1669223852.495794]) {
      expect(isotimeToTimestamp(timestampToIsotime(t, "US/Central"), "US/Central")).toBe(t);
    }
  });
  it("rejects a non-finite epoch", () => {
    expect(() => timestampToIsotime(Number.NaN, "UTC")).toThrow(/Invalid epoch/);
  });
});

describe("3. local times a daylight-saving change makes ambiguous or impossible", () => {
  it("a time that happens twice names both instants and asks for an offset", async () => {
    const err = await thrown(() => isotimeToTimestamp("2022-11-06 01:15", "America/New_York"));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("happens twice in America/New_York");
    expect(err.message).toContain("2022-11-06T01:15:00-04:00");
    expect(err.message).toContain("2022-11-06T01:15:00-05:00");
  });
  it("a time that never happens says so, with the zone and offsets to choose from", async () => {
    for (const [text, zone] of [["2022-03-27 02:30", "Europe/Berlin"], ["2022-03-13T02:30", "US/Central"]]) {
      const err = await thrown(() => isotimeToTimestamp(text, zone));
      expect(err.code).toBe("bad-input");
      expect(err.message).toContain(`does not exist in ${zone}`);
      expect(err.message).toMatch(/explicit offset/);
    }
    // Through TimeRange the caller sees that message, not "since must not be later than until".
    const err = await thrown(() => TimeRange({ since: "2022-03-13T02:30", until: "2022-03-13T03:00", timezone: "US/Central" }));
    expect(err.message).toContain("does not exist in US/Central");
  });
  it("an explicit offset, and ordinary local times, still work", () => {
    expect(isotimeToTimestamp("2022-11-06T01:15:00-05:00", "America/New_York")).toBe(1667715300);
    expect(isotimeToTimestamp("2022-11-06T01:15:00-04:00", "America/New_York")).toBe(1667711700);
    expect(isotimeToTimestamp("2022-05-01", "US/Central")).toBe(1651381200);
    expect(isotimeToTimestamp("2022-03-13T03:30", "US/Central")).toBe(1647160200);
  });
});
