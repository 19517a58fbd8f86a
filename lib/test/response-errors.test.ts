// response-errors.ts: what a failed request becomes. A non-2xx answer's status, detail and request id,
// with a code per kind (not-found, unauthorized, forbidden, unsupported-query, http); a request that
// got no answer is unreachable, naming the URL and what to check (generic advice: the library does
// not know this project's replicas); one answered badly is invalid-response. Some cases guard
// against hostile or careless input (issue 10: the numbered tests, items 8 and 12).
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fromUri } from "../client/from-uri";
import { Context } from "../context";
import { BodyCutShort } from "../http/types";
import { failedRequest } from "../response-errors";
import { caught } from "./caught";
import { FAST_RETRY, closedPort, localServers, sendJson } from "./local-server";

const serve = localServers();
const fast = FAST_RETRY;

describe("server down", () => {
  it("names the URL and says what to check", async () => {
    const port = await closedPort();
    const err = await caught(fromUri(`http://127.0.0.1:${port}`, fast));
    expect(err.code).toBe("unreachable");
    expect(err.message).toContain(`Cannot reach the tiled server at http://127.0.0.1:${port}`);
    expect(err.message).toContain("ECONNREFUSED");
    expect(err.message).toContain("Nothing listens there: check the URL and that the server is running.");
  });
});

describe("error codes from the answer", () => {
  it("a 404 is code not-found; FastAPI's validation list is kept as detail", async () => {
    const server = await serve((req, res) =>
      req.url?.includes("limit")
        ? sendJson(res, 422, { detail: [{ type: "less_than_equal", loc: ["query", "page[limit]"], msg: "Input should be less than or equal to 300" }] })
        : sendJson(res, 404, { detail: "No such entry: ['nope']" }),
    );
    const { transport } = new Context({ baseUrl: server.url, ...fast });
    expect(await caught(transport.getJson(`${server.url}/metadata/nope`, z.unknown()))).toMatchObject({ code: "not-found", status: 404, detail: "No such entry: ['nope']" });
    const e422 = await caught(transport.getJson(`${server.url}/search?page[limit]=301`, z.unknown()));
    expect(e422).toMatchObject({ code: "http", status: 422 });
    expect(e422.message).toContain("query.page[limit]: Input should be less than or equal to 300");
  });

  it("a 401 is unauthorized and says how to log in or give a key; a 403 is forbidden and says to ask for access", async () => {
    const server = await serve((req, res) =>
      req.url === "/private" ? sendJson(res, 401, { detail: "Not authenticated" }) : sendJson(res, 403, { detail: "Not enough permissions" }),
    );
    const { transport } = new Context({ baseUrl: server.url, ...fast });
    const unauthorized = await caught(transport.getJson(`${server.url}/private`, z.unknown()));
    expect(unauthorized).toMatchObject({ code: "unauthorized", status: 401, detail: "Not authenticated" });
    expect(unauthorized.message).toMatch(/log in .*or give an API key \(apiKey, or TILED_API_KEY\)/);
    const forbidden = await caught(transport.getJson(`${server.url}/secret`, z.unknown()));
    expect(forbidden).toMatchObject({ code: "forbidden", status: 403, detail: "Not enough permissions" });
    expect(forbidden.message).toContain("ask its operators for access");
    expect(server.requests).toHaveLength(2); // neither is retried
  });

  it("an error body that is not JSON is kept as text, cut to 200 characters", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end(`<html>Bad Gateway${"!".repeat(500)}</html>`);
    });
    const err = await caught(new Context({ baseUrl: server.url, retry: { attempts: 1 } }).transport.getJson(`${server.url}/x`, z.unknown()));
    expect(err).toMatchObject({ code: "http", status: 502 });
    expect(String(err.detail)).toMatch(/^<html>Bad Gateway!+…$/);
    expect(String(err.detail).length).toBe(201);
  });
});

describe("8. each failure has its own code and message", () => {
  it("a refused connection says nothing listens there; a host that does not resolve says to check the URL", async () => {
    const port = await closedPort();
    const local = await caught(new Context({ baseUrl: `http://127.0.0.1:${port}`, ...fast }).transport.getJson(`http://127.0.0.1:${port}/`, z.unknown()));
    expect(local.code).toBe("unreachable");
    expect(local.message).toContain("Nothing listens there");
    const remote = await caught(new Context({ baseUrl: "http://no-such-host.invalid", retry: { attempts: 1 } }).transport.getJson("http://no-such-host.invalid/api/v1/", z.unknown()));
    expect(remote.code).toBe("unreachable");
    expect(remote.message).toContain("Cannot reach the tiled server at http://no-such-host.invalid");
    expect(remote.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(remote.message).toContain("The host name does not resolve: check the URL.");
  });

  it("failedRequest: a body cut short, or an answer that is not HTTP, is invalid-response; no answer is unreachable", () => {
    const url = "http://h:1/api/v1/metadata/x";
    const cut = failedRequest(url, new BodyCutShort(10, 100));
    expect(cut.code).toBe("invalid-response");
    expect(cut.message).toContain("the connection closed after 10 bytes of the 100 announced");
    const garbage = failedRequest(url, Object.assign(new Error("Parse Error: Expected HTTP/"), { code: "HPE_INVALID_CONSTANT" }));
    expect(garbage.code).toBe("invalid-response");
    expect(garbage.message).toContain("not valid HTTP (HPE_INVALID_CONSTANT)");
    // node-fetch wraps the socket's error: the code is found on the cause too.
    const wrapped = failedRequest(url, new Error("request failed", { cause: Object.assign(new Error("Parse Error"), { code: "HPE_INVALID_HEADER_TOKEN" }) }));
    expect(wrapped.code).toBe("invalid-response");
    const reset = failedRequest(url, Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    expect(reset.code).toBe("unreachable");
    expect(reset.message).toContain("Cannot reach the tiled server at http://h:1 (ECONNRESET).");
    expect(reset.url).toBe(url);
  });
});

describe("11-14. the API key goes only where it belongs", () => {
  const KEY = "hostilekey0123456789abcdef";
  it("12. an api_key in a URL appears nowhere in the error, its cause included", async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/api/v1/metadata/x?api_key=${KEY}`;
    const err = await caught(new Context({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 1 } }).transport.getJson(url, z.unknown()));
    for (const text of [String(err), err.message, err.stack ?? "", inspect(err, { depth: 10 }), inspect(err.cause, { depth: 10, showHidden: true })]) {
      expect(text).not.toContain(KEY);
    }
  });
  it("12. failedRequest removes the secrets it is given from the message and the cause", () => {
    const err = failedRequest("http://h:1/x", new Error(`connect failed for ${KEY}`), [KEY]);
    for (const text of [err.message, inspect(err, { depth: 10 })]) expect(text).not.toContain(KEY);
  });
});
