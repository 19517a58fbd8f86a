/**
 * http/sender.ts — the live sender: one logical GET, with the timeout, the retries, the redirects
 * and the API key handled the same way whichever HTTP client (`HttpGet`) receives the bytes.
 *
 * - Timeout: per attempt, body included, through an AbortSignal combined with the caller's.
 * - Retries: a refused or timed-out connection and 429/502/503/504 are tried again, with backoff,
 *   within the policy's attempts and total time. Not 500: tiled answers 500 for a request it cannot
 *   handle (an FTS5 syntax error), and the same request fails the same way again. Never a 4xx.
 * - Redirects: followed here (at most 5), so the key goes only to its own origin (node-fetch would
 *   keep it across a change of port) and a loop is reported as one.
 * - Bulk bodies (anything but JSON) are asked for uncompressed unless `compression` is set, and
 *   then, over http:, received by `socketGet` unless `bulkReader: "fetch"`.
 *
 * @example
 * const sender = new HttpSender(resolveSettings({ baseUrl: "http://127.0.0.1:8000" }));
 * const response = await sender.send({ url, accept: "application/json" }, {}, { maxBytes: 1 << 20 });
 */
import { TiledError, apiKeyInUrl, redactText } from "../errors";
import { unreachable } from "../response-errors";
import { checkTimeoutMs } from "../settings";
import type { TransportSettings } from "../settings";
import { fetchGet } from "./fetch-get";
import { socketGet } from "./socket-get";
import { BodyCutShort } from "./types";
import type { BodySink, HttpGet, HttpResponse, RequestOptions, Sender, TransportRequest, TransportResponse } from "./types";

/** Redirects followed per request (tiled itself redirects at most once, e.g. a missing trailing slash). */
export const MAX_REDIRECTS = 5;

/** Statuses worth another attempt: 429 and the "temporarily unavailable" family (not 500, see above). */
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether a failure is worth another attempt: the connection failed or timed out. */
function isRetriable(err: unknown): boolean {
  return err instanceof TiledError && (err.code === "unreachable" || err.code === "timeout");
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

export class HttpSender implements Sender {
  readonly #settings: TransportSettings;
  /** The origin the API key belongs to: it is sent nowhere else. */
  readonly #keyOrigin: string | undefined;

  constructor(settings: TransportSettings) {
    this.#settings = settings;
    this.#keyOrigin = originOf(settings.baseUrl);
  }

  secretsFor(url: string): string[] {
    const out: string[] = [];
    if (this.#settings.apiKey !== undefined) out.push(this.#settings.apiKey);
    const inUrl = apiKeyInUrl(url);
    if (inUrl) out.push(inUrl);
    return out;
  }

  /** The headers that authenticate a request to `url`: the key, only on its own origin. */
  authHeaders(url: string): Record<string, string> {
    const key = this.#settings.apiKey;
    return key !== undefined && originOf(url) === this.#keyOrigin ? { Authorization: `Apikey ${key}` } : {};
  }

  async send(request: TransportRequest, options: RequestOptions, sink: BodySink): Promise<TransportResponse> {
    if (options.timeoutMs !== undefined) checkTimeoutMs(options.timeoutMs);
    const { retry } = this.#settings;
    const started = Date.now();
    let delay = retry.initialDelayMs;
    const mayRetry = (attempt: number) =>
      !options.signal?.aborted && attempt < retry.attempts && Date.now() - started + delay < retry.totalTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.#sendOnce(request, options, sink);
        // When attempts run out, a 429/502/503/504 is returned and becomes an "http" error.
        if (!RETRIED_STATUSES.has(response.status) || !mayRetry(attempt)) return response;
      } catch (err) {
        if (!isRetriable(err) || !mayRetry(attempt)) throw err;
      }
      await sleep(delay);
      delay = Math.min(delay * 2, retry.maxDelayMs);
    }
  }

  /**
   * The HTTP client for a request: the socket reader for uncompressed bulk bodies over http:,
   * node-fetch for everything else (JSON, https:, and compressed bodies, which it decodes).
   */
  #clientFor(url: string, accept: string): HttpGet {
    const { bulkReader, compression } = this.#settings;
    const bulk = !accept.includes("json");
    return bulk && !compression && bulkReader === "socket" && url.startsWith("http:") ? socketGet : fetchGet;
  }

  async #sendOnce(request: TransportRequest, options: RequestOptions, sink: BodySink): Promise<TransportResponse> {
    const timeoutMs = options.timeoutMs ?? this.#settings.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? anySignal(timeout, options.signal) : timeout;
    const secrets = this.secretsFor(request.url);
    // The sink the body went to: a too-large against its cap (JSON answers and error bodies) gets advice.
    let chosen: BodySink = sink;
    const sinkFor = (status: number): BodySink => {
      chosen = status >= 200 && status < 300 ? sink : { maxBytes: this.#settings.maxJsonBytes };
      return chosen;
    };
    const fail = (cause: unknown, url: string): TiledError => {
      if (cause instanceof TiledError && cause.code === "too-large" && chosen.maxBytes !== undefined) {
        const advice = "Ask for less (a smaller page, fields=…), or raise maxJsonBytes / TILED_MAX_JSON_BYTES if the server is trusted.";
        return new TiledError("too-large", `${cause.message} ${advice}`, { url, status: cause.status, cause, secrets });
      }
      if (cause instanceof TiledError) return cause;
      if (options.signal?.aborted) return new TiledError("aborted", "The request was cancelled.", { url, cause, secrets });
      if (timeout.aborted) {
        return new TiledError("timeout", `No complete answer within ${timeoutMs} ms (set timeoutMs or TILED_TIMEOUT to wait longer).`, { url, cause, secrets });
      }
      if (cause instanceof BodyCutShort) {
        return new TiledError(
          "invalid-response",
          `The server's answer was cut short: the connection closed after ${cause.received} bytes` +
            `${cause.announced === undefined ? "" : ` of the ${cause.announced} announced`}.`,
          { url, cause, secrets },
        );
      }
      return unreachable(url, cause, secrets);
    };
    // Error bodies are JSON ({"detail": …}) and get the JSON cap, whatever was asked for.

    let url = request.url;
    const visited = new Set<string>([url]);
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = { Accept: request.accept, ...this.authHeaders(url) };
      const bulk = !request.accept.includes("json");
      if (bulk && !this.#settings.compression) headers["Accept-Encoding"] = "identity";
      let response: HttpResponse;
      try {
        response = await this.#clientFor(url, request.accept)({ url, headers, signal }, sinkFor);
      } catch (cause) {
        throw fail(cause, url);
      }
      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || location === null) {
        const requestId = response.headers.get("x-tiled-request-id") ?? undefined;
        return { url, status: response.status, contentType: response.headers.get("content-type") ?? "", requestId, body: response.body };
      }
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
  }
}
