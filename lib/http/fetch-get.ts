/**
 * http/fetch-get.ts — one GET with node-fetch, the library's HTTP client for JSON (and for bulk
 * data over https:, or when `bulkReader: "fetch"` is chosen).
 *
 * A body of known size (Content-Length, or the caller's expected size) is streamed into one
 * buffer of that size, rather than node-fetch's `arrayBuffer()`, which keeps every chunk and then
 * joins them: 3.7x the body's size at peak for a 120 MB Arrow table, and an extra copy
 * (bench/README.md). Redirects are returned, not followed: the transport follows them itself.
 *
 * @example
 * const response = await fetchGet({ url, headers: { Accept: "application/json" }, signal }, () => ({ maxBytes: 1 << 20 }));
 */
import fetch from "node-fetch";
import type { Response } from "node-fetch";
import { TiledError } from "../errors";
import { BodyCutShort } from "./types";
import type { BodySink, HttpGet, HttpRequest, HttpResponse } from "./types";

export const fetchGet: HttpGet = async (request: HttpRequest, sinkFor: (status: number) => BodySink): Promise<HttpResponse> => {
  const response = await fetch(request.url, { headers: request.headers, signal: request.signal, redirect: "manual" });
  const body = await readBody(response, sinkFor(response.status), request.url);
  return { url: request.url, status: response.status, headers: response.headers, body };
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

/** The error for a body over its cap (the sender adds what to do about it). */
function tooLarge(url: string, limit: number, size: number | undefined): TiledError {
  return new TiledError("too-large", `The server's answer is ${size === undefined ? "larger than" : `${size} bytes, over`} the ${limit}-byte limit.`, { url });
}

/** The error for a body longer than its announced or expected size. */
function tooLong(url: string, expectedBytes: number): TiledError {
  return new TiledError("invalid-response", `The server sent more than the expected ${expectedBytes} bytes.`, { url });
}

/**
 * Read a body. With a known size, stream it into one buffer of that size (a fresh ArrayBuffer, so
 * any TypedArray view of it is aligned). With `maxBytes`, a body announced or found larger is
 * refused without reading the rest. A body shorter than announced is BodyCutShort.
 */
async function readBody(response: Response, sink: BodySink, url: string): Promise<Uint8Array> {
  const declared = declaredLength(response);
  const limit = sink.maxBytes;
  if (limit !== undefined && declared !== undefined && declared > limit) {
    discard(response);
    throw tooLarge(url, limit, declared);
  }
  if (response.body === null) return new Uint8Array(0);
  let received = 0;
  try {
    const expectedBytes = sink.expectedBytes ?? declared;
    if (expectedBytes === undefined) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of response.body) {
        const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
        received += bytes.byteLength;
        if (limit !== undefined && received > limit) {
          discard(response);
          throw tooLarge(url, limit, undefined);
        }
        chunks.push(bytes);
      }
      return concat(chunks, received);
    }
    const out = sink.into ?? new Uint8Array(new ArrayBuffer(expectedBytes));
    for await (const chunk of response.body) {
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
      if (received + bytes.byteLength > expectedBytes) {
        discard(response);
        throw tooLong(url, expectedBytes);
      }
      out.set(bytes, received);
      received += bytes.byteLength;
    }
    if (declared !== undefined && received < declared) throw new BodyCutShort(received, declared);
    return received === expectedBytes ? out : out.subarray(0, received);
  } catch (cause) {
    // Anything else that breaks the read is a body cut short; the transport checks its signals
    // first, so a timeout or a cancel is still reported as one.
    if (cause instanceof TiledError || cause instanceof BodyCutShort) throw cause;
    throw new BodyCutShort(received, declared, { cause });
  }
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
