/**
 * http/types.ts — the one operation the transport needs from an HTTP library: send one request.
 *
 * An `HttpFunction` sends one request and returns the status, the headers and the body. It does
 * not follow redirects, retry, time out by itself or know about credentials: the transport does
 * those once, the same way, for every implementation (http/transport.ts). The library has two:
 * `fetchHttp` (node-fetch: JSON, writes, https) and `socketHttp` (a lean reader for bulk binary
 * GETs over plain http, measured faster in bench/README.md). A third can be plugged in as the
 * `http` option of a Context — the testing entry's snapshot recorder and replayer are such.
 *
 * @example
 * const response = await fetchHttp({ method: "GET", url, headers: { Accept: "application/json" }, signal }, () => ({ maxBytes: 1 << 20 }));
 * if (response.status === 200) console.log(new TextDecoder().decode(response.body));
 */

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One request: the method, the URL, the exact headers to send, an optional body, and the signal that cancels it. */
export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
  signal: AbortSignal;
  /**
   * Called with the body bytes received so far (and the body's size, when announced) each time more
   * arrive, and once with 0 when the response's head has arrived: the transport's no-progress
   * timeout and progress bars use it.
   */
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
}

/** Where a body goes: its expected size, optionally the caller's buffer or a writer, and a cap. */
export interface BodySink {
  /** If known (shape × itemsize), the body is received into one buffer of exactly this size. */
  expectedBytes?: number;
  /** Receive straight into this view (length = expectedBytes), e.g. a slice of a larger result. */
  into?: Uint8Array;
  /** Refuse (too-large) a body announced or found to be larger than this, counted after decoding. */
  maxBytes?: number;
  /**
   * Hand each chunk to this writer instead of keeping the body (an export streamed to disk). The
   * response's `body` is then empty; the chunks' total is `HttpResponse.receivedBytes`.
   */
  write?: (chunk: Uint8Array) => Promise<void> | void;
}

/** Response headers, read by name (case-insensitive), as fetch's Headers.get. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/** A response with its whole body (or, with a writer, none). `url` is the URL that answered (no redirect is followed). */
export interface HttpResponse {
  url: string;
  status: number;
  headers: HeaderLookup;
  body: Uint8Array;
  /** Bytes of body received (after decoding); equals body.byteLength unless the sink had a writer. */
  receivedBytes?: number;
}

/**
 * Send one request. `sinkFor(status)` says where the body goes once the status is known (error
 * bodies are JSON and get the JSON cap; a 2xx body gets the caller's sink).
 *
 * Failures: a connection that cannot be made or breaks before the headers rejects with the
 * underlying error (its `code`, e.g. ECONNREFUSED, is kept); an answer that is not HTTP rejects
 * with a TiledError `invalid-response`; when `request.signal` aborts, with any error (the
 * transport tells timeout from cancel by its own signals). A body shorter than announced rejects
 * with `BodyCutShort`; a body over `maxBytes` or longer than `expectedBytes` with a TiledError
 * (`too-large` / `invalid-response`).
 */
export type HttpFunction = (request: HttpRequest, sinkFor: (status: number) => BodySink) => Promise<HttpResponse>;

/** The connection closed before the whole body arrived. */
export class BodyCutShort extends Error {
  constructor(
    readonly received: number,
    readonly announced: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(`body ended after ${received}${announced === undefined ? "" : ` of ${announced}`} bytes`, options);
    this.name = "BodyCutShort";
  }
}

/** Per-request options every read and write accepts. */
export interface RequestOptions {
  /** Cancel the request. */
  signal?: AbortSignal;
  /** Override the context's no-progress timeout for this request (ms). */
  timeoutMs?: number;
  /** Override the context's total deadline for this request (ms). */
  deadlineMs?: number;
  /** Told the bytes received so far, and the total when the server announced it (progress bars). */
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
}

/** What the transport is asked for: the method, the URL, the Accept type, and an optional body. */
export interface TransportRequest {
  method?: HttpMethod;
  url: string;
  accept: string;
  body?: Uint8Array;
  contentType?: string;
  /** Extra headers for this request only. */
  headers?: Record<string, string>;
  /** Send no credentials (a login's token request, a refresh: the body is the proof), and do not recover from a 401. */
  anonymous?: boolean;
  /** Texts this request carries that errors must not show (a password in its body). */
  secrets?: readonly string[];
}

/** A completed response with its whole body, after redirects. */
export interface TransportResponse {
  url: string;
  status: number;
  contentType: string;
  requestId?: string;
  headers: HeaderLookup;
  body: Uint8Array;
  receivedBytes: number;
}
