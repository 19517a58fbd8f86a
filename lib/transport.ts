/**
 * transport.ts — every HTTP request the library makes goes through here.
 *
 * One GET with node-fetch, plus what a notebook should not have to think about: a timeout through
 * AbortSignal, bounded retries of transport errors and 5xx answers (never 4xx), the API key sent
 * as `Authorization: Apikey …` and never shown, JSON bodies validated by a zod schema, binary
 * bodies streamed into one preallocated buffer, and record/replay of responses (snapshots.ts).
 *
 * @example
 * const transport = new Transport({ baseUrl: "http://127.0.0.1:8000", timeoutMs: 10_000 });
 * const about = await transport.getJson(`${transport.baseUrl}/api/v1/`, About);
 * console.log(about.library_version, about.queries);
 * const bytes = await transport.getBytes(url, { accept: "application/octet-stream", expectedBytes: 4096 });
 *
 * Environment (all optional): TILED_URL (default http://127.0.0.1:8000), TILED_API_KEY,
 * TILED_TIMEOUT (seconds per request, default 30), TILED_RETRY_ATTEMPTS (default 3) and
 * TILED_RETRY_TIMEOUT (seconds for all attempts together, default 10) — the two names tiled's
 * Python client reads, with smaller defaults (Python: 10 and 45 s) so a stopped server is reported
 * in about a second instead of 45. TILED_SNAPSHOTS and TILED_SNAPSHOT_DIR: see snapshots.ts.
 */
import fetch, { FetchError } from "node-fetch";
import type { Response } from "node-fetch";
import { z } from "zod";
import { TiledError, formatDetail, redactUrl } from "./errors";
import { SnapshotStore, snapshotStoreFromEnv } from "./snapshots";
import type { SnapshotMode } from "./snapshots";

export const DEFAULT_BASE_URL = "http://127.0.0.1:8000";

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  /** No new attempt starts after this many ms since the first one. */
  totalTimeoutMs: number;
  /** Wait before the first retry; doubles each time up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface TransportOptions {
  /** Server root, e.g. http://127.0.0.1:8000. Default: env TILED_URL, else http://127.0.0.1:8000. */
  baseUrl?: string;
  /** Sent as `Authorization: Apikey <key>`. Default: env TILED_API_KEY. Never logged or recorded. */
  apiKey?: string;
  /** Per-request timeout in ms, body included. Default: env TILED_TIMEOUT (s), else 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** "live" (default: env TILED_SNAPSHOTS, else live), "record" or "replay". */
  snapshots?: SnapshotMode;
  /** Where snapshots live. Default: env TILED_SNAPSHOT_DIR, else data-snapshots/ at the repo root. */
  snapshotDir?: string;
  /**
   * Let the server compress bulk data (gzip). Default false: arrays and tables are fetched with
   * `Accept-Encoding: identity`, because tiled tries to compress before deciding it is not worth it
   * (6.6 s instead of 0.8 s for 200 MB of random float64 on localhost). Turn it on over slow networks.
   */
  compression?: boolean;
}

export interface RequestOptions {
  /** Cancel the request (combined with the timeout). */
  signal?: AbortSignal;
  /** Override the transport's timeout for this request. */
  timeoutMs?: number;
}

export interface BytesRequestOptions extends RequestOptions {
  accept: string;
  /** If known (shape × itemsize), the body is streamed into one buffer of exactly this size. */
  expectedBytes?: number;
  /**
   * Stream the body straight into this view (length = expectedBytes), e.g. a slice of a larger
   * result buffer, so a split read never holds a piece twice.
   */
  into?: Uint8Array;
}

/** Where a binary body goes: its expected size, and optionally the caller's buffer. */
interface BodySink {
  expectedBytes?: number;
  into?: Uint8Array;
}

/** A request as the transport and the snapshot store see it. */
export interface TransportRequest {
  url: string;
  accept: string;
}

