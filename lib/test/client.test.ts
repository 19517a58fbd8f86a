import { describe, expect, it } from "vitest";
import { parseTiledUri } from "../client/from-uri";
import { Context } from "../client/context";
import { TiledError } from "../errors";
import { searchUrlSearchParams, tiledUri } from "../requests";
import { Eq } from "../queries";

describe("parseTiledUri (fromUri's URI forms)", () => {
  it("accepts the root, a node path, and tiled API URLs", () => {
    expect(parseTiledUri("http://127.0.0.1:8000")).toEqual({ baseUrl: "http://127.0.0.1:8000", path: [] });
    expect(parseTiledUri("http://127.0.0.1:8000/")).toEqual({ baseUrl: "http://127.0.0.1:8000", path: [] });
    expect(parseTiledUri("http://127.0.0.1:8000/bdp2022")).toEqual({ baseUrl: "http://127.0.0.1:8000", path: ["bdp2022"] });
    expect(parseTiledUri("http://h:8000/api/v1/metadata/bdp2022/abc")).toEqual({ baseUrl: "http://h:8000", path: ["bdp2022", "abc"] });
    expect(parseTiledUri("http://h:8000/api/v1/node/metadata/bdp2022")).toEqual({ baseUrl: "http://h:8000", path: ["bdp2022"] });
    expect(parseTiledUri("https://h/tiled/api/v1/search/a")).toEqual({ baseUrl: "https://h/tiled", path: ["a"] });
  });
  it("rejects what is not an http(s) URL", () => {
    expect(() => parseTiledUri("localhost:8000")).toThrow(TiledError);
    expect(() => parseTiledUri("ftp://h/x")).toThrow(/only http and https/);
    expect(() => parseTiledUri("not a url")).toThrow(/is not a URL/);
  });
});

describe("URL building", () => {
  it("encodes path segments and builds the demo's URI", () => {
    const context = new Context({ baseUrl: "http://h:1/", snapshots: "live" });
    expect(context.apiUrl("metadata", ["bdp2022", "a b/c"])).toBe("http://h:1/api/v1/metadata/bdp2022/a%20b%2Fc");
    // The root with its slash: tiled redirects /api/v1/search to /api/v1/search/ (307).
    expect(context.apiUrl("search", [])).toBe("http://h:1/api/v1/search/");
    expect(tiledUri("localhost", "bdp2022", { suffix: "?page[limit]=1" })).toBe("http://localhost:8000/api/v1/search/bdp2022?page[limit]=1");
    expect(() => tiledUri("http://localhost", "bdp2022")).toThrow(/host name/);
    expect(() => tiledUri("localhost", "bdp2022", { port: 0 })).toThrow(/TCP port/);
    expect(searchUrlSearchParams({ queries: [Eq("a", 1)], limit: 5 }).toString()).toBe("page%5Blimit%5D=5&filter%5Beq%5D%5Bcondition%5D%5Bkey%5D=a&filter%5Beq%5D%5Bcondition%5D%5Bvalue%5D=1");
  });
  it("refuses a bad response size limit", () => {
    expect(() => new Context({ responseBytesizeLimit: 0 })).toThrow(/positive integer/);
  });
});
