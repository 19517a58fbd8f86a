// http/transport.ts: one logical request, the same whichever HTTP function receives the bytes.
// Retries of transport errors and 429/502/503/504 only; a no-progress timeout (timeoutMs) and an
// optional total deadline (deadlineMs); cancels through AbortSignal; redirects followed here (loops
// refused); the API key sent only to its own origin; JSON bodies capped and validated; bulk bodies
// asked for uncompressed, received whole (into the caller's buffer when given) and capped, with both
// bulk readers (socket and node-fetch) giving the same bytes. Every case runs against a local server
// (local-server.ts): node:http for well-formed answers, raw TCP for the hostile ones. The numbered
// cases guard against hostile input (issue 10: items 8, 9 and 11) and misbehaving servers (issue 19:
// items 8, 9, 11 and 13, named "19.N").
import type { Socket } from "node:net";
import * as zlib from "node:zlib";
import { inspect } from "node:util";
import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { fromUri } from "../client/from-uri";
import { ARROW_MIME_TYPE, TableClient } from "../client/table";
import type { BulkReader } from "../config";
import { Context } from "../context";
import type { ContextOptions } from "../context";
import { About } from "../schemas/about";
import { NodeResource } from "../schemas/node";
import { caught } from "./caught";
import { FAST_RETRY, closedPort, localServers, rawServers, sendBytes, sendChunkedJson, sendJson } from "./local-server";
import { nodeJson, treeHandler } from "./tiled-json";

const serve = localServers();
const rawServer = rawServers();
const fast = FAST_RETRY;

/** The transport of a context made from these options, as every client of that context uses it. */
const tx = (options: ContextOptions) => new Context(options).transport;

const BULK_READERS: readonly BulkReader[] = ["socket", "fetch"];
const OCTET = "application/octet-stream";