/** A completed response with its whole body. */
export interface TransportResponse {
  url: string;
  status: number;
  contentType: string;
  requestId?: string;
  body: Uint8Array;
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new TiledError("bad-input", `Environment variable ${name}=${JSON.stringify(raw)} is not a non-negative number.`);
  }
  return value;
}

/** The retry policy from options, then env (TILED_RETRY_ATTEMPTS / TILED_RETRY_TIMEOUT), then defaults. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const attempts = overrides.attempts ?? envNumber("TILED_RETRY_ATTEMPTS") ?? 3;
  const totalS = envNumber("TILED_RETRY_TIMEOUT");
  return {
    attempts: Math.max(1, Math.floor(attempts)),
    totalTimeoutMs: overrides.totalTimeoutMs ?? (totalS === undefined ? 10_000 : totalS * 1000),
    initialDelayMs: overrides.initialDelayMs ?? 100,
    maxDelayMs: overrides.maxDelayMs ?? 2_000,
  };
}

/** Strip trailing slashes so `${baseUrl}/api/v1` is always well formed. */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

const ErrorBody = z.object({ detail: z.unknown() });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether a failure is worth another attempt: transport trouble and 5xx, like tiled's `should_retry`. */
function isRetriable(err: unknown): boolean {
  if (err instanceof TiledError) {
    if (err.code === "unreachable" || err.code === "timeout") return true;
    if (err.code === "http" && err.status !== undefined && err.status >= 500) return true;
  }
  return false;
}

