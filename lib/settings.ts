/**
 * settings.ts — a transport's settings, from its options, then the environment, then defaults.
 *
 * Checked once, when a Transport (or `fromUri`) is made, so a bad value fails before any request,
 * with a message that names it. The API key is checked but never shown.
 *
 * Environment (all optional): TILED_URL (default http://127.0.0.1:8000), TILED_API_KEY,
 * TILED_TIMEOUT (seconds per request, default 30), TILED_RETRY_ATTEMPTS (default 3) and
 * TILED_RETRY_TIMEOUT (seconds for all attempts together, default 10) — the two names tiled's
 * Python client reads, with smaller defaults (Python: 10 and 45 s) so a stopped server is reported
 * in about a second instead of 45 — and TILED_MAX_JSON_BYTES. TILED_SNAPSHOTS and
 * TILED_SNAPSHOT_DIR: see snapshots.ts.
 *
 * @example
 * const settings = resolveSettings({ baseUrl: "http://127.0.0.1:8000/", timeoutMs: 5000 });
 * settings.baseUrl;          // "http://127.0.0.1:8000"
 * settings.retry.attempts;   // 3
 */
import { TiledError, redactText } from "./errors";
import type { SnapshotMode } from "./snapshots";

export const DEFAULT_BASE_URL = "http://127.0.0.1:8000";

/** Default cap on a JSON body: a page of 300 runs with their metadata is a few MB. */
export const DEFAULT_MAX_JSON_BYTES = 128 * 1024 * 1024;

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  /** No new attempt starts after this many ms since the first one. */
  totalTimeoutMs: number;
  /** Wait before the first retry; doubles each time up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/**
 * How bulk binary bodies (arrays, Arrow tables) are received. "socket" (the default for http:
 * URLs) reads them with a lean socket reader into one buffer (http/socket-get.ts), measured 1.3x
 * faster than node-fetch on a 1 GB array (bench/README.md); "fetch" uses node-fetch like every
 * JSON request. https: URLs always use node-fetch.
 */
export type BulkReader = "socket" | "fetch";

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
  /** How bulk binary bodies are received (see BulkReader). Default "socket". */
  bulkReader?: BulkReader;
}

/** Every setting resolved and checked. */
export interface TransportSettings {
  baseUrl: string;
  apiKey: string | undefined;
  timeoutMs: number;
  retry: RetryPolicy;
  compression: boolean;
  maxJsonBytes: number;
  bulkReader: BulkReader;
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

/** Options, then environment, then defaults; every value checked. */
export function resolveSettings(options: TransportOptions = {}): TransportSettings {
  const baseUrl = normalizeBaseUrl(options.baseUrl ?? process.env.TILED_URL ?? DEFAULT_BASE_URL);
  let protocol = "";
  try {
    protocol = new URL(baseUrl).protocol;
  } catch {
    /* reported below */
  }
  // "localhost:8000" parses as a URL of scheme "localhost:": refuse it here, not at the first request.
  if (protocol !== "http:" && protocol !== "https:") {
    throw new TiledError("bad-input", `The server URL ${JSON.stringify(redactText(baseUrl))} is not an http(s) URL; expected e.g. "http://127.0.0.1:8000".`);
  }
  // An empty string in the environment means "no key", not "the key is empty".
  const key = options.apiKey ?? (process.env.TILED_API_KEY || undefined);
  const envTimeout = envNumber("TILED_TIMEOUT");
  const maxJsonBytes = options.maxJsonBytes ?? envNumber("TILED_MAX_JSON_BYTES") ?? DEFAULT_MAX_JSON_BYTES;
  if (!Number.isSafeInteger(maxJsonBytes) || maxJsonBytes < 1) {
    throw new TiledError("bad-input", `maxJsonBytes ${String(maxJsonBytes)} must be a positive whole number of bytes.`);
  }
  const bulkReader = options.bulkReader ?? "socket";
  if (bulkReader !== "socket" && bulkReader !== "fetch") {
    throw new TiledError("bad-input", `bulkReader ${JSON.stringify(bulkReader)} must be "socket" or "fetch".`);
  }
  return {
    baseUrl,
    apiKey: key === undefined ? undefined : checkApiKey(key),
    timeoutMs: checkTimeoutMs(options.timeoutMs ?? (envTimeout === undefined ? 30_000 : envTimeout * 1000)),
    retry: retryPolicy(options.retry),
    compression: options.compression ?? false,
    maxJsonBytes,
    bulkReader,
  };
}
