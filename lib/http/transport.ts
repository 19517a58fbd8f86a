/**
 * http/transport.ts — one logical request, done carefully, whichever HTTP function sends the bytes.
 *
 * - Timeouts: by default only a *no-progress* timeout (`timeoutMs`): the answer must start, and its
 *   body keep arriving, within that time; a slow but steady read never fails (as httpx's read
 *   timeout). A total `deadlineMs` applies only when the caller sets one.
 * - Retries: a refused or reset connection, a timeout, and 429/502/503/504 are tried again, with
 *   backoff, within the policy's attempts and total time. Not 500: tiled answers 500 for a request
 *   it cannot handle, and the same request fails the same way again. Never a 4xx, and never an
 *   answer that is not HTTP (that server answered, badly). POST and PATCH are retried only when
 *   the connection was refused, so a write is never sent twice.
 * - Redirects: followed here (at most 5), so credentials go only to their own origin (node-fetch
 *   would keep them across a change of port) and a loop is reported as one.
 * - Credentials: asked for headers on every attempt; a 401 lets them recover once (a refreshed
 *   token), then the request is sent again.
 * - Bodies: JSON answers and error bodies are capped by `maxJsonBytes`; bulk bodies (arrays, Arrow)
 *   are asked for uncompressed unless `compression` is set and, over http:, received by the socket
 *   reader unless `bulkReader: "fetch"`.
 *
 * @example
 * const transport = new Transport(resolveConfig({ baseUrl }), ANONYMOUS);
 * const about = await transport.getJson(`${baseUrl}/api/v1/`, About);
 * const bytes = await transport.getBytes(url, { accept: "application/octet-stream", expectedBytes: 4096 });
 */
import type { Credentials } from "../auth/credentials.js";
import type { Config } from "../config.js";
import { checkTimeoutMs } from "../config.js";
import { TiledError, redactText } from "../errors.js";
import { apiKeyInUrl, originOf } from "../urls.js";
import { parseJson } from "../parse.js";
import type { Parser } from "../parse.js";
import { errorFromResponse, failedRequest } from "../response-errors.js";
import { fetchHttp } from "./node-fetch.js";
import { socketHttp } from "./socket-get.js";
import type { BodySink, HttpFunction, HttpResponse, RequestOptions, TransportRequest, TransportResponse } from "./types.js";

/** Redirects followed per request (tiled itself redirects at most once, e.g. a missing trailing slash). */
export const MAX_REDIRECTS = 5;

/** Statuses worth another attempt: 429 and the "temporarily unavailable" family (not 500, see above). */
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * The Content-Encoding of an answer that the request did not allow: a server that compresses a
 * body after `Accept-Encoding: identity` is refused rather than decoded (a 1.7 KB body can
 * decode to 1 GiB). Neither reader decodes such a body (node-fetch is told not to); this names it.
 */
function unaskedEncoding(requestHeaders: Record<string, string>, contentEncoding: string | null): string | undefined {
  const coding = (contentEncoding ?? "").trim().toLowerCase();
  if (coding === "" || coding === "identity") return undefined;
  const asked = requestHeaders["Accept-Encoding"];
  // No Accept-Encoding header: node-fetch sends its own (gzip, deflate, br), which it decodes.
  if (asked === undefined) return undefined;
  const allowed = asked.toLowerCase().split(",").map((c) => c.split(";")[0].trim());
  return allowed.includes(coding) || allowed.includes("*") ? undefined : coding;
}

