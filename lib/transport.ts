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
import { TiledError, apiKeyInUrl, formatDetail, redactText, redactUrl } from "./errors";
import { SnapshotStore, snapshotStoreFromEnv } from "./snapshots";
import type { SnapshotMode } from "./snapshots";

export const DEFAULT_BASE_URL = "http://127.0.0.1:8000";

/** Default cap on a JSON body: a page of 300 runs with their metadata is a few MB. */
export const DEFAULT_MAX_JSON_BYTES = 128 * 1024 * 1024;

/** Redirects followed per request (tiled itself redirects at most once, e.g. a missing trailing slash). */
export const MAX_REDIRECTS = 5;

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
  /**
   * Sent as `Authorization: Apikey <key>`, only to the base URL's origin (not after a redirect to
   * another origin). Default: env TILED_API_KEY. Never logged, recorded or shown in an error.
   */
  apiKey?: string;
  /** Per-request timeout in ms, body included. Default: env TILED_TIMEOUT (s), else 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** "live" (default: env TILED_SNAPSHOTS, else live), "record" or "replay". */
  snapshots?: SnapshotMode;
  /** Where snapshots live. Default: data-snapshots/sql, or data-snapshots/legacy for TILED_LEGACY_URL (snapshots.ts). */
  snapshotDir?: string;
  /**
   * Let the server compress bulk data (gzip). Default false: arrays and tables are fetched with
   * `Accept-Encoding: identity`, because tiled tries to compress before deciding it is not worth it
   * (6.6 s instead of 0.8 s for 200 MB of random float64 on localhost). Turn it on over slow networks.
   */
  compression?: boolean;
  /**
   * Largest JSON body accepted, in bytes (error bodies too). Default: env TILED_MAX_JSON_BYTES, else
   * 128 MiB. A body without Content-Length is counted as it arrives and abandoned past the cap.
   */
  maxJsonBytes?: number;
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

/** Where a body goes: its expected size, optionally the caller's buffer, and a cap for JSON. */
interface BodySink {
  expectedBytes?: number;
  into?: Uint8Array;
  maxBytes?: number;
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

/** Return `ms` if it is a positive, finite number of milliseconds; otherwise throw bad-input. */
export function checkTimeoutMs(ms: unknown, what = "timeoutMs"): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0) {
    throw new TiledError("bad-input", `${what} ${String(ms)} is invalid: give a positive number of milliseconds (e.g. 30000).`);
  }
  return ms;
}

/**
 * Throw bad-input unless the API key can travel in an HTTP header: visible Latin-1 text, no
 * whitespace or control characters (a key pasted with its newline is the usual culprit). The key
 * itself is never part of the message.
 */
export function checkApiKey(key: string): string {
  if (typeof key !== "string" || key === "") throw new TiledError("bad-input", "The API key is empty: give the key, or leave it unset for anonymous access.");
  const bad = [...key].find((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f || ch.charCodeAt(0) > 0xff);
  if (bad !== undefined) {
    const code = bad.charCodeAt(0);
    const what = code === 0x0a || code === 0x0d ? "a line break" : code <= 0x20 || code === 0x7f ? "a space or control character" : "a character outside Latin-1";
    throw new TiledError(
      "bad-input",
      `The API key contains ${what} (U+${code.toString(16).toUpperCase().padStart(4, "0")}), which an HTTP header cannot carry. ` +
        "Check TILED_API_KEY or the apiKey option (a key copied with its trailing newline is the usual cause).",
    );
  }
  return key;
}

/** The retry policy from options, then env (TILED_RETRY_ATTEMPTS / TILED_RETRY_TIMEOUT), then defaults. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const attempts = overrides.attempts ?? envNumber("TILED_RETRY_ATTEMPTS") ?? 3;
  const totalS = envNumber("TILED_RETRY_TIMEOUT");
  if (typeof attempts !== "number" || !Number.isFinite(attempts)) throw new TiledError("bad-input", `retry.attempts ${String(attempts)} must be a whole number of attempts.`);
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

/**
 * Statuses worth another attempt: 429 and the "temporarily unavailable" family. Not 500: tiled
 * answers 500 for a request it cannot handle (an FTS5 syntax error, a value its database rejects),
 * and the same request fails the same way again.
 */
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);

