// parse.ts: a JSON answer that is not JSON, or not of the shape the API promises, is
// invalid-response naming the failing path and the URL (here through requestsTiled, on a local server).
import { describe, expect, it } from "vitest";
import { requestsTiled } from "../requests";
import { caught } from "./caught";
import { FAST_RETRY, localServers, sendJson } from "./local-server";

const serve = localServers();
const fast = FAST_RETRY;

describe("malformed responses", () => {
  it("bad JSON is invalid-response naming the URL", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"data": [1, 2');
    });
    const err = await caught(requestsTiled("127.0.0.1", "bdp2022", { port: Number(new URL(server.url).port), ...fast }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("not JSON");
    expect(err.url).toContain("/api/v1/search/bdp2022");
  });
  it("JSON of the wrong shape names the failing zod path and the URL", async () => {
    const server = await serve((_req, res) => sendJson(res, 200, { data: [{ id: "x", attributes: { ancestors: "oops" } }], links: {}, meta: {} }));
    const err = await caught(requestsTiled("127.0.0.1", "bdp2022", { port: Number(new URL(server.url).port), ...fast }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("data[0].attributes.ancestors");
    expect(err.message).toContain(`${server.url}/api/v1/search/bdp2022`);
  });
});
