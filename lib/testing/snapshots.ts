/**
 * testing/snapshots.ts — record a server's responses once, replay them with no server and no Python.
 *
 * Not part of the client's production path: `snapshotHttp(...)` returns an HTTP function that is
 * plugged into a context as its `http` option. In "record" mode it sends every request for real
 * (through `inner`, node-fetch by default) and also writes the response under `dir`; in "replay"
 * mode it answers from those files and never opens a socket. The transport around it (timeouts,
 * retries, redirects, credentials, errors) is the one every context uses.
 *
 * An entry is keyed by method, path below the base URL, sorted query (without `api_key`), Accept,
 * and the number of writes this recorder has seen before it (so a GET after a PUT is recorded
 * apart from the same GET before it; read-only sessions all have 0, and a write's own key counts
 * the writes before it). Refused writes count too: a 409 POST and the next POST to the same URL
 * would otherwise share a key, and the second answer would overwrite the first. JSON bodies are stored pretty-printed inside the entry's .json file,
 * other bodies beside it as .bin. The base URL and the project's absolute path are replaced by
 * placeholders and put back on replay, so a recording made on port 8123 in /work/main replays on
 * any port in any clone. Secrets are never written: credentials sent in headers are removed from
 * bodies, JSON fields that carry secrets (tokens, passwords, device codes, API key secrets) are
 * replaced, and request bodies (a login's password) are not stored at all. Nor are query
 * parameters that carry credentials (`api_key`, a websocket's `access_token`, an OpenID logout's
 * `id_token_hint`, …): they are left out of keys. And what a request sent as a secret (a
 * password or refresh token in its form or JSON body, a credential in its query) is removed from
 * the answer, should the server echo it.
 *
 * @example
 * import { snapshotHttp } from "tiled-client/testing";
 * const http = snapshotHttp({ mode: "replay", dir: "data-snapshots/sql", baseUrl: "http://127.0.0.1:8000" });
 * const client = await fromUri("http://127.0.0.1:8000", { http });
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { TiledError } from "../errors.js";
import { fetchHttp } from "../http/node-fetch.js";
import type { BodySink, HttpFunction, HttpRequest, HttpResponse } from "../http/types.js";

export type SnapshotMode = "record" | "replay";

/** Placeholders written in place of the base URL, the project's absolute path, and secrets. */
export const BASE_URL_PLACEHOLDER = "{{TILED_URL}}";
export const PROJECT_ROOT_PLACEHOLDER = "{{PROJECT_ROOT}}";
export const SECRET_PLACEHOLDER = "{{REDACTED}}";

/** JSON fields whose values are secrets: tiled's token and API-key answers, OIDC device answers. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(["access_token", "refresh_token", "id_token", "device_code", "password", "secret", "api_key", "client_secret"]);

/** Query parameters and request-body fields whose values are credentials (left out of keys, removed from answers). */
export const SECRET_PARAMS: ReadonlySet<string> = new Set([...SECRET_FIELDS, "id_token_hint", "token", "code"]);

/** How a request is identified on disk. */
export interface SnapshotKey {
  method: string;
  /** Path below the base URL, e.g. /api/v1/search/bdp2022. */
  path: string;
  /** Query parameters, sorted by name (values of a repeated name keep their order), api_key removed. */
  query: [string, string][];
  accept: string;
  /** Writes (non-GET requests, refused ones included) this recorder saw before this request; absent (0) for read-only sessions. */
  writes?: number;
}

/** One recorded response, as stored in its .json file. */
export interface SnapshotEntry {
  request: SnapshotKey;
  status: number;
  contentType: string;
  /** Response headers the client reads (Location, Content-Disposition, …). */
  headers?: Record<string, string>;
  /** The JSON body, with placeholders (JSON responses). */
  body?: unknown;
  /** The file holding the raw body, beside this one (other responses). */
  bodyFile?: string;
  /**
   * The raw body is text in which the project's absolute path was replaced by the placeholder
   * (a run exported as json-seq names its detector files by absolute path): put back on replay.
   */
  rootPlaceholder?: boolean;
  bodyBytes?: number;
  sha256?: string;
}

/** Headers a replay gives back (the others are transport details: dates, lengths, request ids, and the encoding of a body stored decoded). */
const KEPT_HEADERS = ["location", "content-disposition"];

