/**
 * config.ts — a context's configuration: its options, then the environment, then defaults.
 *
 * The one module of the library that reads the environment, and the one place each limit is
 * checked: a bad value fails when the Context is made, before any request, with a message naming
 * it. The API key is checked but never shown.
 *
 * Environment (all optional), with tiled's Python client's names where it has them:
 * TILED_URL (default http://127.0.0.1:8000), TILED_API_KEY, TILED_TIMEOUT (seconds without
 * progress, default 30), TILED_DEADLINE (seconds for a whole request, default none),
 * TILED_RETRY_ATTEMPTS (default 3), TILED_RETRY_TIMEOUT (seconds for all attempts, default 10),
 * TILED_MAX_JSON_BYTES (default 128 MiB), TILED_MAX_TABLE_BYTES (default 2 GiB), TILED_CACHE_DIR
 * (where login tokens are kept, shared with Python's client), TILED_USERNAME and TILED_PASSWORD
 * (read by a login only, never stored).
 *
 * @example
 * const config = resolveConfig({ baseUrl: "http://127.0.0.1:8000/", timeoutMs: 5000 });
 * config.baseUrl;          // "http://127.0.0.1:8000"
 * config.retry.attempts;   // 3
 */
import { TiledError, redactText } from "./errors.js";
import type { HttpFunction } from "./http/types.js";
import { normalizeBaseUrl } from "./urls.js";

export const DEFAULT_BASE_URL = "http://127.0.0.1:8000";

/** Default cap on a JSON body: a page of 300 runs with their metadata is a few MB. */
export const DEFAULT_MAX_JSON_BYTES = 128 * 1024 * 1024;

/**
 * Default cap on an Arrow table or an export read into memory. Tables carry no size the client
 * can check in advance (unlike arrays: shape × itemsize), so without a cap a server that never
 * stops sending would grow a notebook kernel until it is killed. 2 GiB holds a 16-million-row,
 * 16-column float64 table; above it, read columns or partitions, or raise maxTableBytes.
 */
export const DEFAULT_MAX_TABLE_BYTES = 2 * 1024 * 1024 * 1024;

/** The server's own response-size limit (tiled's settings.response_bytesize_limit): 300 MB. */
export const SERVER_RESPONSE_BYTESIZE_LIMIT = 300_000_000;

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
 * URLs) reads them with a lean socket reader into one buffer (http/socket-get.ts), measured 1.4x
 * faster than node-fetch on a 1 GB array (bench/README.md); "fetch" uses node-fetch like every
 * JSON request. https: URLs always use node-fetch.
 */
export type BulkReader = "socket" | "fetch";

export interface ClientOptions {
  /** Server root, e.g. http://127.0.0.1:8000. Default: env TILED_URL, else http://127.0.0.1:8000. */
  baseUrl?: string;
  /**
   * Sent as `Authorization: Apikey <key>`, only to the server's own origin (not after a redirect
   * to another). Default: env TILED_API_KEY. Never logged, recorded or shown in an error.
   */
  apiKey?: string;
  /** Extra headers sent with every request to the server (some facilities ask for one, e.g. `tiled-qos`). */
  headers?: Record<string, string>;
  /**
   * How long a request may go without progress, in ms: waiting for the answer to start, or between
   * two pieces of its body (as httpx's read timeout). A slow but steady read never times out.
   * Default: env TILED_TIMEOUT (s), else 30 s.
   */
  timeoutMs?: number;
  /** The longest a whole request may take, body included, in ms. Default: env TILED_DEADLINE (s), else none. */
  deadlineMs?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Let the server compress bulk data (gzip). Default false: arrays and tables are fetched with
   * `Accept-Encoding: identity`, because tiled tries to compress before deciding it is not worth it
   * (6.6 s instead of 0.8 s for 200 MB of random float64 on localhost). Turn it on over slow networks.
   */
  compression?: boolean;
  /** Largest JSON body accepted, in bytes (error bodies too). Default: env TILED_MAX_JSON_BYTES, else 128 MiB. */
  maxJsonBytes?: number;
  /** Largest table (Arrow) or in-memory export accepted, in bytes after decoding. Default: env TILED_MAX_TABLE_BYTES, else 2 GiB. */
  maxTableBytes?: number;
  /** How bulk binary bodies are received (see BulkReader). Default "socket". */
  bulkReader?: BulkReader;
  /** Largest body asked for in one read; bigger arrays are read in pieces. Default 300 MB (the server's limit). */
  responseBytesizeLimit?: number;
  /** Where login tokens are cached (shared with tiled's Python client). Default: env TILED_CACHE_DIR, else the user cache dir. */
  cacheDir?: string;
  /**
   * Send every request through this function instead of the library's own (node-fetch, and the
   * socket reader for bulk data). The testing entry's snapshot recorder and replayer plug in here.
   */
  http?: HttpFunction;
}

