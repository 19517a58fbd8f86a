/**
 * http/types.ts — the one operation the transport needs from an HTTP library: a single GET.
 *
 * An `HttpGet` sends one request and returns the status, the headers and the whole body. It does
 * not follow redirects, retry, time out by itself or know about API keys: the transport does those
 * once, the same way, for every implementation (transport.ts). Two implementations exist:
 * `fetchGet` (node-fetch, the default, used for JSON) and `socketGet` (a lean reader for bulk
 * binary bodies over plain http, measured faster in bench/README.md).
 *
 * @example
 * const response = await fetchGet({ url, headers: { Accept: "application/json" }, signal }, (status) => ({ maxBytes: 1 << 20 }));
 * if (response.status === 200) console.log(new TextDecoder().decode(response.body));
 */

/** One GET request: the URL, the exact headers to send, and the signal that cancels it (timeout or caller). */
export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/** Where a body goes: its expected size, optionally the caller's buffer, and a cap. */
export interface BodySink {
  /** If known (shape × itemsize), the body is received into one buffer of exactly this size. */
  expectedBytes?: number;
  /** Receive straight into this view (length = expectedBytes), e.g. a slice of a larger result. */
  into?: Uint8Array;
  /** Refuse (too-large) a body announced or found to be larger than this. */
  maxBytes?: number;
}

/** Response headers, read by name (case-insensitive), as fetch's Headers.get. */
export interface HeaderLookup {
  get(name: string): string | null;
}

/** A response with its whole body. `url` is the URL that answered (no redirect is followed). */
export interface HttpResponse {
  url: string;
  status: number;
  headers: HeaderLookup;
  body: Uint8Array;
}

/**
 * Send one GET. `sinkFor(status)` says where the body goes once the status is known (error bodies
 * are JSON and get the JSON cap; a 2xx body gets the caller's sink).
 *
 * Failures: a connection that cannot be made or breaks before the headers rejects with the
 * underlying error (its `code`, e.g. ECONNREFUSED, is kept); when `request.signal` aborts, with
 * any error (the transport tells timeout from cancel by its own signals). A body shorter than
 * announced rejects with `BodyCutShort`; a body over `maxBytes` or longer than `expectedBytes`
 * with a TiledError (`too-large` / `invalid-response`).
 */
export type HttpGet = (request: HttpRequest, sinkFor: (status: number) => BodySink) => Promise<HttpResponse>;

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

/** Per-request options every read accepts. */
export interface RequestOptions {
  /** Cancel the request (combined with the timeout). */
  signal?: AbortSignal;
  /** Override the transport's timeout for this request. */
  timeoutMs?: number;
}

/** A request as the transport and the snapshot store see it: what to get, in which format. */
export interface TransportRequest {
  url: string;
  accept: string;
}

/** A completed response with its whole body, after redirects. */
export interface TransportResponse {
  url: string;
  status: number;
  contentType: string;
  requestId?: string;
  body: Uint8Array;
}

/**
 * What the transport sends through: the live sender (http/sender.ts), or the snapshot store
 * wrapped around it (snapshots.ts). Resolves with any status; rejects only with a TiledError.
 */
export interface Sender {
  send(request: TransportRequest, options: RequestOptions, sink: BodySink): Promise<TransportResponse>;
  /** Texts to keep out of errors and recordings for this URL: the API key, an api_key in the URL. */
  secretsFor(url: string): string[];
}