export class Transport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly snapshots: SnapshotStore | undefined;
  readonly compression: boolean;
  readonly #apiKey: string | undefined;

  constructor(options: TransportOptions = {}) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl ?? process.env.TILED_URL ?? DEFAULT_BASE_URL);
    // An empty string in the environment means "no key", not "the key is empty".
    this.#apiKey = options.apiKey ?? (process.env.TILED_API_KEY || undefined);
    const envTimeout = envNumber("TILED_TIMEOUT");
    this.timeoutMs = options.timeoutMs ?? (envTimeout === undefined ? 30_000 : envTimeout * 1000);
    this.retry = retryPolicy(options.retry);
    this.snapshots = snapshotStoreFromEnv(options.snapshots, options.snapshotDir);
    this.compression = options.compression ?? false;
  }

  /** True when an API key will be sent (the key itself is not readable from outside). */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  /** The mode this transport runs in: "live", "record" or "replay". */
  get mode(): SnapshotMode {
    return this.snapshots?.mode ?? "live";
  }

  /** GET a URL and return its JSON body, validated by `schema`. Errors name the zod path and the URL. */
  async getJson<S extends z.ZodType>(url: string, schema: S, options: RequestOptions = {}): Promise<z.infer<S>> {
    const response = await this.send({ url, accept: "application/json" }, options);
    const text = new TextDecoder().decode(response.body);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      const preview = text.length > 120 ? `${text.slice(0, 120)}…` : text;
      throw new TiledError("invalid-response", `The server's answer is not JSON (${response.contentType || "no content type"}): ${JSON.stringify(preview)}`, {
        url,
        status: response.status,
        requestId: response.requestId,
        cause,
      });
    }
    return parseWith(schema, json, url, response.requestId);
  }

  /** GET a URL and return its body as bytes (bulk data: arrays, Arrow tables). */
  async getBytes(url: string, options: BytesRequestOptions): Promise<Uint8Array> {
    if (options.into && options.into.byteLength !== options.expectedBytes) {
      throw new TiledError("bad-input", `The destination buffer holds ${options.into.byteLength} bytes, not the expected ${options.expectedBytes}.`, { url });
    }
    const response = await this.send({ url, accept: options.accept }, options, { expectedBytes: options.expectedBytes, into: options.into });
    if (options.expectedBytes !== undefined && response.body.byteLength !== options.expectedBytes) {
      throw new TiledError(
        "invalid-response",
        `Expected ${options.expectedBytes} bytes but the server sent ${response.body.byteLength}.`,
        { url, status: response.status, requestId: response.requestId },
      );
    }
    if (options.into && response.body !== options.into) {
      // Replayed from a snapshot: copy into the caller's buffer.
      options.into.set(response.body);
      return options.into;
    }
    return response.body;
  }

  /**
   * GET with retries; replayed from or recorded to the snapshot store when one is active.
   * Resolves only with a 2xx response; anything else becomes a TiledError.
   */
  async send(request: TransportRequest, options: RequestOptions = {}, sink: BodySink = {}): Promise<TransportResponse> {
    const live = () => this.#sendWithRetries(request, options, sink);
    const secrets = this.#apiKey === undefined ? [] : [this.#apiKey];
    const response = this.snapshots ? await this.snapshots.handle(request, this.baseUrl, live, secrets) : await live();
    if (response.status < 200 || response.status >= 300) throw errorFromResponse(response);
    return response;
  }

  async #sendWithRetries(request: TransportRequest, options: RequestOptions, sink: BodySink): Promise<TransportResponse> {
    const started = Date.now();
    let delay = this.retry.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.#sendOnce(request, options, sink);
        // A 5xx is retried; when attempts run out it is returned and becomes an "http" error.
        if (response.status >= 500 && this.#mayRetry(attempt, started, delay, options)) {
          await sleep(delay);
          delay = Math.min(delay * 2, this.retry.maxDelayMs);
          continue;
        }
        return response;
      } catch (err) {
        if (isRetriable(err) && this.#mayRetry(attempt, started, delay, options)) {
          await sleep(delay);
          delay = Math.min(delay * 2, this.retry.maxDelayMs);
          continue;
        }
        throw err;
      }
    }
  }

  #mayRetry(attempt: number, started: number, delay: number, options: RequestOptions): boolean {
    if (options.signal?.aborted) return false;
    return attempt < this.retry.attempts && Date.now() - started + delay < this.retry.totalTimeoutMs;
  }

  async #sendOnce(request: TransportRequest, options: RequestOptions, sink: BodySink): Promise<TransportResponse> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? anySignal(timeout, options.signal) : timeout;
    const headers: Record<string, string> = { Accept: request.accept };
    // Bulk data (anything but JSON) uncompressed unless asked: see TransportOptions.compression.
    if (!this.compression && !request.accept.includes("json")) headers["Accept-Encoding"] = "identity";
    if (this.#apiKey !== undefined) headers.Authorization = `Apikey ${this.#apiKey}`;
    const fail = (cause: unknown): TiledError => {
      if (options.signal?.aborted) return new TiledError("aborted", "The request was cancelled.", { url: request.url, cause });
      if (timeout.aborted) {
        return new TiledError("timeout", `No complete answer within ${timeoutMs} ms (set timeoutMs or TILED_TIMEOUT to wait longer).`, {
          url: request.url,
          cause,
        });
      }
      return unreachable(request.url, cause);
    };
    let response: Response;
    try {
      response = await fetch(request.url, { headers, signal });
    } catch (cause) {
      throw fail(cause);
    }
    const contentType = response.headers.get("content-type") ?? "";
    const requestId = response.headers.get("x-tiled-request-id") ?? undefined;
    let body: Uint8Array;
    try {
      body = response.ok ? await readBody(response, sink) : new Uint8Array(await response.arrayBuffer());
    } catch (cause) {
      if (cause instanceof TiledError) throw cause;
      throw fail(cause);
    }
    return { url: request.url, status: response.status, contentType, requestId, body };
  }
}

/** A signal that aborts when either does (AbortSignal.any, which TypeScript 5.0's lib does not declare). */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const abort = (source: AbortSignal) => () => controller.abort(source.reason);
  if (a.aborted) controller.abort(a.reason);
  else if (b.aborted) controller.abort(b.reason);
  else {
    a.addEventListener("abort", abort(a), { once: true });
    b.addEventListener("abort", abort(b), { once: true });
  }
  return controller.signal;
}

