/**
 * The two replicas the live suites run against: the SQL catalog written by TiledWriter
 * (TILED_URL, default http://127.0.0.1:8000) and the legacy databroker MongoAdapter
 * (TILED_LEGACY_URL, default http://127.0.0.1:8001). `requireServer` fails, not skips, with what
 * to run when a server does not answer.
 */
export const DEFAULT_LEGACY_URL = "http://127.0.0.1:8001";
import { DEFAULT_BASE_URL } from "../config";

export interface Replica {
  name: "SQL" | "legacy";
  url: string;
  requireServer: () => Promise<void>;
}

function replica(name: Replica["name"], url: string, start: string): Replica {
  return {
    name,
    url,
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

export function replicas(): Replica[] {
  const sql = (process.env.TILED_URL || DEFAULT_BASE_URL).replace(/\/+$/, "");
  const legacy = (process.env.TILED_LEGACY_URL || DEFAULT_LEGACY_URL).replace(/\/+$/, "");
  return [replica("SQL", sql, "bin/replica start"), replica("legacy", legacy, "bin/replica start --layout mongo")];
}