/** Every setting resolved and checked. */
export interface Config {
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
  timeoutMs: number;
  deadlineMs: number | undefined;
  retry: RetryPolicy;
  compression: boolean;
  maxJsonBytes: number;
  maxTableBytes: number;
  bulkReader: BulkReader;
  responseBytesizeLimit: number;
  cacheDir: string | undefined;
  http: HttpFunction | undefined;
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

/** Return `n` if it is a positive whole number of bytes; otherwise throw bad-input naming the setting. */
function checkBytes(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) throw new TiledError("bad-input", `${what} ${String(n)} must be a positive whole number of bytes.`);
  return n;
}

/** A character no HTTP header can carry (control characters, or outside Latin-1), described for a message. */
function badHeaderCharacter(text: string, allowSpace: boolean): string | undefined {
  const bad = [...text].find((ch) => {
    const code = ch.charCodeAt(0);
    return (code < 0x20 && !(allowSpace && code === 0x09)) || (!allowSpace && code === 0x20) || code === 0x7f || code > 0xff;
  });
  if (bad === undefined) return undefined;
  const code = bad.charCodeAt(0);
  const what = code === 0x0a || code === 0x0d ? "a line break" : code <= 0x20 || code === 0x7f ? "a space or control character" : "a character outside Latin-1";
  return `${what} (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
}

/**
 * Throw bad-input unless the API key can travel in an HTTP header: visible Latin-1 text, no
 * whitespace or control characters (a key pasted with its newline is the usual culprit). The key
 * itself is never part of the message.
 */
export function checkApiKey(key: string): string {
  if (typeof key !== "string" || key === "") throw new TiledError("bad-input", "The API key is empty: give the key, or leave it unset for anonymous access.");
  const bad = badHeaderCharacter(key, false);
  if (bad !== undefined) {
    throw new TiledError(
      "bad-input",
      `The API key contains ${bad}, which an HTTP header cannot carry. ` +
        "Check TILED_API_KEY or the apiKey option (a key copied with its trailing newline is the usual cause).",
    );
  }
  return key;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers the transport sets itself: a caller's value would be overwritten or would break the request. */
const TRANSPORT_HEADERS = new Set(["authorization", "accept", "accept-encoding", "content-type", "content-length", "host", "connection", "transfer-encoding"]);

function checkHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new TiledError("bad-input", `${JSON.stringify(name)} is not a valid header name.`);
    if (TRANSPORT_HEADERS.has(name.toLowerCase())) {
      throw new TiledError("bad-input", `The ${name} header is set by the library itself${name.toLowerCase() === "authorization" ? ": give apiKey, or log in" : ""}.`);
    }
    const bad = typeof value === "string" ? badHeaderCharacter(value, true) : "a value that is not text";
    if (bad !== undefined) throw new TiledError("bad-input", `The value of the ${name} header contains ${bad}.`);
    out[name] = value;
  }
  return out;
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

/** The server URL from the options or TILED_URL, checked to be http(s) (without resolving anything else). */
export function configuredBaseUrl(baseUrl?: string): string {
  const url = normalizeBaseUrl(baseUrl ?? process.env.TILED_URL ?? DEFAULT_BASE_URL);
  let protocol = "";
  let userinfo = false;
  try {
    const parsed = new URL(url);
    protocol = parsed.protocol;
    userinfo = parsed.username !== "" || parsed.password !== "";
  } catch {
    /* reported below */
  }
  // As splitUri (urls.ts): tiled does not read a user and password in the URL; refused, not sent or dropped.
  if (userinfo) {
    throw new TiledError("bad-input", "The server URL carries a user name or password, which tiled does not read. Remove it; then log in, or give an API key (apiKey, or TILED_API_KEY).");
  }
  // "localhost:8000" parses as a URL of scheme "localhost:": refuse it here, not at the first request.
  if (protocol !== "http:" && protocol !== "https:") {
    throw new TiledError("bad-input", `The server URL ${JSON.stringify(redactText(url))} is not an http(s) URL; expected e.g. "http://127.0.0.1:8000".`);
  }
  return url;
}

/**
 * A user name and password for a login, from TILED_USERNAME and TILED_PASSWORD. Read when a login
 * asks, never kept in a context's configuration (so no printout of a context can show them).
 */
export function credentialsFromEnvironment(): { username?: string; password?: string } {
  return { username: process.env.TILED_USERNAME || undefined, password: process.env.TILED_PASSWORD || undefined };
}

/** Options, then environment, then defaults; every value checked. */
export function resolveConfig(options: ClientOptions = {}): Config {
  const baseUrl = configuredBaseUrl(options.baseUrl);
  // An empty string in the environment means "no key", not "the key is empty".
  const key = options.apiKey ?? (process.env.TILED_API_KEY || undefined);
  const envTimeout = envNumber("TILED_TIMEOUT");
  const envDeadline = envNumber("TILED_DEADLINE");
  const bulkReader = options.bulkReader ?? "socket";
  if (bulkReader !== "socket" && bulkReader !== "fetch") {
    throw new TiledError("bad-input", `bulkReader ${JSON.stringify(bulkReader)} must be "socket" or "fetch".`);
  }
  const deadline = options.deadlineMs ?? (envDeadline === undefined || envDeadline === 0 ? undefined : envDeadline * 1000);
  if (options.http !== undefined && typeof options.http !== "function") throw new TiledError("bad-input", "The http option must be a function that sends one request.");
  const apiKey = key === undefined ? undefined : checkApiKey(key);
  const config: Config = {
    baseUrl,
    apiKey: undefined,
    headers: checkHeaders(options.headers ?? {}),
    timeoutMs: checkTimeoutMs(options.timeoutMs ?? (envTimeout === undefined ? 30_000 : envTimeout * 1000)),
    deadlineMs: deadline === undefined ? undefined : checkTimeoutMs(deadline, "deadlineMs"),
    retry: retryPolicy(options.retry),
    compression: options.compression ?? false,
    maxJsonBytes: checkBytes(options.maxJsonBytes ?? envNumber("TILED_MAX_JSON_BYTES") ?? DEFAULT_MAX_JSON_BYTES, "maxJsonBytes"),
    maxTableBytes: checkBytes(options.maxTableBytes ?? envNumber("TILED_MAX_TABLE_BYTES") ?? DEFAULT_MAX_TABLE_BYTES, "maxTableBytes"),
    bulkReader,
    responseBytesizeLimit: checkBytes(options.responseBytesizeLimit ?? SERVER_RESPONSE_BYTESIZE_LIMIT, "responseBytesizeLimit"),
    cacheDir: options.cacheDir ?? (process.env.TILED_CACHE_DIR || undefined),
    http: options.http,
  };
  // The key is readable but never shown: a hidden getter keeps it out of util.inspect (a notebook
  // printing a context or its transport) and JSON.stringify.
  Object.defineProperty(config, "apiKey", { get: () => apiKey, enumerable: false });
  return config;
}