export interface BytesRequestOptions extends RequestOptions {
  accept: string;
  /** If known (shape × itemsize), the body is received into one buffer of exactly this size. */
  expectedBytes?: number;
  /** Receive the body straight into this view (length = expectedBytes), so a split read never holds a piece twice. */
  into?: Uint8Array;
  /** Refuse a body larger than this (default: none when expectedBytes is given, else maxTableBytes). */
  maxBytes?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A signal that aborts when any of these does (AbortSignal.any, which TypeScript 5.0's lib does not
 * declare), and `dispose` to remove its listeners once the request is over: a caller's signal
 * shared by many requests (an upload's blocks, a split read's pieces) would otherwise collect one
 * listener per request (Node warns past 10).
 */
function anySignal(signals: readonly (AbortSignal | undefined)[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const listeners: [AbortSignal, () => void][] = [];
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    listeners.push([signal, onAbort]);
  }
  return { signal: controller.signal, dispose: () => listeners.forEach(([signal, onAbort]) => signal.removeEventListener("abort", onAbort)) };
}

/** A timer that aborts when `ms` pass without `touch()`: the no-progress timeout. */
class IdleTimer {
  readonly controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #last = Date.now();
  constructor(readonly ms: number) {
    this.#arm(ms);
  }
  /** Progress: cheap (a bulk read calls it on every socket read), the timer re-arms itself when it fires. */
  touch(): void {
    this.#last = Date.now();
  }
  #arm(wait: number): void {
    this.#timer = setTimeout(() => {
      const idle = Date.now() - this.#last;
      if (idle >= this.ms) this.controller.abort(new Error(`no progress for ${this.ms} ms`));
      else this.#arm(this.ms - idle);
    }, wait);
  }
  stop(): void {
    clearTimeout(this.#timer);
  }
}

/** Whether a failed attempt is worth another: the connection failed or timed out (not: it answered badly). */
function isRetriable(err: unknown, method: string): boolean {
  if (!(err instanceof TiledError)) return false;
  if (method === "POST" || method === "PATCH") return err.code === "unreachable" && (err.cause as { code?: unknown } | undefined)?.code === "ECONNREFUSED";
  return err.code === "unreachable" || err.code === "timeout";
}

export class Transport {
  readonly config: Config;
  credentials: Credentials;

  constructor(config: Config, credentials: Credentials) {
    this.config = config;
    this.credentials = credentials;
  }

  /** Texts to keep out of errors and recordings for this URL: the credentials, an api_key in the URL. */
  secretsFor(url: string): string[] {
    const inUrl = apiKeyInUrl(url);
    return [...this.credentials.secrets(), ...(inUrl ? [inUrl] : [])];
  }

  /** GET a URL and return its JSON body, validated by `schema`. Errors name the zod path and the URL. */
  async getJson<T>(url: string, schema: Parser<T>, options: RequestOptions = {}): Promise<T> {
    const response = await this.send({ url, accept: "application/json" }, options, { maxBytes: this.config.maxJsonBytes });
    return parseJson(response, schema, this.secretsFor(url));
  }

  /** Send a JSON body (POST, PUT, PATCH) and return the JSON answer, validated by `schema`. */
  async sendJson<T>(method: "POST" | "PUT" | "PATCH" | "DELETE", url: string, body: unknown, schema: Parser<T>, options: RequestOptions & { contentType?: string } = {}): Promise<T> {
    const payload = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    const response = await this.send({ method, url, accept: "application/json", body: payload, contentType: payload ? (options.contentType ?? "application/json") : undefined }, options, {
      maxBytes: this.config.maxJsonBytes,
    });
    return parseJson(response, schema, this.secretsFor(url));
  }

  /** GET a URL and return its body as bytes (bulk data: arrays, Arrow tables, exports). */
  async getBytes(url: string, options: BytesRequestOptions): Promise<Uint8Array> {
    if (options.into && options.into.byteLength !== options.expectedBytes) {
      throw new TiledError("bad-input", `The destination buffer holds ${options.into.byteLength} bytes, not the expected ${options.expectedBytes}.`, { url });
    }
    const maxBytes = options.maxBytes ?? (options.expectedBytes === undefined ? this.config.maxTableBytes : undefined);
    const response = await this.send({ url, accept: options.accept }, options, { expectedBytes: options.expectedBytes, into: options.into, maxBytes });
    if (options.expectedBytes !== undefined && response.body.byteLength !== options.expectedBytes) {
      throw new TiledError("invalid-response", `Expected ${options.expectedBytes} bytes but the server sent ${response.body.byteLength}.`, {
        url,
        status: response.status,
        requestId: response.requestId,
      });
    }
    const inPlace = options.into && response.body.buffer === options.into.buffer && response.body.byteOffset === options.into.byteOffset;
    if (options.into && !inPlace) {
      // Answered by another HTTP function (a replayed recording): copy into the caller's buffer.
      options.into.set(response.body);
      return options.into;
    }
    return response.body;
  }

