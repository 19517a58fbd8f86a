// response-errors.ts: what a failed request becomes. A non-2xx answer's status, detail and request id;
// a connection that cannot be made, naming the URL (and the replica only when it is this machine).
// Some cases guard against hostile or careless input (issue 10: the numbered tests, items 8 and 12).
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fromUri } from "../client/from-uri";
import { Transport } from "../transport";
import { caught } from "./caught";
import { FAST_RETRY, closedPort, localServers, sendJson } from "./local-server";

const serve = localServers();
const fast = FAST_RETRY;

describe("server down", () => {
  it("names the URL and says how to start the replica", async () => {
    const port = await closedPort();
    const err = await caught(fromUri(`http://127.0.0.1:${port}`, fast));
    expect(err.code).toBe("unreachable");
    expect(err.message).toContain(`http://127.0.0.1:${port}`);
    expect(err.message).toContain("bin/replica start");
    expect(err.message).toContain("scripts/setup.sh");
  });
});

describe("error codes from the answer", () => {
  it("a 404 is code not-found; FastAPI's validation list is kept as detail", async () => {
    const server = await serve((req, res) =>
      req.url?.includes("limit")
        ? sendJson(res, 422, { detail: [{ type: "less_than_equal", loc: ["query", "page[limit]"], msg: "Input should be less than or equal to 300" }] })
        : sendJson(res, 404, { detail: "No such entry: ['nope']" }),
    );
    const transport = new Transport({ baseUrl: server.url, ...fast });
    expect(await caught(transport.getJson(`${server.url}/metadata/nope`, z.unknown()))).toMatchObject({ code: "not-found", status: 404, detail: "No such entry: ['nope']" });
    const e422 = await caught(transport.getJson(`${server.url}/search?page[limit]=301`, z.unknown()));
    expect(e422.message).toContain("query.page[limit]: Input should be less than or equal to 300");
  });
});

describe("8. each failure has its own code and message", () => {
  it("only a refused connection on this machine suggests starting the replica", async () => {
    const port = await closedPort();
    const local = await caught(new Transport({ baseUrl: `http://127.0.0.1:${port}`, ...fast }).getJson(`http://127.0.0.1:${port}/`, z.unknown()));
    expect(local.code).toBe("unreachable");
    expect(local.message).toContain("bin/replica start");
    const remote = await caught(
      new Transport({ baseUrl: "http://no-such-host.invalid", retry: { attempts: 1 } }).getJson("http://no-such-host.invalid/api/v1/", z.unknown()),
    );
    expect(remote.code).toBe("unreachable");
    expect(remote.message).not.toContain("bin/replica");
  });
});

describe("11-14. the API key goes only where it belongs", () => {
  const KEY = "hostilekey0123456789abcdef";
  it("12. an api_key in a URL appears nowhere in the error, its cause included", async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/api/v1/metadata/x?api_key=${KEY}`;
    const err = await caught(new Transport({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 1 } }).getJson(url, z.unknown()));
    for (const text of [String(err), err.message, err.stack ?? "", inspect(err, { depth: 10 }), inspect(err.cause, { depth: 10, showHidden: true })]) {
      expect(text).not.toContain(KEY);
    }
  });
});