/** Whether a failure is worth another attempt: the connection failed or timed out (never a 4xx). */
function isRetriable(err: unknown): boolean {
  return err instanceof TiledError && (err.code === "unreachable" || err.code === "timeout");
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export class Transport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly snapshots: SnapshotStore | undefined;
  readonly compression: boolean;
  readonly maxJsonBytes: number;
  readonly #apiKey: string | undefined;
  /** The origin the API key belongs to: it is sent nowhere else. */
  readonly #keyOrigin: string | undefined;

  constructor(options: TransportOptions = {}) {
    this.baseUrl = normalizeBaseUrl(options.baseUrl ?? process.env.TILED_URL ?? DEFAULT_BASE_URL);
    // An empty string in the environment means "no key", not "the key is empty".
    const key = options.apiKey ?? (process.env.TILED_API_KEY || undefined);
    this.#apiKey = key === undefined ? undefined : checkApiKey(key);
    try {
      this.#keyOrigin = new URL(this.baseUrl).origin;
    } catch {
      throw new TiledError("bad-input", `The server URL ${JSON.stringify(redactText(this.baseUrl))} is not a URL; expected e.g. "http://127.0.0.1:8000".`);
    }
    const envTimeout = envNumber("TILED_TIMEOUT");
    this.timeoutMs = checkTimeoutMs(options.timeoutMs ?? (envTimeout === undefined ? 30_000 : envTimeout * 1000));
    this.retry = retryPolicy(options.retry);
    this.snapshots = snapshotStoreFromEnv(options.snapshots, options.snapshotDir, this.baseUrl);
    this.compression = options.compression ?? false;
    const maxJson = options.maxJsonBytes ?? envNumber("TILED_MAX_JSON_BYTES") ?? DEFAULT_MAX_JSON_BYTES;
    if (!Number.isSafeInteger(maxJson) || maxJson < 1) throw new TiledError("bad-input", `maxJsonBytes ${String(maxJson)} must be a positive whole number of bytes.`);
    this.maxJsonBytes = maxJson;
  }

  /** True when an API key will be sent (the key itself is not readable from outside). */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  /** The mode this transport runs in: "live", "record" or "replay". */
  get mode(): SnapshotMode {
    return this.snapshots?.mode ?? "live";
  }

  /** Texts to keep out of errors and recordings for this request: the key, and any api_key in the URL. */
  #secrets(url: string): string[] {
    const out: string[] = [];
    if (this.#apiKey !== undefined) out.push(this.#apiKey);
    const inUrl = apiKeyInUrl(url);
    if (inUrl) out.push(inUrl);
    return out;
  }

  /** GET a URL and return its JSON body, validated by `schema`. Errors name the zod path and the URL. */
  async getJson<S extends z.ZodType>(url: string, schema: S, options: RequestOptions = {}): Promise<z.infer<S>> {
    const response = await this.send({ url, accept: "application/json" }, options, { maxBytes: this.maxJsonBytes });
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
        secrets: this.#secrets(url),
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
    if (options.timeoutMs !== undefined) checkTimeoutMs(options.timeoutMs);
    const live = () => this.#sendWithRetries(request, options, sink);
    const secrets = this.#secrets(request.url);
    const response = this.snapshots ? await this.snapshots.handle(request, this.baseUrl, live, secrets) : await live();
    if (response.status < 200 || response.status >= 300) throw errorFromResponse(response, secrets);
    return response;
  }

  async #sendWithRetries(request: TransportRequest, options: RequestOptions, sink: BodySink): Promise<TransportResponse> {
    const started = Date.now();
    let delay = this.retry.initialDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.#sendOnce(request, options, sink);
        // 429/502/503/504 are retried; when attempts run out it is returned and becomes an "http" error.
        if (RETRIED_STATUSES.has(response.status) && this.#mayRetry(attempt, started, delay, options)) {
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
    const secrets = this.#secrets(request.url);
    const fail = (cause: unknown, url: string): TiledError => {
      if (options.signal?.aborted) return new TiledError("aborted", "The request was cancelled.", { url, cause, secrets });
      if (timeout.aborted) {
        return new TiledError("timeout", `No complete answer within ${timeoutMs} ms (set timeoutMs or TILED_TIMEOUT to wait longer).`, {
          url,
          cause,
          secrets,
        });
      }
      return unreachable(url, cause, secrets);
    };
    // Redirects are followed here, not by node-fetch, so that the key goes only to its own origin
    // (node-fetch keeps it across a change of port) and a loop is reported as one.
    let url = request.url;
    const visited = new Set<string>([url]);
    let response: Response;
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = { Accept: request.accept };
      // Bulk data (anything but JSON) uncompressed unless asked: see TransportOptions.compression.
      if (!this.compression && !request.accept.includes("json")) headers["Accept-Encoding"] = "identity";
      if (this.#apiKey !== undefined && originOf(url) === this.#keyOrigin) headers.Authorization = `Apikey ${this.#apiKey}`;
      try {
        response = await fetch(url, { headers, signal, redirect: "manual" });
      } catch (cause) {
        throw fail(cause, url);
      }
      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || location === null) break;
      discard(response);
      let next: string;
      try {
        next = new URL(location, url).toString();
      } catch (cause) {
        throw new TiledError("redirect", `The server redirected to ${JSON.stringify(location)}, which is not a URL.`, { url, status: response.status, cause, secrets });
      }
      if (visited.has(next) || redirects + 1 > MAX_REDIRECTS) {
        throw new TiledError(
          "redirect",
          visited.has(next)
            ? `The server redirects in a loop (${redactText(next, secrets)} was visited already). Check the server's URL and its proxy configuration.`
            : `The server redirected more than ${MAX_REDIRECTS} times. Check the server's URL and its proxy configuration.`,
          { url: request.url, status: response.status, secrets },
        );
      }
      visited.add(next);
      url = next;
    }
    const contentType = response.headers.get("content-type") ?? "";
    const requestId = response.headers.get("x-tiled-request-id") ?? undefined;
    const progress = { received: 0 };
    let body: Uint8Array;
    try {
      // Error bodies are JSON ({"detail": …}) and get the JSON cap, whatever was asked for.
      body = await readBody(response, response.ok ? sink : { maxBytes: this.maxJsonBytes }, url, progress);
    } catch (cause) {
      if (cause instanceof TiledError) throw cause;
      if (signal.aborted) throw fail(cause, url);
      const announced = declaredLength(response);
      throw new TiledError(
        "invalid-response",
        `The server's answer was cut short: the connection closed after ${progress.received} bytes` +
          `${announced === undefined ? "" : ` of the ${announced} announced`}.`,
        { url, status: response.status, requestId, cause, secrets },
      );
    }
    return { url, status: response.status, contentType, requestId, body };
  }
}