  /** Send a request; resolves only with a 2xx response, anything else becomes a TiledError. */
  async send(request: TransportRequest, options: RequestOptions = {}, sink: BodySink = {}): Promise<TransportResponse> {
    if (options.timeoutMs !== undefined) checkTimeoutMs(options.timeoutMs);
    if (options.deadlineMs !== undefined) checkTimeoutMs(options.deadlineMs, "deadlineMs");
    if (!request.anonymous) await this.credentials.prepare?.();
    const sent = request.anonymous ? undefined : this.credentials.headersFor(request.url).Authorization;
    let response = await this.#withRetries(request, options, sink);
    if (response.status === 401 && !request.anonymous && this.credentials.recover && (await this.credentials.recover(sent))) {
      response = await this.#withRetries(request, options, sink);
    }
    if (response.status < 200 || response.status >= 300) throw errorFromResponse(response, [...this.secretsFor(request.url), ...(request.secrets ?? [])]);
    return response;
  }

  async #withRetries(request: TransportRequest, options: RequestOptions, sink: BodySink): Promise<TransportResponse> {
    const { retry } = this.config;
    const method = request.method ?? "GET";
    const started = Date.now();
    let delay = retry.initialDelayMs;
    const mayRetry = (attempt: number) => !options.signal?.aborted && attempt < retry.attempts && Date.now() - started + delay < retry.totalTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.#sendOnce(request, options, sink);
        // When attempts run out, a 429/502/503/504 is returned and becomes an "http" error.
        if (!RETRIED_STATUSES.has(response.status) || (method === "POST" || method === "PATCH") || !mayRetry(attempt)) return response;
      } catch (err) {
        if (!isRetriable(err, method) || !mayRetry(attempt)) throw err;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, retry.maxDelayMs);
    }
  }

  /**
   * The HTTP function for a request: the caller's (config.http), else the socket reader for
   * uncompressed bulk GETs over http: received into memory, else node-fetch (JSON, writes, https:, compressed bodies).
   */
  #httpFor(method: string, url: string, accept: string, sink: BodySink): HttpFunction {
    const { http, bulkReader, compression } = this.config;
    if (http) return http;
    // The socket reader keeps a body whole in memory; a body streamed to a writer (an export to
    // disk) must go through node-fetch, which hands each chunk to the writer and keeps none.
    const bulk = method === "GET" && !accept.includes("json") && sink.write === undefined;
    return bulk && !compression && bulkReader === "socket" && url.startsWith("http:") ? socketHttp : fetchHttp;
  }

  async #sendOnce(request: TransportRequest, options: RequestOptions, sink: BodySink): Promise<TransportResponse> {
    const method = request.method ?? "GET";
    const idle = new IdleTimer(options.timeoutMs ?? this.config.timeoutMs);
    const deadlineMs = options.deadlineMs ?? this.config.deadlineMs;
    const deadline = deadlineMs === undefined ? undefined : AbortSignal.timeout(deadlineMs);
    const { signal, dispose } = anySignal([idle.controller.signal, deadline, options.signal]);
    const secrets = [...this.secretsFor(request.url), ...(request.secrets ?? [])];
    // The sink the body went to: a too-large against the JSON cap gets advice on what to do.
    let chosen: BodySink = sink;
    const sinkFor = (status: number): BodySink => {
      chosen = status >= 200 && status < 300 ? sink : { maxBytes: this.config.maxJsonBytes };
      return chosen;
    };
    const onProgress = (received: number, total: number | undefined) => {
      idle.touch();
      if (received > 0 || total !== undefined) options.onProgress?.(received, total);
    };
    const fail = (cause: unknown, url: string): TiledError => {
      if (cause instanceof TiledError && cause.code === "too-large" && chosen.maxBytes !== undefined) {
        const advice =
          chosen.maxBytes === this.config.maxJsonBytes
            ? "Ask for less (a smaller page, fields=…), or raise maxJsonBytes / TILED_MAX_JSON_BYTES if the server is trusted."
            : "Read fewer columns or one partition at a time, or raise maxTableBytes / TILED_MAX_TABLE_BYTES if the server is trusted.";
        return new TiledError("too-large", `${cause.message} ${advice}`, { url, status: cause.status, cause, secrets });
      }
      if (cause instanceof TiledError) return cause;
      if (options.signal?.aborted) return new TiledError("aborted", "The request was cancelled.", { url, cause, secrets });
      if (deadline?.aborted) {
        return new TiledError("timeout", `No complete answer within the deadline of ${deadlineMs} ms (set deadlineMs or TILED_DEADLINE to wait longer).`, { url, cause, secrets });
      }
      if (idle.controller.signal.aborted) {
        return new TiledError("timeout", `The server sent nothing for ${idle.ms} ms (set timeoutMs or TILED_TIMEOUT to wait longer).`, { url, cause, secrets });
      }
      return failedRequest(url, cause, secrets);
    };

    let url = request.url;
    const visited = new Set<string>([url]);
    try {
      for (let redirects = 0; ; redirects++) {
        const headers: Record<string, string> = { ...this.#headersFor(url, request.anonymous === true), Accept: request.accept, ...(request.headers ?? {}) };
        if (request.contentType) headers["Content-Type"] = request.contentType;
        if (method === "GET" && !request.accept.includes("json") && !this.config.compression) headers["Accept-Encoding"] = "identity";
        let response: HttpResponse;
        try {
          response = await this.#httpFor(method, url, request.accept, sink)({ method, url, headers, body: request.body, signal, onProgress }, sinkFor);
        } catch (cause) {
          throw fail(cause, url);
        }
        const unasked = unaskedEncoding(headers, response.headers.get("content-encoding"));
        if (unasked !== undefined) {
          throw new TiledError("invalid-response", `The server compressed its answer (${unasked}) although the request asked for it uncompressed; refused rather than decoded.`, {
            url,
            status: response.status,
            secrets,
          });
        }
        const location = response.headers.get("location");
        if (!REDIRECT_STATUSES.has(response.status) || location === null) {
          const requestId = response.headers.get("x-tiled-request-id") ?? undefined;
          return {
            url,
            status: response.status,
            contentType: response.headers.get("content-type") ?? "",
            requestId,
            headers: response.headers,
            body: response.body,
            receivedBytes: response.receivedBytes ?? response.body.byteLength,
          };
        }
        url = this.#redirectTarget(request, method, url, location, response.status, visited, redirects, secrets);
      }
    } finally {
      idle.stop();
      dispose();
    }
  }

  /** The URL a redirect leads to, or a `redirect` error for a loop, too many hops, or a write sent elsewhere. */
  #redirectTarget(request: TransportRequest, method: string, url: string, location: string, status: number, visited: Set<string>, redirects: number, secrets: string[]): string {
    let next: string;
    try {
      next = new URL(location, url).toString();
    } catch (cause) {
      throw new TiledError("redirect", `The server redirected to ${JSON.stringify(location)}, which is not a URL.`, { url, status, cause, secrets });
    }
    if (method !== "GET" && status !== 307 && status !== 308) {
      throw new TiledError("redirect", `The server answered a ${method} with ${status} (to ${redactText(next, secrets)}), which would turn it into a GET; not followed.`, { url, status, secrets });
    }
    if (visited.has(next) || redirects + 1 > MAX_REDIRECTS) {
      throw new TiledError(
        "redirect",
        visited.has(next)
          ? `The server redirects in a loop (${redactText(next, secrets)} was visited already). Check the server's URL and its proxy configuration.`
          : `The server redirected more than ${MAX_REDIRECTS} times. Check the server's URL and its proxy configuration.`,
        { url: request.url, status, secrets },
      );
    }
    visited.add(next);
    return next;
  }

  /** The context's extra headers and its credentials, for the server's own origin only. */
  #headersFor(url: string, anonymous: boolean): Record<string, string> {
    const auth = anonymous ? {} : this.credentials.headersFor(url);
    return originOf(url) === originOf(this.config.baseUrl) ? { ...this.config.headers, ...auth } : {};
  }
}
