// requests.ts: the demo's hand-built requests (requestsTiled, tiledUri, searchSuffix). A hand-built
// path that would escape its catalog guards against hostile input (issue 10, item 1).
import { describe, expect, it } from "vitest";
import { Context } from "../context";
import { Eq } from "../queries";
import { requestsTiled, requestsTiledBytes, searchSuffix, searchUrlSearchParams, tiledUri } from "../requests";
import { caught } from "./caught";
import { localServers, sendBytes, sendJson } from "./local-server";

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

describe("context and its options", () => {
  const serve = localServers();
  it("each one given is honoured, not lost to the shared transport of the origin", async () => {
    const page = { data: [{ id: "x".repeat(200), attributes: { ancestors: [] } }], links: { next: null }, meta: { count: 1 } };
    const server = await serve((req, res) => {
      if ((req.url ?? "").startsWith("/api/v1/array")) return sendBytes(res, new Uint8Array(8));
      sendJson(res, 200, page);
    });
    const port = Number(new URL(server.url).port);
    // The shared transport (default cap) reads the page; maxJsonBytes: 100 must refuse it.
    expect((await requestsTiled("127.0.0.1", "c", { port })).data).toHaveLength(1);
    expect((await caught(requestsTiled("127.0.0.1", "c", { port, maxJsonBytes: 100 }))).code).toBe("too-large");
    // bulkReader "fetch" reads through node-fetch, which sends its user-agent; the socket reader sends none.
    await requestsTiledBytes("127.0.0.1", "c/a", { port, api: "/api/v1/array/full", accept: "application/octet-stream" });
    await requestsTiledBytes("127.0.0.1", "c/a", { port, api: "/api/v1/array/full", accept: "application/octet-stream", bulkReader: "fetch" });
    const agents = server.requests.filter((r) => r.url.startsWith("/api/v1/array")).map((r) => r.headers["user-agent"]);
    expect(agents[0]).toBeUndefined();
    expect(agents[1]).toMatch(/node-fetch/);
  });

  it("a given context is used (its API key, its caps); a context for another server is bad-input, and nothing is sent", async () => {
    const KEY = "contextkey0123456789";
    const page = { data: [], links: { next: null }, meta: { count: 0 } };
    const server = await serve((req, res) => ((req.url ?? "").startsWith("/api/v1/array") ? sendBytes(res, new Uint8Array(8)) : sendJson(res, 200, page)));
    const port = Number(new URL(server.url).port);
    const context = new Context({ baseUrl: server.url, apiKey: KEY });
    await requestsTiled("127.0.0.1", "c", { port, context });
    await requestsTiledBytes("127.0.0.1", "c/a", { port, context, api: "/api/v1/array/full", accept: "application/octet-stream" });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Apikey ${KEY}`, `Apikey ${KEY}`]);
    const elsewhere = new Context({ baseUrl: "http://127.0.0.1:9", apiKey: KEY });
    const err = await caught(requestsTiled("127.0.0.1", "c", { port, context: elsewhere }));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("its credentials would not be sent there");
    expect(err.message).not.toContain(KEY);
    expect(server.requests).toHaveLength(2);
  });
});