/** Drop the rest of a body we will not read (node-fetch's body is a Node stream at run time). */
function discard(response: Response): void {
  const body = response.body as unknown as { destroy?: () => void } | null;
  body?.destroy?.();
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
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

/** The body's size from Content-Length, when the body arrives as sent (node-fetch decodes gzip etc.). */
function declaredLength(response: Response): number | undefined {
  const encoding = response.headers.get("content-encoding");
  if (encoding !== null && encoding !== "identity") return undefined;
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

function tooLarge(url: string, limit: number, size: number | undefined): TiledError {
  return new TiledError(
    "too-large",
    `The server's JSON answer is ${size === undefined ? "larger than" : `${size} bytes, over`} the ${limit}-byte limit. ` +
      "Ask for less (a smaller page, fields=…), or raise maxJsonBytes / TILED_MAX_JSON_BYTES if the server is trusted.",
    { url },
  );
}

/**
 * Read a body. With a known size, stream it into one buffer of that size, so a 300 MB array needs
 * 300 MB rather than the chunks plus their concatenation. The buffer is a fresh ArrayBuffer, so
 * any TypedArray view of it is aligned. With `maxBytes`, a body announced or found larger is
 * refused (too-large) without reading the rest. A body shorter than announced is an error.
 */
async function readBody(response: Response, sink: BodySink, url: string, progress: { received: number }): Promise<Uint8Array> {
  const declared = declaredLength(response);
  const limit = sink.maxBytes;
  if (limit !== undefined && declared !== undefined && declared > limit) {
    discard(response);
    throw tooLarge(url, limit, declared);
  }
  if (response.body === null) return new Uint8Array(0);
  // Streaming into one buffer of the known size avoids arrayBuffer()'s keep-every-chunk-then-join
  // (3.7x the body's size at peak for a 120 MB Arrow table, and an extra copy; bench/README.md).
  const expectedBytes = sink.expectedBytes ?? declared;
  if (expectedBytes === undefined) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of response.body) {
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
      progress.received += bytes.byteLength;
      if (limit !== undefined && progress.received > limit) {
        discard(response);
        throw tooLarge(url, limit, undefined);
      }
      chunks.push(bytes);
    }
    return concat(chunks, progress.received);
  }
  const out = sink.into ?? new Uint8Array(new ArrayBuffer(expectedBytes));
  for await (const chunk of response.body) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
    if (progress.received + bytes.byteLength > expectedBytes) {
      discard(response);
      throw new TiledError("invalid-response", `The server sent more than the expected ${expectedBytes} bytes.`, { url });
    }
    out.set(bytes, progress.received);
    progress.received += bytes.byteLength;
  }
  if (declared !== undefined && progress.received < declared) throw new Error(`body ended after ${progress.received} of ${declared} bytes`);
  return progress.received === expectedBytes ? out : out.subarray(0, progress.received);
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

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * The error for a failed connection: name the URL and the reason. Only a refused connection on
 * this machine (where the project's replica listens) suggests starting the replica.
 */
export function unreachable(url: string, cause: unknown, secrets: readonly string[] = []): TiledError {
  const code = cause instanceof FetchError && cause.code ? cause.code : undefined;
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  let origin = url;
  let host = "";
  try {
    const parsed = new URL(url);
    origin = parsed.origin;
    host = parsed.hostname;
  } catch {
    /* keep the URL as given */
  }
  const refused = code === "ECONNREFUSED";
  const advice = refused
    ? LOOPBACK_HOSTS.has(host)
      ? "\n  Nothing listens there. Start the replica server with `bin/replica start` (after `bash scripts/setup.sh`),\n" +
        "  or point TILED_URL at a running server, or replay recorded responses with TILED_SNAPSHOTS=replay."
      : "\n  Nothing listens there: check the URL and that the server is running."
    : code === "ENOTFOUND" || code === "EAI_AGAIN"
      ? "\n  The host name does not resolve: check the URL."
      : "";
  return new TiledError("unreachable", `Cannot reach the tiled server at ${redactUrl(origin)} (${reason}).${advice}`, { url, cause, secrets });
}

/** Turn a non-2xx response into a TiledError carrying status, detail and request id. */
export function errorFromResponse(response: TransportResponse, secrets: readonly string[] = []): TiledError {
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
    secrets,
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