export interface SnapshotOptions {
  mode: SnapshotMode;
  /** Where this server's entries live, e.g. data-snapshots/sql. */
  dir: string;
  /** The server's root, as the context has it (its path prefix is cut from recorded paths). */
  baseUrl: string;
  /** Replaced by a placeholder in recorded JSON (absolute paths of data files). Default: none. */
  projectRoot?: string;
  /** Sends requests when recording. Default: node-fetch. */
  inner?: HttpFunction;
  /** More texts to keep out of recordings (the credentials in headers are removed anyway). */
  secrets?: readonly string[];
}

/** The key of a request: path relative to the base URL, sorted query without api_key, Accept, writes before it. */
export function snapshotKey(request: Pick<HttpRequest, "method" | "url" | "headers">, baseUrl: string, writes = 0): SnapshotKey {
  const url = new URL(request.url);
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, "");
  let pathname = decodeURIComponent(url.pathname);
  if (basePath && pathname.startsWith(basePath)) pathname = pathname.slice(basePath.length) || "/";
  const query = [...url.searchParams.entries()].filter(([name]) => !SECRET_PARAMS.has(name));
  // Stable sort by name only: repeated filter fields pair up by position, and sort order matters.
  query.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const accept = Object.entries(request.headers).find(([name]) => name.toLowerCase() === "accept")?.[1] ?? "";
  const key: SnapshotKey = { method: request.method, path: pathname, query, accept };
  if (writes > 0) key.writes = writes;
  return key;
}

function keyString(key: SnapshotKey): string {
  return JSON.stringify([key.method, key.path, key.query, key.accept, ...(key.writes ? [key.writes] : [])]);
}

/** File name (without extension) for a key: a readable slug of the path plus a hash of the whole key. */
export function snapshotFileStem(key: SnapshotKey): string {
  const hash = createHash("sha256").update(keyString(key)).digest("hex").slice(0, 12);
  const rest = key.path.replace(/^\/api\/v1\/?/, "");
  const [route, ...segments] = rest.split("/").filter(Boolean);
  // Name the filters too, so a reader can tell the searches of one container apart.
  const filters = [...new Set(key.query.map(([name]) => /^filter\[([^\]]+)\]/.exec(name)?.[1]).filter((n): n is string => !!n))];
  const slug = [key.method === "GET" ? "" : key.method.toLowerCase(), segments.join("__"), ...filters]
    .filter(Boolean)
    .join("+")
    .replace(/[^A-Za-z0-9._+-]+/g, "_")
    .slice(0, 100);
  return path.join(route ?? "about", `${slug || "root"}--${hash}`);
}

function replaceAll(text: string, search: string, replacement: string): string {
  return search ? text.split(search).join(replacement) : text;
}

/** The credential values in a request's headers (`Authorization: Apikey …` / `Bearer …`). */
function headerSecrets(headers: Record<string, string>): string[] {
  const auth = Object.entries(headers).find(([name]) => name.toLowerCase() === "authorization")?.[1];
  if (!auth) return [];
  const value = auth.replace(/^\S+\s+/, "");
  return value ? [value] : [];
}

/**
 * What a request sends as a secret besides its Authorization header: credential query parameters,
 * and the secret fields of a form or JSON body (a login's password, a refresh token, a device code).
 */
function requestSecrets(request: Pick<HttpRequest, "url" | "headers" | "body">): string[] {
  const out = headerSecrets(request.headers);
  // A value of a few characters would be replaced wherever those characters occur: too short to find safely.
  const secret = (name: string, value: unknown): value is string => SECRET_PARAMS.has(name) && typeof value === "string" && value.length >= 4;
  for (const [name, value] of new URL(request.url).searchParams) if (secret(name, value)) out.push(value);
  if (request.body === undefined || request.body.byteLength > 1 << 20) return out;
  const text = new TextDecoder().decode(request.body);
  const json = tryParseJson(request.body);
  if (json !== null && typeof json === "object") {
    for (const [name, value] of Object.entries(json)) if (secret(name, value)) out.push(value);
  } else {
    for (const [name, value] of new URLSearchParams(text)) if (secret(name, value)) out.push(value);
  }
  return out;
}

/** A JSON value with every secret field's value replaced (recursively). */
export function redactSecretFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecretFields);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELDS.has(k) && typeof v === "string" ? SECRET_PLACEHOLDER : redactSecretFields(v);
    return out;
  }
  return value;
}

