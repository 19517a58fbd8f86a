// freshness.ts, on a local server (no replica): the check that recorded responses still match the
// server reports a changed response and passes an unchanged one. Against the replicas' own
// recordings: freshness.live.test.ts.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { checkSnapshots, firstDifference, normalizeBody } from "../freshness";
import { Transport } from "../transport";
import { localServers, sendJson } from "./local-server";

const serve = localServers();

describe("snapshots", () => {
  it("the freshness check reports a response that changed, and passes one that did not", async () => {
    let plan = "scan";
    const server = await serve((req, res) => sendJson(res, 200, { plan, self: `http://${req.headers.host}${req.url}` }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "snap-"));
    const rec = new Transport({ baseUrl: server.url, snapshots: "record", snapshotDir: dir });
    await rec.getJson(`${server.url}/api/v1/metadata/a`, z.unknown());
    expect(await checkSnapshots({ baseUrl: server.url, dir })).toEqual({ checked: 1, stale: [] });
    plan = "count";
    const report = await checkSnapshots({ baseUrl: server.url, dir });
    expect(report.stale).toHaveLength(1);
    expect(report.stale[0].reason).toContain('$.plan: recorded "scan", now "count"');
    expect(normalizeBody({ b: 1, a: [{ d: 2, c: 3 }] }, ["d"])).toEqual({ a: [{ c: 3 }], b: 1 });
    expect(firstDifference({ a: [1, 2] }, { a: [1, 2, 3] })).toBe("$.a: 2 items recorded, 3 now");
  });
});