/** `n` deterministic pseudo-random bytes (every byte value, no repeating pattern a bug could hide in). */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("server down", () => {
  it("retries a refused connection a bounded number of times, within the time bound", async () => {
    const port = await closedPort();
    const started = Date.now();
    const transport = tx({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 4, initialDelayMs: 50, totalTimeoutMs: 120 } });
    const err = await caught(transport.getJson(`http://127.0.0.1:${port}/api/v1/`, About));
    expect(err.code).toBe("unreachable");
    // 50 + 100 ms of waiting fits 120 ms only for the first retry: two attempts, well under a second.
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("retries: only transport errors and 429/502/503/504", () => {
  it("retries 503 until it succeeds", async () => {
    const server = await serve((_req, res, n) => (n < 3 ? sendJson(res, 503, { detail: "busy" }) : sendJson(res, 200, { ok: true })));
    const transport = tx({ baseUrl: server.url, ...fast });
    await expect(transport.getJson(`${server.url}/x`, z.object({ ok: z.boolean() }))).resolves.toEqual({ ok: true });
    expect(server.requests).toHaveLength(3);
  });
  it("gives up after the attempts and reports the last 503 with detail and request id", async () => {
    const server = await serve((_req, res) => sendJson(res, 503, { detail: "Service unavailable" }, { "x-tiled-request-id": "abc123" }));
    const transport = tx({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(server.requests).toHaveLength(3);
    expect(err).toMatchObject({ code: "http", status: 503, detail: "Service unavailable", requestId: "abc123" });
    expect(err.message).toContain("abc123");
  });
  it("never retries a 500: tiled answers 500 for a request it cannot handle, and the same request fails again", async () => {
    const server = await serve((_req, res) => sendJson(res, 500, { detail: "Internal server error" }, { "x-tiled-request-id": "abc123" }));
    const transport = tx({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: "http", status: 500, detail: "Internal server error", requestId: "abc123" });
  });
  it("never retries a 4xx", async () => {
    const server = await serve((req, res) =>
      sendJson(res, 400, { detail: req.url?.includes("regex") ? "The query type 'Regex' is not supported on this node." : "Response would exceed 300000000." }),
    );
    const transport = tx({ baseUrl: server.url, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: "http", status: 400 });
    // The node refusing a registered query is reported as unsupported-query.
    const regex = await caught(transport.getJson(`${server.url}/regex`, z.unknown()));
    expect(regex).toMatchObject({ code: "unsupported-query", status: 400 });
    expect(server.requests).toHaveLength(2);
  });
  it("a write (POST) answered 503 is not sent again: only a refused connection is retried for writes", async () => {
    const server = await serve((_req, res) => sendJson(res, 503, { detail: "busy" }));
    const err = await caught(tx({ baseUrl: server.url, ...fast }).sendJson("POST", `${server.url}/api/v1/metadata/`, { a: 1 }, z.unknown()));
    expect(err).toMatchObject({ code: "http", status: 503 });
    expect(server.requests).toHaveLength(1);
  });
});

describe("timeouts through AbortSignal", () => {
  it("a slow answer becomes a timeout error after timeoutMs", async () => {
    const server = await serve((_req, res) => setTimeout(() => sendJson(res, 200, {}), 2_000));
    const transport = tx({ baseUrl: server.url, timeoutMs: 100, retry: { attempts: 1 } });
    const err = await caught(transport.getJson(`${server.url}/slow`, z.unknown()));
    expect(err.code).toBe("timeout");
    expect(err.message).toContain("100 ms");
  });
  it("the caller's signal cancels", async () => {
    const server = await serve((_req, res) => setTimeout(() => sendJson(res, 200, {}), 2_000));
    const transport = tx({ baseUrl: server.url, retry: { attempts: 3 } });
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
    const context = new Context({ baseUrl: server.url, apiKey: KEY, ...fast });
    const transport = context.transport;
    const err = await caught(transport.getJson(`${server.url}/api/v1/metadata/x?api_key=${KEY}`, z.unknown()));
    expect(server.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
    expect(err.code).toBe("unauthorized");
    for (const text of [String(err), err.message, err.stack ?? "", JSON.stringify(err), inspect(err, { depth: 5 }), inspect(transport, { depth: 5, showHidden: true }), inspect(context, { depth: 5, showHidden: true })]) {
      expect(text).not.toContain(KEY);
    }
    expect(err.url).toContain("api_key=REDACTED");
  });
  it("a 401 lets the credentials recover once (a refreshed token), then the request is sent again with the new header", async () => {
    const server = await serve((req, res) => (req.headers.authorization === "Bearer fresh" ? sendJson(res, 200, { ok: true }) : sendJson(res, 401, { detail: "expired" })));
    const context = new Context({ baseUrl: server.url, ...fast });
    let token = "stale";
    const asked: (string | undefined)[] = [];
    context.setCredentials({
      kind: "tokens",
      headersFor: () => ({ Authorization: `Bearer ${token}` }),
      secrets: () => [token],
      recover: async (sent) => {
        asked.push(sent);
        if (token === "fresh") return false;
        token = "fresh";
        return true;
      },
    });
    await expect(context.transport.getJson(`${server.url}/x`, z.object({ ok: z.boolean() }))).resolves.toEqual({ ok: true });
    expect(asked).toEqual(["Bearer stale"]);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(["Bearer stale", "Bearer fresh"]);
  });
});

describe("8. each failure has its own code and message", () => {
  it("a body cut short is invalid-response saying so, not unreachable", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"data": [');
      setTimeout(() => res.destroy(), 20);
    });
    const err = await caught(tx({ baseUrl: server.url, ...fast }).getJson(`${server.url}/x`, z.unknown()));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("cut short");
    expect(err.message).toContain("10 bytes of the 100 announced");
  });
  it("a redirect loop is code redirect, tried once", async () => {
    const server = await serve((req, res) => {
      res.writeHead(302, { location: req.url === "/a" ? "/b" : "/a" });
      res.end();
    });
    const err = await caught(tx({ baseUrl: server.url, ...fast }).getJson(`${server.url}/a`, z.unknown()));
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
    const transport = tx({ baseUrl: first.url, apiKey: KEY, ...fast });
    await expect(transport.getJson(`${first.url}/away`, z.unknown())).resolves.toEqual({});
    expect(other.requests[0].headers.authorization).toBeUndefined();
    expect(first.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
    await transport.getJson(`${first.url}/same`, z.unknown()); // /same → /landing (same origin) → other
    expect(first.requests.map((r) => [r.url, r.headers.authorization])).toContainEqual(["/landing", `Apikey ${KEY}`]);
  });
});

describe("9. JSON bodies are capped", () => {
  it("a chunked body (no Content-Length) past the cap is too-large, and reading stops", async () => {
    const server = await serve((_req, res) => {
      sendChunkedJson(res, 200, 200); // 200 chunks of 64 KiB, no Content-Length
    });
    const transport = tx({ baseUrl: server.url, maxJsonBytes: 1_000_000, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(err.code).toBe("too-large");
    expect(err.message).toContain("1000000-byte limit");
    expect(err.message).toContain("maxJsonBytes / TILED_MAX_JSON_BYTES");
  });
  it("a body announced larger than the cap is refused before reading it", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(5_000_000) });
      res.write("[");
    });
    const err = await caught(tx({ baseUrl: server.url, maxJsonBytes: 1_000_000, ...fast }).getJson(`${server.url}/x`, z.unknown()));
    expect(err.code).toBe("too-large");
    expect(err.message).toContain("5000000 bytes");
  });
  it("a compressed JSON body is counted after decoding: a small gzip that decodes past the cap is too-large", async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20)); // 20 MiB of spaces, ~20 KB on the wire
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(bomb.byteLength) });
      res.end(bomb);
    });
    const err = await caught(tx({ baseUrl: server.url, maxJsonBytes: 1_000_000, ...fast }).getJson(`${server.url}/x`, z.unknown()));
    expect(bomb.byteLength).toBeLessThan(100_000);
    expect(err.code).toBe("too-large");
    expect(err.message).toContain("1000000-byte limit");
  });
});

