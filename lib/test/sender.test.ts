// http/sender.ts: one logical GET, the same whichever HTTP client receives the bytes: retries of
// transport errors and 429/502/503/504 only, timeouts and cancels through AbortSignal, redirects
// followed here (loops refused), the API key sent only to its own origin, bulk data asked for
// uncompressed. Most cases guard against hostile input (issue 10: the numbered tests, items 8 and
// 11); binary reads are checked with both bulk readers (socket and node-fetch).
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { About } from "../schemas/about";
import { Transport } from "../transport";
import { caught } from "./caught";
import { FAST_RETRY, closedPort, localServers, sendBytes, sendJson, sendChunkedJson } from "./local-server";

const serve = localServers();
const fast = FAST_RETRY;

describe("server down", () => {
  it("retries a refused connection a bounded number of times, within the time bound", async () => {
    const port = await closedPort();
    const started = Date.now();
    const transport = new Transport({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 4, initialDelayMs: 50, totalTimeoutMs: 120 } });
    await caught(transport.getJson(`http://127.0.0.1:${port}/api/v1/`, About));
    // 50 + 100 ms of waiting fits 120 ms only for the first retry: two attempts, well under a second.
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("retries: only transport errors and 5xx", () => {
  it("retries 503 until it succeeds", async () => {
    const server = await serve((_req, res, n) => (n < 3 ? sendJson(res, 503, { detail: "busy" }) : sendJson(res, 200, { ok: true })));
    const transport = new Transport({ baseUrl: server.url, ...fast });
    await expect(transport.getJson(`${server.url}/x`, z.object({ ok: z.boolean() }))).resolves.toEqual({ ok: true });
    expect(server.requests).toHaveLength(3);
  });
  it("gives up after the attempts and reports the last 503 with detail and request id", async () => {
    const server = await serve((_req, res) => sendJson(res, 503, { detail: "Service unavailable" }, { "x-tiled-request-id": "abc123" }));
    const transport = new Transport({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(server.requests).toHaveLength(3);
    expect(err).toMatchObject({ code: "http", status: 503, detail: "Service unavailable", requestId: "abc123" });
    expect(err.message).toContain("abc123");
  });
  it("never retries a 500: tiled answers 500 for a request it cannot handle, and the same request fails again", async () => {
    const server = await serve((_req, res) => sendJson(res, 500, { detail: "Internal server error" }, { "x-tiled-request-id": "abc123" }));
    const transport = new Transport({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: "http", status: 500, detail: "Internal server error", requestId: "abc123" });
  });
  it("never retries a 4xx", async () => {
    const server = await serve((req, res) =>
      sendJson(res, 400, { detail: req.url?.includes("regex") ? "The query type 'Regex' is not supported on this node." : "Response would exceed 300000000." }),
    );
    const transport = new Transport({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: "http", status: 400 });
    // The node refusing a registered query is reported as unsupported-query.
    const regex = await caught(transport.getJson(`${server.url}/regex`, z.unknown()));
    expect(regex).toMatchObject({ code: "unsupported-query", status: 400 });
    expect(server.requests).toHaveLength(2);
  });
});

describe("timeouts through AbortSignal", () => {
  it("a slow answer becomes a timeout error after timeoutMs", async () => {
    const server = await serve((_req, res) => setTimeout(() => sendJson(res, 200, {}), 2_000));
    const transport = new Transport({ baseUrl: server.url, timeoutMs: 100, retry: { attempts: 1 } });
    const err = await caught(transport.getJson(`${server.url}/slow`, z.unknown()));
    expect(err.code).toBe("timeout");
    expect(err.message).toContain("100 ms");
  });
  it("the caller's signal cancels", async () => {
    const server = await serve((_req, res) => setTimeout(() => sendJson(res, 200, {}), 2_000));
    const transport = new Transport({ baseUrl: server.url, retry: { attempts: 3 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await caught(transport.getJson(`${server.url}/slow`, z.unknown(), { signal: controller.signal }));
    expect(err.code).toBe("aborted");
    expect(server.requests).toHaveLength(1);
  });
});

describe("API key", () => {
  const KEY = "secret-api-key-5f3a9c";
  it("is sent as Authorization: Apikey and appears in no error, message, inspection or URL", async () => {
    const server = await serve((_req, res) => sendJson(res, 401, { detail: "Invalid API key" }));
    const transport = new Transport({ baseUrl: server.url, apiKey: KEY, ...fast });
    const err = await caught(transport.getJson(`${server.url}/api/v1/metadata/x?api_key=${KEY}`, z.unknown()));
    expect(server.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
    for (const text of [String(err), err.message, err.stack ?? "", JSON.stringify(err), inspect(err, { depth: 5 }), inspect(transport, { depth: 5, showHidden: true })]) {
      expect(text).not.toContain(KEY);
    }
    expect(err.url).toContain("api_key=REDACTED");
  });
});

describe("8. each failure has its own code and message", () => {
  it("a body cut short is invalid-response saying so, not unreachable", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"data": [');
      setTimeout(() => res.destroy(), 20);
    });
    const err = await caught(new Transport({ baseUrl: server.url, ...fast }).getJson(`${server.url}/x`, z.unknown()));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("cut short");
    expect(err.message).toContain("10 bytes of the 100 announced");
    expect(err.message).not.toContain("bin/replica");
  });
  it("a redirect loop is code redirect, tried once", async () => {
    const server = await serve((req, res) => {
      res.writeHead(302, { location: req.url === "/a" ? "/b" : "/a" });
      res.end();
    });
    const err = await caught(new Transport({ baseUrl: server.url, ...fast }).getJson(`${server.url}/a`, z.unknown()));
    expect(err.code).toBe("redirect");
    expect(err.message).toContain("loop");
    expect(server.requests).toHaveLength(2);
  });
});

describe("11-14. the API key goes only where it belongs", () => {
  const KEY = "hostilekey0123456789abcdef";
  it("11. not forwarded on a redirect to another port of the same host; kept on a same-origin redirect", async () => {
    const other = await serve((_req, res) => sendJson(res, 200, {}));
    const first = await serve((req, res) => {
      res.writeHead(302, { location: req.url === "/same" ? "/landing" : `${other.url}/elsewhere` });
      res.end();
    });
    const transport = new Transport({ baseUrl: first.url, apiKey: KEY, ...fast });
    await expect(transport.getJson(`${first.url}/away`, z.unknown())).resolves.toEqual({});
    expect(other.requests[0].headers.authorization).toBeUndefined();
    expect(first.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
    await transport.getJson(`${first.url}/same`, z.unknown()); // /same → /landing (same origin) → other
    expect(first.requests.map((r) => [r.url, r.headers.authorization])).toContainEqual(["/landing", `Apikey ${KEY}`]);
  });
});

// Binary bodies (arrays, Arrow tables) are received by the bulk reader `bulkReader` chooses:
// http/socket-get.ts ("socket", the default over http:) or node-fetch (http/fetch-get.ts, which
// also receives every JSON body). Each case above that concerns the connection or the body, again
// with a binary read through each.
describe.each(["socket", "fetch"] as const)("binary reads with bulkReader %s", (bulkReader) => {
  const OCTET = { accept: "application/octet-stream" };

  describe("compression", () => {
    it("asks for bulk data uncompressed by default, JSON compressed; compression: true lets the server choose", async () => {
      const server = await serve((req, res) => {
        if (req.url?.includes("bytes")) {
          res.writeHead(200, { "content-type": "application/octet-stream" });
          res.end(Buffer.alloc(4));
        } else sendJson(res, 200, {});
      });
      await new Transport({ baseUrl: server.url, bulkReader }).getBytes(`${server.url}/bytes`, { accept: "application/octet-stream", expectedBytes: 4 });
      await new Transport({ baseUrl: server.url, bulkReader }).getJson(`${server.url}/json`, z.unknown());
      await new Transport({ baseUrl: server.url, compression: true, bulkReader }).getBytes(`${server.url}/bytes`, { accept: "application/octet-stream", expectedBytes: 4 });
      expect(server.requests.map((r) => r.headers["accept-encoding"])).toEqual(["identity", expect.stringContaining("gzip"), expect.stringContaining("gzip")]);
    });
  });

  it("8. a body cut short is invalid-response saying so, not unreachable", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "100" });
      res.write(Buffer.alloc(10, 7));
      setTimeout(() => res.destroy(), 20);
    });
    const transport = new Transport({ baseUrl: server.url, bulkReader, ...fast });
    for (const expectedBytes of [100, undefined]) {
      const err = await caught(transport.getBytes(`${server.url}/x`, { ...OCTET, expectedBytes }));
      expect(err.code).toBe("invalid-response");
      expect(err.message).toContain("cut short");
      expect(err.message).toContain("10 bytes of the 100 announced");
      expect(err.message).not.toContain("bin/replica");
    }
    // Not a transport error: not retried.
    expect(server.requests).toHaveLength(2);
  });

  it("8. a redirect loop is code redirect, tried once", async () => {
    const server = await serve((req, res) => {
      res.writeHead(302, { location: req.url === "/a" ? "/b" : "/a" });
      res.end();
    });
    const err = await caught(new Transport({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/a`, OCTET));
    expect(err.code).toBe("redirect");
    expect(err.message).toContain("loop");
    expect(server.requests).toHaveLength(2);
  });

  it("a redirect is followed to the bytes", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/old") {
        res.writeHead(307, { location: "/new" });
        res.end();
      } else sendBytes(res, new Uint8Array([1, 2, 3, 4]));
    });
    const body = await new Transport({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/old`, { ...OCTET, expectedBytes: 4 });
    expect(Array.from(body)).toEqual([1, 2, 3, 4]);
    expect(server.requests.map((r) => r.url)).toEqual(["/old", "/new"]);
  });

  it("9. an error body past the JSON cap is too-large, whether announced or chunked, and not read to its end", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/announced") {
        res.writeHead(500, { "content-type": "application/json", "content-length": String(5_000_000) });
        res.write("{");
        return;
      }
      sendChunkedJson(res, 500, 200); // 200 chunks of 64 KiB, no Content-Length
    });
    const transport = new Transport({ baseUrl: server.url, maxJsonBytes: 1_000_000, bulkReader, ...fast });
    const announced = await caught(transport.getBytes(`${server.url}/announced`, { ...OCTET, expectedBytes: 8 }));
    expect(announced.code).toBe("too-large");
    expect(announced.message).toContain("5000000 bytes");
    const chunked = await caught(transport.getBytes(`${server.url}/chunked`, OCTET));
    expect(chunked.code).toBe("too-large");
    expect(chunked.message).toContain("1000000-byte limit");
  });

  it("11. the key is not forwarded on a redirect to another port of the same host; kept on a same-origin redirect", async () => {
    const KEY = "hostilekey0123456789abcdef";
    const other = await serve((_req, res) => sendBytes(res, new Uint8Array([9])));
    const first = await serve((req, res) => {
      res.writeHead(302, { location: req.url === "/same" ? "/landing" : `${other.url}/elsewhere` });
      res.end();
    });
    const transport = new Transport({ baseUrl: first.url, apiKey: KEY, bulkReader, ...fast });
    expect(Array.from(await transport.getBytes(`${first.url}/away`, OCTET))).toEqual([9]);
    expect(other.requests[0].headers.authorization).toBeUndefined();
    expect(first.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
    await transport.getBytes(`${first.url}/same`, OCTET); // /same → /landing (same origin) → other
    expect(first.requests.map((r) => [r.url, r.headers.authorization])).toContainEqual(["/landing", `Apikey ${KEY}`]);
    expect(other.requests.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);
  });

  it("a slow answer, or a body that stalls, becomes a timeout error after timeoutMs", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/slow") {
        setTimeout(() => sendBytes(res, new Uint8Array(4)), 2_000);
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "100" });
      res.write(Buffer.alloc(10)); // then nothing
    });
    const transport = new Transport({ baseUrl: server.url, timeoutMs: 100, retry: { attempts: 1 }, bulkReader });
    for (const where of ["/slow", "/stall"]) {
      const started = Date.now();
      const err = await caught(transport.getBytes(`${server.url}${where}`, { ...OCTET, expectedBytes: 100 }));
      expect(err.code, where).toBe("timeout");
      expect(err.message).toContain("100 ms");
      expect(Date.now() - started).toBeLessThan(1_500);
    }
  });

  it("the caller's signal cancels, before the answer or in the middle of the body, and is not retried", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/slow") {
        setTimeout(() => sendBytes(res, new Uint8Array(4)), 2_000);
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "100" });
      res.write(Buffer.alloc(10));
    });
    const transport = new Transport({ baseUrl: server.url, retry: { attempts: 3 }, bulkReader });
    for (const where of ["/slow", "/stall"]) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const err = await caught(transport.getBytes(`${server.url}${where}`, { ...OCTET, signal: controller.signal }));
      expect(err.code, where).toBe("aborted");
    }
    expect(server.requests).toHaveLength(2);
  });

  it("retries 503 until it succeeds; gives up after the attempts with the last 503's detail and request id", async () => {
    const flaky = await serve((_req, res, n) => (n < 3 ? sendJson(res, 503, { detail: "busy" }) : sendBytes(res, new Uint8Array([5, 6]))));
    const transport = new Transport({ baseUrl: flaky.url, bulkReader, ...fast });
    expect(Array.from(await transport.getBytes(`${flaky.url}/x`, { ...OCTET, expectedBytes: 2 }))).toEqual([5, 6]);
    expect(flaky.requests).toHaveLength(3);
    const down = await serve((_req, res) => sendJson(res, 503, { detail: "Service unavailable" }, { "x-tiled-request-id": "abc123" }));
    const err = await caught(new Transport({ baseUrl: down.url, bulkReader, ...fast }).getBytes(`${down.url}/x`, OCTET));
    expect(down.requests).toHaveLength(3);
    expect(err).toMatchObject({ code: "http", status: 503, detail: "Service unavailable", requestId: "abc123" });
  });

  it("never retries a 500, and keeps its detail", async () => {
    const server = await serve((_req, res) => sendJson(res, 500, { detail: "Internal server error" }, { "x-tiled-request-id": "abc123" }));
    const err = await caught(new Transport({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/x`, { ...OCTET, expectedBytes: 1024 }));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: "http", status: 500, detail: "Internal server error", requestId: "abc123" });
  });

  it("retries a refused connection a bounded number of times, within the time bound, and names the replica", async () => {
    const port = await closedPort();
    const started = Date.now();
    const transport = new Transport({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 4, initialDelayMs: 50, totalTimeoutMs: 120 }, bulkReader });
    const err = await caught(transport.getBytes(`http://127.0.0.1:${port}/api/v1/array/full/x`, OCTET));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.code).toBe("unreachable");
    expect(err.message).toContain("ECONNREFUSED");
    expect(err.message).toContain("bin/replica start");
  });

  it("a connection reset before any answer is retried as a transport error", async () => {
    const server = await serve((req, res, n) => (n === 1 ? req.socket.destroy() : sendBytes(res, new Uint8Array([1, 2, 3]))));
    const body = await new Transport({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/x`, { ...OCTET, expectedBytes: 3 });
    expect(Array.from(body)).toEqual([1, 2, 3]);
    expect(server.requests).toHaveLength(2);
  });
});
