// The snapshot freshness check: every response recorded in data-snapshots/ is requested again
// from the live replica (TILED_URL) and must still match, ignoring fields that change on every
// run (freshness.ts VOLATILE_FIELDS). Fails, not skips, when no server answers.
import { describe, expect, it } from "vitest";
import { checkSnapshots } from "../freshness";
import { defaultSnapshotDir, listSnapshots } from "../snapshots";
import { DEFAULT_BASE_URL } from "../transport";

const BASE_URL = (process.env.TILED_URL || DEFAULT_BASE_URL).replace(/\/+$/, "");

describe("data-snapshots/ is fresh", () => {
  it("holds recordings", () => {
    expect(listSnapshots(defaultSnapshotDir()).length, `no snapshots in ${defaultSnapshotDir()}: run npm run snapshots:record`).toBeGreaterThan(0);
  });
  it("every recorded response still matches the live server", async () => {
    try {
      const response = await fetch(`${BASE_URL}/api/v1/`, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    } catch (err) {
      throw new Error(`No tiled server answers at ${BASE_URL} (${(err as Error).message}): start the replica with \`bin/replica start\` or set TILED_URL.`);
    }
    const report = await checkSnapshots({ baseUrl: BASE_URL });
    const lines = report.stale.slice(0, 20).map((s) => `  ${s.reason}\n    (${s.file})`);
    expect(report.stale, `${report.stale.length} of ${report.checked} snapshots are stale; re-record with npm run snapshots:record:\n${lines.join("\n")}`).toEqual([]);
  }, 300_000);
});
