// context.ts: what the clients of one server share: its configuration, its credentials (owned
// here, asked for on every request and websocket), API URLs, and the server's "about", fetched once.
import { describe, expect, it } from "vitest";
import { Context } from "../context";
import { Eq, Regex } from "../queries";
import { About } from "../schemas/about";
import { caught, thrown } from "./caught";
import { localServers, sendJson } from "./local-server";
import { ABOUT } from "./tiled-json";

const serve = localServers();

describe("URL building", () => {
  it("encodes path segments (and keeps the root's trailing slash)", () => {
    const context = new Context({ baseUrl: "http://h:1/" });
    expect(context.apiUrl("metadata", ["bdp2022", "a b/c"])).toBe("http://h:1/api/v1/metadata/bdp2022/a%20b%2Fc");
    // The root with its slash: tiled redirects /api/v1/search to /api/v1/search/ (307).
    expect(context.apiUrl("search", [])).toBe("http://h:1/api/v1/search/");
  });
  it("a server mounted under a path keeps it in every API URL", () => {
    const context = new Context({ baseUrl: "https://host/tiled" });
    expect(context.apiUrl("metadata", ["bdp2022"])).toBe("https://host/tiled/api/v1/metadata/bdp2022");
  });
  it("refuses a bad response size limit", async () => {
    const err = await thrown(() => new Context({ responseBytesizeLimit: 0 }));
    expect(err.code).toBe("bad-input");
    expect(err.message).toMatch(/responseBytesizeLimit 0 must be a positive whole number of bytes/);
  });
});

describe("the server's about", () => {
  it("is fetched once and shared; a failure is not kept, the next call asks again", async () => {
    const server = await serve((_req, res, n) => (n === 1 ? sendJson(res, 404, { detail: "not yet" }) : sendJson(res, 200, ABOUT)));
    const context = new Context({ baseUrl: server.url });
    expect((await caught(context.about())).code).toBe("not-found");
    const [a, b] = await Promise.all([context.about(), context.about()]);
    expect(a.queries).toContain("eq");
    expect(b).toBe(a);
    await context.about();
    expect(server.requests.map((r) => r.url)).toEqual(["/api/v1/", "/api/v1/"]);
  });
  it("checkQueries refuses a query the server does not register, before any search", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { ...ABOUT, queries: ["eq"] }));
    const context = new Context({ baseUrl: server.url });
    await context.checkQueries([Eq("a", 1)]);
    const err = await caught(context.checkQueries([Eq("a", 1), Regex("b", "^x")]));
    expect(err.code).toBe("unsupported-query");
    expect(err.message).toContain("regex");
  });
});

describe("credentials: one owner for HTTP and websockets", () => {
  const KEY = "secret-api-key-5f3a9c";
  it("an API key goes to the server's origin over http and ws, never to another origin", () => {
    const context = new Context({ baseUrl: "http://h:1", apiKey: KEY, headers: { "tiled-qos": "low" } });
    expect(context.credentials.kind).toBe("apikey");
    expect(context.websocketHeaders("ws://h:1/api/v1/stream/single/live?envelope_format=msgpack")).toEqual({ "tiled-qos": "low", Authorization: `Apikey ${KEY}` });
    expect(context.websocketHeaders("ws://h:2/api/v1/stream/single/live")).toEqual({ "tiled-qos": "low" });
    expect(context.transport.secretsFor("http://h:1/x")).toContain(KEY);
  });
  it("credentials set on the context (after a login) are used by every request of every client of it", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, ABOUT));
    const context = new Context({ baseUrl: server.url });
    await context.transport.getJson(`${server.url}/api/v1/`, About);
    // What a login does: new credentials for the context (here a plain key, for the server's origin only).
    const origin = new URL(server.url).origin;
    context.setCredentials({ kind: "apikey", headersFor: (url) => (new URL(url).origin === origin ? { Authorization: `Apikey ${KEY}` } : {}), secrets: () => [KEY] });
    await context.transport.getJson(`${server.url}/api/v1/`, About);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([undefined, `Apikey ${KEY}`]);
    expect(context.websocketHeaders(`${server.url.replace("http", "ws")}/api/v1/stream/single/x`).Authorization).toBe(`Apikey ${KEY}`);
  });
});
