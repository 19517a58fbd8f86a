// transport.ts: the Transport facade. JSON bodies capped and validated; binary bodies received whole,
// into the caller's buffer when given, with both bulk readers (socket and node-fetch) giving the
// same bytes. Some cases guard against hostile input (issue 10: the numbered tests, item 9).
import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fromUri } from "../client/from-uri";
import { ARROW_MIME_TYPE } from "../client/table";
import type { BulkReader } from "../settings";
import { Transport } from "../transport";
import { caught } from "./caught";
import { FAST_RETRY, localServers, sendBytes, sendChunkedJson } from "./local-server";
import { nodeJson, treeHandler } from "./tiled-json";

const serve = localServers();
const fast = FAST_RETRY;

describe("9. JSON bodies are capped", () => {
  it("a chunked body (no Content-Length) past the cap is too-large, and reading stops", async () => {
    const server = await serve((_req, res) => {
      sendChunkedJson(res, 200, 200); // 200 chunks of 64 KiB, no Content-Length
    });
    const transport = new Transport({ baseUrl: server.url, maxJsonBytes: 1_000_000, ...fast });
    const err = await caught(transport.getJson(`${server.url}/x`, z.unknown()));
    expect(err.code).toBe("too-large");
    expect(err.message).toContain("1000000-byte limit");
  });
  it("a body announced larger than the cap is refused before reading it", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(5_000_000) });
      res.write("[");
    });
    const err = await caught(new Transport({ baseUrl: server.url, maxJsonBytes: 1_000_000, ...fast }).getJson(`${server.url}/x`, z.unknown()));
    expect(err.code).toBe("too-large");
    expect(err.message).toContain("5000000 bytes");
  });
});

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

describe.each(BULK_READERS)("binary bodies with bulkReader %s", (bulkReader) => {
  describe("malformed responses", () => {
    it("a short binary body is invalid-response", async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { "content-type": "application/octet-stream" });
        res.end(Buffer.alloc(10));
      });
      const transport = new Transport({ baseUrl: server.url, bulkReader, ...fast });
      const err = await caught(transport.getBytes(`${server.url}/bytes`, { accept: "application/octet-stream", expectedBytes: 16 }));
      expect(err.message).toContain("Expected 16 bytes but the server sent 10");
    });
  });

  it("more than expectedBytes is invalid-response, announced or found while reading", async () => {
    const server = await serve((req, res) => {
      if (req.url === "/announced") return sendBytes(res, new Uint8Array(16));
      res.writeHead(200, { "content-type": OCTET }); // chunked: no Content-Length
      res.write(Buffer.alloc(6));
      setTimeout(() => res.end(Buffer.alloc(10)), 10);
    });
    const transport = new Transport({ baseUrl: server.url, bulkReader, ...fast });
    for (const where of ["/announced", "/chunked"]) {
      const err = await caught(transport.getBytes(`${server.url}${where}`, { accept: OCTET, expectedBytes: 8 }));
      expect(err.code, where).toBe("invalid-response");
      expect(err.message).toContain("more than the expected 8 bytes");
    }
  });

  it("expectedBytes/into: the body lands in the caller's buffer, in place, its neighbours untouched", async () => {
    const body = noise(1000);
    const server = await serve((_req, res) => sendBytes(res, body));
    const transport = new Transport({ baseUrl: server.url, bulkReader, ...fast });
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
    const transport = new Transport({ baseUrl: server.url, bulkReader, ...fast });
    const err = await caught(transport.getBytes(`${server.url}/x`, { accept: OCTET, expectedBytes: 8, into: new Uint8Array(4) }));
    expect(err.code).toBe("bad-input");
    expect(err.message).toContain("holds 4 bytes, not the expected 8");
    expect(server.requests).toHaveLength(0);
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
      const transport = new Transport({ baseUrl: server.url, bulkReader, ...fast });
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
