/**
 * snapshots.ts — record the server's responses once, replay them with no server and no Python.
 *
 * With `TILED_SNAPSHOTS=record` every response the transport receives is also written to
 * `data-snapshots/sql/` (or `data-snapshots/legacy/` for the server at TILED_LEGACY_URL; the root
 * can be moved with `TILED_SNAPSHOT_DIR`); with `TILED_SNAPSHOTS=replay` the transport answers
 * from those files and never opens a socket; unset (or `live`) it talks to the server only. An
 * entry is keyed by method, path, sorted query (without `api_key`) and Accept. JSON bodies are
 * stored pretty-printed inside the entry's .json file, other bodies beside it as .bin. The server's
 * base URL and the project's absolute path are replaced by placeholders and put back on replay,
 * so a recording made on port 8123 in /work/main replays on any port in any clone.
 * API keys are never written: not in the key, not in a header, not in a body.
 *
 * @example
 * // TILED_SNAPSHOTS=replay node …   — or explicitly:
 * const client = await fromUri("http://127.0.0.1:8000", { snapshots: "replay" });
 * // Freshness check: re-request every entry from a live server and compare.
 * const report = await checkSnapshots({ baseUrl: "http://127.0.0.1:8000" });
 * if (report.stale.length) console.log(report.stale.map((s) => s.reason).join("\n"));
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { TiledError } from "./errors";
import type { BodySink, RequestOptions, Sender, TransportRequest, TransportResponse } from "./http/types";

export type SnapshotMode = "live" | "record" | "replay";

/** Placeholders written in place of the base URL and the project's absolute path. */
export const BASE_URL_PLACEHOLDER = "{{TILED_URL}}";
export const PROJECT_ROOT_PLACEHOLDER = "{{PROJECT_ROOT}}";
export const SECRET_PLACEHOLDER = "{{REDACTED}}";

/** The command that records snapshots (wired up in package.json). */
export const RECORD_COMMAND = "npm run snapshots:record";

/** How a request is identified on disk. */
export interface SnapshotKey {
  method: "GET";
  /** Path below the base URL, e.g. /api/v1/search/bdp2022. */
  path: string;
  /** Query parameters, sorted by name (values of a repeated name keep their order), api_key removed. */
  query: [string, string][];
  accept: string;
}

/** One recorded response, as stored in its .json file. */
export interface SnapshotEntry {
  request: SnapshotKey;
  status: number;
  contentType: string;
  /** The JSON body, with placeholders (JSON responses). */
  body?: unknown;
  /** The file holding the raw body, beside this one (other responses). */
  bodyFile?: string;
  bodyBytes?: number;
  sha256?: string;
}

/** The repository root: the nearest folder above this file (symlinks resolved) holding package.json and lib/. */
export function projectRoot(): string {
  const starts: string[] = [];
  if (typeof __dirname !== "undefined") starts.push(__dirname);
  starts.push(process.cwd());
  for (const start of starts) {
    let dir: string;
    try {
      dir = fs.realpathSync(start);
    } catch {
      continue;
    }
    for (;;) {
      if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(dir, "lib", "snapshots.ts"))) return dir;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return process.cwd();
}

/** The folder holding every recording: env TILED_SNAPSHOT_DIR, else data-snapshots/ at the repo root. */
export function snapshotRoot(): string {
  return process.env.TILED_SNAPSHOT_DIR || path.join(projectRoot(), "data-snapshots");
}

/** Where the project's legacy (databroker) replica listens unless TILED_LEGACY_URL says otherwise. */
export const DEFAULT_LEGACY_URL = "http://127.0.0.1:8001";

/** Which replica a base URL is: the legacy (databroker) one when it is TILED_LEGACY_URL (default port 8001). */
export function replicaOf(baseUrl: string | undefined): "sql" | "legacy" {
  const legacy = process.env.TILED_LEGACY_URL || DEFAULT_LEGACY_URL;
  if (baseUrl === undefined) return "sql";
  return baseUrl.replace(/\/+$/, "") === legacy.replace(/\/+$/, "") ? "legacy" : "sql";
}

/**
 * The default snapshot folder of a server: `<root>/sql` for the SQL replica, `<root>/legacy` for
 * the server at TILED_LEGACY_URL. The two answer the same paths differently, so they are kept apart.
 */
export function defaultSnapshotDir(baseUrl?: string): string {
  return path.join(snapshotRoot(), replicaOf(baseUrl));
}

/** Parse a mode name; anything else is a bad-input error naming the value. */
export function parseSnapshotMode(value: string | undefined): SnapshotMode {
  const mode = (value ?? "").trim().toLowerCase();
  if (mode === "" || mode === "live" || mode === "off") return "live";
  if (mode === "record" || mode === "replay") return mode;
  throw new TiledError("bad-input", `TILED_SNAPSHOTS=${JSON.stringify(value)}: expected record, replay or live (unset).`);
}

/** The store for a mode given as an option or by TILED_SNAPSHOTS; undefined when live. */
export function snapshotStoreFromEnv(mode?: SnapshotMode, dir?: string, baseUrl?: string): SnapshotStore | undefined {
  const resolved = mode ?? parseSnapshotMode(process.env.TILED_SNAPSHOTS);
  if (resolved === "live") return undefined;
  return new SnapshotStore(resolved, dir ?? defaultSnapshotDir(baseUrl));
}

/** The key of a request: path relative to the base URL, sorted query without api_key, Accept. */
export function snapshotKey(request: TransportRequest, baseUrl: string): SnapshotKey {
  const url = new URL(request.url);
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, "");
  let pathname = decodeURIComponent(url.pathname);
  if (basePath && pathname.startsWith(basePath)) pathname = pathname.slice(basePath.length) || "/";
  const query = [...url.searchParams.entries()].filter(([name]) => name !== "api_key");
  // Stable sort by name only: repeated filter fields pair up by position, and sort order matters.
  query.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { method: "GET", path: pathname, query, accept: request.accept };
}

