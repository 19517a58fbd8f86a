// client/context.ts: what the clients of one server share: API URLs, the response size limit.
import { describe, expect, it } from "vitest";
import { Context } from "../client/context";

describe("URL building", () => {
  it("encodes path segments (and keeps the root's trailing slash)", () => {
    const context = new Context({ baseUrl: "http://h:1/", snapshots: "live" });
    expect(context.apiUrl("metadata", ["bdp2022", "a b/c"])).toBe("http://h:1/api/v1/metadata/bdp2022/a%20b%2Fc");
    // The root with its slash: tiled redirects /api/v1/search to /api/v1/search/ (307).
    expect(context.apiUrl("search", [])).toBe("http://h:1/api/v1/search/");
  });
  it("refuses a bad response size limit", () => {
    expect(() => new Context({ responseBytesizeLimit: 0 })).toThrow(/positive integer/);
  });
});
