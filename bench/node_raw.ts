/**
 * node_raw.ts — the same HTTP requests the library made, issued from node without the library:
 * the floor for what any node client could do, used to tell where a missed target comes from.
 *
 * Modes (requests from a JSON file bench.py wrote: [{ url, headers }], run `--concurrency` at a time):
 *   discard   node:http GET, bytes counted and dropped: node's network floor (compare with curl)
 *   fetch     node-fetch + arrayBuffer() per response, kept: a plain client's receive + copies
 *   stream    node-fetch, body streamed into one buffer preallocated from Content-Length: one copy
 *   http-into node:http, body copied into one buffer preallocated from Content-Length (no node-fetch)
 *   undici    node's built-in fetch, body read with a stream reader into one preallocated buffer
 *   net-into  a raw socket reading into one reusable 1 MiB buffer (net `onread`), copied into one
 *             preallocated result: no per-chunk Buffers, no streams.
 *   net-direct a raw socket whose reads land straight in the result (`onread.buffer` as a function
 *             returning the result's unfilled part): the kernel's one copy, none in JavaScript. The
 *             most a node client that keeps the bytes could do.
 *   arrow     like stream, then apache-arrow tableFromIPC on each body; reports parse time apart
 *   net-direct-arrow  like net-direct, then tableFromIPC: the floor for reading an Arrow table
 *
 * @example
 * node var/bench/build/bench/node_raw.js --requests var/bench/run/array.requests.json --mode discard --concurrency 1
 */
import http from "node:http";
import net from "node:net";
import fetch from "node-fetch";
import { tableFromIPC } from "apache-arrow";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { emit, parseArgs, requireArg, runMain, startTimer } from "./common";

interface RecordedRequest {
  url: string;
  headers: Record<string, string>;
}

/** Run `worker` over `items` with at most `limit` in flight, results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, worker: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index]);
    }
  });
  await Promise.all(lanes);
  return results;
}

function discard(agent: http.Agent, req: RecordedRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(req.url, { agent, headers: req.headers }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`${res.statusCode} for ${req.url}`));
          res.resume();
          return;
        }
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.byteLength;
        });
        res.on("end", () => resolve(bytes));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

async function fetchBody(req: RecordedRequest): Promise<ArrayBuffer> {
  // compress: false so the body is kept as sent; the recorded headers say what was negotiated.
  const res = await fetch(req.url, { headers: req.headers, compress: false });
  if (res.status !== 200) throw new Error(`${res.status} for ${req.url}`);
  return res.arrayBuffer();
}

/** The body streamed chunk by chunk into one buffer sized from Content-Length (one copy). */
async function streamBody(req: RecordedRequest): Promise<Uint8Array> {
  const res = await fetch(req.url, { headers: req.headers, compress: false });
  if (res.status !== 200) throw new Error(`${res.status} for ${req.url}`);
  const length = Number(res.headers.get("content-length"));
  if (!Number.isInteger(length) || res.body === null) throw new Error(`no Content-Length for ${req.url}`);
  const out = new Uint8Array(new ArrayBuffer(length));
  let offset = 0;
  for await (const chunk of res.body) {
    const bytes = chunk as Uint8Array;
    out.set(bytes, offset);
    offset += bytes.byteLength;
  }
  return out;
}