function keyString(key: SnapshotKey): string {
  return JSON.stringify([key.method, key.path, key.query, key.accept]);
}

/** File name (without extension) for a key: a readable slug of the path plus a hash of the whole key. */
export function snapshotFileStem(key: SnapshotKey): string {
  const hash = createHash("sha256").update(keyString(key)).digest("hex").slice(0, 12);
  const rest = key.path.replace(/^\/api\/v1\/?/, "");
  const [route, ...segments] = rest.split("/").filter(Boolean);
  // Name the filters too, so a reader can tell the searches of one container apart.
  const filters = [...new Set(key.query.map(([name]) => /^filter\[([^\]]+)\]/.exec(name)?.[1]).filter((n): n is string => !!n))];
  const slug = [segments.join("__"), ...filters]
    .filter(Boolean)
    .join("+")
    .replace(/[^A-Za-z0-9._+-]+/g, "_")
    .slice(0, 100);
  return path.join(route ?? "about", `${slug || "root"}--${hash}`);
}

function replaceAll(text: string, search: string, replacement: string): string {
  return search ? text.split(search).join(replacement) : text;
}

export class SnapshotStore {
  readonly mode: Exclude<SnapshotMode, "live">;
  readonly dir: string;
  readonly root: string;

  constructor(mode: Exclude<SnapshotMode, "live">, dir: string = defaultSnapshotDir()) {
    this.mode = mode;
    this.dir = path.resolve(dir);
    this.root = projectRoot();
  }

  /** Read one entry back as a response, placeholders substituted. */
  replay(key: SnapshotKey, url: string, baseUrl: string): TransportResponse {
    const stem = path.join(this.dir, snapshotFileStem(key));
    let entry: SnapshotEntry;
    try {
      entry = JSON.parse(fs.readFileSync(`${stem}.json`, "utf8")) as SnapshotEntry;
    } catch {
      const query = key.query.map(([k, v]) => `${k}=${v}`).join("&");
      throw new TiledError(
        "snapshot-missing",
        `No recorded response for GET ${key.path}${query ? `?${query}` : ""} (Accept: ${key.accept}) in ${this.dir}.\n` +
          `  Record the snapshots with the replica server running: ${RECORD_COMMAND}\n` +
          "  (or unset TILED_SNAPSHOTS to talk to a live server).",
        { url },
      );
    }
    let body: Uint8Array;
    if (entry.bodyFile !== undefined) {
      body = new Uint8Array(fs.readFileSync(path.join(path.dirname(stem), entry.bodyFile)));
    } else {
      let text = JSON.stringify(entry.body);
      text = replaceAll(text, BASE_URL_PLACEHOLDER, baseUrl);
      text = replaceAll(text, PROJECT_ROOT_PLACEHOLDER, this.root);
      body = new TextEncoder().encode(text);
    }
    return { url, status: entry.status, contentType: entry.contentType, body };
  }

  /** Write one entry (atomically: write a temporary file, then rename). */
  record(key: SnapshotKey, response: TransportResponse, baseUrl: string, secrets: string[] = []): void {
    const stem = path.join(this.dir, snapshotFileStem(key));
    fs.mkdirSync(path.dirname(stem), { recursive: true });
    const entry: SnapshotEntry = { request: key, status: response.status, contentType: response.contentType };
    const json = response.contentType.includes("json") ? tryParseJson(response.body) : undefined;
    if (json !== undefined) {
      let text = new TextDecoder().decode(response.body);
      for (const secret of secrets) text = replaceAll(text, secret, SECRET_PLACEHOLDER);
      text = replaceAll(text, baseUrl, BASE_URL_PLACEHOLDER);
      text = replaceAll(text, this.root, PROJECT_ROOT_PLACEHOLDER);
      entry.body = JSON.parse(text);
    } else {
      const binName = `${path.basename(stem)}.bin`;
      const body = redactBytes(response.body, secrets);
      writeAtomic(path.join(path.dirname(stem), binName), body);
      entry.bodyFile = binName;
      entry.bodyBytes = body.byteLength;
      entry.sha256 = createHash("sha256").update(body).digest("hex");
    }
    writeAtomic(`${stem}.json`, `${JSON.stringify(entry, null, 2)}\n`);
  }
}

/**
 * The snapshot store wrapped around the live sender: in "replay" every answer comes from disk and
 * the live sender is never called (no socket is opened); in "record" every answer of the live
 * sender is also written to disk, secrets removed.
 */
export class SnapshotSender implements Sender {
  constructor(
    readonly store: SnapshotStore,
    readonly baseUrl: string,
    readonly live: Sender,
  ) {}

  secretsFor(url: string): string[] {
    return this.live.secretsFor(url);
  }

  async send(request: TransportRequest, options: RequestOptions, sink: BodySink): Promise<TransportResponse> {
    const key = snapshotKey(request, this.baseUrl);
    if (this.store.mode === "replay") return this.store.replay(key, request.url, this.baseUrl);
    const response = await this.live.send(request, options, sink);
    this.store.record(key, response, this.baseUrl, this.live.secretsFor(request.url));
    return response;
  }
}

/**
 * A copy of a binary body with every secret overwritten by `*` of the same length (so the body
 * keeps its size, which array reads check). A server that echoes the key into a file is rare, but
 * a recording must never hold it.
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

/** Every recorded entry under `dir`, with the file it came from. */
export function listSnapshots(dir: string = defaultSnapshotDir()): (SnapshotEntry & { file: string })[] {
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
