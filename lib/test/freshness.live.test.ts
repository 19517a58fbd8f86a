// The snapshot freshness check: every response recorded in data-snapshots/sql (from the SQL
// replica at TILED_URL) and data-snapshots/legacy (from the legacy databroker replica at
// TILED_LEGACY_URL) is requested again from its live server and must still match, ignoring fields
// that change on every run (freshness.ts VOLATILE_FIELDS). Fails, not skips, when no server answers.
import { describe, expect, it } from "vitest";
import { checkSnapshots } from "../freshness";
import { defaultSnapshotDir, listSnapshots } from "../snapshots";
import { replicas } from "./replicas";

describe.each(replicas())("data-snapshots of the $name replica are fresh", ({ url, requireServer }) => {
  it("holds recordings", () => {
    const dir = defaultSnapshotDir(url);
    expect(listSnapshots(dir).length, `no snapshots in ${dir}: run npm run snapshots:record`).toBeGreaterThan(0);
  });
  it("every recorded response still matches the live server", async () => {
    await requireServer();
    const report = await checkSnapshots({ baseUrl: url });
    const lines = report.stale.slice(0, 20).map((s) => `  ${s.reason}\n    (${s.file})`);
    expect(report.stale, `${report.stale.length} of ${report.checked} snapshots are stale; re-record with npm run snapshots:record:\n${lines.join("\n")}`).toEqual([]);
  }, 300_000);
});
