/**
 * freshness.ts — do the recorded snapshots still match what the server returns?
 *
 * Re-requests every recorded entry from a live server and compares status, content type and
 * body. JSON bodies are compared after normalisation (base URL and project path replaced by the
 * same placeholders recording uses, and fields that change on every run dropped: see
 * VOLATILE_FIELDS); binary bodies by SHA-256.
 *
 * @example
 * const report = await checkSnapshots({ baseUrl: "http://127.0.0.1:8000", dir: "data-snapshots/sql", projectRoot });
 * console.log(`${report.checked} checked, ${report.stale.length} stale`);
 * for (const s of report.stale) console.log(s.file, s.reason);
 * if (report.stale.length) process.exitCode = 1;
 */
import { createHash } from "node:crypto";

import type { ClientOptions } from "../config.js";
import { Context } from "../context.js";
import { BASE_URL_PLACEHOLDER, PROJECT_ROOT_PLACEHOLDER, listSnapshots, withRootPlaceholder } from "./snapshots.js";
import type { SnapshotEntry } from "./snapshots.js";

/**
 * Object keys whose values differ between two recordings of the same data. Found by recording the
 * lib's scenarios twice from the running replica and once from a freshly generated replica on
 * another port and var directory: the three recordings were byte-identical. tiled's JSON bodies
 * carry no per-request values (request id, timing and cookies are headers, which are not
 * recorded; the server's address is replaced by a placeholder). Add keys here if that changes.
 */
export const VOLATILE_FIELDS: readonly string[] = [];

/**
 * Nodes whose contents change by design: `bin/replica live` writes runs into /live while the
 * server runs. Where a listing names one, only its key is compared (its run count moves on).
 */
export const LIVE_NODES: readonly string[] = ["live"];

/**
 * Specs whose formats a databroker server lists in `GET /api/v1/` only once it has served a node
 * of that spec (server/tests/test_legacy.py pins it): "about" depends on the server's history, so
 * these entries of `formats` and `aliases` are left out of the comparison.
 */
export const LAZY_FORMAT_SPECS: readonly string[] = ["xarray_coord", "xarray_data_var"];

/** An "about" answer without the lazily listed formats. */
function withoutLazyFormats(body: unknown): unknown {
  if (!body || typeof body !== "object" || !("formats" in body) || !("aliases" in body)) return body;
  const strip = (table: unknown) =>
    table && typeof table === "object" ? Object.fromEntries(Object.entries(table).filter(([spec]) => !LAZY_FORMAT_SPECS.includes(spec))) : table;
  return { ...body, formats: strip(body.formats), aliases: strip(body.aliases) };
}

/** A listing's items, with the live nodes cut down to their keys. */
function withoutLiveContents(body: unknown): unknown {
  if (!body || typeof body !== "object" || !("data" in body) || !Array.isArray(body.data)) return body;
  const data = body.data.map((item: unknown) =>
    item && typeof item === "object" && "id" in item && typeof item.id === "string" && LIVE_NODES.includes(item.id) ? { id: item.id } : item,
  );
  return { ...body, data };
}

export interface StaleSnapshot {
  file: string;
  request: SnapshotEntry["request"];
  reason: string;
}

export interface FreshnessReport {
  checked: number;
  stale: StaleSnapshot[];
}

/** Sort keys, drop volatile fields, and swap placeholders back, so two bodies compare by meaning. */
export function normalizeBody(body: unknown, volatile: readonly string[] = VOLATILE_FIELDS): unknown {
  if (Array.isArray(body)) return body.map((v) => normalizeBody(v, volatile));
  if (body && typeof body === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(body).sort()) {
      if (volatile.includes(key)) continue;
      out[key] = normalizeBody((body as Record<string, unknown>)[key], volatile);
    }
    return out;
  }
  return body;
}

/** The first path where two JSON values differ, or null if equal. */
export function firstDifference(a: unknown, b: unknown, path = "$"): string | null {
  if (a === b) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: ${a.length} items recorded, ${b.length} now`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of [...keys].sort()) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`);
      if (d) return d;
    }
    return null;
  }
  return `${path}: recorded ${JSON.stringify(a)?.slice(0, 80)}, now ${JSON.stringify(b)?.slice(0, 80)}`;
}

export interface CheckSnapshotsOptions extends Omit<ClientOptions, "http"> {
  /** The server's folder of recordings, e.g. data-snapshots/sql. */
  dir: string;
  /** The path recordings replaced by a placeholder. */
  projectRoot?: string;
}

/** Re-request every recorded entry from a live server and list the ones that no longer match. */
export async function checkSnapshots(options: CheckSnapshotsOptions): Promise<FreshnessReport> {
  const { dir, projectRoot: root, ...clientOptions } = options;
  const context = new Context(clientOptions);
  const transport = context.transport;
  const stale: StaleSnapshot[] = [];
  // Writes, and reads recorded after a write, describe a state the live server may no longer be in:
  // they are checked by replaying the notebook that made them, not here.
  const entries = listSnapshots(dir).filter((entry) => entry.request.method === "GET" && !entry.request.writes);
  for (const entry of entries) {
    const url = new URL(`${context.baseUrl}${entry.request.path.split("/").map(encodeURIComponent).join("/")}`);
    for (const [name, value] of entry.request.query) url.searchParams.append(name, value);
    const report = (reason: string) => stale.push({ file: entry.file, request: entry.request, reason });
    let response;
    try {
      response = await transport.send({ url: url.toString(), accept: entry.request.accept });
    } catch (err) {
      // A recorded error (404, 400) is fresh if the server still answers the same way.
      const status = (err as { status?: number }).status;
      if (status === entry.status) continue;
      report(`${entry.request.path}: recorded status ${entry.status}, now ${status ?? (err as Error).message}`);
      continue;
    }
    if (response.status !== entry.status) {
      report(`${entry.request.path}: recorded status ${entry.status}, now ${response.status}`);
      continue;
    }
    if (entry.bodyFile !== undefined) {
      const body = entry.rootPlaceholder ? (withRootPlaceholder(response.body, entry.contentType, root) ?? response.body) : response.body;
      const sha = createHash("sha256").update(body).digest("hex");
      if (sha !== entry.sha256) report(`${entry.request.path}: binary body changed (${entry.bodyBytes} bytes recorded, ${response.body.byteLength} now)`);
      continue;
    }
    let text = new TextDecoder().decode(response.body);
    text = text.split(context.baseUrl).join(BASE_URL_PLACEHOLDER);
    if (root) text = text.split(root).join(PROJECT_ROOT_PLACEHOLDER);
    let now: unknown;
    try {
      now = JSON.parse(text);
    } catch {
      report(`${entry.request.path}: the body is no longer JSON`);
      continue;
    }
    const comparable = (body: unknown) => normalizeBody(withoutLazyFormats(withoutLiveContents(body)));
    const diff = firstDifference(comparable(entry.body), comparable(now));
    if (diff) report(`${entry.request.path}: ${diff}`);
  }
  return { checked: entries.length, stale };
}

