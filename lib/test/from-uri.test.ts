// client/from-uri.ts: connecting to the node a URI names. Without /api/v1 in the URI, the API is
// looked for under the whole path first, then under each shorter one (a server mounted under a
// path, as reverse-proxied facility servers are: issue 19, item 12), the rest being node keys; the
// "about" found is kept in the context. A broken URI and a key in a URI guard against hostile input
// (issue 10, items 7 and 14). The URI forms themselves: urls.test.ts (splitUri).
import type * as http from "node:http";
import { describe, expect, it } from "vitest";
import { fromUri } from "../client/from-uri";
import { caught } from "./caught";
import { localServers, sendJson } from "./local-server";
import type { Handler } from "./local-server";
import { nodeJson, treeHandler } from "./tiled-json";

const serve = localServers();
const TREE = [nodeJson([], "container"), nodeJson(["bdp2022"], "container", { metadata: { title: "2022" } }), nodeJson(["bdp2022", "run1"], "container")];
const paths = (server: { requests: { url: string }[] }) => server.requests.map((r) => r.url);

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
    const server = await serve(treeHandler(TREE));
    const root = await fromUri(`${server.url}/?api_key=${KEY}`);
    await root.get("bdp2022");
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    for (const r of server.requests) {
      expect(r.headers.authorization).toBe(`Apikey ${KEY}`);
      expect(r.url).not.toContain(KEY);
    }
  });
});

describe("fromUri", () => {
  it("opens the node a URI names (an API URL too), fetching the server's about and only that node", async () => {
    const server = await serve(treeHandler(TREE));
    for (const uri of [`${server.url}/bdp2022`, `${server.url}/bdp2022/`, `${server.url}/api/v1/metadata/bdp2022`]) {
      const bdp = await fromUri(uri);
      expect(bdp.path).toEqual(["bdp2022"]);
      expect(bdp.metadata).toEqual({ title: "2022" });
    }
    // The whole path is tried as a mount point first (tiled's Python reading), then the root.
    // An API URL says where the API is: its about is asked for once (what authentication it
    // wants), under that root only.
    expect(paths(server)).toEqual([
      "/bdp2022/api/v1/",
      "/api/v1/",
      "/api/v1/metadata/bdp2022",
      "/bdp2022/api/v1/",
      "/api/v1/",
      "/api/v1/metadata/bdp2022",
      "/api/v1/",
      "/api/v1/metadata/bdp2022",
    ]);
  });
  it("the about it found is kept: a query check afterwards asks nothing more", async () => {
    const server = await serve(treeHandler(TREE));
    const root = await fromUri(server.url);
    const before = server.requests.length;
    await root.context.about();
    expect(server.requests.length).toBe(before);
    expect(paths(server)).toEqual(["/api/v1/", "/api/v1/metadata/"]);
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

/**
 * A reverse proxy in front of tiled, as at a facility: tiled's API only under `/tiled/api/v1`;
 * everything else is the proxy's own web page (200, HTML) or its 404.
 */
function mountedUnder(prefix: string): Handler {
  const tiled = treeHandler(TREE);
  return (req: http.IncomingMessage, res: http.ServerResponse, n: number) => {
    const url = req.url ?? "/";
    if (url.startsWith(`${prefix}/`)) {
      req.url = url.slice(prefix.length);
      return tiled(req, res, n);
    }
    if (url === "/api/v1/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html><body>Welcome to the beamline's web site</body></html>");
      return;
    }
    res.writeHead(404, { "content-type": "text/html" });
    res.end("<html>Not Found</html>");
  };
}

describe("19.12 a server mounted under a path (http://host/tiled)", () => {
  it("19.12 fromUri('http://host:port/tiled') finds the API under /tiled, and every later request stays under it", async () => {
    const server = await serve(mountedUnder("/tiled"));
    const root = await fromUri(`${server.url}/tiled`);
    expect(root.path).toEqual([]);
    expect(root.context.baseUrl).toBe(`${server.url}/tiled`);
    const bdp = await root.get("bdp2022", { kind: "container" });
    expect(bdp.metadata).toEqual({ title: "2022" });
    expect(await bdp.keys().toArray()).toEqual(["run1"]);
    expect(paths(server)[0]).toBe("/tiled/api/v1/");
    expect(paths(server).every((p) => p.startsWith("/tiled/api/v1/"))).toBe(true);
  });

  it("19.12 a node path after the mount: the whole path is tried first, then shorter ones, the rest being keys", async () => {
    const server = await serve(mountedUnder("/tiled"));
    const run = await fromUri(`${server.url}/tiled/bdp2022/run1`);
    expect(run.path).toEqual(["bdp2022", "run1"]);
    expect(paths(server)).toEqual(["/tiled/bdp2022/run1/api/v1/", "/tiled/bdp2022/api/v1/", "/tiled/api/v1/", "/tiled/api/v1/metadata/bdp2022/run1"]);
  });

  it("19.12 when nothing answers, the error names every URL tried and what each gave", async () => {
    const server = await serve(mountedUnder("/tiled"));
    const err = await caught(fromUri(`${server.url}/tilde/bdp2022`));
    expect(err.code).toBe("not-found");
    expect(err.message).toContain(`No tiled server answers at ${server.url}/tilde/bdp2022`);
    // Each probe, with the status it gave; the root's HTML page (a 200 that is no tiled "about") is
    // named as such.
    expect(err.message).toContain(`${server.url}/tilde/bdp2022/api/v1/ (404)`);
    expect(err.message).toContain(`${server.url}/tilde/api/v1/ (404)`);
    expect(err.message).toContain(`${server.url}/api/v1/ (200, but not tiled's API)`);
    expect(err.message).toContain("give the server's root (as in a browser, e.g. https://host/tiled)");
    expect(paths(server)).toEqual(["/tilde/bdp2022/api/v1/", "/tilde/api/v1/", "/api/v1/"]);
  });

  it("19.12 a server that answers 503 (down) is reported at once, not probed path by path", async () => {
    const server = await serve((_req, res) => sendJson(res, 503, { detail: "down for maintenance" }));
    const err = await caught(fromUri(`${server.url}/tiled/bdp2022`, { retry: { attempts: 1 } }));
    expect(err).toMatchObject({ code: "http", status: 503 });
    expect(server.requests).toHaveLength(1);
  });
});
