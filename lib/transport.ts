/**
 * transport.ts — every HTTP request the library makes goes through one Transport.
 *
 * The data path is URL → send → validate → decode. A Transport is the "send" and "validate" of
 * it, composed of small parts:
 *   - settings.ts: options, then environment, then defaults, checked once;
 *   - http/sender.ts: the live sender (timeout, retries, redirects, the API key), which receives
 *     bytes with node-fetch (http/fetch-get.ts) or, for bulk data, a socket reader (http/socket-get.ts);
 *   - snapshots.ts: when recording or replaying, a wrapper around the live sender;
 *   - response-errors.ts: a non-2xx answer becomes a TiledError;
 *   - parse.ts: JSON validated by a zod schema.
 *
 * @example
 * const transport = new Transport({ baseUrl: "http://127.0.0.1:8000", timeoutMs: 10_000 });
 * const about = await transport.getJson(`${transport.baseUrl}/api/v1/`, About);
 * console.log(about.library_version, about.queries);
 * const bytes = await transport.getBytes(url, { accept: "application/octet-stream", expectedBytes: 4096 });
 */
import { z } from "zod";
import { TiledError } from "./errors";
import { HttpSender } from "./http/sender";
import type { BodySink, RequestOptions, Sender, TransportRequest, TransportResponse } from "./http/types";
import { parseJson } from "./parse";
import { errorFromResponse } from "./response-errors";
import { checkTimeoutMs, resolveSettings } from "./settings";
import type { RetryPolicy, TransportOptions } from "./settings";
import { snapshotStoreFromEnv, SnapshotSender } from "./snapshots";
import type { SnapshotMode } from "./snapshots";

export interface BytesRequestOptions extends RequestOptions {
  accept: string;
  /** If known (shape × itemsize), the body is received into one buffer of exactly this size. */
  expectedBytes?: number;
  /**
   * Receive the body straight into this view (length = expectedBytes), e.g. a slice of a larger
   * result buffer, so a split read never holds a piece twice.
   */
  into?: Uint8Array;
}

export class Transport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly compression: boolean;
  readonly maxJsonBytes: number;
  readonly mode: SnapshotMode;
  readonly #live: HttpSender;
  readonly #sender: Sender;

  constructor(options: TransportOptions = {}) {
    const settings = resolveSettings(options);
    this.baseUrl = settings.baseUrl;
    this.timeoutMs = settings.timeoutMs;
    this.retry = settings.retry;
    this.compression = settings.compression;
    this.maxJsonBytes = settings.maxJsonBytes;
    this.#live = new HttpSender(settings);
    const store = snapshotStoreFromEnv(options.snapshots, options.snapshotDir, this.baseUrl);
    this.mode = store?.mode ?? "live";
    this.#sender = store ? new SnapshotSender(store, this.baseUrl, this.#live) : this.#live;
  }

  /** The headers that authenticate a request to `url` (lib/live's websockets use them too). */
  authHeaders(url: string): Record<string, string> {
    return this.#live.authHeaders(url);
  }

  /** True when an API key will be sent (the key itself is not readable from outside). */
  get hasApiKey(): boolean {
    return Object.keys(this.#live.authHeaders(this.baseUrl)).length > 0;
  }

  /** GET a URL and return its JSON body, validated by `schema`. Errors name the zod path and the URL. */
  async getJson<S extends z.ZodType>(url: string, schema: S, options: RequestOptions = {}): Promise<z.infer<S>> {
    const response = await this.send({ url, accept: "application/json" }, options, { maxBytes: this.maxJsonBytes });
    return parseJson(response, schema, this.#sender.secretsFor(url));
  }

  /** GET a URL and return its body as bytes (bulk data: arrays, Arrow tables). */
  async getBytes(url: string, options: BytesRequestOptions): Promise<Uint8Array> {
    if (options.into && options.into.byteLength !== options.expectedBytes) {
      throw new TiledError("bad-input", `The destination buffer holds ${options.into.byteLength} bytes, not the expected ${options.expectedBytes}.`, { url });
    }
    const response = await this.send({ url, accept: options.accept }, options, { expectedBytes: options.expectedBytes, into: options.into });
    if (options.expectedBytes !== undefined && response.body.byteLength !== options.expectedBytes) {
      throw new TiledError("invalid-response", `Expected ${options.expectedBytes} bytes but the server sent ${response.body.byteLength}.`, {
        url,
        status: response.status,
        requestId: response.requestId,
      });
    }
    const inPlace = options.into && response.body.buffer === options.into.buffer && response.body.byteOffset === options.into.byteOffset;
    if (options.into && !inPlace) {
      // Replayed from a snapshot: copy into the caller's buffer.
      options.into.set(response.body);
      return options.into;
    }
    return response.body;
  }

  /** GET through the sender; resolves only with a 2xx response, anything else becomes a TiledError. */
  async send(request: TransportRequest, options: RequestOptions = {}, sink: BodySink = {}): Promise<TransportResponse> {
    if (options.timeoutMs !== undefined) checkTimeoutMs(options.timeoutMs);
    const response = await this.#sender.send(request, options, sink);
    if (response.status < 200 || response.status >= 300) throw errorFromResponse(response, this.#sender.secretsFor(request.url));
    return response;
  }
}
