/**
 * http/node-fetch.ts — `fetchHttp`, one request with node-fetch: JSON, writes, https, and bulk
 * data when `bulkReader: "fetch"` is chosen.
 *
 * A body of known size (Content-Length, or the caller's expected size) is streamed into one
 * buffer of that size, rather than node-fetch's `arrayBuffer()`, which keeps every chunk and then
 * joins them: 3.7x the body's size at peak for a 120 MB Arrow table, and an extra copy
 * (bench/README.md). A body with a writer is handed over chunk by chunk and not kept. Every body
 * is counted after decoding against the sink's cap; a body the request asked for uncompressed is
 * never inflated. Redirects are returned, not followed: the transport follows them.
 *
 * @example
 * const response = await fetchHttp({ method: "GET", url, headers: { Accept: "application/json" }, signal }, () => ({ maxBytes: 1 << 20 }));
 */
import * as http from "node:http";
import * as https from "node:https";
import type { Response } from "node-fetch";
import { TiledError } from "../errors.js";
import { BodyCutShort } from "./types.js";
import type { BodySink, HttpFunction, HttpRequest, HttpResponse } from "./types.js";

/**
 * node-fetch, loaded on the first request rather than when the library is imported: a notebook's
 * first cell (which only imports) is then faster by the module's load time (bench/first_cell.py).
 */
let nodeFetch: Promise<typeof import("node-fetch")> | undefined;

/**
 * Writes (POST, PUT, PATCH, DELETE) each go on a fresh connection. tiled closes a kept-alive
 * connection after a 500; a write sent next on that pooled socket fails with ECONNRESET, and a
 * write is never resent (it may have been applied), so it must not meet a stale socket at all.
 * A new loopback or LAN connection costs about a millisecond; reads keep the pool.
 */
const FRESH_HTTP = new http.Agent({ keepAlive: false });
const FRESH_HTTPS = new https.Agent({ keepAlive: false });

export const fetchHttp: HttpFunction = async (request: HttpRequest, sinkFor: (status: number) => BodySink): Promise<HttpResponse> => {
  const { default: fetch } = await (nodeFetch ??= import("node-fetch"));
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body === undefined ? undefined : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength),
    signal: request.signal,
    redirect: "manual",
    // Asked for identity: a compressed answer is returned as it came (and refused by the transport), never inflated.
    compress: request.headers["Accept-Encoding"] !== "identity",
    agent: request.method === "GET" ? undefined : (url: URL) => (url.protocol === "https:" ? FRESH_HTTPS : FRESH_HTTP),
    // node-fetch's body stream buffers 16 KiB by default, pausing the socket every few reads; a body
    // streamed to disk (an export) keeps the socket busy while a write is in flight with 4 MiB.
    highWaterMark: 4 << 20,
  });
  const sink = sinkFor(response.status);
  const declared = declaredLength(response);
  request.onProgress?.(0, declared);
  const { body, received } = await readBody(response, sink, declared, request);
  return { url: request.url, status: response.status, headers: response.headers, body, receivedBytes: received };
};

/** Drop the rest of a body we will not read (node-fetch's body is a Node stream at run time). */
function discard(response: Response): void {
  const body = response.body as unknown as { destroy?: () => void } | null;
  body?.destroy?.();
}

/** The body's size from Content-Length, when the body arrives as sent (node-fetch decodes gzip etc.). */
function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get("content-encoding");
  if (encoding !== null && encoding !== "identity") return undefined;
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** The error for a body over its cap (the transport adds what to do about it). */
function tooLarge(url: string, limit: number, size: number | undefined): TiledError {
  return new TiledError("too-large", `The server's answer is ${size === undefined ? "larger than" : `${size} bytes, over`} the ${limit}-byte limit.`, { url });
}

/** The error for a body longer than its announced or expected size. */
function tooLong(url: string, expectedBytes: number): TiledError {
  return new TiledError("invalid-response", `The server sent more than the expected ${expectedBytes} bytes.`, { url });
}

/**
 * Read a body. With a writer, hand each chunk over. With a known size, stream it into one buffer
 * of that size (a fresh ArrayBuffer, so any TypedArray view of it is aligned). With `maxBytes`, a
 * body announced or found larger is refused without reading the rest. A body shorter than
 * announced is BodyCutShort.
 */
async function readBody(response: Response, sink: BodySink, declared: number | undefined, request: HttpRequest): Promise<{ body: Uint8Array; received: number }> {
  const url = request.url;
  const limit = sink.maxBytes;
  if (limit !== undefined && declared !== undefined && declared > limit) {
    discard(response);
    throw tooLarge(url, limit, declared);
  }
  if (response.body === null) return { body: new Uint8Array(0), received: 0 };
  let received = 0;
  const expectedBytes = sink.write ? undefined : (sink.expectedBytes ?? declared);
  const out = expectedBytes === undefined ? undefined : (sink.into ?? new Uint8Array(new ArrayBuffer(expectedBytes)));
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of response.body) {
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
      if (limit !== undefined && received + bytes.byteLength > limit) {
        discard(response);
        throw tooLarge(url, limit, undefined);
      }
      if (out !== undefined && expectedBytes !== undefined) {
        if (received + bytes.byteLength > expectedBytes) {
          discard(response);
          throw tooLong(url, expectedBytes);
        }
        out.set(bytes, received);
      } else if (sink.write) {
        try {
          await sink.write(bytes);
        } catch (cause) {
          // The writer failed (a full disk), not the connection: say so, never "cut short".
          discard(response);
          throw cause instanceof TiledError ? cause : new TiledError("bad-input", `Writing the server's answer failed after ${received} bytes: ${(cause as Error)?.message ?? String(cause)}`, { url, cause });
        }
      }
      else chunks.push(bytes);
      received += bytes.byteLength;
      request.onProgress?.(received, declared);
    }
  } catch (cause) {
    // Anything else that breaks the read is a body cut short, or a broken encoding; the transport
    // checks its signals first, so a timeout or a cancel is still reported as one.
    if (cause instanceof TiledError || cause instanceof BodyCutShort) throw cause;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("Z_")) throw new TiledError("invalid-response", `The server's compressed answer is broken (${code}).`, { url, cause });
    throw new BodyCutShort(received, declared, { cause });
  }
  if (declared !== undefined && received < declared) throw new BodyCutShort(received, declared);
  if (sink.write) return { body: new Uint8Array(0), received };
  if (out !== undefined) return { body: received === expectedBytes ? out : out.subarray(0, received), received };
  return { body: concat(chunks, received), received };
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