/**
 * A copy of a binary body with every secret overwritten by `*` of the same length (so the body
 * keeps its size, which array reads check). A server that echoes a key into a file is rare, but a
 * recording must never hold it.
 */
export function redactBytes(body: Uint8Array, secrets: readonly string[]): Uint8Array {
  let out: Buffer | undefined;
  for (const secret of secrets) {
    if (!secret) continue;
    const needle = Buffer.from(secret, "utf8");
    const haystack = out ?? Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    let at = haystack.indexOf(needle);
    while (at >= 0) {
      out ??= Buffer.from(haystack);
      out.fill(0x2a, at, at + needle.length);
      at = out.indexOf(needle, at + needle.length);
    }
  }
  return out ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : body;
}

/** Text types whose bodies may name files by absolute path (exports: json-seq, CSV, plain text). */
const TEXT_TYPES = /^text\/|json-seq|ndjson/;

/**
 * A text body with the project's absolute path replaced by the placeholder, so a recording made in
 * /work/main replays (and stays fresh) in any clone; undefined when there is nothing to replace.
 */
export function withRootPlaceholder(body: Uint8Array, contentType: string, projectRoot: string | undefined): Uint8Array | undefined {
  if (!projectRoot || !TEXT_TYPES.test(contentType)) return undefined;
  const text = new TextDecoder().decode(body);
  return text.includes(projectRoot) ? new TextEncoder().encode(replaceAll(text, projectRoot, PROJECT_ROOT_PLACEHOLDER)) : undefined;
}

function tryParseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
}

function writeAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Headers from a recorded entry, looked up like fetch's. */
function lookup(headers: Record<string, string> | undefined, contentType: string): HttpResponse["headers"] {
  return { get: (name) => (name.toLowerCase() === "content-type" ? contentType : (headers?.[name.toLowerCase()] ?? null)) };
}

/** The entries of one folder of recordings. */
export class SnapshotStore {
  readonly dir: string;
  readonly projectRoot: string | undefined;

  constructor(dir: string, projectRoot?: string) {
    this.dir = path.resolve(dir);
    this.projectRoot = projectRoot;
  }

  /** Read one entry back as a response, placeholders substituted. */
  replay(key: SnapshotKey, url: string, baseUrl: string): { status: number; contentType: string; headers?: Record<string, string>; body: Uint8Array } {
    const stem = path.join(this.dir, snapshotFileStem(key));
    let entry: SnapshotEntry;
    try {
      entry = JSON.parse(fs.readFileSync(`${stem}.json`, "utf8")) as SnapshotEntry;
    } catch {
      const query = key.query.map(([k, v]) => `${k}=${v}`).join("&");
      throw new TiledError(
        "snapshot-missing",
        `No recorded response for ${key.method} ${key.path}${query ? `?${query}` : ""} (Accept: ${key.accept}${key.writes ? `, after ${key.writes} writes` : ""}) in ${this.dir}.\n` +
          "  Record the snapshots again with the replica servers running (npm run snapshots:record),\n" +
          "  or unset TILED_SNAPSHOTS to talk to a live server.",
        { url },
      );
    }
    let body: Uint8Array;
    if (entry.bodyFile !== undefined) {
      body = new Uint8Array(fs.readFileSync(path.join(path.dirname(stem), entry.bodyFile)));
      if (entry.rootPlaceholder && this.projectRoot) {
        body = new TextEncoder().encode(replaceAll(new TextDecoder().decode(body), PROJECT_ROOT_PLACEHOLDER, this.projectRoot));
      }
    } else {
      let text = JSON.stringify(entry.body);
      text = replaceAll(text, BASE_URL_PLACEHOLDER, baseUrl);
      if (this.projectRoot) text = replaceAll(text, PROJECT_ROOT_PLACEHOLDER, this.projectRoot);
      body = new TextEncoder().encode(text);
    }
    return { status: entry.status, contentType: entry.contentType, headers: entry.headers, body };
  }

