// client/from-uri.ts: the URI forms fromUri accepts, and the API key a URI may carry. A broken URI
// and a key in a URI guard against hostile input (issue 10, items 7 and 14).
import { describe, expect, it } from "vitest";
import { fromUri, parseTiledUri } from "../client/from-uri";
import { TiledError } from "../errors";
import { caught } from "./caught";
import { localServers, sendJson } from "./local-server";
import { nodeJson, treeHandler } from "./tiled-json";

const serve = localServers();
const ROOT_NODE = { data: { id: "", attributes: { ancestors: [], structure_family: "container", specs: [], metadata: {} } } };

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

describe("7. bad timeouts and broken URIs are bad-input, not RangeError or URIError", () => {
  it("a broken percent-escape in fromUri", async () => {
    const err = await caught(fromUri("http://127.0.0.1:9/bdp%zz"));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("percent-escape");
  });
});

describe("11-14. the API key goes only where it belongs", () => {
  const KEY = "hostilekey0123456789abcdef";
  it("14. fromUri takes ?api_key= from the URI and sends it as a header, not in URLs", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, ROOT_NODE));
    await fromUri(`${server.url}/?api_key=${KEY}`);
    expect(server.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
    expect(server.requests[0].url).not.toContain(KEY);
  });
});

describe("fromUri", () => {
  it("opens the node a URI names (an API URL too), fetching only that node", async () => {
    const server = await serve(treeHandler([nodeJson([], "container"), nodeJson(["bdp2022"], "container", { metadata: { title: "2022" } })]));
    for (const uri of [`${server.url}/bdp2022`, `${server.url}/api/v1/metadata/bdp2022`, `${server.url}/bdp2022/`]) {
      const bdp = await fromUri(uri);
      expect(bdp.path).toEqual(["bdp2022"]);
      expect(bdp.metadata).toEqual({ title: "2022" });
    }
    expect(server.requests.map((r) => r.url)).toEqual(["/api/v1/metadata/bdp2022", "/api/v1/metadata/bdp2022", "/api/v1/metadata/bdp2022"]);
  });
  it("a URI naming an array is bad-input saying to open its parent; a missing node is not-found", async () => {
    const array = nodeJson(["img"], "array", {
      structure: { data_type: { endianness: "little", kind: "u", itemsize: 1 }, chunks: [[1]], shape: [1], dims: null, resizable: false },
    });
    const server = await serve(treeHandler([nodeJson([], "container"), array]));
    const err = await caught(fromUri(`${server.url}/img`));
    expect(err.code).toBe("bad-input");
    expect(err.message).toMatch(/\/img is an? array, not a container: open its parent and use get\(\)/);
    expect((await caught(fromUri(`${server.url}/nope`))).code).toBe("not-found");
  });
  it("an api_key in the URI and another apiKey option is bad-input, not a silent choice", async () => {
    const err = await caught(fromUri("http://127.0.0.1:9/?api_key=one1", { apiKey: "two2" }));
    expect(err.code).toBe("bad-input");
    expect(err.message).not.toContain("one1");
    expect(err.message).not.toContain("two2");
  });
});
