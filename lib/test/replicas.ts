/**
 * The two replicas the live suites run against: the SQL catalog written by TiledWriter
 * (TILED_URL, default http://127.0.0.1:8000) and the legacy databroker MongoAdapter
 * (TILED_LEGACY_URL, default http://127.0.0.1:8001). `requireServer` fails, not skips, with what
 * to run when a server does not answer.
 *
 * The library does not know the replicas, nor read TILED_SNAPSHOTS: this helper does, as the
 * notebooks' own helper (notebooks/replica.ts) does. With TILED_SNAPSHOTS=record (or replay) a
 * replica's `options` plug the testing entry's snapshot recorder (or replayer) into the client as
 * its `http` option, writing to (or reading from) data-snapshots/sql or data-snapshots/legacy
 * (TILED_SNAPSHOT_DIR moves the root). Unset, `options` is empty: the client talks to the server.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContextOptions } from "../context";
import { DEFAULT_BASE_URL } from "../config";
import { snapshotHttp } from "../testing/snapshots";
import type { SnapshotMode } from "../testing/snapshots";

export const DEFAULT_LEGACY_URL = "http://127.0.0.1:8001";
export const DEFAULT_WRITABLE_URL = "http://127.0.0.1:8006";

/** The repository's root (this file is lib/test/replicas.ts). */
export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

export type ReplicaName = "SQL" | "legacy" | "writable";

export interface Replica {
  name: ReplicaName;
  url: string;
  /** Where this replica's recordings live: data-snapshots/sql or data-snapshots/legacy. */
  snapshotDir: string;
  /** What to give fromUri / requestsTiled / a Context: empty, unless TILED_SNAPSHOTS says record or replay. */
  options: ContextOptions;
  requireServer: () => Promise<void>;
}

/** The folder of one replica's recordings. */
export function snapshotDir(name: ReplicaName): string {
  const root = process.env.TILED_SNAPSHOT_DIR || path.join(PROJECT_ROOT, "data-snapshots");
  return path.join(root, name === "SQL" ? "sql" : name);
}

/** Options that record into, or replay from, a replica's recordings, for a server at `url`. */
export function snapshotOptions(mode: SnapshotMode, name: ReplicaName, url: string): ContextOptions {
  return { http: snapshotHttp({ mode, dir: snapshotDir(name), baseUrl: url, projectRoot: PROJECT_ROOT }) };
}

/** TILED_SNAPSHOTS as a mode: undefined when unset or "live"; anything else than record/replay is an error. */
export function snapshotModeFromEnv(): SnapshotMode | undefined {
  const mode = (process.env.TILED_SNAPSHOTS ?? "").trim().toLowerCase();
  if (mode === "" || mode === "live") return undefined;
  if (mode !== "record" && mode !== "replay") throw new Error(`TILED_SNAPSHOTS=${mode}: expected record, replay, or unset.`);
  return mode;
}

function replica(name: ReplicaName, url: string, start: string): Replica {
  const mode = snapshotModeFromEnv();
  return {
    name,
    url,
    snapshotDir: snapshotDir(name),
    options: mode === undefined ? {} : snapshotOptions(mode, name, url),
    requireServer: async () => {
      try {
        const response = await fetch(`${url}/api/v1/`, { signal: AbortSignal.timeout(5_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
      } catch (err) {
        throw new Error(`No tiled server answers at ${url} (${(err as Error).message}). Start the ${name} replica with \`${start}\`.`);
      }
    },
  };
}

export function replicas(): [Replica, Replica] {
  const sql = (process.env.TILED_URL || DEFAULT_BASE_URL).replace(/\/+$/, "");
  const legacy = (process.env.TILED_LEGACY_URL || DEFAULT_LEGACY_URL).replace(/\/+$/, "");
  return [replica("SQL", sql, "bin/replica start"), replica("legacy", legacy, "bin/replica start --layout mongo")];
}

/** The writable replica: its API key too (TILED_API_KEY, else var/replica/api-key, written by `bin/replica start --writable`). */
export interface WritableReplica extends Replica {
  apiKey: () => string;
}

/**
 * The writable server (`bin/replica start --writable`, TILED_WRITABLE_URL, default
 * http://127.0.0.1:8006): an empty SQL catalog, wiped at each start, raw files under /raw. Its
 * recordings are data-snapshots/writable. The key is read when asked for, and never printed.
 */
export function writableReplica(): WritableReplica {
  const url = (process.env.TILED_WRITABLE_URL || DEFAULT_WRITABLE_URL).replace(/\/+$/, "");
  return {
    ...replica("writable", url, "bin/replica start --writable"),
    apiKey: () => {
      const fromEnv = (process.env.TILED_API_KEY ?? "").trim();
      if (fromEnv) return fromEnv;
      const file = path.join(process.env.REPLICA_VAR || path.join(PROJECT_ROOT, "var", "replica"), "api-key");
      try {
        return fs.readFileSync(file, "utf8").trim();
      } catch {
        throw new Error(`No API key for the writable server: set TILED_API_KEY, or start it with \`bin/replica start --writable\` (which writes ${file}).`);
      }
    },
  };
}