// Binary bodies (arrays, Arrow tables) are received by the bulk reader `bulkReader` chooses:
// http/socket-get.ts ("socket", the default over http:) or node-fetch (http/node-fetch.ts, which
// also receives every JSON body). Each case above that concerns the connection or the body, again
// with a binary read through each.
describe.each(BULK_READERS)("binary reads with bulkReader %s", (bulkReader) => {
  const ACCEPT = { accept: OCTET };

  it("asks for bulk data uncompressed by default, JSON compressed; compression: true lets the server choose", async () => {
    const server = await serve((req, res) => {
      if (req.url?.includes("bytes")) sendBytes(res, new Uint8Array(4));
      else sendJson(res, 200, {});
    });
    await tx({ baseUrl: server.url, bulkReader }).getBytes(`${server.url}/bytes`, { accept: OCTET, expectedBytes: 4 });
    await tx({ baseUrl: server.url, bulkReader }).getJson(`${server.url}/json`, z.unknown());
    await tx({ baseUrl: server.url, compression: true, bulkReader }).getBytes(`${server.url}/bytes`, { accept: OCTET, expectedBytes: 4 });
    expect(server.requests.map((r) => r.headers["accept-encoding"])).toEqual(["identity", expect.stringContaining("gzip"), expect.stringContaining("gzip")]);
  });

  it("a short binary body is invalid-response", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": OCTET });
      res.end(Buffer.alloc(10));
    });
    const err = await caught(tx({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/bytes`, { accept: OCTET, expectedBytes: 16 }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("Expected 16 bytes but the server sent 10");
  });

  it("more than expectedBytes is invalid-response, announced or found while reading", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/announced") return sendBytes(res, new Uint8Array(16));
      res.writeHead(200, { "content-type": OCTET }); // chunked: no Content-Length
      res.write(Buffer.alloc(6));
      setTimeout(() => res.end(Buffer.alloc(10)), 10);
    });
    const transport = tx({ baseUrl: server.url, bulkReader, ...fast });
    for (const where of ["/announced", "/chunked"]) {
      const err = await caught(transport.getBytes(`${server.url}${where}`, { accept: OCTET, expectedBytes: 8 }));
      expect(err.code, where).toBe("invalid-response");
      expect(err.message).toContain("more than the expected 8 bytes");
    }
  });

  it("expectedBytes/into: the body lands in the caller's buffer, in place, its neighbours untouched", async () => {
    const body = noise(1000);
    const server = await serve((_req, res) => sendBytes(res, body));
    const transport = tx({ baseUrl: server.url, bulkReader, ...fast });
    const whole = new Uint8Array(1010).fill(0xee);
    const into = whole.subarray(5, 1005);
    const got = await transport.getBytes(`${server.url}/x`, { accept: OCTET, expectedBytes: 1000, into });
    expect(got.buffer).toBe(whole.buffer);
    expect(got.byteOffset).toBe(5);
    expect(got.byteLength).toBe(1000);
    expect(Buffer.from(into).equals(Buffer.from(body))).toBe(true);
    expect([...whole.subarray(0, 5), ...whole.subarray(1005)]).toEqual(new Array(10).fill(0xee));
    // Without `into`: a fresh buffer of exactly expectedBytes, at offset 0 (so any TypedArray view is aligned).
    const fresh = await transport.getBytes(`${server.url}/x`, { accept: OCTET, expectedBytes: 1000 });
    expect([fresh.byteOffset, fresh.byteLength, fresh.buffer.byteLength]).toEqual([0, 1000, 1000]);
    expect(Buffer.from(fresh).equals(Buffer.from(body))).toBe(true);
  });

  it("an `into` buffer of another size than expectedBytes is bad-input, and nothing is sent", async () => {
    const server = await serve((_req, res) => sendBytes(res, new Uint8Array(8)));
    const err = await caught(tx({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/x`, { accept: OCTET, expectedBytes: 8, into: new Uint8Array(4) }));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("holds 4 bytes, not the expected 8");
    expect(server.requests).toHaveLength(0);
  });

  it("8. a body cut short is invalid-response saying so, not unreachable", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": OCTET, "content-length": "100" });
      res.write(Buffer.alloc(10, 7));
      setTimeout(() => res.destroy(), 20);
    });
    const transport = tx({ baseUrl: server.url, bulkReader, ...fast });
    for (const expectedBytes of [100, undefined]) {
      const err = await caught(transport.getBytes(`${server.url}/x`, { ...ACCEPT, expectedBytes }));
      expect(err.code).toBe("invalid-response");
      expect(err.message).toContain("cut short");
      expect(err.message).toContain("10 bytes of the 100 announced");
    }
    // Not a transport error: not retried.
    expect(server.requests).toHaveLength(2);
  });

  it("8. a redirect loop is code redirect, tried once", async () => {
    const server = await serve((req, res) => {
      res.writeHead(302, { location: req.url === "/a" ? "/b" : "/a" });
      res.end();
    });
    const err = await caught(tx({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/a`, ACCEPT));
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
    const body = await tx({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/old`, { ...ACCEPT, expectedBytes: 4 });
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
    const transport = tx({ baseUrl: server.url, maxJsonBytes: 1_000_000, bulkReader, ...fast });
    const announced = await caught(transport.getBytes(`${server.url}/announced`, { ...ACCEPT, expectedBytes: 8 }));
    expect(announced.code).toBe("too-large");
    expect(announced.message).toContain("5000000 bytes");
    const chunked = await caught(transport.getBytes(`${server.url}/chunked`, ACCEPT));
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
    const transport = tx({ baseUrl: first.url, apiKey: KEY, bulkReader, ...fast });
    expect(Array.from(await transport.getBytes(`${first.url}/away`, ACCEPT))).toEqual([9]);
    expect(other.requests[0].headers.authorization).toBeUndefined();
    expect(first.requests[0].headers.authorization).toBe(`Apikey ${KEY}`);
    await transport.getBytes(`${first.url}/same`, ACCEPT); // /same → /landing (same origin) → other
    expect(first.requests.map((r) => [r.url, r.headers.authorization])).toContainEqual(["/landing", `Apikey ${KEY}`]);
    expect(other.requests.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);
  });

  it("a slow answer, or a body that stalls, becomes a timeout error after timeoutMs", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/slow") {
        setTimeout(() => sendBytes(res, new Uint8Array(4)), 2_000);
        return;
      }
      res.writeHead(200, { "content-type": OCTET, "content-length": "100" });
      res.write(Buffer.alloc(10)); // then nothing
    });
    const transport = tx({ baseUrl: server.url, timeoutMs: 100, retry: { attempts: 1 }, bulkReader });
    for (const where of ["/slow", "/stall"]) {
      const started = Date.now();
      const err = await caught(transport.getBytes(`${server.url}${where}`, { ...ACCEPT, expectedBytes: 100 }));
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
      res.writeHead(200, { "content-type": OCTET, "content-length": "100" });
      res.write(Buffer.alloc(10));
    });
    const transport = tx({ baseUrl: server.url, retry: { attempts: 3 }, bulkReader });
    for (const where of ["/slow", "/stall"]) {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const err = await caught(transport.getBytes(`${server.url}${where}`, { ...ACCEPT, signal: controller.signal }));
      expect(err.code, where).toBe("aborted");
    }
    expect(server.requests).toHaveLength(2);
  });

  it("retries 503 until it succeeds; gives up after the attempts with the last 503's detail and request id", async () => {
    const flaky = await serve((_req, res, n) => (n < 3 ? sendJson(res, 503, { detail: "busy" }) : sendBytes(res, new Uint8Array([5, 6]))));
    expect(Array.from(await tx({ baseUrl: flaky.url, bulkReader, ...fast }).getBytes(`${flaky.url}/x`, { ...ACCEPT, expectedBytes: 2 }))).toEqual([5, 6]);
    expect(flaky.requests).toHaveLength(3);
    const down = await serve((_req, res) => sendJson(res, 503, { detail: "Service unavailable" }, { "x-tiled-request-id": "abc123" }));
    const err = await caught(tx({ baseUrl: down.url, bulkReader, ...fast }).getBytes(`${down.url}/x`, ACCEPT));
    expect(down.requests).toHaveLength(3);
    expect(err).toMatchObject({ code: "http", status: 503, detail: "Service unavailable", requestId: "abc123" });
  });

  it("never retries a 500, and keeps its detail", async () => {
    const server = await serve((_req, res) => sendJson(res, 500, { detail: "Internal server error" }, { "x-tiled-request-id": "abc123" }));
    const err = await caught(tx({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/x`, { ...ACCEPT, expectedBytes: 1024 }));
    expect(server.requests).toHaveLength(1);
    expect(err).toMatchObject({ code: "http", status: 500, detail: "Internal server error", requestId: "abc123" });
  });

  it("retries a refused connection a bounded number of times, within the time bound, and says what to check", async () => {
    const port = await closedPort();
    const started = Date.now();
    const transport = tx({ baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 4, initialDelayMs: 50, totalTimeoutMs: 120 }, bulkReader });
    const err = await caught(transport.getBytes(`http://127.0.0.1:${port}/api/v1/array/full/x`, ACCEPT));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.code).toBe("unreachable");
    expect(err.message).toContain("ECONNREFUSED");
    expect(err.message).toContain(`http://127.0.0.1:${port}`);
    expect(err.message).toContain("check the URL and that the server is running");
  });

  it("a connection reset before any answer is retried as a transport error", async () => {
    const server = await serve((req, res, n) => (n === 1 ? req.socket.destroy() : sendBytes(res, new Uint8Array([1, 2, 3]))));
    const body = await tx({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/x`, { ...ACCEPT, expectedBytes: 3 });
    expect(Array.from(body)).toEqual([1, 2, 3]);
    expect(server.requests).toHaveLength(2);
  });
});

describe("both bulk readers give the same bytes", () => {
  it("octet-stream (announced and chunked) and Arrow bodies, byte for byte, from two distinct HTTP clients", async () => {
    const octets = noise(3 * 1024 * 1024 + 17);
    const arrow = tableToIPC(tableFromArrays({ x: Float64Array.from({ length: 5000 }, (_, i) => i / 7), n: Int32Array.from({ length: 5000 }, (_, i) => -i) }), "file");
    const server = await serve((req, res) => {
      if (req.url === "/arrow") return sendBytes(res, arrow, ARROW_MIME_TYPE);
      if (req.url === "/announced") return sendBytes(res, octets);
      res.writeHead(200, { "content-type": OCTET }); // chunked
      for (let at = 0; at < octets.length; at += 100_000) res.write(octets.subarray(at, at + 100_000));
      res.end();
    });
    const read = async (bulkReader: BulkReader) => {
      const transport = tx({ baseUrl: server.url, bulkReader, ...fast });
      return {
        announced: await transport.getBytes(`${server.url}/announced`, { accept: OCTET, expectedBytes: octets.length }),
        chunked: await transport.getBytes(`${server.url}/chunked`, { accept: OCTET }),
        arrow: await transport.getBytes(`${server.url}/arrow`, { accept: ARROW_MIME_TYPE }),
      };
    };
    const socket = await read("socket");
    const fetched = await read("fetch");
    for (const got of [socket, fetched]) {
      expect(Buffer.from(got.announced).equals(Buffer.from(octets))).toBe(true);
      expect(Buffer.from(got.chunked).equals(Buffer.from(octets))).toBe(true);
      expect(Buffer.from(got.arrow).equals(Buffer.from(arrow))).toBe(true);
      expect(tableFromIPC(got.arrow).getChild("x")?.get(4999)).toBe(4999 / 7);
    }
    // The readers really are two clients: node-fetch names itself, the socket reader sends only the headers it is given.
    const agents = server.requests.map((r) => r.headers["user-agent"]);
    expect(agents.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(agents.slice(3)).toEqual(["node-fetch", "node-fetch", "node-fetch"]);
  });

  it("an array read in 3 pieces into one buffer equals the whole array read at once, with either reader", async () => {
    const shape = [6, 1000];
    const values = Float64Array.from({ length: 6000 }, (_, i) => Math.sin(i) * 1e6);
    const bytes = new Uint8Array(values.buffer);
    const rowBytes = 1000 * 8;
    const array = nodeJson(["arr"], "array", {
      structure: { data_type: { endianness: "little", kind: "f", itemsize: 8 }, chunks: [[6], [1000]], shape, dims: null, resizable: false },
    });
    const server = await serve(
      treeHandler([nodeJson([], "container"), array], (req, res, path) => {
        if (path !== "/api/v1/array/full/arr") return false;
        // Rows start:stop of the first axis (the client sends explicit start:stop per axis).
        const slice = new URL(req.url ?? "", "http://x").searchParams.get("slice");
        const [start, stop] = slice === null ? [0, 6] : slice.split(",")[0].split(":").map(Number);
        sendBytes(res, bytes.subarray(start * rowBytes, stop * rowBytes));
        return true;
      }),
    );
    const results: Uint8Array[] = [];
    for (const bulkReader of BULK_READERS) {
      const node = await (await fromUri(server.url, { bulkReader })).get("arr", { kind: "array" });
      const before = server.requests.length;
      const whole = await node.read();
      expect(server.requests.length - before).toBe(1);
      expect(node.fetchCount({ responseBytesizeLimit: 2 * rowBytes })).toBe(3);
      const split = await node.read({ responseBytesizeLimit: 2 * rowBytes });
      expect(server.requests.length - before).toBe(4);
      expect(split.shape).toEqual(shape);
      expect(split.data).toBeInstanceOf(Float64Array);
      const splitBytes = new Uint8Array(split.data.buffer, split.data.byteOffset, split.data.byteLength);
      expect(Buffer.from(splitBytes).equals(Buffer.from(new Uint8Array(whole.data.buffer, whole.data.byteOffset, whole.data.byteLength)))).toBe(true);
      expect(Buffer.from(splitBytes).equals(Buffer.from(bytes))).toBe(true);
      results.push(splitBytes);
    }
    expect(Buffer.from(results[0]).equals(Buffer.from(results[1]))).toBe(true);
    // The pieces may be fetched concurrently: their order of arrival is not fixed.
    const slices = server.requests.map((r) => new URL(r.url, "http://x").searchParams.get("slice")).filter((s) => s !== null);
    expect(slices.sort()).toEqual(["0:2,0:1000", "0:2,0:1000", "2:4,0:1000", "2:4,0:1000", "4:6,0:1000", "4:6,0:1000"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 19: misbehaving servers. Each case failed before 495a931.

/** A table client of node "t" (one column "x") on the server at `baseUrl`, without asking that server anything. */
function tableAt(baseUrl: string, options: ContextOptions = {}): TableClient {
  const item = NodeResource.parse(nodeJson(["t"], "table", { structure: { arrow_schema: "", npartitions: 1, columns: ["x"], resizable: false } }));
  return new TableClient(new Context({ baseUrl, ...fast, ...options }), item, ["t"]);
}

const ARROW_HEAD = `HTTP/1.1 200 OK\r\nContent-Type: ${ARROW_MIME_TYPE}\r\n`;

/** Keep writing `piece` to the socket, as fast as it drains, until the client goes away (a body that never ends). */
function endless(socket: Socket, piece: Buffer | string, counter: { bytes: number }): void {
  const push = () => {
    while (!socket.destroyed && socket.write(piece)) {
      counter.bytes += piece.length;
      if (counter.bytes > 1 << 30) return; // a safety net for the test itself: 1 GiB
    }
    if (!socket.destroyed) socket.once("drain", push);
  };
  socket.on("error", () => undefined);
  push();
}

describe.each(BULK_READERS)("19.8 table reads are capped by maxTableBytes (bulkReader %s)", (bulkReader) => {
  const CAP = 1024 * 1024;

  it("19.8 a body announced, chunked, or close-delimited past maxTableBytes is too-large with advice, and reading stops", async () => {
    const written = { announced: { bytes: 0 }, chunked: { bytes: 0 }, close: { bytes: 0 } };
    const piece = Buffer.alloc(64 * 1024, 0x41);
    const server = await rawServer((socket, request) => {
      if (request.includes("/announced")) {
        socket.write(`${ARROW_HEAD}Content-Length: ${50 * CAP}\r\n\r\n`);
        endless(socket, piece, written.announced);
      } else if (request.includes("/chunked")) {
        socket.write(`${ARROW_HEAD}Transfer-Encoding: chunked\r\n\r\n`);
        endless(socket, Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]), written.chunked);
      } else {
        socket.write(`${ARROW_HEAD}Connection: close\r\n\r\n`); // no length: the body runs until the server closes, i.e. never
        endless(socket, piece, written.close);
      }
    });
    const transport = tx({ baseUrl: server.url, maxTableBytes: CAP, bulkReader, ...fast });
    for (const where of ["announced", "chunked", "close"] as const) {
      const err = await caught(transport.getBytes(`${server.url}/api/v1/table/full/${where}`, { accept: ARROW_MIME_TYPE }));
      expect(err.code, where).toBe("too-large");
      expect(err.message).toContain(`${CAP}-byte limit`);
      expect(err.message).toContain("maxTableBytes / TILED_MAX_TABLE_BYTES");
      // Stopped near the cap, not after the server gave up: a socket buffer or two past it.
      expect(written[where].bytes, where).toBeLessThan(40 * CAP);
    }
    await Promise.all(server.connections.map((c) => c.closed));
    expect(server.connections).toHaveLength(3); // too-large is not retried
  });

  it("19.8 TableClient.read() is capped too, from the option or from TILED_MAX_TABLE_BYTES", async () => {
    const counter = { bytes: 0 };
    const server = await rawServer((socket) => {
      socket.write(`${ARROW_HEAD}Transfer-Encoding: chunked\r\n\r\n`);
      const piece = Buffer.alloc(64 * 1024, 0x42);
      endless(socket, Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]), counter);
    });
    const fromOption = await caught(tableAt(server.url, { bulkReader, maxTableBytes: CAP }).read());
    expect(fromOption.code).toBe("too-large");
    expect(fromOption.message).toContain("Read fewer columns or one partition at a time");
    vi.stubEnv("TILED_MAX_TABLE_BYTES", String(2 * CAP));
    const fromEnv = await caught(tableAt(server.url, { bulkReader }).read());
    expect(fromEnv.code).toBe("too-large");
    expect(fromEnv.message).toContain(`${2 * CAP}-byte limit`);
  });

  it("19.8 a table within the cap reads as before", async () => {
    const arrow = tableToIPC(tableFromArrays({ x: Float64Array.from({ length: 1000 }, (_, i) => i) }), "file");
    const server = await serve((_req, res) => sendBytes(res, arrow, ARROW_MIME_TYPE));
    const table = await tableAt(server.url, { bulkReader, maxTableBytes: arrow.byteLength }).read();
    expect(table.numRows).toBe(1000);
  });
});

describe.each(BULK_READERS)("19.9 compressed bodies (bulkReader %s)", (bulkReader) => {
  const arrow = tableToIPC(tableFromArrays({ x: Float64Array.from({ length: 1000 }, (_, i) => i) }), "file");
  const encoders: Record<string, (b: Uint8Array) => Buffer> = {
    gzip: (b) => zlib.gzipSync(b),
    br: (b) => zlib.brotliCompressSync(b),
    deflate: (b) => zlib.deflateSync(b),
  };
  const encodingServer = () =>
    serve((req, res) => {
      const [, coding, what] = /\/(gzip|br|deflate)\/(bomb|table)/.exec(req.url ?? "") ?? [];
      // The bomb: 64 MiB of zeros, a few KB on the wire.
      const body = encoders[coding](what === "bomb" ? new Uint8Array(64 * 1024 * 1024) : arrow);
      res.writeHead(200, { "content-type": ARROW_MIME_TYPE, "content-encoding": coding, "content-length": String(body.byteLength) });
      res.end(body);
    });

  it("19.9 a gzip, br or deflate body the client did not ask for (Accept-Encoding: identity) is refused as invalid-response, not decoded", async () => {
    const server = await encodingServer();
    const transport = tx({ baseUrl: server.url, bulkReader, ...fast });
    for (const coding of Object.keys(encoders)) {
      for (const what of ["table", "bomb"]) {
        const err = await caught(transport.getBytes(`${server.url}/${coding}/${what}`, { accept: ARROW_MIME_TYPE }));
        expect(err.code, `${coding} ${what}`).toBe("invalid-response");
        expect(err.message).toContain(coding);
      }
    }
    expect(server.requests.every((r) => r.headers["accept-encoding"] === "identity")).toBe(true);
    // Refused, not retried: the same server would answer the same way.
    expect(server.requests).toHaveLength(6);
  });

  it("19.9 with compression: true, a compressed table is decoded, and a body that decodes past maxTableBytes is too-large", async () => {
    const server = await encodingServer();
    const transport = tx({ baseUrl: server.url, bulkReader, compression: true, maxTableBytes: 1024 * 1024, ...fast });
    for (const coding of Object.keys(encoders)) {
      const bytes = await transport.getBytes(`${server.url}/${coding}/table`, { accept: ARROW_MIME_TYPE });
      expect(Buffer.from(bytes).equals(Buffer.from(arrow)), coding).toBe(true);
      const err = await caught(transport.getBytes(`${server.url}/${coding}/bomb`, { accept: ARROW_MIME_TYPE }));
      expect(err.code, coding).toBe("too-large");
      expect(err.message).toContain("1048576-byte limit");
    }
    expect(server.requests.every((r) => /gzip/.test(String(r.headers["accept-encoding"])))).toBe(true);
  });
});

describe("19.11 timeouts: no progress, not slowness; a deadline only when set", () => {
  const MiB = 1024 * 1024;
  /** A server that sends 1 MiB over about 4 s: 64 KiB every 250 ms, with Content-Length (or chunked for JSON). */
  const slowServer = () =>
    serve((req, res) => {
      const json = req.url?.includes("json");
      res.writeHead(200, json ? { "content-type": "application/json" } : { "content-type": OCTET, "content-length": String(MiB) });
      let sent = 0;
      if (json) res.write('"');
      const timer: NodeJS.Timeout = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(Buffer.alloc(64 * 1024, 0x61));
        sent += 64 * 1024;
        if (sent >= MiB) {
          clearInterval(timer);
          res.end(json ? '"' : undefined);
        }
      }, 250);
      res.on("close", () => clearInterval(timer));
    });

  it("19.11 a slow but steady body (1 MiB over 4 s, timeoutMs 1000) succeeds with both readers and as JSON", async () => {
    const server = await slowServer();
    const started = Date.now();
    const progress: number[] = [];
    const [socket, fetched, json] = await Promise.all([
      tx({ baseUrl: server.url, timeoutMs: 1000, bulkReader: "socket", retry: { attempts: 1 } }).getBytes(`${server.url}/bytes`, { accept: OCTET, expectedBytes: MiB, onProgress: (n) => progress.push(n) }),
      tx({ baseUrl: server.url, timeoutMs: 1000, bulkReader: "fetch", retry: { attempts: 1 } }).getBytes(`${server.url}/bytes`, { accept: OCTET, expectedBytes: MiB }),
      tx({ baseUrl: server.url, timeoutMs: 1000, retry: { attempts: 1 } }).getJson(`${server.url}/json`, z.string()),
    ]);
    expect(Date.now() - started).toBeGreaterThan(3000);
    expect([socket.byteLength, fetched.byteLength, json.length]).toEqual([MiB, MiB, MiB]);
    // Progress was reported as the body came (a notebook's progress bar), growing. (The socket
    // reader does not report its last read: the count stops one read short of the whole.)
    expect(progress.length).toBeGreaterThan(4);
    expect(progress.every((n, i) => i === 0 || n >= progress[i - 1])).toBe(true);
    expect(progress[progress.length - 1]).toBeGreaterThanOrEqual(MiB / 2);
  }, 20_000);

  it.each(BULK_READERS)("19.11 a stall longer than timeoutMs in the middle of the body is a timeout (bulkReader %s)", async (bulkReader) => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": OCTET, "content-length": String(MiB) });
      res.write(Buffer.alloc(64 * 1024));
      setTimeout(() => res.write(Buffer.alloc(64 * 1024)), 200); // progress, then silence
    });
    const started = Date.now();
    const err = await caught(tx({ baseUrl: server.url, timeoutMs: 500, bulkReader, retry: { attempts: 1 } }).getBytes(`${server.url}/x`, { accept: OCTET, expectedBytes: MiB }));
    expect(err.code).toBe("timeout");
    expect(err.message).toContain("sent nothing for 500 ms");
    expect(err.message).toContain("TILED_TIMEOUT");
    // The timer counts from the last progress: about 200 + 500 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(650);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it.each(BULK_READERS)("19.11 deadlineMs bounds the whole request, however steady the body (bulkReader %s)", async (bulkReader) => {
    const server = await slowServer();
    const started = Date.now();
    const err = await caught(tx({ baseUrl: server.url, timeoutMs: 1000, deadlineMs: 1200, bulkReader, retry: { attempts: 1 } }).getBytes(`${server.url}/bytes`, { accept: OCTET, expectedBytes: MiB }));
    expect(err.code).toBe("timeout");
    expect(err.message).toContain("deadline of 1200 ms");
    expect(Date.now() - started).toBeLessThan(2_500);
    // Per request too: the option overrides the context's (none here).
    const perRequest = await caught(tx({ baseUrl: server.url, bulkReader, retry: { attempts: 1 } }).getBytes(`${server.url}/bytes`, { accept: OCTET, expectedBytes: MiB, deadlineMs: 600 }));
    expect(perRequest.message).toContain("deadline of 600 ms");
  });
});

describe("19.13 an answer that is not HTTP is invalid-response, and not retried", () => {
  const garbage = async () => rawServer((socket) => socket.end("SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n\r\n"));

  it("19.13 on a JSON request", async () => {
    const server = await garbage();
    const err = await caught(tx({ baseUrl: server.url, ...fast }).getJson(`${server.url}/api/v1/`, About));
    expect(err.code).toBe("invalid-response");
    expect(err.message).toContain("not valid HTTP");
    expect(err.message).not.toContain("Cannot reach");
    expect(server.connections).toHaveLength(1);
  });

  it.each(BULK_READERS)("19.13 on a bulk read (bulkReader %s)", async (bulkReader) => {
    const server = await garbage();
    const err = await caught(tx({ baseUrl: server.url, bulkReader, ...fast }).getBytes(`${server.url}/api/v1/array/full/x`, { accept: OCTET }));
    expect(err.code).toBe("invalid-response");
    expect(err.message).not.toContain("Cannot reach");
    expect(server.connections).toHaveLength(1);
  });
});
