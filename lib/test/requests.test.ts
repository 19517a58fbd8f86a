// requests.ts: the demo's hand-built requests (requestsTiled, tiledUri, searchSuffix). A hand-built
// path that would escape its catalog guards against hostile input (issue 10, item 1).
import { describe, expect, it } from "vitest";
import { Eq } from "../queries";
import { requestsTiled, searchSuffix, searchUrlSearchParams, tiledUri } from "../requests";
import { caught } from "./caught";

describe("1. keys that would escape their parent", () => {
  it("requestsTiled refuses a hand-built path with . or .. (also written %2e)", async () => {
    for (const catalog of ["bdp2022/..", "..", "bdp2022/%2e%2e/x", "bdp2022/./x"]) {
      expect((await caught(requestsTiled("127.0.0.1", catalog, { port: 9 }))).code).toBe("bad-input");
    }
  });
});

describe("searchSuffix", () => {
  it("a readable suffix keeps brackets and encodes values", () => {
    expect(searchSuffix({ queries: [Eq("start.plan_name", "push_images")], sort: ["start.time"], limit: 300 })).toBe(
      "?page[limit]=300&filter[eq][condition][key]=start.plan_name&filter[eq][condition][value]=%22push_images%22&sort=start.time",
    );
  });
});

describe("URL building", () => {
  it("builds the demo's URI", () => {
    expect(tiledUri("localhost", "bdp2022", { suffix: "?page[limit]=1" })).toBe("http://localhost:8000/api/v1/search/bdp2022?page[limit]=1");
    expect(() => tiledUri("http://localhost", "bdp2022")).toThrow(/host name/);
    expect(() => tiledUri("localhost", "bdp2022", { port: 0 })).toThrow(/TCP port/);
    expect(searchUrlSearchParams({ queries: [Eq("a", 1)], limit: 5 }).toString()).toBe("page%5Blimit%5D=5&filter%5Beq%5D%5Bcondition%5D%5Bkey%5D=a&filter%5Beq%5D%5Bcondition%5D%5Bvalue%5D=1");
  });
});
