// The snapshot freshness check: every response recorded in data-snapshots/sql (from the SQL
// replica at TILED_URL) and data-snapshots/legacy (from the legacy databroker replica at
// TILED_LEGACY_URL) is requested again from its live server and must still match, ignoring fields
// that change on every run (testing/freshness.ts VOLATILE_FIELDS). Fails, not skips, when no server answers.
import { describe, expect, it } from "vitest";
import { checkSnapshots } from "../testing/freshness";
import { listSnapshots } from "../testing/snapshots";
import { PROJECT_ROOT, replicas } from "./replicas";

describe.each(replicas())("data-snapshots of the $name replica are fresh", ({ url, snapshotDir, requireServer }) => {
  it("holds recordings", () => {
    expect(listSnapshots(snapshotDir).length, `no snapshots in ${snapshotDir}: run npm run snapshots:record`).toBeGreaterThan(0);
  });
  it("every recorded response still matches the live server", async () => {
    await requireServer();
    const report = await checkSnapshots({ baseUrl: url, dir: snapshotDir, projectRoot: PROJECT_ROOT });
    const lines = report.stale.slice(0, 20).map((s) => `  ${s.reason}\n    (${s.file})`);
    expect(report.stale, `${report.stale.length} of ${report.checked} snapshots are stale; re-record with npm run snapshots:record:\n${lines.join("\n")}`).toEqual([]);
    expect(report.checked).toBe(listSnapshots(snapshotDir).length);
  }, 300_000);
});