/** node:http straight into one preallocated buffer: the receive path without node-fetch's streams. */
function httpInto(agent: http.Agent, req: RecordedRequest): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    http
      .get(req.url, { agent, headers: req.headers }, (res) => {
        const length = Number(res.headers["content-length"]);
        if (res.statusCode !== 200 || !Number.isInteger(length)) {
          reject(new Error(`${res.statusCode} (Content-Length ${res.headers["content-length"]}) for ${req.url}`));
          res.resume();
          return;
        }
        const out = new Uint8Array(new ArrayBuffer(length));
        let offset = 0;
        res.on("data", (chunk: Buffer) => {
          out.set(chunk, offset);
          offset += chunk.byteLength;
        });
        res.on("end", () => resolve(out));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/**
 * The status line and headers of a raw-socket answer, once they have all arrived: the body's size
 * and the body bytes that came with them; null while incomplete. Anything but a 200 with a
 * Content-Length is an error (these diagnostics read only whole bodies of known size).
 */
function parseHead(head: Buffer, url: string): { length: number; body: Buffer } | null {
  const end = head.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const text = head.subarray(0, end).toString("latin1");
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(text);
  if (!text.startsWith("HTTP/1.1 200") || !length) throw new Error(`${text.split("\r\n")[0]} (no Content-Length?) for ${url}`);
  return { length: Number(length[1]), body: head.subarray(end + 4) };
}

/** Send a GET for `req` on a raw socket, once connected, and close after the answer. */
function sendGet(socket: net.Socket, req: RecordedRequest, reject: (err: unknown) => void): void {
  const url = new URL(req.url);
  const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.on("connect", () => socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${headers}Connection: close\r\n\r\n`));
  socket.on("error", reject);
}

/**
 * A raw socket: HTTP/1.1 GET with Connection: close, the response read through `onread` into one
 * reusable scratch buffer and copied into the result preallocated from Content-Length.
 */
function netInto(req: RecordedRequest): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    let head: Buffer = Buffer.alloc(0);
    let out: Uint8Array | null = null;
    let offset = 0;
    const socket = net.connect({
      host: url.hostname,
      port: Number(url.port),
      onread: {
        buffer: Buffer.allocUnsafe(1 << 20),
        callback: (nread: number, buf: Uint8Array): boolean => {
          let chunk = buf.subarray(0, nread);
          if (out === null) {
            head = Buffer.concat([head, chunk]);
            let parsed: ReturnType<typeof parseHead>;
            try {
              parsed = parseHead(head, req.url);
            } catch (err) {
              socket.destroy();
              reject(err);
              return false;
            }
            if (parsed === null) return true;
            out = new Uint8Array(new ArrayBuffer(parsed.length));
            chunk = parsed.body;
          }
          out.set(chunk, offset);
          offset += chunk.byteLength;
          if (offset >= out.byteLength) {
            socket.destroy();
            resolve(out);
          }
          return true;
        },
      },
    });
    sendGet(socket, req, reject);
  });
}

/**
 * A raw socket reading straight into the result: the head arrives in a small scratch buffer; once
 * Content-Length is known, `onread.buffer` (a function, called after every read) hands the socket
 * the result's unfilled part, so the kernel copies the body into its final place and JavaScript
 * copies nothing but the few body bytes that came with the head.
 */
function netDirect(req: RecordedRequest): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const url = new URL(req.url);
    const scratch = Buffer.allocUnsafe(64 * 1024);
    let target: Uint8Array = scratch;
    let head: Buffer = Buffer.alloc(0);
    let out: Uint8Array | null = null;
    let offset = 0;
    const finish = (): boolean => {
      if (out !== null && offset >= out.byteLength) {
        socket.destroy();
        resolve(out);
        return false;
      }
      return true;
    };
    const socket = net.connect({
      host: url.hostname,
      port: Number(url.port),
      onread: {
        buffer: () => target,
        callback: (nread: number, buf: Uint8Array): boolean => {
          if (out === null) {
            head = Buffer.concat([head, buf.subarray(0, nread)]);
            let parsed: ReturnType<typeof parseHead>;
            try {
              parsed = parseHead(head, req.url);
            } catch (err) {
              socket.destroy();
              reject(err);
              return false;
            }
            if (parsed === null) return true;
            out = new Uint8Array(new ArrayBuffer(parsed.length));
            out.set(parsed.body, 0);
            offset = parsed.body.byteLength;
          } else {
            offset += nread;
          }
          target = out.subarray(offset);
          return finish();
        },
      },
    });
    sendGet(socket, req, reject);
  });
}

/** Node's built-in fetch (undici), read with a stream reader into one preallocated buffer. */
async function undiciInto(req: RecordedRequest): Promise<Uint8Array> {
  const res = await globalThis.fetch(req.url, { headers: req.headers });
  const length = Number(res.headers.get("content-length"));
  if (res.status !== 200 || !Number.isInteger(length) || res.body === null) throw new Error(`${res.status} for ${req.url}`);
  const out = new Uint8Array(new ArrayBuffer(length));
  let offset = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.set(value, offset);
    offset += value.byteLength;
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const requests = JSON.parse(readFileSync(requireArg(args, "requests"), "utf8")) as RecordedRequest[];
  const mode = requireArg(args, "mode");
  const concurrency = Number(args.concurrency ?? "1");
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

  const timer = startTimer();
  const t0 = performance.now();
  if (mode === "discard") {
    const sizes = await mapLimit(requests, concurrency, (r) => discard(agent, r));
    emit({ ...timer.stop(), bytes: sizes.reduce((a, b) => a + b, 0), requests: requests.length, concurrency });
  } else if (mode === "fetch") {
    const bodies = await mapLimit(requests, concurrency, fetchBody);
    emit({ ...timer.stop(), bytes: bodies.reduce((a, b) => a + b.byteLength, 0), requests: requests.length, concurrency });
  } else if (mode === "stream") {
    const bodies = await mapLimit(requests, concurrency, streamBody);
    emit({ ...timer.stop(), bytes: bodies.reduce((a, b) => a + b.byteLength, 0), requests: requests.length, concurrency });
  } else if (mode === "http-into" || mode === "undici" || mode === "net-into" || mode === "net-direct") {
    const receive = mode === "undici" ? undiciInto : mode === "net-into" ? netInto : mode === "net-direct" ? netDirect : (r: RecordedRequest) => httpInto(agent, r);
    const bodies = await mapLimit(requests, concurrency, receive);
    const result = { ...timer.stop(), bytes: bodies.reduce((a, b) => a + b.byteLength, 0), requests: requests.length, concurrency };
    // --digest: a SHA-256 of the bodies in order, to check a receiver against curl's output (not timed).
    if (args.digest === "true") {
      const hash = createHash("sha256");
      for (const body of bodies) hash.update(body);
      emit({ ...result, sha256: hash.digest("hex") });
    } else {
      emit(result);
    }
  } else if (mode === "arrow" || mode === "net-direct-arrow") {
    // Received into one buffer (node-fetch streamed, or the raw socket straight into it), then parsed.
    const bodies = await mapLimit(requests, concurrency, mode === "arrow" ? streamBody : netDirect);
    const fetched = performance.now();
    let rows = 0;
    for (const body of bodies) rows += tableFromIPC(body).numRows;
    const done = performance.now();
    emit({
      ...timer.stop(),
      fetchSeconds: (fetched - t0) / 1000,
      parseSeconds: (done - fetched) / 1000,
      bytes: bodies.reduce((a, b) => a + b.byteLength, 0),
      rows,
      requests: requests.length,
      concurrency,
    });
  } else {
    throw new Error(`unknown --mode ${mode} (discard, fetch, stream, http-into, undici, net-into, net-direct, arrow, net-direct-arrow)`);
  }
  agent.destroy();
}

runMain(main);