/**
 * Read a body. With a known size, stream it into one buffer of that size, so a 300 MB array needs
 * 300 MB rather than the chunks plus their concatenation. The buffer is a fresh ArrayBuffer, so
 * any TypedArray view of it is aligned.
 */
/** The body's size from Content-Length, when the body arrives as sent (node-fetch decodes gzip etc.). */
function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get("content-encoding");
  if (encoding !== null && encoding !== "identity") return undefined;
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

async function readBody(response: Response, sink: BodySink): Promise<Uint8Array> {
  // Streaming into one buffer of the known size avoids arrayBuffer()'s keep-every-chunk-then-join
  // (3.7x the body's size at peak for a 120 MB Arrow table, and an extra copy; bench/README.md).
  const expectedBytes = sink.expectedBytes ?? declaredLength(response);
  if (expectedBytes === undefined || response.body === null) return new Uint8Array(await response.arrayBuffer());
  const out = sink.into ?? new Uint8Array(new ArrayBuffer(expectedBytes));
  let offset = 0;
  for await (const chunk of response.body) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
    if (offset + bytes.byteLength > expectedBytes) {
      throw new TiledError("invalid-response", `The server sent more than the expected ${expectedBytes} bytes.`, { url: response.url });
    }
    out.set(bytes, offset);
    offset += bytes.byteLength;
  }
  return offset === expectedBytes ? out : out.subarray(0, offset);
}

/** The error for a refused or failed connection: name the URL and say how to start the replica. */
export function unreachable(url: string, cause: unknown): TiledError {
  const reason =
    cause instanceof FetchError && cause.code ? cause.code : cause instanceof Error ? cause.message : String(cause);
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    /* keep the URL as given */
  }
  return new TiledError(
    "unreachable",
    `Cannot reach the tiled server at ${redactUrl(origin)} (${reason}).\n` +
      "  Start the replica server with `bin/replica start` (after `bash scripts/setup.sh`),\n" +
      "  or point TILED_URL at a running server, or replay recorded responses with TILED_SNAPSHOTS=replay.",
    { url, cause },
  );
}

/** Turn a non-2xx response into a TiledError carrying status, detail and request id. */
export function errorFromResponse(response: TransportResponse): TiledError {
  let detail: unknown;
  if (response.contentType.includes("json")) {
    try {
      const parsed = ErrorBody.safeParse(JSON.parse(new TextDecoder().decode(response.body)));
      if (parsed.success) detail = parsed.data.detail;
    } catch {
      /* not JSON after all: fall through to the text */
    }
  }
  if (detail === undefined) {
    const text = new TextDecoder().decode(response.body).trim();
    detail = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }
  const status = response.status;
  const text = formatDetail(detail);
  // A registered query the node cannot run (Regex, or TimeRange on an SQL catalog) comes back as 400.
  const code = status === 404 ? "not-found" : status === 400 && /query type .* is not supported on this node/i.test(text) ? "unsupported-query" : "http";
  return new TiledError(code, `${status}: ${text || "(no detail)"} ${redactUrl(response.url)}`, {
    status,
    url: response.url,
    detail,
    requestId: response.requestId,
  });
}

/** Validate `data` with a zod schema; a failure names the first failing path and the URL. */
export function parseWith<S extends z.ZodType>(schema: S, data: unknown, url?: string, requestId?: string): z.infer<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.length ? issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") : "(root)";
    return `at ${path}: ${issue.message}`;
  });
  const more = result.error.issues.length > 3 ? ` (and ${result.error.issues.length - 3} more)` : "";
  throw new TiledError("invalid-response", `The server's answer does not match the expected schema ${issues.join("; ")}${more}`, {
    url,
    requestId,
    cause: result.error,
  });
}

let defaultTransport: Transport | undefined;

/** The shared transport used when none is passed (built from the environment on first use). */
export function getDefaultTransport(): Transport {
  defaultTransport ??= new Transport();
  return defaultTransport;
}

/** Replace the shared transport (tests, notebooks that want other options). */
export function setDefaultTransport(transport: Transport | undefined): void {
  defaultTransport = transport;
}
