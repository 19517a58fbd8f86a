import { describe, expect, it } from "vitest";
import { TiledError } from "../errors";
import { isotimeToTimestamp, timestampToIsotime } from "../time";

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
