/**
 * replica.ts — where this project's replica servers listen, for the notebooks.
 *
 * Not part of the library: the notebooks' own helper. It knows what a notebook in this repository
 * needs and a user's own notebook does not: the replicas' addresses (set by the project's commands
 * through TILED_URL and TILED_LEGACY_URL), and, when the tests run a notebook with
 * TILED_SNAPSHOTS=replay (or record), the recorded answers in ../data-snapshots, plugged into the
 * client as its `http` option. With TILED_SNAPSHOTS unset, `options` is empty: the notebook talks
 * to the live server like any user's would.
 *
 *   const client = await fromUri(sql.url, sql.options);
 *
 * The replicas are started by `bin/replica start` (SQL catalog, port 8000),
 * `bin/replica start --layout mongo` (databroker's MongoAdapter, port 8001) and
 * `bin/replica start --writable` (an empty catalog to upload to, port 8006, wiped at each start;
 * its API key is in ../var/replica/api-key), from the project root; the authenticated ones
 * (notebook 07) by `bin/replica start --auth password` (port 8002), `bin/replica idp start` (the
 * test identity provider, 8005) and `bin/replica start --auth proxied-oidc` (8004), at
 * TILED_AUTH_URL and TILED_DEVICE_URL.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { ContextOptions, DevicePrompt } from "tiled-client";
import { snapshotHttp } from "tiled-client/testing";

/** The repository's root: the nearest folder above the kernel's working directory that holds bin/replica. */
function projectRoot(): string {
  for (let dir = path.resolve(process.cwd()); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "bin", "replica"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(process.cwd(), "..");
  }
}

export const PROJECT_ROOT = projectRoot();

export interface Replica {
  /** The server's root URL. */
  url: string;
  /** What to pass to fromUri / requestsTiled / live subscriptions: empty, unless the tests replay or record. */
  options: ContextOptions;
}

/** TILED_SNAPSHOTS: "record", "replay", or undefined (talk to the server). */
function snapshotMode(): "record" | "replay" | undefined {
  const mode = (process.env.TILED_SNAPSHOTS ?? "").trim().toLowerCase();
  if (mode === "" || mode === "live") return undefined;
  if (mode !== "record" && mode !== "replay") throw new Error(`TILED_SNAPSHOTS=${mode}: expected record, replay, or unset.`);
  return mode;
}

/** True when answers come from recordings: nothing listens, so websockets (live streams) cannot be opened. */
export const REPLAYING = snapshotMode() === "replay";

function replica(url: string, recordings: string, extra: ContextOptions = {}): Replica {
  const mode = snapshotMode();
  if (mode === undefined) return { url, options: { ...extra } };
  const dir = path.join(process.env.TILED_SNAPSHOT_DIR ?? path.join(PROJECT_ROOT, "data-snapshots"), recordings);
  return { url, options: { ...extra, http: snapshotHttp({ mode, dir, baseUrl: url, projectRoot: PROJECT_ROOT }) } };
}

/** The SQL replica: tiled's SQL catalog, as today's Bluesky writes runs (TiledWriter). */
export const sql = replica(process.env.TILED_URL ?? "http://127.0.0.1:8000", "sql");

/** The legacy replica: databroker's MongoAdapter, the layout of the 2022 server. */
export const legacy = replica(process.env.TILED_LEGACY_URL ?? "http://127.0.0.1:8001", "legacy");

/**
 * The writable server's API key: TILED_API_KEY, else the file `bin/replica start --writable`
 * writes. Never printed; a recording stores none (the recorder removes credentials). Without
 * either (the server never started here) there is none, and a write says it needs one.
 */
function writableKey(): ContextOptions {
  const fromEnv = (process.env.TILED_API_KEY ?? "").trim();
  if (fromEnv) return { apiKey: fromEnv };
  const file = path.join(process.env.REPLICA_VAR ?? path.join(PROJECT_ROOT, "var", "replica"), "api-key");
  if (fs.existsSync(file)) return { apiKey: fs.readFileSync(file, "utf8").trim() };
  // Replaying sends nothing anywhere: any key will do, and the recordings were made with one.
  return REPLAYING ? { apiKey: "replayed-no-key-needed" } : {};
}

/** The writable server: an empty catalog to upload to (wiped at each start), raw files under /raw; `options` carry its API key. */
export const writable = replica(process.env.TILED_WRITABLE_URL ?? "http://127.0.0.1:8006", "writable", writableKey());

/** The authenticated replica: the same catalogs behind a password login (tiled's DictionaryAuthenticator). */
export const auth = replica(process.env.TILED_AUTH_URL ?? "http://127.0.0.1:8002", path.join("auth", "password"));

/** The replica that logs in with a device code at the project's test identity provider (tiled's ProxiedOIDCAuthenticator). */
export const device = replica(process.env.TILED_DEVICE_URL ?? "http://127.0.0.1:8004", path.join("auth", "proxied-oidc"));

/**
 * In the project's headless runs only: the user who approves device codes (TILED_DEVICE_APPROVER),
 * played by server/oidc/approve.mjs, which opens the link, signs in with the password in
 * APPROVE_PASSWORD and consents, over plain HTTP. Undefined when those are not set (a person
 * approves in a browser), and when replaying (there is no provider to approve at).
 */
export function headlessApprover(): ((prompt: DevicePrompt) => void) | undefined {
  const user = process.env.TILED_DEVICE_APPROVER;
  if (!user || !process.env.APPROVE_PASSWORD || REPLAYING) return undefined;
  return (prompt) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "server", "oidc", "approve.mjs"), prompt.verificationUri, "--user-code", prompt.userCode, "--user", user], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code: number | null) => {
      if (code !== 0) console.error(`the headless approver failed (${code}): ${stderr.trim()}`);
    });
  };
}