  /** Write one entry (atomically: a temporary file, then a rename). */
  record(key: SnapshotKey, response: HttpResponse, baseUrl: string, secrets: readonly string[]): void {
    const stem = path.join(this.dir, snapshotFileStem(key));
    fs.mkdirSync(path.dirname(stem), { recursive: true });
    const contentType = response.headers.get("content-type") ?? "";
    const entry: SnapshotEntry = { request: key, status: response.status, contentType };
    const kept = Object.fromEntries(KEPT_HEADERS.map((name) => [name, response.headers.get(name)]).filter((pair): pair is [string, string] => pair[1] !== null));
    if (Object.keys(kept).length) entry.headers = kept;
    // JSON documents only: json-seq and ndjson are streams of documents, kept as their bytes.
    const json = contentType.includes("json") && !TEXT_TYPES.test(contentType) ? tryParseJson(response.body) : undefined;
    if (json !== undefined) {
      let text = JSON.stringify(redactSecretFields(json));
      for (const secret of secrets) text = replaceAll(text, secret, SECRET_PLACEHOLDER);
      text = replaceAll(text, baseUrl, BASE_URL_PLACEHOLDER);
      if (this.projectRoot) text = replaceAll(text, this.projectRoot, PROJECT_ROOT_PLACEHOLDER);
      entry.body = JSON.parse(text);
    } else {
      const binName = `${path.basename(stem)}.bin`;
      let body = redactBytes(response.body, secrets);
      const rooted = withRootPlaceholder(body, contentType, this.projectRoot);
      if (rooted !== undefined) {
        body = rooted;
        entry.rootPlaceholder = true;
      }
      writeAtomic(path.join(path.dirname(stem), binName), body);
      entry.bodyFile = binName;
      entry.bodyBytes = body.byteLength;
      entry.sha256 = createHash("sha256").update(body).digest("hex");
    }
    writeAtomic(`${stem}.json`, `${JSON.stringify(entry, null, 2)}\n`);
  }
}

/** Give a replayed or recorded body to the sink the transport chose (its buffer, its writer, its cap). */
async function deliver(body: Uint8Array, sink: BodySink, url: string): Promise<{ body: Uint8Array; received: number }> {
  if (sink.maxBytes !== undefined && body.byteLength > sink.maxBytes) {
    throw new TiledError("too-large", `The server's answer is ${body.byteLength} bytes, over the ${sink.maxBytes}-byte limit.`, { url });
  }
  if (sink.write) {
    await sink.write(body);
    return { body: new Uint8Array(0), received: body.byteLength };
  }
  if (sink.into && body.byteLength === sink.into.byteLength) {
    sink.into.set(body);
    return { body: sink.into, received: body.byteLength };
  }
  // A fresh, aligned copy: TypedArray views of it must start on their element size.
  return { body: new Uint8Array(body), received: body.byteLength };
}

/** An HTTP function that records every response, or answers from recordings (see the file comment). */
export function snapshotHttp(options: SnapshotOptions): HttpFunction {
  const store = new SnapshotStore(options.dir, options.projectRoot);
  const inner = options.inner ?? fetchHttp;
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  let writes = 0;
  return async (request, sinkFor) => {
    const key = snapshotKey(request, baseUrl, writes);
    if (options.mode === "replay") {
      const answer = store.replay(key, request.url, baseUrl);
      if (request.method !== "GET") writes++;
      const { body, received } = await deliver(answer.body, sinkFor(answer.status), request.url);
      return { url: request.url, status: answer.status, headers: lookup(answer.headers, answer.contentType), body, receivedBytes: received };
    }
    // Record: keep the whole body in memory to write it, then give it to the transport's sink.
    let sink: BodySink = {};
    const response = await inner(request, (status) => {
      sink = sinkFor(status);
      return { maxBytes: sink.maxBytes, expectedBytes: sink.expectedBytes };
    });
    store.record(key, response, baseUrl, [...requestSecrets(request), ...(options.secrets ?? [])]);
    if (request.method !== "GET") writes++;
    const { body, received } = await deliver(response.body, sink, request.url);
    return { ...response, body, receivedBytes: received };
  };
}

/** Every recorded entry under `dir`, with the file it came from. */
export function listSnapshots(dir: string): (SnapshotEntry & { file: string })[] {
  const out: (SnapshotEntry & { file: string })[] = [];
  const walk = (folder: string) => {
    if (!fs.existsSync(folder)) return;
    for (const name of fs.readdirSync(folder).sort()) {
      const full = path.join(folder, name);
      if (fs.statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".json")) {
        const entry = JSON.parse(fs.readFileSync(full, "utf8")) as SnapshotEntry;
        if (entry && typeof entry === "object" && "request" in entry) out.push({ ...entry, file: full });
      }
    }
  };
  walk(dir);
  return out;
}
